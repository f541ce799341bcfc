//! The instructions' bodies: each (operation, type) pair is one of the
//! block loops ([`crate::vm::loops`]) with the operation's formula.
//!
//! The formulas every number type computes alike (through [`Arith`]) are
//! written once, in `numeric_match!`, which [`float`], [`int`] and
//! [`complex`] complete with their own; [`boolean`] has its own, and
//! [`cast`] converts between types. Which pairs exist is the opcode
//! table's `types` column.
//!
//! Every function here has the same contract, the one of
//! [`crate::vm::dispatch::exec_program`] for a single instruction: each slot
//! `ins` reads points to `n` valid elements of its type (one for a scalar
//! slot, `s[slot]`), and the destination to `n` elements of the result type
//! that overlap no operand.

use num_complex::Complex64;

use crate::dtype::DType;
use crate::vm::cmath;
use crate::vm::loops::{map1, map2, map3, map4, map7};
use crate::vm::numeric::{Arith, Float, Int};
use crate::vm::ops::Op;
use crate::vm::program::Instr;
use crate::vm::slots::{dst, src, Src};

/// `d = f(a)` with `a` of type `T` and `d` of type `R`.
macro_rules! un {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty => $R:ty, |$x:ident| $body:expr) => {{
        let a = src::<$T>($ptrs, $scal, $ins.args[0], $n);
        map1(dst::<$R>($ptrs, $ins.dst, $n), a, |$x: $T| $body)
    }};
}

/// `d = f(a, b)` with `a`, `b` of type `T` and `d` of type `R`.
macro_rules! bin {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty => $R:ty, |$x:ident, $y:ident| $body:expr) => {{
        let a = src::<$T>($ptrs, $scal, $ins.args[0], $n);
        let b = src::<$T>($ptrs, $scal, $ins.args[1], $n);
        map2(dst::<$R>($ptrs, $ins.dst, $n), a, b, |$x: $T, $y: $T| $body)
    }};
}

/// `d = f(a, b, c)`, all of type `T`.
macro_rules! ter {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty, |$x:ident, $y:ident, $z:ident| $body:expr) => {{
        let a = src::<$T>($ptrs, $scal, $ins.args[0], $n);
        let b = src::<$T>($ptrs, $scal, $ins.args[1], $n);
        let c = src::<$T>($ptrs, $scal, $ins.args[2], $n);
        map3(
            dst::<$T>($ptrs, $ins.dst, $n),
            a,
            b,
            c,
            |$x: $T, $y: $T, $z: $T| $body,
        )
    }};
}

/// `d = f(a, b, c, e)`, all of type `T`.
macro_rules! quad {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty, |$x:ident, $y:ident, $z:ident, $w:ident| $body:expr) => {{
        let a = src::<$T>($ptrs, $scal, $ins.args[0], $n);
        let b = src::<$T>($ptrs, $scal, $ins.args[1], $n);
        let c = src::<$T>($ptrs, $scal, $ins.args[2], $n);
        let d = src::<$T>($ptrs, $scal, $ins.args[3], $n);
        map4(
            dst::<$T>($ptrs, $ins.dst, $n),
            a,
            b,
            c,
            d,
            |$x: $T, $y: $T, $z: $T, $w: $T| $body,
        )
    }};
}

/// `d = where(c, a, b)`: `c` bool, `a`, `b` and `d` of type `T`.
macro_rules! select {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty) => {{
        let c = src::<bool>($ptrs, $scal, $ins.args[0], $n);
        let a = src::<$T>($ptrs, $scal, $ins.args[1], $n);
        let b = src::<$T>($ptrs, $scal, $ins.args[2], $n);
        map3(
            dst::<$T>($ptrs, $ins.dst, $n),
            c,
            a,
            b,
            |c: bool, a: $T, b: $T| {
                if c {
                    a
                } else {
                    b
                }
            },
        )
    }};
}

/// One `match` on the instruction's operation for the number type `T`:
/// the type's own arms, given in braces, then the arms every number type
/// (integer, float, complex) computes with the same formula through
/// [`Arith`]; after `ordered`, also the comparisons of real numbers. A
/// single `match` per type keeps the dispatch to one jump table.
macro_rules! numeric_match {
    (ordered $ins:ident, $n:ident, $p:ident, $s:ident, $T:ty, { $($arms:tt)* }) => {
        numeric_match!($ins, $n, $p, $s, $T, {
            $($arms)*
            Op::Lt => bin!($ins, $n, $p, $s, $T => bool, |x, y| x < y),
            Op::Le => bin!($ins, $n, $p, $s, $T => bool, |x, y| x <= y),
            Op::Ge => bin!($ins, $n, $p, $s, $T => bool, |x, y| x >= y),
            Op::Gt => bin!($ins, $n, $p, $s, $T => bool, |x, y| x > y),
        })
    };
    ($ins:ident, $n:ident, $p:ident, $s:ident, $T:ty, { $($arms:tt)* }) => {
        match $ins.op {
            $($arms)*
            Op::Copy => un!($ins, $n, $p, $s, $T => $T, |x| x),
            Op::Add => bin!($ins, $n, $p, $s, $T => $T, |x, y| x.add(y)),
            Op::Sub => bin!($ins, $n, $p, $s, $T => $T, |x, y| x.sub(y)),
            Op::Mul => bin!($ins, $n, $p, $s, $T => $T, |x, y| x.mul(y)),
            Op::Eq => bin!($ins, $n, $p, $s, $T => bool, |x, y| x == y),
            Op::Ne => bin!($ins, $n, $p, $s, $T => bool, |x, y| x != y),
            Op::Neg => un!($ins, $n, $p, $s, $T => $T, |x| x.neg()),
            Op::OnesLike => un!($ins, $n, $p, $s, $T => $T, |_x| <$T as Arith>::ONE),
            Op::Square => un!($ins, $n, $p, $s, $T => $T, |x| x.mul(x)),
            Op::Where => select!($ins, $n, $p, $s, $T),
            Op::MulAdd => ter!($ins, $n, $p, $s, $T, |x, y, z| x.mul(y).add(z)),
            Op::MulSub => ter!($ins, $n, $p, $s, $T, |x, y, z| x.mul(y).sub(z)),
            Op::NegMulAdd => ter!($ins, $n, $p, $s, $T, |x, y, z| z.sub(x.mul(y))),
            Op::Add3 => ter!($ins, $n, $p, $s, $T, |x, y, z| x.add(y).add(z)),
            Op::Add4 => quad!($ins, $n, $p, $s, $T, |x, y, z, w| x.add(y).add(z).add(w)),
            Op::Relax => quad!($ins, $n, $p, $s, $T, |k, t, c, x| x.add(k.mul(t.sub(c.mul(x))))),
            Op::Mul3Add => quad!($ins, $n, $p, $s, $T, |a, b, c, d| a.mul(b).mul(c).add(d)),
            Op::MulMulAdd => quad!($ins, $n, $p, $s, $T, |a, b, c, d| a.mul(b).add(c.mul(d))),
            Op::MulMulSub => quad!($ins, $n, $p, $s, $T, |a, b, c, d| a.mul(b).sub(c.mul(d))),
            Op::RelaxSum4 => relax_sum4::<$T>($ins, $n, $p, $s),
            op => unreachable!("the type checker let {op:?} on {} through", $ins.ty),
        }
    };
}

/// `RelaxSum4`, the diffusion update: a function of its own, inlined
/// before the type's big `match` is, so that reading its seven operands
/// stays inline (inside the `match`, LLVM may leave a helper such as a
/// closure over the operand number, or `std::array::from_fn`, as a call).
///
/// # Safety
/// The module's contract.
#[inline(always)]
unsafe fn relax_sum4<T: Arith + 'static>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    let a = &ins.args;
    // SAFETY: the module's contract.
    unsafe {
        let operands = [
            src::<T>(p, s, a[0], n),
            src::<T>(p, s, a[1], n),
            src::<T>(p, s, a[2], n),
            src::<T>(p, s, a[3], n),
            src::<T>(p, s, a[4], n),
            src::<T>(p, s, a[5], n),
            src::<T>(p, s, a[6], n),
        ];
        map7(dst::<T>(p, ins.dst, n), operands, |k, a, b, c, d, w, x| {
            x.add(k.mul(a.add(b).add(c).add(d).sub(w.mul(x))))
        })
    }
}

/// sin, cos or exp (`which` 0, 1, 2) with the block implementations
/// (scalars use libm). Called directly, not through closures, so that they
/// are inlined into each SIMD level's build of the loops.
///
/// # Safety
/// The module's contract.
#[inline(always)]
unsafe fn block_fn<T: Float>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool], which: u8) {
    // SAFETY: the module's contract.
    let (d, x) = unsafe { (dst::<T>(p, ins.dst, n), src::<T>(p, s, ins.args[0], n)) };
    match (x, which) {
        (Src::S(x), 0) => T::sin_block(d, x),
        (Src::S(x), 1) => T::cos_block(d, x),
        (Src::S(x), _) => T::exp_block(d, x),
        (Src::K(k), 0) => d.fill(k.sin()),
        (Src::K(k), 1) => d.fill(k.cos()),
        (Src::K(k), _) => d.fill(k.exp()),
    }
}

/// `f32` and `f64`.
///
/// # Safety
/// The module's contract.
#[inline(always)]
pub(crate) unsafe fn float<T: Float + 'static>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    // SAFETY: the module's contract.
    unsafe {
        numeric_match!(ordered ins, n, p, s, T, {
            Op::Div => bin!(ins, n, p, s, T => T, |x, y| x / y),
            Op::Pow => bin!(ins, n, p, s, T => T, |x, y| x.powf(y)),
            Op::Mod => bin!(ins, n, p, s, T => T, |x, y| x.rem(y)),
            Op::Atan2 => bin!(ins, n, p, s, T => T, |x, y| x.atan2(y)),
            Op::Recip => un!(ins, n, p, s, T => T, |x| T::ONE / x),
            Op::Sin => block_fn::<T>(ins, n, p, s, 0),
            Op::Cos => block_fn::<T>(ins, n, p, s, 1),
            Op::Exp => block_fn::<T>(ins, n, p, s, 2),
            Op::Tan => un!(ins, n, p, s, T => T, |x| x.tan()),
            Op::Asin => un!(ins, n, p, s, T => T, |x| x.asin()),
            Op::Acos => un!(ins, n, p, s, T => T, |x| x.acos()),
            Op::Atan => un!(ins, n, p, s, T => T, |x| x.atan()),
            Op::Sinh => un!(ins, n, p, s, T => T, |x| x.sinh()),
            Op::Cosh => un!(ins, n, p, s, T => T, |x| x.cosh()),
            Op::Tanh => un!(ins, n, p, s, T => T, |x| x.tanh()),
            Op::Asinh => un!(ins, n, p, s, T => T, |x| x.asinh()),
            Op::Acosh => un!(ins, n, p, s, T => T, |x| x.acosh()),
            Op::Atanh => un!(ins, n, p, s, T => T, |x| x.atanh()),
            Op::Log => un!(ins, n, p, s, T => T, |x| x.ln()),
            Op::Log10 => un!(ins, n, p, s, T => T, |x| x.log10()),
            Op::Log1p => un!(ins, n, p, s, T => T, |x| x.ln_1p()),
            Op::Expm1 => un!(ins, n, p, s, T => T, |x| x.exp_m1()),
            Op::Sqrt => un!(ins, n, p, s, T => T, |x| x.sqrt()),
            Op::Abs => un!(ins, n, p, s, T => T, |x| x.abs()),
            Op::Conj => un!(ins, n, p, s, T => T, |x| x),
            Op::FloorDiv => bin!(ins, n, p, s, T => T, |x, y| x.floor_div(y)),
            Op::Fmod => bin!(ins, n, p, s, T => T, |x, y| x.fmod(y)),
            Op::Hypot => bin!(ins, n, p, s, T => T, |x, y| x.hypot(y)),
            Op::NextAfter => bin!(ins, n, p, s, T => T, |x, y| x.next_after(y)),
            Op::CopySign => bin!(ins, n, p, s, T => T, |x, y| x.copysign(y)),
            // A tie gives the second operand, as numpy and numexpr do.
            Op::Maximum => bin!(ins, n, p, s, T => T, |x, y| if x > y || x.is_nan() { x } else { y }),
            Op::Minimum => bin!(ins, n, p, s, T => T, |x, y| if x < y || x.is_nan() { x } else { y }),
            Op::Log2 => un!(ins, n, p, s, T => T, |x| x.log2()),
            Op::Floor => un!(ins, n, p, s, T => T, |x| x.floor()),
            Op::Ceil => un!(ins, n, p, s, T => T, |x| x.ceil()),
            Op::Trunc => un!(ins, n, p, s, T => T, |x| x.trunc()),
            Op::Round => un!(ins, n, p, s, T => T, |x| x.round_ties_even()),
            Op::Sign => un!(ins, n, p, s, T => T, |x| x.sign()),
            Op::IsNan => un!(ins, n, p, s, T => bool, |x| x.is_nan()),
            Op::IsFinite => un!(ins, n, p, s, T => bool, |x| x.is_finite()),
            Op::IsInf => un!(ins, n, p, s, T => bool, |x| x.is_infinite()),
            Op::SignBit => un!(ins, n, p, s, T => bool, |x| x.is_sign_negative()),
            Op::Complex => {
                let a = src::<f64>(p, s, ins.args[0], n);
                let b = src::<f64>(p, s, ins.args[1], n);
                map2(dst::<Complex64>(p, ins.dst, n), a, b, |x, y| {
                    Complex64::new(x, y)
                })
            }
        })
    }
}

/// `i32` and `i64`.
///
/// # Safety
/// The module's contract.
#[inline(always)]
pub(crate) unsafe fn int<T: Int + 'static>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    // SAFETY: the module's contract.
    unsafe {
        numeric_match!(ordered ins, n, p, s, T, {
            Op::Pow => bin!(ins, n, p, s, T => T, |x, y| x.pow(y)),
            Op::Mod => bin!(ins, n, p, s, T => T, |x, y| x.rem(y)),
            Op::Shl => bin!(ins, n, p, s, T => T, |x, y| x.shl(y)),
            Op::Shr => bin!(ins, n, p, s, T => T, |x, y| x.shr(y)),
            Op::BitAnd => bin!(ins, n, p, s, T => T, |x, y| x.and(y)),
            Op::BitOr => bin!(ins, n, p, s, T => T, |x, y| x.or(y)),
            Op::Not => un!(ins, n, p, s, T => T, |x| x.not()),
            Op::Abs => un!(ins, n, p, s, T => T, |x| x.abs()),
            Op::Conj => un!(ins, n, p, s, T => T, |x| x),
            Op::FloorDiv => bin!(ins, n, p, s, T => T, |x, y| x.floor_div(y)),
            Op::Fmod => bin!(ins, n, p, s, T => T, |x, y| x.fmod(y)),
            Op::BitXor => bin!(ins, n, p, s, T => T, |x, y| x.xor(y)),
            Op::Maximum => bin!(ins, n, p, s, T => T, |x, y| x.max(y)),
            Op::Minimum => bin!(ins, n, p, s, T => T, |x, y| x.min(y)),
            Op::Sign => un!(ins, n, p, s, T => T, |x| x.sign()),
        })
    }
}

/// Complex numbers; the functions, `/` and `**` are [`cmath`]'s (numpy's
/// semantics).
///
/// # Safety
/// The module's contract.
#[inline(always)]
pub(crate) unsafe fn complex(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    type C = Complex64;
    // SAFETY: the module's contract.
    unsafe {
        numeric_match!(ins, n, p, s, C, {
            Op::Div => bin!(ins, n, p, s, C => C, |x, y| cmath::div(x, y)),
            Op::Pow => bin!(ins, n, p, s, C => C, |x, y| cmath::pow(x, y)),
            Op::Recip => un!(ins, n, p, s, C => C, |x| cmath::recip(x)),
            Op::Sin => un!(ins, n, p, s, C => C, |x| cmath::sin(x)),
            Op::Cos => un!(ins, n, p, s, C => C, |x| cmath::cos(x)),
            Op::Tan => un!(ins, n, p, s, C => C, |x| cmath::tan(x)),
            Op::Asin => un!(ins, n, p, s, C => C, |x| cmath::asin(x)),
            Op::Acos => un!(ins, n, p, s, C => C, |x| cmath::acos(x)),
            Op::Atan => un!(ins, n, p, s, C => C, |x| cmath::atan(x)),
            Op::Sinh => un!(ins, n, p, s, C => C, |x| cmath::sinh(x)),
            Op::Cosh => un!(ins, n, p, s, C => C, |x| cmath::cosh(x)),
            Op::Tanh => un!(ins, n, p, s, C => C, |x| cmath::tanh(x)),
            Op::Asinh => un!(ins, n, p, s, C => C, |x| cmath::asinh(x)),
            Op::Acosh => un!(ins, n, p, s, C => C, |x| cmath::acosh(x)),
            Op::Atanh => un!(ins, n, p, s, C => C, |x| cmath::atanh(x)),
            Op::Log => un!(ins, n, p, s, C => C, |x| cmath::log(x)),
            Op::Log10 => un!(ins, n, p, s, C => C, |x| cmath::log10(x)),
            Op::Log1p => un!(ins, n, p, s, C => C, |x| cmath::log1p(x)),
            Op::Exp => un!(ins, n, p, s, C => C, |x| cmath::exp(x)),
            Op::Expm1 => un!(ins, n, p, s, C => C, |x| cmath::expm1(x)),
            Op::Sqrt => un!(ins, n, p, s, C => C, |x| cmath::sqrt(x)),
            Op::Conj => un!(ins, n, p, s, C => C, |x| x.conj()),
            Op::Abs => un!(ins, n, p, s, C => f64, |x| x.norm()),
            Op::Real => un!(ins, n, p, s, C => f64, |x| x.re),
            Op::Imag => un!(ins, n, p, s, C => f64, |x| x.im),
            Op::Log2 => un!(ins, n, p, s, C => C, |x| complex_log2(x)),
            Op::Round => un!(ins, n, p, s, C => C, |x| C::new(x.re.round_ties_even(), x.im.round_ties_even())),
            Op::Sign => un!(ins, n, p, s, C => C, |x| complex_sign(x)),
            Op::IsNan => un!(ins, n, p, s, C => bool, |x| x.re.is_nan() || x.im.is_nan()),
            Op::IsFinite => un!(ins, n, p, s, C => bool, |x| x.re.is_finite() && x.im.is_finite()),
            Op::IsInf => un!(ins, n, p, s, C => bool, |x| x.re.is_infinite() || x.im.is_infinite()),
        })
    }
}

/// numpy's `log2` of a complex number: the natural logarithm with both
/// parts scaled by `log2(e)`.
fn complex_log2(z: Complex64) -> Complex64 {
    let l = cmath::log(z);
    Complex64::new(
        l.re * std::f64::consts::LOG2_E,
        l.im * std::f64::consts::LOG2_E,
    )
}

/// numpy's `sign` of a complex number: `z / |z|`, 0 for 0; with an
/// infinite part, the unit number pointing along it (NaN when both are
/// infinite, even beside a NaN); NaN otherwise when a part is NaN.
fn complex_sign(z: Complex64) -> Complex64 {
    let (re, im) = (z.re, z.im);
    if re.is_infinite() && im.is_infinite() {
        return Complex64::new(f64::NAN, f64::NAN);
    }
    if re.is_infinite() {
        return Complex64::new(1f64.copysign(re), 0.0);
    }
    if im.is_infinite() {
        return Complex64::new(0.0, 1f64.copysign(im));
    }
    let mag = re.hypot(im);
    if mag == 0.0 {
        Complex64::new(0.0, 0.0)
    } else {
        // NaN parts give a NaN magnitude, and NaN parts.
        Complex64::new(re / mag, im / mag)
    }
}

/// `bool`: `&`, `|` and `~` are logical, and comparisons order
/// `False < True`.
///
/// # Safety
/// The module's contract.
#[inline(always)]
pub(crate) unsafe fn boolean(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    // SAFETY: the module's contract.
    unsafe {
        match ins.op {
            Op::Copy => un!(ins, n, p, s, bool => bool, |x| x),
            Op::BitAnd => bin!(ins, n, p, s, bool => bool, |x, y| x & y),
            Op::BitOr => bin!(ins, n, p, s, bool => bool, |x, y| x | y),
            Op::BitXor => bin!(ins, n, p, s, bool => bool, |x, y| x ^ y),
            Op::Not => un!(ins, n, p, s, bool => bool, |x| !x),
            Op::Lt => bin!(ins, n, p, s, bool => bool, |x, y| !x & y),
            Op::Le => bin!(ins, n, p, s, bool => bool, |x, y| x <= y),
            Op::Eq => bin!(ins, n, p, s, bool => bool, |x, y| x == y),
            Op::Ne => bin!(ins, n, p, s, bool => bool, |x, y| x != y),
            Op::Ge => bin!(ins, n, p, s, bool => bool, |x, y| x >= y),
            Op::Gt => bin!(ins, n, p, s, bool => bool, |x, y| x & !y),
            Op::Where => select!(ins, n, p, s, bool),
            op => unreachable!("the type checker let {op:?} on a bool through"),
        }
    }
}

/// Upward casts along `bool < i32 < i64 < f32 < f64 < complex`, from the
/// instruction's `ty` to its `out`.
///
/// # Safety
/// The module's contract.
#[inline(always)]
pub(crate) unsafe fn cast(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    type C = Complex64;
    macro_rules! c {
        ($T:ty => $R:ty, |$x:ident| $body:expr) => {
            un!(ins, n, p, s, $T => $R, |$x| $body)
        };
    }
    use DType::*;
    // SAFETY: the module's contract.
    unsafe {
        match (ins.ty, ins.out) {
            (Bool, I32) => c!(bool => i32, |x| x as i32),
            (Bool, I64) => c!(bool => i64, |x| x as i64),
            (Bool, F32) => c!(bool => f32, |x| x as u8 as f32),
            (Bool, F64) => c!(bool => f64, |x| x as u8 as f64),
            (Bool, C128) => c!(bool => C, |x| C::new(x as u8 as f64, 0.0)),
            (I32, I64) => c!(i32 => i64, |x| x as i64),
            (I32, F32) => c!(i32 => f32, |x| x as f32),
            (I32, F64) => c!(i32 => f64, |x| x as f64),
            (I32, C128) => c!(i32 => C, |x| C::new(x as f64, 0.0)),
            (I64, F32) => c!(i64 => f32, |x| x as f32),
            (I64, F64) => c!(i64 => f64, |x| x.to_f64()),
            (I64, C128) => c!(i64 => C, |x| C::new(x as f64, 0.0)),
            (F32, F64) => c!(f32 => f64, |x| x as f64),
            (F32, C128) => c!(f32 => C, |x| C::new(x as f64, 0.0)),
            (F64, C128) => c!(f64 => C, |x| C::new(x, 0.0)),
            (a, b) => unreachable!("the compiler emitted a cast {a} -> {b}"),
        }
    }
}
