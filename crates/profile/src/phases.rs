//! The phase recorder the profiler installs into `runtime::phase`: exact
//! call counts and times of every named phase, per thread.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use runtime::phase::{Recorder, Times};

use crate::memory::{self, MemoryPhase};
use crate::sampler::current_thread_id;

/// The counts and times of one phase on one thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseStats {
    /// The phase's name.
    pub name: &'static str,
    /// `pthread_self()` of the thread that ran it (the id the per-thread
    /// breakdown of samples uses).
    pub thread_id: u64,
    /// How many times it ran to its end on that thread.
    pub calls: u64,
    /// Its total time, nested phases included (cProfile's `cumtime`).
    pub total: Duration,
    /// Its own time, nested phases excluded (cProfile's `tottime`).
    pub own: Duration,
}

/// Collects [`PhaseStats`] while installed, and with the memory view, each
/// phase's heap increment.
#[derive(Default)]
pub(crate) struct PhaseRecorder {
    stats: Mutex<State>,
    /// Whether the memory view runs.
    memory: bool,
}

#[derive(Default)]
struct State {
    by_thread: HashMap<(u64, &'static str), PhaseStats>,
    /// The Rust name of each thread that ran a phase.
    names: HashMap<u64, String>,
    /// Heap increments by phase name (with the memory view).
    increments: HashMap<&'static str, MemoryPhase>,
}

impl Recorder for PhaseRecorder {
    fn begin(&self, name: &'static str) {
        if self.memory {
            memory::phase_begin(name);
        }
    }

    fn end(&self, name: &'static str, times: Times) {
        if !self.memory {
            self.record(name, times, None);
            return;
        }
        // The heap is read before the recorder's own allocations, which
        // are not counted.
        let increment = memory::phase_end(name);
        memory::unobserved(|| self.record(name, times, increment));
    }
}

impl PhaseRecorder {
    /// A recorder; `memory`: also the phases' heap increments.
    pub fn new(memory: bool) -> PhaseRecorder {
        PhaseRecorder {
            memory,
            ..PhaseRecorder::default()
        }
    }

    fn record(&self, name: &'static str, times: Times, increment: Option<i64>) {
        let thread_id = current_thread_id();
        let mut state = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = state
            .by_thread
            .entry((thread_id, name))
            .or_insert_with(|| PhaseStats {
                name,
                thread_id,
                calls: 0,
                total: Duration::ZERO,
                own: Duration::ZERO,
            });
        stats.calls += 1;
        stats.total += times.total;
        stats.own += times.own;
        state
            .names
            .entry(thread_id)
            .or_insert_with(|| std::thread::current().name().unwrap_or("").to_owned());
        if let Some(increment) = increment {
            let m = state.increments.entry(name).or_insert(MemoryPhase {
                name,
                calls: 0,
                increment: 0,
                max_increment: i64::MIN,
            });
            m.calls += 1;
            m.increment += increment;
            m.max_increment = m.max_increment.max(increment);
        }
    }

    /// The heap increments by phase name, sorted by name.
    pub fn take_increments(&self) -> Vec<MemoryPhase> {
        let mut state = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<MemoryPhase> = state.increments.drain().map(|(_, m)| m).collect();
        v.sort_by(|a, b| a.name.cmp(b.name));
        v
    }

    /// What was recorded, sorted by phase name then thread, and the names
    /// of the threads.
    pub fn take(&self) -> (Vec<PhaseStats>, HashMap<u64, String>) {
        let mut state = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stats: Vec<PhaseStats> = state.by_thread.drain().map(|(_, s)| s).collect();
        stats.sort_by(|a, b| (a.name, a.thread_id).cmp(&(b.name, b.thread_id)));
        (stats, std::mem::take(&mut state.names))
    }
}
