//! The fast word count's scanner: a text's bytes are cleaned a piece at a
//! time into a buffer (the course's cleaning, see `wordcount_clean`: kept
//! bytes lower-cased, separators made spaces, dropped bytes removed), and the
//! words of each cleaned piece are found from a bit mask of its spaces, 64
//! bytes at a time, with no branch per byte.
//!
//! Cleaning uses AVX-512 VBMI2's byte compression where the CPU has it (64
//! bytes by a table lookup, a mask and one compress), else a branch-free
//! byte loop; both give the same bytes.

use crate::wordcount_clean::{clean, CLEAN_SLACK, SEP};

/// Input bytes cleaned and split at a time: the cleaned piece and its word
/// boundaries stay in L1 cache while the words are counted.
const PIECE: usize = 8 << 10;

/// Bytes readable past the end of the cleaned text: a word's first 16 bytes
/// are loaded whole, and the space mask reads whole 64-byte chunks.
pub(crate) const WORD_SLACK: usize = 64;

/// Reusable buffers of the scanner.
#[derive(Default)]
pub(crate) struct Scanner {
    /// The cleaned text of the current call, with slack.
    clean: Vec<u8>,
    /// Word boundaries of the current piece, as offsets in `clean`: start,
    /// end, start, end, ... (an odd count leaves a word unfinished).
    bounds: Vec<usize>,
}

/// Bit `i` set where `chunk[i]` is a space: four SSE2 compares on x86-64
/// (its baseline), a byte loop elsewhere.
#[inline(always)]
fn space_mask(chunk: &[u8; 64]) -> u64 {
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

/// Appends to `bounds` the offsets in `buf` where `buf[start..end]` goes from
/// space to non-space (a word starts) or back (a word ends). `space_before`
/// says whether the byte before `start` was a space (or there was none), and
/// is updated to the last byte's. `buf` must have [`WORD_SLACK`] bytes past
/// `end`.
#[inline(always)]
fn boundaries(
    buf: &[u8],
    start: usize,
    end: usize,
    space_before: &mut bool,
    bounds: &mut Vec<usize>,
) {
    let mut carry = *space_before as u64;
    let mut at = start;
    while at < end {
        let valid_bits = (end - at).min(64);
        let chunk: &[u8; 64] = buf[at..at + 64].try_into().expect("slack after the text");
        let valid = u64::MAX >> (64 - valid_bits);
        let sp = space_mask(chunk) & valid;
        // A boundary wherever a byte's space-ness differs from the one before.
        let mut b = (sp ^ ((sp << 1) | carry)) & valid;
        carry = (sp >> (valid_bits - 1)) & 1;
        bounds.reserve(64);
        while b != 0 {
            bounds.push(at + b.trailing_zeros() as usize);
            b &= b - 1;
        }
        at += 64;
    }
    *space_before = carry == 1;
}

impl Scanner {
    /// Calls `f(padded, n)` for each cleaned, lower-cased, non-empty word of
    /// `text` in order, where the word is `padded[..n]` and `padded` has at
    /// least `n + 16` bytes (those past `n` are garbage).
    #[cfg(test)]
    pub(crate) fn words(&mut self, text: &[u8], mut f: impl FnMut(&[u8], usize)) {
        self.batches(text, |buf, bounds| {
            for pair in bounds.chunks_exact(2) {
                f(&buf[pair[0]..], pair[1] - pair[0]);
            }
        });
    }

    /// Calls `f(buf, bounds)` for each batch of the cleaned, lower-cased,
    /// non-empty words of `text`, in order: word `k` of a batch is
    /// `buf[bounds[2k]..bounds[2k + 1]]`, and `buf` has at least 16 bytes
    /// past each word's start. A batch is the words ending in one piece of
    /// the text, so a table can look ahead within it.
    #[inline(always)]
    pub(crate) fn batches(&mut self, text: &[u8], mut f: impl FnMut(&[u8], &[usize])) {
        let need = text.len() + CLEAN_SLACK + WORD_SLACK;
        if self.clean.len() < need {
            self.clean.resize(need, 0);
        }
        let buf = &mut self.clean[..];
        let bounds = &mut self.bounds;
        let mut n = 0;
        let mut space_before = true;
        let mut unfinished: Option<usize> = None;
        for piece in text.chunks(PIECE) {
            let m = clean(piece, &mut buf[n..]);
            bounds.clear();
            bounds.extend(unfinished);
            boundaries(buf, n, n + m, &mut space_before, bounds);
            let whole = bounds.len() & !1;
            unfinished = bounds.get(whole).copied();
            f(buf, &bounds[..whole]);
            n += m;
        }
        if let Some(s) = unfinished {
            f(buf, &[s, n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wordcount_clean::course_words;
    use runtime::rng::RngCore;

    fn scanned(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Scanner::default().words(text.as_bytes(), |p, n| {
            assert!(p.len() >= n + 16);
            out.push(String::from_utf8(p[..n].to_vec()).unwrap());
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
            PIECE - 1,
            PIECE + 3,
            3 * PIECE + 100,
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
        for len in [15, 16, 17, 64, PIECE - 2, PIECE, PIECE + 1, 5 * PIECE] {
            let long = "q".repeat(len);
            for text in [
                long.clone(),
                format!("{long} a"),
                format!(" a {long}"),
                format!("{}{long}.", " ".repeat(PIECE - 3)),
                format!("{}{long}", "x".repeat(PIECE - 1)),
            ] {
                assert_eq!(scanned(&text), course(&text), "{len}");
            }
        }
    }
}
