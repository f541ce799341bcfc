//! The per-partition table of word counts of the fast word count. A word of
//! up to 15 bytes (nearly every word of prose) is its own 16-byte key: its
//! bytes, zero-padded, and its length in the last byte; a lookup is one
//! multiply-hash, one 32-byte slot (open addressing, linear probing) and two
//! integer compares, with no allocation per word. Longer words go to an
//! ordinary hash map. Stop words are entries too, marked, so that one lookup
//! per word both filters and counts.

use rustc_hash::FxHashMap;

use crate::wordcount_clean::SLACK;
use crate::wordcount_scan::Scanner;

/// The count of a stop word: one lookup both filters and counts.
const STOP: u64 = u64::MAX;

/// The longest word held inline in a key (the key's last byte is the length).
const INLINE: usize = 15;

/// Slots of a new table: Moby Dick's ~20,500 distinct words and the stop
/// words fit under the growth threshold (70%) in 32,768 slots (1 MiB, in L2
/// cache); table loads are most of the cost per word.
const INITIAL_SLOTS: usize = 1 << 15;

/// One slot: a key (`hi == 0` for a vacant slot, since a key's `hi` holds
/// its length, at least 1) and its count; 32 bytes, two to a cache line.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    lo: u64,
    hi: u64,
    count: u64,
}

impl Slot {
    /// A slot holding no word.
    const VACANT: Slot = Slot {
        lo: 0,
        hi: 0,
        count: 0,
    };
}

/// Masks keeping the first `n` bytes of a little-endian 16-byte load, as
/// (bytes 0..8, bytes 8..16), for `n` in 0..=15: a table lookup rather than
/// a branch on the (unpredictable) word length.
const MASKS: [(u64, u64); INLINE + 1] = {
    let mut t = [(0u64, 0u64); INLINE + 1];
    let mut n = 0;
    while n <= INLINE {
        let low = if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        let high = if n <= 8 {
            0
        } else {
            (1u64 << (8 * (n - 8))) - 1
        };
        t[n] = (low, high);
        n += 1;
    }
    t
};

/// The key of `padded[..n]`, `n <= INLINE`, read as two `u64`s.
#[inline(always)]
fn key_of(padded: &[u8], n: usize) -> (u64, u64) {
    let lo = u64::from_le_bytes(padded[..8].try_into().expect("16 readable bytes"));
    let hi = u64::from_le_bytes(padded[8..16].try_into().expect("16 readable bytes"));
    let (ml, mh) = MASKS[n];
    (lo & ml, (hi & mh) | (n as u64) << 56)
}

/// A key's hash: the two halves' folded 128-bit product (well mixed in its
/// top bits, which pick the slot). Every byte of the constants has its high
/// bit set, which no byte of a key's `lo` nor its length byte has, so
/// neither factor is ever zero.
#[inline(always)]
fn hash(lo: u64, hi: u64) -> u64 {
    let m = u128::from(lo ^ 0x9fb2_1c65_1e98_df25) * u128::from(hi ^ 0xc6a4_a793_5bd1_e995);
    (m as u64) ^ ((m >> 64) as u64)
}

/// Word counts of one partition, stop words left out.
pub(crate) struct WordTable {
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`: a key's home slot is its hash's top bits.
    shift: u32,
    used: usize,
    /// Words longer than [`INLINE`] bytes.
    long: FxHashMap<Box<[u8]>, u64>,
    scanner: Scanner,
}

impl WordTable {
    /// A table that knows `stopwords` (the empty string, never a word, is
    /// skipped).
    pub(crate) fn new<'a>(stopwords: impl IntoIterator<Item = &'a String>) -> Self {
        let mut table = WordTable {
            slots: vec![Slot::VACANT; INITIAL_SLOTS],
            shift: 64 - INITIAL_SLOTS.trailing_zeros(),
            used: 0,
            long: FxHashMap::default(),
            scanner: Scanner::default(),
        };
        for w in stopwords.into_iter().filter(|w| !w.is_empty()) {
            let word = w.as_bytes();
            if word.len() > INLINE {
                table.long.insert(word.into(), STOP);
                continue;
            }
            let mut padded = word.to_vec();
            padded.resize(word.len() + SLACK, 0);
            let (lo, hi) = key_of(&padded, word.len());
            match table.find(lo, hi) {
                Ok(i) => table.slots[i].count = STOP,
                Err(i) => table.insert(i, lo, hi, STOP),
            }
        }
        table
    }

    /// The slot holding the key (`Ok`), or the vacant slot where it belongs
    /// (`Err`).
    #[inline(always)]
    fn find(&self, lo: u64, hi: u64) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = (hash(lo, hi) >> self.shift) as usize;
        loop {
            let slot = &self.slots[i];
            if slot.lo == lo && slot.hi == hi {
                return Ok(i);
            }
            if slot.hi == 0 {
                return Err(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Counts one occurrence of `padded[..n]` (`padded` has 16 readable
    /// bytes past the word's start), unless it is a stop word.
    #[inline(always)]
    fn count(&mut self, padded: &[u8], n: usize) {
        if n > INLINE {
            return self.count_long(&padded[..n]);
        }
        let (lo, hi) = key_of(padded, n);
        match self.find(lo, hi) {
            Ok(i) => {
                let slot = &mut self.slots[i];
                // Half of all words are stop words: no branch on it.
                slot.count += (slot.count != STOP) as u64;
            }
            Err(i) => self.insert(i, lo, hi, 1),
        }
    }

    /// Counts a word longer than [`INLINE`] bytes.
    #[cold]
    fn count_long(&mut self, word: &[u8]) {
        match self.long.get_mut(word) {
            Some(c) => *c += (*c != STOP) as u64,
            None => {
                self.long.insert(word.into(), 1);
            }
        }
    }

    /// Counts every word of `text` (one non-generic function, so that the
    /// scanner and the per-word lookup are compiled into one loop).
    #[inline(never)]
    pub(crate) fn count_words(&mut self, text: &[u8]) {
        let mut scanner = std::mem::take(&mut self.scanner);
        scanner.batches(text, |buf, bounds| self.count_batch(buf, bounds));
        self.scanner = scanner;
    }

    /// Counts a batch of words (word `k` is `buf[bounds[2k]..bounds[2k + 1]]`).
    /// No prefetching of later words' slots: the frequent words' slots stay
    /// in cache, and a key computed twice costs more than the misses it
    /// would hide.
    #[inline(always)]
    fn count_batch(&mut self, buf: &[u8], bounds: &[usize]) {
        for pair in bounds.chunks_exact(2) {
            self.count(&buf[pair[0]..], pair[1] - pair[0]);
        }
    }

    #[cold]
    fn insert(&mut self, i: usize, lo: u64, hi: u64, count: u64) {
        self.slots[i] = Slot { lo, hi, count };
        self.used += 1;
        // Past 70% full, linear probing's misses grow long.
        if 10 * self.used > 7 * self.slots.len() {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let bigger = vec![Slot::VACANT; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, bigger);
        self.shift -= 1;
        for slot in old.into_iter().filter(|s| s.hi != 0) {
            if let Err(i) = self.find(slot.lo, slot.hi) {
                self.slots[i] = slot;
            }
        }
    }

    /// The counted words (stop words left out).
    pub(crate) fn into_counts(self) -> impl Iterator<Item = (String, u64)> {
        let inline = self
            .slots
            .into_iter()
            .filter(|s| s.hi != 0 && s.count != STOP)
            .map(|s| {
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&s.lo.to_le_bytes());
                bytes[8..].copy_from_slice(&s.hi.to_le_bytes());
                let n = (s.hi >> 56) as usize;
                (bytes[..n].to_vec(), s.count)
            });
        let long = self
            .long
            .into_iter()
            .filter(|(_, c)| *c != STOP)
            .map(|(w, c)| (w.into_vec(), c));
        // Cleaned words are ASCII, hence valid UTF-8.
        inline
            .chain(long)
            .map(|(w, c)| (String::from_utf8_lossy(&w).into_owned(), c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str, stop: &[&str]) -> Vec<(String, u64)> {
        let stop: Vec<String> = stop.iter().map(|s| s.to_string()).collect();
        let mut t = WordTable::new(&stop);
        t.count_words(text.as_bytes());
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
