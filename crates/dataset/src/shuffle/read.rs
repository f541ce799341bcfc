//! The reduce side of a shuffle: a reduce partition's blocks, from the map
//! outputs that have records for it (in memory, spilled, or received from
//! another rank still encoded), read one after the other.

use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

use super::spill::DiskBlock;
use crate::codec::Codec;
use crate::error::DatasetError;
use crate::task::TaskContext;
use crate::Data;

/// The records of one reduce partition from one map task (or one of its
/// spills).
#[derive(Clone)]
pub(super) enum Block<K, M> {
    /// Held in memory: a run of records that other blocks of the same map
    /// task may share.
    Mem {
        records: Arc<Vec<(K, M)>>,
        range: Range<usize>,
    },
    /// Written to a spill file.
    Disk(DiskBlock),
    /// Received from another rank: `count` records encoded in
    /// `bytes[range]` (a buffer other blocks share), decoded as they are
    /// read.
    Encoded {
        bytes: Arc<Vec<u8>>,
        range: Range<usize>,
        count: usize,
    },
}

/// Reads blocks one after the other; a block that cannot be read is
/// recorded as the task's failure and ends the iteration.
pub(super) struct BlockReader<K, M> {
    blocks: std::vec::IntoIter<Block<K, M>>,
    current: Box<dyn Iterator<Item = (K, M)> + Send>,
    tc: TaskContext,
}

impl<K: Data, M: Data> BlockReader<K, M> {
    pub(super) fn new(blocks: Vec<Block<K, M>>, tc: TaskContext) -> Self {
        BlockReader {
            blocks: blocks.into_iter(),
            current: Box::new(std::iter::empty()),
            tc,
        }
    }
}

impl<K: Data + Codec, M: Data + Codec> Iterator for BlockReader<K, M> {
    type Item = (K, M);
    fn next(&mut self) -> Option<(K, M)> {
        loop {
            if let Some(r) = self.current.next() {
                return Some(r);
            }
            self.current = match self.blocks.next()? {
                Block::Mem { records, range } => Box::new(range.map(move |i| records[i].clone())),
                Block::Encoded {
                    bytes,
                    range,
                    count,
                } => Box::new(Decoding::<K, M> {
                    bytes,
                    range,
                    left: count,
                    tc: self.tc.clone(),
                    records: PhantomData,
                }),
                Block::Disk(block) => match block.read::<K, M>() {
                    Ok(records) => Box::new(records.into_iter()),
                    Err(e) => {
                        self.tc.fail(e);
                        return None;
                    }
                },
            };
        }
    }
}

/// The records of an encoded block, decoded one at a time; a record that
/// does not decode is recorded as the task's failure and ends the block.
struct Decoding<K, M> {
    bytes: Arc<Vec<u8>>,
    /// What is left to decode.
    range: Range<usize>,
    left: usize,
    tc: TaskContext,
    records: PhantomData<fn() -> (K, M)>,
}

impl<K: Codec, M: Codec> Iterator for Decoding<K, M> {
    type Item = (K, M);
    fn next(&mut self) -> Option<(K, M)> {
        if self.left == 0 {
            return None;
        }
        let mut input = &self.bytes[self.range.clone()];
        match <(K, M)>::decode(&mut input) {
            Some(record) => {
                self.range.start = self.range.end - input.len();
                self.left -= 1;
                Some(record)
            }
            None => {
                self.left = 0;
                self.tc.fail(DatasetError::Comm(format!(
                    "a shuffle block received from another rank does not decode at byte {}",
                    self.range.start
                )));
                None
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}
