//! The reduce side of a shuffle as a dataset (Spark's `ShuffledRDD`): reads
//! the shuffle and post-processes each partition (aggregates, sorts, or
//! passes records through).

use std::hash::Hash;
use std::sync::Arc;

use crate::codec::Codec;
use crate::error::Result;
use crate::lineage::{Dependency, Lineage, Node, NodeInfo, PartitionIter};
use crate::shuffle::ShuffleDep;
use crate::task::TaskContext;
use crate::Data;

/// The reduce-side processing of a shuffled partition.
pub(crate) type PostFn<K, M, U> =
    Arc<dyn Fn(PartitionIter<(K, M)>) -> PartitionIter<U> + Send + Sync>;

/// One partition per reducer of `dep`, passed through `post`.
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
        self.dep.reducers()
    }
    fn deps(&self) -> Vec<Dependency> {
        vec![Dependency::Shuffle(self.dep.clone())]
    }
    /// Where the shuffle crosses ranks, on a distributed context.
    fn extra(&self) -> String {
        match self.dep.ranks() {
            1 => String::new(),
            n => format!("[buckets exchanged between {n} ranks; partition p on rank p mod {n}]"),
        }
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
