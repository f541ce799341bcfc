//! A gate that holds the threads of a group back until every one of them
//! has started, so that a group runs whole or not at all: if the system
//! refuses a thread, the ones already started leave without running.

use std::sync::{Condvar, Mutex, PoisonError};

/// Closed until [`Gate::open`] says whether to run; see the [module docs](self).
pub(super) struct Gate {
    /// `None` while closed, then whether to run.
    verdict: Mutex<Option<bool>>,
    opened: Condvar,
}

impl Gate {
    /// A closed gate.
    pub(super) fn new() -> Gate {
        Gate {
            verdict: Mutex::new(None),
            opened: Condvar::new(),
        }
    }

    /// Lets every waiting thread through, with whether it should run.
    pub(super) fn open(&self, run: bool) {
        *self.verdict.lock().unwrap_or_else(PoisonError::into_inner) = Some(run);
        self.opened.notify_all();
    }

    /// Waits for the gate to open; returns whether to run.
    pub(super) fn pass(&self) -> bool {
        let verdict = self.verdict.lock().unwrap_or_else(PoisonError::into_inner);
        let verdict = self
            .opened
            .wait_while(verdict, |v| v.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        verdict.unwrap_or(false)
    }
}
