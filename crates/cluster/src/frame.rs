//! Signed, length-prefixed frames: the only thing that crosses a socket.
//!
//! A frame is a fixed prefix, a header (a small encoded envelope that says
//! what the frame is) and a body (a task, a value, a result; possibly large):
//!
//! ```text
//! magic "HPC1" | seq u64 | header_len u32 | body_len u64 | body BLAKE3 [32] | HMAC [32] | header | body
//! ```
//!
//! The HMAC-SHA256 (with the cluster's key) covers everything before it and
//! the header, so the body is authenticated through its digest (BLAKE3, a
//! cryptographic hash several times faster than SHA-256 on large bodies: a
//! 100 MB scatter hashes its data once at each end): a
//! controller can check and route a frame by its header and forward the
//! body untouched, and only the final receiver hashes the body. `seq`
//! counts the frames of one direction of one connection from 0, so a
//! recorded frame cannot be replayed or reordered. Lengths are checked
//! against [`Limits`] before anything is allocated, and the body is only
//! allocated once the header's signature holds: a peer without the key
//! costs at most one header buffer.

use std::io::{self, Read, Write};

use crate::error::{ClusterError, Result};
use crate::key::Key;

/// The first bytes of every frame.
pub const MAGIC: [u8; 4] = *b"HPC1";
/// Bytes before the header.
pub const PREFIX_BYTES: usize = 4 + 8 + 4 + 8 + 32 + 32;

/// The largest frames a reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest header, in bytes.
    pub max_header: u32,
    /// Largest body, in bytes.
    pub max_body: u64,
}

impl Default for Limits {
    /// Headers up to 1 MiB, bodies up to 4 GiB.
    fn default() -> Self {
        Limits {
            max_header: 1 << 20,
            max_body: 4 << 30,
        }
    }
}

/// One frame as read, signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The encoded envelope.
    pub header: Vec<u8>,
    /// The payload.
    pub body: Vec<u8>,
    /// The BLAKE3 digest of the body the sender signed (all zeros for no body).
    pub digest: [u8; 32],
}

impl Frame {
    /// Checks that the body is the one the sender signed; a frame's final
    /// receiver calls this before decoding the body.
    pub fn check_body(&self, peer: &str) -> Result<()> {
        if body_digest(&self.body) == self.digest {
            Ok(())
        } else {
            Err(ClusterError::protocol(
                peer,
                "frame body does not match its signed digest",
            ))
        }
    }
}

/// The digest a frame carries for `body`.
pub fn body_digest(body: &[u8]) -> [u8; 32] {
    parts_digest(&[body])
}

/// The digest of the body that `parts` make, one after the other.
pub fn parts_digest(parts: &[&[u8]]) -> [u8; 32] {
    if parts.iter().all(|p| p.is_empty()) {
        return [0; 32];
    }
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Reads frames from one peer, checking signatures and order.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    key: Key,
    seq: u64,
    limits: Limits,
    peer: String,
}

impl<R: Read> FrameReader<R> {
    /// A reader of `inner`, whose frames must be signed with `key`; `peer`
    /// names the other end in errors.
    pub fn new(inner: R, key: Key, limits: Limits, peer: impl Into<String>) -> Self {
        FrameReader {
            inner,
            key,
            seq: 0,
            limits,
            peer: peer.into(),
        }
    }

    /// Who the frames come from.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The next frame, or `None` when the peer closed the stream between
    /// frames. A stream that ends inside a frame, a bad signature, a frame
    /// out of order or beyond the limits is an error (and the stream is
    /// then unusable).
    pub fn read(&mut self) -> Result<Option<Frame>> {
        let mut prefix = [0u8; PREFIX_BYTES];
        match read_full(&mut self.inner, &mut prefix) {
            Ok(0) => return Ok(None),
            Ok(n) if n < PREFIX_BYTES => {
                return Err(self.bad(format!("connection closed inside a frame ({n} bytes)")))
            }
            Ok(_) => {}
            Err(e) => return Err(ClusterError::io(self.peer.clone(), e)),
        }
        if prefix[..4] != MAGIC {
            return Err(self.bad("not a cluster frame (bad magic)"));
        }
        let seq = u64::from_le_bytes(prefix[4..12].try_into().expect("8 bytes"));
        let header_len = u32::from_le_bytes(prefix[12..16].try_into().expect("4 bytes"));
        let body_len = u64::from_le_bytes(prefix[16..24].try_into().expect("8 bytes"));
        let digest: [u8; 32] = prefix[24..56].try_into().expect("32 bytes");
        let tag = &prefix[56..88];
        if header_len > self.limits.max_header {
            return Err(self.bad(format!(
                "header of {header_len} bytes exceeds the limit of {}",
                self.limits.max_header
            )));
        }
        if body_len > self.limits.max_body {
            return Err(self.bad(format!(
                "body of {body_len} bytes exceeds the limit of {}",
                self.limits.max_body
            )));
        }
        let mut header = vec![0u8; header_len as usize];
        self.read_exact(&mut header)?;
        if !self.key.verify(&[&prefix[..56], &header], tag) {
            return Err(self.bad("bad signature (wrong key?)"));
        }
        if seq != self.seq {
            return Err(self.bad(format!("frame {seq} out of order (expected {})", self.seq)));
        }
        self.seq += 1;
        let mut body = Vec::new();
        if body_len > 0 {
            // Signed by a key holder: the length (within the limits) is
            // trusted, and the body read in place.
            body.try_reserve_exact(body_len as usize)
                .map_err(|_| self.bad(format!("cannot allocate a body of {body_len} bytes")))?;
            let got = (&mut self.inner)
                .take(body_len)
                .read_to_end(&mut body)
                .map_err(|e| ClusterError::io(self.peer.clone(), e))?;
            if got as u64 != body_len {
                return Err(self.bad(format!(
                    "connection closed inside a frame body ({got} of {body_len} bytes)"
                )));
            }
        }
        Ok(Some(Frame {
            header,
            body,
            digest,
        }))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        match read_full(&mut self.inner, buf) {
            Ok(n) if n == buf.len() => Ok(()),
            Ok(n) => Err(self.bad(format!(
                "connection closed inside a frame ({n} of {} bytes)",
                buf.len()
            ))),
            Err(e) => Err(ClusterError::io(self.peer.clone(), e)),
        }
    }

    fn bad(&self, why: impl Into<String>) -> ClusterError {
        ClusterError::protocol(self.peer.clone(), why)
    }
}

/// Reads until `buf` is full or the stream ends; the count read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Writes signed frames to one peer.
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    key: Key,
    seq: u64,
    peer: String,
}

impl<W: Write> FrameWriter<W> {
    /// A writer to `inner`, signing with `key`; `peer` names the other end
    /// in errors.
    pub fn new(inner: W, key: Key, peer: impl Into<String>) -> Self {
        FrameWriter {
            inner,
            key,
            seq: 0,
            peer: peer.into(),
        }
    }

    /// Who the frames go to.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Writes one frame (not flushed). `digest` is the body's digest when
    /// it is known (a forwarded body, already checked by its sender's
    /// signature); `None` computes it.
    pub fn write(&mut self, header: &[u8], body: &[u8], digest: Option<[u8; 32]>) -> Result<()> {
        self.write_parts(header, &[body], digest)
    }

    /// [`write`](FrameWriter::write) of a body given in pieces, sent one
    /// after the other and signed as the one body they make (so that a
    /// large array is sent from where it lies, not copied behind its
    /// encoded prefix first).
    pub fn write_parts(
        &mut self,
        header: &[u8],
        body: &[&[u8]],
        digest: Option<[u8; 32]>,
    ) -> Result<()> {
        let header_len = u32::try_from(header.len())
            .map_err(|_| ClusterError::protocol(self.peer.clone(), "header too large"))?;
        let digest = digest.unwrap_or_else(|| parts_digest(body));
        let body_len: u64 = body.iter().map(|p| p.len() as u64).sum();
        let mut prefix = [0u8; PREFIX_BYTES];
        prefix[..4].copy_from_slice(&MAGIC);
        prefix[4..12].copy_from_slice(&self.seq.to_le_bytes());
        prefix[12..16].copy_from_slice(&header_len.to_le_bytes());
        prefix[16..24].copy_from_slice(&body_len.to_le_bytes());
        prefix[24..56].copy_from_slice(&digest);
        let tag = self.key.sign(&[&prefix[..56], header]);
        prefix[56..88].copy_from_slice(&tag);
        self.seq += 1;
        let io = |e| ClusterError::io(self.peer.clone(), e);
        self.inner.write_all(&prefix).map_err(io)?;
        self.inner.write_all(header).map_err(io)?;
        for part in body {
            self.inner.write_all(part).map_err(io)?;
        }
        Ok(())
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) -> Result<()> {
        self.inner
            .flush()
            .map_err(|e| ClusterError::io(self.peer.clone(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::from_bytes(b"secret").unwrap()
    }

    fn encode(frames: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut w = FrameWriter::new(Vec::new(), key(), "test");
        for (h, b) in frames {
            w.write(h, b, None).unwrap();
        }
        w.inner
    }

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let bytes = encode(&[(b"hello", b""), (b"h2", &[7u8; 1000])]);
        let mut r = FrameReader::new(&bytes[..], key(), Limits::default(), "peer");
        let f = r.read().unwrap().unwrap();
        assert_eq!((f.header.as_slice(), f.body.len()), (&b"hello"[..], 0));
        let f = r.read().unwrap().unwrap();
        assert_eq!(f.body, vec![7u8; 1000]);
        f.check_body("peer").unwrap();
        assert!(r.read().unwrap().is_none());
    }

    #[test]
    fn a_wrong_key_is_refused() {
        let bytes = encode(&[(b"hello", b"x")]);
        let other = Key::from_bytes(b"guess").unwrap();
        let mut r = FrameReader::new(&bytes[..], other, Limits::default(), "peer");
        let e = r.read().unwrap_err().to_string();
        assert!(e.contains("bad signature"), "{e}");
    }

    #[test]
    fn replayed_frames_and_altered_bodies_are_refused() {
        let one = encode(&[(b"a", b"body")]);
        let mut twice = one.clone();
        twice.extend_from_slice(&one);
        let mut r = FrameReader::new(&twice[..], key(), Limits::default(), "peer");
        r.read().unwrap().unwrap();
        assert!(r.read().unwrap_err().to_string().contains("out of order"));

        let mut altered = one.clone();
        *altered.last_mut().unwrap() ^= 1;
        let mut r = FrameReader::new(&altered[..], key(), Limits::default(), "peer");
        let f = r.read().unwrap().unwrap();
        assert!(f.check_body("peer").is_err());
    }

    #[test]
    fn oversized_lengths_are_refused_before_allocating() {
        let mut bytes = encode(&[(b"a", b"b")]);
        bytes[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        let mut r = FrameReader::new(&bytes[..], key(), Limits::default(), "peer");
        assert!(r.read().unwrap_err().to_string().contains("exceeds"));
        let mut bytes = encode(&[(b"a", b"b")]);
        bytes[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut r = FrameReader::new(&bytes[..], key(), Limits::default(), "peer");
        assert!(r.read().unwrap_err().to_string().contains("exceeds"));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&[(b"head", b"body")]);
        for cut in 1..bytes.len() {
            let mut r = FrameReader::new(&bytes[..cut], key(), Limits::default(), "peer");
            assert!(r.read().is_err(), "cut at {cut}");
        }
    }

    proptest::proptest! {
        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut r = FrameReader::new(&data[..], key(), Limits { max_header: 256, max_body: 256 }, "peer");
            for _ in 0..4 {
                match r.read() {
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
        }

        #[test]
        fn flipping_any_signed_byte_is_caught(at in 0usize..(PREFIX_BYTES + 4), bit in 0u8..8) {
            let mut bytes = encode(&[(b"head", b"body")]);
            bytes[at] ^= 1 << bit;
            let mut r = FrameReader::new(&bytes[..], key(), Limits::default(), "peer");
            match r.read() {
                Ok(Some(f)) => proptest::prop_assert!(f.check_body("peer").is_err()),
                Ok(None) => proptest::prop_assert!(false, "vanished"),
                Err(_) => {}
            }
        }
    }
}
