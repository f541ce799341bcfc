//! The one-row stencil update shared by the compiled backends, and runtime
//! selection of the widest SIMD instruction set the CPU has.
//!
//! Every backend evaluates, for each interior cell, exactly the expression of
//! the course's numpy program, in the same order:
//! `c + k·((((down + up) + right) + left) - 4·c)`. Rust never fuses a multiply
//! and an add on its own, so all backends agree bit for bit, whatever
//! instruction set they run on, and a resumed run equals an uninterrupted one.

/// Vector width the row kernel is written for (8 doubles: one AVX-512
/// register, two AVX2 registers).
const LANES: usize = 8;

/// Computes one interior row: `dst[j]` for `j` in `1..n-1` from the rows
/// above (`up`), at (`mid`) and below (`down`). Columns 0 and n-1 of `dst`
/// are left alone (they are the zero boundary).
///
/// The row is done in blocks of [`LANES`] cells, each a fixed-size array
/// operation that compiles to whole vector instructions; the last block is
/// shifted back to end exactly at the row's end (recomputing a few cells,
/// harmless because `dst` is not an input), so there is no scalar tail.
#[inline(always)]
pub(crate) fn row(dst: &mut [f64], up: &[f64], mid: &[f64], down: &[f64], k: f64) {
    let n = mid.len();
    if n < 3 {
        return;
    }
    let m = n - 2;
    if m < LANES {
        row_scalar(dst, up, mid, down, k);
        return;
    }
    let full = m / LANES * LANES;
    let (dst_main, _) = dst[1..1 + m].split_at_mut(full);
    let chunks = dst_main
        .chunks_exact_mut(LANES)
        .zip(up[1..1 + full].chunks_exact(LANES))
        .zip(down[1..1 + full].chunks_exact(LANES))
        .zip(mid[..full].chunks_exact(LANES))
        .zip(mid[1..1 + full].chunks_exact(LANES))
        .zip(mid[2..2 + full].chunks_exact(LANES));
    for (((((d, u), w), l), c), r) in chunks {
        block(
            d.try_into().expect("chunk of LANES"),
            lanes(u),
            lanes(w),
            lanes(l),
            lanes(c),
            lanes(r),
            k,
        );
    }
    if full < m {
        // The tail: one block ending exactly at the last interior cell.
        let j0 = m - LANES;
        block(
            (&mut dst[1 + j0..1 + j0 + LANES])
                .try_into()
                .expect("LANES"),
            lanes(&up[1 + j0..1 + j0 + LANES]),
            lanes(&down[1 + j0..1 + j0 + LANES]),
            lanes(&mid[j0..j0 + LANES]),
            lanes(&mid[1 + j0..1 + j0 + LANES]),
            lanes(&mid[2 + j0..2 + j0 + LANES]),
            k,
        );
    }
}

/// A slice of exactly [`LANES`] values as an array reference.
#[inline(always)]
fn lanes(v: &[f64]) -> &[f64; LANES] {
    v.try_into().expect("a slice of LANES values")
}

/// One block of [`LANES`] cells: fixed-size arrays, so it compiles to whole
/// vector instructions.
#[inline(always)]
fn block(
    d: &mut [f64; LANES],
    u: &[f64; LANES],
    w: &[f64; LANES],
    l: &[f64; LANES],
    c: &[f64; LANES],
    r: &[f64; LANES],
    k: f64,
) {
    for q in 0..LANES {
        d[q] = c[q] + k * ((((w[q] + u[q]) + r[q]) + l[q]) - 4.0 * c[q]);
    }
}

/// [`row`] for rows shorter than one vector.
#[inline(always)]
fn row_scalar(dst: &mut [f64], up: &[f64], mid: &[f64], down: &[f64], k: f64) {
    let n = mid.len();
    for j in 1..n - 1 {
        let c = mid[j];
        dst[j] = c + k * ((((down[j] + up[j]) + mid[j + 1]) + mid[j - 1]) - 4.0 * c);
    }
}

/// The SIMD level a kernel was compiled for, picked once at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    /// Baseline x86-64 (SSE2) or a non-x86 target.
    Base,
    /// AVX2 (256-bit vectors).
    Avx2,
    /// AVX-512F (512-bit vectors).
    Avx512,
}

impl Simd {
    /// The widest level this CPU supports. `HPCRS_SIMD=base|avx2|avx512`
    /// caps it (for comparisons and for checking that all levels agree).
    pub(crate) fn detect() -> Simd {
        let cap = std::env::var("HPCRS_SIMD").ok();
        let best = Self::hardware_best();
        match cap.as_deref() {
            Some("base") => Simd::Base,
            Some("avx2") if best != Simd::Base => Simd::Avx2,
            _ => best,
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn hardware_best() -> Simd {
        if std::is_x86_feature_detected!("avx512f") {
            Simd::Avx512
        } else if std::is_x86_feature_detected!("avx2") {
            Simd::Avx2
        } else {
            Simd::Base
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn hardware_best() -> Simd {
        Simd::Base
    }
}

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
