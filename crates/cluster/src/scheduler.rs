//! The controller's bookkeeping: the live engines, the tasks in flight and
//! the queue of load-balanced tasks. Every method runs under the
//! controller's lock and returns the frames to send, which the caller
//! sends after releasing it, so that a slow peer never stalls the hub.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use crate::conn::Sender;
use crate::wire::{EngineInfo, Envelope, Route};

/// A frame to send once the lock is released.
pub struct Outgoing {
    /// Where to.
    pub to: Arc<Sender>,
    /// Its header.
    pub env: Envelope,
    /// Its body.
    pub body: Arc<Vec<u8>>,
    /// The body's signed digest, when forwarded.
    pub digest: Option<[u8; 32]>,
}

/// A registered engine.
pub struct EngineSlot {
    /// Its connection.
    pub to: Arc<Sender>,
    /// What it said about itself.
    pub info: EngineInfo,
    /// Tasks sent to it and not yet done, oldest first.
    pub running: Vec<u64>,
    /// When it was last heard from (registration, a result, a pong).
    pub heard: std::time::Instant,
    /// Why it was declared dead, once the heartbeat has.
    pub dead: Option<String>,
}

/// A task the controller has accepted.
pub struct TaskRecord {
    /// The client that submitted it.
    pub client: Arc<Sender>,
    /// The client's connection number.
    pub client_id: u64,
    /// The client's request number.
    pub req: u64,
    /// The task body and its digest (kept for a retry).
    pub body: Arc<Vec<u8>>,
    /// Its digest.
    pub digest: [u8; 32],
    /// Load-balanced: retries left; direct: `None`.
    pub retries: Option<u32>,
    /// The engine running it.
    pub engine: Option<u64>,
    /// Engines that died running it.
    pub died_on: Vec<u64>,
}

/// The hub's state.
pub struct Scheduler {
    /// Live engines by id.
    pub engines: BTreeMap<u64, EngineSlot>,
    next_engine: u64,
    tasks: HashMap<u64, TaskRecord>,
    next_task: u64,
    queue: VecDeque<u64>,
    /// Tasks in flight per engine for load-balanced work (1: only free
    /// engines get a task).
    hwm: usize,
}

impl Scheduler {
    /// An empty hub giving each engine at most `hwm` load-balanced tasks.
    pub fn new(hwm: usize) -> Scheduler {
        Scheduler {
            engines: BTreeMap::new(),
            next_engine: 0,
            tasks: HashMap::new(),
            next_task: 0,
            queue: VecDeque::new(),
            hwm: hwm.max(1),
        }
    }

    /// Registers an engine; its id and the queued tasks it now takes.
    pub fn add_engine(&mut self, to: Arc<Sender>, info: EngineInfo) -> (u64, Vec<Outgoing>) {
        let id = self.next_engine;
        self.next_engine += 1;
        self.engines.insert(
            id,
            EngineSlot {
                to,
                info,
                running: Vec::new(),
                heard: std::time::Instant::now(),
                dead: None,
            },
        );
        (id, self.dispatch())
    }

    /// The live ids, ascending.
    pub fn ids(&self) -> Vec<u64> {
        self.engines.keys().copied().collect()
    }

    /// The live engines' data addresses and local port names, in the
    /// order of [`ids`](Self::ids).
    pub fn data_addresses(&self) -> (Vec<Option<String>>, Vec<Option<String>>) {
        let data = self.engines.values().map(|e| e.info.data.clone());
        let local = self.engines.values().map(|e| e.info.local.clone());
        (data.collect(), local.collect())
    }

    /// Accepts a task from a client.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &mut self,
        client: &Arc<Sender>,
        client_id: u64,
        req: u64,
        route: Route,
        body: Vec<u8>,
        digest: [u8; 32],
    ) -> Vec<Outgoing> {
        let fail = |error: String| {
            vec![Outgoing {
                to: client.clone(),
                env: Envelope::Failed {
                    req,
                    engine: None,
                    error,
                },
                body: Arc::new(Vec::new()),
                digest: None,
            }]
        };
        let id = self.next_task;
        self.next_task += 1;
        let mut rec = TaskRecord {
            client: client.clone(),
            client_id,
            req,
            body: Arc::new(body),
            digest,
            retries: None,
            engine: None,
            died_on: Vec::new(),
        };
        match route {
            Route::Engine(e) => {
                let Some(slot) = self.engines.get_mut(&e) else {
                    return fail(format!("no engine {e} (engines: {:?})", self.ids()));
                };
                slot.running.push(id);
                rec.engine = Some(e);
                let out = Outgoing {
                    to: slot.to.clone(),
                    env: Envelope::Run { task: id },
                    body: rec.body.clone(),
                    digest: Some(digest),
                };
                // A direct task is never retried: its body is not needed again.
                rec.body = Arc::new(Vec::new());
                self.tasks.insert(id, rec);
                vec![out]
            }
            Route::Balanced { retries } => {
                if self.engines.is_empty() {
                    return fail("no engines are registered".into());
                }
                rec.retries = Some(retries);
                self.tasks.insert(id, rec);
                self.queue.push_back(id);
                self.dispatch()
            }
        }
    }

    /// Gives queued tasks to engines with room, least loaded first.
    fn dispatch(&mut self) -> Vec<Outgoing> {
        let mut out = Vec::new();
        while let Some(&task) = self.queue.front() {
            let Some(rec) = self.tasks.get(&task) else {
                self.queue.pop_front();
                continue;
            };
            let free = self
                .engines
                .iter()
                .filter(|(id, e)| e.running.len() < self.hwm && !rec.died_on.contains(id))
                .min_by_key(|(id, e)| (e.running.len(), **id))
                .map(|(id, _)| *id);
            let Some(engine) = free else { break };
            self.queue.pop_front();
            let rec = self.tasks.get_mut(&task).expect("queued task exists");
            rec.engine = Some(engine);
            let slot = self.engines.get_mut(&engine).expect("free engine exists");
            slot.running.push(task);
            out.push(Outgoing {
                to: slot.to.clone(),
                env: Envelope::Run { task },
                body: rec.body.clone(),
                digest: Some(rec.digest),
            });
        }
        out
    }

    /// An engine finished `task`: the result goes to its client, and the
    /// engine takes the next queued task.
    pub fn done(
        &mut self,
        engine: u64,
        task: u64,
        started: f64,
        finished: f64,
        body: Vec<u8>,
        digest: [u8; 32],
    ) -> Vec<Outgoing> {
        let mut out = Vec::new();
        if let Some(slot) = self.engines.get_mut(&engine) {
            slot.running.retain(|&t| t != task);
            slot.heard = std::time::Instant::now();
        }
        if let Some(rec) = self.tasks.remove(&task) {
            out.push(Outgoing {
                to: rec.client,
                env: Envelope::Result {
                    req: rec.req,
                    engine,
                    started,
                    finished,
                },
                body: Arc::new(body),
                digest: Some(digest),
            });
        }
        out.extend(self.dispatch());
        out
    }

    /// An engine's connection ended: it leaves the ids, its load-balanced
    /// tasks go back to the queue while they have retries, and every other
    /// task it held fails naming it.
    pub fn remove_engine(&mut self, engine: u64, why: &str) -> Vec<Outgoing> {
        let mut out = Vec::new();
        let Some(slot) = self.engines.remove(&engine) else {
            return out;
        };
        let who = format!(
            "engine {engine} (pid {} on {}) died while running the task: {why}",
            slot.info.pid, slot.info.host
        );
        let mut requeue = Vec::new();
        for task in slot.running {
            let Some(rec) = self.tasks.get_mut(&task) else {
                continue;
            };
            rec.died_on.push(engine);
            match rec.retries {
                Some(r) if r > 0 => {
                    rec.retries = Some(r - 1);
                    rec.engine = None;
                    requeue.push(task);
                }
                _ => {
                    let rec = self.tasks.remove(&task).expect("task exists");
                    out.push(fail_task(&rec, Some(engine), who.clone()));
                }
            }
        }
        for t in requeue.into_iter().rev() {
            self.queue.push_front(t);
        }
        out.extend(self.dispatch());
        out.extend(self.fail_unrunnable());
        out
    }

    /// Fails queued tasks that no live engine may run (none is left, or
    /// every one has died running them).
    fn fail_unrunnable(&mut self) -> Vec<Outgoing> {
        let mut out = Vec::new();
        let live: Vec<u64> = self.ids();
        let tasks = &mut self.tasks;
        self.queue.retain(|t| {
            let Some(rec) = tasks.get(t) else {
                return false;
            };
            if live.iter().any(|e| !rec.died_on.contains(e)) {
                return true;
            }
            let rec = tasks.remove(t).expect("task exists");
            let why = format!(
                "no engine left to run the task (it died on engines {:?})",
                rec.died_on
            );
            out.push(fail_task(&rec, rec.died_on.last().copied(), why));
            false
        });
        out
    }

    /// A client left: its queued tasks are dropped (results of running ones
    /// are discarded when they come).
    pub fn remove_client(&mut self, client_id: u64) {
        let tasks = &mut self.tasks;
        self.queue.retain(|t| match tasks.get(t) {
            Some(rec) if rec.client_id == client_id => {
                tasks.remove(t);
                false
            }
            _ => true,
        });
    }
}

fn fail_task(rec: &TaskRecord, engine: Option<u64>, error: String) -> Outgoing {
    Outgoing {
        to: rec.client.clone(),
        env: Envelope::Failed {
            req: rec.req,
            engine,
            error,
        },
        body: Arc::new(Vec::new()),
        digest: None,
    }
}
