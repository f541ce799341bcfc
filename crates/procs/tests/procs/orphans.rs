//! No child outlives its parent, however the parent ends.

use std::time::{Duration, Instant};

use procs::Array;

use crate::funcs::*;
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "orphans_none_after_the_parent_gets_sigterm",
        none_after_sigterm,
    ),
    (
        "orphans_none_after_the_parent_gets_sigkill",
        none_after_sigkill,
    ),
    (
        "orphans_none_after_a_dropped_process",
        none_after_a_dropped_process,
    ),
];

fn none_after_sigterm() {
    children_die_with_their_parent(libc::SIGTERM);
}

fn none_after_sigkill() {
    children_die_with_their_parent(libc::SIGKILL);
}

/// Whether `pid` is a live process (neither gone nor a zombie), by /proc.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => false,
    }
}

/// Waits up to 10 s for `pid` to be gone.
fn gone_soon(pid: i32) -> bool {
    let begin = Instant::now();
    while alive(pid) {
        if begin.elapsed() > Duration::from_secs(10) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// A parent with two processes and two pool workers, killed by `signal`.
fn children_die_with_their_parent(signal: i32) {
    let pids = Array::<i32>::zeroed(5).unwrap();
    let mut parent = ctx().start(PARENT_OF_FOUR, pids.clone()).unwrap();
    let begin = Instant::now();
    while pids.to_vec().unwrap().contains(&0) {
        assert!(
            begin.elapsed() < Duration::from_secs(30),
            "the children did not start: {:?}",
            pids.to_vec()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let all = pids.to_vec().unwrap();
    assert!(all.iter().all(|&p| alive(p)), "{all:?}");
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(all[0], signal) }, 0);
    assert_eq!(parent.wait().unwrap(), procs::Exit::Signal(signal));
    for &child in &all[1..] {
        assert!(
            gone_soon(child),
            "process {child} outlived its parent {}",
            all[0]
        );
    }
}

fn none_after_a_dropped_process() {
    let pids = Array::<i32>::zeroed(1).unwrap();
    let p = ctx()
        .start(REPORT_PID_AND_SLEEP, (pids.clone(), 0))
        .unwrap();
    let pid = p.pid() as i32;
    drop(p);
    assert!(!alive(pid));
}
