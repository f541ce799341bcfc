//! The shuffle between ranks: after its map tasks, each rank sends every
//! other rank the blocks of the reduce partitions that rank holds (an
//! all-to-all), and keeps its own blocks as they are. The map tasks have
//! encoded those blocks already, one buffer per task and destination
//! (`write.rs`, `wire.rs`), and the buffers are sent as they are, one
//! message each: nothing is copied between encoding and sending. Received
//! blocks stay encoded, in memory while the memory budget allows and in a
//! spill file beyond it, and the reduce tasks decode them as they read. Each
//! block carries its map partition and its place among that task's blocks,
//! so a reduce partition reads its blocks in the order one process would.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::read::Block;
use super::spill::RawWriter;
use super::wire::{headers, Header};
use super::write::MapOutput;
use super::ByReducer;
use crate::codec::Codec;
use crate::context::Context;
use crate::error::Result;
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
    let parts = outcome.map(|outputs| {
        let mut parts: Vec<Vec<Vec<u8>>> = vec![Vec::new(); size];
        for (&map, output) in maps.iter().zip(outputs) {
            for (place, (r, block)) in output.blocks.into_iter().enumerate() {
                debug_assert_eq!(reducer_home(r, size), rank);
                kept[r].push((map, place, block));
            }
            for (dest, bytes) in output.remote.into_iter().enumerate() {
                if !bytes.is_empty() {
                    parts[dest].push(bytes);
                }
            }
            reservations.push(output.reservation);
        }
        parts
    });
    let counters = &ctx.inner.counters;
    if let Ok(parts) = &parts {
        let sent: usize = parts.iter().flatten().map(Vec::len).sum();
        counters
            .shuffle_bytes_sent
            .fetch_add(sent as u64, Ordering::Relaxed);
    }
    let received = share_each(ranks, parts)?;
    let mut spill: Option<RawWriter> = None;
    let from_others = received
        .into_iter()
        .enumerate()
        .filter(|&(source, _)| source != rank)
        .flat_map(|(source, buffers)| buffers.into_iter().map(move |b| (source, b)));
    for (source, bytes) in from_others {
        if bytes.is_empty() {
            continue;
        }
        counters
            .shuffle_bytes_received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        // Kept encoded (decoded by the reduce tasks as they read), in
        // memory if the budget has room, else in a spill file.
        let in_memory = ctx.inner.cache.reserve(bytes.len());
        let bytes = Arc::new(bytes);
        for header in headers(&bytes, reducers, source)? {
            let Header {
                reducer: r,
                map,
                place,
                count,
                range,
            } = header;
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
