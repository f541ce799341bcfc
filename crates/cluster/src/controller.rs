//! The controller: ipyparallel's hub and schedulers in one process. It
//! listens on TCP (loopback unless told otherwise), registers engines,
//! takes tasks from clients and routes them (direct tasks to their engine,
//! load-balanced ones to whichever engine is free), and sends each result
//! back to the client that asked. One thread per connection; the shared
//! `Scheduler` is only touched under a lock that is never held while
//! sending.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::conn::{self, Sender};
use crate::connection::ConnectionInfo;
use crate::error::{ClusterError, Result};
use crate::frame::{FrameReader, Limits};
use crate::key::Key;
use crate::scheduler::{Outgoing, Scheduler};
use crate::wire::{self, Envelope, Heartbeat, Hello};

/// Where the controller's log lines go (the program decides: a file).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// How long a new connection has to say who it is.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a shutdown waits for the engines to leave.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// How to run a controller.
#[derive(Clone)]
pub struct ControllerOptions {
    /// Address to listen on (`127.0.0.1` unless engines join from other
    /// hosts).
    pub ip: String,
    /// Port (0: any free one).
    pub port: u16,
    /// The signing key.
    pub key: Key,
    /// Load-balanced tasks in flight per engine (1: only free engines).
    pub hwm: usize,
    /// Largest frames accepted.
    pub limits: Limits,
    /// Log sink.
    pub log: Log,
    /// How often engines are pinged, and how long a silent engine lives.
    pub heartbeat: Heartbeat,
}

impl ControllerOptions {
    /// Loopback, any port, a task per engine at a time, no log.
    pub fn new(key: Key) -> ControllerOptions {
        ControllerOptions {
            ip: "127.0.0.1".into(),
            port: 0,
            key,
            hwm: 1,
            limits: Limits::default(),
            log: Arc::new(|_| {}),
            heartbeat: Heartbeat::default(),
        }
    }
}

struct Shared {
    sched: Mutex<Scheduler>,
    changed: Condvar,
    key: Key,
    limits: Limits,
    log: Log,
    stopping: AtomicBool,
    next_client: AtomicU64,
    /// Connected clients, closed at shutdown.
    clients: Mutex<HashMap<u64, Arc<Sender>>>,
    local: SocketAddr,
    heartbeat: Heartbeat,
}

/// A bound controller, ready to [`serve`](Controller::serve).
pub struct Controller {
    listener: TcpListener,
    info: ConnectionInfo,
    shared: Arc<Shared>,
}

impl Controller {
    /// Binds the listening socket.
    pub fn bind(opts: ControllerOptions) -> Result<Controller> {
        let at = if opts.ip.contains(':') {
            format!("[{}]:{}", opts.ip, opts.port)
        } else {
            format!("{}:{}", opts.ip, opts.port)
        };
        let listener =
            TcpListener::bind(&at).map_err(|e| ClusterError::io(format!("listen on {at}"), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| ClusterError::io(format!("listen on {at}"), e))?;
        let info = ConnectionInfo {
            address: opts.ip.clone(),
            port: local.port(),
            key: opts.key.clone(),
        };
        Ok(Controller {
            listener,
            info,
            shared: Arc::new(Shared {
                sched: Mutex::new(Scheduler::new(opts.hwm)),
                changed: Condvar::new(),
                key: opts.key,
                limits: opts.limits,
                log: opts.log,
                stopping: AtomicBool::new(false),
                next_client: AtomicU64::new(0),
                clients: Mutex::new(HashMap::new()),
                local,
                heartbeat: opts.heartbeat,
            }),
        })
    }

    /// What clients and engines need to connect (write it to the
    /// connection file).
    pub fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    /// Accepts connections until a client asks for a shutdown and the
    /// engines have left.
    pub fn serve(self) -> Result<()> {
        let log = self.shared.log.clone();
        log(&format!("listening on {}", self.info.endpoint()));
        let beats = self.shared.clone();
        std::thread::Builder::new()
            .name("cluster-heartbeat".into())
            .spawn(move || heartbeat(&beats))
            .map_err(|e| ClusterError::io("heartbeat thread", e))?;
        for stream in self.listener.incoming() {
            if self.shared.stopping.load(Ordering::SeqCst) {
                break;
            }
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    log(&format!("accept failed: {e}"));
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("cluster-conn".into())
                .spawn(move || connection(shared, stream));
            if let Err(e) = spawned {
                log(&format!("cannot start a connection thread: {e}"));
            }
        }
        log("stopped");
        Ok(())
    }
}

fn send_all(out: Vec<Outgoing>, log: &Log) {
    for o in out {
        if let Err(e) = o.to.send(&o.env, &o.body, o.digest) {
            log(&format!("send to {} failed: {e}", o.to.peer()));
            // A frame cut short leaves the stream unusable: its reader
            // sees the connection end.
            o.to.close();
        }
    }
}

/// Pings every engine each period, and closes the connection of an engine
/// not heard from (a pong, a result) within the timeout: its connection
/// thread then removes it as if it had died, failing or retrying its tasks.
fn heartbeat(shared: &Shared) {
    let hb = shared.heartbeat;
    let mut n = 0u64;
    while !shared.stopping.load(Ordering::SeqCst) {
        std::thread::sleep(hb.period);
        n += 1;
        let now = Instant::now();
        let mut silent = Vec::new();
        let mut alive = Vec::new();
        {
            let mut s = lock(shared);
            for (&id, e) in s.engines.iter_mut() {
                let quiet = now.saturating_duration_since(e.heard);
                if quiet > hb.timeout {
                    if e.dead.is_none() {
                        e.dead = Some(format!(
                            "no word from it for {:.1} s (the heartbeat timeout)",
                            quiet.as_secs_f64()
                        ));
                        silent.push((id, e.to.clone(), e.info.pid, e.info.host.clone()));
                    }
                } else {
                    alive.push(e.to.clone());
                }
            }
        }
        for (id, to, pid, host) in silent {
            (shared.log)(&format!(
                "engine {id} (pid {pid} on {host}) missed its heartbeats for {:.1} s: declared dead",
                hb.timeout.as_secs_f64()
            ));
            to.close();
        }
        for to in alive {
            // A connection busy sending is not held up by a ping: its
            // engine is heard from by the frame's end or not at all.
            if let Some(Err(_)) = to.try_send(&Envelope::Ping { n }) {
                to.close();
            }
        }
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Scheduler> {
    shared.sched.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs one connection: the hello, then the engine's or client's loop.
fn connection(shared: Arc<Shared>, stream: TcpStream) {
    let log = shared.log.clone();
    let addr = stream
        .peer_addr()
        .map_or_else(|_| "unknown peer".to_string(), |a| a.to_string());
    let (mut reader, sender) = match conn::split(stream, &shared.key, shared.limits, &addr) {
        Ok(x) => x,
        Err(e) => return log(&format!("connection from {addr}: {e}")),
    };
    let hello = match conn::read_envelope(&mut reader, Some(HELLO_TIMEOUT)) {
        Ok(Some((Envelope::Hello(h), _))) => h,
        Ok(Some((other, _))) => {
            return log(&format!(
                "refused connection from {addr}: expected a hello, got {other:?}"
            ))
        }
        Ok(None) => return,
        Err(e) => return log(&format!("refused connection from {addr}: {e}")),
    };
    let _ = reader.get_ref().set_read_timeout(None);
    let sender = Arc::new(sender);
    match hello {
        Hello::Client => {
            let id = shared.next_client.fetch_add(1, Ordering::Relaxed);
            shared
                .clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, sender.clone());
            let welcome = Envelope::Welcome {
                engine: None,
                heartbeat: None,
            };
            if sender.send(&welcome, &[], None).is_ok() {
                client_loop(&shared, reader, &sender, id);
            }
            lock(&shared).remove_client(id);
            shared
                .clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        }
        Hello::Engine(info) => {
            let desc = format!("pid {} on {}", info.pid, info.host);
            // A write that the engine does not take within the heartbeat
            // timeout ends its connection, as a silent engine does.
            let _ = reader
                .get_ref()
                .set_write_timeout(Some(shared.heartbeat.timeout));
            let (id, out) = {
                let mut s = lock(&shared);
                s.add_engine(sender.clone(), info)
            };
            let welcome = Envelope::Welcome {
                engine: Some(id),
                heartbeat: Some(shared.heartbeat),
            };
            if let Err(e) = sender.send(&welcome, &[], None) {
                log(&format!(
                    "engine {id} ({desc}) lost during registration: {e}"
                ));
            } else {
                log(&format!("engine {id} registered ({desc}) from {addr}"));
            }
            send_all(out, &log);
            shared.changed.notify_all();
            let why = engine_loop(&shared, reader, id);
            let out = {
                let mut s = lock(&shared);
                let why = s
                    .engines
                    .get_mut(&id)
                    .and_then(|e| e.dead.take())
                    .unwrap_or(why.clone());
                s.remove_engine(id, &why)
            };
            log(&format!("engine {id} ({desc}) left: {why}"));
            send_all(out, &log);
            shared.changed.notify_all();
        }
    }
}

/// Reads an engine's results until it goes; why it went.
fn engine_loop(shared: &Shared, mut reader: FrameReader<TcpStream>, id: u64) -> String {
    loop {
        let frame = match reader.read() {
            Ok(Some(f)) => f,
            Ok(None) => return "connection closed".into(),
            Err(e) => return e.to_string(),
        };
        let env: Envelope = match wire::decode(&frame.header, reader.peer()) {
            Ok(e) => e,
            Err(e) => return e.to_string(),
        };
        match env {
            Envelope::Done {
                task,
                started,
                finished,
            } => {
                let out = lock(shared).done(id, task, started, finished, frame.body, frame.digest);
                send_all(out, &shared.log);
            }
            Envelope::Pong { .. } => {
                if let Some(e) = lock(shared).engines.get_mut(&id) {
                    e.heard = Instant::now();
                }
            }
            other => return format!("unexpected message from an engine: {other:?}"),
        }
    }
}

/// Serves one client until it leaves.
fn client_loop(
    shared: &Arc<Shared>,
    mut reader: FrameReader<TcpStream>,
    me: &Arc<Sender>,
    id: u64,
) {
    let log = &shared.log;
    loop {
        let frame = match reader.read() {
            Ok(Some(f)) => f,
            Ok(None) => return,
            Err(e) => return log(&format!("client {}: {e}", reader.peer())),
        };
        let env: Envelope = match wire::decode(&frame.header, reader.peer()) {
            Ok(e) => e,
            Err(e) => return log(&e.to_string()),
        };
        match env {
            Envelope::Ids { req } => {
                let (ids, (data, local)) = {
                    let s = lock(shared);
                    (s.ids(), s.data_addresses())
                };
                let reply = Envelope::IdsReply {
                    req,
                    ids,
                    data,
                    local,
                };
                let _ = me.send(&reply, &[], None);
            }
            Envelope::Submit { req, route } => {
                let out = lock(shared).submit(me, id, req, route, frame.body, frame.digest);
                send_all(out, log);
            }
            Envelope::Shutdown { req } => {
                shutdown(shared);
                let _ = me.send(&Envelope::ShutdownDone { req }, &[], None);
                // Every other client learns at once that the controller is gone.
                for (other, c) in shared
                    .clients
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                {
                    if *other != id {
                        c.close();
                    }
                }
                // Wake the accept loop so that `serve` returns.
                let _ =
                    TcpStream::connect_timeout(&wake_addr(shared.local), Duration::from_secs(1));
                return;
            }
            other => return log(&format!("client {}: unexpected {other:?}", reader.peer())),
        }
    }
}

/// The address to reach our own listener (loopback for a wildcard bind).
fn wake_addr(local: SocketAddr) -> SocketAddr {
    let mut a = local;
    if a.ip().is_unspecified() {
        a.set_ip(if a.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    a
}

/// Tells every engine to stop and waits (a while) for them to leave.
fn shutdown(shared: &Shared) {
    shared.stopping.store(true, Ordering::SeqCst);
    (shared.log)("shutting down");
    let engines: Vec<Arc<Sender>> = lock(shared)
        .engines
        .values()
        .map(|e| e.to.clone())
        .collect();
    for e in &engines {
        let _ = e.send(&Envelope::Stop, &[], None);
    }
    let deadline = Instant::now() + SHUTDOWN_WAIT;
    let mut s = lock(shared);
    while !s.engines.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            (shared.log)(&format!("engines {:?} did not stop in time", s.ids()));
            for e in s.engines.values() {
                e.to.close();
            }
            break;
        }
        s = shared
            .changed
            .wait_timeout(s, left)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}
