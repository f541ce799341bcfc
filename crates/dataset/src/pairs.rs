//! Transformations of key-value datasets, `Dataset<(K, V)>`: the wide ones
//! cut a stage at a shuffle.

use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::codec::Codec;
use crate::combine::Combiners;
use crate::dataset::Dataset;
use crate::lineage::PartitionIter;
use crate::nodes::{PostFn, ShuffledNode};
use crate::partitioner::{hash_partitioner, key_is_partition, range_partitioner, MakePartitioner};
use crate::shuffle::{MapSide, ShuffleDep};
use crate::util::or_default;
use crate::Data;

/// Keys of shuffled datasets: hashable, comparable for equality, encodable
/// (for spilling). Implemented for every type with those traits.
pub trait Key: Data + Codec + Hash + Eq {}
impl<T: Data + Codec + Hash + Eq> Key for T {}

/// The reduce side of a combining shuffle: merges the records of equal keys
/// with `merge`.
fn merge_post<K: Key, C: Data + Codec>(
    merge: Arc<dyn Fn(C, C) -> C + Send + Sync>,
) -> PostFn<K, C, (K, C)> {
    Arc::new(move |it| {
        let mut combiners = Combiners::new();
        for (k, c) in it {
            combiners.add(k, c, |c| c, |a, b| merge(a, b));
        }
        Box::new(combiners.into_iter())
    })
}

/// The reduce side of a sorting shuffle: the partition's records sorted by
/// key (a stable sort: equal keys keep the order they arrived in).
pub(crate) fn sorted_by_key<K: Ord + Data, V: Data>(ascending: bool) -> PostFn<K, V, (K, V)> {
    Arc::new(move |it: PartitionIter<(K, V)>| {
        let mut all: Vec<(K, V)> = it.collect();
        if ascending {
            all.sort_by(|a, b| a.0.cmp(&b.0));
        } else {
            all.sort_by(|a, b| b.0.cmp(&a.0));
        }
        Box::new(all.into_iter())
    })
}

impl<K: Data, V: Data> Dataset<(K, V)> {
    /// The keys.
    #[track_caller]
    pub fn keys(&self) -> Dataset<K> {
        self.with_shared_fn("keys", (), |_, it| Box::new(it.map(|(k, _)| k)))
    }

    /// The values.
    #[track_caller]
    pub fn values(&self) -> Dataset<V> {
        self.with_shared_fn("values", (), |_, it| Box::new(it.map(|(_, v)| v)))
    }

    /// Applies `f` to every value, keeping keys (and partitioning) as they are.
    #[track_caller]
    pub fn map_values<W: Data>(
        &self,
        f: impl Fn(V) -> W + Send + Sync + 'static,
    ) -> Dataset<(K, W)> {
        self.with_shared_fn("map_values", f, |f, it| {
            Box::new(it.map(move |(k, v)| (k, f(v))))
        })
    }
}

impl<K: Key, V: Data> Dataset<(K, V)> {
    /// A shuffle into `reducers` partitions, named `op`, whose reduce side
    /// passes each partition through `post`.
    #[track_caller]
    pub(crate) fn shuffle<M: Data + Codec, U: Data>(
        &self,
        op: &str,
        reducers: usize,
        partitioner: MakePartitioner<K, V>,
        map_side: MapSide<V, M>,
        post: PostFn<K, M, U>,
    ) -> Dataset<U> {
        let info = self.ctx.node_info("Shuffled", op);
        let dep = Arc::new(ShuffleDep::new(
            info.op.clone(),
            self.clone(),
            reducers,
            partitioner,
            map_side,
        ));
        Dataset::from_node(self.ctx.clone(), ShuffledNode::new(info, dep, post))
    }

    /// `n` partitions, or as many as this dataset has for 0.
    pub(crate) fn default_reducers(&self, n: usize) -> usize {
        or_default(n, self.num_partitions().max(1))
    }

    /// Spark's `combineByKey`: per key, `create` makes a combiner from the
    /// first value, `merge_value` adds a value to it (on the map side, before
    /// the shuffle), `merge_combiners` joins combiners from different map
    /// tasks. `num_partitions` 0 keeps the parent's count.
    #[track_caller]
    pub fn combine_by_key<C: Data + Codec>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        num_partitions: usize,
    ) -> Dataset<(K, C)> {
        let map_side = MapSide {
            to_m: Arc::new(create),
            merge_value: Some(Arc::new(merge_value)),
        };
        self.combine(
            "combine_by_key",
            map_side,
            Arc::new(merge_combiners),
            num_partitions,
        )
    }

    /// Merges the values of each key with `f` (associative and commutative),
    /// combining on the map side first; as many partitions as the parent.
    #[track_caller]
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Dataset<(K, V)>
    where
        V: Codec,
    {
        self.reduce_by_key_partitions(f, 0)
    }

    /// `reduce_by_key` into `num_partitions` partitions (0: the parent's count).
    #[track_caller]
    pub fn reduce_by_key_partitions(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        num_partitions: usize,
    ) -> Dataset<(K, V)>
    where
        V: Codec,
    {
        let f = Arc::new(f);
        let map_side = MapSide {
            to_m: Arc::new(|v| v),
            merge_value: Some(f.clone()),
        };
        self.combine("reduce_by_key", map_side, f, num_partitions)
    }

    /// A hash shuffle named `op` that combines values per key on the map
    /// side as `map_side` says and merges the combiners of each key with
    /// `merge` on the reduce side.
    #[track_caller]
    fn combine<C: Data + Codec>(
        &self,
        op: &str,
        map_side: MapSide<V, C>,
        merge: Arc<dyn Fn(C, C) -> C + Send + Sync>,
        num_partitions: usize,
    ) -> Dataset<(K, C)> {
        let n = self.default_reducers(num_partitions);
        self.shuffle(op, n, hash_partitioner(n), map_side, merge_post(merge))
    }

    /// All values of each key, as `(key, values)` (no map-side combining,
    /// as in Spark: it would not shrink the data).
    #[track_caller]
    pub fn group_by_key(&self) -> Dataset<(K, Vec<V>)>
    where
        V: Codec,
    {
        self.group_by_key_partitions(0)
    }

    /// `group_by_key` into `num_partitions` partitions (0: the parent's count).
    #[track_caller]
    pub fn group_by_key_partitions(&self, num_partitions: usize) -> Dataset<(K, Vec<V>)>
    where
        V: Codec,
    {
        let n = self.default_reducers(num_partitions);
        self.shuffle(
            "group_by_key",
            n,
            hash_partitioner(n),
            MapSide::pass(),
            Arc::new(|it: PartitionIter<(K, V)>| {
                let mut map: FxHashMap<K, Vec<V>> = FxHashMap::default();
                for (k, v) in it {
                    map.entry(k).or_default().push(v);
                }
                Box::new(map.into_iter())
            }),
        )
    }

    /// Pairs `(k, (v, w))` for every `v` of `self` and `w` of `other` with the
    /// same key (an inner join, through one shuffle of both sides).
    #[track_caller]
    pub fn join<W: Data + Codec>(&self, other: &Dataset<(K, W)>) -> Dataset<(K, (V, W))>
    where
        V: Codec,
    {
        self.join_partitions(other, 0)
    }

    /// `join` into `num_partitions` partitions (0: the larger parent's count).
    #[track_caller]
    pub fn join_partitions<W: Data + Codec>(
        &self,
        other: &Dataset<(K, W)>,
        num_partitions: usize,
    ) -> Dataset<(K, (V, W))>
    where
        V: Codec,
    {
        let n = or_default(
            num_partitions,
            self.num_partitions().max(other.num_partitions()).max(1),
        );
        let left = self.map_values(Side::<V, W>::Left);
        let right = other.map_values(Side::<V, W>::Right);
        left.union(&right).shuffle(
            "join",
            n,
            hash_partitioner(n),
            MapSide::pass(),
            Arc::new(crate::api::hash_join::hash_join),
        )
    }
}

impl<K: Key + Ord, V: Data + Codec> Dataset<(K, V)> {
    /// Sorts by key through a range-partitioned shuffle: partition i holds
    /// keys below those of partition i+1 (above, descending), each partition
    /// sorted. The range bounds come from a sample of the keys taken when the
    /// job runs. As many partitions as the parent.
    #[track_caller]
    pub fn sort_by_key(&self, ascending: bool) -> Dataset<(K, V)> {
        self.sort_by_key_partitions(ascending, 0)
    }

    /// `sort_by_key` into `num_partitions` partitions (0: the parent's count).
    #[track_caller]
    pub fn sort_by_key_partitions(
        &self,
        ascending: bool,
        num_partitions: usize,
    ) -> Dataset<(K, V)> {
        let n = self.default_reducers(num_partitions);
        self.shuffle(
            "sort_by_key",
            n,
            range_partitioner(n, ascending),
            MapSide::pass(),
            sorted_by_key(ascending),
        )
    }
}

impl<T: Data + Codec> Dataset<T> {
    /// Sorts by a key computed from each element (Spark's `sortBy`).
    #[track_caller]
    pub fn sort_by<K: Key + Ord>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
    ) -> Dataset<T> {
        self.sort_by_partitions(key, ascending, 0)
    }

    /// `sort_by` into `num_partitions` partitions (0: the parent's count).
    #[track_caller]
    pub fn sort_by_partitions<K: Key + Ord>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
        num_partitions: usize,
    ) -> Dataset<T> {
        self.key_by(key)
            .sort_by_key_partitions(ascending, num_partitions)
            .values()
    }

    /// The distinct elements (through a shuffle with map-side combining).
    #[track_caller]
    pub fn distinct(&self) -> Dataset<T>
    where
        T: Hash + Eq,
    {
        self.distinct_partitions(0)
    }

    /// `distinct` into `num_partitions` partitions (0: the parent's count).
    #[track_caller]
    pub fn distinct_partitions(&self, num_partitions: usize) -> Dataset<T>
    where
        T: Hash + Eq,
    {
        self.map(|x| (x, ()))
            .reduce_by_key_partitions(|_, _| (), num_partitions)
            .keys()
    }

    /// Exactly `n` partitions of nearly equal size, through a shuffle that
    /// deals elements round-robin (Spark's `repartition`).
    #[track_caller]
    pub fn repartition(&self, n: usize) -> Dataset<T> {
        let n = n.max(1);
        let keyed: Dataset<(usize, T)> = self.map_partitions_with_index(move |p, it| {
            // Each map task starts dealing at a different partition, so small
            // partitions do not all land in partition 0.
            it.enumerate().map(move |(j, x)| ((p + j) % n, x))
        });
        keyed.shuffle(
            &format!("repartition({n})"),
            n,
            key_is_partition(),
            MapSide::pass(),
            Arc::new(|it: PartitionIter<(usize, T)>| Box::new(it.map(|(_, x)| x))),
        )
    }

    /// `coalesce(n)` of partitions that live on several ranks: each
    /// element goes to the output partition that chains its partition
    /// (`nodes::coalesce::group`), through a shuffle that keeps partitions
    /// in order and elements in their order, so output partition i holds
    /// what one process's coalesce gives, on one rank.
    #[track_caller]
    pub(crate) fn coalesce_across_ranks(&self, n: usize) -> Dataset<T> {
        let parents = self.num_partitions();
        let outputs = n.min(parents).max(1);
        let mut to_output = vec![0; parents];
        for i in 0..outputs {
            for p in crate::nodes::coalesce_group(i, parents, outputs) {
                to_output[p] = i;
            }
        }
        let keyed: Dataset<(usize, T)> = self.map_partitions_with_index(move |p, it| {
            let i = to_output[p];
            it.map(move |x| (i, x))
        });
        keyed.shuffle(
            &format!("coalesce({n}) across ranks"),
            outputs,
            key_is_partition(),
            MapSide::pass(),
            Arc::new(|it: PartitionIter<(usize, T)>| Box::new(it.map(|(_, x)| x))),
        )
    }
}

/// One side of a join, tagged for the shared shuffle.
#[derive(Clone)]
pub(crate) enum Side<V, W> {
    Left(V),
    Right(W),
}

impl<V: Codec, W: Codec> Codec for Side<V, W> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Side::Left(v) => {
                out.push(0);
                v.encode(out)
            }
            Side::Right(w) => {
                out.push(1);
                w.encode(out)
            }
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let (&tag, rest) = input.split_first()?;
        *input = rest;
        match tag {
            0 => Some(Side::Left(V::decode(input)?)),
            1 => Some(Side::Right(W::decode(input)?)),
            _ => None,
        }
    }
    fn mem_size(&self) -> usize {
        8 + match self {
            Side::Left(v) => v.mem_size(),
            Side::Right(w) => w.mem_size(),
        }
    }
}
