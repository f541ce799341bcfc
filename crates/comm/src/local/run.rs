//! Making a group of [`Local`] ranks and running a closure on each, one
//! thread per rank (the threads' `mpirun`).

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::thread::{Builder, Scope, ScopedJoinHandle};

use runtime::panic::panic_message;

use super::gate::Gate;
use super::mailbox::Mailbox;
use super::{Local, LOCAL_HOST};
use crate::error::{CommError, Result};

/// The first failure of a group, in time order (later failures are usually
/// peers noticing that the first one is gone).
type FirstFailure = Mutex<Option<(usize, String)>>;

impl Local {
    /// Runs `f` on `n` ranks, each on its own thread, and returns each rank's
    /// result in rank order. Their processor name is [`LOCAL_HOST`].
    ///
    /// If a rank panics, the error names the first rank that failed and why.
    /// If the system cannot start `n` threads, no rank runs and the error is
    /// [`CommError::CannotStart`].
    pub fn run<R, F>(n: usize, f: F) -> Result<Vec<R>>
    where
        R: Send,
        F: Fn(&Local) -> R + Sync,
    {
        Local::try_run(n, |comm| Ok::<R, CommError>(f(comm)))
    }

    /// Like [`Local::run`] for a fallible `f`: if any rank returns an error
    /// (or panics), the result is [`CommError::RankFailed`] naming the first
    /// rank that failed and its message. Their processor name is
    /// [`LOCAL_HOST`].
    pub fn try_run<R, E, F>(n: usize, f: F) -> Result<Vec<R>>
    where
        R: Send,
        E: std::fmt::Display,
        F: Fn(&Local) -> std::result::Result<R, E> + Sync,
    {
        Local::try_run_on_host(n, LOCAL_HOST, f)
    }

    /// Like [`Local::try_run`], with `host` as every rank's processor name
    /// (the caller knows the machine's name; this crate reads nothing).
    pub fn try_run_on_host<R, E, F>(n: usize, host: &str, f: F) -> Result<Vec<R>>
    where
        R: Send,
        E: std::fmt::Display,
        F: Fn(&Local) -> std::result::Result<R, E> + Sync,
    {
        let comms = Local::group(n, host)?;
        let first: FirstFailure = Mutex::new(None);
        let fail = |rank: usize, reason: String| {
            let mut first = first.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert((rank, reason));
        };
        let gate = Gate::new();
        let results = std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(n);
            for comm in comms {
                let rank = comm.rank;
                let (f, fail, gate) = (&f, &fail, &gate);
                let spawned = spawn_rank(s, move || {
                    if !gate.pass() {
                        return None;
                    }
                    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&comm)));
                    // Record this rank's failure before closing its mailbox:
                    // closing wakes the peers waiting on it with PeerGone,
                    // and their consequential errors must not win the race
                    // to be reported as the first failure.
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
                });
                match spawned {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        // The ranks not yet started are dropped with the rest
                        // of `comms`; the started ones leave at the gate.
                        // The message is written once they have been joined
                        // and their stacks released: with the address space
                        // exhausted, even its few bytes may not be had now.
                        gate.open(false);
                        return Err((rank, e));
                    }
                }
            }
            gate.open(true);
            Ok(handles
                .into_iter()
                .map(|h| h.join().unwrap_or(None))
                .collect::<Vec<Option<R>>>())
        })
        .map_err(|(rank, e)| CommError::CannotStart {
            ranks: n,
            why: format!("the system refused the thread of rank {rank}: {e}"),
        })?;
        if let Some((rank, reason)) = first.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(CommError::RankFailed { rank, reason });
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("no failure recorded"))
            .collect())
    }

    /// Makes the `n` connected ranks of a group, to be moved to `n` threads,
    /// with `host` as their processor name.
    ///
    /// The group holds one mailbox per rank; messages add to it only while
    /// they are in flight.
    pub fn group(n: usize, host: &str) -> Result<Vec<Local>> {
        if n == 0 {
            return Err(CommError::NoRanks(n));
        }
        let cannot = |what: &str| CommError::CannotStart {
            ranks: n,
            why: format!("not enough memory for their {what}"),
        };
        let mut boxes = Vec::new();
        boxes
            .try_reserve_exact(n)
            .map_err(|_| cannot("mailboxes"))?;
        boxes.extend((0..n).map(|_| Mailbox::new()));
        let boxes: Arc<[Mailbox]> = boxes.into();
        let mut ranks = Vec::new();
        ranks.try_reserve_exact(n).map_err(|_| cannot("handles"))?;
        let host: Arc<str> = host.into();
        ranks.extend((0..n).map(|rank| Local {
            rank,
            size: n,
            boxes: Arc::clone(&boxes),
            host: Arc::clone(&host),
            one_thread: PhantomData,
        }));
        Ok(ranks)
    }
}

/// Starts one rank's thread; an error (rather than a panic) if the system
/// refuses it.
fn spawn_rank<'scope, R, F>(
    s: &'scope Scope<'scope, '_>,
    body: F,
) -> std::io::Result<ScopedJoinHandle<'scope, Option<R>>>
where
    R: Send + 'scope,
    F: FnOnce() -> Option<R> + Send + 'scope,
{
    Builder::new().spawn_scoped(s, body)
}
