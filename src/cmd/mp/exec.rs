//! `hpcrs mp exec`: the course's secondfork.py, once: fork, the child
//! replaces itself with another program (`execvp`), the parent says who
//! the child is, waits for it and reports its exit status.

use std::ffi::OsString;
use std::process::ExitCode;

use procs::{Exit, StartMethod};

use crate::output::outln;

/// Arguments of `hpcrs mp exec`.
#[derive(clap::Args)]
pub struct Args {
    /// The program and its arguments (default: `ls -l`), looked up in PATH.
    #[arg(last = true, value_name = "PROGRAM ARGS")]
    command: Vec<OsString>,
}

/// Runs `hpcrs mp exec`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut command = args.command;
    if command.is_empty() {
        command = vec!["ls".into(), "-l".into()];
    }
    let program = command.remove(0);
    let ctx = crate::children::context()?.with_start_method(StartMethod::Fork);
    let mut child = ctx.fork_exec(&program, &command)?;
    outln!("The child is {}", child.pid())?;
    let pid = child.pid();
    let exit = child.wait()?;
    outln!("child {pid} {exit}")?;
    Ok(match exit {
        Exit::Code(0) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}
