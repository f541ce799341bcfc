//! Writing a directory so that readers see all of it or nothing: fill a
//! uniquely named temporary directory beside the target, flush what it
//! holds to disk, rename it to the target, flush the parent directory. On
//! any error, and when an [`AtomicDir`] is dropped without
//! [`AtomicDir::commit`], the temporary directory and everything in it are
//! removed: a failed write leaves nothing behind. Until then the directory
//! is on [`crate::temporaries`]' list, for a program that a signal ends.
//!
//! Unlike [`AtomicFile`](crate::atomic::AtomicFile), which replaces its
//! target, a directory is never replaced: [`AtomicDir::commit`] fails if the
//! target exists, as a job's output directory must not overwrite an older
//! one.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let target = dir.path().join("out");
//! let out = runtime::atomic_dir::AtomicDir::create(&target)?;
//! std::fs::write(out.path().join("part-0"), "hello")?;
//! out.commit()?;
//! assert_eq!(std::fs::read_to_string(target.join("part-0"))?, "hello");
//! assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::atomic::{parent_dir, sync_dir, WriteError};
use crate::temporaries::{self, Kind, Tracked};

/// A directory being filled in place of `target`; it becomes `target` only
/// on [`commit`](AtomicDir::commit).
#[derive(Debug)]
pub struct AtomicDir {
    target: PathBuf,
    temp: tempfile::TempDir,
    /// Declared after `temp`, so dropped after it has removed the directory.
    _tracked: Tracked,
}

impl AtomicDir {
    /// Creates a uniquely named temporary directory (`.NAME.XXXXXX.tmp`)
    /// beside `target`, so that two writers of one target never share it.
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicDir, WriteError> {
        let target = target.as_ref();
        let fail = |source| WriteError {
            path: target.to_path_buf(),
            source,
        };
        let name = target.file_name().ok_or_else(|| {
            fail(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a file name",
            ))
        })?;
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The directory gets the permissions of any new directory (0777 less
        // the umask), not tempfile's private 0700.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let (temp, tracked) = temporaries::track(
            Kind::Dir,
            || builder.tempdir_in(parent_dir(target)),
            tempfile::TempDir::path,
        )
        .map_err(fail)?;
        Ok(AtomicDir {
            target: target.to_path_buf(),
            temp,
            _tracked: tracked,
        })
    }

    /// The directory to fill.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The path the directory gets on commit (for error messages).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the files and directories inside to disk, renames the
    /// directory to the target and flushes the parent directory, so that the
    /// whole output survives a crash. Fails with
    /// [`io::ErrorKind::AlreadyExists`] if the target exists; on any failure
    /// the temporary directory is removed.
    pub fn commit(self) -> Result<(), WriteError> {
        let fail = |source| WriteError {
            path: self.target.clone(),
            source,
        };
        sync_tree(self.temp.path()).map_err(fail)?;
        // `rename` would silently replace an empty directory: refuse any
        // existing target first.
        if self.target.symlink_metadata().is_ok() {
            return Err(fail(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already exists",
            )));
        }
        std::fs::rename(self.temp.path(), &self.target).map_err(fail)?;
        // Renamed: nothing is left for the `TempDir` to remove.
        let _ = self.temp.keep();
        sync_dir(parent_dir(&self.target)).map_err(fail)
    }
}

/// Flushes every file under `dir`, then the directories themselves.
fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        crate::atomic::entry_names(dir).unwrap()
    }

    #[test]
    fn commit_moves_the_whole_directory_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let out = AtomicDir::create(&target).unwrap();
        assert!(out.path().starts_with(dir.path()));
        assert!(names(dir.path())[0].starts_with(".out."));
        std::fs::create_dir(out.path().join("sub")).unwrap();
        std::fs::write(out.path().join("sub/b"), "b").unwrap();
        std::fs::write(out.path().join("a"), "a").unwrap();
        out.commit().unwrap();
        assert_eq!(names(dir.path()), ["out"]);
        assert_eq!(names(&target), ["a", "sub"]);
        assert_eq!(std::fs::read_to_string(target.join("sub/b")).unwrap(), "b");
    }

    #[test]
    fn dropping_without_commit_removes_everything() {
        let dir = tempfile::tempdir().unwrap();
        let out = AtomicDir::create(dir.path().join("out")).unwrap();
        std::fs::write(out.path().join("part"), "x").unwrap();
        drop(out);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn an_existing_target_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        for existing in ["empty", "full", "file"] {
            let target = dir.path().join(existing);
            match existing {
                "file" => std::fs::write(&target, "old").unwrap(),
                _ => std::fs::create_dir(&target).unwrap(),
            }
            if existing == "full" {
                std::fs::write(target.join("old"), "old").unwrap();
            }
            let out = AtomicDir::create(&target).unwrap();
            std::fs::write(out.path().join("new"), "new").unwrap();
            let err = out.commit().unwrap_err();
            assert_eq!(err.source.kind(), io::ErrorKind::AlreadyExists);
            assert!(err.to_string().contains(existing), "{err}");
            assert!(!target.is_dir() || !target.join("new").exists());
        }
        assert_eq!(names(dir.path()), ["empty", "file", "full"]);
    }

    #[test]
    fn two_writers_of_one_target_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let a = AtomicDir::create(&target).unwrap();
        let b = AtomicDir::create(&target).unwrap();
        assert_ne!(a.path(), b.path());
        a.commit().unwrap();
        assert!(b.commit().is_err());
        assert_eq!(names(dir.path()), ["out"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_has_the_permissions_of_any_new_directory() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir(&plain).unwrap();
        let target = dir.path().join("out");
        AtomicDir::create(&target).unwrap().commit().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), mode(&plain));
    }

    #[test]
    fn a_missing_parent_names_the_target() {
        let err = AtomicDir::create("/nonexistent-dir/out").unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent-dir/out: "),
            "{err}"
        );
    }
}
