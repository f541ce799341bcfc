//! Writing a file so that readers see the old content or the new, never a
//! part: write a unique temporary in the same directory, flush it to disk,
//! rename it over the target, flush the directory. On any error, and when an
//! [`AtomicFile`] is dropped without [`AtomicFile::commit`], the temporary is
//! removed: a failed write leaves nothing behind. Until then the temporary
//! is on [`crate::temporaries`]' list, for a program that a signal ends.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::temporaries::{self, Kind, Tracked};

/// A write that failed, naming the file it was for.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The file being written (the target, not the temporary).
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: io::Error,
}

impl WriteError {
    fn new(path: &Path, source: io::Error) -> WriteError {
        WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A file being written in place of `target`; it replaces `target` only on
/// [`commit`](AtomicFile::commit).
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: tempfile::NamedTempFile,
    /// Declared after `temp`, so dropped after it has removed the file.
    _tracked: Tracked,
}

impl AtomicFile {
    /// Creates a uniquely named temporary (`.NAME.XXXXXX.tmp`) beside
    /// `target`, so that two writers of one target never share it.
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicFile, WriteError> {
        let target = target.as_ref();
        let name = target.file_name().ok_or_else(|| {
            WriteError::new(
                target,
                io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
            )
        })?;
        refuse_what_a_rename_would_destroy(target)?;
        let dir = parent_dir(target);
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The file the temporary becomes gets the permissions of any new file
        // (0666 less the umask), not tempfile's private 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let (temp, tracked) = temporaries::track(
            Kind::File,
            || builder.tempfile_in(dir),
            tempfile::NamedTempFile::path,
        )
        .map_err(|e| WriteError::new(target, e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            _tracked: tracked,
        })
    }

    /// The file to write into.
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// The file to write into, mutably.
    pub fn file_mut(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// The path of the target (for error messages).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The path of the temporary, where the data is until the commit.
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Flushes the data to disk, renames the temporary over the target and
    /// flushes the directory, so that the new file survives a crash.
    pub fn commit(self) -> Result<(), WriteError> {
        let target = self.target;
        let fail = |e| WriteError::new(&target, e);
        self.temp.as_file().sync_all().map_err(fail)?;
        self.temp.persist(&target).map_err(|e| fail(e.error))?;
        sync_dir(parent_dir(&target)).map_err(fail)
    }

    /// Renames the temporary over the target without flushing anything to disk:
    /// readers see the whole new file or the old one, but a power cut may lose
    /// the new one. For scratch data where the flush costs more than a rewrite.
    pub fn commit_unsynced(self) -> Result<(), WriteError> {
        let target = self.target;
        self.temp
            .persist(&target)
            .map(drop)
            .map_err(|e| WriteError::new(&target, e.error))
    }
}

/// Refuses a `target` that exists and is not a regular file: renaming a new
/// file over a device, a pipe or a socket (say `/dev/null`, as root) would
/// replace it, and over a directory fails late.
fn refuse_what_a_rename_would_destroy(target: &Path) -> Result<(), WriteError> {
    let Ok(meta) = std::fs::metadata(target) else {
        return Ok(());
    };
    let why = if meta.is_dir() {
        (io::ErrorKind::IsADirectory, "is a directory")
    } else if !meta.is_file() {
        (
            io::ErrorKind::InvalidInput,
            "not a regular file (a device, pipe or socket): outputs are new files renamed into place",
        )
    } else {
        return Ok(());
    };
    Err(WriteError::new(target, io::Error::new(why.0, why.1)))
}

/// Writes `target` atomically with `write`, which gets a buffered writer;
/// see the [module](self) documentation.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.txt");
/// runtime::atomic::write_atomically(&path, |w| w.write_all(b"hello"))?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomically(
    target: impl AsRef<Path>,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> Result<(), WriteError> {
    let file = AtomicFile::create(target)?;
    let mut w = BufWriter::new(file.file());
    write(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| WriteError::new(file.target(), e))?;
    drop(w);
    file.commit()
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries to disk (a no-op where directories cannot
/// be opened as files).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The names of the entries of `dir`, sorted: what a caller lists to check
/// that a failed write left nothing behind.
pub fn entry_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<Vec<String>>>()?;
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        entry_names(dir).unwrap()
    }

    #[test]
    fn replaces_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old").unwrap();
        let err = write_atomically(&path, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("a.txt: disk on fire"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_socket_or_a_directory_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let err = write_atomically(&socket, |w| w.write_all(b"x")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{}: not a regular file", socket.display())),
            "{err}"
        );
        assert!(
            !std::fs::metadata(&socket).unwrap().is_file(),
            "the socket was replaced"
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = AtomicFile::create(&sub).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: is a directory", sub.display())
        );
        assert_eq!(names(dir.path()), ["s.sock", "sub"]);
    }

    #[test]
    fn dropping_without_commit_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create(dir.path().join("b.bin")).unwrap();
        f.file_mut().write_all(b"x").unwrap();
        assert_eq!(names(dir.path()).len(), 1);
        drop(f);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn two_writers_of_one_target_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.txt");
        let a = AtomicFile::create(&path).unwrap();
        let b = AtomicFile::create(&path).unwrap();
        a.commit().unwrap();
        b.commit().unwrap();
        assert_eq!(names(dir.path()), ["c.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_new_file_has_the_permissions_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        std::fs::write(&plain, "x").unwrap();
        let atomic = dir.path().join("atomic.txt");
        write_atomically(&atomic, |w| w.write_all(b"x")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
    }

    #[test]
    fn a_missing_directory_names_the_target() {
        let err = AtomicFile::create("/nonexistent-dir/x.npy").unwrap_err();
        assert!(
            err.to_string().starts_with("/nonexistent-dir/x.npy: "),
            "{err}"
        );
    }
}
