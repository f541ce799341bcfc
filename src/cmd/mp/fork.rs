//! `hpcrs mp fork`: the course's firstfork.py, once (without its loop on
//! standard input): the parent forks, then each process says who it is.

use std::process::ExitCode;

use procs::{Func, StartMethod};

use crate::output::outln;

/// Arguments of `hpcrs mp fork`.
#[derive(clap::Args)]
pub struct Args {}

/// What the forked child runs: `Hello from <pid>`, like the course's
/// `child()`.
pub const HELLO: Func<(), bool> = Func::new("mp.hello", |()| {
    outln!("Hello from {}", std::process::id()).is_ok()
});

/// Runs `hpcrs mp fork`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    let ctx = crate::children::context()?.with_start_method(StartMethod::Fork);
    let child = ctx.start(HELLO, ())?;
    outln!("Hello from parent {} {}", std::process::id(), child.pid())?;
    if !child.join()? {
        anyhow::bail!("the child could not write to standard output");
    }
    Ok(ExitCode::SUCCESS)
}
