//! End-to-end tests of `hpcrs summer`: every mode returns n(n-1)/2 per job.

use crate::util::hpcrs;
use predicates::prelude::*;

#[test]
fn every_mode_returns_the_closed_form_for_each_job() {
    for (n, total) in [(1000u64, 499_500u64), (5_000_000, 12_499_997_500_000)] {
        for mode in ["serial", "threads", "processes"] {
            hpcrs()
                .args(["summer", "--mode", mode, "--jobs", "3"])
                .args(["--n", &n.to_string()])
                .assert()
                .success()
                .stdout(predicate::str::starts_with(format!(
                    "3 jobs ({mode}): each sum(range(0, {n})) = {total}\nElapsed: "
                )))
                .stdout(predicate::str::ends_with(" seconds\n"));
        }
    }
}

#[test]
fn bad_inputs_are_refused() {
    hpcrs()
        .args(["summer", "--jobs", "0"])
        .assert()
        .failure()
        .stderr("hpcrs: error: --jobs must be at least 1, got 0\n");
    hpcrs()
        .args(["summer", "--n", "7000000000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--n 7000000000 is too large"));
    hpcrs()
        .args(["summer", "--mode", "fork"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'fork' for '--mode <MODE>'",
        ))
        .stderr(predicate::str::contains(
            "[possible values: serial, threads, processes]",
        ));
}
