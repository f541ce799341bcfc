//! [`PointToPoint`] for [`Local`]: sends post to the peer's mailbox at once
//! (mailboxes are unbounded), receives match by (source, tag).

use super::payload::Payload;
use super::Local;
use crate::communicator::checks::{check_peer, check_tag};
use crate::communicator::{PointToPoint, Request, Tag};
use crate::error::Result;
use crate::scalar::Scalar;

/// The request of [`Local::isend_buf`]: the data left at once (mailboxes are
/// unbounded); waiting gives the buffer back.
#[must_use = "a request does nothing useful until it is waited on"]
pub struct LocalSend<T>(Vec<T>);

impl<T: Scalar> Request for LocalSend<T> {
    type Output = Vec<T>;
    fn wait(self) -> Result<Vec<T>> {
        Ok(self.0)
    }
}

/// The request of [`Local::irecv_buf`]: the message is matched when waited on.
#[must_use = "a request does nothing useful until it is waited on"]
pub struct LocalRecv<'a, T> {
    comm: &'a Local,
    buf: Vec<T>,
    source: usize,
    tag: Tag,
}

impl<T: Scalar> Request for LocalRecv<'_, T> {
    type Output = Vec<T>;
    fn wait(mut self) -> Result<Vec<T>> {
        let n = self
            .comm
            .recv_into(&mut self.buf, self.source, self.tag, "irecv_buf")?;
        self.buf.truncate(n);
        Ok(self.buf)
    }
}

impl PointToPoint for Local {
    type SendRequest<T: Scalar> = LocalSend<T>;
    type RecvRequest<'a, T: Scalar> = LocalRecv<'a, T>;

    fn send_bytes(&self, bytes: Vec<u8>, dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        self.post(Payload::Bytes(bytes), dest, tag, "send")
    }

    fn recv_bytes(&self, source: usize, tag: Tag) -> Result<Vec<u8>> {
        check_tag(tag)?;
        self.take_bytes(source, tag, "recv")
    }

    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        self.post_vec(buf.to_vec(), dest, tag, "send_buf")
    }

    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize> {
        check_tag(tag)?;
        self.recv_into(buf, source, tag, "recv_buf")
    }

    fn isend_buf<T: Scalar>(&self, buf: Vec<T>, dest: usize, tag: Tag) -> Result<LocalSend<T>> {
        check_tag(tag)?;
        self.post_vec(buf.clone(), dest, tag, "isend_buf")?;
        Ok(LocalSend(buf))
    }

    fn irecv_buf<T: Scalar>(
        &self,
        buf: Vec<T>,
        source: usize,
        tag: Tag,
    ) -> Result<LocalRecv<'_, T>> {
        check_tag(tag)?;
        check_peer(source, self.size)?;
        Ok(LocalRecv {
            comm: self,
            buf,
            source,
            tag,
        })
    }
}
