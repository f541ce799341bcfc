//! A value written as text, read in the element type it is for: integers as integers
//! (every `i64` exactly, not through `f64`), with the range of the type checked.

use crate::dtype::DType;
use crate::scalar::Scalar;

/// Why a text is not a value of a dtype.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseValueError {
    /// Not a number at all.
    #[error("{text:?} is not a number")]
    NotANumber {
        /// The text given.
        text: String,
    },
    /// A number with a fraction (or not finite) for an integer dtype.
    #[error("{text} is not an integer, as dtype {dtype} needs")]
    NotAnInteger {
        /// The text given.
        text: String,
        /// The dtype it was read for.
        dtype: DType,
    },
    /// A number outside the range of the dtype.
    #[error("{text} does not fit dtype {dtype} ({})", range(*dtype))]
    OutOfRange {
        /// The text given.
        text: String,
        /// The dtype it was read for.
        dtype: DType,
    },
    /// Not one of the words and digits a bool may be written as.
    #[error("{text:?} is not a bool (true, false, 0 or 1)")]
    NotABool {
        /// The text given.
        text: String,
    },
}

/// The values `dtype` holds, as the error message says them.
fn range(dtype: DType) -> String {
    match dtype {
        DType::I64 => format!("{} to {}", i64::MIN, i64::MAX),
        DType::I32 => format!("{} to {}", i32::MIN, i32::MAX),
        DType::U8 => "0 to 255".into(),
        DType::F32 => format!("magnitude at most {:e}", f32::MAX),
        DType::F64 => format!("magnitude at most {:e}", f64::MAX),
        DType::Bool => "0 or 1".into(),
    }
}

impl Scalar {
    /// Reads `text` as a value of `dtype`: integers exactly with their range checked
    /// (`1e3` and `2.0` are integers too; `true` and `false` are 1 and 0, as in numpy),
    /// floats rounded to the nearest value of the type (`inf` and `nan` included), bools as
    /// `true`, `false`, `0` or `1` in any case.
    ///
    /// ```
    /// use ooc::{DType, Scalar};
    /// let big = Scalar::parse(DType::I64, "1234567890123456789")?;
    /// assert_eq!(big, Scalar::I64(1234567890123456789));
    /// assert_eq!(Scalar::parse(DType::U8, "1e2")?, Scalar::U8(100));
    /// assert!(Scalar::parse(DType::U8, "256").is_err());
    /// assert_eq!(Scalar::parse(DType::Bool, "True")?, Scalar::Bool(true));
    /// # Ok::<(), ooc::scalar::ParseValueError>(())
    /// ```
    pub fn parse(dtype: DType, text: &str) -> Result<Scalar, ParseValueError> {
        let t = text.trim();
        let word = match t.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        };
        if let Some(b) = word {
            return Ok(Scalar::Bool(b)
                .cast(dtype)
                .expect("a bool fits every dtype"));
        }
        match dtype {
            DType::F64 => t.parse::<f64>().map(Scalar::F64).map_err(|_| nan(text)),
            DType::F32 => {
                let v = t.parse::<f32>().map_err(|_| nan(text))?;
                // Rust rounds an f32 too large for the type to infinity; "inf" itself is fine.
                let wide = t.parse::<f64>().map_err(|_| nan(text))?;
                if v.is_infinite() && wide.is_finite() {
                    return Err(ParseValueError::OutOfRange {
                        text: t.into(),
                        dtype,
                    });
                }
                Ok(Scalar::F32(v))
            }
            DType::Bool => match t {
                "0" => Ok(Scalar::Bool(false)),
                "1" => Ok(Scalar::Bool(true)),
                _ => Err(ParseValueError::NotABool { text: t.into() }),
            },
            DType::I64 | DType::I32 | DType::U8 => {
                let out_of_range = || ParseValueError::OutOfRange {
                    text: t.into(),
                    dtype,
                };
                let wide = integer(dtype, t)?;
                let v = Scalar::I64(i64::try_from(wide).map_err(|_| out_of_range())?);
                v.cast(dtype).ok_or_else(out_of_range)
            }
        }
    }
}

/// The error for a text that is not a number.
fn nan(text: &str) -> ParseValueError {
    ParseValueError::NotANumber {
        text: text.trim().into(),
    }
}

/// Reads `t` as an integer for `dtype`, exactly: digits directly, other number syntax
/// (`1e3`, `2.0`) through `f64` when its value is a whole number.
fn integer(dtype: DType, t: &str) -> Result<i128, ParseValueError> {
    use std::num::IntErrorKind::{NegOverflow, PosOverflow};
    match t.parse::<i128>() {
        Ok(v) => return Ok(v),
        Err(e) if matches!(e.kind(), PosOverflow | NegOverflow) => {
            return Err(ParseValueError::OutOfRange {
                text: t.into(),
                dtype,
            })
        }
        Err(_) => {}
    }
    let v = t.parse::<f64>().map_err(|_| nan(t))?;
    if !v.is_finite() || v.fract() != 0.0 {
        return Err(ParseValueError::NotAnInteger {
            text: t.into(),
            dtype,
        });
    }
    // Whole numbers beyond i128 are far out of every dtype's range.
    if v.abs() >= 2f64.powi(127) {
        return Err(ParseValueError::OutOfRange {
            text: t.into(),
            dtype,
        });
    }
    Ok(v as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_exact_and_checked() {
        let p = Scalar::parse;
        assert_eq!(
            p(DType::I64, "9223372036854775807"),
            Ok(Scalar::I64(i64::MAX))
        );
        assert_eq!(
            p(DType::I64, "-9223372036854775808"),
            Ok(Scalar::I64(i64::MIN))
        );
        assert_eq!(
            p(DType::I64, "9007199254740993"),
            Ok(Scalar::I64(9007199254740993))
        );
        assert_eq!(p(DType::I32, "+7"), Ok(Scalar::I32(7)));
        assert_eq!(p(DType::I32, "2.0"), Ok(Scalar::I32(2)));
        assert_eq!(p(DType::U8, " 255 "), Ok(Scalar::U8(255)));
        assert_eq!(p(DType::U8, "true"), Ok(Scalar::U8(1)));
        let e = p(DType::I64, "9223372036854775808")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "9223372036854775808 does not fit dtype i64 \
             (-9223372036854775808 to 9223372036854775807)"
        );
        assert!(matches!(
            p(DType::I64, "99999999999999999999999999999999999999999"),
            Err(ParseValueError::OutOfRange { .. })
        ));
        assert!(matches!(
            p(DType::I64, "1e300"),
            Err(ParseValueError::OutOfRange { .. })
        ));
        assert_eq!(
            p(DType::U8, "256").unwrap_err().to_string(),
            "256 does not fit dtype u8 (0 to 255)"
        );
        assert!(matches!(
            p(DType::U8, "-1"),
            Err(ParseValueError::OutOfRange { .. })
        ));
        assert_eq!(
            p(DType::I32, "1.5").unwrap_err().to_string(),
            "1.5 is not an integer, as dtype i32 needs"
        );
        assert!(matches!(
            p(DType::I32, "nan"),
            Err(ParseValueError::NotAnInteger { .. })
        ));
        assert_eq!(
            p(DType::I32, "lots").unwrap_err().to_string(),
            "\"lots\" is not a number"
        );
    }

    #[test]
    fn floats_and_bools() {
        let p = Scalar::parse;
        assert_eq!(p(DType::F64, "0.1"), Ok(Scalar::F64(0.1)));
        assert_eq!(p(DType::F32, "0.1"), Ok(Scalar::F32(0.1)));
        assert_eq!(p(DType::F32, "3.4028235e38"), Ok(Scalar::F32(f32::MAX)));
        assert_eq!(p(DType::F32, "-inf"), Ok(Scalar::F32(f32::NEG_INFINITY)));
        assert!(matches!(
            p(DType::F32, "1e39"),
            Err(ParseValueError::OutOfRange { .. })
        ));
        assert!(matches!(p(DType::F64, "1e309"), Ok(Scalar::F64(v)) if v.is_infinite()));
        assert_eq!(p(DType::F64, "false"), Ok(Scalar::F64(0.0)));
        assert_eq!(p(DType::Bool, "FALSE"), Ok(Scalar::Bool(false)));
        assert_eq!(p(DType::Bool, "1"), Ok(Scalar::Bool(true)));
        assert!(matches!(
            p(DType::Bool, "2"),
            Err(ParseValueError::NotABool { .. })
        ));
        assert!(matches!(
            p(DType::Bool, "1.0"),
            Err(ParseValueError::NotABool { .. })
        ));
    }
}
