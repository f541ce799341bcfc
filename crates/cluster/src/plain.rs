//! The wire form of arrays of numbers: the shape, then the elements as one
//! block of little-endian bytes, so that encoding is a copy and decoding a
//! conversion loop, instead of one serde item per element.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::NdArray;

/// A number sent as its 8 little-endian bytes.
pub trait Plain: Copy {
    /// Its bytes, little-endian.
    fn to_le(self) -> [u8; 8];
    /// From its little-endian bytes.
    fn from_le(b: [u8; 8]) -> Self;
}

impl Plain for f64 {
    fn to_le(self) -> [u8; 8] {
        self.to_le_bytes()
    }
    fn from_le(b: [u8; 8]) -> Self {
        f64::from_le_bytes(b)
    }
}

impl Plain for i64 {
    fn to_le(self) -> [u8; 8] {
        self.to_le_bytes()
    }
    fn from_le(b: [u8; 8]) -> Self {
        i64::from_le_bytes(b)
    }
}

/// The elements' bytes: the memory itself on a little-endian machine.
pub(crate) fn le_bytes<T: Plain>(data: &[T]) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: `T` is `f64` or `i64` (the only `Plain` types): 8 bytes,
        // no padding, every byte initialised; a `u8` view of `data` covers
        // exactly its `8 * len` bytes and lives as long as the borrow.
        std::borrow::Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data))
        })
    }
    #[cfg(not(target_endian = "little"))]
    {
        std::borrow::Cow::Owned(data.iter().flat_map(|x| x.to_le()).collect())
    }
}

struct Elements<'a, T>(&'a [T]);

/// A borrowed block of rows of an array, encoded exactly as the
/// [`NdArray`] holding those rows would be (what `scatter` sends without
/// copying each engine's block first).
pub struct ArrayRef<'a, T> {
    /// The block's shape.
    pub shape: Vec<usize>,
    /// Its elements.
    pub data: &'a [T],
}

impl<T: Plain> Serialize for ArrayRef<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&self.shape)?;
        t.serialize_element(&Elements(self.data))?;
        t.end()
    }
}

impl<T: Plain> Serialize for Elements<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&le_bytes(self.0))
    }
}

impl<T: Plain> Serialize for NdArray<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&self.shape)?;
        t.serialize_element(&Elements(&self.data))?;
        t.end()
    }
}

struct ElementsOwned<T>(Vec<T>);

impl<'de, T: Plain> Deserialize<'de> for ElementsOwned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Plain> Visitor<'_> for V<T> {
            type Value = ElementsOwned<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a block of 8-byte numbers")
            }
            fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Self::Value, E> {
                if !b.len().is_multiple_of(8) {
                    return Err(E::custom(format!(
                        "{} bytes are not a whole number of 8-byte elements",
                        b.len()
                    )));
                }
                Ok(ElementsOwned(
                    b.chunks_exact(8)
                        .map(|c| T::from_le(c.try_into().expect("8 bytes")))
                        .collect(),
                ))
            }
            fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<Self::Value, E> {
                self.visit_bytes(&b)
            }
        }
        d.deserialize_bytes(V(PhantomData))
    }
}

impl<'de, T: Plain> Deserialize<'de> for NdArray<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Plain> Visitor<'de> for V<T> {
            type Value = NdArray<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array: its shape and its elements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let shape: Vec<usize> = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let data: ElementsOwned<T> = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                Ok(NdArray {
                    shape,
                    data: data.0,
                })
            }
        }
        d.deserialize_tuple(2, V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use crate::value::Value;
    use crate::wire;

    #[test]
    fn arrays_cross_the_wire_intact() {
        for v in [
            Value::floats(vec![0.5, -1.0, f64::INFINITY, f64::MIN_POSITIVE]),
            Value::ints(vec![i64::MIN, -1, 0, i64::MAX]),
            Value::floats(Vec::new()),
        ] {
            let bytes = wire::encode(&v);
            assert_eq!(wire::decode::<Value>(&bytes, "p").unwrap(), v);
        }
        let n = 1000;
        let bytes = wire::encode(&Value::arange(n));
        // The elements are one block: 8 bytes each, plus a few of framing.
        assert!(bytes.len() < 8 * n + 64, "{}", bytes.len());
    }

    #[test]
    fn a_ragged_block_is_an_error() {
        let mut bytes = wire::encode(&Value::arange(2));
        // Shorten the block's length by one byte (its last 8-byte length
        // field precedes the 16 bytes of elements) and drop a byte.
        let at = bytes.len() - 16 - 8;
        bytes[at] -= 1;
        bytes.pop();
        assert!(wire::decode::<Value>(&bytes, "p").is_err());
    }
}
