//! The client: a connection to the controller and the views over it
//! (ipyparallel's `Client`). Requests carry numbers; a reader thread hands
//! each answer to the [`AsyncResult`] waiting for it, and when the
//! controller goes every waiting result fails at once, so nothing hangs on
//! a dead controller.

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::async_result::{AsyncResult, Reply};
use crate::conn::{self, Sender};
use crate::connection::ConnectionInfo;
use crate::data::DataConn;
use crate::error::{ClusterError, Result};
use crate::frame::{FrameReader, Limits};
use crate::key::Key;
use crate::local::LocalConn;
use crate::targets::Targets;
use crate::view::{DirectView, LoadBalancedView};
use crate::wire::{self, Envelope, Hello, Route, Task};

/// How a client connects.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long to wait for the controller to accept and to answer the
    /// hello and each control request (`ids`, `shutdown`).
    pub timeout: Duration,
    /// Largest frames accepted.
    pub limits: Limits,
    /// Whether arrays for engines on this host are spliced through pipes
    /// passed over their local ports ([`crate::local`]) rather than sent
    /// over their data ports.
    pub local: bool,
}

impl Default for ClientOptions {
    /// Ten seconds, the default limits, local ports used.
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            limits: Limits::default(),
            local: true,
        }
    }
}

/// An engine's data port address and local port name, if it has them.
type Ports = (Option<String>, Option<String>);

struct Pending {
    waiting: HashMap<u64, SyncSender<Reply>>,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

pub(crate) struct Inner {
    sender: Sender,
    pending: Mutex<Pending>,
    next_req: AtomicU64,
    address: String,
    timeout: Duration,
    /// The engines' data ports and local port names, as of the last `ids`.
    data: Mutex<HashMap<u64, Ports>>,
    key: Key,
    limits: Limits,
    local: bool,
}

/// A connection to a cluster's controller.
pub struct Client {
    inner: Arc<Inner>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Client {
    /// Connects with the connection file at `path`.
    pub fn connect_file(path: &Path, opts: &ClientOptions) -> Result<Client> {
        Client::connect(&ConnectionInfo::read(path)?, opts)
    }

    /// Connects to the controller `info` describes.
    pub fn connect(info: &ConnectionInfo, opts: &ClientOptions) -> Result<Client> {
        let address = info.endpoint();
        let stream = conn::connect(&address, opts.timeout)?;
        let peer = format!("controller at {address}");
        let (mut reader, sender) = conn::split(stream, &info.key, opts.limits, &peer)?;
        sender.send(&Envelope::Hello(Hello::Client), &[], None)?;
        let gone = |why: String| ClusterError::ControllerGone {
            address: address.clone(),
            why,
        };
        match conn::read_envelope(&mut reader, Some(opts.timeout)) {
            Ok(Some((Envelope::Welcome { engine: None, .. }, _))) => {}
            Ok(Some((other, _))) => return Err(gone(format!("unexpected answer {other:?}"))),
            Ok(None) => {
                return Err(gone(
                    "it closed the connection: refused (wrong key?)".into(),
                ))
            }
            Err(ClusterError::Io { source, .. })
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(gone(format!("no answer within {:?}", opts.timeout)))
            }
            Err(e) => return Err(gone(e.to_string())),
        }
        let _ = reader.get_ref().set_read_timeout(None);
        let inner = Arc::new(Inner {
            sender,
            pending: Mutex::new(Pending {
                waiting: HashMap::new(),
                closed: None,
            }),
            next_req: AtomicU64::new(0),
            address,
            timeout: opts.timeout,
            data: Mutex::new(HashMap::new()),
            key: info.key.clone(),
            limits: opts.limits,
            local: opts.local,
        });
        let for_reader = inner.clone();
        let reader = std::thread::Builder::new()
            .name("cluster-client".into())
            .spawn(move || read_replies(&for_reader, reader))
            .map_err(|e| ClusterError::io("client reader thread", e))?;
        Ok(Client {
            inner,
            reader: Some(reader),
        })
    }

    /// The live engine ids, ascending.
    pub fn ids(&self) -> Result<Vec<u64>> {
        let (req, rx) = self.inner.expect_reply()?;
        self.inner.sender.send(&Envelope::Ids { req }, &[], None)?;
        match self.inner.control_reply(&rx)? {
            Reply::Ids(ids, data, local) => {
                let mut known = self.inner.data.lock().unwrap_or_else(|p| p.into_inner());
                known.clear();
                for ((&id, a), l) in ids.iter().zip(data).zip(local) {
                    known.insert(id, (a, l));
                }
                Ok(ids)
            }
            other => Err(self.inner.unexpected(other)),
        }
    }

    /// How many engines are alive.
    pub fn len(&self) -> Result<usize> {
        Ok(self.ids()?.len())
    }

    /// Whether no engine is alive.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// A view of the engines `targets` picks (resolved now, against the
    /// live ids).
    pub fn direct_view(&self, targets: &Targets) -> Result<DirectView<'_>> {
        let ids = targets.resolve(&self.ids()?)?;
        Ok(DirectView::new(
            self,
            ids,
            matches!(targets, Targets::One(_)),
        ))
    }

    /// A view that gives each task to whichever engine is free.
    pub fn load_balanced_view(&self) -> LoadBalancedView<'_> {
        LoadBalancedView::new(self)
    }

    /// Stops every engine and the controller.
    pub fn shutdown(&self) -> Result<()> {
        let (req, rx) = self.inner.expect_reply()?;
        self.inner
            .sender
            .send(&Envelope::Shutdown { req }, &[], None)?;
        let wait = self.inner.timeout + crate::controller::SHUTDOWN_WAIT;
        match rx.recv_timeout(wait) {
            Ok(Reply::ShutdownDone) => Ok(()),
            // The controller may close the connection as it exits.
            Ok(Reply::Failed { .. }) => Ok(()),
            Ok(other) => Err(self.inner.unexpected(other)),
            Err(_) => Err(ClusterError::ControllerGone {
                address: self.inner.address.clone(),
                why: format!("no answer to the shutdown within {wait:?}"),
            }),
        }
    }

    /// A data connection to engine `id`, if it announced a data port that
    /// answers (otherwise its data goes through the controller).
    pub(crate) fn data_conn(&self, id: u64) -> Option<DataConn> {
        let address = self
            .inner
            .data
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)?
            .0
            .clone()?;
        DataConn::open(
            &address,
            &self.inner.key,
            self.inner.limits,
            self.inner.timeout,
        )
        .ok()
    }

    /// A local connection to engine `id`, if it announced a local port
    /// that this host has (the engine is on this host) and it answers.
    pub(crate) fn local_conn(&self, id: u64) -> Option<LocalConn> {
        if !self.inner.local {
            return None;
        }
        let name = self
            .inner
            .data
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)?
            .1
            .clone()?;
        LocalConn::open(
            &name,
            &self.inner.key,
            self.inner.limits,
            self.inner.timeout,
        )
        .ok()
    }

    /// The largest frames and shared arrays this client accepts.
    pub(crate) fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Sends tasks, one request each; the result waits for all of them.
    pub(crate) fn submit(&self, tasks: Vec<(Route, Task)>, single: bool) -> Result<AsyncResult> {
        let encoded = tasks
            .into_iter()
            .map(|(route, task)| (route, wire::encode(&task)))
            .collect();
        self.submit_encoded(encoded, single)
    }

    /// [`submit`](Client::submit) of tasks already encoded.
    pub(crate) fn submit_encoded(
        &self,
        tasks: Vec<(Route, Vec<u8>)>,
        single: bool,
    ) -> Result<AsyncResult> {
        let mut receivers = Vec::with_capacity(tasks.len());
        let mut frames = Vec::with_capacity(tasks.len());
        for (route, body) in tasks {
            let (req, rx) = self.inner.expect_reply()?;
            receivers.push(rx);
            frames.push((Envelope::Submit { req, route }, body));
        }
        self.inner
            .sender
            .send_many(frames.iter().map(|(e, b)| (e.clone(), b.as_slice())))?;
        Ok(AsyncResult::new(receivers, single))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.inner.sender.close();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

impl Inner {
    /// A new request number and the channel its answer will come on.
    fn expect_reply(&self) -> Result<(u64, Receiver<Reply>)> {
        let req = self.next_req.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = sync_channel(1);
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(why) = &p.closed {
            return Err(ClusterError::ControllerGone {
                address: self.address.clone(),
                why: why.clone(),
            });
        }
        p.waiting.insert(req, tx);
        Ok((req, rx))
    }

    fn control_reply(&self, rx: &Receiver<Reply>) -> Result<Reply> {
        match rx.recv_timeout(self.timeout) {
            Ok(Reply::Failed { error, .. }) => Err(ClusterError::ControllerGone {
                address: self.address.clone(),
                why: error,
            }),
            Ok(r) => Ok(r),
            Err(_) => Err(ClusterError::ControllerGone {
                address: self.address.clone(),
                why: format!("no answer within {:?}", self.timeout),
            }),
        }
    }

    fn unexpected(&self, r: Reply) -> ClusterError {
        ClusterError::protocol(
            format!("controller at {}", self.address),
            format!("unexpected answer {r:?}"),
        )
    }
}

/// The reader thread: answers to the waiting results, then failure for all
/// when the connection ends.
fn read_replies(inner: &Inner, mut reader: FrameReader<TcpStream>) {
    let why = loop {
        let frame = match reader.read() {
            Ok(Some(f)) => f,
            Ok(None) => break "it closed the connection".to_string(),
            Err(e) => break e.to_string(),
        };
        let env: Envelope = match wire::decode(&frame.header, reader.peer()) {
            Ok(e) => e,
            Err(e) => break e.to_string(),
        };
        let (req, reply) = match env {
            Envelope::IdsReply {
                req,
                ids,
                data,
                local,
            } => (req, Reply::Ids(ids, data, local)),
            Envelope::ShutdownDone { req } => (req, Reply::ShutdownDone),
            Envelope::Failed { req, engine, error } => (req, Reply::Failed { engine, error }),
            Envelope::Result {
                req,
                engine,
                started,
                finished,
            } => {
                let outcome = frame
                    .check_body(reader.peer())
                    .and_then(|()| wire::decode_outcome(&frame.body, reader.peer()));
                let outcome = match outcome {
                    Ok(o) => o,
                    Err(e) => break e.to_string(),
                };
                (
                    req,
                    Reply::Done {
                        engine,
                        started,
                        finished,
                        outcome,
                    },
                )
            }
            other => break format!("unexpected message {other:?}"),
        };
        let tx = inner
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&req);
        if let Some(tx) = tx {
            let _ = tx.send(reply);
        }
    };
    let waiting = {
        let mut p = inner.pending.lock().unwrap_or_else(|p| p.into_inner());
        p.closed = Some(why.clone());
        std::mem::take(&mut p.waiting)
    };
    for (_, tx) in waiting {
        let _ = tx.send(Reply::Failed {
            engine: None,
            error: format!("the controller at {} is gone: {why}", inner.address),
        });
    }
}
