//! Running hpcrs itself as a whole process, the way a user runs it: start
//! the program, wait for it, time it from start to exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// `hpcrs <args>` as a whole-process run: its wall seconds, or its exit
/// status and the last line of its stderr.
pub(crate) fn whole_run(hpcrs: PathBuf, args: Vec<String>) -> impl FnMut() -> Result<f64, String> {
    move || wall_seconds(&hpcrs, &args)
}

/// Runs `exe args`, output discarded, and returns its wall seconds.
fn wall_seconds(exe: &Path, args: &[String]) -> Result<f64, String> {
    let start = Instant::now();
    let o = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let wall = start.elapsed().as_secs_f64();
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        return Err(format!(
            "`{} {}` failed ({}): {}",
            exe.display(),
            args.join(" "),
            o.status,
            err.lines().last().unwrap_or("").trim()
        ));
    }
    Ok(wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_run_is_timed_and_a_failure_says_why() {
        let mut ok = whole_run("sh".into(), vec!["-c".into(), "sleep 0.05".into()]);
        let wall = ok().unwrap();
        assert!((0.05..5.0).contains(&wall), "{wall}");
        let mut bad = whole_run(
            "sh".into(),
            vec!["-c".into(), "echo nope >&2; exit 3".into()],
        );
        let err = bad().unwrap_err();
        assert!(
            err.contains("exit status: 3") && err.ends_with("nope"),
            "{err}"
        );
    }
}
