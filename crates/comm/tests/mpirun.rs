//! `Mpi` under `mpirun`: the conformance suite on 1 to 3 ranks,
//! `run_on_world` aborting the whole job when one rank fails, and ranks that
//! wait for a late one without burning their cores.
//!
//! Compiled only with `--features mpi`, where `mpirun` must be on PATH
//! (scripts/setup-mpi.sh installs it; a missing `mpirun` fails these tests).
//! Each test starts this test binary under `mpirun`, running only the ignored
//! test [`rank`], which is what every rank does.
#![cfg(feature = "mpi")]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use comm::traits::*;
use comm::{conformance, run_on_world, Failure, Mpi, ABORT_CODE};

/// The variable that tells [`rank`] how to fail: `error:R` or `panic:R` on
/// rank `R`; unset, it runs the conformance suite.
const FAIL: &str = "COMM_TEST_FAIL";

/// The variable that makes [`rank`] run [`wait_for_a_late_root`] instead.
const LATE: &str = "COMM_TEST_LATE_ROOT";

/// How long rank 0 dawdles before each operation of [`wait_for_a_late_root`].
const LATE_BY: Duration = Duration::from_millis(300);

/// This process's CPU time so far (user and system, all its threads), from
/// /proc/self/stat in clock ticks of 10 ms.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("reading /proc/self/stat");
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a command name") + 2..]
        .split(' ')
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Rank 0 sleeps before a broadcast, before sending each rank a buffer and
/// before a barrier; the others wait for each. A waiting rank must give its
/// core away: it may use a tenth of the time it waited, far less than
/// the whole time a wait that polls without pause uses.
fn wait_for_a_late_root(w: &Mpi) -> Result<(), String> {
    let start = (Instant::now(), cpu_time());
    let mut buf = [0u64; 4];
    if w.rank() == 0 {
        std::thread::sleep(LATE_BY);
        buf = [1, 2, 3, 4];
    }
    w.bcast_buf(&mut buf, 0).map_err(|e| e.to_string())?;
    if w.rank() == 0 {
        for r in 1..w.size() {
            std::thread::sleep(LATE_BY);
            w.send_buf(&buf, r, 7).map_err(|e| e.to_string())?;
        }
        std::thread::sleep(LATE_BY);
    } else {
        let mut got = [0u64; 4];
        let n = w.recv_buf(&mut got, 0, 7).map_err(|e| e.to_string())?;
        if (n, got) != (4, buf) {
            return Err(format!("received {n} values {got:?}, expected {buf:?}"));
        }
    }
    w.barrier().map_err(|e| e.to_string())?;
    let (wall, cpu) = (start.0.elapsed(), cpu_time() - start.1);
    if buf != [1, 2, 3, 4] {
        return Err(format!("broadcast gave {buf:?}"));
    }
    if wall < LATE_BY * 2 {
        return Err(format!("rank {} waited only {wall:?}", w.rank()));
    }
    if w.rank() != 0 && cpu > wall / 10 {
        return Err(format!(
            "rank {} used {cpu:?} of CPU time in {wall:?} of waiting",
            w.rank()
        ));
    }
    Ok(())
}

/// What one rank of a job started by the tests below runs.
#[test]
#[ignore = "one rank of the mpirun tests below, which start it under mpirun"]
fn rank() {
    let world = Mpi::init().expect("MPI initialises");
    let fail = std::env::var(FAIL).ok();
    let late = std::env::var_os(LATE).is_some();
    let report = |failure: &Failure<String>, rank: usize, size: usize| {
        eprintln!("rank {rank} of {size} failed: {failure:#}")
    };
    run_on_world(
        &world,
        |w| -> Result<(), String> {
            if late {
                return wait_for_a_late_root(w);
            }
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
    let mut cmd = rank_command(np);
    if let Some(fail) = fail {
        cmd.env(FAIL, fail);
    }
    cmd.output().expect("running timeout and mpirun")
}

/// The command that runs [`rank`] on `np` ranks under `mpirun` (killed after
/// two minutes, so that a hang fails the test), with no test variables set.
fn rank_command(np: usize) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "mpirun", "-np", &np.to_string()])
        .arg(exe)
        .args(["--exact", "rank", "--ignored", "--nocapture"])
        .env_remove(FAIL)
        .env_remove(LATE);
    cmd
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

#[test]
fn ranks_waiting_for_a_late_root_leave_their_cores_idle() {
    let out = rank_command(3)
        .env(LATE, "1")
        .output()
        .expect("running mpirun");
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
