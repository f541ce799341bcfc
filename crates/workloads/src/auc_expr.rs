//! `hpcrs auc --backend expr`: the course's `auc_numpy.py` with the
//! integrand as a string expression for the expression engine
//! (`crates/expr`): `x = i·dx` in chunks of a million points, and
//! `sum((0.7*x - 2)*x*x + 4)` of each chunk, evaluated blocked on all cores.
//! The integrand is written in the order of the other backends' `integrand`,
//! so each value is bit-identical; only the summation order differs.

use expr::{DType, Expr};
use ndarray::{arr0, ArrayView1};
use rayon::prelude::*;

use crate::auc::{AucError, AucJob};
use crate::Backend;

/// The integrand `0.7x³ - 2x² + 4`, summed.
pub const INTEGRAND: &str = "sum((0.7*x - 2)*x*x + 4)";

/// Points per chunk: 8 MB of `x`, so that memory stays bounded for any NTOT.
const CHUNK: u64 = 1 << 20;

/// An expression-engine error as the backend's error.
fn engine_error(e: expr::ExprError) -> AucError {
    AucError::Backend {
        backend: Backend::Expr,
        source: Box::new(e),
    }
}

/// The area with the expression engine on `job.threads` threads.
pub fn area(job: &AucJob) -> Result<Option<f64>, AucError> {
    let sum = Expr::compile(INTEGRAND, &[("x", DType::F64)]).map_err(engine_error)?;
    // The engine's own setting for the evaluations, the pool for the points.
    let previous = expr::set_num_threads(job.threads.count());
    let result = runtime::pool::install(job.threads, || sum_chunks(&sum, job));
    expr::set_num_threads(previous);
    let total = result??;
    Ok(Some(total * job.dx()))
}

/// The sum of the integrand over every point, chunk by chunk.
fn sum_chunks(sum: &Expr, job: &AucJob) -> Result<f64, AucError> {
    let dx = job.dx();
    let mut x = vec![0.0f64; CHUNK.min(job.ntot) as usize];
    let mut out = arr0(0.0);
    let mut total = 0.0;
    let mut start = 0u64;
    while start < job.ntot {
        let len = CHUNK.min(job.ntot - start) as usize;
        // x = i·dx, as the other backends compute it (i exact below 2^53).
        x[..len]
            .par_chunks_mut(1 << 14)
            .enumerate()
            .for_each(|(c, part)| {
                let first = start + (c << 14) as u64;
                for (k, v) in part.iter_mut().enumerate() {
                    *v = (first + k as u64) as i64 as f64 * dx;
                }
            });
        let view = ArrayView1::from(&x[..len]);
        sum.eval(&[("x", view.into())], &mut out)
            .map_err(engine_error)?;
        total += out[()];
        start += len as u64;
    }
    Ok(total)
}
