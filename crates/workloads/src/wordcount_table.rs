//! The per-partition table of word counts of the fast word count: an
//! open-addressing hash table specialised for short byte strings, with no
//! allocation per word and one cache line per probe. Stop words are entries
//! too, marked, so that one lookup per word both filters and counts.

use std::hash::Hasher;

use rustc_hash::FxHasher;

use crate::wordcount_clean::{tokenize, SLACK};

/// The count of a stop word: one lookup both filters and counts.
const STOP: u64 = u64::MAX;

/// The `len` of a vacant slot.
const EMPTY: u32 = u32::MAX;

/// One slot: the first 16 bytes of the word inline (so most words compare
/// in two integer comparisons), the rest in an arena.
#[derive(Clone, Copy)]
struct Slot {
    head: u128,
    len: u32,
    /// Arena offset of the whole word, for words longer than 16 bytes.
    start: u32,
    count: u64,
}

impl Slot {
    /// A slot holding no word.
    const VACANT: Slot = Slot {
        head: 0,
        len: EMPTY,
        start: 0,
        count: 0,
    };
}

/// Word counts of one partition, stop words left out.
pub(crate) struct WordTable {
    slots: Vec<Slot>,
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
    /// A table that knows `stopwords` (the empty string, never a word, is
    /// skipped).
    pub(crate) fn new<'a>(stopwords: impl IntoIterator<Item = &'a String>) -> Self {
        let mut table = WordTable {
            slots: vec![Slot::VACANT; 1 << 15],
            used: 0,
            arena: Vec::new(),
        };
        for w in stopwords.into_iter().filter(|w| !w.is_empty()) {
            let mut padded = w.as_bytes().to_vec();
            padded.extend_from_slice(&[0; SLACK]);
            let head = Self::head_of(&padded, w.len());
            match table.find(head, &padded, w.len()) {
                Ok(i) => table.slots[i].count = STOP,
                Err(i) => table.insert(i, head, &padded, w.len(), STOP),
            }
        }
        table
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

    /// The home slot of a word given its head and (for words longer than 16
    /// bytes) its bytes. FxHasher's well-mixed bits are the low ones of
    /// `finish`, so the index is taken from those.
    #[inline(always)]
    fn home(&self, head: u128, word: &[u8], n: usize) -> usize {
        let mut h = FxHasher::default();
        h.write_u128(head);
        if n > 16 {
            h.write(&word[16..n]);
        }
        h.finish() as usize & (self.slots.len() - 1)
    }

    /// The slot holding `padded[..n]` (`Ok`), or the vacant slot where it
    /// belongs (`Err`).
    #[inline(always)]
    fn find(&self, head: u128, padded: &[u8], n: usize) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(head, padded, n);
        loop {
            let slot = &self.slots[i];
            if slot.head == head
                && slot.len as usize == n
                && (n <= 16 || self.arena[slot.start as usize..][..n] == padded[..n])
            {
                return Ok(i);
            }
            if slot.len == EMPTY {
                return Err(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Counts one occurrence of `padded[..n]`, unless it is a stop word.
    #[inline(always)]
    fn count(&mut self, padded: &[u8], n: usize) {
        let head = Self::head_of(padded, n);
        match self.find(head, padded, n) {
            Ok(i) => {
                let slot = &mut self.slots[i];
                // Half of all words are stop words: no branch on it.
                slot.count += (slot.count != STOP) as u64;
            }
            Err(i) => self.insert(i, head, padded, n, 1),
        }
    }

    /// Counts every word of `text`, with `buf` as the tokeniser's scratch
    /// space (one non-generic function, so that the tokeniser and the
    /// per-word lookup are compiled into one loop).
    #[inline(never)]
    pub(crate) fn count_words(&mut self, text: &[u8], buf: &mut Vec<u8>) {
        tokenize(text, buf, |padded, n| self.count(padded, n));
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
        // words then fit 32,768 slots (1 MiB) rather than twice that, and
        // table loads (cache misses) are most of the cost per word; linear
        // probing still averages under 2 probes per hit at 70%.
        if 10 * self.used > 7 * self.slots.len() {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let bigger = vec![Slot::VACANT; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, bigger);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.len != EMPTY) {
            let word = if slot.len > 16 {
                &self.arena[slot.start as usize..][..slot.len as usize]
            } else {
                &[]
            };
            let mut i = self.home(slot.head, word, slot.len as usize);
            while self.slots[i].len != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// The counted words (stop words left out).
    pub(crate) fn into_counts(self) -> impl Iterator<Item = (String, u64)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str, stop: &[&str]) -> Vec<(String, u64)> {
        let stop: Vec<String> = stop.iter().map(|s| s.to_string()).collect();
        let mut t = WordTable::new(&stop);
        t.count_words(text.as_bytes(), &mut Vec::new());
        let mut v: Vec<_> = t.into_counts().collect();
        v.sort();
        v
    }

    #[test]
    fn counts_short_and_long_words_and_skips_stop_words() {
        let long = "a".repeat(40);
        let longer = format!("{long}b");
        let text = format!("the whale {long} Whale {longer} the {long} ab\0 ab");
        let got = counts(&text, &["the", ""]);
        let want = [
            (long.clone(), 2),
            (longer, 1),
            ("ab".to_string(), 1),
            ("ab\0".to_string(), 1),
            ("whale".to_string(), 2),
        ];
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn growing_keeps_every_count() {
        let text: String = (0..100_000).map(|i| format!("w{} ", i % 40_000)).collect();
        let got = counts(&text, &["w7"]);
        assert_eq!(got.len(), 39_999);
        assert!(got.iter().all(|(w, c)| *c
            == if w[1..].parse::<u32>().unwrap() < 20_000 {
                3
            } else {
                2
            }));
    }
}
