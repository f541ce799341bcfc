//! The backend names shared by every workload (`--backend NAME`).

use std::fmt;
use std::str::FromStr;

/// How a workload is run. Every workload uses these names; one that does not
/// implement a backend says so with a clear error instead of running another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Backend {
    /// Scalar loops on one thread: what a C or Fortran user writes first.
    Naive,
    /// Whole-array operations with temporaries: what numpy does.
    Array,
    /// The expression engine (`crates/expr`), like the course's numexpr version.
    Expr,
    /// Fused, vectorised kernels on all cores (the default).
    #[default]
    Threads,
    /// Distributed over MPI ranks (needs the `mpi` feature and `mpirun`).
    Mpi,
    /// A pool of worker processes (`crates/procs`), like `multiprocessing`.
    Processes,
}

impl Backend {
    /// Every backend, in the order a benchmark table lists them.
    pub const ALL: [Backend; 6] = [
        Backend::Naive,
        Backend::Array,
        Backend::Expr,
        Backend::Threads,
        Backend::Mpi,
        Backend::Processes,
    ];

    /// The backend's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Naive => "naive",
            Backend::Array => "array",
            Backend::Expr => "expr",
            Backend::Threads => "threads",
            Backend::Mpi => "mpi",
            Backend::Processes => "processes",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = UnknownName;

    /// Parses a name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName::new("backend", s, Backend::ALL.map(Backend::name)))
    }
}

/// A name that is not one of the accepted ones (a backend, a flavour, a mode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (expected one of: {expected})")]
pub struct UnknownName {
    /// What was being parsed ("backend", "flavour", "mode").
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

impl UnknownName {
    /// The error for `name`, which is none of `expected`.
    pub fn new<'a>(
        what: &'static str,
        name: &str,
        expected: impl IntoIterator<Item = &'a str>,
    ) -> UnknownName {
        UnknownName {
            what,
            name: name.to_string(),
            expected: expected.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_any_case() {
        for b in Backend::ALL {
            assert_eq!(b.name().parse::<Backend>().unwrap(), b);
            assert_eq!(b.name().to_uppercase().parse::<Backend>().unwrap(), b);
        }
    }

    #[test]
    fn unknown_name_lists_the_choices() {
        let err = "cuda".parse::<Backend>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown backend `cuda` (expected one of: naive, array, expr, threads, mpi, processes)"
        );
    }
}
