//! Vectorisable `exp`, `sin` and `cos` for blocks of `f64`.
//!
//! numexpr (without Intel's VML, as in the PyPI wheel) calls libm once per
//! element; so does `f64::sin`. A libm call cannot be vectorised, so these
//! are the same algorithms as fdlibm/musl (Cody–Waite range reduction and the
//! same minimax polynomials) written branch-free over a block, which LLVM
//! turns into SIMD code. Accuracy is that of fdlibm's kernels, within 1 ulp
//! (the tests compare with `std` over wide ranges). Arguments outside the
//! fast range (|x| > 708 for `exp`, > 1e5 for `sin`/`cos`, NaN, inf) are
//! redone with `std` in a second, rarely-taken pass, so every input gets
//! exactly libm's special-case behaviour.

// The constants are fdlibm's, digit for digit as published.
#![allow(clippy::excessive_precision)]

/// 1.5·2^52: adding and subtracting it rounds to the nearest integer, and the
/// integer is then in the low bits of the sum.
const ROUND: f64 = 6755399441055744.0;

const INVLN2: f64 = std::f64::consts::LOG2_E;
const LN2HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// fdlibm's `P1`..`P5`: the minimax polynomial of `e_exp.c`.
const P: [f64; 5] = [
    1.666_666_666_666_660_190_37e-01,
    -2.777_777_777_701_559_338_42e-03,
    6.613_756_321_437_934_361_17e-05,
    -1.653_390_220_546_525_153_90e-06,
    4.138_136_797_057_238_460_39e-08,
];

/// `exp(x)` for |x| ≤ 708 (fdlibm's `e_exp.c` without its branches).
#[inline(always)]
fn exp_core(x: f64) -> f64 {
    let t = x * INVLN2 + ROUND;
    let k = t - ROUND;
    let ki = (t.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let hi = x - k * LN2HI;
    let lo = k * LN2LO;
    let r = hi - lo;
    let z = r * r;
    let c = r - z * (P[0] + z * (P[1] + z * (P[2] + z * (P[3] + z * P[4]))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    let scale = f64::from_bits((ki.wrapping_add(1023) as u64) << 52);
    y * scale
}

/// Fills `d` with `exp(x)`.
#[inline(always)]
pub(crate) fn exp(d: &mut [f64], x: &[f64]) {
    for (d, &x) in d.iter_mut().zip(x) {
        // Clamped so that out-of-range lanes compute a finite, meaningless
        // value; they are redone below.
        *d = exp_core(x.clamp(-708.0, 708.0));
    }
    redo_outside(d, x, 708.0, f64::exp);
}

const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
const PIO2_1: f64 = 1.570_796_326_734_125_614_17e+00;
const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
const PIO2_3: f64 = 2.022_266_248_711_166_455_80e-21;
const PIO2_3T: f64 = 8.478_427_660_368_899_569_97e-32;
/// musl's `S1`..`S6`: the sine polynomial of `__sin.c`.
const S: [f64; 6] = [
    -1.666_666_666_666_663_243_48e-01,
    8.333_333_333_322_489_461_24e-03,
    -1.984_126_982_985_794_931_34e-04,
    2.755_731_370_707_006_767_89e-06,
    -2.505_076_025_340_686_341_95e-08,
    1.589_690_995_211_550_102_21e-10,
];
/// musl's `C1`..`C6`: the cosine polynomial of `__cos.c`.
const C: [f64; 6] = [
    4.166_666_666_666_660_190_37e-02,
    -1.388_888_888_887_410_957_49e-03,
    2.480_158_728_947_672_941_78e-05,
    -2.755_731_435_139_066_330_35e-07,
    2.087_572_321_298_174_827_90e-09,
    -1.135_964_755_778_819_482_65e-11,
];

/// Reduces `x` (|x| ≤ 1e5) to `r + rt` in [-π/4, π/4] and its quadrant.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64, u64) {
    let t = x * TWO_OVER_PI + ROUND;
    let k = t - ROUND;
    let q = t.to_bits().wrapping_sub(ROUND.to_bits());
    // k·PIO2_1 and k·PIO2_2 are exact (33-bit constants, |k| < 2^17).
    let a = x - k * PIO2_1;
    let w = k * PIO2_2;
    // Two-sum: b + e = a - w exactly.
    let b = a - w;
    let v = b - a;
    let e = (a - (b - v)) - (w + v);
    let w3 = k * PIO2_3;
    let r = b - w3;
    // The tail keeps r accurate when x is close to a multiple of π/2.
    let rt = (((b - r) - w3) + e) - k * PIO2_3T;
    (r, rt, q)
}

/// musl's `__sin(x, y)` kernel on [-π/4, π/4].
#[inline(always)]
fn ksin(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = S[1] + z * (S[2] + z * S[3]) + z * w * (S[4] + z * S[5]);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * S[0])
}

/// musl's `__cos(x, y)` kernel on [-π/4, π/4].
#[inline(always)]
fn kcos(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z * (C[0] + z * (C[1] + z * C[2])) + w * w * (C[3] + z * (C[4] + z * C[5]));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// `sin` (`cos` when `shift` is 1) by quadrant, branch-free.
#[inline(always)]
fn sincos_core(x: f64, shift: u64) -> f64 {
    let (r, rt, q) = reduce(x);
    let q = q.wrapping_add(shift);
    let s = ksin(r, rt);
    let c = kcos(r, rt);
    // Odd quadrants use the other kernel; quadrants 2 and 3 flip the sign.
    let pick = (q & 1).wrapping_neg();
    let v = (s.to_bits() & !pick) | (c.to_bits() & pick);
    f64::from_bits(v ^ ((q & 2) << 62))
}

const TRIG_MAX: f64 = 1e5;

#[inline(always)]
fn trig(d: &mut [f64], x: &[f64], shift: u64, slow: fn(f64) -> f64) {
    for (d, &x) in d.iter_mut().zip(x) {
        *d = sincos_core(x.clamp(-TRIG_MAX, TRIG_MAX), shift);
    }
    redo_outside(d, x, TRIG_MAX, slow);
}

/// Redoes with `slow` (libm) the elements of `x` that are NaN or beyond
/// `±max`. One vectorised test over the block first, and the per-element
/// loop out of line: inlined into the AVX-512 build, LLVM would if-convert
/// it into libm calls on every lane.
#[inline(always)]
fn redo_outside(d: &mut [f64], x: &[f64], max: f64, slow: fn(f64) -> f64) {
    // `|`, not `||`: no branch, so the test vectorises.
    let any = x.iter().fold(false, |any, &x| any | outside(x, max));
    if any {
        redo_outside_slow(d, x, max, slow);
    }
}

#[cold]
#[inline(never)]
fn redo_outside_slow(d: &mut [f64], x: &[f64], max: f64, slow: fn(f64) -> f64) {
    for (d, &x) in d.iter_mut().zip(x) {
        if outside(x, max) {
            *d = slow(x);
        }
    }
}

/// Whether `x` is NaN or beyond `±max`.
#[inline(always)]
fn outside(x: f64, max: f64) -> bool {
    x.is_nan() | (x.abs() > max)
}

/// Fills `d` with `sin(x)`.
#[inline(always)]
pub(crate) fn sin(d: &mut [f64], x: &[f64]) {
    trig(d, x, 0, f64::sin)
}

/// Fills `d` with `cos(x)`.
#[inline(always)]
pub(crate) fn cos(d: &mut [f64], x: &[f64]) {
    trig(d, x, 1, f64::cos)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signed_zero() {
        let mut d = [1.0];
        super::sin(&mut d, &[-0.0]);
        assert!(d[0] == 0.0 && d[0].is_sign_negative());
    }

    use super::*;

    /// Distance in units in the last place.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        let key = |x: f64| {
            let b = x.to_bits() as i64;
            if b < 0 {
                i64::MIN - b
            } else {
                b
            }
        };
        key(a).abs_diff(key(b))
    }

    fn check(f: fn(&mut [f64], &[f64]), reference: fn(f64) -> f64, lo: f64, hi: f64) -> u64 {
        let n = 200_000;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let x: Vec<f64> = (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect();
        let mut d = vec![0.0; n];
        f(&mut d, &x);
        x.iter()
            .zip(&d)
            .map(|(&x, &d)| ulps(d, reference(x)))
            .max()
            .unwrap()
    }

    #[test]
    fn within_one_ulp_of_std() {
        for (lo, hi) in [(-1.0, 1.0), (-50.0, 50.0), (-708.0, 708.0), (-1e-10, 1e-10)] {
            let e = check(exp, f64::exp, lo, hi);
            assert!(e <= 1, "exp on [{lo}, {hi}]: {e} ulp");
        }
        for (lo, hi) in [
            (-1.0, 1.0),
            (-10.0, 10.0),
            (-1e5, 1e5),
            (-1e-8, 1e-8),
            (1.5, 1.6),
        ] {
            let s = check(sin, f64::sin, lo, hi);
            let c = check(cos, f64::cos, lo, hi);
            assert!(
                s <= 1 && c <= 1,
                "on [{lo}, {hi}]: sin {s} ulp, cos {c} ulp"
            );
        }
    }

    #[test]
    fn special_values_are_libms() {
        let x = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            709.7,
            710.0,
            -745.0,
            -746.0,
            1e300,
            -3e5,
            std::f64::consts::FRAC_PI_2,
            std::f64::consts::PI,
            -6.0 * std::f64::consts::PI,
            1e5 * std::f64::consts::FRAC_PI_2,
        ];
        let mut d = [0.0; 15];
        for (f, r) in [
            (exp as fn(&mut [f64], &[f64]), f64::exp as fn(f64) -> f64),
            (sin, f64::sin),
            (cos, f64::cos),
        ] {
            f(&mut d, &x);
            for (x, d) in x.iter().zip(&d) {
                assert!(ulps(*d, r(*x)) <= 1, "{x}: {d} vs {}", r(*x));
            }
        }
    }
}
