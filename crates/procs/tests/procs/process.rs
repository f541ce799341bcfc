//! `Process`: results, errors, exits, signals, start methods.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use procs::{Context, Error, Exit, Registry};

use crate::funcs::*;
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "process_spawn_returns_the_typed_result",
        spawn_returns_the_typed_result,
    ),
    (
        "process_fork_returns_the_typed_result",
        fork_returns_the_typed_result,
    ),
    (
        "process_fork_is_refused_with_two_threads",
        fork_is_refused_with_two_threads,
    ),
    (
        "process_fork_is_refused_without_a_thread_counter",
        fork_is_refused_without_a_thread_counter,
    ),
    (
        "process_a_panic_is_an_error_naming_the_function",
        a_panic_is_an_error_naming_the_function,
    ),
    ("process_exit_codes_and_signals", exit_codes_and_signals),
    (
        "process_kill_terminate_and_is_alive",
        kill_terminate_and_is_alive,
    ),
    (
        "process_an_unregistered_function_is_an_error",
        an_unregistered_function_is_an_error,
    ),
    (
        "process_fork_exec_reports_the_exit_status",
        fork_exec_reports_the_exit_status,
    ),
    (
        "process_a_result_may_carry_shared_memory",
        a_result_may_carry_shared_memory,
    ),
    (
        "process_a_hundred_processes_start_and_join",
        a_hundred_processes_start_and_join,
    ),
    (
        "process_registry_refuses_duplicates",
        registry_refuses_duplicates,
    ),
    (
        "process_a_child_started_by_hand_exits_2",
        a_child_started_by_hand_exits_2,
    ),
];

fn spawn_returns_the_typed_result() {
    let p = ctx().start(ADD, (2, 40)).unwrap();
    assert!(p.pid() != std::process::id());
    assert_eq!(p.join().unwrap(), 42);
}

fn fork_returns_the_typed_result() {
    assert_eq!(threads().unwrap(), 1, "the runner keeps one thread");
    let p = fork_ctx().start(ADD, (2, 40)).unwrap();
    assert_eq!(p.join().unwrap(), 42);
    // A forked child panicking is reported the same way.
    let err = fork_ctx()
        .start(PANIC_AT_13, 13)
        .unwrap()
        .join()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Panicked { message, .. } if message == "thirteen is unlucky"),
        "{err}"
    );
}

fn fork_is_refused_with_two_threads() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || rx.recv());
    let err = fork_ctx().start(ADD, (1, 1)).unwrap_err();
    drop(tx);
    t.join().unwrap().ok();
    assert!(
        matches!(err, Error::ForkWithThreads { threads: 2 }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("cannot fork: this process runs 2 threads"),
        "{err}"
    );
    // Spawn is fine with threads.
    assert_eq!(ctx().start(ADD, (1, 1)).unwrap().join().unwrap(), 2);
}

fn fork_is_refused_without_a_thread_counter() {
    let ctx =
        Context::new(std::env::current_exe().unwrap()).with_start_method(procs::StartMethod::Fork);
    let err = ctx.start(ADD, (1, 1)).unwrap_err();
    assert!(matches!(err, Error::NoThreadCounter), "{err}");
}

fn a_panic_is_an_error_naming_the_function() {
    let p = ctx().start(PANIC_AT_13, 13).unwrap();
    let pid = p.pid();
    let err = p.join().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("`panic_at_13` panicked in process {pid}: thirteen is unlucky")
    );
    assert_eq!(ctx().start(PANIC_AT_13, 12).unwrap().join().unwrap(), 12);
}

fn exit_codes_and_signals() {
    let p = ctx().start(EXIT_3, ()).unwrap();
    let pid = p.pid();
    let err = p.join().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Died {
                exit: Exit::Code(3),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("process {pid} running `exit_3` exited with code 3 before answering")
    );
    let mut p = ctx().start(EXIT_3, ()).unwrap();
    assert_eq!(p.wait().unwrap(), Exit::Code(3));
    assert_eq!(p.exit().unwrap().exitcode(), 3);
}

fn kill_terminate_and_is_alive() {
    for (sig, stop) in [(libc::SIGKILL, true), (libc::SIGTERM, false)] {
        let mut p = ctx().start(SLEEP_MS, 60_000).unwrap();
        assert!(p.is_alive());
        if stop {
            p.kill().unwrap();
        } else {
            p.terminate().unwrap();
        }
        let begin = Instant::now();
        let err = p.join().unwrap_err();
        assert!(begin.elapsed() < Duration::from_secs(10));
        assert!(
            matches!(err, Error::Died { exit: Exit::Signal(s), .. } if s == sig),
            "{err}"
        );
    }
    let mut p = ctx().start(SLEEP_MS, 1).unwrap();
    let begin = Instant::now();
    while p.is_alive() {
        assert!(
            begin.elapsed() < Duration::from_secs(10),
            "a 1 ms child still alive"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(p.exit(), Some(Exit::Code(0)));
    // Killing a reaped process is a no-op, and its answer is still there.
    p.kill().unwrap();
    assert_eq!(p.join().unwrap(), 1);
}

fn an_unregistered_function_is_an_error() {
    let err = ctx().start(UNKNOWN, ()).unwrap().join().unwrap_err();
    assert!(
        err.to_string().ends_with("could not run `not_registered`: no function named `not_registered` is registered in the child program"),
        "{err}"
    );
}

fn fork_exec_reports_the_exit_status() {
    let sh = OsString::from("sh");
    let mut p = fork_ctx()
        .fork_exec(&sh, &["-c".into(), "exit 7".into()])
        .unwrap();
    assert_eq!(p.wait().unwrap(), Exit::Code(7));
    let mut p = fork_ctx()
        .fork_exec(&OsString::from("/nonexistent/program"), &[])
        .unwrap();
    let err = p.wait().unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot run `/nonexistent/program`: No such file"),
        "{err}"
    );
    assert_eq!(p.exit(), Some(Exit::Code(127)));
}

fn a_result_may_carry_shared_memory() {
    let v = ctx().start(MAKE_VALUE, 41).unwrap().join().unwrap();
    assert_eq!(v.get(), 41);
    *v.lock().unwrap() += 1;
    assert_eq!(v.get(), 42);
}

fn a_hundred_processes_start_and_join() {
    for c in [ctx(), fork_ctx()] {
        let ps: Vec<_> = (0..100).map(|i| c.start(ADD, (i, 1)).unwrap()).collect();
        let sum: u64 = ps.into_iter().map(|p| p.join().unwrap()).sum();
        assert_eq!(sum, (1..=100).sum::<u64>());
    }
}

fn registry_refuses_duplicates() {
    let mut r = Registry::new();
    r.add(ADD).unwrap();
    let err = r.add(ADD).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a function named `add` is already registered"
    );
    assert!(r.contains("add") && !r.contains("square"));
}

fn a_child_started_by_hand_exits_2() {
    let exe = std::env::current_exe().unwrap();
    for args in [
        vec![procs::child::CHILD_ARG],
        vec![procs::child::CHILD_ARG, "0"],
        vec![procs::child::CHILD_ARG, "999"],
    ] {
        let out = std::process::Command::new(&exe)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("only a parent process starts a child this way"),
            "{err}"
        );
    }
}
