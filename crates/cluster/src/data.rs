//! Bulk data between a client and an engine without the controller: each
//! engine also listens on a *data port*, announced when it registers and
//! given to clients with the engine ids. A scatter's block or a gather's
//! part crosses one loopback hop instead of two, in parallel for all
//! engines, while the controller still orders the operation: the client
//! sends it the small task [`crate::wire::Task::Receive`]
//! or [`crate::wire::Task::Send`], which the engine runs in
//! turn with its other tasks, taking or giving the data on the data
//! connection that carries the same token.
//!
//! A data connection uses the same signed frames as the controller's
//! (same key, sequence numbers), and its first frame is the engine's
//! random nonce, which the client's request must repeat, so a recorded
//! data connection cannot be replayed. The engine keeps at most
//! [`MAX_PENDING`] transfers waiting for their task, and a task waits at
//! most [`ANNOUNCE_WAIT`] for its transfer to begin.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::conn::{self, Sender};
use crate::error::{ClusterError, Result};
use crate::frame::{FrameReader, Limits};
use crate::key::Key;
use crate::value::Value;
use crate::wire::{self, Envelope, Outcome, Task};

/// How long a `Receive` or `Send` task waits for its data connection.
pub const ANNOUNCE_WAIT: Duration = Duration::from_secs(10);
/// How long a data connection may stay silent inside a transfer.
pub const IDLE_WAIT: Duration = Duration::from_secs(60);
/// The most transfers an engine holds that no task has claimed yet.
pub const MAX_PENDING: usize = 64;
/// The most data connections an engine serves at once; more are closed at
/// once (their client then sends its data through the controller).
pub const MAX_CONNECTIONS: usize = 128;

/// Where a pushed block is.
pub(crate) enum Put {
    /// Its connection has announced it; the body is on its way.
    Arriving,
    /// The push, signature and digest checked, decoded.
    Ready(Task),
    /// The connection failed before the body was complete.
    Failed(String),
}

/// A connection waiting for a value.
pub(crate) enum Getter {
    /// A data connection (TCP).
    Tcp(Sender),
    /// A local connection ([`crate::local`]).
    Local(crate::local::LocalReply),
}

#[derive(Default)]
struct Boxes {
    puts: HashMap<u64, Put>,
    gets: HashMap<u64, Getter>,
}

/// What the data connections bring, until the engine's tasks claim it.
pub(crate) struct Mailbox {
    boxes: Mutex<Boxes>,
    changed: Condvar,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Boxes> {
        self.boxes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the put `token` is arriving; false if it cannot be
    /// held (too many pending, or the token is taken).
    pub(crate) fn announce_put(&self, token: u64) -> bool {
        {
            let mut b = self.lock();
            if b.puts.len() >= MAX_PENDING || b.puts.contains_key(&token) {
                return false;
            }
            b.puts.insert(token, Put::Arriving);
        }
        self.changed.notify_all();
        true
    }

    /// The put `token` has arrived (or failed).
    pub(crate) fn finish_put(&self, token: u64, put: Put) {
        self.lock().puts.insert(token, put);
        self.changed.notify_all();
    }

    /// A connection waits for the value of the get `token` (dropped if it
    /// cannot be held).
    pub(crate) fn add_get(&self, token: u64, to: Getter) {
        {
            let mut b = self.lock();
            if b.gets.len() >= MAX_PENDING || b.gets.contains_key(&token) {
                return;
            }
            b.gets.insert(token, to);
        }
        self.changed.notify_all();
    }

    /// Waits until `ready` finds something in the boxes, or `deadline`.
    fn wait_for<T>(
        &self,
        deadline: Instant,
        mut ready: impl FnMut(&mut Boxes) -> Option<T>,
    ) -> Option<T> {
        let mut b = self.lock();
        loop {
            if let Some(x) = ready(&mut b) {
                return Some(x);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            b = self
                .changed
                .wait_timeout(b, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// An engine's data port: a listener thread that accepts data connections
/// and holds what they bring until the engine's tasks claim it.
pub struct DataPort {
    address: String,
    local: SocketAddr,
    /// The local port's name, if it listens ([`crate::local`]).
    local_name: Option<String>,
    mailbox: Arc<Mailbox>,
    stop: Arc<AtomicBool>,
}

impl DataPort {
    /// Listens on `ip` (any free port), checking frames with `key`, and,
    /// with `local`, on a local port for clients of this host.
    pub fn bind(ip: IpAddr, key: &Key, limits: Limits, with_local: bool) -> Result<DataPort> {
        let listener = TcpListener::bind((ip, 0))
            .map_err(|e| ClusterError::io(format!("data port on {ip}"), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| ClusterError::io(format!("data port on {ip}"), e))?;
        let mailbox = Arc::new(Mailbox {
            boxes: Mutex::new(Boxes::default()),
            changed: Condvar::new(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (mb, st, k) = (mailbox.clone(), stop.clone(), key.clone());
        std::thread::Builder::new()
            .name("cluster-data".into())
            .spawn(move || {
                accept_each(
                    listener.incoming(),
                    "cluster-data-conn",
                    &st,
                    move |stream| serve(stream, &mb, &k, limits),
                )
            })
            .map_err(|e| ClusterError::io("data port thread", e))?;
        // Without a local port (none can be made here), clients of this
        // host use the data port.
        let local_name = with_local
            .then(crate::local::bind)
            .and_then(|r| r.ok())
            .and_then(|(listener, name)| {
                let (mb, st, key) = (mailbox.clone(), stop.clone(), key.clone());
                std::thread::Builder::new()
                    .name("cluster-local".into())
                    .spawn(move || {
                        let serve = move |stream| crate::local::serve(stream, &mb, &key, limits);
                        accept_each(listener.incoming(), "cluster-local-conn", &st, serve)
                    })
                    .ok()
                    .map(|_| name)
            });
        Ok(DataPort {
            address: local.to_string(),
            local,
            local_name,
            mailbox,
            stop,
        })
    }

    /// The local port's name (an abstract Unix socket), if it listens.
    pub fn local_name(&self) -> Option<&str> {
        self.local_name.as_deref()
    }

    /// Where clients connect (`ip:port`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The push that arrived with `token`, waiting for it to begin within
    /// `wait` (the engine waits [`ANNOUNCE_WAIT`]) and then to end.
    pub fn take_put(&self, token: u64, wait: Duration) -> std::result::Result<Task, String> {
        let announced = Instant::now() + wait;
        if self
            .mailbox
            .wait_for(announced, |b| b.puts.contains_key(&token).then_some(()))
            .is_none()
        {
            return Err(format!(
                "no data connection brought the pushed block within {wait:?}"
            ));
        }
        // Once begun, a transfer ends: its connection's reads time out
        // after `IDLE_WAIT` of silence.
        let far = Instant::now() + Duration::from_secs(86_400);
        let got = self.mailbox.wait_for(far, |b| match b.puts.get(&token) {
            Some(Put::Arriving) => None,
            _ => b.puts.remove(&token).or(Some(Put::Failed("lost".into()))),
        });
        match got {
            Some(Put::Ready(task)) => Ok(task),
            Some(Put::Failed(why)) => Err(why),
            _ => Err("the pushed block never arrived".into()),
        }
    }

    /// Sends the value of `name` (`None`: it is not defined, which the
    /// client is told) on the data connection that asked for `token`,
    /// waiting for that at most `wait` (the engine waits
    /// [`ANNOUNCE_WAIT`]); the task's own result.
    pub fn send_value(
        &self,
        token: u64,
        value: Option<&Value>,
        name: &str,
        wait: Duration,
    ) -> Outcome {
        let to = self
            .mailbox
            .wait_for(Instant::now() + wait, |b| b.gets.remove(&token))
            .ok_or_else(|| format!("no data connection asked for the value within {wait:?}"))?;
        let to = match to {
            Getter::Tcp(s) => s,
            Getter::Local(l) => {
                l.send(token, value, name).map_err(|e| e.to_string())?;
                return match value {
                    Some(_) => Ok(Value::None),
                    None => Err(format!("name `{name}` is not defined")),
                };
            }
        };
        // An array is sent from where it lies, behind its encoded prefix.
        let (head, elements) = match value {
            Some(v) => wire::encode_ok_parts(v),
            None => (
                wire::encode(&Err::<&Value, String>(format!(
                    "name `{name}` is not defined"
                ))),
                std::borrow::Cow::Borrowed(&[][..]),
            ),
        };
        to.send_parts(&Envelope::DataValue { token }, &[&head, &elements])
            .map_err(|e| e.to_string())?;
        match value {
            Some(_) => Ok(Value::None),
            None => Err(format!("name `{name}` is not defined")),
        }
    }
}

impl Drop for DataPort {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that its thread ends.
        let mut at = self.local;
        if at.ip().is_unspecified() {
            at.set_ip(IpAddr::from([127, 0, 0, 1]));
        }
        let _ = TcpStream::connect_timeout(&at, Duration::from_secs(1));
        if let Some(name) = &self.local_name {
            let _ = crate::local::connect(name);
        }
    }
}

/// Serves each connection of `incoming` on a thread of its own named
/// `name`, at most [`MAX_CONNECTIONS`] at once, until `stop` is set: the
/// accept loop of the data port and of the local port alike.
fn accept_each<S: Send + 'static>(
    incoming: impl Iterator<Item = std::io::Result<S>>,
    name: &str,
    stop: &AtomicBool,
    serve: impl Fn(S) + Clone + Send + 'static,
) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in incoming {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (serve, count) = (serve.clone(), active.clone());
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                serve(stream);
                count.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Serves one data connection: the nonce, then one put or one get.
fn serve(stream: TcpStream, mb: &Mailbox, key: &Key, limits: Limits) {
    let peer = stream.peer_addr().map_or_else(
        |_| "data client".to_string(),
        |a| format!("data client {a}"),
    );
    let _ = stream.set_read_timeout(Some(IDLE_WAIT));
    let Ok((mut reader, sender)) = conn::split(stream, key, limits, &peer) else {
        return;
    };
    let mut nonce = [0u8; 16];
    if getrandom::fill(&mut nonce).is_err()
        || sender
            .send(&Envelope::DataHello { nonce }, &[], None)
            .is_err()
    {
        return;
    }
    let Ok(Some(first)) = reader.read() else {
        return;
    };
    match wire::decode::<Envelope>(&first.header, &peer) {
        Ok(Envelope::DataPut { token, nonce: n }) if n == nonce && mb.announce_put(token) => {
            mb.finish_put(token, body(&mut reader, token));
        }
        Ok(Envelope::DataGet { token, nonce: n }) if n == nonce => {
            mb.add_get(token, Getter::Tcp(sender));
        }
        _ => {}
    }
}

/// The block of a put: the connection's second frame.
fn body(reader: &mut FrameReader<TcpStream>, token: u64) -> Put {
    let peer = reader.peer().to_string();
    let frame = match reader.read() {
        Ok(Some(f)) => f,
        Ok(None) => return Put::Failed(format!("{peer} closed before sending the block")),
        Err(e) => return Put::Failed(e.to_string()),
    };
    let checked = frame.check_body(&peer).and_then(|()| {
        match wire::decode::<Envelope>(&frame.header, &peer)? {
            Envelope::DataValue { token: t } if t == token => wire::decode_task(&frame.body, &peer),
            other => Err(ClusterError::protocol(
                &peer,
                format!("unexpected message {other:?}"),
            )),
        }
    });
    match checked {
        Ok(task) => Put::Ready(task),
        Err(e) => Put::Failed(e.to_string()),
    }
}

/// A client's open data connection to one engine.
pub(crate) struct DataConn {
    reader: FrameReader<TcpStream>,
    sender: Sender,
    nonce: [u8; 16],
}

impl DataConn {
    /// Connects to an engine's data port and reads its nonce.
    pub(crate) fn open(address: &str, key: &Key, limits: Limits, wait: Duration) -> Result<Self> {
        let stream = conn::connect(address, wait)?;
        let peer = format!("engine data port {address}");
        let (mut reader, sender) = conn::split(stream, key, limits, &peer)?;
        match conn::read_envelope(&mut reader, Some(wait))? {
            Some((Envelope::DataHello { nonce }, _)) => Ok(DataConn {
                reader,
                sender,
                nonce,
            }),
            other => Err(ClusterError::protocol(
                peer,
                format!("expected the data port's nonce, got {other:?}"),
            )),
        }
    }

    /// Sends the encoded push `body` for the `Receive` task with `token`.
    pub(crate) fn put(self, token: u64, body: &[u8]) -> Result<()> {
        self.put_parts(token, &[body])
    }

    /// [`put`](DataConn::put) of a push encoded in pieces.
    pub(crate) fn put_parts(self, token: u64, body: &[&[u8]]) -> Result<()> {
        let nonce = self.nonce;
        self.sender
            .send(&Envelope::DataPut { token, nonce }, &[], None)?;
        self.sender.send_parts(&Envelope::DataValue { token }, body)
    }

    /// Asks for the value of the `Send` task with `token` and waits for it
    /// (`timeout`: `None` waits as long as the engine is there).
    pub(crate) fn get(mut self, token: u64, timeout: Option<Duration>) -> Result<Outcome> {
        let nonce = self.nonce;
        self.sender
            .send(&Envelope::DataGet { token, nonce }, &[], None)?;
        let peer = self.reader.peer().to_string();
        let _ = self.reader.get_ref().set_read_timeout(timeout);
        let frame = self.reader.read()?.ok_or_else(|| {
            ClusterError::protocol(&peer, "closed the data connection before the value")
        })?;
        frame.check_body(&peer)?;
        match wire::decode::<Envelope>(&frame.header, &peer)? {
            Envelope::DataValue { token: t } if t == token => {
                wire::decode_outcome(&frame.body, &peer)
            }
            other => Err(ClusterError::protocol(
                peer,
                format!("unexpected message {other:?}"),
            )),
        }
    }
}

/// A fresh transfer token.
pub(crate) fn token() -> Result<u64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b)
        .map_err(|e| ClusterError::io("random token", std::io::Error::other(e.to_string())))?;
    Ok(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameWriter;

    const WAIT: Duration = Duration::from_secs(10);

    fn key() -> Key {
        Key::from_bytes(b"data port test key").unwrap()
    }

    fn port() -> DataPort {
        DataPort::bind(
            IpAddr::from([127, 0, 0, 1]),
            &key(),
            Limits::default(),
            true,
        )
        .unwrap()
    }

    fn open(p: &DataPort, key: &Key) -> Result<DataConn> {
        DataConn::open(p.address(), key, Limits::default(), WAIT)
    }

    fn push() -> Task {
        Task::Push {
            values: vec![("a".into(), Value::arange(1000))],
        }
    }

    fn push_body() -> Vec<u8> {
        wire::encode(&push())
    }

    #[test]
    fn puts_and_gets_cross_the_data_port() {
        let p = port();
        let body = push_body();
        open(&p, &key()).unwrap().put(7, &body).unwrap();
        assert_eq!(p.take_put(7, WAIT).unwrap(), push());
        // Taken once: a second task with the token finds nothing.
        let e = p.take_put(7, Duration::from_millis(100)).unwrap_err();
        assert!(e.contains("no data connection"), "{e}");

        let v = Value::floats(vec![0.5, -1.5]);
        let c = open(&p, &key()).unwrap();
        let got = std::thread::spawn(move || c.get(9, Some(WAIT)));
        assert_eq!(p.send_value(9, Some(&v), "x", WAIT), Ok(Value::None));
        assert_eq!(got.join().unwrap().unwrap(), Ok(v));

        let c = open(&p, &key()).unwrap();
        let got = std::thread::spawn(move || c.get(10, Some(WAIT)));
        let e = p.send_value(10, None, "y", WAIT).unwrap_err();
        assert_eq!(e, "name `y` is not defined");
        assert_eq!(got.join().unwrap().unwrap(), Err(e));

        let e = p
            .send_value(11, None, "z", Duration::from_millis(100))
            .unwrap_err();
        assert!(e.contains("no data connection asked"), "{e}");
    }

    #[test]
    fn a_wrong_key_or_a_replayed_request_brings_nothing() {
        let p = port();
        let other = Key::from_bytes(b"not the key").unwrap();
        let e = open(&p, &other).err().unwrap().to_string();
        assert!(e.contains("bad signature"), "{e}");
        // A recorded request carries its own connection's nonce: replayed
        // on a new connection (whose frames it matches in every other
        // respect), it is ignored.
        let recorded = open(&p, &key()).unwrap().nonce;
        let mut replay = open(&p, &key()).unwrap();
        replay.nonce = recorded;
        let _ = replay.put(3, &push_body());
        let e = p.take_put(3, Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("no data connection"), "{e}");
    }

    #[test]
    fn connections_beyond_the_limit_are_closed_until_some_end() {
        let p = port();
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(p.address()).unwrap())
            .collect();
        // Each idle connection is served (its nonce sent) before the next
        // is accepted.
        let mut hello = [0u8; 1];
        for c in &idle {
            std::io::Read::read_exact(&mut &*c, &mut hello).unwrap();
        }
        assert!(open(&p, &key()).is_err());
        drop(idle);
        let t = Instant::now();
        let c = loop {
            match open(&p, &key()) {
                Ok(c) => break c,
                Err(_) if t.elapsed() < WAIT => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("{e}"),
            }
        };
        c.put(1, &push_body()).unwrap();
        assert_eq!(p.take_put(1, WAIT).unwrap(), push());
    }

    #[test]
    fn a_block_cut_short_fails_its_receive() {
        let p = port();
        let stream = TcpStream::connect(p.address()).unwrap();
        let mut reader =
            FrameReader::new(stream.try_clone().unwrap(), key(), Limits::default(), "e");
        let Some((Envelope::DataHello { nonce }, _)) =
            conn::read_envelope(&mut reader, Some(WAIT)).unwrap()
        else {
            panic!("no nonce")
        };
        let mut w = FrameWriter::new(Vec::new(), key(), "engine");
        w.write(
            &wire::encode(&Envelope::DataPut { token: 5, nonce }),
            &[],
            None,
        )
        .unwrap();
        let announced = w.get_ref().len();
        let body = push_body();
        w.write(
            &wire::encode(&Envelope::DataValue { token: 5 }),
            &body,
            None,
        )
        .unwrap();
        let bytes = w.get_ref();
        let cut = announced + (bytes.len() - announced) / 2;
        std::io::Write::write_all(&mut &stream, &bytes[..cut]).unwrap();
        drop((reader, stream));
        let e = p.take_put(5, WAIT).unwrap_err();
        assert!(e.contains("closed inside a frame body"), "{e}");
    }
}
