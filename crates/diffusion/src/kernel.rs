//! The one-row stencil update shared by the compiled backends, and runtime
//! selection of the widest SIMD instruction set the CPU has.
//!
//! Every backend evaluates, for each interior cell, exactly the expression of
//! the course's numpy program, in the same order:
//! `c + k·((((down + up) + right) + left) - 4·c)`. Rust never fuses a multiply
//! and an add on its own, so all backends agree bit for bit, whatever
//! instruction set they run on, and a resumed run equals an uninterrupted one.

/// Computes one interior row: `dst[j]` for `j` in `1..n-1` from the rows
/// above (`up`), at (`mid`) and below (`down`). Columns 0 and n-1 of `dst`
/// are left alone (they are the zero boundary).
///
/// A plain indexed loop over row slices: the compiler removes the bounds
/// checks and vectorises and unrolls it (four vectors per iteration). An
/// explicit fixed-size-block version was tried and ran at half the speed
/// (one vector per iteration, every access split across cache lines).
#[inline(always)]
pub(crate) fn row(dst: &mut [f64], up: &[f64], mid: &[f64], down: &[f64], k: f64) {
    let n = mid.len();
    if n < 3 {
        return;
    }
    let (dst, up, down) = (&mut dst[..n], &up[..n], &down[..n]);
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
