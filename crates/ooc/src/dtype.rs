//! Element types and byte orders of `.npy` data: names, numpy `descr` strings, sizes,
//! and the encoding of one value.

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

    /// Other accepted names: numpy's (`float64`, `int32`, `uint8`...) and its
    /// one-letter codes (`f8`, `i4`, `u1`...).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            DType::F64 => &["float64", "f8", "double"],
            DType::F32 => &["float32", "f4", "single"],
            DType::I64 => &["int64", "i8"],
            DType::I32 => &["int32", "i4"],
            DType::U8 => &["uint8", "u1"],
            DType::Bool => &["b1"],
        }
    }

    /// Parses a [name](DType::name) or an [alias](DType::aliases), in any case.
    pub fn from_name(name: &str) -> Option<DType> {
        let name = name.to_ascii_lowercase();
        DType::ALL
            .into_iter()
            .find(|d| d.name() == name || d.aliases().contains(&name.as_str()))
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
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `--dtype NAME` on the command line. Written by hand rather than derived so that the
/// aliases come from [`DType::aliases`], the one list [`DType::from_name`] also reads.
#[cfg(feature = "clap")]
impl clap::ValueEnum for DType {
    fn value_variants<'a>() -> &'a [Self] {
        &DType::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).aliases(self.aliases().iter().copied()))
    }
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
    fn names_and_aliases_parse() {
        for dtype in DType::ALL {
            assert_eq!(DType::from_name(dtype.name()), Some(dtype));
            for alias in dtype.aliases() {
                assert_eq!(DType::from_name(&alias.to_uppercase()), Some(dtype));
            }
        }
        assert_eq!(DType::from_name("c16"), None);
    }
}
