//! Ranks as threads: a distributed context on comm's `Local` ranks, one
//! thread each, in this process (for tests, and for `--local N`). The
//! program each rank runs is the one it would run under `mpirun`; only the
//! communicator differs.

use std::panic::{catch_unwind, AssertUnwindSafe};

use runtime::panic::panic_message;

use crate::builder::ContextBuilder;
use crate::context::Context;
use crate::error::{DatasetError, Result};

/// Runs `job` on `ranks` ranks, each a thread with its own [`Context`] built
/// by `settings(rank)` over a `comm::Local` rank, and returns each rank's
/// result in rank order.
///
/// If a rank fails, the error is the one its peers share
/// ([`DatasetError::RankFailed`], naming the rank, the stage and the cause)
/// or, for a failure outside an action, that rank's own error or panic
/// (its peers, waiting for it, get an error rather than a hang).
///
/// ```
/// use dataset::{run_on_local_ranks, Context};
///
/// let counts = run_on_local_ranks(3, |_| Context::builder().threads(1), |ctx| {
///     let words = ctx.parallelize(["a", "b", "a", "c", "a"], 4);
///     let counts = words.map(|w| (w.to_string(), 1u64)).reduce_by_key(|a, b| a + b);
///     counts.take_ordered(2, |(w, c)| (std::cmp::Reverse(*c), w.clone()))
/// })?;
/// // Every rank has the same answer.
/// assert_eq!(counts, vec![vec![("a".to_string(), 3), ("b".to_string(), 1)]; 3]);
/// # Ok::<(), dataset::DatasetError>(())
/// ```
pub fn run_on_local_ranks<R, S, F>(ranks: usize, settings: S, job: F) -> Result<Vec<R>>
where
    R: Send,
    S: Fn(usize) -> ContextBuilder + Sync,
    F: Fn(&Context) -> Result<R> + Sync,
{
    let comms = comm::Local::group(ranks, comm::LOCAL_HOST)
        .map_err(|e| DatasetError::Comm(e.to_string()))?;
    let outcomes: Vec<Result<R>> = std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(ranks);
        for (rank, comm) in comms.into_iter().enumerate() {
            let (settings, job) = (&settings, &job);
            let body = move || {
                let run = || job(&settings(rank).build_on(comm)?);
                catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
                    Err(DatasetError::RankFailed {
                        rank,
                        ranks,
                        cause: format!("panicked: {}", panic_message(&*panic)),
                    })
                })
            };
            handles.push(std::thread::Builder::new().spawn_scoped(s, body));
        }
        handles
            .into_iter()
            .enumerate()
            .map(|(rank, h)| match h {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(cannot_run(rank, "it panicked"))),
                Err(e) => Err(cannot_run(rank, &e.to_string())),
            })
            .collect()
    });
    if outcomes.iter().all(Result::is_ok) {
        return outcomes.into_iter().collect();
    }
    Err(first_failure(outcomes, ranks))
}

/// The error of a rank whose thread did not run its job to the end.
fn cannot_run(rank: usize, why: &str) -> DatasetError {
    DatasetError::Comm(format!("the thread of rank {rank} failed: {why}"))
}

/// The failure that explains the others: the one the ranks shared, else
/// the first that is not a peer noticing that another rank is gone.
fn first_failure<R>(outcomes: Vec<Result<R>>, ranks: usize) -> DatasetError {
    let errors: Vec<(usize, DatasetError)> = outcomes
        .into_iter()
        .enumerate()
        .filter_map(|(rank, r)| r.err().map(|e| (rank, e)))
        .collect();
    let pick = errors
        .iter()
        .position(|(_, e)| matches!(e, DatasetError::RankFailed { .. }))
        .or_else(|| {
            errors
                .iter()
                .position(|(_, e)| !matches!(e, DatasetError::Comm(_)))
        })
        .unwrap_or(0);
    match errors.into_iter().nth(pick) {
        Some((_, e @ DatasetError::RankFailed { .. })) => e,
        Some((rank, e)) => DatasetError::RankFailed {
            rank,
            ranks,
            cause: e.to_string(),
        },
        None => DatasetError::Comm("no rank failed".into()),
    }
}
