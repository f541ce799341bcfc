//! Out-of-core arrays: `.npy` files bigger than memory, created, reduced and indexed chunk
//! by chunk on all cores, in bounded memory.
//!
//! This is the course's `numpy.memmap` section ("Out-of-core computations": a 40000×40000
//! float64 file written row by row, then averaged) made fast and safe. Files are plain
//! `.npy` (format 1.0 to 3.0; f64, f32, i64, i32, u8, bool; C or Fortran order; little- or
//! big-endian on read), so `numpy.load(path, mmap_mode='r')` opens what this crate writes
//! and the other way round.
//!
//! ```
//! use ooc::{create, reduce, Control, CreateOptions, Fill, NpyFile};
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("big.npy");
//! let opts = CreateOptions { fill: Fill::Random { seed: 1 }, ..Default::default() };
//! let ctl = Control { memory_limit: 1 << 20, ..Control::default() }; // 1 MiB at a time
//! create(&path, &[400, 300], &opts, &ctl)?;
//! let a = NpyFile::open(&path)?;
//! let s = reduce::stats(&a, &ctl)?;                   // whole array
//! assert_eq!(s.count, 120_000);
//! assert!((s.mean - 0.5).abs() < 0.01 && (s.std() - 0.2887).abs() < 0.01);
//! let rows = reduce::stats_axis(&a, 1, &ctl)?;        // one result per row
//! assert_eq!(rows.shape, [400]);
//! let x = a.get(&[399, 299])?.to_f64();               // random element access
//! assert!((0.0..1.0).contains(&x));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - **Own header code** ([`header`]), not `ndarray-npy`: that crate reads into or maps
//!   whole `ndarray`s of native byte order, while this one must stream any part of a file
//!   of any supported dtype and byte order, write the header of a file that is then filled
//!   chunk by chunk under a temporary name, and report every corrupt header precisely.
//!   The header is a small Python-literal dict; its parser is ~150 lines with tests.
//! - **Reading** ([`engine`]): the file is cut into fixed chunks (at most 2 MiB, fewer when
//!   `memory_limit` is small) reduced in parallel and merged in chunk order, so results do
//!   not depend on the thread count. Three readers were measured on a 2 GiB file in the page
//!   cache (`scripts/ooc_bench.sh`, `BENCHMARKS.md`): one `mmap` of the file with
//!   `MADV_WILLNEED` before and `MADV_DONTNEED` after each chunk, a `MAP_POPULATE` map per
//!   chunk, and parallel `pread` into reused buffers. `pread` spends half its time copying
//!   (`_copy_to_iter` in `perf`); the maps avoid the copy and the kernel maps page-cache
//!   large folios many pages per fault (about 5 800 faults per GiB), so the whole-file map
//!   costs the least CPU per byte and is the default. `MADV_HUGEPAGE` changed nothing (same
//!   fault count). `MADV_DONTNEED` after each chunk is what keeps the resident set bounded:
//!   without it a full pass over a mapped file makes all of it resident, as with numpy.
//! - **Statistics** ([`stats`]): per 1024-value block, two passes in L1 (sum, min, max; then
//!   squared deviations from the block mean), 16 lanes compiled for AVX2 when the CPU has it;
//!   blocks, chunks and threads are combined with Chan et al.'s pairwise formula. Stable
//!   where the textbook `E[x²] − E[x]²` fails (see the tests), NaN propagates as in numpy.
//! - **Random fill** ([`rng`]): SplitMix64 used as a counter-based generator, so element
//!   `k` is a function of `(seed, k)` alone: the same seed gives the same file whatever the
//!   thread count or chunk size.
//! - **Writing** ([`create`]): chunks are generated in parallel and written in file order by
//!   one writer while the next batch is generated; the file is a hidden temporary in the
//!   same directory, fsynced (unless asked not to) and renamed into place only when
//!   complete. Cancellation (Ctrl-C in `hpcrs`) removes the temporary; a SIGKILL leaves it
//!   (hidden, named `.NAME.part-PID-…`) but never a partial file under the final name.
//! - **Bounded memory**: [`Control::memory_limit`] bounds the chunk buffers and mapped
//!   pages at once (half for chunks, half headroom); `tests/ooc_memory.rs` checks the peak
//!   RSS of a 48 MiB pass under an 8 MiB limit.
#![warn(missing_docs)]

pub mod array;
pub mod create;
pub mod dtype;
pub mod engine;
pub mod error;
pub mod header;
pub mod reduce;
pub mod rng;
pub mod stats;

pub use array::{NpyFile, NpyFileMut};
pub use create::{create, CreateOptions, Fill};
pub use dtype::{ByteOrder, DType, Scalar};
pub use engine::{Control, IoMode};
pub use error::{OocError, Result};
pub use header::Header;
pub use reduce::AxisStats;
pub use stats::Stats;
