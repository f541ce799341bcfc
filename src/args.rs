//! The value parsers every subcommand uses for its number arguments, so that
//! `--n`, `--jobs`, `NTOT` and `--threads` accept and refuse the same texts.
//!
//! A count is a whole number written as people write them on a command line:
//! `1000000`, `1_000_000` (an underscore only between two digits, as in
//! Python and Rust literals) or exact scientific notation (`1e6`, `1.5e6`,
//! `2.5E3`) when its value is a whole number. Negative numbers, fractions
//! (`1.5`, `1e-3`), stray underscores (`_1`, `1__0`, `1_`), empty text and
//! values beyond the type's range are refused. Clap puts the argument's name
//! in front of the reason: `invalid value '_1' for '[NTOT]': ...`.

use std::fmt;

use runtime::pool::Threads;

/// Why a text is not a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    /// Nothing was given.
    Empty,
    /// A minus sign in front.
    Negative,
    /// A value with a fractional part (`1.5`, `1e-3`).
    Fraction,
    /// An underscore at either end of a group of digits, or two in a row.
    StrayUnderscore,
    /// Larger than the largest value of the argument's type.
    TooLarge {
        /// The largest value accepted.
        max: u64,
    },
    /// Anything else that is not a number.
    NotANumber,
}

impl fmt::Display for CountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORMS: &str = "such as 1000000, 1_000_000 or 1e6";
        match self {
            CountError::Empty => write!(f, "empty; expected a whole number {FORMS}"),
            CountError::Negative => f.write_str("a count cannot be negative"),
            CountError::Fraction => write!(f, "not a whole number; expected one {FORMS}"),
            CountError::StrayUnderscore => {
                f.write_str("`_` may only stand between two digits, as in 1_000_000")
            }
            CountError::TooLarge { max } => write!(f, "too large: at most {max}"),
            CountError::NotANumber => write!(f, "not a whole number {FORMS}"),
        }
    }
}

impl std::error::Error for CountError {}

/// The unsigned integer types a count can be parsed into.
pub trait Count: Sized + Send + Sync + Clone + 'static {
    /// The largest value of the type.
    const MAX: u64;
    /// `n`, known to be at most [`Count::MAX`].
    fn from_u64(n: u64) -> Self;
}

impl Count for u64 {
    const MAX: u64 = u64::MAX;
    fn from_u64(n: u64) -> Self {
        n
    }
}

impl Count for usize {
    const MAX: u64 = usize::MAX as u64;
    fn from_u64(n: u64) -> Self {
        // At most `usize::MAX` (checked by `count`), so nothing is cut off.
        n as usize
    }
}

/// Clap value parser of a count (see the module doc):
/// `#[arg(long, value_parser = crate::args::count::<u64>)]`.
pub fn count<T: Count>(text: &str) -> Result<T, CountError> {
    let n = parse_u64(text)?;
    if n > T::MAX {
        return Err(CountError::TooLarge { max: T::MAX });
    }
    Ok(T::from_u64(n))
}

/// Clap value parser of `--threads N`: a count, `0` meaning one thread per
/// core, and no more than [`runtime::pool::MAX_THREADS`].
pub fn threads(text: &str) -> Result<Threads, String> {
    let n = count::<usize>(text).map_err(|e| e.to_string())?;
    Threads::from_count(n).map_err(|e| e.to_string())
}

/// A count in the full range of `u64`.
fn parse_u64(text: &str) -> Result<u64, CountError> {
    if text.is_empty() {
        return Err(CountError::Empty);
    }
    if text.starts_with('-') {
        return Err(CountError::Negative);
    }
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let mut digits = digit_group(whole)?;
    let after_point = match fraction {
        None => 0,
        Some(f) => {
            let f = digit_group(f)?;
            digits.push_str(&f);
            f.len() as i64
        }
    };
    let exponent = match exponent {
        None => 0,
        Some(e) => parse_exponent(e)?,
    };
    // The value is digits × 10^(exponent - digits after the point).
    exact_value(&digits, exponent.saturating_sub(after_point))
}

/// The digits of a group such as `1_000`, without the underscores.
fn digit_group(group: &str) -> Result<String, CountError> {
    let bytes = group.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_') {
        return Err(CountError::NotANumber);
    }
    let stray = bytes[0] == b'_' || bytes[bytes.len() - 1] == b'_' || group.contains("__");
    if stray {
        return Err(CountError::StrayUnderscore);
    }
    Ok(group.replace('_', ""))
}

/// The exponent after `e`: an optional sign and a group of digits,
/// saturated far beyond any exponent a `u64` can use.
fn parse_exponent(text: &str) -> Result<i64, CountError> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digit_group(digits)?;
    let magnitude = digits
        .bytes()
        .fold(0i64, |acc, d| (acc * 10 + i64::from(d - b'0')).min(1 << 40));
    Ok(if negative { -magnitude } else { magnitude })
}

/// `digits × 10^scale` if it is a whole number that fits in a `u64`.
fn exact_value(digits: &str, mut scale: i64) -> Result<u64, CountError> {
    let mut significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    while let Some(rest) = significant.strip_suffix('0') {
        significant = rest;
        scale += 1;
    }
    let too_large = CountError::TooLarge { max: u64::MAX };
    if scale < 0 {
        // The last significant digit lies after the decimal point.
        return Err(CountError::Fraction);
    }
    let mantissa: u64 = significant.parse().map_err(|_| too_large.clone())?;
    let power = u32::try_from(scale)
        .ok()
        .and_then(|s| 10u64.checked_pow(s))
        .ok_or(too_large.clone())?;
    mantissa.checked_mul(power).ok_or(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_underscored_and_scientific_counts_are_accepted() {
        for (text, want) in [
            ("0", 0u64),
            ("7", 7),
            ("007", 7),
            ("300000000", 300_000_000),
            ("300_000_000", 300_000_000),
            ("3e8", 300_000_000),
            ("3E8", 300_000_000),
            ("1.5e6", 1_500_000),
            ("2.50e1", 25),
            ("1e+3", 1000),
            ("1000e-3", 1),
            ("1_000.000_0e0_3", 1_000_000),
            ("1.0", 1),
            ("0e400", 0),
            ("0.000", 0),
            ("18446744073709551615", u64::MAX),
            ("1.8446744073709551615e19", u64::MAX),
        ] {
            assert_eq!(count::<u64>(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn everything_else_is_refused_with_its_reason() {
        use CountError::*;
        let max = TooLarge { max: u64::MAX };
        for (text, why) in [
            ("", Empty),
            ("-5", Negative),
            ("-0", Negative),
            ("1.5", Fraction),
            ("1e-3", Fraction),
            ("1.25e1", Fraction),
            ("_1", StrayUnderscore),
            ("1_", StrayUnderscore),
            ("1__0", StrayUnderscore),
            ("1e_3", StrayUnderscore),
            ("18446744073709551616", max.clone()),
            ("1e400", max.clone()),
            ("2e19", max.clone()),
            ("1e99999999999999999999999", max.clone()),
            ("+5", NotANumber),
            (" 5", NotANumber),
            ("5 ", NotANumber),
            ("abc", NotANumber),
            ("0x10", NotANumber),
            ("1.", NotANumber),
            (".5", NotANumber),
            ("1e", NotANumber),
            ("e5", NotANumber),
            ("1e5e5", NotANumber),
            ("1.2.3", NotANumber),
            ("inf", NotANumber),
            ("NaN", NotANumber),
            ("١٢", NotANumber),
        ] {
            assert_eq!(count::<u64>(text), Err(why), "{text:?}");
        }
    }

    #[test]
    fn the_reasons_read_well() {
        let msg = |t: &str| count::<u64>(t).unwrap_err().to_string();
        assert_eq!(msg("-5"), "a count cannot be negative");
        assert_eq!(
            msg("_1"),
            "`_` may only stand between two digits, as in 1_000_000"
        );
        assert_eq!(msg("1e400"), "too large: at most 18446744073709551615");
        assert_eq!(
            msg("1.5"),
            "not a whole number; expected one such as 1000000, 1_000_000 or 1e6"
        );
    }

    #[test]
    fn the_type_bounds_the_value() {
        assert_eq!(count::<usize>("1e3"), Ok(1000usize));
        assert_eq!(
            count::<usize>(&(usize::MAX as u128 + 1).to_string()),
            Err(CountError::TooLarge {
                max: usize::MAX as u64
            })
        );
    }

    #[test]
    fn threads_zero_is_all_cores_and_the_cap_holds() {
        let max = runtime::pool::MAX_THREADS;
        assert_eq!(threads("0"), Ok(Threads::AllCores));
        assert_eq!(threads("1e3"), Ok(Threads::Exactly(1000)));
        assert_eq!(threads(&max.to_string()), Ok(Threads::Exactly(max)));
        assert_eq!(
            threads("10000"),
            Err(format!("10000 threads is more than the {max} allowed"))
        );
        assert_eq!(threads("-1"), Err("a count cannot be negative".into()));
    }

    /// `n` with an underscore after the digits at the positions where
    /// `cuts` has a set bit.
    fn with_underscores(n: u64, cuts: u32) -> String {
        let digits = n.to_string();
        let mut s = String::new();
        for (i, c) in digits.chars().enumerate() {
            s.push(c);
            if i + 1 < digits.len() && cuts & (1 << (i % 32)) != 0 {
                s.push('_');
            }
        }
        s
    }

    /// `n` in exact scientific notation: its digits with the point after
    /// the first `point` of them and the exponent that makes up for it.
    fn scientific(n: u64, point: usize, upper: bool) -> String {
        let digits = n.to_string();
        let point = point.clamp(1, digits.len());
        let (whole, fraction) = digits.split_at(point);
        let exponent = digits.len() - point;
        let e = if upper { 'E' } else { 'e' };
        match fraction {
            "" => format!("{whole}{e}{exponent}"),
            f => format!("{whole}.{f}{e}{exponent}"),
        }
    }

    proptest! {
        #[test]
        fn every_u64_round_trips_in_every_form(
            n in any::<u64>(),
            cuts in any::<u32>(),
            point in 0usize..21,
            upper in any::<bool>(),
        ) {
            prop_assert_eq!(count::<u64>(&n.to_string()), Ok(n));
            prop_assert_eq!(count::<u64>(&with_underscores(n, cuts)), Ok(n));
            prop_assert_eq!(count::<u64>(&scientific(n, point, upper)), Ok(n));
        }

        #[test]
        fn values_beyond_u64_are_too_large(extra in 1u128..=u128::from(u64::MAX)) {
            let big = u128::from(u64::MAX) + extra;
            prop_assert_eq!(
                count::<u64>(&big.to_string()),
                Err(CountError::TooLarge { max: u64::MAX })
            );
        }

        #[test]
        fn negatives_and_fractions_are_refused(n in 1u64.., tenths in 1u8..10) {
            prop_assert_eq!(count::<u64>(&format!("-{n}")), Err(CountError::Negative));
            prop_assert_eq!(count::<u64>(&format!("{n}.{tenths}")), Err(CountError::Fraction));
        }

        #[test]
        fn any_text_is_a_count_or_refused_without_panicking(text in "\\PC{0,24}") {
            if let Ok(n) = count::<u64>(&text) {
                // Whatever is accepted is made of the characters of a count.
                prop_assert!(text.chars().all(|c| c.is_ascii_digit() || "_.eE+-".contains(c)));
                prop_assert!(text.starts_with(|c: char| c.is_ascii_digit()), "{text:?} -> {n}");
            }
        }

        #[test]
        fn texts_with_other_characters_are_refused(
            before in "[0-9_.e]{0,6}",
            junk in "[^0-9_.eE+-]",
            after in "[0-9_.e]{0,6}",
        ) {
            let text = format!("{before}{junk}{after}");
            prop_assert!(count::<u64>(&text).is_err(), "{:?} was accepted", text);
        }
    }
}
