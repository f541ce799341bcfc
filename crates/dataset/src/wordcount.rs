//! The course's word count of Moby Dick, twice: as the course writes it (one
//! `String` per word through `flat_map`, `map`, `filter`, `reduce_by_key`),
//! and a fast version with the same answer that tokenises each partition in
//! place and counts words in a per-partition hash map (map-side combining)
//! before the same `reduce_by_key` shuffle.
//!
//! The cleaning is the course's, per line: drop non-ASCII characters
//! (`encode('ascii', 'ignore')`), delete ASCII punctuation
//! (`translate(None, string.punctuation)`), split on single spaces (`' '`,
//! so tabs stay inside words and runs of spaces give empty strings), lower-case,
//! drop empty strings and stop words. Each step acts on single characters, so
//! it can be done on the bytes of the line in one pass: a byte ≥ 0x80 is part
//! of a non-ASCII character (or invalid UTF-8, which `text_file` turns into
//! U+FFFD, itself non-ASCII) and is dropped either way.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::hash::FxHashMap;

/// Reads a stop-word list the way the course does, `read().split('\n')`:
/// one word per line, kept exactly (not trimmed or lower-cased), so a file
/// ending in a newline contributes the empty string, which is harmless since
/// empty strings are dropped anyway. One deviation: a trailing `'\r'` is
/// removed, so that a list saved with Windows line ends still works.
pub fn read_stopwords(path: impl AsRef<Path>) -> Result<HashSet<String>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .split('\n')
        .map(|w| w.strip_suffix('\r').unwrap_or(w).to_string())
        .collect())
}

/// The course's cleaning of one line into words, with `String`s (the
/// reference the fast path is tested against).
pub fn course_words(line: &str) -> Vec<String> {
    let cleaned: String = line
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_punctuation())
        .collect();
    cleaned
        .split(' ')
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The course's pipeline on a dataset of lines, step by step:
/// `flat_map` to words, drop stop words, `(word, 1)`, `reduce_by_key(+)`.
#[track_caller]
pub fn course_pipeline(
    lines: &Dataset<String>,
    stopwords: Arc<HashSet<String>>,
) -> Dataset<(String, u64)> {
    lines
        .flat_map(|line| course_words(&line))
        .filter(move |w| !stopwords.contains(w))
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
}

/// What each byte does in the cleaning: dropped, a word break, or kept
/// (lower-cased).
const DROP: i16 = -1;
const SPACE: i16 = -2;

const CLASS: [i16; 256] = {
    let mut t = [DROP; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c == b' ' {
            SPACE
        } else if c.is_ascii_punctuation() {
            DROP
        } else {
            c.to_ascii_lowercase() as i16
        };
        b += 1;
    }
    t
};

/// Calls `f` with each cleaned, lower-cased, non-empty word of `line`,
/// using `buf` as scratch space (no allocation once it has grown).
#[inline]
pub fn for_each_word(line: &[u8], buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    buf.clear();
    for &b in line {
        let class = CLASS[b as usize];
        if class >= 0 {
            buf.push(class as u8);
        } else if class == SPACE && !buf.is_empty() {
            f(buf);
            buf.clear();
        }
    }
    if !buf.is_empty() {
        f(buf);
    }
}

/// Marks stop words in the per-partition count table, so that one hash
/// lookup per word both filters and counts.
const STOP: u64 = u64::MAX;

/// The fast pipeline, same answer as [`course_pipeline`]: each partition is
/// tokenised in place into a hash map of byte-string counts (no allocation
/// per word, only per distinct word), whose entries then go through the
/// engine's `reduce_by_key` shuffle.
#[track_caller]
pub fn fast_pipeline(
    lines: &Dataset<String>,
    stopwords: Arc<HashSet<String>>,
) -> Dataset<(String, u64)> {
    lines
        .map_partitions(move |part| {
            let mut counts: FxHashMap<Box<[u8]>, u64> = FxHashMap::default();
            counts.reserve(1 << 15);
            for w in stopwords.iter() {
                counts.insert(w.as_bytes().into(), STOP);
            }
            let mut buf = Vec::with_capacity(64);
            for line in part {
                for_each_word(line.as_bytes(), &mut buf, |word| {
                    match counts.get_mut(word) {
                        Some(c) => {
                            if *c != STOP {
                                *c += 1
                            }
                        }
                        None => {
                            counts.insert(word.into(), 1);
                        }
                    }
                });
            }
            counts
                .into_iter()
                .filter(|&(_, c)| c != STOP)
                .map(|(w, c)| {
                    // Cleaned words are ASCII, hence valid UTF-8.
                    (String::from_utf8_lossy(&w).into_owned(), c)
                })
        })
        .reduce_by_key(|a, b| a + b)
}

/// The `k` most frequent words, most frequent first, ties alphabetical.
#[track_caller]
pub fn top_words(counts: &Dataset<(String, u64)>, k: usize) -> Result<Vec<(String, u64)>> {
    counts.take_ordered(k, |(w, c)| (std::cmp::Reverse(*c), w.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast_words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        for_each_word(line.as_bytes(), &mut buf, |w| {
            out.push(String::from_utf8(w.to_vec()).unwrap())
        });
        out
    }

    #[test]
    fn cleaning_matches_the_course() {
        for line in [
            "MOBY DICK;",
            "or, THE WHALE",
            "  Call me Ishmael.  Some years ago--never mind",
            "caf\u{e9} na\u{ef}ve \u{2014}dash\u{2014}ed don't",
            "tab\there, \u{feff}bom",
            "",
            "!!! ???",
        ] {
            assert_eq!(fast_words(line), course_words(line), "{line:?}");
        }
        assert_eq!(course_words("MOBY DICK;"), ["moby", "dick"]);
        assert_eq!(course_words("don't caf\u{e9}"), ["dont", "caf"]);
    }
}
