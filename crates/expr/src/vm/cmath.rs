//! Complex elementary functions with numpy's semantics, which on Linux are
//! C99 Annex G's as glibc implements them (numpy calls the C library's
//! `csin`, `casin`, `cpow`, ... where it has them).
//!
//! What that means, and what `num_complex`'s textbook formulas get wrong:
//!
//! * **Branch cuts** are taken on the side of the sign of a zero part:
//!   `log(-1 - 0i)` is `-πi`, `atan(0 - 2i)` has real part `+π/2` and
//!   `atan(-0 - 2i)` `-π/2`.
//! * **No intermediate overflow or underflow**: `tan(1 + 1000i)` is
//!   exactly `0 + 1i` (not NaN), `asin(1e-10 + 1e10i)` is
//!   `1e-20 + 23.72i`, `log` and `sqrt` keep their accuracy for parts near
//!   the largest and the subnormal doubles.
//! * **No cancellation** near zero (`log1p`, `expm1`, `asinh`, `atanh`)
//!   and near the unit circle (`log`).
//! * **Infinities and NaNs** as in the tables of C99 Annex G.
//!
//! `log1p` and `expm1` are not C99 functions; numpy computes them with
//! short formulas that lose the real part of `log1p` near 0 and give NaN
//! for `expm1(inf + 0i)`. Here `log1p` keeps numpy's imaginary part (and
//! so its branch cut) with an accurate real part, and `expm1` is numpy's
//! formula where finite, `exp(z) − 1` where that formula would multiply
//! an infinity by zero.
//!
//! Division is Smith's algorithm, numpy's: `(1e300 + 1e300i)/(1e300 +
//! 1e300i)` is 1, where the textbook formula overflows to NaN. Powers are
//! numpy's `npy_cpow`: `z**0` is 1 (NaN included), `0**w` is 0 for
//! `Re w > 0` and NaN otherwise, real integer exponents below 100 in
//! magnitude multiply (by squaring), and the rest is `exp(w·log z)` with
//! C99's infinity-preserving product.
//!
//! The functions take and return [`Complex64`]; they allocate nothing and
//! are not inlined into the VM's loops (they are long, and complex
//! functions are not where expressions spend their time).

mod explog;
mod inverse;
mod real;
mod trig;

use num_complex::Complex64;

pub(crate) use explog::{exp, expm1, log, log10, log1p, sqrt};
pub(crate) use inverse::{acos, acosh, asin, asinh, atan, atanh};
pub(crate) use trig::{cos, cosh, sin, sinh, tan, tanh};

/// `a·b` by the textbook formula, as numpy multiplies (and as the VM's
/// `*` does): no recovery of infinities from NaN parts.
fn mul(a: Complex64, b: Complex64) -> Complex64 {
    Complex64::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

/// `a·b` as C99 Annex G multiplies (G.5.1): the textbook product, except
/// that an infinite operand gives an infinite result instead of NaN + NaN
/// i (`(inf + 0i)·(1 + 1i)` is `inf + inf i`).
fn mul_c99(a: Complex64, b: Complex64) -> Complex64 {
    let (mut ar, mut ai, mut br, mut bi) = (a.re, a.im, b.re, b.im);
    let (ac, bd, ad, bc) = (ar * br, ai * bi, ar * bi, ai * br);
    let (x, y) = (ac - bd, ad + bc);
    if !(x.is_nan() && y.is_nan()) {
        return Complex64::new(x, y);
    }
    // An infinite part becomes ±1 and the other ±0 (its NaNs too), so
    // that the product's directions survive; then scale back to infinity.
    let boxed = |v: f64| (if v.is_infinite() { 1.0f64 } else { 0.0 }).copysign(v);
    let unnan = |v: f64| if v.is_nan() { 0.0f64.copysign(v) } else { v };
    let mut recalc = false;
    if ar.is_infinite() || ai.is_infinite() {
        (ar, ai) = (boxed(ar), boxed(ai));
        (br, bi) = (unnan(br), unnan(bi));
        recalc = true;
    }
    if br.is_infinite() || bi.is_infinite() {
        (br, bi) = (boxed(br), boxed(bi));
        (ar, ai) = (unnan(ar), unnan(ai));
        recalc = true;
    }
    if !recalc && (ac.is_infinite() || bd.is_infinite() || ad.is_infinite() || bc.is_infinite()) {
        // An overflowed partial product: keep its direction.
        (ar, ai, br, bi) = (unnan(ar), unnan(ai), unnan(br), unnan(bi));
        recalc = true;
    }
    if !recalc {
        return Complex64::new(x, y);
    }
    Complex64::new(
        f64::INFINITY * (ar * br - ai * bi),
        f64::INFINITY * (ar * bi + ai * br),
    )
}

/// `a/b` by Smith's algorithm (numpy's): the quotient of the parts by the
/// larger part of `b` first, so that nothing overflows or underflows
/// before the result does. Division by zero gives `(re/0, im/0)`.
pub(crate) fn div(a: Complex64, b: Complex64) -> Complex64 {
    let (abr, abi) = (b.re.abs(), b.im.abs());
    if abr >= abi {
        if abr == 0.0 && abi == 0.0 {
            return Complex64::new(a.re / abr, a.im / abi);
        }
        let rat = b.im / b.re;
        let scl = 1.0 / (b.re + b.im * rat);
        Complex64::new((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl)
    } else {
        let rat = b.re / b.im;
        let scl = 1.0 / (b.im + b.re * rat);
        Complex64::new((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl)
    }
}

/// `1/z`, as `1/z` divides (numpy's `z**-n` divides 1 by `z**n` so too).
pub(crate) fn recip(z: Complex64) -> Complex64 {
    div(Complex64::new(1.0, 0.0), z)
}

/// `a**b`, numpy's `npy_cpow` (see the module's documentation).
pub(crate) fn pow(a: Complex64, b: Complex64) -> Complex64 {
    if b.re == 0.0 && b.im == 0.0 {
        return Complex64::new(1.0, 0.0);
    }
    if a.re == 0.0 && a.im == 0.0 {
        return if b.re > 0.0 {
            Complex64::new(0.0, 0.0)
        } else {
            Complex64::new(f64::NAN, f64::NAN)
        };
    }
    if b.im == 0.0 && b.re.abs() < 100.0 && b.re.fract() == 0.0 {
        let n = b.re as i32;
        match n {
            1 => return a,
            2 => return mul(a, a),
            3 => return mul(a, mul(a, a)),
            _ => {}
        }
        // Binary powering in numpy's order: the result starts at 1 and
        // takes each squaring of `a` whose bit is set in |n|.
        let m = n.unsigned_abs();
        let (mut acc, mut p, mut bit) = (Complex64::new(1.0, 0.0), a, 1u32);
        loop {
            if m & bit != 0 {
                acc = mul(acc, p);
            }
            bit <<= 1;
            if m < bit {
                break;
            }
            p = mul(p, p);
        }
        return if n < 0 { recip(acc) } else { acc };
    }
    exp(mul_c99(b, log(a)))
}

/// Comparisons for the unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use num_complex::Complex64;

    /// Both parts identical: the same bits, or both NaN.
    #[track_caller]
    pub(crate) fn assert_bits(got: Complex64, want: Complex64) {
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        assert!(
            same(got.re, want.re) && same(got.im, want.im),
            "got {got:?}, want {want:?}"
        );
    }

    /// Both parts within `ulps` units in the last place of the wanted
    /// value (and of its sign, zeros included).
    #[track_caller]
    pub(crate) fn assert_close(got: Complex64, want: Complex64, ulps: u32) {
        let close = |a: f64, b: f64| {
            if b == 0.0 || !b.is_finite() {
                return a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            }
            let ulp = f64::from_bits(b.abs().to_bits() + 1) - b.abs();
            a.signum() == b.signum() && (a - b).abs() <= ulps as f64 * ulp
        };
        assert!(
            close(got.re, want.re) && close(got.im, want.im),
            "got {got:?}, want {want:?} within {ulps} ulps"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{assert_bits, assert_close};
    use super::*;

    const INF: f64 = f64::INFINITY;
    const NAN: f64 = f64::NAN;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    #[test]
    fn smith_division_neither_overflows_nor_underflows() {
        assert_bits(div(c(1e300, 1e300), c(1e300, 1e300)), c(1.0, 0.0));
        assert_close(div(c(1e-300, 1e-300), c(1e-300, -1e-300)), c(0.0, 1.0), 1);
        assert_close(div(c(1.0, 2.0), c(3.0, 4.0)), c(0.44, 0.08), 2);
        assert_bits(div(c(1.0, 1.0), c(0.0, 0.0)), c(INF, INF));
        assert_bits(div(c(1.0, 0.0), c(0.0, -0.0)), c(INF, NAN));
        assert_bits(recip(c(0.0, 2.0)), c(0.0, -0.5));
        assert_bits(recip(c(INF, 0.0)), c(0.0, 0.0));
    }

    #[test]
    fn powers_follow_npy_cpow() {
        assert_bits(pow(c(NAN, NAN), c(0.0, -0.0)), c(1.0, 0.0));
        assert_bits(pow(c(0.0, -0.0), c(2.5, 1.0)), c(0.0, 0.0));
        assert_bits(pow(c(-0.0, 0.0), c(-1.0, 0.0)), c(NAN, NAN));
        assert_bits(pow(c(0.0, 0.0), c(0.0, 1.0)), c(NAN, NAN));
        // Integer exponents multiply: (1 + i)^2 = 2i exactly, (1 + i)^-4 = -1/4
        // (the zero's sign is that of 1/(-4 + 0i) by Smith's algorithm).
        assert_bits(pow(c(1.0, 1.0), c(2.0, 0.0)), c(0.0, 2.0));
        assert_bits(pow(c(1.0, 1.0), c(-4.0, 0.0)), c(-0.25, -0.0));
        assert_bits(pow(c(2.0, 0.0), c(10.0, 0.0)), c(1024.0, 0.0));
        // The rest is exp(w log z): i^i = e^(-π/2).
        assert_close(
            pow(c(0.0, 1.0), c(0.0, 1.0)),
            c(0.20787957635076193, 0.0),
            2,
        );
        assert_close(
            pow(c(-8.0, 0.0), c(1.0 / 3.0, 0.0)),
            c(1.0, 1.732050807568877),
            2,
        );
        assert_bits(pow(c(INF, 0.0), c(0.5, 0.0)), c(INF, NAN));
    }

    #[test]
    fn c99_product_keeps_infinities() {
        assert_bits(mul_c99(c(INF, 0.0), c(1.0, 1.0)), c(INF, INF));
        assert_bits(mul_c99(c(INF, NAN), c(0.0, 1.0)), c(NAN, INF));
        assert_bits(mul_c99(c(2.0, 3.0), c(4.0, 5.0)), c(-7.0, 22.0));
        assert_bits(mul(c(INF, NAN), c(0.0, 1.0)), c(NAN, NAN));
    }
}
