//! The peers hpcrs is timed against: the plain C programs of `peers/*.c`
//! (compiled here with `cc -O3 -march=native`, serial and with OpenMP when
//! the compiler has it) and the course's numpy script `peers/diff2d_numpy.py`.
//!
//! The sources are built into the library, so the bench works from any
//! directory; they are written to a temporary directory and compiled or run
//! there. Every peer prints one line of `key=value` results on stderr: the
//! seconds of its time loop, and its answer so that the bench can check it.

mod c;
mod numpy;
mod program;

pub(crate) use c::{CPeers, CPrograms, CFLAGS};
pub(crate) use numpy::numpy_peer;
pub(crate) use program::Program;

use std::path::Path;

use runtime::pool::Threads;

use crate::{BenchOptions, Peer, Workload};

/// The peers the selected workloads need, built or probed once per bench.
pub(crate) struct Peers {
    /// The C peers (diff2d, auc); `None` when no selected workload has one.
    pub c: Option<CPeers>,
    /// The numpy peer (diff2d), or why there is none; `None` when diff2d is
    /// not selected.
    pub numpy: Option<Result<Program, String>>,
    /// What was found: compiler and interpreter versions, one line each.
    pub machine: Vec<String>,
}

impl Peers {
    /// Builds the C peers and probes the numpy peer in `dir`, for the
    /// workloads in `selected`.
    pub(crate) fn prepare(opts: &BenchOptions, selected: &[Workload], dir: &Path) -> Peers {
        let mut machine = Vec::new();
        let wants = |w| selected.contains(&w);
        let c = (wants(Workload::Diff2d) || wants(Workload::Auc)).then(|| {
            let c = CPeers::build(&opts.cc, dir, opts.threads);
            machine.push(format!("C peers: {} {}", c.compiler, CFLAGS.join(" ")));
            c
        });
        let numpy = wants(Workload::Diff2d).then(|| {
            numpy_peer(&opts.python, dir).map(|(program, versions)| {
                machine.push(format!("numpy peer: {versions}"));
                program
            })
        });
        Peers { c, numpy, machine }
    }

    /// The two C variants, each built or why not: none when the C peers
    /// were not needed.
    pub(crate) fn c_variants(&self) -> Vec<(Peer, Result<&CPrograms, &str>)> {
        let Some(c) = &self.c else {
            return Vec::new();
        };
        [(Peer::CSerial, &c.serial), (Peer::COpenMp, &c.openmp)]
            .into_iter()
            .map(|(peer, built)| (peer, built.as_ref().map_err(String::as_str)))
            .collect()
    }
}

/// The environment that gives OpenMP `threads` threads.
fn openmp_env(threads: Threads) -> Vec<(String, String)> {
    match threads {
        Threads::AllCores => Vec::new(),
        Threads::Exactly(n) => vec![("OMP_NUM_THREADS".to_string(), n.to_string())],
    }
}
