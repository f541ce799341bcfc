//! One rank's mailbox: every message sent to the rank, queued by
//! (source, tag) in the order sent — MPI's matching, where a receive takes
//! the oldest message from its source with its tag and leaves the others.
//!
//! A group of `n` ranks has `n` mailboxes, so its memory grows with the ranks
//! and the messages in flight, not with the pairs of ranks: a queue exists
//! only while it holds messages.
//!
//! Only the owning rank receives, so at most one thread waits on a mailbox;
//! it records whom it waits for, so that senders and exiting ranks wake it
//! only when it matters.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::payload::Payload;
use crate::communicator::Tag;

/// The `waiting_on` of a mailbox whose owner is not waiting.
const NOBODY: usize = usize::MAX;

/// The messages of one rank; see the [module docs](self).
pub(super) struct Mailbox {
    /// Messages not yet received, by (source, tag), oldest first.
    queues: Mutex<HashMap<(usize, Tag), VecDeque<Payload>>>,
    /// Signalled when a message the owner waits for arrives, or its source exits.
    wake: Condvar,
    /// The owner has exited: sends to it fail, and receives from it fail
    /// once the messages it sent have been taken.
    closed: AtomicBool,
    /// The source the owner is blocked on, or [`NOBODY`].
    waiting_on: AtomicUsize,
}

impl Mailbox {
    /// An empty mailbox of a running rank.
    pub(super) fn new() -> Mailbox {
        Mailbox {
            queues: Mutex::new(HashMap::new()),
            wake: Condvar::new(),
            closed: AtomicBool::new(false),
            waiting_on: AtomicUsize::new(NOBODY),
        }
    }

    /// The queues, even if a thread panicked while holding them (no code
    /// that can panic runs under the lock, and the queues stay consistent).
    fn queues(&self) -> MutexGuard<'_, HashMap<(usize, Tag), VecDeque<Payload>>> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a message from `source`; gives it back if the owner has exited.
    pub(super) fn deliver(&self, source: usize, tag: Tag, payload: Payload) -> Result<(), Payload> {
        let mut queues = self.queues();
        if self.closed.load(SeqCst) {
            return Err(payload);
        }
        queues.entry((source, tag)).or_default().push_back(payload);
        // The owner sets `waiting_on` under the lock we hold, so this read
        // is exact: wake it only if it waits for this source.
        let wanted = self.waiting_on.load(SeqCst) == source;
        drop(queues);
        if wanted {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Takes the oldest message from `source` with `tag`, waiting for it;
    /// `None` once `source_exited` says the source is gone and no such
    /// message is queued.
    pub(super) fn take(
        &self,
        source: usize,
        tag: Tag,
        source_exited: impl Fn() -> bool,
    ) -> Option<Payload> {
        let mut queues = self.queues();
        loop {
            if let Some(payload) = pop(&mut queues, source, tag) {
                return Some(payload);
            }
            // Announce the wait before checking the source, and the exiting
            // source closes before it reads `waiting_on` (both sequentially
            // consistent): at least one of the two sees the other, so either
            // we see the exit or it wakes us (under the lock we hold until
            // `wait` releases it).
            self.waiting_on.store(source, SeqCst);
            if source_exited() {
                self.waiting_on.store(NOBODY, SeqCst);
                return None;
            }
            queues = self
                .wake
                .wait(queues)
                .unwrap_or_else(PoisonError::into_inner);
            self.waiting_on.store(NOBODY, SeqCst);
        }
    }

    /// Puts a message that a receive refused back in front of its queue, so
    /// that a later receive still finds it first.
    pub(super) fn put_back(&self, source: usize, tag: Tag, payload: Payload) {
        self.queues()
            .entry((source, tag))
            .or_default()
            .push_front(payload);
    }

    /// Marks the owner as exited and frees the messages it never received.
    pub(super) fn close(&self) {
        let unread = {
            let mut queues = self.queues();
            self.closed.store(true, SeqCst);
            std::mem::take(&mut *queues)
        };
        drop(unread);
    }

    /// Whether the owner has exited.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Wakes the owner if it waits for `source`, which has just exited.
    pub(super) fn wake_if_waiting_on(&self, source: usize) {
        if self.waiting_on.load(SeqCst) == source {
            // Taking the lock orders this wake-up after the owner's check of
            // `source_exited` (made under the lock), so it cannot be lost.
            drop(self.queues());
            self.wake.notify_one();
        }
    }
}

/// Pops the oldest message of queue (`source`, `tag`), dropping the queue
/// once it is empty so that idle pairs of ranks cost nothing.
fn pop(
    queues: &mut HashMap<(usize, Tag), VecDeque<Payload>>,
    source: usize,
    tag: Tag,
) -> Option<Payload> {
    let queue = queues.get_mut(&(source, tag))?;
    let payload = queue.pop_front();
    if queue.is_empty() {
        queues.remove(&(source, tag));
    }
    payload
}
