//! `functions.txt`: cProfile's table of functions by cumulative time, the
//! named phases with exact counts, and what each thread did.

use std::collections::HashMap;
use std::fmt::Write;

use crate::report::Report;

/// The text of `functions.txt`.
pub(crate) fn render(r: &Report) -> String {
    let mut out = String::new();
    header(r, &mut out);
    functions(r, &mut out);
    phases(r, &mut out);
    threads(r, &mut out);
    out
}

/// The first lines: how much was sampled and what a sample stands for.
pub(crate) fn header(r: &Report, out: &mut String) {
    let s = r.samples();
    let a = r.analysis();
    let cpu = s.cpu.as_secs_f64();
    let _ = writeln!(
        out,
        "{} samples of {} thread{}: {:.3} s of CPU time in {:.3} s of wall time",
        a.total,
        a.threads.len(),
        if a.threads.len() == 1 { "" } else { "s" },
        cpu,
        s.wall.as_secs_f64(),
    );
    if s.dropped > 0 {
        let _ = writeln!(
            out,
            "{} more samples were dropped (taken in the unwinder or the vDSO, or with the \
             sample table full); the CPU time is shared out over those kept",
            s.dropped
        );
    }
    let obtained = if cpu > 0.0 { a.total as f64 / cpu } else { 0.0 };
    let _ = writeln!(
        out,
        "sampling: {} asked, {obtained:.0} samples per CPU second obtained; a sample stands for {:.3} ms of CPU time",
        s.rate,
        s.seconds_per_sample() * 1e3,
    );
}

fn functions(r: &Report, out: &mut String) {
    let a = r.analysis();
    let sec = r.samples().seconds_per_sample();
    let pct = |n: u64| percent(n, a.total);
    let _ = writeln!(out, "\nOrdered by: cumulative time");
    let _ = writeln!(
        out,
        "samples: with the function on the stack; tottime: in its own code; cumtime: with it \
         on the stack (its calls included).\nSampling measures time, not calls: the named \
         phases below are counted exactly.\n"
    );
    let _ = writeln!(
        out,
        "{:>9} {:>9} {:>7} {:>9} {:>7}  function (file:line)",
        "samples", "tottime", "%", "cumtime", "%"
    );
    for f in &a.functions {
        let _ = writeln!(
            out,
            "{:>9} {:>9.3} {:>7.1} {:>9.3} {:>7.1}  {}",
            f.total_samples,
            f.self_samples as f64 * sec,
            pct(f.self_samples),
            f.total_samples as f64 * sec,
            pct(f.total_samples),
            r.function_label(f),
        );
    }
}

fn phases(r: &Report, out: &mut String) {
    let _ = writeln!(
        out,
        "\nNamed phases (timed at each entry and exit; tottime leaves out the phases nested in it)\n"
    );
    let merged = merged_phases(r);
    if merged.is_empty() {
        let _ = writeln!(out, "  none ran");
        return;
    }
    let _ = writeln!(
        out,
        "{:>9} {:>11} {:>11} {:>11} {:>11} {:>8}  phase",
        "ncalls", "tottime", "percall", "cumtime", "percall", "threads"
    );
    for p in merged {
        let calls = p.calls.max(1) as f64;
        let _ = writeln!(
            out,
            "{:>9} {:>11.6} {:>11.6} {:>11.6} {:>11.6} {:>8}  {}",
            p.calls,
            p.own,
            p.own / calls,
            p.total,
            p.total / calls,
            p.threads,
            p.name
        );
    }
}

/// A phase summed over threads.
pub(crate) struct MergedPhase {
    pub name: &'static str,
    pub calls: u64,
    pub own: f64,
    pub total: f64,
    pub threads: usize,
}

/// The phases summed over threads, by cumulative time (most first).
pub(crate) fn merged_phases(r: &Report) -> Vec<MergedPhase> {
    let mut by_name: HashMap<&'static str, MergedPhase> = HashMap::new();
    for p in r.phases() {
        let m = by_name.entry(p.name).or_insert(MergedPhase {
            name: p.name,
            calls: 0,
            own: 0.0,
            total: 0.0,
            threads: 0,
        });
        m.calls += p.calls;
        m.own += p.own.as_secs_f64();
        m.total += p.total.as_secs_f64();
        m.threads += 1;
    }
    let mut v: Vec<MergedPhase> = by_name.into_values().collect();
    v.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.name.cmp(b.name)));
    v
}

fn threads(r: &Report, out: &mut String) {
    let a = r.analysis();
    let sec = r.samples().seconds_per_sample();
    let _ = writeln!(
        out,
        "\nThreads (samples per thread, its functions with the most self time, its phases)\n"
    );
    let mut sampled: Vec<u64> = Vec::new();
    for (n, t) in a.threads.iter().enumerate() {
        sampled.push(t.id);
        let _ = writeln!(
            out,
            "thread {} {} (id {:#x}): {} samples, {:.1}%, {:.3} s",
            n + 1,
            thread_name(&t.name),
            t.id,
            t.samples,
            percent(t.samples, a.total),
            t.samples as f64 * sec,
        );
        for &(f, c) in &t.top {
            let _ = writeln!(
                out,
                "  {:>9} {:>6.1}%  {}",
                c,
                percent(c, t.samples),
                r.function_label(&a.functions[f]),
            );
        }
        thread_phases(r, t.id, out);
    }
    // Threads that ran phases but were never sampled (they used little CPU).
    let mut others: Vec<u64> = r
        .phases()
        .iter()
        .map(|p| p.thread_id)
        .filter(|id| !sampled.contains(id))
        .collect();
    others.sort_unstable();
    others.dedup();
    for id in others {
        let name = r.phase_thread_name(id).unwrap_or_default();
        let _ = writeln!(
            out,
            "thread {} (id {id:#x}): no samples",
            thread_name(&name)
        );
        thread_phases(r, id, out);
    }
}

fn thread_phases(r: &Report, id: u64, out: &mut String) {
    let mine: Vec<String> = r
        .phases()
        .iter()
        .filter(|p| p.thread_id == id)
        .map(|p| format!("{} ×{} {:.6} s", p.name, p.calls, p.total.as_secs_f64()))
        .collect();
    if !mine.is_empty() {
        let _ = writeln!(out, "  phases: {}", mine.join(", "));
    }
}

fn thread_name(name: &str) -> String {
    if name.is_empty() {
        "(unnamed)".into()
    } else {
        format!("'{name}'")
    }
}

/// `n` of `total` in percent (0 when `total` is 0).
pub(crate) fn percent(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * n as f64 / total as f64
    }
}

/// The summary for a terminal: the header and the `n` functions with the
/// most cumulative time.
pub(crate) fn summary(r: &Report, n: usize) -> String {
    let mut out = String::new();
    header(r, &mut out);
    let a = r.analysis();
    let _ = writeln!(out, "top {n} functions by cumulative time:");
    let _ = writeln!(out, "{:>7} {:>7}  function (file:line)", "cum %", "self %");
    for f in a.functions.iter().take(n) {
        let _ = writeln!(
            out,
            "{:>7.1} {:>7.1}  {}",
            percent(f.total_samples, a.total),
            percent(f.self_samples, a.total),
            r.function_label(f)
        );
    }
    out
}
