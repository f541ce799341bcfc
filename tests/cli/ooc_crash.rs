//! Crash safety of `hpcrs ooc create`: killed (SIGKILL) or interrupted (SIGINT, SIGTERM)
//! while writing, it leaves no file under the final name; on SIGINT/SIGTERM it also removes
//! its temporary file and exits with status 130.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(file: &Path) -> Child {
    crate::util::hpcrs_process()
        .args(["ooc", "create"])
        .arg(file)
        // 64 MiB in 16 KiB chunks on one thread: long enough to be caught mid-way.
        .args([
            "--shape",
            "8192x1024",
            "--fill",
            "random",
            "--no-sync",
            "-q",
        ])
        .args(["--threads", "1", "--memory-limit", "64K"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".big.npy.") && n.ends_with(".tmp"))
        .collect()
}

/// Starts a creation and signals it as soon as its temporary file has data; `None` if
/// the creation finished before it could be caught (then the caller tries again).
fn interrupt(dir: &Path, signal: &str) -> Option<std::process::Output> {
    let file = dir.join("big.npy");
    let _ = std::fs::remove_file(&file);
    let mut child = start(&file);
    let t0 = Instant::now();
    loop {
        let caught = temp_files(dir)
            .iter()
            .any(|n| std::fs::metadata(dir.join(n)).is_ok_and(|m| m.len() > 1 << 20));
        if caught {
            break;
        }
        if child.try_wait().unwrap().is_some() || t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let st = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        return None; // finished between our look and the signal
    }
    assert!(
        !file.exists(),
        "a partial file was left under the final name"
    );
    Some(out)
}

#[test]
fn sigkill_leaves_no_file_under_the_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let caught = (0..5).any(|_| interrupt(dir.path(), "-KILL").is_some());
    assert!(caught, "creation always finished before it could be killed");
    // What is left is only the hidden temporary, never big.npy...
    assert!(!dir.path().join("big.npy").exists());
    assert!(!temp_files(dir.path()).is_empty());
    // ...and the next creation of the same file clears it away.
    let file = dir.path().join("big.npy");
    let st = crate::util::hpcrs_process()
        .args(["ooc", "create"])
        .arg(&file)
        .args(["--shape", "10", "-q"])
        .status()
        .unwrap();
    assert!(st.success());
    assert!(temp_files(dir.path()).is_empty());
    assert!(file.exists());
}

#[test]
fn sigint_and_sigterm_remove_the_temporary_file() {
    for signal in ["-INT", "-TERM"] {
        sigint_like(signal);
    }
}

fn sigint_like(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = (0..5)
        .find_map(|_| interrupt(dir.path(), signal))
        .expect("creation always finished before it could be interrupted");
    assert_eq!(out.status.code(), Some(130));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interrupted") && err.contains("was not created"),
        "{err}"
    );
    assert!(temp_files(dir.path()).is_empty());
    assert!(!dir.path().join("big.npy").exists());
}
