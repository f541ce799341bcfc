//! Splitting `n` items into `parts` nearly equal contiguous blocks, the way
//! distributed programs share rows or sample points among ranks.

use std::ops::Range;

/// The block of `0..n` owned by part `index` of `parts`: the first `n % parts`
/// blocks get one item more, so sizes differ by at most one and the blocks
/// cover `0..n` in order.
///
/// ```
/// use comm::block_range;
/// assert_eq!(block_range(10, 3, 0), 0..4);
/// assert_eq!(block_range(10, 3, 1), 4..7);
/// assert_eq!(block_range(10, 3, 2), 7..10);
/// ```
pub fn block_range(n: usize, parts: usize, index: usize) -> Range<usize> {
    assert!(
        parts > 0 && index < parts,
        "block_range: index {index} of {parts} parts"
    );
    let base = n / parts;
    let extra = n % parts;
    let start = index * base + index.min(extra);
    let len = base + usize::from(index < extra);
    start..start + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_in_order_and_differ_by_at_most_one() {
        for n in 0..40 {
            for parts in 1..9 {
                let mut next = 0;
                for i in 0..parts {
                    let r = block_range(n, parts, i);
                    assert_eq!(r.start, next);
                    assert!(r.len() == n / parts || r.len() == n / parts + 1);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }
}
