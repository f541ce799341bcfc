//! Values to bytes and back (serde and bincode), with the file descriptors
//! of the shared objects inside them travelling beside the bytes.
//!
//! A shared object ([`crate::Value`], [`crate::Queue`], ...) is a file
//! descriptor (a memfd, a socket). Serialized inside an argument, it writes
//! the index of its descriptor in a side list that this module collects
//! while encoding; the list is sent with the bytes as `SCM_RIGHTS`, and the
//! receiving process hands the descriptors it got to the deserializer the
//! same way. Outside an [`encode`] or [`decode`], serializing a shared
//! object is an error: its bytes alone mean nothing elsewhere.

use std::cell::RefCell;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

thread_local! {
    /// The descriptors collected by the [`encode`] running on this thread.
    static OUTGOING: RefCell<Option<Vec<RawFd>>> = const { RefCell::new(None) };
    /// The descriptors handed to the [`decode`] running on this thread.
    static INCOMING: RefCell<Option<Vec<Option<OwnedFd>>>> = const { RefCell::new(None) };
}

/// The bincode configuration of every message.
fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes `value`, returning its bytes and the descriptors of the shared
/// objects in it (borrowed from them: they must live until sent).
pub(crate) fn encode<T: Serialize + ?Sized>(
    value: &T,
    what: &str,
) -> Result<(Vec<u8>, Vec<RawFd>)> {
    let previous = OUTGOING.with(|o| o.replace(Some(Vec::new())));
    let bytes = bincode::serde::encode_to_vec(value, config());
    let fds = OUTGOING.with(|o| o.replace(previous)).unwrap_or_default();
    let bytes = bytes.map_err(|e| Error::Encode {
        what: what.to_string(),
        why: e.to_string(),
    })?;
    Ok((bytes, fds))
}

/// Encodes `value`, which must hold no shared object (the messages of the
/// protocol itself).
pub(crate) fn encode_plain<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| Error::Encode {
        what: what.to_string(),
        why: e.to_string(),
    })
}

/// Decodes a `T` from `bytes`, giving the shared objects in it the
/// descriptors `fds` (those not used are closed).
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    fds: Vec<OwnedFd>,
    what: &str,
) -> Result<T> {
    let previous = INCOMING.with(|i| i.replace(Some(fds.into_iter().map(Some).collect())));
    let value = bincode::serde::decode_from_slice::<T, _>(bytes, config());
    INCOMING.with(|i| i.replace(previous));
    let (value, used) = value.map_err(|e| Error::Decode {
        what: what.to_string(),
        why: e.to_string(),
    })?;
    if used != bytes.len() {
        return Err(Error::Decode {
            what: what.to_string(),
            why: format!("{} bytes left over", bytes.len() - used),
        });
    }
    Ok(value)
}

/// Serializes a shared object's descriptor: records it for sending and
/// writes its index.
pub(crate) fn serialize_fd<S: Serializer>(fd: BorrowedFd<'_>, s: S) -> Result<S::Ok, S::Error> {
    let index = OUTGOING.with(|o| {
        o.borrow_mut().as_mut().map(|list| {
            list.push(fd.as_raw_fd());
            list.len() - 1
        })
    });
    match index {
        Some(i) => (i as u32).serialize(s),
        None => Err(serde::ser::Error::custom(
            "a shared object can only be sent to another process as an argument, a result or a queue or pipe message",
        )),
    }
}

/// Deserializes a shared object's descriptor written by [`serialize_fd`].
/// The same descriptor met twice is duplicated.
pub(crate) fn deserialize_fd<'de, D: Deserializer<'de>>(d: D) -> Result<OwnedFd, D::Error> {
    let index = u32::deserialize(d)? as usize;
    let fd = INCOMING.with(|i| -> std::result::Result<OwnedFd, String> {
        let mut i = i.borrow_mut();
        let list = i
            .as_mut()
            .ok_or("a shared object arrived outside a message")?;
        let slot = list
            .get_mut(index)
            .ok_or_else(|| format!("descriptor {index} of a shared object did not arrive"))?;
        match slot {
            Some(fd) => fd.try_clone().map_err(|e| e.to_string()),
            None => Err(format!("descriptor {index} was taken")),
        }
    });
    fd.map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_round_trip() {
        let (bytes, fds) = encode(&(7u64, "seven".to_string(), vec![1.5f64]), "t").unwrap();
        assert!(fds.is_empty());
        let back: (u64, String, Vec<f64>) = decode(&bytes, Vec::new(), "t").unwrap();
        assert_eq!(back, (7, "seven".to_string(), vec![1.5]));
    }

    #[test]
    fn wrong_types_and_trailing_bytes_are_errors() {
        let bytes = encode_plain(&(1u8, 2u8), "t").unwrap();
        let err = decode::<u8>(&bytes, Vec::new(), "the answer").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot decode the answer: 1 bytes left over"
        );
        assert!(decode::<String>(&[5, b'a'], Vec::new(), "a name").is_err());
    }
}
