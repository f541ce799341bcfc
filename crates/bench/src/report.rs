//! The bench's result: its rows, the problems and machine they ran on, and
//! the speed targets measured on them.

use crate::{Runner, Target, Timing, Workload};

/// Whether a row's answer agreed with its reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Agrees; the text is the relative difference (or "exact").
    Agrees(String),
    /// Disagrees: what and by how much.
    Differs(String),
    /// Ran but there was nothing to compare with.
    Unchecked(String),
    /// Did not run to the end: the error.
    Failed(String),
    /// A peer this machine cannot run (no C compiler, no OpenMP, no numpy): why.
    Skipped(String),
}

impl Status {
    /// The text of the table's `check` column.
    pub fn cell(&self) -> String {
        match self {
            Status::Agrees(d) => format!("ok ({d})"),
            Status::Differs(d) => format!("DIFFERS: {d}"),
            Status::Unchecked(d) => format!("unchecked: {d}"),
            Status::Failed(e) => format!("FAILED: {e}"),
            Status::Skipped(why) => format!("skipped: {why}"),
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The workload.
    pub workload: Workload,
    /// The backend, mode or peer that ran it.
    pub runner: Runner,
    /// The times of its successful runs (the timed part: a backend's
    /// stepping, a peer's loop).
    pub timing: Timing,
    /// The wall times of its whole-process runs, start to exit (none when
    /// it was not run so).
    pub process_timing: Timing,
    /// Units of work of one run (cell updates, points, additions).
    pub work: f64,
    /// Whether the answer agreed.
    pub status: Status,
}

impl Row {
    /// The median time of the runs (`None` if none succeeded).
    pub fn seconds(&self) -> Option<f64> {
        self.timing.median()
    }

    /// The median wall time of the whole-process runs (`None` if none ran).
    pub fn process_seconds(&self) -> Option<f64> {
        self.process_timing.median()
    }
}

/// The whole bench result.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Small problems rather than the course's.
    pub quick: bool,
    /// Runs per row (the median is the row's time).
    pub runs: usize,
    /// The problems, one line each.
    pub problems: Vec<String>,
    /// Machine, compiler and interpreter lines.
    pub machine: Vec<String>,
    /// The rows, in table order.
    pub rows: Vec<Row>,
    /// Backends this build lacks and other remarks.
    pub notes: Vec<String>,
    /// The speed targets, measured on the rows.
    pub targets: Vec<Target>,
}

impl Report {
    /// An empty report, with no machine line yet.
    pub fn new(quick: bool, runs: usize) -> Report {
        Report {
            quick,
            runs,
            problems: Vec::new(),
            machine: Vec::new(),
            rows: Vec::new(),
            notes: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// A row of the table.
    pub fn row(&self, workload: Workload, runner: Runner) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.workload == workload && r.runner == runner)
    }

    /// The median time of a row.
    pub fn seconds(&self, workload: Workload, runner: Runner) -> Option<f64> {
        self.row(workload, runner).and_then(Row::seconds)
    }

    /// How many times faster than its workload's baseline a row is.
    pub fn speedup(&self, row: &Row) -> Option<f64> {
        Some(self.seconds(row.workload, row.workload.baseline())? / row.seconds()?)
    }

    /// Whether every row that ran agreed with its reference (skipped peers
    /// do not count against it).
    pub fn all_agree(&self) -> bool {
        self.rows
            .iter()
            .all(|r| matches!(r.status, Status::Agrees(_) | Status::Skipped(_)))
    }
}
