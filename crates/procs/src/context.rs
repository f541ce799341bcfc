//! How children are started: [`Context`] and [`StartMethod`].

use std::path::{Path, PathBuf};

/// How a child process is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartMethod {
    /// Start this program again (`posix_spawn`/`exec`), with a hidden
    /// argument that makes it run the function and exit: safe whatever
    /// threads the parent runs. The default.
    #[default]
    Spawn,
    /// `fork()`: the child is a copy of the parent and runs the function
    /// directly. Allowed only while the parent runs a single thread (a
    /// child of a threaded parent inherits locks held by threads it does
    /// not have).
    Fork,
}

impl StartMethod {
    /// The name, as in Python's `multiprocessing.set_start_method`.
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Spawn => "spawn",
            StartMethod::Fork => "fork",
        }
    }
}

impl std::fmt::Display for StartMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts the threads of the calling process, for the `fork` check. The
/// library does not read `/proc` itself: the program provides this (on
/// Linux, the `Threads:` line of `/proc/self/status`).
pub type ThreadCounter = fn() -> std::io::Result<usize>;

/// Where children come from: the program a spawned child runs (normally
/// this one, `std::env::current_exe()`), the start method, and how to count
/// threads for `fork`.
///
/// ```
/// use procs::{Context, StartMethod};
/// let ctx = Context::new("/usr/bin/myprogram").with_start_method(StartMethod::Fork);
/// assert_eq!(ctx.start_method(), StartMethod::Fork);
/// ```
#[derive(Debug, Clone)]
pub struct Context {
    program: PathBuf,
    start: StartMethod,
    threads: Option<ThreadCounter>,
}

impl Context {
    /// Children that run `program` (which must call
    /// [`crate::child::run_if_child`] first thing), started with
    /// [`StartMethod::Spawn`].
    pub fn new(program: impl Into<PathBuf>) -> Context {
        Context {
            program: program.into(),
            start: StartMethod::Spawn,
            threads: None,
        }
    }

    /// The same, started with `method`.
    pub fn with_start_method(mut self, method: StartMethod) -> Context {
        self.start = method;
        self
    }

    /// The same, counting threads with `counter` before each `fork`.
    pub fn with_thread_counter(mut self, counter: ThreadCounter) -> Context {
        self.threads = Some(counter);
        self
    }

    /// The start method.
    pub fn start_method(&self) -> StartMethod {
        self.start
    }

    /// The program spawned children run.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The thread counter, if any.
    pub(crate) fn thread_counter(&self) -> Option<ThreadCounter> {
        self.threads
    }
}
