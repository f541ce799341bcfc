//! [`Local`]: `n` ranks as threads of one process, talking over channels.
//!
//! Every distributed algorithm of hpcrs is generic over [`Communicator`], so
//! its unit tests run on `Local` with no MPI installed. Each ordered pair of
//! ranks has its own unbounded channel, so sends never block (like buffered
//! MPI sends) and messages between two ranks arrive in the order sent;
//! a receive that finds a message with another tag first keeps it aside for
//! a later receive, which gives MPI's matching by (source, tag).
//! Collectives are built from these point-to-point messages on a reserved
//! internal tag, which every rank uses in the same order.
//!
//! When a rank's thread ends (normally, with an error, or by panicking) its
//! channels close, so peers waiting on it get [`CommError::PeerGone`]
//! instead of hanging; [`Local::run`] then reports the first failure.

use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use crate::communicator::{check_blocks, check_peer, check_tag, Communicator, Request, Tag};
use crate::error::{CommError, Result};
use crate::scalar::{combine_into, Op, Scalar};

/// The tag of internal collective messages (outside the user range).
const COLLECTIVE: Tag = -1;

/// What travels through a channel.
enum Payload {
    /// Object flavour: serialised bytes.
    Bytes(Vec<u8>),
    /// Buffer flavour: a `Vec<T>` of a [`Scalar`] type, moved without serialisation.
    Buf(Box<dyn Any + Send>, &'static str),
}

impl Payload {
    fn describe(&self) -> String {
        match self {
            Payload::Bytes(b) => format!("a serialised object ({} bytes)", b.len()),
            Payload::Buf(_, name) => format!("a buffer of {name}"),
        }
    }
}

struct Envelope {
    tag: Tag,
    payload: Payload,
}

/// One rank of a group of threads; see the [module docs](self).
pub struct Local {
    rank: usize,
    size: usize,
    /// `to[d]` sends to rank `d`.
    to: Vec<Sender<Envelope>>,
    /// `from[s]` receives from rank `s`.
    from: Vec<Receiver<Envelope>>,
    /// Messages from rank `s` that arrived before a receive asked for their tag.
    aside: Vec<RefCell<VecDeque<Envelope>>>,
    host: String,
}

/// The first failure of a group, in time order (later failures are usually
/// peers noticing that the first one is gone).
type FirstFailure = Mutex<Option<(usize, String)>>;

impl Local {
    /// Runs `f` on `n` ranks, each on its own thread, and returns each rank's
    /// result in rank order.
    ///
    /// If a rank panics, the error names the first rank that failed and why.
    pub fn run<R, F>(n: usize, f: F) -> Result<Vec<R>>
    where
        R: Send,
        F: Fn(&Local) -> R + Sync,
    {
        Local::try_run(n, |comm| Ok::<R, CommError>(f(comm)))
    }

    /// Like [`Local::run`] for a fallible `f`: if any rank returns an error
    /// (or panics), the result is [`CommError::RankFailed`] naming the first
    /// rank that failed and its message.
    pub fn try_run<R, E, F>(n: usize, f: F) -> Result<Vec<R>>
    where
        R: Send,
        E: std::fmt::Display,
        F: Fn(&Local) -> std::result::Result<R, E> + Sync,
    {
        let comms = Local::group(n)?;
        let first: FirstFailure = Mutex::new(None);
        let fail = |rank: usize, reason: String| {
            let mut first = first.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert((rank, reason));
        };
        let results: Vec<Option<R>> = std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .into_iter()
                .map(|comm| {
                    let (f, fail) = (&f, &fail);
                    s.spawn(move || {
                        let rank = comm.rank;
                        let out =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&comm)));
                        // Record this rank's failure before closing its
                        // channels: closing wakes the peers waiting on it with
                        // PeerGone, and their consequential errors must not
                        // win the race to be reported as the first failure.
                        let result = match out {
                            Ok(Ok(r)) => Some(r),
                            Ok(Err(e)) => {
                                fail(rank, e.to_string());
                                None
                            }
                            Err(panic) => {
                                fail(rank, panic_message(&panic));
                                None
                            }
                        };
                        drop(comm);
                        result
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect()
        });
        if let Some((rank, reason)) = first.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(CommError::RankFailed { rank, reason });
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("no failure recorded"))
            .collect())
    }

    /// Makes the `n` connected ranks of a group, to be moved to `n` threads.
    pub fn group(n: usize) -> Result<Vec<Local>> {
        if n == 0 {
            return Err(CommError::NoRanks(n));
        }
        // senders[s][d] / receivers[d][s]: the channel from s to d.
        let mut senders: Vec<Vec<Sender<Envelope>>> =
            (0..n).map(|_| Vec::with_capacity(n)).collect();
        let mut receivers: Vec<Vec<Receiver<Envelope>>> =
            (0..n).map(|_| Vec::with_capacity(n)).collect();
        for sender_row in senders.iter_mut() {
            for receiver_row in receivers.iter_mut() {
                let (tx, rx) = channel();
                sender_row.push(tx);
                receiver_row.push(rx);
            }
        }
        let host = hostname();
        Ok(senders
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(rank, (to, from))| Local {
                rank,
                size: n,
                to,
                from,
                aside: (0..n).map(|_| RefCell::new(VecDeque::new())).collect(),
                host: host.clone(),
            })
            .collect())
    }

    fn post(&self, payload: Payload, dest: usize, tag: Tag, op: &'static str) -> Result<()> {
        check_peer(dest, self.size)?;
        self.to[dest]
            .send(Envelope { tag, payload })
            .map_err(|_| CommError::PeerGone {
                rank: self.rank,
                peer: dest,
                op,
            })
    }

    /// Takes the first message from `source` with `tag`, keeping others aside.
    fn take(&self, source: usize, tag: Tag, op: &'static str) -> Result<Payload> {
        check_peer(source, self.size)?;
        let mut aside = self.aside[source].borrow_mut();
        if let Some(i) = aside.iter().position(|e| e.tag == tag) {
            return Ok(aside.remove(i).expect("index from position").payload);
        }
        loop {
            let env = self.from[source].recv().map_err(|_| CommError::PeerGone {
                rank: self.rank,
                peer: source,
                op,
            })?;
            if env.tag == tag {
                return Ok(env.payload);
            }
            aside.push_back(env);
        }
    }

    /// Puts a message that a receive refused back in front, so that a later
    /// receive still finds it (MPI's probe leaves a refused message unconsumed).
    fn put_back(&self, source: usize, tag: Tag, payload: Payload) {
        self.aside[source]
            .borrow_mut()
            .push_front(Envelope { tag, payload });
    }

    fn take_bytes(&self, source: usize, tag: Tag, op: &'static str) -> Result<Vec<u8>> {
        match self.take(source, tag, op)? {
            Payload::Bytes(b) => Ok(b),
            other => {
                let got = other.describe();
                self.put_back(source, tag, other);
                Err(CommError::TypeMismatch {
                    from: source,
                    tag,
                    got,
                    expected: "a serialised object".into(),
                })
            }
        }
    }

    fn take_vec<T: Scalar>(&self, source: usize, tag: Tag, op: &'static str) -> Result<Vec<T>> {
        let payload = self.take(source, tag, op)?;
        let got = payload.describe();
        let payload = match payload {
            Payload::Buf(b, name) => match b.downcast::<Vec<T>>() {
                Ok(v) => return Ok(*v),
                Err(b) => Payload::Buf(b, name),
            },
            bytes => bytes,
        };
        self.put_back(source, tag, payload);
        Err(CommError::TypeMismatch {
            from: source,
            tag,
            got,
            expected: format!("a buffer of {}", T::NAME),
        })
    }

    fn post_vec<T: Scalar>(
        &self,
        v: Vec<T>,
        dest: usize,
        tag: Tag,
        op: &'static str,
    ) -> Result<()> {
        self.post(Payload::Buf(Box::new(v), T::NAME), dest, tag, op)
    }

    fn recv_into<T: Scalar>(
        &self,
        buf: &mut [T],
        source: usize,
        tag: Tag,
        op: &'static str,
    ) -> Result<usize> {
        let v = self.take_vec::<T>(source, tag, op)?;
        if v.len() > buf.len() {
            let got = v.len();
            // Keep the message for a later receive with a larger buffer, as
            // MPI's probe-then-receive leaves it unconsumed.
            self.put_back(source, tag, Payload::Buf(Box::new(v), T::NAME));
            return Err(CommError::Truncated {
                from: source,
                tag,
                got,
                capacity: buf.len(),
            });
        }
        buf[..v.len()].copy_from_slice(&v);
        Ok(v.len())
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".into()
    }
}

/// The host name (from the kernel), or `localhost` if it cannot be read.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The request of [`Local::isend_buf`]: the data left at once (channels are
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

impl Communicator for Local {
    type SendRequest<T: Scalar> = LocalSend<T>;
    type RecvRequest<'a, T: Scalar> = LocalRecv<'a, T>;

    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn processor_name(&self) -> String {
        self.host.clone()
    }

    fn barrier(&self) -> Result<()> {
        // Everyone checks in with rank 0, which then releases everyone.
        self.gather_bytes(Vec::new(), 0)?;
        self.bcast_bytes((self.rank == 0).then(Vec::new), 0)?;
        Ok(())
    }

    fn abort(&self, code: i32) -> ! {
        panic!("rank {} called abort with code {code}", self.rank)
    }

    fn send_bytes(&self, bytes: Vec<u8>, dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        self.post(Payload::Bytes(bytes), dest, tag, "send")
    }

    fn recv_bytes(&self, source: usize, tag: Tag) -> Result<Vec<u8>> {
        check_tag(tag)?;
        self.take_bytes(source, tag, "recv")
    }

    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>> {
        check_peer(root, self.size)?;
        if self.rank == root {
            let bytes = bytes.ok_or(CommError::MissingRootData { op: "bcast", root })?;
            for d in (0..self.size).filter(|&d| d != root) {
                self.post(Payload::Bytes(bytes.clone()), d, COLLECTIVE, "bcast")?;
            }
            Ok(bytes)
        } else {
            self.take_bytes(root, COLLECTIVE, "bcast")
        }
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
        let all = self.gather_bytes(bytes, 0)?;
        let packed = match all {
            Some(parts) => Some(crate::communicator::encode(&parts)?),
            None => None,
        };
        crate::communicator::decode(&self.bcast_bytes(packed, 0)?, 0)
    }

    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.take_bytes(root, COLLECTIVE, "scatter");
        }
        let parts = parts.ok_or(CommError::MissingRootData {
            op: "scatter",
            root,
        })?;
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

    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        self.post_vec(buf.to_vec(), dest, tag, "send_buf")
    }

    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize> {
        check_tag(tag)?;
        self.recv_into(buf, source, tag, "recv_buf")
    }

    fn sendrecv_buf<T: Scalar>(
        &self,
        send: &[T],
        dest: usize,
        recv: &mut [T],
        source: usize,
        tag: Tag,
    ) -> Result<usize> {
        check_tag(tag)?;
        check_peer(source, self.size)?;
        self.post_vec(send.to_vec(), dest, tag, "sendrecv_buf")?;
        self.recv_into(recv, source, tag, "sendrecv_buf")
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

    fn bcast_buf<T: Scalar>(&self, buf: &mut [T], root: usize) -> Result<()> {
        check_peer(root, self.size)?;
        if self.rank == root {
            for d in (0..self.size).filter(|&d| d != root) {
                self.post_vec(buf.to_vec(), d, COLLECTIVE, "bcast_buf")?;
            }
            return Ok(());
        }
        let n = self.recv_into(buf, root, COLLECTIVE, "bcast_buf")?;
        if n != buf.len() {
            return Err(CommError::Length {
                op: "bcast_buf",
                why: format!(
                    "the root sent {n} element(s) into a buffer of {}",
                    buf.len()
                ),
            });
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
            let n = self.recv_into(recv, root, COLLECTIVE, "scatter_buf")?;
            return match n == recv.len() {
                true => Ok(()),
                false => Err(CommError::Length {
                    op: "scatter_buf",
                    why: format!(
                        "got a block of {n} element(s) for a buffer of {}",
                        recv.len()
                    ),
                }),
            };
        }
        let send = send.ok_or(CommError::MissingRootData {
            op: "scatter_buf",
            root,
        })?;
        let part = recv.len();
        check_blocks("scatter_buf", send.len(), part, self.size)?;
        for (d, block) in send.chunks(part.max(1)).enumerate().take(self.size) {
            if d == root {
                recv.copy_from_slice(block);
            } else {
                self.post_vec(block.to_vec(), d, COLLECTIVE, "scatter_buf")?;
            }
        }
        if part == 0 {
            // chunks(1) of an empty slice yields nothing: still send empty blocks.
            for d in (0..self.size).filter(|&d| d != root) {
                self.post_vec(Vec::<T>::new(), d, COLLECTIVE, "scatter_buf")?;
            }
        }
        Ok(())
    }

    fn gather_buf<T: Scalar>(&self, send: &[T], recv: Option<&mut [T]>, root: usize) -> Result<()> {
        check_peer(root, self.size)?;
        if self.rank != root {
            return self.post_vec(send.to_vec(), root, COLLECTIVE, "gather_buf");
        }
        let recv = recv.ok_or(CommError::MissingRootData {
            op: "gather_buf",
            root,
        })?;
        let part = send.len();
        check_blocks("gather_buf", recv.len(), part, self.size)?;
        for s in 0..self.size {
            let block = &mut recv[s * part..(s + 1) * part];
            if s == root {
                block.copy_from_slice(send);
                continue;
            }
            let v = self.take_vec::<T>(s, COLLECTIVE, "gather_buf")?;
            if v.len() != part {
                return Err(CommError::Length {
                    op: "gather_buf",
                    why: format!("rank {s} sent {} element(s), the root {part}", v.len()),
                });
            }
            block.copy_from_slice(&v);
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
        let recv = recv.ok_or(CommError::MissingRootData {
            op: "reduce_buf",
            root,
        })?;
        check_blocks("reduce_buf", recv.len(), send.len(), 1)?;
        // Combine in rank order, so the result is the same on every run.
        let mut acc: Option<Vec<T>> = None;
        for s in 0..self.size {
            let v = if s == root {
                send.to_vec()
            } else {
                self.take_vec::<T>(s, COLLECTIVE, "reduce_buf")?
            };
            if v.len() != send.len() {
                return Err(CommError::Length {
                    op: "reduce_buf",
                    why: format!(
                        "rank {s} sent {} element(s), the root {}",
                        v.len(),
                        send.len()
                    ),
                });
            }
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
