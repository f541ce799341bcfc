//! Bulk data between a client and an engine on the same host, passed
//! instead of copied through sockets: the sender creates a pipe, passes its
//! read end over a Unix socket (`SCM_RIGHTS`) and *splices* an array's
//! elements into it (`vmsplice`: the pipe takes references to the pages
//! where the elements lie, no copy is made), and the receiver reads them
//! straight into the array they become. Each byte is copied once, from the
//! sender's array into the receiver's, and no body is hashed or decoded.
//!
//! Each engine listens on a *local port*, an abstract Unix socket with a
//! random name, announced at registration beside its data port. A client
//! that can connect to that name shares the engine's kernel, so it is on
//! the engine's host: a client elsewhere finds no such socket and uses the
//! data port (TCP). The connection is authenticated like a data port's:
//! every frame is signed with the cluster's key and sequenced, the engine's
//! first frame is a fresh nonce that the client's request must repeat, and
//! the signed frame that announces an array names the pipe (its device and
//! inode) and the array's shape. The receiver checks that the descriptor it
//! got is that pipe, reads exactly the bytes the shape says and then the
//! pipe's end (the sender closes its end after the last byte), and
//! acknowledges with a signed frame; the sender keeps the array unchanged
//! until then. Only the process holding the connected socket can pass a
//! descriptor on it, its signatures prove that it holds the key, and only
//! it holds the pipe's write end.

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use rustix::pipe::{IoSliceRaw, PipeFlags, SpliceFlags};

use crate::data::{Getter, Mailbox, Put, IDLE_WAIT};
use crate::error::{ClusterError, Result};
use crate::frame::{FrameReader, FrameWriter, Limits};
use crate::key::Key;
use crate::plain::{le_bytes, Plain};
use crate::value::{NdArray, Value};
use crate::wire::{self, Envelope, Outcome, SharedArray, Task};

/// Arrays smaller than this travel inside the frame: a pipe costs a few
/// system calls and a round trip, more than copying a few pages.
pub const MIN_SHARED_BYTES: usize = 64 << 10;

/// The pipe's capacity asked for (the most an unprivileged process gets
/// by default): fewer turns between the splicer and the reader.
const PIPE_BYTES: usize = 1 << 20;

/// Listens on a fresh abstract Unix socket; the listener and its name.
pub(crate) fn bind() -> io::Result<(UnixListener, String)> {
    let mut r = [0u8; 16];
    getrandom::fill(&mut r).map_err(|e| io::Error::other(e.to_string()))?;
    let name: String = std::iter::once("hpcrs-cluster-".to_string())
        .chain(r.iter().map(|b| format!("{b:02x}")))
        .collect();
    let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    Ok((UnixListener::bind_addr(&addr)?, name))
}

/// Connects to the local port `name`.
pub(crate) fn connect(name: &str) -> io::Result<UnixStream> {
    UnixStream::connect_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)
}

/// Waits until `fd` is ready for `flags` (or its other end closed), at
/// most `within`.
fn wait_ready(fd: &impl AsFd, flags: PollFlags, within: Duration) -> io::Result<()> {
    let ts = Timespec {
        tv_sec: within.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: within.subsec_nanos().into(),
    };
    loop {
        let mut fds = [PollFd::new(fd, flags)];
        match rustix::event::poll(&mut fds, Some(&ts)) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the pipe stayed still for {within:?}"),
                ))
            }
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// An array ready to be spliced: the elements' bytes and their description.
struct Outgoing<'a> {
    bytes: std::borrow::Cow<'a, [u8]>,
    floats: bool,
    shape: Vec<usize>,
}

impl Outgoing<'_> {
    /// Sends the frame `announce` makes from the array's description (the
    /// pipe named in it), passes the pipe, splices the bytes into it, and
    /// waits for the receiver's acknowledgement: until then the bytes must
    /// not change, and they do not (they are borrowed).
    fn send(
        self,
        stream: &UnixStream,
        writer: &mut FrameWriter<UnixStream>,
        reader: &mut FrameReader<UnixStream>,
        announce: impl FnOnce(SharedArray) -> Envelope,
        token: u64,
    ) -> Result<()> {
        let peer = reader.peer().to_string();
        let io = |e: io::Error| ClusterError::io(peer.clone(), e);
        let (read_end, write_end) =
            rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(|e| io(e.into()))?;
        let _ = rustix::pipe::fcntl_setpipe_size(&write_end, PIPE_BYTES);
        let st = rustix::fs::fstat(&read_end).map_err(|e| io(e.into()))?;
        let shared = SharedArray {
            floats: self.floats,
            shape: self.shape,
            file: (st.st_dev, st.st_ino),
        };
        writer.write(&wire::encode(&announce(shared)), &[], None)?;
        send_fd(stream, read_end.as_fd()).map_err(io)?;
        // Only the receiver holds the read end now: if it goes, the
        // splicing fails instead of waiting.
        drop(read_end);
        splice_all(&write_end, &self.bytes).map_err(io)?;
        drop(write_end);
        let _ = stream.set_read_timeout(Some(IDLE_WAIT));
        let frame = reader.read()?.ok_or_else(|| {
            ClusterError::protocol(&peer, "closed before acknowledging the array")
        })?;
        match wire::decode::<Envelope>(&frame.header, &peer)? {
            Envelope::LocalReceived { token: t } if t == token => Ok(()),
            other => Err(ClusterError::protocol(
                &peer,
                format!("expected the array's acknowledgement, got {other:?}"),
            )),
        }
    }
}

/// Splices all of `bytes` into the pipe `w`, waiting at most [`IDLE_WAIT`]
/// each time for the reader to make room.
fn splice_all(w: &OwnedFd, bytes: &[u8]) -> io::Result<()> {
    let mut at = 0;
    while at < bytes.len() {
        let chunk = [IoSliceRaw::from_slice(&bytes[at..])];
        // SAFETY: `w` is the write end of a pipe, so vmsplice only reads
        // `bytes`; the pipe keeps references to their pages until they are
        // read, and the caller keeps `bytes` borrowed, unchanged, until the
        // reader acknowledges that it has read them all.
        match unsafe { rustix::pipe::vmsplice(w, &chunk, SpliceFlags::NONBLOCK) } {
            Ok(n) => at += n,
            Err(Errno::AGAIN) => wait_ready(w, PollFlags::OUT, IDLE_WAIT)?,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Rows `rows` of `value` to splice, if `value` is an array with a first
/// axis and the block is worth it.
fn outgoing_rows(value: &Value, rows: std::ops::Range<usize>) -> Option<Outgoing<'_>> {
    fn block<T: Plain>(a: &NdArray<T>, rows: std::ops::Range<usize>) -> Option<(Vec<usize>, &[T])> {
        let row: usize = a.shape.get(1..)?.iter().product();
        let mut shape = a.shape.clone();
        shape[0] = rows.len();
        Some((shape, a.data.get(rows.start * row..rows.end * row)?))
    }
    let (floats, (shape, bytes)) = match value {
        Value::Floats(a) if !a.shape.is_empty() => {
            let (shape, data) = block(a, rows)?;
            (true, (shape, le_bytes(data)))
        }
        Value::Ints(a) if !a.shape.is_empty() => {
            let (shape, data) = block(a, rows)?;
            (false, (shape, le_bytes(data)))
        }
        _ => return None,
    };
    (bytes.len() >= MIN_SHARED_BYTES).then_some(Outgoing {
        bytes,
        floats,
        shape,
    })
}

/// A whole value to splice, if it is an array worth it.
fn outgoing_value(value: &Value) -> Option<Outgoing<'_>> {
    let (floats, shape, bytes) = match value {
        Value::Floats(a) => (true, a.shape.clone(), le_bytes(&a.data)),
        Value::Ints(a) => (false, a.shape.clone(), le_bytes(&a.data)),
        _ => return None,
    };
    (bytes.len() >= MIN_SHARED_BYTES).then_some(Outgoing {
        bytes,
        floats,
        shape,
    })
}

/// Passes `fd` on `stream` (one marker byte carries it).
fn send_fd(stream: &UnixStream, fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd];
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("no room for a descriptor"));
    }
    let n = rustix::net::sendmsg(
        stream,
        &[IoSlice::new(b"F")],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    if n == 1 {
        Ok(())
    } else {
        Err(io::Error::other("the descriptor's marker was not sent"))
    }
}

/// Receives the descriptor passed right after the frame just read.
fn receive_fd(stream: &UnixStream) -> io::Result<File> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut marker = [0u8; 1];
    let got = rustix::net::recvmsg(
        stream,
        &mut [IoSliceMut::new(&mut marker)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if got.bytes != 1 || marker != *b"F" {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection ended before the array's pipe",
        ));
    }
    let mut fd: Option<OwnedFd> = None;
    for msg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = msg {
            for f in fds {
                fd.get_or_insert(f);
            }
        }
    }
    fd.map(File::from)
        .ok_or_else(|| io::Error::other("no pipe came with its frame"))
}

/// Reads the elements of `shared` from `pipe` into `out` (which has room
/// for exactly them), after checking that `pipe` is the pipe the signed
/// description names; the pipe must end right after them.
fn read_shared<T: Plain>(pipe: &File, shared: &SharedArray, out: &mut [T]) -> io::Result<()> {
    let bad = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let st = rustix::fs::fstat(pipe)?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Fifo {
        return Err(bad("the passed descriptor is not a pipe".into()));
    }
    if (st.st_dev, st.st_ino) != shared.file {
        return Err(bad("the passed pipe is not the one the frame names".into()));
    }
    // SAFETY: `T` is `f64` or `i64` (the only `Plain` types): 8 bytes, no
    // padding, and every bit pattern is a valid value, so the elements may
    // be written as bytes; the view covers exactly `out` and ends with
    // this function.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(out))
    };
    let mut got = 0;
    while got < bytes.len() {
        wait_ready(pipe, PollFlags::IN, IDLE_WAIT)?;
        match (&*pipe).read(&mut bytes[got..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the pipe ended after {got} of the array's {} bytes",
                        bytes.len()
                    ),
                ))
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    wait_ready(pipe, PollFlags::IN, IDLE_WAIT)?;
    let mut more = [0u8; 1];
    if (&*pipe).read(&mut more)? != 0 {
        return Err(bad(format!(
            "the pipe holds more than the array's {} bytes",
            bytes.len()
        )));
    }
    #[cfg(not(target_endian = "little"))]
    for x in out.iter_mut() {
        // The bytes are little-endian; read as native, reversed.
        let mut b = T::to_le(*x);
        b.reverse();
        *x = T::from_le(b);
    }
    Ok(())
}

/// The element count of `shape`, if it is one that `limits` allows.
fn elements(shape: &[usize], limits: Limits) -> Option<usize> {
    if shape.len() > 64 {
        return None;
    }
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
    (n.checked_mul(8)? as u64 <= limits.max_body).then_some(n)
}

/// A vector of `n` zeros, or an error instead of an abort. The memory
/// comes zeroed from the system, untouched (no pass of writing zeros), and
/// is advised to be backed by huge pages where the system allows it: a
/// large array then costs a few hundred page faults instead of many
/// thousands as it is filled.
pub(crate) fn zeroed<T: Plain>(n: usize) -> io::Result<Vec<T>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let oom = || {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!("cannot allocate {n} elements"),
        )
    };
    let layout = std::alloc::Layout::array::<T>(n).map_err(|_| oom())?;
    // SAFETY: the layout's size is not zero (n > 0 elements of 8 bytes).
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return Err(oom());
    }
    const HUGE: usize = 2 << 20;
    let (start, end) = (p as usize, p as usize + layout.size());
    let (from, to) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
    if to > from {
        // SAFETY: [from, to) lies inside the allocation just made, is
        // page-aligned, and the advice changes how its pages are backed,
        // not their contents (zeros either way).
        let _ = unsafe {
            rustix::mm::madvise(
                from as *mut std::ffi::c_void,
                to - from,
                rustix::mm::Advice::LinuxHugepage,
            )
        };
    }
    // SAFETY: `p` was allocated by the global allocator with the layout of
    // `n` elements of `T`, which is the layout the vector frees with; all
    // zero bytes are a valid `f64` or `i64` (`T` is one of them), so all
    // `n` elements are initialised.
    Ok(unsafe { Vec::from_raw_parts(p.cast::<T>(), n, n) })
}

/// The array `shared` describes, read from `pipe`.
fn read_array(pipe: &File, shared: &SharedArray, limits: Limits) -> io::Result<Value> {
    let n = elements(&shared.shape, limits).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "a shared array of shape {:?} is beyond the limits",
                shared.shape
            ),
        )
    })?;
    let shape = shared.shape.clone();
    Ok(if shared.floats {
        let mut data = zeroed::<f64>(n)?;
        read_shared(pipe, shared, &mut data)?;
        Value::Floats(NdArray { shape, data })
    } else {
        let mut data = zeroed::<i64>(n)?;
        read_shared(pipe, shared, &mut data)?;
        Value::Ints(NdArray { shape, data })
    })
}

/// Serves one local connection on the engine's side: the nonce, then one
/// put or one get (as [`crate::data`]'s connections).
pub(crate) fn serve(stream: UnixStream, mb: &Mailbox, key: &Key, limits: Limits) {
    let peer = "local data client";
    let _ = stream.set_read_timeout(Some(IDLE_WAIT));
    let (Ok(r), Ok(w)) = (stream.try_clone(), stream.try_clone()) else {
        return;
    };
    let mut reader = FrameReader::new(r, key.clone(), limits, peer);
    let mut writer = FrameWriter::new(w, key.clone(), peer);
    let mut nonce = [0u8; 16];
    if getrandom::fill(&mut nonce).is_err()
        || writer
            .write(&wire::encode(&Envelope::DataHello { nonce }), &[], None)
            .is_err()
    {
        return;
    }
    let Ok(Some(first)) = reader.read() else {
        return;
    };
    match wire::decode::<Envelope>(&first.header, peer) {
        Ok(Envelope::LocalPut {
            token,
            nonce: n,
            name,
            array,
        }) if n == nonce && mb.announce_put(token) => {
            let put = match array {
                None => first
                    .check_body(peer)
                    .and_then(|()| wire::decode_task(&first.body, peer))
                    .map_or_else(|e| Put::Failed(e.to_string()), Put::Ready),
                Some(shared) => {
                    match receive_fd(&stream).and_then(|f| read_array(&f, &shared, limits)) {
                        Ok(v) => {
                            let ack = Envelope::LocalReceived { token };
                            match writer.write(&wire::encode(&ack), &[], None) {
                                Ok(()) => Put::Ready(Task::Push {
                                    values: vec![(name, v)],
                                }),
                                Err(e) => Put::Failed(e.to_string()),
                            }
                        }
                        Err(e) => Put::Failed(format!("{peer}: {e}")),
                    }
                }
            };
            mb.finish_put(token, put);
        }
        Ok(Envelope::LocalGet { token, nonce: n }) if n == nonce => {
            mb.add_get(
                token,
                Getter::Local(LocalReply {
                    stream,
                    reader,
                    writer,
                }),
            );
        }
        _ => {}
    }
}

/// The engine's end of a local connection that asked for a value.
pub(crate) struct LocalReply {
    stream: UnixStream,
    reader: FrameReader<UnixStream>,
    writer: FrameWriter<UnixStream>,
}

impl LocalReply {
    /// Sends `value` (or, `None`, that `name` is not defined) for the
    /// transfer `token`: an array through a pipe (returning once the
    /// client has read it), anything else inside the frame.
    pub(crate) fn send(mut self, token: u64, value: Option<&Value>, name: &str) -> Result<()> {
        if let Some(out) = value.and_then(outgoing_value) {
            let announce = |array| Envelope::LocalValue {
                token,
                array: Some(array),
            };
            return out.send(
                &self.stream,
                &mut self.writer,
                &mut self.reader,
                announce,
                token,
            );
        }
        let body = match value {
            Some(v) => wire::encode(&Ok::<&Value, &str>(v)),
            None => wire::encode(&Err::<&Value, String>(format!(
                "name `{name}` is not defined"
            ))),
        };
        let env = Envelope::LocalValue { token, array: None };
        self.writer.write(&wire::encode(&env), &body, None)
    }
}

/// An array on its way through a pipe, read where its receiver wants it.
pub(crate) struct Incoming {
    pipe: File,
    /// What the signed frame says the array is.
    pub(crate) array: SharedArray,
    writer: FrameWriter<UnixStream>,
    token: u64,
}

impl Incoming {
    /// Reads the elements into `out`, which has room for exactly them, and
    /// acknowledges them.
    pub(crate) fn read_into<T: Plain>(&mut self, out: &mut [T]) -> Result<()> {
        read_shared(&self.pipe, &self.array, out)
            .map_err(|e| ClusterError::io("engine local port", e))?;
        let ack = Envelope::LocalReceived { token: self.token };
        self.writer.write(&wire::encode(&ack), &[], None)
    }

    /// The array as a value.
    pub(crate) fn into_value(mut self, limits: Limits) -> Result<Value> {
        let io = |e| ClusterError::io("engine local port", e);
        let n = elements(&self.array.shape, limits).ok_or_else(|| {
            ClusterError::protocol("engine local port", "a shared array beyond the limits")
        })?;
        let shape = self.array.shape.clone();
        Ok(if self.array.floats {
            let mut data = zeroed::<f64>(n).map_err(io)?;
            self.read_into(&mut data)?;
            Value::Floats(NdArray { shape, data })
        } else {
            let mut data = zeroed::<i64>(n).map_err(io)?;
            self.read_into(&mut data)?;
            Value::Ints(NdArray { shape, data })
        })
    }
}

/// What a local get brought: a value, or an array still in its pipe.
pub(crate) enum LocalPart {
    /// The outcome, decoded.
    Value(Outcome),
    /// An array to read.
    Shared(Incoming),
}

#[cfg(test)]
impl LocalPart {
    /// The part as a value.
    pub(crate) fn into_outcome(self, limits: Limits) -> Result<Outcome> {
        match self {
            LocalPart::Value(o) => Ok(o),
            LocalPart::Shared(i) => i.into_value(limits).map(Ok),
        }
    }
}

/// A client's open local connection to one engine.
pub(crate) struct LocalConn {
    stream: UnixStream,
    reader: FrameReader<UnixStream>,
    writer: FrameWriter<UnixStream>,
    nonce: [u8; 16],
    limits: Limits,
}

impl LocalConn {
    /// Connects to the local port `name` and reads the engine's nonce
    /// (within `wait`).
    pub(crate) fn open(name: &str, key: &Key, limits: Limits, wait: Duration) -> Result<Self> {
        let peer = "engine local port";
        let io = |e| ClusterError::io(peer, e);
        let stream = connect(name).map_err(io)?;
        stream.set_read_timeout(Some(wait)).map_err(io)?;
        let mut reader =
            FrameReader::new(stream.try_clone().map_err(io)?, key.clone(), limits, peer);
        let writer = FrameWriter::new(stream.try_clone().map_err(io)?, key.clone(), peer);
        let first = reader
            .read()?
            .ok_or_else(|| ClusterError::protocol(peer, "closed before its nonce"))?;
        match wire::decode::<Envelope>(&first.header, peer)? {
            Envelope::DataHello { nonce } => Ok(LocalConn {
                stream,
                reader,
                writer,
                nonce,
                limits,
            }),
            other => Err(ClusterError::protocol(
                peer,
                format!("expected the nonce, got {other:?}"),
            )),
        }
    }

    /// Sends rows `rows` of `value` as `name` for the `Receive` task with
    /// `token`: an array block through a pipe (returning once the engine
    /// has read it), anything else (the encoded push `encoded` gives)
    /// inside the frame.
    pub(crate) fn put(
        mut self,
        token: u64,
        name: &str,
        value: &Value,
        rows: Option<std::ops::Range<usize>>,
        encoded: impl FnOnce() -> Vec<u8>,
    ) -> Result<()> {
        let nonce = self.nonce;
        let name = name.to_string();
        match rows.and_then(|r| outgoing_rows(value, r)) {
            Some(out) => {
                let announce = |array| Envelope::LocalPut {
                    token,
                    nonce,
                    name,
                    array: Some(array),
                };
                out.send(
                    &self.stream,
                    &mut self.writer,
                    &mut self.reader,
                    announce,
                    token,
                )
            }
            None => {
                let env = Envelope::LocalPut {
                    token,
                    nonce,
                    name,
                    array: None,
                };
                self.writer.write(&wire::encode(&env), &encoded(), None)
            }
        }
    }

    /// Asks for the value of the `Send` task with `token` and waits for it
    /// (`timeout`: `None` waits as long as the engine is there).
    pub(crate) fn get(mut self, token: u64, timeout: Option<Duration>) -> Result<LocalPart> {
        let peer = "engine local port";
        let nonce = self.nonce;
        self.writer.write(
            &wire::encode(&Envelope::LocalGet { token, nonce }),
            &[],
            None,
        )?;
        let _ = self.stream.set_read_timeout(timeout);
        let frame = self.reader.read()?.ok_or_else(|| {
            ClusterError::protocol(peer, "closed the connection before the value")
        })?;
        match wire::decode::<Envelope>(&frame.header, peer)? {
            Envelope::LocalValue { token: t, array } if t == token => match array {
                None => {
                    frame.check_body(peer)?;
                    Ok(LocalPart::Value(wire::decode_outcome(&frame.body, peer)?))
                }
                Some(array) => {
                    if elements(&array.shape, self.limits).is_none() {
                        return Err(ClusterError::protocol(
                            peer,
                            format!(
                                "a shared array of shape {:?} is beyond the limits",
                                array.shape
                            ),
                        ));
                    }
                    let pipe = receive_fd(&self.stream).map_err(|e| ClusterError::io(peer, e))?;
                    Ok(LocalPart::Shared(Incoming {
                        pipe,
                        array,
                        writer: self.writer,
                        token,
                    }))
                }
            },
            other => Err(ClusterError::protocol(
                peer,
                format!("unexpected message {other:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataPort, ANNOUNCE_WAIT};

    const WAIT: Duration = Duration::from_secs(10);

    fn key() -> Key {
        Key::from_bytes(b"local port test key").unwrap()
    }

    fn port() -> DataPort {
        let ip = std::net::IpAddr::from([127, 0, 0, 1]);
        DataPort::bind(ip, &key(), Limits::default(), true).unwrap()
    }

    fn open(p: &DataPort, key: &Key) -> Result<LocalConn> {
        LocalConn::open(p.local_name().unwrap(), key, Limits::default(), WAIT)
    }

    fn matrix(rows: usize) -> Value {
        Value::Floats(NdArray {
            shape: vec![rows, 3],
            data: (0..3 * rows).map(|i| i as f64 * 0.25).collect(),
        })
    }

    fn rows_of(v: &Value, r: std::ops::Range<usize>) -> Value {
        match v {
            Value::Floats(a) => Value::Floats(NdArray {
                shape: vec![r.len(), 3],
                data: a.data[3 * r.start..3 * r.end].to_vec(),
            }),
            _ => unreachable!(),
        }
    }

    #[test]
    fn arrays_pass_through_pipes_and_small_values_inline() {
        let p = port();
        let m = matrix(20_000);
        let never = || -> Vec<u8> { panic!("an array block is not encoded") };
        open(&p, &key())
            .unwrap()
            .put(1, "m", &m, Some(5000..12000), never)
            .unwrap();
        let want = Task::Push {
            values: vec![("m".into(), rows_of(&m, 5000..12000))],
        };
        assert_eq!(p.take_put(1, WAIT).unwrap(), want);
        // A list (no rows) travels inside the frame.
        let l = Value::List(vec![Value::Int(1), Value::Str("b".into())]);
        let push = Task::Push {
            values: vec![("l".into(), l.clone())],
        };
        let body = wire::encode(&push);
        open(&p, &key())
            .unwrap()
            .put(2, "l", &l, None, || body)
            .unwrap();
        assert_eq!(p.take_put(2, WAIT).unwrap(), push);

        for (token, v) in [(3, Some(m.clone())), (4, Some(Value::Int(7))), (5, None)] {
            let c = open(&p, &key()).unwrap();
            // The engine's send of an array returns once the client has
            // read it.
            let got = std::thread::spawn(move || {
                let part = c.get(token, Some(WAIT))?;
                let shared = matches!(part, LocalPart::Shared(..));
                Ok::<_, ClusterError>((shared, part.into_outcome(Limits::default())?))
            });
            p.send_value(token, v.as_ref(), "x", ANNOUNCE_WAIT).ok();
            let (shared, outcome) = got.join().unwrap().unwrap();
            assert_eq!(shared, token == 3, "token {token}");
            match v {
                Some(v) => assert_eq!(outcome, Ok(v)),
                None => assert_eq!(outcome, Err("name `x` is not defined".into())),
            }
        }
    }

    #[test]
    fn a_wrong_key_or_a_replayed_nonce_brings_nothing() {
        let p = port();
        let other = Key::from_bytes(b"not the key").unwrap();
        let e = open(&p, &other).err().unwrap().to_string();
        assert!(e.contains("bad signature"), "{e}");
        let recorded = open(&p, &key()).unwrap().nonce;
        let mut replay = open(&p, &key()).unwrap();
        replay.nonce = recorded;
        let _ = replay.put(3, "m", &matrix(10_000), Some(0..10_000), Vec::new);
        let e = p.take_put(3, Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("no data connection"), "{e}");
    }

    /// The read end of a pipe holding `bytes`, its write end closed.
    fn pipe(bytes: &[u8]) -> File {
        let (r, w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).unwrap();
        rustix::io::write(&w, bytes).unwrap();
        File::from(r)
    }

    fn describe(f: &File, shape: Vec<usize>) -> SharedArray {
        let st = rustix::fs::fstat(f).unwrap();
        SharedArray {
            floats: true,
            shape,
            file: (st.st_dev, st.st_ino),
        }
    }

    #[test]
    fn only_the_pipe_the_frame_names_is_read_and_exactly_its_bytes() {
        let bytes: Vec<u8> = (0..4u64).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let lim = Limits::default();
        let good = pipe(&bytes);
        let v = read_array(&good, &describe(&good, vec![4]), lim).unwrap();
        assert_eq!(v, Value::floats(vec![0.0, 1.0, 2.0, 3.0]));

        let good = pipe(&bytes);
        let other = pipe(&bytes);
        let e = read_array(&good, &describe(&other, vec![4]), lim).unwrap_err();
        assert!(e.to_string().contains("not the one"), "{e}");

        let short = pipe(&bytes);
        let e = read_array(&short, &describe(&short, vec![5]), lim).unwrap_err();
        assert!(e.to_string().contains("ended after 32 of"), "{e}");
        for shape in [vec![3], vec![1, 2]] {
            let long = pipe(&bytes);
            let e = read_array(&long, &describe(&long, shape), lim).unwrap_err();
            assert!(e.to_string().contains("more than the array"), "{e}");
        }
        let huge = pipe(&bytes);
        let e = read_array(&huge, &describe(&huge, vec![usize::MAX, 2]), lim).unwrap_err();
        assert!(e.to_string().contains("beyond the limits"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let plain = File::create(dir.path().join("f")).unwrap();
        let e = read_array(&plain, &describe(&plain, vec![0]), lim).unwrap_err();
        assert!(e.to_string().contains("not a pipe"), "{e}");
    }

    #[test]
    fn zeroed_vectors_are_zeros_of_the_asked_length() {
        for n in [0, 1, 1000, 3 << 20] {
            let v = zeroed::<f64>(n).unwrap();
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 0.0));
        }
        assert!(zeroed::<i64>(usize::MAX / 4).is_err());
    }
}
