//! One pass over a band of rows: `levels` time steps in one sweep, as a
//! wavefront in row × level, the intermediate levels kept in a small ring
//! of rows per level. The threads backend runs one per task; the `mpi`
//! backend runs them over its block between halo exchanges.

use super::layout::{AlignedBuf, Layout};
use crate::kernel::{multiversion, row, LeftNeighbours, Simd};

/// One thread's scratch for passes over bands of a grid, kept across
/// passes.
pub(crate) struct Band {
    /// Row slots of the working arrays and of `ring`.
    lay: Layout,
    /// `3·(depth-1)` row slots for the intermediate levels, zero in
    /// columns 0 and n-1.
    ring: AlignedBuf,
    /// A row of zeros (the boundary rows of the intermediate levels).
    zero: Vec<f64>,
    /// The AVX-512 kernel's form for this CPU.
    left: LeftNeighbours,
}

/// What one pass reads and writes.
pub(crate) struct Pass<'a> {
    /// Rows of the array the band lies in. Its first and last rows are the
    /// zero boundary wherever a pass needs them past its first level; a
    /// band with `r0 >= levels` and `r1 + levels <= grid_rows` never does,
    /// so there they may be halo rows.
    pub(crate) grid_rows: usize,
    /// The band: rows `r0..r1` advance.
    pub(crate) rows: (usize, usize),
    /// The row slots of the source array from row [`src_rows`]`(rows,
    /// levels, grid_rows).0` to its `.1`: the band and `levels` rows on
    /// each side (fewer at the grid's edges).
    pub(crate) src: &'a [f64],
    /// The row slots `r0..r1` of the destination array.
    pub(crate) dst: &'a mut [f64],
    /// Steps to advance, at most the `depth` the band was made for.
    pub(crate) levels: usize,
    /// The update coefficient.
    pub(crate) k: f64,
}

/// The source rows a pass of `levels` steps over rows `r0..r1` of an
/// `n`-row grid reads: `levels` beyond each edge of the band, within the
/// grid.
pub(crate) fn src_rows((r0, r1): (usize, usize), levels: usize, n: usize) -> (usize, usize) {
    (r0.saturating_sub(levels), (r1 + levels).min(n))
}

/// The row updates a pass of `levels` steps over rows `r0..r1` of an
/// `n`-row grid makes: every level's rows, the ghost rows beyond the band
/// included.
pub(crate) fn updates((r0, r1): (usize, usize), levels: usize, n: usize) -> usize {
    (1..=levels)
        .map(|l| {
            let lo = r0.saturating_sub(levels - l).max(1);
            let hi = (r1 + (levels - l)).min(n - 1);
            hi.saturating_sub(lo)
        })
        .sum()
}

impl Band {
    /// Scratch for bands of a grid laid out as `lay`, for passes of at most
    /// `depth` steps, its ring placed at `ring_skew` bytes into a page.
    pub(crate) fn new(lay: Layout, depth: usize, ring_skew: usize) -> Band {
        Band {
            lay,
            ring: AlignedBuf::new(3 * depth.saturating_sub(1) * lay.stride, ring_skew),
            zero: vec![0.0; lay.n],
            left: LeftNeighbours::for_this_cpu(),
        }
    }

    /// Runs `pass` with the best row kernel for `simd`: the hand-written
    /// AVX-512 one (in its form for this CPU) when `intrinsics` is set, else
    /// the row loop as the compiler vectorised it.
    pub(crate) fn run(&mut self, simd: Simd, intrinsics: bool, pass: Pass<'_>) {
        #[cfg(target_arch = "x86_64")]
        if simd == Simd::Avx512 && intrinsics {
            // SAFETY: `Simd::detect` returned Avx512, so the CPU has AVX-512F and FMA.
            return unsafe {
                match self.left {
                    LeftNeighbours::Load => band_pass_avx512::<false>(self, pass),
                    LeftNeighbours::Shuffle => band_pass_avx512::<true>(self, pass),
                }
            };
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
        grid_rows: n,
        rows: (r0, r1),
        src,
        dst,
        levels,
        k,
    } = pass;
    let lay = band.lay;
    let ring = band.ring.as_mut_slice();
    let zero = &band.zero[..];
    // `src` starts at grid row `src_lo`, `dst` at row `r0`.
    let src_lo = src_rows((r0, r1), levels, n).0;
    // Rows computed at level l: lo(l) .. hi(l); level `levels` is r0..r1.
    let lo = |l: usize| r0.saturating_sub(levels - l).max(1);
    let hi = |l: usize| (r1 + (levels - l)).min(n - 1);
    let first = lo(1);
    let last = hi(1) + levels - 1;
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
                    &src[lay.row(rr - src_lo)]
                } else if rr == 0 || rr == n - 1 {
                    zero
                } else {
                    &inputs[lay.row((l - 2) * 3 + rr % 3)]
                }
            };
            let (up, mid, down) = (get(r - 1), get(r), get(r + 1));
            if l == levels {
                row(&mut dst[lay.row(r - r0)], up, mid, down, k);
            } else {
                row(&mut outputs[lay.row(r % 3)], up, mid, down, k);
            }
        }
    }
}

/// [`band_pass_with`] with the portable row loop.
#[inline(always)]
fn band_pass(band: &mut Band, pass: Pass<'_>) {
    band_pass_with(row, band, pass)
}

/// [`band_pass_with`] with the AVX-512 row kernel, its left neighbours
/// shuffled when `SHUFFLE_LEFT` ([`LeftNeighbours`]).
///
/// # Safety
/// The CPU must support AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn band_pass_avx512<const SHUFFLE_LEFT: bool>(band: &mut Band, pass: Pass<'_>) {
    // SAFETY: this function's own precondition.
    let row = |d: &mut [f64], u: &[f64], m: &[f64], w: &[f64], k: f64| unsafe {
        crate::kernel::row_avx512::<SHUFFLE_LEFT>(d, u, m, w, k)
    };
    band_pass_with(row, band, pass)
}

multiversion!(
    /// [`band_pass`] compiled for the CPU's SIMD level.
    fn band_pass_dispatch(band: &mut Band, pass: Pass<'_>) => band_pass
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_count_every_level_with_its_ghost_rows() {
        // Levels 1..3 of rows 5..10: 3..12, 4..11, 5..10.
        assert_eq!(updates((5, 10), 3, 20), 9 + 7 + 5);
        // At the grid's edges the ghost rows stop at the boundary rows.
        assert_eq!(updates((1, 4), 2, 5), 3 + 3);
        assert_eq!(src_rows((1, 4), 2, 5), (0, 5));
    }
}
