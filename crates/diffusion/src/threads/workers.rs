//! The team's helper threads, started once per stepper and kept between
//! calls, parked while there is no job.
//!
//! A call does not wait for its helpers: it works on its own job with
//! them and returns when the job's work is done, whether or not every
//! helper has woken up to see it. Starting and joining threads every call
//! would put two scheduling delays on every call's critical path (the new
//! thread's first run, the last one's exit), each of milliseconds on a busy
//! machine. A helper that wakes late finds its job finished and parks again.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use runtime::pool::PoolError;

/// Work the helpers share: each calls [`Job::work`] with its member number.
pub(crate) trait Job: Send + Sync {
    /// Member `member`'s part (1 for the first helper; the caller is 0).
    /// Must return at once once the job is finished, and touch nothing
    /// beyond the job itself then.
    fn work(&self, member: usize);

    /// Called when a member's [`Job::work`] panicked: the job must not wait
    /// for that member's part.
    fn abandon(&self);
}

/// What the helpers wait on.
#[derive(Default)]
struct Board {
    /// Bumped for every new job and for shutdown.
    generation: u64,
    job: Option<Arc<dyn Job>>,
    shutdown: bool,
}

/// The board and its bell, shared with the helpers.
#[derive(Default)]
struct Hub {
    board: Mutex<Board>,
    bell: Condvar,
}

/// Helper threads, numbered 1..=count.
pub(crate) struct Workers {
    hub: Arc<Hub>,
    handles: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("count", &self.count())
            .finish()
    }
}

impl Workers {
    /// Starts `count` helpers, parked until the first job.
    pub(crate) fn start(count: usize) -> Result<Workers, PoolError> {
        let hub = Arc::new(Hub::default());
        let mut workers = Workers {
            hub,
            handles: Vec::with_capacity(count),
        };
        for member in 1..=count {
            let hub = Arc::clone(&workers.hub);
            let handle = std::thread::Builder::new()
                .name(format!("diff2d-{member}"))
                .spawn(move || serve(&hub, member))
                .map_err(|e| PoolError::Spawn {
                    threads: count + 1,
                    why: e.to_string(),
                })?;
            workers.handles.push(handle);
        }
        Ok(workers)
    }

    /// The number of helpers.
    pub(crate) fn count(&self) -> usize {
        self.handles.len()
    }

    /// Hands `job` to every helper (replacing the previous one) and wakes
    /// them.
    pub(crate) fn post(&self, job: Arc<dyn Job>) {
        let mut board = self
            .hub
            .board
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        board.generation += 1;
        board.job = Some(job);
        self.hub.bell.notify_all();
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        {
            let mut board = self
                .hub
                .board
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            board.generation += 1;
            board.job = None;
            board.shutdown = true;
            self.hub.bell.notify_all();
        }
        for handle in self.handles.drain(..) {
            // A helper that panicked has nothing more to report here: the
            // job it was on is its caller's, which sees its chunks undone.
            let _ = handle.join();
        }
    }
}

/// A helper's life: wait for a new job, do its part, repeat.
fn serve(hub: &Hub, member: usize) {
    let mut seen = 0;
    loop {
        let job = {
            let mut board = hub.board.lock().unwrap_or_else(PoisonError::into_inner);
            while board.generation == seen && !board.shutdown {
                board = hub.bell.wait(board).unwrap_or_else(PoisonError::into_inner);
            }
            if board.shutdown {
                return;
            }
            seen = board.generation;
            board.job.clone()
        };
        if let Some(job) = job {
            let part = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.work(member)));
            if part.is_err() {
                job.abandon();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count {
        members: Vec<AtomicUsize>,
        done: AtomicUsize,
    }

    impl Job for Count {
        fn work(&self, member: usize) {
            self.members[member].fetch_add(1, Ordering::SeqCst);
            self.done.fetch_add(1, Ordering::SeqCst);
        }

        fn abandon(&self) {}
    }

    #[test]
    fn every_helper_does_its_part_of_every_job_and_stops_when_dropped() {
        let workers = Workers::start(3).unwrap();
        assert_eq!(workers.count(), 3);
        for _ in 0..20 {
            let job = Arc::new(Count {
                members: (0..4).map(|_| AtomicUsize::new(0)).collect(),
                done: AtomicUsize::new(0),
            });
            workers.post(job.clone());
            while job.done.load(Ordering::SeqCst) < 3 {
                std::thread::yield_now();
            }
            let parts: Vec<usize> = job
                .members
                .iter()
                .map(|m| m.load(Ordering::SeqCst))
                .collect();
            assert_eq!(parts, [0, 1, 1, 1]);
        }
        drop(workers);
    }
}
