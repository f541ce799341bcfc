//! A file-size limit (`ulimit -f`) ends `ooc create` with an error, not a signal.
//!
//! Extending or writing a file past `RLIMIT_FSIZE` raises `SIGXFSZ`, whose default action
//! ends the process without a word. Ignored, the same call fails with `EFBIG`, which
//! `ooc create` reports (before writing anything: it probes the size first) and cleans up
//! after.

/// Ignores `SIGXFSZ` for the rest of the process.
pub fn errors_not_signals() {
    // SAFETY: SIG_IGN is a valid disposition for SIGXFSZ, and signal(2) has no other effect.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}
