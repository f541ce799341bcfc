//! One feeder thread per pool worker: it keeps its worker process alive
//! (starting a new one when the last died or did its `maxtasksperchild`
//! tasks), hands it jobs from the pool's queue one at a time, and delivers
//! each answer, or the error that names the task and the worker.
//!
//! Workers are started from their feeder thread, so the kernel kills them
//! (`PR_SET_PDEATHSIG`) when that thread ends: with the pool.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use crate::codec;
use crate::context::Context;
use crate::error::Error;
use crate::exit::Exit;
use crate::launch;
use crate::protocol::{self, Reply, Request};
use crate::wire;

use super::{Job, Shared};

/// A running worker process.
struct Worker {
    pid: libc::pid_t,
    ctrl: OwnedFd,
    /// Jobs it has done.
    done: usize,
}

/// The body of feeder `index`'s thread.
pub(super) fn run(index: usize, ctx: Context, shared: Arc<Shared>, max_tasks: Option<usize>) {
    let mut worker: Option<Worker> = None;
    while let Some(job) = shared.next_job() {
        let w = match worker.take() {
            Some(w) => w,
            None => match start_worker(index, &ctx, &shared) {
                Ok(w) => w,
                Err(e) => {
                    job.fail(Error::Task {
                        task: job.first,
                        worker: index,
                        pid: 0,
                        why: format!("no worker process: {e}"),
                    });
                    // Do not spin on a system that refuses processes.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            },
        };
        match run_job(index, &w, &job) {
            Ok(()) => {
                let w = Worker {
                    done: w.done + 1,
                    ..w
                };
                if max_tasks.is_some_and(|m| w.done >= m) {
                    retire(&shared, w);
                } else {
                    worker = Some(w);
                }
            }
            Err(why) => {
                // The worker is gone (or broke the protocol): reap it, say
                // how it ended, and start another for the next job.
                let exit = stop(&shared, w, true);
                job.fail(Error::Task {
                    task: job.first,
                    worker: index,
                    pid: exit.0 as u32,
                    why: match exit.1 {
                        Some(exit) => format!("the worker {exit} while running it{}", others(&job)),
                        None => format!("{why}{}", others(&job)),
                    },
                });
            }
        }
    }
    if let Some(w) = worker {
        retire(&shared, w);
    }
}

/// " (and the N other tasks of its chunk)", or nothing for a lone task.
fn others(job: &Job) -> String {
    match job.count {
        0 | 1 => String::new(),
        n => format!(" (with the {} other tasks of its chunk)", n - 1),
    }
}

/// Starts worker `index`'s process and makes it a pool worker.
fn start_worker(index: usize, ctx: &Context, shared: &Shared) -> Result<Worker, Error> {
    let started = {
        // Registered under the lock, so that `terminate` sees every worker.
        let mut pids = shared.lock_pids();
        if shared.is_terminated() {
            return Err(Error::PoolStopped("terminated"));
        }
        let started = launch::spawn(ctx)?;
        pids[index] = Some(started.pid);
        started
    };
    let w = Worker {
        pid: started.pid,
        ctrl: started.ctrl,
        done: 0,
    };
    if let Err(e) = protocol::send_request(w.ctrl.as_fd(), &Request::Serve, &[]) {
        stop(shared, w, true);
        return Err(e);
    }
    Ok(w)
}

/// Sends `job` to `w` and delivers its answer; `Err` when the worker died
/// or answered nonsense (the job is not delivered then).
fn run_job(index: usize, w: &Worker, job: &Job) -> Result<(), String> {
    let fds: Vec<_> = job.fds.iter().map(|f| f.as_raw_fd()).collect();
    let request = Request::Task {
        name: job.name.to_string(),
        items: job.items.clone(),
    };
    protocol::send_request(w.ctrl.as_fd(), &request, &fds).map_err(|e| e.to_string())?;
    let (bytes, fds) = match wire::recv_frame(w.ctrl.as_fd()) {
        Ok(Some(frame)) => frame,
        Ok(None) => return Err("the worker closed its connection".into()),
        Err(e) => return Err(format!("reading the worker's answer: {e}")),
    };
    let reply: Reply =
        codec::decode(&bytes, Vec::new(), "a worker's answer").map_err(|e| e.to_string())?;
    let task_error = |task: usize, why: String| Error::Task {
        task,
        worker: index,
        pid: w.pid as u32,
        why,
    };
    job.deliver(match reply {
        Reply::Done(bytes) => Ok((bytes, fds)),
        Reply::Panicked { offset, message } => Err(task_error(
            job.first + offset,
            format!("panicked: {message}"),
        )),
        Reply::Failed(why) => Err(task_error(job.first, why)),
    });
    Ok(())
}

/// Lets `w` finish: closing its connection makes it exit; then reaps it.
fn retire(shared: &Shared, w: Worker) {
    stop(shared, w, false);
}

/// Ends `w` (killing it if `kill`), reaps it and returns its pid and how
/// it ended.
fn stop(shared: &Shared, w: Worker, kill: bool) -> (libc::pid_t, Option<Exit>) {
    {
        let mut pids = shared.lock_pids();
        if let Some(slot) = pids.iter_mut().find(|p| **p == Some(w.pid)) {
            *slot = None;
        }
        if kill {
            // SAFETY: the pid is our child, not yet reaped (only this thread
            // reaps it), so it cannot name another process.
            unsafe { libc::kill(w.pid, libc::SIGKILL) };
        }
    }
    drop(w.ctrl);
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid int; the pid is our child.
        let r = unsafe { libc::waitpid(w.pid, &mut status, 0) };
        if r == w.pid {
            return (w.pid, Some(Exit::from_wait_status(status)));
        }
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return (w.pid, None);
    }
}
