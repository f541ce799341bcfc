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
/// (lower-cased). Kept bytes are their own value (< 0x100), so that every
/// byte, NUL included, has a distinct code.
const DROP: u16 = 0x100;
const SPACE: u16 = 0x200;

const CLASS: [u16; 256] = {
    let mut t = [DROP; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        // Line ends separate words too, so blocks of lines can be scanned
        // whole (`text_file_blocks`); a single line never contains them.
        t[b] = if c == b' ' || c == b'\n' || c == b'\r' {
            SPACE
        } else if c.is_ascii_punctuation() {
            DROP
        } else {
            c.to_ascii_lowercase() as u16
        };
        b += 1;
    }
    t
};

/// Bytes of slack the tokeniser keeps after each word, so that a word's
/// first 16 bytes can be loaded as two `u64`s without bounds trouble.
const SLACK: usize = 16;

/// Cleans `line` into `buf` word by word and calls `f(padded, n)` for each
/// non-empty word, where the word is `padded[..n]` and `padded` has at least
/// `n + SLACK` bytes (the bytes past `n` are garbage).
///
/// The loop is branch-free except at spaces: every byte is stored, and the
/// word length only advances for kept bytes.
#[inline(always)]
fn tokenize(line: &[u8], buf: &mut Vec<u8>, mut f: impl FnMut(&[u8], usize)) {
    if buf.len() < line.len() + SLACK {
        buf.resize(line.len() + SLACK, 0);
    }
    let out = &mut buf[..];
    let mut n = 0;
    for &b in line {
        let class = CLASS[b as usize];
        if class == SPACE {
            if n > 0 {
                f(out, n);
                n = 0;
            }
            continue;
        }
        out[n] = class as u8;
        n += (class < DROP) as usize;
    }
    if n > 0 {
        f(out, n);
    }
}

/// Calls `f` with each cleaned, lower-cased, non-empty word of `line`,
/// using `buf` as scratch space (no allocation once it has grown).
pub fn for_each_word(line: &[u8], buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    tokenize(line, buf, |padded, n| f(&padded[..n]));
}

/// Marks stop words in the per-partition count table, so that one hash
/// lookup per word both filters and counts.
const STOP: u64 = u64::MAX;

/// One slot of [`WordTable`]: the first 16 bytes of the word inline (so most
/// words compare in two integer comparisons), the rest in an arena.
#[derive(Clone, Copy)]
struct Slot {
    head: u128,
    len: u32,
    /// Arena offset of the whole word, for words longer than 16 bytes.
    start: u32,
    count: u64,
}

const EMPTY: u32 = u32::MAX;

impl Slot {
    /// A slot holding no word.
    const VACANT: Slot = Slot {
        head: 0,
        len: EMPTY,
        start: 0,
        count: 0,
    };
}

/// An open-addressing hash table of word counts specialised for short byte
/// strings: no allocation per word, one cache line per probe.
struct WordTable {
    slots: Vec<Slot>,
    shift: u32,
    used: usize,
    arena: Vec<u8>,
}

/// The low `n` bytes of `x`, for `n` in 0..=8, without a branch (word
/// lengths are unpredictable, so a branch here would mispredict often).
#[inline(always)]
fn low_bytes(x: u64, n: usize) -> u64 {
    let k = n.min(8) as u32;
    // (1 << 8k) - 1 in two half shifts, so that k = 8 needs no 64-bit shift.
    x & ((1u64 << (4 * k)) << (4 * k)).wrapping_sub(1)
}

impl WordTable {
    fn new() -> Self {
        let bits = 15;
        WordTable {
            slots: vec![Slot::VACANT; 1 << bits],
            shift: 64 - bits,
            used: 0,
            arena: Vec::new(),
        }
    }

    /// The word's first 16 bytes, zero-padded, read from the buffer.
    #[inline(always)]
    fn head_of(padded: &[u8], n: usize) -> u128 {
        let a = low_bytes(u64::from_le_bytes(padded[..8].try_into().unwrap()), n);
        let b = low_bytes(
            u64::from_le_bytes(padded[8..16].try_into().unwrap()),
            n.saturating_sub(8),
        );
        a as u128 | (b as u128) << 64
    }

    /// The hash of a word given its head and (for long words) its bytes.
    #[inline(always)]
    fn hash(head: u128, padded: &[u8], n: usize) -> u64 {
        let (a, b) = (head as u64, (head >> 64) as u64);
        let mut h = (a ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= b.wrapping_add(n as u64).wrapping_mul(0x94D0_49BB_1331_11EB);
        if n > 16 {
            // Long words: mix in the rest (rare in prose).
            for chunk in padded[16..n].chunks(8) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            }
        }
        h ^ (h >> 31)
    }

    /// Counts one occurrence of `padded[..n]`, unless it is a stop word.
    #[inline(always)]
    fn count(&mut self, padded: &[u8], n: usize) {
        let head = Self::head_of(padded, n);
        let h = Self::hash(head, padded, n);
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let slot = &mut self.slots[i];
            if slot.head == head
                && slot.len as usize == n
                && (n <= 16 || self.arena[slot.start as usize..][..n] == padded[..n])
            {
                // Half of all words are stop words: no branch on it.
                slot.count += (slot.count != STOP) as u64;
                return;
            }
            if slot.len == EMPTY {
                self.insert(i, head, padded, n, 1);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Counts every word of `text` (one non-generic function, so that the
    /// tokeniser and the per-word lookup are compiled into one loop).
    #[inline(never)]
    fn count_words(&mut self, text: &[u8], buf: &mut Vec<u8>) {
        tokenize(text, buf, |padded, n| self.count(padded, n));
    }

    /// Marks `padded[..n]` as a stop word.
    fn add_stop(&mut self, padded: &[u8], n: usize) {
        let head = Self::head_of(padded, n);
        let h = Self::hash(head, padded, n);
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let slot = &mut self.slots[i];
            if slot.len == EMPTY {
                self.insert(i, head, padded, n, STOP);
                return;
            }
            if slot.head == head
                && slot.len as usize == n
                && (n <= 16 || self.arena[slot.start as usize..][..n] == padded[..n])
            {
                slot.count = STOP;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn insert(&mut self, i: usize, head: u128, padded: &[u8], n: usize, count: u64) {
        let start = if n > 16 {
            let s = self.arena.len() as u32;
            self.arena.extend_from_slice(&padded[..n]);
            s
        } else {
            0
        };
        self.slots[i] = Slot {
            head,
            len: n as u32,
            start,
            count,
        };
        self.used += 1;
        // Grow past 70% full: Moby Dick's ~20,500 distinct words and stop
        // words then fit 32,768 slots (1 MiB, half of L2) instead of 2 MiB,
        // and table loads (cache misses) are most of the cost per word;
        // linear probing still averages < 2 probes per hit at 70%.
        if 10 * self.used > 7 * self.slots.len() {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let bits = 64 - self.shift + 1;
        self.shift = 64 - bits;
        self.slots = vec![Slot::VACANT; 1 << bits];
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.len != EMPTY) {
            let h = if slot.len > 16 {
                let word = &self.arena[slot.start as usize..][..slot.len as usize];
                Self::hash(slot.head, word, slot.len as usize)
            } else {
                Self::hash(slot.head, &[], slot.len as usize)
            };
            let mut i = (h >> self.shift) as usize;
            while self.slots[i].len != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// The counted words (stop words left out).
    fn into_counts(self) -> impl Iterator<Item = (String, u64)> {
        let arena = self.arena;
        self.slots
            .into_iter()
            .filter(|s| s.len != EMPTY && s.count != STOP)
            .map(move |s| {
                let n = s.len as usize;
                let bytes: Vec<u8> = if n > 16 {
                    arena[s.start as usize..][..n].to_vec()
                } else {
                    let mut b = s.head.to_le_bytes().to_vec();
                    b.truncate(n);
                    b
                };
                // Cleaned words are ASCII, hence valid UTF-8.
                (String::from_utf8_lossy(&bytes).into_owned(), s.count)
            })
    }
}

/// The fast pipeline, same answer as [`course_pipeline`], on a dataset of
/// lines ([`Context::text_file`](crate::Context::text_file)) or of blocks of
/// lines ([`Context::text_file_blocks`](crate::Context::text_file_blocks),
/// faster: line ends separate words like spaces). Each partition is
/// tokenised in place into a table of byte-string counts (no allocation per
/// word, only per distinct word), whose entries then go through the
/// engine's `reduce_by_key` shuffle.
#[track_caller]
pub fn fast_pipeline(
    lines: &Dataset<String>,
    stopwords: Arc<HashSet<String>>,
) -> Dataset<(String, u64)> {
    lines
        .map_partitions(move |part| {
            let mut table = WordTable::new();
            for w in stopwords.iter().filter(|w| !w.is_empty()) {
                let mut padded = w.as_bytes().to_vec();
                padded.extend_from_slice(&[0; SLACK]);
                table.add_stop(&padded, w.len());
            }
            let mut buf = Vec::with_capacity(1 << 12);
            for line in part {
                table.count_words(line.as_bytes(), &mut buf);
            }
            table.into_counts()
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
