//! How a thread of the team waits for work: spin, then yield, then park,
//! the wait policy of OpenMP runtimes (`OMP_WAIT_POLICY`, `GOMP_SPINCOUNT`).
//!
//! A thread that finds nothing to do waits for the next *event* (a task
//! finished somewhere in the team). Spinning first answers within
//! nanoseconds when the other threads are running, as they are on an idle
//! machine. Parking afterwards matters on a loaded one: a thread that keeps
//! its core busy (spinning or `sched_yield`, which returns at once when
//! nothing else is queued on that core) stops the scheduler from moving the
//! descheduled thread it waits for onto that core, so the whole team waits
//! for the other process's time slice to end. A parked thread leaves its
//! core idle, and an idle core pulls the waiting thread over at once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a waiting thread spins before it yields: about the time of one
/// task of the default problem, so that on an idle machine a thread
/// never parks between tasks, while one that waits for a descheduled thread
/// (milliseconds) gives its core away early.
pub(crate) const SPIN: Duration = Duration::from_micros(50);

/// Yields between spinning and parking: a thread queued on the same core
/// runs at once (an oversubscribed team).
const YIELDS: usize = 4;

/// Spins between two looks at the clock.
const SPINS_PER_CLOCK: usize = 32;

/// A count of events, and the threads parked until the next one.
pub(crate) struct Events {
    count: AtomicU64,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    spin: Duration,
}

impl Events {
    /// No events yet; waiters spin for `spin` before yielding and parking
    /// (zero: park after the yields, as an oversubscribed team should).
    pub(crate) fn new(spin: Duration) -> Self {
        Events {
            count: AtomicU64::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            spin,
        }
    }

    /// The events so far: read it before looking for work, and pass it to
    /// [`Events::wait_past`] if there is none, so that an event between the
    /// look and the wait is not missed.
    pub(crate) fn seen(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Records an event (after the writes it announces) and wakes the
    /// parked threads, if any. Costs one atomic add when none is parked.
    pub(crate) fn notify(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        // Dekker-style pairing with `wait_past`: it counts itself a sleeper
        // then reads the count, this adds to the count then reads the
        // sleepers, all SeqCst, so one of the two sees the other.
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.wake.notify_all();
        }
    }

    /// Returns once an event has happened after `seen` (a value of
    /// [`Events::seen`]): spinning, then yielding, then parked.
    pub(crate) fn wait_past(&self, seen: u64) {
        let changed = || self.count.load(Ordering::SeqCst) != seen;
        if !self.spin.is_zero() {
            let start = Instant::now();
            'spin: loop {
                for _ in 0..SPINS_PER_CLOCK {
                    if changed() {
                        return;
                    }
                    std::hint::spin_loop();
                }
                if start.elapsed() >= self.spin {
                    break 'spin;
                }
            }
        }
        for _ in 0..YIELDS {
            if changed() {
                return;
            }
            std::thread::yield_now();
        }
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        while !changed() {
            guard = self
                .wake
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// A ping-pong of `rounds` events between threads, most of them parked
    /// (more threads than cores, no spinning): every wait ends.
    fn ping_pong(threads: usize, rounds: u64, spin: Duration) {
        let events = Events::new(spin);
        let turn = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..threads as u64 {
                let (events, turn) = (&events, &turn);
                s.spawn(move || loop {
                    let seen = events.seen();
                    let now = turn.load(Ordering::SeqCst);
                    if now >= rounds {
                        return;
                    }
                    if now % threads as u64 == t {
                        turn.store(now + 1, Ordering::SeqCst);
                        events.notify();
                    } else {
                        events.wait_past(seen);
                    }
                });
            }
        });
        assert_eq!(turn.load(Ordering::SeqCst), rounds);
    }

    #[test]
    fn eight_threads_take_turns_parked() {
        ping_pong(8, 2000, Duration::ZERO);
    }

    #[test]
    fn eight_threads_take_turns_spinning() {
        ping_pong(8, 2000, SPIN);
    }

    #[test]
    fn a_parked_waiter_wakes_for_an_event_long_after() {
        let events = Events::new(Duration::ZERO);
        let woke = AtomicBool::new(false);
        std::thread::scope(|s| {
            let seen = events.seen();
            let (events, woke) = (&events, &woke);
            s.spawn(move || {
                events.wait_past(seen);
                woke.store(true, Ordering::SeqCst);
            });
            std::thread::sleep(Duration::from_millis(50));
            assert!(!woke.load(Ordering::SeqCst), "woke before any event");
            events.notify();
        });
        assert!(woke.load(Ordering::SeqCst));
    }

    #[test]
    fn an_event_before_the_wait_is_not_missed() {
        let events = Events::new(SPIN);
        let seen = events.seen();
        events.notify();
        events.wait_past(seen);
    }
}
