//! The buffer layout of the grids and band buffers: whole rows of `u` in C
//! order, each row padded so that its interior starts a cache line, and the
//! copies between `u` and that layout.

use crate::exec::strided::copy_strided;
use crate::stencil::plan::Plan;

/// Bytes in a cache line. The rows of the grids and band buffers are padded
/// to whole lines and placed so that each row's interior starts one: the
/// stencil's centre, row-above and row-below loads and its stores are then
/// aligned, and a 64-byte AVX-512 access that crosses a line costs two.
pub(crate) const CACHE_LINE: usize = 64;

/// Extra bytes between the team's two buffers modulo 4 KiB: loads from one
/// and stores to the other at equal page offsets make the CPU see false
/// store-to-load dependencies ("4K aliasing").
const SKEW_BYTES: usize = 2048;

/// Two buffers of `bytes` each in buffer layout, placed so that byte
/// `out_inner` of each row (the interior's first element) starts a cache
/// line (see [`CACHE_LINE`]), in one allocation that the first value owns;
/// the second buffer starts [`SKEW_BYTES`] off the first's page offset.
pub(crate) fn buffer_pair(bytes: usize, out_inner: isize) -> (Vec<u64>, [*mut u8; 2]) {
    let words_a = bytes.div_ceil(4096) * 512;
    let skew = SKEW_BYTES / 8;
    let line_words = CACHE_LINE / 8;
    let mut mem = vec![0u64; words_a + skew + bytes.div_ceil(8) + 1 + line_words];
    let start = mem.as_mut_ptr() as *mut u8;
    let misalign = (start as usize + out_inner as usize) % CACHE_LINE;
    // SAFETY: the allocation has a cache line to spare.
    let base = unsafe { start.add((CACHE_LINE - misalign) % CACHE_LINE) };
    // SAFETY: the second buffer ends inside the allocation.
    let second = unsafe { base.add((words_a + skew) * 8) };
    (mem, [base, second])
}

/// The rows of one time level: a buffer in buffer layout, and the row of
/// `u` its first row holds.
#[derive(Clone, Copy)]
pub(crate) struct Rows {
    pub base: *mut u8,
    pub origin: usize,
}

impl Rows {
    /// A whole grid.
    pub(crate) fn grid(base: *mut u8) -> Rows {
        Rows { base, origin: 0 }
    }

    /// Address of row `x` plus `off` bytes.
    ///
    /// # Safety
    /// The buffer must hold row `x` (`off` may reach into its neighbours).
    pub(crate) unsafe fn at(self, x: usize, row_bytes: usize, off: isize) -> *mut u8 {
        let row = (x as isize - self.origin as isize) * row_bytes as isize;
        self.base.offset(row + off)
    }
}

/// C-order strides (elements) of `shape`.
pub(crate) fn c_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![1isize; shape.len()];
    for ax in (0..shape.len().saturating_sub(1)).rev() {
        s[ax] = s[ax + 1] * shape[ax + 1] as isize;
    }
    s
}

impl Plan<'_> {
    /// Copies rows `r0..r1` of `u` to (or, with `back`, from) the packed
    /// rows at `buf`.
    ///
    /// # Safety
    /// `buf` must hold `r1 - r0` buffer rows; no other thread may
    /// write those rows of `u` (or, with `back`, read or write them).
    pub(crate) unsafe fn copy_rows(&self, r0: usize, r1: usize, buf: *mut u8, back: bool) {
        let u = &self.u;
        let es = self.esize;
        let at = |off: isize| u.ptr.offset(off * es as isize);
        let go = |src_off: isize, stride: isize, packed: *mut u8, n: usize| {
            if back {
                copy_strided(packed, 1, at(src_off), stride, n, es)
            } else {
                copy_strided(at(src_off), stride, packed, 1, n, es)
            }
        };
        let s = &u.strides;
        match self.full.len() {
            1 => go(r0 as isize * s[0], s[0], buf, r1 - r0),
            2 => {
                for r in r0..r1 {
                    let packed = buf.add((r - r0) * self.row_bytes);
                    go(r as isize * s[0], s[1], packed, self.full[1]);
                }
            }
            _ => {
                let (n1, n2) = (self.full[1], self.full[2]);
                for r in r0..r1 {
                    for j in 0..n1 {
                        let packed = buf.add((r - r0) * self.row_bytes + j * n2 * es);
                        go(r as isize * s[0] + j as isize * s[1], s[2], packed, n2);
                    }
                }
            }
        }
    }
}
