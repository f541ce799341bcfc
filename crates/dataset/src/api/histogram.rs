//! `histogram`: counts of elements per bucket, with Spark's rules.

use crate::actions::stage_name;
use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::stats::Numeric;

/// The buckets of a [`Dataset::histogram`].
#[derive(Clone, Debug, PartialEq)]
pub enum Buckets {
    /// This many buckets of equal width between the smallest and the largest
    /// element (at least 1).
    Count(usize),
    /// Bucket edges, increasing and distinct, at least two: bucket i holds
    /// `edges[i] <= x < edges[i + 1]`, the last one also its upper edge.
    Edges(Vec<f64>),
}

/// Where an element falls: the bucket index, or `None` outside the edges.
enum Finder {
    /// Equal widths from `min` by `width` (one division per element).
    Even {
        min: f64,
        max: f64,
        width: f64,
        buckets: usize,
    },
    /// Uneven edges (a binary search per element).
    Search(Vec<f64>),
}

impl Finder {
    fn bucket(&self, x: f64) -> Option<usize> {
        match self {
            Finder::Even {
                min,
                max,
                width,
                buckets,
            } => {
                if x.is_nan() || x < *min || x > *max {
                    return None;
                }
                // The last edge belongs to the last bucket.
                Some((((x - min) / width) as usize).min(buckets - 1))
            }
            Finder::Search(edges) => {
                let last = edges.len() - 1;
                if x.is_nan() || x < edges[0] || x > edges[last] {
                    return None;
                }
                let i = edges.partition_point(|&e| e <= x);
                Some((i - 1).min(last - 1))
            }
        }
    }
}

fn invalid(msg: impl Into<String>) -> DatasetError {
    DatasetError::InvalidArgument(format!("histogram: {}", msg.into()))
}

impl<T: Numeric> Dataset<T> {
    /// The bucket edges and the number of elements in each bucket (Spark's
    /// `histogram`). NaN elements are not counted; nor are elements outside
    /// explicit edges.
    ///
    /// `Buckets::Count(n)` makes `n` buckets of equal width from the smallest
    /// to the largest element (integer widths when they divide the range
    /// exactly; one bucket `[min, max]` if they are equal) and fails on an
    /// empty dataset or infinite elements. `Buckets::Edges` must increase
    /// strictly; evenly spaced edges take a fast path with no search.
    ///
    /// ```
    /// use dataset::Buckets;
    /// let ctx = dataset::Context::local(2)?;
    /// let xs = ctx.parallelize(0..51, 2);
    /// assert_eq!(xs.histogram(Buckets::Count(2))?, (vec![0.0, 25.0, 50.0], vec![25, 26]));
    /// # Ok::<(), dataset::DatasetError>(())
    /// ```
    #[track_caller]
    pub fn histogram(&self, buckets: Buckets) -> Result<(Vec<f64>, Vec<u64>)> {
        let (edges, finder) = match buckets {
            Buckets::Count(n) => {
                if n < 1 {
                    return Err(invalid("the number of buckets must be at least 1"));
                }
                let s = self.filter(|x| !x.to_f64().is_nan()).stats()?;
                let (Some(lo), Some(hi)) = (s.min(), s.max()) else {
                    return Err(invalid("cannot make buckets for an empty dataset"));
                };
                let (min, max) = (lo.to_f64(), hi.to_f64());
                if min == max || n == 1 {
                    return Ok((vec![min, max], vec![s.count()]));
                }
                let mut width = (max - min) / n as f64;
                if width.is_infinite() || min.is_infinite() || max.is_infinite() {
                    return Err(invalid("cannot make buckets with infinite values"));
                }
                // Whole widths when they divide the range exactly, as Spark
                // keeps integer buckets integer.
                if width.trunc() * n as f64 == max - min {
                    width = width.trunc();
                }
                let mut edges: Vec<f64> = (0..n).map(|i| i as f64 * width + min).collect();
                edges.push(max);
                let finder = Finder::Even {
                    min,
                    max,
                    width,
                    buckets: n,
                };
                (edges, finder)
            }
            Buckets::Edges(edges) => {
                if edges.len() < 2 {
                    return Err(invalid("at least two bucket edges are needed"));
                }
                if edges.iter().any(|e| e.is_nan()) {
                    return Err(invalid("bucket edges cannot be NaN"));
                }
                if edges.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(invalid("bucket edges must increase strictly"));
                }
                let steps: Vec<f64> = edges.windows(2).map(|w| w[1] - w[0]).collect();
                let widest = steps.iter().cloned().fold(f64::MIN, f64::max);
                let narrowest = steps.iter().cloned().fold(f64::MAX, f64::min);
                let (min, max) = (edges[0], edges[edges.len() - 1]);
                let finder = if widest - narrowest < 1e-10 && widest.is_finite() {
                    Finder::Even {
                        min,
                        max,
                        width: (max - min) / steps.len() as f64,
                        buckets: steps.len(),
                    }
                } else {
                    Finder::Search(edges.clone())
                };
                (edges, finder)
            }
        };
        let buckets = edges.len() - 1;
        let parts = self.run_all(&stage_name("histogram"), |it| {
            let mut counts = vec![0u64; buckets];
            for x in it {
                if let Some(b) = finder.bucket(x.to_f64()) {
                    counts[b] += 1;
                }
            }
            counts
        })?;
        let mut counts = vec![0u64; buckets];
        for part in parts {
            for (c, p) in counts.iter_mut().zip(part) {
                *c += p;
            }
        }
        Ok((edges, counts))
    }
}
