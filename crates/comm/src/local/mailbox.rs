//! The messages of a [`Local`] group and their matching: every ordered pair
//! of ranks has an unbounded channel; a receive takes the first message from
//! its source with its tag and keeps the others aside, in order, for later
//! receives — MPI's matching by (source, tag). A message a receive refuses
//! (wrong flavour, type or length) stays for a later receive, as MPI's
//! probe leaves it unconsumed.

use std::any::Any;

use super::Local;
use crate::communicator::checks::check_peer;
use crate::communicator::Tag;
use crate::error::{CommError, Result};
use crate::scalar::Scalar;

/// What travels through a channel.
pub(super) enum Payload {
    /// Object flavour: serialised bytes.
    Bytes(Vec<u8>),
    /// Buffer flavour: a `Vec<T>` of a [`Scalar`] type, moved without
    /// serialisation, with the type's name for error messages.
    Buf(Box<dyn Any + Send>, &'static str),
}

impl Payload {
    /// A buffer-flavour payload.
    fn buf<T: Scalar>(v: Vec<T>) -> Payload {
        Payload::Buf(Box::new(v), T::NAME)
    }

    /// What the message carries, for a type-mismatch error.
    fn describe(&self) -> String {
        match self {
            Payload::Bytes(b) => format!("a serialised object ({} bytes)", b.len()),
            Payload::Buf(_, name) => format!("a buffer of {name}"),
        }
    }
}

/// A message: its tag and payload (the source is the channel it came by).
pub(super) struct Envelope {
    tag: Tag,
    payload: Payload,
}

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
        self.to[dest]
            .send(Envelope { tag, payload })
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

    /// Takes the first message from `source` with `tag`, keeping others aside.
    fn take(&self, source: usize, tag: Tag, op: &'static str) -> Result<Payload> {
        check_peer(source, self.size)?;
        let mut aside = self.aside[source].borrow_mut();
        if let Some(i) = aside.iter().position(|e| e.tag == tag) {
            return Ok(aside.remove(i).expect("index from position").payload);
        }
        loop {
            let env = self.from[source].recv().map_err(|_| CommError::PeerGone {
                rank: self.rank,
                peer: source,
                op,
            })?;
            if env.tag == tag {
                return Ok(env.payload);
            }
            aside.push_back(env);
        }
    }

    /// Puts a message that a receive refused back in front, so that a later
    /// receive still finds it.
    fn put_back(&self, source: usize, tag: Tag, payload: Payload) {
        self.aside[source]
            .borrow_mut()
            .push_front(Envelope { tag, payload });
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
