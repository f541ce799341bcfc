//! The reduce side of a shuffle: a reduce partition's blocks, from the map
//! outputs that have records for it, read one after the other.

use std::ops::Range;
use std::sync::Arc;

use super::spill::DiskBlock;
use crate::codec::Codec;
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
