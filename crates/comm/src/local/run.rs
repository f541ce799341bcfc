//! Making a group of [`Local`] ranks and running a closure on each, one
//! thread per rank (the threads' `mpirun`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use runtime::panic::panic_message;

use super::mailbox::Envelope;
use super::Local;
use crate::error::{CommError, Result};
use crate::host::hostname;

/// The first failure of a group, in time order (later failures are usually
/// peers noticing that the first one is gone).
type FirstFailure = Mutex<Option<(usize, String)>>;

impl Local {
    /// Runs `f` on `n` ranks, each on its own thread, and returns each rank's
    /// result in rank order.
    ///
    /// If a rank panics, the error names the first rank that failed and why.
    pub fn run<R, F>(n: usize, f: F) -> Result<Vec<R>>
    where
        R: Send,
        F: Fn(&Local) -> R + Sync,
    {
        Local::try_run(n, |comm| Ok::<R, CommError>(f(comm)))
    }

    /// Like [`Local::run`] for a fallible `f`: if any rank returns an error
    /// (or panics), the result is [`CommError::RankFailed`] naming the first
    /// rank that failed and its message.
    pub fn try_run<R, E, F>(n: usize, f: F) -> Result<Vec<R>>
    where
        R: Send,
        E: std::fmt::Display,
        F: Fn(&Local) -> std::result::Result<R, E> + Sync,
    {
        let comms = Local::group(n)?;
        let first: FirstFailure = Mutex::new(None);
        let fail = |rank: usize, reason: String| {
            let mut first = first.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert((rank, reason));
        };
        let results: Vec<Option<R>> = std::thread::scope(|s| {
            let handles: Vec<_> = comms
                .into_iter()
                .map(|comm| {
                    let (f, fail) = (&f, &fail);
                    s.spawn(move || {
                        let rank = comm.rank;
                        let out =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&comm)));
                        // Record this rank's failure before closing its
                        // channels: closing wakes the peers waiting on it with
                        // PeerGone, and their consequential errors must not
                        // win the race to be reported as the first failure.
                        let result = match out {
                            Ok(Ok(r)) => Some(r),
                            Ok(Err(e)) => {
                                fail(rank, e.to_string());
                                None
                            }
                            Err(panic) => {
                                fail(rank, format!("panicked: {}", panic_message(&*panic)));
                                None
                            }
                        };
                        drop(comm);
                        result
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect()
        });
        if let Some((rank, reason)) = first.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(CommError::RankFailed { rank, reason });
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("no failure recorded"))
            .collect())
    }

    /// Makes the `n` connected ranks of a group, to be moved to `n` threads.
    pub fn group(n: usize) -> Result<Vec<Local>> {
        if n == 0 {
            return Err(CommError::NoRanks(n));
        }
        // senders[s][d] / receivers[d][s]: the channel from s to d.
        let mut senders: Vec<Vec<Sender<Envelope>>> =
            (0..n).map(|_| Vec::with_capacity(n)).collect();
        let mut receivers: Vec<Vec<Receiver<Envelope>>> =
            (0..n).map(|_| Vec::with_capacity(n)).collect();
        for sender_row in senders.iter_mut() {
            for receiver_row in receivers.iter_mut() {
                let (tx, rx) = channel();
                sender_row.push(tx);
                receiver_row.push(rx);
            }
        }
        let host = hostname();
        Ok(senders
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(rank, (to, from))| Local {
                rank,
                size: n,
                to,
                from,
                aside: (0..n).map(|_| RefCell::new(VecDeque::new())).collect(),
                host: host.clone(),
            })
            .collect())
    }
}
