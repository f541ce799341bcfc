//! The widest SIMD instruction set the CPU has, detected once per process,
//! and an optional cap on it set by the program (to compare levels, or to
//! check that all levels agree).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// The SIMD level a kernel is compiled for, ordered from narrowest to widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Simd {
    /// Baseline x86-64 (SSE2) or a non-x86 target.
    Base,
    /// AVX2 with FMA (256-bit vectors).
    Avx2,
    /// AVX-512 F and DQ with FMA (512-bit vectors, 64-bit integer multiply).
    Avx512,
}

/// The cap set by [`limit`], as `Simd as u8`; `u8::MAX` means none.
static CAP: AtomicU8 = AtomicU8::new(u8::MAX);

impl Simd {
    /// The level kernels should use: the widest the CPU supports, lowered to
    /// the cap given to [`limit`] if any. The hardware is asked once per
    /// process; later calls cost two atomic loads.
    pub fn detect() -> Simd {
        static HARDWARE: OnceLock<Simd> = OnceLock::new();
        let best = *HARDWARE.get_or_init(hardware_best);
        match CAP.load(Ordering::Relaxed) {
            0 => Simd::Base,
            1 => best.min(Simd::Avx2),
            _ => best,
        }
    }

    /// The level's name (`base`, `avx2`, `avx512`).
    pub fn name(self) -> &'static str {
        match self {
            Simd::Base => "base",
            Simd::Avx2 => "avx2",
            Simd::Avx512 => "avx512",
        }
    }
}

impl std::str::FromStr for Simd {
    type Err = crate::UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Simd::Base, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| crate::UnknownName::new("SIMD level", s, ["base", "avx2", "avx512"]))
    }
}

/// Caps the level [`Simd::detect`] returns at `level` for the rest of the
/// process. Call it at start-up, before any kernel runs: kernels that already
/// picked a level keep it.
pub fn limit(level: Simd) {
    CAP.store(level as u8, Ordering::Relaxed);
}

#[cfg(target_arch = "x86_64")]
fn hardware_best() -> Simd {
    // Kernels are compiled with FMA at both wide levels; every CPU with
    // AVX-512F or AVX2 has it, but say so rather than assume.
    let fma = std::is_x86_feature_detected!("fma");
    if fma && std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq")
    {
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

/// Who designed the CPU's cores, for kernels whose best form differs between
/// designs of the same instruction set (AMD's Zen 4 runs each 512-bit
/// instruction as two 256-bit halves, Intel's cores in one go).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuVendor {
    /// `GenuineIntel`.
    Intel,
    /// `AuthenticAMD`.
    Amd,
    /// Any other vendor, or a CPU that is not x86-64.
    Other,
}

impl CpuVendor {
    /// The vendor of the CPU this process runs on, asked once per process.
    pub fn detect() -> CpuVendor {
        static VENDOR: OnceLock<CpuVendor> = OnceLock::new();
        *VENDOR.get_or_init(hardware_vendor)
    }

    /// The vendor whose CPUID identification string is `id`.
    pub fn from_id(id: &[u8; 12]) -> CpuVendor {
        match id {
            b"GenuineIntel" => CpuVendor::Intel,
            b"AuthenticAMD" => CpuVendor::Amd,
            _ => CpuVendor::Other,
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn hardware_vendor() -> CpuVendor {
    let leaf = std::arch::x86_64::__cpuid(0);
    let mut id = [0u8; 12];
    for (chunk, word) in id.chunks_exact_mut(4).zip([leaf.ebx, leaf.edx, leaf.ecx]) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    CpuVendor::from_id(&id)
}

#[cfg(not(target_arch = "x86_64"))]
fn hardware_vendor() -> CpuVendor {
    CpuVendor::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_ids_name_their_makers() {
        assert_eq!(CpuVendor::from_id(b"GenuineIntel"), CpuVendor::Intel);
        assert_eq!(CpuVendor::from_id(b"AuthenticAMD"), CpuVendor::Amd);
        assert_eq!(CpuVendor::from_id(b"HygonGenuine"), CpuVendor::Other);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn this_cpus_vendor_is_what_proc_cpuinfo_says() {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("Linux's /proc/cpuinfo");
        let expected = match cpuinfo.lines().find(|l| l.starts_with("vendor_id")) {
            Some(l) if l.ends_with("GenuineIntel") => CpuVendor::Intel,
            Some(l) if l.ends_with("AuthenticAMD") => CpuVendor::Amd,
            _ => CpuVendor::Other,
        };
        assert_eq!(CpuVendor::detect(), expected);
    }

    #[test]
    fn names_parse_and_order() {
        for l in [Simd::Base, Simd::Avx2, Simd::Avx512] {
            assert_eq!(l.name().parse::<Simd>().unwrap(), l);
        }
        assert!(Simd::Base < Simd::Avx2 && Simd::Avx2 < Simd::Avx512);
        assert!("sse9".parse::<Simd>().is_err());
    }
}
