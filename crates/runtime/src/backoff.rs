//! Waiting for what another thread or process will do without holding a
//! core: poll while spinning, then yield, then sleep between polls with
//! naps that double — the wait policy of OpenMP runtimes
//! (`OMP_WAIT_POLICY`, `GOMP_SPINCOUNT`) for waits that only polling can
//! end, such as an MPI request.
//!
//! Why not just spin: a waiter that keeps its core busy (spinning, or
//! `sched_yield`, which returns at once when nothing else is queued on that
//! core) keeps the scheduler from moving the task it waits for — queued
//! behind other work on another core — onto that core, so the wait lasts
//! the other work's whole time slice. A sleeping waiter leaves its core
//! idle, and an idle core pulls a waiting task over at once.
//!
//! How long to spin adapts ([`SpinBudget`]): a wait shorter than a
//! scheduler time slice lets the next one spin twice as long (the partner
//! runs, and its answer is microseconds away once both spin); a longer wait
//! halves the spin (a loaded machine, where the partner is descheduled for
//! a time slice and spinning only burns the core it needs). The threshold is
//! a time slice, not the spin itself: two partners that both nap answer each
//! other a nap late, and judged against the spin they would keep each other
//! napping for good.
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use runtime::backoff::{SpinBudget, WaitPolicy};
//!
//! static BUDGET: SpinBudget = SpinBudget::new(WaitPolicy::DEFAULT);
//! let flag = AtomicBool::new(false);
//! std::thread::scope(|s| {
//!     s.spawn(|| flag.store(true, Ordering::Release));
//!     BUDGET.wait_until(|| flag.load(Ordering::Acquire));
//! });
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The phases of a wait: how long to spin at most and at least, how many
/// yields follow, and the naps between polls after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// The longest spin (and the first one): longer than two busy partners
    /// drift apart between two meetings, far shorter than a time slice.
    pub max_spin: Duration,
    /// The shortest spin, when the recent waits all outlasted the spin.
    pub min_spin: Duration,
    /// Yields between spinning and sleeping: a task queued on the same core
    /// runs at once.
    pub yields: u32,
    /// The first sleep between polls.
    pub first_nap: Duration,
    /// The longest sleep between polls while the wait is short: bounds how
    /// late a waiter notices what happened while it slept.
    pub longest_nap: Duration,
    /// A wait that has lasted long may sleep longer, up to this share of
    /// its length so far (1/`late_share`), so that noticing late costs it
    /// at most that share, and a long wait (a rank waiting for another's
    /// input) wakes a few hundred times a second, not thousands.
    pub late_share: u32,
    /// The longest sleep between polls of a long wait.
    pub longest_late_nap: Duration,
    /// A wait longer than this (about a scheduler time slice) means the
    /// partner was descheduled, and halves the spin; a shorter one doubles it.
    pub long_wait: Duration,
}

impl WaitPolicy {
    /// Spin 5–200 µs, yield 4 times, then nap 20 µs doubling to 200 µs,
    /// and to a 32nd of the wait so far, at most 2 ms, once the wait has
    /// lasted over 6.4 ms; a wait of over 1 ms halves the spin.
    pub const DEFAULT: WaitPolicy = WaitPolicy {
        max_spin: Duration::from_micros(200),
        min_spin: Duration::from_micros(5),
        yields: 4,
        first_nap: Duration::from_micros(20),
        longest_nap: Duration::from_micros(200),
        late_share: 32,
        longest_late_nap: Duration::from_millis(2),
        long_wait: Duration::from_millis(1),
    };
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy::DEFAULT
    }
}

/// What one [`Backoff::pause`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// A spin-loop hint: the core stayed busy.
    Spun,
    /// `sched_yield`.
    Yielded,
    /// A sleep of this long (before the timer's slack).
    Slept(Duration),
}

/// The pauses between the polls of one wait: spin for `spin`, yield
/// `yields` times, then sleep, each nap twice the last up to the longest
/// (or, once the wait has lasted long, up to its share of the wait so far).
#[derive(Debug)]
pub struct Backoff {
    started: Instant,
    spin: Duration,
    yields_left: u32,
    nap: Duration,
    /// The naps' bounds.
    policy: WaitPolicy,
}

impl Backoff {
    /// A wait starting now that spins for `spin`, then follows `policy`.
    pub fn new(spin: Duration, policy: &WaitPolicy) -> Backoff {
        Backoff {
            started: Instant::now(),
            spin,
            yields_left: policy.yields,
            nap: policy.first_nap,
            policy: *policy,
        }
    }

    /// How long this wait has lasted.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Spins or yields once; `false` (doing nothing) once the spin and the
    /// yields are used up, when a caller that can block (a condition
    /// variable) should block instead.
    pub fn spin_or_yield(&mut self) -> bool {
        self.busy_pause().is_some()
    }

    /// One pause between two polls: a spin, a yield or a nap.
    pub fn pause(&mut self) -> Pause {
        if let Some(pause) = self.busy_pause() {
            return pause;
        }
        let nap = self.nap;
        std::thread::sleep(nap);
        let p = &self.policy;
        let late = (self.started.elapsed() / p.late_share.max(1)).min(p.longest_late_nap);
        self.nap = (nap * 2).min(p.longest_nap.max(late));
        Pause::Slept(nap)
    }

    /// A spin while the spin lasts, then a yield while yields are left.
    fn busy_pause(&mut self) -> Option<Pause> {
        if self.started.elapsed() < self.spin {
            std::hint::spin_loop();
            return Some(Pause::Spun);
        }
        if self.yields_left > 0 {
            self.yields_left -= 1;
            std::thread::yield_now();
            return Some(Pause::Yielded);
        }
        None
    }
}

/// How long waits spin, learnt from how long the recent ones lasted; shared
/// by the waits of one thread, or of one process that waits for others
/// (an MPI rank). See the [module docs](self).
#[derive(Debug)]
pub struct SpinBudget {
    /// The current spin in nanoseconds, between the policy's bounds.
    nanos: AtomicU64,
    policy: WaitPolicy,
}

impl SpinBudget {
    /// A budget that starts at the policy's longest spin.
    pub const fn new(policy: WaitPolicy) -> SpinBudget {
        SpinBudget {
            nanos: AtomicU64::new(policy.max_spin.as_nanos() as u64),
            policy,
        }
    }

    /// The spin the next wait gets.
    pub fn spin(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    /// The pauses of a wait starting now.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.spin(), &self.policy)
    }

    /// Learns from a wait that lasted `waited`: one within the policy's
    /// `long_wait` doubles the budget, a longer one halves it.
    pub fn record(&self, waited: Duration) {
        let (min, max) = (
            self.policy.min_spin.as_nanos() as u64,
            self.policy.max_spin.as_nanos() as u64,
        );
        let now = self.nanos.load(Ordering::Relaxed);
        let next = if waited <= self.policy.long_wait {
            now.saturating_mul(2).min(max)
        } else {
            (now / 2).max(min)
        };
        self.nanos.store(next, Ordering::Relaxed);
    }

    /// Polls `done` until it returns `true`, pausing between polls as this
    /// budget and its policy say, and learns from how long that took.
    pub fn wait_until(&self, done: impl FnMut() -> bool) {
        self.wait_at_least_spinning(Duration::ZERO, done);
    }

    /// [`SpinBudget::wait_until`] that spins for at least `busy` — the time
    /// the awaited work needs while its partner runs, such as a large
    /// message's copy, which advances only while it is polled — and judges
    /// the wait by how much longer than `busy` it took.
    pub fn wait_at_least_spinning(&self, busy: Duration, mut done: impl FnMut() -> bool) {
        if done() {
            return;
        }
        let mut backoff = Backoff::new(self.spin().max(busy), &self.policy);
        while !done() {
            backoff.pause();
        }
        self.record(backoff.elapsed().saturating_sub(busy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    const POLICY: WaitPolicy = WaitPolicy {
        max_spin: Duration::from_micros(200),
        min_spin: Duration::from_micros(5),
        yields: 2,
        first_nap: Duration::from_micros(20),
        longest_nap: Duration::from_micros(80),
        late_share: 32,
        longest_late_nap: Duration::from_millis(2),
        long_wait: Duration::from_millis(1),
    };

    #[test]
    fn pauses_spin_then_yield_then_sleep_doubling_to_the_longest() {
        // Naps that never grow late, however long the sleeps take on a busy
        // machine (the late naps have their own test).
        let policy = WaitPolicy {
            late_share: u32::MAX,
            ..POLICY
        };
        let mut b = Backoff::new(Duration::ZERO, &policy);
        let pauses: Vec<Pause> = (0..6).map(|_| b.pause()).collect();
        let us = Duration::from_micros;
        assert_eq!(
            pauses,
            [
                Pause::Yielded,
                Pause::Yielded,
                Pause::Slept(us(20)),
                Pause::Slept(us(40)),
                Pause::Slept(us(80)),
                Pause::Slept(us(80)),
            ]
        );
        // Sleeps last at least as long as asked.
        assert!(b.elapsed() >= us(300), "{:?}", b.elapsed());
    }

    #[test]
    fn a_long_wait_naps_longer_as_it_lasts() {
        let mut b = Backoff::new(Duration::ZERO, &POLICY);
        let mut naps = Vec::new();
        while b.elapsed() < Duration::from_millis(60) {
            if let Pause::Slept(nap) = b.pause() {
                naps.push(nap);
            }
        }
        let longest = naps.iter().max().copied().unwrap_or_default();
        // Past 80 µs × 32 of waiting the naps outgrow the short wait's 80 µs,
        // and never pass 2 ms; so a 60 ms wait polls far fewer than the
        // 750 times that naps of 80 µs would.
        assert!(longest > POLICY.longest_nap, "{naps:?}");
        assert!(longest <= POLICY.longest_late_nap, "{naps:?}");
        assert!(naps.len() < 300, "{} naps", naps.len());
    }

    #[test]
    fn a_long_spin_spins_first() {
        let mut b = Backoff::new(Duration::from_secs(60), &POLICY);
        assert!((0..1000).all(|_| b.pause() == Pause::Spun));
        assert!(b.spin_or_yield());
    }

    #[test]
    fn spin_or_yield_gives_up_after_the_yields() {
        let mut b = Backoff::new(Duration::ZERO, &POLICY);
        assert!(b.spin_or_yield());
        assert!(b.spin_or_yield());
        assert!(!b.spin_or_yield());
        assert!(!b.spin_or_yield());
    }

    #[test]
    fn the_budget_halves_after_long_waits_and_doubles_after_short_ones() {
        let budget = SpinBudget::new(POLICY);
        let us = Duration::from_micros;
        assert_eq!(budget.spin(), us(200));
        for want in [100, 50, 25, 12, 6, 5, 5] {
            budget.record(Duration::from_millis(3));
            assert_eq!(budget.spin().as_micros(), want);
        }
        for want in [10, 20, 40, 80, 160, 200, 200] {
            budget.record(us(900));
            assert_eq!(budget.spin().as_micros(), want);
        }
    }

    /// Runs `wait` with a poll of a flag that another thread sets 30 ms
    /// later, and checks that the wait saw it set.
    fn wait_for_a_flag_set_in_30_ms(wait: impl FnOnce(&dyn Fn() -> bool)) {
        let flag = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(30));
                flag.store(true, Ordering::Release);
            });
            wait(&|| flag.load(Ordering::Acquire));
            assert!(flag.load(Ordering::Acquire));
        });
    }

    #[test]
    fn wait_until_sees_a_flag_set_much_later_and_learns_it_was_long() {
        let budget = SpinBudget::new(POLICY);
        wait_for_a_flag_set_in_30_ms(|set| budget.wait_until(set));
        assert_eq!(budget.spin(), Duration::from_micros(100));
    }

    #[test]
    fn a_wait_within_its_busy_time_is_not_judged_long() {
        let budget = SpinBudget::new(POLICY);
        wait_for_a_flag_set_in_30_ms(|set| {
            budget.wait_at_least_spinning(Duration::from_millis(40), set)
        });
        assert_eq!(budget.spin(), POLICY.max_spin);
    }

    #[test]
    fn wait_until_returns_at_once_when_already_done() {
        let budget = SpinBudget::new(POLICY);
        let mut polls = 0;
        budget.wait_until(|| {
            polls += 1;
            true
        });
        assert_eq!((polls, budget.spin()), (1, POLICY.max_spin));
    }
}
