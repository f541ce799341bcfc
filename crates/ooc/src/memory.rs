//! The memory limit of [`Control`](crate::Control): its default from the
//! machine's memory (which the program reads and passes in), and byte sizes
//! as people write them (`512M`, `2G`).

/// The memory limit when the machine's memory is not known: 1 GiB.
pub const FALLBACK_MEMORY_LIMIT: u64 = 1 << 30;

/// The default memory limit: a quarter of the machine's physical memory
/// (`physical`, which the program reads), or [`FALLBACK_MEMORY_LIMIT`] if unknown.
pub fn default_memory_limit(physical: Option<u64>) -> u64 {
    physical.map_or(FALLBACK_MEMORY_LIMIT, |m| m / 4)
}

/// The smallest memory limit worth asking for: below it, the smallest chunks (a page per
/// thread, and as many for the pages mapped around them) already exceed it.
pub const MIN_LIMIT: u64 = 64 << 10;

/// Why a text is not a byte size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Not a number followed by an optional unit.
    #[error("expected a size such as 512M or 2G")]
    NotASize,
    /// More bytes than 64 bits can count.
    #[error("more than 2^64 bytes")]
    TooLarge,
}

/// Parses a byte size such as `512M`, `2G`, `1.5GiB`, `4096` (binary units, up to `T`).
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().map_err(|_| SizeError::NotASize)?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1u64,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(SizeError::NotASize),
    };
    let bytes = num * mult as f64;
    // 2^64 as f64: every smaller f64 converts to a u64 exactly (no saturation).
    if bytes >= 18_446_744_073_709_551_616.0 {
        return Err(SizeError::TooLarge);
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("12 kb"), Ok(12 << 10));
        assert_eq!(parse_size("16777215T"), Ok(16777215 << 40));
        assert_eq!(parse_size("lots"), Err(SizeError::NotASize));
        assert_eq!(parse_size("5X"), Err(SizeError::NotASize));
        assert_eq!(parse_size("-5M"), Err(SizeError::NotASize));
        assert_eq!(parse_size("1e3"), Err(SizeError::NotASize));
        assert_eq!(parse_size(""), Err(SizeError::NotASize));
        assert_eq!(parse_size("16777216T"), Err(SizeError::TooLarge));
        assert_eq!(
            parse_size("99999999999999999999999999"),
            Err(SizeError::TooLarge)
        );
    }

    #[test]
    fn the_default_limit_is_a_quarter_of_the_memory() {
        assert_eq!(default_memory_limit(Some(16 << 30)), 4 << 30);
        assert_eq!(default_memory_limit(None), FALLBACK_MEMORY_LIMIT);
    }
}
