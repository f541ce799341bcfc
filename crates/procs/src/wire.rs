//! Messages over Unix sockets, with file descriptors attached
//! (`SCM_RIGHTS`): length-prefixed frames on the stream socket between a
//! parent and its child, and whole packets on the `SOCK_SEQPACKET` sockets
//! of queues and pipes.
//!
//! Every send uses `MSG_NOSIGNAL`: a peer that is gone is an `EPIPE` error,
//! never a SIGPIPE that would end the sender.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::sys::socket::{self, ControlMessage, ControlMessageOwned, MsgFlags};

/// The most descriptors one message carries.
pub(crate) const MAX_FDS: usize = 32;

/// The largest frame on a parent-child stream: 1 GiB.
pub(crate) const MAX_FRAME: usize = 1 << 30;

/// A frame's header: the payload's length and the number of descriptors.
const HEADER: usize = 12;

/// A connected pair of Unix sockets of `kind` (close-on-exec).
pub(crate) fn socket_pair(kind: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            kind | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded: both descriptors are open and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Sends one frame: header, `payload`, and `fds` attached to the header.
pub(crate) fn send_frame(sock: BorrowedFd<'_>, payload: &[u8], fds: &[RawFd]) -> io::Result<()> {
    if payload.len() > MAX_FRAME || fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a message of {} bytes and {} descriptors is more than the {MAX_FRAME} bytes and {MAX_FDS} descriptors allowed",
                payload.len(),
                fds.len()
            ),
        ));
    }
    let mut header = [0u8; HEADER];
    header[..8].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    header[8..].copy_from_slice(&(fds.len() as u32).to_le_bytes());
    let total = HEADER + payload.len();
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage<'_>] = if fds.is_empty() { &[] } else { &rights };
    let iov = [IoSlice::new(&header), IoSlice::new(payload)];
    let sent = loop {
        match socket::sendmsg::<()>(sock.as_raw_fd(), &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None) {
            Ok(n) => break n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    // A stream socket may take part of a large frame; the descriptors went
    // with the first byte.
    let mut done = sent;
    while done < total {
        let rest = if done < HEADER {
            &header[done..]
        } else {
            &payload[done - HEADER..]
        };
        match socket::send(sock.as_raw_fd(), rest, MsgFlags::MSG_NOSIGNAL) {
            Ok(n) => done += n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Receives one frame, or `None` at the end of the stream before a frame.
pub(crate) fn recv_frame(sock: BorrowedFd<'_>) -> io::Result<Option<(Vec<u8>, Vec<OwnedFd>)>> {
    let mut header = [0u8; HEADER];
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    let (got, fds) = loop {
        let mut iov = [IoSliceMut::new(&mut header)];
        match socket::recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(msg) => {
                let fds = owned_fds(&msg)?;
                break (msg.bytes, fds);
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    if got == 0 {
        return Ok(None);
    }
    read_exact(sock, &mut header[got..])?;
    let len = u64::from_le_bytes(header[..8].try_into().expect("8 bytes")) as usize;
    let nfds = u32::from_le_bytes(header[8..].try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME || nfds != fds.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "a corrupt message header ({len} bytes, {nfds} descriptors announced, {} received)",
                fds.len()
            ),
        ));
    }
    let mut payload = vec![0u8; len];
    read_exact(sock, &mut payload)?;
    Ok(Some((payload, fds)))
}

/// Reads exactly `buf.len()` bytes; the end of the stream is an error.
fn read_exact(sock: BorrowedFd<'_>, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match socket::recv(sock.as_raw_fd(), buf, MsgFlags::empty()) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the other process closed the connection in the middle of a message",
                ))
            }
            Ok(n) => buf = &mut buf[n..],
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The descriptors a received message carried, now owned.
fn owned_fds(msg: &socket::RecvMsg<'_, '_, ()>) -> io::Result<Vec<OwnedFd>> {
    let mut fds = Vec::new();
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(list) = c {
            // SAFETY: the kernel installed these descriptors in this process
            // for this message; nothing else owns them.
            fds.extend(
                list.into_iter()
                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
            );
        }
    }
    if msg.flags.contains(MsgFlags::MSG_CTRUNC) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a message carried more than {MAX_FDS} descriptors"),
        ));
    }
    Ok(fds)
}

/// What a packet operation ended with, when not a packet.
#[derive(Debug)]
pub(crate) enum PacketError {
    /// The deadline passed.
    Timeout,
    /// The peer is gone (every other end closed).
    Closed,
    /// The packet is too large for the socket.
    TooLarge,
    /// Another failure.
    Io(io::Error),
}

/// Waits until `sock` is ready for `events` or `deadline` passes.
fn wait_ready(
    sock: BorrowedFd<'_>,
    events: libc::c_short,
    deadline: Option<Instant>,
) -> Result<libc::c_short, PacketError> {
    loop {
        let timeout_ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    0
                } else {
                    // Round up so that a wait never ends before the deadline.
                    left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int
                }
            }
        };
        let mut pfd = libc::pollfd {
            fd: sock.as_raw_fd(),
            events,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(PacketError::Io(e));
        }
        if n > 0 {
            return Ok(pfd.revents);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(PacketError::Timeout);
        }
    }
}

/// Sends `payload` (with `fds`) as one packet, waiting for room until
/// `deadline`.
pub(crate) fn send_packet(
    sock: BorrowedFd<'_>,
    payload: &[u8],
    fds: &[RawFd],
    deadline: Option<Instant>,
) -> Result<(), PacketError> {
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage<'_>] = if fds.is_empty() { &[] } else { &rights };
    let iov = [IoSlice::new(payload)];
    loop {
        match socket::sendmsg::<()>(
            sock.as_raw_fd(),
            &iov,
            cmsgs,
            MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => {
                let revents = wait_ready(sock, libc::POLLOUT, deadline)?;
                if revents & (libc::POLLHUP | libc::POLLERR) != 0 && revents & libc::POLLOUT == 0 {
                    return Err(PacketError::Closed);
                }
            }
            Err(
                nix::errno::Errno::EPIPE
                | nix::errno::Errno::ECONNRESET
                | nix::errno::Errno::ENOTCONN,
            ) => return Err(PacketError::Closed),
            Err(nix::errno::Errno::EMSGSIZE | nix::errno::Errno::ENOBUFS) => {
                return Err(PacketError::TooLarge)
            }
            Err(e) => return Err(PacketError::Io(e.into())),
        }
    }
}

/// Receives one packet into `buf` (resized to it), waiting until
/// `deadline`. The end of every writer is [`PacketError::Closed`].
pub(crate) fn recv_packet(
    sock: BorrowedFd<'_>,
    buf: &mut Vec<u8>,
    capacity: usize,
    deadline: Option<Instant>,
) -> Result<Vec<OwnedFd>, PacketError> {
    buf.resize(capacity, 0);
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    loop {
        let mut iov = [IoSliceMut::new(&mut buf[..])];
        match socket::recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(msg) => {
                let n = msg.bytes;
                let truncated = msg.flags.contains(MsgFlags::MSG_TRUNC);
                let fds = owned_fds(&msg).map_err(PacketError::Io)?;
                if n == 0 {
                    return Err(PacketError::Closed);
                }
                if truncated {
                    return Err(PacketError::TooLarge);
                }
                buf.truncate(n);
                return Ok(fds);
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => {
                // Another reader may take the packet poll announced: wait again.
                wait_ready(sock, libc::POLLIN, deadline)?;
            }
            Err(nix::errno::Errno::ECONNRESET) => return Err(PacketError::Closed),
            Err(e) => return Err(PacketError::Io(e.into())),
        }
    }
}

/// The deadline `timeout` from now (`None`: wait for ever).
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| {
        Instant::now()
            .checked_add(t)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1 << 32))
    })
}
