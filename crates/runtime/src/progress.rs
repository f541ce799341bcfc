//! Progress reporting: libraries call a [`Progress`], only the program draws.
//!
//! A long operation announces a task with [`Progress::start`] (with its total
//! work when known), reports work done with [`Progress::advance`], may say a
//! line with [`Progress::note`], and ends with [`Progress::finish`]. The
//! command line renders this as a progress bar on a terminal; libraries and
//! tests pass [`Silent`], or a recorder of their own.

use std::sync::Arc;

/// What the amounts of a task count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes (drawn as sizes and a rate).
    Bytes,
    /// Items of the task's own kind: steps, chunks, partitions.
    Items,
}

/// Receives progress from a library. Every method has a do-nothing default,
/// so a receiver implements only what it shows. Methods may be called from
/// any thread of the operation's pool.
pub trait Progress: Send + Sync {
    /// A task named `what` starts; `total` is its amount of work if known.
    fn start(&self, what: &str, total: Option<u64>, unit: Unit) {
        let _ = (what, total, unit);
    }
    /// `done` more units of the current task are done.
    fn advance(&self, done: u64) {
        let _ = done;
    }
    /// A line worth showing (a stage finished, a retry).
    fn note(&self, line: &str) {
        let _ = line;
    }
    /// The current task ended (successfully or not).
    fn finish(&self) {}
}

/// The receiver that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A shareable receiver, as option structs hold it.
pub type SharedProgress = Arc<dyn Progress>;

/// The shared [`Silent`] receiver, the default of every option struct.
pub fn silent() -> SharedProgress {
    Arc::new(Silent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Default)]
    struct Counter(AtomicU64);

    impl Progress for Counter {
        fn advance(&self, done: u64) {
            self.0.fetch_add(done, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_receiver_sees_what_is_reported_from_many_threads() {
        let c = Counter::default();
        let p: &dyn Progress = &c;
        p.start("work", Some(100), Unit::Items);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..25).for_each(|_| p.advance(1)));
            }
        });
        p.finish();
        assert_eq!(c.0.load(Ordering::Relaxed), 100);
        Silent.advance(5);
    }
}
