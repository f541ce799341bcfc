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

/// An error and its causes on one line, joined by `: ` (as `{err:#}`
/// does), leaving out a cause whose text its parent already ends with (an
/// error that prints its source, `cannot start worker 3: Too many open
/// files`) and folding a message that spans lines.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    let parts: Vec<&str> = line
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join(" ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    /// An error that prints its source, as thiserror's `{source}` does.
    #[derive(Debug)]
    struct Spawn(std::io::Error);

    impl fmt::Display for Spawn {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "cannot start worker 3: {}", self.0)
        }
    }

    impl std::error::Error for Spawn {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn causes_are_joined_once_on_one_line() {
        let err = anyhow!("inner").context("middle").context("outer");
        assert_eq!(error_line(&err), "outer: middle: inner");
        let io = std::io::Error::from_raw_os_error(24);
        let err = anyhow::Error::new(Spawn(io)).context("summer");
        assert_eq!(
            error_line(&err),
            "summer: cannot start worker 3: Too many open files (os error 24)"
        );
        let err = anyhow!("syntax error\n  a + * b\n      ^").context("parsing");
        assert_eq!(error_line(&err), "parsing: syntax error a + * b ^");
    }
}
