//! A page of a memory-mapped file that cannot be read becomes an error message.
//!
//! Reading a map faults with `SIGBUS` where the kernel cannot supply a page: the file was
//! truncated while being read, or it is a sparse file on a full `tmpfs`. By default that
//! ends the process with no message (exit 135). The libraries that map files (`ooc` for
//! `.npy` arrays, `dataset` for text files) record the address range and path of every
//! map in [`runtime::mapped`]; the handler that `ooc`, `expr --input` and `wordcount`
//! install here looks the faulting address up there and, when it lies in one of those
//! maps, removes the temporaries of the files being created ([`ooc::unfinished`]), prints
//! one error line naming the file and exits with status 1. A fault anywhere else goes to the
//! handler that was there before (the Rust runtime's), or to the default action.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The `SIGBUS` disposition this handler replaced.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Set by the first thread to report a fault, so that threads faulting at once print one line.
static REPORTING: AtomicBool = AtomicBool::new(false);

/// What precedes the file's path in the message.
const BEFORE: &[u8] = b"hpcrs: error: ";
/// What follows it.
const AFTER: &[u8] = b": a page of the memory-mapped file could not be read (truncated while \
being read, or a sparse file on a full disk)";

/// What the command suggests after that (set by the first [`install`]).
static HINT: OnceLock<&'static str> = OnceLock::new();

/// The hint of the commands that can read without maps.
pub const PREAD_HINT: &str = "; --io pread reads it with ordinary reads";

/// Installs the handler (once per process); `hint` ends the error line.
pub fn install(hint: &'static str) {
    HINT.get_or_init(|| hint);
    PREVIOUS.get_or_init(|| {
        // SAFETY: an all-zero `sigaction` is a valid value (empty mask, no flags), and both
        // structures outlive the call; the handler only does async-signal-safe things.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            previous.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(libc::SIGBUS, &action, &mut previous);
            previous
        }
    });
}

/// The `SIGBUS` handler: one line and exit status 1 for a fault in a registered map.
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid `siginfo_t` to an SA_SIGINFO handler; for SIGBUS
    // `si_addr` is the faulting address.
    let addr = unsafe { (*info).si_addr() } as usize;
    // SAFETY: the map holding the faulting address is being read by the thread this
    // handler interrupted, so it stays mapped while the handler runs; `report` only calls
    // async-signal-safe functions.
    let ours = unsafe { runtime::mapped::path_at(addr, report) };
    if ours.is_some() {
        // Another thread is reporting and ending the process: wait for it.
        loop {
            // SAFETY: pause(2) is async-signal-safe.
            unsafe { libc::pause() };
        }
    }
    forward(sig, info, context);
}

/// Prints the error line for a fault in a map of the file `path` and ends the process with
/// status 1, unless another thread is already doing so.
fn report(path: &[u8]) {
    if REPORTING.swap(true, Ordering::SeqCst) {
        return;
    }
    // SAFETY: the files being created stay registered while the evaluation that faulted
    // runs; unlink(2) is async-signal-safe.
    unsafe { ooc::unfinished::remove_all() };
    write_all(BEFORE);
    write_all(path);
    write_all(AFTER);
    write_all(HINT.get().map_or(&b""[..], |h| h.as_bytes()));
    write_all(b"\n");
    // SAFETY: _exit(2) is async-signal-safe; no destructor or buffered output of this
    // process can be trusted after the fault, so none is run.
    unsafe { libc::_exit(1) };
}

/// Hands a fault that is not in a registered map to the previous disposition.
fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let previous = PREVIOUS.get().copied();
    match previous {
        Some(p) if p.sa_sigaction != libc::SIG_DFL && p.sa_sigaction != libc::SIG_IGN => {
            if p.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: with SA_SIGINFO, `sa_sigaction` holds a three-argument handler,
                // called with the arguments this handler received.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig, info, context);
            } else {
                // SAFETY: without SA_SIGINFO, `sa_sigaction` holds a one-argument handler.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig);
            }
        }
        _ => {
            // The default action: returning re-runs the faulting access, which now ends the
            // process with SIGBUS as if no handler had been installed.
            // SAFETY: signal(2) is async-signal-safe and SIG_DFL a valid disposition.
            unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
        }
    }
}

/// Writes all of `bytes` to standard error with write(2), the only way to print from a
/// signal handler.
fn write_all(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length; write(2) is async-signal-safe.
        let n = unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {
            continue;
        } else {
            return;
        }
    }
}
