//! The course's word count of Moby Dick on the dataset engine, twice: as the
//! course writes it (one `String` per word through `flat_map`, `map`,
//! `filter`, `reduce_by_key`), and a fast version with the same answer that
//! tokenises each partition in place and counts words in a per-partition
//! table (map-side combining) before the same `reduce_by_key` shuffle.
//!
//! ```
//! use std::sync::Arc;
//! use workloads::wordcount::{course_pipeline, fast_pipeline, top_words};
//!
//! let dir = tempfile::tempdir()?;
//! let book = dir.path().join("book.txt");
//! std::fs::write(&book, "Call me Ishmael.\nThe whale, the WHALE!\n")?;
//! let stop = Arc::new(["the".to_string()].into_iter().collect());
//! let ctx = dataset::Context::local(2)?;
//! let lines = ctx.text_file(&book, 2);
//! let fast = top_words(&fast_pipeline(&lines, Arc::clone(&stop)), 2)?;
//! assert_eq!(fast, [("whale".to_string(), 2), ("call".to_string(), 1)]);
//! assert_eq!(top_words(&course_pipeline(&lines, Arc::clone(&stop)), 2)?, fast);
//! let bytes = ctx.text_file_bytes(&book, 2, 1 << 18);
//! assert_eq!(top_words(&fast_pipeline(&bytes, stop), 2)?, fast);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;
use std::sync::Arc;

use dataset::Dataset;
use rustc_hash::FxHashSet;

pub use crate::wordcount_clean::{course_words, for_each_word};
use crate::wordcount_table::WordTable;

/// Largest stop-word list read (the course's is 1 KiB; a list of every word
/// of a language is a few MiB): more is an error, as is a path that never
/// ends.
pub const MAX_STOPWORDS_BYTES: u64 = 64 << 20;

/// A set of stop words, as [`read_stopwords`] returns it.
pub type StopWords = FxHashSet<String>;

/// Reads a stop-word list the way the course does, `read().split('\n')`:
/// one word per line, kept exactly (not trimmed or lower-cased), so a file
/// ending in a newline contributes the empty string, which is harmless since
/// empty strings are dropped anyway. One deviation: a trailing `'\r'` is
/// removed, so that a list saved with Windows line ends still works.
pub fn read_stopwords(path: impl AsRef<Path>) -> std::io::Result<FxHashSet<String>> {
    let bytes = runtime::capped::read(path.as_ref(), MAX_STOPWORDS_BYTES)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .split('\n')
        .map(|w| w.strip_suffix('\r').unwrap_or(w).to_string())
        .collect())
}

/// The course's pipeline on a dataset of lines, step by step:
/// `flat_map` to words, drop stop words, `(word, 1)`, `reduce_by_key(+)`.
#[track_caller]
pub fn course_pipeline(
    lines: &Dataset<String>,
    stopwords: Arc<FxHashSet<String>>,
) -> Dataset<(String, u64)> {
    lines
        .flat_map(|line| course_words(&line))
        .filter(move |w| !stopwords.contains(w))
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
}

/// The fast pipeline, same answer as [`course_pipeline`], on a dataset of
/// lines (`Context::text_file`), of blocks of lines
/// (`Context::text_file_blocks`: line ends separate words like spaces) or
/// of their bytes (`Context::text_file_bytes`, fastest: the file is mapped
/// and scanned where it lies, and the cleaning drops every byte from 0x80
/// up, so a UTF-8 check and replacement could change no word). Each
/// partition is tokenised in place into a table of byte-string counts (no
/// allocation per word, only per distinct word), whose entries then go
/// through the engine's `reduce_by_key` shuffle.
#[track_caller]
pub fn fast_pipeline<T: dataset::Data + AsRef<[u8]>>(
    lines: &Dataset<T>,
    stopwords: Arc<FxHashSet<String>>,
) -> Dataset<(String, u64)> {
    lines
        .map_partitions(move |part| {
            let mut table = WordTable::new(stopwords.iter());
            for line in part {
                table.count_words(line.as_ref());
            }
            table.into_counts()
        })
        .reduce_by_key(|a, b| a + b)
}

/// The `k` most frequent words, most frequent first, ties alphabetical.
#[track_caller]
pub fn top_words(counts: &Dataset<(String, u64)>, k: usize) -> dataset::Result<Vec<(String, u64)>> {
    counts.take_ordered(k, |(w, c)| (std::cmp::Reverse(*c), w.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_pipeline_on_bytes_gives_the_course_answer_on_hostile_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = Vec::new();
        for i in 0..20_000u32 {
            let word = ["whale", "The", "sea's", "caf\u{e9}", "a", "x\0y", "Ahab!"][i as usize % 7];
            text.extend_from_slice(word.as_bytes());
            text.extend_from_slice(
                [&b" "[..], b"\xff", b"\r\n", b"\r", b"\n", b"--", b"\t"][i as usize % 7],
            );
            if i % 1000 == 0 {
                text.extend_from_slice(&b"Long".repeat(1000));
                text.push(b'\n');
            }
        }
        let stop: Arc<StopWords> =
            Arc::new(["the", "a", ""].iter().map(|s| s.to_string()).collect());
        let ctx = dataset::Context::local(2).unwrap();
        for (name, bytes) in [
            ("empty.txt", &b""[..]),
            ("nul.txt", b"\0\0\0"),
            ("text.txt", &text),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let all = |c: &Dataset<(String, u64)>| {
                let mut v = c.collect().unwrap();
                v.sort();
                v
            };
            let want = all(&course_pipeline(
                &ctx.text_file(&path, 3),
                Arc::clone(&stop),
            ));
            for parts in [1, 3, 7] {
                for block in [1, 100, 1 << 18] {
                    let blocks = ctx.text_file_bytes(&path, parts, block);
                    let got = all(&fast_pipeline(&blocks, Arc::clone(&stop)));
                    assert_eq!(got, want, "{name}: {parts} partitions, {block}-byte blocks");
                }
            }
        }
    }
}
