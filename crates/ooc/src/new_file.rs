//! A new `.npy` file, written whole or not at all: under a uniquely named temporary in
//! the target's directory, renamed into place only once complete.

use std::fs::File;
use std::path::Path;

use runtime::atomic::AtomicFile;

use crate::control::Control;
use crate::error::{OocError, Result};
use crate::header::Header;
use crate::stale::{create_locked, remove_stale_temporaries};
use crate::unfinished::{self, Registration};

/// A `.npy` file being written: its header is in place, its data is written by the
/// caller, and [`NewNpy::finish`] renames it over the target. Dropped unfinished (an
/// error, a cancellation), it removes its temporary and leaves the target untouched.
pub(crate) struct NewNpy<'p> {
    path: &'p Path,
    /// Dropped first (fields drop in order): the temporary leaves the registry of
    /// unfinished files before it is removed or renamed.
    _unfinished: Registration,
    out: AtomicFile,
    /// Header and data bytes.
    total: u64,
}

impl<'p> NewNpy<'p> {
    /// Starts the file `path` holding `header`'s array: checks that its directory exists
    /// and that the file system lets a file grow to its size, removes temporaries of
    /// `path` left by killed writers, and writes the header.
    pub(crate) fn begin(path: &'p Path, header: &Header) -> Result<NewNpy<'p>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(OocError::io(
                    dir,
                    "cannot create a file in it",
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
                ));
            }
        }
        let data_bytes = header.checked_data_bytes().unwrap_or(u64::MAX);
        let total = header.data_offset.saturating_add(data_bytes);
        remove_stale_temporaries(path);
        let out = create_locked(path)?;
        let unfinished = unfinished::register(out.temp_path());
        probe_size(out.file(), path, total)?;
        use std::os::unix::fs::FileExt;
        out.file()
            .write_all_at(&header.to_bytes(), 0)
            .map_err(|e| OocError::io(path, "write", e))?;
        Ok(NewNpy {
            path,
            _unfinished: unfinished,
            out,
            total,
        })
    }

    /// The file to write the data into (at the header's data offset).
    pub(crate) fn file(&self) -> &File {
        self.out.file()
    }

    /// The target's path, for error messages.
    pub(crate) fn path(&self) -> &Path {
        self.path
    }

    /// Gives the file its full size (data not written is zeros, left as a hole), flushes
    /// it to disk if `sync`, and renames it into place, unless `ctl` was cancelled, even
    /// during the flush.
    pub(crate) fn finish(self, sync: bool, ctl: &Control) -> Result<()> {
        let NewNpy {
            path,
            _unfinished: unfinished,
            out,
            total,
        } = self;
        let file = out.file();
        file.set_len(total)
            .map_err(|e| OocError::io(path, "resize", e))?;
        let interrupted = || OocError::Interrupted { path: path.into() };
        if ctl.cancelled() {
            return Err(interrupted());
        }
        let committed = if sync {
            file.sync_all()
                .map_err(|e| OocError::io(path, "fsync", e))?;
            // The flush of a large file takes seconds: a Ctrl-C during it still cancels.
            if ctl.cancelled() {
                return Err(interrupted());
            }
            drop(unfinished);
            out.commit()
        } else {
            drop(unfinished);
            out.commit_unsynced()
        };
        committed.map_err(|e| OocError::io(e.path, "rename into place", e.source))
    }
}

/// Checks, before anything is written, that the file system lets a file grow to `total`
/// bytes: the still empty temporary is extended (a hole, no disk space) and cut back.
fn probe_size(file: &File, path: &Path, total: u64) -> Result<()> {
    match file.set_len(total) {
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(OocError::FileTooLarge {
            path: path.into(),
            bytes: total,
        }),
        Err(e) => Err(OocError::io(path, "resize", e)),
        Ok(()) => file.set_len(0).map_err(|e| OocError::io(path, "resize", e)),
    }
}
