//! Whether an allocation fits in memory, checked before it is made, so that
//! a count too large for the machine is an error that says how much it
//! needs rather than an abort of the allocator.
//!
//! This module reads nothing itself: the program reads `/proc/meminfo` and
//! hands its text to [`available_bytes`] or [`proc_bytes`].
//!
//! ```
//! use runtime::memory::{available_bytes, check_fits};
//!
//! let meminfo = "MemTotal:  16384 kB\nMemAvailable:  8192 kB\n";
//! let available = available_bytes(meminfo);
//! assert_eq!(available, Some(8 << 20));
//! assert!(check_fits(Some(1 << 20), available, "the grid").is_ok());
//! assert_eq!(
//!     check_fits(Some(1 << 30), available, "the grid").unwrap_err().to_string(),
//!     "the grid needs 1 GiB but 8 MiB is available"
//! );
//! ```

use crate::size::human_bytes;

/// The most one allocation can hold: Rust refuses any larger (`isize::MAX`).
pub const MAX_ALLOCATION: u64 = isize::MAX as u64;

/// An allocation that would not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryError {
    /// More than the memory available.
    #[error("{what} needs {} but {} is available", human_bytes(*.needed), human_bytes(*.available))]
    TooLarge {
        /// What the memory is for.
        what: String,
        /// The bytes it needs.
        needed: u64,
        /// The bytes available.
        available: u64,
    },
    /// More than any process can address, or a size that overflows 64 bits
    /// (`needed` is then `None`).
    #[error("{what} needs {}, more than a process can address", .needed.map_or_else(|| "more than 16 EiB".to_string(), human_bytes))]
    Unaddressable {
        /// What the memory is for.
        what: String,
        /// The bytes it needs, if they can be counted in 64 bits.
        needed: Option<u64>,
    },
}

/// The memory the system can give without swapping: the `MemAvailable`
/// line of `/proc/meminfo`'s text, in bytes; `None` when the text has no
/// such line (an old kernel, another system).
pub fn available_bytes(meminfo: &str) -> Option<u64> {
    proc_bytes(meminfo, "MemAvailable:")
}

/// The value of the `KEY  N kB` line of a `/proc` file's text (`/proc/meminfo`'s
/// `MemTotal:`, `/proc/self/status`'s `VmHWM:`), in bytes; `None` when the
/// text has no such line.
///
/// ```
/// let status = "Name:\thpcrs\nVmHWM:\t   2048 kB\n";
/// assert_eq!(runtime::memory::proc_bytes(status, "VmHWM:"), Some(2 << 20));
/// ```
pub fn proc_bytes(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix(key))?;
    let mut words = line.split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    let unit = match words.next() {
        None => 1,
        Some("kB") => 1024,
        Some(_) => return None,
    };
    value.checked_mul(unit)
}

/// Checks that `needed` bytes (`None`: a size that overflowed while being
/// computed, see [`u64::checked_mul`]) fit in what one process can address
/// and in `available` bytes (`None`: unknown, only the first check is made).
/// `what` names the allocation in the error.
pub fn check_fits(
    needed: Option<u64>,
    available: Option<u64>,
    what: &str,
) -> Result<(), MemoryError> {
    let unaddressable = || MemoryError::Unaddressable {
        what: what.to_string(),
        needed,
    };
    let needed = needed.ok_or_else(unaddressable)?;
    if needed > MAX_ALLOCATION {
        return Err(unaddressable());
    }
    match available {
        Some(available) if needed > available => Err(MemoryError::TooLarge {
            what: what.to_string(),
            needed,
            available,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:       24576000 kB\n\
                           MemFree:         4096000 kB\n\
                           MemAvailable:   20480000 kB\n\
                           Buffers:           12345 kB\n";

    #[test]
    fn available_is_read_from_the_memavailable_line() {
        assert_eq!(available_bytes(MEMINFO), Some(20_480_000 * 1024));
        assert_eq!(available_bytes("MemAvailable: 12\n"), Some(12));
        for text in [
            "",
            "MemTotal: 1 kB\n",
            "MemAvailable: lots kB\n",
            "MemAvailable: 1 MB\n",
            "MemAvailable:\n",
            "MemAvailable: 18446744073709551615 kB\n",
        ] {
            assert_eq!(available_bytes(text), None, "{text:?}");
        }
    }

    #[test]
    fn what_fits_passes_and_what_does_not_says_how_much() {
        let available = available_bytes(MEMINFO);
        assert_eq!(check_fits(Some(0), available, "x"), Ok(()));
        assert_eq!(check_fits(available, available, "x"), Ok(()));
        assert_eq!(
            check_fits(Some(8_000_000_000_000), available, "--n 1000000000000")
                .unwrap_err()
                .to_string(),
            "--n 1000000000000 needs 7.28 TiB but 19.53 GiB is available"
        );
        // Unknown availability: only the address space is checked.
        assert_eq!(check_fits(Some(1 << 50), None, "x"), Ok(()));
    }

    #[test]
    fn sizes_beyond_the_address_space_are_refused_whatever_is_available() {
        assert_eq!(
            check_fits(Some(u64::MAX), Some(u64::MAX), "the grid")
                .unwrap_err()
                .to_string(),
            "the grid needs 16 EiB, more than a process can address"
        );
        assert_eq!(
            check_fits(None, None, "the grid").unwrap_err().to_string(),
            "the grid needs more than 16 EiB, more than a process can address"
        );
        assert!(check_fits(Some(MAX_ALLOCATION + 1), None, "x").is_err());
    }
}
