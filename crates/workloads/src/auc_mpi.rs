//! `auc --backend mpi`: the course's `auc.py` under `mpirun`, generic over a
//! [`Communicator`] so it is tested on threads ([`comm::Local`]).
//!
//! Rank `r` of `P` sums its contiguous share of the `ntot` points
//! ([`auc::rank_range`]: no point dropped when `P` does not divide `ntot`,
//! unlike the course's `ntot/size`), and the shares are added on rank 0 with
//! a reduce — in the object flavour (the value serialised, mpi4py's
//! lowercase `reduce`) or the buffer flavour (a one-element `f64` buffer,
//! mpi4py's `Reduce`). Only rank 0 gets the area.

use comm::{CommError, Communicator, Op};

use crate::auc::{self, AucJob};
use crate::Flavour;

/// The flavour when `--flavour` is not given: object, like the course's `auc.py`.
pub const DEFAULT_FLAVOUR: Flavour = Flavour::Object;

/// Computes this rank's share and reduces the shares to rank 0: `Some(area)`
/// on rank 0, `None` on the others.
pub fn area_on<C: Communicator>(comm: &C, job: &AucJob) -> Result<Option<f64>, AucOnError> {
    let range = auc::rank_range(job.ntot, comm.rank(), comm.size());
    let share = auc::auc_partial(job.ntot, range).map_err(|e| AucOnError::Auc(e.to_string()))?;
    let root = comm.rank() == 0;
    match job.flavour.unwrap_or(DEFAULT_FLAVOUR) {
        Flavour::Object => Ok(comm.reduce(&share, Op::Sum, 0)?),
        Flavour::Buffer => {
            let mut total = [0.0f64];
            comm.reduce_buf(&[share], root.then_some(&mut total[..]), Op::Sum, 0)?;
            Ok(root.then_some(total[0]))
        }
    }
}

/// What can go wrong in [`area_on`].
#[derive(Debug, thiserror::Error)]
pub enum AucOnError {
    /// A communication error.
    #[error(transparent)]
    Comm(#[from] CommError),
    /// An error computing the share.
    #[error("{0}")]
    Auc(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use comm::Local;

    #[test]
    fn equals_the_serial_sum_in_both_flavours_for_1_to_5_ranks() {
        for ntot in [1u64, 7, 1000, 1_000_003] {
            let serial = auc::auc_partial(ntot, 0..ntot).unwrap();
            for flavour in [Flavour::Object, Flavour::Buffer] {
                for ranks in 1..=5 {
                    let mut job = AucJob::new(ntot).unwrap();
                    job.flavour = Some(flavour);
                    let got = Local::try_run(ranks, |c| area_on(c, &job)).unwrap();
                    let area = got[0].expect("rank 0 reports");
                    assert!(got[1..].iter().all(Option::is_none));
                    assert!(
                        (area - serial).abs() <= 1e-13 * serial.abs(),
                        "ntot {ntot}, {flavour}, {ranks} ranks: {area} vs {serial}"
                    );
                }
            }
        }
    }

    #[test]
    fn converges_to_the_exact_area() {
        let job = AucJob::new(3_000_000).unwrap();
        let got = Local::try_run(3, |c| area_on(c, &job)).unwrap();
        let area = got[0].unwrap();
        assert!((area - auc::riemann_closed_form(3_000_000)).abs() < 1e-11);
        assert!((area - auc::EXACT).abs() < 1e-5);
    }
}
