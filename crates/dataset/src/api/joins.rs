//! Joins beyond the inner one, all through one shuffle of both sides tagged
//! by side (as `join` does): `cogroup`, `group_with`, the outer joins,
//! `subtract_by_key`, `subtract`, `intersection`; and `cartesian`, which
//! needs no shuffle.

use std::hash::Hash;

use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::nodes::CartesianNode;
use crate::pairs::{Key, Side};
use crate::util::or_default;
use crate::Data;

/// An element of `cogroup`: a key with its values in the first dataset and
/// in the second.
pub type Cogrouped<K, V, W> = (K, (Vec<V>, Vec<W>));

/// An element of `full_outer_join`: a key with a value from either side or
/// both.
pub type FullOuter<K, V, W> = (K, (Option<V>, Option<W>));

impl<K: Key, V: Data + Codec> Dataset<(K, V)> {
    /// For every key of either side, its values in `self` and in `other`
    /// (Spark's `cogroup`), in as many partitions as the larger parent.
    #[track_caller]
    pub fn cogroup<W: Data + Codec>(&self, other: &Dataset<(K, W)>) -> Dataset<Cogrouped<K, V, W>> {
        self.cogroup_partitions(other, 0)
    }

    /// `cogroup` into `num_partitions` partitions (0: the larger parent's count).
    #[track_caller]
    pub fn cogroup_partitions<W: Data + Codec>(
        &self,
        other: &Dataset<(K, W)>,
        num_partitions: usize,
    ) -> Dataset<Cogrouped<K, V, W>> {
        let n = or_default(
            num_partitions,
            self.num_partitions().max(other.num_partitions()).max(1),
        );
        let left = self.map_values(Side::<V, W>::Left);
        let right = other.map_values(Side::<V, W>::Right);
        left.union(&right)
            .group_by_key_partitions(n)
            .map_values(|sides| {
                let mut lefts = Vec::new();
                let mut rights = Vec::new();
                for s in sides {
                    match s {
                        Side::Left(v) => lefts.push(v),
                        Side::Right(w) => rights.push(w),
                    }
                }
                (lefts, rights)
            })
    }

    /// `cogroup` of `self` and any number of datasets of the same types
    /// (Spark's `groupWith`): for every key, one list of values per dataset,
    /// `self`'s first.
    #[track_caller]
    pub fn group_with(&self, others: &[Dataset<(K, V)>]) -> Dataset<(K, Vec<Vec<V>>)> {
        let sides = others.len() + 1;
        let n = others
            .iter()
            .map(Dataset::num_partitions)
            .fold(self.num_partitions(), usize::max)
            .max(1);
        let mut tagged = self.map_values(|v| (0usize, v));
        for (i, other) in others.iter().enumerate() {
            tagged = tagged.union(&other.map_values(move |v| (i + 1, v)));
        }
        tagged.group_by_key_partitions(n).map_values(move |vs| {
            let mut lists: Vec<Vec<V>> = vec![Vec::new(); sides];
            for (i, v) in vs {
                lists[i].push(v);
            }
            lists
        })
    }

    /// Every `(k, (v, Some(w)))` of the inner join, and `(k, (v, None))` for
    /// the values of keys `other` lacks (Spark's `leftOuterJoin`).
    #[track_caller]
    pub fn left_outer_join<W: Data + Codec>(
        &self,
        other: &Dataset<(K, W)>,
    ) -> Dataset<(K, (V, Option<W>))> {
        self.cogroup(other).flat_map(|(k, (vs, ws))| {
            let mut out = Vec::with_capacity(vs.len() * ws.len().max(1));
            for v in &vs {
                if ws.is_empty() {
                    out.push((k.clone(), (v.clone(), None)));
                }
                for w in &ws {
                    out.push((k.clone(), (v.clone(), Some(w.clone()))));
                }
            }
            out
        })
    }

    /// Every `(k, (Some(v), w))` of the inner join, and `(k, (None, w))` for
    /// the values of keys `self` lacks (Spark's `rightOuterJoin`).
    #[track_caller]
    pub fn right_outer_join<W: Data + Codec>(
        &self,
        other: &Dataset<(K, W)>,
    ) -> Dataset<(K, (Option<V>, W))> {
        self.cogroup(other).flat_map(|(k, (vs, ws))| {
            let mut out = Vec::with_capacity(ws.len() * vs.len().max(1));
            for w in &ws {
                if vs.is_empty() {
                    out.push((k.clone(), (None, w.clone())));
                }
                for v in &vs {
                    out.push((k.clone(), (Some(v.clone()), w.clone())));
                }
            }
            out
        })
    }

    /// The inner join, plus `(k, (Some(v), None))` and `(k, (None, Some(w)))`
    /// for keys only one side has (Spark's `fullOuterJoin`).
    #[track_caller]
    pub fn full_outer_join<W: Data + Codec>(
        &self,
        other: &Dataset<(K, W)>,
    ) -> Dataset<FullOuter<K, V, W>> {
        self.cogroup(other).flat_map(|(k, (vs, ws))| {
            let lefts: Vec<Option<V>> = if vs.is_empty() {
                vec![None]
            } else {
                vs.into_iter().map(Some).collect()
            };
            let rights: Vec<Option<W>> = if ws.is_empty() {
                vec![None]
            } else {
                ws.into_iter().map(Some).collect()
            };
            let mut out = Vec::with_capacity(lefts.len() * rights.len());
            for v in &lefts {
                for w in &rights {
                    out.push((k.clone(), (v.clone(), w.clone())));
                }
            }
            out
        })
    }

    /// The pairs of `self` whose key `other` does not have (Spark's
    /// `subtractByKey`).
    #[track_caller]
    pub fn subtract_by_key<W: Data + Codec>(&self, other: &Dataset<(K, W)>) -> Dataset<(K, V)> {
        self.cogroup(other).flat_map(|(k, (vs, ws))| {
            let keep = if ws.is_empty() { vs } else { Vec::new() };
            keep.into_iter().map(move |v| (k.clone(), v))
        })
    }
}

impl<T: Data + Codec + Hash + Eq> Dataset<T> {
    /// The elements of `self` that `other` does not contain, duplicates of
    /// `self` kept (Spark's `subtract`).
    #[track_caller]
    pub fn subtract(&self, other: &Dataset<T>) -> Dataset<T> {
        self.map(|x| (x, ()))
            .subtract_by_key(&other.map(|x| (x, ())))
            .keys()
    }

    /// The distinct elements both datasets contain (Spark's `intersection`).
    #[track_caller]
    pub fn intersection(&self, other: &Dataset<T>) -> Dataset<T> {
        self.map(|x| (x, ()))
            .cogroup(&other.map(|x| (x, ())))
            .filter(|(_, (a, b))| !a.is_empty() && !b.is_empty())
            .keys()
    }
}

impl<T: Data> Dataset<T> {
    /// Every pair `(a, b)` of an element of `self` and one of `other`
    /// (Spark's `cartesian`): partition `i * m + j` pairs partition `i` of
    /// `self` with partition `j` of `other` (which has `m`), so no shuffle.
    #[track_caller]
    pub fn cartesian<U: Data>(&self, other: &Dataset<U>) -> Dataset<(T, U)> {
        let info = self.ctx.node_info("Cartesian", "cartesian");
        Dataset::from_node(
            self.ctx.clone(),
            CartesianNode::new(info, self.clone(), other.clone()),
        )
    }
}
