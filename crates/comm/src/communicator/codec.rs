//! The object flavour's serialisation: any `serde` value to bytes and back
//! with bincode (as mpi4py pickles), with errors that name the sender and the
//! type asked for.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{CommError, Result};

/// Serialises a value for the object flavour.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| CommError::Encode(e.to_string()))
}

/// Deserialises a value of the object flavour sent by `source`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], source: usize) -> Result<T> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map_err(|e| CommError::Decode {
            from: source,
            ty: std::any::type_name::<T>(),
            why: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(CommError::Decode {
            from: source,
            ty: std::any::type_name::<T>(),
            why: format!("{} trailing byte(s) left over", bytes.len() - used),
        });
    }
    Ok(value)
}

/// Deserialises one value per rank, `parts[r]` sent by rank `r`.
pub(crate) fn decode_all<T: DeserializeOwned>(parts: &[Vec<u8>]) -> Result<Vec<T>> {
    parts
        .iter()
        .enumerate()
        .map(|(r, p)| decode(p, r))
        .collect()
}
