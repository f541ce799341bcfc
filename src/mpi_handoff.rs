//! A build without MPI hands the commands that use MPI to `hpcrs-mpi`, the
//! same program built with the `mpi` feature, when that lies beside it
//! (`scripts/build-mpi.sh` builds both).
//!
//! Why two programs: a program linked with MPI loads MPI's and UCX's
//! libraries at every start, whatever the command, and their constructors
//! (UCX calibrates the time-stamp counter and reads `/proc`) cost about 2 ms
//! of every run. So `hpcrs` stays without MPI, fast for every command, and
//! replaces itself (`exec`: same process, same arguments and environment,
//! so `mpirun` sees no difference) with `hpcrs-mpi` for a rank that an MPI
//! launcher started and for a command that asks for MPI. A build with the
//! `mpi` feature runs everything itself and never hands over.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The MPI build's program name, looked for beside this program.
pub const MPI_PROGRAM: &str = "hpcrs-mpi";

/// Set in the environment of the `hpcrs-mpi` this program hands over to.
/// A build with MPI removes it at start ([`arrived`]); a build without MPI
/// that finds it was itself taken for `hpcrs-mpi` (a twin built without
/// MPI) and says so, instead of handing over to itself forever.
const HANDED_OVER: &str = "HPCRS_HANDED_OVER_TO_MPI";

/// Where this program's MPI twin would be: beside the running executable.
fn mpi_program() -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    Some(me.with_file_name(MPI_PROGRAM))
}

/// Replaces this process with `hpcrs-mpi` and the same arguments when this
/// build lacks MPI, `wants_mpi` is true and `hpcrs-mpi` lies beside this
/// program; returns `Ok(())` (carry on here) otherwise, and an error naming
/// `hpcrs-mpi` only when it is there but cannot be started.
pub fn to_mpi_build_if(wants_mpi: bool) -> anyhow::Result<()> {
    if comm::HAS_MPI || !wants_mpi {
        return Ok(());
    }
    if std::env::var_os(HANDED_OVER).is_some() {
        let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(MPI_PROGRAM));
        anyhow::bail!(
            "{} was started as {MPI_PROGRAM}, the build with MPI, but was built without it: \
             build the pair again with scripts/build-mpi.sh",
            me.display()
        );
    }
    match mpi_program() {
        Some(program) if program.is_file() => Err(exec(&program, std::env::args_os())),
        _ => Ok(()),
    }
}

/// Forgets that this process was handed over to: a build with MPI calls it
/// first in `main`, while it is the only thread, so that the programs it
/// starts do not inherit the mark.
#[cfg(feature = "mpi")]
pub fn arrived() {
    std::env::remove_var(HANDED_OVER);
}

/// Whether an MPI launcher started this process (`mpirun`, `srun`, …): it
/// is then a rank, and any command may use MPI.
pub fn launched_by_mpirun() -> bool {
    comm::launched_by_mpirun(|v| std::env::var_os(v).is_some())
}

/// Executes `program` with `args` (its `argv[0]` kept, so usage messages
/// still name the program the user typed); returns only the error of a
/// failed `exec`.
fn exec(program: &Path, mut args: impl Iterator<Item = OsString>) -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    let arg0 = args.next().unwrap_or_else(|| OsString::from("hpcrs"));
    let err = std::process::Command::new(program)
        .arg0(arg0)
        .args(args)
        .env(HANDED_OVER, "1")
        .exec();
    anyhow::Error::new(err).context(format!("starting {} for MPI", program.display()))
}
