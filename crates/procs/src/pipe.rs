//! `Pipe<T>`: two connected ends, like `multiprocessing.Pipe()`.

use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::channel::{self, End};
use crate::error::Result;

/// One end of a pipe: what one end sends, the other receives, both ways
/// (duplex, like Python's default). Messages are encoded with serde (at
/// most [`crate::channel::MAX_MESSAGE`] bytes each); the kernel's socket
/// buffer bounds how much may wait unread, after which `send` waits.
/// When the other end is closed (dropped, closed, or its process ended),
/// `recv` and `send` are [`crate::Error::Closed`], never a wait for ever.
///
/// ```
/// let (a, b) = procs::Pipe::<Vec<u32>>::new()?;
/// a.send(&vec![1, 2, 3])?;
/// assert_eq!(b.recv()?, [1, 2, 3]);
/// drop(a);
/// assert!(matches!(b.recv(), Err(procs::Error::Closed(_))));
/// # Ok::<(), procs::Error>(())
/// ```
#[derive(Debug, Serialize, Deserialize)]
pub struct Pipe<T> {
    end: End,
    #[serde(skip)]
    buf: Mutex<Vec<u8>>,
    #[serde(skip)]
    _t: PhantomData<fn(T) -> T>,
}

impl<T: Serialize + DeserializeOwned> Pipe<T> {
    /// Two connected ends.
    pub fn new() -> Result<(Pipe<T>, Pipe<T>)> {
        let (a, b) = channel::packet_pair("a pipe")?;
        Ok((Pipe::from_end(End::new(a)), Pipe::from_end(End::new(b))))
    }

    fn from_end(end: End) -> Pipe<T> {
        Pipe {
            end,
            buf: Mutex::new(Vec::new()),
            _t: PhantomData,
        }
    }

    /// Sends `value` to the other end.
    pub fn send(&self, value: &T) -> Result<()> {
        self.end.with("pipe", |fd| {
            channel::send(fd, value, channel::Wait::new(None), "pipe")
        })
    }

    /// Sends `value`, waiting at most `timeout` for room.
    pub fn send_timeout(&self, value: &T, timeout: Duration) -> Result<()> {
        let wait = channel::Wait::new(Some(timeout));
        self.end
            .with("pipe", |fd| channel::send(fd, value, wait, "pipe"))
    }

    /// Receives the next value from the other end.
    pub fn recv(&self) -> Result<T> {
        self.end.with("pipe", |fd| {
            channel::recv(fd, &self.buf, channel::Wait::new(None), "pipe")
        })
    }

    /// Receives the next value, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T> {
        let wait = channel::Wait::new(Some(timeout));
        self.end
            .with("pipe", |fd| channel::recv(fd, &self.buf, wait, "pipe"))
    }

    /// Closes this end (in this process).
    pub fn close(&self) {
        self.end.close();
    }

    /// Another handle on this end (a duplicate descriptor).
    pub fn try_clone(&self) -> Result<Pipe<T>> {
        let end = self
            .end
            .try_clone()
            .map_err(|e| crate::Error::io("duplicating a pipe end", e))?;
        Ok(Pipe::from_end(end))
    }
}
