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

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            forward!($t: sin(), cos(), tan(), asin(), acos(), atan(), sinh(), cosh(), tanh(),
                asinh(), acosh(), atanh(), ln(), log10(), ln_1p(), exp(), exp_m1(), sqrt(),
                abs(), powf(o), atan2(o));
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
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
impl_int!(i32);
impl_int!(i64);
