//! The workloads the bench times.

use std::fmt;
use std::str::FromStr;

use runtime::{Backend, UnknownName};
use workloads::summer::Mode;

use crate::Runner;

/// A workload of the bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Workload {
    /// The 2D diffusion solver (`hpcrs diff2d`).
    #[cfg_attr(feature = "clap", value(name = "diff2d"))]
    Diff2d,
    /// The area under the curve (`hpcrs auc`).
    Auc,
    /// The threads-versus-processes sum (`hpcrs summer`).
    Summer,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 3] = [Workload::Diff2d, Workload::Auc, Workload::Summer];

    /// The name in the table and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Diff2d => "diff2d",
            Workload::Auc => "auc",
            Workload::Summer => "summer",
        }
    }

    /// The unit of the rate column: the work of one run, per second.
    pub fn rate_unit(self) -> &'static str {
        match self {
            Workload::Diff2d => "cell updates/s",
            Workload::Auc => "points/s",
            Workload::Summer => "additions/s",
        }
    }

    /// The row the speedup column divides by.
    pub fn baseline(self) -> Runner {
        match self {
            Workload::Diff2d | Workload::Auc => Runner::Backend(Backend::Naive),
            Workload::Summer => Runner::Mode(Mode::Serial),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = UnknownName;

    /// Parses a name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName::new("workload", s, Workload::ALL.map(Workload::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(w.name().parse::<Workload>().unwrap(), w);
        }
        assert_eq!(
            "wordcount".parse::<Workload>().unwrap_err().to_string(),
            "unknown workload `wordcount` (expected one of: diff2d, auc, summer)"
        );
    }
}
