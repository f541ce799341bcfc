//! Backend names shared by every workload (`--backend NAME`, the diffusion
//! solver's `Backend`), and the MPI message flavour (`--flavour object|buffer`).

use std::fmt;
use std::str::FromStr;

/// How a workload is run: the diffusion solver's backend names, shared by
/// every workload. A workload that does not implement one of them says so
/// with a clear error instead of silently running another.
pub use runtime::Backend;

/// A name that is not one of the accepted ones ([`Flavour`], summer's modes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (expected one of: {expected})")]
pub struct UnknownName {
    /// What was being parsed ("flavour", "mode").
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

/// How MPI messages carry their payload (the course's lower- vs upper-case
/// mpi4py calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Serialised objects (mpi4py's pickled `reduce`).
    Object,
    /// Typed buffers (mpi4py's `Reduce` on numpy arrays).
    Buffer,
}

impl Flavour {
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

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "object" => Ok(Flavour::Object),
            "buffer" => Ok(Flavour::Buffer),
            _ => Err(UnknownName {
                what: "flavour",
                name: s.to_string(),
                expected: "object, buffer".to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Backend::ALL {
            assert_eq!(b.name().parse::<Backend>().unwrap(), b);
        }
        assert_eq!("Buffer".parse::<Flavour>().unwrap(), Flavour::Buffer);
    }

    #[test]
    fn unknown_name_lists_the_choices() {
        let err = "cuda".parse::<Backend>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown backend `cuda` (expected one of: naive, array, expr, threads, mpi)"
        );
        let err = "pickle".parse::<Flavour>().unwrap_err().to_string();
        assert!(err.contains("object, buffer"), "{err}");
    }
}
