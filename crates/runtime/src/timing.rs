//! The times of repeated runs and their statistics: the best, the median and
//! the slowest, computed once here for every benchmark and timing line.

/// The wall-clock seconds of every successful run of one measurement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timing {
    seconds: Vec<f64>,
}

impl Timing {
    /// Adds the time of one run.
    pub fn push(&mut self, seconds: f64) {
        self.seconds.push(seconds);
    }

    /// The number of runs timed.
    pub fn runs(&self) -> usize {
        self.seconds.len()
    }

    /// The fastest run, `None` if none ran.
    pub fn best(&self) -> Option<f64> {
        self.sorted().first().copied()
    }

    /// The median run, `None` if none ran.
    pub fn median(&self) -> Option<f64> {
        median(&self.seconds)
    }

    /// The slowest run, `None` if none ran.
    pub fn slowest(&self) -> Option<f64> {
        self.sorted().last().copied()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut s = self.seconds.clone();
        s.sort_by(f64::total_cmp);
        s
    }
}

/// The median of `values`: the middle value, or the mean of the two middle
/// ones for an even count; `None` for no values. NaN sorts after every
/// number.
///
/// ```
/// use runtime::timing::median;
///
/// assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
/// assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
/// assert_eq!(median(&[]), None);
/// ```
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_median_and_slowest() {
        let mut t = Timing::default();
        assert_eq!((t.best(), t.median(), t.slowest()), (None, None, None));
        for s in [0.3, 0.1, 0.2] {
            t.push(s);
        }
        assert_eq!(t.runs(), 3);
        assert_eq!(
            (t.best(), t.median(), t.slowest()),
            (Some(0.1), Some(0.2), Some(0.3))
        );
    }
}
