//! [`PointToPoint`] for [`Mpi`]: the buffer flavour on MPI's typed calls,
//! the object flavour on buffered sends of bytes and probed receives.

use mpi::point_to_point as p2p;
use mpi::traits::{Destination, Equivalence, Source};

use super::request::{MpiRecv, MpiSend, Start};
use super::{count, Mpi};
use crate::communicator::checks::check_tag;
use crate::communicator::{PointToPoint, Tag};
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
        let (msg, status) = self.process(source)?.matched_probe_with_tag(tag);
        let mut bytes = vec![0u8; status.count(u8::equivalent_datatype()) as usize];
        msg.matched_receive_into(&mut bytes[..]);
        self.progress();
        Ok(bytes)
    }

    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        count(buf.len())?;
        self.process(dest)?.send_with_tag(buf, tag);
        Ok(())
    }

    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize> {
        check_tag(tag)?;
        let process = self.process(source)?;
        // Probe first, so that a message longer than `buf` is a typed error
        // rather than MPI's fatal truncation error.
        let status = process.probe_with_tag(tag);
        let n = status.count(T::equivalent_datatype()) as usize;
        if n > buf.len() {
            return Err(CommError::Truncated {
                from: source,
                tag,
                got: n,
                capacity: buf.len(),
            });
        }
        process.receive_into_with_tag(&mut buf[..n], tag);
        Ok(n)
    }

    fn isend_buf<T: Scalar>(&self, buf: Vec<T>, dest: usize, tag: Tag) -> Result<MpiSend<T>> {
        MpiSend::start(self, buf, dest, tag)
    }

    fn irecv_buf<T: Scalar>(&self, buf: Vec<T>, source: usize, tag: Tag) -> Result<MpiRecv<T>> {
        MpiRecv::start(self, buf, source, tag)
    }

    /// `MPI_Sendrecv` straight from `send` into `recv`, with no copy.
    fn sendrecv_buf<T: Scalar>(
        &self,
        send: &[T],
        dest: usize,
        recv: &mut [T],
        source: usize,
        tag: Tag,
    ) -> Result<usize> {
        check_tag(tag)?;
        count(send.len())?;
        count(recv.len())?;
        let (d, s) = (self.process(dest)?, self.process(source)?);
        let status = p2p::send_receive_into_with_tags(send, &d, tag, recv, &s, tag);
        Ok(status.count(T::equivalent_datatype()) as usize)
    }
}
