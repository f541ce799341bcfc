//! The results of submitted tasks, arriving in the background
//! (ipyparallel's `AsyncResult`): ask whether they are [`ready`](AsyncResult::ready),
//! [`wait`](AsyncResult::wait) with a timeout, [`get`](AsyncResult::get)
//! the value, and read each task's [`Metadata`].

use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use crate::error::{ClusterError, Result};
use crate::value::Value;
use crate::wire::Outcome;

/// An answer from the controller to one request.
#[derive(Debug)]
pub(crate) enum Reply {
    Ids(Vec<u64>, Vec<Option<String>>, Vec<Option<String>>),
    ShutdownDone,
    Done {
        engine: u64,
        started: f64,
        finished: f64,
        outcome: Outcome,
    },
    Failed {
        engine: Option<u64>,
        error: String,
    },
}

/// Where and when a task ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metadata {
    /// The engine that ran it.
    pub engine: u64,
    /// When it started, in seconds since the Unix epoch (the engine's clock).
    pub started: f64,
    /// When it ended.
    pub finished: f64,
}

/// One task's result: its value, or the error naming the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    /// The value, or why there is none.
    pub value: std::result::Result<Value, TaskError>,
    /// Where and when it ran (`None` if it never ran).
    pub metadata: Option<Metadata>,
}

/// Why a task has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The engine involved, if any.
    pub engine: Option<u64>,
    /// The message.
    pub message: String,
}

impl TaskError {
    pub(crate) fn into_error(self) -> ClusterError {
        match self.engine {
            Some(engine) => ClusterError::Remote {
                engine,
                message: self.message,
            },
            None => ClusterError::Refused(self.message),
        }
    }
}

/// Results still coming.
pub struct AsyncResult {
    receivers: Vec<Option<Receiver<Reply>>>,
    results: Vec<Option<TaskResult>>,
    single: bool,
}

impl std::fmt::Debug for AsyncResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AsyncResult({} of {} ready)",
            self.results.iter().filter(|r| r.is_some()).count(),
            self.results.len()
        )
    }
}

fn to_result(reply: Reply) -> TaskResult {
    match reply {
        Reply::Done {
            engine,
            started,
            finished,
            outcome,
        } => TaskResult {
            value: outcome.map_err(|message| TaskError {
                engine: Some(engine),
                message,
            }),
            metadata: Some(Metadata {
                engine,
                started,
                finished,
            }),
        },
        Reply::Failed { engine, error } => TaskResult {
            value: Err(TaskError {
                engine,
                message: error,
            }),
            metadata: None,
        },
        other => TaskResult {
            value: Err(TaskError {
                engine: None,
                message: format!("unexpected answer {other:?}"),
            }),
            metadata: None,
        },
    }
}

impl AsyncResult {
    pub(crate) fn new(receivers: Vec<Receiver<Reply>>, single: bool) -> AsyncResult {
        let n = receivers.len();
        AsyncResult {
            receivers: receivers.into_iter().map(Some).collect(),
            results: vec![None; n],
            single,
        }
    }

    /// How many tasks it waits for.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether it waits for no task.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    fn poll(&mut self) {
        for (rx, slot) in self.receivers.iter_mut().zip(&mut self.results) {
            if let Some(r) = rx {
                match r.try_recv() {
                    Ok(reply) => {
                        *slot = Some(to_result(reply));
                        *rx = None;
                    }
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => {
                        *slot = Some(lost());
                        *rx = None;
                    }
                }
            }
        }
    }

    /// Whether every task has finished (without waiting).
    pub fn ready(&mut self) -> bool {
        self.poll();
        self.results.iter().all(Option::is_some)
    }

    /// Waits until every task has finished or `timeout` passes (`None`:
    /// no limit); whether they all finished.
    pub fn wait(&mut self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        for (rx, slot) in self.receivers.iter_mut().zip(&mut self.results) {
            let Some(r) = rx else { continue };
            let got = match deadline {
                None => r.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(d) => r.recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match got {
                Ok(reply) => *slot = Some(to_result(reply)),
                Err(RecvTimeoutError::Timeout) => return false,
                Err(RecvTimeoutError::Disconnected) => *slot = Some(lost()),
            }
            *rx = None;
        }
        true
    }

    /// Each task's result, waiting for all of them (`None`: no limit).
    pub fn results(mut self, timeout: Option<Duration>) -> Result<Vec<TaskResult>> {
        if !self.wait(timeout) {
            return Err(ClusterError::Timeout(
                timeout.unwrap_or_default().as_secs_f64(),
            ));
        }
        Ok(self.results.into_iter().flatten().collect())
    }

    /// The value, waiting for it: one task's value for a single task, the
    /// list of values otherwise; the first failure is the error.
    pub fn get(self) -> Result<Value> {
        self.get_timeout(None)
    }

    /// [`get`](AsyncResult::get) within `timeout`.
    pub fn get_timeout(self, timeout: Option<Duration>) -> Result<Value> {
        let single = self.single;
        let mut values = Vec::new();
        for r in self.results(timeout)? {
            values.push(r.value.map_err(TaskError::into_error)?);
        }
        if single && values.len() == 1 {
            Ok(values.pop().expect("one value"))
        } else {
            Ok(Value::List(values))
        }
    }

    /// Each task's metadata so far (`None` for tasks not finished, or that
    /// never ran).
    pub fn metadata(&mut self) -> Vec<Option<Metadata>> {
        self.poll();
        self.results
            .iter()
            .map(|r| r.as_ref().and_then(|r| r.metadata))
            .collect()
    }
}

fn lost() -> TaskResult {
    TaskResult {
        value: Err(TaskError {
            engine: None,
            message: "the connection to the controller was lost".into(),
        }),
        metadata: None,
    }
}
