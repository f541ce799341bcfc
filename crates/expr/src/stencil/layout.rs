//! The buffer layout of the grids and band buffers: whole rows of `u` in C
//! order, each row padded to whole cache lines ([`CACHE_LINE`]) and placed
//! so that its interior starts one (the stencil's centre, row-above and
//! row-below loads and its stores are then aligned, and a 64-byte AVX-512
//! access never straddles two lines), and the copies between `u` and that
//! layout.

use runtime::layout::{bytes_to_page_offset, ALIAS_SKEW_BYTES, CACHE_LINE, PAGE};

use crate::exec::strided::copy_strided;
use crate::stencil::plan::Plan;

/// Two buffers of `bytes` each in buffer layout, in one allocation that the
/// first value owns. Each is placed so that byte `out_inner` of each row
/// (the interior's first element) starts a cache line, and the second's
/// page offset is the first's plus [`ALIAS_SKEW_BYTES`]: a loop that reads
/// one and writes the other then never sees 4K aliasing.
pub(crate) fn buffer_pair(bytes: usize, out_inner: isize) -> (Vec<u64>, [*mut u8; 2]) {
    // Up to a line to align the first buffer, up to a page to place the
    // second.
    let mut mem = vec![0u64; (CACHE_LINE + bytes + PAGE + bytes).div_ceil(8)];
    let start = mem.as_mut_ptr() as *mut u8;
    let misalign = (start as usize + out_inner as usize) % CACHE_LINE;
    // SAFETY: the allocation has a cache line to spare.
    let base = unsafe { start.add((CACHE_LINE - misalign) % CACHE_LINE) };
    let end = base as usize + bytes;
    let gap = bytes_to_page_offset(end, base as usize % PAGE + ALIAS_SKEW_BYTES);
    // SAFETY: the allocation has a page to spare after the first buffer, so
    // the second ends inside it.
    let second = unsafe { base.add(bytes + gap) };
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
        // SAFETY: the caller's contract: the address is inside the buffer.
        unsafe { self.base.offset(row + off) }
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
        // Copies `n` elements of `u` from element offset `src_off` (stride
        // `stride`) to or from packed memory at `packed`.
        let go = |src_off: isize, stride: isize, packed: *mut u8, n: usize| {
            // SAFETY: the offsets stay inside `u` (rows `r0..r1` of its
            // shape) and the packed rows inside `buf` (the caller's
            // contract), and the two never overlap.
            unsafe {
                let at = u.ptr.offset(src_off * es as isize);
                if back {
                    copy_strided(packed, 1, at, stride, n, es)
                } else {
                    copy_strided(at, stride, packed, 1, n, es)
                }
            }
        };
        let s = &u.strides;
        // `wrapping_add` for the packed addresses: they stay inside `buf`.
        match self.full.len() {
            1 => go(r0 as isize * s[0], s[0], buf, r1 - r0),
            2 => {
                for r in r0..r1 {
                    let packed = buf.wrapping_add((r - r0) * self.row_bytes);
                    go(r as isize * s[0], s[1], packed, self.full[1]);
                }
            }
            _ => {
                let (n1, n2) = (self.full[1], self.full[2]);
                for r in r0..r1 {
                    for j in 0..n1 {
                        let packed = buf.wrapping_add((r - r0) * self.row_bytes + j * n2 * es);
                        go(r as isize * s[0] + j as isize * s[1], s[2], packed, n2);
                    }
                }
            }
        }
    }
}
