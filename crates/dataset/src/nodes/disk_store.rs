//! Partitions written to disk with their [`Codec`] and read back lazily:
//! the disk side of `persist_with(DiskOnly | MemoryAndDisk)` and the files
//! of `checkpoint`. One file per partition in a directory of its own under
//! the context's spill (or checkpoint) directory, removed when the store is
//! dropped or cleared.

use std::borrow::Borrow;
use std::fs;
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::codec::Codec;
use runtime::temporaries::ScratchDir;

use crate::context::Context;
use crate::error::{DatasetError, Result};
use crate::lineage::PartitionIter;
use crate::task::TaskContext;

/// A directory of encoded partitions, made on first write.
pub(crate) struct DiskStore<T> {
    ctx: Context,
    prefix: &'static str,
    /// Where the directory goes; `None` is the context's spill directory.
    base: Option<PathBuf>,
    dir: Mutex<Option<ScratchDir>>,
    written: Mutex<Vec<bool>>,
    _elements: PhantomData<fn() -> T>,
}

impl<T: Codec + Send + 'static> DiskStore<T> {
    /// An empty store whose directory will be named `prefix…` inside the
    /// context's spill directory.
    pub(crate) fn new(ctx: Context, prefix: &'static str) -> Self {
        Self::new_in(ctx, prefix, None)
    }

    /// An empty store whose directory will be named `prefix…` inside `base`
    /// (`None`: the context's spill directory).
    pub(crate) fn new_in(ctx: Context, prefix: &'static str, base: Option<PathBuf>) -> Self {
        DiskStore {
            ctx,
            prefix,
            base,
            dir: Mutex::new(None),
            written: Mutex::new(Vec::new()),
            _elements: PhantomData,
        }
    }

    /// The directory, made now if it does not exist yet.
    pub(crate) fn dir(&self) -> Result<PathBuf> {
        let mut dir = self.dir.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = dir.as_ref() {
            return Ok(d.path().to_path_buf());
        }
        let base = match &self.base {
            Some(b) => b.clone(),
            None => self.ctx.spill_dir()?,
        };
        let made =
            ScratchDir::new(self.prefix, Some(&base)).map_err(|e| DatasetError::io(&base, e))?;
        let path = made.path().to_path_buf();
        *dir = Some(made);
        Ok(path)
    }

    fn file(dir: &std::path::Path, partition: usize) -> PathBuf {
        dir.join(format!("part-{partition:05}"))
    }

    /// Whether partition `partition` is on disk.
    pub(crate) fn has(&self, partition: usize) -> bool {
        let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.get(partition).copied().unwrap_or(false)
    }

    /// How many partitions are on disk.
    pub(crate) fn count(&self) -> usize {
        let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.iter().filter(|&&w| w).count()
    }

    /// Writes partition `partition` (replacing any earlier copy), encoding
    /// one element at a time into a buffered file.
    pub(crate) fn put<X: Borrow<T>>(
        &self,
        partition: usize,
        items: impl IntoIterator<Item = X>,
    ) -> Result<()> {
        let dir = self.dir()?;
        let file = Self::file(&dir, partition);
        let io = |e| DatasetError::io(&file, e);
        let mut out = BufWriter::new(fs::File::create(&file).map_err(io)?);
        let mut bytes = Vec::new();
        for x in items {
            bytes.clear();
            x.borrow().encode(&mut bytes);
            out.write_all(&bytes).map_err(io)?;
        }
        out.flush().map_err(io)?;
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if written.len() <= partition {
            written.resize(partition + 1, false);
        }
        written[partition] = true;
        Ok(())
    }

    /// Reads partition `partition` back, decoding one element at a time; a
    /// malformed file fails the task (through `tc`) with an error naming it.
    pub(crate) fn get(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<T>> {
        let file = Self::file(&self.dir()?, partition);
        let bytes = fs::read(&file).map_err(|e| DatasetError::io(&file, e))?;
        Ok(Box::new(Decoded {
            bytes,
            pos: 0,
            file,
            tc: tc.clone(),
            _elements: PhantomData,
        }))
    }

    /// Removes every file (and the directory).
    pub(crate) fn clear(&self) {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        // Dropping the TempDir removes it.
        self.dir.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// The elements of one partition file, decoded as they are asked for.
struct Decoded<T> {
    bytes: Vec<u8>,
    pos: usize,
    file: PathBuf,
    tc: TaskContext,
    _elements: PhantomData<fn() -> T>,
}

impl<T: Codec> Iterator for Decoded<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let mut rest = self.bytes.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let before = rest.len();
        match T::decode(&mut rest) {
            Some(x) => {
                self.pos += before - rest.len();
                Some(x)
            }
            None => {
                self.tc.fail(DatasetError::CorruptSpill {
                    path: self.file.clone(),
                    reason: format!("undecodable element at byte {}", self.pos),
                });
                self.pos = self.bytes.len();
                None
            }
        }
    }
}
