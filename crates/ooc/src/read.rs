//! Getting the bytes of one chunk of a file, in the way [`IoMode`] says, and letting go of
//! them once the chunk is reduced so that resident memory stays bounded.
//!
//! [`IoMode::Mmap`] is the default because it costs the least CPU per byte on a file in the
//! page cache: mapping the page-cache pages (the kernel maps large folios many pages per
//! fault) avoids copying every byte into a buffer, which is what `pread` spends half its
//! time on. Releasing the pages read with `MADV_DONTNEED` is what keeps the resident set
//! bounded: without it a full pass over a mapped file makes all of it resident.
//!
//! Both pieces of advice cost more than they seem. Each `MADV_DONTNEED` of a process with
//! several threads interrupts the other cores to flush their TLBs (in a VM, a trip through
//! the hypervisor per core), so a thread releases what it read in spans of many chunks,
//! as much as its share of the memory limit allows ([`HeldSpan`]), not chunk by chunk.
//! `MADV_WILLNEED` walks the page cache page by page even when every page is there, so a
//! chunk is advised only when its first or last page is not in memory (`mincore`).

use memmap2::{Advice, Mmap, MmapOptions, UncheckedAdvice};

use crate::array::{read_exact_at, NpyFile};
use crate::control::IoMode;
use crate::error::{OocError, Result};
use runtime::mapped::Registered;

/// The page size that `madvise` and `mincore` work in.
const PAGE: usize = runtime::layout::PAGE;

/// Reads chunks of one file.
pub(crate) struct Reader<'f> {
    file: &'f NpyFile,
    io: IoMode,
    /// The map of the whole file, for [`IoMode::Mmap`].
    whole: Option<Registered<Mmap>>,
    /// Bytes of the map a thread may hold before it releases them.
    hold_bytes: usize,
}

/// The bytes of the map one thread has read and not yet released: consecutive chunks,
/// `start..end` in the file (empty when nothing is held).
#[derive(Debug, Default)]
pub(crate) struct HeldSpan {
    start: usize,
    end: usize,
}

impl<'f> Reader<'f> {
    /// A reader of `file` (which maps it whole for [`IoMode::Mmap`]), each of whose threads
    /// holds at most `hold_bytes` of the map (and at least the chunk it reads).
    ///
    /// The file's size is checked against its header first, so that a file truncated since
    /// it was opened is an error rather than a fault.
    pub(crate) fn new(file: &'f NpyFile, io: IoMode, hold_bytes: usize) -> Result<Reader<'f>> {
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
        Ok(Reader {
            file,
            io,
            whole,
            hold_bytes,
        })
    }

    /// Calls `f` with the `len` bytes at `offset` in the file, then lets go of them (with
    /// [`IoMode::Mmap`], once the calling thread holds enough: see [`HeldSpan`]). `buf` is the
    /// calling thread's reusable buffer (`u64`s, so that it is 8-byte aligned and native
    /// `f64` data in it can be viewed in place), `held` what it holds of the map.
    pub(crate) fn with_bytes<R>(
        &self,
        buf: &mut Vec<u64>,
        held: &mut HeldSpan,
        offset: usize,
        len: usize,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        let file = self.file;
        match (self.io, &self.whole) {
            (IoMode::Mmap, Some(m)) => {
                if held.end != offset || held.end - held.start + len > self.hold_bytes {
                    self.release(held);
                    *held = HeldSpan {
                        start: offset,
                        end: offset,
                    };
                }
                prefetch(m, offset, len);
                let r = f(&m[offset..offset + len]);
                held.end = offset + len;
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

    /// Drops the pages of what `held` holds from the process's map, and empties it. A page
    /// shared with the chunk after the held ones is left to that chunk (which releases the
    /// page holding its start), so none is kept; the end of the file releases its last page.
    pub(crate) fn release(&self, held: &mut HeldSpan) {
        let Some(m) = &self.whole else { return };
        let (start, end) = (held.start, held.end);
        *held = HeldSpan::default();
        let lo = start / PAGE * PAGE;
        let hi = if end >= m.len() {
            end.div_ceil(PAGE) * PAGE
        } else {
            end / PAGE * PAGE
        };
        if hi > lo {
            // SAFETY: the map is read-only and file-backed, so dropping its pages loses
            // nothing: a later access faults them back in from the page cache, with the same
            // contents. This thread's callbacks that read them have returned; another
            // thread may still read the first page, shared with the chunk before, and
            // faults it back in.
            let _ = unsafe { m.unchecked_advise_range(UncheckedAdvice::DontNeed, lo, hi - lo) };
        }
    }
}

/// Asks the kernel to read the `len` bytes at `offset` of `m` ahead (`MADV_WILLNEED`),
/// unless the first and the last of their pages are in memory already: the advice walks
/// the page cache page by page even when every page is there.
pub(crate) fn prefetch(m: &Mmap, offset: usize, len: usize) {
    if len > 0 && !(resident(m, offset) && resident(m, offset + len - 1)) {
        // Advice is a hint: ignoring a failure only costs speed.
        let _ = m.advise_range(Advice::WillNeed, offset, len);
    }
}

/// Whether the page of `m` holding byte `at` is in memory (in the page cache, for a file
/// map); `false` when that cannot be told.
fn resident(m: &Mmap, at: usize) -> bool {
    let page = (m.as_ptr() as usize + at) / PAGE * PAGE;
    let mut state = 0u8;
    // SAFETY: `page` is the page-aligned start of a page inside the map (`at` < its length),
    // and `state` has room for the one page asked about.
    let r = unsafe { libc::mincore(page as *mut libc::c_void, 1, &mut state) };
    r == 0 && state & 1 == 1
}
