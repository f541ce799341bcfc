//! Which engines a direct view talks to, written as ipyparallel indexes a
//! client: `all`, one engine id (`3`; negative counts from the end of the
//! ids), a slice of the ids (`1:8:2`, `::2`, `:-1`), or a list of ids
//! (`0,2,3`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ClusterError, Result};

/// A parsed target specification, resolved against the live engine ids by
/// [`Targets::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Targets {
    /// Every engine.
    All,
    /// One engine by id (negative: from the end of the ids).
    One(i64),
    /// A Python slice of the ids.
    Slice {
        /// First index (default: the start, or the end for a negative step).
        start: Option<i64>,
        /// Index to stop before (default: past the end).
        stop: Option<i64>,
        /// Step (default 1, never 0).
        step: i64,
    },
    /// Engine ids listed one by one.
    List(Vec<u64>),
}

impl FromStr for Targets {
    type Err = ClusterError;

    fn from_str(spec: &str) -> Result<Targets> {
        let bad = |why: &str| ClusterError::Targets {
            spec: spec.to_string(),
            why: why.to_string(),
        };
        let t = spec.trim();
        if t.is_empty() || t == "all" || t == ":" || t == "::" {
            return Ok(Targets::All);
        }
        if t.contains(':') {
            let parts: Vec<&str> = t.split(':').collect();
            if parts.len() > 3 {
                return Err(bad("a slice is start:stop:step"));
            }
            let num = |s: &str| -> Result<Option<i64>> {
                let s = s.trim();
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse()
                        .map(Some)
                        .map_err(|_| bad(&format!("`{s}` is not an integer")))
                }
            };
            let start = num(parts[0])?;
            let stop = num(parts.get(1).copied().unwrap_or(""))?;
            let step = num(parts.get(2).copied().unwrap_or(""))?.unwrap_or(1);
            if step == 0 {
                return Err(bad("slice step cannot be zero"));
            }
            return Ok(Targets::Slice { start, stop, step });
        }
        if t.contains(',') {
            let ids: Result<Vec<u64>> = t
                .split(',')
                .map(|p| {
                    p.trim()
                        .parse()
                        .map_err(|_| bad(&format!("`{}` is not an engine id", p.trim())))
                })
                .collect();
            return Ok(Targets::List(ids?));
        }
        t.parse()
            .map(Targets::One)
            .map_err(|_| bad("expected all, an id, a slice (1:8:2) or a list (0,2)"))
    }
}

impl fmt::Display for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |x: &Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
        match self {
            Targets::All => f.write_str("all"),
            Targets::One(i) => write!(f, "{i}"),
            Targets::Slice { start, stop, step } => {
                write!(f, "{}:{}:{step}", opt(start), opt(stop))
            }
            Targets::List(v) => {
                let s: Vec<String> = v.iter().map(u64::to_string).collect();
                f.write_str(&s.join(","))
            }
        }
    }
}

impl Targets {
    /// The engine ids this specification picks out of `ids` (the live ones,
    /// ascending), in order; an error when it names an engine that is not
    /// there or picks none.
    pub fn resolve(&self, ids: &[u64]) -> Result<Vec<u64>> {
        let bad = |why: String| ClusterError::Targets {
            spec: self.to_string(),
            why,
        };
        let picked = match self {
            Targets::All => ids.to_vec(),
            Targets::One(i) if *i >= 0 => {
                let id = *i as u64;
                if !ids.contains(&id) {
                    return Err(bad(format!("no engine {id} (engines: {ids:?})")));
                }
                vec![id]
            }
            Targets::One(i) => {
                let n = ids.len() as i64;
                let at = n + i;
                if at < 0 {
                    return Err(bad(format!("index {i} out of range for {n} engines")));
                }
                vec![ids[at as usize]]
            }
            Targets::List(v) => {
                for id in v {
                    if !ids.contains(id) {
                        return Err(bad(format!("no engine {id} (engines: {ids:?})")));
                    }
                }
                v.clone()
            }
            Targets::Slice { start, stop, step } => slice(ids, *start, *stop, *step),
        };
        if picked.is_empty() {
            return Err(bad(format!("selects no engine (engines: {ids:?})")));
        }
        Ok(picked)
    }
}

/// Python's `ids[start:stop:step]`.
fn slice(ids: &[u64], start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<u64> {
    let n = ids.len() as i64;
    // Python's clamping of slice bounds: negatives count from the end.
    let clamp = |x: i64, lo: i64, hi: i64| {
        let x = if x < 0 { x + n } else { x };
        x.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let mut i = start.map_or(0, |s| clamp(s, 0, n));
        let end = stop.map_or(n, |s| clamp(s, 0, n));
        while i < end {
            out.push(ids[i as usize]);
            i += step;
        }
    } else {
        let mut i = start.map_or(n - 1, |s| clamp(s, -1, n - 1));
        let end = stop.map_or(-1, |s| clamp(s, -1, n - 1));
        while i > end {
            out.push(ids[i as usize]);
            i += step;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(spec: &str, ids: &[u64]) -> Result<Vec<u64>> {
        spec.parse::<Targets>()?.resolve(ids)
    }

    #[test]
    fn specs_pick_as_python_indexing_does() {
        let ids: Vec<u64> = (0..8).collect();
        assert_eq!(pick("all", &ids).unwrap(), ids);
        assert_eq!(pick("3", &ids).unwrap(), vec![3]);
        assert_eq!(pick("-1", &ids).unwrap(), vec![7]);
        assert_eq!(pick("1:8:2", &ids).unwrap(), vec![1, 3, 5, 7]);
        assert_eq!(pick("::2", &ids[..4]).unwrap(), vec![0, 2]);
        assert_eq!(pick(":-1", &ids[..4]).unwrap(), vec![0, 1, 2]);
        assert_eq!(pick("::-1", &ids[..3]).unwrap(), vec![2, 1, 0]);
        assert_eq!(pick("0,2", &ids).unwrap(), vec![0, 2]);
        assert_eq!(pick("2:", &[0, 1, 5, 9]).unwrap(), vec![5, 9]);
    }

    #[test]
    fn bad_specs_are_one_line_errors() {
        let ids = [0u64, 1, 2, 3];
        for bad in [
            "x", "1:2:0", "1:2:3:4", "9", "-5", "5:", "0,9", "1,a", "a:b",
        ] {
            let e = pick(bad, &ids).unwrap_err().to_string();
            assert!(e.starts_with("targets `"), "{bad}: {e}");
            assert!(!e.contains('\n'));
        }
    }

    proptest::proptest! {
        #[test]
        fn slices_match_a_reference(start in proptest::option::of(-12i64..12),
                                    stop in proptest::option::of(-12i64..12),
                                    step in -5i64..6, n in 0usize..10) {
            proptest::prop_assume!(step != 0);
            let ids: Vec<u64> = (0..n as u64).collect();
            // Reference: Python's slice.indices, then range.
            let len = n as i64;
            let norm = |x: i64, lo: i64, hi: i64| { let x = if x < 0 { x + len } else { x }; x.clamp(lo, hi) };
            let (s, e) = if step > 0 {
                (start.map_or(0, |v| norm(v, 0, len)), stop.map_or(len, |v| norm(v, 0, len)))
            } else {
                (start.map_or(len - 1, |v| norm(v, -1, len - 1)), stop.map_or(-1, |v| norm(v, -1, len - 1)))
            };
            let want: Vec<u64> = if step > 0 {
                (s.max(0)..e.max(s)).step_by(step as usize).map(|i| i as u64).collect()
            } else {
                ((e + 1).max(0)..=s).rev().step_by(step.unsigned_abs() as usize).map(|i| i as u64).collect()
            };
            proptest::prop_assert_eq!(slice(&ids, start, stop, step), want);
        }

        #[test]
        fn any_text_parses_or_errors(s in "\\PC{0,20}") {
            if let Ok(t) = s.parse::<Targets>() { let _ = t.resolve(&[0, 1, 2]); }
        }
    }
}
