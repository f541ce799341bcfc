//! Telling whether this process was started by an MPI launcher, without
//! reading the environment here: the caller (the command line) looks the
//! variables up.

/// The environment variables an MPI launcher (`mpirun`, `mpiexec`) sets in
/// the processes it starts: MPICH's and Intel MPI's (PMI), PMIx's, Open
/// MPI's, and MPICH's Hydra node count.
pub const MPI_LAUNCHER_VARS: &[&str] = &[
    "PMI_RANK",
    "PMI_SIZE",
    "PMIX_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "MPI_LOCALNRANKS",
];

/// Whether this process was started by an MPI launcher: `is_set(name)` says
/// whether the environment variable `name` is set, for each name of
/// [`MPI_LAUNCHER_VARS`]. A plain run (no launcher) is a world of one rank.
///
/// The command line passes the real environment:
///
/// ```
/// let by_mpirun = comm::launched_by_mpirun(|v| std::env::var_os(v).is_some());
/// # let _ = by_mpirun;
/// assert!(comm::launched_by_mpirun(|v| v == "PMI_RANK"));
/// assert!(!comm::launched_by_mpirun(|_| false));
/// ```
pub fn launched_by_mpirun(is_set: impl Fn(&str) -> bool) -> bool {
    MPI_LAUNCHER_VARS.iter().any(|v| is_set(v))
}
