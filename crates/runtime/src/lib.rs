//! What every hpcrs crate shares, written once: the backend names, the SIMD
//! level, the thread-pool policy, progress reporting, atomic file writes (and
//! the list of temporaries a program removes when a signal ends it),
//! streaming statistics, timings (best, median, slowest), human-readable
//! sizes and numbers, whether an allocation fits in memory, seeded random
//! streams, the text of a panic, the named phases a profiler counts, and how
//! to wait for another thread or process without holding a core.
//!
//! Nothing here prints, exits or reads the environment: the command line
//! (`src/`) decides, and tells this crate (for instance [`simd::limit`]).
//!
//! ```
//! use runtime::{pool, stats::Stats, Backend};
//!
//! let backend: Backend = "threads".parse()?;
//! assert_eq!(backend, Backend::Threads);
//!
//! // Run a closure on a pool of two threads (built once, then reused).
//! let mut s = pool::install(pool::Threads::Exactly(2), || {
//!     let mut s = Stats::default();
//!     for x in [1.0, 2.0, 3.0] {
//!         s.push(x);
//!     }
//!     s
//! })?;
//! assert_eq!(s.mean(), 2.0);
//! s.merge(&Stats::from_value(5.0));
//! assert_eq!((s.count(), s.max()), (4, 5.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod atomic;
pub mod atomic_dir;
pub mod backend;
pub mod backoff;
pub mod capped;
pub mod clock;
pub mod layout;
pub mod mapped;
pub mod memory;
pub mod number;
pub mod panic;
pub mod phase;
pub mod pool;
pub mod progress;
pub mod rng;
pub mod simd;
pub mod size;
pub mod stats;
pub mod temporaries;
pub mod timing;

pub use backend::{Backend, UnknownName};
pub use progress::{Progress, Silent};
pub use simd::{CpuVendor, Simd};
