//! The arithmetic of the element types, one trait per family, so that each
//! kernel is written once for every type it applies to: [`Arith`] for all
//! numbers, [`Float`] and [`Int`] for what only one family has.

use num_complex::Complex64;

/// Addition, subtraction, multiplication and negation as the engine defines
/// them: IEEE for floats and complex, wrapping for integers (so no input
/// can panic).
pub(crate) trait Arith: Copy + PartialEq {
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn neg(self) -> Self;
}

macro_rules! impl_arith {
    ($t:ty, $zero:expr, $one:expr, |$a:ident, $b:ident| $add:expr, $sub:expr, $mul:expr, $neg:expr) => {
        impl Arith for $t {
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                let ($a, $b) = (self, o);
                $add
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                let ($a, $b) = (self, o);
                $sub
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                let ($a, $b) = (self, o);
                $mul
            }
            #[inline(always)]
            fn neg(self) -> Self {
                let $a = self;
                $neg
            }
        }
    };
}
macro_rules! impl_wrapping {
    ($($t:ty),*) => {$(
        impl_arith!($t, 0, 1, |a, b| a.wrapping_add(b), a.wrapping_sub(b), a.wrapping_mul(b),
            a.wrapping_neg());
    )*};
}
macro_rules! impl_ieee {
    ($($t:ty: $zero:expr, $one:expr);*) => {$(
        impl_arith!($t, $zero, $one, |a, b| a + b, a - b, a * b, -a);
    )*};
}
impl_wrapping!(i32, i64);
impl_ieee!(f32: 0.0, 1.0; f64: 0.0, 1.0; Complex64: Complex64::new(0.0, 0.0), Complex64::new(1.0, 0.0));

/// Block versions of the transcendental functions: vectorised for `f64`
/// (see [`crate::vm::vmath`]), libm per element otherwise.
pub(crate) trait BlockMath: Sized + Copy {
    fn sin_block(d: &mut [Self], x: &[Self]);
    fn cos_block(d: &mut [Self], x: &[Self]);
    fn exp_block(d: &mut [Self], x: &[Self]);
}

impl BlockMath for f64 {
    #[inline(always)]
    fn sin_block(d: &mut [f64], x: &[f64]) {
        crate::vm::vmath::sin(d, x)
    }
    #[inline(always)]
    fn cos_block(d: &mut [f64], x: &[f64]) {
        crate::vm::vmath::cos(d, x)
    }
    #[inline(always)]
    fn exp_block(d: &mut [f64], x: &[f64]) {
        crate::vm::vmath::exp(d, x)
    }
}

impl BlockMath for f32 {
    #[inline(always)]
    fn sin_block(d: &mut [f32], x: &[f32]) {
        for (d, &x) in d.iter_mut().zip(x) {
            *d = x.sin();
        }
    }
    #[inline(always)]
    fn cos_block(d: &mut [f32], x: &[f32]) {
        for (d, &x) in d.iter_mut().zip(x) {
            *d = x.cos();
        }
    }
    #[inline(always)]
    fn exp_block(d: &mut [f32], x: &[f32]) {
        for (d, &x) in d.iter_mut().zip(x) {
            *d = x.exp();
        }
    }
}

/// Real floating-point element types.
pub(crate) trait Float:
    Arith + BlockMath + PartialOrd + std::ops::Div<Output = Self>
{
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tan(self) -> Self;
    fn asin(self) -> Self;
    fn acos(self) -> Self;
    fn atan(self) -> Self;
    fn sinh(self) -> Self;
    fn cosh(self) -> Self;
    fn tanh(self) -> Self;
    fn asinh(self) -> Self;
    fn acosh(self) -> Self;
    fn atanh(self) -> Self;
    fn ln(self) -> Self;
    fn log10(self) -> Self;
    fn ln_1p(self) -> Self;
    fn exp(self) -> Self;
    fn exp_m1(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, o: Self) -> Self;
    fn atan2(self, o: Self) -> Self;
    fn rem(self, o: Self) -> Self;
    fn log2(self) -> Self;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn trunc(self) -> Self;
    fn round_ties_even(self) -> Self;
    fn hypot(self, o: Self) -> Self;
    fn copysign(self, o: Self) -> Self;
    fn is_nan(self) -> bool;
    fn is_finite(self) -> bool;
    fn is_infinite(self) -> bool;
    fn is_sign_negative(self) -> bool;
    /// C's `fmod`: the remainder of the truncated quotient.
    fn fmod(self, o: Self) -> Self;
    /// numpy's `floor_divide`.
    fn floor_div(self, o: Self) -> Self;
    /// numpy's `nextafter`.
    fn next_after(self, o: Self) -> Self;
    /// numpy's `sign`: -1, 0 (never -0) or 1; NaN stays NaN.
    fn sign(self) -> Self;
}

/// Forwards each listed method of [`Float`] to the inherent one.
macro_rules! forward {
    ($t:ty: $($f:ident($($o:ident)?)),*) => {
        $(
            #[inline(always)]
            fn $f(self $(, $o: Self)?) -> Self {
                <$t>::$f(self $(, $o)?)
            }
        )*
    };
}

/// Forwards each listed predicate of [`Float`] to the inherent one.
macro_rules! forward_predicates {
    ($t:ty: $($f:ident),*) => {
        $(
            #[inline(always)]
            fn $f(self) -> bool {
                <$t>::$f(self)
            }
        )*
    };
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            forward!($t: sin(), cos(), tan(), asin(), acos(), atan(), sinh(), cosh(), tanh(),
                asinh(), acosh(), atanh(), ln(), log10(), ln_1p(), exp(), exp_m1(), sqrt(),
                abs(), powf(o), atan2(o), log2(), floor(), ceil(), trunc(), round_ties_even(),
                hypot(o), copysign(o));
            forward_predicates!($t: is_nan, is_finite, is_infinite, is_sign_negative);
            #[inline(always)]
            fn fmod(self, o: Self) -> Self {
                // Rust's `%` on floats is C's `fmod`.
                self % o
            }
            /// CPython's and numpy's algorithm: the quotient of the exact
            /// difference `x - fmod(x, y)`, corrected towards the floor and
            /// rounded to the nearest integer (it is within rounding of
            /// one); `x / 0` for a zero divisor, a zero of the sign of
            /// `x / y` for a zero quotient. Selects, no branches.
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                let m = self % o;
                let div = (self - m) / o;
                let div = if m != 0.0 && ((o < 0.0) != (m < 0.0)) { div - 1.0 } else { div };
                let fl = div.floor();
                let fl = if div - fl > 0.5 { fl + 1.0 } else { fl };
                let q = self / o;
                if o == 0.0 {
                    q
                } else if div == 0.0 {
                    (0.0 as $t).copysign(q)
                } else {
                    fl
                }
            }
            /// One step of the bit pattern towards `o`: away from zero
            /// when `o` lies beyond `self`, towards it otherwise, and the
            /// smallest subnormal of `o`'s sign from a zero.
            #[inline(always)]
            fn next_after(self, o: Self) -> Self {
                let bits = self.to_bits();
                let away = (o > self) == (self > 0.0);
                let step = if away { bits.wrapping_add(1) } else { bits.wrapping_sub(1) };
                let r = if self == 0.0 { <$t>::from_bits(1).copysign(o) } else { <$t>::from_bits(step) };
                if self.is_nan() || o.is_nan() {
                    self + o
                } else if self == o {
                    o
                } else {
                    r
                }
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else if self == 0.0 {
                    0.0
                } else {
                    self
                }
            }
            /// Python's `%`: the result takes the sign of the divisor.
            #[inline(always)]
            fn rem(self, o: Self) -> Self {
                let r = self % o;
                if r != 0.0 && ((r < 0.0) != (o < 0.0)) {
                    r + o
                } else {
                    r
                }
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);

/// Integer element types; besides [`Arith`]'s wrapping, division by zero
/// gives 0 (numpy's result, without its warning), so no input can panic.
pub(crate) trait Int: Arith + Ord + Default {
    fn not(self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn abs(self) -> Self;
    fn rem(self, o: Self) -> Self;
    fn pow(self, o: Self) -> Self;
    fn shl(self, o: Self) -> Self;
    fn shr(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    /// Floor division (numpy's `//`); `x // 0` is 0.
    fn floor_div(self, o: Self) -> Self;
    /// C's `fmod` (the remainder with the sign of the dividend); `fmod(x,
    /// 0)` is 0, numpy's.
    fn fmod(self, o: Self) -> Self;
    /// -1, 0 or 1.
    fn sign(self) -> Self;
    fn to_f64(self) -> f64;
}

macro_rules! impl_int {
    ($t:ty) => {
        impl Int for $t {
            #[inline(always)]
            fn not(self) -> Self {
                !self
            }
            #[inline(always)]
            fn and(self, o: Self) -> Self {
                self & o
            }
            #[inline(always)]
            fn or(self, o: Self) -> Self {
                self | o
            }
            #[inline(always)]
            fn abs(self) -> Self {
                self.wrapping_abs()
            }
            /// Python's `%` (sign of the divisor); `x % 0` is 0.
            #[inline(always)]
            fn rem(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) {
                    r.wrapping_add(o)
                } else {
                    r
                }
            }
            /// Wrapping power; negative exponents give the integer part of `1/x^-e`.
            #[inline(always)]
            fn pow(self, e: Self) -> Self {
                if e < 0 {
                    return match self {
                        1 => 1,
                        -1 => {
                            if e % 2 == 0 {
                                1
                            } else {
                                -1
                            }
                        }
                        _ => 0,
                    };
                }
                let (mut base, mut e, mut acc) = (self, e, 1 as $t);
                while e > 0 {
                    if e & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            /// Shifts by a negative or too large amount give 0 (numpy's result).
            #[inline(always)]
            fn shl(self, o: Self) -> Self {
                if o < 0 || o as i64 >= Self::BITS as i64 {
                    0
                } else {
                    self << o
                }
            }
            /// Arithmetic right shift; too large amounts give 0 or -1.
            #[inline(always)]
            fn shr(self, o: Self) -> Self {
                if o < 0 || o as i64 >= Self::BITS as i64 {
                    if self < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    self >> o
                }
            }
            #[inline(always)]
            fn xor(self, o: Self) -> Self {
                self ^ o
            }
            /// The truncated quotient, one less when the division is
            /// inexact and the signs differ; `MIN // -1` wraps to `MIN`.
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let q = self.wrapping_div(o);
                if self.wrapping_rem(o) != 0 && ((self < 0) != (o < 0)) {
                    q - 1
                } else {
                    q
                }
            }
            #[inline(always)]
            fn fmod(self, o: Self) -> Self {
                if o == 0 {
                    0
                } else {
                    self.wrapping_rem(o)
                }
            }
            #[inline(always)]
            fn sign(self) -> Self {
                (self > 0) as $t - (self < 0) as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
impl_int!(i32);
impl_int!(i64);
