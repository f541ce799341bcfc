//! Where the subcommands write: standard output through a locked handle,
//! where a failure (a full disk, a closed descriptor) is an error naming the
//! stream, `hpcrs: error: writing to standard output: No space left on
//! device (os error 28)`, instead of `println!`'s panic; and notes on
//! standard error, whose failure has nowhere left to be reported.

use std::fmt;
use std::io::Write;

use anyhow::Context;

/// The context of an error writing to standard output.
#[derive(Debug)]
pub struct WritingStdout;

impl fmt::Display for WritingStdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("writing to standard output")
    }
}

/// Writes `line` and a newline to standard output (see [`outln!`]).
pub fn write_line(line: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context(WritingStdout)
}

/// Writes `text` as it is to standard output and flushes it, for text that
/// need not end with a newline.
pub fn write_str(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context(WritingStdout)
}

/// Flushes standard output, so that a failure of its last bytes is an
/// error too and not lost when the program exits.
pub fn flush() -> anyhow::Result<()> {
    std::io::stdout().lock().flush().context(WritingStdout)
}

/// Writes `line` and a newline to standard error (see [`noteln!`]). A
/// failure is ignored: standard error is where it would be reported.
pub fn note(line: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `println!` that returns an error instead of panicking when standard
/// output fails: `outln!("{x}")?`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics ([`note`]).
macro_rules! noteln {
    ($($arg:tt)*) => {
        $crate::output::note(format_args!($($arg)*))
    };
}

pub(crate) use {noteln, outln};
