//! Turning the bytes of a chunk into the `f64` values the reductions work on: a view in
//! place when the data is native `f64`, a vectorised conversion otherwise.

use crate::dtype::{ByteOrder, DType};

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
    bytemuck::try_cast_slice(bytes).ok()
}

/// Whether `dtype` data in `order` can be viewed in place as `f64` on this machine.
pub fn native_f64(dtype: DType, order: ByteOrder) -> bool {
    dtype == DType::F64 && order == ByteOrder::NATIVE
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn native_f64_is_viewed_in_place_only_when_aligned() {
        let xs = [1.5f64, -2.0, 4.0];
        let bytes: &[u8] = bytemuck::cast_slice(&xs);
        let view = as_native_f64(DType::F64, ByteOrder::NATIVE, bytes).unwrap();
        assert_eq!(view, xs);
        assert!(as_native_f64(DType::F64, ByteOrder::NATIVE, &bytes[1..17]).is_none());
        assert!(as_native_f64(DType::I64, ByteOrder::NATIVE, bytes).is_none());
    }
}
