//! `hpcrs auc`, `summer`, `expr` and `bench` as a hostile user drives them:
//! numbers written every way, counts too large for memory, a full standard
//! output, workers that lie or outlive their parent. Each ends in the right
//! answer, a clap usage error (exit 2) or one `hpcrs: error:` line (exit 1);
//! never a panic, an abort, a signal or a stray process.

use std::process::{Output, Stdio};

use proptest::prelude::*;

use crate::util::{ends_cleanly, hpcrs_process, stderr, stdout};

/// Runs `hpcrs ARGS` with no input and without backtraces.
fn run(args: &[&str]) -> Output {
    hpcrs_process()
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Asserts that `out` is a clap usage error (exit 2) whose first line is
/// `error: invalid value 'VALUE' for 'ARG': REASON`.
fn usage_error(out: &Output, value: &str, arg: &str, reason: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!("error: invalid value '{value}' for '{arg}': {reason}")
    );
    assert!(stdout(out).is_empty(), "{}", stdout(out));
}

/// Asserts that `out` failed with exit code 1 and one line on standard
/// error, `hpcrs: error: ...` containing `needle`.
fn one_line_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("hpcrs: error: "), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

// ---- One parser for counts everywhere ----

#[test]
fn counts_are_written_the_same_way_in_every_subcommand() {
    // The same count three ways gives the same answer.
    let area = |ntot: &str| stdout(&run(&["auc", ntot, "--backend", "naive"]));
    let plain = area("3000000");
    assert_eq!(plain, "The area is 8.175000\n");
    assert_eq!(area("3_000_000"), plain);
    assert_eq!(area("3e6"), plain);
    assert_eq!(area("0.3e7"), plain);
    let out = run(&[
        "summer", "--mode", "serial", "--jobs", "2e0", "--n", "1_000",
    ]);
    assert!(
        stdout(&out).starts_with("2 jobs (serial): each sum(range(0, 1000)) = 499500\n"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "expr",
        "a",
        "--n",
        "1e4",
        "--repeat",
        "1e0",
        "--threads",
        "1",
    ]);
    assert!(
        stdout(&out)
            .contains("inputs: 1 x [10000] f64; result f64; 1 VM instruction(s); 1 thread(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn what_is_not_a_count_is_a_usage_error_naming_the_argument() {
    let max = u64::MAX;
    for (args, value, arg, reason) in [
        (
            &["auc", "_1"][..],
            "_1",
            "[NTOT]",
            "`_` may only stand between two digits, as in 1_000_000",
        ),
        (
            &["auc", "1e400"],
            "1e400",
            "[NTOT]",
            &format!("too large: at most {max}"),
        ),
        (&["auc", "-5"], "-5", "[NTOT]", "a count cannot be negative"),
        (
            &["auc", "1.5"],
            "1.5",
            "[NTOT]",
            "not a whole number; expected one such as 1000000, 1_000_000 or 1e6",
        ),
        (
            &["auc", ""],
            "",
            "[NTOT]",
            "empty; expected a whole number such as 1000000, 1_000_000 or 1e6",
        ),
        (
            &["expr", "a", "--n", "1.5e0"],
            "1.5e0",
            "--n <N>",
            "not a whole number; expected one such as 1000000, 1_000_000 or 1e6",
        ),
        (
            &["expr", "a", "--repeat", "x"],
            "x",
            "--repeat <REPEAT>",
            "not a whole number such as 1000000, 1_000_000 or 1e6",
        ),
        (
            &["summer", "--jobs", "1__0"],
            "1__0",
            "--jobs <JOBS>",
            "`_` may only stand between two digits, as in 1_000_000",
        ),
        (
            &["summer", "--n", "-1"],
            "-1",
            "--n <N>",
            "a count cannot be negative",
        ),
        (
            &["summer", "--n", "18446744073709551616"],
            "18446744073709551616",
            "--n <N>",
            &format!("too large: at most {max}"),
        ),
        (
            &["bench", "--runs", "1e-1"],
            "1e-1",
            "--runs <RUNS>",
            "not a whole number; expected one such as 1000000, 1_000_000 or 1e6",
        ),
    ] {
        usage_error(&run(args), value, arg, reason);
    }
}

#[test]
fn threads_zero_is_all_cores_and_above_the_cap_is_refused_everywhere() {
    let max = runtime::pool::MAX_THREADS;
    let over = (max + 1).to_string();
    let reason = format!("{over} threads is more than the {max} allowed");
    for args in [
        &["auc", "1000", "--threads", &over][..],
        &["expr", "a", "--threads", &over],
        &["bench", "--quick", "--threads", &over],
        &["wordcount", "--threads", &over],
    ] {
        usage_error(&run(args), &over, "--threads <THREADS>", &reason);
    }
    usage_error(
        &run(&["diff2d", "--threads", &over]),
        &over,
        "--threads <N>",
        &reason,
    );
    // The case that took 40 s: refused at once.
    let begin = std::time::Instant::now();
    usage_error(
        &run(&["auc", "1000000", "--threads", "10000"]),
        "10000",
        "--threads <THREADS>",
        &format!("10000 threads is more than the {max} allowed"),
    );
    assert!(begin.elapsed().as_secs() < 5);
    let cores = std::thread::available_parallelism().unwrap().get();
    let out = run(&["expr", "a", "--n", "10", "--repeat", "1", "--threads", "0"]);
    assert!(
        stdout(&out).contains(&format!("; {cores} thread(s)\n")),
        "{}",
        stderr(&out)
    );
    let out = run(&["auc", "1000", "--threads", "0"]);
    assert_eq!(stdout(&out), "The area is 8.173655\n", "{}", stderr(&out));
}

#[test]
fn auc_zero_points_is_one_error_line() {
    one_line_error(
        &run(&["auc", "0"]),
        "NTOT must be at least 1 (the number of sample points), got 0",
    );
    one_line_error(
        &run(&["auc", "1e16"]),
        "NTOT = 10000000000000000 is too large",
    );
}

/// Texts for a count argument: counts in every form, numbers as people
/// mistype them, and arbitrary text.
fn count_texts() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..=5000).prop_map(|n| n.to_string()),
        (1u64..=50, 0u32..=3).prop_map(|(m, e)| format!("{m}e{e}")),
        any::<u64>().prop_map(|n| n.to_string()),
        "[+-]?[0-9_]{1,4}(\\.[0-9_]{0,2})?([eE][+-]?[0-4])?",
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn summer_with_any_n_answers_the_closed_form_or_fails_cleanly(n in count_texts()) {
        let out = run(&["summer", "--mode", "serial", "--jobs", "1", &format!("--n={n}")]);
        ends_cleanly(&out, |text| {
            let want = text
                .split_once(" = ")
                .and_then(|(head, total)| {
                    let n: u128 = head.strip_prefix("1 jobs (serial): each sum(range(0, ")?
                        .strip_suffix("))")?
                        .parse()
                        .ok()?;
                    let total: u128 = total.lines().next()?.parse().ok()?;
                    Some(total == n * n.saturating_sub(1) / 2)
                });
            match want {
                Some(true) => Ok(()),
                _ => Err(format!("--n={n}: {text}")),
            }
        })
        .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn auc_with_any_ntot_answers_or_fails_cleanly(ntot in count_texts()) {
        let out = run(&["auc", &ntot, "--backend", "naive"]);
        ends_cleanly(&out, |text| match text.starts_with("The area is ") {
            true => Ok(()),
            false => Err(format!("NTOT {ntot:?}: {text}")),
        })
        .map_err(TestCaseError::fail)?;
    }
}

// ---- Counts are checked before allocating ----

#[test]
fn expr_refuses_arrays_larger_than_memory_saying_how_much_they_need() {
    let out = run(&["expr", "a", "--n", "1000000000000"]);
    one_line_error(
        &out,
        "--n 1000000000000 (1 f64 input(s) of [1000000000000] and the f64 result) needs 14.55 TiB but ",
    );
    assert!(
        stderr(&out).ends_with(" is available\n"),
        "{}",
        stderr(&out)
    );
    one_line_error(
        &run(&["expr", "a+b", "--n", "1e12", "--dtype", "i32"]),
        "--n 1000000000000 (2 i32 input(s) of [1000000000000] and the i32 result) needs 10.91 TiB but ",
    );
    // Sizes that overflow 64 bits, on one axis and with a stencil on two.
    one_line_error(
        &run(&["expr", "a", "--n", "18446744073709551615"]),
        "--n 18446744073709551615 (1 f64 input(s) of [18446744073709551615] and the f64 result) \
         needs more than 16 EiB, more than a process can address",
    );
    one_line_error(
        &run(&["expr", "u[1,0] + u", "--n", "18446744073709551615"]),
        "(1 f64 input(s) of [4294967296, 4294967296] and the f64 result) needs more than 16 EiB",
    );
    one_line_error(
        &run(&["expr", "u[1,0,0] + u", "--n", "1e18"]),
        "(1 f64 input(s) of [1000000, 1000000, 1000000] and the f64 result) needs 13.88 EiB, \
         more than a process can address",
    );
}

#[test]
fn summer_caps_its_jobs_in_every_mode() {
    let max_threads = runtime::pool::MAX_THREADS;
    for (mode, jobs, max, cost) in [
        (
            "serial",
            "18446744073709551615",
            100_000,
            "each job's total is kept",
        ),
        ("serial", "100001", 100_000, "each job's total is kept"),
        (
            "threads",
            "18446744073709551615",
            max_threads,
            "one OS thread per job",
        ),
        (
            "threads",
            "100000000000",
            max_threads,
            "one OS thread per job",
        ),
        (
            "processes",
            "100000000000",
            1024,
            "one worker process per job",
        ),
        ("processes", "1025", 1024, "one worker process per job"),
    ] {
        let begin = std::time::Instant::now();
        one_line_error(
            &run(&["summer", "--mode", mode, "--jobs", jobs, "--n", "10"]),
            &format!("--jobs {jobs} is more than the {max} allowed in {mode} mode ({cost})"),
        );
        assert!(begin.elapsed().as_secs() < 5, "{mode} {jobs}");
    }
    // The caps themselves run.
    let out = run(&[
        "summer",
        "--mode",
        "threads",
        "--jobs",
        &max_threads.to_string(),
        "--n",
        "10",
    ]);
    assert!(
        stdout(&out).starts_with(&format!(
            "{max_threads} jobs (threads): each sum(range(0, 10)) = 45\n"
        )),
        "{}",
        stderr(&out)
    );
}

// ---- Writing to standard output ----

#[test]
fn a_full_standard_output_is_one_error_line_not_a_panic() {
    for args in [
        &["auc", "1000"][..],
        &["auc", "1000", "--backend", "naive"],
        &["summer", "--mode", "serial", "--jobs", "2", "--n", "10"],
        &["summer", "--mode", "threads", "--jobs", "2", "--n", "10"],
        &["summer", "--mode", "processes", "--jobs", "2", "--n", "10"],
        &["expr", "a", "--n", "10", "--repeat", "1"],
        &["expr", "sum(a)", "--n", "10", "--repeat", "1"],
        &["bench", "--quick", "--quiet", "--only", "summer"],
    ] {
        crate::util::assert_full_stdout_is_one_error(args);
    }
}

#[test]
fn a_full_standard_error_does_not_stop_the_answer() {
    let out = hpcrs_process()
        .args(["auc", "1000"])
        .stderr(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "The area is 8.173655\n");
}

// ---- Every error is one line ----

#[test]
fn expression_errors_are_one_line_naming_the_expression() {
    one_line_error(
        &run(&["expr", "a + * b"]),
        "parsing the expression `a + * b`: syntax error at column 5: expected a value, found `*`",
    );
    one_line_error(
        &run(&["expr", "a + zz(a)", "--n", "10"]),
        "compiling the expression `a + zz(a)`: type error at column 5: unknown function `zz`",
    );
    // An expression that spans lines still makes one error line.
    one_line_error(
        &run(&["expr", "a +\n* b"]),
        "parsing the expression `a + * b`: ",
    );
}

/// Long operator chains and deep parentheses compile without recursion:
/// no stack overflow at any length an argument can have.
#[test]
fn long_operator_chains_and_deep_nesting_compile() {
    let chain = format!("a{}", "+b".repeat(20_000));
    let nested = format!("{}a{}", "(".repeat(30_000), ")".repeat(30_000));
    for expression in [chain, nested] {
        let out = run(&["expr", &expression, "--n", "1000", "--repeat", "1"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

// ---- summer --mode processes: workers checked, and never left behind ----

#[test]
fn a_worker_answering_a_wrong_total_is_an_error_naming_it() {
    let out = hpcrs_process()
        .args(["summer", "--mode", "processes", "--jobs", "3", "--n", "100"])
        .env("HPCRS_SUMMER_WRONG_TOTAL", "1")
        .output()
        .unwrap();
    one_line_error(
        &out,
        "worker process 0 answered 49501, but sum(range(0, 100)) is 4950",
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_worker_that_cannot_start_is_one_error_line() {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: 64,
        rlim_max: 64,
    };
    let mut cmd = hpcrs_process();
    cmd.args([
        "summer",
        "--mode",
        "processes",
        "--jobs",
        "200",
        "--n",
        "10",
    ]);
    // SAFETY: the closure runs in the forked child before exec and calls
    // only setrlimit, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || match libc::setrlimit(libc::RLIMIT_NOFILE, &limit) {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        });
    }
    let out = cmd.output().unwrap();
    one_line_error(&out, ": Too many open files (os error 24)");
    assert!(stderr(&out).starts_with("hpcrs: error: cannot start worker process "));
    assert_eq!(stderr(&out).matches("Too many open files").count(), 1);
}

/// The environment variable that marks the processes of one test run:
/// the workers inherit it from the `hpcrs summer` that starts them.
const SUMMER_TAG: &str = "HPCRS_TEST_SUMMER_TAG";

/// The pids of the running processes, other than `parent`, whose
/// environment has `SUMMER_TAG=n`: the workers of that `hpcrs summer`.
fn summer_workers(n: &str, parent: u32) -> Vec<libc::pid_t> {
    let pattern = format!("{SUMMER_TAG}={n}\0");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let entry = entry.ok()?;
        let pid: libc::pid_t = entry.file_name().to_str()?.parse().ok()?;
        if pid as u32 == parent {
            return None;
        }
        let environ = std::fs::read(entry.path().join("environ")).ok()?;
        String::from_utf8_lossy(&environ)
            .contains(&pattern)
            .then_some(pid)
    })
    .collect()
}

/// Polls `done` every 20 ms for up to `seconds`; whether it came true.
fn within(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    done()
}

#[test]
fn sigterm_while_workers_start_leaves_no_worker_behind() {
    use std::os::unix::process::ExitStatusExt;
    // An n of this test only, large enough that a surviving worker would
    // run for seconds; it also tags the workers' environment, by which
    // they are found in /proc.
    let n = (workloads::summer::MAX_N - u64::from(std::process::id() % 1000)).to_string();
    let mut parent = hpcrs_process()
        .args(["summer", "--mode", "processes", "--jobs", "1024", "--n", &n])
        .env(SUMMER_TAG, &n)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = parent.id();
    let starting = within(30, || summer_workers(&n, id).len() >= 20);
    // SAFETY: kill has no memory-safety preconditions; the pid is our child,
    // not yet reaped.
    unsafe { libc::kill(parent.id() as libc::pid_t, libc::SIGTERM) };
    let status = parent.wait().unwrap();
    assert!(starting, "no workers started");
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    let gone = within(10, || summer_workers(&n, id).is_empty());
    let left = summer_workers(&n, id);
    for &pid in &left {
        // SAFETY: as above; these are strays of this test.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(gone, "{} worker(s) outlived their parent", left.len());
}

#[test]
fn an_output_over_a_socket_or_a_directory_is_refused_and_the_path_kept() {
    // A socket stands for every path that is not a regular file (a device
    // such as /dev/null, a pipe): renaming an output over it would replace
    // it, and a test may not risk /dev/null.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("s.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let input = dir.path().join("in.npy");
    let made = run(&[
        "ooc",
        "create",
        input.to_str().unwrap(),
        "--shape",
        "4x4",
        "-q",
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let s = socket.to_str().unwrap();
    let a = format!("a={}", input.display());
    for args in [
        vec!["ooc", "create", s, "--shape", "3x3"],
        vec!["expr", "a + 1", "--input", &a, "--out", s],
        vec!["diff2d", "--set", "runtime=0.01", "--checkpoint", s],
        vec![
            "diff2d",
            "--set",
            "runtime=0.01",
            "--checkpoint-every",
            "5",
            "--checkpoint",
            s,
        ],
    ] {
        let out = run(&args);
        one_line_error(&out, "not a regular file (a device, pipe or socket)");
        assert!(stderr(&out).contains(s), "{}", stderr(&out));
        let kept = std::fs::symlink_metadata(&socket).unwrap();
        assert!(
            std::os::unix::fs::FileTypeExt::is_socket(&kept.file_type()),
            "{args:?} replaced it"
        );
    }
    let out = run(&[
        "diff2d",
        "--set",
        "runtime=0.01",
        "--checkpoint",
        dir.path().to_str().unwrap(),
    ]);
    one_line_error(&out, "is a directory");
    let mut names = runtime::atomic::entry_names(dir.path()).unwrap();
    names.sort();
    assert_eq!(names, ["in.npy", "s.sock"], "nothing else is left");
}

#[test]
fn an_endless_input_is_one_error_line_not_all_of_the_memory() {
    // /dev/zero never ends and has no line end: every reader stops at its
    // bound (a few hundred MiB at most) and names it.
    for (args, needle) in [
        (
            vec!["wordcount", "--stopwords", "/dev/zero"],
            "/dev/zero: larger than 64 MiB",
        ),
        (
            vec!["wordcount", "/dev/zero"],
            "/dev/zero: a line longer than 256 MiB",
        ),
        (
            vec!["wordcount", "--course", "/dev/zero"],
            "/dev/zero: a line longer than 256 MiB",
        ),
        (
            vec!["diff2d", "--params", "/dev/zero"],
            "/dev/zero: larger than 1 MiB",
        ),
        (
            vec!["diff2d", "--resume", "/dev/zero"],
            "/dev/zero: is not an hpcrs diff2d checkpoint",
        ),
    ] {
        let mut cmd = hpcrs_process();
        cmd.args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null());
        let out = cmd.output().unwrap();
        one_line_error(&out, needle);
    }
}
