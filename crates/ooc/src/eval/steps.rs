//! Reductions over everything or along axis 0: the engine's own blocks, a range at a
//! time ([`expr::Stepwise`]), each range as long as its rows fit in a band, so that the
//! result is bit for bit that of one evaluation in memory.

use expr::Stepwise;

use crate::error::Result;
use crate::eval::source::Source;
use crate::eval::Run;

impl Run<'_> {
    /// Evaluates a [`Mode::Steps`](crate::eval::Mode::Steps) reduction and returns its
    /// result.
    pub(super) fn steps(&self, sources: &mut [Source]) -> Result<expr::Array> {
        let mut r = self.expr.stepwise(&self.views(sources))?;
        let n = r.steps();
        let n0 = sources
            .iter()
            .filter(|s| s.banded())
            .find_map(|s| s.file().shape().first().copied())
            .unwrap_or(0);
        // A step is one of the engine's blocks: along axis 0, up to 1024 rows.
        let min_rows = r.rows(0..1).len().max(1);
        let max_rows = self.band_rows(sources, 0, min_rows)?;
        let mut counted = 0;
        let mut k = 0;
        while k < n {
            self.check_cancel()?;
            let end = longest(&r, k, max_rows);
            let rows = r.rows(k..end);
            for s in sources.iter_mut() {
                s.prepare(rows.clone(), self.ctl)?;
            }
            r.run(&self.views(sources), k..end)?;
            for s in sources.iter_mut() {
                s.release(rows.clone());
            }
            let upto = if end == n { n0 } else { rows.end };
            self.advance(sources, upto.saturating_sub(counted));
            counted = counted.max(upto);
            k = end;
        }
        Ok(r.finish()?)
    }
}

/// The end of the longest range of steps from `k` whose rows number at most `max_rows`
/// (at least one step): the rows of a range grow with its end.
fn longest(r: &Stepwise, k: usize, max_rows: usize) -> usize {
    let n = r.steps();
    let fits = |end: usize| r.rows(k..end).len() <= max_rows;
    let mut good = k + 1;
    if good >= n || !fits(good) {
        return good.min(n);
    }
    // Doubling up to a range that does not fit (or the end), then bisection.
    let mut stride = 1;
    let mut bad = loop {
        let t = (good + stride).min(n);
        if !fits(t) {
            break t;
        }
        good = t;
        if good == n {
            return n;
        }
        stride *= 2;
    };
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if fits(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}
