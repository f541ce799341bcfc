//! What a timed run answers, and how the answer is checked against the
//! reference of its workload.

use ndarray::Array2;

use crate::Status;

/// What one timed run produced; checked once all runs are done.
pub(crate) enum Answer {
    /// A diff2d backend's final density.
    Density(Array2<f64>),
    /// A diff2d peer's sum and maximum of its final density.
    DensityStats {
        /// The sum of every point.
        sum: f64,
        /// The largest value.
        max: f64,
    },
    /// An area under the curve.
    Area(f64),
    /// Every summer job's total.
    Totals(Vec<u64>),
}

/// How a row's answer is checked.
pub(crate) enum Check {
    /// This row is the reference of its workload (diff2d's `naive`).
    Reference,
    /// Against the reference row's density: to 1e-12 relative for a whole
    /// density, 1e-10 for a peer's sum and maximum (printed and parsed).
    AgainstReference,
    /// An area against the exact value of its Riemann sum.
    Area {
        /// The closed form of the sum.
        exact: f64,
        /// The relative tolerance.
        tolerance: f64,
    },
    /// Every one of `jobs` totals equals `each`.
    Totals {
        /// The number of jobs.
        jobs: usize,
        /// The total of one job.
        each: u64,
    },
}

impl Check {
    /// The verdict on `answer`, given the reference of the row's workload.
    pub(crate) fn verdict(&self, answer: &Answer, reference: Option<&Array2<f64>>) -> Status {
        match (self, answer) {
            (Check::Reference, _) => Status::Agrees("reference".into()),
            (Check::AgainstReference, answer) => match reference {
                None => Status::Unchecked("no naive result to compare with".into()),
                Some(r) => against_density(answer, r),
            },
            (Check::Area { exact, tolerance }, Answer::Area(a)) => {
                within(relative(*a, *exact), *tolerance, "area")
            }
            (Check::Totals { jobs, each }, Answer::Totals(t)) => {
                if t.len() == *jobs && t.iter().all(|x| x == each) {
                    Status::Agrees("exact".into())
                } else {
                    Status::Differs(format!("totals {t:?}, want {each} each"))
                }
            }
            _ => Status::Failed("the run answered something of another workload".into()),
        }
    }
}

/// A diff2d answer against the reference density.
fn against_density(answer: &Answer, reference: &Array2<f64>) -> Status {
    match answer {
        Answer::Density(d) if d.dim() != reference.dim() => {
            Status::Differs(format!("shape {:?} vs {:?}", d.dim(), reference.dim()))
        }
        Answer::Density(d) => within(
            diffusion::relative_difference(d, reference),
            1e-12,
            "density",
        ),
        Answer::DensityStats { sum, max } => {
            let rmax = reference.iter().fold(0.0f64, |m, &v| m.max(v));
            let err = relative(*sum, reference.sum()).max(relative(*max, rmax));
            within(err, 1e-10, "sum/max")
        }
        _ => Status::Failed("the run answered something other than a density".into()),
    }
}

/// `|a - b| / |b|`.
fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// Agrees when `err <= tolerance`.
fn within(err: f64, tolerance: f64, what: &str) -> Status {
    if err <= tolerance {
        Status::Agrees(format!("{err:.1e}"))
    } else {
        Status::Differs(format!(
            "{what} off by {err:.1e} (tolerance {tolerance:.0e})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let r = Array2::from_elem((2, 2), 1.0);
        let ok =
            Check::AgainstReference.verdict(&Answer::DensityStats { sum: 4.0, max: 1.0 }, Some(&r));
        assert_eq!(ok, Status::Agrees("0.0e0".into()));
        let off =
            Check::AgainstReference.verdict(&Answer::Density(Array2::zeros((3, 3))), Some(&r));
        assert_eq!(off, Status::Differs("shape (3, 3) vs (2, 2)".into()));
        let none = Check::AgainstReference.verdict(&Answer::Density(r.clone()), None);
        assert!(matches!(none, Status::Unchecked(_)));
        let area = Check::Area {
            exact: 2.0,
            tolerance: 1e-12,
        };
        assert!(matches!(
            area.verdict(&Answer::Area(2.1), None),
            Status::Differs(_)
        ));
        let totals = Check::Totals { jobs: 2, each: 3 };
        assert_eq!(
            totals.verdict(&Answer::Totals(vec![3, 3]), None),
            Status::Agrees("exact".into())
        );
        assert!(matches!(
            totals.verdict(&Answer::Totals(vec![3]), None),
            Status::Differs(_)
        ));
    }
}
