//! End-to-end tests of `hpcrs mp`: the course's fork and multiprocessing
//! programs, their arguments driven by a hostile user, and no child left
//! behind when hpcrs is killed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::util::{hpcrs, hpcrs_process, stderr, stdout};

/// Runs `hpcrs ARGS` and returns its output.
fn run(args: &[&str]) -> std::process::Output {
    hpcrs_process().args(args).output().unwrap()
}

/// The final value `mp race` prints on its last line.
fn race_final(args: &[&str]) -> u64 {
    let out = run(&[&["mp", "race"][..], args].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    text.lines().last().unwrap().parse().unwrap()
}

#[test]
fn fork_parent_and_child_say_who_they_are() {
    let out = run(&["mp", "fork"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{text}");
    // "Hello from <child>" and "Hello from parent <parent> <child>".
    let child = lines[0].strip_prefix("Hello from ").unwrap();
    let parent: Vec<&str> = lines[1]
        .strip_prefix("Hello from parent ")
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(parent[1], child, "{text}");
    assert_ne!(parent[0], child);
}

#[test]
fn exec_runs_the_program_and_reports_its_status() {
    let out = run(&["mp", "exec"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let pid = text
        .lines()
        .find_map(|l| l.strip_prefix("The child is "))
        .unwrap();
    assert!(
        text.contains("Cargo.toml"),
        "not an ls -l of the repository: {text}"
    );
    assert!(
        text.ends_with(&format!("child {pid} exited with code 0\n")),
        "{text}"
    );

    let out = run(&["mp", "exec", "--", "sh", "-c", "echo hi; exit 3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("hi\n"));
    assert!(
        stdout(&out).ends_with(" exited with code 3\n"),
        "{}",
        stdout(&out)
    );

    let out = run(&["mp", "exec", "--", "/nonexistent/program"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.ends_with(
            "cannot run `/nonexistent/program`: No such file or directory (os error 2)\n"
        ),
        "{err}"
    );
}

#[test]
fn race_without_a_lock_loses_updates_for_real() {
    // A 1 ms sleep between each load and its store: with 4 processes
    // almost every update is overwritten.
    for start in ["spawn", "fork"] {
        let got = race_final(&["--procs", "4", "--increments", "20", "--start", start]);
        assert!(got < 80, "{start}: no update lost ({got})");
        assert!(
            got >= 20,
            "{start}: fewer than one process's increments ({got})"
        );
    }
    // Without the sleep nothing forces a loss, but none can add.
    assert!(race_final(&["--procs", "4", "--increments", "1000", "--sleep-us", "0"]) <= 4000);
}

#[test]
fn race_with_a_lock_is_exact_every_time() {
    for start in ["spawn", "fork"] {
        for _ in 0..3 {
            let got = race_final(&[
                "--lock",
                "--procs",
                "4",
                "--increments",
                "25",
                "--sleep-us",
                "100",
                "--start",
                start,
            ]);
            assert_eq!(got, 100, "{start}");
        }
    }
    let out = run(&["mp", "race", "--lock", "--sleep-us", "0"]);
    assert_eq!(
        stdout(&out),
        "10 processes x 50 increments (load, sleep 0 us, store) under a lock: expected 500\n500\n"
    );
}

#[test]
fn array_is_negated_like_the_course() {
    for start in ["spawn", "fork"] {
        hpcrs()
            .args(["mp", "array", "--start", start])
            .assert()
            .success()
            .stdout("[-0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0]\n");
    }
    hpcrs()
        .args(["mp", "array", "--n", "1"])
        .assert()
        .success()
        .stdout("[-0.0]\n");
}

#[test]
fn pool_checksums_every_chunking() {
    // sum of x*x for x < 1000 = 999*1000*1999/6.
    for extra in [
        &[][..],
        &["--chunksize", "1"],
        &["--chunksize", "7"],
        &["--chunksize", "1000"],
    ] {
        let out = run(&[
            &["mp", "pool", "--workers", "2", "--tasks", "1000"][..],
            extra,
        ]
        .concat());
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.starts_with(
                "checksum 332833500 (sum of x*x for x in range(1000))\n1000 tasks on 2 workers in "
            ),
            "{text}"
        );
        assert!(text.ends_with(" tasks/s\n"), "{text}");
    }
}

#[test]
fn a_full_standard_output_is_one_error_line() {
    for args in [
        &["mp", "array", "--n", "3"][..],
        &["mp", "pool", "--tasks", "10"],
        &[
            "mp",
            "race",
            "--procs",
            "2",
            "--increments",
            "2",
            "--sleep-us",
            "0",
        ],
    ] {
        crate::util::assert_full_stdout_is_one_error(args);
    }
}

/// The values a hostile user gives a count: zero, beyond the caps, absurd,
/// negative, not numbers.
fn hostile_count() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1025".to_string()),
        Just("100000001".to_string()),
        Just("1e30".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("".to_string()),
        "[a-z]{1,5}",
        (2_000_000u64..u64::MAX).prop_map(|n| n.to_string()),
    ]
}

/// Every `mp` argument that takes a count, with a small valid rest.
fn hostile_command() -> impl Strategy<Value = Vec<String>> {
    let quick_race = |flag: &str, v: String| {
        let mut a: Vec<String> = [
            "mp",
            "race",
            "--procs",
            "2",
            "--increments",
            "2",
            "--sleep-us",
            "0",
        ]
        .map(String::from)
        .to_vec();
        let at = a.iter().position(|x| x == flag).unwrap();
        a[at + 1] = v;
        a
    };
    prop_oneof![
        hostile_count().prop_map(move |v| quick_race("--procs", v)),
        hostile_count().prop_map(move |v| quick_race("--increments", v)),
        hostile_count().prop_map(move |v| quick_race("--sleep-us", v)),
        hostile_count().prop_map(|v| vec!["mp".into(), "array".into(), "--n".into(), v]),
        hostile_count().prop_map(|v| vec![
            "mp".into(),
            "pool".into(),
            "--workers".into(),
            v,
            "--tasks".into(),
            "10".into()
        ]),
        hostile_count().prop_map(|v| vec!["mp".into(), "pool".into(), "--tasks".into(), v]),
        hostile_count().prop_map(|v| vec![
            "mp".into(),
            "pool".into(),
            "--tasks".into(),
            "10".into(),
            "--chunksize".into(),
            v
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// A hostile count is refused at once in one line (or, the few that
    /// are valid, runs quickly): never a fork bomb, a hang or a panic.
    #[test]
    fn hostile_counts_are_one_line_errors(args in hostile_command()) {
        let begin = Instant::now();
        let out = hpcrs_process().args(&args).stdin(Stdio::null()).output().unwrap();
        let err = stderr(&out);
        prop_assert!(begin.elapsed() < Duration::from_secs(20), "{args:?} took {:?}", begin.elapsed());
        prop_assert!(!err.contains("panicked"), "{args:?}: {err}");
        match out.status.code() {
            Some(0) => prop_assert!(err.is_empty(), "{args:?}: {err}"),
            Some(1) | Some(2) => {
                let first = err.lines().next().unwrap_or("");
                prop_assert!(first.starts_with("hpcrs: error: ") || first.starts_with("error: "), "{args:?}: {err}");
                if out.status.code() == Some(1) {
                    prop_assert_eq!(err.lines().count(), 1, "{:?}: {}", args, err);
                }
            }
            other => prop_assert!(false, "{args:?}: exit {other:?}: {err}"),
        }
    }
}

#[test]
fn refusals_name_the_argument_and_its_cap() {
    for (args, message) in [
        (&["mp", "race", "--procs", "0"][..], "--procs must be at least 1, got 0"),
        (&["mp", "race", "--procs", "1025"], "--procs 1025 is more than the 1024 allowed (one process each)"),
        (&["mp", "race", "--increments", "1000001"], "--increments 1000001 is more than the 1000000 allowed (the run's length)"),
        (&["mp", "race", "--sleep-us", "1000001"], "--sleep-us 1000001 is more than the 1000000 allowed (one second)"),
        (
            &["mp", "race", "--lock", "--procs", "1000", "--increments", "1000"],
            "--increments 1000 with --sleep-us 1000 is 1000 s of sleeping under the lock, one process after the other, more than the 600 s allowed",
        ),
        (&["mp", "array", "--n", "0"], "--n must be at least 1, got 0"),
        (&["mp", "pool", "--workers", "257"], "--workers 257 is more than the 256 allowed (one process each)"),
        (&["mp", "pool", "--tasks", "0"], "--tasks must be at least 1, got 0"),
        (&["mp", "pool", "--tasks", "10000001"], "--tasks 10000001 is more than the 10000000 allowed (about 32 bytes of memory each)"),
        (&["mp", "pool", "--tasks", "10", "--chunksize", "11"], "--chunksize 11 is more than the 10 allowed (no more than the tasks)"),
        (
            &["mp", "pool", "--tasks", "10000000", "--chunksize", "1"],
            "--tasks 10000000 in chunks of --chunksize 1 is 10000000 chunks, more than the 1000000 allowed (one message each)",
        ),
    ] {
        hpcrs()
            .args(args)
            .assert()
            .code(1)
            .stdout("")
            .stderr(format!("hpcrs: error: {message}\n"));
    }
}

/// The environment variable that marks the processes of one test: the
/// children inherit it from the hpcrs that starts them.
const TAG: &str = "HPCRS_TEST_MP_TAG";

/// The pids, other than `parent`, whose environment has `TAG=tag`.
fn tagged(tag: &str, parent: u32) -> Vec<i32> {
    let pattern = format!("{TAG}={tag}\0");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let entry = entry.ok()?;
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        if pid as u32 == parent {
            return None;
        }
        let environ = std::fs::read(entry.path().join("environ")).ok()?;
        let state = std::fs::read_to_string(entry.path().join("stat")).ok()?;
        let zombie = state.rsplit(')').next()?.split_whitespace().next()? == "Z";
        (!zombie && String::from_utf8_lossy(&environ).contains(&pattern)).then_some(pid)
    })
    .collect()
}

/// Polls `done` every 20 ms for up to `seconds`.
fn within(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// Starts `hpcrs ARGS`, waits until it has `children` children, kills it
/// with `signal`, and checks that none of them outlives it.
fn no_child_outlives(args: &[&str], children: usize, signal: i32) {
    let tag = format!("{}-{signal}-{}", std::process::id(), args.join("-"));
    let mut parent = hpcrs_process()
        .args(args)
        .env(TAG, &tag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = parent.id();
    let started = within(30, || tagged(&tag, id).len() >= children);
    // SAFETY: signalling our own child, not yet reaped.
    unsafe { libc::kill(id as i32, signal) };
    parent.wait().unwrap();
    assert!(started, "{args:?}: the children did not start");
    let gone = within(10, || tagged(&tag, id).is_empty());
    let left = tagged(&tag, id);
    for &pid in &left {
        // SAFETY: strays of this test.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(
        gone,
        "{args:?}: {} child(ren) outlived hpcrs killed by signal {signal}",
        left.len()
    );
}

#[test]
fn no_child_outlives_a_killed_hpcrs() {
    for signal in [libc::SIGTERM, libc::SIGKILL] {
        // Each process sleeps 20 s in all.
        no_child_outlives(
            &["mp", "race", "--procs", "6", "--increments", "20000"],
            6,
            signal,
        );
        no_child_outlives(
            &[
                "mp",
                "race",
                "--procs",
                "6",
                "--increments",
                "20000",
                "--start",
                "fork",
            ],
            6,
            signal,
        );
        // A million chunks keep the two pool workers busy for seconds.
        no_child_outlives(
            &[
                "mp",
                "pool",
                "--workers",
                "2",
                "--tasks",
                "5000000",
                "--chunksize",
                "5",
            ],
            2,
            signal,
        );
    }
}

#[test]
fn auc_processes_agrees_with_naive() {
    for n in ["1", "3", "4097", "1000003", "10000000"] {
        let naive = run(&["auc", n, "--backend", "naive"]);
        for threads in ["1", "2", "3"] {
            let got = run(&["auc", n, "--backend", "processes", "--threads", threads]);
            assert!(got.status.success(), "{n} {threads}: {}", stderr(&got));
            assert_eq!(stdout(&got), stdout(&naive), "NTOT {n}, {threads} workers");
            let error =
                |out: &std::process::Output| stderr(out).split(';').next().unwrap().to_string();
            assert_eq!(error(&got), error(&naive), "NTOT {n}, {threads} workers");
        }
    }
    let out = run(&["auc", "1000", "--backend", "processes", "--threads", "257"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "hpcrs: error: computing the area with 1000 points: processes backend: a pool has 1 to 256 workers, not 257\n"
    );
}

#[test]
fn the_hidden_child_argument_by_hand_is_a_usage_error() {
    for args in [
        &["--hpcrs-procs-child"][..],
        &["--hpcrs-procs-child", "7"],
        &["--hpcrs-procs-child", "x", "mp"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("hpcrs: error: --hpcrs-procs-child "),
            "{err}"
        );
        assert!(
            err.ends_with("only a parent process starts a child this way, giving it its socket\n"),
            "{err}"
        );
    }
}

#[test]
#[ignore = "needs Python ($PYTHON or python3): .ci/run runs it"]
fn python_multiprocessing_prints_what_hpcrs_prints() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let peers = format!("{}/scripts/mp_peers.py", crate::util::ROOT);
    let py = |args: &[&str]| {
        let out = std::process::Command::new(&python)
            .arg(&peers)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{python} {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let hp = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(py(&["array"]), hp(&["mp", "array"]));
    // The fixed race: both print 500 last.
    assert_eq!(py(&["race", "lock"]), "500\n");
    assert!(hp(&["mp", "race", "--lock", "--sleep-us", "0"]).ends_with("\n500\n"));
    // Pool.map's checksum.
    let checksum = py(&["pool", "2", "1000"]);
    assert_eq!(checksum, "checksum 332833500\n");
    assert!(hp(&["mp", "pool", "--tasks", "1000"]).starts_with("checksum 332833500 "));
}
