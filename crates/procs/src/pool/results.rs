//! The results of pool calls: [`AsyncResult`], [`IMap`] and
//! [`IMapUnordered`].

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::Answer;
use crate::codec;
use crate::error::{Error, Result};

/// The answers of a call that stopped coming: the pool's feeders ended.
fn lost() -> Error {
    Error::PoolStopped("terminated")
}

/// The decoded results of one job.
fn decode<R: DeserializeOwned>(answer: Answer) -> Result<Vec<R>> {
    let (bytes, fds) = answer?;
    codec::decode(&bytes, fds, "a pool result")
}

/// The result of [`super::Pool::apply_async`], to collect later.
#[derive(Debug)]
pub struct AsyncResult<R> {
    rx: mpsc::Receiver<(usize, Answer)>,
    got: RefCell<Option<Answer>>,
    _r: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned> AsyncResult<R> {
    pub(super) fn new(rx: mpsc::Receiver<(usize, Answer)>) -> AsyncResult<R> {
        AsyncResult {
            rx,
            got: RefCell::new(None),
            _r: PhantomData,
        }
    }

    /// Whether the result (or its error) is there.
    pub fn ready(&self) -> bool {
        if self.got.borrow().is_some() {
            return true;
        }
        match self.rx.try_recv() {
            Ok((_, a)) => {
                *self.got.borrow_mut() = Some(a);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                *self.got.borrow_mut() = Some(Err(lost()));
                true
            }
        }
    }

    /// Waits at most `timeout` (`None`: for ever) for the result; returns
    /// whether it is there.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        if self.ready() {
            return true;
        }
        let got = match timeout {
            None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => self.rx.recv_timeout(t),
        };
        match got {
            Ok((_, a)) => *self.got.borrow_mut() = Some(a),
            Err(RecvTimeoutError::Disconnected) => *self.got.borrow_mut() = Some(Err(lost())),
            Err(RecvTimeoutError::Timeout) => return false,
        }
        true
    }

    /// Waits for the result and returns it, or the task's error.
    pub fn get(self) -> Result<R> {
        self.wait(None);
        let answer = self.got.into_inner().unwrap_or_else(|| Err(lost()));
        decode::<R>(answer)?.pop().ok_or_else(|| Error::Decode {
            what: "a pool result".into(),
            why: "no value".into(),
        })
    }
}

/// The results of [`super::Pool::imap`], in order.
#[derive(Debug)]
pub struct IMap<R> {
    rx: mpsc::Receiver<(usize, Answer)>,
    sizes: Vec<usize>,
    /// The next job whose results are due.
    next: usize,
    /// Answers that came before their turn.
    early: HashMap<usize, Answer>,
    /// The current job's results not yet yielded.
    current: VecDeque<R>,
    /// Set after an error: nothing more is yielded.
    failed: bool,
}

impl<R: DeserializeOwned> IMap<R> {
    pub(super) fn new(rx: mpsc::Receiver<(usize, Answer)>, sizes: Vec<usize>) -> IMap<R> {
        IMap {
            rx,
            sizes,
            next: 0,
            early: HashMap::new(),
            current: VecDeque::new(),
            failed: false,
        }
    }
}

impl<R: DeserializeOwned> Iterator for IMap<R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(r) = self.current.pop_front() {
                return Some(Ok(r));
            }
            if self.next >= self.sizes.len() {
                return None;
            }
            let answer = match self.early.remove(&self.next) {
                Some(a) => a,
                None => match self.rx.recv() {
                    Ok((chunk, a)) if chunk == self.next => a,
                    Ok((chunk, a)) => {
                        self.early.insert(chunk, a);
                        continue;
                    }
                    Err(_) => Err(lost()),
                },
            };
            let want = self.sizes[self.next];
            self.next += 1;
            match decode::<R>(answer) {
                Ok(v) if v.len() == want => self.current = v.into(),
                Ok(v) => {
                    self.failed = true;
                    return Some(Err(Error::Decode {
                        what: "a pool result".into(),
                        why: format!("{} results for {want} tasks", v.len()),
                    }));
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The results of [`super::Pool::imap_unordered`], as they are done.
#[derive(Debug)]
pub struct IMapUnordered<R> {
    rx: mpsc::Receiver<(usize, Answer)>,
    left: usize,
    current: VecDeque<R>,
    failed: bool,
}

impl<R: DeserializeOwned> IMapUnordered<R> {
    pub(super) fn new(rx: mpsc::Receiver<(usize, Answer)>, jobs: usize) -> IMapUnordered<R> {
        IMapUnordered {
            rx,
            left: jobs,
            current: VecDeque::new(),
            failed: false,
        }
    }
}

impl<R: DeserializeOwned> Iterator for IMapUnordered<R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        if self.failed {
            return None;
        }
        if let Some(r) = self.current.pop_front() {
            return Some(Ok(r));
        }
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let answer = self
            .rx
            .recv()
            .map(|(_, a)| a)
            .unwrap_or_else(|_| Err(lost()));
        match decode::<R>(answer) {
            Ok(v) => {
                self.current = v.into();
                self.next()
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
