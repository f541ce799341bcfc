//! The reduce side of `join`: a hash join of one partition's records from
//! both sides, with no allocation per key.
//!
//! The smaller side's records go into a vector and a hash table from key to
//! the first and last of its records, which are chained in arrival order
//! through an index array; the larger side then streams past, each record
//! paired with every chained record of its key.

use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::lineage::PartitionIter;
use crate::pairs::Side;

/// End of a chain.
const NONE: usize = usize::MAX;

/// The chained records of one side, indexed by key.
struct Chains<'a, K> {
    heads: FxHashMap<&'a K, (usize, usize)>,
    next: Vec<usize>,
}

impl<'a, K: Hash + Eq> Chains<'a, K> {
    fn build<X>(records: &'a [(K, X)]) -> Self {
        let mut heads: FxHashMap<&'a K, (usize, usize)> = FxHashMap::default();
        heads.reserve(records.len());
        let mut next = vec![NONE; records.len()];
        for (i, (k, _)) in records.iter().enumerate() {
            heads
                .entry(k)
                .and_modify(|(_, last)| {
                    next[*last] = i;
                    *last = i;
                })
                .or_insert((i, i));
        }
        Chains { heads, next }
    }

    /// The indices of the records of key `k`, in arrival order.
    fn of(&self, k: &K) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.heads.get(k).map_or(NONE, |h| h.0);
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let i = at;
            at = self.next[i];
            Some(i)
        })
    }
}

/// Every `(k, (v, w))` for a left record `(k, v)` and a right record
/// `(k, w)` among `records`.
pub(crate) fn hash_join<K, V, W>(
    records: PartitionIter<(K, Side<V, W>)>,
) -> PartitionIter<(K, (V, W))>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + 'static,
    W: Clone + Send + 'static,
{
    let mut lefts: Vec<(K, V)> = Vec::new();
    let mut rights: Vec<(K, W)> = Vec::new();
    for (k, side) in records {
        match side {
            Side::Left(v) => lefts.push((k, v)),
            Side::Right(w) => rights.push((k, w)),
        }
    }
    let mut out: Vec<(K, (V, W))> = Vec::new();
    if lefts.len() <= rights.len() {
        let chains = Chains::build(&lefts);
        for (k, w) in rights {
            for i in chains.of(&k) {
                out.push((k.clone(), (lefts[i].1.clone(), w.clone())));
            }
        }
    } else {
        let chains = Chains::build(&rights);
        for (k, v) in lefts {
            for i in chains.of(&k) {
                out.push((k.clone(), (v.clone(), rights[i].1.clone())));
            }
        }
    }
    Box::new(out.into_iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_every_left_with_every_right_of_its_key() {
        let records: Vec<(u8, Side<char, i32>)> = vec![
            (1, Side::Left('a')),
            (2, Side::Right(20)),
            (1, Side::Right(10)),
            (1, Side::Left('b')),
            (3, Side::Left('c')),
            (1, Side::Right(11)),
        ];
        let mut got: Vec<_> = hash_join(Box::new(records.into_iter())).collect();
        got.sort();
        assert_eq!(
            got,
            [
                (1, ('a', 10)),
                (1, ('a', 11)),
                (1, ('b', 10)),
                (1, ('b', 11))
            ]
        );
    }
}
