//! `Queue<T>`: a bounded multi-producer, multi-consumer queue between
//! processes, like `multiprocessing.Queue(maxsize)`.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::block::Block;
use crate::channel::{self, End};
use crate::error::{Error, Result};
use crate::mutex::Kind;

/// The most items a queue may be bounded to.
pub const MAX_QUEUE_ITEMS: usize = 1 << 20;

/// A bounded queue of `T`s shared by processes: every clone, and every
/// copy sent to a child, puts into and gets from the same queue. Items are
/// encoded with serde (at most [`crate::channel::MAX_MESSAGE`] bytes each).
///
/// `put` waits while `maxsize` items are queued; `get` waits for an item.
/// Both have `_timeout` forms. [`Queue::close`] closes this handle's
/// sending side; once every handle in every process has closed it (or
/// ended), `get` on an empty queue is [`Error::Closed`] rather than a wait
/// for ever.
///
/// ```
/// let q = procs::Queue::<String>::new(2)?;
/// q.put(&"one".to_string())?;
/// q.put(&"two".to_string())?;
/// assert!(q.put_timeout(&"three".into(), std::time::Duration::from_millis(5)).is_err()); // full
/// assert_eq!(q.get()?, "one");
/// q.close();
/// assert_eq!(q.get()?, "two");
/// assert!(matches!(q.get(), Err(procs::Error::Closed(_))));
/// # Ok::<(), procs::Error>(())
/// ```
#[derive(Debug)]
pub struct Queue<T> {
    inner: Arc<Inner>,
    _t: PhantomData<fn(T) -> T>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            inner: self.inner.clone(),
            _t: PhantomData,
        }
    }
}

/// A queue's sockets and its count of free slots.
#[derive(Debug, Serialize, Deserialize)]
struct Inner {
    /// Where items are put (every sender's copy of one end).
    tx: End,
    /// Where items are got from (the other end).
    rx: End,
    /// A process-shared semaphore counting free slots.
    slots: Block,
    /// The bound.
    maxsize: usize,
    /// The receive buffer of this process's handle.
    #[serde(skip)]
    buf: Mutex<Vec<u8>>,
}

impl<T: Serialize + DeserializeOwned> Queue<T> {
    /// A queue holding at most `maxsize` items (1 to [`MAX_QUEUE_ITEMS`]).
    pub fn new(maxsize: usize) -> Result<Queue<T>> {
        if maxsize == 0 || maxsize > MAX_QUEUE_ITEMS {
            return Err(Error::Invalid(format!(
                "a queue holds 1 to {MAX_QUEUE_ITEMS} items, not {maxsize}"
            )));
        }
        let (tx, rx) = channel::packet_pair("a queue")?;
        let slots = Block::create(std::mem::size_of::<libc::sem_t>(), Kind::Plain, "a queue")?;
        // SAFETY: the block's data is fresh, aligned and large enough for a
        // sem_t; pshared = 1 because processes share it.
        if unsafe { libc::sem_init(slots.data().cast(), 1, maxsize as libc::c_uint) } != 0 {
            return Err(Error::last_os("initialising a queue's semaphore"));
        }
        Ok(Queue {
            inner: Arc::new(Inner {
                tx: End::new(tx),
                rx: End::new(rx),
                slots,
                maxsize,
                buf: Mutex::new(Vec::new()),
            }),
            _t: PhantomData,
        })
    }

    /// Its bound.
    pub fn maxsize(&self) -> usize {
        self.inner.maxsize
    }

    /// Puts `item`, waiting for room.
    pub fn put(&self, item: &T) -> Result<()> {
        self.put_inner(item, None)
    }

    /// Puts `item`, waiting at most `timeout` for room.
    pub fn put_timeout(&self, item: &T, timeout: Duration) -> Result<()> {
        self.put_inner(item, Some(timeout))
    }

    fn put_inner(&self, item: &T, timeout: Option<Duration>) -> Result<()> {
        let wait = channel::Wait::new(timeout);
        self.inner.tx.with("queue", |tx| {
            self.take_slot(timeout)?;
            let sent = channel::send(tx, item, wait, "queue");
            if sent.is_err() {
                self.give_slot();
            }
            sent
        })
    }

    /// Gets the oldest item, waiting for one.
    pub fn get(&self) -> Result<T> {
        self.get_inner(None)
    }

    /// Gets the oldest item, waiting at most `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T> {
        self.get_inner(Some(timeout))
    }

    fn get_inner(&self, timeout: Option<Duration>) -> Result<T> {
        let wait = channel::Wait::new(timeout);
        self.inner.rx.with("queue", |rx| {
            let item = channel::recv(rx, &self.inner.buf, wait, "queue")?;
            self.give_slot();
            Ok(item)
        })
    }

    /// Closes this handle's sending side: `put` on it fails from now on.
    pub fn close(&self) {
        self.inner.tx.close();
    }

    fn sem(&self) -> *mut libc::sem_t {
        self.inner.slots.data().cast()
    }

    /// Takes a free slot, waiting at most `timeout`.
    fn take_slot(&self, timeout: Option<Duration>) -> Result<()> {
        loop {
            let rc = match timeout {
                // SAFETY: the semaphore was initialised by `new` (here or in
                // the process that sent the queue) and stays mapped.
                None => unsafe { libc::sem_wait(self.sem()) },
                Some(t) => {
                    let at = crate::mutex::realtime_after(t);
                    // SAFETY: as above; `at` is a valid timespec.
                    unsafe { libc::sem_timedwait(self.sem(), &at) }
                }
            };
            if rc == 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ETIMEDOUT) => {
                    return Err(Error::Timeout {
                        what: "queue (full)",
                        after: timeout.unwrap_or_default(),
                    })
                }
                _ => return Err(Error::io("waiting for room in a queue", e)),
            }
        }
    }

    /// Gives a slot back.
    fn give_slot(&self) {
        // SAFETY: as in `take_slot`.
        unsafe { libc::sem_post(self.sem()) };
    }
}

impl<T> Serialize for Queue<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.inner.serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for Queue<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Queue {
            inner: Arc::new(Inner::deserialize(d)?),
            _t: PhantomData,
        })
    }
}
