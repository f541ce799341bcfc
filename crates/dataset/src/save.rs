//! `save_as_text_file`: a dataset written as a directory of text files.

use std::ffi::OsString;
use std::fmt::Display;
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use runtime::atomic_dir::AtomicDir;

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::ranks::{share, Ranks};
use crate::scheduler::run_tasks;
use crate::Data;

impl<T: Data + Display> Dataset<T> {
    /// Writes the elements, one per line, as a directory `path` holding one
    /// `part-NNNNN` file per partition and an empty `_SUCCESS` file, like
    /// Spark. Fails if `path` exists. The files are written into a uniquely
    /// named hidden directory beside `path` that becomes `path` only when
    /// every task succeeded (see `runtime::atomic_dir`), so a failed job
    /// leaves nothing behind.
    #[track_caller]
    pub fn save_as_text_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if path.symlink_metadata().is_ok() {
            return Err(DatasetError::OutputExists(path.to_path_buf()));
        }
        let name = stage_name("save_as_text_file");
        if let Some(ranks) = &self.ctx.inner.ranks {
            return self.save_on_ranks(ranks.as_ref(), path, &name);
        }
        let out = AtomicDir::create(path)?;
        let dir = out.path();
        run_tasks(self, &name, &self.all_partitions(), |tc, elements| {
            write_part(dir, tc.partition, elements)
        })?;
        finish(out, path)
    }

    /// `save_as_text_file` on ranks: rank 0 makes the hidden directory and
    /// tells the others where it is, every rank writes the part files of
    /// its partitions there, and rank 0 commits it once every task
    /// succeeded; every rank learns the outcome.
    fn save_on_ranks(&self, ranks: &dyn Ranks, path: &Path, name: &str) -> Result<()> {
        let out = (ranks.rank() == 0).then(|| AtomicDir::create(path));
        let made = match &out {
            Some(Ok(d)) => Ok(d.path().as_os_str().as_bytes().to_vec()),
            Some(Err(e)) => Err(DatasetError::io(
                &e.path,
                std::io::Error::new(e.source.kind(), e.source.to_string()),
            )),
            None => Ok(Vec::new()),
        };
        let shared = share(ranks, made)?;
        let dir = PathBuf::from(OsString::from_vec(shared[0].clone()));
        run_tasks(self, name, &self.all_partitions(), |tc, elements| {
            write_part(&dir, tc.partition, elements)
        })?;
        let committed = match out {
            Some(Ok(out)) => finish(out, path).map(|()| Vec::new()),
            _ => Ok(Vec::new()),
        };
        share(ranks, committed).map(|_| ())
    }
}

/// Writes the elements of partition `partition`, one per line, as the file
/// `part-NNNNN` of `dir`.
fn write_part<T: Display>(
    dir: &Path,
    partition: usize,
    elements: impl Iterator<Item = T>,
) -> Result<()> {
    let file = dir.join(format!("part-{partition:05}"));
    let io = |e| DatasetError::io(&file, e);
    let mut w = BufWriter::new(File::create(&file).map_err(io)?);
    for x in elements {
        writeln!(w, "{x}").map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Marks the output complete (`_SUCCESS`) and renames it into place.
fn finish(out: AtomicDir, path: &Path) -> Result<()> {
    let exists = || DatasetError::OutputExists(path.to_path_buf());
    let success = out.path().join("_SUCCESS");
    File::create(&success).map_err(|e| DatasetError::io(&success, e))?;
    out.commit().map_err(|e| match e.source.kind() {
        ErrorKind::AlreadyExists => exists(),
        _ => e.into(),
    })
}
