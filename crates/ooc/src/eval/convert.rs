//! Converting stored elements into the engine's: byte swaps, bools made 0 or 1. Plain loops over fixed-size chunks, which the compiler vectorises.

use crate::eval::types::Conversion;

/// Converts the stored elements `src` (each `src_size` bytes) into `dst`, which holds as
/// many elements of the engine's type, as `conv` says. [`Conversion::Native`] copies.
pub(crate) fn convert(conv: Conversion, src_size: usize, src: &[u8], dst: &mut [u8]) {
    match conv {
        Conversion::Native => dst.copy_from_slice(src),
        Conversion::Swap => match src_size {
            4 => swap::<4>(src, dst),
            8 => swap::<8>(src, dst),
            _ => dst.copy_from_slice(src),
        },
        Conversion::Bool => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = u8::from(s != 0);
            }
        }
    }
}

/// Reverses the bytes of every `N`-byte element.
fn swap<const N: usize>(src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(N).zip(src.chunks_exact(N)) {
        for k in 0..N {
            d[k] = s[N - 1 - k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let mut out = [0u8; 8];
        convert(Conversion::Swap, 8, &1.5f64.to_be_bytes(), &mut out);
        assert_eq!(f64::from_ne_bytes(out), 1.5);
        let mut out = [9u8; 3];
        convert(Conversion::Bool, 1, &[0, 1, 200], &mut out);
        assert_eq!(out, [0, 1, 1]);
        let mut out = [0u8; 4];
        convert(Conversion::Native, 4, &(-3i32).to_ne_bytes(), &mut out);
        assert_eq!(i32::from_ne_bytes(out), -3);
    }
}
