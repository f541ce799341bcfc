//! The fast word count's scanner: a text is cut into segments at separator
//! bytes (a space or a line end), each segment is cleaned into a buffer (the
//! course's cleaning, see `wordcount_clean`: kept bytes lower-cased,
//! separators made spaces, dropped bytes removed), and the words of the
//! cleaned segment are found by their first bytes, from a bit mask of its
//! spaces 64 bytes at a time. A word's end is found by whoever reads it (the
//! table loads a word's first 16 bytes anyway), so nothing is stored per
//! word.
//!
//! Cleaning uses AVX-512 VBMI2's byte compression where the CPU has it (64
//! bytes by a table lookup, a mask and one compress), else a branch-free
//! byte loop; both give the same bytes.

use crate::wordcount_clean::{clean, CLEAN_SLACK, SEP};

/// Input bytes cleaned and scanned at a time: the cleaned segment stays in
/// L1 cache while its words are counted. A segment ends at a separator, so
/// no word crosses two segments; a word longer than this makes its segment
/// longer (cleaned a piece at a time, so the buffer holds only its kept
/// bytes).
const SEGMENT: usize = 16 << 10;

/// Bytes readable past the end of the cleaned text: the space mask reads
/// whole 64-byte chunks, and the first 16 bytes of a chunk's words are
/// loaded whole (so 80 bytes from a chunk's start).
pub(crate) const WORD_SLACK: usize = 80;

/// The reusable buffer of the scanner.
#[derive(Default)]
pub(crate) struct Scanner {
    /// The cleaned text of the current segment, a [`SEP`] after it, and slack.
    clean: Vec<u8>,
}

/// Whether `b` separates words in the raw text (what the cleaning makes [`SEP`]).
#[inline(always)]
fn separates(b: u8) -> bool {
    b == b' ' || b == b'\n' || b == b'\r'
}

/// The length of the next segment of `text`: up to and including the last
/// separator in its first [`SEGMENT`] bytes, or the first separator after
/// them (all of `text` if there is none).
#[inline]
fn segment_len(text: &[u8]) -> usize {
    if text.len() <= SEGMENT {
        return text.len();
    }
    if let Some(i) = text[..SEGMENT].iter().rposition(|&b| separates(b)) {
        return i + 1;
    }
    text[SEGMENT..]
        .iter()
        .position(|&b| separates(b))
        .map_or(text.len(), |i| SEGMENT + i + 1)
}

/// How the count loop finds the spaces of 64 bytes and makes a word's key:
/// with AVX-512 where the CPU has it (one compare for 64 bytes; one compare
/// and a masked move for a key), else with SSE2 compares (x86-64's baseline)
/// or byte loops, and integer arithmetic for keys. A type of its own, so
/// that the whole count loop can be compiled for each (see
/// `WordTable::count_words`).
pub(crate) trait WordKernels: Copy {
    /// Bit `i` set where `chunk[i]` is a space.
    fn space_mask(self, chunk: &[u8; 64]) -> u64;

    /// The key of the word at the start of `bytes` (see
    /// `wordcount_table::key_at`, which this must equal).
    #[inline(always)]
    fn key_at(self, bytes: &[u8; 16]) -> Option<u128> {
        crate::wordcount_table::key_at(bytes)
    }
}

/// [`WordKernels`] on any CPU.
#[derive(Clone, Copy)]
pub(crate) struct Portable;

impl WordKernels for Portable {
    #[inline(always)]
    fn space_mask(self, chunk: &[u8; 64]) -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{
                _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
            };
            let mut m = 0u64;
            for k in 0..4 {
                // SAFETY: SSE2 is part of x86-64; the load reads bytes
                // 16k..16k + 16 of the 64-byte chunk.
                let bits = unsafe {
                    let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast());
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(SEP as i8)))
                };
                m |= (bits as u32 as u64) << (16 * k);
            }
            m
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let mut m = 0u64;
            for (i, &b) in chunk.iter().enumerate() {
                m |= ((b == SEP) as u64) << i;
            }
            m
        }
    }
}

/// [`WordKernels`] with AVX-512; a value exists only on a CPU that has
/// the features of the fast path (see [`Avx512::detect`]).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx512(());

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    /// The features, if the CPU has them (AVX-512 F, BW, VL, VBMI, VBMI2,
    /// BMI1, BMI2, LZCNT and POPCNT) and `runtime::Simd` allows AVX-512.
    pub(crate) fn detect() -> Option<Avx512> {
        crate::wordcount_clean::avx512_compress().then_some(Avx512(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl WordKernels for Avx512 {
    #[inline(always)]
    fn space_mask(self, chunk: &[u8; 64]) -> u64 {
        #[target_feature(enable = "avx512f,avx512bw")]
        fn spaces(chunk: &[u8; 64]) -> u64 {
            use std::arch::x86_64::{_mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_set1_epi8};
            // SAFETY: reads the 64 bytes of `chunk`.
            let v = unsafe { _mm512_loadu_si512(chunk.as_ptr().cast()) };
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(SEP as i8))
        }
        // SAFETY: an `Avx512` exists only if the CPU has AVX-512 F and BW.
        unsafe { spaces(chunk) }
    }

    /// One compare gives the spaces of the 16 bytes as a mask, the mask up
    /// to the first of them keeps the word and its space, zeros after.
    #[inline(always)]
    fn key_at(self, bytes: &[u8; 16]) -> Option<u128> {
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,bmi1")]
        fn key(bytes: &[u8; 16]) -> Option<u128> {
            use std::arch::x86_64::{
                _mm_cmpeq_epi8_mask, _mm_loadu_si128, _mm_maskz_mov_epi8, _mm_set1_epi8,
                _mm_storeu_si128,
            };
            // SAFETY: reads the 16 bytes of `bytes`.
            let v = unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) };
            let spaces = _mm_cmpeq_epi8_mask(v, _mm_set1_epi8(SEP as i8));
            if spaces == 0 {
                return None;
            }
            let kept = _mm_maskz_mov_epi8(spaces ^ spaces.wrapping_sub(1), v);
            let mut out = [0u8; 16];
            // SAFETY: writes the 16 bytes of `out`.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), kept) };
            Some(u128::from_le_bytes(out))
        }
        // SAFETY: an `Avx512` exists only if the CPU has AVX-512 F, BW and
        // VL, and BMI1.
        unsafe { key(bytes) }
    }
}

/// Calls `f(buf, at, starts)` for each 64-byte chunk `buf[at..at + 64]` of
/// the cleaned text `buf[..n]` in which words start, bit `i` of `starts` set
/// where one starts at `at + i`; `buf[n]` must be [`SEP`] and `buf` must
/// have [`WORD_SLACK`] bytes past `n` (so 80 past `at`).
#[inline(always)]
fn word_starts(k: impl WordKernels, buf: &[u8], n: usize, mut f: impl FnMut(&[u8], usize, u64)) {
    // Whether the byte before the chunk is a space (or there is none).
    let mut carry = 1u64;
    let mut at = 0;
    while at < n {
        let chunk: &[u8; 64] = buf[at..at + 64].try_into().expect("slack after the text");
        let valid = n - at;
        let past = if valid >= 64 { 0 } else { u64::MAX << valid };
        let sp = k.space_mask(chunk) | past;
        // A word starts at a non-space byte after a space.
        let starts = !sp & ((sp << 1) | carry);
        carry = sp >> 63;
        if starts != 0 {
            f(buf, at, starts);
        }
        at += 64;
    }
}

impl Scanner {
    /// Calls `f(buf, at, starts)` for the cleaned, lower-cased, non-empty
    /// words of `text`, in order, a 64-byte chunk of cleaned text at a time:
    /// a word starts at `at + i` for each bit `i` set in `starts`, ends at
    /// the next [`SEP`] (there always is one), and `buf` has at least 16
    /// bytes past its start.
    #[inline(always)]
    pub(crate) fn words(
        &mut self,
        k: impl WordKernels,
        text: &[u8],
        mut f: impl FnMut(&[u8], usize, u64),
    ) {
        let mut rest = text;
        while !rest.is_empty() {
            let (segment, after) = rest.split_at(segment_len(rest));
            let n = self.clean_segment(segment);
            word_starts(k, &self.clean, n, &mut f);
            rest = after;
        }
    }

    /// Cleans `segment` into the buffer, a [`SEP`] after it, and returns the
    /// cleaned length.
    #[inline(always)]
    fn clean_segment(&mut self, segment: &[u8]) -> usize {
        let mut n = 0;
        for piece in segment.chunks(SEGMENT) {
            let need = n + piece.len() + CLEAN_SLACK.max(WORD_SLACK + 1);
            if self.clean.len() < need {
                self.clean.resize(need, 0);
            }
            n += clean(piece, &mut self.clean[n..]);
        }
        self.clean[n] = SEP;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wordcount_clean::course_words;
    use runtime::rng::RngCore;

    fn scanned(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Scanner::default().words(Portable, text.as_bytes(), |buf, at, mut starts| {
            while starts != 0 {
                let s = at + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                assert!(buf.len() >= s + 16);
                let n = buf[s..].iter().position(|&b| b == SEP).unwrap();
                out.push(String::from_utf8(buf[s..s + n].to_vec()).unwrap());
            }
        });
        out
    }

    /// The course's words of each line of `text` (lines end at `\n` or `\r`).
    fn course(text: &str) -> Vec<String> {
        text.split(['\n', '\r']).flat_map(course_words).collect()
    }

    #[test]
    fn words_match_the_course_across_pieces_and_chunks() {
        let mut rng = runtime::rng::seeded(17);
        let alphabet: &[&str] = &[
            "a", "B", "z", " ", " ", "  ", "\n", "\r\n", "\r", ",", "--", "'", "\t", "\0", "é",
            "\u{2014}", "Ab", "Word", "x",
        ];
        for len in [
            0,
            1,
            2,
            63,
            64,
            65,
            200,
            SEGMENT - 1,
            SEGMENT + 3,
            3 * SEGMENT + 100,
        ] {
            for _ in 0..4 {
                let mut text = String::new();
                while text.len() < len {
                    text.push_str(alphabet[(rng.next_u64() % alphabet.len() as u64) as usize]);
                }
                assert_eq!(scanned(&text), course(&text), "{len} bytes");
            }
        }
    }

    #[test]
    fn long_words_and_words_across_pieces() {
        for len in [
            15,
            16,
            17,
            64,
            SEGMENT - 2,
            SEGMENT,
            SEGMENT + 1,
            5 * SEGMENT,
        ] {
            let long = "q".repeat(len);
            for text in [
                long.clone(),
                format!("{long} a"),
                format!(" a {long}"),
                format!("{}{long}.", " ".repeat(SEGMENT - 3)),
                format!("{}{long}", "x".repeat(SEGMENT - 1)),
            ] {
                assert_eq!(scanned(&text), course(&text), "{len}");
            }
        }
    }
}
