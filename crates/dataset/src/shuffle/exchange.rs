//! The shuffle between ranks: after its map tasks, each rank sends every
//! other rank the blocks of the reduce partitions that rank holds, as one
//! buffer of serialised blocks per rank (an all-to-all), and keeps its own
//! blocks as they are. Received blocks are decoded into memory while the
//! memory budget allows, and written to a spill file beyond it. Each block
//! carries its map partition and its place among that task's blocks, so a
//! reduce partition reads its blocks in the order one process would.

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
    for (source, bytes) in received.iter().enumerate() {
        if source == rank {
            continue;
        }
        counters
            .shuffle_bytes_received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let malformed =
            || DatasetError::Comm(format!("rank {source} sent a malformed shuffle block"));
        let mut input = &bytes[..];
        while !input.is_empty() {
            let header = (|| {
                let r = usize::decode(&mut input)?;
                let map = usize::decode(&mut input)?;
                let place = usize::decode(&mut input)?;
                let count = usize::decode(&mut input)?;
                let len = usize::decode(&mut input)?;
                Some((r, map, place, count, len))
            })();
            let Some((r, map, place, count, len)) =
                header.filter(|h| h.0 < reducers && h.4 <= input.len())
            else {
                return Err(malformed());
            };
            let (payload, rest) = input.split_at(len);
            input = rest;
            let estimate = 2 * len + count * std::mem::size_of::<(K, M)>();
            let block = match ctx.inner.cache.reserve(estimate) {
                Some(reservation) => {
                    reservations.push(reservation);
                    let records = decode_records::<K, M>(payload, count).ok_or_else(malformed)?;
                    Block::Mem {
                        records: Arc::new(records),
                        range: 0..count,
                    }
                }
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
                        .fetch_add(len as u64, Ordering::Relaxed);
                    Block::Disk(writer.push(payload, count)?)
                }
            };
            kept[r].push((map, place, block));
        }
    }
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
    };
    for x in [r, map, place, count] {
        x.encode(out);
    }
    // The length (a fixed-width u64) is patched in once the records are in.
    let at = out.len();
    0usize.encode(out);
    match block {
        Block::Mem { records, range } => {
            for record in &records[range.clone()] {
                record.encode(out);
            }
        }
        Block::Disk(disk) => out.extend_from_slice(&disk.raw()?),
    }
    let len = (out.len() - at - 8) as u64;
    out[at..at + 8].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// `count` records decoded from `payload`, which they must fill exactly.
fn decode_records<K: Codec, M: Codec>(payload: &[u8], count: usize) -> Option<Vec<(K, M)>> {
    let mut input = payload;
    let mut records = Vec::with_capacity(count.min(payload.len()));
    for _ in 0..count {
        records.push(<(K, M)>::decode(&mut input)?);
    }
    input.is_empty().then_some(records)
}
