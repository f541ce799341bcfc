//! Non-blocking operations: the [`Request`] a non-blocking call returns, and
//! the requests of the object flavour.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{PointToPoint, Tag};
use crate::error::Result;

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

/// The request of [`PointToPoint::isend`]: object sends are buffered, so it
/// is complete as soon as it is made.
#[derive(Debug)]
#[must_use = "a request does nothing useful until it is waited on"]
pub struct ObjectSend(pub(super) ());

impl Request for ObjectSend {
    type Output = ();
    fn wait(self) -> Result<()> {
        Ok(())
    }
}

/// The request of [`PointToPoint::irecv`]: the message is matched when
/// waited on.
#[must_use = "a request does nothing useful until it is waited on"]
pub struct ObjectRecv<'a, C: PointToPoint, T> {
    pub(super) comm: &'a C,
    pub(super) source: usize,
    pub(super) tag: Tag,
    pub(super) _t: PhantomData<T>,
}

impl<C: PointToPoint, T: DeserializeOwned> Request for ObjectRecv<'_, C, T> {
    type Output = T;
    fn wait(self) -> Result<T> {
        self.comm.recv(self.source, self.tag)
    }
}
