//! What the CLI tests share: the binary, the repository root, output text,
//! and the Python with numpy that the round-trip tests need.

use std::process::{Command as StdCommand, Output};

use assert_cmd::Command;

/// The path of the `hpcrs` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_hpcrs");

/// The repository root (where `data/` and `scripts/` are).
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `hpcrs`, ready for arguments.
pub fn hpcrs() -> Command {
    Command::new(BIN)
}

/// `hpcrs` as a plain process, for tests that send it signals.
pub fn hpcrs_process() -> StdCommand {
    StdCommand::new(BIN)
}

/// A process's standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A process's standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The lines of standard output, sorted (ranks and threads print in any order).
pub fn sorted_lines(out: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(out)
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// The Python interpreter with numpy: `$PYTHON`, else `python3`. Tests that
/// call it are `#[ignore]`d (CI runs them with `--ignored numpy`); a missing
/// numpy then fails them, with this message.
pub fn python_with_numpy() -> String {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = StdCommand::new(&py)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "numpy is not importable with PYTHON={py}: set PYTHON to an interpreter with numpy \
         (scripts/setup-ci.sh makes one)"
    );
    py
}

/// Runs `hpcrs ARGS` with standard output on `/dev/full` and checks that it
/// fails with exit code 1 and exactly one error line naming the stream.
pub fn assert_full_stdout_is_one_error(args: &[&str]) {
    let out = hpcrs_process()
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "hpcrs: error: writing to standard output: No space left on device (os error 28)\n",
        "{args:?}"
    );
}

/// The value of `key` in the `key\tvalue` output of `ooc stats`.
pub fn stats_field(out: &str, key: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}\t")))
        .unwrap_or_else(|| panic!("no {key} in {out}"))
        .to_string()
}

/// Runs `cmd`, checks that it succeeded, and returns its standard output.
pub fn success_stdout(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// What any run may end in: success (checked by `ok`), a clap usage error
/// (exit 2, `error: ...` first), or one `hpcrs: error:` line (exit 1); never
/// a panic, an abort or a signal.
pub fn ends_cleanly(
    out: &Output,
    ok: impl FnOnce(&str) -> Result<(), String>,
) -> Result<(), String> {
    let (text, err) = (stdout(out), stderr(out));
    if err.contains("panicked") {
        return Err(format!("a panic: {err}"));
    }
    match out.status.code() {
        Some(0) => ok(&text),
        Some(2) if err.starts_with("error: ") => Ok(()),
        Some(1) if err.starts_with("hpcrs: error: ") && err.lines().count() == 1 => Ok(()),
        code => Err(format!("exit {code:?} ({:?}): {err}", out.status)),
    }
}

/// Runs `hpcrs ARGS` to completion; returns its output and its peak
/// resident set in bytes (the kernel's account of that child alone).
pub fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let child = hpcrs_process()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
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
