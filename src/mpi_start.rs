//! What a rank started by an MPI launcher tells its MPI library through the
//! environment, set at the top of `main` while the process is one thread
//! (the library reads it in `MPI_Init`, later).
//!
//! One setting: hwloc, the topology library MPI asks at `MPI_Init`, is told
//! not to discover I/O devices (`HWLOC_COMPONENTS=-linuxio`). That discovery
//! reads every PCI device's configuration space through sysfs, and on a
//! virtual machine each of those reads traps into the hypervisor, which
//! makes it a large part of every rank's start (docs/mpi.md, "Start-up").
//! hpcrs never asks MPI where a device is; MPI still learns the cores,
//! caches and NUMA nodes, and UCX finds its network devices itself. A user
//! who sets `HWLOC_COMPONENTS` (even to nothing) keeps their value.

/// The variable and value that leave hwloc's I/O discovery out.
const SKIP_IO_DISCOVERY: (&str, &str) = ("HWLOC_COMPONENTS", "-linuxio");

/// The variable to set, given whether a launcher started this process and
/// which variables are already set (`is_set`): none outside a launcher, and
/// none the user has set.
fn setting(launched: bool, is_set: impl Fn(&str) -> bool) -> Option<(&'static str, &'static str)> {
    let (name, _) = SKIP_IO_DISCOVERY;
    (launched && !is_set(name)).then_some(SKIP_IO_DISCOVERY)
}

/// Sets this rank's MPI start-up variable ([module docs](self)). Call it
/// first in `main`: the environment may only change while no other thread
/// could read it.
pub fn prepare() {
    let is_set = |v: &str| std::env::var_os(v).is_some();
    if let Some((name, value)) = setting(comm::launched_by_mpirun(is_set), is_set) {
        std::env::set_var(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_launched_rank_skips_io_discovery() {
        assert_eq!(
            setting(true, |_| false),
            Some(("HWLOC_COMPONENTS", "-linuxio"))
        );
    }

    #[test]
    fn a_plain_run_sets_nothing() {
        assert_eq!(setting(false, |_| false), None);
    }

    #[test]
    fn the_users_value_stays() {
        assert_eq!(setting(true, |v| v == "HWLOC_COMPONENTS"), None);
    }
}
