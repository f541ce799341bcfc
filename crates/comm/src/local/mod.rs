//! [`Local`]: `n` ranks as threads of one process, talking through mailboxes.
//!
//! Every distributed algorithm of hpcrs is generic over [`Communicator`], so
//! its unit tests run on `Local` with no MPI installed. Each rank has one
//! unbounded mailbox ([`mailbox`]) where the others leave its messages, so
//! sends never block (like buffered MPI sends) and messages between two ranks
//! arrive in the order sent; a receive takes the oldest message from its
//! source with its tag, which is MPI's matching by (source, tag). The memory
//! of a group grows with its ranks and the messages in flight, not with the
//! pairs of ranks. Collectives are built from these point-to-point messages
//! on a reserved internal tag, which every rank uses in the same order.
//!
//! When a rank ends (normally, with an error, or by panicking) its `Local` is
//! dropped and its mailbox closes, so peers waiting on it get
//! [`crate::CommError::PeerGone`] instead of hanging; [`Local::run`] then
//! reports the first failure.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::communicator::Communicator;

mod collective;
mod gate;
mod mailbox;
mod messages;
mod payload;
mod point_to_point;
mod run;

use mailbox::Mailbox;
pub use point_to_point::{LocalRecv, LocalSend};

/// The processor name of [`Local`] ranks whose caller named no host: they
/// are threads of this process, on this machine.
pub const LOCAL_HOST: &str = "localhost";

/// One rank of a group of threads of one process, talking through
/// mailboxes: sends never block, and messages between two ranks arrive in
/// the order sent, matched by source and tag as MPI matches them.
///
/// Make a group with [`Local::run`], [`Local::try_run`],
/// [`Local::try_run_on_host`] or [`Local::group`].
/// A rank is used by one thread at a time, as an MPI process is (it can be
/// moved to another thread, not shared).
pub struct Local {
    rank: usize,
    size: usize,
    /// Every rank's mailbox, shared by the group; `boxes[r]` is rank `r`'s.
    boxes: Arc<[Mailbox]>,
    /// The processor name, shared by the group.
    host: Arc<str>,
    /// Not `Sync`: only the owning thread receives from a mailbox.
    one_thread: PhantomData<Cell<()>>,
}

impl Drop for Local {
    /// Closes this rank's mailbox and wakes the peers waiting for it, which
    /// then get [`crate::CommError::PeerGone`] once its messages are taken.
    fn drop(&mut self) {
        self.boxes[self.rank].close();
        for mailbox in self.boxes.iter() {
            mailbox.wake_if_waiting_on(self.rank);
        }
    }
}

impl Communicator for Local {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn processor_name(&self) -> String {
        self.host.to_string()
    }

    fn abort(&self, code: i32) -> ! {
        panic!("rank {} called abort with code {code}", self.rank)
    }

    fn abort_ends_job(&self) -> bool {
        false
    }
}
