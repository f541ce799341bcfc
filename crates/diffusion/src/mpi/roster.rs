//! Which ranks share the grid in the next `advance`: every rank, except
//! those whose core another busy process shares, which sit out.
//!
//! Why: neighbours meet at every halo exchange, a few hundred microseconds
//! apart, while a rank whose core is shared runs in the scheduler's time
//! slices of milliseconds; each slice it loses stalls its neighbours too,
//! so a team with such a rank is slower than the same team without it
//! (two ranks slower than one). Moving rows away by measured speed
//! (`balance.rs`) cannot help: a block keeps at least a halo's depth of
//! rows, and the meetings stay.
//!
//! How a rank knows: every rank measures how long it waited on the run
//! queue — ready to run, its core busy with another thread
//! ([`runtime::clock::thread_run_queue_wait`]) — over each advance, and
//! sends that [`Load`] to rank 0 with its rows. A rank alone on its core
//! waits a fraction of a millisecond per advance; one sharing it waits for
//! about every other time slice. A rank that sits out keeps measuring: it
//! polls for rank 0's next command, and each time it wakes on a shared core
//! it waits for the other process's slice, while on a free core it runs at
//! once. So it comes back when its own core is free, without costing the
//! team a trial advance. Rank 0 decides from the loads, between advances,
//! where it holds the whole density and can hand out new blocks.

use std::time::Duration;

/// A rank that took part is crowded when it waited on the run queue for at
/// least this share of the advance's wall time: time slices lost to
/// another process, not the scheduler's housekeeping (tens of microseconds
/// per advance on a free core).
const CROWDED_SHARE: f64 = 0.125;

/// A rank that sits out comes back when it waited on the run queue for
/// less than this share of the advances it sat out. It is asleep most of
/// that time, so a shared core shows as a smaller share than while it
/// steps (5–25% per advance, measured), and a free core as none.
const FREE_SHARE: f64 = 0.02;

/// Advances a rank sits out before its waits may bring it back, the first
/// time: enough that one lucky advance (the other process asleep) does not.
const FIRST_WINDOW: usize = 2;

/// The longest window, in advances: each time a rank that came back is at
/// once crowded again, its next window doubles up to this.
const LONGEST_WINDOW: usize = 16;

/// What a rank measured over one advance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Load {
    /// Time it waited, ready to run, for its core.
    pub(crate) waited: Duration,
    /// Wall time it measured over.
    pub(crate) wall: Duration,
}

impl Load {
    /// The share of the wall time spent waiting for the core (0 for none).
    fn share(&self) -> f64 {
        match self.wall.is_zero() {
            true => 0.0,
            false => self.waited.as_secs_f64() / self.wall.as_secs_f64(),
        }
    }

    /// Whether a rank that took part had its core shared with other work.
    pub(crate) fn crowded(&self) -> bool {
        self.share() >= CROWDED_SHARE
    }

    /// The load as two values, to travel with a rank's rows.
    pub(crate) fn to_values(self) -> [f64; 2] {
        [self.waited.as_secs_f64(), self.wall.as_secs_f64()]
    }

    /// The load from [`Load::to_values`]; `None` unless both are finite,
    /// non-negative seconds.
    pub(crate) fn from_values([waited, wall]: [f64; 2]) -> Option<Load> {
        let seconds = |s: f64| Duration::try_from_secs_f64(s).ok();
        Some(Load {
            waited: seconds(waited)?,
            wall: seconds(wall)?,
        })
    }
}

/// One rank's standing in the [`Roster`].
#[derive(Debug, Clone, Copy)]
struct Seat {
    /// Sitting out.
    out: bool,
    /// Came back for the last advance: crowded at once means its core is
    /// still shared, and the next window is longer.
    back: bool,
    /// Advances to sit out before the waits are judged.
    window: usize,
    /// Advances sat out in this window, and their summed loads.
    sat: usize,
    waits: Load,
}

impl Seat {
    const IN: Seat = Seat {
        out: false,
        back: false,
        window: FIRST_WINDOW,
        sat: 0,
        waits: Load {
            waited: Duration::ZERO,
            wall: Duration::ZERO,
        },
    };

    /// Sends the rank out: for the first window again, or, if it has just
    /// come back, for twice the last.
    fn sit_out(&mut self) {
        self.window = match self.back {
            true => (self.window * 2).min(LONGEST_WINDOW),
            false => FIRST_WINDOW,
        };
        (self.out, self.back, self.sat, self.waits) = (true, false, 0, Load::default());
    }

    /// Adds an advance sat out; at the end of a window the rank comes back
    /// if its core was free.
    fn sat_out(&mut self, load: Load) {
        self.sat += 1;
        self.waits.waited += load.waited;
        self.waits.wall += load.wall;
        if self.sat >= self.window {
            let free = self.waits.share() < FREE_SHARE;
            (self.out, self.back) = (!free, free);
            (self.sat, self.waits) = (0, Load::default());
        }
    }
}

/// Rank 0's record of which ranks take part.
#[derive(Debug, Clone)]
pub(crate) struct Roster {
    seats: Vec<Seat>,
}

impl Roster {
    /// A roster of `size` ranks, all taking part.
    pub(crate) fn new(size: usize) -> Roster {
        Roster {
            seats: vec![Seat::IN; size.max(1)],
        }
    }

    /// The ranks of the next advance, in rank order.
    pub(crate) fn team(&self) -> Vec<usize> {
        (0..self.seats.len())
            .filter(|&r| !self.seats[r].out)
            .collect()
    }

    /// Records an advance: `loads[r]` is what rank `r` measured, stepping
    /// if it was in `team` (from [`Roster::team`]), sitting out if not.
    ///
    /// Crowded members sit out from the next advance on. When every member
    /// was crowded (more ranks than free cores), only the one that waited
    /// most sits out, so the team shrinks one rank per advance until it
    /// fits the free cores; a lone rank always goes on. Ranks sitting out
    /// come back as [`Seat::sat_out`] decides.
    pub(crate) fn record(&mut self, team: &[usize], loads: &[Load]) {
        debug_assert_eq!(loads.len(), self.seats.len());
        let crowded: Vec<usize> = team
            .iter()
            .copied()
            .filter(|&r| loads[r].crowded())
            .collect();
        let sit_out: Vec<usize> = match crowded.len() {
            _ if team.len() < 2 => Vec::new(),
            c if c == team.len() => most_waited(team, loads).into_iter().collect(),
            _ => crowded,
        };
        for (r, seat) in self.seats.iter_mut().enumerate() {
            if seat.out {
                seat.sat_out(loads[r]);
            } else if sit_out.contains(&r) {
                seat.sit_out();
            } else {
                seat.back = false;
            }
        }
    }
}

/// The member of `team` whose load waited most (the last of equals).
fn most_waited(team: &[usize], loads: &[Load]) -> Option<usize> {
    team.iter().copied().max_by_key(|&r| loads[r].waited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn load(waited_ms: u64, wall_ms: u64) -> Load {
        Load {
            waited: Duration::from_millis(waited_ms),
            wall: Duration::from_millis(wall_ms),
        }
    }

    const FREE: Load = Load {
        waited: Duration::from_micros(100),
        wall: Duration::from_millis(10),
    };

    /// Runs `advances` advances; `load(rank, advance, stepping)` is what a
    /// rank measures. Returns each advance's team.
    fn run(
        size: usize,
        advances: usize,
        load: impl Fn(usize, usize, bool) -> Load,
    ) -> Vec<Vec<usize>> {
        let mut roster = Roster::new(size);
        (0..advances)
            .map(|a| {
                let team = roster.team();
                let loads: Vec<Load> = (0..size).map(|r| load(r, a, team.contains(&r))).collect();
                roster.record(&team, &loads);
                team
            })
            .collect()
    }

    #[test]
    fn a_rank_that_waits_for_its_core_is_crowded() {
        assert!(!FREE.crowded());
        assert!(load(4, 12).crowded());
        assert!(!load(0, 0).crowded());
        assert_eq!(
            Load::from_values(load(4, 12).to_values()),
            Some(load(4, 12))
        );
        assert_eq!(Load::from_values([-1.0, 1.0]), None);
        assert_eq!(Load::from_values([0.0, f64::NAN]), None);
    }

    #[test]
    fn a_rank_on_a_shared_core_sits_out_for_good() {
        // Sitting out, it still waits 1 ms in 12 on its shared core.
        let teams = run(2, 30, |r, _, stepping| match (r, stepping) {
            (1, true) => load(5, 12),
            (1, false) => load(1, 12),
            _ => FREE,
        });
        assert_eq!(teams[0], [0, 1]);
        assert!(teams[1..].iter().all(|t| t == &[0]), "{teams:?}");
    }

    #[test]
    fn a_rank_comes_back_when_its_core_is_free_again() {
        // The other process ends after advance 5.
        let teams = run(2, 12, |r, a, _| match (r, a) {
            (1, 0..=5) => load(5, 12),
            _ => FREE,
        });
        let whole: Vec<usize> = (0..12).filter(|&a| teams[a].len() == 2).collect();
        // Windows of 2 advances: 1–2 and 3–4 crowded, 5–6 partly, 7–8 free.
        assert_eq!(whole, [0, 9, 10, 11], "{teams:?}");
    }

    #[test]
    fn a_rank_whose_core_seems_free_only_while_it_sleeps_comes_back_ever_less_often() {
        let teams = run(2, 60, |r, _, stepping| match (r, stepping) {
            (1, true) => load(5, 12),
            _ => FREE,
        });
        let whole: Vec<usize> = (0..60).filter(|&a| teams[a].len() == 2).collect();
        // Windows of 2, 4, 8, 16, 16 advances.
        assert_eq!(whole, [0, 3, 8, 17, 34, 51]);
    }

    #[test]
    fn when_every_rank_is_crowded_the_team_shrinks_to_one() {
        let teams = run(3, 6, |r, _, _| load(3 + r as u64, 12));
        assert_eq!(teams[..3], [vec![0, 1, 2], vec![0, 1], vec![0]]);
        // Alone and still crowded, rank 0 goes on: someone has to step.
        assert!(teams[3..].iter().all(|t| t == &[0]));
    }

    #[test]
    fn rank_0_may_sit_out_too() {
        let teams = run(3, 4, |r, _, _| if r == 0 { load(6, 12) } else { FREE });
        assert_eq!(teams[1..], [vec![1, 2], vec![1, 2], vec![1, 2]]);
    }

    proptest! {
        /// Whatever the loads, every advance has at least one rank, in
        /// rank order.
        #[test]
        fn every_advance_has_a_team(
            size in 1usize..6,
            waits in proptest::collection::vec(0u64..20, 1..200),
        ) {
            let next = std::cell::Cell::new(0);
            let teams = run(size, 80, |_, _, _| {
                next.set((next.get() + 1) % waits.len());
                load(waits[next.get()], 10)
            });
            for team in &teams {
                prop_assert!(!team.is_empty());
                prop_assert!(team.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(team.iter().all(|&rank| rank < size));
            }
        }
    }
}
