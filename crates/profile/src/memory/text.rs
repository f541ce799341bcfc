//! `memory.txt`: the peak and when it happened, the allocation sites
//! holding the most bytes at the peak with their call stacks, the named
//! phases' increments (memory_profiler's "Increment" column), and totals.

use std::fmt::Write;

use runtime::size::human_bytes;

use crate::memory::report::{MemoryReport, MemorySite};

/// Frames of a call stack shown, from the code that asked for the memory.
const STACK_FRAMES: usize = 12;

/// The text of `memory.txt`.
pub(crate) fn render(r: &MemoryReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(r));
    let _ = writeln!(
        out,
        "The heap is what the program allocated through its global allocator since the \
         profile started and had not freed, counted exactly at every allocation and free \
         (memory C libraries take with malloc is not in it).\n"
    );
    if let Some(rss) = r.peak_rss() {
        let _ = writeln!(
            out,
            "resident memory: at most {} of {} readings (every {} ms or so; memory.png)",
            human_bytes(rss),
            r.timeline.len(),
            period_ms(r)
        );
    }
    let _ = writeln!(out, "heap at the end: {}", signed(r.end));
    let _ = writeln!(
        out,
        "allocations: {} (a reallocation counts as one), {} allocated in all",
        r.allocations,
        human_bytes(r.allocated)
    );
    sites(r, &mut out);
    phases(r, &mut out);
    out
}

/// One line: the peak, when, in which phase.
pub(crate) fn summary(r: &MemoryReport) -> String {
    let mut line = format!(
        "peak heap {} ({} bytes) at {:.3} s",
        human_bytes(r.peak),
        r.peak,
        r.peak_at.as_secs_f64()
    );
    match r.peak_phase {
        Some(phase) => {
            let _ = write!(line, ", in phase `{phase}`");
        }
        None => line.push_str(", in no named phase"),
    }
    if let Some(thread) = r.peak_thread.as_deref().filter(|t| !t.is_empty()) {
        let _ = write!(line, " (thread '{thread}')");
    }
    line
}

fn period_ms(r: &MemoryReport) -> String {
    let t = &r.timeline;
    if t.len() < 2 {
        return "-".into();
    }
    let span = t[t.len() - 1].seconds - t[0].seconds;
    format!("{:.0}", span / (t.len() - 1) as f64 * 1e3)
}

fn sites(r: &MemoryReport, out: &mut String) {
    let _ = writeln!(
        out,
        "\nAllocation sites holding the most bytes at the peak\n\
         (every allocation of {} or more is recorded: exact counts; smaller ones are sampled, \
         one per {} allocated on average, and estimated: marked ~)\n",
        human_bytes(r.record_all_from),
        human_bytes(r.interval)
    );
    let shown: Vec<&MemorySite> = r
        .sites
        .iter()
        .filter(|s| s.bytes_at_peak > 0)
        .take(r.shown_sites)
        .collect();
    if shown.is_empty() {
        let _ = writeln!(out, "  no recorded allocation was live at the peak");
        return;
    }
    let _ = writeln!(
        out,
        "{:>4} {:>15} {:>6} {:>8} {:>15} {:>9}  site",
        "rank", "bytes at peak", "%", "blocks", "allocated", "blocks"
    );
    for (i, s) in shown.iter().enumerate() {
        let mark = if s.exact { "" } else { "~" };
        let _ = writeln!(
            out,
            "{:>4} {:>15} {:>6.1} {:>8} {:>15} {:>9}  {}",
            i + 1,
            format!("{mark}{}", s.bytes_at_peak),
            percent(s.bytes_at_peak, r.peak),
            format!("{mark}{}", s.blocks_at_peak.round() as u64),
            format!("{mark}{}", s.total_bytes),
            format!("{mark}{}", s.total_blocks.round() as u64),
            s.frame()
                .map_or_else(|| "[unknown]".to_string(), ToString::to_string),
        );
    }
    let _ = writeln!(
        out,
        "\nCall stacks (the code that asked for the memory first; > the site)"
    );
    for (i, s) in shown.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n#{} {} at the peak",
            i + 1,
            human_bytes(s.bytes_at_peak)
        );
        for (depth, frame) in s.stack.iter().enumerate().take(STACK_FRAMES) {
            let mark = if depth == s.site { ">" } else { " " };
            let _ = writeln!(out, "  {mark} {frame}");
        }
        if s.stack.len() > STACK_FRAMES {
            let _ = writeln!(out, "    ... {} more", s.stack.len() - STACK_FRAMES);
        }
    }
}

fn phases(r: &MemoryReport, out: &mut String) {
    let _ = writeln!(
        out,
        "\nNamed phases: heap increment (the heap at the phase's end less at its start, of \
         the whole process; memory_profiler's Increment)\n"
    );
    if r.phases.is_empty() {
        let _ = writeln!(out, "  none ran");
        return;
    }
    let _ = writeln!(
        out,
        "{:>9} {:>14} {:>14} {:>14}  phase",
        "ncalls", "increment", "per call", "largest"
    );
    for p in &r.phases {
        let _ = writeln!(
            out,
            "{:>9} {:>14} {:>14} {:>14}  {}",
            p.calls,
            signed(p.increment),
            signed(p.increment / p.calls.max(1) as i64),
            signed(p.max_increment),
            p.name
        );
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Bytes in binary units, with a minus sign when negative.
pub(crate) fn signed(bytes: i64) -> String {
    if bytes < 0 {
        format!("-{}", human_bytes(bytes.unsigned_abs()))
    } else {
        human_bytes(bytes as u64)
    }
}
