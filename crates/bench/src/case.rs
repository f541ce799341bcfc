//! A row to time (a case) and the cases of one workload (a plan).

use crate::check::{Answer, Check};
use crate::{Runner, Status, Timing, Workload};

/// One timed run: its seconds and its answer, or why it failed.
pub(crate) type RunOnce = Box<dyn FnMut() -> Result<Measured, String>>;

/// One timed run of the whole program (spawned, waited for): its wall
/// seconds, or why it failed.
pub(crate) type RunProcess = Box<dyn FnMut() -> Result<f64, String>>;

/// What one run measured.
pub(crate) struct Measured {
    /// The seconds of the timed part (the time loop of a peer, the stepping
    /// of a backend).
    pub seconds: f64,
    /// The wall seconds of the whole process, when the run was one (a
    /// peer's).
    pub process_seconds: Option<f64>,
    /// What it computed.
    pub answer: Answer,
}

impl From<(f64, Answer)> for Measured {
    /// An in-process run: its seconds and answer.
    fn from((seconds, answer): (f64, Answer)) -> Self {
        Measured {
            seconds,
            process_seconds: None,
            answer,
        }
    }
}

/// A row to time.
pub(crate) struct Case {
    /// The workload of the row.
    pub workload: Workload,
    /// Who runs it.
    pub runner: Runner,
    /// Units of work of one run (cell updates, points, additions).
    pub work: f64,
    /// How its answer is checked.
    pub check: Check,
    /// How to run it once; `Err`: a peer this machine cannot run, and why.
    run: Result<RunOnce, String>,
    /// How to run it once as a whole process of its own, if that is a
    /// separate run (an hpcrs backend, run again as `hpcrs <workload>`).
    process: Option<RunProcess>,
    /// The times of its successful runs.
    pub timing: Timing,
    /// The wall times of its whole-process runs.
    pub process_timing: Timing,
    /// The answer of its last successful run.
    pub answer: Option<Answer>,
    /// The error that stopped it.
    pub error: Option<String>,
}

impl Case {
    /// A row that runs `run` (which returns a [`Measured`], or an
    /// in-process run's seconds and answer).
    pub(crate) fn new<M: Into<Measured>>(
        workload: Workload,
        runner: Runner,
        work: f64,
        check: Check,
        mut run: impl FnMut() -> Result<M, String> + 'static,
    ) -> Case {
        Case {
            workload,
            runner,
            work,
            check,
            run: Ok(Box::new(move || run().map(Into::into))),
            process: None,
            timing: Timing::default(),
            process_timing: Timing::default(),
            answer: None,
            error: None,
        }
    }

    /// The row of a peer this machine cannot run (no compiler, no OpenMP,
    /// no numpy), saying why.
    pub(crate) fn skipped(workload: Workload, runner: Runner, why: impl Into<String>) -> Case {
        Case {
            workload,
            runner,
            work: 0.0,
            check: Check::AgainstReference,
            run: Err(why.into()),
            process: None,
            timing: Timing::default(),
            process_timing: Timing::default(),
            answer: None,
            error: None,
        }
    }

    /// Also runs it as a whole process, with `run`, once per round.
    pub(crate) fn with_process(
        mut self,
        run: impl FnMut() -> Result<f64, String> + 'static,
    ) -> Case {
        self.process = Some(Box::new(run));
        self
    }

    /// Whether it has a separate whole-process run.
    pub(crate) fn has_process_run(&self) -> bool {
        self.process.is_some()
    }

    /// Whether the next round runs it (not skipped, not failed).
    pub(crate) fn runnable(&self) -> bool {
        self.run.is_ok() && self.error.is_none()
    }

    /// Runs it once: the seconds, or `None` if it failed (the error is kept).
    pub(crate) fn run_once(&mut self) -> Option<f64> {
        let run = self.run.as_mut().ok()?;
        match run() {
            Ok(m) => {
                self.timing.push(m.seconds);
                if let Some(wall) = m.process_seconds {
                    self.process_timing.push(wall);
                }
                self.answer = Some(m.answer);
                Some(m.seconds)
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// Runs it once as a whole process: the wall seconds, or `None` if it
    /// failed (the error is kept) or has no such run.
    pub(crate) fn run_process_once(&mut self) -> Option<f64> {
        let run = self.process.as_mut()?;
        match run() {
            Ok(wall) => {
                self.process_timing.push(wall);
                Some(wall)
            }
            Err(e) => {
                self.error = Some(format!("as a whole process: {e}"));
                None
            }
        }
    }

    /// Why it was skipped, if it was.
    pub(crate) fn skip_reason(&self) -> Option<&str> {
        self.run.as_ref().err().map(String::as_str)
    }

    /// The status of its row, given the reference of its workload.
    pub(crate) fn status(&self, reference: Option<&ndarray::Array2<f64>>) -> Status {
        if let Some(why) = self.skip_reason() {
            return Status::Skipped(why.to_string());
        }
        match (&self.error, &self.answer) {
            (Some(e), _) => Status::Failed(e.clone()),
            (None, None) => Status::Failed("no answer".into()),
            (None, Some(answer)) => self.check.verdict(answer, reference),
        }
    }
}

/// The cases of one workload, with its problem line and its notes (backends
/// this build lacks).
pub(crate) struct Plan {
    /// The problem, one line, starting with the workload's name.
    pub problem: String,
    /// The rows, in table order.
    pub cases: Vec<Case>,
    /// Remarks, each starting with the workload's name.
    pub notes: Vec<String>,
}

impl Plan {
    /// A plan with no cases yet.
    pub(crate) fn new(problem: String) -> Plan {
        Plan {
            problem,
            cases: Vec::new(),
            notes: Vec::new(),
        }
    }
}
