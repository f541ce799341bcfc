//! The messages between a parent and its child on their stream socket.

use std::os::fd::BorrowedFd;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::error::{Error, Result};
use crate::func::Answer;
use crate::wire;

/// From the parent to the child.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Request {
    /// Run `name` once on `args` (shared objects' descriptors attached to
    /// the frame), answer, exit.
    Call {
        /// The registered function.
        name: String,
        /// Its encoded arguments.
        args: Vec<u8>,
    },
    /// Become a pool worker: answer [`Request::Task`]s until the stream ends.
    Serve,
    /// Run `name` on each item of a chunk (a pool worker only).
    Task {
        /// The registered function.
        name: String,
        /// The encoded `Vec` of arguments.
        items: Vec<u8>,
    },
}

/// From the child to the parent.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Reply {
    /// The encoded result (a `Vec` of results for a chunk).
    Done(Vec<u8>),
    /// The function panicked (on the chunk's item at `offset`).
    Panicked {
        /// The item of the chunk (0 for a single call).
        offset: usize,
        /// The panic's message.
        message: String,
    },
    /// The function could not be run (unknown, or undecodable arguments).
    Failed(String),
}

/// Sends `request` (with `fds`) on `sock`.
pub(crate) fn send_request(
    sock: BorrowedFd<'_>,
    request: &Request,
    fds: &[std::os::fd::RawFd],
) -> Result<()> {
    let bytes = codec::encode_plain(request, "a request")?;
    wire::send_frame(sock, &bytes, fds).map_err(|e| Error::io("sending work to a child process", e))
}

/// Sends `answer` on `sock`.
pub(crate) fn send_answer(sock: BorrowedFd<'_>, answer: &Answer) -> Result<()> {
    let bytes = codec::encode_plain(&answer.reply, "an answer")?;
    wire::send_frame(sock, &bytes, &answer.fds)
        .map_err(|e| Error::io("answering the parent process", e))
}
