//! [`PointToPoint`] for [`Mpi`]: the buffer flavour on MPI's typed
//! non-blocking calls, the object flavour on buffered sends of bytes and
//! probed receives; every wait polls with pauses (`wait.rs`).

use mpi::raw::AsRaw;
use mpi::traits::Equivalence;

use super::request::{MpiRecv, MpiSend, Start};
use super::wait::{complete, received, wait};
use super::{count, Mpi};
use crate::communicator::checks::{check_peer, check_tag};
use crate::communicator::{Communicator, PointToPoint, Tag};
use crate::error::{CommError, Result};
use crate::scalar::Scalar;

impl PointToPoint for Mpi {
    type SendRequest<T: Scalar> = MpiSend<T>;
    type RecvRequest<'a, T: Scalar> = MpiRecv<T>;

    fn send_bytes(&self, mut bytes: Vec<u8>, dest: usize, tag: Tag) -> Result<()> {
        self.progress();
        // SAFETY: the bytes' heap memory does not move when the Vec moves into
        // `pending`, and stays alive there until MPI_Test/MPI_Wait completes
        // the request; nothing writes to it.
        let req = unsafe { self.start(Start::Send, bytes.as_mut_ptr(), bytes.len(), dest, tag)? };
        self.pending.borrow_mut().push((bytes, req));
        Ok(())
    }

    fn recv_bytes(&self, source: usize, tag: Tag) -> Result<Vec<u8>> {
        check_tag(tag)?;
        check_peer(source, self.size())?;
        let (mut message, status) = self.matched_probe(source, tag);
        let n = received::<u8>(&status);
        let mut bytes = vec![0u8; n];
        let (ty, len) = (u8::equivalent_datatype().as_raw(), count(n)?);
        let at = bytes.as_mut_ptr().cast();
        // SAFETY: `bytes` holds exactly the matched message's length, stays
        // in place and untouched until `complete` has waited for the receive.
        unsafe {
            complete(n, |req| {
                mpi::ffi::MPI_Imrecv(at, len, ty, &mut message, req);
            })
        };
        self.progress();
        Ok(bytes)
    }

    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()> {
        // SAFETY: MPI only reads the buffer, which is borrowed until the
        // request is waited for below.
        let mut req =
            unsafe { self.start(Start::Send, buf.as_ptr().cast_mut(), buf.len(), dest, tag)? };
        wait(&mut req, std::mem::size_of_val(buf));
        Ok(())
    }

    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize> {
        check_tag(tag)?;
        check_peer(source, self.size())?;
        // Probe first, so that a message longer than `buf` is a typed error
        // (the message stays queued) rather than MPI's fatal truncation error.
        let n = received::<T>(&self.probe(source, tag));
        if n > buf.len() {
            return Err(CommError::Truncated {
                from: source,
                tag,
                got: n,
                capacity: buf.len(),
            });
        }
        // The probed message is the first from `source` with `tag`, so this
        // receive matches it (only one thread at a time uses MPI).
        // SAFETY: `buf` is borrowed mutably until the request is waited for.
        let mut req = unsafe { self.start(Start::Recv, buf.as_mut_ptr(), n, source, tag)? };
        wait(&mut req, n * std::mem::size_of::<T>());
        Ok(n)
    }

    fn isend_buf<T: Scalar>(&self, buf: Vec<T>, dest: usize, tag: Tag) -> Result<MpiSend<T>> {
        MpiSend::start(self, buf, dest, tag)
    }

    fn irecv_buf<T: Scalar>(&self, buf: Vec<T>, source: usize, tag: Tag) -> Result<MpiRecv<T>> {
        MpiRecv::start(self, buf, source, tag)
    }

    /// A non-blocking send straight from `send`, then the receive straight
    /// into `recv` (probed first, like [`PointToPoint::recv_buf`]), then the
    /// wait for the send: no copy, and no deadlock when both sides call it.
    fn sendrecv_buf<T: Scalar>(
        &self,
        send: &[T],
        dest: usize,
        recv: &mut [T],
        source: usize,
        tag: Tag,
    ) -> Result<usize> {
        check_peer(source, self.size())?;
        // SAFETY: MPI only reads `send`, which is borrowed until the request
        // is waited for below, on every path.
        let mut sent =
            unsafe { self.start(Start::Send, send.as_ptr().cast_mut(), send.len(), dest, tag)? };
        let got = self.recv_buf(recv, source, tag);
        wait(&mut sent, std::mem::size_of_val(send));
        got
    }
}
