//! A small, fast, deterministic hasher for shuffle partitioning and hash maps.
//!
//! Partitioning must give the same bucket for a key in every task and every run,
//! so it cannot use std's randomly seeded `RandomState`; and hashing short words
//! is the hot loop of a word count, where SipHash is several times slower than
//! this multiply-rotate hash (the one rustc uses internally, "FxHash"). It is
//! not DoS-resistant, which does not matter for a local batch engine.

use std::hash::{BuildHasherDefault, Hash, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The hasher: 8 bytes at a time, one rotate, xor and multiply per word.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= 8 {
            self.add(u64::from_le_bytes(bytes[..8].try_into().unwrap()));
            bytes = &bytes[8..];
        }
        if bytes.len() >= 4 {
            self.add(u32::from_le_bytes(bytes[..4].try_into().unwrap()) as u64);
            bytes = &bytes[4..];
        }
        for &b in bytes {
            self.add(b as u64);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64)
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64)
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i)
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64)
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; fold the high half in so that
        // `hash % partitions` spreads well.
        self.hash ^ (self.hash >> 29)
    }
}

/// `BuildHasher` for [`FxHasher`], for `HashMap::with_hasher`.
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// A `HashMap` using [`FxHasher`].
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuildHasher>;

/// The hash of one value, the same in every thread and every run.
pub fn hash_one<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_spread() {
        assert_eq!(hash_one("whale"), hash_one(&String::from("whale")));
        let mut buckets = [0usize; 7];
        for i in 0..7000u64 {
            buckets[(hash_one(&i) % 7) as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| n > 700), "{buckets:?}");
    }
}
