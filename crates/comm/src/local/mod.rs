//! [`Local`]: `n` ranks as threads of one process, talking over channels.
//!
//! Every distributed algorithm of hpcrs is generic over [`Communicator`], so
//! its unit tests run on `Local` with no MPI installed. Each ordered pair of
//! ranks has its own unbounded channel, so sends never block (like buffered
//! MPI sends) and messages between two ranks arrive in the order sent;
//! a receive that finds a message with another tag first keeps it aside for
//! a later receive, which gives MPI's matching by (source, tag)
//! ([`mailbox`]). Collectives are built from these point-to-point messages on
//! a reserved internal tag, which every rank uses in the same order.
//!
//! When a rank's thread ends (normally, with an error, or by panicking) its
//! channels close, so peers waiting on it get [`crate::CommError::PeerGone`]
//! instead of hanging; [`Local::run`] then reports the first failure.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender};

use crate::communicator::Communicator;

mod collective;
mod mailbox;
mod point_to_point;
mod run;

use mailbox::Envelope;
pub use point_to_point::{LocalRecv, LocalSend};

/// One rank of a group of threads; see the [module docs](self).
///
/// Make a group with [`Local::run`], [`Local::try_run`] or [`Local::group`].
pub struct Local {
    rank: usize,
    size: usize,
    /// `to[d]` sends to rank `d`.
    to: Vec<Sender<Envelope>>,
    /// `from[s]` receives from rank `s`.
    from: Vec<Receiver<Envelope>>,
    /// Messages from rank `s` that arrived before a receive asked for their tag.
    aside: Vec<RefCell<VecDeque<Envelope>>>,
    host: String,
}

impl Communicator for Local {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn processor_name(&self) -> String {
        self.host.clone()
    }

    fn abort(&self, code: i32) -> ! {
        panic!("rank {} called abort with code {code}", self.rank)
    }

    fn abort_ends_job(&self) -> bool {
        false
    }
}
