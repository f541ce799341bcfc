//! `Mpi` under `mpirun`: the conformance suite on 1 to 3 ranks, and
//! `run_on_world` aborting the whole job when one rank fails.
//!
//! Compiled only with `--features mpi`, where `mpirun` must be on PATH
//! (scripts/setup-mpi.sh installs it; a missing `mpirun` fails these tests).
//! Each test starts this test binary under `mpirun`, running only the ignored
//! test [`rank`], which is what every rank does.
#![cfg(feature = "mpi")]

use std::process::{Command, Output};

use comm::traits::*;
use comm::{conformance, run_on_world, Failure, Mpi, ABORT_CODE};

/// The variable that tells [`rank`] how to fail: `error:R` or `panic:R` on
/// rank `R`; unset, it runs the conformance suite.
const FAIL: &str = "COMM_TEST_FAIL";

/// What one rank of a job started by the tests below runs.
#[test]
#[ignore = "one rank of the mpirun tests below, which start it under mpirun"]
fn rank() {
    let world = Mpi::init().expect("MPI initialises");
    let fail = std::env::var(FAIL).ok();
    let report = |failure: &Failure<String>, rank: usize, size: usize| {
        eprintln!("rank {rank} of {size} failed: {failure:#}")
    };
    run_on_world(
        &world,
        |w| -> Result<(), String> {
            let Some(how) = fail.as_deref() else {
                conformance::check_all(w).map_err(|e| e.to_string())?;
                return Ok(());
            };
            let (kind, at) = how.split_once(':').expect("COMM_TEST_FAIL is KIND:RANK");
            if w.rank() == at.parse::<usize>().expect("a rank") {
                match kind {
                    "panic" => panic!("boom on rank {at}"),
                    _ => return Err("disk full".into()),
                }
            }
            // The other ranks wait for the failed one, which never answers:
            // only the abort ends them.
            w.barrier().map_err(|e| e.to_string())
        },
        report,
    )
    .expect("a failure aborts the job before run_on_world returns");
}

/// Runs [`rank`] on `np` ranks under `mpirun`, with `COMM_TEST_FAIL=fail`;
/// killed after two minutes, so that a hang fails the test.
fn mpirun(np: usize, fail: Option<&str>) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "mpirun", "-np", &np.to_string()])
        .arg(exe)
        .args(["--exact", "rank", "--ignored", "--nocapture"])
        .env_remove(FAIL);
    if let Some(fail) = fail {
        cmd.env(FAIL, fail);
    }
    cmd.output().expect("running timeout and mpirun")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_operation_passes_on_1_2_3_ranks() {
    for np in 1..=3 {
        let out = mpirun(np, None);
        assert!(
            out.status.success(),
            "np {np}: {}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// Asserts that the job ended by MPI_Abort, not by the timeout, after the
/// failed rank reported `reason`.
fn assert_aborted(out: &Output, reason: &str) {
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(124), "the job hung: {stderr}");
    assert_eq!(out.status.code(), Some(ABORT_CODE), "{stderr}");
    assert!(
        stderr.contains(&format!("rank 1 of 3 failed: {reason}")),
        "{stderr}"
    );
}

#[test]
fn a_rank_that_returns_an_error_aborts_the_whole_job() {
    assert_aborted(&mpirun(3, Some("error:1")), "disk full");
}

#[test]
fn a_rank_that_panics_aborts_the_whole_job() {
    assert_aborted(&mpirun(3, Some("panic:1")), "panicked: boom on rank 1");
}
