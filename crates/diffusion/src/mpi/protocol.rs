//! The command protocol of a distributed run: rank 0 drives (its
//! [`DistributedStepper`] runs inside the ordinary run loop), every other
//! rank serves ([`Server`]), doing what rank 0 broadcasts.
//!
//! Commands are `[code, argument, argument]` broadcasts from rank 0:
//! `SETUP n depth` (then rank 0 sends each rank its block), `ADVANCE steps
//! k` (every rank steps its block, exchanging halos, and sends its owned
//! rows back to rank 0), `STEP steps k` (the same without sending the rows:
//! nothing reads the density until a later `ADVANCE`) and `FINISH`, after
//! which [`Server::serve`] returns.

use std::borrow::Borrow;
use std::marker::PhantomData;

use comm::{block_range, Communicator};
use ndarray::Array2;

use super::block::{Block, Extent};
use super::DEFAULT_HALO_DEPTH;
use crate::{DiffusionError, Stepper, StepperOptions};

/// Command codes broadcast by rank 0.
const SETUP: u64 = 1;
const ADVANCE: u64 = 2;
const FINISH: u64 = 3;
const STEP: u64 = 4;

/// Tag of the blocks sent to and from rank 0.
const BLOCK: i32 = 102;

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
    block: Option<Block>,
    depth: usize,
    /// Each rank's row count in the last gather: the blocks as the load
    /// balance left them.
    split: Vec<usize>,
    /// The ranks have taken steps that the caller's density has not seen
    /// ([`Stepper::advance_unseen`]).
    unseen: bool,
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
        Ok(DistributedStepper {
            comm,
            block: None,
            depth: DEFAULT_HALO_DEPTH,
            split: Vec::new(),
            unseen: false,
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

    /// Sends every rank its block of `dens` (the first `advance`).
    fn setup(&mut self, dens: &Array2<f64>) -> Result<Block, DiffusionError> {
        let comm = self.comm.borrow();
        let n = dens.nrows();
        check_split(n, comm.size())?;
        command(comm, [SETUP, n as u64, self.depth as u64])?;
        let all = dens.as_slice().expect("density is a standard-layout array");
        let mut mine = Block::new(n, 0, comm.size(), self.depth);
        for r in 1..comm.size() {
            let e = Extent::new(n, r, comm.size(), self.depth);
            comm.send_buf(&all[e.a * n..e.b * n], r, BLOCK)?;
        }
        let rows = mine.stored_rows();
        mine.fill(&all[rows.start * n..rows.end * n]);
        Ok(mine)
    }

    /// Steps every rank's block `steps` steps; with `gather`, collects the
    /// blocks into `dens` afterwards.
    fn try_advance(
        &mut self,
        dens: &mut Array2<f64>,
        k: f64,
        steps: usize,
        gather: bool,
    ) -> crate::Result<()> {
        if !matches!(&self.block, Some(b) if b.n == dens.nrows()) {
            let b = self.setup(dens)?;
            self.block = Some(b);
        }
        let comm = self.comm.borrow();
        let block = self.block.as_mut().expect("set up above");
        let code = if gather { ADVANCE } else { STEP };
        command(comm, [code, steps as u64, k.to_bits()])?;
        block.advance(comm, k, steps)?;
        if !gather {
            return Ok(());
        }
        // Gather the owned rows of every rank into `dens`: the blocks follow
        // each other in rank order, each as long as its rank has rows now.
        let n = block.n;
        let all = dens
            .as_slice_mut()
            .expect("density is a standard-layout array");
        let mut at = block.owned_rows().end * n;
        block.owned_into(&mut all[block.owned_rows().start * n..at]);
        self.split.clear();
        self.split.push(block.owned_rows().len());
        let end = (n - 1) * n;
        for r in 1..comm.size() {
            let got = comm.recv_buf(&mut all[at..end], r, BLOCK)?;
            if got == 0 || got % n != 0 {
                return Err(gather_error(format!(
                    "rank {r} sent {got} values, not a whole number of rows"
                )));
            }
            at += got;
            self.split.push(got / n);
        }
        if at != end {
            return Err(gather_error(format!(
                "the ranks sent {} of the {} interior rows",
                at / n - 1,
                n - 2
            )));
        }
        Ok(())
    }

    /// [`DistributedStepper::try_advance`], remembering a failure.
    fn step_ranks(
        &mut self,
        dens: &mut Array2<f64>,
        k: f64,
        steps: usize,
        gather: bool,
    ) -> crate::Result<()> {
        if dens.nrows() < 3 || (steps == 0 && !(gather && self.unseen)) {
            return Ok(());
        }
        let result = self.try_advance(dens, k, steps, gather);
        self.broken |= result.is_err();
        self.unseen = !gather;
        result
    }
}

impl<C: Communicator, H: Borrow<C>> Stepper for DistributedStepper<C, H> {
    /// Steps the ranks and gathers their blocks into `dens`, with every step
    /// of the [`Stepper::advance_unseen`] calls before it.
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> crate::Result<()> {
        self.step_ranks(dens, k, steps, true)
    }

    /// Steps the ranks and leaves their blocks where they are.
    fn advance_unseen(
        &mut self,
        dens: &mut Array2<f64>,
        k: f64,
        steps: usize,
    ) -> crate::Result<()> {
        self.step_ranks(dens, k, steps, false)
    }

    /// `diff2d mpi: P rank(s), rows per rank …, halo of d row(s) …`: the
    /// rows as the last step left them once the run has started, else the
    /// even split it starts from.
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
            "diff2d mpi: {size} rank(s), rows per rank {}, halo of {depth} row(s) exchanged once every {depth} step(s), non-blocking, overlapped with interior work, rows moved between neighbours by measured speed",
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
            #[cfg(feature = "testing")]
            fail: false,
            _c: PhantomData,
        }
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
        let mut block: Option<Block> = None;
        loop {
            let [code, arg, bits] = command(comm, [0; 3])?;
            #[cfg(feature = "testing")]
            if self.fail {
                return Err(distributed("failure injected by HPCRS_MPI_FAIL_RANK"));
            }
            match code {
                SETUP => {
                    let n = arg as usize;
                    let mut b = Block::new(n, comm.rank(), comm.size(), bits as usize);
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
                    block = Some(b);
                }
                ADVANCE | STEP => {
                    let b = block
                        .as_mut()
                        .ok_or_else(|| distributed("asked to advance before receiving a block"))?;
                    b.advance(comm, f64::from_bits(bits), arg as usize)?;
                    if code == ADVANCE {
                        comm.send_buf(&b.owned(), 0, BLOCK)?;
                    }
                }
                FINISH => return Ok(()),
                other => return Err(distributed(format!("unknown command {other} from rank 0"))),
            }
        }
    }
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

    fn advance_unseen(
        &mut self,
        dens: &mut Array2<f64>,
        k: f64,
        steps: usize,
    ) -> crate::Result<()> {
        match self {
            RankStepper::Drive(s) => s.advance_unseen(dens, k, steps),
            RankStepper::Serve(s) => s.advance_unseen(dens, k, steps),
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
        return Ok(RankStepper::Drive(Box::new(driver)));
    }
    let server = Server::new(comm);
    #[cfg(feature = "testing")]
    let server = server.failing(options.fail_rank == Some(rank));
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

    /// Keeps the density of every output.
    #[derive(Default)]
    struct Frames(Vec<Array2<f64>>);

    impl crate::Observer for Frames {
        fn output(&mut self, frame: &crate::Frame<'_>) -> crate::Result<()> {
            self.0.push(frame.dens.clone());
            Ok(())
        }
    }

    #[test]
    fn an_observer_that_reads_the_density_sees_every_output_exact() {
        let p = params("dx = 0.54;\nruntime = 3.0;\nouttime = 0.7;");
        let run = |stepper: &mut dyn Stepper| {
            let mut sim = Simulation::new(&p).unwrap();
            let mut frames = Frames::default();
            let outcome = sim.run(stepper, &RunOptions::default(), &mut frames);
            (outcome.unwrap(), frames.0)
        };
        let (_, serial) = run(&mut crate::NaiveStepper::new());
        assert_eq!(serial.len(), 5);
        let frames = Local::run(2, |c| {
            run(&mut rank_stepper::<Local, &Local>(c, &with_depth(3)).unwrap())
        })
        .unwrap();
        assert!(matches!(frames[1], (Outcome::Served, ref f) if f.is_empty()));
        assert_eq!(frames[0].1, serial);
    }

    #[test]
    fn unseen_steps_reach_the_density_at_the_next_advance() {
        let p = params("dx = 0.54;\nruntime = 3.0;");
        let start = Simulation::new(&p).unwrap().dens;
        let k = Simulation::new(&p).unwrap().grid.coefficient();
        let mut expected = start.clone();
        crate::NaiveStepper::new()
            .advance(&mut expected, k, 7)
            .unwrap();
        let got = Local::run(2, |c| {
            let mut s = rank_stepper::<Local, &Local>(c, &with_depth(2)).unwrap();
            if s.serve().unwrap() {
                return None;
            }
            let mut dens = start.clone();
            // Nothing to bring up to date: no command, no change.
            s.advance(&mut dens, k, 0).unwrap();
            s.advance_unseen(&mut dens, k, 3).unwrap();
            s.advance_unseen(&mut dens, k, 4).unwrap();
            let untouched = dens == start;
            s.advance(&mut dens, k, 0).unwrap();
            Some((untouched, dens))
        })
        .unwrap();
        let (untouched, dens) = got[0].clone().unwrap();
        assert!(untouched, "the unseen steps wrote the density");
        assert_eq!(dens, expected);
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
            Some("diff2d mpi: 3 rank(s), rows per rank 13/12/12, halo of 12 row(s) exchanged once every 12 step(s), non-blocking, overlapped with interior work, rows moved between neighbours by measured speed")
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
