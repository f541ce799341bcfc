//! Element types and byte orders of `.npy` data, and their conversion to `f64`.

use std::fmt;

/// The element types this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 64-bit IEEE float (`<f8`).
    F64,
    /// 32-bit IEEE float (`<f4`).
    F32,
    /// 64-bit signed integer (`<i8`).
    I64,
    /// 32-bit signed integer (`<i4`).
    I32,
    /// 8-bit unsigned integer (`|u1`).
    U8,
    /// numpy bool, one byte holding 0 or 1 (`|b1`).
    Bool,
}

/// Byte order of multi-byte elements on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (`<`, what x86 and ARM use).
    Little,
    /// Most significant byte first (`>`).
    Big,
}

impl ByteOrder {
    /// The byte order of this machine.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "little") {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
}

impl DType {
    /// Every supported dtype, in the order the documentation lists them.
    pub const ALL: [DType; 6] = [
        DType::F64,
        DType::F32,
        DType::I64,
        DType::I32,
        DType::U8,
        DType::Bool,
    ];

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::U8 | DType::Bool => 1,
        }
    }

    /// Short name used on the command line: `f64`, `f32`, `i64`, `i32`, `u8`, `bool`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F64 => "f64",
            DType::F32 => "f32",
            DType::I64 => "i64",
            DType::I32 => "i32",
            DType::U8 => "u8",
            DType::Bool => "bool",
        }
    }

    /// Parses a command-line name; numpy's names (`float64`, `int32`, `uint8`...) are accepted too.
    pub fn from_name(name: &str) -> Option<DType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "f64" | "float64" | "f8" | "double" => DType::F64,
            "f32" | "float32" | "f4" | "single" => DType::F32,
            "i64" | "int64" | "i8" => DType::I64,
            "i32" | "int32" | "i4" => DType::I32,
            "u8" | "uint8" | "u1" => DType::U8,
            "bool" | "b1" => DType::Bool,
            _ => return None,
        })
    }

    /// The numpy `descr` string for this dtype in `order` (one-byte types use `|`).
    pub fn descr(self, order: ByteOrder) -> String {
        let code = match self {
            DType::F64 => "f8",
            DType::F32 => "f4",
            DType::I64 => "i8",
            DType::I32 => "i4",
            DType::U8 => return "|u1".into(),
            DType::Bool => return "|b1".into(),
        };
        let prefix = match order {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
        };
        format!("{prefix}{code}")
    }

    /// Parses a numpy `descr` string such as `<f8`, `>i4`, `|u1`, `=f4`; `None` if unsupported.
    pub fn from_descr(descr: &str) -> Option<(DType, ByteOrder)> {
        let mut chars = descr.chars();
        let first = chars.next()?;
        let (order, code) = match first {
            '<' => (ByteOrder::Little, chars.as_str()),
            '>' => (ByteOrder::Big, chars.as_str()),
            '=' | '|' => (ByteOrder::NATIVE, chars.as_str()),
            _ => (ByteOrder::NATIVE, descr),
        };
        let dtype = match code {
            "f8" => DType::F64,
            "f4" => DType::F32,
            "i8" => DType::I64,
            "i4" => DType::I32,
            "u1" | "B" => DType::U8,
            "b1" | "?" => DType::Bool,
            _ => return None,
        };
        // A one-byte type has no byte order; `<u1` and `>u1` are legal and equal.
        Some((dtype, order))
    }

    /// Whether `value` is exactly representable in this dtype (used to check `--fill VALUE`).
    pub fn holds(self, value: f64) -> bool {
        match self {
            DType::F64 => true,
            DType::F32 => !value.is_finite() || value.abs() <= f32::MAX as f64,
            DType::I64 => {
                value.fract() == 0.0 && (-(2f64.powi(63))..2f64.powi(63)).contains(&value)
            }
            DType::I32 => {
                value.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(&value)
            }
            DType::U8 => value.fract() == 0.0 && (0.0..=255.0).contains(&value),
            DType::Bool => value == 0.0 || value == 1.0,
        }
    }

    /// Encodes `value` (already checked with [`DType::holds`]) in native byte order into `out`.
    pub fn encode(self, value: f64, out: &mut Vec<u8>) {
        match self {
            DType::F64 => out.extend_from_slice(&value.to_ne_bytes()),
            DType::F32 => out.extend_from_slice(&(value as f32).to_ne_bytes()),
            DType::I64 => out.extend_from_slice(&(value as i64).to_ne_bytes()),
            DType::I32 => out.extend_from_slice(&(value as i32).to_ne_bytes()),
            DType::U8 | DType::Bool => out.push(value as u8),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

/// Decodes `bytes` (a whole number of elements of `dtype` in `order`) into `out`, as `f64`.
///
/// `out` must hold `bytes.len() / dtype.size()` values. Written as plain loops over
/// fixed-size chunks so that the compiler vectorises them.
pub fn decode_to_f64(dtype: DType, order: ByteOrder, bytes: &[u8], out: &mut [f64]) {
    macro_rules! conv {
        ($t:ty, $n:literal) => {{
            let it = bytes.chunks_exact($n).zip(out.iter_mut());
            match order {
                ByteOrder::Little => {
                    for (b, o) in it {
                        *o = <$t>::from_le_bytes(b.try_into().unwrap()) as f64;
                    }
                }
                ByteOrder::Big => {
                    for (b, o) in it {
                        *o = <$t>::from_be_bytes(b.try_into().unwrap()) as f64;
                    }
                }
            }
        }};
    }
    match dtype {
        DType::F64 => conv!(f64, 8),
        DType::F32 => conv!(f32, 4),
        DType::I64 => conv!(i64, 8),
        DType::I32 => conv!(i32, 4),
        DType::U8 => {
            for (b, o) in bytes.iter().zip(out.iter_mut()) {
                *o = *b as f64;
            }
        }
        DType::Bool => {
            for (b, o) in bytes.iter().zip(out.iter_mut()) {
                *o = (*b != 0) as u8 as f64;
            }
        }
    }
}

/// Views `bytes` as native `f64` values without copying, when the data is `f64` in this
/// machine's byte order and the slice happens to be 8-byte aligned.
pub fn as_native_f64(dtype: DType, order: ByteOrder, bytes: &[u8]) -> Option<&[f64]> {
    if dtype != DType::F64 || order != ByteOrder::NATIVE {
        return None;
    }
    // SAFETY: every bit pattern is a valid f64; align_to only returns the aligned middle.
    let (head, mid, tail) = unsafe { bytes.align_to::<f64>() };
    (head.is_empty() && tail.is_empty()).then_some(mid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descr_round_trips() {
        for dtype in DType::ALL {
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let d = dtype.descr(order);
                let (back, o) = DType::from_descr(&d).unwrap();
                assert_eq!(back, dtype);
                if dtype.size() > 1 {
                    assert_eq!(o, order);
                }
            }
        }
        assert!(DType::from_descr("<c16").is_none());
        assert!(DType::from_descr("<U10").is_none());
    }

    #[test]
    fn decode_both_orders() {
        let v = 1234.5f64;
        let mut out = [0.0];
        decode_to_f64(DType::F64, ByteOrder::Big, &v.to_be_bytes(), &mut out);
        assert_eq!(out[0], v);
        decode_to_f64(
            DType::I32,
            ByteOrder::Little,
            &(-7i32).to_le_bytes(),
            &mut out,
        );
        assert_eq!(out[0], -7.0);
        decode_to_f64(DType::Bool, ByteOrder::Little, &[2], &mut out);
        assert_eq!(out[0], 1.0);
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

    #[test]
    fn holds_checks_range() {
        assert!(DType::U8.holds(255.0));
        assert!(!DType::U8.holds(256.0));
        assert!(!DType::I32.holds(1.5));
        assert!(DType::Bool.holds(1.0));
        assert!(!DType::Bool.holds(2.0));
        assert!(DType::I64.holds(-9.0e18));
    }
}
