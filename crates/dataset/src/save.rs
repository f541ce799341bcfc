//! `save_as_text_file`: a dataset written as a directory of text files.

use std::fmt::Display;
use std::io::Write;
use std::path::Path;

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::scheduler::run_tasks;
use crate::Data;

impl<T: Data + Display> Dataset<T> {
    /// Writes the elements, one per line, as a directory `path` holding one
    /// `part-NNNNN` file per partition and an empty `_SUCCESS` file, like
    /// Spark. Fails if `path` exists. The files are written into a hidden
    /// temporary directory beside `path` that is renamed into place only when
    /// every task succeeded, so a failed job leaves nothing behind.
    #[track_caller]
    pub fn save_as_text_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if path.exists() {
            return Err(DatasetError::OutputExists(path.to_path_buf()));
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = path.file_name().ok_or_else(|| {
            DatasetError::InvalidArgument(format!("{} has no file name", path.display()))
        })?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}-", name.to_string_lossy()))
            .tempdir_in(&parent)
            .map_err(|e| DatasetError::io(&parent, e))?;
        let dir = tmp.path().to_path_buf();
        let name = stage_name("save_as_text_file");
        run_tasks(self, &name, &self.all_partitions(), |tc, elements| {
            let file = dir.join(format!("part-{:05}", tc.partition));
            let io = |e| DatasetError::io(&file, e);
            let mut w = std::io::BufWriter::new(std::fs::File::create(&file).map_err(io)?);
            for x in elements {
                writeln!(w, "{x}").map_err(io)?;
            }
            w.flush().map_err(io)
        })?;
        let success = dir.join("_SUCCESS");
        std::fs::File::create(&success).map_err(|e| DatasetError::io(&success, e))?;
        let kept = tmp.keep();
        std::fs::rename(&kept, path).map_err(|e| {
            let _ = std::fs::remove_dir_all(&kept);
            DatasetError::io(path, e)
        })
    }
}
