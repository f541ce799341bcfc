//! The memory view's results, as data: what `memory.txt` and `memory.png`
//! show.

use std::time::Duration;

/// One frame of an allocation's call stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StackFrame {
    /// The function's name (as short as the debug info has it).
    pub function: String,
    /// Its source file as the reports show it (relative to a source root
    /// when under one).
    pub file: Option<String>,
    /// The line, 0 when unknown.
    pub line: u32,
}

impl std::fmt::Display for StackFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{} ({file}:{})", self.function, self.line),
            None => f.write_str(&self.function),
        }
    }
}

/// An allocation site: a call stack and the bytes allocated from it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemorySite {
    /// The call stack of the allocations, innermost first, starting at the
    /// code that asked for the memory (the allocator's and the standard
    /// library's frames left out).
    pub stack: Vec<StackFrame>,
    /// Index in [`MemorySite::stack`] of the site itself: the innermost
    /// frame in the program's own sources (under a source root), or 0.
    pub site: usize,
    /// Bytes held at the heap's peak.
    pub bytes_at_peak: u64,
    /// Allocations live at the peak.
    pub blocks_at_peak: f64,
    /// Bytes allocated here over the whole run.
    pub total_bytes: u64,
    /// Allocations made here over the whole run.
    pub total_blocks: f64,
    /// Whether the numbers are exact (every allocation here was at least
    /// [`crate::MemoryOptions::record_all_from`] bytes) rather than
    /// estimated from samples.
    pub exact: bool,
}

impl MemorySite {
    /// The frame that names the site.
    pub fn frame(&self) -> Option<&StackFrame> {
        self.stack.get(self.site)
    }
}

/// The heap increment of one named phase (memory_profiler's "Increment"):
/// the heap when it ended less the heap when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryPhase {
    /// The phase's name.
    pub name: &'static str,
    /// How many times it ran (on every thread).
    pub calls: u64,
    /// The increments of all its runs, summed.
    pub increment: i64,
    /// The largest increment of one run.
    pub max_increment: i64,
}

/// The heap and the resident memory at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimePoint {
    /// Seconds since the profile started.
    pub seconds: f64,
    /// The most the heap was since the previous point (the heap then, if
    /// it only shrank), in bytes: a spike between two readings shows.
    pub heap: u64,
    /// The resident memory then, if the program gave a reader.
    pub rss: Option<u64>,
}

/// What the memory view measured.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReport {
    pub(crate) peak: u64,
    pub(crate) peak_at: Duration,
    pub(crate) peak_phase: Option<&'static str>,
    pub(crate) peak_thread: Option<String>,
    pub(crate) end: i64,
    pub(crate) allocations: u64,
    pub(crate) allocated: u64,
    pub(crate) sites: Vec<MemorySite>,
    pub(crate) phases: Vec<MemoryPhase>,
    pub(crate) timeline: Vec<TimePoint>,
    pub(crate) interval: u64,
    pub(crate) record_all_from: u64,
    pub(crate) shown_sites: usize,
}

impl MemoryReport {
    /// The most the heap held at once, in bytes.
    pub fn peak_bytes(&self) -> u64 {
        self.peak
    }

    /// When the peak was reached, from the start of the profile.
    pub fn peak_at(&self) -> Duration {
        self.peak_at
    }

    /// The named phase open, on the thread that reached the peak, when it
    /// was reached.
    pub fn peak_phase(&self) -> Option<&'static str> {
        self.peak_phase
    }

    /// The heap at the end, net of what was freed (negative when more was
    /// freed than allocated since the start).
    pub fn end_bytes(&self) -> i64 {
        self.end
    }

    /// Allocations made (a reallocation counts as one).
    pub fn allocations(&self) -> u64 {
        self.allocations
    }

    /// Bytes allocated in all.
    pub fn allocated_bytes(&self) -> u64 {
        self.allocated
    }

    /// Every allocation site recorded, most bytes at the peak first.
    pub fn sites(&self) -> &[MemorySite] {
        &self.sites
    }

    /// The named phases' increments, by name.
    pub fn phases(&self) -> &[MemoryPhase] {
        &self.phases
    }

    /// The heap and resident memory over time.
    pub fn timeline(&self) -> &[TimePoint] {
        &self.timeline
    }

    /// The most resident memory read, if a reader was given.
    pub fn peak_rss(&self) -> Option<u64> {
        self.timeline.iter().filter_map(|p| p.rss).max()
    }

    /// `memory.txt`.
    pub fn text(&self) -> String {
        crate::memory::text::render(self)
    }

    /// `memory.png`: the heap and resident memory over time.
    pub fn png(&self) -> Result<Vec<u8>, crate::ProfileError> {
        crate::memory::plot::render(self)
    }
}
