//! The temporary a new array is written to, and the clean-up of those left behind by a
//! creation that was killed (SIGKILL, a power cut) so that they do not pile up.
//!
//! A creation holds an exclusive lock on its temporary for as long as it writes it; the
//! system drops the lock when the process ends, however it ends. A temporary of the target
//! whose lock can be taken therefore has no writer left, and the next creation of the same
//! target removes it.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use runtime::atomic::AtomicFile;

use crate::error::{OocError, Result};

/// Random characters `tempfile` puts in a temporary's name, between the
/// `.NAME.` prefix and the `.tmp` suffix of [`AtomicFile`]'s temporaries.
const RANDOM_CHARS: usize = 6;

/// Attempts at a locked temporary that a concurrent clean-up did not remove first.
const ATTEMPTS: usize = 8;

/// Creates the temporary that will replace `target`, locked as live.
pub(crate) fn create_locked(target: &Path) -> Result<AtomicFile> {
    for _ in 0..ATTEMPTS {
        let out =
            AtomicFile::create(target).map_err(|e| OocError::io(e.path, "create", e.source))?;
        out.file()
            .lock()
            .map_err(|e| OocError::io(target, "lock", e))?;
        // Another creation's clean-up may have removed the temporary between its creation
        // and the lock; then its name is gone (no links) and a new one is needed.
        let links = out
            .file()
            .metadata()
            .map_err(|e| OocError::io(target, "stat", e))?
            .nlink();
        if links > 0 {
            return Ok(out);
        }
    }
    Err(OocError::io(
        target,
        "create",
        std::io::Error::other("temporaries keep being removed by concurrent creations"),
    ))
}

/// Removes the temporaries of `target` that no live creation holds. Best effort: errors
/// are ignored.
pub(crate) fn remove_stale_temporaries(target: &Path) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let dir = match target.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d,
        None => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !is_temporary_of(&name, &entry.file_name().to_string_lossy()) {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        // Taking the lock proves that no creation is writing this temporary.
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether `file` is named like a temporary of the target `name`: `.NAME.XXXXXX.tmp`.
fn is_temporary_of(name: &str, file: &str) -> bool {
    file.strip_prefix('.')
        .and_then(|f| f.strip_prefix(name))
        .and_then(|f| f.strip_prefix('.'))
        .and_then(|f| f.strip_suffix(".tmp"))
        .is_some_and(|r| r.len() == RANDOM_CHARS && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        runtime::atomic::entry_names(dir).unwrap()
    }

    #[test]
    fn recognises_the_temporaries_of_atomic_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.npy");
        let live = create_locked(&target).unwrap();
        let n = names(dir.path());
        assert_eq!(n.len(), 1);
        assert!(is_temporary_of("a.npy", &n[0]), "{n:?}");
        assert!(!is_temporary_of("a.npy", ".a.npy.old.tmp"));
        assert!(!is_temporary_of("b.npy", &n[0]));
        drop(live);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn removes_unlocked_temporaries_and_keeps_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.npy");
        // A temporary whose writer is gone: left on disk, unlocked.
        let dead = AtomicFile::create(&target).unwrap();
        std::mem::forget(dead);
        let live = create_locked(&target).unwrap();
        std::fs::write(dir.path().join("a.npy.other"), "keep").unwrap();
        assert_eq!(names(dir.path()).len(), 3);
        remove_stale_temporaries(&target);
        let left = names(dir.path());
        assert_eq!(left.len(), 2, "{left:?}");
        live.commit_unsynced().unwrap();
        assert_eq!(names(dir.path()), ["a.npy", "a.npy.other"]);
    }
}
