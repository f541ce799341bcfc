//! From samples to the tables: self and cumulative samples of every
//! function, per line and per thread.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::model::Samples;

/// One function of the table, with its times.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionRow {
    /// Demangled name without the hash (`crate::module::function`, an
    /// inlined function under its own name).
    pub name: String,
    /// The source file as the debug info names it, if it does.
    pub file: Option<PathBuf>,
    /// The first line of it that was sampled (0: no line known).
    pub line: u32,
    /// Samples in which it was the innermost frame (running its own code,
    /// not a function it called or inlined).
    pub self_samples: u64,
    /// Samples in which it was anywhere on the stack, counted once per
    /// sample however deep it recursed.
    pub total_samples: u64,
    /// Per line: the samples in which that line of it was on the stack.
    pub lines: Vec<LineRow>,
}

/// One line of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRow {
    /// The line number.
    pub line: u32,
    /// Samples in which this line was the function's innermost frame, its
    /// own code or a call made on the line (line_profiler's "Hits", which
    /// also include the time of calls made on the line).
    pub samples: u64,
    /// Samples in which this line's own code was running.
    pub self_samples: u64,
}

/// What one thread did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    /// `pthread_self()` of the thread.
    pub id: u64,
    /// Its name (empty if it had none).
    pub name: String,
    /// Its samples.
    pub samples: u64,
    /// Its functions with their self samples in it, most first.
    pub top: Vec<(usize, u64)>,
}

/// The tables of a run.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    /// Every function seen, sorted by cumulative samples (most first), then
    /// callers before callees, then self samples, then name.
    pub functions: Vec<FunctionRow>,
    /// Every sampled thread, most samples first; `top` indexes
    /// [`Analysis::functions`].
    pub threads: Vec<ThreadRow>,
    /// Every sample.
    pub total: u64,
    /// For each function of the samples, its row in `functions` (`None`
    /// if it was never on a stack).
    pub row_of: Vec<Option<usize>>,
}

/// Functions listed per thread.
const TOP_PER_THREAD: usize = 5;

pub(crate) fn analyse(s: &Samples) -> Analysis {
    let n = s.functions.len();
    let mut self_samples = vec![0u64; n];
    let mut total_samples = vec![0u64; n];
    // (function, line) → (samples, self samples)
    let mut lines: HashMap<(usize, u32), (u64, u64)> = HashMap::new();
    let mut thread_samples = vec![0u64; s.threads.len()];
    let mut thread_self: HashMap<(usize, usize), u64> = HashMap::new();
    // Σ samples × distance from the root of the function's outermost frame:
    // among functions with equal cumulative time, callers come first.
    let mut depth_sum = vec![0u64; n];
    let mut seen: HashSet<usize> = HashSet::new();
    let mut frames = Vec::new();
    for sample in &s.samples {
        let c = sample.count;
        thread_samples[sample.thread] += c;
        frames.clear();
        frames.extend(s.frames(sample));
        seen.clear();
        for (depth, frame) in frames.iter().rev().enumerate() {
            if seen.insert(frame.function) {
                depth_sum[frame.function] += depth as u64 * c;
            }
        }
        seen.clear();
        for (depth, frame) in frames.iter().copied().enumerate() {
            if depth == 0 {
                self_samples[frame.function] += c;
                lines.entry((frame.function, frame.line)).or_default().1 += c;
                *thread_self
                    .entry((sample.thread, frame.function))
                    .or_default() += c;
            }
            // The innermost occurrence of a function is the one whose line
            // was executing; outer ones (recursion) are not counted again.
            if seen.insert(frame.function) {
                total_samples[frame.function] += c;
                lines.entry((frame.function, frame.line)).or_default().0 += c;
            }
        }
    }
    let mut per_function: Vec<Vec<LineRow>> = vec![Vec::new(); n];
    for ((f, line), (samples, self_samples)) in lines {
        per_function[f].push(LineRow {
            line,
            samples,
            self_samples,
        });
    }
    let mut rows: Vec<(usize, FunctionRow)> = s
        .functions
        .iter()
        .enumerate()
        .filter(|&(i, _)| total_samples[i] > 0)
        .map(|(i, f)| {
            let mut lines = std::mem::take(&mut per_function[i]);
            lines.sort_by_key(|l| l.line);
            let line = lines.iter().map(|l| l.line).find(|&l| l > 0).unwrap_or(0);
            (
                i,
                FunctionRow {
                    name: f.name.clone(),
                    file: f.file.clone(),
                    line,
                    self_samples: self_samples[i],
                    total_samples: total_samples[i],
                    lines,
                },
            )
        })
        .collect();
    let mean_depth = |i: usize| depth_sum[i] as f64 / total_samples[i].max(1) as f64;
    rows.sort_by(|(i, a), (j, b)| {
        b.total_samples
            .cmp(&a.total_samples)
            .then_with(|| mean_depth(*i).total_cmp(&mean_depth(*j)))
            .then_with(|| b.self_samples.cmp(&a.self_samples))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut row_of: Vec<Option<usize>> = vec![None; n];
    for (pos, (i, _)) in rows.iter().enumerate() {
        row_of[*i] = Some(pos);
    }
    let mut threads: Vec<ThreadRow> = s
        .threads
        .iter()
        .enumerate()
        .map(|(t, thread)| {
            let mut top: Vec<(usize, u64)> = thread_self
                .iter()
                .filter(|((tt, _), _)| *tt == t)
                .filter_map(|((_, f), &c)| Some((row_of[*f]?, c)))
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(TOP_PER_THREAD);
            ThreadRow {
                id: thread.id,
                name: thread.name.clone(),
                samples: thread_samples[t],
                top,
            }
        })
        .collect();
    threads.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.id.cmp(&b.id)));
    Analysis {
        functions: rows.into_iter().map(|(_, r)| r).collect(),
        threads,
        total: s.total(),
        row_of,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Address, Frame, Function, Sample, Thread};
    use std::time::{Duration, SystemTime};

    /// Samples over functions `names` (file `src/<name>.rs`) where each
    /// stack is a list of (function, line) frames, innermost first, one
    /// frame per address.
    /// A stack: its (function, line) frames innermost first, its thread and
    /// its count.
    pub(crate) type Stack<'a> = (&'a [(usize, u32)], usize, u64);

    pub(crate) fn samples(names: &[&str], stacks: &[Stack<'_>]) -> Samples {
        let functions = names
            .iter()
            .map(|n| Function {
                name: (*n).into(),
                file: Some(format!("src/{n}.rs").into()),
            })
            .collect();
        let mut addresses = Vec::new();
        let mut out = Vec::new();
        for (frames, thread, count) in stacks {
            let mut ids = Vec::new();
            for &(function, line) in *frames {
                addresses.push(Address {
                    ip: 0x1000 + addresses.len() as u64,
                    frames: vec![Frame { function, line }],
                    object: None,
                });
                ids.push(addresses.len() - 1);
            }
            out.push(Sample {
                addresses: ids,
                thread: *thread,
                count: *count,
            });
        }
        Samples {
            functions,
            addresses,
            samples: out,
            threads: vec![
                Thread {
                    id: 1,
                    name: "main".into(),
                },
                Thread {
                    id: 2,
                    name: String::new(),
                },
            ],
            objects: Vec::new(),
            dropped: 0,
            cpu: Duration::from_secs(1),
            wall: Duration::from_secs(1),
            started_at: SystemTime::UNIX_EPOCH,
            rate: crate::Rate::DEFAULT,
        }
    }

    #[test]
    fn recursion_counts_once_per_sample_and_self_is_the_innermost_frame() {
        // main -> fib -> fib -> fib (leaf at line 5), 6 samples;
        // main -> fib (line 4) -> add (leaf), 4 samples on thread 2.
        let s = samples(
            &["main", "fib", "add"],
            &[
                (&[(1, 5), (1, 3), (1, 3), (0, 10)], 0, 6),
                (&[(2, 1), (1, 4), (0, 10)], 1, 4),
            ],
        );
        let a = analyse(&s);
        assert_eq!(a.total, 10);
        let row = |name: &str| a.functions.iter().find(|f| f.name == name).unwrap();
        assert_eq!(
            (row("main").total_samples, row("main").self_samples),
            (10, 0)
        );
        assert_eq!((row("fib").total_samples, row("fib").self_samples), (10, 6));
        assert_eq!((row("add").total_samples, row("add").self_samples), (4, 4));
        // Lines of fib: the innermost occurrence's line, once per sample.
        let lines: Vec<(u32, u64, u64)> = row("fib")
            .lines
            .iter()
            .map(|l| (l.line, l.samples, l.self_samples))
            .collect();
        assert_eq!(lines, [(4, 4, 0), (5, 6, 6)]);
        assert_eq!(row("fib").line, 4);
        // Equal cumulative time: the caller first.
        let order: Vec<&str> = a.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(order, ["main", "fib", "add"]);
        // Threads: most samples first, their own top functions.
        assert_eq!(a.threads[0].samples, 6);
        assert_eq!(a.threads[1].samples, 4);
        assert_eq!(a.functions[a.threads[0].top[0].0].name, "fib");
        assert_eq!(a.functions[a.threads[1].top[0].0].name, "add");
    }
}
