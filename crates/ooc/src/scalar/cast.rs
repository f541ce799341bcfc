//! Converting a value to another element type when it fits, and its bytes.

use crate::dtype::DType;
use crate::scalar::Scalar;

/// 2^63 as `f64`: the first whole number beyond `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

impl Scalar {
    /// The element type of this value.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::F64(_) => DType::F64,
            Scalar::F32(_) => DType::F32,
            Scalar::I64(_) => DType::I64,
            Scalar::I32(_) => DType::I32,
            Scalar::U8(_) => DType::U8,
            Scalar::Bool(_) => DType::Bool,
        }
    }

    /// This value as an element of `dtype`, or `None` if it does not fit: an integer
    /// dtype takes whole numbers in its range (exactly: integers never go through `f64`),
    /// bool takes 0 and 1, `f32` any value of magnitude up to `f32::MAX` (rounded to the
    /// nearest `f32`) or not finite, `f64` any value (an `i64` beyond 2^53 is rounded).
    ///
    /// ```
    /// use ooc::{DType, Scalar};
    /// assert_eq!(Scalar::F64(3.0).cast(DType::U8), Some(Scalar::U8(3)));
    /// assert_eq!(Scalar::I64(300).cast(DType::U8), None);
    /// assert_eq!(Scalar::I64(i64::MAX).cast(DType::I64), Some(Scalar::I64(i64::MAX)));
    /// ```
    pub fn cast(self, dtype: DType) -> Option<Scalar> {
        match dtype {
            DType::F64 => Some(Scalar::F64(self.to_f64())),
            DType::F32 => {
                let v = self.to_f64();
                let narrow = match self {
                    Scalar::F32(v) => v,
                    _ => v as f32,
                };
                (narrow.is_finite() || !v.is_finite()).then_some(Scalar::F32(narrow))
            }
            DType::I64 => self.whole().map(Scalar::I64),
            DType::I32 => self
                .whole()
                .and_then(|v| i32::try_from(v).ok())
                .map(Scalar::I32),
            DType::U8 => self
                .whole()
                .and_then(|v| u8::try_from(v).ok())
                .map(Scalar::U8),
            DType::Bool => match self.whole() {
                Some(0) => Some(Scalar::Bool(false)),
                Some(1) => Some(Scalar::Bool(true)),
                _ => None,
            },
        }
    }

    /// The value as an `i64` if it is a whole number in its range.
    fn whole(self) -> Option<i64> {
        let float = |v: f64| {
            (v.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&v)).then_some(v as i64)
        };
        match self {
            Scalar::F64(v) => float(v),
            Scalar::F32(v) => float(v as f64),
            Scalar::I64(v) => Some(v),
            Scalar::I32(v) => Some(v as i64),
            Scalar::U8(v) => Some(v as i64),
            Scalar::Bool(v) => Some(v as i64),
        }
    }

    /// Whether every byte of the value is zero (`-0.0` is not).
    pub fn is_zero_bits(self) -> bool {
        let mut b = Vec::with_capacity(8);
        self.encode_native(&mut b);
        b.iter().all(|&x| x == 0)
    }

    /// Appends the value's bytes in this machine's byte order to `out`
    /// ([`DType::size`] of them).
    pub fn encode_native(self, out: &mut Vec<u8>) {
        match self {
            Scalar::F64(v) => out.extend_from_slice(&v.to_ne_bytes()),
            Scalar::F32(v) => out.extend_from_slice(&v.to_ne_bytes()),
            Scalar::I64(v) => out.extend_from_slice(&v.to_ne_bytes()),
            Scalar::I32(v) => out.extend_from_slice(&v.to_ne_bytes()),
            Scalar::U8(v) => out.push(v),
            Scalar::Bool(v) => out.push(v as u8),
        }
    }
}

macro_rules! from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Scalar {
            fn from(v: $t) -> Scalar {
                Scalar::$v(v)
            }
        }
    )*};
}
from!(f64 => F64, f32 => F32, i64 => I64, i32 => I32, u8 => U8, bool => Bool);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_keep_integers_exact_and_refuse_what_does_not_fit() {
        let big = Scalar::I64(9007199254740993);
        assert_eq!(big.cast(DType::I64), Some(big));
        assert_eq!(big.cast(DType::F64), Some(Scalar::F64(9007199254740992.0)));
        assert_eq!(big.cast(DType::I32), None);
        assert_eq!(Scalar::F64(-1.0).cast(DType::U8), None);
        assert_eq!(Scalar::F64(0.5).cast(DType::I64), None);
        assert_eq!(Scalar::F64(TWO_POW_63).cast(DType::I64), None);
        assert_eq!(
            Scalar::F64(-TWO_POW_63).cast(DType::I64),
            Some(Scalar::I64(i64::MIN))
        );
        assert_eq!(Scalar::F64(f64::NAN).cast(DType::I32), None);
        assert_eq!(Scalar::F64(1e39).cast(DType::F32), None);
        assert!(
            matches!(Scalar::F64(f64::NAN).cast(DType::F32), Some(Scalar::F32(v)) if v.is_nan())
        );
        assert_eq!(Scalar::I32(1).cast(DType::Bool), Some(Scalar::Bool(true)));
        assert_eq!(Scalar::U8(2).cast(DType::Bool), None);
        assert_eq!(Scalar::Bool(true).cast(DType::F32), Some(Scalar::F32(1.0)));
        for d in DType::ALL {
            let mut b = Vec::new();
            Scalar::U8(1).cast(d).unwrap().encode_native(&mut b);
            assert_eq!(b.len(), d.size(), "{d}");
        }
    }
}
