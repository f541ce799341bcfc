//! Opening a `.npy` file: header validation and memory-mapped element and row access.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memmap2::{Advice, Mmap, MmapMut, MmapOptions};

use crate::control::IoMode;
use crate::dtype::ByteOrder;
use crate::error::{OocError, Result};
use crate::header::Header;
use crate::scalar::Scalar;
use runtime::mapped::Registered;

/// An open `.npy` file whose header has been checked against the file's size.
///
/// Element and row access go through a read-only memory map created on first use (with
/// `MADV_RANDOM`, so that one element costs one page, not a readahead window), or through
/// positioned reads ([`NpyFile::read_with`]); the chunked reductions in [`crate::reduce`]
/// read the file their own way.
#[derive(Debug)]
pub struct NpyFile {
    path: PathBuf,
    file: File,
    header: Header,
    /// How elements are read.
    io: IoMode,
    map: OnceLock<Registered<Mmap>>,
}

/// Element strides (in elements) of `shape` stored in C or Fortran order.
pub fn strides(shape: &[usize], fortran_order: bool) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    if fortran_order {
        for (s, &d) in strides.iter_mut().zip(shape) {
            *s = acc;
            acc = acc.saturating_mul(d);
        }
    } else {
        for (s, &d) in strides.iter_mut().zip(shape).rev() {
            *s = acc;
            acc = acc.saturating_mul(d);
        }
    }
    strides
}

/// Checks `index` against `shape` and returns the element's position in storage order.
fn position(header: &Header, index: &[usize]) -> Result<usize> {
    if index.len() != header.shape.len() || index.iter().zip(&header.shape).any(|(i, d)| i >= d) {
        return Err(OocError::OutOfBounds {
            index: index.to_vec(),
            shape: header.shape.clone(),
        });
    }
    let st = strides(&header.shape, header.fortran_order);
    Ok(index.iter().zip(&st).map(|(i, s)| i * s).sum())
}

/// Opens `path` and validates its header against its size.
fn open_checked(path: &Path, write: bool) -> Result<(File, Header)> {
    let file = OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
        .map_err(|e| OocError::io(path, "open", e))?;
    let header = Header::read(path, &file)?;
    check_size(path, &file, &header)?;
    Ok((file, header))
}

/// Checks that `file` (named `path`) is exactly as long as `header` says. Done at open and
/// again before every map of the file: a map of a file shorter than its header faults
/// (`SIGBUS`) where a read would have said what is wrong.
pub(crate) fn check_size(path: &Path, file: &File, header: &Header) -> Result<()> {
    let size = file
        .metadata()
        .map_err(|e| OocError::io(path, "stat", e))?
        .len();
    let expected = header.checked_data_bytes().unwrap_or(u64::MAX);
    let actual = size.saturating_sub(header.data_offset);
    if size < header.data_offset || actual != expected {
        return Err(OocError::SizeMismatch {
            path: path.into(),
            shape: header.shape.clone(),
            dtype: header.dtype.descr(header.byte_order),
            offset: header.data_offset,
            expected,
            actual,
        });
    }
    Ok(())
}

impl NpyFile {
    /// Opens a `.npy` file for reading. Fails with a message naming the problem if the magic,
    /// the header, the dtype or the file size is wrong.
    pub fn open(path: impl AsRef<Path>) -> Result<NpyFile> {
        let path = path.as_ref();
        let (file, header) = open_checked(path, false)?;
        Ok(NpyFile {
            path: path.into(),
            file,
            header,
            io: IoMode::Mmap,
            map: OnceLock::new(),
        })
    }

    /// Sets how [`get`](NpyFile::get), [`row`](NpyFile::row) and
    /// [`elements`](NpyFile::elements) read: [`IoMode::Pread`] with positioned reads,
    /// either map mode through one map of the file (the default).
    pub fn read_with(mut self, io: IoMode) -> NpyFile {
        self.io = io;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        &self.header.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.header.len()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of data bytes.
    pub fn data_bytes(&self) -> u64 {
        self.len() as u64 * self.header.dtype.size() as u64
    }

    /// Checks that the file still has the size its header says (see [`check_size`]).
    pub(crate) fn check_size(&self) -> Result<()> {
        check_size(&self.path, &self.file, &self.header)
    }

    fn map(&self) -> Result<&Mmap> {
        if let Some(m) = self.map.get() {
            return Ok(m);
        }
        self.check_size()?;
        // SAFETY: the map is read-only and the file was just checked to be as long as its
        // header says. A file truncated later makes a read of the lost pages raise SIGBUS
        // (as with numpy.memmap); the map is registered so that a program can name the file.
        let m = unsafe { MmapOptions::new().map(&self.file) }
            .map_err(|e| OocError::io(&self.path, "mmap", e))?;
        // Advice is a hint: ignoring a failure only costs speed.
        let _ = m.advise(Advice::Random);
        Ok(self.map.get_or_init(|| Registered::new(m, &self.path)))
    }

    /// Where element bytes come from; `run` is how many bytes one positioned read should
    /// fetch at once.
    fn source(&self, run: usize) -> Result<Source<'_>> {
        Ok(match self.io {
            IoMode::Pread => Source::pread(self, run),
            IoMode::Mmap | IoMode::MmapPopulate => Source::Map(self.map()?),
        })
    }

    /// Reads the element at `index` (one index per axis).
    pub fn get(&self, index: &[usize]) -> Result<Scalar> {
        let pos = position(&self.header, index)?;
        let size = self.header.dtype.size();
        let start = self.header.data_offset + (pos * size) as u64;
        let mut source = self.source(size)?;
        let bytes = source.bytes(start, size)?;
        Ok(Scalar::decode(
            self.header.dtype,
            self.header.byte_order,
            bytes,
        ))
    }

    /// Reads the sub-array `a[prefix...]` (for a 2-D array and one index: a row), flattened
    /// in C order. An empty prefix reads the whole array; a full index reads one element.
    /// [`elements`](NpyFile::elements) gives the same values one at a time.
    pub fn row(&self, prefix: &[usize]) -> Result<Vec<Scalar>> {
        self.elements(prefix)?.collect()
    }

    /// The elements of the sub-array `a[prefix...]`, in C order, read as they are asked
    /// for (so that printing a large sub-array needs no memory for it).
    pub fn elements(&self, prefix: &[usize]) -> Result<Elements<'_>> {
        let h = &self.header;
        if prefix.len() > h.shape.len() || prefix.iter().zip(&h.shape).any(|(i, d)| i >= d) {
            return Err(OocError::OutOfBounds {
                index: prefix.to_vec(),
                shape: h.shape.clone(),
            });
        }
        let st = strides(&h.shape, h.fortran_order);
        let base: usize = prefix.iter().zip(&st).map(|(i, s)| i * s).sum();
        let rest = &h.shape[prefix.len()..];
        let rest_st = st[prefix.len()..].to_vec();
        // Consecutive elements are adjacent on disk when the last axis has stride 1.
        let run = match rest_st.last() {
            Some(1) | None => READ_RUN,
            Some(_) => h.dtype.size(),
        };
        Ok(Elements {
            source: self.source(run)?,
            header: h,
            base,
            rest,
            rest_st,
            idx: vec![0; rest.len()],
            remaining: rest.iter().product(),
        })
    }
}

/// Bytes fetched by one positioned read when elements are read in order.
const READ_RUN: usize = 64 << 10;

/// Where the bytes of elements come from.
enum Source<'a> {
    /// The map of the whole file.
    Map(&'a [u8]),
    /// Positioned reads into a window of the file.
    Pread {
        /// The file read.
        file: &'a NpyFile,
        /// The bytes read last.
        window: Vec<u8>,
        /// The file offset of `window[0]`.
        at: u64,
        /// Bytes to read at once.
        run: usize,
    },
}

impl<'a> Source<'a> {
    fn pread(file: &'a NpyFile, run: usize) -> Source<'a> {
        Source::Pread {
            file,
            window: Vec::new(),
            at: 0,
            run,
        }
    }

    /// The `size` bytes at file offset `offset`, which lie inside the data.
    fn bytes(&mut self, offset: u64, size: usize) -> Result<&[u8]> {
        match self {
            Source::Map(m) => Ok(&m[offset as usize..offset as usize + size]),
            Source::Pread {
                file,
                window,
                at,
                run,
            } => {
                let inside = offset >= *at && offset + size as u64 <= *at + window.len() as u64;
                if !inside {
                    let end = file.header.data_offset + file.data_bytes();
                    let len = (*run).max(size).min((end - offset) as usize);
                    window.resize(len, 0);
                    read_exact_at(file, window, offset)?;
                    *at = offset;
                }
                let from = (offset - *at) as usize;
                Ok(&window[from..from + size])
            }
        }
    }
}

/// Fills `buf` from `offset` in `file`; a file that ends too soon (truncated since it was
/// opened) is an error that says so.
pub(crate) fn read_exact_at(file: &NpyFile, buf: &mut [u8], offset: u64) -> Result<()> {
    use std::os::unix::fs::FileExt;
    file.file().read_exact_at(buf, offset).map_err(|e| {
        let e = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            std::io::Error::new(
                e.kind(),
                "the file is shorter than its header says (truncated while being read?)",
            )
        } else {
            e
        };
        OocError::io(file.path(), "read", e)
    })
}

/// The elements of a sub-array, in C order: see [`NpyFile::elements`].
pub struct Elements<'a> {
    source: Source<'a>,
    header: &'a Header,
    /// Storage position of the sub-array's first element.
    base: usize,
    /// The sub-array's shape.
    rest: &'a [usize],
    /// Its strides in storage, in elements.
    rest_st: Vec<usize>,
    /// The index of the next element in the sub-array.
    idx: Vec<usize>,
    /// Elements not yet read.
    remaining: usize,
}

impl Iterator for Elements<'_> {
    type Item = Result<Scalar>;

    fn next(&mut self) -> Option<Result<Scalar>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let h = self.header;
        let pos = self.base
            + self
                .idx
                .iter()
                .zip(&self.rest_st)
                .map(|(i, s)| i * s)
                .sum::<usize>();
        // Odometer increment over the remaining axes, last axis fastest (C order).
        for d in (0..self.rest.len()).rev() {
            self.idx[d] += 1;
            if self.idx[d] < self.rest[d] {
                break;
            }
            self.idx[d] = 0;
        }
        let size = h.dtype.size();
        let at = h.data_offset + (pos * size) as u64;
        Some(
            self.source
                .bytes(at, size)
                .map(|b| Scalar::decode(h.dtype, h.byte_order, b)),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// A `.npy` file memory-mapped for writing single elements in place.
#[derive(Debug)]
pub struct NpyFileMut {
    path: PathBuf,
    header: Header,
    map: Registered<MmapMut>,
}

impl NpyFileMut {
    /// Opens an existing `.npy` file read-write (validated as in [`NpyFile::open`]).
    pub fn open(path: impl AsRef<Path>) -> Result<NpyFileMut> {
        let path = path.as_ref();
        let (file, header) = open_checked(path, true)?;
        // SAFETY: as for NpyFile (the size was checked by `open_checked`); writes go
        // straight to the page cache.
        let map = unsafe { MmapOptions::new().map_mut(&file) }
            .map_err(|e| OocError::io(path, "mmap", e))?;
        Ok(NpyFileMut {
            path: path.into(),
            header,
            map: Registered::new(map, path),
        })
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Writes `value` at `index`; fails if the dtype cannot hold it (see [`Scalar::cast`]).
    pub fn set(&mut self, index: &[usize], value: impl Into<Scalar>) -> Result<()> {
        let h = &self.header;
        let value = value.into();
        let Some(v) = value.cast(h.dtype) else {
            return Err(OocError::Invalid(format!(
                "{}: value {value} does not fit dtype {}",
                self.path.display(),
                h.dtype
            )));
        };
        let pos = position(h, index)?;
        let size = h.dtype.size();
        let mut bytes = Vec::with_capacity(8);
        v.encode_native(&mut bytes);
        if h.byte_order != ByteOrder::NATIVE {
            bytes.reverse();
        }
        let at = h.data_offset as usize + pos * size;
        self.map[at..at + size].copy_from_slice(&bytes);
        Ok(())
    }

    /// Reads the element at `index`.
    pub fn get(&self, index: &[usize]) -> Result<Scalar> {
        let h = &self.header;
        let pos = position(h, index)?;
        let size = h.dtype.size();
        let at = h.data_offset as usize + pos * size;
        Ok(Scalar::decode(
            h.dtype,
            h.byte_order,
            &self.map[at..at + size],
        ))
    }

    /// Writes dirty pages back to the file.
    pub fn flush(&self) -> Result<()> {
        self.map
            .flush()
            .map_err(|e| OocError::io(&self.path, "msync", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_c_and_f() {
        assert_eq!(strides(&[2, 3, 4], false), vec![12, 4, 1]);
        assert_eq!(strides(&[2, 3, 4], true), vec![1, 2, 6]);
    }
}
