//! An engine: connects to the controller, registers, and runs the tasks it
//! is sent, one at a time, on its namespace of named values, until the
//! controller tells it to stop or goes away. A link thread reads the
//! controller's frames meanwhile: it answers the controller's pings even
//! during a long task, and declares the controller lost when it closes the
//! connection or stays silent for the heartbeat timeout it announced.

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::conn::{self, Sender};
use crate::connection::ConnectionInfo;
use crate::data::{DataPort, ANNOUNCE_WAIT};
use crate::error::{ClusterError, Result};
use crate::frame::{Frame, FrameReader, Limits};
use crate::functions::{self, EngineComm, EngineContext};
use crate::statement::{self, Namespace};
use crate::value::Value;
use crate::wire::{self, EngineInfo, Envelope, Heartbeat, Hello, Outcome, Task};

/// How to run an engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The controller to join.
    pub connection: ConnectionInfo,
    /// This host's name (what `hostname()` answers).
    pub host: String,
    /// This process's MPI rank and world size, when under `mpirun`.
    pub mpi: Option<(u32, u32)>,
    /// How long to wait for the controller to accept and answer.
    pub timeout: Duration,
    /// Largest frames accepted.
    pub limits: Limits,
    /// Whether to open a data port (and a local port), so that clients
    /// send and receive bulk data (scatter, gather) directly instead of
    /// through the controller.
    pub data_port: bool,
    /// Called from the engine's link thread the moment the controller is
    /// declared lost (closed, or silent for its heartbeat timeout) while a
    /// task is running: [`run`] itself returns only once the task ends, so
    /// a program that runs the engine as a process passes a function that
    /// ends the process. Between tasks, [`run`] returns at once.
    pub on_controller_lost: Option<fn(&str)>,
}

/// Why an engine stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The controller told it to.
    Asked,
    /// The controller closed the connection or fell silent for its
    /// heartbeat timeout (why).
    ControllerGone(String),
}

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Runs one task on `ns`.
pub fn run_task(task: Task, ns: &mut Namespace, cx: &EngineContext) -> Outcome {
    match task {
        Task::Apply { func, args } => match functions::lookup(&func) {
            Some(f) => f(&args, cx),
            None => Err(format!(
                "no function `{func}` (known: {})",
                functions::FUNCTIONS
                    .iter()
                    .map(|(n, ..)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        Task::Map { func, calls } => {
            let f = functions::lookup(&func).ok_or_else(|| format!("no function `{func}`"))?;
            calls
                .iter()
                .map(|args| f(args, cx))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Value::List)
        }
        Task::Execute { code } => statement::execute(&code, ns, cx),
        Task::Push { values } => {
            for (name, v) in values {
                ns.insert(name, v);
            }
            Ok(Value::None)
        }
        Task::Pull { name } => ns
            .get(&name)
            .cloned()
            .ok_or_else(|| format!("name `{name}` is not defined")),
        Task::Receive { .. } | Task::Send { .. } => {
            Err("this engine has no data port for the transfer".into())
        }
    }
}

/// Joins the controller and serves it; returns when told to stop or when
/// the controller goes. `on_registered` is called with the engine's id.
pub fn run(opts: &EngineOptions, on_registered: impl FnOnce(u64)) -> Result<Stopped> {
    run_with_comm(opts, None, on_registered)
}

/// What the engine's link thread hands to the thread running tasks.
enum Event {
    /// A task to run (its frame, signature checked).
    Run { task: u64, frame: Frame },
    /// The controller said stop.
    Stop,
    /// The controller closed the connection or fell silent.
    Gone(String),
    /// The controller sent something that is not a message.
    Failed(ClusterError),
}

/// Reads the controller's frames: answers pings at once (so that a long
/// task does not make the engine look dead), hands tasks over, and
/// notices a controller that closes or falls silent for the heartbeat
/// timeout, calling `on_lost` at once if a task is running.
fn link(
    mut reader: FrameReader<TcpStream>,
    sender: &Sender,
    heartbeat: Option<Heartbeat>,
    to_tasks: &mpsc::Sender<Event>,
    busy: &AtomicBool,
    on_lost: Option<fn(&str)>,
) {
    let peer = reader.peer().to_string();
    let silence = heartbeat.map(|h| h.timeout);
    let _ = reader.get_ref().set_read_timeout(silence);
    let why = loop {
        let frame = match reader.read() {
            Ok(Some(f)) => f,
            Ok(None) => break "it closed the connection".to_string(),
            Err(ClusterError::Io { source, .. })
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break format!(
                    "no word from it for {:.1} s (the heartbeat timeout)",
                    silence.unwrap_or_default().as_secs_f64()
                )
            }
            Err(e) => break e.to_string(),
        };
        let event = match wire::decode::<Envelope>(&frame.header, &peer) {
            Ok(Envelope::Ping { n }) => {
                if let Err(e) = sender.send(&Envelope::Pong { n }, &[], None) {
                    break e.to_string();
                }
                continue;
            }
            Ok(Envelope::Run { task }) => Event::Run { task, frame },
            Ok(Envelope::Stop) => Event::Stop,
            Ok(other) => Event::Failed(ClusterError::protocol(
                &peer,
                format!("unexpected message {other:?}"),
            )),
            Err(e) => Event::Failed(e),
        };
        let last = !matches!(event, Event::Run { .. });
        if to_tasks.send(event).is_err() || last {
            return;
        }
    };
    if busy.load(Ordering::SeqCst) {
        if let Some(f) = on_lost {
            f(&why);
        }
    }
    let _ = to_tasks.send(Event::Gone(why));
}

/// Closes the controller connection when the engine stops, so that its
/// link thread ends.
struct CloseOnDrop(Arc<Sender>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// [`run`] for an engine that is one rank of an MPI job (or of any
/// communicator): its tasks can call `rank()`, `allreduce(x)` and
/// `barrier()` on `comm`, and it registers with its rank and size.
pub fn run_with_comm(
    opts: &EngineOptions,
    comm: Option<&dyn EngineComm>,
    on_registered: impl FnOnce(u64),
) -> Result<Stopped> {
    let endpoint = opts.connection.endpoint();
    let stream = conn::connect(&endpoint, opts.timeout)?;
    let peer = format!("controller at {endpoint}");
    // The data port listens where the controller reached us; without one,
    // bulk data goes through the controller.
    let data = stream
        .local_addr()
        .ok()
        .filter(|_| opts.data_port)
        .and_then(|a| DataPort::bind(a.ip(), &opts.connection.key, opts.limits, true).ok());
    let (mut reader, sender) = conn::split(stream, &opts.connection.key, opts.limits, &peer)?;
    let cx = EngineContext {
        pid: std::process::id(),
        host: opts.host.clone(),
        mpi: comm
            .map(|c| (c.rank() as u32, c.size() as u32))
            .or(opts.mpi),
        comm,
    };
    sender.send(
        &Envelope::Hello(Hello::Engine(EngineInfo {
            pid: cx.pid,
            host: cx.host.clone(),
            mpi: cx.mpi,
            data: data.as_ref().map(|d| d.address().to_string()),
            local: data
                .as_ref()
                .and_then(|d| d.local_name().map(str::to_string)),
        })),
        &[],
        None,
    )?;
    let gone = |why: &str| ClusterError::ControllerGone {
        address: endpoint.clone(),
        why: why.to_string(),
    };
    let heartbeat = match conn::read_envelope(&mut reader, Some(opts.timeout)) {
        Ok(Some((
            Envelope::Welcome {
                engine: Some(id),
                heartbeat,
            },
            _,
        ))) => {
            on_registered(id);
            heartbeat
        }
        Ok(Some((other, _))) => return Err(gone(&format!("unexpected answer {other:?}"))),
        Ok(None) => return Err(gone("it closed the connection (wrong key?)")),
        Err(ClusterError::Io { source, .. })
            if matches!(
                source.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Err(gone("no answer to the registration"))
        }
        Err(e) => return Err(e),
    };
    let sender = Arc::new(sender);
    let _close = CloseOnDrop(sender.clone());
    let busy = Arc::new(AtomicBool::new(false));
    let (to_tasks, events) = mpsc::channel();
    {
        let (sender, busy, on_lost) = (sender.clone(), busy.clone(), opts.on_controller_lost);
        std::thread::Builder::new()
            .name("cluster-engine-link".into())
            .spawn(move || link(reader, &sender, heartbeat, &to_tasks, &busy, on_lost))
            .map_err(|e| ClusterError::io("engine link thread", e))?;
    }
    let mut ns = Namespace::new();
    loop {
        let (task, frame) = match events.recv() {
            Ok(Event::Run { task, frame }) => (task, frame),
            Ok(Event::Stop) => return Ok(Stopped::Asked),
            Ok(Event::Gone(why)) => return Ok(Stopped::ControllerGone(why)),
            Ok(Event::Failed(e)) => return Err(e),
            Err(_) => return Ok(Stopped::ControllerGone("its link ended".into())),
        };
        busy.store(true, Ordering::SeqCst);
        let started = now();
        let task_body = frame
            .check_body(&peer)
            .and_then(|()| wire::decode_task(&frame.body, &peer))
            .map_err(|e| e.to_string());
        drop(frame);
        let body = match task_body {
            // A pulled value is encoded where it lies, not copied first
            // (an `Ok(&value)` encodes as an `Ok(value)`).
            Ok(Task::Pull { name }) => match ns.get(&name) {
                Some(v) => wire::encode(&Ok::<&Value, &str>(v)),
                None => wire::encode(&Err::<&Value, String>(format!(
                    "name `{name}` is not defined"
                ))),
            },
            Ok(Task::Receive { token }) => {
                let pushed = match &data {
                    Some(d) => d.take_put(token, ANNOUNCE_WAIT),
                    None => Err("this engine has no data port".into()),
                };
                let outcome = match pushed {
                    Ok(t @ Task::Push { .. }) => run_task(t, &mut ns, &cx),
                    Ok(_) => Err("a data connection brought something else than a push".into()),
                    Err(e) => Err(e),
                };
                wire::encode(&outcome)
            }
            Ok(Task::Send { name, token }) => wire::encode(&match &data {
                Some(d) => d.send_value(token, ns.get(&name), &name, ANNOUNCE_WAIT),
                None => Err("this engine has no data port".into()),
            }),
            other => wire::encode(&other.and_then(|t| run_task(t, &mut ns, &cx))),
        };
        let finished = now();
        busy.store(false, Ordering::SeqCst);
        let sent = sender.send(
            &Envelope::Done {
                task,
                started,
                finished,
            },
            &body,
            None,
        );
        if let Err(e) = sent {
            return Ok(Stopped::ControllerGone(e.to_string()));
        }
    }
}
