//! What a rank started by an MPI launcher tells its MPI library through the
//! environment, set at the top of `main` while the process is one thread
//! (the library reads it in `MPI_Init`, later). Each setting leaves out a
//! discovery that costs every job's start and serves hpcrs nothing
//! (docs/mpi.md, "Start-up"):
//!
//! - **Every launched rank:** hwloc, the topology library MPI asks at
//!   `MPI_Init`, does not discover I/O devices (`HWLOC_COMPONENTS=-linuxio`).
//!   That discovery reads every PCI device's configuration space through
//!   sysfs, and on a virtual machine each read traps into the hypervisor.
//!   hpcrs never asks MPI where a device is; MPI still learns the cores,
//!   caches and NUMA nodes, and UCX finds its network devices itself.
//! - **A job whose ranks all run on this machine** (the launcher's count of
//!   ranks on this machine equals the job's size): UCX, the transport layer
//!   under MPICH and Open MPI, uses shared memory only (`UCX_TLS=self,sm`)
//!   and grows its shared receive buffers 32 segments at a time instead of
//!   512 (`UCX_MM_RX_BUFS_GROW=32`). Without them every rank probes each
//!   network interface through `/proc/net/route` and writes 4 MB of zeros
//!   into a shared-memory file before its first message; ranks on one
//!   machine never talk over a network. (UCX reads `UCX_MODULES`, the list
//!   of modules it loads, before `main` runs, so its InfiniBand module
//!   still loads.)
//!
//! A user who sets a variable of a group (even to nothing) keeps the whole
//! group as they have it.

/// Leaves hwloc's I/O discovery out, for every launched rank.
const EVERY_RANK: &[(&str, &str)] = &[("HWLOC_COMPONENTS", "-linuxio")];

/// Keeps UCX to shared memory, for a job whose ranks all share one machine.
const ONE_MACHINE: &[(&str, &str)] = &[("UCX_TLS", "self,sm"), ("UCX_MM_RX_BUFS_GROW", "32")];

/// The variables to set, given the environment (`var(name)`): none outside
/// a launcher, the groups that apply to this job, and none of a group the
/// user has touched.
fn settings(var: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, &'static str)> {
    if !comm::launched_by_mpirun(|v| var(v).is_some()) {
        return Vec::new();
    }
    let job_size = comm::launcher_rank_and_size(&var).map(|(_, size)| size);
    let ranks_here = comm::launcher_local_rank_and_size(&var).map(|(_, size)| size);
    let one_machine = job_size.is_some() && job_size == ranks_here;
    let untouched = |group: &[(&str, &str)]| group.iter().all(|(name, _)| var(name).is_none());
    let mut chosen = Vec::new();
    for (group, applies) in [(EVERY_RANK, true), (ONE_MACHINE, one_machine)] {
        if applies && untouched(group) {
            chosen.extend_from_slice(group);
        }
    }
    chosen
}

/// Sets this rank's MPI start-up variables ([module docs](self)). Call it
/// first in `main`: the environment may only change while no other thread
/// could read it.
pub fn prepare() {
    // Lossy, not `env::var`: a value that is not UTF-8 is still the user's.
    let var = |v: &str| std::env::var_os(v).map(|s| s.to_string_lossy().into_owned());
    for (name, value) in settings(var) {
        std::env::set_var(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment of the given variables.
    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    /// Hydra's variables for rank 0 of `size` ranks, `here` of them on this machine.
    fn hydra(size: &'static str, here: &'static str) -> Vec<(&'static str, &'static str)> {
        vec![
            ("PMI_RANK", "0"),
            ("PMI_SIZE", size),
            ("MPI_LOCALRANKID", "0"),
            ("MPI_LOCALNRANKS", here),
        ]
    }

    fn names(settings: &[(&str, &str)]) -> Vec<String> {
        settings.iter().map(|(n, _)| n.to_string()).collect()
    }

    #[test]
    fn a_plain_run_sets_nothing() {
        assert!(settings(env(&[])).is_empty());
    }

    #[test]
    fn ranks_on_one_machine_skip_io_discovery_and_network_transports() {
        let expected = [EVERY_RANK, ONE_MACHINE].concat();
        assert_eq!(settings(env(&hydra("2", "2"))), expected);
        let open_mpi = [
            ("OMPI_COMM_WORLD_RANK", "1"),
            ("OMPI_COMM_WORLD_SIZE", "4"),
            ("OMPI_COMM_WORLD_LOCAL_RANK", "1"),
            ("OMPI_COMM_WORLD_LOCAL_SIZE", "4"),
        ];
        assert_eq!(settings(env(&open_mpi)), expected);
    }

    #[test]
    fn ranks_on_several_machines_keep_their_network() {
        assert_eq!(settings(env(&hydra("4", "2"))), EVERY_RANK);
    }

    #[test]
    fn a_launcher_that_does_not_say_where_ranks_run_keeps_the_network() {
        assert_eq!(
            settings(env(&[("PMI_RANK", "0"), ("PMI_SIZE", "2")])),
            EVERY_RANK
        );
        assert_eq!(settings(env(&[("PMIX_RANK", "0")])), EVERY_RANK);
    }

    #[test]
    fn a_group_the_user_touched_stays_theirs() {
        let mut vars = hydra("2", "2");
        vars.push(("UCX_TLS", "rc"));
        assert_eq!(names(&settings(env(&vars))), ["HWLOC_COMPONENTS"]);
        let mut vars = hydra("2", "2");
        vars.push(("HWLOC_COMPONENTS", ""));
        assert_eq!(settings(env(&vars)), ONE_MACHINE);
    }

    /// The launcher's and the user's variables, each unset or any text.
    const VARS: [&str; 8] = [
        "PMI_RANK",
        "PMI_SIZE",
        "MPI_LOCALRANKID",
        "MPI_LOCALNRANKS",
        "OMPI_COMM_WORLD_SIZE",
        "HWLOC_COMPONENTS",
        "UCX_TLS",
        "UCX_MM_RX_BUFS_GROW",
    ];

    proptest::proptest! {
        #[test]
        fn no_environment_overrides_the_user_or_misplaces_a_job(
            values in proptest::collection::vec(
                proptest::option::of(proptest::prop_oneof!["[0-9]{1,2}", ".{0,6}"]),
                VARS.len(),
            ),
        ) {
            let vars: Vec<(&str, &str)> = VARS
                .iter()
                .zip(&values)
                .filter_map(|(n, v)| Some((*n, v.as_deref()?)))
                .collect();
            let var = env(&vars);
            let chosen = settings(&var);
            for (name, _) in &chosen {
                proptest::prop_assert!(var(name).is_none(), "{name} was the user's");
            }
            let sizes = (
                var("PMI_SIZE").and_then(|s| s.trim().parse::<usize>().ok()),
                var("MPI_LOCALNRANKS").and_then(|s| s.trim().parse::<usize>().ok()),
            );
            if chosen.iter().any(|(n, _)| *n == "UCX_TLS") {
                proptest::prop_assert!(sizes.0.is_some() && sizes.0 == sizes.1);
            }
        }
    }
}
