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

/// Where the AVX-512 row kernel ([`row_avx512`]) gets a block's left
/// neighbours from. Both forms give the same bits; which is faster depends
/// on how the core executes 512-bit instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeftNeighbours {
    /// One unaligned load, split across two cache lines. Intel's cores
    /// run each 512-bit instruction whole: this keeps their load ports and
    /// vector ports equally busy.
    Load,
    /// One `valignq` of the block and the one before it, already in
    /// registers: three loads per block instead of four. AMD's Zen 4 splits
    /// every 512-bit load into two 256-bit halves, so its load ports, not
    /// its shuffle units, bound the kernel.
    Shuffle,
}

impl LeftNeighbours {
    /// The faster form on this process's CPU.
    pub(crate) fn for_this_cpu() -> LeftNeighbours {
        match runtime::CpuVendor::detect() {
            runtime::CpuVendor::Amd => LeftNeighbours::Shuffle,
            runtime::CpuVendor::Intel | runtime::CpuVendor::Other => LeftNeighbours::Load,
        }
    }
}

/// [`row`] written with AVX-512 intrinsics, balancing the two resources
/// that bound it: the vector ports (adds, multiplies, shuffles) and the load
/// ports. Each block of 8 cells loads the rows above and below and the
/// *next* block of the middle row, from which one `valignq` makes the right
/// neighbours; the left neighbours come as `SHUFFLE_LEFT` says
/// ([`LeftNeighbours`]: `true` is [`LeftNeighbours::Shuffle`]). Loading the
/// right neighbours too would add a second split load per block.
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
pub(crate) unsafe fn row_avx512<const SHUFFLE_LEFT: bool>(
    dst: &mut [f64],
    up: &[f64],
    mid: &[f64],
    down: &[f64],
    k: f64,
) {
    use std::arch::x86_64::*;
    let n = mid.len();
    if n < 3 {
        return;
    }
    assert!(up.len() >= n && down.len() >= n && dst.len() >= n);
    let m = n - 2;
    let full = m / 8;
    // SAFETY: the CPU has AVX-512F and FMA (this function's precondition).
    // The pointer arithmetic stays in the rows: full blocks cover cells
    // 1..=8·full ≤ n-2, reading at most index 8·full+8 ≤ n-1 of `mid` (the
    // look-ahead load is only done when j+16 ≤ n); the masked tail touches
    // only cells < n-1 and their neighbours ≤ n-1; `dst`, `up` and `down`
    // hold at least n values (asserted above).
    unsafe {
        let kv = _mm512_set1_pd(k);
        let minus_four = _mm512_set1_pd(-4.0);
        let (u, w, c, d) = (up.as_ptr(), down.as_ptr(), mid.as_ptr(), dst.as_mut_ptr());
        let bits = _mm512_castpd_si512;
        // Elements [lo_1 .. lo_7, hi_0]: the right neighbours of `lo`.
        let right_of = |lo: __m512d, hi: __m512d| {
            _mm512_castsi512_pd(_mm512_alignr_epi64::<1>(bits(hi), bits(lo)))
        };
        // Elements [lo_7, hi_0 .. hi_6]: the left neighbours of `hi`.
        let left_of = |lo: __m512d, hi: __m512d| {
            _mm512_castsi512_pd(_mm512_alignr_epi64::<7>(bits(hi), bits(lo)))
        };
        let mut cur = _mm512_loadu_pd(c.add(1));
        // The block before the first: only its last element, cell 0, is
        // read (as the first cell's left neighbour).
        let mut prev = _mm512_set1_pd(mid[0]);
        let mut j = 1;
        for _ in 0..full {
            let (right, next) = if j + 16 <= n {
                let next = _mm512_loadu_pd(c.add(j + 8));
                (right_of(cur, next), next)
            } else {
                (_mm512_loadu_pd(c.add(j + 1)), cur)
            };
            let left = if SHUFFLE_LEFT {
                left_of(prev, cur)
            } else {
                _mm512_loadu_pd(c.add(j - 1))
            };
            let s = _mm512_add_pd(
                _mm512_add_pd(
                    _mm512_add_pd(_mm512_loadu_pd(w.add(j)), _mm512_loadu_pd(u.add(j))),
                    right,
                ),
                left,
            );
            let lap = _mm512_fmadd_pd(minus_four, cur, s);
            _mm512_storeu_pd(d.add(j), _mm512_fmadd_pd(kv, lap, cur));
            prev = cur;
            cur = next;
            j += 8;
        }
        let rem = m - 8 * full;
        if rem > 0 {
            let mask: __mmask8 = ((1u32 << rem) - 1) as __mmask8;
            let ld = |p: *const f64| _mm512_maskz_loadu_pd(mask, p);
            let cc = ld(c.add(j));
            let s = _mm512_add_pd(
                _mm512_add_pd(_mm512_add_pd(ld(w.add(j)), ld(u.add(j))), ld(c.add(j + 1))),
                ld(c.add(j - 1)),
            );
            let lap = _mm512_fmadd_pd(minus_four, cc, s);
            _mm512_mask_storeu_pd(d.add(j), mask, _mm512_fmadd_pd(kv, lap, cc));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of every length from 3 to 40 cells (every tail length, one to
    /// four full blocks), each computed by the plain row and by both forms
    /// of the AVX-512 kernel, compared bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn both_left_neighbour_forms_give_the_plain_rows_bits() {
        assert_eq!(
            Simd::detect(),
            Simd::Avx512,
            "this test needs a CPU with AVX-512 (every machine hpcrs is tested on has one)"
        );
        let stream = runtime::rng::Stream::new(7);
        for n in 3..=40 {
            let values = |row: u64| {
                let mut v = vec![0.0; n];
                stream.fill_f64(row * 64, &mut v);
                v
            };
            let (up, mid, down) = (
                values(3 * n as u64),
                values(3 * n as u64 + 1),
                values(3 * n as u64 + 2),
            );
            let mut plain = vec![9.0; n];
            row(&mut plain, &up, &mid, &down, 0.1);
            for shuffle in [false, true] {
                let mut fast = vec![9.0; n];
                // SAFETY: the CPU has AVX-512F and FMA (asserted above).
                unsafe {
                    if shuffle {
                        row_avx512::<true>(&mut fast, &up, &mid, &down, 0.1);
                    } else {
                        row_avx512::<false>(&mut fast, &up, &mid, &down, 0.1);
                    }
                }
                let bits = |r: &[f64]| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&plain), "n = {n}, shuffle = {shuffle}");
            }
        }
    }
}
