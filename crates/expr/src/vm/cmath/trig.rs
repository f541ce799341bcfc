//! `sin`, `cos`, `tan`, `sinh`, `cosh` and `tanh` of complex numbers.
//!
//! Finite arguments are computed from the real functions of the parts,
//! with `e^|x|` scaled where it alone would overflow (so `cosh(710 + 1i)`
//! is finite) and `tanh` switching to `±1 + 4 sin y cos y e^(-2|x|) i`
//! before `sinh² x` overflows (so `tanh(1000 + 1i)` is `1 + 0i`, not
//! NaN). Non-finite arguments follow C99 Annex G; where it leaves a sign
//! unspecified, the choice is glibc's, which numpy calls on Linux.

use num_complex::Complex64 as C;

use super::real::{mul_exp, sin_cos};

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// Beyond this `|x|`, `cosh x` and `sinh x` overflow: `e^|x|/2` is
/// scaled instead.
const HYPERBOLIC_MAX: f64 = 709.0;
/// Beyond this `|x|`, `tanh(x + iy)` is `±1` in its real part and
/// `sinh² x` would overflow.
const TANH_MAX: f64 = 354.0;

/// `(cosh(a)·u, sinh(a)·v)` for finite `a`, `u` and `v`, without the
/// overflow of `cosh a` or `sinh a` alone.
fn cosh_sinh_times(a: f64, u: f64, v: f64) -> (f64, f64) {
    if a.abs() <= HYPERBOLIC_MAX {
        return (a.cosh() * u, a.sinh() * v);
    }
    let v = if a < 0.0 { -v } else { v };
    (mul_exp(u, a.abs(), -1), mul_exp(v, a.abs(), -1))
}

/// `sinh z = sinh x cos y + i cosh x sin y`.
pub(crate) fn sinh(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if x.is_finite() {
        if y.is_finite() {
            let (s, c) = sin_cos(y);
            let (im, re) = cosh_sinh_times(x, s, c);
            return C::new(re, im);
        }
        return C::new(if x == 0.0 { x } else { NAN }, NAN);
    }
    if x.is_infinite() {
        if !y.is_finite() {
            return C::new(INF, NAN);
        }
        if y == 0.0 {
            return z;
        }
        let (s, c) = sin_cos(y);
        return C::new(INF.copysign(c) * x.signum(), INF.copysign(s));
    }
    C::new(NAN, if y == 0.0 { y } else { NAN })
}

/// `cosh z = cosh x cos y + i sinh x sin y`.
pub(crate) fn cosh(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if x.is_finite() {
        if y.is_finite() {
            let (s, c) = sin_cos(y);
            let (re, im) = cosh_sinh_times(x, c, s);
            return C::new(re, im);
        }
        return C::new(NAN, if x == 0.0 { 0.0 } else { NAN });
    }
    if x.is_infinite() {
        if !y.is_finite() {
            return C::new(INF, NAN);
        }
        if y == 0.0 {
            return C::new(INF, y * x.signum());
        }
        let (s, c) = sin_cos(y);
        return C::new(INF.copysign(c), INF.copysign(s) * x.signum());
    }
    C::new(NAN, if y == 0.0 { y } else { NAN })
}

/// `tanh z = (sinh x cosh x + i sin y cos y)/(sinh² x + cos² y)`, a form
/// without cancellation.
pub(crate) fn tanh(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if !(x.is_finite() && y.is_finite()) {
        if x.is_infinite() {
            let im = if y.is_finite() && y.abs() > 1.0 {
                let (s, c) = sin_cos(y);
                0.0f64.copysign(s * c)
            } else {
                0.0f64.copysign(y)
            };
            return C::new(1.0f64.copysign(x), im);
        }
        if y == 0.0 {
            return z;
        }
        return C::new(if x == 0.0 { x } else { NAN }, NAN);
    }
    let (s, c) = sin_cos(y);
    if x.abs() > TANH_MAX {
        // sinh² x ≈ e^(2|x|)/4 dwarfs cos² y.
        return C::new(1.0f64.copysign(x), mul_exp(4.0 * s * c, -2.0 * x.abs(), 0));
    }
    let (sh, ch) = (x.sinh(), x.cosh());
    let den = if sh.abs() > c.abs() * f64::EPSILON {
        sh * sh + c * c
    } else {
        c * c
    };
    C::new(sh * ch / den, s * c / den)
}

/// `sin z = sin x cosh y + i cos x sinh y`.
pub(crate) fn sin(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if y.is_finite() {
        if x.is_finite() {
            let (s, c) = sin_cos(x);
            let (re, im) = cosh_sinh_times(y, s, c);
            return C::new(re, im);
        }
        return C::new(NAN, if y == 0.0 { y } else { NAN });
    }
    if y.is_infinite() {
        if x == 0.0 {
            return z;
        }
        if x.is_finite() {
            let (s, c) = sin_cos(x);
            return C::new(INF.copysign(s), INF.copysign(c) * y.signum());
        }
        return C::new(NAN, INF);
    }
    C::new(if x == 0.0 { x } else { NAN }, NAN)
}

/// `cos z = cosh(iz)`.
pub(crate) fn cos(z: C) -> C {
    cosh(C::new(-z.im, z.re))
}

/// `tan z = −i tanh(iz)`.
pub(crate) fn tan(z: C) -> C {
    let t = tanh(C::new(-z.im, z.re));
    C::new(t.im, -t.re)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::cmath::testing::{assert_bits, assert_close};

    #[test]
    fn closed_forms() {
        // sin(1 + i) = sin 1 cosh 1 + i cos 1 sinh 1.
        assert_close(
            sin(C::new(1.0, 1.0)),
            C::new(1.2984575814159773, 0.6349639147847361),
            2,
        );
        assert_close(
            cos(C::new(1.0, 1.0)),
            C::new(0.8337300251311491, -0.9888977057628651),
            2,
        );
        assert_close(
            tan(C::new(1.0, 1.0)),
            C::new(0.2717525853195118, 1.0839233273386946),
            2,
        );
        assert_close(
            sinh(C::new(1.0, 1.0)),
            C::new(0.6349639147847361, 1.2984575814159773),
            2,
        );
        assert_close(
            cosh(C::new(1.0, 1.0)),
            C::new(0.8337300251311491, 0.9888977057628651),
            2,
        );
        assert_close(
            tanh(C::new(1.0, 1.0)),
            C::new(1.0839233273386946, 0.2717525853195118),
            2,
        );
        // Odd and even symmetry hold exactly, signed zeros included.
        let z = C::new(0.3, -2.5);
        assert_bits(sin(-z), -sin(z));
        assert_bits(tanh(-z), -tanh(z));
        assert_bits(cosh(-z), cosh(z));
        assert_bits(sinh(C::new(-0.0, 0.0)), C::new(-0.0, 0.0));
        assert_bits(tan(C::new(0.0, -0.0)), C::new(0.0, -0.0));
        assert_bits(cos(C::new(0.0, -0.0)), C::new(1.0, 0.0));
    }

    #[test]
    fn huge_arguments_neither_overflow_early_nor_give_nan() {
        assert_bits(tan(C::new(1.0, 1000.0)), C::new(0.0, 1.0));
        assert_bits(tan(C::new(-1.0, -400.0)), C::new(-0.0, -1.0));
        assert_bits(tanh(C::new(400.0, 1.0)), C::new(1.0, 0.0));
        assert_bits(tanh(C::new(-1e300, -2.0)), C::new(-1.0, 0.0));
        // tanh(360 + i) = 1 + 4 sin 1 cos 1 e^-720 i, a subnormal.
        let t = tanh(C::new(360.0, 1.0));
        assert_eq!(t.re, 1.0);
        assert!((t.im / 3.69580447874e-313 - 1.0).abs() < 1e-9, "{}", t.im);
        // cosh(710 + 0.5i): cosh 710 overflows, its product with cos 0.5 not.
        let c = cosh(C::new(710.0, 0.5));
        assert_close(c, C::new(9.802574250689392e307, 5.355170720030244e307), 4);
        assert_bits(sinh(C::new(-1e10, 0.0)), C::new(-INF, 0.0));
        assert_bits(sin(C::new(0.0, 1e10)), C::new(0.0, INF));
        assert_bits(cosh(C::new(1e10, 2.0)), C::new(-INF, INF));
    }

    #[test]
    fn special_values() {
        assert_bits(sinh(C::new(0.0, INF)), C::new(0.0, NAN));
        assert_bits(sinh(C::new(INF, 0.0)), C::new(INF, 0.0));
        assert_bits(sinh(C::new(-INF, 2.0)), C::new(INF, INF));
        assert_bits(sinh(C::new(INF, NAN)), C::new(INF, NAN));
        assert_bits(sinh(C::new(NAN, -0.0)), C::new(NAN, -0.0));
        assert_bits(cosh(C::new(0.0, INF)), C::new(NAN, 0.0));
        assert_bits(cosh(C::new(-INF, 0.0)), C::new(INF, -0.0));
        assert_bits(cosh(C::new(INF, INF)), C::new(INF, NAN));
        assert_bits(tanh(C::new(INF, INF)), C::new(1.0, 0.0));
        assert_bits(tanh(C::new(-INF, 2.0)), C::new(-1.0, -0.0));
        assert_bits(tanh(C::new(0.0, NAN)), C::new(0.0, NAN));
        assert_bits(tanh(C::new(NAN, -0.0)), C::new(NAN, -0.0));
        assert_bits(tanh(C::new(1.0, INF)), C::new(NAN, NAN));
        assert_bits(sin(C::new(NAN, INF)), C::new(NAN, INF));
        assert_bits(sin(C::new(-0.0, NAN)), C::new(-0.0, NAN));
        assert_bits(cos(C::new(INF, 0.0)), C::new(NAN, 0.0));
        assert_bits(tan(C::new(INF, 0.0)), C::new(NAN, 0.0));
        assert_bits(tan(C::new(2.0, -INF)), C::new(-0.0, -1.0));
    }
}
