//! The one-row stencil update shared by the compiled backends, and runtime
//! selection of the widest SIMD instruction set the CPU has.
//!
//! The compiled backends (`naive`, `threads`, `mpi`) evaluate, for each
//! interior cell, the course's expression in the same order, with its last
//! multiply-add fused, as a C compiler contracts it (`gcc -O3` does):
//! `fma(k, (((down + up) + right) + left) - 4·c, c)`. Fusing it rounds once
//! instead of twice and saves one of the seven vector-port operations per
//! block of the AVX-512 kernel, whose speed those ports bound. The
//! numpy-like backends (`array`, `expr`) round `c + k·lap` twice, as numpy
//! and numexpr do; the two families agree to ~1e-15 relative, each agrees
//! with itself bit for bit whatever instruction set or thread count it runs
//! on, and a resumed run equals an uninterrupted one.
//!
//! `f64::mul_add` is one instruction wherever the kernels run with FMA (the
//! AVX2 and AVX-512 builds, and every aarch64 CPU); on an x86-64 CPU without
//! it (before 2013) it is a libm call, correct but slow.

/// Computes one interior row: `dst[j]` for `j` in `1..n-1` from the rows
/// above (`up`), at (`mid`) and below (`down`). Columns 0 and n-1 of `dst`
/// are left alone (they are the zero boundary).
///
/// A plain indexed loop over row slices, on purpose: the compiler removes
/// the bounds checks, vectorises it and unrolls it four vectors per
/// iteration, which it does not do for a loop over explicit fixed-size
/// blocks (one vector per iteration, every access split across cache lines).
#[inline(always)]
pub(crate) fn row(dst: &mut [f64], up: &[f64], mid: &[f64], down: &[f64], k: f64) {
    let n = mid.len();
    if n < 3 {
        return;
    }
    let (dst, up, down) = (&mut dst[..n], &up[..n], &down[..n]);
    for j in 1..n - 1 {
        let c = mid[j];
        dst[j] = update(c, up[j], down[j], mid[j - 1], mid[j + 1], k);
    }
}

/// The new value of a cell `c` from its four neighbours (see the module
/// doc for the order of operations and the fused multiply-add).
#[inline(always)]
pub(crate) fn update(c: f64, up: f64, down: f64, left: f64, right: f64, k: f64) -> f64 {
    k.mul_add((((down + up) + right) + left) - 4.0 * c, c)
}

/// The SIMD level the kernels run at (shared with the expression engine).
pub(crate) use runtime::Simd;

/// Declares `$name` as a function that runs `$body_fn` (an `#[inline(always)]`
/// function) compiled for the SIMD level chosen at run time, so the whole
/// loop nest, not just one call, is compiled with the wider instructions.
macro_rules! multiversion {
    ($(#[$m:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) => $body_fn:path) => {
        $(#[$m])*
        pub(crate) fn $name(simd: $crate::kernel::Simd, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) { $body_fn($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) { $body_fn($($arg),*) }
                match simd {
                    // SAFETY: `Simd::detect` only returns a level the CPU supports.
                    $crate::kernel::Simd::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    $crate::kernel::Simd::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::kernel::Simd::Base => {}
                }
            }
            let _ = simd;
            $body_fn($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// How many rows the AVX-512 kernel ([`rows_avx512`]) updates per sweep on
/// this CPU. Every form gives the same bits; which is faster depends on how
/// the core executes 512-bit instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Avx512Form {
    /// One row per sweep: four block loads per block updated (the rows
    /// above and below, the next block of its own row, the left
    /// neighbours). Intel's cores run each 512-bit load whole, and this
    /// keeps their load ports and vector ports equally busy (the form
    /// measured there).
    OneRow,
    /// [`GROUPED_ROWS`] rows per sweep: each middle row is loaded once, as
    /// its neighbours' row above or below too, so a block updated costs 2.5
    /// block loads instead of 4 (the left neighbours' unaligned load
    /// included). AMD's Zen 4 splits every 512-bit load into two 256-bit
    /// halves, so there the loads bound the kernel.
    GroupedRows,
}

/// Rows per sweep of [`Avx512Form::GroupedRows`]: enough to share most
/// loads, few enough that each row's current and next blocks stay in the 32
/// vector registers.
pub(crate) const GROUPED_ROWS: usize = 4;

impl Avx512Form {
    /// The faster form on this process's CPU.
    pub(crate) fn for_this_cpu() -> Avx512Form {
        match runtime::CpuVendor::detect() {
            runtime::CpuVendor::Amd => Avx512Form::GroupedRows,
            runtime::CpuVendor::Intel | runtime::CpuVendor::Other => Avx512Form::OneRow,
        }
    }

    /// Rows it updates per sweep.
    pub(crate) fn rows_per_sweep(self) -> usize {
        match self {
            Avx512Form::OneRow => 1,
            Avx512Form::GroupedRows => GROUPED_ROWS,
        }
    }
}

/// [`row`] written with AVX-512 intrinsics for `K` consecutive rows at
/// once, balancing the two resources that bound it: the vector ports (adds,
/// multiplies, shuffles) and the load ports. Row `i` of `mids` is updated
/// into `dst[i]`; the row above the first is `up`, the row below the last
/// `down`, and each middle row is also its neighbours' row above or below,
/// so a sweep of `K` rows loads `K + 2` rows, not `3·K` ([`Avx512Form`]).
/// Each block of 8 cells loads the *next* block of its middle row, from
/// which one `valignq` makes the right neighbours, and its left neighbours
/// by one unaligned load. (Shuffling the left neighbours out of the block
/// before as well is slower on Intel, and on AMD with rows grouped; loading
/// the right ones would add a second split load.)
///
/// The arithmetic is exactly [`update`]'s, so results are bit-identical:
/// `s - 4·c` is one fused multiply-add, `fma(-4, c, s)`, which rounds once
/// where [`update`] rounds twice, but `4·c` is exact (a power-of-two scaling;
/// only `|c| > f64::MAX / 4` would overflow it), so the single rounding is
/// the same one; the last step is `fma(k, lap, c)` in both.
///
/// # Safety
/// The CPU must support AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
pub(crate) unsafe fn rows_avx512<const K: usize>(
    dst: [&mut [f64]; K],
    up: &[f64],
    mids: [&[f64]; K],
    down: &[f64],
    k: f64,
) {
    use std::arch::x86_64::*;
    let n = mids[0].len();
    if n < 3 {
        return;
    }
    assert!(up.len() >= n && down.len() >= n);
    assert!(mids.iter().all(|m| m.len() == n) && dst.iter().all(|d| d.len() >= n));
    let m = n - 2;
    let full = m / 8;
    // SAFETY: the CPU has AVX-512F and FMA (this function's precondition).
    // The pointer arithmetic stays in the rows, which all hold at least n
    // values (asserted above): full blocks cover cells 1..=8·full ≤ n-2,
    // reading from index j-1 ≥ 0 to at most 8·full+8 ≤ n-1 of a middle row
    // (the look-ahead load is only done when j+16 ≤ n); the masked tail
    // touches only cells < n-1 and their neighbours ≤ n-1.
    unsafe {
        let kv = _mm512_set1_pd(k);
        let minus_four = _mm512_set1_pd(-4.0);
        let (u, w) = (up.as_ptr(), down.as_ptr());
        let c = mids.map(|m| m.as_ptr());
        let d = dst.map(|d| d.as_mut_ptr());
        let bits = _mm512_castpd_si512;
        // Elements [lo_1 .. lo_7, hi_0]: the right neighbours of `lo`.
        let right_of = |lo: __m512d, hi: __m512d| {
            _mm512_castsi512_pd(_mm512_alignr_epi64::<1>(bits(hi), bits(lo)))
        };
        let mut cur = c.map(|c| _mm512_loadu_pd(c.add(1)));
        let mut j = 1;
        for _ in 0..full {
            let look_ahead = j + 16 <= n;
            let next = if look_ahead {
                c.map(|c| _mm512_loadu_pd(c.add(j + 8)))
            } else {
                cur
            };
            let above = _mm512_loadu_pd(u.add(j));
            let below = _mm512_loadu_pd(w.add(j));
            for i in 0..K {
                let right = if look_ahead {
                    right_of(cur[i], next[i])
                } else {
                    _mm512_loadu_pd(c[i].add(j + 1))
                };
                let left = _mm512_loadu_pd(c[i].add(j - 1));
                let up_i = if i == 0 { above } else { cur[i - 1] };
                let down_i = if i + 1 == K { below } else { cur[i + 1] };
                let s = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(down_i, up_i), right), left);
                let lap = _mm512_fmadd_pd(minus_four, cur[i], s);
                _mm512_storeu_pd(d[i].add(j), _mm512_fmadd_pd(kv, lap, cur[i]));
            }
            cur = next;
            j += 8;
        }
        let rem = m - 8 * full;
        if rem > 0 {
            let mask: __mmask8 = ((1u32 << rem) - 1) as __mmask8;
            let ld = |p: *const f64| _mm512_maskz_loadu_pd(mask, p);
            let cc = c.map(|c| ld(c.add(j)));
            for i in 0..K {
                let up_i = if i == 0 { ld(u.add(j)) } else { cc[i - 1] };
                let down_i = if i + 1 == K { ld(w.add(j)) } else { cc[i + 1] };
                let s = _mm512_add_pd(
                    _mm512_add_pd(_mm512_add_pd(down_i, up_i), ld(c[i].add(j + 1))),
                    ld(c[i].add(j - 1)),
                );
                let lap = _mm512_fmadd_pd(minus_four, cc[i], s);
                _mm512_mask_storeu_pd(d[i].add(j), mask, _mm512_fmadd_pd(kv, lap, cc[i]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of every length from 3 to 40 cells (every tail length, one to
    /// four full blocks), updated by the plain row one at a time and by
    /// the AVX-512 kernel one, two, three and four rows per sweep, compared
    /// bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_form_of_the_avx512_kernel_gives_the_plain_rows_bits() {
        assert_eq!(
            Simd::detect(),
            Simd::Avx512,
            "this test needs a CPU with AVX-512 (every machine hpcrs is tested on has one)"
        );
        let stream = runtime::rng::Stream::new(7);
        for n in 3..=40 {
            // Six input rows: outputs for rows 1..=4 at most.
            let input: Vec<Vec<f64>> = (0..6)
                .map(|r| {
                    let mut v = vec![0.0; n];
                    stream.fill_f64((6 * n + r) as u64 * 64, &mut v);
                    v
                })
                .collect();
            let mut plain = vec![vec![9.0; n]; 6];
            for r in 1..5 {
                row(&mut plain[r], &input[r - 1], &input[r], &input[r + 1], 0.1);
            }
            let bits = |r: &[f64]| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            fn check<const K: usize>(
                input: &[Vec<f64>],
                plain: &[Vec<f64>],
                bits: impl Fn(&[f64]) -> Vec<u64>,
            ) {
                let n = input[0].len();
                let mut fast = vec![vec![9.0; n]; K];
                let mut targets = fast.iter_mut();
                let dst: [&mut [f64]; K] =
                    std::array::from_fn(|_| targets.next().expect("K rows").as_mut_slice());
                let mids: [&[f64]; K] = std::array::from_fn(|i| input[1 + i].as_slice());
                // SAFETY: the CPU has AVX-512F and FMA (asserted by the caller).
                unsafe { rows_avx512::<K>(dst, &input[0], mids, &input[K + 1], 0.1) };
                for i in 0..K {
                    assert_eq!(
                        bits(&fast[i]),
                        bits(&plain[1 + i]),
                        "n = {n}, {K} rows, row {i}"
                    );
                }
            }
            check::<1>(&input, &plain, bits);
            check::<2>(&input, &plain, bits);
            check::<3>(&input, &plain, bits);
            check::<4>(&input, &plain, bits);
        }
    }
}
