//! Wide dependencies: the shuffle.
//!
//! A shuffle-map stage runs one task per parent partition. Each task assigns
//! every record to a reduce partition with the shuffle's partitioner (hash, or
//! range for sorts), combining values of equal keys on the map side when the
//! operation allows it (`reduce_by_key`, `distinct`, `count_by_key`: Spark's
//! map-side combine), and keeps one block per reduce partition. Blocks live in
//! memory while the memory budget allows; beyond it a task writes what it holds
//! to a spill file and starts afresh. Reduce tasks then read their block from
//! every map output, from memory or disk. Map outputs are kept (like Spark's
//! shuffle files) so later jobs and recomputed partitions reuse them; spill
//! files are deleted when the shuffle is dropped.

use std::fs::File;
use std::hash::{BuildHasher, Hash};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustc_hash::{FxBuildHasher, FxHashMap, FxHasher};

use crate::codec::Codec;
use crate::context::{Context, NodeInfo};
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::memory::Reservation;
use crate::node::{Dependency, Lineage, Node, PartitionIter, ShuffleStage, TaskContext};
use crate::scheduler::run_stage;
use crate::Data;

/// Which reduce partition a key goes to.
pub(crate) type PartitionerFn<K> = Arc<dyn Fn(&K) -> usize + Send + Sync>;

/// Builds the partitioner when the map stage is about to run (a range
/// partitioner samples the parent first).
pub(crate) type MakePartitioner<K, V> =
    Box<dyn Fn(&Dataset<(K, V)>) -> Result<PartitionerFn<K>> + Send + Sync>;

/// The map outputs of a shuffle, once its map stage has run.
type Outputs<K, M> = Mutex<Option<Arc<Vec<MapOutput<K, M>>>>>;

/// The reduce-side processing of a shuffled partition.
pub(crate) type PostFn<K, M, U> =
    Arc<dyn Fn(PartitionIter<(K, M)>) -> PartitionIter<U> + Send + Sync>;

/// What the map side does with values: wrap each one (`to_m`), and, with
/// `merge_value`, combine values of equal keys into one record.
pub(crate) struct MapSide<V, M> {
    pub(crate) to_m: Arc<dyn Fn(V) -> M + Send + Sync>,
    pub(crate) merge_value: Option<Arc<dyn Fn(M, V) -> M + Send + Sync>>,
}

/// A spill file, deleted when the last block that points into it is dropped.
/// (Files are not kept open: a tiny budget can make thousands of them.)
struct SpillFile {
    path: PathBuf,
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

enum Block<K, M> {
    Mem(Arc<Vec<(K, M)>>),
    Disk {
        file: Arc<SpillFile>,
        offset: u64,
        len: usize,
        count: usize,
        checksum: u64,
    },
}

impl<K, M> Clone for Block<K, M> {
    fn clone(&self) -> Self {
        match self {
            Block::Mem(v) => Block::Mem(v.clone()),
            Block::Disk {
                file,
                offset,
                len,
                count,
                checksum,
            } => Block::Disk {
                file: file.clone(),
                offset: *offset,
                len: *len,
                count: *count,
                checksum: *checksum,
            },
        }
    }
}

/// What one map task produced: blocks per reduce partition, and the memory
/// its in-memory blocks hold.
struct MapOutput<K, M> {
    blocks: Vec<Vec<Block<K, M>>>,
    _reservation: Reservation,
}

/// The shuffle between a parent of pairs `(K, V)` and its readers, which see
/// records `(K, M)`.
pub(crate) struct ShuffleDep<K, V, M> {
    ctx: Context,
    describe: String,
    parent: Dataset<(K, V)>,
    reducers: usize,
    make_partitioner: MakePartitioner<K, V>,
    map_side: MapSide<V, M>,
    outputs: Outputs<K, M>,
    done: AtomicBool,
}

impl<K, V, M> ShuffleDep<K, V, M>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
{
    pub(crate) fn new(
        describe: String,
        parent: Dataset<(K, V)>,
        reducers: usize,
        make_partitioner: MakePartitioner<K, V>,
        map_side: MapSide<V, M>,
    ) -> Self {
        ShuffleDep {
            ctx: parent.ctx.clone(),
            describe,
            parent,
            reducers: reducers.max(1),
            make_partitioner,
            map_side,
            outputs: Mutex::new(None),
            done: AtomicBool::new(false),
        }
    }

    fn map_task(
        &self,
        tc: &TaskContext,
        partitioner: &PartitionerFn<K>,
    ) -> Result<MapOutput<K, M>> {
        let input = self.parent.node.compute(tc.partition, tc)?;
        let mut writer = MapWriter::new(self, tc.partition);
        let to_m = &self.map_side.to_m;
        match &self.map_side.merge_value {
            Some(merge) => {
                // Values are kept in `Option`s so a merge can take the old value
                // by value and put the new one back without cloning.
                let mut map: FxHashMap<K, Option<M>> = FxHashMap::default();
                for (k, v) in input {
                    if let Some(slot) = map.get_mut(&k) {
                        let old = slot.take().expect("a slot is refilled after every merge");
                        *slot = Some(merge(old, v));
                        continue;
                    }
                    let m = to_m(v);
                    let size = k.mem_size() + m.mem_size() + 16;
                    map.insert(k, Some(m));
                    if !writer.track(size) {
                        let drained = map.drain().map(|(k, m)| (k, m.expect("filled")));
                        writer.spill(drained, partitioner)?;
                    }
                }
                let rest = map.into_iter().map(|(k, m)| (k, m.expect("filled")));
                writer.finish(rest, partitioner)
            }
            None => {
                let mut buckets: Vec<Vec<(K, M)>> =
                    (0..self.reducers).map(|_| Vec::new()).collect();
                for (k, v) in input {
                    let m = to_m(v);
                    let size = k.mem_size() + m.mem_size();
                    let b = partitioner(&k);
                    buckets[b].push((k, m));
                    if !writer.track(size) {
                        writer.write_buckets(&mut buckets)?;
                    }
                }
                writer.finish_buckets(buckets)
            }
        }
    }

    /// The records of reduce partition `r`, from every map output.
    pub(crate) fn read(&self, r: usize, tc: &TaskContext) -> Result<PartitionIter<(K, M)>> {
        let outputs = self
            .outputs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                DatasetError::InvalidArgument(format!(
                    "shuffle {} read before it ran",
                    self.describe
                ))
            })?;
        let blocks: Vec<Block<K, M>> = outputs
            .iter()
            .flat_map(|o| o.blocks.get(r).into_iter().flatten().cloned())
            .collect();
        Ok(Box::new(BlockReader {
            blocks: blocks.into_iter(),
            current: Box::new(std::iter::empty()),
            tc: tc.clone(),
        }))
    }
}

impl<K, V, M> ShuffleStage for ShuffleDep<K, V, M>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
{
    fn parent(&self) -> Arc<dyn Lineage> {
        self.parent.lineage.clone()
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    fn run(&self) -> Result<()> {
        // Held for the whole stage: a second job needing the same shuffle waits
        // for this one rather than computing it twice.
        let mut outputs = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        if outputs.is_some() {
            return Ok(());
        }
        crate::scheduler::run_parent_stages(self.parent.lineage.as_ref())?;
        let partitioner = (self.make_partitioner)(&self.parent)?;
        let maps: Vec<usize> = (0..self.parent.num_partitions()).collect();
        let name = format!("shuffle map for {}", self.describe);
        let done = run_stage(&self.ctx, &name, &maps, |tc| {
            self.map_task(tc, &partitioner)
        })?;
        *outputs = Some(Arc::new(done));
        self.done.store(true, Ordering::Release);
        Ok(())
    }
}

/// A task buffers this much even when the budget is exhausted (by other
/// tasks' outputs, say), so that a full budget means spill files of a useful
/// size rather than one per record.
const MIN_SPILL: usize = 64 << 10;

/// Accumulates one map task's output against the memory budget, spilling
/// when the budget says no.
struct MapWriter<'a, K, V, M> {
    dep: &'a ShuffleDep<K, V, M>,
    map: usize,
    tracked: usize,
    reservation: Reservation,
    chunk: usize,
    spilled: Vec<Vec<Block<K, M>>>,
}

impl<'a, K, V, M> MapWriter<'a, K, V, M>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
{
    fn new(dep: &'a ShuffleDep<K, V, M>, map: usize) -> Self {
        let inner = &dep.ctx.inner;
        // Ask for memory in steps of a fraction of one thread's share, so
        // tasks do not go to the budget for every record.
        let chunk = (inner.memory.budget() / (8 * inner.threads)).clamp(1, 4 << 20);
        MapWriter {
            dep,
            map,
            tracked: 0,
            reservation: Reservation::empty(&inner.memory),
            chunk,
            spilled: (0..dep.reducers).map(|_| Vec::new()).collect(),
        }
    }

    /// Counts `size` more bytes held; false if they do not fit the budget
    /// (then the caller spills).
    fn track(&mut self, size: usize) -> bool {
        self.tracked += size;
        if self.tracked <= self.reservation.bytes().max(MIN_SPILL) {
            return true;
        }
        let need = (self.tracked - self.reservation.bytes()).max(self.chunk);
        match self.dep.ctx.inner.cache.reserve(need) {
            Some(r) => {
                self.reservation.absorb(r);
                true
            }
            None => false,
        }
    }

    fn spill(
        &mut self,
        records: impl Iterator<Item = (K, M)>,
        partitioner: &PartitionerFn<K>,
    ) -> Result<()> {
        let mut buckets: Vec<Vec<(K, M)>> = (0..self.dep.reducers).map(|_| Vec::new()).collect();
        for (k, m) in records {
            buckets[partitioner(&k)].push((k, m));
        }
        self.write_buckets(&mut buckets)
    }

    /// Writes every non-empty bucket to one new spill file and empties them.
    fn write_buckets(&mut self, buckets: &mut [Vec<(K, M)>]) -> Result<()> {
        let dir = self.dep.ctx.spill_dir()?;
        let path = dir.join(format!(
            "shuffle-{}-map-{}-{}.bin",
            self.dep.parent.id(),
            self.map,
            self.dep.ctx.next_id()
        ));
        let mut file = File::create(&path).map_err(|e| DatasetError::io(&path, e))?;
        let mut offsets = Vec::new();
        let mut buf = Vec::new();
        let mut offset = 0u64;
        for (r, bucket) in buckets.iter_mut().enumerate() {
            if bucket.is_empty() {
                continue;
            }
            buf.clear();
            for record in bucket.iter() {
                record.encode(&mut buf);
            }
            file.write_all(&buf)
                .map_err(|e| DatasetError::io(&path, e))?;
            offsets.push((r, offset, buf.len(), bucket.len(), checksum(&buf)));
            offset += buf.len() as u64;
            bucket.clear();
            bucket.shrink_to_fit();
        }
        let counters = &self.dep.ctx.inner.counters;
        counters.spill_files.fetch_add(1, Ordering::Relaxed);
        counters.spilled_bytes.fetch_add(offset, Ordering::Relaxed);
        drop(file);
        let file = Arc::new(SpillFile { path });
        for (r, offset, len, count, checksum) in offsets {
            self.spilled[r].push(Block::Disk {
                file: file.clone(),
                offset,
                len,
                count,
                checksum,
            });
        }
        self.tracked = 0;
        self.reservation = Reservation::empty(&self.dep.ctx.inner.memory);
        Ok(())
    }

    fn finish(
        self,
        records: impl Iterator<Item = (K, M)>,
        partitioner: &PartitionerFn<K>,
    ) -> Result<MapOutput<K, M>> {
        let mut buckets: Vec<Vec<(K, M)>> = (0..self.dep.reducers).map(|_| Vec::new()).collect();
        for (k, m) in records {
            buckets[partitioner(&k)].push((k, m));
        }
        self.finish_buckets(buckets)
    }

    fn finish_buckets(self, buckets: Vec<Vec<(K, M)>>) -> Result<MapOutput<K, M>> {
        let mut blocks = self.spilled;
        for (r, bucket) in buckets.into_iter().enumerate() {
            if !bucket.is_empty() {
                blocks[r].push(Block::Mem(Arc::new(bucket)));
            }
        }
        Ok(MapOutput {
            blocks,
            _reservation: self.reservation,
        })
    }
}

/// Reads a reduce partition's blocks one after the other.
struct BlockReader<K, M> {
    blocks: std::vec::IntoIter<Block<K, M>>,
    current: Box<dyn Iterator<Item = (K, M)> + Send>,
    tc: TaskContext,
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

fn read_disk_block<K: Codec, M: Codec>(
    file: &SpillFile,
    offset: u64,
    len: usize,
    count: usize,
    sum: u64,
) -> Result<Vec<(K, M)>> {
    let mut bytes = vec![0u8; len];
    File::open(&file.path)
        .and_then(|f| f.read_exact_at(&mut bytes, offset))
        .map_err(|e| DatasetError::io(&file.path, e))?;
    if checksum(&bytes) != sum {
        return Err(DatasetError::CorruptSpill {
            path: file.path.clone(),
            reason: format!("checksum mismatch in the {len}-byte block at offset {offset}"),
        });
    }
    let mut input = &bytes[..];
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        match <(K, M)>::decode(&mut input) {
            Some(r) => records.push(r),
            None => {
                return Err(DatasetError::CorruptSpill {
                    path: file.path.clone(),
                    reason: format!(
                        "record {} of the block at offset {offset} does not decode",
                        records.len()
                    ),
                })
            }
        }
    }
    Ok(records)
}

impl<K: Data + Codec, M: Data + Codec> Iterator for BlockReader<K, M> {
    type Item = (K, M);
    fn next(&mut self) -> Option<(K, M)> {
        loop {
            if let Some(r) = self.current.next() {
                return Some(r);
            }
            self.current = match self.blocks.next()? {
                Block::Mem(v) => {
                    let n = v.len();
                    Box::new((0..n).map(move |i| v[i].clone()))
                }
                Block::Disk {
                    file,
                    offset,
                    len,
                    count,
                    checksum,
                } => match read_disk_block::<K, M>(&file, offset, len, count, checksum) {
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

/// The reduce side: reads a shuffle and post-processes each partition
/// (aggregates, sorts, or passes records through).
pub(crate) struct ShuffledNode<K, V, M, U> {
    info: NodeInfo,
    dep: Arc<ShuffleDep<K, V, M>>,
    post: PostFn<K, M, U>,
}

impl<K, V, M, U> ShuffledNode<K, V, M, U> {
    pub(crate) fn new(
        info: NodeInfo,
        dep: Arc<ShuffleDep<K, V, M>>,
        post: PostFn<K, M, U>,
    ) -> Self {
        ShuffledNode { info, dep, post }
    }
}

impl<K, V, M, U> Lineage for ShuffledNode<K, V, M, U>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
    U: Data,
{
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn num_partitions(&self) -> usize {
        self.dep.reducers
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![Dependency::Shuffle(self.dep.clone())]
    }
}

impl<K, V, M, U> Node<U> for ShuffledNode<K, V, M, U>
where
    K: Data + Codec + Hash + Eq,
    V: Data,
    M: Data + Codec,
    U: Data,
{
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<U>> {
        Ok((self.post)(self.dep.read(partition, tc)?))
    }
}

/// Hash partitioning into `n` partitions.
pub(crate) fn hash_partitioner<K: Hash + 'static, V>(n: usize) -> MakePartitioner<K, V> {
    Box::new(move |_| {
        let n = n as u64;
        Ok(Arc::new(move |k: &K| bucket(FxBuildHasher.hash_one(k), n)))
    })
}

/// The partition of a key whose hash is `hash`, out of `n`.
///
/// FxHasher's `finish` rotates the well-mixed high bits of its last multiply
/// into the low bits, so `hash % n` spreads keys evenly with no further
/// mixing.
fn bucket(hash: u64, n: u64) -> usize {
    (hash % n) as usize
}

/// A tiny deterministic generator for sampling.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Range partitioning into `n` partitions, with bounds chosen from a sample
/// of the keys (reservoir sampling per partition, weighted by partition size,
/// as Spark's `RangePartitioner` does). Runs a sampling job.
pub(crate) fn range_partitioner<K: Data + Ord, V: Data>(
    n: usize,
    ascending: bool,
) -> MakePartitioner<K, V> {
    Box::new(move |parent: &Dataset<(K, V)>| {
        if n <= 1 {
            return Ok(Arc::new(|_: &K| 0));
        }
        let parts = parent.num_partitions().max(1);
        let per_partition = (60 * n).div_ceil(parts).max(1);
        let all: Vec<usize> = (0..parent.num_partitions()).collect();
        let samples = parent.run_job("sample for range partitioning", &all, move |it| {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
            let mut sample: Vec<K> = Vec::with_capacity(per_partition);
            let mut seen = 0u64;
            for (k, _) in it {
                seen += 1;
                if sample.len() < per_partition {
                    sample.push(k);
                } else {
                    let j = rng.next() % seen;
                    if (j as usize) < per_partition {
                        sample[j as usize] = k;
                    }
                }
            }
            (seen, sample)
        })?;
        let mut weighted: Vec<(K, f64)> = Vec::new();
        for (seen, sample) in samples {
            if sample.is_empty() {
                continue;
            }
            let w = seen as f64 / sample.len() as f64;
            weighted.extend(sample.into_iter().map(|k| (k, w)));
        }
        weighted.sort_by(|a, b| a.0.cmp(&b.0));
        let total: f64 = weighted.iter().map(|x| x.1).sum();
        let mut bounds: Vec<K> = Vec::with_capacity(n - 1);
        let mut acc = 0.0;
        let mut target = 1;
        for (k, w) in weighted {
            acc += w;
            if target < n && acc >= total * target as f64 / n as f64 {
                if bounds.last() != Some(&k) {
                    bounds.push(k);
                }
                target += 1;
            }
        }
        let bounds = Arc::new(bounds);
        Ok(Arc::new(move |k: &K| {
            let i = bounds.partition_point(|b| b < k);
            if ascending {
                i
            } else {
                n - 1 - i
            }
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_partitioning_is_deterministic_and_even() {
        assert_eq!(
            FxBuildHasher.hash_one("whale"),
            FxBuildHasher.hash_one(String::from("whale"))
        );
        for n in [2u64, 7, 8, 64] {
            let mut ints = vec![0usize; n as usize];
            let mut words = vec![0usize; n as usize];
            for i in 0..1000 * n {
                ints[bucket(FxBuildHasher.hash_one(i), n)] += 1;
                words[bucket(FxBuildHasher.hash_one(format!("w{i}")), n)] += 1;
            }
            assert!(ints.iter().all(|&c| c > 800), "{n}: {ints:?}");
            assert!(words.iter().all(|&c| c > 800), "{n}: {words:?}");
        }
    }
}
