//! [`Collectives`]: operations every rank makes together (MPI's chapter 5),
//! in both flavours.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::checks::root_data;
use super::codec::{decode, decode_all, encode};
use super::Communicator;
use crate::error::{CommError, Result};
use crate::scalar::{Op, Operand, Scalar};

/// Operations that every rank of the group calls, in the same order.
///
/// Rooted operations name the `root` rank; data only the root provides is an
/// `Option`, `Some` on the root (ignored elsewhere), and results only the root
/// gets are `Some` there and `None` elsewhere.
///
/// **Object flavour** (`bcast`, `gather`, …): any `serde` type, serialised.
/// **Buffer flavour** (`bcast_buf`, `gather_buf`, …): slices of a [`Scalar`]
/// type; block operations need equal block lengths on every rank.
pub trait Collectives {
    /// Waits until every rank has called `barrier`.
    fn barrier(&self) -> Result<()>;

    // ---- byte transport, on which the object flavour is built ----

    /// Broadcasts bytes from `root` (which passes `Some`) to every rank.
    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>>;
    /// Gathers every rank's bytes to `root` (which gets them in rank order).
    fn gather_bytes(&self, bytes: Vec<u8>, root: usize) -> Result<Option<Vec<Vec<u8>>>>;
    /// Gathers every rank's bytes to every rank, in rank order.
    fn allgather_bytes(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>>;
    /// Sends part `r` of `root`'s `parts` (one per rank) to rank `r`.
    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>>;

    // ---- buffer flavour ----

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

    /// Broadcasts `root`'s value (`Some` on the root, ignored elsewhere) to every rank.
    fn bcast<T: Serialize + DeserializeOwned>(&self, value: Option<&T>, root: usize) -> Result<T>
    where
        Self: Communicator,
    {
        let bytes = match self.rank() == root {
            true => Some(encode(root_data(value, "bcast", root)?)?),
            false => None,
        };
        decode(&self.bcast_bytes(bytes, root)?, root)
    }
    /// Sends `values[r]` of the root (`size` values) to rank `r`.
    fn scatter<T: Serialize + DeserializeOwned>(
        &self,
        values: Option<&[T]>,
        root: usize,
    ) -> Result<T>
    where
        Self: Communicator,
    {
        let parts = if self.rank() == root {
            let v = root_data(values, "scatter", root)?;
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
    fn allreduce<T: Serialize + DeserializeOwned + Operand>(&self, value: &T, op: Op) -> Result<T>
    where
        Self: Communicator,
    {
        let root_value = self.reduce(value, op, 0)?;
        self.bcast(root_value.as_ref(), 0)
    }
}
