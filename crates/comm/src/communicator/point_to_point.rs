//! [`PointToPoint`]: messages between two ranks (MPI's chapter 3), in both
//! flavours.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::checks::{check_peer, check_tag};
use super::codec::{decode, encode};
use super::{Communicator, ObjectRecv, ObjectSend, Request, Tag};
use crate::error::Result;
use crate::scalar::Scalar;

/// Messages from one rank to another, named by the peer's rank and a tag.
///
/// **Object flavour** (`send`, `recv`, …): any `serde` type, serialised into
/// bytes. Object sends are *buffered*: they never wait for the receiver, so
/// two ranks may both send before they receive.
///
/// **Buffer flavour** (`send_buf`, `recv_buf`, …): slices of a [`Scalar`]
/// type, moved as raw memory into buffers the receiver preallocated — no
/// serialisation. Blocking buffer sends may wait for the matching receive (as
/// MPI's standard mode does for large messages).
pub trait PointToPoint {
    /// The request of [`PointToPoint::isend_buf`]; waiting gives the buffer back.
    type SendRequest<T: Scalar>: Request<Output = Vec<T>>;
    /// The request of [`PointToPoint::irecv_buf`]; waiting gives the buffer,
    /// truncated to the number of elements received.
    type RecvRequest<'a, T: Scalar>: Request<Output = Vec<T>>
    where
        Self: 'a;

    // ---- byte transport, on which the object flavour is built ----

    /// Sends serialised bytes (buffered: returns without waiting for the receiver).
    fn send_bytes(&self, bytes: Vec<u8>, dest: usize, tag: Tag) -> Result<()>;
    /// Receives a message of bytes of any length from `source`.
    fn recv_bytes(&self, source: usize, tag: Tag) -> Result<Vec<u8>>;

    // ---- buffer flavour ----

    /// Sends a slice of numbers to `dest`.
    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()>;
    /// Receives into `buf` from `source`; returns the number of elements
    /// received (an error if the message is longer than `buf`).
    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize>;
    /// Starts sending `buf` to `dest`; waiting gives `buf` back for reuse.
    fn isend_buf<T: Scalar>(
        &self,
        buf: Vec<T>,
        dest: usize,
        tag: Tag,
    ) -> Result<Self::SendRequest<T>>;
    /// Starts receiving into `buf` (its length is the capacity) from `source`.
    fn irecv_buf<T: Scalar>(
        &self,
        buf: Vec<T>,
        source: usize,
        tag: Tag,
    ) -> Result<Self::RecvRequest<'_, T>>;
    /// Sends `send` to `dest` and receives into `recv` from `source` at once,
    /// so that a ring or halo exchange cannot deadlock; returns the count received.
    ///
    /// Provided as a non-blocking send of a copy of `send`, a receive, and a
    /// wait; a backend with a native exchange (MPI_Sendrecv) overrides it.
    fn sendrecv_buf<T: Scalar>(
        &self,
        send: &[T],
        dest: usize,
        recv: &mut [T],
        source: usize,
        tag: Tag,
    ) -> Result<usize> {
        let sent = self.isend_buf(send.to_vec(), dest, tag)?;
        let n = self.recv_buf(recv, source, tag)?;
        sent.wait()?;
        Ok(n)
    }

    // ---- object flavour (provided) ----

    /// Sends any serde value to `dest` (buffered: never waits for the receiver).
    fn send<T: Serialize + ?Sized>(&self, value: &T, dest: usize, tag: Tag) -> Result<()> {
        self.send_bytes(encode(value)?, dest, tag)
    }
    /// Receives a value of type `T` from `source`.
    fn recv<T: DeserializeOwned>(&self, source: usize, tag: Tag) -> Result<T> {
        decode(&self.recv_bytes(source, tag)?, source)
    }
    /// Sends `value` to `dest` and receives a value from `source`.
    fn sendrecv<S: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        value: &S,
        dest: usize,
        source: usize,
        tag: Tag,
    ) -> Result<R> {
        self.send(value, dest, tag)?;
        self.recv(source, tag)
    }
    /// Starts sending `value` (serialised now, so the caller may change it at once).
    fn isend<T: Serialize + ?Sized>(&self, value: &T, dest: usize, tag: Tag) -> Result<ObjectSend> {
        self.send(value, dest, tag)?;
        Ok(ObjectSend(()))
    }
    /// Starts receiving a value from `source`; the message is matched when waited on.
    fn irecv<T: DeserializeOwned>(&self, source: usize, tag: Tag) -> Result<ObjectRecv<'_, Self, T>>
    where
        Self: Communicator + Sized,
    {
        check_peer(source, self.size())?;
        check_tag(tag)?;
        Ok(ObjectRecv {
            comm: self,
            source,
            tag,
            _t: PhantomData,
        })
    }
}
