//! The tests of `procs`, as a program: spawned children are this binary
//! started again, so `main` hands them to `run_if_child` before anything
//! else, then runs the tests one after the other on the main thread (the
//! fork tests need a single-threaded process).
//!
//! `cargo test -p hpcrs-procs --test procs [FILTER]` runs the tests whose
//! name contains FILTER.

mod funcs;
mod orphans;
mod pool;
mod process;
mod queue;
mod shared;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

/// A test: its name and body.
pub type Test = (&'static str, fn());

fn main() -> ExitCode {
    let registry = funcs::registry();
    match procs::child::run_if_child(std::env::args_os(), &registry) {
        Some(Ok(code)) => return code,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
        None => {}
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all: Vec<Test> = [
        process::TESTS,
        shared::TESTS,
        queue::TESTS,
        pool::TESTS,
        orphans::TESTS,
    ]
    .concat();
    let chosen: Vec<&Test> = all
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    let chosen_count = chosen.len();
    println!("running {chosen_count} tests");
    let mut failed = Vec::new();
    for (name, test) in chosen {
        let begin = Instant::now();
        let ok = catch_unwind(AssertUnwindSafe(test)).is_ok();
        let verdict = if ok { "ok" } else { "FAILED" };
        println!(
            "test {name} ... {verdict} ({:.2} s)",
            begin.elapsed().as_secs_f64()
        );
        if !ok {
            failed.push(*name);
        }
    }
    if failed.is_empty() {
        println!("test result: ok. {} passed", chosen_count);
        ExitCode::SUCCESS
    } else {
        println!("test result: FAILED. failures: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
