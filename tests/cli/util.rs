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
    no_twin_beside_bin();
    Command::new(BIN)
}

/// `hpcrs` as a plain process, for tests that send it signals.
pub fn hpcrs_process() -> StdCommand {
    no_twin_beside_bin();
    StdCommand::new(BIN)
}

/// Fails the test when a build without MPI has an `hpcrs-mpi` beside it: it
/// would hand MPI commands over (src/mpi_handoff.rs), and the tests of this
/// build's own answers would test the twin's.
fn no_twin_beside_bin() {
    if cfg!(feature = "mpi") {
        return;
    }
    let twin = std::path::Path::new(BIN).with_file_name("hpcrs-mpi");
    assert!(
        !twin.exists(),
        "{} would take this build's MPI commands: remove it (scripts/build-mpi.sh --debug left it) \
         to test the build without MPI",
        twin.display()
    );
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

/// The bytes of the `peak RSS N bytes` line that `--report-rss` adds to
/// standard error `err`.
pub fn reported_peak_rss(err: &str) -> u64 {
    err.lines()
        .find_map(|l| l.strip_prefix("peak RSS "))
        .and_then(|l| l.trim_end_matches(" bytes").parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS line in {err:?}"))
}

/// Runs `hpcrs ARGS --report-rss` and returns its output, without the
/// report's line, and its peak resident memory in bytes as the process
/// itself saw it (`VmHWM`). A parent's `wait4` cannot tell: the child's
/// peak starts from the memory of the test process it was forked from.
pub fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let mut out = hpcrs_process()
        .args(args)
        .arg("--report-rss")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak = reported_peak_rss(&err);
    out.stderr = err
        .lines()
        .filter(|l| !l.starts_with("peak RSS "))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes();
    (out, peak)
}
