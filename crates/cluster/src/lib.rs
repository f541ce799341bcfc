//! IPython Parallel for hpcrs: a controller, engines, and clients that
//! drive the engines through direct and load-balanced views.
//!
//! A [`Controller`] (ipyparallel's hub and schedulers) listens on TCP,
//! loopback unless told otherwise, and writes a connection file
//! ([`ConnectionInfo`]: address, port, key). Engines ([`engine::run`]) and
//! [`Client`]s connect to it; every frame on every connection is signed
//! with HMAC-SHA256 under the key ([`frame`]), so a peer without the key
//! is refused. Bulk data (`scatter`, `gather`) goes straight between a
//! client and each engine's data port ([`data`]), the controller only
//! ordering it among the engine's tasks. Engines run registered
//! [`functions`] by name and [`statement`]s of the `expr` language on a
//! namespace of named [`Value`]s that stays on the engine between calls.
//!
//! ```
//! use cluster::{Client, ClientOptions, Controller, ControllerOptions, Key, Targets, Value};
//! use cluster::engine::{self, EngineOptions};
//! use std::time::Duration;
//!
//! let controller = Controller::bind(ControllerOptions::new(Key::generate()?))?;
//! let info = controller.info().clone();
//! let hub = std::thread::spawn(move || controller.serve());
//! let opts = EngineOptions { connection: info.clone(), host: "here".into(), mpi: None,
//!                            timeout: Duration::from_secs(5), limits: Default::default(),
//!                            data_port: true, on_controller_lost: None };
//! let (tx, rx) = std::sync::mpsc::channel();
//! for _ in 0..2 {
//!     let (opts, tx) = (opts.clone(), tx.clone());
//!     std::thread::spawn(move || engine::run(&opts, |id| tx.send(id).unwrap()));
//! }
//! rx.recv()?; rx.recv()?;
//!
//! let client = Client::connect(&info, &ClientOptions::default())?;
//! assert_eq!(client.ids()?, vec![0, 1]);
//! let all = client.direct_view(&Targets::All)?;
//! let r = all.apply("minus", vec![Value::Int(5), Value::Int(6)])?.get()?;
//! assert_eq!(r.to_string(), "[-1, -1]");
//! let lb = client.load_balanced_view();
//! let r = lb.map("minus", &[Value::parse("11,10,9,8"), Value::parse("5,6,7,8")])?.get()?;
//! assert_eq!(r.to_string(), "[6, 4, 2, 0]");
//! all.scatter("a", &Value::arange(16))?.get()?;
//! assert_eq!(all.gather("a")?, Value::arange(16));
//! client.shutdown()?;
//! hub.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod async_result;
pub mod client;
pub mod conn;
pub mod connection;
pub mod controller;
pub mod data;
pub mod engine;
pub mod error;
pub mod frame;
pub mod functions;
pub mod key;
pub mod local;
pub mod plain;
mod scheduler;
pub mod statement;
pub mod targets;
pub mod value;
mod value_de;
pub mod view;
pub mod wire;

pub use async_result::{AsyncResult, Metadata, TaskResult};
pub use client::{Client, ClientOptions};
pub use connection::{ConnectionInfo, ProfileDir};
pub use controller::{Controller, ControllerOptions};
pub use error::{ClusterError, Result};
pub use key::Key;
pub use targets::Targets;
pub use value::{NdArray, Value};
pub use view::{DirectView, LoadBalancedView};
