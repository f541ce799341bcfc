//! The [`Communicator`] trait: what the course's mpi4py programs use, in an
//! object flavour (any serde type, like mpi4py's lowercase methods) and a
//! buffer flavour (slices of plain numbers, like the uppercase methods).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{CommError, Result};
use crate::scalar::{Op, Operand, Scalar};

/// A message tag. User tags are `0..=MAX_TAG`.
pub type Tag = i32;

/// The largest user tag (the smallest upper bound every MPI guarantees).
pub const MAX_TAG: Tag = 32767;

/// A pending non-blocking operation; [`Request::wait`] completes it.
///
/// Dropping a request without waiting completes it too (a send) or cancels
/// it (a receive), so that no buffer is freed while MPI still uses it.
#[must_use = "a request does nothing useful until it is waited on"]
pub trait Request {
    /// What the completed operation gives back.
    type Output;
    /// Blocks until the operation completes.
    fn wait(self) -> Result<Self::Output>;
}

/// A group of ranks that exchange messages: rank `0..size`, each running the
/// same program (SPMD), as under `mpirun -np size`.
///
/// Point-to-point calls name the peer rank and a tag; collective calls must be
/// made by every rank, in the same order.
///
/// **Object flavour** (`send`, `recv`, `bcast`, …): any `serde` type,
/// serialised into bytes (like mpi4py pickles). Object sends are *buffered*:
/// they never wait for the receiver, so two ranks may both send before they
/// receive.
///
/// **Buffer flavour** (`send_buf`, `recv_buf`, `bcast_buf`, …): slices of a
/// [`Scalar`] type, moved as raw memory into buffers the receiver
/// preallocated — no serialisation. Blocking buffer sends may wait for the
/// matching receive (as MPI's standard mode does for large messages).
pub trait Communicator {
    /// The request of [`Communicator::isend_buf`]; waiting gives the buffer back.
    type SendRequest<T: Scalar>: Request<Output = Vec<T>>;
    /// The request of [`Communicator::irecv_buf`]; waiting gives the buffer,
    /// truncated to the number of elements received.
    type RecvRequest<'a, T: Scalar>: Request<Output = Vec<T>>
    where
        Self: 'a;

    /// This process's rank, `0..size`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// The name of the processor (host) this rank runs on.
    fn processor_name(&self) -> String;
    /// Waits until every rank has called `barrier`.
    fn barrier(&self) -> Result<()>;
    /// Ends the whole job with `code` (MPI_Abort); on [`crate::Local`] ends
    /// this rank's thread, which makes [`crate::Local::run`] report a failure.
    fn abort(&self, code: i32) -> !;

    // ---- byte transport, on which the object flavour is built ----

    /// Sends serialised bytes (buffered: returns without waiting for the receiver).
    fn send_bytes(&self, bytes: Vec<u8>, dest: usize, tag: Tag) -> Result<()>;
    /// Receives a message of bytes of any length from `source`.
    fn recv_bytes(&self, source: usize, tag: Tag) -> Result<Vec<u8>>;
    /// Broadcasts bytes from `root` (which passes `Some`) to every rank.
    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>>;
    /// Gathers every rank's bytes to `root` (which gets them in rank order).
    fn gather_bytes(&self, bytes: Vec<u8>, root: usize) -> Result<Option<Vec<Vec<u8>>>>;
    /// Gathers every rank's bytes to every rank, in rank order.
    fn allgather_bytes(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>>;
    /// Sends part `r` of `root`'s `parts` (one per rank) to rank `r`.
    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>>;

    // ---- buffer flavour ----

    /// Sends a slice of numbers to `dest`.
    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()>;
    /// Receives into `buf` from `source`; returns the number of elements
    /// received (an error if the message is longer than `buf`).
    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize>;
    /// Sends `send` to `dest` and receives into `recv` from `source` at once,
    /// so that a ring or halo exchange cannot deadlock; returns the count received.
    fn sendrecv_buf<T: Scalar>(
        &self,
        send: &[T],
        dest: usize,
        recv: &mut [T],
        source: usize,
        tag: Tag,
    ) -> Result<usize>;
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
    /// Broadcasts `root`'s `buf` into every rank's `buf` (same lengths).
    fn bcast_buf<T: Scalar>(&self, buf: &mut [T], root: usize) -> Result<()>;
    /// Splits `root`'s `send` (length `size · recv.len()`) into equal blocks, block `r` to rank `r`.
    fn scatter_buf<T: Scalar>(&self, send: Option<&[T]>, recv: &mut [T], root: usize)
        -> Result<()>;
    /// Concatenates every rank's `send` (equal lengths) into `root`'s `recv`, in rank order.
    fn gather_buf<T: Scalar>(&self, send: &[T], recv: Option<&mut [T]>, root: usize) -> Result<()>;
    /// Concatenates every rank's `send` (equal lengths) into every rank's `recv`.
    fn allgather_buf<T: Scalar>(&self, send: &[T], recv: &mut [T]) -> Result<()>;
    /// Combines every rank's `send` element by element with `op` into `root`'s `recv`.
    fn reduce_buf<T: Scalar>(
        &self,
        send: &[T],
        recv: Option<&mut [T]>,
        op: Op,
        root: usize,
    ) -> Result<()>;
    /// Combines every rank's `send` element by element with `op` into every rank's `recv`.
    fn allreduce_buf<T: Scalar>(&self, send: &[T], recv: &mut [T], op: Op) -> Result<()>;

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
        Self: Sized,
    {
        check_peer(source, self.size())?;
        check_tag(tag)?;
        Ok(ObjectRecv {
            comm: self,
            source,
            tag,
            _t: std::marker::PhantomData,
        })
    }
    /// Broadcasts `root`'s value (`Some` on the root, ignored elsewhere) to every rank.
    fn bcast<T: Serialize + DeserializeOwned>(&self, value: Option<&T>, root: usize) -> Result<T> {
        let bytes = if self.rank() == root {
            let v = value.ok_or(CommError::MissingRootData { op: "bcast", root })?;
            Some(encode(v)?)
        } else {
            None
        };
        decode(&self.bcast_bytes(bytes, root)?, root)
    }
    /// Sends `values[r]` of the root (`size` values) to rank `r`.
    fn scatter<T: Serialize + DeserializeOwned>(
        &self,
        values: Option<&[T]>,
        root: usize,
    ) -> Result<T> {
        let parts = if self.rank() == root {
            let v = values.ok_or(CommError::MissingRootData {
                op: "scatter",
                root,
            })?;
            if v.len() != self.size() {
                return Err(CommError::Length {
                    op: "scatter",
                    why: format!("the root has {} values for {} ranks", v.len(), self.size()),
                });
            }
            Some(v.iter().map(encode).collect::<Result<Vec<_>>>()?)
        } else {
            None
        };
        decode(&self.scatter_bytes(parts, root)?, root)
    }
    /// Gathers every rank's value to `root`, in rank order (`None` elsewhere).
    fn gather<T: Serialize + DeserializeOwned>(
        &self,
        value: &T,
        root: usize,
    ) -> Result<Option<Vec<T>>> {
        match self.gather_bytes(encode(value)?, root)? {
            Some(parts) => Ok(Some(decode_all(&parts)?)),
            None => Ok(None),
        }
    }
    /// Gathers every rank's value to every rank, in rank order.
    fn allgather<T: Serialize + DeserializeOwned>(&self, value: &T) -> Result<Vec<T>> {
        decode_all(&self.allgather_bytes(encode(value)?)?)
    }
    /// Combines every rank's value with `op` in rank order, result on `root`.
    fn reduce<T: Serialize + DeserializeOwned + Operand>(
        &self,
        value: &T,
        op: Op,
        root: usize,
    ) -> Result<Option<T>> {
        self.reduce_with(value, root, |a, b| a.combine_with(b, op))
    }
    /// Combines every rank's value with `f` in rank order
    /// (`f(f(v0, v1), v2)…`), result on `root`; `f` may refuse with a message.
    fn reduce_with<T, F>(&self, value: &T, root: usize, f: F) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(T, T) -> std::result::Result<T, String>,
    {
        let Some(all) = self.gather(value, root)? else {
            return Ok(None);
        };
        let mut it = all.into_iter();
        let first = it.next().expect("a communicator has at least one rank");
        it.try_fold(first, &f)
            .map(Some)
            .map_err(|why| CommError::Length { op: "reduce", why })
    }
    /// Combines every rank's value with `op`; every rank gets the result.
    fn allreduce<T: Serialize + DeserializeOwned + Operand>(&self, value: &T, op: Op) -> Result<T> {
        let root_value = self.reduce(value, op, 0)?;
        self.bcast(root_value.as_ref(), 0)
    }
}

/// The request of [`Communicator::isend`]: object sends are buffered, so it
/// is complete as soon as it is made.
#[derive(Debug)]
#[must_use = "a request does nothing useful until it is waited on"]
pub struct ObjectSend(());

impl Request for ObjectSend {
    type Output = ();
    fn wait(self) -> Result<()> {
        Ok(())
    }
}

/// The request of [`Communicator::irecv`].
#[must_use = "a request does nothing useful until it is waited on"]
pub struct ObjectRecv<'a, C: Communicator, T> {
    comm: &'a C,
    source: usize,
    tag: Tag,
    _t: std::marker::PhantomData<T>,
}

impl<C: Communicator, T: DeserializeOwned> Request for ObjectRecv<'_, C, T> {
    type Output = T;
    fn wait(self) -> Result<T> {
        self.comm.recv(self.source, self.tag)
    }
}

/// Serialises a value for the object flavour.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| CommError::Encode(e.to_string()))
}

/// Deserialises a value of the object flavour sent by `source`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], source: usize) -> Result<T> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map_err(|e| CommError::Decode {
            from: source,
            ty: std::any::type_name::<T>(),
            why: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(CommError::Decode {
            from: source,
            ty: std::any::type_name::<T>(),
            why: format!("{} trailing byte(s) left over", bytes.len() - used),
        });
    }
    Ok(value)
}

fn decode_all<T: DeserializeOwned>(parts: &[Vec<u8>]) -> Result<Vec<T>> {
    parts
        .iter()
        .enumerate()
        .map(|(r, p)| decode(p, r))
        .collect()
}

/// Checks a peer rank.
pub(crate) fn check_peer(rank: usize, size: usize) -> Result<()> {
    if rank < size {
        Ok(())
    } else {
        Err(CommError::BadRank { rank, size })
    }
}

/// Checks a user tag.
pub(crate) fn check_tag(tag: Tag) -> Result<()> {
    if (0..=MAX_TAG).contains(&tag) {
        Ok(())
    } else {
        Err(CommError::BadTag { tag })
    }
}

/// Checks the lengths of a block collective: `whole` must be `size · part`.
pub(crate) fn check_blocks(op: &'static str, whole: usize, part: usize, size: usize) -> Result<()> {
    if whole == part * size {
        Ok(())
    } else {
        Err(CommError::Length {
            op,
            why: format!("the root's buffer holds {whole} element(s), but {size} rank(s) × {part} = {} are needed", part * size),
        })
    }
}
