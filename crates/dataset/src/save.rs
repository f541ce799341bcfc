//! `save_as_text_file`: a dataset written as a directory of text files.

use std::fmt::Display;
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::Path;

use runtime::atomic_dir::AtomicDir;

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
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
        let exists = || DatasetError::OutputExists(path.to_path_buf());
        if path.symlink_metadata().is_ok() {
            return Err(exists());
        }
        let out = AtomicDir::create(path)?;
        let dir = out.path();
        let name = stage_name("save_as_text_file");
        run_tasks(self, &name, &self.all_partitions(), |tc, elements| {
            let file = dir.join(format!("part-{:05}", tc.partition));
            let io = |e| DatasetError::io(&file, e);
            let mut w = BufWriter::new(File::create(&file).map_err(io)?);
            for x in elements {
                writeln!(w, "{x}").map_err(io)?;
            }
            w.flush().map_err(io)
        })?;
        let success = dir.join("_SUCCESS");
        File::create(&success).map_err(|e| DatasetError::io(&success, e))?;
        out.commit().map_err(|e| match e.source.kind() {
            ErrorKind::AlreadyExists => exists(),
            _ => e.into(),
        })
    }
}
