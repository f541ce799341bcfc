//! The command protocol of a distributed run: rank 0 drives (its
//! [`DistributedStepper`] runs inside the ordinary run loop), every other
//! rank serves ([`Server`]), doing what rank 0 broadcasts.
//!
//! Commands are `[code, argument, argument]` broadcasts from rank 0:
//! `SETUP n depth` (then rank 0 broadcasts which ranks take part, one value
//! per rank, 1 or 0, and sends each of them its block), `ADVANCE steps k`
//! (every rank that takes part steps its block, exchanging halos, and
//! sends rank 0 its [`Load`] and its owned rows; the others wait for the
//! next command) and `FINISH`, after which [`Server::serve`] returns. Rank 0
//! sets up again whenever the [`Roster`] changes the team.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::time::Instant;

use comm::{block_range, Communicator};
use ndarray::Array2;
use runtime::clock::thread_run_queue_wait;

use super::block::{Block, Extent, Member};
use super::roster::{Load, Roster};
use super::DEFAULT_HALO_DEPTH;
use crate::{DiffusionError, Stepper, StepperOptions};

/// Command codes broadcast by rank 0.
const SETUP: u64 = 1;
const ADVANCE: u64 = 2;
const FINISH: u64 = 3;

/// Tag of the blocks sent to and from rank 0.
const BLOCK: i32 = 102;

/// Tag of the [`Load`] a rank sends rank 0 before its rows.
const LOAD: i32 = 103;

/// Broadcasts a command from rank 0 (the others pass anything and get it).
fn command<C: Communicator>(comm: &C, cmd: [u64; 3]) -> comm::Result<[u64; 3]> {
    let mut buf = cmd;
    comm.bcast_buf(&mut buf, 0)?;
    Ok(buf)
}

/// The error of a run that cannot go on.
fn distributed(why: impl Into<String>) -> DiffusionError {
    DiffusionError::Distributed { why: why.into() }
}

/// The error of a gather whose blocks do not tile the interior.
fn gather_error(why: String) -> DiffusionError {
    comm::CommError::Length {
        op: "gathering the density",
        why,
    }
    .into()
}

/// Which clock tells a rank how long it has waited for its core:
/// [`thread_run_queue_wait`], or a test's stand-in.
type WaitClock = fn() -> std::time::Duration;

/// Test hook: the wait clock of a rank whose core is always crowded: it
/// seems to wait as long as it runs.
#[cfg(any(test, feature = "testing"))]
fn always_waiting() -> std::time::Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Measures a rank's [`Load`] from when it starts.
struct Watch {
    clock: WaitClock,
    start: Instant,
    waited: std::time::Duration,
}

impl Watch {
    /// Starts measuring, the waits read from `clock`.
    fn start(clock: WaitClock) -> Watch {
        Watch {
            clock,
            start: Instant::now(),
            waited: clock(),
        }
    }

    /// The load since the start.
    fn load(&self) -> Load {
        Load {
            waited: (self.clock)().saturating_sub(self.waited),
            wall: self.start.elapsed(),
        }
    }
}

/// Checks that an `n × n` grid (with its boundary) splits over `size` ranks.
fn check_split(n: usize, size: usize) -> Result<(), DiffusionError> {
    let rows = n.saturating_sub(2);
    if rows < size {
        return Err(distributed(format!(
            "the grid has {rows} interior row(s), fewer than the {size} MPI ranks (each rank needs at least one row): use fewer ranks or a smaller dx"
        )));
    }
    Ok(())
}

/// The stepper of rank 0, which drives the run; see the [module docs](crate::mpi).
///
/// `H` is how the stepper holds its communicator: by value (`Mpi` in the
/// binary) or by reference (`&Local` in tests).
pub struct DistributedStepper<C: Communicator, H: Borrow<C> = C> {
    comm: H,
    /// The grid size and team the ranks' blocks were set up for (`None`
    /// before the first `advance`).
    set_up: Option<(usize, Vec<usize>)>,
    /// Rank 0's own block, if it takes part.
    block: Option<Block>,
    depth: usize,
    /// Which ranks take part in the next advance.
    roster: Roster,
    /// How this rank reads its waits for its core.
    wait_clock: WaitClock,
    /// Each rank's row count in the last gather: the blocks as the load
    /// balance and the roster left them (0: sat out).
    split: Vec<usize>,
    /// A command failed half-way: the other ranks may be anywhere in the
    /// protocol, so no `FINISH` is sent (the job must be aborted).
    broken: bool,
    _c: PhantomData<C>,
}

impl<C: Communicator, H: Borrow<C>> DistributedStepper<C, H> {
    /// The stepper of rank 0; the other ranks must run a [`Server`].
    pub fn new(comm: H) -> Result<Self, DiffusionError> {
        if comm.borrow().rank() != 0 {
            return Err(DiffusionError::BackendUnavailable {
                backend: "mpi".into(),
                why: format!(
                    "the distributed stepper runs on rank 0, not rank {} (the others serve it)",
                    comm.borrow().rank()
                ),
            });
        }
        let roster = Roster::new(comm.borrow().size());
        Ok(DistributedStepper {
            comm,
            set_up: None,
            block: None,
            depth: DEFAULT_HALO_DEPTH,
            roster,
            wait_clock: thread_run_queue_wait,
            split: Vec::new(),
            broken: false,
            _c: PhantomData,
        })
    }

    /// Sets the halo depth: steps per exchange (at least 1, at most the
    /// smallest block's rows).
    pub fn with_depth(mut self, depth: usize) -> Self {
        self.depth = depth.max(1);
        self
    }

    /// Test hook: rank 0 reads its waits for its core from `clock`.
    #[cfg(any(test, feature = "testing"))]
    fn with_wait_clock(mut self, clock: WaitClock) -> Self {
        self.wait_clock = clock;
        self
    }

    /// Hands out `dens` to the ranks of `team`: the block of each.
    fn setup(&mut self, dens: &Array2<f64>, team: Vec<usize>) -> Result<(), DiffusionError> {
        let comm = self.comm.borrow();
        let n = dens.nrows();
        check_split(n, team.len())?;
        command(comm, [SETUP, n as u64, self.depth as u64])?;
        let mut takes_part = vec![0u64; comm.size()];
        for &r in &team {
            takes_part[r] = 1;
        }
        comm.bcast_buf(&mut takes_part, 0)?;
        let all = dens.as_slice().expect("density is a standard-layout array");
        for (index, &r) in team.iter().enumerate().filter(|&(_, &r)| r != 0) {
            let e = Extent::new(n, index, team.len(), self.depth);
            comm.send_buf(&all[e.a * n..e.b * n], r, BLOCK)?;
        }
        self.block = Member::of(&team, 0).map(|member| {
            let mut mine = Block::new(n, member, self.depth);
            let rows = mine.stored_rows();
            mine.fill(&all[rows.start * n..rows.end * n]);
            mine
        });
        self.set_up = Some((n, team));
        Ok(())
    }

    fn try_advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        let n = dens.nrows();
        let team = self.roster.team();
        if !matches!(&self.set_up, Some((m, t)) if *m == n && *t == team) {
            self.setup(dens, team.clone())?;
        }
        let comm = self.comm.borrow();
        let watch = Watch::start(self.wait_clock);
        command(comm, [ADVANCE, steps as u64, k.to_bits()])?;
        let mut loads = Vec::with_capacity(team.len());
        if let Some(block) = self.block.as_mut() {
            block.advance(comm, k, steps)?;
            loads.push(watch.load());
        }
        for &r in team.iter().filter(|&&r| r != 0) {
            let mut values = [0.0; 2];
            comm.recv_buf(&mut values, r, LOAD)?;
            loads.push(Load::from_values(values).ok_or_else(|| {
                distributed(format!("rank {r} reported a load of {values:?} seconds"))
            })?);
        }
        // Gather the owned rows of every rank that took part into `dens`:
        // the blocks follow each other in rank order, each as long as its
        // rank has rows now.
        let all = dens
            .as_slice_mut()
            .expect("density is a standard-layout array");
        self.split = vec![0; comm.size()];
        let (mut at, end) = (n, (n - 1) * n);
        for &r in &team {
            let rows = match (r, &self.block) {
                (0, Some(block)) => {
                    let owned = block.owned();
                    all[at..at + owned.len()].copy_from_slice(&owned);
                    owned.len()
                }
                _ => comm.recv_buf(&mut all[at..end], r, BLOCK)?,
            };
            if rows == 0 || rows % n != 0 {
                return Err(gather_error(format!(
                    "rank {r} sent {rows} values, not a whole number of rows"
                )));
            }
            at += rows;
            self.split[r] = rows / n;
        }
        if at != end {
            return Err(gather_error(format!(
                "the ranks sent {} of the {} interior rows",
                at / n - 1,
                n - 2
            )));
        }
        self.roster.record(&team, &loads, steps, watch.load().wall);
        Ok(())
    }
}

impl<C: Communicator, H: Borrow<C>> Stepper for DistributedStepper<C, H> {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        if dens.nrows() < 3 || steps == 0 {
            return Ok(());
        }
        let result = self.try_advance(dens, k, steps);
        self.broken |= result.is_err();
        result
    }

    /// `diff2d mpi: P rank(s), rows per rank …, halo of d row(s) …`: the
    /// rows as the last step left them once the run has started (0 for a
    /// rank that sat out), else the even split it starts from.
    fn describe(&self, npnts: usize) -> Option<String> {
        let size = self.comm.borrow().size();
        check_split(npnts, size).ok()?;
        let started = self.split.len() == size && self.split.iter().sum::<usize>() == npnts - 2;
        let sizes: Vec<String> = (0..size)
            .map(|r| match started {
                true => self.split[r],
                false => block_range(npnts - 2, size, r).len(),
            })
            .map(|rows| rows.to_string())
            .collect();
        let depth = Extent::new(npnts, 0, size, self.depth).depth;
        Some(format!(
            "diff2d mpi: {size} rank(s), rows per rank {}, halo of {depth} row(s) exchanged once every {depth} step(s), non-blocking, overlapped with interior work, rows moved between neighbours by measured speed, ranks on a crowded core sit out when that is faster",
            sizes.join("/"),
        ))
    }
}

impl<C: Communicator, H: Borrow<C>> Drop for DistributedStepper<C, H> {
    fn drop(&mut self) {
        // Release the serving ranks, unless a failed command left them
        // somewhere else in the protocol (errors here mean they are gone).
        if !self.broken {
            let _ = command(self.comm.borrow(), [FINISH, 0, 0]);
        }
    }
}

/// The stepper of every rank but 0: in [`Stepper::serve`] it steps its block
/// as rank 0's [`DistributedStepper`] commands, until that is dropped.
pub struct Server<C: Communicator, H: Borrow<C> = C> {
    comm: H,
    /// How this rank reads its waits for its core.
    wait_clock: WaitClock,
    /// Test hook: fail on the first command.
    #[cfg(feature = "testing")]
    fail: bool,
    _c: PhantomData<C>,
}

impl<C: Communicator, H: Borrow<C>> Server<C, H> {
    /// The server of a rank other than 0.
    pub fn new(comm: H) -> Self {
        Server {
            comm,
            wait_clock: thread_run_queue_wait,
            #[cfg(feature = "testing")]
            fail: false,
            _c: PhantomData,
        }
    }

    /// Test hook: the server reads its waits for its core from `clock`.
    #[cfg(any(test, feature = "testing"))]
    fn with_wait_clock(mut self, clock: WaitClock) -> Self {
        self.wait_clock = clock;
        self
    }

    /// Test hook: with `fail`, the server fails on its first command, as a
    /// rank that hits a real error would.
    #[cfg(feature = "testing")]
    pub fn failing(mut self, fail: bool) -> Self {
        self.fail = fail;
        self
    }

    /// Serves until rank 0 sends `FINISH`.
    fn serve_commands(&self) -> Result<(), DiffusionError> {
        let comm = self.comm.borrow();
        let mut part = Part::NotSetUp;
        loop {
            let [code, arg, bits] = command(comm, [0; 3])?;
            #[cfg(feature = "testing")]
            if self.fail {
                return Err(distributed("failure injected by HPCRS_MPI_FAIL_RANK"));
            }
            match code {
                SETUP => part = self.set_up(arg as usize, bits as usize)?,
                ADVANCE => match &mut part {
                    Part::Steps(b) => {
                        let watch = Watch::start(self.wait_clock);
                        b.advance(comm, f64::from_bits(bits), arg as usize)?;
                        comm.send_buf(&watch.load().to_values(), 0, LOAD)?;
                        comm.send_buf(&b.owned(), 0, BLOCK)?;
                    }
                    Part::SitsOut => {}
                    Part::NotSetUp => {
                        return Err(distributed("asked to advance before receiving a block"))
                    }
                },
                FINISH => return Ok(()),
                other => return Err(distributed(format!("unknown command {other} from rank 0"))),
            }
        }
    }

    /// The part of `SETUP n depth` after the command: which ranks take
    /// part, and this rank's block if it does.
    fn set_up(&self, n: usize, depth: usize) -> Result<Part, DiffusionError> {
        let comm = self.comm.borrow();
        let mut takes_part = vec![0u64; comm.size()];
        comm.bcast_buf(&mut takes_part, 0)?;
        if takes_part.iter().any(|&t| t > 1) || !takes_part.contains(&1) {
            return Err(distributed(format!(
                "rank 0 sent a team of {takes_part:?}, not one 0 or 1 per rank with at least one 1"
            )));
        }
        let team: Vec<usize> = (0..comm.size()).filter(|&r| takes_part[r] == 1).collect();
        let Some(member) = Member::of(&team, comm.rank()) else {
            return Ok(Part::SitsOut);
        };
        let mut b = Block::new(n, member, depth);
        let mut rows = vec![0.0; b.stored_rows().len() * n];
        let got = comm.recv_buf(&mut rows, 0, BLOCK)?;
        if got != rows.len() {
            return Err(comm::CommError::Length {
                op: "receiving the block",
                why: format!("got {got} values, expected {}", rows.len()),
            }
            .into());
        }
        b.fill(&rows);
        Ok(Part::Steps(Box::new(b)))
    }
}

/// What a serving rank does at `ADVANCE`.
enum Part {
    /// Nothing yet: rank 0 has not set up.
    NotSetUp,
    /// Nothing: it sits out (its core is crowded, [`super::roster`]).
    SitsOut,
    /// Steps its block.
    Steps(Box<Block>),
}

impl<C: Communicator, H: Borrow<C>> Stepper for Server<C, H> {
    /// A server does not drive: this is an error.
    fn advance(&mut self, _dens: &mut Array2<f64>, _k: f64, _steps: usize) -> crate::Result<()> {
        Err(distributed(format!(
            "rank {} serves rank 0 and cannot drive a run",
            self.comm.borrow().rank()
        )))
    }

    fn serve(&mut self) -> Result<bool, DiffusionError> {
        self.serve_commands()?;
        Ok(true)
    }
}

/// The part one rank plays in a distributed run.
pub enum RankStepper<C: Communicator, H: Borrow<C> = C> {
    /// Rank 0 drives.
    Drive(Box<DistributedStepper<C, H>>),
    /// Every other rank serves.
    Serve(Server<C, H>),
}

impl<C: Communicator, H: Borrow<C>> Stepper for RankStepper<C, H> {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        match self {
            RankStepper::Drive(s) => s.advance(dens, k, steps),
            RankStepper::Serve(s) => s.advance(dens, k, steps),
        }
    }

    fn serve(&mut self) -> Result<bool, DiffusionError> {
        match self {
            RankStepper::Drive(s) => s.serve(),
            RankStepper::Serve(s) => s.serve(),
        }
    }

    fn describe(&self, npnts: usize) -> Option<String> {
        match self {
            RankStepper::Drive(s) => s.describe(npnts),
            RankStepper::Serve(s) => s.describe(npnts),
        }
    }
}

/// The stepper of this rank of `comm`: rank 0 drives with the halo depth of
/// `options.depth`, the others serve.
pub fn rank_stepper<C: Communicator, H: Borrow<C>>(
    comm: H,
    options: &StepperOptions,
) -> Result<RankStepper<C, H>, DiffusionError> {
    let rank = comm.borrow().rank();
    if rank == 0 {
        let depth = options.chosen_depth().unwrap_or(DEFAULT_HALO_DEPTH);
        let driver = DistributedStepper::new(comm)?.with_depth(depth);
        #[cfg(feature = "testing")]
        let driver = match options.crowded_rank == Some(0) {
            true => driver.with_wait_clock(always_waiting),
            false => driver,
        };
        return Ok(RankStepper::Drive(Box::new(driver)));
    }
    let server = Server::new(comm);
    #[cfg(feature = "testing")]
    let server = match options.crowded_rank == Some(rank) {
        true => server.with_wait_clock(always_waiting),
        false => server,
    }
    .failing(options.fail_rank == Some(rank));
    Ok(RankStepper::Serve(server))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{make_stepper, Backend, NoOutput, Outcome, ParamsBuilder, RunOptions, Simulation};
    use comm::Local;

    fn params(text: &str) -> crate::Params {
        let mut b = ParamsBuilder::new();
        b.parse_str(text, "test").unwrap();
        b.build().unwrap()
    }

    /// The density of a serial (`naive`) run of `p`.
    fn serial(p: &crate::Params) -> Array2<f64> {
        let mut sim = Simulation::new(p).unwrap();
        let mut naive = make_stepper(Backend::Naive, &StepperOptions::default()).unwrap();
        let outcome = sim.run(naive.as_mut(), &RunOptions::default(), &mut NoOutput);
        assert!(matches!(outcome, Ok(Outcome::Ran(_))));
        sim.dens
    }

    /// Runs `p` on `ranks` local ranks through the ordinary run loop: the
    /// density on rank 0, and whether every other rank served.
    fn distributed(p: &crate::Params, ranks: usize, options: &StepperOptions) -> Array2<f64> {
        let out = Local::try_run(ranks, |c| -> Result<Option<Array2<f64>>, String> {
            let mut sim = Simulation::new(p).map_err(|e| e.to_string())?;
            let mut stepper =
                rank_stepper::<Local, &Local>(c, options).map_err(|e| e.to_string())?;
            let outcome = sim
                .run(&mut stepper, &RunOptions::default(), &mut NoOutput)
                .map_err(|e| e.to_string())?;
            match outcome {
                Outcome::Ran(_) if c.rank() == 0 => Ok(Some(sim.dens)),
                Outcome::Served if c.rank() != 0 => Ok(None),
                _ => Err(format!("rank {} played the wrong part", c.rank())),
            }
        })
        .unwrap();
        assert!(out[1..].iter().all(Option::is_none));
        out.into_iter().next().unwrap().unwrap()
    }

    fn with_depth(depth: usize) -> StepperOptions {
        StepperOptions {
            depth: Some(depth),
            ..StepperOptions::default()
        }
    }

    #[test]
    fn equals_the_serial_result_for_1_to_4_ranks() {
        // 37 interior rows: 37 = 19+18 = 13+12+12 = 10+9+9+9 (odd splits).
        let p = params("dx = 0.54;\nruntime = 3.0;\nouttime = 0.7;");
        assert_eq!(Simulation::new(&p).unwrap().grid.nrows, 37);
        let serial = serial(&p);
        let scale = serial.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.01);
        for (ranks, depth) in (1..=4).flat_map(|r| [1, 3, 8, 100].map(|d| (r, d))) {
            let d = distributed(&p, ranks, &with_depth(depth));
            let worst = crate::relative_difference(&d, &serial);
            assert!(
                worst <= 1e-12,
                "{ranks} ranks, depth {depth}: max difference {worst}"
            );
        }
    }

    /// The wait clock of a rank whose core is never crowded.
    fn never_waiting() -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// `advances` advances of 9 steps of a 40 × 40 grid on `ranks` local
    /// ranks, those in `crowded` waiting for their cores all the time:
    /// whether rank 0's density equals the serial one, and each rank's rows
    /// after each advance.
    fn with_crowded_ranks(
        ranks: usize,
        crowded: &[usize],
        advances: usize,
    ) -> (bool, Vec<Vec<usize>>) {
        let n = 40;
        let start = Array2::from_shape_fn((n, n), |(i, j)| match (i, j) {
            (0, _) | (_, 0) => 0.0,
            _ if i == n - 1 || j == n - 1 => 0.0,
            _ => ((i * 7 + j * 13) % 17) as f64 / 17.0,
        });
        let (k, steps) = (0.2, 9);
        let mut want = start.clone();
        let mut naive = make_stepper(Backend::Naive, &StepperOptions::default()).unwrap();
        naive.advance(&mut want, k, steps * advances).unwrap();
        let out = Local::run(ranks, |c| {
            let clock = match crowded.contains(&c.rank()) {
                true => always_waiting as WaitClock,
                false => never_waiting,
            };
            if c.rank() != 0 {
                let mut server = Server::<Local, &Local>::new(c).with_wait_clock(clock);
                assert!(server.serve().unwrap());
                return None;
            }
            let mut s = DistributedStepper::<Local, &Local>::new(c)
                .unwrap()
                .with_depth(4)
                .with_wait_clock(clock);
            let mut dens = start.clone();
            let splits = (0..advances)
                .map(|_| {
                    s.advance(&mut dens, k, steps).unwrap();
                    s.split.clone()
                })
                .collect();
            Some((dens == want, splits))
        })
        .unwrap();
        out.into_iter().next().unwrap().unwrap()
    }

    #[test]
    fn a_crowded_rank_sits_out_and_the_result_stays_exact() {
        // The first advance finds the crowded rank, the second runs without
        // it; then the faster of the two teams, whichever that is here.
        for (ranks, crowded) in [(3, 1), (2, 0)] {
            let (same, splits) = with_crowded_ranks(ranks, &[crowded], 12);
            assert!(same, "{ranks} ranks, rank {crowded} crowded");
            assert!(splits[0].iter().all(|&rows| rows > 0), "{splits:?}");
            assert_eq!(splits[1][crowded], 0, "{splits:?}");
            assert!(splits.iter().all(|s| s.iter().sum::<usize>() == 38));
        }
    }

    #[test]
    fn when_every_rank_is_crowded_the_team_shrinks() {
        let (same, splits) = with_crowded_ranks(3, &[0, 1, 2], 12);
        assert!(same);
        assert_eq!(
            splits[1].iter().filter(|&&r| r == 0).count(),
            1,
            "{splits:?}"
        );
    }

    #[test]
    fn free_ranks_all_take_part() {
        let (same, splits) = with_crowded_ranks(3, &[], 12);
        assert!(same);
        assert!(splits.iter().flatten().all(|&rows| rows > 0), "{splits:?}");
    }

    #[test]
    fn one_row_per_rank_works() {
        let p = params("dx = 5.0;\nruntime = 30.0;");
        assert_eq!(Simulation::new(&p).unwrap().grid.nrows, 4);
        assert_eq!(distributed(&p, 4, &StepperOptions::default()), serial(&p));
    }

    #[test]
    fn too_small_a_grid_for_the_ranks_is_a_clear_error() {
        let p = params("dx = 5.0;\nruntime = 30.0;");
        let err = Local::try_run(5, |c| -> Result<(), String> {
            let mut sim = Simulation::new(&p).map_err(|e| e.to_string())?;
            let mut stepper = rank_stepper::<Local, &Local>(c, &StepperOptions::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(stepper.describe(sim.grid.npnts), None);
            match sim.run(&mut stepper, &RunOptions::default(), &mut NoOutput) {
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("rank 0 failed"), "{msg}");
        assert_eq!(
            check_split(6, 5).unwrap_err().to_string(),
            "diff2d --backend mpi: the grid has 4 interior row(s), fewer than the 5 MPI ranks (each rank needs at least one row): use fewer ranks or a smaller dx"
        );
    }

    #[test]
    fn rank_0_describes_the_split() {
        let lines = Local::run(3, |c| {
            let mut s = rank_stepper::<Local, &Local>(c, &with_depth(100)).unwrap();
            let line = s.describe(39);
            assert_eq!(s.serve().unwrap(), c.rank() != 0);
            line
        })
        .unwrap();
        assert_eq!(
            lines[0].as_deref(),
            Some("diff2d mpi: 3 rank(s), rows per rank 13/12/12, halo of 12 row(s) exchanged once every 12 step(s), non-blocking, overlapped with interior work, rows moved between neighbours by measured speed, ranks on a crowded core sit out when that is faster")
        );
        assert_eq!(lines[1..], [None, None]);
    }

    #[cfg(feature = "testing")]
    #[test]
    fn a_failing_server_reports_its_reason() {
        let p = params("dx = 0.5;\nruntime = 1.0;");
        let options = StepperOptions {
            fail_rank: Some(2),
            ..StepperOptions::default()
        };
        let err = Local::try_run(3, |c| -> Result<(), String> {
            let mut sim = Simulation::new(&p).map_err(|e| e.to_string())?;
            let mut stepper =
                rank_stepper::<Local, &Local>(c, &options).map_err(|e| e.to_string())?;
            match sim.run(&mut stepper, &RunOptions::default(), &mut NoOutput) {
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "rank 2 failed: diff2d --backend mpi: failure injected by HPCRS_MPI_FAIL_RANK"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_stepper_refuses_ranks_other_than_0() {
        let r = Local::run(2, |c| {
            if c.rank() == 0 {
                // Release rank 1, which tried to be a stepper.
                return None;
            }
            DistributedStepper::<Local, &Local>::new(c)
                .err()
                .map(|e| e.to_string())
        })
        .unwrap();
        assert!(r[1]
            .as_deref()
            .unwrap()
            .contains("runs on rank 0, not rank 1"));
    }
}
