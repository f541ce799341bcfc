//! One rank's share of the grid and the halo exchange that keeps its ghost
//! rows current.
//!
//! Rank `r` of `P` owns a contiguous block of interior rows
//! ([`comm::block_range`], sizes differing by at most one, so odd splits
//! work) plus a halo of `d` rows above and below: copies of the neighbours'
//! edge rows, or the zero boundary row at the ends of the domain. Once every
//! `d` steps a rank posts non-blocking receives for its two halos and
//! non-blocking sends of its edge rows, updates the rows that need no halo
//! while the messages travel, then finishes the step and takes `d - 1` more
//! steps with no messages, each step using up one halo row per side.

use comm::{block_range, Communicator, Request};

use crate::kernel::{multiversion, row, Simd};

/// Tags of ghost rows travelling up (to rank - 1) and down (to rank + 1).
const UP: i32 = 100;
const DOWN: i32 = 101;

/// Which global rows a rank owns (`lo..hi`) and stores (`a..b`), and the
/// halo depth it can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extent {
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    pub(crate) a: usize,
    pub(crate) b: usize,
    pub(crate) depth: usize,
}

impl Extent {
    /// The extent of `rank` of `size` in an `n × n` grid with halos of up
    /// to `depth` rows, capped by the smallest block so that halo rows
    /// always come from the next rank.
    pub(crate) fn new(n: usize, rank: usize, size: usize, depth: usize) -> Extent {
        let r = block_range(n - 2, size, rank);
        let (lo, hi) = (r.start + 1, r.end + 1);
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

/// One rank's share of the grid: global interior rows `lo..hi`, plus a halo
/// of `depth` rows copied from each neighbour (or the zero boundary row at
/// the ends of the domain), stored as global rows `a..b`, row-major.
pub(crate) struct Block {
    pub(crate) at: Extent,
    pub(crate) n: usize,
    rank: usize,
    size: usize,
    /// The current values (rows `a..b`), which the first command fills.
    pub(crate) old: Vec<f64>,
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

impl Block {
    /// The block of `rank` of `size` in an `n × n` grid (zeros, to be filled).
    pub(crate) fn new(n: usize, rank: usize, size: usize, depth: usize) -> Block {
        let at = Extent::new(n, rank, size, depth);
        let len = (at.b - at.a) * n;
        let halo = at.depth * n;
        Block {
            at,
            n,
            rank,
            size,
            old: vec![0.0; len],
            new: vec![0.0; len],
            simd: Simd::detect(),
            send_up: vec![0.0; halo],
            send_down: vec![0.0; halo],
            recv_up: vec![0.0; halo],
            recv_down: vec![0.0; halo],
        }
    }

    /// Local index of global row `g`.
    fn local(&self, g: usize) -> usize {
        g - self.at.a
    }

    /// The owned rows (without halo), row-major.
    pub(crate) fn owned(&self) -> &[f64] {
        &self.old[self.local(self.at.lo) * self.n..self.local(self.at.hi) * self.n]
    }

    /// Advances the block by `steps` steps: passes of up to `depth` steps,
    /// each starting with one halo exchange.
    pub(crate) fn advance<C: Communicator>(
        &mut self,
        comm: &C,
        k: f64,
        steps: usize,
    ) -> comm::Result<()> {
        let mut done = 0;
        while done < steps {
            let s = self.at.depth.min(steps - done);
            self.pass(comm, k, s)?;
            done += s;
        }
        Ok(())
    }

    /// One halo exchange, then `s <= depth` steps. At sub-step `t` the rows
    /// `a+t..b-t` are still exact (each step eats one halo row per side), so
    /// after `s` steps the owned rows are.
    fn pass<C: Communicator>(&mut self, comm: &C, k: f64, s: usize) -> comm::Result<()> {
        let (n, d) = (self.n, self.at.depth);
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
                let at = self.local(self.at.lo) * n;
                buf.copy_from_slice(&self.old[at..at + d * n]);
                Some(comm.isend_buf(buf, r, UP)?)
            }
            None => None,
        };
        let send_down = match below {
            Some(r) => {
                let mut buf = std::mem::take(&mut self.send_down);
                let at = self.local(self.at.hi - d) * n;
                buf.copy_from_slice(&self.old[at..at + d * n]);
                Some(comm.isend_buf(buf, r, DOWN)?)
            }
            None => None,
        };
        // The first sub-step of the owned rows that need no halo row runs
        // while the messages travel.
        let (own_lo, own_hi) = (self.local(self.at.lo), self.local(self.at.hi));
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
            let at = self.local(self.at.hi) * n;
            self.old[at..at + d * n].copy_from_slice(&self.recv_down);
        }
        let len = self.at.b - self.at.a;
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

/// Checks that a halo received from `side` has the `want` values expected.
fn check_len(got: &[f64], want: usize, side: &str) -> comm::Result<()> {
    if got.len() == want {
        return Ok(());
    }
    Err(comm::CommError::Length {
        op: "halo exchange",
        why: format!(
            "the halo from {side} has {} values, expected {want}",
            got.len()
        ),
    })
}
