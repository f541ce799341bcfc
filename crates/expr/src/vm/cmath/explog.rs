//! `exp`, `expm1`, `log`, `log10`, `log1p` and `sqrt` of complex numbers.

use num_complex::Complex64 as C;

use super::real::{mul_exp, sin_cos, sum_squares_plus, LN_2};

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// `e^z`. Finite `z` never overflows early: `exp(710 + 1e-300i)` is
/// finite in its imaginary part.
pub(crate) fn exp(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if x.is_finite() {
        if !y.is_finite() {
            return C::new(NAN, NAN);
        }
        let (s, c) = sin_cos(y);
        if x > 709.0 {
            return C::new(mul_exp(c, x, 0), mul_exp(s, x, 0));
        }
        let e = x.exp();
        return C::new(e * c, e * s);
    }
    if x.is_nan() {
        return C::new(NAN, if y == 0.0 { y } else { NAN });
    }
    // x = ±inf: e^x is +inf or +0, times the direction of y.
    let v = if x > 0.0 { INF } else { 0.0 };
    if y.is_finite() {
        if y == 0.0 {
            return C::new(v, y);
        }
        let (s, c) = sin_cos(y);
        return C::new(v.copysign(c), v.copysign(s));
    }
    if x > 0.0 {
        C::new(INF, NAN)
    } else {
        C::new(0.0, 0.0f64.copysign(y))
    }
}

/// `e^z − 1`, accurate near `z = 0` (numpy's formula:
/// `expm1(x)·cos y − 2 sin²(y/2) + i e^x sin y`). Where that formula
/// would multiply an infinity by zero (`expm1(1e300 + 0i)`, non-finite
/// `z`), the result is `exp(z) − 1` instead, as in C99's `cexp`.
pub(crate) fn expm1(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if !(x.is_finite() && y.is_finite()) || x > 709.0 {
        let e = exp(z);
        return C::new(e.re - 1.0, e.im);
    }
    if y == 0.0 {
        return C::new(x.exp_m1(), y);
    }
    let h = (y / 2.0).sin();
    C::new(x.exp_m1() * y.cos() - 2.0 * h * h, x.exp() * y.sin())
}

/// The natural logarithm, with the branch cut along the negative real
/// axis (`log(-1 - 0i)` is `-πi`), accurate near `|z| = 1` and for huge
/// and subnormal `|z|`.
pub(crate) fn log(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if x.is_nan() || y.is_nan() {
        let re = if x.is_infinite() || y.is_infinite() {
            INF
        } else {
            NAN
        };
        return C::new(re, NAN);
    }
    if x == 0.0 && y == 0.0 {
        let im = if x.is_sign_negative() {
            std::f64::consts::PI
        } else {
            0.0
        };
        return C::new(-INF, im.copysign(y));
    }
    C::new(log_abs(x, y), y.atan2(x))
}

/// `ln |x + iy|` for `x`, `y` not NaN and not both zero.
fn log_abs(x: f64, y: f64) -> f64 {
    let (a, b) = (x.abs().max(y.abs()), x.abs().min(y.abs()));
    if a.is_infinite() {
        return INF;
    }
    if a > f64::MAX / 2.0 {
        // |z| may overflow: halve both (exactly, as far as it matters).
        return (a / 2.0).hypot(b / 2.0).ln() + LN_2;
    }
    if a < f64::MIN_POSITIVE {
        // Both subnormal: hypot would keep only their few bits.
        const UP: f64 = 18014398509481984.0; // 2^54
        return (a * UP).hypot(b * UP).ln() - 54.0 * LN_2;
    }
    let h = a.hypot(b);
    if (0.71..=1.73).contains(&h) {
        // ln|z| = log1p(|z|² − 1)/2, with |z|² − 1 free of cancellation.
        return sum_squares_plus(a, b, -1.0).ln_1p() / 2.0;
    }
    h.ln()
}

/// `log(z)/ln 10`, as numpy computes it: the natural logarithm's parts,
/// each times `log10(e)`.
pub(crate) fn log10(z: C) -> C {
    let l = log(z);
    C::new(
        l.re * std::f64::consts::LOG10_E,
        l.im * std::f64::consts::LOG10_E,
    )
}

/// `log(1 + z)`, with numpy's imaginary part `atan2(y, 1 + x)` (so its
/// branch cut and signed zeros are those of `log` at `1 + z`) and a real
/// part that stays accurate near `z = 0`, on the circle `|1 + z| = 1`, and
/// when `|1 + z|` exceeds the largest double.
pub(crate) fn log1p(z: C) -> C {
    let (x, y) = (z.re, z.im);
    let w = 1.0 + x;
    let im = y.atan2(w);
    if x.is_nan() || y.is_nan() {
        let re = if x.is_infinite() || y.is_infinite() {
            INF
        } else {
            NAN
        };
        return C::new(re, im);
    }
    if x.abs() < 4.0 && y.abs() < 4.0 {
        let h = w.hypot(y);
        if (0.71..=1.73).contains(&h) {
            // |1 + z|² − 1 = x² + y² + 2x, summed without cancellation
            // and without rounding 1 + x.
            return C::new(sum_squares_plus(x, y, 2.0 * x).ln_1p() / 2.0, im);
        }
    }
    if w == 0.0 && y == 0.0 {
        return C::new(-INF, im);
    }
    C::new(log_abs(w, y), im)
}

/// The principal square root, with the branch cut along the negative
/// real axis (`sqrt(-4 - 0i)` is `-2i`), exact signs of zero and no
/// overflow or loss of accuracy for huge or subnormal parts.
pub(crate) fn sqrt(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if y.is_infinite() {
        return C::new(INF, y);
    }
    if x.is_infinite() {
        return match (x > 0.0, y.is_nan()) {
            (true, true) => C::new(INF, NAN),
            (true, false) => C::new(INF, 0.0f64.copysign(y)),
            (false, true) => C::new(NAN, INF.copysign(y)),
            (false, false) => C::new(0.0, INF.copysign(y)),
        };
    }
    if x.is_nan() || y.is_nan() {
        return C::new(NAN, NAN);
    }
    if y == 0.0 {
        return if x < 0.0 {
            C::new(0.0, (-x).sqrt().copysign(y))
        } else {
            C::new(x.sqrt().abs(), y)
        };
    }
    if x == 0.0 {
        let r = if y.abs() >= 2.0 * f64::MIN_POSITIVE {
            (0.5 * y.abs()).sqrt()
        } else {
            0.5 * (2.0 * y.abs()).sqrt()
        };
        return C::new(r, r.copysign(y));
    }
    // The larger part of the root is sqrt((|z| + |x|)/2), free of
    // cancellation; the other is y/(2·larger). The parts are scaled by
    // an even power of two first when |z| could overflow, or when both
    // are so small that hypot would lose bits.
    let (ax, ay) = (x.abs(), y.abs());
    let (a, b, scale) = if ax.max(ay) > f64::MAX / 4.0 {
        (ax / 4.0, ay / 4.0, 2.0)
    } else if ax < 2.0 * f64::MIN_POSITIVE && ay < 2.0 * f64::MIN_POSITIVE {
        const UP: f64 = 18014398509481984.0; // 2^54
        (ax * UP, ay * UP, 1.0 / 134217728.0) // 2^-27
    } else {
        (ax, ay, 1.0)
    };
    let big = (0.5 * (a.hypot(b) + a)).sqrt() * scale;
    let other = 0.5 * (ay / big);
    if x > 0.0 {
        C::new(big, other.copysign(y))
    } else {
        C::new(other, big.copysign(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::cmath::testing::{assert_bits, assert_close};

    const PI: f64 = std::f64::consts::PI;

    #[test]
    fn exp_closed_forms_and_special_values() {
        assert_bits(exp(C::new(0.0, -0.0)), C::new(1.0, -0.0));
        assert_close(
            exp(C::new(0.0, PI)),
            C::new(-1.0, 1.2246467991473532e-16),
            1,
        );
        assert_close(
            exp(C::new(1.0, 1.0)),
            C::new(1.4686939399158851, 2.2873552871788423),
            2,
        );
        // e^710 overflows alone, not times sin(1e-300).
        let e = exp(C::new(710.0, 1e-300));
        assert_eq!(e.re, INF);
        assert!((e.im / 2.233994766161711e8 - 1.0).abs() < 1e-14, "{}", e.im);
        assert_bits(exp(C::new(-INF, 2.0)), C::new(-0.0, 0.0));
        assert_bits(exp(C::new(INF, -0.0)), C::new(INF, -0.0));
        assert_bits(exp(C::new(INF, 3.0)), C::new(-INF, INF));
        assert_bits(exp(C::new(-INF, -INF)), C::new(0.0, -0.0));
        assert_bits(exp(C::new(INF, INF)), C::new(INF, NAN));
        assert_bits(exp(C::new(NAN, -0.0)), C::new(NAN, -0.0));
        assert_bits(exp(C::new(NAN, 1.0)), C::new(NAN, NAN));
        assert_bits(exp(C::new(1.0, INF)), C::new(NAN, NAN));
        assert_bits(exp(C::new(1e300, 0.0)), C::new(INF, 0.0));
    }

    #[test]
    fn expm1_is_accurate_near_zero() {
        // e^z − 1 = z + z²/2 + ...: for z = 1e-10(1 + i), z²/2 = 1e-20 i.
        let r = expm1(C::new(1e-10, 1e-10));
        assert_close(r, C::new(1e-10, 1.00000000010e-10), 1);
        assert_bits(expm1(C::new(-0.0, 0.0)), C::new(-0.0, 0.0));
        assert_bits(expm1(C::new(1e300, 0.0)), C::new(INF, 0.0));
        assert_bits(expm1(C::new(INF, 0.0)), C::new(INF, 0.0));
        assert_bits(expm1(C::new(-INF, 1.0)), C::new(-1.0, 0.0));
        assert_bits(expm1(C::new(-INF, INF)), C::new(-1.0, 0.0));
        assert_close(
            expm1(C::new(0.0, PI)),
            C::new(-2.0, 1.2246467991473532e-16),
            1,
        );
    }

    #[test]
    fn log_branch_cut_and_accuracy() {
        assert_bits(log(C::new(-1.0, 0.0)), C::new(0.0, PI));
        assert_bits(log(C::new(-1.0, -0.0)), C::new(0.0, -PI));
        assert_bits(log(C::new(-0.0, -0.0)), C::new(-INF, -PI));
        assert_bits(log(C::new(0.0, -0.0)), C::new(-INF, -0.0));
        assert_bits(log(C::new(INF, NAN)), C::new(INF, NAN));
        assert_bits(log(C::new(NAN, -INF)), C::new(INF, NAN));
        assert_bits(log(C::new(-INF, 1.0)), C::new(INF, PI));
        assert_bits(log(C::new(-INF, -INF)), C::new(INF, -0.75 * PI));
        // |1 + 1e-10 i|² − 1 = 1e-20: ln|z| = 5e-21, lost by ln(hypot).
        assert_close(log(C::new(1.0, 1e-10)), C::new(5e-21, 1e-10), 1);
        // 0.6² + 0.8² rounds to 1 in doubles, but the parts are not
        // exactly 0.6 and 0.8: the exact ln|z| is tiny and nonzero.
        let r = log(C::new(0.6, 0.8));
        assert!(r.re != 0.0 && r.re.abs() < 1e-16, "{}", r.re);
        let big = log(C::new(f64::MAX, f64::MAX));
        assert_close(big, C::new(710.1292864836639, PI / 4.0), 1);
        let tiny = log(C::new(5e-324, 5e-324));
        assert_close(tiny, C::new(-744.0934983311014, PI / 4.0), 1);
        assert_close(
            log10(C::new(-100.0, 0.0)),
            C::new(2.0, 1.3643763538418414),
            1,
        );
    }

    #[test]
    fn log1p_near_zero_and_on_the_cut() {
        // log1p(1e-10) = 1e-10 − 5e-21: ln(hypot(1 + 1e-10, 0)) has 7 digits.
        assert_close(log1p(C::new(1e-10, 0.0)), C::new(9.9999999995e-11, 0.0), 1);
        assert_close(log1p(C::new(0.0, 1e-10)), C::new(5e-21, 1e-10), 1);
        assert_bits(log1p(C::new(-2.0, -0.0)), C::new(0.0, -PI));
        assert_bits(log1p(C::new(-2.0, 0.0)), C::new(0.0, PI));
        assert_bits(log1p(C::new(-1.0, 0.0)), C::new(-INF, 0.0));
        assert_bits(log1p(C::new(-0.0, -0.0)), C::new(0.0, -0.0));
        // |1 + z| = 1 exactly: ln 1 = 0.
        assert_bits(log1p(C::new(-1.0, 1.0)), C::new(0.0, PI / 2.0));
        let big = log1p(C::new(f64::MAX, f64::MAX));
        assert_close(big, C::new(710.1292864836639, PI / 4.0), 1);
        assert_bits(log1p(C::new(-INF, 1.0)), C::new(INF, PI));
        assert_bits(log1p(C::new(NAN, INF)), C::new(INF, NAN));
    }

    #[test]
    fn sqrt_signs_scaling_and_special_values() {
        assert_bits(sqrt(C::new(-4.0, 0.0)), C::new(0.0, 2.0));
        assert_bits(sqrt(C::new(-4.0, -0.0)), C::new(0.0, -2.0));
        assert_bits(sqrt(C::new(-0.0, 0.0)), C::new(0.0, 0.0));
        assert_bits(sqrt(C::new(0.0, -0.0)), C::new(0.0, -0.0));
        assert_bits(sqrt(C::new(0.0, 8.0)), C::new(2.0, 2.0));
        assert_bits(sqrt(C::new(-3.0, 4.0)), C::new(1.0, 2.0));
        assert_bits(sqrt(C::new(3.0, -4.0)), C::new(2.0, -1.0));
        assert_bits(sqrt(C::new(NAN, INF)), C::new(INF, INF));
        assert_bits(sqrt(C::new(-INF, NAN)), C::new(NAN, INF));
        assert_bits(sqrt(C::new(INF, NAN)), C::new(INF, NAN));
        assert_bits(sqrt(C::new(-INF, -1.0)), C::new(0.0, -INF));
        assert_bits(sqrt(C::new(1.0, NAN)), C::new(NAN, NAN));
        // Huge and subnormal parts keep their accuracy.
        let h = sqrt(C::new(f64::MAX, f64::MAX));
        assert_close(h, C::new(1.4730945569055655e154, 6.101757441282702e153), 2);
        let t = sqrt(C::new(5e-324, 5e-324));
        assert_close(
            t,
            C::new(2.4421097261308304e-162, 1.0115549693666347e-162),
            2,
        );
        assert_close(
            sqrt(C::new(0.0, 5e-324)),
            C::new(1.5717277847026288e-162, 1.5717277847026288e-162),
            1,
        );
    }
}
