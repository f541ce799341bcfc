//! How shuffle blocks travel between ranks: each block is a header
//! (reduce partition, map task, place among that task's blocks, records,
//! bytes) followed by its encoded records. The map tasks write the blocks
//! of other ranks' reduce partitions in this form (`write.rs`), the
//! exchange sends those buffers as they are and indexes the ones it
//! receives (`exchange.rs`).

use std::ops::Range;

use super::read::Block;
use crate::codec::Codec;
use crate::error::{DatasetError, Result};

/// Appends block `block` of reduce partition `r`, the `place`th of map task
/// `map`, to `out`: its header and its encoded records.
pub(super) fn encode_block<K: Codec, M: Codec>(
    out: &mut Vec<u8>,
    r: usize,
    map: usize,
    place: usize,
    block: &Block<K, M>,
) -> Result<()> {
    let count = match block {
        Block::Mem { range, .. } => range.len(),
        Block::Disk(disk) => disk.count(),
        Block::Encoded { count, .. } => *count,
    };
    for x in [r, map, place, count] {
        x.encode(out);
    }
    // The length (a fixed-width u64) is patched in once the records are in.
    let at = out.len();
    0usize.encode(out);
    match block {
        Block::Mem { records, range } => {
            let mut records = records[range.clone()].iter();
            if let Some(first) = records.next() {
                // Room for all of them if they are all the size of the
                // first: one allocation, not a doubling per 2x.
                let before = out.len();
                first.encode(out);
                out.reserve((out.len() - before) * records.len());
            }
            for record in records {
                record.encode(out);
            }
        }
        Block::Disk(disk) => out.extend_from_slice(&disk.raw()?),
        Block::Encoded { bytes, range, .. } => out.extend_from_slice(&bytes[range.clone()]),
    }
    let len = (out.len() - at - 8) as u64;
    out[at..at + 8].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// A received block: where it goes and where its records are.
pub(super) struct Header {
    /// The reduce partition.
    pub(super) reducer: usize,
    /// The map task that wrote it, and its place among that task's blocks.
    pub(super) map: usize,
    pub(super) place: usize,
    /// How many records, in which bytes of the buffer.
    pub(super) count: usize,
    pub(super) range: Range<usize>,
}

/// The blocks of a buffer received from rank `source`.
pub(super) fn headers(bytes: &[u8], reducers: usize, source: usize) -> Result<Vec<Header>> {
    let malformed = || DatasetError::Comm(format!("rank {source} sent a malformed shuffle block"));
    let mut blocks = Vec::new();
    let mut input = bytes;
    while !input.is_empty() {
        let mut field = || usize::decode(&mut input);
        let header = (|| Some((field()?, field()?, field()?, field()?, field()?)))();
        let (reducer, map, place, count, len) = header.ok_or_else(malformed)?;
        if reducer >= reducers || len > input.len() {
            return Err(malformed());
        }
        let start = bytes.len() - input.len();
        blocks.push(Header {
            reducer,
            map,
            place,
            count,
            range: start..start + len,
        });
        input = &input[len..];
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Blocks written one after the other come back with their headers,
    /// and their records decode to what was written.
    #[test]
    fn blocks_round_trip() {
        let records: Arc<Vec<(u64, String)>> =
            Arc::new((0..10).map(|i| (i, format!("w{i}"))).collect());
        let mut out = Vec::new();
        for (place, range) in [0..3, 3..3, 3..10].into_iter().enumerate() {
            let block = Block::Mem {
                records: records.clone(),
                range,
            };
            encode_block(&mut out, place + 1, 7, place, &block).unwrap();
        }
        let got = headers(&out, 4, 1).unwrap();
        assert_eq!(got.len(), 3);
        let mut all = Vec::new();
        for (i, h) in got.iter().enumerate() {
            assert_eq!((h.reducer, h.map, h.place), (i + 1, 7, i));
            let mut input = &out[h.range.clone()];
            for _ in 0..h.count {
                all.push(<(u64, String)>::decode(&mut input).unwrap());
            }
            assert!(input.is_empty());
        }
        assert_eq!(all, *records);
        // A reduce partition out of range, or a truncated buffer, is an error.
        assert!(headers(&out, 3, 1).is_err());
        assert!(headers(&out[..out.len() - 1], 4, 1).is_err());
    }
}
