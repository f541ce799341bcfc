//! One TCP connection as the crate uses it: a signed frame writer shared by
//! the threads that send on it, and the matching reader, plus the socket
//! options every connection gets.

use std::io::BufWriter;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{ClusterError, Result};
use crate::frame::{FrameReader, FrameWriter, Limits};
use crate::key::Key;
use crate::wire::{self, Envelope};

/// Buffer of a connection's writer: small frames go out in one system call.
const WRITE_BUFFER: usize = 64 << 10;

/// The sending half of a connection, safe to share between threads.
#[derive(Debug)]
pub struct Sender {
    writer: Mutex<FrameWriter<BufWriter<TcpStream>>>,
    peer: String,
}

impl Sender {
    /// Sends one frame now (written and flushed under the lock, so frames
    /// from different threads never interleave).
    pub fn send(&self, env: &Envelope, body: &[u8], digest: Option<[u8; 32]>) -> Result<()> {
        let header = wire::encode(env);
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.write(&header, body, digest)?;
        w.flush()
    }

    /// Sends a frame without a body if no other thread is sending on the
    /// connection (`None` if one is: the frame is not sent).
    pub fn try_send(&self, env: &Envelope) -> Option<Result<()>> {
        let mut w = match self.writer.try_lock() {
            Ok(w) => w,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let header = wire::encode(env);
        Some(w.write(&header, &[], None).and_then(|()| w.flush()))
    }

    /// [`send`](Sender::send) of a body given in pieces (see
    /// [`FrameWriter::write_parts`]).
    pub fn send_parts(&self, env: &Envelope, body: &[&[u8]]) -> Result<()> {
        let header = wire::encode(env);
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.write_parts(&header, body, None)?;
        w.flush()
    }

    /// Sends several frames with one flush.
    pub fn send_many<'a>(
        &self,
        frames: impl IntoIterator<Item = (Envelope, &'a [u8])>,
    ) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for (env, body) in frames {
            w.write(&wire::encode(&env), body, None)?;
        }
        w.flush()
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// Closes both directions: a reader blocked on this socket wakes up.
    pub fn close(&self) {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let _ = w.get_ref().get_ref().shutdown(Shutdown::Both);
    }
}

/// Splits a connected socket into its reader and its shared sender.
pub fn split(
    stream: TcpStream,
    key: &Key,
    limits: Limits,
    peer: &str,
) -> Result<(FrameReader<TcpStream>, Sender)> {
    let _ = stream.set_nodelay(true);
    let write_half = stream.try_clone().map_err(|e| ClusterError::io(peer, e))?;
    let reader = FrameReader::new(stream, key.clone(), limits, peer);
    let writer = FrameWriter::new(
        BufWriter::with_capacity(WRITE_BUFFER, write_half),
        key.clone(),
        peer,
    );
    Ok((
        reader,
        Sender {
            writer: Mutex::new(writer),
            peer: peer.to_string(),
        },
    ))
}

/// Connects to `endpoint` (`host:port`) within `timeout`, trying each
/// address it resolves to.
pub fn connect(endpoint: &str, timeout: Duration) -> Result<TcpStream> {
    let gone = |why: String| ClusterError::ControllerGone {
        address: endpoint.to_string(),
        why,
    };
    let addrs = endpoint
        .to_socket_addrs()
        .map_err(|e| gone(format!("cannot resolve: {e}")))?;
    let mut last = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(gone(match last {
        Some(e) => format!("cannot connect: {e}"),
        None => "the address resolves to nothing".into(),
    }))
}

/// Reads one frame's envelope within `timeout` (for handshakes), checking
/// the body too.
pub fn read_envelope(
    reader: &mut FrameReader<TcpStream>,
    timeout: Option<Duration>,
) -> Result<Option<(Envelope, Vec<u8>)>> {
    let peer = reader.peer().to_string();
    reader
        .get_ref()
        .set_read_timeout(timeout)
        .map_err(|e| ClusterError::io(peer.clone(), e))?;
    let Some(frame) = reader.read()? else {
        return Ok(None);
    };
    frame.check_body(&peer)?;
    let env = wire::decode(&frame.header, &peer)?;
    Ok(Some((env, frame.body)))
}
