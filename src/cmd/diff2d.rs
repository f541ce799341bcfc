//! `hpcrs diff2d`: solve the 2D diffusion equation (the course's running example).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use diffusion::{
    make_stepper, Backend, Observer, Outcome, ParamsBuilder, Pictures, RunOptions, Simulation,
    StepperOptions, TimePrinter,
};
use runtime::pool::Threads;

/// Arguments of `hpcrs diff2d`.
#[derive(clap::Args)]
pub struct Args {
    /// Parameters file in the course's diff2dparams.py format (`name = value;`).
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Override one parameter, e.g. `--set dx=0.1` (repeatable; after --params).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// How to step: naive, array, expr, threads or mpi.
    #[arg(long, default_value = "threads")]
    backend: Backend,
    /// Threads for the threads and expr backends (0 or absent: all cores;
    /// at most 1024).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// Write the final density to DIR/density.npy (and pictures there with --graphics).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write a PNG per output and an animated GIF (to --out DIR, default diff2d-out).
    #[arg(long)]
    graphics: bool,
    /// Write a checkpoint every N steps (N at least 1).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = steps_between_checkpoints)]
    checkpoint_every: Option<usize>,
    /// Checkpoint file (default: DIR/diff2d.ckpt with --out, else
    /// diff2d.ckpt); given without --checkpoint-every, one checkpoint of
    /// the final state is written to it at the end.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Continue from a checkpoint file, with its parameters; --params/--set
    /// may change runtime, outtime and graphics but not the problem.
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// With --backend mpi under mpirun: pin each rank to a core of its own
    /// (`core`, the default, unless the launcher bound the ranks) or let the
    /// kernel place them (`none`).
    #[arg(long, value_name = "HOW")]
    bind_to: Option<Binding>,
}

/// Where an MPI rank runs (`--bind-to`).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Binding {
    /// Each rank on a core of its own.
    Core,
    /// Wherever the kernel puts it.
    None,
}

/// Clap value parser of `--checkpoint-every N`: a count of at least one
/// step (every 0 steps means nothing).
fn steps_between_checkpoints(text: &str) -> Result<usize, String> {
    match crate::args::count::<usize>(text).map_err(|e| e.to_string())? {
        0 => Err(
            "must be at least 1 step (leave --checkpoint-every out for no checkpoints, \
                  or give only --checkpoint FILE for one at the end)"
                .into(),
        ),
        n => Ok(n),
    }
}

/// The environment variables that tune a backend, for measurements: the
/// steps per synchronisation of `threads`, `expr` and `mpi` (halo depth).
fn depth_variable(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Threads => Some("HPCRS_DIFF2D_DEPTH"),
        Backend::Expr => Some("HPCRS_EXPR_DEPTH"),
        Backend::Mpi => Some("HPCRS_MPI_HALO_DEPTH"),
        Backend::Naive | Backend::Array | Backend::Processes => None,
    }
}

/// `HPCRS_DIFF2D_KERNEL=auto` runs the threads backend's row loop as the
/// compiler vectorised it instead of the hand-written AVX-512 kernel.
const KERNEL_VARIABLE: &str = "HPCRS_DIFF2D_KERNEL";

/// The number in environment variable `name`, if it is set.
fn env_number(name: &str) -> anyhow::Result<Option<usize>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("environment variable {name}: `{v}` is not a number")),
    }
}

/// The stepper's and the run loop's options from the arguments and the
/// tuning variables.
// The `testing` build of diffusion adds a test-hook field to both option
// structs, so the struct updates below are needed there and not here.
#[allow(clippy::needless_update)]
fn options(
    args: &Args,
    checkpoint_path: Option<PathBuf>,
) -> anyhow::Result<(StepperOptions, RunOptions)> {
    let stepper = StepperOptions {
        threads: args.threads.unwrap_or_default(),
        depth: depth_variable(args.backend)
            .map(env_number)
            .transpose()?
            .flatten(),
        intrinsics: std::env::var(KERNEL_VARIABLE).map_or(true, |v| v != "auto"),
        ..StepperOptions::default()
    };
    let run = RunOptions {
        checkpoint_every: args.checkpoint_every,
        checkpoint_path,
        ..RunOptions::default()
    };
    diffusion::with_test_hooks! {
        // A crash half-way through the N-th checkpoint (tests/cli/diff2d.rs).
        let run = RunOptions {
            abort_in_checkpoint: env_number("HPCRS_DIFF2D_ABORT_IN_CHECKPOINT")?,
            ..run
        };
        // An MPI rank that fails (tests/cli/mpirun.rs).
        let stepper = StepperOptions {
            fail_rank: env_number("HPCRS_MPI_FAIL_RANK")?,
            ..stepper
        };
    }
    Ok((stepper, run))
}

impl Args {
    /// Whether this run uses MPI (`--backend mpi`).
    pub fn uses_mpi(&self) -> bool {
        self.backend == Backend::Mpi
    }
}

/// Runs `hpcrs diff2d`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.bind_to.is_some() && args.backend != Backend::Mpi {
        anyhow::bail!("--bind-to places MPI ranks: it needs --backend mpi");
    }
    // With --resume, start from the checkpoint's parameters so that --params
    // and --set only change what they name (e.g. a longer runtime).
    let mut builder = match &args.resume {
        Some(path) => {
            let saved = diffusion::Checkpoint::read(path)?.params;
            ParamsBuilder::from_params(saved, &format!("checkpoint {}", path.display()))
        }
        None => ParamsBuilder::new(),
    };
    if let Some(path) = &args.params {
        builder.read_file(path)?;
    }
    for assignment in &args.set {
        builder.set(assignment)?;
    }
    let params = builder.build()?;
    let mut sim = match &args.resume {
        Some(path) => Simulation::resume(path, Some(&params))?,
        None => Simulation::new(&params)?,
    };
    if args.graphics {
        sim.params.graphics = true;
    }
    #[cfg(feature = "mpi")]
    if args.backend == Backend::Mpi {
        if args.bind_to != Some(Binding::None) {
            pin_rank()?;
        }
        // Every rank runs this; a rank that fails ends the whole job, so
        // that no other rank waits for it forever.
        let world = comm::Mpi::init()?;
        let report = |failure: &comm::Failure<anyhow::Error>, rank, size| {
            eprintln!("hpcrs: error: rank {rank} of {size}: {failure:#}")
        };
        return Ok(comm::run_on_world(&world, |_| solve(&args, sim), report)?);
    }
    solve(&args, sim)
}

/// Pins this MPI rank to a core of its own (before MPI starts any thread),
/// where its waits then poll without pause.
#[cfg(feature = "mpi")]
fn pin_rank() -> anyhow::Result<()> {
    if let Some((rank, size)) = comm::launcher_local_rank_and_size(|v| std::env::var(v).ok()) {
        let pinned = crate::affinity::pin_rank_to_core(rank, size)
            .context("--bind-to core: pinning the MPI rank to a core")?;
        comm::Mpi::set_active_wait(pinned.is_some());
    }
    Ok(())
}

/// Fails now, before any computing, if `path` could not be written at the
/// end: the temporary an atomic write would start with is created and
/// removed.
fn check_writable(path: &Path) -> anyhow::Result<()> {
    drop(runtime::atomic::AtomicFile::create(path)?);
    Ok(())
}

/// Runs the simulation with the chosen backend and prints the output times,
/// writes the pictures, checkpoints and `density.npy`, and the summary. An
/// MPI rank other than 0 only serves rank 0 and prints nothing.
fn solve(args: &Args, mut sim: Simulation) -> anyhow::Result<ExitCode> {
    let out_dir = args.out.clone();
    let checkpoint_path = args.checkpoint.clone().or_else(|| {
        args.checkpoint_every.map(|_| {
            out_dir
                .as_ref()
                .map_or_else(|| PathBuf::from("diff2d.ckpt"), |d| d.join("diff2d.ckpt"))
        })
    });
    let (stepper_options, run_options) = options(args, checkpoint_path)?;
    let mut stepper = make_stepper(args.backend, &stepper_options)?;

    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        check_writable(&dir.join("density.npy"))?;
    }
    if let Some(path) = &run_options.checkpoint_path {
        check_writable(path)?;
    }
    let pictures = if sim.params.graphics {
        let dir = out_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("diff2d-out"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        check_writable(&dir.join("density.gif"))?;
        let grid = diffusion::Grid::new(&sim.params)?;
        let vmax = diffusion::initial_density(&grid, &sim.params)
            .iter()
            .fold(0.0f64, |m, &v| m.max(v));
        Some(Pictures::new(dir, vmax)?)
    } else {
        None
    };
    let plan = stepper.describe(sim.grid.npnts);
    if let Some(plan) = &plan {
        eprintln!("{plan}");
    }

    let stdout = std::io::stdout().lock();
    let mut observer = (TimePrinter(stdout), pictures);
    let outcome = sim.run(
        stepper.as_mut(),
        &run_options,
        &mut observer as &mut dyn Observer,
    )?;
    drop(observer);
    // A split that changed during the run (the MPI load balance).
    if let Some(end) = stepper.describe(sim.grid.npnts) {
        if plan.as_ref() != Some(&end) {
            eprintln!("{end} (at the end)");
        }
    }
    // Release the serving ranks of an MPI run before writing the result.
    drop(stepper);
    let summary = match outcome {
        Outcome::Ran(summary) => summary,
        Outcome::Served => return Ok(ExitCode::SUCCESS),
    };

    if let (Some(path), None) = (&args.checkpoint, args.checkpoint_every) {
        // `--checkpoint FILE` alone: the final state, to continue from later.
        diffusion::checkpoint::write(path, &sim.params, sim.step, &sim.dens)?;
    }
    if let Some(dir) = &out_dir {
        diffusion::write_npy(&dir.join("density.npy"), &sim.dens)?;
    }
    let mut err = std::io::stderr().lock();
    writeln!(err, "diff2d ({} backend): {summary}", args.backend)?;
    Ok(ExitCode::SUCCESS)
}
