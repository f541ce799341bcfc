//! One pass over a band of rows: `levels` time steps in one sweep, as a
//! wavefront in row × level, the intermediate levels kept in a small ring
//! of rows per level. The threads backend runs one per task; the `mpi`
//! backend runs them over its block between halo exchanges.

use super::layout::{AlignedBuf, Layout};
use crate::kernel::{multiversion, row, Avx512Form, Simd};

/// One thread's scratch for passes over bands of a grid, kept across
/// passes.
pub(crate) struct Band {
    /// Row slots of the working arrays and of `ring`.
    lay: Layout,
    /// `(rows per sweep + 2)·(depth-1)` row slots for the intermediate
    /// levels, zero in columns 0 and n-1.
    ring: AlignedBuf,
    /// A row of zeros (the boundary rows of the intermediate levels).
    zero: Vec<f64>,
    /// The AVX-512 kernel's form for this CPU.
    form: Avx512Form,
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
        Band::with_form(lay, depth, ring_skew, Avx512Form::for_this_cpu())
    }

    /// [`Band::new`] with the AVX-512 kernel run in `form`.
    fn with_form(lay: Layout, depth: usize, ring_skew: usize, form: Avx512Form) -> Band {
        let slots = form.rows_per_sweep() + 2;
        Band {
            lay,
            ring: AlignedBuf::new(slots * depth.saturating_sub(1) * lay.stride, ring_skew),
            zero: vec![0.0; lay.n],
            form,
        }
    }

    /// Runs `pass` with the best row kernel for `simd`: the hand-written
    /// AVX-512 one (in its form for this CPU) when `intrinsics` is set, else
    /// the row loop as the compiler vectorised it, one row at a time.
    pub(crate) fn run(&mut self, simd: Simd, intrinsics: bool, pass: Pass<'_>) {
        #[cfg(target_arch = "x86_64")]
        if simd == Simd::Avx512 && intrinsics {
            // SAFETY: `Simd::detect` returned Avx512, so the CPU has AVX-512F and FMA.
            return unsafe {
                match self.form {
                    Avx512Form::OneRow => band_pass_avx512::<1>(self, pass),
                    Avx512Form::GroupedRows => {
                        band_pass_avx512::<{ crate::kernel::GROUPED_ROWS }>(self, pass)
                    }
                }
            };
        }
        let _ = intrinsics;
        band_pass_dispatch(simd, self, pass)
    }
}

/// Runs `pass` over `band`, updating `K` rows of a level at a time with
/// `rows` (and single rows, at the ends of a level's range, with `one`).
///
/// Level `l` sweeps its rows `K` at a time, one row behind level `l-1`: in
/// wavefront step `s` it updates rows `a .. a+K` with `a = first + K·s -
/// (l-1)`, reading rows `a-1 ..= a+K` of level `l-1`, the last `K` of which
/// level `l-1` has just made. Each intermediate level's ring therefore
/// holds `K + 2` rows: what step `s` overwrites (rows `a-K-1 .. a-1` of
/// level `l-1`) was last read in step `s-1`.
#[inline(always)]
fn band_pass_with<const K: usize, One, Rows>(one: One, rows: Rows, band: &mut Band, pass: Pass<'_>)
where
    One: Fn(&mut [f64], &[f64], &[f64], &[f64], f64),
    Rows: Fn([&mut [f64]; K], &[f64], [&[f64]; K], &[f64], f64),
{
    let Pass {
        grid_rows: n,
        rows: (r0, r1),
        src,
        dst,
        levels,
        k,
    } = pass;
    let lay = band.lay;
    let slots = K + 2;
    let ring = &mut band.ring.as_mut_slice()[..levels.saturating_sub(1) * slots * lay.stride];
    let zero = &band.zero[..];
    // `src` starts at grid row `src_lo`, `dst` at row `r0`.
    let src_lo = src_rows((r0, r1), levels, n).0;
    // Rows computed at level l: lo(l) .. hi(l); level `levels` is r0..r1.
    let lo = |l: usize| r0.saturating_sub(levels - l).max(1);
    let hi = |l: usize| (r1 + (levels - l)).min(n - 1);
    let first = lo(1);
    let steps = (hi(levels) + levels - 1 - first).div_ceil(K);
    for s in 0..steps {
        for l in 1..=levels {
            // Rows a .. a+K of level l, within lo(l) .. hi(l) (a may be
            // negative near the grid's first row, where lo(l) is 1).
            let a = first + K * s;
            let from = a.saturating_sub(l - 1).max(lo(l));
            let to = (a + K).saturating_sub(l - 1).min(hi(l));
            if from >= to {
                continue;
            }
            // Input rows at level l-1 and the output rows.
            let (inputs, outputs) = ring.split_at_mut((l - 1) * slots * lay.stride);
            let get = |rr: usize| -> &[f64] {
                if l == 1 {
                    &src[lay.row(rr - src_lo)]
                } else if rr == 0 || rr == n - 1 {
                    zero
                } else {
                    &inputs[lay.row((l - 2) * slots + rr % slots)]
                }
            };
            // The last level writes the band's rows of `dst`, the others
            // their ring.
            let last = l == levels;
            let out: &mut [f64] = if last { &mut *dst } else { outputs };
            let out_row = |r: usize| if last { r - r0 } else { r % slots };
            if to - from == K {
                let targets = out
                    .get_disjoint_mut(std::array::from_fn::<_, K, _>(|i| {
                        lay.row(out_row(from + i))
                    }))
                    .expect("the K output rows are distinct");
                rows(
                    targets,
                    get(from - 1),
                    std::array::from_fn(|i| get(from + i)),
                    get(to),
                    k,
                );
            } else {
                for r in from..to {
                    one(
                        &mut out[lay.row(out_row(r))],
                        get(r - 1),
                        get(r),
                        get(r + 1),
                        k,
                    );
                }
            }
        }
    }
}

/// [`band_pass_with`] with the portable row loop, one row at a time.
#[inline(always)]
fn band_pass(band: &mut Band, pass: Pass<'_>) {
    band_pass_with::<1, _, _>(row, |[d], u, [m], w, k| row(d, u, m, w, k), band, pass)
}

/// [`band_pass_with`] with the AVX-512 row kernel, `K` rows at a time.
///
/// # Safety
/// The CPU must support AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn band_pass_avx512<const K: usize>(band: &mut Band, pass: Pass<'_>) {
    use crate::kernel::rows_avx512;
    // SAFETY: this function's own precondition.
    let one = |d: &mut [f64], u: &[f64], m: &[f64], w: &[f64], k: f64| unsafe {
        rows_avx512::<1>([d], u, [m], w, k)
    };
    // SAFETY: as above.
    let rows = |d: [&mut [f64]; K], u: &[f64], m: [&[f64]; K], w: &[f64], k: f64| unsafe {
        rows_avx512::<K>(d, u, m, w, k)
    };
    band_pass_with(one, rows, band, pass)
}

multiversion!(
    /// [`band_pass`] compiled for the CPU's SIMD level.
    fn band_pass_dispatch(band: &mut Band, pass: Pass<'_>) => band_pass
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn updates_count_every_level_with_its_ghost_rows() {
        // Levels 1..3 of rows 5..10: 3..12, 4..11, 5..10.
        assert_eq!(updates((5, 10), 3, 20), 9 + 7 + 5);
        // At the grid's edges the ghost rows stop at the boundary rows.
        assert_eq!(updates((1, 4), 2, 5), 3 + 3);
        assert_eq!(src_rows((1, 4), 2, 5), (0, 5));
    }

    /// An `n`×`n` grid of random interior cells and zero edges, as rows.
    fn grid(n: usize, seed: u64) -> Vec<Vec<f64>> {
        let stream = runtime::rng::Stream::new(seed);
        (0..n)
            .map(|r| {
                let mut cells = vec![0.0; n];
                if r > 0 && r + 1 < n && n > 2 {
                    stream.fill_f64((r * n) as u64, &mut cells[1..n - 1]);
                }
                cells
            })
            .collect()
    }

    /// `grid` after `steps` steps of the plain row update.
    fn stepped(mut rows: Vec<Vec<f64>>, steps: usize, k: f64) -> Vec<Vec<f64>> {
        let n = rows.len();
        for _ in 0..steps {
            let mut next = rows.clone();
            for r in 1..n - 1 {
                row(&mut next[r], &rows[r - 1], &rows[r], &rows[r + 1], k);
            }
            rows = next;
        }
        rows
    }

    /// Rows `r0..r1` of `grid` after a pass of `levels` steps, the pass run
    /// by `run` on a band made for `levels` steps.
    fn band_rows(
        grid: &[Vec<f64>],
        (r0, r1): (usize, usize),
        levels: usize,
        k: f64,
        run: impl FnOnce(&mut Band, Pass<'_>),
        form: Avx512Form,
    ) -> Vec<Vec<f64>> {
        let n = grid.len();
        let lay = Layout::new(n);
        let (s0, s1) = src_rows((r0, r1), levels, n);
        let mut src = AlignedBuf::new((s1 - s0) * lay.stride, SKEW_A);
        lay.unpack(&grid[s0..s1].concat(), src.as_mut_slice(), 0);
        let mut dst = AlignedBuf::new((r1 - r0) * lay.stride, SKEW_B);
        let mut band = Band::with_form(lay, levels, SKEW_RING, form);
        let pass = Pass {
            grid_rows: n,
            rows: (r0, r1),
            src: src.as_slice(),
            dst: dst.as_mut_slice(),
            levels,
            k,
        };
        run(&mut band, pass);
        let mut out = vec![0.0; (r1 - r0) * n];
        lay.pack(dst.as_slice(), 0, &mut out);
        out.chunks_exact(n).map(<[f64]>::to_vec).collect()
    }

    use super::super::layout::{SKEW_A, SKEW_B, SKEW_RING};

    /// [`band_pass_with`] updating `K` rows at a time with the plain row.
    fn plain_in_groups<const K: usize>(band: &mut Band, pass: Pass<'_>) {
        band_pass_with::<K, _, _>(
            row,
            |dst: [&mut [f64]; K], up: &[f64], mids: [&[f64]; K], down: &[f64], k| {
                for (i, d) in dst.into_iter().enumerate() {
                    let above = if i == 0 { up } else { mids[i - 1] };
                    let below = if i + 1 == K { down } else { mids[i + 1] };
                    row(d, above, mids[i], below, k);
                }
            },
            band,
            pass,
        )
    }

    proptest! {
        /// A pass of any depth over any band of any grid, its levels swept
        /// one to four rows at a time (and by the AVX-512 kernel in both
        /// its forms), gives the bits of as many plain steps of the whole
        /// grid.
        #[test]
        fn a_pass_gives_the_bits_of_plain_steps(
            n in 3usize..40,
            band in (0.0f64..1.0, 0.0f64..1.0),
            levels in 1usize..7,
            seed in 0u64..1000,
        ) {
            let r0 = 1 + (band.0 * (n - 2) as f64) as usize;
            let r0 = r0.min(n - 2);
            let r1 = r0 + 1 + (band.1 * (n - 1 - r0 - 1) as f64) as usize;
            let k = 0.1;
            let start = grid(n, seed);
            let want = stepped(start.clone(), levels, k)[r0..r1].to_vec();
            // A band of this form has ring room for four rows per sweep.
            let form = Avx512Form::GroupedRows;
            let got = |run: fn(&mut Band, Pass<'_>), form| band_rows(&start, (r0, r1), levels, k, run, form);
            prop_assert_eq!(&got(plain_in_groups::<1>, form), &want, "one row at a time");
            prop_assert_eq!(&got(plain_in_groups::<2>, form), &want, "two rows at a time");
            prop_assert_eq!(&got(plain_in_groups::<3>, form), &want, "three rows at a time");
            prop_assert_eq!(&got(plain_in_groups::<4>, form), &want, "four rows at a time");
            if Simd::detect() == Simd::Avx512 {
                let avx512 = |b: &mut Band, p: Pass<'_>| b.run(Simd::Avx512, true, p);
                for form in [Avx512Form::OneRow, Avx512Form::GroupedRows] {
                    prop_assert_eq!(&got(avx512, form), &want, "AVX-512, {:?}", form);
                }
            }
        }
    }
}
