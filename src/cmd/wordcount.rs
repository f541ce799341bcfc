//! `hpcrs wordcount`: the course's Moby Dick word count on the dataset engine.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use dataset::{Context, Dataset};
use runtime::pool::Threads;
use workloads::wordcount::{course_pipeline, fast_pipeline, read_stopwords, top_words};

/// Bytes per block of lines on the fast path: large enough to make the
/// per-block cost vanish, small enough to stay in cache.
const BLOCK_BYTES: usize = 256 << 10;

/// Most partitions `--partitions` accepts: every partition is a map task and
/// a reduce task with costs of their own (opening a split, a word table),
/// so beyond a few thousand the tasks, not the words, are the work.
const MAX_PARTITIONS: usize = 4096;

/// Arguments of `hpcrs wordcount`.
#[derive(clap::Args)]
pub struct Args {
    /// Text files or directories of text files [default: data/mobydick.txt].
    files: Vec<PathBuf>,
    /// Stop words, one per line (read as the course does: split on '\n').
    #[arg(long, default_value = "data/stopwords.txt")]
    stopwords: PathBuf,
    /// How many of the most frequent words to print (ties alphabetical).
    #[arg(long, default_value_t = 5, value_parser = crate::args::count::<usize>, allow_negative_numbers = true)]
    top: usize,
    /// Minimum partitions per input, 1 to 4096 [default: 2 per thread].
    #[arg(long, value_parser = crate::args::count::<usize>, allow_negative_numbers = true)]
    partitions: Option<usize>,
    /// Worker threads (0 or absent: one per core; at most 1024).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::args::threads)]
    threads: Option<Threads>,
    /// Run the course's pipeline literally (a String per word through
    /// flat_map/map/filter/reduce_by_key) instead of the fast path.
    #[arg(long)]
    course: bool,
    /// Print the lineage (like toDebugString) to standard error.
    #[arg(long)]
    lineage: bool,
    /// Print input size, time and throughput to standard error.
    #[arg(long)]
    stats: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `hpcrs wordcount`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = if args.files.is_empty() {
        vec![PathBuf::from("data/mobydick.txt")]
    } else {
        args.files.clone()
    };
    let stopwords = read_stopwords(&args.stopwords).with_context(|| {
        format!(
            "cannot read the stop-word list {}",
            args.stopwords.display()
        )
    })?;
    let ctx = Context::builder()
        .threads(match args.threads.unwrap_or_default() {
            Threads::AllCores => 0,
            Threads::Exactly(n) => n,
        })
        .progress(crate::progress::Bar::shared(args.quiet))
        .build()?;
    match args.partitions {
        Some(0) => anyhow::bail!("--partitions must be at least 1"),
        Some(n) if n > MAX_PARTITIONS => {
            anyhow::bail!("--partitions {n} is too many: at most {MAX_PARTITIONS}")
        }
        _ => {}
    }
    let partitions = args.partitions.unwrap_or(2 * ctx.default_parallelism());

    let start = Instant::now();
    let mut lines: Option<Dataset<String>> = None;
    for f in &files {
        // The fast path scans blocks of lines (one allocation per block); the
        // course's pipeline needs one element per line.
        let d = if args.course {
            ctx.text_file(f, partitions)
        } else {
            ctx.text_file_blocks(f, partitions, BLOCK_BYTES)
        };
        lines = Some(match lines {
            None => d,
            Some(l) => l.union(&d),
        });
    }
    let lines = lines.expect("at least one input");
    let stopwords = Arc::new(stopwords);
    let counts = if args.course {
        course_pipeline(&lines, stopwords)
    } else {
        fast_pipeline(&lines, stopwords)
    };
    if args.lineage {
        eprint!("{}", counts.debug_string());
    }
    let top = top_words(&counts, args.top).with_context(|| {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        format!("cannot count the words of {}", names.join(", "))
    })?;
    let seconds = start.elapsed().as_secs_f64();

    let mut out = std::io::stdout().lock();
    for (word, count) in &top {
        writeln!(out, "{word} {count}")?;
    }
    out.flush()?;
    if args.stats {
        let bytes: u64 = files.iter().map(|f| input_bytes(f)).sum();
        eprintln!(
            "{} bytes in {} partitions on {} threads: {:.3} s, {:.1} MB/s",
            bytes,
            lines.num_partitions(),
            ctx.default_parallelism(),
            seconds,
            bytes as f64 / 1e6 / seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Bytes of a file, or of the files of a directory (for --stats only).
fn input_bytes(path: &std::path::Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0),
        Err(_) => 0,
    }
}
