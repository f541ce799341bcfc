//! The heap view of a profile (`--memory`), in the spirit of dhat and
//! memory_profiler: how much the program's heap holds over time, its peak
//! and when it happened, the allocation sites holding the most bytes at
//! the peak with their call stacks, and each named phase's increment.
//!
//! Only a program can install a global allocator, so the counting
//! allocator lives in the program; it calls this module's hooks,
//! [`allocated`], [`freed`] and [`reallocated`], after the system
//! allocator did the work, and only while [`is_active`] (one relaxed
//! atomic load, so the allocator costs next to nothing when no memory
//! profile runs):
//!
//! ```
//! use std::alloc::{GlobalAlloc, Layout, System};
//!
//! struct Counting;
//!
//! // SAFETY: every method forwards to the system allocator with the
//! // caller's arguments; the hooks only count.
//! unsafe impl GlobalAlloc for Counting {
//!     unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
//!         // SAFETY: the caller's guarantees are the system allocator's.
//!         let ptr = unsafe { System.alloc(layout) };
//!         if profile::memory::is_active() && !ptr.is_null() {
//!             profile::memory::allocated(ptr, layout.size());
//!         }
//!         ptr
//!     }
//!     unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
//!         if profile::memory::is_active() {
//!             profile::memory::freed(ptr, layout.size());
//!         }
//!         // SAFETY: as above.
//!         unsafe { System.dealloc(ptr, layout) }
//!     }
//! }
//!
//! #[global_allocator]
//! static ALLOCATOR: Counting = Counting;
//!
//! let options = profile::Options {
//!     memory: Some(profile::MemoryOptions::default()),
//!     ..profile::Options::default()
//! };
//! let (_, report) = profile::run(options, || drop(std::hint::black_box(vec![1u8; 1 << 20])))?;
//! let memory = report.memory().expect("asked for");
//! assert!(memory.peak_bytes() >= 1 << 20);
//! # Ok::<(), profile::ProfileError>(())
//! ```
//!
//! (`alloc_zeroed` and `realloc` have defaults that go through `alloc`;
//! a program's allocator forwards them too, calling [`allocated`] and
//! [`reallocated`].)
//!
//! What is measured:
//!
//! - **the heap**: bytes the program allocated through its global
//!   allocator since the profile started and has not freed, counted exactly
//!   at every allocation and free (memory the C libraries take with
//!   `malloc` is not in it, and a block from before the start freed during
//!   the profile lowers it);
//! - **allocation sites**: the call stack of an allocation is taken for
//!   every allocation of at least [`MemoryOptions::record_all_from`] bytes
//!   (exact counts), and for smaller ones by sampling, as heap profilers do:
//!   each byte allocated is a sample with the same small probability, so
//!   that an allocation of `s` bytes is taken with probability
//!   `1 - exp(-s / interval)` and stands for `s / p` bytes (an unbiased
//!   estimate);
//! - **over time**: a thread of the profiler reads the heap and, through
//!   the [`RssReader`] the program passes (libraries do not read `/proc`),
//!   the resident memory, every [`MemoryOptions::period`];
//! - **phases**: the heap at the end of each named phase less the heap at
//!   its start (memory_profiler's "Increment"), per phase name.

mod font;
mod hooks;
mod plot;
mod report;
mod sites;
mod state;
mod text;
mod timeline;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use hooks::{allocated, freed, is_active, reallocated};
pub use report::{MemoryPhase, MemoryReport, MemorySite, StackFrame, TimePoint};

pub(crate) use hooks::{phase_begin, phase_end, unobserved, Session};
pub(crate) use sites::build;
pub(crate) use text::summary as summary_line;

/// What the memory view measures and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryOptions {
    /// Mean bytes allocated between two sampled allocations (smaller
    /// allocations than [`MemoryOptions::record_all_from`]).
    pub interval: u64,
    /// Allocations of at least this many bytes are all recorded, with their
    /// exact sizes and counts.
    pub record_all_from: u64,
    /// How often the heap and the resident memory are read for the picture
    /// over time.
    pub period: Duration,
    /// How many allocation sites `memory.txt` shows.
    pub sites: usize,
    /// Reads the process's resident memory (e.g. from `/proc/self/statm`);
    /// without one, only the heap is drawn.
    pub rss: Option<RssReader>,
}

impl MemoryOptions {
    /// The default [`MemoryOptions::interval`]: 512 KiB, as tcmalloc's heap
    /// profiler samples.
    pub const DEFAULT_INTERVAL: u64 = 512 << 10;
    /// The default [`MemoryOptions::record_all_from`]: 64 KiB.
    pub const DEFAULT_RECORD_ALL_FROM: u64 = 64 << 10;
    /// The default [`MemoryOptions::period`]: 10 ms.
    pub const DEFAULT_PERIOD: Duration = Duration::from_millis(10);
    /// The default [`MemoryOptions::sites`].
    pub const DEFAULT_SITES: usize = 10;
}

impl Default for MemoryOptions {
    fn default() -> Self {
        MemoryOptions {
            interval: MemoryOptions::DEFAULT_INTERVAL,
            record_all_from: MemoryOptions::DEFAULT_RECORD_ALL_FROM,
            period: MemoryOptions::DEFAULT_PERIOD,
            sites: MemoryOptions::DEFAULT_SITES,
            rss: None,
        }
    }
}

/// A function that reads the process's resident memory in bytes (`None`
/// when it cannot), called from the profiler's timeline thread.
#[derive(Clone)]
pub struct RssReader(Arc<dyn Fn() -> Option<u64> + Send + Sync>);

impl RssReader {
    /// Wraps `read`.
    pub fn new(read: impl Fn() -> Option<u64> + Send + Sync + 'static) -> RssReader {
        RssReader(Arc::new(read))
    }

    /// Reads the resident memory now.
    pub fn read(&self) -> Option<u64> {
        (self.0)()
    }
}

impl fmt::Debug for RssReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RssReader(..)")
    }
}

/// Two readers are equal when they are the same function.
impl PartialEq for RssReader {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RssReader {}

/// The files of the memory view, written beside [`crate::FILES`] when
/// [`crate::Options::memory`] is set.
pub const MEMORY_FILES: [&str; 2] = ["memory.txt", "memory.png"];
