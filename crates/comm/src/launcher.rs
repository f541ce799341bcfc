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

/// This process's rank and the job's size as the MPI launcher announced
/// them, before `MPI_Init`: `var(name)` is the environment variable `name`
/// (MPICH's and Intel MPI's `PMI_RANK`/`PMI_SIZE`, Open MPI's
/// `OMPI_COMM_WORLD_RANK`/`OMPI_COMM_WORLD_SIZE`). `None` when neither pair
/// is set and valid (a rank below the size); `MPI_Init` then says.
///
/// ```
/// let env = |v: &str| match v {
///     "PMI_RANK" => Some("1".to_string()),
///     "PMI_SIZE" => Some("4".to_string()),
///     _ => None,
/// };
/// assert_eq!(comm::launcher_rank_and_size(env), Some((1, 4)));
/// assert_eq!(comm::launcher_rank_and_size(|_| None), None);
/// // Rank 4 of 4 does not exist.
/// assert_eq!(comm::launcher_rank_and_size(|_| Some("4".into())), None);
/// ```
pub fn launcher_rank_and_size(var: impl Fn(&str) -> Option<String>) -> Option<(usize, usize)> {
    announced(
        &var,
        &[
            ("PMI_RANK", "PMI_SIZE"),
            ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ],
    )
}

/// This process's rank among the job's ranks on its own machine, and their
/// number, as the MPI launcher announced them: `var(name)` is the
/// environment variable `name` (MPICH Hydra's
/// `MPI_LOCALRANKID`/`MPI_LOCALNRANKS`, Open MPI's
/// `OMPI_COMM_WORLD_LOCAL_RANK`/`OMPI_COMM_WORLD_LOCAL_SIZE`). `None` when
/// neither pair is set and valid.
///
/// ```
/// let env = |v: &str| match v {
///     "MPI_LOCALRANKID" => Some("1".to_string()),
///     "MPI_LOCALNRANKS" => Some("2".to_string()),
///     _ => None,
/// };
/// assert_eq!(comm::launcher_local_rank_and_size(env), Some((1, 2)));
/// assert_eq!(comm::launcher_local_rank_and_size(|_| Some("x".into())), None);
/// ```
pub fn launcher_local_rank_and_size(
    var: impl Fn(&str) -> Option<String>,
) -> Option<(usize, usize)> {
    announced(
        &var,
        &[
            ("MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
            ("OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),
        ],
    )
}

/// The first pair of (rank, size) variables that are both set to numbers,
/// the rank below the size.
fn announced(
    var: &impl Fn(&str) -> Option<String>,
    pairs: &[(&str, &str)],
) -> Option<(usize, usize)> {
    pairs.iter().find_map(|&(rank, size)| {
        let rank: usize = var(rank)?.trim().parse().ok()?;
        let size: usize = var(size)?.trim().parse().ok()?;
        (rank < size).then_some((rank, size))
    })
}
