//! Out-of-core arrays: `.npy` files bigger than memory, created, reduced, indexed and
//! computed with chunk by chunk on all cores, in bounded memory.
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
//! let s = reduce::stats(&a, &ctl)?.stats;             // whole array
//! assert_eq!(s.count(), 120_000);
//! assert!((s.mean() - 0.5).abs() < 0.01 && (s.stdev() - 0.2887).abs() < 0.01);
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
//! - **Reading**: the file is cut into fixed chunks (at most 2 MiB, fewer when
//!   [`Control::memory_limit`] is small) reduced in parallel and merged in chunk order, so
//!   results do not depend on how chunks are spread over threads. A chunk's bytes come
//!   from one map of the whole file (the default, the least CPU per byte: no copy), a
//!   `MAP_POPULATE` map per chunk, or `pread` into reused buffers ([`IoMode`]); mapped
//!   pages are released with `MADV_DONTNEED` once a thread holds its share of the memory
//!   limit (up to 64 MiB: each release interrupts the other cores), which keeps the
//!   resident set bounded where numpy's memmap makes the whole file resident.
//! - **Unreadable pages**: a file's size is checked against its header at open and again
//!   before every map, so a truncated file is an error. A page that goes missing later (the
//!   file truncated while being read, a sparse file on a full `tmpfs`) can only fault with
//!   `SIGBUS`; every map is recorded in [`runtime::mapped`] (address range and path) so that a
//!   program's signal handler can name the file. This crate installs no handler itself.
//! - **Statistics** ([`stats`]): per 1024-value block, two passes in L1 (sum, min, max; then
//!   squared deviations from the block mean), 16 lanes compiled for AVX2 when the CPU has it;
//!   blocks, chunks and threads are combined with Chan et al.'s pairwise formula into a
//!   [`runtime::stats::Stats`]. Stable where the textbook `E[x²] − E[x]²` fails (see the
//!   tests); NaN propagates as in numpy; the statistics of an empty array are NaN. The min
//!   and max of integer arrays are exact integers ([`IntRange`]): `f64` cannot hold every
//!   `i64`, so those are found on the stored integers.
//! - **Values** ([`Scalar`]): a fill value is read in the array's own type
//!   ([`Scalar::parse`]) and stored exactly; shapes are checked ([`shape`]) against numpy's
//!   64 dimensions and the largest file before anything is created.
//! - **Random fill**: [`runtime::rng::Stream`], SplitMix64 used as a counter-based
//!   generator, so element `k` is a function of `(seed, k)` alone: the same seed gives the
//!   same file whatever the thread count or chunk size.
//! - **Writing** ([`create()`]): chunks are generated in parallel and written in file order by
//!   one writer while the next batch is generated; the file is a uniquely named hidden
//!   temporary in the same directory ([`runtime::atomic::AtomicFile`]), fsynced (unless
//!   asked not to) and renamed into place only when complete. Cancellation (Ctrl-C in
//!   `hpcrs`) removes the temporary; a SIGKILL leaves it (`.NAME.XXXXXX.tmp`) but never a
//!   partial file under the final name, and the next creation of the same file removes it.
//! - **Bounded memory**: [`Control::memory_limit`] bounds the chunk buffers and mapped
//!   pages at once (half for chunks, half headroom); the command-line tests check the peak
//!   RSS of a 48 MiB pass under an 8 MiB limit.
//! - **Expressions** ([`eval`]): an [`expr`] expression over the arrays of `.npy` files
//!   (`a*b + 1`, stencils, `sum(a, axis=1)`...), evaluated in bands of rows read in place
//!   from the files' maps and released afterwards, the result written band by band to a
//!   new file; bit for bit what [`expr::evaluate`] gives in memory.
//! - **Threads and progress** come from [`runtime`]: [`Control::threads`] is a
//!   [`runtime::pool::Threads`], [`Control::progress`] a [`runtime::Progress`] told the
//!   total bytes, each chunk done and the end.
#![deny(missing_docs)]

pub mod array;
pub mod control;
pub mod create;
pub mod decode;
pub mod dtype;
mod engine;
pub mod error;
pub mod eval;
mod fill;
pub mod header;
mod int_range;
pub mod memory;
mod new_file;
mod read;
pub mod reduce;
pub mod scalar;
pub mod shape;
mod stale;
pub mod stats;
pub mod unfinished;
mod write;

pub use array::{Elements, NpyFile, NpyFileMut};
pub use control::{Control, IoMode};
pub use create::{create, CreateOptions, Fill};
pub use dtype::{ByteOrder, DType};
pub use error::{OocError, Result};
pub use header::Header;
pub use int_range::IntRange;
pub use reduce::{AxisStats, Summary};
pub use runtime::pool::Threads;
pub use runtime::stats::Stats;
pub use scalar::Scalar;
