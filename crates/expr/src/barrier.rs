//! The barrier of a persistent team of threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A barrier for a fixed team of threads that meet many times, as
/// [`crate::Expr::iterate`]'s team does between passes. The work between
/// two waits is short, so waiters first spin for `spins` iterations (the
/// partner is usually close); after that they sleep on a
/// condition variable, so that on a busy machine a waiter does not burn the
/// core the late thread needs, nor hand it away for a whole time slice with
/// `yield`. This is what OpenMP runtimes do too.
pub struct TeamBarrier {
    n: usize,
    spins: usize,
    arrived: AtomicUsize,
    round: AtomicUsize,
    /// Waiters asleep on `wake`: the last arrival only signals when some are.
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: std::sync::Condvar,
}

impl TeamBarrier {
    /// A barrier for `n` threads that spin `spins` times (each a `pause`,
    /// some tens of cycles) before sleeping.
    pub fn new(n: usize, spins: usize) -> TeamBarrier {
        TeamBarrier {
            n,
            spins,
            arrived: AtomicUsize::new(0),
            round: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: std::sync::Condvar::new(),
        }
    }

    /// Waits until all `n` threads have called `wait` in this round; the
    /// memory effects before the wait of each are visible to all after it.
    pub fn wait(&self) {
        let round = self.round.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.arrived.store(0, Ordering::Relaxed);
            {
                // Under the lock: a waiter checking the round before
                // sleeping cannot miss the wake-up.
                let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                self.round.store(round.wrapping_add(1), Ordering::Release);
            }
            if self.sleepers.load(Ordering::Acquire) > 0 {
                self.wake.notify_all();
            }
            return;
        }
        for _ in 0..self.spins {
            if self.round.load(Ordering::Acquire) != round {
                return;
            }
            std::hint::spin_loop();
        }
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleepers.fetch_add(1, Ordering::AcqRel);
        while self.round.load(Ordering::Acquire) == round {
            g = self.wake.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        self.sleepers.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every thread sees all the team's writes of a round after the wait,
    /// whether the waiters spin or sleep (0 spins).
    #[test]
    fn team_barrier_orders_the_rounds() {
        for spins in [0, 2000] {
            let team = 3;
            let barrier = TeamBarrier::new(team, spins);
            let done = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..team {
                    s.spawn(|| {
                        for round in 1..=50 {
                            done.fetch_add(1, Ordering::Relaxed);
                            barrier.wait();
                            assert!(done.load(Ordering::Relaxed) >= round * team);
                            barrier.wait();
                        }
                    });
                }
            });
            assert_eq!(done.load(Ordering::Relaxed), 50 * team);
        }
    }
}
