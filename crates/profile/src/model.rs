//! The samples once symbolized: functions, the addresses with their
//! inlined frames, the stacks and the threads, each stored once and
//! referred to by index.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::objects::Object;
use crate::Rate;

/// A function: its demangled name (no hash) and its source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Function {
    /// Demangled, without the hash suffix; `[unknown]` when the address has
    /// no symbol.
    pub name: String,
    /// The source file as the debug info names it.
    pub file: Option<PathBuf>,
}

/// One frame: a function at a line (0 when the line is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Frame {
    /// Index into [`Samples::functions`].
    pub function: usize,
    /// Line number, 0 if unknown.
    pub line: u32,
}

/// A code address and the frames it stands for: the innermost inlined
/// function first, the function it was compiled into last.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    /// The instruction address.
    pub ip: u64,
    /// Its frames, innermost first (never empty).
    pub frames: Vec<Frame>,
    /// Index into [`Samples::objects`] of the object holding it.
    pub object: Option<usize>,
}

/// A distinct stack of one thread and how often it was sampled.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// Indices into [`Samples::addresses`], the interrupted code first.
    pub addresses: Vec<usize>,
    /// Index into [`Samples::threads`].
    pub thread: usize,
    /// How many samples had this stack.
    pub count: u64,
}

/// A sampled thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Thread {
    /// `pthread_self()`.
    pub id: u64,
    /// Its name, possibly empty.
    pub name: String,
}

/// Every sample of a run, symbolized.
#[derive(Debug, Clone)]
pub(crate) struct Samples {
    pub functions: Vec<Function>,
    pub addresses: Vec<Address>,
    pub samples: Vec<Sample>,
    pub threads: Vec<Thread>,
    /// The objects loaded when sampling stopped.
    pub objects: Vec<Object>,
    /// Samples taken but not recorded (in the unwinder or the vDSO, or with
    /// the sample table full).
    pub dropped: u64,
    /// CPU time of the process while sampling.
    pub cpu: Duration,
    /// Wall time while sampling.
    pub wall: Duration,
    /// When sampling started.
    pub started_at: SystemTime,
    /// The rate asked for.
    pub rate: Rate,
}

impl Samples {
    /// Every sample, counted.
    pub fn total(&self) -> u64 {
        self.samples.iter().map(|s| s.count).sum()
    }

    /// The CPU time one sample stands for: the measured CPU time shared
    /// out over the samples (the nominal period when there are none).
    pub fn seconds_per_sample(&self) -> f64 {
        match self.total() {
            0 => 1.0 / f64::from(self.rate.hz()),
            n => self.cpu.as_secs_f64() / n as f64,
        }
    }

    /// The frames of `sample`, innermost first: each address's inlined
    /// frames in order, then the next address's.
    pub fn frames<'a>(&'a self, sample: &'a Sample) -> impl Iterator<Item = Frame> + 'a {
        sample
            .addresses
            .iter()
            .flat_map(move |&a| self.addresses[a].frames.iter().copied())
    }
}
