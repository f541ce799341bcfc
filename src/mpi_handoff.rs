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
use std::sync::OnceLock;

/// The MPI build's program name, looked for beside this program.
pub const MPI_PROGRAM: &str = "hpcrs-mpi";

/// Set, to this program's path, in the environment of the `hpcrs-mpi` this
/// program hands over to. A build with MPI takes it out at start
/// ([`arrived`]) and starts that program, not itself, for more work
/// ([`program`]); a build without MPI that finds it was itself taken for
/// `hpcrs-mpi` (a twin built without MPI) and says so, instead of handing
/// over to itself forever.
const HANDED_OVER: &str = "HPCRS_HANDED_OVER_TO_MPI";

/// The `hpcrs` without MPI that handed this process over ([`arrived`]).
static FRONT: OnceLock<PathBuf> = OnceLock::new();

/// Replaces this process with `hpcrs-mpi` and the same arguments when this
/// build lacks MPI, `wants_mpi` is true and `hpcrs-mpi` lies beside this
/// program; returns `Ok(())` (carry on here) otherwise, and an error naming
/// `hpcrs-mpi` only when it is there but cannot be started.
pub fn to_mpi_build_if(wants_mpi: bool) -> anyhow::Result<()> {
    if comm::HAS_MPI || !wants_mpi {
        return Ok(());
    }
    let Ok(me) = std::env::current_exe() else {
        return Ok(());
    };
    if std::env::var_os(HANDED_OVER).is_some() {
        anyhow::bail!(
            "{} was started as {MPI_PROGRAM}, the build with MPI, but was built without it: \
             build the pair again with scripts/build-mpi.sh",
            me.display()
        );
    }
    let twin = me.with_file_name(MPI_PROGRAM);
    if !twin.is_file() {
        return Ok(());
    }
    Err(exec(&twin, &me, std::env::args_os()))
}

/// Takes the mark of a hand-over out of the environment, so that the
/// programs this one starts do not inherit it, and remembers the program
/// that handed over if the `hpcrs-mpi` beside it is this program. A build
/// with MPI calls it first in `main`, while it is the only thread.
#[cfg(feature = "mpi")]
pub fn arrived() {
    let Some(front) = std::env::var_os(HANDED_OVER) else {
        return;
    };
    std::env::remove_var(HANDED_OVER);
    let front = PathBuf::from(front);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Ok(me) = std::env::current_exe() {
        if same(&front.with_file_name(MPI_PROGRAM), &me) {
            let _ = FRONT.set(front);
        }
    }
}

/// The program to start again for more of this work (child processes,
/// whole-process timings): the `hpcrs` without MPI that handed this
/// process over, which starts faster and hands over again what needs MPI,
/// or else this program.
pub fn program() -> std::io::Result<PathBuf> {
    match FRONT.get() {
        Some(front) => Ok(front.clone()),
        None => std::env::current_exe(),
    }
}

/// Whether an MPI launcher started this process (`mpirun`, `srun`, …): it
/// is then one rank of a job, and any command may use MPI (the program's one
/// reading of the launcher's variables for that question).
pub fn launched_by_mpirun() -> bool {
    comm::launched_by_mpirun(|v| std::env::var_os(v).is_some())
}

/// Executes `program` with `args` (its `argv[0]` kept, so usage messages
/// still name the program the user typed); returns only the error of a
/// failed `exec`. `me` is this program, which the new one may start again.
fn exec(program: &Path, me: &Path, mut args: impl Iterator<Item = OsString>) -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    let arg0 = args.next().unwrap_or_else(|| OsString::from("hpcrs"));
    let err = std::process::Command::new(program)
        .arg0(arg0)
        .args(args)
        .env(HANDED_OVER, me)
        .exec();
    anyhow::Error::new(err).context(format!("starting {} for MPI", program.display()))
}
