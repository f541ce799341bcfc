//! The course's cleaning of a line into words, twice: with `String`s, as the
//! course writes it, and byte by byte in one pass into a reused buffer.
//!
//! The course, per line: drop non-ASCII characters (`encode('ascii',
//! 'ignore')`), delete ASCII punctuation (`translate(None,
//! string.punctuation)`), split on single spaces (`' '`, so tabs stay inside
//! words and runs of spaces give empty strings), lower-case, drop empty
//! strings. Each step acts on single characters, so it can be done on the
//! bytes of the line in one pass: a byte ≥ 0x80 is part of a non-ASCII
//! character (or of invalid UTF-8, which `text_file` turns into U+FFFD,
//! itself non-ASCII) and is dropped either way.

/// The course's cleaning of one line into words, with `String`s (the
/// reference the byte-level cleaning is tested against).
///
/// ```
/// use workloads::wordcount::course_words;
/// assert_eq!(course_words("MOBY DICK;"), ["moby", "dick"]);
/// assert_eq!(course_words("don't caf\u{e9}"), ["dont", "caf"]);
/// ```
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
pub(crate) const SLACK: usize = 16;

/// Cleans `line` into `buf` word by word and calls `f(padded, n)` for each
/// non-empty word, where the word is `padded[..n]` and `padded` has at least
/// `n + SLACK` bytes (the bytes past `n` are garbage).
///
/// The loop is branch-free except at spaces: every byte is stored, and the
/// word length only advances for kept bytes.
#[inline(always)]
pub(crate) fn tokenize(line: &[u8], buf: &mut Vec<u8>, mut f: impl FnMut(&[u8], usize)) {
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

/// The byte a cleaned word separator becomes.
pub(crate) const SEP: u8 = b' ';

/// What a byte becomes in cleaned text, for the 128 ASCII bytes: itself
/// lower-cased if kept, [`SEP`] if a separator, and [`GONE`] (a value no
/// ASCII byte has) if dropped. Bytes from 0x80 up are dropped.
const CLEANED: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match CLASS[b] {
            SPACE => SEP,
            DROP => GONE,
            c => c as u8,
        };
        b += 1;
    }
    t
};

/// Whether `word` can be a cleaned word: non-empty, and every byte one the
/// cleaning keeps as it is (so no separator, capital, punctuation or byte
/// from 0x80 up).
pub(crate) fn is_cleaned_word(word: &[u8]) -> bool {
    !word.is_empty()
        && word
            .iter()
            .all(|&b| b != SEP && b < 0x80 && CLEANED[b as usize] == b)
}

/// [`CLEANED`]'s mark of a dropped byte: its high bit is what the vector
/// cleaning tests.
const GONE: u8 = 0x80;

/// Bytes [`clean`] may write past the cleaned text (whole 64-byte stores).
pub(crate) const CLEAN_SLACK: usize = 64;

/// Writes the course's cleaning of `text` to the start of `out`, words
/// separated by one or more [`SEP`] bytes (line ends and spaces alike), and
/// returns how many bytes it wrote; `out` must be at least
/// `text.len() + CLEAN_SLACK` bytes long (bytes past the cleaned text are
/// garbage).
#[inline(always)]
pub(crate) fn clean(text: &[u8], out: &mut [u8]) -> usize {
    assert!(
        out.len() >= text.len() + CLEAN_SLACK,
        "room for the cleaned text"
    );
    #[cfg(target_arch = "x86_64")]
    if avx512_compress() {
        // SAFETY: the CPU has the features `clean_avx512` is compiled for.
        return unsafe { clean_avx512(text, out) };
    }
    clean_bytes(text, out)
}

/// [`clean`] a byte at a time, without a branch per byte: every byte is
/// stored, and the output only advances past kept ones.
#[inline(always)]
fn clean_bytes(text: &[u8], out: &mut [u8]) -> usize {
    let mut n = 0;
    for &b in text {
        let c = if b < 0x80 { CLEANED[b as usize] } else { GONE };
        out[n] = c;
        n += (c != GONE) as usize;
    }
    n
}

/// Whether the CPU can run [`clean_avx512`] and the AVX-512 count loop
/// (`wordcount_scan::Avx512`), and [`runtime::Simd`] allows AVX-512; asked
/// once per process.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx512_compress() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    let has = *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
            && std::arch::is_x86_feature_detected!("avx512vbmi2")
            && std::arch::is_x86_feature_detected!("bmi1")
            && std::arch::is_x86_feature_detected!("bmi2")
            && std::arch::is_x86_feature_detected!("lzcnt")
            && std::arch::is_x86_feature_detected!("popcnt")
    });
    has && runtime::Simd::detect() >= runtime::Simd::Avx512
}

/// [`clean`] 64 bytes at a time: [`CLEANED`] looked up for all 64 bytes by
/// one two-register byte permute, the kept bytes (neither the byte nor its
/// cleaned value has the high bit) compressed to the front of the vector,
/// and the whole vector stored, the output advancing by the kept count.
///
/// # Safety
/// The CPU must support AVX-512 F, BW, VBMI and VBMI2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2")]
unsafe fn clean_avx512(text: &[u8], out: &mut [u8]) -> usize {
    use std::arch::x86_64::*;
    debug_assert!(out.len() >= text.len() + CLEAN_SLACK);
    // SAFETY: CLEANED is 128 bytes: two unaligned 64-byte loads.
    let (lo, hi) = unsafe {
        (
            _mm512_loadu_si512(CLEANED.as_ptr().cast()),
            _mm512_loadu_si512(CLEANED.as_ptr().add(64).cast()),
        )
    };
    let dst = out.as_mut_ptr();
    let mut n = 0;
    let mut at = 0;
    while at < text.len() {
        let left = text.len() - at;
        let load = if left >= 64 {
            u64::MAX
        } else {
            (1u64 << left) - 1
        };
        // SAFETY: the masked load reads only `text[at..at + min(left, 64)]`.
        let v = unsafe { _mm512_maskz_loadu_epi8(load, text.as_ptr().add(at).cast()) };
        let cleaned = _mm512_permutex2var_epi8(lo, v, hi);
        let keep = !_mm512_movepi8_mask(_mm512_or_si512(v, cleaned)) & load;
        let packed = _mm512_maskz_compress_epi8(keep, cleaned);
        // SAFETY: n <= at (at most one byte out per byte in) and
        // at < text.len(), so the 64 bytes at n are inside `out`, which has
        // CLEAN_SLACK bytes past text.len().
        unsafe { _mm512_storeu_si512(dst.add(n).cast(), packed) };
        n += keep.count_ones() as usize;
        at += 64;
    }
    n
}

/// Calls `f` with each cleaned, lower-cased, non-empty word of `line`,
/// using `buf` as scratch space (no allocation once it has grown).
///
/// ```
/// let mut words = Vec::new();
/// workloads::wordcount::for_each_word(b"Call me Ishmael.", &mut Vec::new(), |w| {
///     words.push(String::from_utf8(w.to_vec()).unwrap())
/// });
/// assert_eq!(words, ["call", "me", "ishmael"]);
/// ```
pub fn for_each_word(line: &[u8], buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    tokenize(line, buf, |padded, n| f(&padded[..n]));
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
    fn vector_and_byte_cleaning_agree() {
        let mut text: Vec<u8> = (0..=255u8).collect();
        text.extend_from_slice(b"Call me ISHMAEL. Some years ago--never mind how long");
        for len in [0, 1, 63, 64, 65, 127, 128, 200, text.len()] {
            for start in [0, 1, 7] {
                let part = &text[start.min(len)..len];
                let mut a = vec![0; part.len() + CLEAN_SLACK];
                let mut b = a.clone();
                let na = clean(part, &mut a);
                let nb = clean_bytes(part, &mut b);
                assert_eq!(a[..na], b[..nb], "{start}..{len}");
                let want: Vec<u8> = part
                    .iter()
                    .filter(|&&c| c < 0x80 && !c.is_ascii_punctuation())
                    .map(|&c| match c {
                        b'\n' | b'\r' => b' ',
                        c => c.to_ascii_lowercase(),
                    })
                    .collect();
                assert_eq!(b[..nb], want[..]);
            }
        }
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
    }
}
