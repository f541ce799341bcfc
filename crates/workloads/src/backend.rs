//! Backend names shared by every workload (`--backend NAME`, from
//! [`runtime`]), and the MPI message flavour (`--flavour object|buffer`).

use std::fmt;
use std::str::FromStr;

pub use runtime::{Backend, UnknownName};

/// How MPI messages carry their payload (the course's lower- vs upper-case
/// mpi4py calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Flavour {
    /// Serialised objects (mpi4py's pickled `reduce`).
    Object,
    /// Typed buffers (mpi4py's `Reduce` on numpy arrays).
    Buffer,
}

impl Flavour {
    /// Every flavour.
    pub const ALL: [Flavour; 2] = [Flavour::Object, Flavour::Buffer];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Object => "object",
            Flavour::Buffer => "buffer",
        }
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Flavour {
    type Err = UnknownName;

    /// Parses a name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flavour::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName::new("flavour", s, Flavour::ALL.map(Flavour::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Flavour::ALL {
            assert_eq!(f.name().parse::<Flavour>().unwrap(), f);
        }
        assert_eq!("Buffer".parse::<Flavour>().unwrap(), Flavour::Buffer);
    }

    #[test]
    fn unknown_name_lists_the_choices() {
        let err = "pickle".parse::<Flavour>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown flavour `pickle` (expected one of: object, buffer)"
        );
    }
}
