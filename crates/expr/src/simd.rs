//! Run-time choice of the widest SIMD instruction set the CPU has.

/// The SIMD level a kernel was compiled for, picked once at run time (by
/// this crate's VM, the diffusion solver's kernels and the auc kernel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// Baseline x86-64 (SSE2) or a non-x86 target.
    Base,
    /// AVX2 (256-bit vectors).
    Avx2,
    /// AVX-512F (512-bit vectors).
    Avx512,
}

impl Simd {
    /// The widest level this CPU supports. `HPCRS_SIMD=base|avx2|avx512`
    /// caps it (for comparisons and for checking that all levels agree); it
    /// is read once per process, so asking again costs an atomic load.
    pub fn detect() -> Simd {
        static LEVEL: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
        *LEVEL.get_or_init(Self::detect_uncached)
    }

    fn detect_uncached() -> Simd {
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
        // Kernels may be compiled with FMA enabled at both levels; every
        // CPU with AVX-512F or AVX2 has it, but say so rather than assume.
        let fma = std::is_x86_feature_detected!("fma");
        if fma && std::is_x86_feature_detected!("avx512f") {
            Simd::Avx512
        } else if fma && std::is_x86_feature_detected!("avx2") {
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
