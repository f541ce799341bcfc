//! Getting the bytes of one chunk of a file, in the way [`IoMode`] says, and letting go of
//! them once the chunk is reduced so that resident memory stays bounded.
//!
//! [`IoMode::Mmap`] is the default because it costs the least CPU per byte on a file in the
//! page cache: mapping the page-cache pages (the kernel maps large folios many pages per
//! fault) avoids copying every byte into a buffer, which is what `pread` spends half its
//! time on. Releasing each chunk's pages with `MADV_DONTNEED` is what keeps the resident
//! set bounded: without it a full pass over a mapped file makes all of it resident.

use memmap2::{Advice, Mmap, MmapOptions, UncheckedAdvice};

use crate::array::{read_exact_at, NpyFile};
use crate::control::IoMode;
use crate::error::{OocError, Result};
use runtime::mapped::Registered;

/// Reads chunks of one file.
pub(crate) struct Reader<'f> {
    file: &'f NpyFile,
    io: IoMode,
    /// The map of the whole file, for [`IoMode::Mmap`].
    whole: Option<Registered<Mmap>>,
}

impl<'f> Reader<'f> {
    /// A reader of `file` (which maps it whole for [`IoMode::Mmap`]).
    ///
    /// The file's size is checked against its header first, so that a file truncated since
    /// it was opened is an error rather than a fault.
    pub(crate) fn new(file: &'f NpyFile, io: IoMode) -> Result<Reader<'f>> {
        file.check_size()?;
        let whole = match io {
            IoMode::Mmap => {
                // SAFETY: a read-only map of a file just checked to be as long as its header
                // says. A file truncated later (or a page the file system cannot supply)
                // makes the read of that page raise SIGBUS, as with numpy.memmap; the map is
                // registered so that a program's handler can name the file.
                let m = unsafe { MmapOptions::new().map(file.file()) }
                    .map_err(|e| OocError::io(file.path(), "mmap", e))?;
                // Advice is a hint: ignoring a failure only costs speed.
                let _ = m.advise(Advice::Sequential);
                Some(Registered::new(m, file.path()))
            }
            IoMode::Pread | IoMode::MmapPopulate => None,
        };
        Ok(Reader { file, io, whole })
    }

    /// Calls `f` with the `len` bytes at `offset` in the file, then lets go of them. `buf`
    /// is the calling thread's reusable buffer (`u64`s, so that it is 8-byte aligned and
    /// native `f64` data in it can be viewed in place); `last` says that the chunk ends
    /// the file.
    pub(crate) fn with_bytes<R>(
        &self,
        buf: &mut Vec<u64>,
        offset: usize,
        len: usize,
        last: bool,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        let file = self.file;
        match (self.io, &self.whole) {
            (IoMode::Mmap, Some(m)) => {
                let _ = m.advise_range(Advice::WillNeed, offset, len);
                let r = f(&m[offset..offset + len]);
                release(m, offset, len, last);
                Ok(r)
            }
            (IoMode::MmapPopulate, _) => {
                // SAFETY: a read-only map of a range checked against the file size at open;
                // see `Reader::new` about truncation.
                let m = unsafe {
                    MmapOptions::new()
                        .offset(offset as u64)
                        .len(len)
                        .populate()
                        .map(file.file())
                }
                .map_err(|e| OocError::io(file.path(), "mmap", e))?;
                let m = Registered::new(m, file.path());
                Ok(f(&m))
            }
            _ => {
                buf.resize(len.div_ceil(8), 0);
                let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(buf)[..len];
                read_exact_at(file, bytes, offset as u64)?;
                Ok(f(bytes))
            }
        }
    }
}

/// Drops the pages of the chunk at `offset..offset + len` from the process's map. A page
/// shared with the next chunk is left to that chunk (which releases the page holding its
/// start), so none is kept.
fn release(m: &Mmap, offset: usize, len: usize, last: bool) {
    const PAGE: usize = runtime::layout::PAGE;
    let lo = offset / PAGE * PAGE;
    let hi = if last {
        (offset + len).div_ceil(PAGE) * PAGE
    } else {
        (offset + len) / PAGE * PAGE
    };
    if hi > lo {
        // SAFETY: the map is read-only and file-backed, so dropping its pages loses nothing:
        // a later access faults them back in from the page cache. No slice into these pages
        // is alive: `with_bytes` lent them to its callback, which has returned.
        let _ = unsafe { m.unchecked_advise_range(UncheckedAdvice::DontNeed, lo, hi - lo) };
    }
}
