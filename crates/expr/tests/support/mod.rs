//! What the tests that compare with numpy or numexpr share: running a
//! Python script under `$PYTHON`.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `$PYTHON -c script args...` with `stdin` as its standard input and
/// returns its standard output; panics naming the interpreter and `needs`
/// (the modules it must have) if it cannot run or fails.
pub fn python_output(script: &str, args: &[&str], stdin: &[u8], needs: &str) -> Vec<u8> {
    let python = std::env::var("PYTHON")
        .unwrap_or_else(|_| panic!("set PYTHON to a Python that has {needs}"));
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{python} failed (is {needs} installed?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
