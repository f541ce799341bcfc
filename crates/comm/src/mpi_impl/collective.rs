//! [`Collectives`] for [`Mpi`]: the buffer flavour on MPI's collectives and
//! predefined reductions; the object flavour exchanges each rank's byte count
//! first, then moves the bytes with the `v` (varying count) variants.

use mpi::collective::SystemOperation;
use mpi::datatype::{Partition, PartitionMut};
use mpi::traits::{CommunicatorCollectives, Root};
use mpi::Count;

use super::{count, Mpi};
use crate::communicator::checks::{check_blocks, root_data};
use crate::communicator::{Collectives, Communicator};
use crate::error::Result;
use crate::scalar::{Op, Scalar};

impl Mpi {
    /// Gathers one count per rank to every rank.
    fn all_counts(&self, n: usize) -> Result<Vec<Count>> {
        let mut counts = vec![0 as Count; self.size()];
        self.world.all_gather_into(&count(n)?, &mut counts[..]);
        Ok(counts)
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
        self.world.barrier();
        Ok(())
    }

    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>> {
        let root_process = self.process(root)?;
        let mut len = [0u64];
        let mut bytes = if self.rank() == root {
            let b = root_data(bytes, "bcast", root)?;
            len[0] = b.len() as u64;
            b
        } else {
            Vec::new()
        };
        root_process.broadcast_into(&mut len[..]);
        bytes.resize(len[0] as usize, 0);
        root_process.broadcast_into(&mut bytes[..]);
        Ok(bytes)
    }

    fn gather_bytes(&self, bytes: Vec<u8>, root: usize) -> Result<Option<Vec<Vec<u8>>>> {
        let root_process = self.process(root)?;
        let n = count(bytes.len())?;
        if self.rank() != root {
            root_process.gather_into(&n);
            root_process.gather_varcount_into(&bytes[..]);
            return Ok(None);
        }
        let mut counts = vec![0 as Count; self.size()];
        root_process.gather_into_root(&n, &mut counts[..]);
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        {
            let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            root_process.gather_varcount_into_root(&bytes[..], &mut partition);
        }
        Ok(Some(split(all, &counts)))
    }

    fn allgather_bytes(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        let counts = self.all_counts(bytes.len())?;
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        {
            let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            self.world
                .all_gather_varcount_into(&bytes[..], &mut partition);
        }
        Ok(split(all, &counts))
    }

    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>> {
        let root_process = self.process(root)?;
        let mut n: Count = 0;
        if self.rank() != root {
            root_process.scatter_into(&mut n);
            let mut mine = vec![0u8; n as usize];
            root_process.scatter_varcount_into(&mut mine[..]);
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
        root_process.scatter_into_root(&counts[..], &mut n);
        let mut mine = vec![0u8; n as usize];
        let partition = Partition::new(&all[..], &counts[..], &displs[..]);
        root_process.scatter_varcount_into_root(&partition, &mut mine[..]);
        Ok(mine)
    }

    fn bcast_buf<T: Scalar>(&self, buf: &mut [T], root: usize) -> Result<()> {
        count(buf.len())?;
        self.process(root)?.broadcast_into(buf);
        Ok(())
    }

    fn scatter_buf<T: Scalar>(
        &self,
        send: Option<&[T]>,
        recv: &mut [T],
        root: usize,
    ) -> Result<()> {
        let root_process = self.process(root)?;
        count(recv.len() * self.size())?;
        if self.rank() != root {
            root_process.scatter_into(recv);
            return Ok(());
        }
        let send = root_data(send, "scatter_buf", root)?;
        check_blocks("scatter_buf", send.len(), recv.len(), self.size())?;
        root_process.scatter_into_root(send, recv);
        Ok(())
    }

    fn gather_buf<T: Scalar>(&self, send: &[T], recv: Option<&mut [T]>, root: usize) -> Result<()> {
        let root_process = self.process(root)?;
        count(send.len() * self.size())?;
        if self.rank() != root {
            root_process.gather_into(send);
            return Ok(());
        }
        let recv = root_data(recv, "gather_buf", root)?;
        check_blocks("gather_buf", recv.len(), send.len(), self.size())?;
        root_process.gather_into_root(send, recv);
        Ok(())
    }

    fn allgather_buf<T: Scalar>(&self, send: &[T], recv: &mut [T]) -> Result<()> {
        check_blocks("allgather_buf", recv.len(), send.len(), self.size())?;
        count(recv.len())?;
        self.world.all_gather_into(send, recv);
        Ok(())
    }

    fn reduce_buf<T: Scalar>(
        &self,
        send: &[T],
        recv: Option<&mut [T]>,
        op: Op,
        root: usize,
    ) -> Result<()> {
        let root_process = self.process(root)?;
        count(send.len())?;
        if self.rank() != root {
            root_process.reduce_into(send, system_op(op));
            return Ok(());
        }
        let recv = root_data(recv, "reduce_buf", root)?;
        check_blocks("reduce_buf", recv.len(), send.len(), 1)?;
        root_process.reduce_into_root(send, recv, system_op(op));
        Ok(())
    }

    fn allreduce_buf<T: Scalar>(&self, send: &[T], recv: &mut [T], op: Op) -> Result<()> {
        check_blocks("allreduce_buf", recv.len(), send.len(), 1)?;
        count(send.len())?;
        self.world.all_reduce_into(send, recv, system_op(op));
        Ok(())
    }
}
