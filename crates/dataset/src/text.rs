//! Text input: splitting files into byte ranges on line boundaries, and a
//! streaming line reader for one range.
//!
//! Splits follow Hadoop's `TextInputFormat`: a split `(start, end]` owns the
//! lines that *begin* after `start` and at or before `end` (the first split
//! also owns the line at offset 0), so every line is read exactly once however
//! the byte ranges fall, and a split reads past `end` only to finish its last
//! line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};

/// Largest split, like HDFS's block size for local files (32 MiB in Hadoop's
/// local file system): bounds one task's input however few partitions are asked for.
const MAX_SPLIT: u64 = 32 << 20;

/// Hadoop's slop: the last split may be up to 10% larger than the others
/// rather than leaving a tiny split at the end.
const SLOP: f64 = 1.1;

/// One byte range of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    pub(crate) path: PathBuf,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// The files of `path`, or, when nothing of that name exists and it holds
/// commas, the files of each comma-separated part in order (Spark's
/// `textFile("a,b")`); a missing part is an error naming it.
fn list_inputs(path: &Path) -> Result<Vec<(PathBuf, Option<u64>)>> {
    let text = path.to_string_lossy();
    if path.symlink_metadata().is_ok() || !text.contains(',') {
        return list_files(path);
    }
    let mut files = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        files.extend(list_files(Path::new(part))?);
    }
    Ok(files)
}

/// The files of `path`: itself, or the visible regular files of a directory,
/// sorted, each with its length. Any path that is not a directory is read as
/// a file, so a pipe, a FIFO or a character device (`/dev/stdin`, `<(...)`)
/// is a file too; its length is `None` (unknown until read).
fn list_files(path: &Path) -> Result<Vec<(PathBuf, Option<u64>)>> {
    let meta = std::fs::metadata(path).map_err(|e| DatasetError::io(path, e))?;
    if meta.is_file() {
        return Ok(vec![(path.to_path_buf(), Some(meta.len()))]);
    }
    if !meta.is_dir() {
        return Ok(vec![(path.to_path_buf(), None)]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| DatasetError::io(path, e))? {
        let entry = entry.map_err(|e| DatasetError::io(path, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hadoop skips hidden and "_SUCCESS"-style files: an output directory
        // of save_as_text_file reads back as its data.
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let p = entry.path();
        let meta = std::fs::metadata(&p).map_err(|e| DatasetError::io(&p, e))?;
        if meta.is_file() {
            files.push((p, Some(meta.len())));
        }
    }
    files.sort();
    Ok(files)
}

/// Splits the files of `path` into at least `min_partitions` byte ranges.
/// A stream (a file of unknown length, such as a pipe) cannot be split or
/// seeked: it is one split, read from its start to its end.
pub(crate) fn plan_splits(path: &Path, min_partitions: usize) -> Result<Vec<Split>> {
    let files = list_inputs(path)?;
    let total: u64 = files.iter().filter_map(|f| f.1).sum();
    let goal = (total / min_partitions.max(1) as u64).max(1);
    let size = goal.min(MAX_SPLIT);
    let mut splits = Vec::new();
    for (path, len) in files {
        let Some(len) = len else {
            splits.push(Split {
                path,
                start: 0,
                end: u64::MAX,
            });
            continue;
        };
        let mut start = 0;
        while (len - start) as f64 / size as f64 > SLOP {
            splits.push(Split {
                path: path.clone(),
                start,
                end: start + size,
            });
            start += size;
        }
        // The rest, or the whole of an empty file (one empty partition, as Spark has).
        splits.push(Split {
            path,
            start,
            end: len,
        });
    }
    Ok(splits)
}

/// Reads the lines of one split, streaming through a fixed buffer.
pub(crate) struct LineReader {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    /// Valid bytes are `buf[pos..filled]`.
    pos: usize,
    filled: usize,
    /// File offset of `buf[pos]`: where the next line begins.
    offset: u64,
    end: u64,
    eof: bool,
}

/// The buffer of a large split (or a stream): large enough that reads are
/// few.
const BUF: usize = 256 << 10;

/// The longest line read: Spark's and Hadoop's readers allow 2 GiB, but a
/// text line of hundreds of MiB is binary data, and a line is held whole.
pub(crate) const MAX_LINE: usize = 256 << 20;

/// What a small split's buffer holds beyond the split, to finish its last
/// line in a read or two (a longer line grows the buffer).
const BUF_SLACK: usize = 4 << 10;

/// The buffer size for `split`: no more than the split and some slack, so a
/// small split neither fills nor reads a large buffer (with thousands of
/// splits of a small file, that would read the file thousands of times).
fn buffer_size(split: &Split) -> usize {
    let len = split.end.saturating_sub(split.start);
    usize::try_from(len)
        .unwrap_or(usize::MAX)
        .saturating_add(BUF_SLACK)
        .min(BUF)
}

impl LineReader {
    /// Opens `split`, positioned at the first line it owns.
    pub(crate) fn open(split: &Split) -> Result<Self> {
        let mut file = File::open(&split.path).map_err(|e| DatasetError::io(&split.path, e))?;
        // A split at offset 0 needs no seek, and a stream could not take one.
        if split.start > 0 {
            file.seek(SeekFrom::Start(split.start))
                .map_err(|e| DatasetError::io(&split.path, e))?;
        }
        let mut reader = LineReader {
            file,
            path: split.path.clone(),
            buf: vec![0; buffer_size(split)],
            pos: 0,
            filled: 0,
            offset: split.start,
            end: split.end,
            eof: false,
        };
        if split.start > 0 {
            // The line under `start` (even one beginning exactly there) belongs
            // to the previous split.
            reader.next_line(|_| ())?;
        }
        Ok(reader)
    }

    /// Reads more bytes after the valid ones; false at end of file.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buf.len() {
            // A line longer than the buffer: grow it, up to a bound, so that
            // a file without line ends (`/dev/zero`, binary data) is an error
            // instead of all of the memory.
            if self.buf.len() >= MAX_LINE {
                return Err(DatasetError::io(
                    &self.path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "a line longer than {} (is it text?)",
                            runtime::size::human_bytes(MAX_LINE as u64)
                        ),
                    ),
                ));
            }
            self.buf.resize((self.buf.len() * 2).min(MAX_LINE), 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DatasetError::io(&self.path, e)),
            }
        }
    }

    /// Calls `f` with the next line (without its terminator), if this split
    /// owns another line; returns whether it did.
    pub(crate) fn next_line(&mut self, f: impl FnOnce(&[u8])) -> Result<bool> {
        if self.offset > self.end {
            return Ok(false);
        }
        let mut scanned = 0;
        loop {
            let window = &self.buf[self.pos + scanned..self.filled];
            if let Some(i) = memchr::memchr2(b'\n', b'\r', window) {
                let term = self.pos + scanned + i;
                if self.buf[term] == b'\r' && term + 1 == self.filled {
                    // A CR at the end of the buffer: is it a CRLF?
                    scanned = term - self.pos;
                    if self.fill()? {
                        continue;
                    }
                    let term = self.pos + scanned;
                    f(&self.buf[self.pos..term]);
                    self.advance(term + 1);
                    return Ok(true);
                }
                let skip = if self.buf[term] == b'\r' && self.buf[term + 1] == b'\n' {
                    2
                } else {
                    1
                };
                f(&self.buf[self.pos..term]);
                self.advance(term + skip);
                return Ok(true);
            }
            scanned = self.filled - self.pos;
            if !self.fill()? {
                if self.pos == self.filled {
                    // End of file right after a terminator: no empty last line.
                    return Ok(false);
                }
                f(&self.buf[self.pos..self.filled]);
                self.advance(self.filled);
                return Ok(true);
            }
        }
    }

    /// Appends whole lines to `out`, each followed by `\n` (whatever its
    /// terminator was), until `out` holds at least `target` bytes or the
    /// split has no more lines; returns whether it appended any.
    ///
    /// Runs of lines ended by `\n` alone, and lying before the split's end,
    /// are copied as they stand, many lines at once; a line ended by `\r`,
    /// by `\r\n`, or crossing the buffer's or the split's end goes through
    /// [`next_line`](Self::next_line), which decides its terminator and
    /// whether the split owns it.
    pub(crate) fn next_lines(&mut self, target: usize, out: &mut Vec<u8>) -> Result<bool> {
        let before = out.len();
        while out.len() < target {
            // Bytes at file offsets before `end`: a `\n` among them starts a
            // line at or before `end`, which this split owns.
            let owned = usize::try_from(self.end.saturating_sub(self.offset)).unwrap_or(usize::MAX);
            let room = target - out.len();
            let window = &self.buf[self.pos..self.filled];
            let window = &window[..window.len().min(owned).min(room)];
            if let Some(last) = memchr::memrchr(b'\n', window) {
                let run = &window[..=last];
                if memchr::memchr(b'\r', run).is_none() {
                    out.extend_from_slice(run);
                    self.advance(self.pos + run.len());
                    continue;
                }
            }
            let more = self.next_line(|l| {
                out.extend_from_slice(l);
                out.push(b'\n');
            })?;
            if !more {
                break;
            }
        }
        Ok(out.len() > before)
    }

    fn advance(&mut self, new_pos: usize) {
        self.offset += (new_pos - self.pos) as u64;
        self.pos = new_pos;
    }
}

/// A block of lines as text, as [`line_to_string`] makes it, without copying
/// a valid block.
pub(crate) fn block_to_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Bytes of a line as text: UTF-8, with invalid sequences replaced.
pub(crate) fn line_to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path, min_partitions: usize) -> Vec<String> {
        let mut lines = Vec::new();
        for split in plan_splits(path, min_partitions).unwrap() {
            let mut r = LineReader::open(&split).unwrap();
            while r.next_line(|l| lines.push(line_to_string(l))).unwrap() {}
        }
        lines
    }

    #[test]
    fn every_line_once_for_any_split_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let text = "a\r\nbb\rccc\n\n\r\ndddd\r\r\neeeee\nf";
        std::fs::write(&path, text).unwrap();
        let want = vec!["a", "bb", "ccc", "", "", "dddd", "", "eeeee", "f"];
        for parts in 1..=text.len() + 2 {
            assert_eq!(read_all(&path, parts), want, "{parts} partitions");
        }
    }

    /// Every split's blocks of `target` bytes, concatenated.
    fn read_blocks(path: &Path, min_partitions: usize, target: usize) -> Vec<u8> {
        let mut all = Vec::new();
        for split in plan_splits(path, min_partitions).unwrap() {
            let mut r = LineReader::open(&split).unwrap();
            loop {
                let mut block = Vec::new();
                let more = r.next_lines(target, &mut block).unwrap();
                assert_eq!(more, !block.is_empty());
                assert!(block.is_empty() || block.ends_with(b"\n"));
                all.extend_from_slice(&block);
                if block.len() < target {
                    break;
                }
            }
        }
        all
    }

    #[test]
    fn blocks_hold_the_lines_of_every_split() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let long = "L".repeat(BUF + 100);
        let texts = [
            "one\ntwo\n\nthree four\nfive".to_string(),
            "a\r\nbb\rccc\n\n\r\ndddd\r\r\neeeee\nf\n".to_string(),
            format!("x\n{long}\ny\r\n{long}\rz\n"),
            "\n\n\n".to_string(),
        ];
        for text in texts {
            std::fs::write(&path, &text).unwrap();
            // Every split count for short texts, a few for the long one (a
            // split opens the file).
            let most = if text.len() < 100 { text.len() + 2 } else { 9 };
            for parts in 1..=most {
                let mut want = Vec::new();
                for line in read_all(&path, parts) {
                    want.extend_from_slice(line.as_bytes());
                    want.push(b'\n');
                }
                for target in [1, 3, 64, 1 << 20] {
                    let got = read_blocks(&path, parts, target);
                    assert!(got == want, "{parts} partitions, {target}-byte blocks");
                }
            }
        }
    }

    #[test]
    fn trailing_terminators_make_no_extra_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        for (text, want) in [
            ("x\n", vec!["x"]),
            ("x\r\n", vec!["x"]),
            ("x\r", vec!["x"]),
            ("", vec![]),
            ("\n", vec![""]),
        ] {
            std::fs::write(&path, text).unwrap();
            for parts in 1..4 {
                assert_eq!(read_all(&path, parts), want, "{text:?} in {parts}");
            }
        }
    }

    #[test]
    fn long_lines_grow_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        let long = "y".repeat(3 * BUF + 7);
        std::fs::write(&path, format!("{long}\r\nshort\r")).unwrap();
        assert_eq!(read_all(&path, 1), vec![long.clone(), "short".into()]);
        assert_eq!(read_all(&path, 5), vec![long, "short".into()]);
    }

    #[test]
    fn small_splits_read_lines_longer_than_their_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        // Lines from empty to three buffers' slack long, in splits from the
        // whole file down to a few hundred bytes each.
        let want: Vec<String> = (0..40)
            .map(|i| {
                char::from(b'a' + (i % 26) as u8)
                    .to_string()
                    .repeat(i * i * 9)
            })
            .collect();
        std::fs::write(&path, want.join("\n")).unwrap();
        let total = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(want.iter().any(|l| l.len() > 3 * BUF_SLACK));
        for parts in [1, 2, 7, 50, 200] {
            let splits = plan_splits(&path, parts).unwrap();
            assert!(splits.iter().all(|s| buffer_size(s) < BUF) || parts == 1);
            assert_eq!(
                read_all(&path, parts),
                want,
                "{parts} partitions of {total} bytes"
            );
        }
    }

    #[test]
    fn split_counts_follow_hadoop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, vec![b'a'; 1910]).unwrap();
        // The course: a 1910-byte file with minPartitions=100 has 101 partitions.
        assert_eq!(plan_splits(&path, 100).unwrap().len(), 101);
        assert_eq!(plan_splits(&path, 2).unwrap().len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_read_as_one_streamed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let splits = plan_splits(&path, 8).unwrap();
        assert_eq!(splits.len(), 1);
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || std::fs::write(path, "one\r\ntwo\nthree").unwrap())
        };
        let mut lines = Vec::new();
        let mut r = LineReader::open(&splits[0]).unwrap();
        while r.next_line(|l| lines.push(line_to_string(l))).unwrap() {}
        writer.join().unwrap();
        assert_eq!(lines, vec!["one", "two", "three"]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(line_to_string(b"ok\xffok"), "ok\u{fffd}ok");
    }
}
