//! Running jobs: shuffle-map stages first (depth first through the lineage),
//! then the result stage; one task per partition on the context's threads,
//! each retried on failure (a panic in user code is caught). Each stage is
//! reported to the context's progress receiver as a task of its own.
//!
//! On a distributed context each rank runs the tasks of the partitions
//! placed on it (`lineage::placement`), then the ranks share the outcome:
//! every rank gets every partition's result, or the same error naming the
//! rank that failed. One process alone runs every task and shares nothing.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use runtime::panic::panic_message;
use runtime::progress::Unit;

use crate::codec::Codec;
use crate::context::Context;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::lineage::{placement, Dependency, Lineage, PartitionIter};
use crate::ranks::share;
use crate::task::TaskContext;

/// Makes sure every shuffle the lineage of `node` reads from has run.
pub(crate) fn run_parent_stages(node: &dyn Lineage) -> Result<()> {
    node.validate()?;
    for dep in node.deps() {
        match dep {
            Dependency::Narrow(parent) => run_parent_stages(parent.as_ref())?,
            Dependency::Shuffle(shuffle) => {
                if !shuffle.is_done() {
                    shuffle.run()?;
                }
            }
        }
    }
    Ok(())
}

/// The checks of every node of the lineage of `node` that still has to run
/// (up to the shuffles that have run).
fn validate(node: &dyn Lineage) -> Result<()> {
    node.validate()?;
    for dep in node.deps() {
        match dep {
            Dependency::Narrow(parent) => validate(parent.as_ref())?,
            Dependency::Shuffle(shuffle) if !shuffle.is_done() => {
                validate(shuffle.parent().as_ref())?
            }
            Dependency::Shuffle(_) => {}
        }
    }
    Ok(())
}

/// Runs the stage `name`: `task` once per partition of `dataset` in
/// `partitions`, given the partition's elements, on the context's threads
/// (and ranks), after every shuffle the lineage reads from. Returns the
/// results in the order of `partitions`, on every rank. A failed attempt (an
/// `Err` or a panic) is retried up to the context's `max_attempts`; then the
/// stage stops and the error names the stage, the partition and the last
/// cause (and, distributed, the rank: every rank returns that error).
pub(crate) fn run_tasks<T, R, F>(
    dataset: &Dataset<T>,
    name: &str,
    partitions: &[usize],
    task: F,
) -> Result<Vec<R>>
where
    R: Send + Codec,
    F: Fn(&TaskContext, PartitionIter<T>) -> Result<R> + Sync,
{
    if let Some(ranks) = &dataset.ctx.inner.ranks {
        // What every rank checks alike (a missing input) fails every rank
        // with one error, reported once, before any stage runs; success is
        // shared at the job's first collective.
        ranks.checked(validate(dataset.lineage.as_ref()))?;
    }
    run_parent_stages(dataset.lineage.as_ref())?;
    let Some(ranks) = &dataset.ctx.inner.ranks else {
        let stage = dataset.ctx.next_stage();
        return run_stage(dataset, stage, name, partitions, task);
    };
    let (here, outcome) = run_placed(dataset, name, partitions, task);
    let mine = outcome.map(|results| {
        let mut bytes = Vec::new();
        for (i, r) in here.iter().zip(results) {
            i.encode(&mut bytes);
            r.encode(&mut bytes);
        }
        bytes
    });
    let mut slots: Vec<Option<R>> = (0..partitions.len()).map(|_| None).collect();
    for (rank, bytes) in share(ranks.as_ref(), mine)?.into_iter().enumerate() {
        let mut input = &bytes[..];
        while !input.is_empty() {
            let decoded = usize::decode(&mut input)
                .and_then(|i| Some((i, R::decode(&mut input)?)))
                .filter(|(i, _)| *i < slots.len());
            let Some((i, r)) = decoded else {
                return Err(DatasetError::Comm(format!(
                    "rank {rank} sent malformed results of stage {name}"
                )));
            };
            slots[i] = Some(r);
        }
    }
    slots
        .into_iter()
        .map(|r| {
            r.ok_or_else(|| {
                DatasetError::Comm(format!("a partition of stage {name} has no result"))
            })
        })
        .collect()
}

/// The tasks of the partitions of `partitions` placed on this rank, after
/// every shuffle the lineage reads from: the indices (into `partitions`) it
/// ran, and their results or this rank's failure, not yet shared with the
/// other ranks (the caller shares it in its next collective).
pub(crate) fn run_placed<T, R, F>(
    dataset: &Dataset<T>,
    name: &str,
    partitions: &[usize],
    task: F,
) -> (Vec<usize>, Result<Vec<R>>)
where
    R: Send,
    F: Fn(&TaskContext, PartitionIter<T>) -> Result<R> + Sync,
{
    let ctx = &dataset.ctx;
    let (rank, size) = (ctx.rank(), ctx.ranks());
    let stage = ctx.next_stage();
    let node = dataset.lineage.as_ref();
    let here: Vec<usize> = (0..partitions.len())
        .filter(|&i| placement(node, partitions[i], size) == rank)
        .collect();
    let mine: Vec<usize> = here.iter().map(|&i| partitions[i]).collect();
    let outcome = run_stage(dataset, stage, name, &mine, task);
    (here, outcome)
}

/// Runs stage `stage` named `name`: `task` for each of `partitions`, in
/// this process. Results in the order of `partitions`.
fn run_stage<T, R, F>(
    dataset: &Dataset<T>,
    stage: usize,
    name: &str,
    partitions: &[usize],
    task: F,
) -> Result<Vec<R>>
where
    R: Send,
    F: Fn(&TaskContext, PartitionIter<T>) -> Result<R> + Sync,
{
    let ctx = &dataset.ctx;
    let total = partitions.len();
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    let failure: Mutex<Option<DatasetError>> = Mutex::new(None);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..total).map(|_| None).collect());
    let progress = &ctx.inner.progress;
    let counters = &ctx.inner.counters;

    let worker = || {
        while !abort.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= total {
                break;
            }
            let partition = partitions[index];
            let mut attempt = 0;
            loop {
                attempt += 1;
                counters.task_attempts.fetch_add(1, Ordering::Relaxed);
                let tc = TaskContext::new(partition);
                // A named phase for `hpcrs profile` (one relaxed load when
                // no profiler runs).
                let task_phase = runtime::phase::enter("dataset task");
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let r = task(&tc, dataset.node.compute(partition, &tc)?)?;
                    tc.check()?;
                    Ok::<R, DatasetError>(r)
                }));
                drop(task_phase);
                let cause = match outcome {
                    Ok(Ok(r)) => {
                        results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(r);
                        progress.advance(1);
                        break;
                    }
                    Ok(Err(e)) => e.to_string(),
                    Err(payload) => format!("panic: {}", panic_message(payload.as_ref())),
                };
                counters.task_failures.fetch_add(1, Ordering::Relaxed);
                if attempt >= ctx.inner.max_attempts || abort.load(Ordering::Relaxed) {
                    let mut slot = failure.lock().unwrap_or_else(|e| e.into_inner());
                    slot.get_or_insert(DatasetError::TaskFailed {
                        stage,
                        stage_name: name.to_string(),
                        partition,
                        attempts: attempt,
                        cause,
                    });
                    abort.store(true, Ordering::Relaxed);
                    return;
                }
                progress.note(&format!(
                    "stage {stage} ({name}), partition {partition}: attempt {attempt} failed, retrying: {cause}"
                ));
            }
        }
    };

    let _stage_phase = runtime::phase::enter("dataset stage");
    progress.start(
        &format!("stage {stage} ({name})"),
        Some(total as u64),
        Unit::Items,
    );
    on_workers(ctx, total, worker);
    progress.finish();
    if let Some(err) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(err);
    }
    Ok(results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every task of a finished stage has a result"))
        .collect())
}

/// Runs copies of `worker` on the context's pool, one per thread but no more
/// than there are `tasks`, and returns when every copy has returned. A single
/// copy runs on the calling thread.
fn on_workers(ctx: &Context, tasks: usize, worker: impl Fn() + Sync) {
    let workers = ctx.threads().min(tasks);
    if workers <= 1 {
        return worker();
    }
    let spawn_all = || {
        rayon::scope(|s| {
            for _ in 0..workers {
                s.spawn(|_| worker());
            }
        })
    };
    match &ctx.inner.pool {
        Some(pool) => pool.install(spawn_all),
        None => spawn_all(),
    }
}
