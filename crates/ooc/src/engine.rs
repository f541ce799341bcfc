//! The chunk engine: reads an array's data chunk by chunk on all threads, in bounded memory.
//!
//! Every chunk is a fixed range of elements, so the partial results (and hence the final
//! floating-point answer) do not depend on the number of threads. Chunks are processed in
//! parallel batches and their partial results merged in chunk order.
//!
//! Three ways of getting the bytes are available ([`IoMode`]); [`IoMode::Mmap`] is the
//! default because it measured cheapest on a file in the page cache (see the crate doc and
//! `BENCHMARKS.md`): mapping the page-cache pages (the kernel maps large folios many
//! pages per fault) costs less CPU than copying every byte into a buffer with `pread`.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use memmap2::{Advice, Mmap, MmapOptions, UncheckedAdvice};
use rayon::prelude::*;

use crate::array::NpyFile;
use crate::dtype::{as_native_f64, decode_to_f64};
use crate::error::{OocError, Result};

/// How the chunk engine gets the bytes of each chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IoMode {
    /// Positioned reads (`pread`) into one reused buffer per thread.
    Pread,
    /// One read-only map of the whole file; each chunk is prefetched with `MADV_WILLNEED`
    /// and released with `MADV_DONTNEED` once reduced, so resident memory stays bounded.
    /// The default: it costs the least CPU per byte (no copy).
    #[default]
    Mmap,
    /// A fresh map per chunk with `MAP_POPULATE` (all pages faulted in by one system call),
    /// unmapped when the chunk is done.
    MmapPopulate,
}

impl IoMode {
    /// Parses `pread`, `mmap` or `mmap-populate`.
    pub fn from_name(name: &str) -> Option<IoMode> {
        match name {
            "pread" => Some(IoMode::Pread),
            "mmap" => Some(IoMode::Mmap),
            "mmap-populate" => Some(IoMode::MmapPopulate),
            _ => None,
        }
    }
}

/// Largest chunk: 2 MiB keeps a chunk in L2/L3 between the copy and the reduction.
pub const MAX_CHUNK_BYTES: usize = 2 << 20;
/// Smallest chunk, whatever the memory limit: one page.
pub const MIN_CHUNK_BYTES: usize = 4096;

/// Default memory limit: a quarter of the machine's physical memory (1 GiB if unknown).
pub fn default_memory_limit() -> u64 {
    physical_memory().map(|m| m / 4).unwrap_or(1 << 30)
}

/// Physical memory in bytes, from `/proc/meminfo` (`None` elsewhere).
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes, on Linux.
pub fn peak_rss() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Parses a byte size such as `512M`, `2G`, `1.5GiB`, `4096` (binary units).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1u64,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    (num.is_finite() && num >= 0.0).then_some((num * mult as f64) as u64)
}

/// How a long operation is run: memory limit, threads, I/O mode, progress and cancellation.
pub struct Control<'a> {
    /// Upper bound on the bytes of file data held in memory at once (buffers and mapped pages).
    pub memory_limit: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// How chunks are read.
    pub io: IoMode,
    /// Called with the number of bytes just processed, after every chunk (from any thread).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Checked before every chunk; when set, the operation stops with [`OocError::Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for Control<'_> {
    fn default() -> Self {
        Control {
            memory_limit: default_memory_limit(),
            threads: 0,
            io: IoMode::default(),
            progress: None,
            cancel: None,
        }
    }
}

impl Control<'_> {
    /// The number of worker threads this control asks for.
    pub fn thread_count(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }

    /// Chunk length in elements for elements of `item` bytes that need `extra` more bytes
    /// of per-thread scratch each (a decode buffer, for instance).
    ///
    /// Half of the memory limit goes to the per-thread chunk buffers, the rest is headroom
    /// for results and the pages the kernel maps around a fault.
    pub fn chunk_elems(&self, item: usize, extra: usize) -> usize {
        let per_thread = (self.memory_limit / 2) / self.thread_count() as u64;
        let bytes = (per_thread as usize).clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
        // Whole pages of input, so that mapped chunks release whole pages.
        let per_elem = item + extra;
        let elems = (bytes / per_elem).max(1);
        let page_elems = 4096 / item;
        if elems >= page_elems {
            elems / page_elems * page_elems
        } else {
            elems
        }
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn report(&self, bytes: u64) {
        if let Some(p) = self.progress {
            p(bytes)
        }
    }

    /// A pool of [`Control::thread_count`] threads.
    pub(crate) fn pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.thread_count())
            .build()
            .map_err(|e| OocError::Invalid(format!("cannot start threads: {e}")))
    }
}

/// Per-thread scratch buffers, reused for every chunk that thread reads.
#[derive(Default)]
struct Scratch {
    /// Raw bytes (as u64 so that the buffer is 8-byte aligned and can be viewed as f64).
    raw: Vec<u64>,
    /// Decoded values when the data is not native f64.
    vals: Vec<f64>,
}

fn read_exact_at(path: &Path, file: &File, buf: &mut [u8], offset: u64) -> Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
        .map_err(|e| OocError::io(path, "read", e))
}

/// Calls `map` on every chunk of `file`'s data (as `f64` values, with the index of the
/// chunk's first element), in parallel, and folds the results into `acc` in chunk order.
///
/// Chunks are processed `batch` at a time (at least two per thread): the results of a batch
/// are held until it is merged, so a large batch suits small results. Fewer batches mean
/// fewer points where all threads wait for the slowest, which matters on a shared machine
/// where one thread may be descheduled.
pub(crate) fn fold_chunks<R, A>(
    file: &NpyFile,
    ctl: &Control,
    chunk_elems: usize,
    batch: usize,
    map: impl Fn(usize, &[f64]) -> R + Sync,
    acc: &mut A,
    mut merge: impl FnMut(&mut A, R),
) -> Result<()>
where
    R: Send,
{
    let h = file.header();
    let (dtype, order) = (h.dtype, h.byte_order);
    let item = dtype.size();
    let len = file.len();
    if len == 0 {
        return Ok(());
    }
    let chunk_elems = chunk_elems.max(1);
    let n_chunks = len.div_ceil(chunk_elems);
    let threads = ctl.thread_count();
    let scratch: Vec<Mutex<Scratch>> = (0..threads + 1).map(|_| Mutex::default()).collect();
    let whole_map = match ctl.io {
        IoMode::Mmap => {
            // SAFETY: read-only map; see NpyFile::map.
            let m = unsafe { MmapOptions::new().map(file.file()) }
                .map_err(|e| OocError::io(file.path(), "mmap", e))?;
            let _ = m.advise(Advice::Sequential);
            Some(m)
        }
        _ => None,
    };
    let data_offset = h.data_offset as usize;

    let do_chunk = |ci: usize| -> Result<R> {
        if ctl.cancelled() {
            return Err(OocError::Interrupted {
                path: file.path().into(),
            });
        }
        let start = ci * chunk_elems;
        let n = chunk_elems.min(len - start);
        let nbytes = n * item;
        let offset = data_offset + start * item;
        let slot = rayon::current_thread_index()
            .unwrap_or(threads)
            .min(threads);
        let mut guard = scratch[slot].lock().unwrap_or_else(|p| p.into_inner());
        let Scratch { raw, vals } = &mut *guard;
        let chunk_map: Option<Mmap>;
        let bytes: &[u8] = match ctl.io {
            IoMode::Pread => {
                raw.resize(nbytes.div_ceil(8), 0);
                // SAFETY: u64 storage viewed as bytes; any byte pattern is valid.
                let buf =
                    unsafe { std::slice::from_raw_parts_mut(raw.as_mut_ptr() as *mut u8, nbytes) };
                read_exact_at(file.path(), file.file(), buf, offset as u64)?;
                buf
            }
            IoMode::Mmap => {
                let m = whole_map.as_ref().expect("mapped above");
                let _ = m.advise_range(Advice::WillNeed, offset, nbytes);
                &m[offset..offset + nbytes]
            }
            IoMode::MmapPopulate => {
                // SAFETY: read-only map of a range checked against the file size at open.
                let m = unsafe {
                    MmapOptions::new()
                        .offset(offset as u64)
                        .len(nbytes)
                        .populate()
                        .map(file.file())
                }
                .map_err(|e| OocError::io(file.path(), "mmap", e))?;
                chunk_map = Some(m);
                &chunk_map.as_ref().unwrap()[..]
            }
        };
        let values: &[f64] = match as_native_f64(dtype, order, bytes) {
            Some(v) => v,
            None => {
                vals.resize(n, 0.0);
                decode_to_f64(dtype, order, bytes, vals);
                &vals[..]
            }
        };
        let r = map(start, values);
        if let Some(m) = &whole_map {
            // Release the pages of this chunk. A page shared with the next chunk is left to
            // that chunk (which releases the page holding its start), so none is kept.
            let lo = offset / 4096 * 4096;
            let hi = if start + n == len {
                (offset + nbytes).div_ceil(4096) * 4096
            } else {
                (offset + nbytes) / 4096 * 4096
            };
            if hi > lo {
                // SAFETY: the map is read-only and file-backed, so dropping its pages loses
                // nothing: a later access faults them back in from the page cache. No slice
                // into these pages outlives this point (values/bytes were consumed by `map`).
                unsafe {
                    let _ = m.unchecked_advise_range(UncheckedAdvice::DontNeed, lo, hi - lo);
                }
            }
        }
        ctl.report(nbytes as u64);
        Ok(r)
    };

    let batch = batch.max(threads * 2);
    let pool = ctl.pool()?;
    let mut first = 0;
    while first < n_chunks {
        let last = first.saturating_add(batch).min(n_chunks);
        let results: Vec<Result<R>> =
            pool.install(|| (first..last).into_par_iter().map(&do_chunk).collect());
        for r in results {
            merge(acc, r?);
        }
        first = last;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("8M"), Some(8 << 20));
        assert_eq!(parse_size("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_size("12 kb"), Some(12 << 10));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5X"), None);
    }

    #[test]
    fn chunks_respect_limit() {
        let ctl = Control {
            memory_limit: 8 << 20,
            threads: 2,
            ..Control::default()
        };
        let e = ctl.chunk_elems(8, 0);
        assert!(e * 8 * 2 <= 4 << 20 && e.is_multiple_of(512), "{e}");
        let tiny = Control {
            memory_limit: 1000,
            threads: 2,
            ..Control::default()
        };
        assert_eq!(tiny.chunk_elems(8, 0), 512);
    }
}
