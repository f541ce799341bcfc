//! Constants with Python's arithmetic. numexpr hands the expression text
//! to Python, so every operation whose operands are all literals is
//! computed by Python before numexpr sees it: integers are exact (`2**31`
//! is 2147483648, `65536*65536` is 4294967296), `/` is true division,
//! `2**-1` is 0.5, `(-8)**0.5` is complex, and `1/0` raises. Only the
//! value that results becomes a typed constant, by numexpr's rule (see
//! [`PyConst::typed`]). Integers are held in 128 bits here (Python's have
//! no bound; a value beyond 128 bits is an error, as it would be once it
//! had to fit 64 bits).

use std::cmp::Ordering;
use std::fmt;

use num_complex::Complex64;

use crate::compile::ast::{BinOp, UnOp};
use crate::dtype::Scalar;
use crate::vm::numeric::Float;

/// A Python number: a literal, or an operation on literals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PyConst {
    /// `True` or `False` (an integer in arithmetic, as in Python).
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float (an `f64`).
    Float(f64),
    /// A complex number.
    Complex(Complex64),
}

/// Why Python refuses an operation on constants.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyError {
    /// A `TypeError`: the operator is not defined for these types (`1.5 <<
    /// 2`, `1j < 2`); the typed rules then say so in their own words.
    Type,
    /// A `ZeroDivisionError`, `OverflowError` or `ValueError`, with the
    /// message.
    Value(String),
}

/// The result of an operation on constants.
type PyResult = Result<PyConst, PyError>;

/// A `ZeroDivisionError`, `OverflowError` or `ValueError` saying `msg`.
fn fail(msg: &str) -> PyError {
    PyError::Value(msg.to_string())
}

/// The error for an integer past 128 bits.
fn too_big() -> PyError {
    fail("integer constant does not fit in 128 bits")
}

/// A number in Python's tower, after `bool` became `int`.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
    Complex(Complex64),
}

impl PyConst {
    /// The number this is in arithmetic (`True` is 1).
    fn num(self) -> Num {
        match self {
            PyConst::Bool(b) => Num::Int(i128::from(b)),
            PyConst::Int(i) => Num::Int(i),
            PyConst::Float(f) => Num::Float(f),
            PyConst::Complex(z) => Num::Complex(z),
        }
    }

    /// The integer this is, for `bool` and `int`.
    fn int(self) -> Option<i128> {
        match self.num() {
            Num::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The typed constant numexpr makes of a Python value: `bool`, `i32`
    /// when an integer fits, else `i64`, `f64`, complex. An integer beyond
    /// 64 bits is an error.
    pub(crate) fn typed(self) -> Result<Scalar, String> {
        Ok(match self {
            PyConst::Int(i) => match i32::try_from(i) {
                Ok(small) => Scalar::I32(small),
                Err(_) => Scalar::I64(fits_64(i)?),
            },
            other => other.numpy()?,
        })
    }

    /// The typed constant numpy makes of a Python value given to one of
    /// its functions: integers are `i64` (`abs(-2**31)` is 2147483648).
    pub(crate) fn numpy(self) -> Result<Scalar, String> {
        Ok(match self {
            PyConst::Bool(b) => Scalar::Bool(b),
            PyConst::Int(i) => Scalar::I64(fits_64(i)?),
            PyConst::Float(f) => Scalar::F64(f),
            PyConst::Complex(z) => Scalar::C128(z),
        })
    }

    /// Python's `.real` (with `real`) or `.imag` of the number: an
    /// integer's are integers, a float's floats.
    pub(crate) fn part(self, real: bool) -> PyConst {
        match (self.num(), real) {
            (Num::Int(i), true) => PyConst::Int(i),
            (Num::Int(_), false) => PyConst::Int(0),
            (Num::Float(f), true) => PyConst::Float(f),
            (Num::Float(_), false) => PyConst::Float(0.0),
            (Num::Complex(z), true) => PyConst::Float(z.re),
            (Num::Complex(z), false) => PyConst::Float(z.im),
        }
    }

    /// A unary operator, as Python computes it: `-True` is -1, `~True`
    /// is -2, `~1.5` is a `TypeError`.
    pub(crate) fn unary(self, op: UnOp) -> PyResult {
        Ok(match (op, self.num()) {
            (UnOp::Plus, n) => from_num(n),
            (UnOp::Neg, Num::Int(i)) => PyConst::Int(i.checked_neg().ok_or_else(too_big)?),
            (UnOp::Neg, Num::Float(f)) => PyConst::Float(-f),
            (UnOp::Neg, Num::Complex(z)) => PyConst::Complex(-z),
            (UnOp::Invert, Num::Int(i)) => PyConst::Int(!i),
            (UnOp::Invert, _) => return Err(PyError::Type),
        })
    }

    /// A binary operator, as Python computes it.
    pub(crate) fn binary(op: BinOp, l: PyConst, r: PyConst) -> PyResult {
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul => Ok(arith(op, l.num(), r.num())?),
            BinOp::Div => divide(l.num(), r.num()),
            BinOp::FloorDiv => floor_divide(l.num(), r.num()),
            BinOp::Mod => modulo(l.num(), r.num()),
            BinOp::Pow => power(l.num(), r.num()),
            BinOp::Shl | BinOp::Shr => {
                let (Some(a), Some(n)) = (l.int(), r.int()) else {
                    return Err(PyError::Type);
                };
                shift(op == BinOp::Shl, a, n)
            }
            BinOp::And | BinOp::Or | BinOp::Xor => {
                let bits = |a, b| match op {
                    BinOp::And => a & b,
                    BinOp::Or => a | b,
                    _ => a ^ b,
                };
                match (l, r) {
                    (PyConst::Bool(a), PyConst::Bool(b)) => {
                        Ok(PyConst::Bool(bits(i128::from(a), i128::from(b)) != 0))
                    }
                    _ => {
                        let (Some(a), Some(b)) = (l.int(), r.int()) else {
                            return Err(PyError::Type);
                        };
                        Ok(PyConst::Int(bits(a, b)))
                    }
                }
            }
            BinOp::Eq | BinOp::Ne => {
                let same = equal(l.num(), r.num());
                Ok(PyConst::Bool(same == (op == BinOp::Eq)))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = order(l.num(), r.num())?;
                Ok(PyConst::Bool(ord.is_some_and(|o| match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Le => o.is_le(),
                    BinOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                })))
            }
        }
    }
}

/// `i` as an `i64`, or the error numexpr gives (Python's `OverflowError`).
fn fits_64(i: i128) -> Result<i64, String> {
    i64::try_from(i).map_err(|_| format!("integer constant {i} does not fit in 64 bits"))
}

fn from_num(n: Num) -> PyConst {
    match n {
        Num::Int(i) => PyConst::Int(i),
        Num::Float(f) => PyConst::Float(f),
        Num::Complex(z) => PyConst::Complex(z),
    }
}

/// `l` and `r` converted to the wider of their kinds, as Python does
/// before an arithmetic operation (an `int` becomes the nearest float).
fn coerce(l: Num, r: Num) -> (Num, Num) {
    let float = |n: Num| match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
        Num::Complex(z) => z.re,
    };
    let complex = |n: Num| match n {
        Num::Complex(z) => z,
        n => Complex64::new(float(n), 0.0),
    };
    match (l, r) {
        (Num::Int(_), Num::Int(_)) | (Num::Float(_), Num::Float(_)) => (l, r),
        (Num::Complex(_), _) | (_, Num::Complex(_)) => {
            (Num::Complex(complex(l)), Num::Complex(complex(r)))
        }
        _ => (Num::Float(float(l)), Num::Float(float(r))),
    }
}

/// `+`, `-`, `*`: exact for integers, IEEE for floats, componentwise
/// (and the schoolbook product) for complex numbers.
fn arith(op: BinOp, l: Num, r: Num) -> PyResult {
    Ok(match coerce(l, r) {
        (Num::Int(a), Num::Int(b)) => PyConst::Int(
            match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                _ => a.checked_mul(b),
            }
            .ok_or_else(too_big)?,
        ),
        (Num::Float(a), Num::Float(b)) => PyConst::Float(match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            _ => a * b,
        }),
        (Num::Complex(a), Num::Complex(b)) => PyConst::Complex(match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            _ => Complex64::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re),
        }),
        _ => unreachable!("coerce gives operands of one kind"),
    })
}

/// True division: a float for integers (correctly rounded), an error for
/// a zero divisor.
fn divide(l: Num, r: Num) -> PyResult {
    Ok(match coerce(l, r) {
        (Num::Int(_), Num::Int(0)) => return Err(fail("division by zero")),
        (Num::Int(a), Num::Int(b)) => PyConst::Float(int_true_div(a, b)),
        (Num::Float(a), Num::Float(b)) => {
            if b == 0.0 {
                return Err(fail("float division by zero"));
            }
            PyConst::Float(a / b)
        }
        (Num::Complex(a), Num::Complex(b)) => {
            PyConst::Complex(c_quot(a, b).ok_or_else(|| fail("complex division by zero"))?)
        }
        _ => unreachable!("coerce gives operands of one kind"),
    })
}

/// `//`: the floor of the quotient, exact for integers, numpy's (and
/// CPython's) algorithm for floats; an error for a zero divisor, a
/// `TypeError` for complex numbers.
fn floor_divide(l: Num, r: Num) -> PyResult {
    Ok(match coerce(l, r) {
        (Num::Int(_), Num::Int(0)) => return Err(fail("integer division or modulo by zero")),
        (Num::Int(a), Num::Int(b)) => {
            // Only i128::MIN // -1 overflows.
            let q = a.checked_div(b).ok_or_else(too_big)?;
            PyConst::Int(if a % b != 0 && ((a < 0) != (b < 0)) {
                q - 1
            } else {
                q
            })
        }
        (Num::Float(a), Num::Float(b)) => {
            if b == 0.0 {
                return Err(fail("float floor division by zero"));
            }
            PyConst::Float(a.floor_div(b))
        }
        _ => return Err(PyError::Type),
    })
}

/// `%` with the sign of the divisor; an error for a zero divisor, a
/// `TypeError` for complex numbers.
fn modulo(l: Num, r: Num) -> PyResult {
    Ok(match coerce(l, r) {
        (Num::Int(_), Num::Int(0)) => return Err(fail("integer modulo by zero")),
        (Num::Int(a), Num::Int(b)) => {
            // i128::MIN % -1 overflows in Rust; the remainder is 0.
            let m = a.checked_rem(b).unwrap_or(0);
            PyConst::Int(if m != 0 && (m < 0) != (b < 0) {
                m + b
            } else {
                m
            })
        }
        (Num::Float(a), Num::Float(b)) => {
            if b == 0.0 {
                return Err(fail("float modulo"));
            }
            // CPython's float_rem.
            let m = a % b;
            PyConst::Float(if m == 0.0 {
                0.0f64.copysign(b)
            } else if (b < 0.0) != (m < 0.0) {
                m + b
            } else {
                m
            })
        }
        _ => return Err(PyError::Type),
    })
}

/// `<<` and `>>` on integers: exact, and an error for a negative count.
fn shift(left: bool, a: i128, n: i128) -> PyResult {
    if n < 0 {
        return Err(fail("negative shift count"));
    }
    if a == 0 {
        return Ok(PyConst::Int(0));
    }
    if !left {
        // Floor division by 2**n: -1 once a negative number is shifted out.
        return Ok(PyConst::Int(if n >= 127 { a >> 127 } else { a >> n }));
    }
    let n = u32::try_from(n)
        .ok()
        .filter(|&n| n < 127)
        .ok_or_else(too_big)?;
    let shifted = a << n;
    if shifted >> n != a {
        return Err(too_big());
    }
    Ok(PyConst::Int(shifted))
}

/// `==` between numbers of any kinds, exactly (an integer and a float
/// are compared as numbers, not after rounding the integer).
fn equal(l: Num, r: Num) -> bool {
    match (l, r) {
        (Num::Complex(a), Num::Complex(b)) => a == b,
        (Num::Complex(z), n) | (n, Num::Complex(z)) => {
            z.im == 0.0 && order(Num::Float(z.re), n) == Ok(Some(Ordering::Equal))
        }
        _ => order(l, r) == Ok(Some(Ordering::Equal)),
    }
}

/// The order of two real numbers (`None` when one is NaN), exactly; a
/// `TypeError` for complex numbers.
fn order(l: Num, r: Num) -> Result<Option<Ordering>, PyError> {
    Ok(match (l, r) {
        (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
        (Num::Float(a), Num::Float(b)) => a.partial_cmp(&b),
        (Num::Int(i), Num::Float(f)) => cmp_int_float(i, f),
        (Num::Float(f), Num::Int(i)) => cmp_int_float(i, f).map(Ordering::reverse),
        _ => return Err(PyError::Type),
    })
}

/// How the integer `i` compares with the float `f`, exactly.
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    const TWO_127: f64 = 170141183460469231731687303715884105728.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_127 {
        return Some(Ordering::Less);
    }
    if f < -TWO_127 {
        return Some(Ordering::Greater);
    }
    // |f| < 2**127 (or f = -2**127): its integral part fits exactly.
    let whole = f.trunc();
    Some(i.cmp(&(whole as i128)).then_with(|| {
        let frac = f - whole;
        if frac > 0.0 {
            Ordering::Less
        } else if frac < 0.0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }))
}

/// `a / b` for integers, correctly rounded to the nearest float (ties to
/// even), as Python's int true division is; `b` is not 0.
fn int_true_div(a: i128, b: i128) -> f64 {
    const EXACT: u128 = 1 << 53;
    let (n, d) = (a.unsigned_abs(), b.unsigned_abs());
    let negative = (a < 0) != (b < 0);
    if n <= EXACT && d <= EXACT {
        // Both are floats exactly, and IEEE division rounds correctly.
        return a as f64 / b as f64;
    }
    if n == 0 {
        // Zero, with the sign of the divisor (Python's `0 / -5` is -0.0).
        return if negative { -0.0 } else { 0.0 };
    }
    // Long division to at least 55 bits of quotient, the rest as a sticky
    // remainder: enough to round to 53 bits once.
    let bits = |q: u128| 128 - q.leading_zeros();
    let (mut q, mut r) = (n / d, n % d);
    let mut exp: i32 = 0;
    while bits(q) < 55 {
        // r < d <= 2**127, so r << 1 fits.
        r <<= 1;
        q <<= 1;
        if r >= d {
            r -= d;
            q |= 1;
        }
        exp -= 1;
    }
    let drop = bits(q) - 53;
    let mut mant = q >> drop;
    let rest = q & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if rest > half || (rest == half && (r != 0 || mant & 1 == 1)) {
        mant += 1;
    }
    // mant <= 2**53 and the scale is a power of two: the product is exact.
    let scale = exp + drop as i32;
    let v = mant as f64 * f64::from_bits(((1023 + scale) as u64) << 52);
    if negative {
        -v
    } else {
        v
    }
}

/// `a ** b`, as Python computes it: exact for integers with a
/// non-negative exponent, a float for a negative one (`2**-1` is 0.5),
/// complex for a negative float to a fractional power.
fn power(l: Num, r: Num) -> PyResult {
    match coerce(l, r) {
        (Num::Int(a), Num::Int(b)) if b >= 0 => int_pow(a, b),
        (Num::Int(a), Num::Int(b)) => float_pow(a as f64, b as f64),
        (Num::Float(a), Num::Float(b)) => float_pow(a, b),
        (Num::Complex(a), Num::Complex(b)) => complex_pow(a, b),
        _ => unreachable!("coerce gives operands of one kind"),
    }
}

/// `a ** b` for integers, `b >= 0`, exactly (by squaring).
fn int_pow(a: i128, b: i128) -> PyResult {
    match a {
        0 => return Ok(PyConst::Int(i128::from(b == 0))),
        1 => return Ok(PyConst::Int(1)),
        -1 => return Ok(PyConst::Int(if b % 2 == 0 { 1 } else { -1 })),
        _ => {}
    }
    // |a| >= 2, so a larger exponent overflows 128 bits.
    let b = u32::try_from(b)
        .ok()
        .filter(|&b| b < 128)
        .ok_or_else(too_big)?;
    Ok(PyConst::Int(a.checked_pow(b).ok_or_else(too_big)?))
}

/// CPython's `float_pow`: IEEE `pow` with Python's special cases.
fn float_pow(v: f64, w: f64) -> PyResult {
    let odd = |w: f64| w.abs() % 2.0 == 1.0;
    if w == 0.0 {
        return Ok(PyConst::Float(1.0));
    }
    if v.is_nan() {
        return Ok(PyConst::Float(v));
    }
    if w.is_nan() {
        return Ok(PyConst::Float(if v == 1.0 { 1.0 } else { w }));
    }
    if w.is_infinite() {
        let v = v.abs();
        return Ok(PyConst::Float(if v == 1.0 {
            1.0
        } else if (w > 0.0) == (v > 1.0) {
            w.abs()
        } else {
            0.0
        }));
    }
    if v.is_infinite() {
        return Ok(PyConst::Float(if w > 0.0 {
            if odd(w) {
                v
            } else {
                v.abs()
            }
        } else if odd(w) {
            0.0f64.copysign(v)
        } else {
            0.0
        }));
    }
    if v == 0.0 {
        if w < 0.0 {
            return Err(fail("0.0 cannot be raised to a negative power"));
        }
        return Ok(PyConst::Float(if odd(w) { v } else { 0.0 }));
    }
    let mut negate = false;
    let mut base = v;
    if v < 0.0 {
        if w != w.floor() {
            // A negative number to a fractional power is complex.
            return complex_pow(Complex64::new(v, 0.0), Complex64::new(w, 0.0));
        }
        base = -v;
        negate = odd(w);
    }
    if base == 1.0 {
        return Ok(PyConst::Float(if negate { -1.0 } else { 1.0 }));
    }
    let x = base.powf(w);
    if x.is_infinite() {
        return Err(fail(
            "float power overflows (Numerical result out of range)",
        ));
    }
    Ok(PyConst::Float(if negate { -x } else { x }))
}

/// CPython's `complex_pow`: repeated products for small integral
/// exponents, polar form otherwise; an error for 0 to a negative or
/// complex power and for an infinite result.
fn complex_pow(a: Complex64, b: Complex64) -> PyResult {
    let p = if b.im == 0.0 && b.re == b.re.floor() && b.re.abs() <= 100.0 {
        let n = b.re as i64;
        let pos = c_powu(a, n.unsigned_abs());
        if n > 0 {
            Some(pos)
        } else {
            c_quot(Complex64::new(1.0, 0.0), pos)
        }
    } else {
        c_pow(a, b)
    };
    let Some(p) = p else {
        return Err(fail("0.0 to a negative or complex power"));
    };
    if p.re.is_infinite() || p.im.is_infinite() {
        return Err(fail("complex exponentiation overflows"));
    }
    Ok(PyConst::Complex(p))
}

/// CPython's `_Py_c_prod`.
fn c_prod(a: Complex64, b: Complex64) -> Complex64 {
    Complex64::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

/// CPython's `c_powu`: `x ** n` by squaring.
fn c_powu(x: Complex64, n: u64) -> Complex64 {
    let mut r = Complex64::new(1.0, 0.0);
    let mut p = x;
    let mut mask = 1u64;
    while mask > 0 && n >= mask {
        if n & mask != 0 {
            r = c_prod(r, p);
        }
        mask <<= 1;
        p = c_prod(p, p);
    }
    r
}

/// CPython's `_Py_c_quot` (Smith's method); `None` for a zero divisor.
fn c_quot(a: Complex64, b: Complex64) -> Option<Complex64> {
    let (abs_re, abs_im) = (b.re.abs(), b.im.abs());
    if abs_re >= abs_im {
        if abs_re == 0.0 {
            return None;
        }
        let ratio = b.im / b.re;
        let denom = b.re + b.im * ratio;
        Some(Complex64::new(
            (a.re + a.im * ratio) / denom,
            (a.im - a.re * ratio) / denom,
        ))
    } else if abs_im >= abs_re {
        let ratio = b.re / b.im;
        let denom = b.re * ratio + b.im;
        Some(Complex64::new(
            (a.re * ratio + a.im) / denom,
            (a.im * ratio - a.re) / denom,
        ))
    } else {
        // A NaN part.
        Some(Complex64::new(f64::NAN, f64::NAN))
    }
}

/// CPython's `_Py_c_pow`, in polar form; `None` for 0 to a negative or
/// complex power.
fn c_pow(a: Complex64, b: Complex64) -> Option<Complex64> {
    if b.re == 0.0 && b.im == 0.0 {
        return Some(Complex64::new(1.0, 0.0));
    }
    if a.re == 0.0 && a.im == 0.0 {
        if b.im != 0.0 || b.re < 0.0 {
            return None;
        }
        return Some(Complex64::new(0.0, 0.0));
    }
    let vabs = a.re.hypot(a.im);
    let mut len = vabs.powf(b.re);
    let at = a.im.atan2(a.re);
    let mut phase = at * b.re;
    if b.im != 0.0 {
        len /= (at * b.im).exp();
        phase += b.im * vabs.ln();
    }
    Some(Complex64::new(len * phase.cos(), len * phase.sin()))
}

impl fmt::Display for PyConst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PyConst::Bool(v) => write!(f, "{}", if *v { "True" } else { "False" }),
            PyConst::Int(v) => write!(f, "{v}"),
            PyConst::Float(v) => write!(f, "{v}"),
            PyConst::Complex(v) => write!(f, "({}{:+}j)", v.re, v.im),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i128) -> PyConst {
        PyConst::Int(i)
    }

    #[test]
    fn integer_true_division_rounds_once() {
        // Exact quotients, and ties that rounding each operand first breaks.
        assert_eq!(int_true_div(1, 3), 1.0 / 3.0);
        assert_eq!(int_true_div((1 << 53) + 1, 1), 9007199254740992.0);
        assert_eq!(int_true_div((1 << 53) + 3, 1), 9007199254740996.0);
        assert_eq!(
            int_true_div(-((1 << 100) + 1), (1 << 60) + 3),
            -1099511627776.0
        );
        assert_eq!(int_true_div(10i128.pow(30), 7), 1.4285714285714285e29);
        assert_eq!(int_true_div(((1 << 53) + 1) * 3, 3), 9007199254740992.0);
        assert_eq!(int_true_div(i128::MIN, 1), -1.7014118346046923e38);
        assert_eq!(int_true_div(1, i128::MIN), -5.877471754111438e-39);
        let zero = int_true_div(0, -(1 << 60));
        assert_eq!((zero, zero.is_sign_negative()), (0.0, true));
    }

    #[test]
    fn python_semantics() {
        let b = |op, l, r| PyConst::binary(op, l, r);
        assert_eq!(b(BinOp::Pow, int(2), int(31)), Ok(int(1 << 31)));
        assert_eq!(b(BinOp::Pow, int(2), int(-1)), Ok(PyConst::Float(0.5)));
        assert_eq!(b(BinOp::Mod, int(7), int(-3)), Ok(int(-2)));
        assert_eq!(b(BinOp::FloorDiv, int(7), int(-3)), Ok(int(-3)));
        assert_eq!(b(BinOp::FloorDiv, int(-6), int(3)), Ok(int(-2)));
        assert_eq!(b(BinOp::FloorDiv, int(i128::MIN), int(-1)), Err(too_big()));
        assert_eq!(
            b(BinOp::FloorDiv, int(1), int(0)),
            Err(fail("integer division or modulo by zero"))
        );
        assert_eq!(
            b(BinOp::FloorDiv, PyConst::Float(1.0), PyConst::Float(0.1)),
            Ok(PyConst::Float(9.0))
        );
        assert_eq!(
            b(BinOp::FloorDiv, PyConst::Float(-0.0), int(3)),
            Ok(PyConst::Float(-0.0))
        );
        assert_eq!(
            b(BinOp::FloorDiv, PyConst::Float(1.0), PyConst::Float(-0.0)),
            Err(fail("float floor division by zero"))
        );
        assert_eq!(
            b(
                BinOp::FloorDiv,
                PyConst::Complex(Complex64::new(1.0, 0.0)),
                int(1)
            ),
            Err(PyError::Type)
        );
        assert_eq!(b(BinOp::Xor, int(3), int(5)), Ok(int(6)));
        assert_eq!(
            b(BinOp::Xor, PyConst::Bool(true), PyConst::Bool(true)),
            Ok(PyConst::Bool(false))
        );
        assert_eq!(b(BinOp::Xor, PyConst::Bool(true), int(2)), Ok(int(3)));
        assert_eq!(
            b(BinOp::Xor, PyConst::Float(1.0), int(2)),
            Err(PyError::Type)
        );
        assert_eq!(b(BinOp::Mod, int(i128::MIN), int(-1)), Ok(int(0)));
        assert_eq!(
            b(BinOp::Mod, PyConst::Float(-0.0), PyConst::Float(2.0)),
            Ok(PyConst::Float(0.0))
        );
        assert_eq!(b(BinOp::Shr, int(-5), int(1000)), Ok(int(-1)));
        assert_eq!(b(BinOp::Shl, int(1), int(126)), Ok(int(1 << 126)));
        assert_eq!(b(BinOp::Shl, int(1), int(127)), Err(too_big()));
        assert_eq!(
            b(BinOp::Shl, int(1), int(-1)),
            Err(fail("negative shift count"))
        );
        assert_eq!(b(BinOp::Pow, int(3), int(200)), Err(too_big()));
        assert_eq!(b(BinOp::Pow, int(-1), int(i128::MAX)), Ok(int(-1)));
        assert_eq!(
            b(BinOp::Add, PyConst::Bool(true), PyConst::Bool(true)),
            Ok(int(2))
        );
        assert_eq!(
            b(BinOp::And, PyConst::Bool(true), PyConst::Bool(false)),
            Ok(PyConst::Bool(false))
        );
        assert_eq!(PyConst::Bool(true).unary(UnOp::Invert), Ok(int(-2)));
        assert_eq!(PyConst::Float(1.5).unary(UnOp::Invert), Err(PyError::Type));
        let big = (1i128 << 53) + 1;
        assert_eq!(
            b(BinOp::Eq, int(big), PyConst::Float(big as f64)),
            Ok(PyConst::Bool(false))
        );
        assert_eq!(
            b(BinOp::Lt, int(big - 1), PyConst::Float(big as f64)),
            Ok(PyConst::Bool(false))
        );
        assert_eq!(
            b(
                BinOp::Eq,
                PyConst::Complex(Complex64::new(2.0, 0.0)),
                int(2)
            ),
            Ok(PyConst::Bool(true))
        );
        assert_eq!(
            b(
                BinOp::Lt,
                PyConst::Complex(Complex64::new(2.0, 0.0)),
                int(2)
            ),
            Err(PyError::Type)
        );
        assert_eq!(
            b(BinOp::Pow, PyConst::Float(0.0), int(-1)),
            Err(fail("0.0 cannot be raised to a negative power"))
        );
        let PyConst::Complex(z) = b(BinOp::Pow, int(-8), PyConst::Float(0.5)).unwrap() else {
            panic!("complex")
        };
        assert_eq!((z.re, z.im), (1.7319121124709868e-16, 2.8284271247461903));
    }

    #[test]
    fn typing_follows_numexpr_and_numpy() {
        assert_eq!(int(1 << 31).typed(), Ok(Scalar::I64(1 << 31)));
        assert_eq!(int(-(1 << 31)).typed(), Ok(Scalar::I32(i32::MIN)));
        assert_eq!(int(3).numpy(), Ok(Scalar::I64(3)));
        assert!(int(1 << 63).typed().is_err());
        assert_eq!(int(-(1 << 63)).typed(), Ok(Scalar::I64(i64::MIN)));
    }
}
