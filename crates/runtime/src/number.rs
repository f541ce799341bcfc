//! Numbers in messages: as written when short, in scientific notation when
//! plain digits would run to hundreds of characters.

use std::fmt;

/// Shows an `f64` the way Rust's `Display` does (`0`, `-0.1`, `25`,
/// `0.00001`) for magnitudes from 1e-5 to 1e16, and in scientific notation
/// (`1e300`, `5e-324`) beyond, where `Display` would print every digit.
/// Infinities and NaN show as `inf`, `-inf` and `NaN`.
///
/// ```
/// use runtime::number::Readable;
///
/// assert_eq!(Readable(25.0).to_string(), "25");
/// assert_eq!(Readable(0.00001).to_string(), "0.00001");
/// assert_eq!(Readable(1e300).to_string(), "1e300");
/// assert_eq!(Readable(-1e-310).to_string(), "-1e-310");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Readable(pub f64);

impl fmt::Display for Readable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.abs();
        if magnitude == 0.0 || !magnitude.is_finite() || (1e-5..1e16).contains(&magnitude) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Readable;

    #[test]
    fn every_finite_number_is_short_and_reads_back_exactly() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -0.1,
            1e-5,
            9.99e-6,
            1e15,
            1e16,
            1.7976931348623157e308,
            5e-324,
            -2.5e-300,
            123456.789,
        ] {
            let shown = Readable(v).to_string();
            assert!(shown.len() <= 24, "{v}: {shown}");
            assert_eq!(
                shown.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{shown}"
            );
        }
    }

    #[test]
    fn infinities_and_nan_show_as_rust_names_them() {
        assert_eq!(Readable(f64::INFINITY).to_string(), "inf");
        assert_eq!(Readable(f64::NEG_INFINITY).to_string(), "-inf");
        assert_eq!(Readable(f64::NAN).to_string(), "NaN");
    }
}
