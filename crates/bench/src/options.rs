//! What the bench runs and how: every knob is a field, set by the caller
//! (the command line reads `$CC`, `$PYTHON` and the CPU model, not this
//! crate).

use runtime::pool::Threads;
use runtime::progress::{self, SharedProgress};

use crate::Workload;

/// What to run and how.
pub struct BenchOptions {
    /// Small problems (a test, a smoke check) instead of the course's.
    pub quick: bool,
    /// Runs per row; the table shows the median and the spread.
    pub runs: usize,
    /// The hpcrs program, to run each hpcrs row also as a whole process
    /// (`hpcrs diff2d --backend ...`), interleaved with the peers' runs, as
    /// a user runs it; `None`: in-process runs only.
    pub hpcrs: Option<std::path::PathBuf>,
    /// Threads of the threaded backends and of OpenMP, as `--threads` means
    /// everywhere (see [`runtime::pool`]).
    pub threads: Threads,
    /// The C compiler of the C peers.
    pub cc: String,
    /// The Python interpreter of the numpy peer (one with numpy).
    pub python: String,
    /// The program whose copies are the worker processes of summer's and
    /// auc's `processes` rows (it registers `workloads::children`'s
    /// functions); `None` leaves those rows out.
    pub processes: Option<workloads::procs::Context>,
    /// Receives one step and one line per timed run.
    pub progress: SharedProgress,
    /// The workloads to run (the table keeps [`Workload::ALL`]'s order).
    pub workloads: Vec<Workload>,
    /// The report's first line about the machine, e.g. `2 cores, Intel(R)
    /// Xeon(R) CPU @ 2.20GHz`: the caller knows the CPU model.
    pub machine: String,
}

impl BenchOptions {
    /// The defaults: the course's problems (or small ones when `quick`), 5
    /// runs (1 when `quick`), no whole-process runs, all cores, `cc`, `python3`, no summer worker,
    /// no progress, every workload, and a machine line of the cores and the
    /// architecture this program was built for (see [`machine_line`]).
    pub fn new(quick: bool) -> Self {
        BenchOptions {
            quick,
            runs: if quick { 1 } else { 5 },
            hpcrs: None,
            threads: Threads::AllCores,
            cc: "cc".to_string(),
            python: "python3".to_string(),
            processes: None,
            progress: progress::silent(),
            workloads: Workload::ALL.to_vec(),
            machine: machine_line(None),
        }
    }

    /// The selected workloads, in table order, each once.
    pub(crate) fn selected(&self) -> Vec<Workload> {
        Workload::ALL
            .into_iter()
            .filter(|w| self.workloads.contains(w))
            .collect()
    }
}

/// The line that says which machine a bench ran on: `N cores, <cpu>`, where
/// `cpu` is the CPU model if the caller knows it, or else the architecture
/// this program was built for.
pub fn machine_line(cpu: Option<&str>) -> String {
    let cpu = cpu
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(std::env::consts::ARCH);
    format!("{} cores, {cpu}", runtime::pool::cores())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_line_names_the_cores_and_the_cpu_or_else_the_architecture() {
        let cores = runtime::pool::cores();
        assert_eq!(
            machine_line(Some(" Example CPU @ 3.00GHz\n")),
            format!("{cores} cores, Example CPU @ 3.00GHz")
        );
        let arch = format!("{cores} cores, {}", std::env::consts::ARCH);
        assert_eq!(machine_line(None), arch);
        assert_eq!(machine_line(Some(" ")), arch);
        assert_eq!(BenchOptions::new(true).machine, arch);
    }
}
