//! Which reduce partition a key goes to: by hash (`reduce_by_key`,
//! `group_by_key`, `join`, …), by range of keys (sorts), or as the key says
//! (`repartition`).

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use rand_core::RngCore;
use rustc_hash::FxBuildHasher;

use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::Data;

/// Which reduce partition a key goes to.
pub(crate) type PartitionerFn<K> = Arc<dyn Fn(&K) -> usize + Send + Sync>;

/// Builds the partitioner when the map stage is about to run (a range
/// partitioner samples the parent first).
pub(crate) type MakePartitioner<K, V> =
    Box<dyn Fn(&Dataset<(K, V)>) -> Result<PartitionerFn<K>> + Send + Sync>;

/// Hash partitioning into `n` partitions, the same in every task and run.
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

/// Keys that are partition numbers already (`repartition` deals elements
/// out itself).
pub(crate) fn key_is_partition<V>() -> MakePartitioner<usize, V> {
    Box::new(|_| Ok(Arc::new(|k: &usize| *k)))
}

/// Keys sampled per output partition, spread over the parent's partitions:
/// Spark's `RangePartitioner` hint of 20 times its oversampling factor of 3.
const SAMPLE_PER_OUTPUT: usize = 60;

/// The seed of the sampling generator: a fixed one, so that a sort puts
/// every key in the same partition in every run.
const SAMPLE_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Range partitioning into `n` partitions, with bounds chosen from a sample
/// of the keys (reservoir sampling per partition, weighted by partition size,
/// as Spark's `RangePartitioner` does). Runs a sampling job.
pub(crate) fn range_partitioner<K: Data + Codec + Ord, V: Data>(
    n: usize,
    ascending: bool,
) -> MakePartitioner<K, V> {
    Box::new(move |parent: &Dataset<(K, V)>| {
        if n <= 1 {
            return Ok(Arc::new(|_: &K| 0));
        }
        let parts = parent.num_partitions().max(1);
        let per_partition = (SAMPLE_PER_OUTPUT * n).div_ceil(parts).max(1);
        let samples = parent.run_all("sample for range partitioning", move |it| {
            reservoir(it.map(|(k, _)| k), per_partition)
        })?;
        let bounds = Arc::new(bounds(samples, n));
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

/// A uniform sample of at most `size` of `items` (Vitter's algorithm R), and
/// how many items there were.
fn reservoir<K>(items: impl Iterator<Item = K>, size: usize) -> (u64, Vec<K>) {
    let mut rng = runtime::rng::seeded(SAMPLE_SEED);
    let mut sample: Vec<K> = Vec::with_capacity(size);
    let mut seen = 0u64;
    for k in items {
        seen += 1;
        if sample.len() < size {
            sample.push(k);
        } else {
            let j = (rng.next_u64() % seen) as usize;
            if j < size {
                sample[j] = k;
            }
        }
    }
    (seen, sample)
}

/// `n - 1` (or fewer, for repeated keys) increasing bounds that cut the
/// sampled keys into `n` groups of equal weight, each partition's sample
/// weighing as many keys as the partition held.
fn bounds<K: Ord>(samples: Vec<(u64, Vec<K>)>, n: usize) -> Vec<K> {
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
    bounds
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

    #[test]
    fn reservoir_keeps_everything_when_it_fits_and_samples_evenly_otherwise() {
        assert_eq!(reservoir(0..5, 10), (5, vec![0, 1, 2, 3, 4]));
        let (seen, s) = reservoir(0..100_000u64, 1000);
        assert_eq!((seen, s.len()), (100_000, 1000));
        let mean = s.iter().sum::<u64>() as f64 / 1000.0;
        assert!((mean - 50_000.0).abs() < 2500.0, "{mean}");
        let first_tenth = s.iter().filter(|&&k| k < 10_000).count();
        assert!((70..130).contains(&first_tenth), "{first_tenth}");
    }

    #[test]
    fn bounds_split_by_weight() {
        let samples = vec![(100, (0..10).collect()), (10, (10..20).collect())];
        // The first partition's keys weigh 10 each, the second's 1 each.
        assert_eq!(bounds(samples, 2), vec![5]);
        assert_eq!(bounds(vec![(3, vec![1, 1, 1])], 3), vec![1]);
    }
}
