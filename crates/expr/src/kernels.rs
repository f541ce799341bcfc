//! The virtual machine's instructions and their inner loops.
//!
//! Every instruction works on one block of `n` elements. Its operands are
//! slots: a pointer to `n` elements (a block buffer, or straight into an
//! input array when that part of it is contiguous) or a pointer to a single
//! broadcast scalar. Each (operation, type) pair is a separate monomorphised
//! loop over slices with no branches inside, so LLVM vectorises them.

use std::ops::{Add, Div, Mul, Neg, Sub};

use num_complex::Complex64;

use crate::dtype::DType;
use runtime::Simd;

/// Operations of the virtual machine. Operand types are those of the
/// instruction's `ty`; the result type is its `out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Copy,
    Cast,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Mod,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    Atan2,
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
    Neg,
    Not,
    Square,
    Recip,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Log,
    Log10,
    Log1p,
    Exp,
    Expm1,
    Sqrt,
    Abs,
    Conj,
    Real,
    Imag,
    Complex,
    /// `where(c, a, b)`: `c` is bool, `a`, `b` of type `ty`.
    Where,
    /// `a*b + c` in one pass (rounded like the unfused form).
    MulAdd,
    /// `a*b - c`.
    MulSub,
    /// `c - a*b`.
    NegMulAdd,
    /// `(a + b) + c`.
    Add3,
    /// `((a + b) + c) + d`.
    Add4,
    /// `d + a*(b - c*d)` (an explicit update step), reading `d` once.
    Relax,
    /// `(a*b)*c + d`.
    Mul3Add,
    /// `a*b + c*d`: e.g. the `a**2 + b**2` of `a**2 + b**2 + 2*a*b`, whose
    /// first pass then reads both inputs (two streams from memory at once
    /// instead of one after the other).
    MulMulAdd,
    /// `a*b - c*d`.
    MulMulSub,
    /// `x + k*((((a+b)+c)+d) - w*x)` with operands `[k, a, b, c, d, w, x]`:
    /// the explicit 5-point stencil update (diffusion, Jacobi-like steps)
    /// in one pass: five reads and one write per element.
    RelaxSum4,
}

/// The most operands an instruction takes.
pub(crate) const MAX_ARGS: usize = 7;

/// One instruction: `slots[dst] = op(slots[args[0]], ..., slots[args[3]])`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instr {
    pub op: Op,
    /// Type of the (last) operands, which selects the loop.
    pub ty: DType,
    /// Type of the result.
    pub out: DType,
    pub dst: usize,
    pub args: [usize; MAX_ARGS],
}

/// An operand: a block of elements or one broadcast value.
#[derive(Clone, Copy)]
enum Src<'a, T> {
    S(&'a [T]),
    K(T),
}

/// Reads operand `slot` as a block of `n` elements or a scalar.
///
/// # Safety
/// `ptrs[slot]` must point to `n` valid elements of `T` (or one when scalar).
#[inline(always)]
unsafe fn src<'a, T: Copy>(ptrs: &[*mut u8], scal: &[bool], slot: usize, n: usize) -> Src<'a, T> {
    if scal[slot] {
        Src::K(*(ptrs[slot] as *const T))
    } else {
        Src::S(std::slice::from_raw_parts(ptrs[slot] as *const T, n))
    }
}

#[inline(always)]
unsafe fn dst<'a, T>(ptrs: &[*mut u8], slot: usize, n: usize) -> &'a mut [T] {
    std::slice::from_raw_parts_mut(ptrs[slot] as *mut T, n)
}

#[inline(always)]
fn map1<A: Copy, R: Copy>(d: &mut [R], a: Src<A>, f: impl Fn(A) -> R) {
    match a {
        Src::S(x) => {
            for (d, &x) in d.iter_mut().zip(x) {
                *d = f(x);
            }
        }
        Src::K(k) => d.fill(f(k)),
    }
}

#[inline(always)]
fn map2<A: Copy, B: Copy, R: Copy>(d: &mut [R], a: Src<A>, b: Src<B>, f: impl Fn(A, B) -> R) {
    match (a, b) {
        (Src::S(x), Src::S(y)) => {
            for ((d, &x), &y) in d.iter_mut().zip(x).zip(y) {
                *d = f(x, y);
            }
        }
        (Src::S(x), Src::K(y)) => {
            for (d, &x) in d.iter_mut().zip(x) {
                *d = f(x, y);
            }
        }
        (Src::K(x), Src::S(y)) => {
            for (d, &y) in d.iter_mut().zip(y) {
                *d = f(x, y);
            }
        }
        (Src::K(x), Src::K(y)) => d.fill(f(x, y)),
    }
}

#[inline(always)]
fn map3<A: Copy, B: Copy, C: Copy, R: Copy>(
    d: &mut [R],
    a: Src<A>,
    b: Src<B>,
    c: Src<C>,
    f: impl Fn(A, B, C) -> R,
) {
    use Src::{K, S};
    match (a, b, c) {
        (S(x), S(y), S(z)) => {
            for (((d, &x), &y), &z) in d.iter_mut().zip(x).zip(y).zip(z) {
                *d = f(x, y, z);
            }
        }
        (K(x), S(y), S(z)) => {
            for ((d, &y), &z) in d.iter_mut().zip(y).zip(z) {
                *d = f(x, y, z);
            }
        }
        (S(x), K(y), S(z)) => {
            for ((d, &x), &z) in d.iter_mut().zip(x).zip(z) {
                *d = f(x, y, z);
            }
        }
        (S(x), S(y), K(z)) => {
            for ((d, &x), &y) in d.iter_mut().zip(x).zip(y) {
                *d = f(x, y, z);
            }
        }
        (K(x), K(y), S(z)) => {
            for (d, &z) in d.iter_mut().zip(z) {
                *d = f(x, y, z);
            }
        }
        (K(x), S(y), K(z)) => {
            for (d, &y) in d.iter_mut().zip(y) {
                *d = f(x, y, z);
            }
        }
        (S(x), K(y), K(z)) => {
            for (d, &x) in d.iter_mut().zip(x) {
                *d = f(x, y, z);
            }
        }
        (K(x), K(y), K(z)) => d.fill(f(x, y, z)),
    }
}

/// Four operands: the all-blocks case is the vectorised loop; mixes with
/// scalars (rare: constants are folded) take a per-element path.
#[inline(always)]
fn map4<T: Copy>(
    d: &mut [T],
    a: Src<T>,
    b: Src<T>,
    c: Src<T>,
    e: Src<T>,
    f: impl Fn(T, T, T, T) -> T,
) {
    match (a, b, c, e) {
        (Src::S(a), Src::S(b), Src::S(c), Src::S(e)) => {
            for ((((d, &a), &b), &c), &e) in d.iter_mut().zip(a).zip(b).zip(c).zip(e) {
                *d = f(a, b, c, e);
            }
            return;
        }
        // Mul3Add's usual form: a constant factor first.
        (Src::K(a), Src::S(b), Src::S(c), Src::S(e)) => {
            for (((d, &b), &c), &e) in d.iter_mut().zip(b).zip(c).zip(e) {
                *d = f(a, b, c, e);
            }
            return;
        }
        // Relax's usual form: scalar coefficients, array operands.
        (Src::K(a), Src::S(b), Src::K(c), Src::S(e)) => {
            for ((d, &b), &e) in d.iter_mut().zip(b).zip(e) {
                *d = f(a, b, c, e);
            }
            return;
        }
        _ => {}
    }
    let at = |s: Src<T>, i: usize| match s {
        Src::S(x) => x[i],
        Src::K(k) => k,
    };
    for (i, d) in d.iter_mut().enumerate() {
        *d = f(at(a, i), at(b, i), at(c, i), at(e, i));
    }
}

/// `RelaxSum4` over any element type with the given arithmetic.
#[inline(always)]
unsafe fn relax_sum4<T: Copy>(
    ins: &Instr,
    n: usize,
    p: &[*mut u8],
    s: &[bool],
    f: impl Fn(T, T, T, T, T, T, T) -> T,
) {
    // Written out: `std::array::from_fn` was left as a call, 4% of diff2d's time.
    let arg = |i: usize| src::<T>(p, s, ins.args[i], n);
    let a: [Src<T>; 7] = [arg(0), arg(1), arg(2), arg(3), arg(4), arg(5), arg(6)];
    let d = dst::<T>(p, ins.dst, n);
    if let [Src::K(k), Src::S(x1), Src::S(x2), Src::S(x3), Src::S(x4), Src::K(w), Src::S(x)] = a {
        // The usual form: scalar coefficients, five rows.
        let rows = x1.iter().zip(x2).zip(x3).zip(x4).zip(x);
        for (d, ((((&a, &b), &c), &e), &x)) in d.iter_mut().zip(rows) {
            *d = f(k, a, b, c, e, w, x);
        }
        return;
    }
    let at = |s: Src<T>, i: usize| match s {
        Src::S(v) => v[i],
        Src::K(k) => k,
    };
    for (i, d) in d.iter_mut().enumerate() {
        *d = f(
            at(a[0], i),
            at(a[1], i),
            at(a[2], i),
            at(a[3], i),
            at(a[4], i),
            at(a[5], i),
            at(a[6], i),
        );
    }
}

/// Block versions of the transcendental functions: vectorised for `f64`
/// (see [`crate::vmath`]), libm per element otherwise.
pub(crate) trait BlockMath: Sized + Copy {
    fn sin_block(d: &mut [Self], x: &[Self]);
    fn cos_block(d: &mut [Self], x: &[Self]);
    fn exp_block(d: &mut [Self], x: &[Self]);
}

impl BlockMath for f64 {
    #[inline(always)]
    fn sin_block(d: &mut [f64], x: &[f64]) {
        crate::vmath::sin(d, x)
    }
    #[inline(always)]
    fn cos_block(d: &mut [f64], x: &[f64]) {
        crate::vmath::cos(d, x)
    }
    #[inline(always)]
    fn exp_block(d: &mut [f64], x: &[f64]) {
        crate::vmath::exp(d, x)
    }
}

impl BlockMath for f32 {
    #[inline(always)]
    fn sin_block(d: &mut [f32], x: &[f32]) {
        map1(d, Src::S(x), f32::sin)
    }
    #[inline(always)]
    fn cos_block(d: &mut [f32], x: &[f32]) {
        map1(d, Src::S(x), f32::cos)
    }
    #[inline(always)]
    fn exp_block(d: &mut [f32], x: &[f32]) {
        map1(d, Src::S(x), f32::exp)
    }
}

/// Real floating-point element types.
pub(crate) trait Float:
    BlockMath
    + Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
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

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline(always)]
            fn asin(self) -> Self {
                <$t>::asin(self)
            }
            #[inline(always)]
            fn acos(self) -> Self {
                <$t>::acos(self)
            }
            #[inline(always)]
            fn atan(self) -> Self {
                <$t>::atan(self)
            }
            #[inline(always)]
            fn sinh(self) -> Self {
                <$t>::sinh(self)
            }
            #[inline(always)]
            fn cosh(self) -> Self {
                <$t>::cosh(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn asinh(self) -> Self {
                <$t>::asinh(self)
            }
            #[inline(always)]
            fn acosh(self) -> Self {
                <$t>::acosh(self)
            }
            #[inline(always)]
            fn atanh(self) -> Self {
                <$t>::atanh(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn log10(self) -> Self {
                <$t>::log10(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, o: Self) -> Self {
                <$t>::powf(self, o)
            }
            #[inline(always)]
            fn atan2(self, o: Self) -> Self {
                <$t>::atan2(self, o)
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

/// Integer element types; all arithmetic wraps, and division by zero gives 0
/// (numpy's result, without its warning), so no input can panic.
pub(crate) trait Int: Copy + Ord + Default {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn neg(self) -> Self;
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
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn neg(self) -> Self {
                self.wrapping_neg()
            }
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

/// Runs one instruction on a block (constant folding uses it, with `n` = 1).
///
/// # Safety
/// As for [`exec_program`].
pub(crate) unsafe fn exec(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    exec_program(Simd::Base, std::slice::from_ref(ins), n, ptrs, scal)
}

/// Runs a whole program on one block with the loops compiled for `simd`.
///
/// Each SIMD level has exactly one copy of the VM's loops (every operation ×
/// type × scalar/block mix), in a function of its own that is never inlined:
/// inlining them into each caller made this crate take most of a release
/// build's ten minutes to optimise, for no measurable speed (the call is
/// once per instruction and block of up to [`crate::exec::BLOCK`]
/// elements). No FMA
/// contraction happens in Rust, so every level gives the same bits.
///
/// # Safety
/// Every instruction's slots must point to `n` valid elements of its types
/// (one for a scalar slot), the destination of each must not overlap its
/// operands, and the CPU must support `simd`.
pub(crate) unsafe fn exec_program(
    simd: Simd,
    prog: &[Instr],
    n: usize,
    ptrs: &[*mut u8],
    scal: &[bool],
) {
    // One call per instruction, with the loop over the program out here:
    // inside the big per-level functions LLVM hoisted what every op's loop
    // derives from `n` (trip counts, masks, constants) out of the loop over
    // instructions, so each call paid a prologue computing and spilling all
    // of them. `Expr::iterate` runs a one-instruction program once per row
    // of a few hundred cells, where that prologue cost a fifth of the row.
    for ins in prog {
        match simd {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => exec_avx512(ins, n, ptrs, scal),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => exec_avx2(ins, n, ptrs, scal),
            _ => exec_base(ins, n, ptrs, scal),
        }
    }
}

/// The VM's loops for baseline x86-64 (SSE2) or a non-x86 target.
#[inline(never)]
unsafe fn exec_base(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    exec_any(ins, n, ptrs, scal)
}

/// The VM's loops compiled for AVX2 (4 doubles per instruction).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
unsafe fn exec_avx2(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    exec_any(ins, n, ptrs, scal)
}

/// The VM's loops compiled for AVX-512 (8 doubles per instruction).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline(never)]
unsafe fn exec_avx512(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    exec_any(ins, n, ptrs, scal)
}

/// One instruction: the body of the three functions above, inlined into
/// each so that it is compiled for its level.
#[inline(always)]
unsafe fn exec_any(ins: &Instr, n: usize, ptrs: &[*mut u8], scal: &[bool]) {
    if ins.op == Op::Cast {
        return cast(ins, n, ptrs, scal);
    }
    match ins.ty {
        DType::F64 => float::<f64>(ins, n, ptrs, scal),
        DType::F32 => float::<f32>(ins, n, ptrs, scal),
        DType::I64 => int::<i64>(ins, n, ptrs, scal),
        DType::I32 => int::<i32>(ins, n, ptrs, scal),
        DType::Bool => boolean(ins, n, ptrs, scal),
        DType::C128 => complex(ins, n, ptrs, scal),
    }
}

macro_rules! un {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty => $R:ty, |$x:ident| $body:expr) => {{
        let a = src::<$T>($ptrs, $scal, $ins.args[0], $n);
        map1(dst::<$R>($ptrs, $ins.dst, $n), a, |$x: $T| $body)
    }};
}
macro_rules! bin {
    ($ins:ident, $n:ident, $ptrs:ident, $scal:ident, $T:ty => $R:ty, |$x:ident, $y:ident| $body:expr) => {{
        let a = src::<$T>($ptrs, $scal, $ins.args[0], $n);
        let b = src::<$T>($ptrs, $scal, $ins.args[1], $n);
        map2(dst::<$R>($ptrs, $ins.dst, $n), a, b, |$x: $T, $y: $T| $body)
    }};
}
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

/// sin (0), cos (1) or exp (2) with the block implementations (scalars use
/// libm). Called directly, not through closures, so that they are inlined
/// into the AVX2 build of the VM loop.
#[inline(always)]
unsafe fn block_fn<T: Float>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool], which: u8) {
    let d = dst::<T>(p, ins.dst, n);
    match (src::<T>(p, s, ins.args[0], n), which) {
        (Src::S(x), 0) => T::sin_block(d, x),
        (Src::S(x), 1) => T::cos_block(d, x),
        (Src::S(x), _) => T::exp_block(d, x),
        (Src::K(k), 0) => d.fill(k.sin()),
        (Src::K(k), 1) => d.fill(k.cos()),
        (Src::K(k), _) => d.fill(k.exp()),
    }
}

#[inline(always)]
unsafe fn float<T: Float + 'static>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    match ins.op {
        Op::Copy => un!(ins, n, p, s, T => T, |x| x),
        Op::Add => bin!(ins, n, p, s, T => T, |x, y| x + y),
        Op::Sub => bin!(ins, n, p, s, T => T, |x, y| x - y),
        Op::Mul => bin!(ins, n, p, s, T => T, |x, y| x * y),
        Op::Div => bin!(ins, n, p, s, T => T, |x, y| x / y),
        Op::Pow => bin!(ins, n, p, s, T => T, |x, y| x.powf(y)),
        Op::Mod => bin!(ins, n, p, s, T => T, |x, y| x.rem(y)),
        Op::Atan2 => bin!(ins, n, p, s, T => T, |x, y| x.atan2(y)),
        Op::Lt => bin!(ins, n, p, s, T => bool, |x, y| x < y),
        Op::Le => bin!(ins, n, p, s, T => bool, |x, y| x <= y),
        Op::Eq => bin!(ins, n, p, s, T => bool, |x, y| x == y),
        Op::Ne => bin!(ins, n, p, s, T => bool, |x, y| x != y),
        Op::Ge => bin!(ins, n, p, s, T => bool, |x, y| x >= y),
        Op::Gt => bin!(ins, n, p, s, T => bool, |x, y| x > y),
        Op::Neg => un!(ins, n, p, s, T => T, |x| -x),
        Op::Square => un!(ins, n, p, s, T => T, |x| x * x),
        Op::Recip => un!(ins, n, p, s, T => T, |x| T::ONE / x),
        Op::Sin => block_fn::<T>(ins, n, p, s, 0),
        Op::Cos => block_fn::<T>(ins, n, p, s, 1),
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
        Op::Exp => block_fn::<T>(ins, n, p, s, 2),
        Op::Expm1 => un!(ins, n, p, s, T => T, |x| x.exp_m1()),
        Op::Sqrt => un!(ins, n, p, s, T => T, |x| x.sqrt()),
        Op::Abs => un!(ins, n, p, s, T => T, |x| x.abs()),
        Op::Conj | Op::Real => un!(ins, n, p, s, T => T, |x| x),
        Op::Imag => un!(ins, n, p, s, T => T, |_x| T::ZERO),
        Op::Where => select!(ins, n, p, s, T),
        Op::MulAdd => ter!(ins, n, p, s, T, |x, y, z| x * y + z),
        Op::MulSub => ter!(ins, n, p, s, T, |x, y, z| x * y - z),
        Op::NegMulAdd => ter!(ins, n, p, s, T, |x, y, z| z - x * y),
        Op::Add3 => ter!(ins, n, p, s, T, |x, y, z| (x + y) + z),
        Op::Add4 => quad!(ins, n, p, s, T, |x, y, z, w| ((x + y) + z) + w),
        Op::Relax => quad!(ins, n, p, s, T, |k, t, c, x| x + k * (t - c * x)),
        Op::Mul3Add => quad!(ins, n, p, s, T, |a, b, c, d| (a * b) * c + d),
        Op::MulMulAdd => quad!(ins, n, p, s, T, |a, b, c, d| a * b + c * d),
        Op::MulMulSub => quad!(ins, n, p, s, T, |a, b, c, d| a * b - c * d),
        Op::RelaxSum4 => relax_sum4::<T>(ins, n, p, s, |k, a, b, c, d, w, x| {
            x + k * ((((a + b) + c) + d) - w * x)
        }),
        Op::Complex => {
            let a = src::<f64>(p, s, ins.args[0], n);
            let b = src::<f64>(p, s, ins.args[1], n);
            map2(dst::<Complex64>(p, ins.dst, n), a, b, |x, y| {
                Complex64::new(x, y)
            })
        }
        op => unreachable!("type checker let {op:?} on a float through"),
    }
}

#[inline(always)]
unsafe fn int<T: Int + 'static>(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    match ins.op {
        Op::Copy | Op::Conj | Op::Real => un!(ins, n, p, s, T => T, |x| x),
        Op::Add => bin!(ins, n, p, s, T => T, |x, y| x.add(y)),
        Op::Sub => bin!(ins, n, p, s, T => T, |x, y| x.sub(y)),
        Op::Mul => bin!(ins, n, p, s, T => T, |x, y| x.mul(y)),
        Op::Pow => bin!(ins, n, p, s, T => T, |x, y| x.pow(y)),
        Op::Mod => bin!(ins, n, p, s, T => T, |x, y| x.rem(y)),
        Op::Shl => bin!(ins, n, p, s, T => T, |x, y| x.shl(y)),
        Op::Shr => bin!(ins, n, p, s, T => T, |x, y| x.shr(y)),
        Op::BitAnd => bin!(ins, n, p, s, T => T, |x, y| x.and(y)),
        Op::BitOr => bin!(ins, n, p, s, T => T, |x, y| x.or(y)),
        Op::Lt => bin!(ins, n, p, s, T => bool, |x, y| x < y),
        Op::Le => bin!(ins, n, p, s, T => bool, |x, y| x <= y),
        Op::Eq => bin!(ins, n, p, s, T => bool, |x, y| x == y),
        Op::Ne => bin!(ins, n, p, s, T => bool, |x, y| x != y),
        Op::Ge => bin!(ins, n, p, s, T => bool, |x, y| x >= y),
        Op::Gt => bin!(ins, n, p, s, T => bool, |x, y| x > y),
        Op::Neg => un!(ins, n, p, s, T => T, |x| x.neg()),
        Op::Not => un!(ins, n, p, s, T => T, |x| x.not()),
        Op::Square => un!(ins, n, p, s, T => T, |x| x.mul(x)),
        Op::Abs => un!(ins, n, p, s, T => T, |x| x.abs()),
        Op::Imag => un!(ins, n, p, s, T => T, |_x| T::default()),
        Op::Where => select!(ins, n, p, s, T),
        Op::MulAdd => ter!(ins, n, p, s, T, |x, y, z| x.mul(y).add(z)),
        Op::MulSub => ter!(ins, n, p, s, T, |x, y, z| x.mul(y).sub(z)),
        Op::NegMulAdd => ter!(ins, n, p, s, T, |x, y, z| z.sub(x.mul(y))),
        Op::Add3 => ter!(ins, n, p, s, T, |x, y, z| x.add(y).add(z)),
        Op::Add4 => quad!(ins, n, p, s, T, |x, y, z, w| x.add(y).add(z).add(w)),
        Op::Relax => quad!(ins, n, p, s, T, |k, t, c, x| x.add(k.mul(t.sub(c.mul(x))))),
        Op::Mul3Add => quad!(ins, n, p, s, T, |a, b, c, d| a.mul(b).mul(c).add(d)),
        Op::MulMulAdd => quad!(ins, n, p, s, T, |a, b, c, d| a.mul(b).add(c.mul(d))),
        Op::MulMulSub => quad!(ins, n, p, s, T, |a, b, c, d| a.mul(b).sub(c.mul(d))),
        Op::RelaxSum4 => relax_sum4::<T>(ins, n, p, s, |k, a, b, c, d, w, x| {
            x.add(k.mul(a.add(b).add(c).add(d).sub(w.mul(x))))
        }),
        op => unreachable!("type checker let {op:?} on an integer through"),
    }
}

#[inline(always)]
unsafe fn boolean(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    match ins.op {
        Op::Copy => un!(ins, n, p, s, bool => bool, |x| x),
        Op::BitAnd => bin!(ins, n, p, s, bool => bool, |x, y| x & y),
        Op::BitOr => bin!(ins, n, p, s, bool => bool, |x, y| x | y),
        Op::Not => un!(ins, n, p, s, bool => bool, |x| !x),
        Op::Lt => bin!(ins, n, p, s, bool => bool, |x, y| !x & y),
        Op::Le => bin!(ins, n, p, s, bool => bool, |x, y| x <= y),
        Op::Eq => bin!(ins, n, p, s, bool => bool, |x, y| x == y),
        Op::Ne => bin!(ins, n, p, s, bool => bool, |x, y| x != y),
        Op::Ge => bin!(ins, n, p, s, bool => bool, |x, y| x >= y),
        Op::Gt => bin!(ins, n, p, s, bool => bool, |x, y| x & !y),
        Op::Where => select!(ins, n, p, s, bool),
        op => unreachable!("type checker let {op:?} on a bool through"),
    }
}

#[inline(always)]
unsafe fn complex(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    type C = Complex64;
    let one = C::new(1.0, 0.0);
    match ins.op {
        Op::Copy => un!(ins, n, p, s, C => C, |x| x),
        Op::Add => bin!(ins, n, p, s, C => C, |x, y| x + y),
        Op::Sub => bin!(ins, n, p, s, C => C, |x, y| x - y),
        Op::Mul => bin!(ins, n, p, s, C => C, |x, y| x * y),
        Op::Div => bin!(ins, n, p, s, C => C, |x, y| x / y),
        Op::Pow => bin!(ins, n, p, s, C => C, |x, y| x.powc(y)),
        Op::Eq => bin!(ins, n, p, s, C => bool, |x, y| x == y),
        Op::Ne => bin!(ins, n, p, s, C => bool, |x, y| x != y),
        Op::Neg => un!(ins, n, p, s, C => C, |x| -x),
        Op::Square => un!(ins, n, p, s, C => C, |x| x * x),
        Op::Recip => un!(ins, n, p, s, C => C, |x| one / x),
        Op::Sin => un!(ins, n, p, s, C => C, |x| x.sin()),
        Op::Cos => un!(ins, n, p, s, C => C, |x| x.cos()),
        Op::Tan => un!(ins, n, p, s, C => C, |x| x.tan()),
        Op::Asin => un!(ins, n, p, s, C => C, |x| x.asin()),
        Op::Acos => un!(ins, n, p, s, C => C, |x| x.acos()),
        Op::Atan => un!(ins, n, p, s, C => C, |x| x.atan()),
        Op::Sinh => un!(ins, n, p, s, C => C, |x| x.sinh()),
        Op::Cosh => un!(ins, n, p, s, C => C, |x| x.cosh()),
        Op::Tanh => un!(ins, n, p, s, C => C, |x| x.tanh()),
        Op::Asinh => un!(ins, n, p, s, C => C, |x| x.asinh()),
        Op::Acosh => un!(ins, n, p, s, C => C, |x| x.acosh()),
        Op::Atanh => un!(ins, n, p, s, C => C, |x| x.atanh()),
        Op::Log => un!(ins, n, p, s, C => C, |x| x.ln()),
        Op::Log10 => un!(ins, n, p, s, C => C, |x| x.log10()),
        Op::Log1p => un!(ins, n, p, s, C => C, |x| (x + one).ln()),
        Op::Exp => un!(ins, n, p, s, C => C, |x| x.exp()),
        Op::Expm1 => un!(ins, n, p, s, C => C, |x| x.exp() - one),
        Op::Sqrt => un!(ins, n, p, s, C => C, |x| x.sqrt()),
        Op::Conj => un!(ins, n, p, s, C => C, |x| x.conj()),
        Op::Abs => un!(ins, n, p, s, C => f64, |x| x.norm()),
        Op::Real => un!(ins, n, p, s, C => f64, |x| x.re),
        Op::Imag => un!(ins, n, p, s, C => f64, |x| x.im),
        Op::Where => select!(ins, n, p, s, C),
        Op::MulAdd => ter!(ins, n, p, s, C, |x, y, z| x * y + z),
        Op::MulSub => ter!(ins, n, p, s, C, |x, y, z| x * y - z),
        Op::NegMulAdd => ter!(ins, n, p, s, C, |x, y, z| z - x * y),
        Op::Add3 => ter!(ins, n, p, s, C, |x, y, z| (x + y) + z),
        Op::Add4 => quad!(ins, n, p, s, C, |x, y, z, w| ((x + y) + z) + w),
        Op::Relax => quad!(ins, n, p, s, C, |k, t, c, x| x + k * (t - c * x)),
        Op::Mul3Add => quad!(ins, n, p, s, C, |a, b, c, d| (a * b) * c + d),
        Op::MulMulAdd => quad!(ins, n, p, s, C, |a, b, c, d| a * b + c * d),
        Op::MulMulSub => quad!(ins, n, p, s, C, |a, b, c, d| a * b - c * d),
        Op::RelaxSum4 => relax_sum4::<C>(ins, n, p, s, |k, a, b, c, d, w, x| {
            x + k * ((((a + b) + c) + d) - w * x)
        }),
        op => unreachable!("type checker let {op:?} on a complex through"),
    }
}

/// Upward casts along `bool < i32 < i64 < f32 < f64 < complex`.
#[inline(always)]
unsafe fn cast(ins: &Instr, n: usize, p: &[*mut u8], s: &[bool]) {
    type C = Complex64;
    macro_rules! c {
        ($T:ty => $R:ty, |$x:ident| $body:expr) => {
            un!(ins, n, p, s, $T => $R, |$x| $body)
        };
    }
    use DType::*;
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
        (a, b) => unreachable!("compiler emitted a cast {a} -> {b}"),
    }
}
