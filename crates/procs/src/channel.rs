//! What queues and pipes share: typed messages as `SOCK_SEQPACKET` packets
//! (one `send` is one whole message, whoever else sends at the same time),
//! encoded with the descriptors of shared objects attached.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec;
use crate::error::{Error, Result};
use crate::wire::{self, PacketError};

/// The largest encoded message a queue or pipe carries: 128 KiB (a packet
/// must fit in the socket's send buffer). Larger data belongs in an
/// [`crate::Array`], sent as one small message.
pub const MAX_MESSAGE: usize = 128 * 1024;

/// A tag byte in front of every packet, so that an empty message is not
/// mistaken for the end of the stream.
const TAG: u8 = 0x51;

/// A new `SOCK_SEQPACKET` pair with send buffers large enough for
/// [`MAX_MESSAGE`].
pub(crate) fn packet_pair(what: &str) -> Result<(OwnedFd, OwnedFd)> {
    let (a, b) = wire::socket_pair(libc::SOCK_SEQPACKET)
        .map_err(|e| Error::io(format!("creating {what}"), e))?;
    for s in [&a, &b] {
        let size: libc::c_int = 4 * MAX_MESSAGE as libc::c_int;
        // SAFETY: `size` is a valid c_int option value for SO_SNDBUF on an
        // open socket; the kernel caps it at its maximum.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
    }
    Ok((a, b))
}

/// How long an operation may wait: its deadline (`None`: for ever) and the
/// timeout it came from, for the error message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wait {
    pub(crate) deadline: Option<Instant>,
    pub(crate) timeout: Option<Duration>,
}

impl Wait {
    /// A wait of at most `timeout` from now.
    pub(crate) fn new(timeout: Option<Duration>) -> Wait {
        Wait {
            deadline: wire::deadline(timeout),
            timeout,
        }
    }
}

/// Sends `value` on `sock` as one packet within `wait`.
pub(crate) fn send<T: Serialize>(
    sock: BorrowedFd<'_>,
    value: &T,
    wait: Wait,
    what: &'static str,
) -> Result<()> {
    let (mut bytes, fds) = codec::encode(value, what)?;
    bytes.insert(0, TAG);
    if bytes.len() > MAX_MESSAGE {
        return Err(Error::TooLarge {
            what,
            bytes: bytes.len(),
            max: MAX_MESSAGE,
        });
    }
    wire::send_packet(sock, &bytes, &fds, wait.deadline)
        .map_err(|e| packet_error(e, what, bytes.len(), wait))
}

/// Receives one `T` from `sock` within `wait`, using `buf`.
pub(crate) fn recv<T: DeserializeOwned>(
    sock: BorrowedFd<'_>,
    buf: &Mutex<Vec<u8>>,
    wait: Wait,
    what: &'static str,
) -> Result<T> {
    let mut buf = buf.lock().unwrap_or_else(|p| p.into_inner());
    let fds = wire::recv_packet(sock, &mut buf, MAX_MESSAGE, wait.deadline)
        .map_err(|e| packet_error(e, what, MAX_MESSAGE + 1, wait))?;
    match buf.split_first() {
        Some((&TAG, body)) => codec::decode(body, fds, what),
        _ => Err(Error::Decode {
            what: what.to_string(),
            why: "a packet without the message tag".into(),
        }),
    }
}

/// The error for a failed packet operation.
fn packet_error(e: PacketError, what: &'static str, bytes: usize, wait: Wait) -> Error {
    match e {
        PacketError::Timeout => Error::Timeout {
            what,
            after: wait.timeout.unwrap_or_default(),
        },
        PacketError::Closed => Error::Closed(what),
        PacketError::TooLarge => Error::TooLarge {
            what,
            bytes,
            max: MAX_MESSAGE,
        },
        PacketError::Io(e) => Error::io(what, e),
    }
}

/// An end of a socket that can be closed by its holder; serialized, it
/// sends its descriptor (or that it is closed).
#[derive(Debug)]
pub(crate) struct End(Mutex<Option<OwnedFd>>);

impl End {
    pub(crate) fn new(fd: OwnedFd) -> End {
        End(Mutex::new(Some(fd)))
    }

    /// Runs `f` on the descriptor, or fails with `Closed(what)`.
    pub(crate) fn with<R>(
        &self,
        what: &'static str,
        f: impl FnOnce(BorrowedFd<'_>) -> Result<R>,
    ) -> Result<R> {
        // The guard is held while `f` runs: a concurrent `close` waits, and
        // the descriptor cannot be closed under a send.
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(fd) => f(fd.as_fd()),
            None => Err(Error::Closed(what)),
        }
    }

    /// Closes this copy of the end.
    pub(crate) fn close(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// A duplicate, for a clone.
    pub(crate) fn try_clone(&self) -> std::io::Result<End> {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(End(Mutex::new(match guard.as_ref() {
            Some(fd) => Some(fd.try_clone()?),
            None => None,
        })))
    }
}

/// The serialized form of an [`End`]'s descriptor.
struct FdRef<'a>(BorrowedFd<'a>);

impl Serialize for FdRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        codec::serialize_fd(self.0, s)
    }
}

/// A received descriptor.
struct FdOwned(OwnedFd);

impl<'de> Deserialize<'de> for FdOwned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        codec::deserialize_fd(d).map(FdOwned)
    }
}

impl Serialize for End {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|fd| FdRef(fd.as_fd())).serialize(s)
    }
}

impl<'de> Deserialize<'de> for End {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fd = Option::<FdOwned>::deserialize(d)?;
        Ok(End(Mutex::new(fd.map(|f| f.0))))
    }
}
