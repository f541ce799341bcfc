//! Moving messages between [`Local`] ranks: a send queues the payload in the
//! destination's mailbox at once (mailboxes are unbounded, so sends never
//! block, like buffered MPI sends); a receive takes the first message from
//! its source with its tag from the rank's own mailbox. A message a receive
//! refuses (wrong flavour, type or length) stays for a later receive, as
//! MPI's probe leaves it unconsumed.

use super::payload::Payload;
use super::Local;
use crate::communicator::checks::check_peer;
use crate::communicator::Tag;
use crate::error::{CommError, Result};
use crate::scalar::Scalar;

impl Local {
    /// Sends `payload` to `dest`; `op` names the calling operation in errors.
    pub(super) fn post(
        &self,
        payload: Payload,
        dest: usize,
        tag: Tag,
        op: &'static str,
    ) -> Result<()> {
        check_peer(dest, self.size)?;
        self.boxes[dest]
            .deliver(self.rank, tag, payload)
            .map_err(|_| CommError::PeerGone {
                rank: self.rank,
                peer: dest,
                op,
            })
    }

    /// Sends a buffer-flavour message.
    pub(super) fn post_vec<T: Scalar>(
        &self,
        v: Vec<T>,
        dest: usize,
        tag: Tag,
        op: &'static str,
    ) -> Result<()> {
        self.post(Payload::buf(v), dest, tag, op)
    }

    /// Takes the first message from `source` with `tag`, waiting for it.
    fn take(&self, source: usize, tag: Tag, op: &'static str) -> Result<Payload> {
        check_peer(source, self.size)?;
        let sender = &self.boxes[source];
        self.boxes[self.rank]
            .take(source, tag, || sender.is_closed())
            .ok_or(CommError::PeerGone {
                rank: self.rank,
                peer: source,
                op,
            })
    }

    /// Puts a message that a receive refused back in front, so that a later
    /// receive still finds it.
    fn put_back(&self, source: usize, tag: Tag, payload: Payload) {
        self.boxes[self.rank].put_back(source, tag, payload);
    }

    /// Receives an object-flavour message.
    pub(super) fn take_bytes(&self, source: usize, tag: Tag, op: &'static str) -> Result<Vec<u8>> {
        match self.take(source, tag, op)? {
            Payload::Bytes(b) => Ok(b),
            other => {
                let got = other.describe();
                self.put_back(source, tag, other);
                Err(CommError::TypeMismatch {
                    from: source,
                    tag,
                    got,
                    expected: "a serialised object".into(),
                })
            }
        }
    }

    /// Receives a buffer-flavour message of element type `T`.
    pub(super) fn take_vec<T: Scalar>(
        &self,
        source: usize,
        tag: Tag,
        op: &'static str,
    ) -> Result<Vec<T>> {
        let payload = self.take(source, tag, op)?;
        let got = payload.describe();
        let payload = match payload {
            Payload::Buf(b, name) => match b.downcast::<Vec<T>>() {
                Ok(v) => return Ok(*v),
                Err(b) => Payload::Buf(b, name),
            },
            bytes => bytes,
        };
        self.put_back(source, tag, payload);
        Err(CommError::TypeMismatch {
            from: source,
            tag,
            got,
            expected: format!("a buffer of {}", T::NAME),
        })
    }

    /// Receives a buffer-flavour message into `buf`; returns its length.
    pub(super) fn recv_into<T: Scalar>(
        &self,
        buf: &mut [T],
        source: usize,
        tag: Tag,
        op: &'static str,
    ) -> Result<usize> {
        let v = self.take_vec::<T>(source, tag, op)?;
        if v.len() > buf.len() {
            let got = v.len();
            self.put_back(source, tag, Payload::buf(v));
            return Err(CommError::Truncated {
                from: source,
                tag,
                got,
                capacity: buf.len(),
            });
        }
        buf[..v.len()].copy_from_slice(&v);
        Ok(v.len())
    }
}
