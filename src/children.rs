//! What hpcrs runs in child processes (`procs`): the registry of the
//! functions a spawned child may be asked to run, and the context that
//! starts children (this executable; threads counted from /proc for
//! `fork`).

use anyhow::Context as _;
use procs::{Context, Registry};

/// Every function a child of hpcrs may run: summer's jobs and auc's shares
/// (`workloads::children`) and the course programs of `hpcrs mp`.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    workloads::with_test_hooks! {
        // A summer worker that answers a wrong total (tests/cli/hostile.rs).
        if std::env::var_os("HPCRS_SUMMER_WRONG_TOTAL").is_some() {
            register(&mut registry, workloads::children::register_lying_summer);
            register(&mut registry, crate::cmd::mp::register);
            return registry;
        }
    }
    register(&mut registry, workloads::children::register);
    register(&mut registry, crate::cmd::mp::register);
    registry
}

/// Runs one registration. The names are constants of this program, so a
/// clash is a bug that every test that starts a child shows at once.
fn register(registry: &mut Registry, add: fn(&mut Registry) -> procs::Result<()>) {
    if let Err(e) = add(registry) {
        panic!("hpcrs registers its child functions twice: {e}");
    }
}

/// Children that run this program (for an `hpcrs-mpi` that the `hpcrs`
/// without MPI handed over to, that `hpcrs`: it starts faster), spawned by
/// default.
pub fn context() -> anyhow::Result<Context> {
    let exe =
        crate::mpi_handoff::program().context("finding this program to start child processes")?;
    Ok(Context::new(exe).with_thread_counter(threads))
}

/// This process's threads that may hold a lock when it forks: the `Threads:`
/// line of /proc/self/status, less the signal cleaner's thread, which waits
/// holding none (`crate::signals::quiet_threads`).
fn threads() -> std::io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let all: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("/proc/self/status has no Threads: line"))?;
    Ok(all.saturating_sub(crate::signals::quiet_threads()).max(1))
}
