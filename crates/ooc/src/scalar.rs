//! One element of an array, and floats printed as Python prints them.

use std::fmt;

use crate::dtype::{ByteOrder, DType};

mod cast;
mod parse;

pub use parse::ParseValueError;

/// One element, kept in its own type so that integers print exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// An `f64` element.
    F64(f64),
    /// An `f32` element.
    F32(f32),
    /// An `i64` element.
    I64(i64),
    /// An `i32` element.
    I32(i32),
    /// A `u8` element.
    U8(u8),
    /// A `bool` element.
    Bool(bool),
}

impl Scalar {
    /// Decodes one element of `dtype` stored in `order` from `bytes` (exactly `dtype.size()` long).
    pub fn decode(dtype: DType, order: ByteOrder, bytes: &[u8]) -> Scalar {
        macro_rules! num {
            ($t:ty, $n:literal) => {{
                let b: [u8; $n] = bytes[..$n].try_into().expect("length checked by caller");
                match order {
                    ByteOrder::Little => <$t>::from_le_bytes(b),
                    ByteOrder::Big => <$t>::from_be_bytes(b),
                }
            }};
        }
        match dtype {
            DType::F64 => Scalar::F64(num!(f64, 8)),
            DType::F32 => Scalar::F32(num!(f32, 4)),
            DType::I64 => Scalar::I64(num!(i64, 8)),
            DType::I32 => Scalar::I32(num!(i32, 4)),
            DType::U8 => Scalar::U8(bytes[0]),
            DType::Bool => Scalar::Bool(bytes[0] != 0),
        }
    }

    /// The value as `f64` (exact except for `i64` beyond 2^53).
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::F64(v) => v,
            Scalar::F32(v) => v as f64,
            Scalar::I64(v) => v as f64,
            Scalar::I32(v) => v as f64,
            Scalar::U8(v) => v as f64,
            Scalar::Bool(v) => v as u8 as f64,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::F64(v) => f.write_str(&repr(*v, *v)),
            Scalar::F32(v) => f.write_str(&repr(*v, *v as f64)),
            Scalar::I64(v) => write!(f, "{v}"),
            Scalar::I32(v) => write!(f, "{v}"),
            Scalar::U8(v) => write!(f, "{v}"),
            Scalar::Bool(v) => f.write_str(if *v { "True" } else { "False" }),
        }
    }
}

/// Formats a float as Python's `repr` does: the shortest digits that round-trip, a `.0` on
/// whole numbers, and scientific notation (`1e-05`, `2.5e+16`) outside `[1e-4, 1e16)`.
/// `v` is the value in its own type (for its digits), `a` the same value as `f64`.
pub fn repr<T: fmt::Display + fmt::LowerExp>(v: T, a: f64) -> String {
    if a.is_nan() {
        return "nan".into();
    }
    if a.is_infinite() {
        return if a > 0.0 { "inf" } else { "-inf" }.into();
    }
    if a == 0.0 || (1e-4..1e16).contains(&a.abs()) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_in_both_orders_and_prints_exactly() {
        let s = Scalar::decode(DType::I32, ByteOrder::Big, &(-7i32).to_be_bytes());
        assert_eq!(s, Scalar::I32(-7));
        assert_eq!(s.to_string(), "-7");
        assert_eq!(
            Scalar::decode(DType::Bool, ByteOrder::Little, &[1]).to_string(),
            "True"
        );
        assert_eq!(Scalar::F64(0.5).to_f64(), 0.5);
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(repr(0.5, 0.5), "0.5");
        assert_eq!(repr(3.0, 3.0), "3.0");
        assert_eq!(repr(2.5e-8, 2.5e-8), "2.5e-08");
        assert_eq!(repr(1e20, 1e20), "1e+20");
        assert_eq!(repr(-0.0, -0.0), "-0.0");
        assert_eq!(repr(f64::NAN, f64::NAN), "nan");
        assert_eq!(repr(0.1f32, 0.1f32 as f64), "0.1");
    }
}
