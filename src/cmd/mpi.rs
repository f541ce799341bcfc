//! `hpcrs mpi`: the MPI examples of the course (hello, ring), the
//! halo-exchange micro-benchmark, and a self-test of every operation.
//!
//! Under `mpirun -np N` (a build with `--features mpi`) each process is one
//! rank; with `--local N` the ranks are threads of this process instead, which
//! works in any build.

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use comm::{conformance, Communicator, Local, Op};
use runtime::pool::MAX_THREADS;
use runtime::size::human_bytes;
use workloads::Flavour;

use crate::output::{self, outln, WritingStdout};

/// How to build and run with MPI, for error messages.
#[cfg_attr(feature = "mpi", allow(dead_code))]
const HOW_TO_BUILD: &str = "this hpcrs was built without MPI: install MPI with scripts/setup-mpi.sh, \
build with `cargo build --release --features mpi`, and run with e.g. `mpirun -np 4 target/release/hpcrs mpi hello`";

/// Arguments of `hpcrs mpi`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Run N ranks as threads of this process instead of MPI processes
    /// (works without MPI; the default when hpcrs is built without it).
    /// Each rank is a thread, so N is at most the thread cap, 1024.
    #[arg(long, value_name = "N", global = true)]
    local: Option<usize>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Each rank prints "Hello World! I am process R of N on HOST."
    Hello,
    /// Each rank sends its rank to its left neighbour with sendrecv and
    /// prints what it got from its right neighbour.
    Ring {
        /// object (serialised, mpi4py's `sendrecv`) or buffer (typed, `Sendrecv`).
        #[arg(long, default_value = "object")]
        flavour: Flavour,
    },
    /// Halo-exchange micro-benchmark: latency and bandwidth of sendrecv
    /// between rank pairs for 8 B to 8 MB messages, object vs buffer flavour.
    Halo {
        /// Largest message in bytes (sizes go 8, 32, 128, … by factors of 4).
        #[arg(long, default_value_t = 8 << 20)]
        max_bytes: usize,
        /// Timed trials per size (1 to 100); the best is reported.
        #[arg(long, default_value_t = 3)]
        trials: usize,
    },
    /// Check every communication operation, both flavours, on all ranks.
    Selftest,
}

/// The most timed trials per message size `halo` accepts: the best of a
/// hundred is as good as the best of more, and a typo must not run for days.
const MAX_TRIALS: usize = 100;

/// The copies of its largest message one rank of `halo` holds at its peak:
/// the send and receive buffers, the message in flight each way, and the
/// decoded copy of the object flavour.
const HALO_COPIES: u64 = 5;

impl Args {
    /// Whether this run uses MPI: every run but `--local`'s threads.
    pub fn uses_mpi(&self) -> bool {
        self.local.is_none()
    }
}

/// Runs `hpcrs mpi`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Args { command, local } = args;
    if let Some(n) = local {
        check_local(n)?;
    }
    match command {
        Command::Hello => spmd(local, "hello", hello),
        Command::Ring { flavour } => spmd(local, "ring", |c| ring(c, flavour)),
        Command::Halo { max_bytes, trials } => {
            if !(8..=1 << 30).contains(&max_bytes) {
                anyhow::bail!("--max-bytes must be between 8 and 2^30, got {max_bytes}");
            }
            if trials == 0 {
                anyhow::bail!("--trials must be at least 1");
            }
            if trials > MAX_TRIALS {
                anyhow::bail!("--trials {trials} is more than the {MAX_TRIALS} allowed");
            }
            check_halo_memory(local, max_bytes)?;
            spmd(local, "halo", |c| halo(c, max_bytes, trials))
        }
        Command::Selftest => spmd(local, "selftest", selftest),
    }
}

/// Checks `--local N`: at least one rank, and no more than the threads
/// any subcommand may start (each local rank is a thread).
fn check_local(n: usize) -> anyhow::Result<()> {
    if n == 0 {
        anyhow::bail!("--local needs at least 1 rank, got 0");
    }
    if n > MAX_THREADS {
        anyhow::bail!(
            "--local {n} is more than the {MAX_THREADS} local ranks allowed (each is a thread)"
        );
    }
    Ok(())
}

/// Runs `f` on every rank: on `n` threads with `--local n` (their processor
/// name is this machine's host name), otherwise on the MPI world. An error
/// on any MPI rank is printed with the rank and aborts the whole job
/// (MPI_Abort), so no rank waits forever for it. `main` flushes standard
/// output at the end.
fn spmd<F>(local: Option<usize>, what: &str, f: F) -> anyhow::Result<ExitCode>
where
    F: Fn(&AnyComm<'_>) -> anyhow::Result<()> + Sync,
{
    if let Some(n) = local {
        let host = crate::machine::host_name().unwrap_or_else(|| comm::LOCAL_HOST.to_string());
        let stdout_failed = Mutex::new(None);
        let ran = Local::try_run_on_host(n, &host, |c| {
            f(&AnyComm::Local(c)).map_err(|e| {
                let text = output::error_line(&e);
                if e.downcast_ref::<WritingStdout>().is_some() {
                    let mut first = stdout_failed.lock().unwrap_or_else(|p| p.into_inner());
                    first.get_or_insert(e);
                }
                text
            })
        });
        // Every local rank shares standard output, so its failure fails every
        // rank that prints, and the others then wait for ranks that are gone:
        // report the cause once, as the process's and not as a rank's.
        if let Some(e) = stdout_failed
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
        {
            return Err(e);
        }
        ran.with_context(|| format!("mpi {what} on {n} local rank(s)"))?;
        return Ok(ExitCode::SUCCESS);
    }
    run_world(what, f)
}

#[cfg(feature = "mpi")]
fn run_world<F>(what: &str, f: F) -> anyhow::Result<ExitCode>
where
    F: Fn(&AnyComm<'_>) -> anyhow::Result<()>,
{
    let world = comm::Mpi::init()?;
    if let Err(e) = f(&AnyComm::Mpi(&world)) {
        output::noteln!(
            "hpcrs: error: mpi {what}: rank {} of {}: {}",
            world.rank(),
            world.size(),
            output::error_line(&e)
        );
        world.abort(1);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "mpi"))]
fn run_world<F>(what: &str, _f: F) -> anyhow::Result<ExitCode>
where
    F: Fn(&AnyComm<'_>) -> anyhow::Result<()>,
{
    anyhow::bail!("mpi {what}: {HOW_TO_BUILD} (or use --local N to run N ranks as threads)")
}

/// Either communicator, so that one closure serves both (the trait's
/// generic methods make it unusable as `dyn Communicator`).
enum AnyComm<'a> {
    Local(&'a Local),
    #[cfg(feature = "mpi")]
    Mpi(&'a comm::Mpi),
}

/// Calls generic code with the communicator inside an [`AnyComm`].
macro_rules! with_comm {
    ($any:expr, |$c:ident| $body:expr) => {
        match $any {
            AnyComm::Local($c) => $body,
            #[cfg(feature = "mpi")]
            AnyComm::Mpi($c) => $body,
        }
    };
}

fn hello(any: &AnyComm<'_>) -> anyhow::Result<()> {
    with_comm!(any, |c| {
        outln!(
            "Hello World! I am process {} of {} on {}.",
            c.rank(),
            c.size(),
            c.processor_name()
        )
    })
}

fn ring(any: &AnyComm<'_>, flavour: Flavour) -> anyhow::Result<()> {
    with_comm!(any, |c| ring_on(*c, flavour))
}

fn ring_on<C: Communicator>(c: &C, flavour: Flavour) -> anyhow::Result<()> {
    let (rank, size) = (c.rank(), c.size());
    let right = (rank + 1) % size;
    let left = (rank + size - 1) % size;
    let rankr = match flavour {
        Flavour::Object => c.sendrecv::<usize, usize>(&rank, left, right, 13)?,
        Flavour::Buffer => {
            let mut got = [0i32];
            c.sendrecv_buf(&[rank as i32], left, &mut got, right, 13)?;
            got[0] as usize
        }
    };
    outln!("I am rank {rank}; my right neighbour is {rankr}")
}

fn selftest(any: &AnyComm<'_>) -> anyhow::Result<()> {
    with_comm!(any, |c| {
        let passed = conformance::check_all(*c).map_err(anyhow::Error::msg)?;
        if c.rank() == 0 {
            outln!(
                "selftest: {} checks passed on {} rank(s): {}",
                passed.len(),
                c.size(),
                passed.join(", ")
            )?;
        }
        Ok(())
    })
}

fn halo(any: &AnyComm<'_>, max_bytes: usize, trials: usize) -> anyhow::Result<()> {
    with_comm!(any, |c| halo_on(*c, max_bytes, trials, ranks_here(any)))
}

/// The message sizes of `halo`: 8 bytes, then by factors of 4 up to `max_bytes`.
fn halo_sizes(max_bytes: usize) -> impl Iterator<Item = usize> {
    std::iter::successors(Some(8usize), |b| b.checked_mul(4)).take_while(move |&b| b <= max_bytes)
}

/// How many ranks share this process (and its cores): all of them on local
/// threads, one under MPI.
fn ranks_here(any: &AnyComm<'_>) -> usize {
    match any {
        AnyComm::Local(c) => c.size(),
        #[cfg(feature = "mpi")]
        AnyComm::Mpi(_) => 1,
    }
}

/// Refuses a `halo` whose ranks in this process would need more memory than
/// the machine has available, before any rank allocates.
fn check_halo_memory(local: Option<usize>, max_bytes: usize) -> anyhow::Result<()> {
    let largest = halo_sizes(max_bytes).last().unwrap_or(0) as u64;
    let (ranks, who) = match local {
        Some(n) => (n as u64, format!("{n} local rank(s)")),
        None => (1, "each MPI rank".to_string()),
    };
    let need = ranks.saturating_mul(HALO_COPIES).saturating_mul(largest);
    match crate::memory::available() {
        Some(available) if need > available => anyhow::bail!(
            "mpi halo: --max-bytes {max_bytes} on {who} needs about {} of memory, but {} is \
             available: lower --max-bytes or --local",
            human_bytes(need),
            human_bytes(available)
        ),
        _ => Ok(()),
    }
}

/// Seconds per sendrecv of `n` f64 with the partner rank, best of `trials`,
/// the slowest rank's time. `ranks_here` ranks share this process's cores.
fn time_sendrecv<C: Communicator>(
    c: &C,
    n: usize,
    object: bool,
    trials: usize,
    ranks_here: usize,
) -> anyhow::Result<f64> {
    let partner = match c.rank() ^ 1 {
        p if p < c.size() => p,
        _ => c.rank(), // the odd rank out exchanges with itself
    };
    let bytes = n * 8;
    // About 32 MiB per timing; when more ranks than cores share the process,
    // each repetition takes that many times longer, so do fewer.
    let oversubscription = ranks_here.div_ceil(runtime::pool::cores()).max(1);
    let reps = (((32usize << 20) / bytes).clamp(10, 20_000) / oversubscription).max(1);
    let send: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut recv = vec![0.0f64; n];
    let mut best = f64::INFINITY;
    for _ in 0..trials {
        c.barrier()?;
        let t0 = Instant::now();
        for _ in 0..reps {
            if object {
                let got: Vec<f64> = c.sendrecv(&send, partner, partner, 1)?;
                std::hint::black_box(&got);
            } else {
                c.sendrecv_buf(&send, partner, &mut recv, partner, 1)?;
                std::hint::black_box(&recv);
            }
        }
        let mine = [t0.elapsed().as_secs_f64() / reps as f64];
        let mut slowest = [0.0];
        c.allreduce_buf(&mine, &mut slowest, Op::Max)?;
        best = best.min(slowest[0]);
    }
    Ok(best)
}

fn halo_on<C: Communicator>(
    c: &C,
    max_bytes: usize,
    trials: usize,
    ranks_here: usize,
) -> anyhow::Result<()> {
    let root = c.rank() == 0;
    if root {
        outln!(
            "halo exchange: sendrecv between rank pairs (0-1, 2-3, ...), {} rank(s), best of {trials}",
            c.size()
        )?;
        outln!(
            "{:>10} | {:>12} {:>12} | {:>12} {:>12} | {:>9}",
            "bytes",
            "object µs",
            "object MB/s",
            "buffer µs",
            "buffer MB/s",
            "buf/obj"
        )?;
    }
    let mut last_ratio = None;
    for bytes in halo_sizes(max_bytes) {
        let n = bytes / 8;
        let obj = time_sendrecv(c, n, true, trials, ranks_here)?;
        let buf = time_sendrecv(c, n, false, trials, ranks_here)?;
        let mbs = |t: f64| bytes as f64 / t / 1e6;
        if root {
            outln!(
                "{:>10} | {:>12.2} {:>12.1} | {:>12.2} {:>12.1} | {:>8.2}x",
                bytes,
                obj * 1e6,
                mbs(obj),
                buf * 1e6,
                mbs(buf),
                obj / buf
            )?;
        }
        last_ratio = Some((bytes, obj / buf));
    }
    if let (true, Some((bytes, ratio))) = (root, last_ratio) {
        outln!("buffer/object bandwidth at {bytes} bytes: {ratio:.2}x")?;
    }
    Ok(())
}
