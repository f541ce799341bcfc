//! The signal dispositions every subcommand starts with.

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
