//! `text_file`, `text_file_blocks` and `text_file_bytes`: the lines of text
//! files, one partition per split (see `text.rs`).

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::error::{DatasetError, Result};
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::task::TaskContext;
use crate::text::{block_to_string, line_to_string, plan_splits, LineReader, Split};
use crate::text_bytes::{mapped_blocks, TextBytes};

/// The splits of a file or directory, listed when first needed.
pub(crate) struct TextFileNode {
    info: NodeInfo,
    path: PathBuf,
    min_partitions: usize,
    /// 0: one element per line; otherwise blocks of lines of about this many bytes.
    block_bytes: usize,
    /// The plan, or the listing error (kind and text, so it can be reported
    /// by every action that needs it).
    splits: OnceLock<Result<Vec<Split>, (std::io::ErrorKind, String, PathBuf)>>,
}

impl TextFileNode {
    pub(crate) fn new(
        info: NodeInfo,
        path: PathBuf,
        min_partitions: usize,
        block_bytes: usize,
    ) -> Self {
        TextFileNode {
            info,
            path,
            min_partitions,
            block_bytes,
            splits: OnceLock::new(),
        }
    }

    fn splits(&self) -> Result<&[Split]> {
        let planned = self.splits.get_or_init(|| {
            plan_splits(&self.path, self.min_partitions).map_err(|e| match e {
                DatasetError::Io { path, error } => (error.kind(), error.to_string(), path),
                other => (
                    std::io::ErrorKind::Other,
                    other.to_string(),
                    self.path.clone(),
                ),
            })
        });
        match planned {
            Ok(s) => Ok(s),
            Err((kind, text, path)) => Err(DatasetError::io(
                path.clone(),
                std::io::Error::new(*kind, text.clone()),
            )),
        }
    }
}

impl Lineage for TextFileNode {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    /// For a path that cannot be listed this is `min_partitions`; the action
    /// reports the error.
    fn num_partitions(&self) -> usize {
        self.splits().map_or(self.min_partitions, |s| s.len())
    }
    fn deps(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn validate(&self) -> Result<()> {
        self.splits().map(|_| ())
    }
}

/// The lines of one split as `String`s; an I/O error mid-way is recorded in
/// the task context and ends the iteration.
struct Lines {
    reader: LineReader,
    tc: TaskContext,
}

impl Iterator for Lines {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        let mut line = None;
        match self.reader.next_line(|l| line = Some(line_to_string(l))) {
            Ok(_) => line,
            Err(e) => {
                self.tc.fail(e);
                None
            }
        }
    }
}

/// Whole lines grouped into blocks of about `target` bytes, each line
/// followed by `\n` (whatever its terminator was in the file), as bytes.
struct Blocks {
    reader: LineReader,
    tc: TaskContext,
    target: usize,
    done: bool,
}

impl Iterator for Blocks {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut block = Vec::with_capacity(self.target + 256);
        match self.reader.next_lines(self.target, &mut block) {
            Ok(_) if block.len() < self.target => self.done = true,
            Ok(_) => {}
            Err(e) => {
                self.tc.fail(e);
                self.done = true;
                return None;
            }
        }
        (!block.is_empty()).then_some(block)
    }
}

impl Node<String> for TextFileNode {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<String>> {
        let splits = self.splits()?;
        let Some(split) = splits.get(partition) else {
            return Ok(Box::new(std::iter::empty()));
        };
        let reader = LineReader::open(split)?;
        if self.block_bytes > 0 {
            // A line feed ends any invalid UTF-8 sequence, so replacing per
            // block gives the same text as replacing per line.
            return Ok(Box::new(self.blocks(reader, tc).map(block_to_string)));
        }
        Ok(Box::new(Lines {
            reader,
            tc: tc.clone(),
        }))
    }
}

/// `text_file_bytes`: the blocks of a mapped file, or of `text_file_blocks`
/// before the UTF-8 check where the file cannot be mapped.
impl Node<TextBytes> for TextFileNode {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<TextBytes>> {
        let splits = self.splits()?;
        let Some(split) = splits.get(partition) else {
            return Ok(Box::new(std::iter::empty()));
        };
        if let Some(blocks) = mapped_blocks(split, self.block_bytes.max(1))? {
            return Ok(Box::new(blocks.into_iter()));
        }
        let reader = LineReader::open(split)?;
        Ok(Box::new(self.blocks(reader, tc).map(TextBytes::read)))
    }
}

impl TextFileNode {
    /// The blocks of lines of `reader`, of about `block_bytes` bytes (at
    /// least 1).
    fn blocks(&self, reader: LineReader, tc: &TaskContext) -> Blocks {
        Blocks {
            reader,
            tc: tc.clone(),
            target: self.block_bytes.max(1),
            done: false,
        }
    }
}
