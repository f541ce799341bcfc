//! More transformations of pairs: `flat_map_values`, `group_by`, `lookup`,
//! `partition_by` (hash or a function of the key),
//! `repartition_and_sort_within_partitions`, and `sort_by_key_with` (sorting
//! by a function of the key, Spark's `keyfunc`).

use std::sync::Arc;

use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::pairs::{sorted_by_key, Key};
use crate::partitioner::{hash_partitioner, MakePartitioner, PartitionerFn};
use crate::shuffle::MapSide;
use crate::Data;

impl<K: Data, V: Data> Dataset<(K, V)> {
    /// Applies `f` to every value and pairs the key with each of the results
    /// (Spark's `flatMapValues`).
    #[track_caller]
    pub fn flat_map_values<W: Data, I>(
        &self,
        f: impl Fn(V) -> I + Send + Sync + 'static,
    ) -> Dataset<(K, W)>
    where
        I: IntoIterator<Item = W> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.with_shared_fn("flat_map_values", f, |f, it| {
            Box::new(it.flat_map(move |(k, v)| f(v).into_iter().map(move |w| (k.clone(), w))))
        })
    }

    /// The values of key `key`, in partition order (Spark's `lookup`; a scan
    /// of every partition).
    #[track_caller]
    pub fn lookup(&self, key: &K) -> Result<Vec<V>>
    where
        K: PartialEq,
        V: Codec,
    {
        let key = key.clone();
        self.filter(move |(k, _)| *k == key).values().collect()
    }
}

impl<T: Data + Codec> Dataset<T> {
    /// The elements grouped by a key computed from each (Spark's `groupBy`).
    #[track_caller]
    pub fn group_by<K: Key>(
        &self,
        f: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Dataset<(K, Vec<T>)> {
        self.key_by(f).group_by_key()
    }
}

/// A partitioner from a user function of the key, wrapped into `n`
/// partitions as Spark's `partitionBy(n, f)` does (`f(k) mod n`).
fn by_function<K: 'static, V>(
    n: usize,
    f: impl Fn(&K) -> usize + Send + Sync + 'static,
) -> MakePartitioner<K, V> {
    let f = Arc::new(f);
    Box::new(move |_| {
        let f = f.clone();
        Ok(Arc::new(move |k: &K| f(k) % n) as PartitionerFn<K>)
    })
}

impl<K: Key, V: Data + Codec> Dataset<(K, V)> {
    /// The same pairs in `num_partitions` partitions by the hash of their key
    /// (Spark's `partitionBy`; 0 keeps the parent's count), each partition
    /// keeping the order its pairs arrive in.
    #[track_caller]
    pub fn partition_by(&self, num_partitions: usize) -> Dataset<(K, V)> {
        let n = self.default_reducers(num_partitions);
        self.shuffle(
            "partition_by",
            n,
            hash_partitioner(n),
            MapSide::pass(),
            pass(),
        )
    }

    /// The same pairs in `num_partitions` partitions (0: the parent's
    /// count), pair `(k, v)` in partition `f(k) mod num_partitions`.
    #[track_caller]
    pub fn partition_by_with(
        &self,
        num_partitions: usize,
        f: impl Fn(&K) -> usize + Send + Sync + 'static,
    ) -> Dataset<(K, V)> {
        let n = self.default_reducers(num_partitions);
        self.shuffle(
            "partition_by",
            n,
            by_function(n, f),
            MapSide::pass(),
            pass(),
        )
    }

    /// `partition_by_with`, each partition then sorted by key (ascending or
    /// not; equal keys keep their order), in one shuffle (Spark's
    /// `repartitionAndSortWithinPartitions`).
    #[track_caller]
    pub fn repartition_and_sort_within_partitions(
        &self,
        num_partitions: usize,
        f: impl Fn(&K) -> usize + Send + Sync + 'static,
        ascending: bool,
    ) -> Dataset<(K, V)>
    where
        K: Ord,
    {
        let n = self.default_reducers(num_partitions);
        self.shuffle(
            "repartition_and_sort_within_partitions",
            n,
            by_function(n, f),
            MapSide::pass(),
            sorted_by_key(ascending),
        )
    }

    /// `sort_by_key` by `keyfunc` of each key instead of the key itself
    /// (Spark's `sortByKey(keyfunc=…)`), into `num_partitions` partitions (0:
    /// the parent's count).
    #[track_caller]
    pub fn sort_by_key_with<S: Key + Ord>(
        &self,
        ascending: bool,
        num_partitions: usize,
        keyfunc: impl Fn(&K) -> S + Send + Sync + 'static,
    ) -> Dataset<(K, V)> {
        self.map(move |(k, v)| (keyfunc(&k), (k, v)))
            .sort_by_key_partitions(ascending, num_partitions)
            .values()
    }
}

/// The reduce side of a shuffle that only moves pairs.
fn pass<K: Data, V: Data>() -> crate::nodes::PostFn<K, V, (K, V)> {
    Arc::new(|it| it)
}
