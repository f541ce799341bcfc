//! Functions that run in child processes, named so that a spawned child
//! (a fresh copy of the program) can find them: [`Func`] and [`Registry`].

use std::any::Any;
use std::collections::HashMap;
use std::os::fd::{OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec;
use crate::error::{Error, Result};
use crate::protocol::Reply;

/// A function a child process can run: a name, unique in the program, and
/// a plain `fn` taking its arguments as one serde value (a tuple for
/// several) and returning a serde value.
///
/// ```
/// const SQUARE: procs::Func<u64, u64> = procs::Func::new("square", |x| x * x);
/// assert_eq!(SQUARE.call(7), 49);
/// assert_eq!(SQUARE.name(), "square");
/// ```
pub struct Func<A, R> {
    name: &'static str,
    f: fn(A) -> R,
}

impl<A, R> Clone for Func<A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, R> Copy for Func<A, R> {}

impl<A, R> std::fmt::Debug for Func<A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Func({})", self.name)
    }
}

impl<A, R> Func<A, R> {
    /// The function `f` under `name`.
    pub const fn new(name: &'static str, f: fn(A) -> R) -> Func<A, R> {
        Func { name, f }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Calls it here, in this process.
    pub fn call(&self, args: A) -> R {
        (self.f)(args)
    }
}

/// What a registered function answered, and what must live until the
/// answer is sent (the result, whose shared objects' descriptors go with it).
pub(crate) struct Answer {
    pub(crate) reply: Reply,
    pub(crate) fds: Vec<RawFd>,
    pub(crate) _keep: Option<Box<dyn Any>>,
}

impl Answer {
    /// An answer without a value.
    pub(crate) fn bare(reply: Reply) -> Answer {
        Answer {
            reply,
            fds: Vec::new(),
            _keep: None,
        }
    }
}

/// A registered function, its types erased: called with encoded arguments.
type Erased = Box<dyn Fn(&[u8], Vec<OwnedFd>) -> Answer + Send + Sync>;

/// One function's two ways of being called.
struct Entry {
    /// One call: the arguments are one `A`.
    one: Erased,
    /// A pool's chunk: the arguments are a `Vec<A>`, the answer a `Vec<R>`
    /// (or the offset of the item that panicked).
    chunk: Erased,
}

/// The functions a program's children can run, by name. The program builds
/// it in `main` and hands it to [`crate::child::run_if_child`] first thing:
/// a spawned child is the program started again, and finds its function
/// here.
#[derive(Default)]
pub struct Registry {
    entries: HashMap<&'static str, Entry>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.entries.keys().collect();
        names.sort();
        f.debug_struct("Registry")
            .field("functions", &names)
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `func`; a second function under the same name is an error.
    pub fn add<A, R>(&mut self, func: Func<A, R>) -> Result<&mut Registry>
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
    {
        if self.entries.contains_key(func.name) {
            return Err(Error::DuplicateFunction(func.name.to_string()));
        }
        let f = func.f;
        let one: Erased = Box::new(move |bytes, fds| {
            let args: A = match codec::decode(bytes, fds, "the arguments") {
                Ok(a) => a,
                Err(e) => return Answer::bare(Reply::Failed(e.to_string())),
            };
            match catch_unwind(AssertUnwindSafe(|| f(args))) {
                Ok(result) => encoded(result),
                Err(p) => Answer::bare(Reply::Panicked {
                    offset: 0,
                    message: runtime::panic::panic_message(&*p),
                }),
            }
        });
        let chunk: Erased = Box::new(move |bytes, fds| {
            let items: Vec<A> = match codec::decode(bytes, fds, "the tasks' arguments") {
                Ok(a) => a,
                Err(e) => return Answer::bare(Reply::Failed(e.to_string())),
            };
            let mut results = Vec::with_capacity(items.len());
            for (offset, item) in items.into_iter().enumerate() {
                match catch_unwind(AssertUnwindSafe(|| f(item))) {
                    Ok(r) => results.push(r),
                    Err(p) => {
                        return Answer::bare(Reply::Panicked {
                            offset,
                            message: runtime::panic::panic_message(&*p),
                        })
                    }
                }
            }
            encoded(results)
        });
        self.entries.insert(func.name, Entry { one, chunk });
        Ok(self)
    }

    /// Whether a function is registered under `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Runs `name` once on encoded arguments.
    pub(crate) fn call_one(&self, name: &str, bytes: &[u8], fds: Vec<OwnedFd>) -> Answer {
        match self.entries.get(name) {
            Some(e) => (e.one)(bytes, fds),
            None => Answer::bare(Reply::Failed(
                Error::UnknownFunction(name.to_string()).to_string(),
            )),
        }
    }

    /// Runs `name` on each of a chunk of encoded arguments.
    pub(crate) fn call_chunk(&self, name: &str, bytes: &[u8], fds: Vec<OwnedFd>) -> Answer {
        match self.entries.get(name) {
            Some(e) => (e.chunk)(bytes, fds),
            None => Answer::bare(Reply::Failed(
                Error::UnknownFunction(name.to_string()).to_string(),
            )),
        }
    }
}

/// The answer carrying `result`, encoded with its shared objects.
pub(crate) fn encoded<R: Serialize + 'static>(result: R) -> Answer {
    match codec::encode(&result, "the result") {
        Ok((bytes, fds)) => Answer {
            reply: Reply::Done(bytes),
            fds,
            _keep: Some(Box::new(result)),
        },
        Err(e) => Answer::bare(Reply::Failed(e.to_string())),
    }
}
