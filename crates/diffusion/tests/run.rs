//! The run loop: output times, checkpoints and bitwise-exact restarts.

use std::path::Path;

use diffusion::{
    make_stepper, Backend, Checkpoint, DiffusionError, Frame, Observer, Outcome, Params,
    RunOptions, RunSummary, Simulation, Stepper, StepperOptions,
};
use runtime::pool::Threads;

#[derive(Default)]
struct Steps(Vec<usize>, usize);

impl Observer for Steps {
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        self.0.push(frame.step);
        Ok(())
    }
    fn finish(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        self.1 = frame.step;
        Ok(())
    }
}

fn small() -> Params {
    Params {
        dx: 0.5,
        runtime: 2.0,
        outtime: 0.3,
        ..Params::default()
    }
}

/// The stepper of `backend` on two threads.
fn stepper(backend: Backend) -> Box<dyn Stepper + Send> {
    let two = StepperOptions {
        threads: Threads::Exactly(2),
        ..StepperOptions::default()
    };
    make_stepper(backend, &two).unwrap()
}

/// Checkpoints every `every` steps to `path`.
fn checkpointing(every: usize, path: &Path) -> RunOptions {
    RunOptions {
        checkpoint_every: Some(every),
        checkpoint_path: Some(path.to_path_buf()),
        ..RunOptions::default()
    }
}

/// Runs `sim` to its end: the summary of a run that this process drove.
fn run(sim: &mut Simulation, backend: Backend, opts: &RunOptions, obs: &mut Steps) -> RunSummary {
    match sim.run(stepper(backend).as_mut(), opts, obs).unwrap() {
        Outcome::Ran(summary) => summary,
        Outcome::Served => panic!("a serial stepper never serves"),
    }
}

#[test]
fn outputs_at_start_and_every_nper_steps() {
    let p = small();
    let mut sim = Simulation::new(&p).unwrap();
    assert_eq!((sim.grid.nsteps, sim.grid.nper), (32, 4));
    let mut obs = Steps::default();
    let summary = run(&mut sim, Backend::Threads, &RunOptions::default(), &mut obs);
    assert_eq!(obs.0, (0..=8).map(|i| i * 4).collect::<Vec<_>>());
    assert_eq!(obs.1, 32);
    assert_eq!(summary.steps, 32);
    assert_eq!(summary.nrows, 40);
    assert_eq!(sim.time(), 32.0 * sim.grid.dt);
}

#[test]
fn a_resumed_run_ends_bitwise_equal_to_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.ckpt");
    let p = small();
    for backend in [Backend::Naive, Backend::Expr, Backend::Threads] {
        let mut whole = Simulation::new(&p).unwrap();
        run(
            &mut whole,
            backend,
            &RunOptions::default(),
            &mut Steps::default(),
        );

        // A run that checkpoints every 7 steps, stopped after step 21: run a
        // shorter problem with the same grid, then extend it on resume.
        let short = Params {
            runtime: 21.0 * whole.grid.dt * 1.0000001,
            ..p.clone()
        };
        let mut first = Simulation::new(&short).unwrap();
        assert_eq!(first.grid.nsteps, 21);
        let opts = checkpointing(7, &ck);
        run(&mut first, backend, &opts, &mut Steps::default());
        assert_eq!(Checkpoint::read(&ck).unwrap().step, 21);

        let mut resumed = Simulation::resume(&ck, Some(&p)).unwrap();
        assert_eq!(resumed.step, 21);
        let mut obs = Steps::default();
        let summary = run(&mut resumed, backend, &opts, &mut obs);
        assert_eq!(summary.steps, 32 - 21);
        // Only the outputs not yet made: 24, 28, 32.
        assert_eq!(obs.0, vec![24, 28, 32]);
        assert_eq!(resumed.dens, whole.dens, "{backend}");
        assert_eq!(resumed.step, whole.step);
    }
}

#[test]
fn resume_refuses_other_parameters_and_takes_its_own_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("c.ckpt");
    let p = small();
    let mut sim = Simulation::new(&p).unwrap();
    run(
        &mut sim,
        Backend::Naive,
        &checkpointing(8, &ck),
        &mut Steps::default(),
    );
    let refusal = |other: &Params| {
        Simulation::resume(&ck, Some(other))
            .unwrap_err()
            .to_string()
    };
    let e = refusal(&Params {
        dx: 0.4,
        ..p.clone()
    });
    assert!(
        e.contains("was written for different parameters (dx = 0.5 in the checkpoint, 0.4 now)"),
        "{e}"
    );
    let own = Simulation::resume(&ck, None).unwrap();
    assert_eq!(own.params, p);
    assert_eq!(own.step, 32);
    let e = refusal(&Params {
        runtime: 1.0,
        ..p.clone()
    });
    assert!(e.contains("is at step 32, past the last step 16"), "{e}");
}

#[test]
fn checkpointing_without_a_file_is_an_error() {
    let mut sim = Simulation::new(&small()).unwrap();
    let opts = RunOptions {
        checkpoint_every: Some(3),
        ..RunOptions::default()
    };
    let e = sim
        .run(
            stepper(Backend::Naive).as_mut(),
            &opts,
            &mut Steps::default(),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter checkpoint-every needs a checkpoint file to write to"
    );
}
