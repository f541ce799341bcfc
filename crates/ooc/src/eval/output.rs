//! The result of an expression as a new `.npy` file, written band by band at its rows'
//! places and renamed into place only once complete; and the bytes of result arrays.

use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::control::Control;
use crate::dtype::DType;
use crate::error::{OocError, Result};
use crate::header::Header;
use crate::new_file::NewNpy;

/// The output file being written.
pub(crate) struct Sink<'p> {
    file: NewNpy<'p>,
    header: Header,
    /// Bytes of one row of axis 0 (of the one element of a 0-d array).
    row_bytes: u64,
    /// Data bytes written so far.
    written: u64,
}

impl<'p> Sink<'p> {
    /// Starts the file `path` for an array of `dtype` and `shape` (C order): created now,
    /// so that an unwritable place is an error before anything is computed.
    pub(crate) fn begin(path: &'p Path, dtype: DType, shape: &[usize]) -> Result<Sink<'p>> {
        let header = Header::new(dtype, shape.to_vec(), false);
        let file = NewNpy::begin(path, &header)?;
        let row: u64 = shape.iter().skip(1).map(|&d| d as u64).product();
        Ok(Sink {
            file,
            header,
            row_bytes: row.saturating_mul(dtype.size() as u64),
            written: 0,
        })
    }

    /// Writes `bytes`, whole rows of the array, from row `first` of axis 0 on (row 0 for a
    /// 0-d array).
    pub(crate) fn write_rows(&mut self, first: usize, bytes: &[u8]) -> Result<()> {
        let at = self.header.data_offset + first as u64 * self.row_bytes;
        self.file
            .file()
            .write_all_at(bytes, at)
            .map_err(|e| OocError::io(self.file.path(), "write", e))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Completes the file (rows not written are zeros) and renames it into place; see
    /// [`NewNpy::finish`]. Returns the data bytes written.
    pub(crate) fn finish(self, sync: bool, ctl: &Control) -> Result<u64> {
        self.file.finish(sync, ctl)?;
        Ok(self.written)
    }
}

/// The bytes of a result array in C order.
pub(crate) fn bytes_of(a: &expr::Array) -> &[u8] {
    macro_rules! bytes {
        ($a:expr, $t:ty) => {{
            let s = $a
                .as_slice()
                .expect("result arrays are allocated in standard layout");
            // SAFETY: a slice of plain numbers (bools are bytes 0 or 1, complex numbers two
            // f64): every byte is initialised, and the length is the slice's in bytes.
            unsafe { std::slice::from_raw_parts(s.as_ptr() as *const u8, std::mem::size_of_val(s)) }
        }};
    }
    match a {
        expr::Array::Bool(a) => bytes!(a, bool),
        expr::Array::I32(a) => bytes!(a, i32),
        expr::Array::I64(a) => bytes!(a, i64),
        expr::Array::F32(a) => bytes!(a, f32),
        expr::Array::F64(a) => bytes!(a, f64),
        expr::Array::C128(a) => bytes!(a, expr::Complex64),
    }
}
