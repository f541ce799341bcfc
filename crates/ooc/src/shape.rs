//! The shape of a new array: read from text such as `40000x40000`, and checked before
//! anything is allocated or created.

use crate::dtype::DType;
use crate::header::{Header, MAX_DIMS};

/// Why a shape cannot be created.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// A part of the text is not a whole number.
    #[error("{part:?} is not a dimension (expected e.g. 40000x40000)")]
    NotADimension {
        /// The part that is not one.
        part: String,
    },
    /// More dimensions than numpy can read.
    #[error("{dims} dimensions is more than numpy reads ({MAX_DIMS})")]
    TooManyDims {
        /// How many were given (at least [`MAX_DIMS`] + 1).
        dims: usize,
    },
    /// The array's size in bytes does not fit in 64 bits.
    #[error("an array of this shape of {dtype} needs more than 2^64 bytes")]
    Overflow {
        /// The element type.
        dtype: DType,
    },
    /// The file would be larger than any file can be (file offsets are signed 64-bit).
    #[error("{bytes} bytes is larger than any file can be ({} bytes)", i64::MAX)]
    BeyondFileOffsets {
        /// The file's size: header and data.
        bytes: u64,
    },
}

/// Reads a shape written as dimensions separated by `x`, `,` or `*` (`40000x40000`,
/// `3,4,5`, `7`); an empty text or `()` is the shape of a 0-d array. Stops at the first
/// dimension beyond [`MAX_DIMS`].
///
/// ```
/// use ooc::shape::parse_shape;
/// assert_eq!(parse_shape("400x300"), Ok(vec![400, 300]));
/// assert_eq!(parse_shape(" 2, 3 ,4"), Ok(vec![2, 3, 4]));
/// assert_eq!(parse_shape("()"), Ok(vec![]));
/// assert!(parse_shape("10xabc").is_err());
/// ```
pub fn parse_shape(text: &str) -> Result<Vec<usize>, ShapeError> {
    let t = text.trim();
    if t.is_empty() || t == "()" {
        return Ok(vec![]);
    }
    let parts = t.split(['x', 'X', ',', '*']);
    let mut shape = Vec::new();
    for (k, part) in parts.enumerate() {
        if k == MAX_DIMS {
            let dims = t.split(['x', 'X', ',', '*']).count();
            return Err(ShapeError::TooManyDims { dims });
        }
        let d = part
            .trim()
            .parse::<usize>()
            .map_err(|_| ShapeError::NotADimension {
                part: part.chars().take(40).collect(),
            })?;
        shape.push(d);
    }
    Ok(shape)
}

/// Checks that an array of `shape` and `dtype` can be written as a `.npy` file, and returns
/// the size of its data in bytes: at most [`MAX_DIMS`] dimensions, a byte size that fits
/// in 64 bits, and a file (header and data) no larger than the largest file offset.
///
/// ```
/// use ooc::{shape::check_shape, DType};
/// assert_eq!(check_shape(DType::F64, &[400, 300]), Ok(960_000));
/// assert!(check_shape(DType::F64, &[1 << 40, 1 << 40]).is_err());
/// assert!(check_shape(DType::U8, &[1; 65]).is_err());
/// ```
pub fn check_shape(dtype: DType, shape: &[usize]) -> Result<u64, ShapeError> {
    if shape.len() > MAX_DIMS {
        return Err(ShapeError::TooManyDims { dims: shape.len() });
    }
    let bytes = shape
        .iter()
        .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64));
    let Some(bytes) = bytes else {
        return Err(ShapeError::Overflow { dtype });
    };
    // The header of at most 64 dimensions is well under 64 KiB.
    let header = Header::new(dtype, shape.to_vec(), false).data_offset;
    match bytes.checked_add(header) {
        Some(total) if total <= i64::MAX as u64 => Ok(bytes),
        total => Err(ShapeError::BeyondFileOffsets {
            bytes: total.unwrap_or(u64::MAX),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_are_checked() {
        assert_eq!(parse_shape("5"), Ok(vec![5]));
        assert_eq!(parse_shape("2*3X4"), Ok(vec![2, 3, 4]));
        assert_eq!(
            parse_shape("10xabc").unwrap_err().to_string(),
            "\"abc\" is not a dimension (expected e.g. 40000x40000)"
        );
        assert!(parse_shape("-1").is_err());
        assert!(parse_shape("1x").is_err());
        let seventy = vec!["1"; 70].join("x");
        assert_eq!(
            parse_shape(&seventy),
            Err(ShapeError::TooManyDims { dims: 70 })
        );
        assert_eq!(parse_shape(&vec!["1"; 64].join("x")).unwrap().len(), 64);
        assert!(matches!(
            check_shape(DType::F64, &[usize::MAX, 2]),
            Err(ShapeError::Overflow { .. })
        ));
        assert!(matches!(
            check_shape(DType::U8, &[i64::MAX as usize]),
            Err(ShapeError::BeyondFileOffsets { .. })
        ));
        assert_eq!(check_shape(DType::U8, &[]), Ok(1));
        assert_eq!(check_shape(DType::I32, &[0, 1 << 62]), Ok(0));
    }
}
