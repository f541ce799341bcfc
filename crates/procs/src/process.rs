//! `Process`: one function in one child process, like
//! `multiprocessing.Process`, with its typed result.

use std::ffi::{CString, OsStr, OsString};
use std::marker::PhantomData;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec;
use crate::context::{Context, StartMethod};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::func::{self, Func};
use crate::launch::{self, Started};
use crate::protocol::{self, Reply, Request};
use crate::wire;

/// A child process running one [`Func`]. [`Process::join`] waits for it and
/// returns its result, or why there is none: the function panicked, or the
/// process exited or was killed before answering. Dropping a `Process` that
/// was not joined kills it and reaps it: no child outlives its handle.
#[derive(Debug)]
pub struct Process<R> {
    pid: libc::pid_t,
    name: &'static str,
    ctrl: Option<OwnedFd>,
    exit: Option<Exit>,
    _r: PhantomData<fn() -> R>,
}

impl Context {
    /// Starts `func(args)` in a child process, by the context's start
    /// method: spawned, the arguments are encoded (shared objects in them
    /// travel as descriptors); forked, the child uses them as they are.
    pub fn start<A, R>(&self, func: Func<A, R>, args: A) -> Result<Process<R>>
    where
        A: Serialize + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let started = match self.start_method() {
            StartMethod::Spawn => {
                let (bytes, fds) = codec::encode(&args, "the arguments")?;
                let started = launch::spawn(self)?;
                let request = Request::Call {
                    name: func.name().to_string(),
                    args: bytes,
                };
                // The child is killed and reaped if it cannot be told what to do.
                let p = Process::new(started, func.name());
                let ctrl = p.ctrl.as_ref().expect("just started").as_fd();
                protocol::send_request(ctrl, &request, &fds)?;
                return Ok(p);
            }
            StartMethod::Fork => launch::fork(self, move |ctrl| {
                let reply =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| func.call(args)));
                let answer = match reply {
                    Ok(result) => func::encoded(result),
                    Err(p) => func::Answer::bare(Reply::Panicked {
                        offset: 0,
                        message: runtime::panic::panic_message(&*p),
                    }),
                };
                let ok = matches!(answer.reply, Reply::Done(_));
                match (protocol::send_answer(ctrl.as_fd(), &answer), ok) {
                    (Ok(()), true) => 0,
                    _ => 1,
                }
            })?,
        };
        Ok(Process::new(started, func.name()))
    }

    /// Forks and replaces the child with `program args` (`execvp`, looked
    /// up in `PATH`), like the course's `os.fork()` then `os.execlp()`;
    /// [`Process::wait`] gives its exit status. Needs one thread, like any
    /// fork; a program that cannot be run is an error from `wait`.
    pub fn fork_exec(&self, program: &OsStr, args: &[OsString]) -> Result<Process<()>> {
        let to_c = |s: &OsStr| {
            CString::new(s.as_bytes()).map_err(|_| {
                Error::Invalid(format!(
                    "{}: an argument with a NUL byte",
                    program.to_string_lossy()
                ))
            })
        };
        let c_program = to_c(program)?;
        let mut argv = vec![c_program.clone()];
        for a in args {
            argv.push(to_c(a)?);
        }
        let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        let shown = program.to_string_lossy().into_owned();
        let started = launch::fork(self, move |ctrl| {
            // SAFETY: `ptrs` is a null-terminated array of pointers to the
            // C strings in `argv`, which live until exec or the return.
            unsafe { libc::execvp(c_program.as_ptr(), ptrs.as_ptr()) };
            let why = format!("cannot run `{shown}`: {}", std::io::Error::last_os_error());
            let _ = protocol::send_answer(ctrl.as_fd(), &func::Answer::bare(Reply::Failed(why)));
            127
        })?;
        Ok(Process::new(started, "exec"))
    }
}

/// A child's answer and the descriptors that came with it.
type Answered = (Reply, Vec<OwnedFd>);

impl<R> Process<R> {
    fn new(started: Started, name: &'static str) -> Process<R> {
        Process {
            pid: started.pid,
            name,
            ctrl: Some(started.ctrl),
            exit: None,
            _r: PhantomData,
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// The name of the function it runs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether it is still running (reaps it if it has ended).
    pub fn is_alive(&mut self) -> bool {
        self.poll_exit().is_none()
    }

    /// How it ended, if it has (like `Process.exitcode`, without waiting).
    pub fn exit(&mut self) -> Option<Exit> {
        self.poll_exit()
    }

    /// Sends it SIGKILL (no effect once it has been reaped).
    pub fn kill(&mut self) -> Result<()> {
        self.signal(libc::SIGKILL)
    }

    /// Sends it SIGTERM (no effect once it has been reaped).
    pub fn terminate(&mut self) -> Result<()> {
        self.signal(libc::SIGTERM)
    }

    fn signal(&mut self, sig: libc::c_int) -> Result<()> {
        if self.poll_exit().is_some() {
            return Ok(());
        }
        // SAFETY: the pid is our child, not yet reaped: it cannot have been
        // reused by another process.
        if unsafe { libc::kill(self.pid, sig) } != 0 {
            return Err(Error::last_os(format!("signalling process {}", self.pid)));
        }
        Ok(())
    }

    /// Reaps it without blocking if it has ended.
    fn poll_exit(&mut self) -> Option<Exit> {
        if self.exit.is_none() {
            self.reap(libc::WNOHANG);
        }
        self.exit
    }

    /// `waitpid` with `flags`, recording the exit.
    fn reap(&mut self, flags: libc::c_int) {
        let mut status = 0;
        loop {
            // SAFETY: `status` is a valid int to write; the pid is our child.
            let r = unsafe { libc::waitpid(self.pid, &mut status, flags) };
            if r == self.pid {
                self.exit = Some(Exit::from_wait_status(status));
                return;
            }
            if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
    }

    /// Reads its answer (if any) and waits for it to end.
    fn finish(&mut self) -> Result<(Option<Answered>, Exit)> {
        let frame = match self.ctrl.take() {
            Some(ctrl) => match wire::recv_frame(ctrl.as_fd()) {
                Ok(Some((bytes, fds))) => Some((
                    codec::decode::<Reply>(&bytes, Vec::new(), "an answer")?,
                    fds,
                )),
                // A child killed in the middle of its answer has none.
                Ok(None) | Err(_) => None,
            },
            None => None,
        };
        if self.exit.is_none() {
            self.reap(0);
        }
        let exit = self
            .exit
            .ok_or_else(|| Error::last_os(format!("waiting for process {}", self.pid)))?;
        Ok((frame, exit))
    }

    /// Waits for it to end and returns how (a spawned function's result is
    /// discarded). A program [`Context::fork_exec`] could not run is an error.
    pub fn wait(&mut self) -> Result<Exit> {
        let (frame, exit) = self.finish()?;
        match frame {
            Some((Reply::Failed(why), _)) => Err(Error::ChildFailed {
                name: self.name.to_string(),
                pid: self.pid as u32,
                why,
            }),
            _ => Ok(exit),
        }
    }
}

impl<R: DeserializeOwned> Process<R> {
    /// Waits for it and returns its function's result.
    pub fn join(mut self) -> Result<R> {
        let (frame, exit) = self.finish()?;
        let (name, pid) = (self.name.to_string(), self.pid as u32);
        match frame {
            Some((Reply::Done(bytes), fds)) => codec::decode(&bytes, fds, "the result"),
            Some((Reply::Panicked { message, .. }, _)) => {
                Err(Error::Panicked { name, pid, message })
            }
            Some((Reply::Failed(why), _)) => Err(Error::ChildFailed { name, pid, why }),
            None => Err(Error::Died { name, pid, exit }),
        }
    }
}

impl<R> Drop for Process<R> {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.kill();
            self.reap(0);
        }
    }
}
