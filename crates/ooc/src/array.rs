//! Opening a `.npy` file: header validation and memory-mapped element and row access.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memmap2::{Advice, Mmap, MmapMut, MmapOptions};

use crate::dtype::ByteOrder;
use crate::error::{OocError, Result};
use crate::header::Header;
use crate::scalar::Scalar;

/// An open `.npy` file whose header has been checked against the file's size.
///
/// Element and row access go through a read-only memory map created on first use (with
/// `MADV_RANDOM`, so that one element costs one page, not a readahead window); the
/// chunked reductions in [`crate::reduce`] read the file their own way.
#[derive(Debug)]
pub struct NpyFile {
    path: PathBuf,
    file: File,
    header: Header,
    map: OnceLock<Mmap>,
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
    Ok((file, header))
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
            map: OnceLock::new(),
        })
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

    fn map(&self) -> Result<&Mmap> {
        if let Some(m) = self.map.get() {
            return Ok(m);
        }
        // SAFETY: the map is read-only; like numpy.memmap, we accept that another process
        // truncating the file under us would be undefined behaviour.
        let m = unsafe { MmapOptions::new().map(&self.file) }
            .map_err(|e| OocError::io(&self.path, "mmap", e))?;
        // Advice is a hint: ignoring a failure only costs speed.
        let _ = m.advise(Advice::Random);
        Ok(self.map.get_or_init(|| m))
    }

    /// Reads the element at `index` (one index per axis).
    pub fn get(&self, index: &[usize]) -> Result<Scalar> {
        let pos = position(&self.header, index)?;
        let size = self.header.dtype.size();
        let start = self.header.data_offset as usize + pos * size;
        let map = self.map()?;
        Ok(Scalar::decode(
            self.header.dtype,
            self.header.byte_order,
            &map[start..start + size],
        ))
    }

    /// Reads the sub-array `a[prefix...]` (for a 2-D array and one index: a row), flattened
    /// in C order. An empty prefix reads the whole array; a full index reads one element.
    pub fn row(&self, prefix: &[usize]) -> Result<Vec<Scalar>> {
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
        let rest_st = &st[prefix.len()..];
        let n: usize = rest.iter().product();
        let size = h.dtype.size();
        let map = self.map()?;
        let off = h.data_offset as usize;
        let mut out = Vec::with_capacity(n);
        let mut idx = vec![0usize; rest.len()];
        for _ in 0..n {
            let pos = base + idx.iter().zip(rest_st).map(|(i, s)| i * s).sum::<usize>();
            let at = off + pos * size;
            out.push(Scalar::decode(h.dtype, h.byte_order, &map[at..at + size]));
            // Odometer increment over the remaining axes, last axis fastest (C order).
            for d in (0..rest.len()).rev() {
                idx[d] += 1;
                if idx[d] < rest[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        Ok(out)
    }
}

/// A `.npy` file memory-mapped for writing single elements in place.
#[derive(Debug)]
pub struct NpyFileMut {
    path: PathBuf,
    header: Header,
    map: MmapMut,
}

impl NpyFileMut {
    /// Opens an existing `.npy` file read-write (validated as in [`NpyFile::open`]).
    pub fn open(path: impl AsRef<Path>) -> Result<NpyFileMut> {
        let path = path.as_ref();
        let (file, header) = open_checked(path, true)?;
        // SAFETY: as for NpyFile; writes go straight to the page cache.
        let map = unsafe { MmapOptions::new().map_mut(&file) }
            .map_err(|e| OocError::io(path, "mmap", e))?;
        Ok(NpyFileMut {
            path: path.into(),
            header,
            map,
        })
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Writes `value` at `index`; fails if the dtype cannot hold it exactly.
    pub fn set(&mut self, index: &[usize], value: f64) -> Result<()> {
        let h = &self.header;
        if !h.dtype.holds(value) {
            return Err(OocError::Invalid(format!(
                "{}: value {value} does not fit dtype {}",
                self.path.display(),
                h.dtype
            )));
        }
        let pos = position(h, index)?;
        let size = h.dtype.size();
        let mut bytes = Vec::with_capacity(8);
        h.dtype.encode(value, &mut bytes);
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
