//! Spill files: the records a map task holds, written to disk when the
//! memory budget is full, one block per reduce partition that has records,
//! and read back by the reduce tasks.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::FxHasher;

use super::buckets::Runs;
use crate::codec::Codec;
use crate::error::{DatasetError, Result};

/// A spill file, deleted when the last block that points into it is dropped.
/// (Files are not kept open: a tiny budget can make thousands of them.)
pub(super) struct SpillFile {
    path: PathBuf,
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The records of one reduce partition in a spill file.
#[derive(Clone)]
pub(super) struct DiskBlock {
    file: Arc<SpillFile>,
    offset: u64,
    len: usize,
    count: usize,
    checksum: u64,
}

/// Writes `held` to a new file at `path`, one block per run (one reduce
/// partition's records). Returns each block with its reduce partition, and
/// the bytes written. The file is removed if writing fails.
pub(super) fn write_runs<K: Codec, M: Codec>(
    path: PathBuf,
    held: &[Runs<K, M>],
) -> Result<(Vec<(usize, DiskBlock)>, u64)> {
    let mut out = File::create(&path).map_err(|e| DatasetError::io(&path, e))?;
    let file = Arc::new(SpillFile { path });
    let mut blocks = Vec::new();
    let mut buf = Vec::new();
    let mut offset = 0u64;
    for Runs { records, runs } in held {
        for (r, range) in runs {
            buf.clear();
            for record in &records[range.clone()] {
                record.encode(&mut buf);
            }
            out.write_all(&buf)
                .map_err(|e| DatasetError::io(&file.path, e))?;
            let block = DiskBlock {
                file: file.clone(),
                offset,
                len: buf.len(),
                count: range.len(),
                checksum: checksum(&buf),
            };
            blocks.push((*r, block));
            offset += buf.len() as u64;
        }
    }
    Ok((blocks, offset))
}

impl DiskBlock {
    /// The block's records, checked against the checksum taken when they
    /// were written.
    pub(super) fn read<K: Codec, M: Codec>(&self) -> Result<Vec<(K, M)>> {
        let (path, offset, len) = (&self.file.path, self.offset, self.len);
        let corrupt = |reason: String| DatasetError::CorruptSpill {
            path: path.clone(),
            reason,
        };
        let mut bytes = vec![0u8; len];
        File::open(path)
            .and_then(|f| f.read_exact_at(&mut bytes, offset))
            .map_err(|e| DatasetError::io(path, e))?;
        if checksum(&bytes) != self.checksum {
            return Err(corrupt(format!(
                "checksum mismatch in the {len}-byte block at offset {offset}"
            )));
        }
        let mut input = &bytes[..];
        let mut records = Vec::with_capacity(self.count);
        for i in 0..self.count {
            let record = <(K, M)>::decode(&mut input).ok_or_else(|| {
                corrupt(format!(
                    "record {i} of the block at offset {offset} does not decode"
                ))
            })?;
            records.push(record);
        }
        Ok(records)
    }
}

impl DiskBlock {
    /// How many records the block holds.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// The block's encoded records as written (checked against the
    /// checksum), to send to another rank without decoding them.
    pub(super) fn raw(&self) -> Result<Vec<u8>> {
        let (path, offset, len) = (&self.file.path, self.offset, self.len);
        let mut bytes = vec![0u8; len];
        File::open(path)
            .and_then(|f| f.read_exact_at(&mut bytes, offset))
            .map_err(|e| DatasetError::io(path, e))?;
        if checksum(&bytes) != self.checksum {
            return Err(DatasetError::CorruptSpill {
                path: path.clone(),
                reason: format!("checksum mismatch in the {len}-byte block at offset {offset}"),
            });
        }
        Ok(bytes)
    }
}

/// A spill file written block by block from bytes already encoded (what
/// another rank sent, when the memory budget has no room for it).
pub(super) struct RawWriter {
    out: File,
    file: Arc<SpillFile>,
    offset: u64,
}

impl RawWriter {
    /// A new spill file at `path`.
    pub(super) fn create(path: PathBuf) -> Result<Self> {
        let out = File::create(&path).map_err(|e| DatasetError::io(&path, e))?;
        Ok(RawWriter {
            out,
            file: Arc::new(SpillFile { path }),
            offset: 0,
        })
    }

    /// Appends `count` encoded records as one block.
    pub(super) fn push(&mut self, bytes: &[u8], count: usize) -> Result<DiskBlock> {
        self.out
            .write_all(bytes)
            .map_err(|e| DatasetError::io(&self.file.path, e))?;
        let block = DiskBlock {
            file: self.file.clone(),
            offset: self.offset,
            len: bytes.len(),
            count,
            checksum: checksum(bytes),
        };
        self.offset += bytes.len() as u64;
        Ok(block)
    }
}

/// A checksum of a spilled block, checked when it is read back (fixed-size
/// records would otherwise decode from damaged bytes without complaint).
fn checksum(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}
