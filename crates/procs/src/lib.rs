//! Processes for Rust programs, like Python's `multiprocessing`: run a
//! function in a child process ([`Process`]), share plain data
//! ([`Value`], [`Array`]) and locks ([`Lock`], [`RLock`]) between
//! processes, send typed messages ([`Queue`], [`Pipe`]) and spread work over
//! a pool of worker processes ([`Pool`]).
//!
//! **Children are this program.** A function a child runs is a [`Func`],
//! a named `fn`. The program registers its functions in a [`Registry`] and,
//! first thing in `main`, hands its arguments to [`child::run_if_child`]:
//! a spawned child is the program started again with a hidden argument, and
//! runs the function its parent names. With [`StartMethod::Fork`] the child
//! is a copy of the parent instead, allowed only while the parent has a
//! single thread. Children die with their parent: the kernel kills them
//! when the thread that started them ends (`PR_SET_PDEATHSIG`).
//!
//! **Shared objects travel as descriptors.** A [`Value`], [`Array`],
//! [`Lock`], [`Queue`] or [`Pipe`] inside the arguments of a spawned child
//! (or a message) is sent as its file descriptor (`SCM_RIGHTS`): the child
//! maps the same memory, nothing is copied.
//!
//! The library reads no environment and no `/proc`: the program says where
//! its executable is and how to count its threads ([`Context`]).
//!
//! ```
//! // Shared memory and locks work between threads of one process too.
//! let v = procs::Value::new(0u64)?;
//! let lock = procs::Lock::new()?;
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| {
//!             for _ in 0..100 {
//!                 let _held = lock.acquire().unwrap();
//!                 v.set(v.get() + 1);
//!             }
//!         });
//!     }
//! });
//! assert_eq!(v.get(), 400);
//! # Ok::<(), procs::Error>(())
//! ```
#![deny(missing_docs)]

mod block;
pub mod channel;
pub mod child;
mod codec;
mod context;
mod error;
mod exit;
mod func;
mod launch;
mod lock;
mod mutex;
mod pipe;
mod pool;
mod process;
mod protocol;
mod queue;
mod shm;
mod value;
mod wire;

pub use context::{Context, StartMethod, ThreadCounter};
pub use error::{Error, Result};
pub use exit::Exit;
pub use func::{Func, Registry};
pub use lock::{Lock, LockGuard, RLock, RLockGuard};
pub use pipe::Pipe;
pub use pool::{AsyncResult, IMap, IMapUnordered, Pool, PoolOptions, MAX_WORKERS};
pub use process::Process;
pub use queue::{Queue, MAX_QUEUE_ITEMS};
pub use value::{Array, ArrayGuard, Value, ValueGuard};
