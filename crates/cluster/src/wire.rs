//! What frames carry: the envelope (a frame's header, which the controller
//! reads to route it) and the task and result bodies (which only engines
//! and clients decode), encoded with bincode.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{ClusterError, Result};
use crate::plain::ArrayRef;
use crate::value::Value;

/// Who opens a connection to the controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Hello {
    /// A client, to submit tasks.
    Client,
    /// An engine, to run them.
    Engine(EngineInfo),
}

/// What an engine says about itself when it registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// Its process id.
    pub pid: u32,
    /// Its host's name.
    pub host: String,
    /// Its MPI rank and world size, when started by `mpirun`.
    pub mpi: Option<(u32, u32)>,
    /// Where it accepts data connections from clients (`host:port`), if
    /// it does: bulk data (scatter, gather) then skips the controller.
    pub data: Option<String>,
    /// The name of its local port (an abstract Unix socket), where clients
    /// on its host splice arrays through passed pipes instead of copying
    /// them through a socket ([`crate::local`]).
    pub local: Option<String>,
}

/// How often the controller pings each engine, and how long a silent
/// peer lives: an engine the controller has not heard from (a pong, a
/// result) within `timeout` is declared dead, and an engine that has not
/// heard from the controller within `timeout` gives it up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Between two pings.
    pub period: std::time::Duration,
    /// Silence after which a peer is dead.
    pub timeout: std::time::Duration,
}

impl Default for Heartbeat {
    /// A ping every 3 s (ipyparallel's period), dead after 10 s of silence.
    fn default() -> Self {
        Heartbeat {
            period: std::time::Duration::from_secs(3),
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// An array whose elements travel through a pipe whose read end is
/// passed beside the frame that describes it ([`crate::local`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedArray {
    /// `f64` elements (or `i64`).
    pub floats: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
    /// The pipe's device and inode numbers: they bind the passed
    /// descriptor to this signed description.
    pub file: (u64, u64),
}

/// Where a submitted task goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Route {
    /// To this engine.
    Engine(u64),
    /// To whichever engine is free first, retried on another engine up to
    /// `retries` times if its engine dies.
    Balanced {
        /// How many more engines may be tried.
        retries: u32,
    },
}

/// A frame's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Envelope {
    /// First frame of every connection.
    Hello(Hello),
    /// The controller's answer to [`Envelope::Hello`]: the id given to an
    /// engine (none for a client).
    Welcome {
        /// The engine's id.
        engine: Option<u64>,
        /// The controller's heartbeat (for an engine).
        heartbeat: Option<Heartbeat>,
    },
    /// Client to controller: which engines are alive?
    Ids {
        /// The client's request number.
        req: u64,
    },
    /// Controller to client: the live engine ids, ascending.
    IdsReply {
        /// The request answered.
        req: u64,
        /// The ids.
        ids: Vec<u64>,
        /// Each engine's data address ([`EngineInfo::data`]), in the
        /// order of `ids`.
        data: Vec<Option<String>>,
        /// Each engine's local port ([`EngineInfo::local`]), in the order
        /// of `ids`.
        local: Vec<Option<String>>,
    },
    /// Client to controller: run the body (a [`Task`]) as routed.
    Submit {
        /// The client's request number (one per task).
        req: u64,
        /// Where it goes.
        route: Route,
    },
    /// Controller to engine: run the body (a [`Task`]).
    Run {
        /// The controller's task number.
        task: u64,
    },
    /// Engine to controller: the body is the task's [`Outcome`].
    Done {
        /// The task it ran.
        task: u64,
        /// When it started, in seconds since the Unix epoch.
        started: f64,
        /// When it ended.
        finished: f64,
    },
    /// Controller to client: the body is the [`Outcome`] of request `req`.
    Result {
        /// The request answered.
        req: u64,
        /// The engine that ran it.
        engine: u64,
        /// When it started, in seconds since the Unix epoch.
        started: f64,
        /// When it ended.
        finished: f64,
    },
    /// Controller to client: request `req` failed outside any task body
    /// (its engine died, no engine is left, a bad route).
    Failed {
        /// The request answered.
        req: u64,
        /// The engine it was on, if any.
        engine: Option<u64>,
        /// Why.
        error: String,
    },
    /// Client to controller: stop every engine, then the controller.
    Shutdown {
        /// The client's request number.
        req: u64,
    },
    /// Controller to client: the engines have stopped and the controller is
    /// about to.
    ShutdownDone {
        /// The request answered.
        req: u64,
    },
    /// Controller to engine: exit.
    Stop,
    /// Engine to client, first frame of a data connection: the nonce the
    /// client's request must carry (so that a recorded data connection
    /// cannot be replayed).
    DataHello {
        /// Fresh random bytes.
        nonce: [u8; 16],
    },
    /// Client to engine on a data connection: the body is the encoded
    /// [`Task::Push`] that the task [`Task::Receive`] with this token
    /// applies.
    DataPut {
        /// Names the transfer (chosen at random by the client).
        token: u64,
        /// The engine's [`Envelope::DataHello`] nonce.
        nonce: [u8; 16],
    },
    /// Client to engine on a data connection: send here the value that the
    /// task [`Task::Send`] with this token reads.
    DataGet {
        /// Names the transfer.
        token: u64,
        /// The engine's nonce.
        nonce: [u8; 16],
    },
    /// Engine to client on a data connection: the body is the encoded
    /// [`Outcome`] of the [`Task::Send`] with this token.
    DataValue {
        /// The transfer.
        token: u64,
    },
    /// Controller to engine: are you there? (answered by [`Envelope::Pong`]).
    Ping {
        /// Counts the pings.
        n: u64,
    },
    /// Engine to controller: the answer to [`Envelope::Ping`] `n`.
    Pong {
        /// The ping answered.
        n: u64,
    },
    /// Client to engine on a local connection: store `name` for the task
    /// [`Task::Receive`] with this token. With `array`, its elements come
    /// through the pipe passed right after this frame; without, the body
    /// is the encoded [`Task::Push`].
    LocalPut {
        /// The transfer.
        token: u64,
        /// The engine's [`Envelope::DataHello`] nonce.
        nonce: [u8; 16],
        /// The name stored.
        name: String,
        /// The array whose elements follow through a passed pipe.
        array: Option<SharedArray>,
    },
    /// Client to engine on a local connection: send here the value that the
    /// task [`Task::Send`] with this token reads.
    LocalGet {
        /// The transfer.
        token: u64,
        /// The engine's nonce.
        nonce: [u8; 16],
    },
    /// On a local connection, the receiver of an array to its sender: all
    /// of the array's bytes have been read (the sender may let them
    /// change).
    LocalReceived {
        /// The transfer.
        token: u64,
    },
    /// Engine to client on a local connection: the value of the
    /// [`Task::Send`] with this token. With `array`, its elements come
    /// through the pipe passed right after this frame; without, the body
    /// is the encoded [`Outcome`].
    LocalValue {
        /// The transfer.
        token: u64,
        /// The array whose elements follow through a passed pipe.
        array: Option<SharedArray>,
    },
}

/// What an engine runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Task {
    /// Call a registered function.
    Apply {
        /// Its name.
        func: String,
        /// Its arguments.
        args: Vec<Value>,
    },
    /// Call a registered function once per argument list, in order; the
    /// result is the list of results.
    Map {
        /// Its name.
        func: String,
        /// One argument list per call.
        calls: Vec<Vec<Value>>,
    },
    /// Run statements on the namespace; the result is the value of the
    /// last statement (`None` for an assignment).
    Execute {
        /// The statements.
        code: String,
    },
    /// Store values in the namespace.
    Push {
        /// Names and values.
        values: Vec<(String, Value)>,
    },
    /// Read one value from the namespace.
    Pull {
        /// Its name.
        name: String,
    },
    /// Apply the push that arrives (or arrived) on a data connection as
    /// [`Envelope::DataPut`] with this token: the controller orders the
    /// push among the engine's tasks, the data skips the controller.
    Receive {
        /// The transfer.
        token: u64,
    },
    /// Send the value `name` on the data connection that asks for it with
    /// [`Envelope::DataGet`] and this token (the task's own result is
    /// `None`).
    Send {
        /// Its name.
        name: String,
        /// The transfer.
        token: u64,
    },
}

/// How a task ended: a value, or an error message from the engine.
pub type Outcome = std::result::Result<Value, String>;

/// [`Task`]'s encoding for a push of one borrowed array block: the
/// variants before `Push` only hold its place, as do `Value`'s before the
/// arrays.
#[derive(Serialize)]
enum TaskRef<'a> {
    #[allow(dead_code)]
    Apply(()),
    #[allow(dead_code)]
    Map(()),
    #[allow(dead_code)]
    Execute(()),
    Push {
        values: Vec<(&'a str, ValueRef<'a>)>,
    },
}

#[derive(Serialize)]
enum ValueRef<'a> {
    #[allow(dead_code)]
    None,
    #[allow(dead_code)]
    Bool(()),
    #[allow(dead_code)]
    Int(()),
    #[allow(dead_code)]
    Float(()),
    #[allow(dead_code)]
    Str(()),
    Ints(ArrayRef<'a, i64>),
    Floats(ArrayRef<'a, f64>),
}

/// The encoded [`Task::Push`] of `name` = rows `rows` of the array `value`
/// (`None` if `value` is not an array of at least one axis), encoded from
/// the array in place.
pub fn encode_push_rows(
    name: &str,
    value: &Value,
    rows: std::ops::Range<usize>,
) -> Option<Vec<u8>> {
    fn block<'a, T>(
        a: &'a crate::value::NdArray<T>,
        rows: std::ops::Range<usize>,
    ) -> Option<ArrayRef<'a, T>> {
        let row: usize = a.shape.get(1..)?.iter().product();
        let mut shape = a.shape.clone();
        shape[0] = rows.len();
        Some(ArrayRef {
            shape,
            data: a.data.get(rows.start * row..rows.end * row)?,
        })
    }
    let v = match value {
        Value::Ints(a) if !a.shape.is_empty() => ValueRef::Ints(block(a, rows)?),
        Value::Floats(a) if !a.shape.is_empty() => ValueRef::Floats(block(a, rows)?),
        _ => return None,
    };
    Some(encode(&TaskRef::Push {
        values: vec![(name, v)],
    }))
}

/// [`encode_push_rows`] in two parts: the encoding up to the elements,
/// and the elements' bytes where they lie (the message is the two one
/// after the other).
pub fn encode_push_rows_parts<'a>(
    name: &str,
    value: &'a Value,
    rows: std::ops::Range<usize>,
) -> Option<(Vec<u8>, Cow<'a, [u8]>)> {
    fn split<T: crate::plain::Plain>(
        a: &crate::value::NdArray<T>,
        rows: std::ops::Range<usize>,
    ) -> Option<(Vec<usize>, &[T])> {
        let row: usize = a.shape.get(1..)?.iter().product();
        let mut shape = a.shape.clone();
        shape[0] = rows.len();
        Some((shape, a.data.get(rows.start * row..rows.end * row)?))
    }
    let (empty, bytes) = match value {
        Value::Ints(a) if !a.shape.is_empty() => {
            let (shape, data) = split(a, rows)?;
            let v = ValueRef::Ints(ArrayRef { shape, data: &[] });
            (v, crate::plain::le_bytes(data))
        }
        Value::Floats(a) if !a.shape.is_empty() => {
            let (shape, data) = split(a, rows)?;
            let v = ValueRef::Floats(ArrayRef { shape, data: &[] });
            (v, crate::plain::le_bytes(data))
        }
        _ => return None,
    };
    let prefix = encode(&TaskRef::Push {
        values: vec![(name, empty)],
    });
    Some((with_block_len(prefix, bytes.len()), bytes))
}

/// The encoded `Ok(value)` of a task's outcome in two parts, as
/// [`encode_push_rows_parts`]: for an array, its elements' bytes where
/// they lie; for other values, the whole encoding and nothing.
pub fn encode_ok_parts(value: &Value) -> (Vec<u8>, Cow<'_, [u8]>) {
    let (empty, bytes) = match value {
        Value::Ints(a) => (
            ValueRef::Ints(ArrayRef {
                shape: a.shape.clone(),
                data: &[],
            }),
            crate::plain::le_bytes(&a.data),
        ),
        Value::Floats(a) => (
            ValueRef::Floats(ArrayRef {
                shape: a.shape.clone(),
                data: &[],
            }),
            crate::plain::le_bytes(&a.data),
        ),
        other => return (encode(&Ok::<&Value, &str>(other)), Cow::Borrowed(&[])),
    };
    let prefix = encode(&Ok::<ValueRef<'_>, &str>(empty));
    (with_block_len(prefix, bytes.len()), bytes)
}

/// An encoding that ends with an empty block of elements, its length
/// (the last 8 bytes) set to `len`: what precedes `len` bytes of elements.
fn with_block_len(mut prefix: Vec<u8>, len: usize) -> Vec<u8> {
    let at = prefix.len() - 8;
    prefix[at..].copy_from_slice(&(len as u64).to_le_bytes());
    prefix
}

fn config() -> impl bincode::config::Config {
    // Lengths inside a decoded message can never claim more than the
    // message itself holds.
    bincode::config::standard().with_fixed_int_encoding()
}

/// Encodes a header or body.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, config()).expect("values encode to a Vec")
}

/// Decodes a header or body from `peer`, refusing trailing bytes and
/// inconsistent values.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], peer: &str) -> Result<T> {
    let (v, used) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| ClusterError::protocol(peer, format!("undecodable message: {e}")))?;
    if used != bytes.len() {
        return Err(ClusterError::protocol(
            peer,
            format!("{} trailing bytes after a message", bytes.len() - used),
        ));
    }
    Ok(v)
}

/// Decodes a task, checking its values.
pub fn decode_task(bytes: &[u8], peer: &str) -> Result<Task> {
    let t: Task = decode(bytes, peer)?;
    let ok = match &t {
        Task::Apply { args, .. } => args.iter().all(Value::is_consistent),
        Task::Map { calls, .. } => calls.iter().flatten().all(Value::is_consistent),
        Task::Push { values } => values.iter().all(|(_, v)| v.is_consistent()),
        _ => true,
    };
    if ok {
        Ok(t)
    } else {
        Err(ClusterError::protocol(
            peer,
            "an array's shape does not match its data",
        ))
    }
}

/// Decodes an outcome, checking its value.
pub fn decode_outcome(bytes: &[u8], peer: &str) -> Result<Outcome> {
    let o: Outcome = decode(bytes, peer)?;
    if let Ok(v) = &o {
        if !v.is_consistent() {
            return Err(ClusterError::protocol(
                peer,
                "an array's shape does not match its data",
            ));
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let e = Envelope::Submit {
            req: 7,
            route: Route::Balanced { retries: 2 },
        };
        assert_eq!(decode::<Envelope>(&encode(&e), "p").unwrap(), e);
        let t = Task::Apply {
            func: "minus".into(),
            args: vec![Value::Int(5), Value::arange(3)],
        };
        assert_eq!(decode_task(&encode(&t), "p").unwrap(), t);
        let mut long = encode(&t);
        long.push(0);
        assert!(decode_task(&long, "p").is_err());
    }

    #[test]
    fn a_pushed_block_encodes_as_the_owned_push() {
        let m = Value::Floats(crate::value::NdArray {
            shape: vec![4, 3],
            data: (0..12).map(f64::from).collect(),
        });
        for (value, rows) in [(Value::arange(10), 3..7), (m, 1..3)] {
            let owned = crate::view::split(&value, 1).unwrap().remove(0);
            let part = match &owned {
                Value::Ints(a) => Value::Ints(crate::value::NdArray {
                    shape: [vec![rows.len()], a.shape[1..].to_vec()].concat(),
                    data: a.data[rows.start * a.shape[1..].iter().product::<usize>()
                        ..rows.end * a.shape[1..].iter().product::<usize>()]
                        .to_vec(),
                }),
                Value::Floats(a) => Value::Floats(crate::value::NdArray {
                    shape: [vec![rows.len()], a.shape[1..].to_vec()].concat(),
                    data: a.data[rows.start * a.shape[1..].iter().product::<usize>()
                        ..rows.end * a.shape[1..].iter().product::<usize>()]
                        .to_vec(),
                }),
                other => panic!("{other:?}"),
            };
            let want = encode(&Task::Push {
                values: vec![("a".into(), part)],
            });
            assert_eq!(encode_push_rows("a", &value, rows).unwrap(), want);
        }
        assert!(encode_push_rows("a", &Value::Int(1), 0..1).is_none());
    }

    #[test]
    fn encodings_in_two_parts_are_the_whole_encodings() {
        let m = Value::Floats(crate::value::NdArray {
            shape: vec![4, 3],
            data: (0..12).map(f64::from).collect(),
        });
        for (value, rows) in [
            (Value::arange(10), 3..7),
            (Value::arange(10), 0..0),
            (m.clone(), 1..3),
        ] {
            let (head, data) = encode_push_rows_parts("abc", &value, rows.clone()).unwrap();
            let whole = encode_push_rows("abc", &value, rows).unwrap();
            assert_eq!([head, data.to_vec()].concat(), whole);
        }
        assert!(encode_push_rows_parts("a", &Value::Int(1), 0..1).is_none());
        for v in [
            m,
            Value::floats(Vec::new()),
            Value::ints(vec![-1, 2]),
            Value::Int(4),
            Value::List(vec![Value::arange(2)]),
        ] {
            let (head, data) = encode_ok_parts(&v);
            let whole = [head, data.to_vec()].concat();
            assert_eq!(whole, encode(&Ok::<&Value, &str>(&v)));
            assert_eq!(decode_outcome(&whole, "p").unwrap(), Ok(v));
        }
    }

    proptest::proptest! {
        #[test]
        fn garbage_bodies_are_errors_not_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = decode::<Envelope>(&data, "p");
            let _ = decode_task(&data, "p");
            let _ = decode_outcome(&data, "p");
        }
    }
}
