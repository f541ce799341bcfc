//! The child's side: a spawned child is this program started again with
//! [`CHILD_ARG`] and the number of its socket; `main` hands its arguments
//! to [`run_if_child`] first thing, which runs the requested function (or
//! serves a pool) and says with what code to exit.

use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::process::ExitCode;

use crate::codec;
use crate::error::Error;
use crate::func::{Answer, Registry};
use crate::protocol::{self, Reply, Request};
use crate::wire;

/// The hidden first argument of a spawned child.
pub const CHILD_ARG: &str = "--hpcrs-procs-child";

/// If `args` (the program's, `std::env::args_os()`) are a spawned child's,
/// runs what its parent asks and returns the exit code; otherwise `None`,
/// and the program goes on as usual.
///
/// Exit codes: 0 after answering, 1 if the function panicked or could not
/// be run (the parent gets the reason), 2 if the parent's request never
/// came. Arguments that are not a child's (the hidden argument given by
/// hand) are an error for the program to report, as a usage error.
pub fn run_if_child(
    args: impl IntoIterator<Item = OsString>,
    registry: &Registry,
) -> Option<Result<ExitCode, Error>> {
    let mut args = args.into_iter().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(CHILD_ARG)) {
        return None;
    }
    let given = args.next();
    let fd = given
        .as_ref()
        .and_then(|a| a.to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|&fd| fd > 2 && is_socket(fd));
    let Some(fd) = fd else {
        let given = given.map_or("(no descriptor)".into(), |g| {
            g.to_string_lossy().into_owned()
        });
        return Some(Err(Error::Invalid(format!(
            "{CHILD_ARG} {given}: only a parent process starts a child this way, giving it its socket"
        ))));
    };
    // SAFETY: the parent passed this descriptor, an open socket (checked),
    // for the child alone to own.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    // Processes this child starts must not inherit it.
    // SAFETY: `fd` is open.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    Some(Ok(ExitCode::from(serve(sock.as_fd(), registry) as u8)))
}

/// Whether `fd` is an open socket.
fn is_socket(fd: i32) -> bool {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` has room for a stat.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: fstat succeeded and filled `st`.
    let mode = unsafe { st.assume_init() }.st_mode;
    mode & libc::S_IFMT == libc::S_IFSOCK
}

/// Answers the first request on `sock`: one call, or a pool worker's tasks.
/// Returns the exit code.
pub(crate) fn serve(sock: BorrowedFd<'_>, registry: &Registry) -> i32 {
    let Ok(Some((bytes, fds))) = wire::recv_frame(sock) else {
        return 2;
    };
    match codec::decode::<Request>(&bytes, Vec::new(), "a request") {
        Ok(Request::Call { name, args }) => answer(sock, registry.call_one(&name, &args, fds)),
        Ok(Request::Serve) => serve_tasks(sock, registry),
        Ok(Request::Task { .. }) | Err(_) => {
            let why = "the first request was not a call".to_string();
            answer(sock, Answer::bare(Reply::Failed(why)))
        }
    }
}

/// Sends `answer`; the exit code says whether the function succeeded.
fn answer(sock: BorrowedFd<'_>, answer: Answer) -> i32 {
    let ok = matches!(answer.reply, Reply::Done(_));
    match (protocol::send_answer(sock, &answer), ok) {
        (Ok(()), true) => 0,
        _ => 1,
    }
}

/// A pool worker: runs each task's chunk and answers, until the parent
/// closes the stream (0) or it breaks (1).
fn serve_tasks(sock: BorrowedFd<'_>, registry: &Registry) -> i32 {
    loop {
        let (bytes, fds) = match wire::recv_frame(sock) {
            Ok(Some(frame)) => frame,
            Ok(None) => return 0,
            Err(_) => return 1,
        };
        let answer = match codec::decode::<Request>(&bytes, Vec::new(), "a task") {
            Ok(Request::Task { name, items }) => registry.call_chunk(&name, &items, fds),
            Ok(_) => Answer::bare(Reply::Failed(
                "a pool worker got a request that is not a task".into(),
            )),
            Err(e) => Answer::bare(Reply::Failed(e.to_string())),
        };
        if protocol::send_answer(sock, &answer).is_err() {
            return 1;
        }
    }
}
