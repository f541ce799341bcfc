//! The shuffle between ranks: after its map tasks, each rank sends every
//! other rank the blocks of the reduce partitions that rank holds, as one
//! buffer of serialised blocks per rank (an all-to-all), and keeps its own
//! blocks as they are. Received blocks stay encoded, in memory while the memory
//! budget allows and in a spill file beyond it, and the reduce tasks decode
//! them as they read. Each block carries its map partition and its place
//! among that task's blocks, so a reduce partition reads its blocks in the
//! order one process would.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::read::Block;
use super::spill::RawWriter;
use super::write::MapOutput;
use super::ByReducer;
use crate::codec::Codec;
use crate::context::Context;
use crate::error::{DatasetError, Result};
use crate::ranks::{reducer_home, share_each, Ranks};

/// A block with where it came from: (map partition, place in that map
/// task's output, block).
type Tagged<K, M> = (usize, usize, Block<K, M>);

/// Exchanges the map outputs of this rank (`outcome`: one per partition of
/// `maps`, or this rank's failure) with every other rank, and indexes the
/// blocks of the reduce partitions this rank holds. Every rank gets the
/// same error if any rank's map stage failed.
pub(super) fn exchange<K: Codec + Clone, M: Codec + Clone>(
    ctx: &Context,
    ranks: &dyn Ranks,
    maps: &[usize],
    outcome: Result<Vec<MapOutput<K, M>>>,
    reducers: usize,
) -> Result<ByReducer<K, M>> {
    let (rank, size) = (ranks.rank(), ranks.size());
    // The exchange is timed from when every rank has finished its map
    // tasks, so that its time is that of moving the buckets, not of
    // waiting for a slower rank.
    ranks.allgather(Vec::new())?;
    let started = std::time::Instant::now();
    let mut kept: Vec<Vec<Tagged<K, M>>> =
        std::iter::repeat_with(Vec::new).take(reducers).collect();
    let mut reservations = Vec::new();
    let parts = outcome.and_then(|outputs| {
        let mut parts: Vec<Vec<u8>> = vec![Vec::new(); size];
        for (&map, output) in maps.iter().zip(outputs) {
            for (place, (r, block)) in output.blocks.into_iter().enumerate() {
                let home = reducer_home(r, size);
                if home == rank {
                    kept[r].push((map, place, block));
                } else {
                    encode_block(&mut parts[home], r, map, place, &block)?;
                }
            }
            reservations.push(output.reservation);
        }
        Ok(parts)
    });
    let counters = &ctx.inner.counters;
    if let Ok(parts) = &parts {
        let sent: usize = parts.iter().map(Vec::len).sum();
        counters
            .shuffle_bytes_sent
            .fetch_add(sent as u64, Ordering::Relaxed);
    }
    let received = share_each(ranks, parts)?;
    let mut spill: Option<RawWriter> = None;
    for (source, bytes) in received.into_iter().enumerate() {
        if source == rank || bytes.is_empty() {
            continue;
        }
        counters
            .shuffle_bytes_received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        // Kept encoded (decoded by the reduce tasks as they read), in
        // memory if the budget has room, else in a spill file.
        let in_memory = ctx.inner.cache.reserve(bytes.len());
        let bytes = Arc::new(bytes);
        for (r, map, place, count, range) in headers(&bytes, reducers, source)? {
            let block = match &in_memory {
                Some(_) => Block::Encoded {
                    bytes: bytes.clone(),
                    range,
                    count,
                },
                None => {
                    let writer = match &mut spill {
                        Some(w) => w,
                        None => {
                            let name = format!("shuffle-received-{}.bin", ctx.next_id());
                            counters.spill_files.fetch_add(1, Ordering::Relaxed);
                            spill.insert(RawWriter::create(ctx.spill_dir()?.join(name))?)
                        }
                    };
                    counters
                        .spilled_bytes
                        .fetch_add(range.len() as u64, Ordering::Relaxed);
                    Block::Disk(writer.push(&bytes[range], count)?)
                }
            };
            kept[r].push((map, place, block));
        }
        reservations.extend(in_memory);
    }
    counters
        .shuffle_exchange_nanos
        .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    let blocks = kept
        .into_iter()
        .map(|mut tagged| {
            tagged.sort_by_key(|&(map, place, _)| (map, place));
            tagged.into_iter().map(|(_, _, block)| block).collect()
        })
        .collect();
    Ok(ByReducer {
        blocks,
        _reservations: reservations,
    })
}

/// Appends block `block` of reduce partition `r`, the `place`th of map task
/// `map`, to `out`: a header (partition, map task, place, records, bytes)
/// and the encoded records.
fn encode_block<K: Codec, M: Codec>(
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

/// A received block: (reduce partition, map task, place, records, byte
/// range of the records in the buffer).
type Header = (usize, usize, usize, usize, std::ops::Range<usize>);

/// The blocks of a buffer received from rank `source`: (reduce partition,
/// map task, place, records, byte range of the records) each.
fn headers(bytes: &[u8], reducers: usize, source: usize) -> Result<Vec<Header>> {
    let malformed = || DatasetError::Comm(format!("rank {source} sent a malformed shuffle block"));
    let mut blocks = Vec::new();
    let mut input = bytes;
    while !input.is_empty() {
        let mut field = || usize::decode(&mut input);
        let header = (|| Some((field()?, field()?, field()?, field()?, field()?)))();
        let (r, map, place, count, len) = header.ok_or_else(malformed)?;
        if r >= reducers || len > input.len() {
            return Err(malformed());
        }
        let start = bytes.len() - input.len();
        blocks.push((r, map, place, count, start..start + len));
        input = &input[len..];
    }
    Ok(blocks)
}
