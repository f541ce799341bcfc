//! Signals that end `hpcrs` (SIGINT, SIGTERM, SIGHUP, SIGPIPE) while it
//! writes files: whatever the command and the moment, no temporary is left
//! behind, and the process ends as the signal says (killed by it), or, for
//! the commands that stop by themselves at the first signal (`ooc create`,
//! `expr --input … --out`), with their "interrupted" line.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::util::{hpcrs_process, stderr};

/// Commands that keep temporaries in flight for most of their run, each
/// for well over a second: a checkpoint written at every step, a 2.3 GiB
/// array, an expression over a file written chunk by chunk.
const WRITERS: [&[&str]; 3] = [
    &[
        "diff2d",
        "--checkpoint-every",
        "1",
        "--out",
        "out",
        "--graphics",
    ],
    &[
        "ooc",
        "create",
        "big.npy",
        "--shape",
        "17500x17500",
        "--fill",
        "random",
        "--no-sync",
    ],
    &[
        "expr",
        "a*2 + 1",
        "--input",
        "a=in.npy",
        "--out",
        "out.npy",
        "--no-sync",
    ],
];

/// Whether writer `w` stops by itself at the first SIGINT, SIGTERM or SIGHUP.
fn stops_by_itself(w: usize, signal: i32) -> bool {
    w > 0 && signal != libc::SIGPIPE
}

/// Every entry under `dir` whose name marks a temporary (`.NAME.XXXXXX.tmp`).
fn temporaries(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            found.push(entry.path().display().to_string());
        }
        if entry.file_type().unwrap().is_dir() {
            found.extend(temporaries(&entry.path()));
        }
    }
    found
}

/// Starts writer `w` in `dir` (making its input first), with `ignored`
/// signals ignored from the start, as a background job or `nohup` does.
fn start(dir: &Path, w: usize, ignored: &[i32]) -> Child {
    if w == 2 && !dir.join("in.npy").exists() {
        let made = hpcrs_process()
            .args([
                "ooc",
                "create",
                "in.npy",
                "--shape",
                "8000x8000",
                "--fill",
                "random",
            ])
            .args(["--no-sync", "-q"])
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(made.success());
    }
    let ignored = ignored.to_vec();
    let mut cmd = hpcrs_process();
    cmd.args(WRITERS[w])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: the closure only calls signal, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            for &s in &ignored {
                libc::signal(s, libc::SIG_IGN);
            }
            Ok(())
        });
    }
    cmd.spawn().unwrap()
}

/// Sends `signal` to the running child.
fn send(child: &Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions; the pid is our child,
    // not yet reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any ending signal, at any moment of any writer's run: no temporary
    /// is left, and the process ends by the signal (or, for a writer that
    /// stops by itself, with "interrupted" and status 130).
    #[test]
    fn an_ending_signal_leaves_no_temporary(
        w in 0..WRITERS.len(),
        signal in prop::sample::select(vec![libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGPIPE]),
        after_ms in 50u64..600,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut child = start(dir.path(), w, &[]);
        std::thread::sleep(Duration::from_millis(after_ms));
        if child.try_wait().unwrap().is_none() {
            send(&child, signal);
        }
        let out = child.wait_with_output().unwrap();
        let left = temporaries(dir.path());
        prop_assert!(left.is_empty(), "{:?} left {left:?} after signal {signal}", WRITERS[w]);
        if out.status.success() {
            // It finished before the signal came: nothing to check.
        } else if stops_by_itself(w, signal) && out.status.code() == Some(130) {
            prop_assert!(stderr(&out).contains("interrupted; "), "{}", stderr(&out));
        } else {
            // Killed by it: any writer, or one that stops by itself but was
            // signalled before it said so.
            prop_assert_eq!(out.status.signal(), Some(signal), "{:?}: {}", out.status, stderr(&out));
        }
    }
}

#[test]
fn a_second_signal_ends_a_writer_that_stops_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), 1, &[]);
    // The handler is in place once the temporary exists.
    let t0 = Instant::now();
    while temporaries(dir.path()).is_empty() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Two signals at once: the first asks it to stop, the second ends it
    // before it gets there.
    send(&child, libc::SIGTERM);
    send(&child, libc::SIGTERM);
    let status = child.wait().unwrap();
    assert!(
        status.signal() == Some(libc::SIGTERM) || status.code() == Some(130),
        "{status:?}"
    );
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn a_signal_ignored_from_the_start_stays_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), 0, &[libc::SIGINT]);
    std::thread::sleep(Duration::from_millis(300));
    send(&child, libc::SIGINT);
    // Then SIGTERM, which it does not ignore, ends it as usual.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGINT ended a process that ignores it"
    );
    send(&child, libc::SIGTERM);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    assert!(temporaries(dir.path()).is_empty());
}
