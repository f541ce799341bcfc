//! The `mpi` backend: the grid's interior rows split across the ranks of a
//! [`Communicator`], ghost rows exchanged every step.
//!
//! **Decomposition.** Rank `r` of `P` owns a contiguous block of interior
//! rows ([`comm::block_range`], sizes differing by at most one, so odd
//! splits work) plus a halo of `d` rows above and below: copies of the
//! neighbours' edge rows, or the zero boundary row at the ends of the domain.
//! Once every `d` steps (`d` = [`DEFAULT_HALO_DEPTH`], or
//! `HPCRS_MPI_HALO_DEPTH`; `1` is the textbook exchange every step) a rank
//! posts non-blocking receives for its two halos and non-blocking sends of its
//! edge rows, updates the rows that need no halo while the messages travel,
//! then finishes the step and takes `d - 1` more steps with no messages, each
//! step using up one halo row per side. Why deep halos: a step of the default
//! problem is ~30 µs of work per rank, so a message exchange (and a chance
//! for a busy machine to deschedule a rank) every step costs more than the
//! few rows computed twice. Every cell gets exactly the arithmetic of the
//! `naive` and `threads` backends, so the result is the same to the last bit
//! for any `P`.
//!
//! **Driver.** The run loop ([`crate::Simulation::run`]) runs on rank 0 only,
//! with a [`DistributedStepper`]: each `advance` broadcasts the number of
//! steps to the other ranks, which wait in [`serve`], steps together with
//! them, and gathers the blocks into rank 0's density so that the loop's
//! outputs, pictures and checkpoints see the whole field. The first
//! `advance` sends each rank its block. Dropping the stepper releases the
//! other ranks.
//!
//! **Failures.** A communication error inside `advance` (which cannot
//! return one) is printed with the rank and ends the job through
//! [`Communicator::abort`], so no rank waits forever.

use std::borrow::Borrow;
use std::marker::PhantomData;

use comm::{block_range, Communicator, Request};
use ndarray::Array2;

use crate::kernel::{multiversion, row, Simd};
use crate::{DiffusionError, Stepper};

/// Command codes broadcast by rank 0: `[code, steps or npnts, k bits]`.
const SETUP: u64 = 1;
const ADVANCE: u64 = 2;
const FINISH: u64 = 3;

/// Tags: ghost rows travelling up (to rank - 1) and down (to rank + 1), and
/// blocks sent to and from rank 0.
const UP: i32 = 100;
const DOWN: i32 = 101;
const BLOCK: i32 = 102;

/// Steps per halo exchange unless `HPCRS_MPI_HALO_DEPTH` says otherwise.
pub const DEFAULT_HALO_DEPTH: usize = 8;

/// One rank's share of the grid: global interior rows `lo..hi`, plus a halo
/// of `depth` rows copied from each neighbour (or the zero boundary row at
/// the ends of the domain), stored as global rows `a..b`, row-major.
struct Block {
    lo: usize,
    hi: usize,
    a: usize,
    b: usize,
    n: usize,
    depth: usize,
    rank: usize,
    size: usize,
    old: Vec<f64>,
    new: Vec<f64>,
    simd: Simd,
    /// Reused message buffers: edge rows out, halo rows in.
    send_up: Vec<f64>,
    send_down: Vec<f64>,
    recv_up: Vec<f64>,
    recv_down: Vec<f64>,
}

/// Updates local rows `lo..hi` of a block of width `n` from `old` into `new`.
#[inline(always)]
fn rows(old: &[f64], new: &mut [f64], n: usize, lo: usize, hi: usize, k: f64) {
    for i in lo..hi {
        let (up, mid, down) = (
            &old[(i - 1) * n..i * n],
            &old[i * n..(i + 1) * n],
            &old[(i + 1) * n..(i + 2) * n],
        );
        row(&mut new[i * n..(i + 1) * n], up, mid, down, k);
    }
}

multiversion!(
    /// [`rows`] compiled for the CPU's SIMD level.
    fn rows_dispatch(old: &[f64], new: &mut [f64], n: usize, lo: usize, hi: usize, k: f64) => rows
);

/// The halo depth: `HPCRS_MPI_HALO_DEPTH` if set (1 = exchange every step),
/// else 8, capped by the smallest block so that halo rows always come from
/// the next rank.
fn halo_depth_from_env() -> usize {
    std::env::var("HPCRS_MPI_HALO_DEPTH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&d| d > 0)
        .unwrap_or(DEFAULT_HALO_DEPTH)
}

/// Which global rows a rank owns (`lo..hi`) and stores (`a..b`).
struct Extent {
    lo: usize,
    hi: usize,
    a: usize,
    b: usize,
    depth: usize,
}

impl Extent {
    fn new(n: usize, rank: usize, size: usize, depth: usize) -> Extent {
        let r = block_range(n - 2, size, rank);
        let (lo, hi) = (r.start + 1, r.end + 1);
        // Capped by the smallest block, so halo rows come from the next rank.
        let depth = depth.min((n - 2) / size).max(1);
        let a = if rank == 0 { 0 } else { lo - depth };
        let b = if rank + 1 == size { n } else { hi + depth };
        Extent {
            lo,
            hi,
            a,
            b,
            depth,
        }
    }
}

impl Block {
    /// The block of `rank` of `size` in an `n × n` grid (zeros, to be filled).
    fn new(n: usize, rank: usize, size: usize, depth: usize) -> Block {
        let Extent {
            lo,
            hi,
            a,
            b,
            depth,
        } = Extent::new(n, rank, size, depth);
        let len = (b - a) * n;
        Block {
            lo,
            hi,
            a,
            b,
            n,
            depth,
            rank,
            size,
            old: vec![0.0; len],
            new: vec![0.0; len],
            simd: Simd::detect(),
            send_up: vec![0.0; depth * n],
            send_down: vec![0.0; depth * n],
            recv_up: vec![0.0; depth * n],
            recv_down: vec![0.0; depth * n],
        }
    }

    /// Local index of global row `g`.
    fn local(&self, g: usize) -> usize {
        g - self.a
    }

    /// The owned rows (without halo), row-major.
    fn owned(&self) -> &[f64] {
        &self.old[self.local(self.lo) * self.n..self.local(self.hi) * self.n]
    }

    /// Advances the block by `steps` steps: passes of up to `depth` steps,
    /// each starting with one halo exchange.
    fn advance<C: Communicator>(&mut self, comm: &C, k: f64, steps: usize) -> comm::Result<()> {
        let mut done = 0;
        while done < steps {
            let s = self.depth.min(steps - done);
            self.pass(comm, k, s)?;
            done += s;
        }
        Ok(())
    }

    /// One halo exchange, then `s <= depth` steps. At sub-step `t` the rows
    /// `a+t..b-t` are still exact (each step eats one halo row per side), so
    /// after `s` steps the owned rows are.
    fn pass<C: Communicator>(&mut self, comm: &C, k: f64, s: usize) -> comm::Result<()> {
        let (n, d) = (self.n, self.depth);
        let above = (self.rank > 0).then(|| self.rank - 1);
        let below = (self.rank + 1 < self.size).then_some(self.rank + 1);
        // Post the halo receives first, then send the edge rows.
        let recv_up = above
            .map(|r| comm.irecv_buf(std::mem::take(&mut self.recv_up), r, DOWN))
            .transpose()?;
        let recv_down = below
            .map(|r| comm.irecv_buf(std::mem::take(&mut self.recv_down), r, UP))
            .transpose()?;
        let send_up = match above {
            Some(r) => {
                let mut buf = std::mem::take(&mut self.send_up);
                let at = self.local(self.lo) * n;
                buf.copy_from_slice(&self.old[at..at + d * n]);
                Some(comm.isend_buf(buf, r, UP)?)
            }
            None => None,
        };
        let send_down = match below {
            Some(r) => {
                let mut buf = std::mem::take(&mut self.send_down);
                let at = self.local(self.hi - d) * n;
                buf.copy_from_slice(&self.old[at..at + d * n]);
                Some(comm.isend_buf(buf, r, DOWN)?)
            }
            None => None,
        };
        // The first sub-step of the owned rows that need no halo row runs
        // while the messages travel.
        let (own_lo, own_hi) = (self.local(self.lo), self.local(self.hi));
        if own_hi > own_lo + 2 {
            rows_dispatch(
                self.simd,
                &self.old,
                &mut self.new,
                n,
                own_lo + 1,
                own_hi - 1,
                k,
            );
        }
        if let Some(r) = recv_up {
            self.recv_up = r.wait()?;
            check_len(&self.recv_up, d * n, "above")?;
            self.old[..d * n].copy_from_slice(&self.recv_up);
        }
        if let Some(r) = recv_down {
            self.recv_down = r.wait()?;
            check_len(&self.recv_down, d * n, "below")?;
            let at = self.local(self.hi) * n;
            self.old[at..at + d * n].copy_from_slice(&self.recv_down);
        }
        let len = self.b - self.a;
        for t in 1..=s {
            // Rows that are exact after this sub-step; the domain's boundary
            // rows (local 0 on rank 0, the last row on the last rank) stay zero.
            let lo = if above.is_some() { t } else { 1 };
            let hi = if below.is_some() { len - t } else { len - 1 };
            if t == 1 && own_hi > own_lo + 2 {
                // Already done: own_lo+1..own_hi-1. Do the rest.
                rows_dispatch(self.simd, &self.old, &mut self.new, n, lo, own_lo + 1, k);
                rows_dispatch(self.simd, &self.old, &mut self.new, n, own_hi - 1, hi, k);
            } else {
                rows_dispatch(self.simd, &self.old, &mut self.new, n, lo, hi, k);
            }
            std::mem::swap(&mut self.old, &mut self.new);
        }
        if let Some(r) = send_up {
            self.send_up = r.wait()?;
        }
        if let Some(r) = send_down {
            self.send_down = r.wait()?;
        }
        Ok(())
    }
}

fn check_len(got: &[f64], want: usize, side: &str) -> comm::Result<()> {
    match got.len() == want {
        true => Ok(()),
        false => Err(comm::CommError::Length {
            op: "halo exchange",
            why: format!(
                "the halo from {side} has {} values, expected {want}",
                got.len()
            ),
        }),
    }
}

/// Broadcasts a command from rank 0.
fn command<C: Communicator>(comm: &C, cmd: [u64; 3]) -> comm::Result<[u64; 3]> {
    let mut buf = cmd;
    comm.bcast_buf(&mut buf, 0)?;
    Ok(buf)
}

/// The stepper of rank 0; see the [module docs](self).
///
/// `H` is how the stepper holds its communicator: by value (`Mpi` in the
/// binary) or by reference (`&Local` in tests).
pub struct DistributedStepper<C: Communicator, H: Borrow<C> = C> {
    comm: H,
    block: Option<Block>,
    depth: usize,
    _c: PhantomData<C>,
}

impl<C: Communicator, H: Borrow<C>> DistributedStepper<C, H> {
    /// The stepper of rank 0; the other ranks must be in [`serve`].
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
            depth: halo_depth_from_env(),
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
    fn setup(&mut self, dens: &Array2<f64>) -> comm::Result<Block> {
        let comm = self.comm.borrow();
        let n = dens.nrows();
        check_split(n, comm.size()).map_err(|why| comm::CommError::Length {
            op: "diff2d --backend mpi",
            why,
        })?;
        command(comm, [SETUP, n as u64, self.depth as u64])?;
        let all = dens.as_slice().expect("density is a standard-layout array");
        let mut mine = Block::new(n, 0, comm.size(), self.depth);
        for r in 1..comm.size() {
            let e = Extent::new(n, r, comm.size(), self.depth);
            comm.send_buf(&all[e.a * n..e.b * n], r, BLOCK)?;
        }
        mine.old.copy_from_slice(&all[mine.a * n..mine.b * n]);
        let sizes: Vec<String> = (0..comm.size())
            .map(|r| block_range(n - 2, comm.size(), r).len().to_string())
            .collect();
        eprintln!(
            "diff2d mpi: {} rank(s), rows per rank {}, halo of {} row(s) exchanged once every {} step(s), non-blocking, overlapped with interior work",
            comm.size(),
            sizes.join("/"),
            mine.depth,
            mine.depth
        );
        Ok(mine)
    }

    fn try_advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) -> comm::Result<()> {
        if !matches!(&self.block, Some(b) if b.n == dens.nrows()) {
            let b = self.setup(dens)?;
            self.block = Some(b);
        }
        let comm = self.comm.borrow();
        let block = self.block.as_mut().expect("set up above");
        command(comm, [ADVANCE, steps as u64, k.to_bits()])?;
        block.advance(comm, k, steps)?;
        // Gather the owned rows of every rank into `dens`.
        let n = block.n;
        let all = dens
            .as_slice_mut()
            .expect("density is a standard-layout array");
        all[block.lo * n..block.hi * n].copy_from_slice(block.owned());
        for r in 1..comm.size() {
            let range = block_range(n - 2, comm.size(), r);
            let dst = &mut all[(range.start + 1) * n..(range.end + 1) * n];
            let got = comm.recv_buf(dst, r, BLOCK)?;
            if got != dst.len() {
                return Err(comm::CommError::Length {
                    op: "gathering the density",
                    why: format!("rank {r} sent {got} values, expected {}", dst.len()),
                });
            }
        }
        Ok(())
    }
}

impl<C: Communicator, H: Borrow<C>> Stepper for DistributedStepper<C, H> {
    fn advance(&mut self, dens: &mut Array2<f64>, k: f64, steps: usize) {
        if dens.nrows() < 3 || steps == 0 {
            return;
        }
        if let Err(e) = self.try_advance(dens, k, steps) {
            let comm = self.comm.borrow();
            eprintln!("hpcrs: error: rank {} of {}: {e}", comm.rank(), comm.size());
            comm.abort(1);
        }
    }
}

impl<C: Communicator, H: Borrow<C>> Drop for DistributedStepper<C, H> {
    fn drop(&mut self) {
        // Release the serving ranks (errors here mean they are gone already).
        let _ = command(self.comm.borrow(), [FINISH, 0, 0]);
    }
}

/// Checks that an `n × n` grid (with its boundary) splits over `size` ranks.
fn check_split(n: usize, size: usize) -> Result<(), String> {
    let rows = n.saturating_sub(2);
    if rows < size {
        return Err(format!(
            "the grid has {rows} interior row(s), fewer than the {size} MPI ranks (each rank needs at least one row): use fewer ranks or a smaller dx"
        ));
    }
    Ok(())
}

/// What every rank but 0 runs: steps its block as rank 0's
/// [`DistributedStepper`] commands, until the stepper is dropped.
pub fn serve<C: Communicator>(comm: &C) -> comm::Result<()> {
    // Test hook for the failing-rank tests (tests/mpi_e2e.rs): this rank
    // fails on its first command, as a rank that hits a real error would.
    let fail_here = std::env::var("HPCRS_MPI_FAIL_RANK")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        == Some(comm.rank());
    let mut block: Option<Block> = None;
    loop {
        let [code, arg, bits] = command(comm, [0; 3])?;
        if fail_here {
            return Err(comm::CommError::Length {
                op: "diff2d --backend mpi",
                why: "failure injected by HPCRS_MPI_FAIL_RANK".into(),
            });
        }
        match code {
            SETUP => {
                let n = arg as usize;
                let mut b = Block::new(n, comm.rank(), comm.size(), bits as usize);
                let got = comm.recv_buf(&mut b.old, 0, BLOCK)?;
                if got != b.old.len() {
                    return Err(comm::CommError::Length {
                        op: "receiving the block",
                        why: format!("got {got} values, expected {}", b.old.len()),
                    });
                }
                block = Some(b);
            }
            ADVANCE => {
                let b = block.as_mut().ok_or(comm::CommError::Length {
                    op: "diff2d --backend mpi",
                    why: "asked to advance before receiving a block".into(),
                })?;
                b.advance(comm, f64::from_bits(bits), arg as usize)?;
                comm.send_buf(b.owned(), 0, BLOCK)?;
            }
            FINISH => return Ok(()),
            other => {
                return Err(comm::CommError::Length {
                    op: "diff2d --backend mpi",
                    why: format!("unknown command {other} from rank 0"),
                })
            }
        }
    }
}

/// The stepper of `--backend mpi` in the binary: initialises MPI; on rank 0
/// returns the [`DistributedStepper`], on every other rank serves it and then
/// ends the process (status 0, or 1 after printing the error and aborting
/// the job).
#[cfg(feature = "mpi")]
pub fn world_stepper() -> Result<Box<dyn Stepper + Send>, DiffusionError> {
    let world = comm::Mpi::init().map_err(|e| DiffusionError::BackendUnavailable {
        backend: "mpi".into(),
        why: e.to_string(),
    })?;
    if world.rank() == 0 {
        return Ok(Box::new(DistributedStepper::<comm::Mpi>::new(world)?));
    }
    if let Err(e) = serve(&world) {
        eprintln!(
            "hpcrs: error: rank {} of {}: {e}",
            world.rank(),
            world.size()
        );
        world.abort(1);
    }
    drop(world);
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{make_stepper, Backend, NoOutput, ParamsBuilder, RunOptions, Simulation};
    use comm::Local;

    fn params(text: &str) -> crate::Params {
        let mut b = ParamsBuilder::new();
        b.parse_str(text, "test").unwrap();
        b.build().unwrap()
    }

    fn distributed(p: &crate::Params, ranks: usize) -> Array2<f64> {
        distributed_depth(p, ranks, DEFAULT_HALO_DEPTH)
    }

    fn distributed_depth(p: &crate::Params, ranks: usize, depth: usize) -> Array2<f64> {
        let out = Local::try_run(ranks, |c| -> Result<Option<Array2<f64>>, String> {
            if c.rank() != 0 {
                serve(c).map_err(|e| e.to_string())?;
                return Ok(None);
            }
            let mut sim = Simulation::new(p).map_err(|e| e.to_string())?;
            let mut stepper = DistributedStepper::<Local, &Local>::new(c)
                .map_err(|e| e.to_string())?
                .with_depth(depth);
            sim.run(&mut stepper, &RunOptions::default(), &mut NoOutput)
                .map_err(|e| e.to_string())?;
            Ok(Some(sim.dens))
        })
        .unwrap();
        out.into_iter().next().unwrap().unwrap()
    }

    #[test]
    fn equals_the_serial_result_for_1_to_4_ranks() {
        // 37 interior rows: 37 = 19+18 = 13+12+12 = 10+9+9+9 (odd splits).
        let p = params("dx = 0.54;\nruntime = 3.0;\nouttime = 0.7;");
        let mut serial = Simulation::new(&p).unwrap();
        assert_eq!(serial.grid.nrows, 37);
        let mut naive = make_stepper(Backend::Naive, None).unwrap();
        serial
            .run(naive.as_mut(), &RunOptions::default(), &mut NoOutput)
            .unwrap();
        let scale = serial.dens.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.01);
        for (ranks, depth) in (1..=4).flat_map(|r| [1, 3, 8, 100].map(|d| (r, d))) {
            let d = distributed_depth(&p, ranks, depth);
            let worst = crate::relative_difference(&d, &serial.dens);
            assert!(
                worst <= 1e-12,
                "{ranks} ranks, depth {depth}: max difference {worst}"
            );
        }
    }

    #[test]
    fn one_row_per_rank_works() {
        let p = params("dx = 5.0;\nruntime = 30.0;");
        let mut serial = Simulation::new(&p).unwrap();
        assert_eq!(serial.grid.nrows, 4);
        let mut naive = make_stepper(Backend::Naive, None).unwrap();
        serial
            .run(naive.as_mut(), &RunOptions::default(), &mut NoOutput)
            .unwrap();
        assert_eq!(distributed(&p, 4), serial.dens);
    }

    #[test]
    fn too_small_a_grid_for_the_ranks_is_a_clear_error() {
        let p = params("dx = 5.0;\nruntime = 30.0;");
        let err = Local::try_run(5, |c| -> Result<(), String> {
            if c.rank() != 0 {
                return serve(c).map_err(|e| e.to_string());
            }
            let mut sim = Simulation::new(&p).map_err(|e| e.to_string())?;
            let mut stepper =
                DistributedStepper::<Local, &Local>::new(c).map_err(|e| e.to_string())?;
            sim.run(&mut stepper, &RunOptions::default(), &mut NoOutput)
                .map_err(|e| e.to_string())?;
            Ok(())
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("rank 0 failed"), "{msg}");
        assert_eq!(
            check_split(6, 5).unwrap_err(),
            "the grid has 4 interior row(s), fewer than the 5 MPI ranks (each rank needs at least one row): use fewer ranks or a smaller dx"
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
