//! The bounds of `hpcrs mp`'s arguments: each refused value is a one-line
//! error naming the argument and its bound, before any process starts.

use anyhow::bail;

/// Checks `lo <= value <= hi` for the argument `name`; `why` says what the
/// upper bound protects.
pub fn within(name: &str, value: u64, lo: u64, hi: u64, why: &str) -> anyhow::Result<()> {
    if value < lo {
        bail!("{name} must be at least {lo}, got {value}");
    }
    if value > hi {
        bail!("{name} {value} is more than the {hi} allowed ({why})");
    }
    Ok(())
}
