//! [`Collectives`] for [`Local`], built from point-to-point messages on a
//! reserved tag: rooted operations send to or from the root; the `all*`
//! operations are a rooted one on rank 0 followed by a broadcast. Reductions
//! combine in rank order, so results are the same on every run.

use super::payload::Payload;
use super::Local;
use crate::communicator::checks::{check_blocks, check_peer, root_data};
use crate::communicator::codec::{decode, encode};
use crate::communicator::{Collectives, Tag};
use crate::error::{CommError, Result};
use crate::scalar::{combine_into, Op, Scalar};

/// The tag of internal collective messages (outside the user range, so they
/// never match a user's receive).
const COLLECTIVE: Tag = -1;

impl Local {
    /// Receives the root's block of a broadcast or scatter into `buf`, which
    /// it must fill exactly.
    fn recv_block<T: Scalar>(&self, buf: &mut [T], root: usize, op: &'static str) -> Result<()> {
        let n = self.recv_into(buf, root, COLLECTIVE, op)?;
        if n != buf.len() {
            return Err(CommError::Length {
                op,
                why: format!("the root sent {n} element(s) for a buffer of {}", buf.len()),
            });
        }
        Ok(())
    }

    /// Takes rank `s`'s block of a gather or reduce, which must hold `part`
    /// elements like the root's.
    fn take_block<T: Scalar>(&self, s: usize, part: usize, op: &'static str) -> Result<Vec<T>> {
        let v = self.take_vec::<T>(s, COLLECTIVE, op)?;
        if v.len() != part {
            return Err(CommError::Length {
                op,
                why: format!("rank {s} sent {} element(s), the root {part}", v.len()),
            });
        }
        Ok(v)
    }
}

impl Collectives for Local {
    fn barrier(&self) -> Result<()> {
        // Everyone checks in with rank 0, which then releases everyone.
        self.gather_bytes(Vec::new(), 0)?;
        self.bcast_bytes((self.rank == 0).then(Vec::new), 0)?;
        Ok(())
    }

    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.take_bytes(root, COLLECTIVE, "bcast");
        }
        let bytes = root_data(bytes, "bcast", root)?;
        for d in (0..self.size).filter(|&d| d != root) {
            self.post(Payload::Bytes(bytes.clone()), d, COLLECTIVE, "bcast")?;
        }
        Ok(bytes)
    }

    fn gather_bytes(&self, bytes: Vec<u8>, root: usize) -> Result<Option<Vec<Vec<u8>>>> {
        check_peer(root, self.size)?;
        if self.rank != root {
            self.post(Payload::Bytes(bytes), root, COLLECTIVE, "gather")?;
            return Ok(None);
        }
        let mut own = Some(bytes);
        (0..self.size)
            .map(|s| match s == root {
                true => Ok(own.take().unwrap_or_default()),
                false => self.take_bytes(s, COLLECTIVE, "gather"),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    fn allgather_bytes(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        let packed = match self.gather_bytes(bytes, 0)? {
            Some(parts) => Some(encode(&parts)?),
            None => None,
        };
        decode(&self.bcast_bytes(packed, 0)?, 0)
    }

    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.take_bytes(root, COLLECTIVE, "scatter");
        }
        let parts = root_data(parts, "scatter", root)?;
        check_blocks("scatter", parts.len(), 1, self.size)?;
        let mut own = Vec::new();
        for (d, p) in parts.into_iter().enumerate() {
            if d == root {
                own = p;
            } else {
                self.post(Payload::Bytes(p), d, COLLECTIVE, "scatter")?;
            }
        }
        Ok(own)
    }

    fn bcast_buf<T: Scalar>(&self, buf: &mut [T], root: usize) -> Result<()> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.recv_block(buf, root, "bcast_buf");
        }
        for d in (0..self.size).filter(|&d| d != root) {
            self.post_vec(buf.to_vec(), d, COLLECTIVE, "bcast_buf")?;
        }
        Ok(())
    }

    fn scatter_buf<T: Scalar>(
        &self,
        send: Option<&[T]>,
        recv: &mut [T],
        root: usize,
    ) -> Result<()> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.recv_block(recv, root, "scatter_buf");
        }
        let send = root_data(send, "scatter_buf", root)?;
        let part = recv.len();
        check_blocks("scatter_buf", send.len(), part, self.size)?;
        for d in 0..self.size {
            let block = &send[d * part..(d + 1) * part];
            if d == root {
                recv.copy_from_slice(block);
            } else {
                self.post_vec(block.to_vec(), d, COLLECTIVE, "scatter_buf")?;
            }
        }
        Ok(())
    }

    fn gather_buf<T: Scalar>(&self, send: &[T], recv: Option<&mut [T]>, root: usize) -> Result<()> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.post_vec(send.to_vec(), root, COLLECTIVE, "gather_buf");
        }
        let recv = root_data(recv, "gather_buf", root)?;
        let part = send.len();
        check_blocks("gather_buf", recv.len(), part, self.size)?;
        for s in 0..self.size {
            let block = &mut recv[s * part..(s + 1) * part];
            match s == root {
                true => block.copy_from_slice(send),
                false => block.copy_from_slice(&self.take_block(s, part, "gather_buf")?),
            }
        }
        Ok(())
    }

    fn allgather_buf<T: Scalar>(&self, send: &[T], recv: &mut [T]) -> Result<()> {
        check_blocks("allgather_buf", recv.len(), send.len(), self.size)?;
        self.gather_buf(send, (self.rank == 0).then_some(&mut *recv), 0)?;
        self.bcast_buf(recv, 0)
    }

    fn reduce_buf<T: Scalar>(
        &self,
        send: &[T],
        recv: Option<&mut [T]>,
        op: Op,
        root: usize,
    ) -> Result<()> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.post_vec(send.to_vec(), root, COLLECTIVE, "reduce_buf");
        }
        let recv = root_data(recv, "reduce_buf", root)?;
        check_blocks("reduce_buf", recv.len(), send.len(), 1)?;
        // Combine in rank order, so the result is the same on every run.
        let mut acc: Option<Vec<T>> = None;
        for s in 0..self.size {
            let v = match s == root {
                true => send.to_vec(),
                false => self.take_block(s, send.len(), "reduce_buf")?,
            };
            match acc.as_mut() {
                None => acc = Some(v),
                Some(a) => combine_into(a, &v, op),
            }
        }
        recv.copy_from_slice(&acc.unwrap_or_default());
        Ok(())
    }

    fn allreduce_buf<T: Scalar>(&self, send: &[T], recv: &mut [T], op: Op) -> Result<()> {
        check_blocks("allreduce_buf", recv.len(), send.len(), 1)?;
        self.reduce_buf(send, (self.rank == 0).then_some(&mut *recv), op, 0)?;
        self.bcast_buf(recv, 0)
    }
}
