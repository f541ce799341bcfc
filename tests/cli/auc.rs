//! End-to-end tests of `hpcrs auc`.

use crate::util::hpcrs;
use predicates::prelude::*;

#[test]
fn prints_the_area_like_the_course() {
    // S(10^6) = 8.175 - 1.35e-6 + ...: "8.174999" with %.6f.
    for backend in ["naive", "threads"] {
        hpcrs()
            .args(["auc", "1000000", "--backend", backend])
            .assert()
            .success()
            .stdout("The area is 8.174999\n")
            .stderr(predicate::str::contains(
                "error against exact 8.175: -1.350e-6",
            ));
    }
    hpcrs()
        .args(["auc", "3e7", "--threads", "2"])
        .assert()
        .success()
        .stdout("The area is 8.175000\n");
}

#[test]
fn bad_ntot_is_refused_with_a_clear_message() {
    let cases = [
        (
            "0",
            "NTOT must be at least 1 (the number of sample points), got 0",
        ),
        (
            "abc",
            "NTOT must be a whole number of sample points, got `abc`",
        ),
        (
            "-3",
            "NTOT must be a whole number of sample points, got `-3`",
        ),
    ];
    for (arg, msg) in cases {
        hpcrs()
            .args(["auc", arg])
            .assert()
            .failure()
            .stdout("")
            .stderr(format!("hpcrs: error: {msg}\n"));
    }
}

#[test]
fn missing_backends_say_so() {
    hpcrs()
        .args(["auc", "100", "--backend", "array"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "auc has no `array` backend in this build",
        ));
    hpcrs()
        .args(["auc", "100", "--backend", "cuda"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'cuda' for '--backend <BACKEND>'",
        ))
        .stderr(predicate::str::contains(
            "[possible values: naive, array, expr, threads, mpi]",
        ));
    hpcrs()
        .args(["auc", "100", "--threads", "5000"])
        .assert()
        .code(1)
        .stderr("hpcrs: error: --threads: 5000 threads is more than the 1024 allowed\n");
}
