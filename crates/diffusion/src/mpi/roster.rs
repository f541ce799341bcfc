//! Which ranks share the grid in the next `advance`: every rank, or, while
//! another busy process shares some ranks' cores, whichever of two teams
//! steps faster — every rank, or only those whose cores are free.
//!
//! Why: neighbours meet at every halo exchange, a few hundred microseconds
//! apart, while a rank whose core is shared runs in the scheduler's time
//! slices of milliseconds. Each slice it loses may stall its neighbours,
//! so that two ranks run slower than one; or the slices may line up with
//! the meetings well enough that the crowded rank's half core still helps.
//! Which of the two happens depends on the machine and its load, so rank 0
//! measures both. Moving rows by measured speed (`balance.rs`) cannot
//! choose between them: a block keeps at least a halo's depth of rows, and
//! the meetings stay.
//!
//! Which ranks are crowded: every rank measures how long it waited on the
//! run queue — ready to run, its core busy with another thread
//! ([`runtime::clock::thread_run_queue_wait`]) — over each advance, and
//! sends that [`Load`] to rank 0 with its rows. A rank alone on its core
//! waits a fraction of a millisecond per advance; one sharing it waits for
//! about every other time slice. A rank that sits out keeps measuring while
//! it polls for rank 0's next command: each time it wakes on a shared core
//! it waits for the other process's slice, while on a free core it runs at
//! once. So it is found free again without costing the team an advance.
//!
//! Which team: rank 0 times an advance of each (seconds per step), runs the
//! faster, and tries the other again every few advances — twice as far off
//! each time the try confirms the choice, since the load that made the
//! difference usually lasts. Rank 0 decides between advances, where it
//! holds the whole density and can hand out new blocks.

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
    /// Its core is shared with other work, as far as rank 0 knows.
    crowded: bool,
    /// Came back for the last advance: crowded at once means its core is
    /// still shared, and the next window is longer.
    back: bool,
    /// Advances to sit out before its waits are judged.
    window: usize,
    /// Advances sat out in this window, and their summed loads.
    sat: usize,
    waits: Load,
}

impl Seat {
    const FREE: Seat = Seat {
        crowded: false,
        back: false,
        window: FIRST_WINDOW,
        sat: 0,
        waits: Load {
            waited: Duration::ZERO,
            wall: Duration::ZERO,
        },
    };

    /// Marks the rank crowded: sitting out, it must find its core free over
    /// a window of advances to be unmarked, the first window again or, if
    /// it has just come back, twice the last.
    fn mark(&mut self) {
        self.window = match self.back {
            true => (self.window * 2).min(LONGEST_WINDOW),
            false => FIRST_WINDOW,
        };
        (self.crowded, self.back) = (true, false);
        (self.sat, self.waits) = (0, Load::default());
    }

    /// Adds an advance sat out; at the end of a window the rank is
    /// unmarked if its core was free.
    fn sat_out(&mut self, load: Load) {
        self.sat += 1;
        self.waits.waited += load.waited;
        self.waits.wall += load.wall;
        if self.sat >= self.window {
            let free = self.waits.share() < FREE_SHARE;
            (self.crowded, self.back) = (!free, free);
            (self.sat, self.waits) = (0, Load::default());
        }
    }
}

/// The two teams the roster chooses between while some rank is crowded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Team {
    /// Every rank, the crowded ones too.
    Whole,
    /// Every rank that is not crowded.
    Free,
}

impl Team {
    fn other(self) -> Team {
        match self {
            Team::Whole => Team::Free,
            Team::Free => Team::Whole,
        }
    }
}

/// Rank 0's record of which ranks take part.
#[derive(Debug, Clone)]
pub(crate) struct Roster {
    /// Each rank's standing.
    seats: Vec<Seat>,
    /// Seconds per step of the last advance of each [`Team`] while some
    /// rank is crowded (`None`: not measured yet).
    pace: [Option<f64>; 2],
    /// The faster team so far.
    best: Team,
    /// The next advance tries the other team.
    trying: bool,
    /// Advances since the other team was last tried, and between its tries.
    since_try: usize,
    try_every: usize,
}

impl Roster {
    /// A roster of `size` ranks, all taking part.
    pub(crate) fn new(size: usize) -> Roster {
        Roster {
            seats: vec![Seat::FREE; size.max(1)],
            pace: [None; 2],
            best: Team::Free,
            trying: false,
            since_try: 0,
            try_every: FIRST_WINDOW,
        }
    }

    fn pace(&self, team: Team) -> Option<f64> {
        self.pace[team as usize]
    }

    /// Which team runs the next advance while some rank is crowded: one
    /// not measured yet, else the faster, except that every few advances
    /// the other is tried again.
    fn next_team(&mut self) -> Team {
        if let Some(unmeasured) = [Team::Free, Team::Whole]
            .into_iter()
            .find(|&t| self.pace(t).is_none())
        {
            return unmeasured;
        }
        self.since_try += 1;
        self.trying = self.since_try >= self.try_every;
        match self.trying {
            true => {
                self.since_try = 0;
                self.best.other()
            }
            false => self.best,
        }
    }

    /// The ranks of the next advance, in rank order: all of them, or, while
    /// some are crowded, those of the [`Team`] that steps faster.
    pub(crate) fn team(&mut self) -> Vec<usize> {
        let all = 0..self.seats.len();
        if !self.seats.iter().any(|s| s.crowded) {
            return all.collect();
        }
        match self.next_team() {
            Team::Whole => all.collect(),
            Team::Free => all.filter(|&r| !self.seats[r].crowded).collect(),
        }
    }

    /// Records an advance of `steps` steps by `team` (from
    /// [`Roster::team`]) that took rank 0 `wall`: `loads[r]` is what rank
    /// `r` measured, stepping if it was in `team`, sitting out if not.
    ///
    /// Crowded members are marked (when every member was crowded — more
    /// ranks than free cores — only the one that waited most, so that the
    /// free team shrinks one rank at a time until it fits the free cores;
    /// a lone rank is never marked, and neither is the last unmarked one),
    /// members that did not wait are unmarked, and marked ranks that sit
    /// out are judged by [`Seat::sat_out`]. While some rank is marked, the pace of each
    /// team is kept, and a tried team that beats the best becomes the best;
    /// one that does not makes the next try twice as far off.
    pub(crate) fn record(&mut self, team: &[usize], loads: &[Load], steps: usize, wall: Duration) {
        debug_assert_eq!(loads.len(), self.seats.len());
        let crowded: Vec<usize> = team
            .iter()
            .copied()
            .filter(|&r| loads[r].crowded())
            .collect();
        let marked: Vec<usize> = match crowded.len() {
            _ if team.len() < 2 => Vec::new(),
            c if c == team.len() => most_waited(team, loads).into_iter().collect(),
            _ => crowded,
        };
        let ran = match team.len() == self.seats.len() {
            true => Team::Whole,
            false => Team::Free,
        };
        for (r, seat) in self.seats.iter_mut().enumerate() {
            if !team.contains(&r) {
                seat.sat_out(loads[r]);
            } else if marked.contains(&r) {
                if !seat.crowded {
                    seat.mark();
                }
            } else if !loads[r].crowded() {
                (seat.crowded, seat.back) = (false, false);
            }
        }
        if self.seats.iter().all(|s| s.crowded) {
            // Someone has to step: the member that waited least.
            let least = team.iter().copied().min_by_key(|&r| loads[r].waited);
            if let Some(r) = least {
                self.seats[r].crowded = false;
            }
        }
        if !self.seats.iter().any(|s| s.crowded) {
            // Every core is free: nothing to choose between any more.
            (self.pace, self.trying) = ([None; 2], false);
            (self.since_try, self.try_every) = (0, FIRST_WINDOW);
            return;
        }
        if steps == 0 {
            return;
        }
        self.pace[ran as usize] = Some(wall.as_secs_f64() / steps as f64);
        let (Some(whole), Some(free)) = (self.pace(Team::Whole), self.pace(Team::Free)) else {
            return;
        };
        let best = match whole < free {
            true => Team::Whole,
            false => Team::Free,
        };
        if std::mem::take(&mut self.trying) {
            self.try_every = match best == self.best {
                true => (self.try_every * 2).min(LONGEST_WINDOW),
                false => FIRST_WINDOW,
            };
        }
        self.best = best;
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

    /// One advance as the tests' machine runs it: what each rank measures,
    /// and how long the advance took rank 0 (its steps are 10).
    struct Advance {
        loads: Vec<Load>,
        wall_ms: u64,
    }

    /// Runs `advances` advances of `size` ranks; `machine(advance, team)`
    /// says how each goes. Returns each advance's team.
    fn run(
        size: usize,
        advances: usize,
        machine: impl Fn(usize, &[usize]) -> Advance,
    ) -> Vec<Vec<usize>> {
        let mut roster = Roster::new(size);
        (0..advances)
            .map(|a| {
                let team = roster.team();
                let Advance { loads, wall_ms } = machine(a, &team);
                roster.record(&team, &loads, 10, Duration::from_millis(wall_ms));
                team
            })
            .collect()
    }

    /// Two ranks, rank 1's core shared from advance `from` to `to`: it
    /// waits 5 ms in 12 stepping, 1 ms in 12 sitting out. The whole team
    /// takes `whole_ms` per advance then, rank 0 alone `alone_ms`.
    fn shared_core(
        (from, to): (usize, usize),
        (whole_ms, alone_ms): (u64, u64),
    ) -> impl Fn(usize, &[usize]) -> Advance {
        move |a, team| {
            let shared = (from..to).contains(&a);
            let stepping = team.contains(&1);
            let rank_1 = match (shared, stepping) {
                (true, true) => load(5, 12),
                (true, false) => load(1, 12),
                (false, _) => FREE,
            };
            let wall_ms = match (shared, stepping) {
                (true, true) => whole_ms,
                (_, false) => alone_ms,
                (false, true) => 6,
            };
            Advance {
                loads: vec![FREE, rank_1],
                wall_ms,
            }
        }
    }

    fn whole_team_advances(teams: &[Vec<usize>], size: usize) -> Vec<usize> {
        (0..teams.len())
            .filter(|&a| teams[a].len() == size)
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
    fn free_cores_keep_the_whole_team() {
        let teams = run(3, 20, |_, _| Advance {
            loads: vec![FREE; 3],
            wall_ms: 5,
        });
        assert!(teams.iter().all(|t| t == &[0, 1, 2]));
    }

    #[test]
    fn a_crowded_rank_that_slows_the_team_sits_out_tried_ever_less_often() {
        // The whole team takes 16 ms, rank 0 alone 12.
        let teams = run(2, 60, shared_core((0, 60), (16, 12)));
        assert_eq!(teams[1], [0], "rank 0 alone is measured next");
        // Tries of the whole team 2, 4, 8, 16 and 16 advances apart.
        assert_eq!(whole_team_advances(&teams, 2), [0, 3, 7, 15, 31, 47]);
    }

    #[test]
    fn a_crowded_rank_that_still_helps_stays() {
        // The whole team takes 9 ms, rank 0 alone 12.
        let teams = run(2, 40, shared_core((0, 40), (9, 12)));
        let alone: Vec<usize> = (0..40).filter(|&a| teams[a] == [0]).collect();
        assert_eq!(alone, [1, 3, 7, 15, 31]);
    }

    #[test]
    fn a_rank_comes_back_when_its_core_is_free_again() {
        // The other process ends after advance 9; sitting out, rank 1 finds
        // its core free over its window of advances 11 and 12.
        let teams = run(2, 20, shared_core((0, 10), (16, 12)));
        assert_eq!(teams[0], [0, 1]);
        assert!(teams[1..10].iter().any(|t| t == &[0]));
        assert!(teams[13..].iter().all(|t| t == &[0, 1]), "{teams:?}");
    }

    #[test]
    fn when_every_rank_is_crowded_the_free_team_shrinks_one_rank_at_a_time() {
        // Four ranks on too few cores: every one that steps waits, and the
        // fewer step, the faster (11 ms per advance for 1 rank, 14 for 4).
        let teams = run(4, 8, |_, team| Advance {
            loads: (0..4)
                .map(|r| match team.contains(&r) {
                    true => load(3 + r as u64, 12),
                    false => load(1, 12),
                })
                .collect(),
            wall_ms: 10 + team.len() as u64,
        });
        assert_eq!(teams[..3], [vec![0, 1, 2, 3], vec![0, 1, 2], vec![0, 1]]);
        // Advance 3 tries the whole team again: the marks stay.
        assert_eq!(teams[3], [0, 1, 2, 3]);
        assert_eq!(teams[4..7], [vec![0], vec![0], vec![0]]);
    }

    #[test]
    fn rank_0_may_sit_out_too() {
        let teams = run(3, 4, |_, team| Advance {
            loads: vec![load(6, 12), FREE, FREE],
            wall_ms: if team.contains(&0) { 16 } else { 12 },
        });
        assert_eq!(teams[1..], [vec![1, 2], vec![1, 2], vec![0, 1, 2]]);
    }

    proptest! {
        /// Whatever the loads and times, every advance has at least one
        /// rank, in rank order.
        #[test]
        fn every_advance_has_a_team(
            size in 1usize..6,
            waits in proptest::collection::vec(0u64..20, 1..200),
            walls in proptest::collection::vec(0u64..30, 1..50),
        ) {
            let next = std::cell::Cell::new(0);
            let teams = run(size, 80, |a, _| Advance {
                loads: (0..size)
                    .map(|_| {
                        next.set((next.get() + 1) % waits.len());
                        load(waits[next.get()], 10)
                    })
                    .collect(),
                wall_ms: walls[a % walls.len()],
            });
            for team in &teams {
                prop_assert!(!team.is_empty());
                prop_assert!(team.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(team.iter().all(|&rank| rank < size));
            }
        }
    }
}
