//! The run loop: output times, checkpoints and bitwise-exact restarts.

use diffusion::{
    make_stepper, Backend, Checkpoint, DiffusionError, Frame, Observer, Params, RunOptions,
    Simulation,
};

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

#[test]
fn outputs_at_start_and_every_nper_steps() {
    let p = small();
    let mut sim = Simulation::new(&p).unwrap();
    assert_eq!((sim.grid.nsteps, sim.grid.nper), (32, 4));
    let mut obs = Steps::default();
    let mut st = make_stepper(Backend::Threads, Some(2)).unwrap();
    let summary = sim
        .run(st.as_mut(), &RunOptions::default(), &mut obs)
        .unwrap();
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
    for backend in [Backend::Naive, Backend::Threads] {
        let mut whole = Simulation::new(&p).unwrap();
        let mut st = make_stepper(backend, Some(2)).unwrap();
        whole
            .run(st.as_mut(), &RunOptions::default(), &mut Steps::default())
            .unwrap();

        // A run that checkpoints every 7 steps, stopped after step 21: run a
        // shorter problem with the same grid, then extend it on resume.
        let short = Params {
            runtime: 21.0 * whole.grid.dt * 1.0000001,
            ..p.clone()
        };
        let mut first = Simulation::new(&short).unwrap();
        assert_eq!(first.grid.nsteps, 21);
        let opts = RunOptions {
            checkpoint_every: Some(7),
            checkpoint_path: Some(ck.clone()),
            ..RunOptions::default()
        };
        first
            .run(st.as_mut(), &opts, &mut Steps::default())
            .unwrap();
        assert_eq!(Checkpoint::read(&ck).unwrap().step, 21);

        let mut resumed = Simulation::resume(&ck, Some(&p)).unwrap();
        assert_eq!(resumed.step, 21);
        let mut obs = Steps::default();
        let mut st2 = make_stepper(backend, Some(2)).unwrap();
        let summary = resumed.run(st2.as_mut(), &opts, &mut obs).unwrap();
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
    let mut st = make_stepper(Backend::Naive, None).unwrap();
    let opts = RunOptions {
        checkpoint_every: Some(8),
        checkpoint_path: Some(ck.clone()),
        ..RunOptions::default()
    };
    sim.run(st.as_mut(), &opts, &mut Steps::default()).unwrap();
    let other = Params {
        dx: 0.4,
        ..p.clone()
    };
    let e = Simulation::resume(&ck, Some(&other))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("was written for different parameters (dx = 0.5 in the checkpoint, 0.4 now)"),
        "{e}"
    );
    let own = Simulation::resume(&ck, None).unwrap();
    assert_eq!(own.params, p);
    assert_eq!(own.step, 32);
    let shorter = Params {
        runtime: 1.0,
        ..p.clone()
    };
    let e = Simulation::resume(&ck, Some(&shorter))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is at step 32, past the last step 16"), "{e}");
}

#[test]
fn checkpointing_without_a_file_is_an_error() {
    let mut sim = Simulation::new(&small()).unwrap();
    let mut st = make_stepper(Backend::Naive, None).unwrap();
    let opts = RunOptions {
        checkpoint_every: Some(3),
        ..RunOptions::default()
    };
    let e = sim
        .run(st.as_mut(), &opts, &mut Steps::default())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter checkpoint-every needs a checkpoint file to write to"
    );
}
