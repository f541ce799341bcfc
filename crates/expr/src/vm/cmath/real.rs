//! Real-number building blocks of the complex functions: error-free
//! products and sums, scaling by powers of two, `exp` of arguments whose
//! exponential overflows, and the few real functions whose `std` versions
//! are not libm's.
//!
//! The real elementary functions themselves (`sin`, `exp`, `ln_1p`,
//! `atan2`, `hypot`, ...) are `std`'s, which are the platform's libm: the
//! same ones numpy's complex functions are built on.

/// `ln 2`.
pub(super) const LN_2: f64 = std::f64::consts::LN_2;
/// `π/2`.
pub(super) const FRAC_PI_2: f64 = std::f64::consts::FRAC_PI_2;
/// `π/4`.
pub(super) const FRAC_PI_4: f64 = std::f64::consts::FRAC_PI_4;
/// `3π/4`.
pub(super) const FRAC_3PI_4: f64 = 3.0 * std::f64::consts::FRAC_PI_4;

/// `ln 2` split for Cody and Waite's reduction: the high part has 32
/// significant bits, so that its product with an integer below 2^21 is
/// exact, and the sum of the parts is `ln 2` to about 2^-85.
const LN_2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN_2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `x·2^n`, rounded once, unless the result is subnormal (then at most
/// twice, the first rounding 2^-53 of the way to the second).
pub(super) fn scale2(x: f64, n: i32) -> f64 {
    /// 2^1023 and 2^-969 (= 2^-1022·2^53: scaling down by it first keeps
    /// the intermediate normal, so that only the last step rounds).
    const UP: f64 = f64::from_bits(0x7fe0_0000_0000_0000);
    const DOWN: f64 = f64::from_bits(0x0360_0000_0000_0000);
    let (mut x, mut n) = (x, n);
    if n > 1023 {
        x *= UP;
        n -= 1023;
        if n > 1023 {
            x *= UP;
            n = (n - 1023).min(1023);
        }
    } else if n < -1022 {
        x *= DOWN;
        n += 969;
        if n < -1022 {
            x *= DOWN;
            n = (n + 969).max(-1022);
        }
    }
    x * f64::from_bits(((0x3ff + n) as u64) << 52)
}

/// `exp(x) = m·2^k` for finite `x`, with `m` in [0.7, 1.42] accurate to
/// about half an ulp (beyond libm's own error), whatever the size of
/// `exp(x)`. Arguments beyond ±1600 are taken as ±1600: `e^1600` times
/// the smallest subnormal still overflows, and its inverse times the
/// largest double still underflows to zero.
pub(super) fn exp_scaled(x: f64) -> (f64, i32) {
    let x = x.clamp(-1600.0, 1600.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    // |k| < 2^12, so k·LN_2_HI is exact, and x is within a factor two of
    // it (or k is 0), so the difference is exact too.
    let r = (x - k * LN_2_HI) - k * LN_2_LO;
    (r.exp(), k as i32)
}

/// `v·exp(x)` for finite `x` and `v` (a sine or cosine, possibly
/// subnormal), without the overflow of `exp(x)` alone; `exp(x)` is
/// multiplied by `2^shift` first (`-1` gives `v·exp(x)/2`).
pub(super) fn mul_exp(v: f64, x: f64, shift: i32) -> f64 {
    let (m, k) = exp_scaled(x);
    // v·2^128 keeps a subnormal `v` exact through the product with `m`.
    scale2(m * scale2(v, 128), k + shift - 128)
}

/// `a·b` as the rounded product and its exact error, `a·b = p + e`
/// (exact unless the product underflows or overflows).
pub(super) fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// `a + b` as the rounded sum and its exact error (Knuth's TwoSum).
pub(super) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a² + b² + c`, nearly correctly rounded however much the terms cancel:
/// for `x² + y² − 1` near the unit circle, where the plain formula
/// cancels to nothing. The squares are split exactly into two doubles
/// each, and the five terms summed as if in triple precision (Ogita, Rump
/// and Oishi's SumK with K = 3: two error-free passes, then a plain sum).
/// Requires `a²` and `b²` to be neither overflowing nor (where they
/// matter) underflowing.
pub(super) fn sum_squares_plus(a: f64, b: f64, c: f64) -> f64 {
    let (a2, a2e) = two_prod(a, a);
    let (b2, b2e) = two_prod(b, b);
    let mut t = [a2e, b2e, c, a2, b2];
    for _ in 0..2 {
        for i in 1..t.len() {
            (t[i], t[i - 1]) = two_sum(t[i], t[i - 1]);
        }
    }
    t[4] + (t[3] + (t[2] + (t[1] + t[0])))
}

/// The real `atanh`, as fdlibm computes it from `log1p` (`std`'s is not
/// libm's and loses accuracy near zero).
pub(super) fn atanh(x: f64) -> f64 {
    let a = x.abs();
    let r = if a < 0.5 {
        let t = a + a;
        0.5 * (t + t * a / (1.0 - a)).ln_1p()
    } else {
        0.5 * ((a + a) / (1.0 - a)).ln_1p()
    };
    r.copysign(x)
}

/// `(sin y, cos y)`.
pub(super) fn sin_cos(y: f64) -> (f64, f64) {
    (y.sin(), y.cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale2_reaches_the_whole_range() {
        assert_eq!(scale2(1.0, 1023), 2f64.powi(1023));
        assert_eq!(scale2(1.0, 1024), f64::INFINITY);
        assert_eq!(scale2(1.5, 2000 - 1000), 1.5 * 2f64.powi(1000));
        assert_eq!(scale2(2f64.powi(1000), -2074), 5e-324);
        assert_eq!(scale2(1.0, -1075), 0.0);
        assert_eq!(scale2(3.0, -1074), 1.5e-323);
        assert_eq!(scale2(-0.0, 5000), -0.0);
        assert_eq!(scale2(1.0, -5000), 0.0);
    }

    #[test]
    fn exp_scaled_matches_exp_where_exp_is_finite() {
        for x in [
            -745.0, -700.5, -1.0, -0.3, 0.0, 0.3, 1.0, 10.0, 300.25, 709.7,
        ] {
            let (m, k) = exp_scaled(x);
            let e = x.exp();
            let ours = scale2(m, k);
            assert!(
                (ours - e).abs() <= 2.0 * f64::EPSILON * e,
                "{x}: {ours} vs {e}"
            );
        }
        // e^710 / 2 = 1.117...e308 is finite, e^710 is not.
        let half = mul_exp(1.0, 710.0, -1);
        assert!((half / 1.1169973830808555e308 - 1.0).abs() < 4.0 * f64::EPSILON);
        // 5e-324 · e^745 = e^(745 - 1074 ln 2) = 1.75054659...
        let tiny = mul_exp(5e-324, 745.0, 0);
        assert!((tiny / 1.7505465940 - 1.0).abs() < 1e-9, "{tiny}");
        assert_eq!(mul_exp(1e-300, 1e300, 0), f64::INFINITY);
        assert_eq!(mul_exp(-0.0, 1e300, 0), -0.0);
        assert_eq!(mul_exp(1.0, -1e300, 0), 0.0);
    }

    #[test]
    fn products_and_sums_are_error_free() {
        let (p, e) = two_prod(1.0 + f64::EPSILON, 1.0 + f64::EPSILON);
        assert_eq!(
            (p, e),
            (1.0 + 2.0 * f64::EPSILON, f64::EPSILON * f64::EPSILON)
        );
        assert_eq!(two_sum(1.0, 1e-17), (1.0, 1e-17));
        // (1 - 2^-53)² + (2^-26)² - 1 = 2^-106 exactly.
        let x = 1.0 - f64::EPSILON / 2.0;
        assert_eq!(sum_squares_plus(x, 2f64.powi(-26), -1.0), 2f64.powi(-106));
        assert!(sum_squares_plus(0.6, 0.8, -1.0).abs() < 1e-16);
    }

    #[test]
    fn real_atanh() {
        assert_eq!(atanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(atanh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(atanh(1.0), f64::INFINITY);
        assert_eq!(atanh(-1.0), f64::NEG_INFINITY);
        assert!(atanh(2.0).is_nan());
        assert_eq!(atanh(1e-300), 1e-300);
        let v = atanh(0.5);
        assert!((v - 0.5493061443340548).abs() <= f64::EPSILON * 0.55);
    }
}
