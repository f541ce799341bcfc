//! The cluster's shared secret and the HMAC-SHA256 signatures made with it:
//! a peer without the key can neither be heard nor speak.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ClusterError, Result};

type HmacSha256 = Hmac<Sha256>;

/// Bytes in a generated key.
pub const KEY_BYTES: usize = 32;

/// A signing key (the `key` of the connection file).
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        write!(f, "Key({} bytes)", self.0.len())
    }
}

impl Key {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Key> {
        let mut k = vec![0u8; KEY_BYTES];
        getrandom::fill(&mut k)
            .map_err(|e| ClusterError::Value(format!("cannot draw a random key: {e}")))?;
        Ok(Key(k))
    }

    /// A key from its bytes (at least one).
    pub fn from_bytes(bytes: &[u8]) -> Result<Key> {
        if bytes.is_empty() {
            return Err(ClusterError::Value("an empty key".into()));
        }
        Ok(Key(bytes.to_vec()))
    }

    /// The key in lower-case hexadecimal, as the connection file holds it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses [`Key::to_hex`]'s text.
    pub fn from_hex(text: &str) -> Result<Key> {
        let t = text.trim();
        if t.is_empty() || !t.len().is_multiple_of(2) || !t.is_ascii() {
            return Err(ClusterError::Value(
                "a key is an even number of hexadecimal digits".into(),
            ));
        }
        let bytes = (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| ClusterError::Value("a key is hexadecimal digits".into()))?;
        Key::from_bytes(&bytes)
    }

    /// The HMAC-SHA256 of the concatenated `parts`.
    pub fn sign(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the signature of `parts`, compared in constant time.
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let mut mac = self.mac();
        for p in parts {
            mac.update(p);
        }
        mac.verify_slice(tag).is_ok()
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length.
        HmacSha256::new_from_slice(&self.0).expect("HMAC accepts every key length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_signatures_depend_on_the_key() {
        let k = Key::generate().unwrap();
        assert_eq!(k.to_hex().len(), 2 * KEY_BYTES);
        assert_eq!(Key::from_hex(&k.to_hex()).unwrap(), k);
        let tag = k.sign(&[b"ab", b"c"]);
        assert!(k.verify(&[b"a", b"bc"], &tag));
        assert!(!k.verify(&[b"abd"], &tag));
        let other = Key::generate().unwrap();
        assert!(!other.verify(&[b"abc"], &tag));
        assert!(Key::from_hex("abc").is_err());
        assert!(Key::from_hex("zz").is_err());
        assert!(Key::from_hex("").is_err());
    }

    #[test]
    fn rfc4231_case_2() {
        let k = Key::from_bytes(b"Jefe").unwrap();
        let tag = k.sign(&[b"what do ya want ", b"for nothing?"]);
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
