//! The temporary files and directories this process has made and not yet
//! renamed or removed, so that a program that a signal ends can remove them
//! first: an atomic write's temporary ([`crate::atomic`],
//! [`crate::atomic_dir`]), a [`ScratchDir`]. Each is made through
//! [`track`], which keeps its path until the returned [`Tracked`] is dropped;
//! [`remove_all`] removes every path still kept and refuses new ones, for the
//! program's last act before it dies of the signal.
//!
//! Libraries only register; the program decides when to remove (this crate
//! installs no signal handler).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// What a tracked path is, which says how to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file: removed alone.
    File,
    /// A directory: removed with everything in it.
    Dir,
}

/// A list of paths to remove: the process's own ([`track`],
/// [`remove_all`]), or a test's.
struct Registry(Mutex<Paths>);

/// The paths kept, by ticket; `None` once the list's paths were removed.
struct Paths {
    next: u64,
    kept: Option<BTreeMap<u64, (PathBuf, Kind)>>,
}

/// The process's list.
static PROCESS: Registry = Registry::new();

impl Registry {
    const fn new() -> Registry {
        Registry(Mutex::new(Paths {
            next: 0,
            kept: Some(BTreeMap::new()),
        }))
    }

    /// The list, even if a thread panicked while holding it (it stays
    /// consistent: every change is one insert or one remove).
    fn lock(&self) -> MutexGuard<'_, Paths> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn track<T>(
        &'static self,
        kind: Kind,
        make: impl FnOnce() -> io::Result<T>,
        path_of: impl FnOnce(&T) -> &Path,
    ) -> io::Result<(T, Tracked)> {
        let mut paths = self.lock();
        let Paths { next, kept } = &mut *paths;
        let Some(kept) = kept.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "the process is ending",
            ));
        };
        let made = make()?;
        let ticket = *next;
        kept.insert(ticket, (path_of(&made).to_path_buf(), kind));
        *next += 1;
        Ok((
            made,
            Tracked {
                registry: self,
                ticket,
            },
        ))
    }

    fn remove_all(&self) -> usize {
        let kept = self.lock().kept.take().unwrap_or_default();
        kept.into_values()
            .filter(|(path, kind)| match kind {
                Kind::File => std::fs::remove_file(path).is_ok(),
                Kind::Dir => std::fs::remove_dir_all(path).is_ok(),
            })
            .count()
    }
}

/// Keeps a path on the list of [`remove_all`] until dropped. Drop it once
/// the path is gone or has become a kept file (renamed to its target).
pub struct Tracked {
    registry: &'static Registry,
    ticket: u64,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("ticket", &self.ticket)
            .finish()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(kept) = self.registry.lock().kept.as_mut() {
            kept.remove(&self.ticket);
        }
    }
}

/// What [`on_first_track`] set, and whether it ran.
static FIRST_TRACK: OnceLock<fn()> = OnceLock::new();
static FIRST_TRACK_RAN: std::sync::Once = std::sync::Once::new();

/// Has `hook` called once, before the process's first temporary is made:
/// for a program that prepares its signal handling only when there is
/// something to remove. Only the first call sets it.
pub fn on_first_track(hook: fn()) {
    let _ = FIRST_TRACK.set(hook);
}

/// Makes a temporary with `make` and keeps `path_of` of it on the list, both
/// while holding the list, so that [`remove_all`] never runs between the two
/// and misses it. Fails without calling `make` once [`remove_all`] has run
/// (the process is ending).
pub fn track<T>(
    kind: Kind,
    make: impl FnOnce() -> io::Result<T>,
    path_of: impl FnOnce(&T) -> &Path,
) -> io::Result<(T, Tracked)> {
    FIRST_TRACK_RAN.call_once(|| {
        if let Some(hook) = FIRST_TRACK.get() {
            hook();
        }
    });
    PROCESS.track(kind, make, path_of)
}

/// Removes every path on the list (a directory with its contents; paths
/// that are already gone are skipped) and makes [`track`] fail from then on.
/// Returns how many paths it removed.
///
/// For a program's handler of terminating signals, run on an ordinary
/// thread (it allocates and takes a lock): other threads may still be
/// writing into the paths it removes, so the program should end right
/// after.
pub fn remove_all() -> usize {
    PROCESS.remove_all()
}

/// A scratch directory: removed with its contents when dropped, and by
/// [`remove_all`] if a signal ends the program first.
#[derive(Debug)]
pub struct ScratchDir {
    dir: tempfile::TempDir,
    /// Declared after `dir`, so dropped after it has removed the directory.
    _tracked: Tracked,
}

impl ScratchDir {
    /// Makes a directory named `prefix` and a unique suffix in `base`, or in
    /// the system's temporary directory (`$TMPDIR`, else `/tmp`) when `base`
    /// is `None`.
    pub fn new(prefix: &str, base: Option<&Path>) -> io::Result<ScratchDir> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        let make = || match base {
            Some(base) => builder.tempdir_in(base),
            None => builder.tempdir(),
        };
        let (dir, tracked) = track(Kind::Dir, make, tempfile::TempDir::path)?;
        Ok(ScratchDir {
            dir,
            _tracked: tracked,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of its own: removing the process's would stop every other
    /// test's atomic writes.
    static LIST: Registry = Registry::new();

    /// Tracks `path` on `list` once `make` has made it.
    fn made(
        list: &'static Registry,
        kind: Kind,
        path: &Path,
        make: impl FnOnce(&Path) -> io::Result<()>,
    ) -> io::Result<Tracked> {
        let made = || make(path).map(|()| path.to_path_buf());
        list.track(kind, made, PathBuf::as_path).map(|(_, t)| t)
    }

    #[test]
    fn tracked_paths_are_removed_and_untracked_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (file, sub) = (dir.path().join("f.tmp"), dir.path().join("d.tmp"));
        let _file = made(&LIST, Kind::File, &file, |p| std::fs::write(p, "x")).unwrap();
        let _dir = made(&LIST, Kind::Dir, &sub, |p| {
            std::fs::create_dir(p)?;
            std::fs::write(p.join("inside"), "y")
        })
        .unwrap();
        let kept = dir.path().join("kept.tmp");
        drop(made(&LIST, Kind::File, &kept, |p| std::fs::write(p, "z")).unwrap());
        let gone = dir.path().join("gone.tmp");
        let _gone = made(&LIST, Kind::File, &gone, |_| Ok(())).unwrap();

        assert_eq!(
            LIST.remove_all(),
            2,
            "the file and the directory; `gone` never existed"
        );
        assert!(!file.exists() && !sub.exists());
        assert!(kept.exists(), "a path whose ticket was dropped stays");
        let late = made(&LIST, Kind::File, &file, |_| panic!("made after the end"));
        assert_eq!(late.unwrap_err().kind(), io::ErrorKind::Interrupted);
        assert_eq!(LIST.remove_all(), 0);
    }

    #[test]
    fn a_scratch_directory_goes_when_dropped() {
        let base = tempfile::tempdir().unwrap();
        let scratch = ScratchDir::new("job-", Some(base.path())).unwrap();
        std::fs::write(scratch.path().join("spill"), "data").unwrap();
        assert!(scratch.path().starts_with(base.path()));
        let path = scratch.path().to_path_buf();
        drop(scratch);
        assert!(!path.exists());
        let missing = base.path().join("missing");
        let err = ScratchDir::new("job-", Some(&missing)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_failed_make_keeps_nothing() {
        static OWN: Registry = Registry::new();
        let err = made(&OWN, Kind::File, Path::new("x"), |_| {
            Err(io::Error::other("no room"))
        });
        assert_eq!(err.unwrap_err().to_string(), "no room");
        assert_eq!(OWN.lock().kept.as_ref().map(BTreeMap::len), Some(0));
    }
}
