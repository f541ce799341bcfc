//! Views: a [`DirectView`] sends every call to each of its engines (or
//! splits a `map`, a `scatter` among them), a [`LoadBalancedView`] sends
//! each call to whichever engine is free.

use comm::block_range;

use crate::async_result::{AsyncResult, TaskError};
use crate::client::Client;
use crate::data::{self, DataConn};
use crate::error::{ClusterError, Result};
use crate::frame::Limits;
use crate::local::{self, Incoming, LocalConn, LocalPart};
use crate::plain::Plain;
use crate::value::{NdArray, Value};
use crate::wire::{self, Route, Task};

/// Load-balanced tasks are tried on this many more engines if theirs dies.
pub const DEFAULT_RETRIES: u32 = 1;

/// The calls of a `map`: the i-th call takes the i-th element of every list.
fn calls(lists: &[Value]) -> Result<Vec<Vec<Value>>> {
    let cols: Vec<Vec<Value>> = lists.iter().map(Value::elements).collect::<Result<_>>()?;
    let n = cols.first().map_or(0, Vec::len);
    if cols.iter().any(|c| c.len() != n) {
        let lens: Vec<usize> = cols.iter().map(Vec::len).collect();
        return Err(ClusterError::Value(format!(
            "map: the lists have different lengths {lens:?}"
        )));
    }
    Ok((0..n)
        .map(|i| cols.iter().map(|c| c[i].clone()).collect())
        .collect())
}

/// A view of some engines, each of which runs every call.
pub struct DirectView<'c> {
    client: &'c Client,
    targets: Vec<u64>,
    single: bool,
}

impl<'c> DirectView<'c> {
    pub(crate) fn new(client: &'c Client, targets: Vec<u64>, single: bool) -> Self {
        DirectView {
            client,
            targets,
            single,
        }
    }

    /// The engine ids of the view.
    pub fn targets(&self) -> &[u64] {
        &self.targets
    }

    fn each(&self, task: Task) -> Result<AsyncResult> {
        let tasks = self
            .targets
            .iter()
            .map(|&e| (Route::Engine(e), task.clone()))
            .collect();
        self.client.submit(tasks, self.single)
    }

    /// Calls `func(args)` on every engine of the view.
    pub fn apply(&self, func: &str, args: Vec<Value>) -> Result<AsyncResult> {
        self.each(Task::Apply {
            func: func.into(),
            args,
        })
    }

    /// Calls `func` on the elements of `lists`, the calls split in
    /// contiguous blocks among the engines; the result is the flat list.
    pub fn map(&self, func: &str, lists: &[Value]) -> Result<Vec<Value>> {
        let calls = calls(lists)?;
        let n = self.targets.len();
        let tasks = (0..n)
            .map(|i| {
                let part = calls[block_range(calls.len(), n, i)].to_vec();
                (
                    Route::Engine(self.targets[i]),
                    Task::Map {
                        func: func.into(),
                        calls: part,
                    },
                )
            })
            .collect();
        let mut out = Vec::with_capacity(calls.len());
        for v in self.client.submit(tasks, false)?.results(None)? {
            match v.value.map_err(|e| ClusterError::Remote {
                engine: e.engine.unwrap_or(0),
                message: e.message,
            })? {
                Value::List(vs) => out.extend(vs),
                other => out.push(other),
            }
        }
        Ok(out)
    }

    /// Runs statements on every engine's namespace.
    pub fn execute(&self, code: &str) -> Result<AsyncResult> {
        self.each(Task::Execute { code: code.into() })
    }

    /// Stores `value` as `name` on every engine.
    pub fn push(&self, name: &str, value: Value) -> Result<AsyncResult> {
        self.each(Task::Push {
            values: vec![(name.into(), value)],
        })
    }

    /// Reads `name` from every engine.
    pub fn pull(&self, name: &str) -> Result<AsyncResult> {
        self.each(Task::Pull { name: name.into() })
    }

    /// Splits `value` (a vector, an array along its first axis, or a list)
    /// into contiguous blocks, one per engine in order, the first ones one
    /// element longer when it does not divide, and stores each as `name`.
    /// Each block goes straight to its engine's data port, all engines at
    /// once (through the controller for an engine without one), while
    /// the controller orders the store among the engine's tasks; the call
    /// returns once the blocks are sent.
    pub fn scatter(&self, name: &str, value: &Value) -> Result<AsyncResult> {
        let n = self.targets.len();
        let rows = match value {
            Value::Ints(a) => a.shape.first().copied(),
            Value::Floats(a) => a.shape.first().copied(),
            _ => None,
        };
        let parts = match rows {
            Some(_) => None,
            None => Some(split(value, n)?),
        };
        // Arrays: each block encoded where it lies; other values: split.
        let body = |i: usize| -> Vec<u8> {
            match (rows, &parts) {
                (Some(len), _) => wire::encode_push_rows(name, value, block_range(len, n, i))
                    .expect("an array with a first axis"),
                (None, Some(parts)) => wire::encode(&Task::Push {
                    values: vec![(name.into(), parts[i].clone())],
                }),
                (None, None) => unreachable!("parts are split when there are no rows"),
            }
        };
        let mut tasks = Vec::with_capacity(n);
        let mut direct = Vec::new();
        for (i, &e) in self.targets.iter().enumerate() {
            match self.channel(e) {
                Some(c) => {
                    let token = data::token()?;
                    tasks.push((Route::Engine(e), wire::encode(&Task::Receive { token })));
                    direct.push((i, token, c));
                }
                None => tasks.push((Route::Engine(e), body(i))),
            }
        }
        let result = self.client.submit_encoded(tasks, false)?;
        let body = &body;
        std::thread::scope(|s| {
            for (i, token, c) in direct {
                // A failed send fails the engine's `Receive`, which the
                // result reports.
                s.spawn(move || match (c, rows) {
                    // An array's block is spliced through a pipe...
                    (Channel::Local(c), _) => {
                        let block = rows.map(|len| block_range(len, n, i));
                        c.put(token, name, value, block, || body(i))
                    }
                    // ... or sent from where it lies.
                    (Channel::Tcp(c), Some(len)) => {
                        let (head, elements) =
                            wire::encode_push_rows_parts(name, value, block_range(len, n, i))
                                .expect("an array with a first axis");
                        c.put_parts(token, &[&head, &elements])
                    }
                    (Channel::Tcp(c), None) => c.put(token, &body(i)),
                });
            }
        });
        Ok(result)
    }

    /// How bulk data reaches engine `id` without the controller: its local
    /// port if it is on this host, else its data port, else none.
    fn channel(&self, id: u64) -> Option<Channel> {
        self.client
            .local_conn(id)
            .map(Channel::Local)
            .or_else(|| self.client.data_conn(id).map(Channel::Tcp))
    }

    /// Pulls `name` from every engine and joins the parts in engine order
    /// (what [`scatter`](DirectView::scatter) split).
    pub fn gather(&self, name: &str) -> Result<Value> {
        self.gather_timeout(name, None)
    }

    /// [`gather`](DirectView::gather) within `timeout` (`None`: no limit).
    /// Each part comes straight from its engine's data port, all engines
    /// at once (through the controller for an engine without one).
    pub fn gather_timeout(
        &self,
        name: &str,
        timeout: Option<std::time::Duration>,
    ) -> Result<Value> {
        let mut tasks = Vec::with_capacity(self.targets.len());
        let mut direct = Vec::new();
        for (i, &e) in self.targets.iter().enumerate() {
            match self.channel(e) {
                Some(c) => {
                    let token = data::token()?;
                    let name = name.to_string();
                    tasks.push((Route::Engine(e), Task::Send { name, token }));
                    direct.push((i, token, c));
                }
                None => tasks.push((Route::Engine(e), Task::Pull { name: name.into() })),
            }
        }
        let result = self.client.submit(tasks, false)?;
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let left = || deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let timed_out = |e: ClusterError| match e {
            ClusterError::Io { source, .. }
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                ClusterError::Timeout(timeout.unwrap_or_default().as_secs_f64())
            }
            other => other,
        };
        let mut fetched: Vec<Option<Result<Fetched>>> =
            (0..self.targets.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = direct
                .into_iter()
                .map(|(i, token, c)| {
                    let wait = left().map(|w| w.max(std::time::Duration::from_millis(1)));
                    let fetch = move || match c {
                        Channel::Local(c) => c.get(token, wait).map(Fetched::Local),
                        Channel::Tcp(c) => c.get(token, wait).map(Fetched::Value),
                    };
                    (i, s.spawn(fetch))
                })
                .collect();
            for (i, h) in handles {
                fetched[i] = Some(h.join().unwrap_or_else(|_| {
                    Err(ClusterError::Value("a gather thread panicked".into()))
                }));
            }
        });
        // Timed out fetching: the tasks' results would not come in time
        // either.
        let mut checked = Vec::with_capacity(fetched.len());
        for got in fetched {
            let got = got.map(|g| g.map_err(timed_out));
            if let Some(Err(ClusterError::Timeout(t))) = got {
                return Err(ClusterError::Timeout(t));
            }
            checked.push(got);
        }
        let limits = self.client.limits();
        let part = |got: Result<Fetched>, e: u64| -> Result<Part> {
            let remote = |message| ClusterError::Remote { engine: e, message };
            Ok(match got? {
                Fetched::Value(o) | Fetched::Local(LocalPart::Value(o)) => {
                    Part::Value(o.map_err(remote)?)
                }
                Fetched::Local(LocalPart::Shared(i)) => Part::Shared(i),
            })
        };
        // An engine's `Send` of an array ends once the array has been read
        // from its pipe, so the pipes are read before the tasks' results
        // are awaited: when every part came directly, straight into the
        // joined array; otherwise each into its own.
        if checked.iter().all(Option::is_some) {
            let parts = checked
                .into_iter()
                .zip(&self.targets)
                .map(|(got, &e)| part(got.expect("every part came directly"), e))
                .collect::<Result<Vec<_>>>()?;
            let joined = join_parts(parts, limits);
            for r in result.results(left())? {
                r.value.map_err(TaskError::into_error)?;
            }
            return joined;
        }
        let mut read = Vec::with_capacity(checked.len());
        for (got, &e) in checked.into_iter().zip(&self.targets) {
            read.push(match got.map(|g| part(g, e)) {
                Some(Ok(Part::Shared(i))) => Some(Ok(Part::Value(i.into_value(limits)?))),
                other => other,
            });
        }
        let mut parts = Vec::with_capacity(self.targets.len());
        for (r, got) in result.results(left())?.into_iter().zip(read) {
            let v = r.value.map_err(TaskError::into_error)?;
            parts.push(match got {
                None => Part::Value(v),
                Some(p) => p?,
            });
        }
        join_parts(parts, limits)
    }
}

/// How bulk data reaches an engine without the controller.
enum Channel {
    /// Pipes passed over its local port.
    Local(LocalConn),
    /// Its data port.
    Tcp(DataConn),
}

/// What a direct fetch of a gather brought.
enum Fetched {
    /// A value, from a data port.
    Value(crate::wire::Outcome),
    /// A value or a shared array, from a local port.
    Local(LocalPart),
}

/// One engine's part of a gather.
enum Part {
    /// A value.
    Value(Value),
    /// An array still in its pipe.
    Shared(Incoming),
}

/// Joins the parts of a gather in order: arrays of one kind straight into
/// one array of the total size (each shared part read into its place, all
/// at once), anything else as [`join`] does.
fn join_parts(mut parts: Vec<Part>, limits: Limits) -> Result<Value> {
    if !parts.iter().any(|p| matches!(p, Part::Shared(..))) {
        return join(
            parts
                .into_iter()
                .map(|p| match p {
                    Part::Value(v) => v,
                    Part::Shared(..) => unreachable!("no shared parts"),
                })
                .collect(),
        );
    }
    fn floats(v: &Value) -> Option<&NdArray<f64>> {
        match v {
            Value::Floats(a) => Some(a),
            _ => None,
        }
    }
    fn ints(v: &Value) -> Option<&NdArray<i64>> {
        match v {
            Value::Ints(a) => Some(a),
            _ => None,
        }
    }
    if let Some(a) = join_in_place(&mut parts, true, floats) {
        return a.map(Value::Floats);
    }
    if let Some(a) = join_in_place(&mut parts, false, ints) {
        return a.map(Value::Ints);
    }
    let mut values = Vec::with_capacity(parts.len());
    for p in parts {
        values.push(match p {
            Part::Value(v) => v,
            Part::Shared(i) => i.into_value(limits)?,
        });
    }
    join(values)
}

/// [`join_parts`] of parts that are all arrays of `T` (`floats` says
/// which) with the same trailing shape; `None` if they are not.
fn join_in_place<T: Plain + Send + Sync>(
    parts: &mut [Part],
    floats: bool,
    array: fn(&Value) -> Option<&NdArray<T>>,
) -> Option<Result<NdArray<T>>> {
    let shapes: Vec<Vec<usize>> = parts
        .iter()
        .map(|p| match p {
            Part::Value(v) => array(v).map(|a| a.shape.clone()),
            Part::Shared(i) if i.array.floats == floats => Some(i.array.shape.clone()),
            Part::Shared(_) => None,
        })
        .collect::<Option<_>>()?;
    let first = shapes.first()?.clone();
    if shapes.iter().any(|s| s.is_empty() || s[1..] != first[1..]) {
        return None;
    }
    let row: usize = first[1..].iter().product();
    let rows = shapes.iter().try_fold(0usize, |n, s| n.checked_add(s[0]));
    let Some((rows, total)) = rows.and_then(|r| Some((r, r.checked_mul(row)?))) else {
        return Some(Err(ClusterError::Value(
            "the gathered blocks have too many elements".into(),
        )));
    };
    Some((|| {
        let mut data: Vec<T> =
            local::zeroed(total).map_err(|e| ClusterError::Value(format!("gather: {e}")))?;
        std::thread::scope(|sc| {
            let mut rest = &mut data[..];
            let mut reads = Vec::new();
            for (p, s) in parts.iter_mut().zip(&shapes) {
                let (mine, tail) = std::mem::take(&mut rest).split_at_mut(s[0] * row);
                rest = tail;
                match p {
                    Part::Value(v) => {
                        mine.copy_from_slice(&array(v).expect("an array of T").data);
                    }
                    Part::Shared(i) => reads.push(sc.spawn(move || i.read_into(mine))),
                }
            }
            reads.into_iter().try_for_each(|r| {
                r.join()
                    .unwrap_or_else(|_| Err(ClusterError::Value("a gather thread panicked".into())))
            })
        })?;
        let mut shape = first;
        shape[0] = rows;
        Ok(NdArray { shape, data })
    })())
}

/// Splits a value into `n` blocks along its first axis.
pub fn split(value: &Value, n: usize) -> Result<Vec<Value>> {
    fn rows<T: Clone>(a: &NdArray<T>, n: usize) -> Result<Vec<NdArray<T>>> {
        let Some(&len) = a.shape.first() else {
            return Err(ClusterError::Value("cannot scatter a 0-d array".into()));
        };
        let row: usize = a.shape[1..].iter().product();
        Ok((0..n)
            .map(|i| {
                let r = block_range(len, n, i);
                let mut shape = a.shape.clone();
                shape[0] = r.len();
                NdArray {
                    shape,
                    data: a.data[r.start * row..r.end * row].to_vec(),
                }
            })
            .collect())
    }
    Ok(match value {
        Value::Ints(a) => rows(a, n)?.into_iter().map(Value::Ints).collect(),
        Value::Floats(a) => rows(a, n)?.into_iter().map(Value::Floats).collect(),
        Value::List(v) => (0..n)
            .map(|i| Value::List(v[block_range(v.len(), n, i)].to_vec()))
            .collect(),
        other => {
            return Err(ClusterError::Value(format!(
                "cannot scatter a {}: give a vector, an array or a list",
                other.kind()
            )))
        }
    })
}

/// Joins blocks along their first axis ([`split`]'s inverse).
pub fn join(parts: Vec<Value>) -> Result<Value> {
    fn cat<T>(arrays: Vec<NdArray<T>>) -> Result<NdArray<T>> {
        let total: usize = arrays.iter().map(|a| a.data.len()).sum();
        let mut it = arrays.into_iter();
        let Some(mut first) = it.next() else {
            return Err(ClusterError::Value("nothing to gather".into()));
        };
        first.data.reserve_exact(total - first.data.len());
        for a in it {
            if a.shape.len() != first.shape.len() || a.shape[1..] != first.shape[1..] {
                return Err(ClusterError::Value(format!(
                    "cannot join arrays of shapes {:?} and {:?}",
                    first.shape, a.shape
                )));
            }
            first.shape[0] = first.shape[0].checked_add(a.shape[0]).ok_or_else(|| {
                ClusterError::Value("the gathered blocks have too many rows".into())
            })?;
            first.data.extend(a.data);
        }
        Ok(first)
    }
    let all_ints = parts
        .iter()
        .all(|p| matches!(p, Value::Ints(a) if !a.shape.is_empty()));
    let all_floats = parts
        .iter()
        .all(|p| matches!(p, Value::Floats(a) if !a.shape.is_empty()));
    if all_ints && !parts.is_empty() {
        let arrays = parts.into_iter().filter_map(|p| match p {
            Value::Ints(a) => Some(a),
            _ => None,
        });
        return Ok(Value::Ints(cat(arrays.collect())?));
    }
    if all_floats && !parts.is_empty() {
        let arrays = parts.into_iter().filter_map(|p| match p {
            Value::Floats(a) => Some(a),
            _ => None,
        });
        return Ok(Value::Floats(cat(arrays.collect())?));
    }
    let mut out = Vec::new();
    for p in parts {
        match p {
            Value::List(v) => out.extend(v),
            other => out.push(other),
        }
    }
    Ok(Value::List(out))
}

/// A view that gives each call to a free engine.
pub struct LoadBalancedView<'c> {
    client: &'c Client,
    retries: u32,
}

impl<'c> LoadBalancedView<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        LoadBalancedView {
            client,
            retries: DEFAULT_RETRIES,
        }
    }

    /// How many other engines a task may be tried on if its engine dies.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Calls `func(args)` on one free engine.
    pub fn apply(&self, func: &str, args: Vec<Value>) -> Result<AsyncResult> {
        let route = Route::Balanced {
            retries: self.retries,
        };
        self.client.submit(
            vec![(
                route,
                Task::Apply {
                    func: func.into(),
                    args,
                },
            )],
            true,
        )
    }

    /// Calls `func` once per element of `lists`, each call on a free
    /// engine; the result lists the values in call order.
    pub fn map(&self, func: &str, lists: &[Value]) -> Result<AsyncResult> {
        self.apply_each(func, calls(lists)?)
    }

    /// Calls `func` once per argument list, each call on a free engine;
    /// the result lists the values in call order.
    pub fn apply_each(&self, func: &str, calls: Vec<Vec<Value>>) -> Result<AsyncResult> {
        let tasks = calls
            .into_iter()
            .map(|args| {
                (
                    Route::Balanced {
                        retries: self.retries,
                    },
                    Task::Apply {
                        func: func.into(),
                        args,
                    },
                )
            })
            .collect();
        self.client.submit(tasks, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_blocks_are_ipyparallels() {
        let parts = split(&Value::arange(16), 4).unwrap();
        assert_eq!(parts[0], Value::ints(vec![0, 1, 2, 3]));
        assert_eq!(parts[3], Value::ints(vec![12, 13, 14, 15]));
        let parts = split(&Value::arange(10), 4).unwrap();
        let lens: Vec<String> = parts.iter().map(ToString::to_string).collect();
        assert_eq!(lens, ["[0, 1, 2]", "[3, 4, 5]", "[6, 7]", "[8, 9]"]);
        assert_eq!(join(parts).unwrap(), Value::arange(10));
        let m = Value::Floats(NdArray {
            shape: vec![3, 2],
            data: (0..6).map(f64::from).collect(),
        });
        assert_eq!(join(split(&m, 2).unwrap()).unwrap(), m);
        assert!(split(&Value::Int(3), 2).is_err());
    }

    #[test]
    fn engines_of_this_host_are_reached_on_their_local_ports() {
        use crate::engine::{self, EngineOptions};
        use crate::{ClientOptions, Controller, ControllerOptions, Key, Targets};
        let c = Controller::bind(ControllerOptions::new(Key::generate().unwrap())).unwrap();
        let info = c.info().clone();
        let hub = std::thread::spawn(move || c.serve());
        let opts = EngineOptions {
            connection: info.clone(),
            host: "here".into(),
            mpi: None,
            timeout: std::time::Duration::from_secs(5),
            limits: Limits::default(),
            data_port: true,
            on_controller_lost: None,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || engine::run(&opts, |id| tx.send(id).unwrap()));
        rx.recv().unwrap();
        let rc = Client::connect(&info, &ClientOptions::default()).unwrap();
        let all = rc.direct_view(&Targets::All).unwrap();
        assert!(matches!(all.channel(0), Some(Channel::Local(_))));
        let tcp = Client::connect(
            &info,
            &ClientOptions {
                local: false,
                ..ClientOptions::default()
            },
        )
        .unwrap();
        let all = tcp.direct_view(&Targets::All).unwrap();
        assert!(matches!(all.channel(0), Some(Channel::Tcp(_))));
        rc.shutdown().unwrap();
        hub.join().unwrap().unwrap();
    }

    #[test]
    fn map_calls_take_one_element_of_each_list() {
        let c = calls(&[Value::parse("11,10,9,8"), Value::parse("5,6,7,8")]).unwrap();
        assert_eq!(c[0], vec![Value::Int(11), Value::Int(5)]);
        assert_eq!(c.len(), 4);
        assert!(calls(&[Value::parse("1,2"), Value::parse("1,2,3")]).is_err());
    }
}
