//! Load balance between neighbouring ranks: each rank measures how much
//! CPU time a row takes it, and two neighbours move the row boundary
//! between their blocks towards the split that would make them finish
//! together.
//!
//! Why: ranks on cores of different speeds (a cluster's mixed nodes, a
//! throttled or slower core) would all wait for the slowest at each halo
//! exchange if their blocks stayed equal. CPU time, not wall time: a rank
//! whose core is shared with another process gets that core in scheduler
//! time slices, not at a steady fraction of its speed, and moving its rows
//! to a neighbour would only leave the neighbour waiting longer during the
//! slices the rank does get; what helps there is waiting without giving
//! the core away (`comm::Mpi::set_active_wait`).
//!
//! Both neighbours decide the same move from the same four numbers (their
//! row counts and their seconds per row, which travel with the halo rows),
//! so no extra message or collective is needed, and the move takes effect
//! in the next exchange, which carries the rows that change owner.

use std::time::Duration;

/// How much of each new pass's measurement enters the running average of a
/// rank's speed: a window of about 16 passes, long enough to span a few
/// scheduler time slices of a shared core.
const WEIGHT: f64 = 1.0 / 16.0;

/// Predicted finish times of two neighbours within this ratio count as
/// balanced: small differences are noise, and each move costs a larger
/// message.
const TOLERANCE: f64 = 1.1;

/// A rank's running measure of its speed: CPU seconds of computing (not
/// waiting) per row updated, averaged over recent passes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Speed {
    seconds: f64,
    rows: f64,
}

impl Speed {
    /// Adds one pass: `rows` row updates took `busy` of computing.
    pub(crate) fn record(&mut self, rows: usize, busy: Duration) {
        if rows == 0 {
            return;
        }
        let (s, r) = (busy.as_secs_f64(), rows as f64);
        if self.rows == 0.0 {
            (self.seconds, self.rows) = (s, r);
        } else {
            self.seconds += WEIGHT * (s - self.seconds);
            self.rows += WEIGHT * (r - self.rows);
        }
    }

    /// Seconds per row so far (0 before the first pass: unknown).
    pub(crate) fn seconds_per_row(&self) -> f64 {
        if self.rows > 0.0 {
            self.seconds / self.rows
        } else {
            0.0
        }
    }
}

/// One side of a boundary: a block's row count and its seconds per row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Share {
    pub(crate) rows: usize,
    pub(crate) seconds_per_row: f64,
}

/// How far the boundary between the `upper` block and the `lower` block
/// (the next rank) moves: positive moves it down (rows pass from `lower` to
/// `upper`), negative up.
///
/// The move goes half-way to the split that equalises the predicted times
/// (damping: the speeds are noisy, and a rank's other boundary moves at the
/// same time), only when the predicted times differ by more than
/// [`TOLERANCE`], and it takes at most half of the rows a block has beyond
/// `depth`. So a block never drops below `depth` rows even when both its
/// boundaries move towards it, its halo rows always come from its
/// neighbours, and the rows a neighbour needs after the move lie within the
/// block that sends them.
pub(crate) fn boundary_move(upper: Share, lower: Share, depth: usize) -> isize {
    let (su, sl) = (upper.seconds_per_row, lower.seconds_per_row);
    if !(su.is_finite() && sl.is_finite() && su > 0.0 && sl > 0.0) {
        return 0;
    }
    let (tu, tl) = (upper.rows as f64 * su, lower.rows as f64 * sl);
    if tu.max(tl) <= TOLERANCE * tu.min(tl) {
        return 0;
    }
    let total = (upper.rows + lower.rows) as f64;
    let balanced_upper = total * sl / (su + sl);
    let wanted = ((balanced_upper - upper.rows as f64) / 2.0).round();
    let most_up = (upper.rows.saturating_sub(depth) / 2) as f64;
    let most_down = (lower.rows.saturating_sub(depth) / 2) as f64;
    wanted.clamp(-most_up, most_down) as isize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn share(rows: usize, seconds_per_row: f64) -> Share {
        Share {
            rows,
            seconds_per_row,
        }
    }

    #[test]
    fn equal_speeds_stay() {
        assert_eq!(boundary_move(share(150, 1e-6), share(149, 1e-6), 16), 0);
    }

    #[test]
    fn unknown_speeds_stay() {
        assert_eq!(boundary_move(share(150, 0.0), share(149, 1e-6), 16), 0);
        assert_eq!(boundary_move(share(150, 1e-6), share(149, f64::NAN), 16), 0);
    }

    #[test]
    fn a_slow_lower_rank_gives_rows_up_half_way() {
        // Lower twice as slow: balanced at 200/100, half-way is +25.
        assert_eq!(boundary_move(share(150, 1e-6), share(150, 2e-6), 16), 25);
        assert_eq!(boundary_move(share(150, 2e-6), share(150, 1e-6), 16), -25);
    }

    #[test]
    fn repeated_moves_converge_to_the_balanced_split() {
        let (mut up, mut low) = (150usize, 149usize);
        for _ in 0..20 {
            let m = boundary_move(share(up, 1e-6), share(low, 2e-6), 16);
            up = (up as isize + m) as usize;
            low = (low as isize - m) as usize;
        }
        let (tu, tl) = (up as f64, low as f64 * 2.0);
        assert!(tu.max(tl) <= TOLERANCE * tu.min(tl), "{up}/{low}");
    }

    #[test]
    fn the_average_weighs_recent_passes() {
        let mut s = Speed::default();
        assert_eq!(s.seconds_per_row(), 0.0);
        s.record(100, Duration::from_micros(100));
        assert!((s.seconds_per_row() - 1e-6).abs() < 1e-15);
        for _ in 0..200 {
            s.record(100, Duration::from_micros(300));
        }
        assert!((s.seconds_per_row() - 3e-6).abs() < 1e-9);
        s.record(0, Duration::from_secs(1));
        assert!((s.seconds_per_row() - 3e-6).abs() < 1e-9);
    }

    proptest! {
        /// Whatever the speeds, a block keeps at least `depth` rows after
        /// both of its boundaries move, and the rows a neighbour needs lie
        /// within the sending block.
        #[test]
        fn moves_keep_blocks_deep_enough(
            depth in 1usize..20,
            extra in proptest::collection::vec(0usize..300, 3),
            speed in proptest::collection::vec(1e-9f64..1e-3, 3),
        ) {
            let rows: Vec<usize> = extra.iter().map(|e| depth + e).collect();
            let s: Vec<Share> = rows.iter().zip(&speed).map(|(&r, &v)| share(r, v)).collect();
            let top = boundary_move(s[0], s[1], depth);
            let bottom = boundary_move(s[1], s[2], depth);
            let middle = rows[1] as isize - top + bottom;
            prop_assert!(middle >= depth as isize);
            // The upper block, after gaining `top` rows, needs `depth` more
            // below them: all within the middle block as it was.
            prop_assert!(top + depth as isize <= rows[1] as isize || top <= 0);
            prop_assert!(-top + depth as isize <= rows[0] as isize || top >= 0);
        }
    }
}
