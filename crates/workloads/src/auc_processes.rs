//! `--backend processes`: the course's hands-on, the area with
//! multiprocessing. A `procs::Pool` of one worker process per core (or
//! `--threads` of them) maps [`AUC_SHARE`] over contiguous ranges of the
//! points, one per worker; each runs the vector kernel on its range, and
//! the shares are added here.

use procs::Pool;

use crate::auc::{rank_range, AucError, AucJob};
use crate::children::AUC_SHARE;
use crate::Backend;

/// The area with a pool of `job.threads` worker processes of `job.processes`.
pub fn area(job: &AucJob) -> Result<Option<f64>, AucError> {
    let failed = |source: Box<dyn std::error::Error + Send + Sync>| AucError::Backend {
        backend: Backend::Processes,
        source,
    };
    let ctx = job.processes.as_ref().ok_or_else(|| {
        failed("needs the program to start workers of (AucJob::processes)".into())
    })?;
    // More workers than points would leave some with nothing to sum.
    let workers = job.threads.count().min(job.ntot as usize).max(1);
    let pool = Pool::new(ctx, workers).map_err(|e| failed(e.into()))?;
    let ranges = (0..workers).map(|w| {
        let r = rank_range(job.ntot, w, workers);
        (job.ntot, r.start, r.end)
    });
    let shares = pool
        .map(AUC_SHARE, ranges, Some(1))
        .map_err(|e| failed(e.into()))?;
    let mut area = 0.0;
    for share in shares {
        area += share.map_err(|e| failed(e.into()))?;
    }
    Ok(Some(area))
}
