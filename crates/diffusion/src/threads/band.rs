//! One thread's pass over its band: `levels` time steps in one sweep, as a
//! wavefront in row × level, the intermediate levels kept in a small ring of
//! rows per level.

use super::layout::{AlignedBuf, Layout};
use crate::kernel::{multiversion, row, Simd};

/// One thread's band of rows `r0..r1` and its scratch, kept across passes.
///
/// The band is swept top-down, or bottom-up when `mirror` is set: the pass
/// then runs on the grid turned upside down (row `r` read as row `n-1-r`),
/// which gives the same bits because the stencil adds `down + up`, and
/// floating-point addition is commutative.
pub(crate) struct Band {
    /// Row slots of the working arrays and of `ring`.
    lay: Layout,
    r0: usize,
    r1: usize,
    /// Sweep the band bottom-up.
    mirror: bool,
    /// `3·(depth-1)` row slots for the intermediate levels, zero in
    /// columns 0 and n-1.
    ring: AlignedBuf,
    /// A row of zeros (the boundary rows of the intermediate levels).
    zero: Vec<f64>,
}

/// What one pass reads and writes.
pub(crate) struct Pass<'a> {
    /// The whole source array (rows `r0-levels .. r1+levels` are read).
    pub(crate) src: &'a [f64],
    /// The row slots `r0..r1` of the destination array.
    pub(crate) dst: &'a mut [f64],
    /// Steps to advance, at most the `depth` the band was made for.
    pub(crate) levels: usize,
    /// The update coefficient.
    pub(crate) k: f64,
    /// Called once the band's first `levels` rows (at the edge the sweep
    /// starts from, which the neighbour there reads in the next pass) are
    /// final, and this pass has read its last source row beyond that edge
    /// (the neighbour may then overwrite them): see
    /// [`Stage`](super::team::Stage).
    pub(crate) start_edge_done: &'a dyn Fn(),
}

impl Band {
    /// The band `r0..r1` of a grid laid out as `lay`, for passes of at most
    /// `depth` steps, its ring placed at `ring_skew` bytes into a page.
    pub(crate) fn new(
        lay: Layout,
        (r0, r1): (usize, usize),
        mirror: bool,
        depth: usize,
        ring_skew: usize,
    ) -> Band {
        Band {
            lay,
            r0,
            r1,
            mirror,
            ring: AlignedBuf::new(3 * depth.saturating_sub(1) * lay.stride, ring_skew),
            zero: vec![0.0; lay.n],
        }
    }

    /// Runs `pass` with the best row kernel for `simd`: the hand-written
    /// AVX-512 one when `intrinsics` is set, else the row loop as the
    /// compiler vectorised it.
    pub(crate) fn run(&mut self, simd: Simd, intrinsics: bool, pass: Pass<'_>) {
        #[cfg(target_arch = "x86_64")]
        if simd == Simd::Avx512 && intrinsics {
            // SAFETY: `Simd::detect` returned Avx512, so the CPU has AVX-512F and FMA.
            return unsafe { band_pass_avx512(self, pass) };
        }
        let _ = intrinsics;
        band_pass_dispatch(simd, self, pass)
    }
}

/// Runs `pass` over `band` with `row` as the one-row update.
#[inline(always)]
fn band_pass_with<F: Fn(&mut [f64], &[f64], &[f64], &[f64], f64)>(
    row: F,
    band: &mut Band,
    pass: Pass<'_>,
) {
    let Pass {
        src,
        dst,
        levels,
        k,
        start_edge_done,
    } = pass;
    let (lay, mirror) = (band.lay, band.mirror);
    let ring = band.ring.as_mut_slice();
    let zero = &band.zero[..];
    let n = lay.n;
    // The sweep runs over logical rows; `phys` maps one to its grid row.
    let phys = |r: usize| if mirror { n - 1 - r } else { r };
    // `dst` starts at grid row `band_lo`; the band in logical rows:
    let band_lo = band.r0;
    let (r0, r1) = if mirror {
        (n - band.r1, n - band.r0)
    } else {
        (band.r0, band.r1)
    };
    // Rows computed at level l: lo(l) .. hi(l); level `levels` is r0..r1.
    let lo = |l: usize| r0.saturating_sub(levels - l).max(1);
    let hi = |l: usize| (r1 + (levels - l)).min(n - 1);
    let first = lo(1);
    let last = hi(1) + levels - 1;
    // Level `levels` writes row r in iteration r+levels-1, and level 1 has
    // read the last source row above r0 in iteration r0.
    let edge_iteration = (r0 + 2 * levels - 2).min(last - 1);
    for s in first..last {
        // Level l works on row s+1-l.
        for l in 1..=levels.min(s + 1) {
            let r = s + 1 - l;
            if r < lo(l) || r >= hi(l) {
                continue;
            }
            // Input rows r-1, r, r+1 at level l-1 and the output row.
            let (inputs, outputs) = ring.split_at_mut((l - 1) * 3 * lay.stride);
            let get = |rr: usize| -> &[f64] {
                if l == 1 {
                    &src[lay.row(phys(rr))]
                } else if rr == 0 || rr == n - 1 {
                    zero
                } else {
                    &inputs[lay.row((l - 2) * 3 + rr % 3)]
                }
            };
            let (up, mid, down) = (get(r - 1), get(r), get(r + 1));
            if l == levels {
                row(&mut dst[lay.row(phys(r) - band_lo)], up, mid, down, k);
            } else {
                row(&mut outputs[lay.row(r % 3)], up, mid, down, k);
            }
        }
        if s == edge_iteration {
            start_edge_done();
        }
    }
}

/// [`band_pass_with`] with the portable row loop.
#[inline(always)]
fn band_pass(band: &mut Band, pass: Pass<'_>) {
    band_pass_with(row, band, pass)
}

/// [`band_pass_with`] with the AVX-512 row kernel.
///
/// # Safety
/// The CPU must support AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn band_pass_avx512(band: &mut Band, pass: Pass<'_>) {
    // SAFETY: this function's own precondition.
    let row = |d: &mut [f64], u: &[f64], m: &[f64], w: &[f64], k: f64| unsafe {
        crate::kernel::row_avx512(d, u, m, w, k)
    };
    band_pass_with(row, band, pass)
}

multiversion!(
    /// [`band_pass`] compiled for the CPU's SIMD level.
    fn band_pass_dispatch(band: &mut Band, pass: Pass<'_>) => band_pass
);
