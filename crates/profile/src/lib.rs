//! A sampling profiler for compiled, threaded code, with the three views
//! the HPC Python course gets from cProfile, line_profiler and a flame graph.
//!
//! [`Profiler::start`] installs a SIGPROF handler that samples the stack of
//! whichever thread of the process is using the CPU, a chosen number of
//! times per second of CPU time ([`Rate`]), and installs
//! the recorder of the named phases the libraries mark with
//! [`runtime::phase::enter`]. [`Profiler::finish`] stops both, resolves the
//! stacks to functions and lines through the debug info (inlined functions
//! as their own frames) and returns a [`Report`]:
//!
//! - `functions.txt`: every function seen with its samples, self time
//!   (`tottime`) and cumulative time (`cumtime`), by cumulative time, as
//!   `python -m cProfile -s cumulative` prints; the named phases with exact
//!   call counts and times; what each thread did;
//! - `lines.txt`: the source of the functions with the most self time with
//!   each line's Hits, Time, Per Hit and % Time, as `kernprof -l -v` prints;
//! - `flamegraph.svg` (inferno) and `profile.pb.gz` (pprof's format);
//! - with [`Options::memory`], the heap view ([`memory`], memory_profiler's
//!   and dhat's): `memory.txt`, the peak heap, when it happened, the
//!   allocation sites holding the most bytes then with their call stacks,
//!   and each named phase's increment; `memory.png`, the heap and the
//!   resident memory over time, as `mprof plot` draws them. It needs the
//!   program's global allocator to call [`memory`]'s hooks.
//!
//! [`run`] is the analogue of `cProfile.run`:
//!
//! ```
//! use std::hint::black_box;
//!
//! let (sum, report) = profile::run(profile::Options::default(), || {
//!     let _phase = runtime::phase::enter("sum");
//!     (0..20_000_000u64).map(black_box).sum::<u64>()
//! })?;
//! assert_eq!(sum, 19_999_999 * 10_000_000);
//! assert_eq!((report.phases()[0].name, report.phases()[0].calls), ("sum", 1));
//! let dir = tempfile::tempdir()?;
//! let files = report.write_to(dir.path())?;
//! assert_eq!(files.len(), profile::FILES.len());
//! println!("{}", report.summary(10));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Adding a view: its option goes in [`Options`], what it collects starts
//! in [`Profiler::start`] and is taken in [`Profiler::finish`], and its
//! files are written by [`Report::write_to`], rendered by a module of its
//! own, as the heap view's ([`memory`], [`MEMORY_FILES`]) are.
//!
//! One profiler runs at a time in a process: the signal handler, its timer
//! and the phase recorder are process-wide. Per-thread attribution relies
//! on the kernel sending a process's CPU-timer signal to the thread that
//! used the time, as Linux does since 6.4.

#![deny(missing_docs)]

mod analysis;
mod error;
mod flamegraph;
mod functions_txt;
mod lines_txt;
pub mod memory;
mod model;
mod names;
mod objects;
mod phases;
mod pprof_out;
mod rate;
mod report;
mod sampler;
mod source;
mod symbolize;

use std::panic::{self, AssertUnwindSafe, UnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

pub use analysis::{FunctionRow, LineRow, ThreadRow};
pub use error::ProfileError;
pub use memory::{MemoryOptions, MemoryReport, RssReader, MEMORY_FILES};
pub use phases::PhaseStats;
pub use rate::Rate;
pub use report::{Report, FILES};

use phases::PhaseRecorder;
use sampler::Sampler;

/// How to profile and what to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Samples per second of CPU time.
    pub rate: Rate,
    /// How many functions `lines.txt` shows (those with the most self time).
    pub lines: usize,
    /// Directories the source files named by the debug info are looked for
    /// under (a relative path, or an absolute one from another machine),
    /// and that the reports show paths relative to. Usually the workspace
    /// root.
    pub source_roots: Vec<PathBuf>,
    /// The heap view (`memory.txt`, `memory.png`), memory_profiler's
    /// `@profile` and `mprof`: `None` leaves it out.
    pub memory: Option<MemoryOptions>,
}

impl Options {
    /// The default number of functions in `lines.txt`.
    pub const DEFAULT_LINES: usize = 5;
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate: Rate::DEFAULT,
            lines: Options::DEFAULT_LINES,
            source_roots: Vec::new(),
            memory: None,
        }
    }
}

/// A running profiler; [`Profiler::finish`] stops it and returns the
/// report. Dropped without finishing, it stops and forgets the samples.
pub struct Profiler {
    // Field order is drop order: the sampler and the memory hooks stop
    // before the recorder goes.
    sampler: Sampler,
    memory: Option<memory::Session>,
    _installed: runtime::phase::Installed,
    recorder: Arc<PhaseRecorder>,
    options: Options,
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Profiler {
    /// Starts sampling every thread of the process and recording phases.
    /// Fails with [`ProfileError::AlreadyRunning`] if a profiler is running.
    /// With [`Options::memory`], fails with
    /// [`ProfileError::NoCountingAllocator`] if the program's global
    /// allocator does not call the [`memory`] hooks.
    pub fn start(options: Options) -> Result<Profiler, ProfileError> {
        let recorder = Arc::new(PhaseRecorder::new(options.memory.is_some()));
        let installed =
            runtime::phase::install(recorder.clone()).map_err(|_| ProfileError::AlreadyRunning)?;
        let sampler = Sampler::start(options.rate)?;
        // Last, so that the profiler's own allocations are not counted.
        let memory = options
            .memory
            .as_ref()
            .map(memory::Session::start)
            .transpose()?;
        Ok(Profiler {
            sampler,
            memory,
            _installed: installed,
            recorder,
            options,
        })
    }

    /// Stops sampling and recording, and builds the report (symbol lookup
    /// happens here, after the sampler stopped, so it is not profiled).
    pub fn finish(self) -> Result<Report, ProfileError> {
        let Profiler {
            sampler,
            memory,
            _installed,
            recorder,
            options,
        } = self;
        // The memory hooks first: the sampler's table, allocated before
        // they started, is freed as the sampler stops.
        let collected = memory.map(memory::Session::stop);
        let raw = sampler.stop();
        drop(_installed);
        let increments = recorder.take_increments();
        let (phases, phase_threads) = recorder.take();
        let samples = symbolize::symbolize(raw, options.rate);
        let analysis = analysis::analyse(&samples);
        let memory = collected.zip(options.memory.as_ref()).map(|(c, m)| {
            let mut names = phase_threads.clone();
            for t in &samples.threads {
                names.entry(t.id).or_insert_with(|| t.name.clone());
            }
            memory::build(
                c,
                increments,
                &names,
                m,
                &source::Sources::new(&options.source_roots),
            )
        });
        Ok(Report::new(
            samples,
            analysis,
            phases,
            phase_threads,
            memory,
            options,
        ))
    }
}

/// Runs `work` under a profiler and returns its result with the report:
/// `cProfile.run`'s analogue. On this thread, the frames above `work` are
/// left out of the report. If `work` panics, the profiler stops and the
/// panic goes on (see [`run_catching`] to keep the report).
pub fn run<T>(options: Options, work: impl FnOnce() -> T) -> Result<(T, Report), ProfileError> {
    // The panic is resumed at once, so nothing observes what it broke.
    let (outcome, report) = run_catching(options, AssertUnwindSafe(work))?;
    match outcome {
        Ok(out) => Ok((out, report)),
        Err(panic) => panic::resume_unwind(panic),
    }
}

/// [`run`], which also returns the report when `work` panics: the outcome
/// is `Err` with the panic's payload (to resume with
/// [`std::panic::resume_unwind`] once the report is written).
///
/// ```no_run
/// use std::panic::AssertUnwindSafe;
/// let (outcome, report) =
///     profile::run_catching(profile::Options::default(), AssertUnwindSafe(|| panic!("no")))?;
/// assert!(outcome.is_err());
/// report.write_to("profile-out")?;
/// # Ok::<(), profile::ProfileError>(())
/// ```
pub fn run_catching<T>(
    options: Options,
    work: impl FnOnce() -> T + UnwindSafe,
) -> Result<(std::thread::Result<T>, Report), ProfileError> {
    let profiler = Profiler::start(options)?;
    let outcome = panic::catch_unwind(|| profiled_root(work));
    Ok((outcome, profiler.finish()?))
}

/// The frame that marks where the profiled code starts (see
/// `symbolize::ROOT_MARKER`); the `black_box` after the call keeps it a
/// real frame (no tail call).
#[inline(never)]
fn profiled_root<T>(work: impl FnOnce() -> T) -> T {
    let out = work();
    std::hint::black_box(());
    out
}
