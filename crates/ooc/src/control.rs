//! How a long operation runs: the memory limit and the chunk size it implies, the threads,
//! the way chunks are read, progress and cancellation.

use std::sync::atomic::{AtomicBool, Ordering};

use runtime::pool::{self, Threads};
use runtime::progress::{Progress, Silent, Unit};

use crate::error::Result;
use crate::memory::default_memory_limit;

/// How the chunk engine gets the bytes of each chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum IoMode {
    /// Positioned reads (`pread`) into one reused buffer per thread.
    Pread,
    /// One read-only map of the whole file; a chunk not yet in memory is prefetched with
    /// `MADV_WILLNEED`, and each thread releases what it has reduced with `MADV_DONTNEED`
    /// once it holds its share of the memory limit, so resident memory stays bounded.
    /// The default: it costs the least CPU per byte (no copy).
    #[default]
    Mmap,
    /// A fresh map per chunk with `MAP_POPULATE` (all pages faulted in by one system call),
    /// unmapped when the chunk is done.
    MmapPopulate,
}

impl IoMode {
    /// Every mode, in the order the documentation lists them.
    pub const ALL: [IoMode; 3] = [IoMode::Pread, IoMode::Mmap, IoMode::MmapPopulate];

    /// The mode's name: `pread`, `mmap` or `mmap-populate`.
    pub fn name(self) -> &'static str {
        match self {
            IoMode::Pread => "pread",
            IoMode::Mmap => "mmap",
            IoMode::MmapPopulate => "mmap-populate",
        }
    }

    /// Parses a [name](IoMode::name).
    pub fn from_name(name: &str) -> Option<IoMode> {
        IoMode::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Largest chunk: 2 MiB keeps a chunk in L2/L3 between the copy and the reduction.
pub const MAX_CHUNK_BYTES: usize = 2 << 20;
/// Smallest chunk, whatever the memory limit: one page.
pub const MIN_CHUNK_BYTES: usize = runtime::layout::PAGE;
/// Most bytes of a mapped file a thread reads before releasing them (`--io mmap`): each
/// release interrupts the other cores, and 64 MiB makes that a few dozen times per
/// 2 GiB instead of a thousand.
pub const MAX_HELD_BYTES: usize = 64 << 20;

/// How a long operation is run: memory limit, threads, I/O mode, progress and cancellation.
pub struct Control<'a> {
    /// Upper bound on the bytes of file data held in memory at once (buffers and mapped pages);
    /// by default [`FALLBACK_MEMORY_LIMIT`](crate::memory::FALLBACK_MEMORY_LIMIT): a program
    /// sets [`crate::memory::default_memory_limit`] of the machine.
    pub memory_limit: u64,
    /// Worker threads (see [`runtime::pool`]).
    pub threads: Threads,
    /// How chunks are read.
    pub io: IoMode,
    /// Told the total bytes when an operation starts, the bytes of every chunk done (from
    /// any thread), and when it ends.
    pub progress: &'a dyn Progress,
    /// Checked before every chunk; when set, the operation stops with
    /// [`OocError::Interrupted`](crate::OocError::Interrupted).
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for Control<'_> {
    fn default() -> Self {
        Control {
            memory_limit: default_memory_limit(None),
            threads: Threads::AllCores,
            io: IoMode::default(),
            progress: &Silent,
            cancel: None,
        }
    }
}

impl Control<'_> {
    /// The number of worker threads this control asks for.
    pub fn thread_count(&self) -> usize {
        self.threads.count()
    }

    /// Chunk length in elements for elements of `item` bytes that need `extra` more bytes
    /// of per-thread scratch each (a decode buffer, for instance).
    ///
    /// Half of the memory limit goes to the per-thread chunk buffers, the rest is headroom
    /// for results and the pages the kernel maps around a fault.
    pub fn chunk_elems(&self, item: usize, extra: usize) -> usize {
        let bytes = (self.buffer_share() as usize).clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
        // Whole pages of input, so that mapped chunks release whole pages.
        let per_elem = item + extra;
        let elems = (bytes / per_elem).max(1);
        let page_elems = runtime::layout::PAGE / item;
        if elems >= page_elems {
            elems / page_elems * page_elems
        } else {
            elems
        }
    }

    /// Bytes of a mapped file one thread may hold before releasing them: its share of the
    /// half of the memory limit that [`Control::chunk_elems`] gives the chunk buffers (a
    /// mapped chunk needs no buffer), between one chunk of `chunk_bytes` and
    /// [`MAX_HELD_BYTES`].
    pub(crate) fn hold_bytes(&self, chunk_bytes: usize) -> usize {
        (self.buffer_share().min(MAX_HELD_BYTES as u64) as usize).max(chunk_bytes)
    }

    /// One thread's share of the half of the memory limit that goes to chunk buffers.
    fn buffer_share(&self) -> u64 {
        (self.memory_limit / 2) / self.thread_count() as u64
    }

    /// Whether the operation was asked to stop.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Announces an operation of `total` bytes to [`Control::progress`]; it is told the
    /// end when the returned guard is dropped, whether the operation succeeded or not.
    pub(crate) fn task(&self, what: &str, total: u64) -> Task<'_> {
        self.progress.start(what, Some(total), Unit::Bytes);
        Task(self.progress)
    }

    /// Runs `f` on the pool of [`Control::threads`].
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> Result<R> {
        Ok(pool::install(self.threads, f)?)
    }
}

/// An operation in progress: tells the progress receiver the end when dropped.
pub(crate) struct Task<'a>(&'a dyn Progress);

impl Drop for Task<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_limit() {
        let ctl = Control {
            memory_limit: 8 << 20,
            threads: Threads::Exactly(2),
            ..Control::default()
        };
        let e = ctl.chunk_elems(8, 0);
        assert!(e * 8 * 2 <= 4 << 20 && e.is_multiple_of(512), "{e}");
        let tiny = Control {
            memory_limit: 1000,
            threads: Threads::Exactly(2),
            ..Control::default()
        };
        assert_eq!(tiny.chunk_elems(8, 0), 512);
    }

    #[test]
    fn a_thread_holds_its_share_of_the_limit_within_bounds() {
        let ctl = |limit: u64, threads| Control {
            memory_limit: limit,
            threads: Threads::Exactly(threads),
            ..Control::default()
        };
        // Half of 64 MiB over 2 threads.
        assert_eq!(ctl(64 << 20, 2).hold_bytes(2 << 20), 16 << 20);
        // A large limit: at most MAX_HELD_BYTES.
        assert_eq!(ctl(6 << 30, 2).hold_bytes(2 << 20), MAX_HELD_BYTES);
        // A tiny limit: still the chunk being read.
        assert_eq!(ctl(1000, 2).hold_bytes(4096), 4096);
    }

    #[test]
    fn io_mode_names_round_trip() {
        for m in IoMode::ALL {
            assert_eq!(IoMode::from_name(m.name()), Some(m));
        }
        assert_eq!(IoMode::from_name("aio"), None);
    }
}
