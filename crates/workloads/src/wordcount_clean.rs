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
