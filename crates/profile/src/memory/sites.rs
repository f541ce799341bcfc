//! From what the hooks collected to a [`MemoryReport`]: the recorded
//! stacks looked up (the crate's symbolizer), cut to start at the code that
//! asked for the memory, merged by what is left, and sorted by bytes at the
//! peak.

use std::collections::HashMap;
use std::time::Duration;

use crate::memory::hooks::{Collected, HOOKS_FILE};
use crate::memory::report::{MemoryPhase, MemoryReport, MemorySite, StackFrame};
use crate::memory::MemoryOptions;
use crate::names::base_name;
use crate::source::Sources;
use crate::symbolize::{symbolize_calls, CallFrame};

/// The functions through which every allocation goes on its way to the
/// hooks: `GlobalAlloc`'s methods and the shims the compiler makes for the
/// global allocator.
const ALLOCATOR_FUNCTIONS: &[&str] = &[
    "alloc",
    "alloc_zeroed",
    "realloc",
    "__rust_alloc",
    "__rust_alloc_zeroed",
    "__rust_realloc",
    "__rg_alloc",
    "__rg_alloc_zeroed",
    "__rg_realloc",
    "__rdl_alloc",
    "__rdl_alloc_zeroed",
    "__rdl_realloc",
];

/// Builds the report.
pub(crate) fn build(
    collected: Collected,
    phases: Vec<MemoryPhase>,
    thread_names: &HashMap<u64, String>,
    options: &MemoryOptions,
    sources: &Sources,
) -> MemoryReport {
    let stacks: Vec<&[usize]> = collected.state.sites.iter().map(|(s, _)| &s[..]).collect();
    let looked_up = symbolize_calls(&stacks);
    let mut merged: HashMap<Vec<StackFrame>, MemorySite> = HashMap::new();
    for (frames, (_, counts)) in looked_up.into_iter().zip(&collected.state.sites) {
        let stack: Vec<StackFrame> = callers(&frames)
            .iter()
            .map(|(name, file, line)| StackFrame {
                function: name.clone(),
                file: file.as_deref().map(|f| sources.display(f)),
                line: *line,
            })
            .collect();
        let site = merged.entry(stack.clone()).or_insert_with(|| MemorySite {
            site: own_frame(&frames, sources),
            stack,
            bytes_at_peak: 0,
            blocks_at_peak: 0.0,
            total_bytes: 0,
            total_blocks: 0.0,
            exact: true,
        });
        site.bytes_at_peak += counts.peak_bytes.max(0.0).round() as u64;
        site.blocks_at_peak += counts.peak_blocks.max(0.0);
        site.total_bytes += counts.total_bytes.round() as u64;
        site.total_blocks += counts.total_blocks;
        site.exact &= counts.exact;
    }
    let mut sites: Vec<MemorySite> = merged.into_values().collect();
    sites.sort_by(|a, b| {
        (b.bytes_at_peak, b.total_bytes)
            .cmp(&(a.bytes_at_peak, a.total_bytes))
            .then_with(|| {
                a.stack
                    .first()
                    .map(ToString::to_string)
                    .cmp(&b.stack.first().map(ToString::to_string))
            })
    });
    let c = collected.counters;
    MemoryReport {
        peak: c.peak.max(0) as u64,
        peak_at: Duration::from_nanos(collected.peak_at.nanos),
        peak_phase: collected.peak_at.phase,
        peak_thread: thread_names.get(&collected.peak_at.thread).cloned(),
        end: c.live,
        allocations: c.allocations,
        allocated: c.allocated,
        sites,
        phases,
        timeline: collected.timeline,
        interval: options.interval,
        record_all_from: options.record_all_from,
        shown_sites: options.sites,
    }
}

/// The frames from the code that asked for the memory outwards: the
/// hooks' frames (up to the outermost in the hooks' file) cut, then the
/// allocator's and the standard library's (or without a file).
fn callers(frames: &[CallFrame]) -> &[CallFrame] {
    let hooks = frames
        .iter()
        .rposition(|(_, file, _)| file.as_deref().is_some_and(|f| f.ends_with(HOOKS_FILE)));
    let rest = &frames[hooks.map_or(0, |h| h + 1)..];
    let start = rest
        .iter()
        .position(|frame| !machinery(frame))
        .unwrap_or(rest.len());
    &rest[start..]
}

/// Whether a frame is on the way from the code to the allocator.
fn machinery((name, file, _): &CallFrame) -> bool {
    ALLOCATOR_FUNCTIONS.contains(&base_name(name))
        || file.as_deref().is_none_or(|f| {
            f.starts_with("/rustc/") || f.to_string_lossy().contains("/library/alloc/")
        })
}

/// Index in the callers of the innermost frame in the program's own
/// sources (a file under a source root), or 0.
fn own_frame(frames: &[CallFrame], sources: &Sources) -> usize {
    callers(frames)
        .iter()
        .position(|(_, file, _)| file.as_deref().is_some_and(|f| sources.is_own(f)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn frame(name: &str, file: Option<&str>) -> CallFrame {
        (name.into(), file.map(PathBuf::from), 1)
    }

    #[test]
    fn the_stack_starts_at_the_code_that_asked_for_the_memory() {
        let hooks = format!("/w/{HOOKS_FILE}");
        let frames = vec![
            frame(
                "trace",
                Some("/home/u/.cargo/registry/src/x/backtrace-0.3/src/lib.rs"),
            ),
            frame("record", Some("/w/crates/profile/src/memory/state.rs")),
            frame("allocated", Some(&hooks)),
            frame("alloc", Some("/w/src/allocator.rs")),
            frame("__rust_alloc", None),
            frame("alloc", Some("/rustc/abc/library/alloc/src/alloc.rs")),
            frame(
                "zeros",
                Some("/home/u/.cargo/registry/src/x/ndarray-0.16.1/src/impl_constructors.rs"),
            ),
            frame("initial", Some("/w/crates/diffusion/src/problem.rs")),
            frame("main", Some("/w/src/main.rs")),
        ];
        let c = callers(&frames);
        assert_eq!(c[0].0, "zeros");
        assert_eq!(c.len(), 3);
        let sources = Sources::new(&[PathBuf::from("/w")]);
        assert_eq!(own_frame(&frames, &sources), 1);
        assert!(sources.is_own(Path::new("/w/src/main.rs")));
        assert!(!sources.is_own(Path::new("/rustc/abc/library/alloc/src/alloc.rs")));
        // Without the hooks' frames (no debug info for them), only the
        // machinery at the start is cut.
        assert_eq!(callers(&frames[4..])[0].0, "zeros");
    }
}
