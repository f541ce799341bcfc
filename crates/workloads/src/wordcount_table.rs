//! The per-partition table of word counts of the fast word count. A word of
//! up to 15 bytes (nearly every word of prose) is its own 16-byte key: its
//! bytes, the space that ends it, and zeros; a lookup is a few integer
//! operations on one 16-byte load, one multiply-hash, one 32-byte slot (open
//! addressing, linear probing) and one 128-bit compare, with no allocation
//! per word. Longer words go to an ordinary hash map. Stop words are entries
//! too, marked, so that one lookup per word both filters and counts.

use rustc_hash::FxHashMap;

use crate::wordcount_clean::{is_cleaned_word, SEP};
#[cfg(target_arch = "x86_64")]
use crate::wordcount_scan::Avx512;
use crate::wordcount_scan::{Portable, Scanner, WordKernels};

/// The mark of a stop word in a count (its top bit): stop words are counted
/// like the others, so that one lookup, with no branch on the mark, both
/// filters and counts, and the mark is looked at only when the counts are
/// read.
const STOP: u64 = 1 << 63;

/// The longest word held inline in a key (the key also holds the space
/// after the word).
const INLINE: usize = 15;

/// Slots of a new table: Moby Dick's ~20,500 distinct words and the stop
/// words fit under the growth threshold (70%) in 32,768 slots (1 MiB, in L2
/// cache); table loads are most of the cost per word.
const INITIAL_SLOTS: usize = 1 << 15;

/// One slot: a key (0 for a vacant slot, since a key holds a space) and
/// its count; 32 bytes, two to a cache line.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    key: u128,
    count: u64,
}

impl Slot {
    /// A slot holding no word.
    const VACANT: Slot = Slot { key: 0, count: 0 };
}

/// [`SEP`] in every byte.
const SEPS: u128 = u128::from_le_bytes([SEP; 16]);
/// 0x01 in every byte.
const ONES: u128 = u128::from_le_bytes([0x01; 16]);
/// 0x80 in every byte.
const HIGHS: u128 = u128::from_le_bytes([0x80; 16]);

/// The key of the word at the start of `bytes` (a cleaned word: bytes below
/// 0x80, none of them [`SEP`], ended by a [`SEP`]): its bytes, the [`SEP`]
/// after it and zeros; `None` if the word is longer than [`INLINE`] (no
/// [`SEP`] in the first 16 bytes).
///
/// Bytes that are [`SEP`] become 0 under `^ SEPS`; subtracting 1 from every
/// byte then sets the high bit of the first of them (bytes before it are
/// 0x01 to 0x7f and borrow nothing), which marks where the key ends.
#[inline(always)]
pub(crate) fn key_at(bytes: &[u8; 16]) -> Option<u128> {
    let v = u128::from_le_bytes(*bytes);
    let end = (v ^ SEPS).wrapping_sub(ONES) & HIGHS;
    // Bits up to the first SEP's high bit: the word and its SEP.
    (end != 0).then(|| v & (end ^ (end - 1)))
}

/// The key of a stop word given as text, if a cleaned word can equal it
/// and it is inline.
fn stop_key(word: &[u8]) -> Option<u128> {
    if word.len() > INLINE || !is_cleaned_word(word) {
        return None;
    }
    let mut bytes = [0u8; 16];
    bytes[..word.len()].copy_from_slice(word);
    bytes[word.len()] = SEP;
    key_at(&bytes)
}

/// A key's hash: the two halves' folded 128-bit product (well mixed in its
/// top bits, which pick the slot). Every byte of the constants has its high
/// bit set, which no byte of a key has, so neither factor is ever zero.
#[inline(always)]
fn hash(key: u128) -> u64 {
    let (lo, hi) = (key as u64, (key >> 64) as u64);
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
    /// A table that knows `stopwords` (those no cleaned word can equal,
    /// such as the empty string or a word with capitals, are skipped).
    pub(crate) fn new<'a>(stopwords: impl IntoIterator<Item = &'a String>) -> Self {
        let mut table = WordTable {
            slots: vec![Slot::VACANT; INITIAL_SLOTS],
            shift: 64 - INITIAL_SLOTS.trailing_zeros(),
            used: 0,
            long: FxHashMap::default(),
            scanner: Scanner::default(),
        };
        for w in stopwords {
            let word = w.as_bytes();
            if word.len() > INLINE {
                if is_cleaned_word(word) {
                    table.long.insert(word.into(), STOP);
                }
                continue;
            }
            if let Some(key) = stop_key(word) {
                match table.find(key) {
                    Ok(i) => table.slots[i].count |= STOP,
                    Err(i) => table.insert(i, key, STOP),
                }
            }
        }
        table
    }

    /// The slot holding the key (`Ok`), or the vacant slot where it belongs
    /// (`Err`).
    #[inline(always)]
    fn find(&self, key: u128) -> Result<usize, usize> {
        self.find_from(key, (hash(key) >> self.shift) as usize)
    }

    /// [`find`](Self::find) from the key's home slot.
    #[inline(always)]
    fn find_from(&self, key: u128, home: usize) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = home;
        loop {
            let slot = &self.slots[i];
            if slot.key == key {
                return Ok(i);
            }
            if slot.key == 0 {
                return Err(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Counts the words starting in one 64-byte chunk of cleaned text (see
    /// `Scanner::words`). Each key is looked for in its home slot and the
    /// next, without a branch between them, and nearly always found there:
    /// a word found further on is moved nearer (see
    /// [`count_far`](Self::count_far)), so that the frequent words sit in
    /// those two slots and the one branch, which waits for the slot's load,
    /// is rarely mispredicted. The table's slice and shift are kept in
    /// locals (a store to a slot could otherwise be the table's own fields,
    /// to be read again), and read again after the cold paths, which may
    /// grow the table.
    #[inline(always)]
    fn count_chunk(&mut self, k: impl WordKernels, buf: &[u8], at: usize, mut starts: u64) {
        // Every word starting in the chunk has its first 16 bytes here.
        let window: &[u8; 64 + 16] = buf[at..at + 80].try_into().expect("slack after the text");
        let mut shift = self.shift;
        let mut slots = &mut self.slots[..];
        while starts != 0 {
            let s = starts.trailing_zeros() as usize;
            starts &= starts - 1;
            let first: &[u8; 16] = window[s..s + 16].try_into().expect("in the window");
            let Some(key) = k.key_at(first) else {
                self.count_long(&buf[at + s..]);
                (shift, slots) = (self.shift, &mut self.slots[..]);
                continue;
            };
            let mask = slots.len() - 1;
            let home = (hash(key) >> shift) as usize;
            let i = (home + (slots[home].key != key) as usize) & mask;
            let slot = &mut slots[i];
            if slot.key == key {
                slot.count += 1;
            } else {
                self.count_far(key, home);
                (shift, slots) = (self.shift, &mut self.slots[..]);
            }
        }
    }

    /// Counts `key`, in neither its home slot nor the next: further along
    /// its probe sequence, or new. A word found further along swaps places
    /// with the less frequent of the words in those two slots, if it is more
    /// frequent: both stay findable, since linear probing only needs the
    /// slots between a key's home and its place to be occupied, and the
    /// two slots lie between the found word's home and its place, and
    /// after the displaced word's home.
    #[cold]
    #[inline(never)]
    fn count_far(&mut self, key: u128, home: usize) {
        let i = match self.find_from(key, home) {
            Ok(i) => i,
            Err(i) => return self.insert(i, key, 1),
        };
        self.slots[i].count += 1;
        let mask = self.slots.len() - 1;
        let next = (home + 1) & mask;
        let occurrences = |s: &Slot| s.count & !STOP;
        let nearer = match occurrences(&self.slots[home]) <= occurrences(&self.slots[next]) {
            true => home,
            false => next,
        };
        if occurrences(&self.slots[i]) > occurrences(&self.slots[nearer]) {
            self.slots.swap(i, nearer);
        }
    }

    /// Counts the word at the start of `text` (ended by a [`SEP`]), longer
    /// than [`INLINE`] bytes.
    #[cold]
    fn count_long(&mut self, text: &[u8]) {
        let n = text
            .iter()
            .position(|&b| b == SEP)
            .expect("a SEP ends each word");
        let word = &text[..n];
        match self.long.get_mut(word) {
            Some(c) => *c += 1,
            None => {
                self.long.insert(word.into(), 1);
            }
        }
    }

    /// Counts every word of `text`: the scanner and the per-word lookup
    /// compiled into one loop, for AVX-512 (and BMI2's shifts) where the CPU
    /// has it.
    pub(crate) fn count_words(&mut self, text: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(k) = Avx512::detect() {
            // SAFETY: `detect` found every feature the function is compiled for.
            return unsafe { self.count_words_avx512(k, text) };
        }
        self.count_words_with(Portable, text);
    }

    /// [`count_words_with`](Self::count_words_with) compiled for the CPUs
    /// that [`Avx512::detect`] finds.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(
        enable = "avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi1,bmi2,lzcnt,popcnt"
    )]
    fn count_words_avx512(&mut self, k: Avx512, text: &[u8]) {
        self.count_words_with(k, text);
    }

    /// Counts every word of `text`, finding spaces with `k`.
    #[inline(always)]
    fn count_words_with(&mut self, k: impl WordKernels, text: &[u8]) {
        let mut scanner = std::mem::take(&mut self.scanner);
        scanner.words(k, text, |buf, at, starts| {
            self.count_chunk(k, buf, at, starts)
        });
        self.scanner = scanner;
    }

    #[cold]
    fn insert(&mut self, i: usize, key: u128, count: u64) {
        self.slots[i] = Slot { key, count };
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
        for slot in old.into_iter().filter(|s| s.key != 0) {
            if let Err(i) = self.find(slot.key) {
                self.slots[i] = slot;
            }
        }
    }

    /// The counted words (stop words left out).
    pub(crate) fn into_counts(self) -> impl Iterator<Item = (String, u64)> {
        let inline = self
            .slots
            .into_iter()
            .filter(|s| s.key != 0 && s.count & STOP == 0)
            .map(|s| {
                let bytes = s.key.to_le_bytes();
                let n = bytes
                    .iter()
                    .position(|&b| b == SEP)
                    .expect("a key holds its SEP");
                (bytes[..n].to_vec(), s.count)
            });
        let long = self
            .long
            .into_iter()
            .filter(|(_, c)| *c & STOP == 0)
            .map(|(w, c)| (w.into_vec(), c));
        // Cleaned words are ASCII, hence valid UTF-8.
        inline.chain(long).map(|(w, c)| {
            let word = String::from_utf8(w)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (word, c)
        })
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

    /// The course's counts of `text` read as `text_file` reads it (invalid
    /// UTF-8 replaced, lines ending at LF, CR or CRLF), stop words left out.
    fn reference(text: &[u8], stop: &[String]) -> Vec<(String, u64)> {
        let stop: std::collections::HashSet<&str> = stop.iter().map(|s| s.as_str()).collect();
        let mut counts = std::collections::HashMap::new();
        for line in String::from_utf8_lossy(text).split(['\n', '\r']) {
            for w in crate::wordcount_clean::course_words(line) {
                if !stop.contains(w.as_str()) {
                    *counts.entry(w).or_insert(0u64) += 1;
                }
            }
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort();
        v
    }

    /// The table's counts, checked to be the same whichever way spaces are
    /// found (this CPU's fastest, and the portable one).
    fn table_counts(text: &[u8], stop: &[String]) -> Vec<(String, u64)> {
        let sorted = |t: WordTable| {
            let mut v: Vec<_> = t.into_counts().collect();
            v.sort();
            v
        };
        let mut fastest = WordTable::new(stop);
        fastest.count_words(text);
        let mut portable = WordTable::new(stop);
        portable.count_words_with(Portable, text);
        let v = sorted(fastest);
        assert_eq!(v, sorted(portable));
        v
    }

    #[test]
    fn hostile_text_counts_as_the_course_counts_it() {
        use runtime::rng::RngCore;
        let mut rng = runtime::rng::seeded(41);
        let pieces: &[&[u8]] = &[
            b"the",
            b"The",
            b"THE",
            b"a",
            b"whale",
            b"Whale's",
            b"ab",
            b"ab\0",
            b"\0",
            b" ",
            b"  ",
            b"\n",
            b"\r\n",
            b"\r",
            b"\t",
            b",",
            b"--",
            b"'",
            b"\x80",
            b"\xff",
            b"\xe2\x80\x94",
            b"caf\xc3\xa9",
            b"\xc3",
            b"fifteen-letters",
            b"abcdefghijklmno",
            b"abcdefghijklmnop",
            b"abcdefghijklmnopq",
            b"x",
            b"y",
            b"zz",
            b"new york",
        ];
        let stop: Vec<String> = [
            "the",
            "a",
            "",
            "x",
            "New",
            "new york",
            "it's",
            "abcdefghijklmnopq",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for len in [0, 1, 15, 16, 17, 63, 64, 65, 1000, 20_000, 70_000, 700_000] {
            for round in 0..3 {
                let mut text = Vec::new();
                while text.len() < len {
                    let p = pieces[(rng.next_u64() % pieces.len() as u64) as usize];
                    text.extend_from_slice(p);
                    // Distinct words now and then: the table grows, and
                    // words move nearer their home slots as counts change.
                    if rng.next_u64().is_multiple_of(4) {
                        text.extend_from_slice(format!("w{}", rng.next_u64() % 200_000).as_bytes());
                    }
                }
                if round == 2 {
                    // One word far longer than a segment.
                    let at = text.len() / 2;
                    let long: Vec<u8> = (0..50_000).map(|i| b"Qq.'"[i % 4]).collect();
                    text.splice(at..at, long);
                }
                assert_eq!(
                    table_counts(&text, &stop),
                    reference(&text, &stop),
                    "{len} bytes, round {round}"
                );
            }
        }
    }

    #[test]
    fn a_frequent_word_moves_next_to_its_home_and_every_word_stays_findable() {
        let table = WordTable::new(&[]);
        // Four words with the same home slot: the first two take it and the
        // next, the others are placed further along.
        let mut by_home = std::collections::HashMap::<usize, Vec<String>>::new();
        let words = (0..).map(|i| format!("w{i}")).find_map(|w| {
            let key = stop_key(w.as_bytes()).unwrap();
            let same = by_home
                .entry((hash(key) >> table.shift) as usize)
                .or_default();
            same.push(w);
            (same.len() == 4).then(|| same.clone())
        });
        let words = words.unwrap();
        let home = (hash(stop_key(words[0].as_bytes()).unwrap()) >> table.shift) as usize;
        let mut text = format!("{} {} {} {} ", words[0], words[1], words[2], words[3]);
        text.push_str(&format!("{} ", words[3]).repeat(5));
        text.push_str(&format!("{} ", words[2]).repeat(3));
        let mut t = WordTable::new(&[]);
        t.count_words(text.as_bytes());
        let at = |w: &str| t.find(stop_key(w.as_bytes()).unwrap()).unwrap();
        assert!([home, home + 1].contains(&at(&words[3])), "{words:?}");
        assert!([home, home + 1].contains(&at(&words[2])), "{words:?}");
        let got = table_counts(text.as_bytes(), &[]);
        assert_eq!(got, reference(text.as_bytes(), &[]));
        assert_eq!(got.iter().map(|(_, c)| c).sum::<u64>(), 12);
    }

    #[test]
    fn words_of_every_length_and_every_kept_byte_are_their_own_keys() {
        let kept: Vec<u8> = (0..0x80u8).filter(|&b| is_cleaned_word(&[b])).collect();
        let mut text = Vec::new();
        for n in 1..=40 {
            for (i, _) in kept.iter().enumerate() {
                let word: Vec<u8> = (0..n).map(|k| kept[(i + k) % kept.len()]).collect();
                text.extend_from_slice(&word);
                text.push(b' ');
                text.extend_from_slice(&word[..n - 1]);
                text.push(b'\n');
            }
        }
        let stop = vec!["b".to_string(), "\0".to_string()];
        assert_eq!(table_counts(&text, &stop), reference(&text, &stop));
    }
}
