//! Element types, scalar values and numexpr's casting rules.

use std::fmt;

use num_complex::Complex64;

/// The element types the engine computes with.
///
/// They are ordered by numexpr's *kind ranking*
/// `bool < i32 < i64 < f32 < f64 < complex`; the common type of two operands is
/// the higher of the two (see the crate doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum DType {
    /// `bool`.
    Bool,
    /// 32-bit signed integer (numexpr's `int`).
    #[cfg_attr(feature = "clap", value(alias = "int32"))]
    I32,
    /// 64-bit signed integer (numexpr's `long`).
    #[cfg_attr(feature = "clap", value(alias = "int64"))]
    I64,
    /// 32-bit float (numexpr's `float`).
    #[cfg_attr(feature = "clap", value(alias = "float32"))]
    F32,
    /// 64-bit float (numexpr's `double`).
    #[cfg_attr(feature = "clap", value(alias = "float64"))]
    F64,
    /// Complex number with two `f64` parts (numexpr's `complex`).
    #[cfg_attr(
        feature = "clap",
        value(name = "complex", alias = "c128", alias = "complex128")
    )]
    C128,
}

impl DType {
    /// The name used in messages and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::C128 => "complex",
        }
    }

    /// Parses a name as printed by [`DType::name`] (also accepts numpy's
    /// spellings `float64`, `int32`, `complex128`...).
    pub fn parse(s: &str) -> Option<DType> {
        Some(match s {
            "bool" => DType::Bool,
            "i32" | "int32" => DType::I32,
            "i64" | "int64" => DType::I64,
            "f32" | "float32" => DType::F32,
            "f64" | "float64" => DType::F64,
            "complex" | "c128" | "complex128" => DType::C128,
            _ => return None,
        })
    }

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
            DType::C128 => 16,
        }
    }

    /// Whether this is `i32` or `i64`.
    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::I64)
    }

    /// Whether this is `f32` or `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// The common type of two operands: the higher kind.
    pub fn common(self, other: DType) -> DType {
        self.max(other)
    }

    /// Whether a value of this type may be stored into `to` without losing
    /// its kind (an upward cast in the kind ranking).
    pub fn casts_safely_to(self, to: DType) -> bool {
        self <= to
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of an input as a signature declares it.
///
/// Numbers are declared by the type the engine computes them in: an input
/// of a narrower type is declared as the type it widens to (a `u32` array
/// is an [`I64`](DType::I64) input, see [`crate::Arg`]). Byte strings have
/// a type of their own, whatever their width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputType {
    /// Numbers of this type.
    Number(DType),
    /// Fixed-width byte strings (numpy's `S` arrays, numexpr's `bytes`).
    Bytes,
}

impl From<DType> for InputType {
    fn from(dt: DType) -> InputType {
        InputType::Number(dt)
    }
}

impl fmt::Display for InputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputType::Number(dt) => dt.fmt(f),
            InputType::Bytes => f.write_str("bytes"),
        }
    }
}

/// One value of any [`DType`]: literals, folded constants, reduction results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// A `bool`.
    Bool(bool),
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
    /// A complex number.
    C128(Complex64),
}

impl Scalar {
    /// The value's type.
    pub fn dtype(&self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::I32(_) => DType::I32,
            Scalar::I64(_) => DType::I64,
            Scalar::F32(_) => DType::F32,
            Scalar::F64(_) => DType::F64,
            Scalar::C128(_) => DType::C128,
        }
    }

    /// The value as `f64` (complex values give their real part).
    pub fn as_f64(&self) -> f64 {
        match *self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::I32(v) => v as f64,
            Scalar::I64(v) => v as f64,
            Scalar::F32(v) => v as f64,
            Scalar::F64(v) => v,
            Scalar::C128(v) => v.re,
        }
    }

    /// The value as an integer, if it is a `bool` or integer.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Scalar::Bool(b) => Some(b as i64),
            Scalar::I32(v) => Some(v as i64),
            Scalar::I64(v) => Some(v),
            _ => None,
        }
    }

    /// Writes the value's bytes (native layout of its type) into `buf`.
    pub(crate) fn store(&self, buf: &mut [u64; 2]) {
        let p = buf.as_mut_ptr() as *mut u8;
        // SAFETY: buf holds 16 bytes aligned to 8, enough for every type.
        unsafe {
            match *self {
                Scalar::Bool(v) => *(p as *mut bool) = v,
                Scalar::I32(v) => *(p as *mut i32) = v,
                Scalar::I64(v) => *(p as *mut i64) = v,
                Scalar::F32(v) => *(p as *mut f32) = v,
                Scalar::F64(v) => *(p as *mut f64) = v,
                Scalar::C128(v) => *(p as *mut Complex64) = v,
            }
        }
    }

    /// Reads a value of type `dt` from bytes written by [`Scalar::store`] or a kernel.
    ///
    /// # Safety
    /// `p` must point to a valid, aligned element of type `dt`.
    pub(crate) unsafe fn load(dt: DType, p: *const u8) -> Scalar {
        // SAFETY: the caller's contract: a valid element of type `dt`.
        unsafe {
            match dt {
                DType::Bool => Scalar::Bool(*(p as *const bool)),
                DType::I32 => Scalar::I32(*(p as *const i32)),
                DType::I64 => Scalar::I64(*(p as *const i64)),
                DType::F32 => Scalar::F32(*(p as *const f32)),
                DType::F64 => Scalar::F64(*(p as *const f64)),
                DType::C128 => Scalar::C128(*(p as *const Complex64)),
            }
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(v) => write!(f, "{}", if *v { "True" } else { "False" }),
            Scalar::I32(v) => write!(f, "{v}"),
            Scalar::I64(v) => write!(f, "{v}"),
            Scalar::F32(v) => write!(f, "{v}"),
            Scalar::F64(v) => write!(f, "{v}"),
            Scalar::C128(v) => write!(f, "({}{:+}j)", v.re, v.im),
        }
    }
}
