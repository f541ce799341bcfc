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
//! Which ranks are crowded: every rank that steps measures how long it
//! waited on the run queue — ready to run, its core busy with another
//! thread ([`runtime::clock::thread_run_queue_wait`]) — over the advance,
//! and sends that [`Load`] to rank 0 with its rows. A rank alone on its
//! core waits a fraction of a millisecond per advance; one sharing it
//! waits for about every other time slice.
//!
//! Which team: rank 0 times an advance of each (seconds per step), runs the
//! faster, and tries the other again every few advances — twice as far off
//! each time the try confirms the choice, since the load that made the
//! difference usually lasts. A try of the whole team also measures again
//! the ranks that sat out, so one whose core is free again takes part from
//! then on. Rank 0 decides between advances, where it holds the whole
//! density and can hand out new blocks.

use std::time::Duration;

/// A rank is crowded when it waited on the run queue for at least this
/// share of the advance's wall time: time slices lost to another process,
/// not the scheduler's housekeeping (tens of microseconds per advance on a
/// free core).
const CROWDED_SHARE: f64 = 0.125;

/// Advances between tries of the team that is not the faster, at first.
const FIRST_TRY_EVERY: usize = 2;

/// The most advances between tries: a default run is about 30 advances, so
/// a core freed during it is found before the run ends.
const LONGEST_TRY_EVERY: usize = 16;

/// What a rank measured over one advance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Load {
    /// Time it waited, ready to run, for its core.
    pub(crate) waited: Duration,
    /// Wall time of the advance.
    pub(crate) wall: Duration,
}

impl Load {
    /// Whether the rank's core was shared with other work.
    pub(crate) fn crowded(&self) -> bool {
        let waited = self.waited.as_secs_f64();
        !self.wall.is_zero() && waited >= CROWDED_SHARE * self.wall.as_secs_f64()
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
    /// The ranks found crowded (`crowded[r]`), until an advance they step
    /// in finds them free.
    crowded: Vec<bool>,
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
            crowded: vec![false; size.max(1)],
            pace: [None; 2],
            best: Team::Free,
            trying: false,
            since_try: 0,
            try_every: FIRST_TRY_EVERY,
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
        let all = 0..self.crowded.len();
        if !self.crowded.contains(&true) {
            return all.collect();
        }
        match self.next_team() {
            Team::Whole => all.collect(),
            Team::Free => all.filter(|&r| !self.crowded[r]).collect(),
        }
    }

    /// Records an advance of `steps` steps by `team` (from
    /// [`Roster::team`]) that took rank 0 `wall`; `loads[i]` is what
    /// member `team[i]` measured.
    ///
    /// Members that waited for their cores are marked crowded, and those
    /// that did not are cleared. When every member waited (more ranks than
    /// free cores) only the one that waited most is newly marked, so the
    /// free team shrinks one rank at a time until it fits the free cores;
    /// a lone rank is never marked, and neither is the last unmarked one.
    /// While some rank is crowded, the pace of each team is kept, and the
    /// faster becomes the best; a try that confirms the best makes the next
    /// try twice as far off.
    pub(crate) fn record(&mut self, team: &[usize], loads: &[Load], steps: usize, wall: Duration) {
        debug_assert_eq!(team.len(), loads.len());
        let waited = |i: usize| loads[i].waited;
        let crowded: Vec<usize> = (0..team.len()).filter(|&i| loads[i].crowded()).collect();
        let newly: Vec<usize> = match crowded.len() {
            _ if team.len() < 2 => Vec::new(),
            c if c == team.len() => (0..team.len())
                .rev()
                .max_by_key(|&i| waited(i))
                .into_iter()
                .collect(),
            _ => crowded.clone(),
        };
        for (i, &rank) in team.iter().enumerate() {
            if newly.contains(&i) {
                self.crowded[rank] = true;
            } else if !crowded.contains(&i) {
                self.crowded[rank] = false;
            }
        }
        if !self.crowded.contains(&false) {
            // Someone has to step: the member that waited least.
            if let Some(i) = (0..team.len()).min_by_key(|&i| waited(i)) {
                self.crowded[team[i]] = false;
            }
        }
        if !self.crowded.contains(&true) {
            // Every core is free: nothing to choose between any more.
            (self.pace, self.trying) = ([None; 2], false);
            (self.since_try, self.try_every) = (0, FIRST_TRY_EVERY);
            return;
        }
        if steps == 0 {
            return;
        }
        let ran = match team.len() == self.crowded.len() {
            true => Team::Whole,
            false => Team::Free,
        };
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
                true => (self.try_every * 2).min(LONGEST_TRY_EVERY),
                false => FIRST_TRY_EVERY,
            };
        }
        self.best = best;
    }
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

    /// One advance as the tests' machine runs it: what each member
    /// measures, and how long the advance took rank 0 (its steps are 10).
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

    /// Two ranks, rank 1's core shared from advance `from` to `to` (it
    /// waits 5 ms in 12). The whole team takes `whole_ms` per advance then,
    /// rank 0 alone `alone_ms`.
    fn shared_core(
        (from, to): (usize, usize),
        (whole_ms, alone_ms): (u64, u64),
    ) -> impl Fn(usize, &[usize]) -> Advance {
        move |a, team| {
            let shared = (from..to).contains(&a);
            let (loads, wall_ms) = match (team.len(), shared) {
                (2, true) => (vec![FREE, load(5, 12)], whole_ms),
                (2, false) => (vec![FREE, FREE], 6),
                _ => (vec![FREE], alone_ms),
            };
            Advance { loads, wall_ms }
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
    fn a_rank_comes_back_at_the_first_try_after_its_core_is_free() {
        // The other process ends after advance 9; the try at 15 finds it.
        let teams = run(2, 24, shared_core((0, 10), (16, 12)));
        assert_eq!(whole_team_advances(&teams, 2)[..4], [0, 3, 7, 15]);
        assert!(teams[15..].iter().all(|t| t == &[0, 1]), "{teams:?}");
    }

    #[test]
    fn when_every_rank_is_crowded_the_free_team_shrinks_one_rank_at_a_time() {
        // Four ranks on too few cores: every one that steps waits, and the
        // fewer step, the faster (11 ms per advance for 1 rank, 14 for 4).
        let teams = run(4, 8, |_, team| Advance {
            loads: team.iter().map(|&r| load(3 + r as u64, 12)).collect(),
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
            loads: team
                .iter()
                .map(|&r| if r == 0 { load(6, 12) } else { FREE })
                .collect(),
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
            let teams = run(size, 80, |a, team| Advance {
                loads: team
                    .iter()
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
