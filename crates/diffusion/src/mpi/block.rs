//! One rank's share of the grid and the halo exchange that keeps its ghost
//! rows current.
//!
//! Rank `r` of `P` owns a contiguous block of interior rows plus a halo of
//! `d` rows above and below: copies of the neighbours' edge rows, or the
//! zero boundary row at the ends of the domain. Blocks start equal
//! ([`comm::block_range`], sizes differing by at most one, so odd splits
//! work) and then follow the ranks' measured speeds ([`super::balance`]).
//! Once every `d` steps a rank posts non-blocking receives for its two
//! halos and non-blocking sends of its edge rows, updates the rows that
//! need no halo while the messages travel, then finishes the step and takes
//! `d - 1` more steps with no messages, each step using up one halo row per
//! side. Those steps run as the threads backend's passes (`threads/band.rs`):
//! a few steps per sweep of the block, the levels between them kept in
//! rings of rows that stay in the L1 cache. The block's rows are laid out
//! as the threads backend's (`threads/layout.rs`: padded so that every
//! row's first updated cell starts a cache line); they travel packed, `n`
//! values a row.

use comm::{block_range, Communicator, Request};
use runtime::clock::thread_cpu_time;

use super::balance::{boundary_move, Share, Speed};
use crate::kernel::Simd;
use crate::threads::band::{src_rows, updates, Band, Pass};
use crate::threads::default_depth;
use crate::threads::layout::{AlignedBuf, Layout, SKEW_A, SKEW_B, SKEW_RING};

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
        let (a, b) = stored_rows(n, rank, size, depth, lo, hi);
        Extent {
            lo,
            hi,
            a,
            b,
            depth,
        }
    }
}

/// The global rows `rank` of `size` stores for owned rows `lo..hi` of an
/// `n × n` grid: `depth` halo rows on each side, or the domain's zero
/// boundary row at either end.
fn stored_rows(
    n: usize,
    rank: usize,
    size: usize,
    depth: usize,
    lo: usize,
    hi: usize,
) -> (usize, usize) {
    let a = if rank == 0 { 0 } else { lo - depth };
    let b = if rank + 1 == size { n } else { hi + depth };
    (a, b)
}

/// Values after the rows of every halo message: the sender's row count and
/// its seconds per row, from which both neighbours decide the same
/// [`boundary_move`].
const TRAILER: usize = 2;

/// One rank's share of the grid: global interior rows `lo..hi`, plus a halo
/// of `depth` rows copied from each neighbour (or the zero boundary row at
/// the ends of the domain), stored as global rows `a..b`, row-major.
///
/// The rows a rank owns change when it and a neighbour agree to move their
/// boundary ([`super::balance`]); every cell still gets the same arithmetic,
/// so the result does not depend on where the boundaries are.
pub(crate) struct Block {
    pub(crate) n: usize,
    rank: usize,
    size: usize,
    depth: usize,
    /// The owned global rows.
    lo: usize,
    hi: usize,
    /// How far the next pass moves `lo` and `hi`, as agreed with the
    /// neighbours in the last exchange.
    move_lo: isize,
    move_hi: isize,
    /// Where each stored row's cells are in `old` and `new`.
    lay: Layout,
    /// The current values (rows `a..b`), which [`Block::fill`] sets.
    old: AlignedBuf,
    new: AlignedBuf,
    simd: Simd,
    /// Steps per sweep of the block after a pass's first step, and the
    /// scratch of those sweeps.
    band_depth: usize,
    band: Band,
    /// Reused message buffers: edge rows out, halo rows in.
    send_up: Vec<f64>,
    send_down: Vec<f64>,
    recv_up: Vec<f64>,
    recv_down: Vec<f64>,
    /// This rank's measured CPU seconds per row.
    speed: Speed,
    /// Test hook: the measured busy time is multiplied by this, as if the
    /// rank's core were shared.
    #[cfg(test)]
    slowdown: u32,
}

/// The reused halo buffer `buf`, sized for `values` values and the
/// [`TRAILER`].
fn halo_buffer(buf: &mut Vec<f64>, values: usize) -> Vec<f64> {
    let mut buf = std::mem::take(buf);
    buf.resize(values + TRAILER, 0.0);
    buf
}

/// What one pass exchanges with a neighbour (its rank): the local rows that
/// go out to it, and how many rows come in from it.
struct Side {
    rank: usize,
    rows_out: (usize, usize),
    rows_in: usize,
}

impl Block {
    /// The block of `rank` of `size` in an `n × n` grid (zeros, to be filled).
    pub(crate) fn new(n: usize, rank: usize, size: usize, depth: usize) -> Block {
        let at = Extent::new(n, rank, size, depth);
        let lay = Layout::new(n);
        let len = (at.b - at.a) * lay.stride;
        // Room for the whole grid: the load balance may grow the block up
        // to nearly that, and then re-lays it out in place.
        let room = n * lay.stride;
        Block {
            n,
            rank,
            size,
            depth: at.depth,
            lo: at.lo,
            hi: at.hi,
            move_lo: 0,
            move_hi: 0,
            lay,
            old: AlignedBuf::with_capacity(len, room, SKEW_A),
            new: AlignedBuf::with_capacity(len, room, SKEW_B),
            simd: Simd::detect(),
            band_depth: default_depth(n),
            band: Band::new(lay, default_depth(n), SKEW_RING),
            send_up: Vec::new(),
            send_down: Vec::new(),
            recv_up: Vec::new(),
            recv_down: Vec::new(),
            speed: Speed::default(),
            #[cfg(test)]
            slowdown: 1,
        }
    }

    /// The global rows stored for owned rows `lo..hi`: the halo rows, or
    /// the domain's zero boundary row at either end.
    fn stored(&self, lo: usize, hi: usize) -> (usize, usize) {
        stored_rows(self.n, self.rank, self.size, self.depth, lo, hi)
    }

    /// The global rows this rank owns now.
    pub(crate) fn owned_rows(&self) -> std::ops::Range<usize> {
        self.lo..self.hi
    }

    /// The global rows the block stores now: its own and its halos.
    pub(crate) fn stored_rows(&self) -> std::ops::Range<usize> {
        let (a, b) = self.stored(self.lo, self.hi);
        a..b
    }

    /// Sets the stored rows (halos included, [`Block::stored_rows`]) from
    /// `rows`, row-major.
    pub(crate) fn fill(&mut self, rows: &[f64]) {
        debug_assert_eq!(rows.len(), self.stored_rows().len() * self.n);
        self.lay.unpack(rows, self.old.as_mut_slice(), 0);
    }

    /// Writes the owned rows (without halo) into `out`, row-major: rank 0
    /// straight into the density it gathers into.
    pub(crate) fn owned_into(&self, out: &mut [f64]) {
        debug_assert_eq!(out.len(), (self.hi - self.lo) * self.n);
        let a = self.stored(self.lo, self.hi).0;
        self.lay.pack(self.old.as_slice(), self.lo - a, out);
    }

    /// The owned rows (without halo), row-major, to send.
    pub(crate) fn owned(&self) -> Vec<f64> {
        let mut out = vec![0.0; (self.hi - self.lo) * self.n];
        self.owned_into(&mut out);
        out
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
            let s = self.depth.min(steps - done);
            self.pass(comm, k, s)?;
            done += s;
        }
        Ok(())
    }

    /// One halo exchange, then `s <= depth` steps. At sub-step `t` the rows
    /// `a+t..b-t` are still exact (each step eats one halo row per side), so
    /// after `s` steps the owned rows are.
    ///
    /// The exchange also moves the boundaries agreed in the last one: each
    /// neighbour gets the rows of its new stored range that this rank owns
    /// now, so that a pass with no move sends exactly `depth` rows each way.
    fn pass<C: Communicator>(&mut self, comm: &C, k: f64, s: usize) -> comm::Result<()> {
        // The CPU time of the computing, for the load balance: a rank that
        // shares its core is not slower per row of it.
        let mut since = thread_cpu_time();
        let (n, d, lo, hi) = (self.n, self.depth, self.lo, self.hi);
        let (new_lo, new_hi) = self.next_rows()?;
        let (a, b) = self.stored(lo, hi);
        let above = (self.rank > 0).then(|| Side {
            rank: self.rank - 1,
            rows_out: (lo - a, (new_lo + d).max(lo) - a),
            rows_in: (lo + d).saturating_sub(new_lo),
        });
        let below = (self.rank + 1 < self.size).then(|| Side {
            rank: self.rank + 1,
            rows_out: (new_hi.saturating_sub(d).min(hi) - a, hi - a),
            rows_in: (new_hi + d).saturating_sub(hi),
        });
        let mine = Share {
            rows: new_hi - new_lo,
            seconds_per_row: self.speed.seconds_per_row(),
        };

        // Post the halo receives first, then send the edge rows, the same
        // way on both sides (each side's tags: what travels to it, from it).
        let post_recv = |side: &Option<Side>, buf: &mut Vec<f64>, tag| {
            side.as_ref()
                .map(|s| comm.irecv_buf(halo_buffer(buf, s.rows_in * n), s.rank, tag))
                .transpose()
        };
        let recv_up = post_recv(&above, &mut self.recv_up, DOWN)?;
        let recv_down = post_recv(&below, &mut self.recv_down, UP)?;
        let (lay, old) = (self.lay, self.old.as_slice());
        let post_send = |side: &Option<Side>, buf: &mut Vec<f64>, tag| {
            side.as_ref()
                .map(|s| {
                    let out = message(std::mem::take(buf), old, lay, s.rows_out, mine);
                    comm.isend_buf(out, s.rank, tag)
                })
                .transpose()
        };
        let send_up = post_send(&above, &mut self.send_up, UP)?;
        let send_down = post_send(&below, &mut self.send_down, DOWN)?;

        // With the boundaries staying, the first sub-step of the owned rows
        // that need no halo row runs while the messages travel.
        let moved = (new_lo, new_hi) != (lo, hi);
        let (own_lo, own_hi) = (lo - a, hi - a);
        let overlapped = !moved && own_hi > own_lo + 2;
        let mut computed = 0;
        if overlapped {
            computed += self.sweep((own_lo + 1, own_hi - 1), 1, b - a, k);
        }
        let mut busy = thread_cpu_time().saturating_sub(since);
        let mut neighbour_above = None;
        if let (Some(r), Some(side)) = (recv_up, &above) {
            self.recv_up = r.wait()?;
            neighbour_above = Some(split(&self.recv_up, side.rows_in, n, "above")?);
        }
        let mut neighbour_below = None;
        if let (Some(r), Some(side)) = (recv_down, &below) {
            self.recv_down = r.wait()?;
            neighbour_below = Some(split(&self.recv_down, side.rows_in, n, "below")?);
        }
        since = thread_cpu_time();
        if moved {
            self.regrid(new_lo, new_hi, above.is_some(), below.is_some());
        } else {
            if let Some(side) = &above {
                let rows = &self.recv_up[..side.rows_in * n];
                lay.unpack(rows, self.old.as_mut_slice(), 0);
            }
            if let Some(side) = &below {
                let rows = &self.recv_down[..side.rows_in * n];
                lay.unpack(rows, self.old.as_mut_slice(), hi - a);
            }
        }

        let (a, b) = self.stored(new_lo, new_hi);
        let len = b - a;
        // The rows that are exact after `t` steps of this pass; the domain's
        // boundary rows (local 0 on rank 0, the last row on the last rank)
        // stay zero.
        let exact = |t: usize| {
            let lo = if above.is_some() { t } else { 1 };
            let hi = if below.is_some() { len - t } else { len - 1 };
            (lo, hi)
        };
        let (lo, hi) = exact(1);
        if overlapped {
            // Already done: own_lo+1..own_hi-1. Do the rest.
            computed += self.sweep((lo, own_lo + 1), 1, len, k);
            computed += self.sweep((own_hi - 1, hi), 1, len, k);
        } else {
            computed += self.sweep((lo, hi), 1, len, k);
        }
        std::mem::swap(&mut self.old, &mut self.new);
        // The other steps, `band_depth` at a time: each sweep reads the rows
        // exact after `t` steps and writes those exact after `t + levels`.
        let mut t = 1;
        while t < s {
            let levels = self.band_depth.min(s - t);
            computed += self.sweep(exact(t + levels), levels, len, k);
            std::mem::swap(&mut self.old, &mut self.new);
            t += levels;
        }
        busy += thread_cpu_time().saturating_sub(since);
        if let Some(r) = send_up {
            self.send_up = r.wait()?;
        }
        if let Some(r) = send_down {
            self.send_down = r.wait()?;
        }
        #[cfg(test)]
        let busy = busy * self.slowdown;
        self.speed.record(computed, busy);

        // The next pass's boundaries, decided as the neighbours decide them.
        self.move_lo = neighbour_above.map_or(0, |up| boundary_move(up, mine, d));
        self.move_hi = neighbour_below.map_or(0, |down| boundary_move(mine, down, d));
        Ok(())
    }

    /// Advances the local rows `rows` of the block (of `len` stored rows) by
    /// `levels` steps from `old` into `new`, reading `levels` rows beyond
    /// them on each side (`threads/band.rs`); returns the row updates made.
    fn sweep(&mut self, rows: (usize, usize), levels: usize, len: usize, k: f64) -> usize {
        let stride = self.lay.stride;
        let (s0, s1) = src_rows(rows, levels, len);
        self.band.run(
            self.simd,
            true,
            Pass {
                grid_rows: len,
                rows,
                src: &self.old.as_slice()[s0 * stride..s1 * stride],
                dst: &mut self.new.as_mut_slice()[rows.0 * stride..rows.1 * stride],
                levels,
                k,
            },
        );
        updates(rows, levels, len)
    }

    /// The owned rows of the next pass, after the agreed moves; an error if
    /// the moves leave no valid block (neighbours that disagree).
    fn next_rows(&self) -> comm::Result<(usize, usize)> {
        let lo = self.lo.checked_add_signed(self.move_lo);
        let hi = self.hi.checked_add_signed(self.move_hi);
        match (lo, hi) {
            (Some(lo), Some(hi)) if lo >= 1 && lo + self.depth <= hi && hi < self.n => Ok((lo, hi)),
            _ => Err(comm::CommError::Length {
                op: "halo exchange",
                why: format!(
                    "moving rows {}..{} by {} and {} leaves no valid block",
                    self.lo, self.hi, self.move_lo, self.move_hi
                ),
            }),
        }
    }

    /// Re-lays the block out for owned rows `new_lo..new_hi`, in place: the
    /// rows it keeps move to their new places, and the rows that came in
    /// this pass's messages (in `recv_up` and `recv_down`) go above and
    /// below them.
    ///
    /// The other rows of either buffer keep stale values, which no sweep
    /// reads (a sweep reads only rows that are exact at its level), and
    /// zero boundary columns, as every row has. The domain's zero boundary
    /// rows at either end are zeroed at their new places.
    fn regrid(&mut self, new_lo: usize, new_hi: usize, above: bool, below: bool) {
        let (lay, stride) = (self.lay, self.lay.stride);
        let (a, _) = self.stored(self.lo, self.hi);
        let (new_a, new_b) = self.stored(new_lo, new_hi);
        let len = (new_b - new_a) * stride;
        let (keep_lo, keep_hi) = (self.lo.max(new_a), self.hi.min(new_b));
        self.old.set_len(len.max(self.old.len()));
        let old = self.old.as_mut_slice();
        old.copy_within(
            (keep_lo - a) * stride..(keep_hi - a) * stride,
            (keep_lo - new_a) * stride,
        );
        self.old.set_len(len);
        self.new.set_len(len);
        let old = self.old.as_mut_slice();
        if above {
            let rows = &self.recv_up[..self.recv_up.len() - TRAILER];
            lay.unpack(rows, old, 0);
        }
        let rows = &self.recv_down[..self.recv_down.len().saturating_sub(TRAILER)];
        if below && !rows.is_empty() {
            lay.unpack(rows, old, self.hi - new_a);
        }
        let last = new_b - new_a - 1;
        for buf in [&mut self.old, &mut self.new] {
            let cells = buf.as_mut_slice();
            if !above {
                cells[lay.row(0)].fill(0.0);
            }
            if !below {
                cells[lay.row(last)].fill(0.0);
            }
        }
        (self.lo, self.hi) = (new_lo, new_hi);
    }
}

/// A halo message: rows `r0..r1` of `grid` (laid out as `lay`), packed, then
/// this rank's share (the [`TRAILER`]), in the reused buffer `buf`.
fn message(
    mut buf: Vec<f64>,
    grid: &[f64],
    lay: Layout,
    (r0, r1): (usize, usize),
    mine: Share,
) -> Vec<f64> {
    buf.resize((r1 - r0) * lay.n, 0.0);
    lay.pack(grid, r0, &mut buf);
    buf.extend_from_slice(&[mine.rows as f64, mine.seconds_per_row]);
    buf
}

/// Checks a halo message from `side` (`rows` rows of width `n`, then the
/// trailer) and returns the neighbour's share.
fn split(got: &[f64], rows: usize, n: usize, side: &str) -> comm::Result<Share> {
    let bad = |why: String| comm::CommError::Length {
        op: "halo exchange",
        why: format!("the halo from {side} {why}"),
    };
    if got.len() != rows * n + TRAILER {
        return Err(bad(format!(
            "has {} values, expected {}",
            got.len(),
            rows * n + TRAILER
        )));
    }
    let (count, seconds_per_row) = (got[got.len() - 2], got[got.len() - 1]);
    let whole_rows = (1.0..=n as f64).contains(&count) && count.fract() == 0.0;
    if !(whole_rows && seconds_per_row >= 0.0 && seconds_per_row.is_finite()) {
        return Err(bad(format!(
            "reports a block of {count} rows at {seconds_per_row} s per row"
        )));
    }
    Ok(Share {
        rows: count as usize,
        seconds_per_row,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use comm::Local;

    /// `steps` steps of the whole `n × n` grid `grid` by the `naive` backend.
    fn serial(grid: &[f64], n: usize, k: f64, steps: usize) -> Vec<f64> {
        use crate::Stepper;
        let mut dens = ndarray::Array2::from_shape_vec((n, n), grid.to_vec()).unwrap();
        crate::NaiveStepper::new()
            .advance(&mut dens, k, steps)
            .unwrap();
        dens.iter().copied().collect()
    }

    /// Steps `grid` on `ranks` local ranks with halos of `depth` rows,
    /// sweeping at most `band_depth` steps at a time (`None`: the default),
    /// rank `slow` pretending to be `factor` times slower: each rank's final
    /// owned rows and values.
    fn distributed(
        grid: &[f64],
        n: usize,
        (ranks, depth, band_depth): (usize, usize, Option<usize>),
        (slow, factor): (usize, u32),
        k: f64,
        steps: usize,
    ) -> Vec<(std::ops::Range<usize>, Vec<f64>)> {
        Local::run(ranks, |c| {
            let mut b = Block::new(n, c.rank(), ranks, depth);
            if let Some(levels) = band_depth {
                b.band_depth = levels;
            }
            let e = Extent::new(n, c.rank(), ranks, depth);
            b.fill(&grid[e.a * n..e.b * n]);
            if c.rank() == slow {
                b.slowdown = factor;
            }
            // Several advances, as the run loop makes between outputs.
            for _ in 0..4 {
                b.advance(c, k, steps / 4).unwrap();
            }
            (b.owned_rows(), b.owned())
        })
        .unwrap()
    }

    fn grid(n: usize) -> Vec<f64> {
        let mut g = vec![0.0; n * n];
        for i in 1..n - 1 {
            for j in 1..n - 1 {
                g[i * n + j] = ((i * 7 + j * 13) % 17) as f64 / 17.0;
            }
        }
        g
    }

    #[test]
    fn a_slow_rank_gives_rows_away_and_the_result_stays_exact() {
        let (n, k, steps) = (64, 0.2, 400);
        let g = grid(n);
        let want = serial(&g, n, k, steps);
        for (ranks, depth) in [(2, 4), (3, 4), (3, 1), (4, 8)] {
            let got = distributed(&g, n, (ranks, depth, None), (1, 4), k, steps);
            // The blocks tile the interior in rank order, and each holds
            // exactly the serial values.
            let mut at = 1;
            for (rows, values) in &got {
                assert_eq!(rows.start, at, "{ranks} ranks, depth {depth}");
                assert!(rows.len() >= depth);
                assert_eq!(values[..], want[rows.start * n..rows.end * n]);
                at = rows.end;
            }
            assert_eq!(at, n - 1);
            let even = (n - 2) / ranks;
            assert!(
                got[1].0.len() < even,
                "{ranks} ranks, depth {depth}: the slow rank kept {:?}",
                got[1].0
            );
        }
    }

    #[test]
    fn sweeps_of_a_few_steps_between_exchanges_give_the_serial_bits() {
        // Halos of 8 rows swept 1, 2 or 3 steps at a time (passes of 1 + 7
        // steps: sweeps of 1×7, 2+2+2+1, 3+3+1), 17 steps per advance so that
        // the last pass of each is shorter; blocks moving as well.
        let (n, k, steps) = (50, 0.2, 68);
        let g = grid(n);
        let want = serial(&g, n, k, steps);
        for ranks in [1, 2, 3] {
            for band_depth in [1, 2, 3] {
                let got = distributed(&g, n, (ranks, 8, Some(band_depth)), (0, 3), k, steps);
                let mut at = 1;
                for (rows, values) in &got {
                    assert_eq!(rows.start, at, "{ranks} ranks, sweeps of {band_depth}");
                    assert_eq!(
                        values[..],
                        want[rows.start * n..rows.end * n],
                        "{ranks} ranks, sweeps of {band_depth}"
                    );
                    at = rows.end;
                }
                assert_eq!(at, n - 1);
            }
        }
    }
}
