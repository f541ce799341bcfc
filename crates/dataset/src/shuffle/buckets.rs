//! A map task's records grouped by reduce partition.
//!
//! While a task holds fewer records than there are reduce partitions, they
//! are kept in one vector, each tagged with its partition, and sorted by
//! partition when taken out: partitions that receive nothing cost nothing,
//! and a block is a run of that vector. Once a task has held as many
//! records as there are partitions, an array of one vector per partition
//! costs no more than the records themselves, and it switches to one (the
//! fastest way to bucket many records). Either way a task's time and memory
//! grow with its records, never with the number of reduce partitions alone.

use std::ops::Range;

/// Records grouped by reduce partition, `0..reducers`.
pub(super) struct Buckets<K, M> {
    reducers: usize,
    kind: Kind<K, M>,
}

/// How the records are held.
enum Kind<K, M> {
    /// Records with their partitions, in the order they came.
    Tagged(Vec<(usize, K, M)>),
    /// One vector per partition, most of them empty (no allocation).
    Dense(Vec<Vec<(K, M)>>),
}

/// Records of one or more reduce partitions in one vector, each partition a
/// run of it.
pub(super) struct Runs<K, M> {
    pub(super) records: Vec<(K, M)>,
    /// Each partition present, with the range of its records, in increasing
    /// partition order.
    pub(super) runs: Vec<(usize, Range<usize>)>,
}

impl<K, M> Buckets<K, M> {
    /// No records yet, for `reducers` partitions.
    pub(super) fn new(reducers: usize) -> Self {
        Buckets {
            reducers,
            kind: Kind::Tagged(Vec::new()),
        }
    }

    /// Adds `record` to partition `r`'s records. A partition out of range is
    /// a bug of the partitioner: it panics, which fails the task.
    #[inline]
    pub(super) fn push(&mut self, r: usize, record: (K, M)) {
        match &mut self.kind {
            Kind::Dense(buckets) => buckets[r].push(record),
            Kind::Tagged(_) => self.push_tagged(r, record),
        }
    }

    /// `push` while the records are tagged (kept out of line, so that the
    /// array case inlines to an index and a push).
    #[inline(never)]
    fn push_tagged(&mut self, r: usize, (k, m): (K, M)) {
        assert!(
            r < self.reducers,
            "the partitioner gave partition {r} of {}",
            self.reducers
        );
        if let Kind::Tagged(tagged) = &mut self.kind {
            tagged.push((r, k, m));
            if tagged.len() >= self.reducers {
                self.densify();
            }
        }
    }

    /// Switches to one vector per partition.
    #[cold]
    fn densify(&mut self) {
        let mut dense: Vec<Vec<(K, M)>> = std::iter::repeat_with(Vec::new)
            .take(self.reducers)
            .collect();
        if let Kind::Tagged(tagged) = std::mem::replace(&mut self.kind, Kind::Tagged(Vec::new())) {
            for (r, k, m) in tagged {
                dense[r].push((k, m));
            }
        }
        self.kind = Kind::Dense(dense);
    }

    /// Takes every record out, grouped by partition, each partition's
    /// records in the order they came; no records are held after.
    pub(super) fn take(&mut self) -> Vec<Runs<K, M>> {
        match &mut self.kind {
            Kind::Dense(buckets) => buckets
                .iter_mut()
                .enumerate()
                .filter(|(_, b)| !b.is_empty())
                .map(|(r, b)| Runs {
                    runs: vec![(r, 0..b.len())],
                    records: std::mem::take(b),
                })
                .collect(),
            Kind::Tagged(tagged) => {
                let mut tagged = std::mem::take(tagged);
                if tagged.is_empty() {
                    return Vec::new();
                }
                // Stable: each partition's records keep their order.
                tagged.sort_by_key(|t| t.0);
                let mut runs: Vec<(usize, Range<usize>)> = Vec::new();
                let mut records = Vec::with_capacity(tagged.len());
                for (i, (r, k, m)) in tagged.into_iter().enumerate() {
                    match runs.last_mut() {
                        Some((last, range)) if *last == r => range.end = i + 1,
                        _ => runs.push((r, i..i + 1)),
                    }
                    records.push((k, m));
                }
                vec![Runs { records, runs }]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record comes back once, with its partition, in the order it
    /// came, whether or not the buckets switched to an array.
    #[test]
    fn records_come_back_by_partition_in_order() {
        for reducers in [1usize, 3, 7, 19, 1000] {
            let mut b = Buckets::new(reducers);
            let records: Vec<(usize, u32)> = (0..20u32)
                .map(|i| ((i as usize * 5) % reducers, i))
                .collect();
            for &(r, i) in &records {
                b.push(r, (i, ()));
            }
            let mut got: Vec<(usize, Vec<u32>)> = Vec::new();
            for taken in b.take() {
                for (r, range) in taken.runs {
                    let run = taken.records[range].iter().map(|(i, _)| *i).collect();
                    got.push((r, run));
                }
            }
            let mut parts: Vec<usize> = records.iter().map(|(r, _)| *r).collect();
            parts.sort_unstable();
            parts.dedup();
            let want: Vec<(usize, Vec<u32>)> = parts
                .into_iter()
                .map(|r| {
                    let run = records.iter().filter(|(p, _)| *p == r).map(|(_, i)| *i);
                    (r, run.collect())
                })
                .collect();
            assert_eq!(got, want, "{reducers} partitions");
            assert!(b.take().is_empty());
        }
    }

    #[test]
    #[should_panic(expected = "partition 5 of 5")]
    fn a_partition_out_of_range_panics() {
        Buckets::new(5).push(5, (0u8, ()));
    }
}
