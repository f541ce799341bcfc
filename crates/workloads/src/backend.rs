//! Backend names shared by every workload (`--backend NAME`), and the MPI
//! message flavour (`--flavour object|buffer`).

use std::fmt;
use std::str::FromStr;

/// How a workload is run. The names are shared across hpcrs: a workload that
/// does not implement one of them says so with a clear error instead of
/// silently running another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// Scalar loops, what a C or Fortran user writes first.
    Naive,
    /// Whole-array operations with temporaries, what numpy does.
    Array,
    /// The expression engine (`crates/expr`).
    Expr,
    /// Fused, vectorised kernels on all cores.
    Threads,
    /// Distributed over MPI ranks (needs the `mpi` feature and `mpirun`).
    Mpi,
}

impl Backend {
    /// Every backend name, in the order tables list them.
    pub const ALL: [Backend; 5] = [
        Backend::Naive,
        Backend::Array,
        Backend::Expr,
        Backend::Threads,
        Backend::Mpi,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Naive => "naive",
            Backend::Array => "array",
            Backend::Expr => "expr",
            Backend::Threads => "threads",
            Backend::Mpi => "mpi",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Backend::ALL`] (or [`Flavour`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (expected one of: {expected})")]
pub struct UnknownName {
    /// What was being parsed ("backend", "flavour").
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

impl FromStr for Backend {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName {
                what: "backend",
                name: s.to_string(),
                expected: Backend::ALL.map(Backend::name).join(", "),
            })
    }
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
