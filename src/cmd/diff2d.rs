//! `hpcrs diff2d`: solve the 2D diffusion equation (the course's running example).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use diffusion::{
    make_stepper, Backend, Observer, ParamsBuilder, Pictures, RunOptions, Simulation, TimePrinter,
};

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
    /// Threads for the threads backend (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Write the final density to DIR/density.npy (and pictures there with --graphics).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write a PNG per output and an animated GIF (to --out DIR, default diff2d-out).
    #[arg(long)]
    graphics: bool,
    /// Write a checkpoint every N steps.
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<usize>,
    /// Checkpoint file (default: DIR/diff2d.ckpt with --out, else diff2d.ckpt).
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Continue from a checkpoint file, with its parameters; --params/--set
    /// may change runtime, outtime and graphics but not the problem.
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
}

/// Runs `hpcrs diff2d`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
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
    let mut stepper = make_stepper(args.backend, args.threads)?;

    let out_dir = args.out.clone();
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let pictures = if sim.params.graphics {
        let dir = out_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("diff2d-out"));
        let grid = diffusion::Grid::new(&sim.params)?;
        let vmax = diffusion::initial_density(&grid, &sim.params)
            .iter()
            .fold(0.0f64, |m, &v| m.max(v));
        Some(Pictures::new(dir, vmax)?)
    } else {
        None
    };
    let checkpoint_path = args.checkpoint.clone().or_else(|| {
        args.checkpoint_every.map(|_| {
            out_dir
                .as_ref()
                .map_or_else(|| PathBuf::from("diff2d.ckpt"), |d| d.join("diff2d.ckpt"))
        })
    });
    let options = RunOptions {
        checkpoint_every: args.checkpoint_every,
        checkpoint_path,
        // Test hook for the crash-during-checkpoint test (tests/diff2d_cli.rs).
        abort_in_checkpoint: std::env::var("HPCRS_DIFF2D_ABORT_IN_CHECKPOINT")
            .ok()
            .and_then(|v| v.parse().ok()),
    };

    let stdout = std::io::stdout().lock();
    let mut observer = (TimePrinter(stdout), pictures);
    let summary = sim.run(
        stepper.as_mut(),
        &options,
        &mut observer as &mut dyn Observer,
    )?;
    drop(observer);

    if let Some(dir) = &out_dir {
        diffusion::write_npy(&dir.join("density.npy"), &sim.dens)?;
    }
    let mut err = std::io::stderr().lock();
    writeln!(err, "diff2d ({} backend): {summary}", args.backend)?;
    Ok(ExitCode::SUCCESS)
}
