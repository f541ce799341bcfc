//! The functions this crate runs in child processes (`procs`): a summer
//! job and an auc share. A program that uses summer's processes mode or
//! auc's processes backend registers them with [`register`] in the registry
//! it hands to `procs::child::run_if_child`.

use procs::{Func, Registry};

use crate::auc;
use crate::summer::my_summer;

/// One summer job: the sum of `start..stop`.
pub const SUMMER_JOB: Func<(u64, u64), u64> =
    Func::new("workloads.summer", |(start, stop)| my_summer(start, stop));

/// One share of the area: `Σ y·dx` over `start..end` of `ntot` points, or
/// the error's text.
pub const AUC_SHARE: Func<(u64, u64, u64), Result<f64, String>> =
    Func::new("workloads.auc", |(ntot, start, end)| {
        auc::auc_partial(ntot, start..end).map_err(|e| e.to_string())
    });

/// Registers this crate's child functions.
pub fn register(registry: &mut Registry) -> procs::Result<()> {
    registry.add(SUMMER_JOB)?.add(AUC_SHARE)?;
    Ok(())
}

/// Test hook: registers a summer job that answers one more than the sum
/// (under [`SUMMER_JOB`]'s name), to check that the parent catches it.
#[cfg(feature = "testing")]
pub fn register_lying_summer(registry: &mut Registry) -> procs::Result<()> {
    const LYING: Func<(u64, u64), u64> = Func::new("workloads.summer", |(start, stop)| {
        my_summer(start, stop) * 10 + 1
    });
    registry.add(LYING)?.add(AUC_SHARE)?;
    Ok(())
}
