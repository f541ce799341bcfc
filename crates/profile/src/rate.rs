//! The sampling rate.

use std::fmt;
use std::str::FromStr;

use crate::ProfileError;

/// How many times per second of CPU time the sampler asks for a sample.
///
/// The kernel checks a process's CPU timers at each clock tick, so a rate
/// above the tick rate (`CONFIG_HZ`, often 250 or 1000) yields one sample
/// per tick per busy core; the report gives the rate obtained beside the
/// rate asked for, and times come from the measured CPU time, not from the
/// rate.
///
/// ```
/// use profile::Rate;
/// assert_eq!(Rate::default().hz(), 997);
/// assert_eq!("250".parse::<Rate>()?.hz(), 250);
/// assert_eq!(Rate::default().to_string().parse::<Rate>()?, Rate::default());
/// assert!(Rate::new(0).is_err() && "10001".parse::<Rate>().is_err());
/// # Ok::<(), profile::ProfileError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u32);

impl Rate {
    /// The lowest rate: one sample a second.
    pub const MIN: u32 = 1;
    /// The highest rate: above it the signal handler's own cost would
    /// dominate what it measures.
    pub const MAX: u32 = 10_000;
    /// The default, 997 Hz: about one sample a millisecond, and a prime, so
    /// that sampling does not fall into step with periodic work.
    pub const DEFAULT: Rate = Rate(997);

    /// `hz` samples per second of CPU time, if it is in range.
    pub fn new(hz: u64) -> Result<Rate, ProfileError> {
        if (u64::from(Self::MIN)..=u64::from(Self::MAX)).contains(&hz) {
            Ok(Rate(hz as u32))
        } else {
            Err(out_of_range(hz.to_string()))
        }
    }

    /// The rate in hertz.
    pub fn hz(self) -> u32 {
        self.0
    }
}

impl Default for Rate {
    fn default() -> Self {
        Rate::DEFAULT
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz", self.0)
    }
}

impl FromStr for Rate {
    type Err = ProfileError;

    /// A whole number of hertz, `1` to `10000`, as `Display` writes it
    /// (`997 Hz`) or bare (`997`).
    fn from_str(text: &str) -> Result<Rate, ProfileError> {
        let number = text.trim();
        let number = number
            .strip_suffix("Hz")
            .or_else(|| number.strip_suffix("hz"))
            .unwrap_or(number)
            .trim_end();
        match number.parse::<u64>() {
            Ok(hz) => Rate::new(hz),
            Err(_) => Err(out_of_range(text.into())),
        }
    }
}

/// The error of a rate that is not `MIN..=MAX` hertz; a long text is cut
/// short in the message.
fn out_of_range(given: String) -> ProfileError {
    const SHOWN: usize = 20;
    let given = if given.chars().count() > SHOWN + 4 {
        let mut short: String = given.chars().take(SHOWN).collect();
        short.push('…');
        short
    } else {
        given
    };
    ProfileError::Rate {
        given,
        min: Rate::MIN,
        max: Rate::MAX,
    }
}
