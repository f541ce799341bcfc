//! Non-blocking operations on [`Mpi`]: starting `MPI_Isend`/`MPI_Irecv` on a
//! buffer that the request owns, and waiting for them without hogging the
//! core ([`super::wait`]).

use std::ffi::c_void;
use std::mem::MaybeUninit;

use mpi::ffi::MPI_Request;
use mpi::raw::AsRaw;
use mpi::traits::Equivalence;
use mpi::Count;

use super::wait::wait;
use super::{count, Mpi};
use crate::communicator::checks::{check_peer, check_tag};
use crate::communicator::{Communicator, Request, Tag};
use crate::error::{CommError, Result};
use crate::scalar::Scalar;

/// Which non-blocking operation [`Mpi::start`] posts.
#[derive(Clone, Copy)]
pub(super) enum Start {
    /// `MPI_Isend`: MPI reads the buffer.
    Send,
    /// `MPI_Irecv`: MPI writes the buffer.
    Recv,
}

impl Mpi {
    /// Posts a non-blocking send of the `len` elements at `buf` to `peer`, or
    /// a receive of at most `len` elements into `buf` from `peer`, after
    /// checking the tag, the peer and the count.
    ///
    /// # Safety
    ///
    /// The `len` elements at `buf` must stay allocated and in place until the
    /// returned request completes (`MPI_Test` or `MPI_Wait`), and, for a
    /// receive, nothing else may read or write them until then.
    pub(super) unsafe fn start<T: Equivalence>(
        &self,
        op: Start,
        buf: *mut T,
        len: usize,
        peer: usize,
        tag: Tag,
    ) -> Result<MPI_Request> {
        check_tag(tag)?;
        check_peer(peer, self.size())?;
        let n = count(len)?;
        let (buf, ty) = (buf.cast::<c_void>(), T::equivalent_datatype().as_raw());
        let (peer, comm) = (peer as i32, self.world.as_raw());
        let mut req = MaybeUninit::<MPI_Request>::uninit();
        // SAFETY: the caller keeps the buffer alive and in place until the
        // request completes; MPI initialises `req` before returning.
        unsafe {
            match op {
                Start::Send => mpi::ffi::MPI_Isend(buf, n, ty, peer, tag, comm, req.as_mut_ptr()),
                Start::Recv => mpi::ffi::MPI_Irecv(buf, n, ty, peer, tag, comm, req.as_mut_ptr()),
            };
            Ok(req.assume_init())
        }
    }
}

/// The request of [`Mpi::isend_buf`](crate::PointToPoint::isend_buf) (an
/// `MPI_Isend` on the buffer it owns).
#[must_use = "a request does nothing useful until it is waited on"]
pub struct MpiSend<T> {
    buf: Vec<T>,
    req: MPI_Request,
    done: bool,
}

impl<T: Scalar> MpiSend<T> {
    /// Starts sending `buf` to `dest`.
    pub(super) fn start(mpi: &Mpi, mut buf: Vec<T>, dest: usize, tag: Tag) -> Result<MpiSend<T>> {
        // SAFETY: the request owns the buffer (a Vec's heap memory does not
        // move with it) and waits before freeing it, on `wait` or on drop.
        let req = unsafe { mpi.start(Start::Send, buf.as_mut_ptr(), buf.len(), dest, tag)? };
        Ok(MpiSend {
            buf,
            req,
            done: false,
        })
    }
}

impl<T: Scalar> Request for MpiSend<T> {
    type Output = Vec<T>;
    fn wait(mut self) -> Result<Vec<T>> {
        wait(&mut self.req, std::mem::size_of_val(&self.buf[..]));
        self.done = true;
        Ok(std::mem::take(&mut self.buf))
    }
}

impl<T> Drop for MpiSend<T> {
    fn drop(&mut self) {
        if !self.done {
            // MPI must be done with the buffer before it is freed.
            wait(&mut self.req, std::mem::size_of_val(&self.buf[..]));
        }
    }
}

/// The request of [`Mpi::irecv_buf`](crate::PointToPoint::irecv_buf) (an
/// `MPI_Irecv` into the buffer it owns).
#[must_use = "a request does nothing useful until it is waited on"]
pub struct MpiRecv<T> {
    buf: Vec<T>,
    req: MPI_Request,
    done: bool,
    source: usize,
    tag: Tag,
}

impl<T: Scalar> MpiRecv<T> {
    /// Starts receiving into `buf` (its length is the capacity) from `source`.
    pub(super) fn start(mpi: &Mpi, mut buf: Vec<T>, source: usize, tag: Tag) -> Result<MpiRecv<T>> {
        // SAFETY: the request owns the buffer (a Vec's heap memory does not
        // move with it) and nothing else touches it; the request waits (or
        // cancels and waits) before freeing it.
        let req = unsafe { mpi.start(Start::Recv, buf.as_mut_ptr(), buf.len(), source, tag)? };
        Ok(MpiRecv {
            buf,
            req,
            done: false,
            source,
            tag,
        })
    }
}

impl<T: Scalar> Request for MpiRecv<T> {
    type Output = Vec<T>;
    fn wait(mut self) -> Result<Vec<T>> {
        let status = wait(&mut self.req, std::mem::size_of_val(&self.buf[..]));
        self.done = true;
        let mut n: Count = 0;
        // SAFETY: `status` was filled by the completed request.
        unsafe { mpi::ffi::MPI_Get_count(&status, T::equivalent_datatype().as_raw(), &mut n) };
        if status.MPI_ERROR != 0 && n as usize > self.buf.len() {
            return Err(CommError::Truncated {
                from: self.source,
                tag: self.tag,
                got: n as usize,
                capacity: self.buf.len(),
            });
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.truncate(n.max(0) as usize);
        Ok(buf)
    }
}

impl<T> Drop for MpiRecv<T> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: a live request; cancel it, then wait, so MPI no longer
            // writes into the buffer when it is freed.
            unsafe { mpi::ffi::MPI_Cancel(&mut self.req) };
            wait(&mut self.req, std::mem::size_of_val(&self.buf[..]));
        }
    }
}
