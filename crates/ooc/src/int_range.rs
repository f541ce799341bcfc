//! The exact smallest and largest element of integer data.
//!
//! The statistics kernels work in `f64`, which holds every `i32`, `u8` and bool exactly but
//! not every `i64` (2^53 + 1 has no `f64`): the min and max of an `i64` array are found on
//! the integers themselves, as numpy's are.

use runtime::stats::Stats;

use crate::dtype::ByteOrder;

/// The smallest and largest of some integers; [`IntRange::EMPTY`] for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntRange {
    /// The smallest value (`i64::MAX` when empty).
    pub min: i64,
    /// The largest value (`i64::MIN` when empty).
    pub max: i64,
}

impl IntRange {
    /// The range of no values: merging it changes nothing.
    pub const EMPTY: IntRange = IntRange {
        min: i64::MAX,
        max: i64::MIN,
    };

    /// Whether this is the range of no values.
    pub fn is_empty(&self) -> bool {
        self.min > self.max
    }

    /// Widens this range to cover `other` too.
    #[inline]
    pub fn merge(&mut self, other: &IntRange) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The range of `i64` values stored as `bytes` (a whole number of them) in `order`.
    ///
    /// ```
    /// use ooc::{ByteOrder, IntRange};
    /// let bytes: Vec<u8> = [9007199254740993i64, -4].iter().flat_map(|v| v.to_be_bytes()).collect();
    /// let r = IntRange::of_i64_bytes(ByteOrder::Big, &bytes);
    /// assert_eq!((r.min, r.max), (-4, 9007199254740993));
    /// ```
    pub fn of_i64_bytes(order: ByteOrder, bytes: &[u8]) -> IntRange {
        let mut r = IntRange::EMPTY;
        let words = bytes.chunks_exact(8).map(|b| {
            let b: [u8; 8] = b.try_into().expect("chunks of 8");
            match order {
                ByteOrder::Little => i64::from_le_bytes(b),
                ByteOrder::Big => i64::from_be_bytes(b),
            }
        });
        for v in words {
            r.min = r.min.min(v);
            r.max = r.max.max(v);
        }
        r
    }

    /// The range of integers whose statistics are `s`, for element types that `f64` holds
    /// exactly (`i32`, `u8`, bool): their `f64` min and max are the integers themselves.
    pub fn of_exact_stats(s: &Stats) -> IntRange {
        if s.count() == 0 {
            IntRange::EMPTY
        } else {
            IntRange {
                min: s.min() as i64,
                max: s.max() as i64,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beyond_two_to_the_53() {
        let vals = [9007199254740993i64, 9007199254740992, i64::MIN, i64::MAX];
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let r = IntRange::of_i64_bytes(ByteOrder::Little, &le);
        assert_eq!((r.min, r.max), (i64::MIN, i64::MAX));
        let r = IntRange::of_i64_bytes(ByteOrder::Little, &le[..16]);
        assert_eq!((r.min, r.max), (9007199254740992, 9007199254740993));
        assert!(IntRange::of_i64_bytes(ByteOrder::Little, &[]).is_empty());
        let mut m = IntRange::EMPTY;
        m.merge(&r);
        assert_eq!(m, r);
    }
}
