//! Starting a child: spawned (this program again, with the hidden
//! argument) or forked (after checking that this process has one thread).
//! Either way the child is tied to its parent: the kernel kills it
//! (`PR_SET_PDEATHSIG`) when the thread that started it ends, and a child
//! whose parent died before that was set up leaves at once.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};

use crate::child::CHILD_ARG;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::wire;

/// A started child: its pid and our end of its stream socket.
pub(crate) struct Started {
    pub(crate) pid: libc::pid_t,
    pub(crate) ctrl: OwnedFd,
}

/// Starts `ctx.program() --hpcrs-procs-child FD`, FD being the child's end
/// of a new stream socket. Its stdin is /dev/null; stdout and stderr are
/// ours.
pub(crate) fn spawn(ctx: &Context) -> Result<Started> {
    let (ours, theirs) = wire::socket_pair(libc::SOCK_STREAM)
        .map_err(|e| Error::io("creating a socket for a child", e))?;
    let fd = theirs.as_raw_fd();
    let mut cmd = Command::new(ctx.program());
    cmd.arg(CHILD_ARG).arg(fd.to_string()).stdin(Stdio::null());
    // SAFETY: getpid is always safe.
    let parent = unsafe { libc::getpid() };
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs in the forked child before exec and makes
        // only async-signal-safe calls (prctl, getppid, _exit, fcntl); it
        // touches no memory shared with the parent.
        unsafe {
            cmd.pre_exec(move || {
                tie_to_parent(parent);
                // The child's end of the socket survives the exec.
                if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = cmd.spawn().map_err(|e| {
        Error::io(
            format!("starting a child process (`{}`)", ctx.program().display()),
            e,
        )
    })?;
    // Our copy of the child's end closes here, so the stream ends when the
    // child does.
    drop(theirs);
    Ok(Started {
        pid: child.id() as libc::pid_t,
        ctrl: ours,
    })
}

/// Forks; the child runs `body` with its end of a new stream socket and
/// exits with the code `body` returns (1 if it panics), without running
/// the parent's destructors. Refused unless `ctx` counts exactly one thread.
pub(crate) fn fork(ctx: &Context, body: impl FnOnce(OwnedFd) -> i32) -> Result<Started> {
    check_single_thread(ctx)?;
    let (ours, theirs) = wire::socket_pair(libc::SOCK_STREAM)
        .map_err(|e| Error::io("creating a socket for a child", e))?;
    // What is buffered would be written twice, by the parent and by the child.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: getpid is always safe.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the process has a single thread (checked above), so the child
    // is a complete copy: no lock is held by a thread that does not exist
    // in it, and it may allocate and run ordinary code.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            drop(ours);
            // SAFETY: prctl and getppid are safe to call in the child.
            unsafe { tie_to_parent(parent) };
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(theirs)))
                .unwrap_or(1);
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().flush();
            // SAFETY: _exit ends the child without running the parent's
            // atexit handlers or flushing its copies of the parent's buffers.
            unsafe { libc::_exit(code) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            drop(theirs);
            Ok(Started {
                pid: child.as_raw(),
                ctrl: ours,
            })
        }
        Err(e) => Err(Error::io("fork", e.into())),
    }
}

/// Refuses to fork unless the context's counter sees one thread.
pub(crate) fn check_single_thread(ctx: &Context) -> Result<()> {
    let counter = ctx.thread_counter().ok_or(Error::NoThreadCounter)?;
    let threads = counter().map_err(|e| Error::io("counting this process's threads", e))?;
    if threads == 1 {
        Ok(())
    } else {
        Err(Error::ForkWithThreads { threads })
    }
}

/// In a new child: asks the kernel to SIGKILL it when the thread that
/// started it ends, and leaves at once if the parent already died (the
/// signal was then never sent).
///
/// # Safety
/// Async-signal-safe: callable between fork and exec.
unsafe fn tie_to_parent(parent: libc::pid_t) {
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number, getppid and
    // _exit are async-signal-safe system calls.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if libc::getppid() != parent {
            libc::_exit(1);
        }
    }
}
