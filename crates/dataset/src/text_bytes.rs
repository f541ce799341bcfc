//! `text_file_bytes`'s elements: blocks of whole lines as bytes, without a
//! copy where the file can be mapped into memory.
//!
//! A split of a regular file is mapped, and its lines are cut out of the map
//! by the rule `LineReader` follows when it reads them (see `text.rs`): a
//! split `(start, end]` skips the line under `start` (unless `start` is 0)
//! and owns every line that begins at or before `end`. A stream, or a file
//! that cannot be mapped, is read as `text_file_blocks` reads it.

use std::fmt;
use std::fs::File;
use std::ops::{Deref, Range};
use std::sync::Arc;

use memmap2::Mmap;
use runtime::mapped::Registered;

use crate::error::{DatasetError, Result};
use crate::text::Split;

/// Whole lines of a text file as bytes, each with its line end: as the file
/// holds it (LF, CR or CRLF; the file's last line may have none) when the
/// file is mapped into memory, `\n` when it is read from a stream. Cloning
/// shares the bytes.
///
/// A mapped file that another process truncates while its bytes are read
/// makes the read raise `SIGBUS`, as with any memory map of a file; the map
/// is recorded in [`runtime::mapped`], so that a program's handler can name
/// the file.
#[derive(Clone)]
pub struct TextBytes {
    bytes: Arc<Source>,
    range: Range<usize>,
}

/// Where a block's bytes live.
enum Source {
    Mapped(Registered<Mmap>),
    Read(Vec<u8>),
}

impl TextBytes {
    /// A block of lines read into memory.
    pub(crate) fn read(bytes: Vec<u8>) -> Self {
        let range = 0..bytes.len();
        TextBytes {
            bytes: Arc::new(Source::Read(bytes)),
            range,
        }
    }
}

impl Deref for TextBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        let all: &[u8] = match &*self.bytes {
            Source::Mapped(m) => &m[..],
            Source::Read(v) => v,
        };
        &all[self.range.clone()]
    }
}

impl AsRef<[u8]> for TextBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for TextBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TextBytes({:?})", String::from_utf8_lossy(self))
    }
}

/// The offset just past the line end at or after `from` in `data` (a CRLF
/// counts whole), or `data.len()` if no line ends there.
fn past_line_end(data: &[u8], from: usize) -> usize {
    let Some(i) = data
        .get(from..)
        .and_then(|rest| memchr::memchr2(b'\n', b'\r', rest))
    else {
        return data.len();
    };
    let at = from + i;
    match data[at] == b'\r' && data.get(at + 1) == Some(&b'\n') {
        true => at + 2,
        false => at + 1,
    }
}

/// The bytes of the lines `split` owns in `data` (the whole file): from
/// past the line under `start` (or 0) to the end of the line under `end`.
fn owned_range(data: &[u8], split: &Split) -> Range<usize> {
    let len = data.len();
    let start = usize::try_from(split.start).unwrap_or(usize::MAX).min(len);
    let end = usize::try_from(split.end).unwrap_or(usize::MAX);
    let first = match split.start {
        0 => 0,
        _ => past_line_end(data, start),
    };
    if first > end || first >= len {
        return first..first;
    }
    // The line under `end` begins at or before it, so the split owns it.
    first..past_line_end(data, end.max(first))
}

/// `owned` cut into blocks of whole lines of about `target` bytes (at least
/// one line each).
fn blocks(data: &[u8], owned: Range<usize>, target: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = owned.start;
    while at < owned.end {
        let cut = match owned.end - at <= target {
            true => owned.end,
            false => past_line_end(&data[..owned.end], at + target - 1),
        };
        out.push(at..cut);
        at = cut;
    }
    out
}

/// The blocks of lines of `split`, from a map of the file, or `None` if the
/// file cannot be mapped (a stream, an empty or special file): it is then
/// read instead.
pub(crate) fn mapped_blocks(split: &Split, target: usize) -> Result<Option<Vec<TextBytes>>> {
    if split.end == u64::MAX {
        return Ok(None);
    }
    let file = File::open(&split.path).map_err(|e| DatasetError::io(&split.path, e))?;
    let meta = file
        .metadata()
        .map_err(|e| DatasetError::io(&split.path, e))?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the map is read-only and only read through `TextBytes`. A file
    // another process truncates while it is read makes the read raise
    // SIGBUS, as documented on `TextBytes` (and as with numpy.memmap); the
    // map is registered so that a program's handler can name the file.
    let Ok(map) = (unsafe { Mmap::map(&file) }) else {
        return Ok(None);
    };
    #[cfg(unix)]
    {
        // A hint only: the map is read once, front to back.
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    // Registered before the first read: cutting the lines reads the map.
    let map = Registered::new(map, &split.path);
    let owned = owned_range(&map, split);
    let ranges = blocks(&map, owned, target.max(1));
    let bytes = Arc::new(Source::Mapped(map));
    Ok(Some(
        ranges
            .into_iter()
            .map(|range| TextBytes {
                bytes: Arc::clone(&bytes),
                range,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{plan_splits, LineReader};

    /// Whether `b` ends a line.
    fn is_line_end(b: u8) -> bool {
        b == b'\n' || b == b'\r'
    }

    /// The lines of `split` as `LineReader` reads them.
    fn read_lines(split: &Split) -> Vec<Vec<u8>> {
        let mut reader = LineReader::open(split).unwrap();
        let mut lines = Vec::new();
        while reader.next_line(|l| lines.push(l.to_vec())).unwrap() {}
        lines
    }

    /// The lines of mapped blocks, split at LF, CR and CRLF.
    fn mapped_lines(blocks: &[TextBytes]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for b in blocks {
            let mut at = 0;
            while at < b.len() {
                let end = past_line_end(b, at);
                let mut line = &b[at..end];
                while line.last().is_some_and(|&c| is_line_end(c)) {
                    line = &line[..line.len() - 1];
                }
                // A line ends in at most one CRLF, CR or LF.
                let ends = end - at - line.len();
                assert!(ends <= 2, "one line end per line");
                lines.push(line.to_vec());
                at = end;
            }
        }
        lines
    }

    #[test]
    fn mapped_splits_own_the_lines_the_reader_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let ends: [&[u8]; 5] = [b"\n", b"\r\n", b"\r", b"\n\n", b"\r\r\n"];
        for (round, len) in [0usize, 1, 2, 3, 10, 200, 3000].into_iter().enumerate() {
            let mut text = Vec::new();
            for i in 0..len {
                text.extend_from_slice(format!("l{i}").as_bytes());
                text.extend_from_slice(ends[(i * 7 + round) % ends.len()]);
            }
            if round % 2 == 1 {
                text.extend_from_slice(b"last line without an end");
            }
            std::fs::write(&path, &text).unwrap();
            for parts in [1, 2, 3, 7, 64, 1000] {
                for split in plan_splits(&path, parts).unwrap() {
                    let want = read_lines(&split);
                    for target in [1, 5, 64, 1 << 20] {
                        let got = match mapped_blocks(&split, target).unwrap() {
                            Some(blocks) => {
                                assert!(blocks.iter().all(|b| !b.is_empty()));
                                mapped_lines(&blocks)
                            }
                            None => {
                                assert!(text.is_empty());
                                Vec::new()
                            }
                        };
                        assert_eq!(got, want, "{len} lines, {parts} parts, {split:?}, {target}");
                    }
                }
            }
        }
    }
}
