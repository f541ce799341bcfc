//! Which element type the expression engine reads for each `.npy` dtype, and how the
//! stored bytes become it: in place when they already are its bytes, else converted.

use crate::dtype::{ByteOrder, DType};
use crate::header::Header;

/// How the stored elements of an input become the engine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// The stored bytes are the engine's: native byte order, same size.
    Native,
    /// The same type in the other byte order: each element's bytes reversed.
    Swap,
    /// numpy bools, one byte each: any non-zero byte is `True`. Always converted, so
    /// that a byte other than 0 or 1 in a file never becomes an invalid Rust `bool`.
    Bool,
}

/// The element type of an array the engine reads: one of the types it computes with, or
/// `u8`, which it widens to `i32` (numexpr's rule) a block at a time as it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Held {
    /// One of the engine's types.
    Engine(expr::DType),
    /// Bytes, computed as `i32`.
    U8,
}

impl Held {
    /// Size of one element in bytes.
    pub(crate) fn size(self) -> usize {
        match self {
            Held::Engine(dt) => dt.size(),
            Held::U8 => 1,
        }
    }

    /// The type a signature declares for it: the type it is computed in.
    pub(crate) fn declared(self) -> expr::DType {
        match self {
            Held::Engine(dt) => dt,
            Held::U8 => expr::DType::I32,
        }
    }
}

/// The element type the engine reads for an array stored as `header` says, and how the
/// stored bytes become it.
pub(crate) fn engine_type(header: &Header) -> (Held, Conversion) {
    let same = |dt| {
        let conv = if header.byte_order == ByteOrder::NATIVE {
            Conversion::Native
        } else {
            Conversion::Swap
        };
        (Held::Engine(dt), conv)
    };
    match header.dtype {
        DType::F64 => same(expr::DType::F64),
        DType::F32 => same(expr::DType::F32),
        DType::I64 => same(expr::DType::I64),
        DType::I32 => same(expr::DType::I32),
        DType::U8 => (Held::U8, Conversion::Native),
        DType::Bool => (Held::Engine(expr::DType::Bool), Conversion::Bool),
    }
}

/// The `.npy` dtype that stores results of the engine's type `dt`; `None` for complex
/// numbers, which this crate does not store.
pub(crate) fn file_type(dt: expr::DType) -> Option<DType> {
    Some(match dt {
        expr::DType::Bool => DType::Bool,
        expr::DType::I32 => DType::I32,
        expr::DType::I64 => DType::I64,
        expr::DType::F32 => DType::F32,
        expr::DType::F64 => DType::F64,
        expr::DType::C128 => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_has_an_engine_type_and_back() {
        for dtype in DType::ALL {
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let mut h = Header::new(dtype, vec![2], false);
                h.byte_order = order;
                let (held, conv) = engine_type(&h);
                let stored = file_type(held.declared()).unwrap();
                match dtype {
                    DType::U8 => assert_eq!((held, conv), (Held::U8, Conversion::Native)),
                    DType::Bool => assert_eq!((stored, conv), (DType::Bool, Conversion::Bool)),
                    _ => {
                        assert_eq!(stored, dtype);
                        assert_eq!(conv == Conversion::Native, order == ByteOrder::NATIVE);
                    }
                }
            }
        }
        assert_eq!(file_type(expr::DType::C128), None);
    }
}
