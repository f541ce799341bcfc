//! What a profile run produced, and its files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::analysis::{Analysis, FunctionRow, ThreadRow};
use crate::memory::{MemoryReport, MEMORY_FILES};
use crate::model::Samples;
use crate::phases::PhaseStats;
use crate::source::Sources;
use crate::{Options, ProfileError};

/// The result of a profile: every view of it, as text or as the files
/// [`Report::write_to`] writes.
#[derive(Debug, Clone)]
pub struct Report {
    samples: Samples,
    analysis: Analysis,
    phases: Vec<PhaseStats>,
    phase_threads: HashMap<u64, String>,
    memory: Option<MemoryReport>,
    options: Options,
}

/// The files of a report, in the order [`Report::write_to`] writes them.
pub const FILES: [&str; 4] = [
    "functions.txt",
    "lines.txt",
    "flamegraph.svg",
    "profile.pb.gz",
];

impl Report {
    pub(crate) fn new(
        samples: Samples,
        analysis: Analysis,
        phases: Vec<PhaseStats>,
        phase_threads: HashMap<u64, String>,
        memory: Option<MemoryReport>,
        options: Options,
    ) -> Report {
        Report {
            samples,
            analysis,
            phases,
            phase_threads,
            memory,
            options,
        }
    }

    pub(crate) fn samples(&self) -> &Samples {
        &self.samples
    }

    pub(crate) fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// Every sample taken.
    pub fn sample_count(&self) -> u64 {
        self.analysis.total
    }

    /// CPU time of the whole process (all threads) while profiling.
    pub fn cpu_time(&self) -> Duration {
        self.samples.cpu
    }

    /// Wall time while profiling.
    pub fn wall_time(&self) -> Duration {
        self.samples.wall
    }

    /// Every function seen, by cumulative samples (most first).
    pub fn functions(&self) -> &[FunctionRow] {
        &self.analysis.functions
    }

    /// The first function (by cumulative samples) named `name`, or whose
    /// name ends with `::name`.
    pub fn function(&self, name: &str) -> Option<&FunctionRow> {
        let suffix = format!("::{name}");
        self.analysis
            .functions
            .iter()
            .find(|f| f.name == name || f.name.ends_with(&suffix))
    }

    /// `samples` of all samples, in percent.
    pub fn percent(&self, samples: u64) -> f64 {
        crate::functions_txt::percent(samples, self.analysis.total)
    }

    /// The sampled threads, most samples first; [`ThreadRow::top`] indexes
    /// [`Report::functions`].
    pub fn threads(&self) -> &[ThreadRow] {
        &self.analysis.threads
    }

    /// The named phases per thread, by name then thread.
    pub fn phases(&self) -> &[PhaseStats] {
        &self.phases
    }

    pub(crate) fn phase_thread_name(&self, id: u64) -> Option<String> {
        self.phase_threads.get(&id).cloned()
    }

    /// `name (file:line)` as the tables show a function.
    pub(crate) fn function_label(&self, f: &FunctionRow) -> String {
        match &f.file {
            Some(file) => format!("{} ({}:{})", f.name, self.sources().display(file), f.line),
            None => f.name.clone(),
        }
    }

    fn sources(&self) -> Sources {
        Sources::new(&self.options.source_roots)
    }

    /// `functions.txt`: the functions by cumulative time (cProfile's
    /// table), the named phases and the threads.
    pub fn functions_text(&self) -> String {
        crate::functions_txt::render(self)
    }

    /// `lines.txt`: line_profiler's report of the
    /// [`Options::lines`] functions with the most self time.
    pub fn lines_text(&self) -> String {
        crate::lines_txt::render(self, &mut self.sources())
    }

    /// `flamegraph.svg`.
    pub fn flamegraph_svg(&self) -> Result<Vec<u8>, ProfileError> {
        crate::flamegraph::render(self)
    }

    /// `profile.pb.gz`: pprof's protobuf, gzipped.
    pub fn pprof_gz(&self) -> Result<Vec<u8>, ProfileError> {
        crate::pprof_out::render(self)
    }

    /// A few lines for a terminal: how much was sampled and the `n`
    /// functions with the most cumulative time.
    pub fn summary(&self, n: usize) -> String {
        let mut summary = crate::functions_txt::summary(self, n);
        if let Some(memory) = &self.memory {
            summary.push_str(&crate::memory::summary_line(memory));
            summary.push('\n');
        }
        summary
    }

    /// The heap view, if [`Options::memory`] asked for it.
    pub fn memory(&self) -> Option<&MemoryReport> {
        self.memory.as_ref()
    }

    /// Writes the [`FILES`] (and with the heap view, the [`MEMORY_FILES`])
    /// into `dir` (created if needed), each atomically, and returns their
    /// paths.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, ProfileError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| ProfileError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut contents: Vec<(&str, Vec<u8>)> = vec![
            (FILES[0], self.functions_text().into_bytes()),
            (FILES[1], self.lines_text().into_bytes()),
            (FILES[2], self.flamegraph_svg()?),
            (FILES[3], self.pprof_gz()?),
        ];
        if let Some(memory) = &self.memory {
            contents.push((MEMORY_FILES[0], memory.text().into_bytes()));
            contents.push((MEMORY_FILES[1], memory.png()?));
        }
        let mut written = Vec::with_capacity(contents.len());
        for (name, bytes) in contents {
            let path = dir.join(name);
            runtime::atomic::write_atomically(&path, |w| std::io::Write::write_all(w, &bytes))?;
            written.push(path);
        }
        Ok(written)
    }
}
