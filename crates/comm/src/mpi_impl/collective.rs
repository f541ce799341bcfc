//! [`Collectives`] for [`Mpi`]: the buffer flavour on MPI's non-blocking
//! collectives (`MPI_Ibcast`, `MPI_Igather`, …) and predefined reductions,
//! each completed by polling with pauses (`wait.rs`); the object flavour
//! exchanges each rank's byte count first, then moves the bytes with the
//! `v` (varying count) variants.

use std::ffi::c_void;

use mpi::collective::SystemOperation;
use mpi::ffi::{MPI_Comm, MPI_Datatype};
use mpi::raw::AsRaw;
use mpi::traits::Equivalence;
use mpi::Count;

use super::wait::complete;
use super::{count, Mpi};
use crate::communicator::checks::{check_blocks, check_peer, root_data};
use crate::communicator::{Collectives, Communicator};
use crate::error::Result;
use crate::scalar::{Op, Scalar};

/// MPI's datatype of `T`.
fn datatype<T: Equivalence>() -> MPI_Datatype {
    T::equivalent_datatype().as_raw()
}

/// A null buffer, for the arguments MPI reads only on the root.
fn none<T>() -> *mut c_void {
    std::ptr::null_mut::<T>().cast()
}

impl Mpi {
    /// The world's handle, for MPI's C interface.
    fn raw(&self) -> MPI_Comm {
        self.world.as_raw()
    }

    /// `root` as MPI's rank, checked against the world's size.
    fn root(&self, root: usize) -> Result<i32> {
        check_peer(root, self.size())?;
        Ok(root as i32)
    }
}

/// Where each rank's part starts in the concatenation of parts of `counts`.
fn displacements(counts: &[Count]) -> Vec<Count> {
    counts
        .iter()
        .scan(0, |acc, &c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

/// Cuts the concatenation `bytes` back into parts of `counts` bytes.
fn split(bytes: Vec<u8>, counts: &[Count]) -> Vec<Vec<u8>> {
    let mut rest = &bytes[..];
    counts
        .iter()
        .map(|&c| {
            let (head, tail) = rest.split_at(c as usize);
            rest = tail;
            head.to_vec()
        })
        .collect()
}

/// The MPI operation of a reduction.
fn system_op(op: Op) -> SystemOperation {
    match op {
        Op::Sum => SystemOperation::sum(),
        Op::Prod => SystemOperation::product(),
        Op::Min => SystemOperation::min(),
        Op::Max => SystemOperation::max(),
    }
}

impl Collectives for Mpi {
    fn barrier(&self) -> Result<()> {
        self.progress();
        let comm = self.raw();
        // SAFETY: no buffers.
        unsafe {
            complete(0, |req| {
                mpi::ffi::MPI_Ibarrier(comm, req);
            })
        };
        Ok(())
    }

    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>> {
        let mut len = [0u64];
        let mut bytes = if self.rank() == root {
            let b = root_data(bytes, "bcast", root)?;
            len[0] = b.len() as u64;
            b
        } else {
            check_peer(root, self.size())?;
            Vec::new()
        };
        self.bcast_buf(&mut len, root)?;
        bytes.resize(len[0] as usize, 0);
        self.bcast_buf(&mut bytes, root)?;
        Ok(bytes)
    }

    fn gather_bytes(&self, bytes: Vec<u8>, root: usize) -> Result<Option<Vec<Vec<u8>>>> {
        let n = count(bytes.len())?;
        let (comm, ty, at) = (self.raw(), datatype::<u8>(), self.root(root)?);
        let send = bytes.as_ptr().cast();
        if self.rank() != root {
            self.gather_buf(&[n], None, root)?;
            // SAFETY: `bytes` is borrowed until the gather completes; the
            // receive arguments are read only on the root.
            unsafe {
                complete(bytes.len(), |req| {
                    let (no, nc) = (none::<u8>(), std::ptr::null());
                    mpi::ffi::MPI_Igatherv(send, n, ty, no, nc, nc, ty, at, comm, req);
                })
            };
            return Ok(None);
        }
        let mut counts = vec![0 as Count; self.size()];
        self.gather_buf(&[n], Some(&mut counts), root)?;
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        let (recv, c, d) = (all.as_mut_ptr().cast(), counts.as_ptr(), displs.as_ptr());
        // SAFETY: `bytes`, `all`, `counts` and `displs` live, unmoved and
        // untouched, until the gather completes; `all` holds the counts' sum.
        unsafe {
            complete(total, |req| {
                mpi::ffi::MPI_Igatherv(send, n, ty, recv, c, d, ty, at, comm, req);
            })
        };
        Ok(Some(split(all, &counts)))
    }

    fn allgather_bytes(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        let n = count(bytes.len())?;
        let mut counts = vec![0 as Count; self.size()];
        self.allgather_buf(&[n], &mut counts)?;
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        let (comm, ty) = (self.raw(), datatype::<u8>());
        let (send, recv) = (bytes.as_ptr().cast(), all.as_mut_ptr().cast());
        let (c, d) = (counts.as_ptr(), displs.as_ptr());
        // SAFETY: `bytes`, `all`, `counts` and `displs` live, unmoved and
        // untouched, until the gather completes; `all` holds the counts' sum.
        unsafe {
            complete(total, |req| {
                mpi::ffi::MPI_Iallgatherv(send, n, ty, recv, c, d, ty, comm, req);
            })
        };
        Ok(split(all, &counts))
    }

    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>> {
        let (comm, ty, at) = (self.raw(), datatype::<u8>(), self.root(root)?);
        let mut n = [0 as Count];
        if self.rank() != root {
            self.scatter_buf(None, &mut n, root)?;
            let mut mine = vec![0u8; n[0] as usize];
            let recv = mine.as_mut_ptr().cast();
            // SAFETY: `mine` (of the announced length) is untouched until the
            // scatter completes; the send arguments are read only on the root.
            unsafe {
                complete(n[0] as usize, |req| {
                    let (no, nc) = (none::<u8>(), std::ptr::null());
                    mpi::ffi::MPI_Iscatterv(no, nc, nc, ty, recv, n[0], ty, at, comm, req);
                })
            };
            return Ok(mine);
        }
        let parts = root_data(parts, "scatter", root)?;
        check_blocks("scatter", parts.len(), 1, self.size())?;
        let counts = parts
            .iter()
            .map(|p| count(p.len()))
            .collect::<Result<Vec<_>>>()?;
        let displs = displacements(&counts);
        let all = parts.concat();
        self.scatter_buf(Some(&counts), &mut n, root)?;
        let mut mine = vec![0u8; n[0] as usize];
        let (send, recv) = (all.as_ptr().cast_mut().cast(), mine.as_mut_ptr().cast());
        let (c, d) = (counts.as_ptr(), displs.as_ptr());
        // SAFETY: `all`, `counts`, `displs` and `mine` live, unmoved and
        // untouched, until the scatter completes; MPI only reads `all`.
        unsafe {
            complete(all.len(), |req| {
                mpi::ffi::MPI_Iscatterv(send, c, d, ty, recv, n[0], ty, at, comm, req);
            })
        };
        Ok(mine)
    }

    fn bcast_buf<T: Scalar>(&self, buf: &mut [T], root: usize) -> Result<()> {
        let n = count(buf.len())?;
        let moved = std::mem::size_of_val(buf);
        let (comm, ty, at) = (self.raw(), datatype::<T>(), self.root(root)?);
        let at_buf = buf.as_mut_ptr().cast();
        // SAFETY: `buf` is borrowed mutably until the broadcast completes.
        unsafe {
            complete(moved, |req| {
                mpi::ffi::MPI_Ibcast(at_buf, n, ty, at, comm, req);
            })
        };
        Ok(())
    }

    fn scatter_buf<T: Scalar>(
        &self,
        send: Option<&[T]>,
        recv: &mut [T],
        root: usize,
    ) -> Result<()> {
        let (comm, ty, at) = (self.raw(), datatype::<T>(), self.root(root)?);
        count(recv.len() * self.size())?;
        let n = count(recv.len())?;
        let moved = std::mem::size_of_val(recv) * self.size();
        let send = if self.rank() == root {
            let send = root_data(send, "scatter_buf", root)?;
            check_blocks("scatter_buf", send.len(), recv.len(), self.size())?;
            send.as_ptr().cast_mut().cast()
        } else {
            none::<T>()
        };
        let recv = recv.as_mut_ptr().cast();
        // SAFETY: `send` (on the root; MPI only reads it) and `recv` are
        // borrowed until the scatter completes.
        unsafe {
            complete(moved, |req| {
                mpi::ffi::MPI_Iscatter(send, n, ty, recv, n, ty, at, comm, req);
            })
        };
        Ok(())
    }

    fn gather_buf<T: Scalar>(&self, send: &[T], recv: Option<&mut [T]>, root: usize) -> Result<()> {
        let (comm, ty, at) = (self.raw(), datatype::<T>(), self.root(root)?);
        count(send.len() * self.size())?;
        let n = count(send.len())?;
        let moved = std::mem::size_of_val(send) * self.size();
        let recv = if self.rank() == root {
            let recv = root_data(recv, "gather_buf", root)?;
            check_blocks("gather_buf", recv.len(), send.len(), self.size())?;
            recv.as_mut_ptr().cast()
        } else {
            none::<T>()
        };
        let send = send.as_ptr().cast();
        // SAFETY: `send` and `recv` (on the root) are borrowed until the
        // gather completes.
        unsafe {
            complete(moved, |req| {
                mpi::ffi::MPI_Igather(send, n, ty, recv, n, ty, at, comm, req);
            })
        };
        Ok(())
    }

    fn allgather_buf<T: Scalar>(&self, send: &[T], recv: &mut [T]) -> Result<()> {
        check_blocks("allgather_buf", recv.len(), send.len(), self.size())?;
        count(recv.len())?;
        let (comm, ty, n) = (self.raw(), datatype::<T>(), count(send.len())?);
        let moved = std::mem::size_of_val(recv);
        let (send, recv) = (send.as_ptr().cast(), recv.as_mut_ptr().cast());
        // SAFETY: `send` and `recv` are borrowed until the gather completes.
        unsafe {
            complete(moved, |req| {
                mpi::ffi::MPI_Iallgather(send, n, ty, recv, n, ty, comm, req);
            })
        };
        Ok(())
    }

    fn reduce_buf<T: Scalar>(
        &self,
        send: &[T],
        recv: Option<&mut [T]>,
        op: Op,
        root: usize,
    ) -> Result<()> {
        let (comm, ty, at) = (self.raw(), datatype::<T>(), self.root(root)?);
        let n = count(send.len())?;
        let moved = std::mem::size_of_val(send) * self.size();
        let recv = if self.rank() == root {
            let recv = root_data(recv, "reduce_buf", root)?;
            check_blocks("reduce_buf", recv.len(), send.len(), 1)?;
            recv.as_mut_ptr().cast()
        } else {
            none::<T>()
        };
        let (send, op) = (send.as_ptr().cast(), system_op(op).as_raw());
        // SAFETY: `send` and `recv` (on the root) are borrowed until the
        // reduction completes.
        unsafe {
            complete(moved, |req| {
                mpi::ffi::MPI_Ireduce(send, recv, n, ty, op, at, comm, req);
            })
        };
        Ok(())
    }

    fn allreduce_buf<T: Scalar>(&self, send: &[T], recv: &mut [T], op: Op) -> Result<()> {
        check_blocks("allreduce_buf", recv.len(), send.len(), 1)?;
        let (comm, ty, n) = (self.raw(), datatype::<T>(), count(send.len())?);
        let moved = std::mem::size_of_val(send) * self.size();
        let (send, recv) = (send.as_ptr().cast(), recv.as_mut_ptr().cast());
        let op = system_op(op).as_raw();
        // SAFETY: `send` and `recv` are borrowed until the reduction completes.
        unsafe {
            complete(moved, |req| {
                mpi::ffi::MPI_Iallreduce(send, recv, n, ty, op, comm, req);
            })
        };
        Ok(())
    }
}
