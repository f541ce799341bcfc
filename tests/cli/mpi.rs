//! `hpcrs mpi` on local threads (any build), and the messages of a build
//! without MPI. The runs under mpirun are in mpirun.rs.

use predicates::prelude::*;

use crate::util::{hpcrs, sorted_lines};

#[test]
fn hello_on_local_threads() {
    let out = hpcrs()
        .args(["mpi", "hello", "--local", "3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // The ranks are threads of this process: the host is this machine.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(
        sorted_lines(&out.stdout),
        (0..3)
            .map(|r| format!("Hello World! I am process {r} of 3 on {}.", host.trim()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn ring_on_local_threads_in_both_flavours() {
    for flavour in ["object", "buffer"] {
        let out = hpcrs()
            .args(["mpi", "ring", "--local", "4", "--flavour", flavour])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            sorted_lines(&out.stdout),
            (0..4)
                .map(|r| format!("I am rank {r}; my right neighbour is {}", (r + 1) % 4))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn selftest_on_local_threads() {
    hpcrs()
        .args(["mpi", "selftest", "--local", "3"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "selftest: 21 checks passed on 3 rank(s)",
        ));
}

#[test]
fn halo_on_local_threads_prints_a_table() {
    let out = hpcrs()
        .args([
            "mpi",
            "halo",
            "--local",
            "2",
            "--max-bytes",
            "512",
            "--trials",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" | ")).collect();
    // Header plus 8, 32, 128 and 512 bytes.
    assert_eq!(rows.len(), 5, "{text}");
    assert!(rows[4].trim_start().starts_with("512 |"), "{text}");
    assert!(
        text.contains("buffer/object bandwidth at 512 bytes"),
        "{text}"
    );
}

#[test]
fn bad_arguments_are_clear_errors() {
    hpcrs()
        .args(["mpi", "hello", "--local", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--local needs at least 1 rank, got 0",
        ));
    hpcrs()
        .args(["mpi", "halo", "--local", "2", "--max-bytes", "4"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--max-bytes must be between 8 and 2^30, got 4",
        ));
    hpcrs()
        .args(["mpi", "halo", "--local", "2", "--trials", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--trials must be at least 1"));
}

#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_says_how_to_build_with_it() {
    let how = "cargo build --release --features mpi";
    hpcrs()
        .args(["mpi", "hello"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(how).and(predicate::str::contains("scripts/setup-mpi.sh")))
        .stderr(predicate::str::contains("--local N"));
    hpcrs()
        .args(["diff2d", "--backend", "mpi", "--set", "runtime=0.1"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains(how).and(predicate::str::contains("scripts/setup-mpi.sh")),
        );
    hpcrs()
        .args(["auc", "1000", "--backend", "mpi"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--features mpi"));
}
