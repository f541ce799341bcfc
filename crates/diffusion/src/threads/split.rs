//! Where the chunks of rows begin and end: each thread's own chunks (its
//! `home`, see `team.rs`) are as high as that thread is fast.
//!
//! On a VM the cores of one machine do not run at one speed: one vCPU may
//! share its physical core with another guest for seconds at a time and
//! update rows up to twice as slowly as the other. With chunks of equal
//! height, the slow thread holds its chunks twice as long as the fast one
//! holds its own, and the fast thread, whose chunks need the slow one's
//! rows, ends up waiting for it: the team is then no faster than its fast
//! thread alone. So each call measures every thread's speed (row updates
//! per second of its tasks) and the next call cuts the rows in proportion,
//! as the `mpi` backend moves its blocks' boundaries (`mpi/balance.rs`).
//! Equal speeds give chunks of equal height.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// How far apart two threads' weights may get: a thread measured as all
/// but standing still (descheduled in the middle of its tasks) keeps a
/// share.
const MAX_SPEED_RATIO: f64 = 4.0;

/// How much of a new measurement a weight takes: a call is a few
/// milliseconds and a core's speed changes over seconds, so half of the
/// last call's measurement smooths one noisy call without lagging behind.
const NEW_WEIGHT: f64 = 0.5;

/// The relative speeds of the team's threads, from the calls so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Speeds {
    /// Thread `t`'s weight (mean 1 over the threads measured); absent
    /// threads weigh 1.
    weights: Vec<f64>,
}

/// What one thread did in a call: the time its tasks took and the row
/// updates they made.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Tally {
    pub(crate) busy: Duration,
    pub(crate) updates: usize,
}

/// One thread's [`Tally`] as its tasks add to it, on a cache line of its
/// own.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct TallyCell {
    busy_nanos: AtomicU64,
    updates: AtomicUsize,
}

impl TallyCell {
    /// Counts one task: `busy` long, `updates` row updates. Done before the
    /// task is marked finished, so whoever sees every task finished sees
    /// every count.
    pub(crate) fn add(&self, busy: Duration, updates: usize) {
        let nanos = u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX);
        self.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.updates.fetch_add(updates, Ordering::Relaxed);
    }

    /// The counts so far.
    pub(crate) fn get(&self) -> Tally {
        Tally {
            busy: Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed)),
            updates: self.updates.load(Ordering::Relaxed),
        }
    }
}

impl Speeds {
    /// Speeds with these weights (thread `t` weighs `weights[t]`).
    #[cfg(test)]
    pub(crate) fn with_weights(weights: Vec<f64>) -> Speeds {
        Speeds { weights }
    }

    /// Thread `t`'s weight.
    fn weight(&self, t: usize) -> f64 {
        self.weights.get(t).copied().unwrap_or(1.0)
    }

    /// Takes in one call's tallies, thread by thread: the threads that
    /// worked move their weights halfway to their measured speeds
    /// (relative to the mean of those threads' weights, which stays put);
    /// a thread that made no update keeps its weight.
    pub(crate) fn record(&mut self, tallies: &[Tally]) {
        let mut measured: Vec<(usize, f64)> = tallies
            .iter()
            .enumerate()
            .filter(|(_, t)| t.updates > 0 && !t.busy.is_zero())
            .map(|(i, t)| (i, t.updates as f64 / t.busy.as_secs_f64()))
            .collect();
        if measured.len() < 2 {
            return;
        }
        // Every speed within MAX_SPEED_RATIO of the fastest; the weights,
        // each halfway between its old value and such a speed, stay so.
        let fastest = measured.iter().map(|&(_, s)| s).fold(0.0, f64::max);
        for (_, s) in &mut measured {
            *s = s.max(fastest / MAX_SPEED_RATIO);
        }
        if self.weights.len() < tallies.len() {
            self.weights.resize(tallies.len(), 1.0);
        }
        let mean_weight =
            measured.iter().map(|&(i, _)| self.weights[i]).sum::<f64>() / measured.len() as f64;
        let mean_speed = measured.iter().map(|&(_, s)| s).sum::<f64>() / measured.len() as f64;
        for &(i, speed) in &measured {
            let target = mean_weight * speed / mean_speed;
            let w = &mut self.weights[i];
            *w += NEW_WEIGHT * (target - *w);
        }
    }

    /// The first row (counted from 0 among the `interior` rows) of each of
    /// `chunks` chunks, then `interior`: chunk `c` is rows `b[c]..b[c+1]`.
    /// Thread `t` of `team` owns chunks `t·chunks/team..(t+1)·chunks/team`
    /// (its home) and every chunk is as high as its owner's weight says,
    /// but at least `min_rows` high (a task reads that many rows into each
    /// neighbouring chunk, never into a third). Needs `chunks · min_rows
    /// <= interior` when there are several chunks.
    pub(crate) fn boundaries(
        &self,
        interior: usize,
        chunks: usize,
        team: usize,
        min_rows: usize,
    ) -> Vec<usize> {
        assert!(chunks >= 1 && team >= 1 && (chunks == 1 || chunks * min_rows <= interior));
        let owner = |c: usize| {
            (0..team)
                .find(|&t| c < (t + 1) * chunks / team)
                .unwrap_or(0)
        };
        let weights: Vec<f64> = (0..chunks).map(|c| self.weight(owner(c))).collect();
        let total: f64 = weights.iter().sum();
        let mut b = Vec::with_capacity(chunks + 1);
        let mut sum = 0.0;
        b.push(0);
        for w in &weights[..chunks - 1] {
            sum += w;
            b.push((interior as f64 * sum / total).round() as usize);
        }
        b.push(interior);
        // Every chunk at least `min_rows` high: push boundaries down, then
        // pull them back up from the end (feasible: chunks·min_rows fit).
        for c in 1..chunks {
            b[c] = b[c].max(b[c - 1] + min_rows);
        }
        for c in (1..chunks).rev() {
            b[c] = b[c].min(b[c + 1] - min_rows);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tally(ms: u64, updates: usize) -> Tally {
        Tally {
            busy: Duration::from_millis(ms),
            updates,
        }
    }

    #[test]
    fn equal_speeds_cut_equal_chunks() {
        let mut s = Speeds::default();
        s.record(&[tally(10, 1000), tally(10, 1000)]);
        // The even split the team used before weights: 1 + interior·c/chunks.
        let interior = 297;
        let b = s.boundaries(interior, 4, 2, 5);
        let even: Vec<usize> = (0..=4).map(|c| interior * c / 4).collect();
        for (got, want) in b.iter().zip(&even) {
            assert!(got.abs_diff(*want) <= 1, "{b:?} against {even:?}");
        }
    }

    #[test]
    fn a_thread_twice_as_fast_gets_about_twice_the_rows() {
        let mut s = Speeds::default();
        for _ in 0..10 {
            s.record(&[tally(10, 2000), tally(10, 1000)]);
        }
        let b = s.boundaries(300, 4, 2, 5);
        assert_eq!(b[0], 0);
        assert_eq!(b[4], 300);
        let (fast, slow) = (b[2], 300 - b[2]);
        assert!((195..=205).contains(&fast), "{b:?}");
        assert!((95..=105).contains(&slow), "{b:?}");
        // Each thread's two chunks are of one height.
        assert!(b[1].abs_diff(b[2] - b[1]) <= 1 && (b[3] - b[2]).abs_diff(b[4] - b[3]) <= 1);
    }

    #[test]
    fn one_call_moves_a_weight_halfway() {
        let mut s = Speeds::default();
        s.record(&[tally(10, 3000), tally(10, 1000)]);
        // Mean weight 1, speeds 1.5 and 0.5 of the mean: weights 1.25, 0.75.
        assert!((s.weight(0) - 1.25).abs() < 1e-12 && (s.weight(1) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn idle_threads_keep_their_weights_and_stalled_ones_keep_a_share() {
        let mut s = Speeds::default();
        // One thread measured: nothing to compare, nothing changes.
        s.record(&[tally(10, 1000), tally(0, 0)]);
        assert_eq!((s.weight(0), s.weight(1)), (1.0, 1.0));
        for _ in 0..50 {
            s.record(&[tally(10, 1_000_000), tally(10, 1), tally(0, 0)]);
        }
        assert!(s.weight(1) >= s.weight(0) / MAX_SPEED_RATIO - 1e-12);
        // The measured threads' weights keep their mean.
        assert!((s.weight(0) + s.weight(1) - 2.0).abs() < 1e-9);
        assert_eq!(s.weight(2), 1.0);
    }

    proptest! {
        #[test]
        fn boundaries_tile_the_rows_in_chunks_of_at_least_min_rows(
            weights in proptest::collection::vec(0.25f64..4.0, 1..9),
            chunks_per_thread in 1usize..4,
            min_rows in 1usize..20,
            spare in 0usize..500,
        ) {
            let team = weights.len();
            let chunks = chunks_per_thread * team;
            let interior = chunks * min_rows + spare;
            let s = Speeds { weights };
            let b = s.boundaries(interior, chunks, team, min_rows);
            prop_assert_eq!(b.len(), chunks + 1);
            prop_assert_eq!(b[0], 0);
            prop_assert_eq!(b[chunks], interior);
            for c in 0..chunks {
                prop_assert!(b[c + 1] >= b[c] + min_rows, "{:?}", b);
            }
        }
    }
}
