//! The `.npy` header: parsing (format versions 1.0, 2.0, 3.0) and writing.
//!
//! Layout: the magic `\x93NUMPY`, a major and a minor version byte, the header length
//! (little-endian `u16` in 1.0, `u32` in 2.0 and 3.0), then a Python dict literal such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
//! final newline so that the data starts on a 64-byte boundary.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::dtype::{ByteOrder, DType};
use crate::error::{OocError, Result};

mod dict;

/// The six bytes every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Largest header accepted when reading (numpy itself refuses more than 10 000 bytes by default).
const MAX_HEADER_LEN: usize = 1 << 20;

/// Most dimensions an array may have: numpy's limit (`NPY_MAXDIMS`), beyond which numpy
/// cannot open the file. Headers with more are corrupt, shapes with more are refused.
pub const MAX_DIMS: usize = 64;

/// What a `.npy` header says about the array that follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Element type.
    pub dtype: DType,
    /// Byte order of the elements on disk.
    pub byte_order: ByteOrder,
    /// `true` if the data is stored in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The array's shape (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// Offset of the first data byte (the header's total length).
    pub data_offset: u64,
    /// Format version `(major, minor)` the header was read with or will be written with.
    pub version: (u8, u8),
}

impl Header {
    /// A header for a new array in this machine's byte order; the version and offset are set
    /// by [`Header::to_bytes`].
    pub fn new(dtype: DType, shape: Vec<usize>, fortran_order: bool) -> Header {
        let mut h = Header {
            dtype,
            byte_order: ByteOrder::NATIVE,
            fortran_order,
            shape,
            data_offset: 0,
            version: (1, 0),
        };
        let bytes = h.to_bytes();
        h.data_offset = bytes.len() as u64;
        h.version = (bytes[6], bytes[7]);
        h
    }

    /// Number of elements, or `None` if the product of the shape overflows.
    pub fn checked_len(&self) -> Option<usize> {
        self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
    }

    /// Number of elements (the header was validated when read or built).
    pub fn len(&self) -> usize {
        self.checked_len().unwrap_or(usize::MAX)
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of data bytes, or `None` on overflow.
    pub fn checked_data_bytes(&self) -> Option<u64> {
        (self.checked_len()? as u64).checked_mul(self.dtype.size() as u64)
    }

    /// The header dict, without padding, as numpy writes it.
    fn dict(&self) -> String {
        let shape = match self.shape.len() {
            1 => format!("({},)", self.shape[0]),
            _ => {
                let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
                format!("({})", dims.join(", "))
            }
        };
        format!(
            "{{'descr': '{}', 'fortran_order': {}, 'shape': {}, }}",
            self.dtype.descr(self.byte_order),
            if self.fortran_order { "True" } else { "False" },
            shape
        )
    }

    /// The full header bytes (magic, version, length, padded dict). Version 1.0 is used when
    /// the header fits its 16-bit length field, 2.0 otherwise, as numpy does.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dict = self.dict();
        for (prefix_len, version) in [(10usize, 1u8), (12, 2)] {
            // Padding so that magic + version + length + dict + '\n' is a multiple of 64.
            let unpadded = prefix_len + dict.len() + 1;
            let total = unpadded.div_ceil(64) * 64;
            let hlen = total - prefix_len;
            if version == 1 && hlen > u16::MAX as usize {
                continue;
            }
            let mut out = Vec::with_capacity(total);
            out.extend_from_slice(MAGIC);
            out.extend_from_slice(&[version, 0]);
            if version == 1 {
                out.extend_from_slice(&(hlen as u16).to_le_bytes());
            } else {
                out.extend_from_slice(&(hlen as u32).to_le_bytes());
            }
            out.extend_from_slice(dict.as_bytes());
            out.resize(total - 1, b' ');
            out.push(b'\n');
            return out;
        }
        unreachable!("a u32 header length always fits")
    }

    /// Reads and parses the header at the start of `file` (named `path` in errors).
    pub fn read(path: &Path, file: &File) -> Result<Header> {
        let mut prefix = [0u8; 12];
        let n = read_up_to(path, file, 0, &mut prefix)?;
        if n < 8 || &prefix[..6] != MAGIC {
            return Err(OocError::BadMagic {
                path: path.into(),
                found: prefix[..n.min(6)].escape_ascii().to_string(),
            });
        }
        let version = (prefix[6], prefix[7]);
        let (prefix_len, hlen) = match version {
            (1, 0) if n >= 10 => (10usize, u16::from_le_bytes([prefix[8], prefix[9]]) as usize),
            (2, 0) | (3, 0) if n >= 12 => (
                12,
                u32::from_le_bytes(prefix[8..12].try_into().unwrap()) as usize,
            ),
            (1, 0) | (2, 0) | (3, 0) => return Err(bad(path, "file ends inside the header")),
            (a, b) => {
                return Err(bad(
                    path,
                    &format!("unsupported format version {a}.{b} (supported: 1.0, 2.0, 3.0)"),
                ))
            }
        };
        if hlen > MAX_HEADER_LEN {
            return Err(bad(
                path,
                &format!("header length {hlen} is implausibly large"),
            ));
        }
        let ends_inside = || {
            bad(
                path,
                &format!("file ends inside the header ({hlen}-byte header announced)"),
            )
        };
        // The length is the file's word: check it against the file before allocating.
        let size = file
            .metadata()
            .map_err(|e| OocError::io(path, "stat", e))?
            .len();
        if ((prefix_len + hlen) as u64) > size {
            return Err(ends_inside());
        }
        let mut text = vec![0u8; hlen];
        if read_up_to(path, file, prefix_len as u64, &mut text)? < hlen {
            return Err(ends_inside());
        }
        // 1.0 and 2.0 headers are latin-1, 3.0 headers UTF-8; the dict we accept is ASCII
        // outside its strings, so the parser reads bytes.
        if version.0 == 3 && std::str::from_utf8(&text).is_err() {
            return Err(bad(path, "header is not valid UTF-8"));
        }
        let mut h = dict::parse_dict(path, &text)?;
        h.data_offset = (prefix_len + hlen) as u64;
        h.version = version;
        Ok(h)
    }
}

/// The error for a malformed header of `path`.
fn bad(path: &Path, reason: &str) -> OocError {
    OocError::BadHeader {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Reads as many bytes as are available at `offset`, up to `buf.len()`.
fn read_up_to(path: &Path, file: &File, offset: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(OocError::io(path, "read", e)),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn parse_file(bytes: &[u8]) -> Result<Header> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        Header::read(Path::new("x.npy"), &f)
    }

    #[test]
    fn writes_what_numpy_writes() {
        let h = Header::new(DType::F64, vec![3, 4], false);
        let b = h.to_bytes();
        assert_eq!(b.len(), 128);
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let text = std::str::from_utf8(&b[10..]).unwrap();
        assert!(text.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"));
        assert!(text.ends_with(" \n"));
        assert_eq!(h.data_offset, 128);
        let one = Header::new(DType::U8, vec![5], true).to_bytes();
        assert!(String::from_utf8_lossy(&one).contains("'shape': (5,)"));
    }

    #[test]
    fn round_trip_all_dtypes_and_shapes() {
        for dtype in DType::ALL {
            for shape in [vec![], vec![0], vec![7], vec![2, 3, 4]] {
                for fortran in [false, true] {
                    let h = Header::new(dtype, shape.clone(), fortran);
                    let back = parse_file(&h.to_bytes()).unwrap();
                    assert_eq!(back, h);
                }
            }
        }
    }

    #[test]
    fn reads_version_2_and_3_and_odd_spacing() {
        let dict = b"{\"shape\":(2,3L),'fortran_order':True,'descr':'>i4'}\n";
        for v in [2u8, 3] {
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&[v, 0]);
            b.extend_from_slice(&(dict.len() as u32).to_le_bytes());
            b.extend_from_slice(dict);
            let h = parse_file(&b).unwrap();
            assert_eq!(h.shape, vec![2, 3]);
            assert!(h.fortran_order);
            assert_eq!((h.dtype, h.byte_order), (DType::I32, ByteOrder::Big));
            assert_eq!(h.data_offset, 12 + dict.len() as u64);
        }
    }

    #[test]
    fn large_header_uses_version_2() {
        // Only a shape of more dimensions than numpy allows makes so long a header: it is
        // written as numpy would, and refused when read.
        let h = Header::new(DType::F64, vec![1; 30000], false);
        assert_eq!(h.version, (2, 0));
        let e = parse_file(&h.to_bytes()).unwrap_err().to_string();
        assert!(e.contains("more than 64 dimensions"), "{e}");
    }

    #[test]
    fn a_header_length_beyond_the_file_is_refused_before_allocating() {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[2, 0]);
        b.extend_from_slice(&((1u32 << 20) - 1).to_le_bytes());
        b.extend_from_slice(b"{'descr': '<f8'");
        let e = parse_file(&b).unwrap_err().to_string();
        assert!(e.contains("file ends inside the header"), "{e}");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_file(b"PK\x03\x04 zip file").unwrap_err().to_string();
        assert!(e.contains("bad magic"), "{e}");
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[9, 0, 0, 0]);
        let e = parse_file(&b).unwrap_err().to_string();
        assert!(e.contains("unsupported format version 9.0"), "{e}");
        let h = Header::new(DType::F64, vec![2], false).to_bytes();
        let e = parse_file(&h[..40]).unwrap_err().to_string();
        assert!(e.contains("file ends inside the header"), "{e}");
        let dict = b"{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }\n";
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        b.extend_from_slice(dict);
        let e = parse_file(&b).unwrap_err().to_string();
        assert!(e.contains("unsupported dtype \"<c16\""), "{e}");
    }
}
