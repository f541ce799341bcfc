//! The signal dispositions every subcommand starts with, and the cleanup
//! before a terminating signal ends the program.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Restores the default action of SIGPIPE, which Rust programs ignore: then
/// `hpcrs diff2d | head` ends quietly when `head` has read enough, as every
/// Unix filter does, instead of reporting "Broken pipe" as an error.
pub fn die_quietly_on_closed_pipe() {
    // SAFETY: called first thing in `main`, before any other thread exists;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Ignores SIGXFSZ, so that writing past a file-size limit (`ulimit -f`)
/// fails with `EFBIG`, which each write reports naming its file and cleans
/// up after, instead of the signal's default action ending the process
/// without a word.
pub fn file_size_limits_are_errors() {
    // SAFETY: called first thing in `main`, before any other thread exists;
    // SIG_IGN is a valid disposition for SIGXFSZ.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The signals that end a program, after which it must leave no temporary
/// behind: Ctrl-C, `kill`, a closed terminal, a closed pipe.
const ENDING: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGPIPE];

/// The write end of the pipe on which the handler passes a signal to the
/// cleaner thread (-1 before [`end_cleanly_on_signals`]).
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// The read end, which the cleaner thread takes when it starts.
static WOKEN: AtomicI32 = AtomicI32::new(-1);

/// This process's id when the handler was installed: a child forked from it
/// (without exec) has another, and no cleaner thread.
static OWNER: AtomicI32 = AtomicI32::new(0);

/// Set by [`cancel_on_signals`]: the running command stops by itself at the
/// first SIGINT, SIGTERM or SIGHUP.
static COOPERATIVE: AtomicBool = AtomicBool::new(false);

/// Raised by the first such signal when the command is cooperative.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// Whether the cleaner thread runs. Until it does, no temporary exists and
/// no command waits for a cancel flag, so a signal takes its default action.
static CLEANER: AtomicBool = AtomicBool::new(false);

/// Makes SIGINT, SIGTERM, SIGHUP and SIGPIPE remove the temporaries the
/// process is writing (`runtime::temporaries`: atomic writes' temporaries,
/// scratch directories) before they end it, with the same exit status as
/// before (killed by that signal). A signal that was ignored when the
/// program started (`nohup`, a background job of a script) stays ignored;
/// SIGPIPE, which the Rust runtime ignores, is always handled.
///
/// The handler only writes the signal's number to a pipe; a thread reads
/// it, removes the temporaries and raises the signal again with its default
/// action. A handler cannot remove them itself: removing a directory tree
/// allocates, which a signal handler must not do. The thread starts with
/// the first temporary (`runtime::temporaries::on_first_track`) or the
/// first [`cancel_on_signals`]: a command that writes none starts no thread,
/// which keeps short runs short.
pub fn end_cleanly_on_signals() -> std::io::Result<()> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: getpid has no preconditions.
    OWNER.store(unsafe { libc::getpid() }, Ordering::Relaxed);
    WOKEN.store(fds[0], Ordering::Relaxed);
    WAKE.store(fds[1], Ordering::Relaxed);
    runtime::temporaries::on_first_track(start_cleaner);
    for signal in ENDING {
        // SAFETY: an all-zero sigaction is a valid value (no handler, empty
        // mask, no flags); sigaction only reads `action` and writes `old`.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &mut old);
            if old.sa_sigaction == libc::SIG_IGN && signal != libc::SIGPIPE {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_ending_signal as *const () as usize;
            action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The threads this module runs: the cleaner thread, which waits in `read`
/// holding no lock, so that a child forked beside it inherits no held lock
/// (the fork check of `procs` does not count it; see `src/children.rs`).
pub fn quiet_threads() -> usize {
    usize::from(CLEANER.load(Ordering::Relaxed))
}

/// Makes the first SIGINT, SIGTERM or SIGHUP raise the returned flag instead
/// of ending the process, for a command that checks it and stops by itself
/// (removing its partial output); a second signal ends the process as
/// [`end_cleanly_on_signals`] does.
pub fn cancel_on_signals() -> &'static AtomicBool {
    COOPERATIVE.store(true, Ordering::Relaxed);
    start_cleaner();
    &CANCEL
}

/// Starts the cleaner thread, once, if [`end_cleanly_on_signals`] made its
/// pipe. If the thread cannot start, signals keep their default action
/// (the temporaries are then left, as without this module).
fn start_cleaner() {
    let read_end = WOKEN.swap(-1, Ordering::Relaxed);
    if read_end < 0 {
        return;
    }
    let started = std::thread::Builder::new()
        .name("signals".into())
        .stack_size(64 << 10)
        .spawn(move || clean_up_when_signalled(read_end));
    if started.is_ok() {
        CLEANER.store(true, Ordering::Relaxed);
    }
}

/// The handler: passes the signal to the cleaner thread. Async-signal-safe
/// (getpid, write, signal, raise, pause; errno kept).
extern "C" fn on_ending_signal(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: each call is async-signal-safe; `byte` outlives the write;
    // `info` is the kernel's, valid during the handler (SA_SIGINFO).
    unsafe {
        if libc::getpid() != OWNER.load(Ordering::Relaxed) || !CLEANER.load(Ordering::Relaxed) {
            // A forked child, or nothing to clean up: the default action.
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
            return;
        }
        let errno = *libc::__errno_location();
        let byte = signal as u8;
        libc::write(WAKE.load(Ordering::Relaxed), (&byte as *const u8).cast(), 1);
        *libc::__errno_location() = errno;
        if signal == libc::SIGPIPE && from_own_write(info) {
            // The write that raised it must not go on to fail and be
            // reported: wait here until the cleaner thread ends the process.
            // (A thread in `write` holds none of the locks the cleaner
            // takes; a signal sent from elsewhere may land anywhere, so it
            // returns at once, as the others do.)
            loop {
                libc::pause();
            }
        }
    }
}

/// Whether a SIGPIPE is the kernel's answer to this process's own write to
/// a closed pipe: the kernel names this process as its sender, which a
/// `kill` from another process does not.
///
/// # Safety
/// `info` is null or the handler's valid `siginfo_t`.
unsafe fn from_own_write(info: *const libc::siginfo_t) -> bool {
    // SAFETY: the caller's; si_pid is set for SI_USER signals.
    unsafe {
        !info.is_null() && (*info).si_code == libc::SI_USER && (*info).si_pid() == libc::getpid()
    }
}

/// The cleaner thread: waits for a signal's number, then either raises the
/// cancel flag (the first signal to a cooperative command) or removes the
/// temporaries and dies of the signal.
fn clean_up_when_signalled(read_end: libc::c_int) {
    loop {
        let mut byte = 0u8;
        // SAFETY: `byte` is a writable byte for the duration of the call.
        let n = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
        if n != 1 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // The pipe failed (it cannot, short of a bug): let the signals
            // act by default rather than be swallowed.
            for signal in ENDING {
                // SAFETY: SIG_DFL is a valid disposition.
                unsafe { libc::signal(signal, libc::SIG_DFL) };
            }
            return;
        }
        let signal = libc::c_int::from(byte);
        if signal != libc::SIGPIPE
            && COOPERATIVE.load(Ordering::Relaxed)
            && !CANCEL.swap(true, Ordering::Relaxed)
        {
            continue;
        }
        runtime::temporaries::remove_all();
        // SAFETY: SIG_DFL is a valid disposition; the signal is not blocked
        // in this thread (it blocks none), so raise delivers it here and its
        // default action ends the process.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
        // A signal whose default action does not end the process (none of
        // ENDING): end with the shell's status for it.
        std::process::exit(128 + signal);
    }
}
