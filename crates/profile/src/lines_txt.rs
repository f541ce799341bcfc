//! `lines.txt`: line_profiler's report (`kernprof -l -v`) for the functions
//! with the most self time: each line of the function's source with its
//! Hits, Time, Per Hit and % Time.

use std::collections::HashMap;
use std::fmt::Write;

use crate::analysis::{FunctionRow, LineRow};
use crate::report::Report;
use crate::source::{function_extent, Sources};

/// A function longer than this many lines shows only its sampled lines,
/// with [`CONTEXT`] lines around each.
const MAX_WHOLE_FUNCTION: u32 = 200;

/// Lines shown around a sampled line when not the whole function is shown.
const CONTEXT: u32 = 2;

/// The text of `lines.txt`.
pub(crate) fn render(r: &Report, sources: &mut Sources) -> String {
    let a = r.analysis();
    let sec = r.samples().seconds_per_sample();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Timer unit: 1e-06 s (one hit is one sample: {:.1} us of CPU time)\n",
        sec * 1e6
    );
    let _ = writeln!(
        out,
        "Hits: samples with the line executing in the function, its own code or a call \
         made on it (code inlined into the function counts on the line it was inlined at).\n\
         Functions are those with the most self time (at least 1% of the samples) among \
         those whose source was found; time in code without source (the standard library, \
         the C library) counts as the self time of the function with source that called it."
    );
    let chosen: Vec<(usize, u64)> = most_source_self_time(r, sources)
        .into_iter()
        .take(r.options().lines)
        .collect();
    let _ = writeln!(
        out,
        "The {} function{} with the most self time.",
        chosen.len(),
        if chosen.len() == 1 { "" } else { "s" }
    );
    for (row, source_self) in chosen {
        function(r, &a.functions[row], source_self, sec, sources, &mut out);
    }
    out
}

/// The share of all samples a function needs as self time to be shown:
/// below it, a function is a sample or two of noise, and its lines (which
/// count its calls, as line_profiler's do) would only repeat its callees'.
const MIN_SHARE: f64 = 0.01;

/// The functions whose source was found, as rows of the table, with their
/// samples as the innermost frame with source (at least [`MIN_SHARE`] of
/// all), most first.
fn most_source_self_time(r: &Report, sources: &mut Sources) -> Vec<(usize, u64)> {
    let s = r.samples();
    let found: Vec<bool> = s
        .functions
        .iter()
        .map(|f| f.file.as_deref().is_some_and(|p| sources.get(p).is_some()))
        .collect();
    let mut self_samples = vec![0u64; s.functions.len()];
    for sample in &s.samples {
        if let Some(frame) = s.frames(sample).find(|f| found[f.function]) {
            self_samples[frame.function] += sample.count;
        }
    }
    let row_of = &r.analysis().row_of;
    let least = (MIN_SHARE * r.analysis().total as f64).ceil().max(1.0) as u64;
    let mut chosen: Vec<(usize, u64)> = self_samples
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c >= least)
        .filter_map(|(f, &c)| Some((row_of[f]?, c)))
        .collect();
    let rows = &r.analysis().functions;
    chosen.sort_by(|x, y| y.1.cmp(&x.1).then(rows[x.0].name.cmp(&rows[y.0].name)));
    chosen
}

fn function(
    r: &Report,
    f: &FunctionRow,
    source_self: u64,
    sec: f64,
    sources: &mut Sources,
    out: &mut String,
) {
    let total = f.total_samples as f64 * sec;
    let _ = writeln!(out, "\nTotal time: {total:.6} s");
    let _ = writeln!(
        out,
        "Self time: {:.6} s ({:.1}% of all samples)",
        source_self as f64 * sec,
        crate::functions_txt::percent(source_self, r.analysis().total)
    );
    let shown_path = f.file.as_deref().map(|p| sources.display(p));
    let _ = writeln!(
        out,
        "File: {}",
        shown_path.as_deref().unwrap_or("(unknown)")
    );
    let source = f.file.as_deref().and_then(|p| sources.get(p)).cloned();
    if let (Some(file), Some(found)) = (&f.file, &source) {
        if found.path != *file {
            let _ = writeln!(out, "(read from {})", found.path.display());
        }
    }
    let hits: HashMap<u32, &LineRow> = f.lines.iter().map(|l| (l.line, l)).collect();
    // A `fn` found above the sampled lines whose body does not hold them
    // all (a macro's template, a closure's parent) is not the function.
    let extent = source
        .as_ref()
        .and_then(|s| function_extent(&s.lines, &f.name, f.line))
        .filter(|&(a, b)| {
            f.lines
                .iter()
                .all(|l| l.line == 0 || (a..=b).contains(&l.line))
        });
    let _ = writeln!(
        out,
        "Function: {} at line {}",
        f.name,
        extent.map_or(f.line, |e| e.0)
    );
    let Some(source) = source else {
        let _ = writeln!(out, "(source not found: the lines alone)");
        let _ = writeln!(out);
        table_header(out);
        for l in &f.lines {
            row(out, l.line, Some(l), f, sec, "");
        }
        return;
    };
    let _ = writeln!(out);
    table_header(out);
    let sampled: Vec<u32> = f.lines.iter().map(|l| l.line).filter(|&l| l > 0).collect();
    let (first, last) = match extent {
        Some((a, b)) if b - a < MAX_WHOLE_FUNCTION => (a, b),
        _ => (
            sampled.first().copied().unwrap_or(1),
            sampled.last().copied().unwrap_or(1),
        ),
    };
    let whole = extent.is_some_and(|(a, b)| b - a < MAX_WHOLE_FUNCTION);
    let mut skipped = false;
    for line in first..=last {
        let near = sampled.iter().any(|&s| s.abs_diff(line) <= CONTEXT);
        if !whole && !near {
            if !skipped {
                let _ = writeln!(out, "{:>6}", "...");
                skipped = true;
            }
            continue;
        }
        skipped = false;
        let text = source
            .lines
            .get(line as usize - 1)
            .map(String::as_str)
            .unwrap_or("");
        row(out, line, hits.get(&line).copied(), f, sec, text);
    }
    if let Some(l) = hits.get(&0) {
        row(out, 0, Some(l), f, sec, "(no line in the debug info)");
    }
    let outside: Vec<&LineRow> = f
        .lines
        .iter()
        .filter(|l| l.line > 0 && (l.line < first || l.line > last))
        .collect();
    for l in outside {
        row(
            out,
            l.line,
            Some(l),
            f,
            sec,
            "(outside the function's text)",
        );
    }
}

fn table_header(out: &mut String) {
    let _ = writeln!(
        out,
        "{:>6} {:>9} {:>14} {:>9} {:>8}  Line Contents",
        "Line #", "Hits", "Time", "Per Hit", "% Time"
    );
    let _ = writeln!(out, "{}", "=".repeat(64));
}

fn row(out: &mut String, line: u32, hits: Option<&LineRow>, f: &FunctionRow, sec: f64, text: &str) {
    match hits {
        Some(l) if l.samples > 0 => {
            let time_us = l.samples as f64 * sec * 1e6;
            let _ = writeln!(
                out,
                "{:>6} {:>9} {:>14.1} {:>9.1} {:>8.1}  {}",
                line,
                l.samples,
                time_us,
                time_us / l.samples as f64,
                crate::functions_txt::percent(l.samples, f.total_samples),
                text
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{:>6} {:>9} {:>14} {:>9} {:>8}  {}",
                line, "", "", "", "", text
            );
        }
    }
}
