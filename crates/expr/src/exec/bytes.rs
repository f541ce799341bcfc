//! Tests of byte strings (`s >= b'x'`, `contains(s, t)`), computed into a
//! block of `bool`s when a block's variables are read, so that the virtual
//! machine, which computes numbers, sees them as `bool` variables.
//!
//! A string is a fixed-width run of bytes; a shorter value ends in NULs.
//! Comparisons are numpy's: lexicographic over unsigned bytes, the shorter
//! string padded with NULs to the longer's width (so `b'foo' ==
//! b'foo\0\0'`, while NULs inside a string count). `contains` searches the
//! haystack without its trailing NULs for the needle without its trailing
//! NULs; an empty needle is in every haystack.

use std::cmp::Ordering;

use crate::compile::typed::BytesOp;
use crate::exec::geometry::{Geometry, Pos, BLOCK};
use crate::exec::space::Operand;
use crate::exec::strided::walk;

/// The strings of one operand of a test: `at` locates each string's first
/// byte (its strides in bytes, `esize` 1), whose `width` bytes lie `step`
/// bytes apart.
#[derive(Debug, Clone)]
pub(crate) struct Strings {
    pub at: Operand,
    pub width: usize,
    pub step: isize,
}

/// A test of two operands' strings, element by element.
#[derive(Debug, Clone)]
pub(crate) struct TestOp {
    pub op: BytesOp,
    pub a: Strings,
    pub b: Strings,
}

/// numpy's order of two byte strings: lexicographic over unsigned bytes,
/// as if the shorter were padded with NULs to the longer's width.
pub(crate) fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let nonzero = |s: &[u8]| s.iter().any(|&c| c != 0);
    a[..n].cmp(&b[..n]).then_with(|| {
        if nonzero(&a[n..]) {
            Ordering::Greater
        } else if nonzero(&b[n..]) {
            Ordering::Less
        } else {
            Ordering::Equal
        }
    })
}

/// `s` without its trailing NULs.
fn trimmed(s: &[u8]) -> &[u8] {
    &s[..s.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1)]
}

/// Needles up to this long are looked for at every place in turn (at most
/// this many byte comparisons per byte of the haystack); longer ones by
/// [`occurs`], whose time is linear whatever the strings.
const SHORT_NEEDLE: usize = 32;

/// Whether `haystack` contains `needle`, both without their trailing NULs.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let (h, n) = (trimmed(haystack), trimmed(needle));
    if n.len() <= SHORT_NEEDLE {
        n.is_empty() || h.windows(n.len()).any(|w| w == n)
    } else {
        n.len() <= h.len() && occurs(h, n)
    }
}

/// Whether `n` (not empty) occurs in `h`, by Knuth, Morris and Pratt's
/// search: O(|h| + |n|), so that wide hostile strings cannot make a
/// search quadratic.
fn occurs(h: &[u8], n: &[u8]) -> bool {
    // fail[i]: the length of the longest proper prefix of n[..=i] that is
    // also a suffix of it.
    let mut fail = vec![0usize; n.len()];
    let mut k = 0;
    for i in 1..n.len() {
        while k > 0 && n[i] != n[k] {
            k = fail[k - 1];
        }
        if n[i] == n[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for &c in h {
        while k > 0 && c != n[k] {
            k = fail[k - 1];
        }
        if c == n[k] {
            k += 1;
            if k == n.len() {
                return true;
            }
        }
    }
    false
}

impl BytesOp {
    /// Whether the test holds for strings `a` and `b`.
    pub(crate) fn holds(self, a: &[u8], b: &[u8]) -> bool {
        match self {
            BytesOp::Lt => compare(a, b).is_lt(),
            BytesOp::Le => compare(a, b).is_le(),
            BytesOp::Eq => compare(a, b).is_eq(),
            BytesOp::Ne => compare(a, b).is_ne(),
            BytesOp::Ge => compare(a, b).is_ge(),
            BytesOp::Gt => compare(a, b).is_gt(),
            BytesOp::Contains => contains(a, b),
        }
    }
}

impl Strings {
    /// The byte offsets of the block's `n` strings from `at.ptr`, into
    /// `offs`.
    fn offsets(&self, geo: &Geometry, pos: Pos, n: usize, offs: &mut [isize; BLOCK]) {
        match pos {
            Pos::Row { idx, start } => {
                let first = self.at.row_offset(&idx, start);
                let inner = *self.at.strides.last().unwrap_or(&0);
                for (k, o) in offs[..n].iter_mut().enumerate() {
                    *o = first + k as isize * inner;
                }
            }
            Pos::Flat { start } => walk(&geo.shape, &self.at.strides, start, n, |k, off| {
                offs[k] = off;
            }),
        }
    }

    /// The string at byte offset `off`: in place when its bytes are
    /// contiguous, else copied into `copy`.
    ///
    /// # Safety
    /// `off` must be the offset of one of the operand's strings.
    unsafe fn at<'c>(&self, off: isize, copy: &'c mut Vec<u8>) -> &'c [u8] {
        // SAFETY: the caller's contract: a string of `width` bytes, `step`
        // apart, starts there.
        unsafe {
            let p = self.at.ptr.offset(off) as *const u8;
            if self.step == 1 || self.width <= 1 {
                return std::slice::from_raw_parts(p, self.width);
            }
            copy.clear();
            copy.extend((0..self.width as isize).map(|k| *p.offset(k * self.step)));
            copy
        }
    }
}

impl TestOp {
    /// Computes the test for the `n` elements of the block at `pos` into
    /// `out`.
    ///
    /// # Safety
    /// The block must lie inside both operands' arrays (and `n <= BLOCK`),
    /// and `out` must hold `n` `bool`s.
    pub(crate) unsafe fn run(&self, geo: &Geometry, pos: Pos, n: usize, out: *mut bool) {
        let mut offs_a = [0isize; BLOCK];
        let mut offs_b = [0isize; BLOCK];
        self.a.offsets(geo, pos, n, &mut offs_a);
        self.b.offsets(geo, pos, n, &mut offs_b);
        let (mut copy_a, mut copy_b) = (Vec::new(), Vec::new());
        for k in 0..n {
            // SAFETY: the caller's contract: element `k` of the block is a
            // string of each operand, and `out` holds element `k`.
            unsafe {
                let a = self.a.at(offs_a[k], &mut copy_a);
                let b = self.b.at(offs_b[k], &mut copy_b);
                *out.add(k) = self.op.holds(a, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_pad_with_nuls_and_read_bytes_unsigned() {
        assert_eq!(compare(b"foo", b"foo\0\0"), Ordering::Equal);
        assert_eq!(compare(b"foo", b"foobar"), Ordering::Less);
        assert_eq!(compare(b"foo", b"foo\0bar"), Ordering::Less);
        assert_eq!(compare(b"foo\0a", b"foo\0bar"), Ordering::Less);
        assert_eq!(compare(b"", b"\0"), Ordering::Equal);
        assert_eq!(compare(b"", b"a"), Ordering::Less);
        assert_eq!(compare(b"\xff", b"a"), Ordering::Greater);
        assert_eq!(compare(b"b", b"abc"), Ordering::Greater);
    }

    #[test]
    fn contains_ignores_trailing_nuls_only() {
        assert!(contains(b"abc\0\0", b"bc\0"));
        assert!(contains(b"abc", b""));
        assert!(contains(b"", b"\0\0"));
        assert!(!contains(b"", b"a"));
        assert!(contains(b"a\0bc", b"\0b"));
        assert!(!contains(b"ab", b"abc"));
        assert!(contains(b"test abc here", b"c h"));
    }

    #[test]
    fn long_needles_are_found_as_short_ones_are() {
        // Strings of a two-letter alphabet, with long runs of partial
        // matches: the linear search against every place in turn.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let hl = (next() % 200) as usize;
            let nl = 33 + (next() % 60) as usize;
            let h: Vec<u8> = (0..hl).map(|_| b'a' + (next() % 8 == 0) as u8).collect();
            let n: Vec<u8> = if hl > nl && next() % 2 == 0 {
                let at = (next() as usize) % (hl - nl);
                h[at..at + nl].to_vec()
            } else {
                (0..nl).map(|_| b'a' + (next() % 8 == 0) as u8).collect()
            };
            let naive = h.windows(n.len()).any(|w| w == n.as_slice());
            assert_eq!(occurs(&h, &n), naive, "{h:?} {n:?}");
            assert_eq!(contains(&h, &n), naive);
        }
        // A wide worst case stays linear: a million bytes, a needle of
        // half a million that almost matches everywhere.
        let h = vec![b'a'; 1 << 20];
        let mut n = vec![b'a'; 1 << 19];
        n.push(b'b');
        assert!(!contains(&h, &n));
    }
}
