//! Area under the curve: the course's `auc.py`.
//!
//! The integral of `0.7x³ - 2x² + 4` on `[0, 3]` (exactly 8.175), by the
//! course's method: `ntot` points `x = i·dx`, `dx = 3/ntot`,
//! `i = 0..ntot-1`, and the sum of `y·dx` (a left Riemann sum).
//!
//! Backends are looked up in a registry ([`available`], [`area`]). Each
//! optional backend lives in its own file with a `pub fn area(job: &AucJob)
//! -> Result<Option<f64>, AucError>` and is registered with one line in the
//! `optional_auc_backends!` list of `lib.rs`: `auc_expr.rs` (`--backend
//! expr`) and `auc_mpi_world.rs` (`--backend mpi --flavour object|buffer`,
//! over the generic `auc_mpi.rs`). A backend computes its share with
//! [`auc_partial`] or the pieces it needs, and returns `Ok(None)` on processes
//! that must not print (MPI ranks other than 0).

use std::ops::Range;

use runtime::pool::{self, PoolError, Threads};

use crate::auc_kernel::{self, block_sum_scalar, sum_range, sum_range_parallel};
use crate::{Backend, Flavour};

/// The exact value of the integral.
pub const EXACT: f64 = 8.175;

/// The course's default number of points (`auc.py 300000000`).
pub const DEFAULT_NTOT: u64 = 300_000_000;

/// Largest `ntot` for which every index `i` is exact in an `f64` (2⁵³).
pub const MAX_NTOT: u64 = 1 << 53;

/// Left end of the interval.
const A: f64 = 0.0;
/// Right end of the interval.
const B: f64 = 3.0;

/// What can go wrong computing the area.
#[derive(Debug, thiserror::Error)]
pub enum AucError {
    /// `NTOT = 0`: there is nothing to sum.
    #[error("NTOT must be at least 1 (the number of sample points), got 0")]
    Zero,
    /// `NTOT` beyond 2⁵³, where `i·dx` would no longer be exact.
    #[error("NTOT = {0} is too large: at most 2^53 = {MAX_NTOT} points are supported")]
    TooLarge(u64),
    /// A partial range that does not lie within `0..ntot`.
    #[error("range {start}..{end} is not within 0..{ntot}")]
    BadRange {
        /// First index of the range.
        start: u64,
        /// One past the last index.
        end: u64,
        /// The total number of points.
        ntot: u64,
    },
    /// A backend name that auc does not have in this build.
    #[error("auc has no `{backend}` backend in this build (available: {available}){hint}")]
    Unavailable {
        /// The backend asked for.
        backend: Backend,
        /// The backends that are available, comma separated.
        available: String,
        /// How to get it, if there is a way (starts with "; ").
        hint: &'static str,
    },
    /// `--flavour` given to a backend that does not send messages.
    #[error("--flavour {flavour} only applies to --backend mpi, not {backend}")]
    FlavourNotApplicable {
        /// The flavour asked for.
        flavour: Flavour,
        /// The backend in use.
        backend: Backend,
    },
    /// A thread count given to a backend that runs on one thread.
    #[error("cannot run on {threads} threads: {why}")]
    Threads {
        /// The number of threads asked for.
        threads: usize,
        /// Why not.
        why: String,
    },
    /// A thread count above the cap, or a pool that could not start.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// An error inside a registered backend (expression engine, MPI, ...).
    #[error("{backend} backend: {source}")]
    Backend {
        /// The backend that failed.
        backend: Backend,
        /// What went wrong.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// One area computation: everything a backend needs to know.
#[derive(Debug, Clone)]
pub struct AucJob {
    /// Number of sample points (validated: `1..=MAX_NTOT`).
    pub ntot: u64,
    /// Threads to use (see [`runtime::pool`]). Used by `threads` and `expr`;
    /// for `processes`, the number of worker processes.
    pub threads: Threads,
    /// Message flavour for `mpi` (`None`: the backend's default).
    pub flavour: Option<Flavour>,
    /// For `mpi`: reports a rank's failure before the job is aborted (the
    /// other ranks would wait for it forever). The command line prints it;
    /// the default reports nothing.
    pub on_rank_failure: RankFailureReport,
    /// For `processes`: the program whose copies compute the shares (it
    /// registers [`crate::children::register`]'s functions). `None`: that
    /// backend is an error.
    pub processes: Option<procs::Context>,
}

/// Reports why rank `rank` of `size` failed (see [`AucJob::on_rank_failure`]).
pub type RankFailureReport = fn(failure: &str, rank: usize, size: usize);

/// The [`RankFailureReport`] that reports nothing.
pub fn ignore_rank_failure(_failure: &str, _rank: usize, _size: usize) {}

impl AucJob {
    /// A job with `ntot` points, all cores, no flavour and no report of a
    /// rank's failure, after checking `ntot`.
    pub fn new(ntot: u64) -> Result<AucJob, AucError> {
        check_ntot(ntot)?;
        Ok(AucJob {
            ntot,
            threads: Threads::AllCores,
            flavour: None,
            on_rank_failure: ignore_rank_failure,
            processes: None,
        })
    }

    /// The grid spacing `3/ntot`.
    pub fn dx(&self) -> f64 {
        dx(self.ntot)
    }
}

/// A backend's implementation: the area, or `None` on a process that must
/// not report it (MPI ranks other than 0).
pub type AreaFn = fn(&AucJob) -> Result<Option<f64>, AucError>;

/// The backends compiled into this build, in table order: `naive` and
/// `threads` (this file), and the optional ones registered with one line each
/// in the `optional_auc_backends!` list of `lib.rs` (`Expr => auc_expr`,
/// `#[cfg(feature = "mpi")] Mpi => auc_mpi_world`).
pub fn registry() -> Vec<(Backend, AreaFn)> {
    let mut reg: Vec<(Backend, AreaFn)> = vec![
        (Backend::Naive, area_naive as AreaFn),
        (Backend::Threads, area_threads as AreaFn),
    ];
    reg.extend(crate::optional_auc_backends());
    reg.sort_by_key(|(b, _)| *b);
    reg
}

/// The auc backends available in this build.
pub fn available() -> Vec<Backend> {
    registry().into_iter().map(|(b, _)| b).collect()
}

/// Looks up a backend, or says why it is not there.
pub fn lookup(backend: Backend) -> Result<AreaFn, AucError> {
    let reg = registry();
    if let Some((_, f)) = reg.iter().find(|(b, _)| *b == backend) {
        return Ok(*f);
    }
    let hint = match backend {
        Backend::Mpi if !cfg!(feature = "mpi") => {
            "; build with `--features mpi` (needs a system MPI) and run under mpirun"
        }
        _ => "",
    };
    Err(AucError::Unavailable {
        backend,
        available: reg
            .iter()
            .map(|(b, _)| b.name())
            .collect::<Vec<_>>()
            .join(", "),
        hint,
    })
}

/// Computes the area with `backend`. `Ok(None)` means this process computed
/// a share but is not the one that reports (MPI ranks other than 0).
pub fn area(backend: Backend, job: &AucJob) -> Result<Option<f64>, AucError> {
    check_ntot(job.ntot)?;
    let f = lookup(backend)?;
    if let (Some(flavour), false) = (job.flavour, backend == Backend::Mpi) {
        return Err(AucError::FlavourNotApplicable { flavour, backend });
    }
    if let Threads::Exactly(n) = job.threads {
        Threads::from_count(n)?;
    }
    if let (Threads::Exactly(threads), Backend::Naive) = (job.threads, backend) {
        return Err(AucError::Threads {
            threads,
            why: "the naive backend is the one-core scalar loop; --threads applies to threads and expr".into(),
        });
    }
    f(job)
}

/// Checks `1 <= ntot <= MAX_NTOT`.
pub fn check_ntot(ntot: u64) -> Result<(), AucError> {
    match ntot {
        0 => Err(AucError::Zero),
        n if n > MAX_NTOT => Err(AucError::TooLarge(n)),
        _ => Ok(()),
    }
}

/// The grid spacing for `ntot` points.
pub fn dx(ntot: u64) -> f64 {
    (B - A) / ntot as f64
}

/// The share `Σ y·dx` over the points `i` in `range` (a sub-range of
/// `0..ntot`), with the vectorised, pairwise kernel on the calling thread:
/// what one MPI rank computes. The shares of a partition of `0..ntot` add up
/// to the whole area.
///
/// ```
/// let ntot = 1_000_000;
/// let whole = workloads::auc::auc_partial(ntot, 0..ntot).unwrap();
/// let halves = workloads::auc::auc_partial(ntot, 0..400_000).unwrap()
///     + workloads::auc::auc_partial(ntot, 400_000..ntot).unwrap();
/// assert!((whole - halves).abs() < 1e-13);
/// ```
pub fn auc_partial(ntot: u64, range: Range<u64>) -> Result<f64, AucError> {
    check_ntot(ntot)?;
    if range.start > range.end || range.end > ntot {
        return Err(AucError::BadRange {
            start: range.start,
            end: range.end,
            ntot,
        });
    }
    let dx = dx(ntot);
    let (kernel, _) = auc_kernel::vector_kernel();
    Ok(sum_range(range, dx, kernel) * dx)
}

/// The indices rank `rank` of `size` sums: `0..ntot` cut into `size` nearly
/// equal contiguous pieces (the first `ntot % size` ranks get one more). Unlike
/// the course's `npnts = ntot/size`, no point is dropped.
///
/// ```
/// use workloads::auc::rank_range;
/// assert_eq!(rank_range(10, 0, 3), 0..4);
/// assert_eq!(rank_range(10, 2, 3), 7..10);
/// ```
pub fn rank_range(ntot: u64, rank: usize, size: usize) -> Range<u64> {
    let (rank, size) = (rank as u64, size.max(1) as u64);
    let (q, r) = (ntot / size, ntot % size);
    let start = rank * q + rank.min(r);
    let len = q + u64::from(rank < r);
    start..(start + len).min(ntot)
}

/// The exact value of the course's left Riemann sum for `ntot` points:
/// with `Σi = N(N-1)/2`, `Σi² = N(N-1)(2N-1)/6`, `Σi³ = (N(N-1)/2)²` over
/// `i < N`, the sum is `dx·(0.7dx³Σi³ - 2dx²Σi² + 4N)`, which simplifies to
/// `3·(0.7·27/4·a² - 3a(2 - 1/N) + 4)` with `a = (N-1)/N`: it tends to 8.175
/// like `1/N`.
///
/// ```
/// let s = workloads::auc::riemann_closed_form(1);
/// assert_eq!(s, 12.0); // one point, x = 0: y = 4, dx = 3
/// ```
pub fn riemann_closed_form(ntot: u64) -> f64 {
    // With a = (N-1)/N: dx·0.7dx³Σi³ = 3·0.7·(27/4)·a², dx·2dx²Σi² =
    // 3·3·a·(2 - 1/N) and dx·4N = 3·4, so no huge intermediate appears.
    let n = ntot as f64;
    let a = (ntot - 1) as f64 / n;
    let cube = 0.7 * 27.0 / 4.0 * a * a;
    let square = 3.0 * a * (2.0 - 1.0 / n);
    3.0 * (cube - square + 4.0)
}

/// `naive`: the scalar loop, one accumulator per block, serially.
fn area_naive(job: &AucJob) -> Result<Option<f64>, AucError> {
    let dx = job.dx();
    Ok(Some(sum_range(0..job.ntot, dx, block_sum_scalar) * dx))
}

/// `threads`: the vector kernel on every core (or `job.threads` of them).
fn area_threads(job: &AucJob) -> Result<Option<f64>, AucError> {
    let dx = job.dx();
    let (kernel, _) = auc_kernel::vector_kernel();
    let sum = pool::install(job.threads, || sum_range_parallel(0..job.ntot, dx, kernel))?;
    Ok(Some(sum * dx))
}

/// The instruction set the vector kernel uses on this CPU ("avx512", "avx2"
/// or "baseline"), for reports.
pub fn simd_level() -> &'static str {
    auc_kernel::vector_kernel().1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_is_right_for_small_n() {
        for n in [1u64, 2, 3, 7, 100] {
            let dx = 3.0 / n as f64;
            let direct: f64 = (0..n)
                .map(|i| auc_kernel::integrand(i as f64 * dx) * dx)
                .sum();
            let c = riemann_closed_form(n);
            assert!((c - direct).abs() <= 1e-13 * c, "n {n}: {c} vs {direct}");
        }
    }

    #[test]
    fn rank_ranges_partition() {
        for (ntot, size) in [(10u64, 3usize), (7, 7), (3, 5), (1_000_001, 4)] {
            let mut next = 0;
            for r in 0..size {
                let rr = rank_range(ntot, r, size);
                assert_eq!(rr.start, next);
                next = rr.end;
            }
            assert_eq!(next, ntot);
        }
    }
}
