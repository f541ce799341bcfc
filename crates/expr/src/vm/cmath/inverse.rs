//! The inverse functions: `asinh`, `asin`, `acos`, `acosh`, `atanh` and
//! `atan` of complex numbers.
//!
//! The algorithms are those of T. E. Hull, T. F. Fairgrieve and P. T. P.
//! Tang, "Implementing the complex arcsine and arccosine functions using
//! exception handling" (ACM TOMS 23(3), 1997), as FreeBSD's msun
//! arranges them (`catrig.c`): with `z = x + iy` in the first quadrant
//! and `A = (|z + i| + |z − i|)/2`, `asinh z = ln(A + √(A² − 1)) +
//! i asin(y/A)`, each piece rewritten where it would cancel (near the
//! segment `[−i, i]` for the real part, near the cuts `±[i, i∞)` for the
//! imaginary part) or overflow (`|z|` beyond `1/ε`, where `asinh z` is
//! `ln 2z` to working precision). `atanh` is
//! `log1p(4x/((1 − x)² + y²))/4 + i atan2(2y, (1 − x)(1 + x) − y²)/2`.
//! The others follow from these by symmetry. Branch cuts take the side of
//! the sign of a zero part; non-finite arguments follow C99 Annex G, with
//! glibc's choices where it leaves a sign unspecified.

use num_complex::Complex64 as C;

use super::real::{atanh as real_atanh, scale2, FRAC_3PI_4, FRAC_PI_2, FRAC_PI_4, LN_2};

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;
const EPS: f64 = f64::EPSILON;
/// `1/ε`: beyond it, the terms of order `1/z²` are below the last bit.
const RECIP_EPSILON: f64 = 1.0 / f64::EPSILON;
/// `√(6ε)/4`: below it in both parts, `asinh z = z` to working precision.
const SMALL_ASINH: f64 = 3.650024149988857e-8 / 4.0;
/// `√(3ε)/2`: below it in both parts, `atanh z = z` to working precision.
const SMALL_ATANH: f64 = 2.5809568279517847e-8 / 2.0;
/// `4√(smallest normal)`: below it, `y/A` may underflow.
const FOUR_SQRT_MIN: f64 = 5.966672584960166e-154;
/// `√(largest double)/4`: below it, `x² + y²` cannot overflow.
const QUARTER_SQRT_MAX: f64 = 3.351951982485649e153;
/// `√(smallest normal)`: below it, `y²` underflows.
const SQRT_MIN: f64 = 1.4916681462400413e-154;
/// Where the plain `ln(A + √(A² − 1))` stops cancelling.
const A_CROSSOVER: f64 = 10.0;
/// Where `asin(y/A)` starts losing accuracy near `±π/2`.
const B_CROSSOVER: f64 = 0.6417;
/// `π/2 − FRAC_PI_2` (the part of `π/2` a double does not hold).
const FRAC_PI_2_LO: f64 = 6.123233995736766e-17;

/// `(x + iy) ↦ (y + ix)`: swapping the parts turns `asinh`, `atanh` into
/// `asin`, `atan` (`asin z = i·conj(asinh(i·conj z))`).
fn swap(z: C) -> C {
    C::new(z.im, z.re)
}

/// `(hypot(a, b) − b)/2` without cancellation, given `h = hypot(a, b)`.
fn half_gap(a: f64, b: f64, h: f64) -> f64 {
    if b < 0.0 {
        (h - b) / 2.0
    } else if b == 0.0 {
        a / 2.0
    } else {
        a * a / (h + b) / 2.0
    }
}

/// How the imaginary part of `asinh` (the real part of `acos`) is
/// computed from the core's result.
enum Angle {
    /// `B = y/A`, safe for `asin B` (and `acos B`).
    Ratio(f64),
    /// `atan2(num, den)` with `num/den = y/√(A² − y²)`, for `B` near 1 or
    /// `y` so small that `B` would underflow (both then scaled alike).
    Atan2 { num: f64, den: f64 },
}

/// The core of `asinh` and `acos` for `x, y ≥ 0` finite and below `1/ε`:
/// `ln(A + √(A² − 1))` and the angle `asin(y/A)`.
fn asinh_core(x: f64, y: f64) -> (f64, Angle) {
    let r = x.hypot(y + 1.0); // |z + i|
    let s = x.hypot(y - 1.0); // |z − i|
                              // A ≥ 1 mathematically; rounding must not break that.
    let a = ((r + s) / 2.0).max(1.0);
    let re = if a < A_CROSSOVER {
        // ln(A + √(A² − 1)) = log1p((A − 1) + √((A − 1)(A + 1))), with
        // A − 1 = half_gap(x, 1 + y) + half_gap(x, 1 − y).
        if y == 1.0 && x < EPS * EPS / 128.0 {
            x.sqrt()
        } else if x >= EPS * (y - 1.0).abs() {
            let am1 = half_gap(x, 1.0 + y, r) + half_gap(x, 1.0 - y, s);
            (am1 + (am1 * (a + 1.0)).sqrt()).ln_1p()
        } else if y < 1.0 {
            x / ((1.0 - y) * (1.0 + y)).sqrt()
        } else {
            ((y - 1.0) + ((y - 1.0) * (y + 1.0)).sqrt()).ln_1p()
        }
    } else {
        (a + (a * a - 1.0).sqrt()).ln()
    };
    if y < FOUR_SQRT_MIN {
        let k = 2.0 / EPS;
        return (
            re,
            Angle::Atan2 {
                num: y * k,
                den: a * k,
            },
        );
    }
    let b = y / a;
    if b <= B_CROSSOVER {
        return (re, Angle::Ratio(b));
    }
    // √(A² − y²) = √((A − y)(A + y)), with
    // A − y = half_gap(x, y + 1) + half_gap(x, y − 1).
    let angle = if y == 1.0 && x < EPS / 128.0 {
        Angle::Atan2 {
            num: y,
            den: x.sqrt() * ((a + y) / 2.0).sqrt(),
        }
    } else if x >= EPS * (y - 1.0).abs() {
        let amy = half_gap(x, y + 1.0, r) + half_gap(x, y - 1.0, s);
        Angle::Atan2 {
            num: y,
            den: (amy * (a + y)).sqrt(),
        }
    } else if y > 1.0 {
        // Scaled so that the tiny x·y/√(y² − 1) cannot underflow.
        let k = 4.0 / EPS / EPS;
        Angle::Atan2 {
            num: y * k,
            den: x * k * y / ((y + 1.0) * (y - 1.0)).sqrt(),
        }
    } else {
        Angle::Atan2 {
            num: y,
            den: ((1.0 - y) * (1.0 + y)).sqrt(),
        }
    };
    (re, angle)
}

/// `log z` for finite `z` with a part beyond `1/ε`, without overflow in
/// `|z|` nor underflow in the smaller part's square.
fn log_large(x: f64, y: f64) -> (f64, f64) {
    let (a, b) = (x.abs().max(y.abs()), x.abs().min(y.abs()));
    let re = if a > f64::MAX / 2.0 {
        (a / 2.0).hypot(b / 2.0).ln() + LN_2
    } else if a > QUARTER_SQRT_MAX || b < SQRT_MIN {
        a.hypot(b).ln()
    } else {
        (a * a + b * b).ln() / 2.0
    };
    (re, y.atan2(x))
}

/// The inverse hyperbolic sine, with cuts along the imaginary axis
/// beyond `±i`.
pub(crate) fn asinh(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if !(x.is_finite() && y.is_finite()) {
        if y.is_infinite() {
            let im = if x.is_nan() {
                NAN
            } else if x.is_finite() {
                FRAC_PI_2.copysign(y)
            } else {
                FRAC_PI_4.copysign(y)
            };
            return C::new(INF.copysign(x), im);
        }
        if !x.is_finite() {
            let zero_im = (x.is_infinite() && y.is_finite()) || (x.is_nan() && y == 0.0);
            return C::new(x, if zero_im { 0.0f64.copysign(y) } else { NAN });
        }
        return C::new(NAN, NAN);
    }
    let (ax, ay) = (x.abs(), y.abs());
    if ax > RECIP_EPSILON || ay > RECIP_EPSILON {
        // asinh z = sign(x)·ln(2·sign(x)·z) to working precision.
        let (re, im) = if x.is_sign_negative() {
            log_large(-x, -y)
        } else {
            log_large(x, y)
        };
        return C::new((re + LN_2).copysign(x), im.copysign(y));
    }
    if ax < SMALL_ASINH && ay < SMALL_ASINH {
        return z;
    }
    let (re, angle) = asinh_core(ax, ay);
    let im = match angle {
        Angle::Ratio(b) => b.asin(),
        Angle::Atan2 { num, den } => num.atan2(den),
    };
    C::new(re.copysign(x), im.copysign(y))
}

/// The inverse sine, with cuts along the real axis beyond `±1`.
pub(crate) fn asin(z: C) -> C {
    swap(asinh(swap(z)))
}

/// The inverse cosine, with cuts along the real axis beyond `±1`
/// (`acos(2 + 0i)` is `−1.3169…i`, `acos(2 − 0i)` is `+1.3169…i`).
pub(crate) fn acos(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if !(x.is_finite() && y.is_finite()) || (x == 0.0 && y == 0.0) {
        // acos z = π/2 − asin z, with +0 rather than −0 for a zero.
        let w = asin(z);
        let re = FRAC_PI_2 - w.re;
        return C::new(if re == 0.0 { 0.0 } else { re }, -w.im);
    }
    let (ax, ay) = (x.abs(), y.abs());
    let below = y.is_sign_negative();
    if ax > RECIP_EPSILON || ay > RECIP_EPSILON {
        let (lr, li) = log_large(x, y);
        let im = lr + LN_2;
        return C::new(li.abs(), if below { im } else { -im });
    }
    if x == 1.0 && y == 0.0 {
        return C::new(0.0, -y);
    }
    if ax < SMALL_ASINH && ay < SMALL_ASINH {
        return C::new(FRAC_PI_2 - (x - FRAC_PI_2_LO), -y);
    }
    let (im, angle) = asinh_core(ay, ax);
    let re = match angle {
        Angle::Ratio(b) => (if x.is_sign_negative() { -b } else { b }).acos(),
        Angle::Atan2 { num, den } => den.atan2(if x.is_sign_negative() { -num } else { num }),
    };
    C::new(re, if below { im } else { -im })
}

/// The inverse hyperbolic cosine, with a cut along the real axis below
/// `1`; its real part is never negative.
pub(crate) fn acosh(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if !(x.is_finite() && y.is_finite()) {
        if y.is_infinite() {
            let im = if x.is_nan() {
                NAN
            } else if x.is_infinite() {
                if x < 0.0 {
                    FRAC_3PI_4
                } else {
                    FRAC_PI_4
                }
            } else {
                FRAC_PI_2
            };
            return C::new(INF, im.copysign(y));
        }
        if x.is_infinite() {
            let im = if y.is_finite() {
                let angle = if x < 0.0 { std::f64::consts::PI } else { 0.0 };
                angle.copysign(y)
            } else {
                NAN
            };
            return C::new(INF, im);
        }
        return C::new(NAN, if x == 0.0 { FRAC_PI_2 } else { NAN });
    }
    if x == 0.0 && y == 0.0 {
        return C::new(0.0, FRAC_PI_2.copysign(y));
    }
    // acosh z = ±i acos z, the sign making the real part non-negative.
    let w = acos(z);
    C::new(w.im.abs(), w.re.copysign(y))
}

/// `Re(1/z) = x/(x² + y²)` for finite `z` with a part beyond `1/ε`,
/// without overflow or spurious underflow.
fn real_of_recip(x: f64, y: f64) -> f64 {
    let exponent = |v: f64| ((v.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let (ex, ey) = (exponent(x), exponent(y));
    // Half the precision plus one: beyond that gap the smaller square is
    // below the last bit of the larger.
    const GAP: i32 = 27;
    if ex - ey >= GAP {
        return 1.0 / x;
    }
    if ey - ex >= GAP {
        return x / y / y;
    }
    let k = ex.max(ey);
    let (xs, ys) = (scale2(x, -k), scale2(y, -k));
    scale2(xs / (xs * xs + ys * ys), -k)
}

/// The inverse hyperbolic tangent, with cuts along the real axis beyond
/// `±1` (`atanh(2 + 0i)` has imaginary part `+π/2`, `atanh(2 − 0i)`
/// `−π/2`).
pub(crate) fn atanh(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if !(x.is_finite() && y.is_finite()) {
        if y.is_infinite() {
            return C::new(0.0f64.copysign(x), FRAC_PI_2.copysign(y));
        }
        if x.is_infinite() || x == 0.0 {
            let im = if y.is_finite() {
                FRAC_PI_2.copysign(y)
            } else {
                NAN
            };
            return C::new(0.0f64.copysign(x), im);
        }
        return C::new(NAN, NAN);
    }
    let (ax, ay) = (x.abs(), y.abs());
    if y == 0.0 && ax <= 1.0 {
        return C::new(real_atanh(x), y);
    }
    if x == 0.0 {
        return C::new(x, y.atan());
    }
    if ax > RECIP_EPSILON || ay > RECIP_EPSILON {
        return C::new(real_of_recip(x, y), FRAC_PI_2.copysign(y));
    }
    if ax < SMALL_ATANH && ay < SMALL_ATANH {
        return z;
    }
    let re = if ax == 1.0 && ay < EPS {
        (LN_2 - ay.ln()) / 2.0
    } else {
        // (1 − x)² + y², leaving out y² where it underflows.
        let d = ax - 1.0;
        let den = if ay < SQRT_MIN {
            d * d
        } else {
            d * d + ay * ay
        };
        (4.0 * ax / den).ln_1p() / 4.0
    };
    let im = if ax == 1.0 {
        2f64.atan2(-ay) / 2.0
    } else if ay < EPS {
        (2.0 * ay).atan2((1.0 - ax) * (1.0 + ax)) / 2.0
    } else {
        (2.0 * ay).atan2((1.0 - ax) * (1.0 + ax) - ay * ay) / 2.0
    };
    C::new(re.copysign(x), im.copysign(y))
}

/// The inverse tangent, with cuts along the imaginary axis beyond `±i`
/// (`atan(0 − 2i)` has real part `+π/2`, `atan(−0 − 2i)` `−π/2`).
pub(crate) fn atan(z: C) -> C {
    swap(atanh(swap(z)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::cmath::testing::{assert_bits, assert_close};

    const PI: f64 = std::f64::consts::PI;

    #[test]
    fn huge_arguments() {
        // asin(1e-10 + 1e10 i) = 1e-20 + i·asinh(1e10) = 1e-20 + 23.7189981105004i.
        assert_close(
            asin(C::new(1e-10, 1e10)),
            C::new(1e-20, 23.7189981105004),
            2,
        );
        assert_close(
            acos(C::new(1e-10, 1e10)),
            C::new(FRAC_PI_2, -23.7189981105004),
            2,
        );
        assert_close(
            asinh(C::new(1e10, 1e-10)),
            C::new(23.7189981105004, 1e-20),
            2,
        );
        assert_close(
            asinh(C::new(-1e300, 1e300)),
            C::new(-691.8152486690535, FRAC_PI_4),
            2,
        );
        assert_close(
            acosh(C::new(f64::MAX, -f64::MAX)),
            C::new(710.8224336642238, -FRAC_PI_4),
            2,
        );
        assert_close(atanh(C::new(1e300, 1e-300)), C::new(1e-300, FRAC_PI_2), 1);
        assert_close(atan(C::new(1e300, 1e300)), C::new(FRAC_PI_2, 5e-301), 1);
    }

    #[test]
    fn tiny_arguments_and_the_unit_circle() {
        assert_bits(asin(C::new(1e-10, -1e-10)), C::new(1e-10, -1e-10));
        assert_bits(atanh(C::new(-5e-324, 5e-324)), C::new(-5e-324, 5e-324));
        assert_close(
            acos(C::new(1e-10, 0.0)),
            C::new(1.5707963266948965, -0.0),
            1,
        );
        // acosh(1 + ε) ≈ √(2ε): acosh(1 + 1e-20 i) ≈ √(2e-20 i) = 1e-10 (1 + i).
        assert_close(acosh(C::new(1.0, 1e-20)), C::new(1e-10, 1e-10), 2);
        // atanh(1 + 1e-300 i): ln 2/2 − ln(1e-300)/2 + i·π/4.
        assert_close(
            atanh(C::new(1.0, 1e-300)),
            C::new(345.7343375393868, FRAC_PI_4),
            2,
        );
    }

    #[test]
    fn branch_cuts_take_the_side_of_the_zero() {
        let a = 1.3169578969248166; // acosh 2
        assert_close(acos(C::new(2.0, 0.0)), C::new(0.0, -a), 1);
        assert_close(acos(C::new(2.0, -0.0)), C::new(0.0, a), 1);
        assert_close(acos(C::new(-2.0, 0.0)), C::new(PI, -a), 1);
        assert_close(asin(C::new(2.0, -0.0)), C::new(FRAC_PI_2, -a), 1);
        assert_close(asin(C::new(-2.0, 0.0)), C::new(-FRAC_PI_2, a), 1);
        assert_close(asinh(C::new(0.0, -2.0)), C::new(a, -FRAC_PI_2), 1);
        assert_close(asinh(C::new(-0.0, 2.0)), C::new(-a, FRAC_PI_2), 1);
        assert_close(acosh(C::new(-2.0, 0.0)), C::new(a, PI), 1);
        assert_close(acosh(C::new(-2.0, -0.0)), C::new(a, -PI), 1);
        assert_close(
            acosh(C::new(0.5, -0.0)),
            C::new(0.0, -std::f64::consts::FRAC_PI_3),
            1,
        );
        let t = 0.5493061443340549; // atanh(1/2)
        assert_close(atanh(C::new(2.0, 0.0)), C::new(t, FRAC_PI_2), 1);
        assert_close(atanh(C::new(2.0, -0.0)), C::new(t, -FRAC_PI_2), 1);
        assert_close(atan(C::new(0.0, -2.0)), C::new(FRAC_PI_2, -t), 1);
        assert_close(atan(C::new(-0.0, -2.0)), C::new(-FRAC_PI_2, -t), 1);
        assert_bits(atanh(C::new(1.0, 0.0)), C::new(INF, 0.0));
        assert_bits(atan(C::new(-0.0, 1.0)), C::new(-0.0, INF));
    }

    #[test]
    fn special_values() {
        assert_bits(asinh(C::new(NAN, INF)), C::new(INF, NAN));
        assert_bits(asinh(C::new(-INF, INF)), C::new(-INF, FRAC_PI_4));
        assert_bits(asinh(C::new(INF, -2.0)), C::new(INF, -0.0));
        assert_bits(asinh(C::new(NAN, -0.0)), C::new(NAN, -0.0));
        assert_bits(asin(C::new(-0.0, NAN)), C::new(-0.0, NAN));
        assert_bits(acos(C::new(INF, 1.0)), C::new(0.0, -INF));
        assert_bits(acos(C::new(-INF, -1.0)), C::new(PI, INF));
        assert_bits(acos(C::new(0.0, NAN)), C::new(FRAC_PI_2, NAN));
        assert_bits(acos(C::new(-0.0, -0.0)), C::new(FRAC_PI_2, 0.0));
        assert_bits(acosh(C::new(-INF, INF)), C::new(INF, FRAC_3PI_4));
        assert_bits(acosh(C::new(0.0, NAN)), C::new(NAN, FRAC_PI_2));
        assert_bits(acosh(C::new(-0.0, -0.0)), C::new(0.0, -FRAC_PI_2));
        assert_bits(atanh(C::new(NAN, -INF)), C::new(0.0, -FRAC_PI_2));
        assert_bits(atanh(C::new(-INF, NAN)), C::new(-0.0, NAN));
        assert_bits(atanh(C::new(-0.0, NAN)), C::new(-0.0, NAN));
        assert_bits(atan(C::new(NAN, -0.0)), C::new(NAN, -0.0));
        assert_bits(atan(C::new(INF, NAN)), C::new(FRAC_PI_2, 0.0));
    }
}
