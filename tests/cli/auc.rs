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
    hpcrs()
        .args(["auc", "0"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("hpcrs: error: NTOT must be at least 1 (the number of sample points), got 0\n");
    // Texts that are not counts are usage errors, from the one count parser.
    let cases = [
        (
            "abc",
            "not a whole number such as 1000000, 1_000_000 or 1e6",
        ),
        ("-3", "a count cannot be negative"),
    ];
    for (arg, msg) in cases {
        hpcrs()
            .args(["auc", arg])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with(format!(
                "error: invalid value '{arg}' for '[NTOT]': {msg}\n"
            )));
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
            "[possible values: naive, array, expr, threads, mpi, processes]",
        ));
    hpcrs()
        .args(["auc", "100", "--threads", "5000"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: invalid value '5000' for '--threads <THREADS>': \
             5000 threads is more than the 1024 allowed\n",
        ));
}
