//! `hpcrs mpi` under hostile conditions: many local ranks, a full standard
//! output, and arguments out of range. Each ends in the right answer or a
//! one-line error, never a panic, an abort or a hang.

use std::process::Stdio;

use crate::util::{hpcrs_process, stderr, stdout};

/// Runs `hpcrs ARGS` to completion; returns its output and its peak
/// resident set in bytes (the kernel's account of that child alone).
fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let child = hpcrs_process()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // Read the pipes on threads, so that a chatty child never blocks on them.
    let mut child = child;
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both pointers are valid
    // for writes of their types.
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    let status = std::os::unix::process::ExitStatusExt::from_raw(status);
    let output = std::process::Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    // ru_maxrss is in kilobytes on Linux.
    (output, usage.ru_maxrss as u64 * 1024)
}

#[test]
fn a_thousand_local_ranks_fit_in_bounded_memory() {
    let (out, peak) = run_measured(&["mpi", "hello", "--local", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1000);
    assert!(text.contains("I am process 999 of 1000 on "), "{text}");
    eprintln!("peak RSS with 1000 local ranks: {} MiB", peak >> 20);
    // One mailbox and one thread per rank. A channel per pair of ranks (a
    // million of them) needs several hundred MiB.
    assert!(peak < 128 << 20, "peak RSS {} MiB", peak >> 20);
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
    // Address space for the program and a few dozen 2 MiB thread stacks only.
    let out = hpcrs_process()
        .args(["mpi", "hello", "--local", "1000"])
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .limit_address_space(256 << 20)
        .output()
        .unwrap();
    one_line_error(
        &out,
        "cannot start 1000 local rank(s): the system refused the thread of rank ",
    );
}

/// Runs a command with a cap on its address space (`RLIMIT_AS`).
trait LimitAddressSpace {
    fn limit_address_space(&mut self, bytes: u64) -> &mut Self;
}

impl LimitAddressSpace for std::process::Command {
    fn limit_address_space(&mut self, bytes: u64) -> &mut Self {
        use std::os::unix::process::CommandExt;
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: the closure runs in the forked child before exec and calls
        // only setrlimit, which is async-signal-safe.
        unsafe {
            self.pre_exec(move || match libc::setrlimit(libc::RLIMIT_AS, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            })
        }
    }
}

#[test]
fn a_full_standard_output_is_one_error_not_a_panic_per_rank() {
    let full = "hpcrs: error: writing to standard output: No space left on device (os error 28)\n";
    for args in [
        &["mpi", "hello", "--local", "2"][..],
        &["mpi", "hello", "--local", "64"],
        &["mpi", "ring", "--local", "3", "--flavour", "buffer"],
        &["mpi", "selftest", "--local", "2"],
        &["mpi", "halo", "--local", "2", "--max-bytes", "8", "--trials", "1"],
    ] {
        let out = hpcrs_process()
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), full, "{args:?}");
    }
}
