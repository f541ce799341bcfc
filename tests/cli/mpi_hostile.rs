//! `hpcrs mpi` under hostile conditions: many local ranks, a full standard
//! output, and arguments out of range. Each ends in the right answer or a
//! one-line error, never a panic, an abort or a hang.

use std::process::Stdio;

use proptest::prelude::*;

use crate::util::{ends_cleanly, hpcrs_process, run_measured, stderr, stdout};

#[test]
fn a_thousand_local_ranks_fit_in_bounded_memory() {
    let (out, peak) = run_measured(&["mpi", "hello", "--local", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1000);
    assert!(text.contains("I am process 999 of 1000 on "), "{text}");
    eprintln!("peak RSS with 1000 local ranks: {} MiB", peak >> 20);
    // One mailbox and one thread per rank: about 20 MiB. A channel per pair
    // of ranks (a million of them) needs 770 MiB.
    assert!(peak < 100 << 20, "peak RSS {} MiB", peak >> 20);
}

/// Asserts that `out` failed with exit code 1 and exactly one line on
/// standard error, `hpcrs: error: ...` containing `needle`.
fn one_line_error(out: &std::process::Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("hpcrs: error: "), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
}

#[test]
fn more_local_ranks_than_threads_allowed_is_a_one_line_error() {
    let max = runtime::pool::MAX_THREADS;
    let (out, _) = run_measured(&["mpi", "hello", "--local", &max.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), max);
    for n in [
        (max + 1).to_string(),
        "100000000000".into(),
        usize::MAX.to_string(),
    ] {
        let (out, _) = run_measured(&["mpi", "hello", "--local", &n]);
        one_line_error(
            &out,
            &format!("--local {n} is more than the {max} local ranks allowed"),
        );
    }
}

#[test]
fn a_thread_the_system_refuses_is_an_error_and_no_rank_runs() {
    let out = hpcrs_process()
        .args(["mpi", "hello", "--local", "1000"])
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .limit_threads(64)
        .output()
        .unwrap();
    one_line_error(
        &out,
        "cannot start 1000 local rank(s): the system refused the thread of rank ",
    );
}

/// Runs a command whose user may have at most `n` processes and threads
/// (`RLIMIT_NPROC`), so that creating more fails cleanly with `EAGAIN`. The
/// limit binds no process with `CAP_SYS_RESOURCE`, so root runs the command
/// as `nobody`. (A cap on the address space would make the threads' own
/// start-up allocations fail too, which aborts whatever the program does.)
trait LimitThreads {
    fn limit_threads(&mut self, n: u64) -> &mut Self;
}

impl LimitThreads for std::process::Command {
    fn limit_threads(&mut self, n: u64) -> &mut Self {
        use std::os::unix::process::CommandExt;
        const NOBODY: libc::uid_t = 65534;
        let limit = libc::rlimit {
            rlim_cur: n as libc::rlim_t,
            rlim_max: n as libc::rlim_t,
        };
        // SAFETY: the closure runs in the forked child before exec and calls
        // only getuid, setgroups, setgid, setuid and setrlimit, which are
        // async-signal-safe.
        unsafe {
            self.pre_exec(move || {
                let fail = || Err(std::io::Error::last_os_error());
                if libc::getuid() == 0
                    && (libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(NOBODY) != 0
                        || libc::setuid(NOBODY) != 0)
                {
                    return fail();
                }
                match libc::setrlimit(libc::RLIMIT_NPROC, &limit) {
                    0 => Ok(()),
                    _ => fail(),
                }
            })
        }
    }
}

#[test]
fn a_full_standard_output_is_one_error_not_a_panic_per_rank() {
    for args in [
        &["mpi", "hello", "--local", "2"][..],
        &["mpi", "hello", "--local", "64"],
        &["mpi", "ring", "--local", "3", "--flavour", "buffer"],
        &["mpi", "selftest", "--local", "2"],
        &[
            "mpi",
            "halo",
            "--local",
            "2",
            "--max-bytes",
            "8",
            "--trials",
            "1",
        ],
    ] {
        crate::util::assert_full_stdout_is_one_error(args);
    }
}

#[test]
fn halo_arguments_out_of_range_are_one_line_errors() {
    for (args, needle) in [
        (
            &["--max-bytes", "0"][..],
            "--max-bytes must be between 8 and 2^30, got 0",
        ),
        (
            &["--max-bytes", "18446744073709551615"],
            "--max-bytes must be between 8 and 2^30, got 18446744073709551615",
        ),
        (&["--trials", "0"], "--trials must be at least 1"),
        (
            &["--trials", "101"],
            "--trials 101 is more than the 100 allowed",
        ),
        (
            &["--trials", "18446744073709551615"],
            "--trials 18446744073709551615 is more than the 100 allowed",
        ),
    ] {
        let out = hpcrs_process()
            .args(["mpi", "halo", "--local", "2"])
            .args(args)
            .output()
            .unwrap();
        one_line_error(&out, needle);
    }
}

#[test]
fn halo_refuses_messages_that_would_not_fit_in_memory() {
    // 1024 ranks, each holding a few copies of a 512 MiB message: terabytes.
    let out = hpcrs_process()
        .args([
            "mpi",
            "halo",
            "--local",
            "1024",
            "--max-bytes",
            "1073741824",
        ])
        .output()
        .unwrap();
    one_line_error(
        &out,
        "mpi halo: --max-bytes 1073741824 on 1024 local rank(s) needs about 2.50 TiB of memory, but ",
    );
    assert!(stderr(&out).contains(": lower --max-bytes or --local"));
}

#[test]
fn halo_on_many_local_ranks_ends_in_bounded_time() {
    // Far more ranks than cores: the repetitions shrink with the
    // oversubscription, so the table comes in seconds, not minutes.
    let start = std::time::Instant::now();
    let out = hpcrs_process()
        .args([
            "mpi",
            "halo",
            "--local",
            "256",
            "--max-bytes",
            "32",
            "--trials",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("buffer/object bandwidth at 32 bytes"),
        "{}",
        stdout(&out)
    );
    let took = start.elapsed();
    assert!(took.as_secs() < 20, "took {took:?}");
}

#[test]
fn selftest_passes_on_the_most_local_ranks() {
    let max = runtime::pool::MAX_THREADS.to_string();
    let out = hpcrs_process()
        .args(["mpi", "selftest", "--local", &max])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("selftest: 21 checks passed on {max} rank(s)")),
        "{}",
        stdout(&out)
    );
}

/// Runs `hpcrs mpi ARGS` with a clean environment for errors.
fn mpi(args: &[&str]) -> std::process::Output {
    hpcrs_process()
        .arg("mpi")
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `--local` values: counts around the limits, numbers as people mistype
/// them, and arbitrary text.
fn local_values() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..=48).prop_map(|n| n.to_string()),
        (1000usize..=1100).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[+-]?[0-9]{1,3}(\\.[0-9]|e[0-9])?",
        " ?[0-9_x]{1,4} ?",
        "\\PC{0,12}",
    ]
}

/// Checks that standard output is `hello` on `arg` ranks.
fn hello_lines(arg: &str, text: &str) -> Result<(), String> {
    let n: usize = arg
        .parse()
        .map_err(|e| format!("--local={arg:?} ({e}) ran: {text}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let of_n = format!(" of {n} on ");
    match lines.len() == n && lines.iter().all(|l| l.contains(&of_n)) {
        true => Ok(()),
        false => Err(format!("--local={arg}: {} line(s): {text}", lines.len())),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn hello_with_any_local_value_says_hello_n_times_or_fails_cleanly(arg in local_values()) {
        let out = mpi(&["hello", &format!("--local={arg}")]);
        ends_cleanly(&out, |text| hello_lines(&arg, text)).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn ring_with_any_flavour_and_local_value_fails_cleanly_or_answers(
        arg in local_values(),
        flavour in prop_oneof![Just("object".to_string()), Just("buffer".to_string()), "\\PC{0,8}"],
    ) {
        let out = mpi(&["ring", &format!("--local={arg}"), &format!("--flavour={flavour}")]);
        ends_cleanly(&out, |text| {
            let n: usize = arg.parse().map_err(|e| format!("{arg:?}: {e}"))?;
            match text.lines().count() == n {
                true => Ok(()),
                false => Err(format!("--local={arg}: {text}")),
            }
        })
        .map_err(TestCaseError::fail)?;
    }
}

proptest! {
    // Each run times every message size: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn halo_with_any_sizes_and_trials_prints_its_table_or_fails_cleanly(
        max_bytes in prop_oneof![
            (0usize..=512).prop_map(|n| n.to_string()),
            ((1u64 << 30) + 1..=u64::MAX).prop_map(|n| n.to_string()),
            "\\PC{0,8}",
        ],
        trials in prop_oneof![
            (0usize..=2).prop_map(|n| n.to_string()),
            (101u64..=u64::MAX).prop_map(|n| n.to_string()),
            "[+-]?[0-9]?[.e_][0-9]?",
            "\\PC{0,6}",
        ],
    ) {
        let out = mpi(&[
            "halo",
            "--local=2",
            &format!("--max-bytes={max_bytes}"),
            &format!("--trials={trials}"),
        ]);
        ends_cleanly(&out, |text| match text.contains("buffer/object bandwidth at ") {
            true => Ok(()),
            false => Err(format!("no ratio line: {text}")),
        })
        .map_err(TestCaseError::fail)?;
    }
}
