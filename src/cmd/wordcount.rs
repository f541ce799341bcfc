//! `hpcrs wordcount`: the course's Moby Dick word count on the dataset engine.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use dataset::{Context, Dataset};
use runtime::pool::Threads;
use workloads::wordcount::{course_pipeline, fast_pipeline, read_stopwords, top_words, StopWords};

/// Bytes per block of lines on the fast path: large enough to make the
/// per-block cost vanish, small enough that a stream's blocks (read into
/// memory, where a file's are ranges of its map) stay in cache.
const BLOCK_BYTES: usize = 256 << 10;

/// Most partitions `--partitions` accepts: every partition is a map task and
/// a reduce task with costs of their own (opening a split, a word table),
/// so beyond a few thousand the tasks, not the words, are the work.
const MAX_PARTITIONS: usize = 4096;

/// Arguments of `hpcrs wordcount`.
#[derive(clap::Args)]
pub struct Args {
    /// Text files or directories of text files [default: data/mobydick.txt].
    files: Vec<PathBuf>,
    /// Stop words, one per line (read as the course does: split on '\n').
    #[arg(long, default_value = "data/stopwords.txt")]
    stopwords: PathBuf,
    /// How many of the most frequent words to print (ties alphabetical).
    #[arg(long, default_value_t = 5, value_parser = crate::args::count::<usize>, allow_negative_numbers = true)]
    top: usize,
    /// Minimum partitions per input, 1 to 4096 [default: 2 per thread].
    #[arg(long, value_parser = crate::args::count::<usize>, allow_negative_numbers = true)]
    partitions: Option<usize>,
    /// Worker threads (0 or absent: one per core; at most 1024); per rank
    /// with --local or under mpirun, where the default is 1.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// Run the course's pipeline literally (a String per word through
    /// flat_map/map/filter/reduce_by_key) instead of the fast path.
    #[arg(long)]
    course: bool,
    /// Print the lineage (like toDebugString) to standard error; on ranks it
    /// shows where the shuffle's buckets cross between them.
    #[arg(long)]
    lineage: bool,
    /// Print input size, time and throughput to standard error (on ranks,
    /// and the bytes of shuffle buckets each rank sent and received).
    #[arg(long)]
    stats: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Run the distributed engine on N ranks as threads of this process (one
    /// thread each unless --threads), as `mpirun -np N hpcrs wordcount` runs
    /// it on N processes.
    #[arg(long, value_name = "N", value_parser = crate::args::count::<usize>, allow_negative_numbers = true)]
    local: Option<usize>,
}

/// Most ranks `--local` starts (one thread each).
const MAX_LOCAL_RANKS: usize = 256;

/// Runs `hpcrs wordcount`: in this process on its threads; on `--local N`
/// ranks as threads; or, launched by `mpirun` (a build with `--features
/// mpi`), as one rank of the MPI job. The ranks run the same distributed
/// job, and rank 0 prints what one process prints.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // The corpus is read through memory maps: a file cut short while it is
    // read ends the run with one line naming it.
    crate::sigbus::install("");
    let files = if args.files.is_empty() {
        vec![PathBuf::from("data/mobydick.txt")]
    } else {
        args.files.clone()
    };
    let stopwords = read_stopwords(&args.stopwords).with_context(|| {
        format!(
            "cannot read the stop-word list {}",
            args.stopwords.display()
        )
    })?;
    match args.partitions {
        Some(0) => anyhow::bail!("--partitions must be at least 1"),
        Some(n) if n > MAX_PARTITIONS => {
            anyhow::bail!("--partitions {n} is too many: at most {MAX_PARTITIONS}")
        }
        _ => {}
    }
    let job = Job {
        args: &args,
        files: &files,
        stopwords: Arc::new(stopwords),
    };
    if let Some(ranks) = args.local {
        return on_local_ranks(&job, ranks);
    }
    if crate::mpi_handoff::launched_by_mpirun() {
        return on_mpi(&job);
    }
    let ctx = job.settings(true, Threads::AllCores).build()?;
    let counted = job.count(&ctx).with_context(|| job.failed())?;
    job.print(&ctx, &counted)
}

/// `--local N`: the distributed job on N ranks as threads of this process.
fn on_local_ranks(job: &Job, ranks: usize) -> anyhow::Result<ExitCode> {
    if ranks == 0 || ranks > MAX_LOCAL_RANKS {
        anyhow::bail!("--local {ranks}: the number of ranks must be 1 to {MAX_LOCAL_RANKS}");
    }
    let settings = |rank: usize| job.settings(rank == 0, Threads::Exactly(1));
    let mut results = dataset::run_on_local_ranks(ranks, settings, |ctx| {
        Ok((job.count(ctx)?, ctx.default_parallelism(), ctx.threads()))
    })
    .with_context(|| job.failed())?;
    let (counted, parallelism, threads) = results.swap_remove(0);
    job.print_as(&counted, ranks, threads, parallelism)
}

/// Under `mpirun`: this process is one rank of the job. When the launcher
/// announced the rank and size (it does, for MPICH and Open MPI), the count
/// starts on a thread of its own at once, reading and counting this rank's
/// part of the input while this thread starts MPI (`MPI_Init`, which stays on
/// the main thread, as `MPI_Finalize` at exit does); the count's first
/// collective waits for MPI. Otherwise MPI starts first.
#[cfg(feature = "mpi")]
fn on_mpi(job: &Job) -> anyhow::Result<ExitCode> {
    use comm::Communicator as _;
    let Some((rank, size)) = comm::launcher_rank_and_size(|v| std::env::var(v).ok()) else {
        let world = comm::Mpi::init()?;
        let (rank, size) = (world.rank(), world.size());
        let ctx = job
            .settings(rank == 0, Threads::Exactly(1))
            .build_on(world)?;
        let counted = job.count(&ctx);
        return job.finish_on_rank(&ctx, rank, size, counted);
    };
    let (ctx, connector) = job
        .settings(rank == 0, Threads::Exactly(1))
        .build_pending::<comm::Mpi>(rank, size)?;
    let (counted, started) = std::thread::scope(|s| {
        let counting = s.spawn(|| job.count(&ctx));
        // Either way the connector is used up here, so the count never
        // waits for a communicator that is not coming.
        let started = match comm::Mpi::init() {
            Ok(world) => connector.connect(world).map_err(anyhow::Error::from),
            Err(e) => {
                connector.fail(&e.to_string());
                Err(e.into())
            }
        };
        let counted = counting
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (counted, started)
    });
    started.context("cannot start MPI")?;
    job.finish_on_rank(&ctx, rank, size, counted)
}

/// Under `mpirun` without MPI support: every process would count and print
/// the whole job on its own; say how to build with MPI instead.
#[cfg(not(feature = "mpi"))]
fn on_mpi(_job: &Job) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this hpcrs was built without MPI: install MPI with scripts/setup-mpi.sh, build with \
         `cargo build --release --features mpi` and run `mpirun -np N hpcrs wordcount`, \
         or use `hpcrs wordcount --local N` for N ranks as threads"
    )
}

impl Job<'_> {
    /// What rank `rank` of `size` does with its count: rank 0 prints it or
    /// the error every rank shares; a failure only this rank knows ends the
    /// job, so no rank waits for this one.
    #[cfg(feature = "mpi")]
    fn finish_on_rank(
        &self,
        ctx: &Context,
        rank: usize,
        size: usize,
        counted: dataset::Result<Counted>,
    ) -> anyhow::Result<ExitCode> {
        match counted {
            Ok(counted) if rank == 0 => self.print(ctx, &counted),
            Ok(_) => Ok(ExitCode::SUCCESS),
            // Every rank has this error: rank 0 reports it, the others just fail.
            Err(e @ dataset::DatasetError::RankFailed { .. }) if rank == 0 => {
                Err(anyhow::Error::new(e).context(self.failed()))
            }
            Err(dataset::DatasetError::RankFailed { .. }) => Ok(ExitCode::FAILURE),
            Err(e) => {
                eprintln!(
                    "hpcrs: error: rank {rank} of {size}: {}: {e}",
                    self.failed()
                );
                ctx.abort_job(comm::ABORT_CODE)
            }
        }
    }
}

/// One word count, as every rank runs it.
struct Job<'a> {
    args: &'a Args,
    files: &'a [PathBuf],
    stopwords: Arc<StopWords>,
}

/// What a rank's word count found.
struct Counted {
    top: Vec<(String, u64)>,
    partitions: usize,
    seconds: f64,
    /// The lineage, with `--lineage`.
    lineage: Option<String>,
    /// Every rank's metrics (bytes shuffled), with `--stats`.
    metrics: Vec<dataset::Metrics>,
}

impl Job<'_> {
    /// The context's settings: `--threads` (else `threads`), and the
    /// progress bar on the rank that prints.
    fn settings(&self, prints: bool, threads: Threads) -> dataset::ContextBuilder {
        let threads = match self.args.threads.unwrap_or(threads) {
            Threads::AllCores => 0,
            Threads::Exactly(n) => n,
        };
        let progress = match prints {
            true => crate::progress::Bar::shared(self.args.quiet),
            false => runtime::progress::silent(),
        };
        Context::builder().threads(threads).progress(progress)
    }

    /// What a failed count says.
    fn failed(&self) -> String {
        let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        format!("cannot count the words of {}", names.join(", "))
    }

    /// Counts the words on `ctx`: on every rank, the same calls.
    fn count(&self, ctx: &Context) -> dataset::Result<Counted> {
        let args = self.args;
        let partitions = args.partitions.unwrap_or(2 * ctx.default_parallelism());
        let start = Instant::now();
        let stopwords = Arc::clone(&self.stopwords);
        // The fast path scans the lines' bytes where they lie (the file
        // mapped into memory: no copy, no UTF-8 check); the course's pipeline
        // needs one `String` per line.
        let (counts, partitions) = if args.course {
            let lines = self.union(|f| ctx.text_file(f, partitions));
            (course_pipeline(&lines, stopwords), lines.num_partitions())
        } else {
            let blocks = self.union(|f| ctx.text_file_bytes(f, partitions, BLOCK_BYTES));
            (fast_pipeline(&blocks, stopwords), blocks.num_partitions())
        };
        let lineage = args.lineage.then(|| counts.debug_string());
        let top = top_words(&counts, args.top)?;
        let seconds = start.elapsed().as_secs_f64();
        let metrics = match args.stats {
            true => ctx.metrics_of_ranks()?,
            false => Vec::new(),
        };
        Ok(Counted {
            top,
            partitions,
            seconds,
            lineage,
            metrics,
        })
    }

    /// The union of `source(file)` over the input files, in order.
    #[track_caller]
    fn union<T: dataset::Data>(&self, source: impl Fn(&PathBuf) -> Dataset<T>) -> Dataset<T> {
        let mut all = source(&self.files[0]);
        for f in &self.files[1..] {
            all = all.union(&source(f));
        }
        all
    }

    /// Prints what one process found on `ctx`.
    fn print(&self, ctx: &Context, counted: &Counted) -> anyhow::Result<ExitCode> {
        self.print_as(
            counted,
            ctx.ranks(),
            ctx.threads(),
            ctx.default_parallelism(),
        )
    }

    /// Prints the lineage, the top words and the statistics: what a run on
    /// `ranks` ranks of `threads` threads each found.
    fn print_as(
        &self,
        counted: &Counted,
        ranks: usize,
        threads: usize,
        parallelism: usize,
    ) -> anyhow::Result<ExitCode> {
        if let Some(lineage) = &counted.lineage {
            eprint!("{lineage}");
        }
        let mut out = std::io::stdout().lock();
        for (word, count) in &counted.top {
            writeln!(out, "{word} {count}")?;
        }
        out.flush()?;
        if self.args.stats {
            let bytes: u64 = self.files.iter().map(|f| input_bytes(f)).sum();
            let on = match ranks {
                1 => format!("{parallelism} threads"),
                _ => format!("{ranks} ranks of {threads} thread(s)"),
            };
            eprintln!(
                "{} bytes in {} partitions on {on}: {:.3} s, {:.1} MB/s",
                bytes,
                counted.partitions,
                counted.seconds,
                bytes as f64 / 1e6 / counted.seconds
            );
            if ranks > 1 {
                for (rank, m) in counted.metrics.iter().enumerate() {
                    eprintln!(
                        "rank {rank}: {} bytes of shuffle buckets sent, {} received",
                        m.shuffle_bytes_sent, m.shuffle_bytes_received
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Bytes of a file, or of the files of a directory (for --stats only).
fn input_bytes(path: &std::path::Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0),
        Err(_) => 0,
    }
}
