//! Combining the values of equal keys in a hash map, as `reduce_by_key` and
//! `combine_by_key` do on both sides of their shuffle.

use std::collections::hash_map::Entry;
use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::codec::Codec;

/// One combiner per key. Combiners sit in `Option`s so that a merge can
/// take the old combiner by value and put the new one back without cloning.
pub(crate) struct Combiners<K, C> {
    map: FxHashMap<K, Option<C>>,
}

impl<K: Hash + Eq + Codec, C: Codec> Combiners<K, C> {
    pub(crate) fn new() -> Self {
        Combiners {
            map: FxHashMap::default(),
        }
    }

    /// Merges `v` into the combiner of `k` with `merge`, or starts the
    /// combiner with `create` if `k` is new; returns the bytes a new entry
    /// holds (key, combiner and the table's slot), 0 after a merge.
    #[inline]
    pub(crate) fn add<V>(
        &mut self,
        k: K,
        v: V,
        create: impl FnOnce(V) -> C,
        merge: impl FnOnce(C, V) -> C,
    ) -> usize {
        match self.map.entry(k) {
            Entry::Occupied(mut e) => {
                let slot = e.get_mut();
                let old = slot.take().expect("a slot is refilled after every merge");
                *slot = Some(merge(old, v));
                0
            }
            Entry::Vacant(e) => {
                let c = create(v);
                let bytes = e.key().mem_size() + c.mem_size() + 16;
                e.insert(Some(c));
                bytes
            }
        }
    }

    /// Takes every key and combiner out, leaving the map empty (its
    /// capacity kept).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (K, C)> + '_ {
        self.map.drain().map(|(k, c)| (k, c.expect("filled")))
    }

    /// Every key and combiner.
    pub(crate) fn into_iter(self) -> impl Iterator<Item = (K, C)> {
        self.map.into_iter().map(|(k, c)| (k, c.expect("filled")))
    }
}
