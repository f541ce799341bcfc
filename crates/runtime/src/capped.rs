//! Reading a whole file that should be small (a parameters file, a word
//! list), with a cap: a larger file, or one that never ends (`/dev/zero`, a
//! pipe that keeps writing), is an error instead of all of the memory.

use std::io::{self, Read};
use std::path::Path;

use crate::size::human_bytes;

/// The bytes of `path`, if there are at most `limit` of them; more is an
/// [`io::ErrorKind::FileTooLarge`] error saying "larger than …". Reads at
/// most `limit + 1` bytes whatever the file.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {}", human_bytes(limit)),
        ));
    }
    Ok(bytes)
}

/// [`read`], as UTF-8 text ([`io::ErrorKind::InvalidData`] if it is not).
pub fn read_to_string(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_cap_is_read_whole_and_a_larger_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read(&path, 10).unwrap(), b"0123456789");
        let err = read(&path, 9).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(err.to_string(), "larger than 9 B");
        assert_eq!(read_to_string(&path, 100).unwrap(), "0123456789");
    }

    #[test]
    fn an_endless_device_is_refused_after_the_cap() {
        let err = read(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(err.to_string(), "larger than 1 MiB");
    }

    #[test]
    fn text_that_is_not_utf8_is_invalid_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let err = read_to_string(&path, 100).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
