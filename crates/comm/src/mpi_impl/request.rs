//! Non-blocking operations on [`Mpi`]: starting `MPI_Isend`/`MPI_Irecv` on a
//! buffer that the request owns, and waiting for them without hogging the
//! core.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

use mpi::ffi::{MPI_Request, MPI_Status};
use mpi::raw::AsRaw;
use mpi::traits::Equivalence;
use mpi::Count;

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

/// Waits for a request like `MPI_Wait`, but gives the core away while the
/// message is late: it polls for [`SPIN`] (a message about to arrive costs
/// nothing more), then yields a few times, then sleeps between polls,
/// [`FIRST_NAP`] at first, doubling up to [`LONGEST_NAP`].
///
/// MPICH's `MPI_Wait` spins without yielding. When ranks outnumber cores
/// (oversubscription) or share them with other work, the spinning rank holds
/// the very core the rank it waits for needs, for a whole scheduler time
/// slice per message. Yielding is not enough: `sched_yield` returns at once
/// when nothing else is queued on this core, so the core stays busy and the
/// scheduler does not move the late rank (queued behind other work on
/// another core) onto it. A sleeping rank leaves its core idle, and an idle
/// core pulls a waiting task over at once.
fn wait_yielding(req: &mut MPI_Request) -> MPI_Status {
    let mut status = MaybeUninit::<MPI_Status>::uninit();
    let start = Instant::now();
    let mut yields = 0;
    let mut nap = FIRST_NAP;
    loop {
        let mut done = 0;
        // SAFETY: `req` is a live request; MPI_Test fills `status` when done.
        unsafe { mpi::ffi::MPI_Test(req, &mut done, status.as_mut_ptr()) };
        if done != 0 {
            // SAFETY: filled by the successful MPI_Test above.
            return unsafe { status.assume_init() };
        }
        if start.elapsed() < SPIN {
            std::hint::spin_loop();
        } else if yields < YIELDS {
            yields += 1;
            std::thread::yield_now();
        } else {
            std::thread::sleep(nap);
            nap = (nap * 2).min(LONGEST_NAP);
        }
    }
}

/// How long [`wait_yielding`] polls before it yields: longer than ranks of
/// one machine drift apart in a few steps of work, so that on an idle
/// machine a rank never sleeps for a message that is on its way, and far
/// shorter than the time slice another process holds a core for.
const SPIN: Duration = Duration::from_micros(200);

/// Yields between polling and sleeping.
const YIELDS: usize = 4;

/// The first sleep between polls of a late message.
const FIRST_NAP: Duration = Duration::from_micros(20);

/// The longest sleep between polls: bounds how late a rank notices a
/// message that came while it slept.
const LONGEST_NAP: Duration = Duration::from_micros(500);

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
        wait_yielding(&mut self.req);
        self.done = true;
        Ok(std::mem::take(&mut self.buf))
    }
}

impl<T> Drop for MpiSend<T> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: a live request; MPI must be done with the buffer before
            // it is freed.
            unsafe { mpi::ffi::MPI_Wait(&mut self.req, mpi::ffi::RSMPI_STATUS_IGNORE) };
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
        let status = wait_yielding(&mut self.req);
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
            unsafe {
                mpi::ffi::MPI_Cancel(&mut self.req);
                mpi::ffi::MPI_Wait(&mut self.req, mpi::ffi::RSMPI_STATUS_IGNORE);
            }
        }
    }
}
