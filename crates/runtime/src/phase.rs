//! Named phases: a library marks a stretch of its work ("diff2d steps", "a
//! dataset task") with a guard, and a profiler, when one is installed, gets
//! the exact count and times of each phase, per thread, the way cProfile
//! counts calls.
//!
//! With no [`Recorder`] installed, [`enter`] costs one relaxed atomic load
//! and the guard's drop a branch, so phases stay compiled in every build.
//! With one installed, each phase reads the clock on entry and exit and
//! tells the recorder, on the thread that ran it, its total time and its
//! own time (the total less the phases nested in it on the same thread).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use runtime::phase::{self, Recorder, Times};
//!
//! #[derive(Default)]
//! struct Names(Mutex<Vec<&'static str>>);
//! impl Recorder for Names {
//!     fn end(&self, name: &'static str, _times: Times) {
//!         self.0.lock().unwrap().push(name);
//!     }
//! }
//!
//! let names = Arc::new(Names::default());
//! let installed = phase::install(names.clone())?;
//! {
//!     let _outer = phase::enter("outer");
//!     let _inner = phase::enter("inner");
//! }
//! drop(installed);
//! let _unrecorded = phase::enter("after");
//! assert_eq!(*names.0.lock().unwrap(), ["inner", "outer"]);
//! # Ok::<(), phase::AlreadyInstalled>(())
//! ```

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The times of one finished phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// From entry to exit.
    pub total: Duration,
    /// The total less the time of the phases nested in this one on the same
    /// thread (cProfile's `tottime` beside `cumtime`).
    pub own: Duration,
}

/// What receives the phases while installed. Both methods run on the
/// thread of the phase, inside it: they should be quick.
pub trait Recorder: Send + Sync {
    /// Called when a phase begins, before its clock starts.
    fn begin(&self, name: &'static str) {
        let _ = name;
    }

    /// Called when a phase ends, after its clock stopped.
    fn end(&self, name: &'static str, times: Times);
}

/// [`install`] was called while another recorder was installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a phase recorder is already installed (one profiler at a time)")]
pub struct AlreadyInstalled;

/// Whether a recorder is installed: the one load [`enter`] always makes.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The installed recorder.
static RECORDER: RwLock<Option<Arc<dyn Recorder>>> = RwLock::new(None);

thread_local! {
    /// For each phase open on this thread, innermost last: the time spent
    /// so far in phases nested in it.
    static NESTED: RefCell<Vec<Duration>> = const { RefCell::new(Vec::new()) };
}

/// Installs `recorder` until the returned guard is dropped.
pub fn install(recorder: Arc<dyn Recorder>) -> Result<Installed, AlreadyInstalled> {
    let mut slot = RECORDER.write().unwrap_or_else(PoisonError::into_inner);
    if slot.is_some() {
        return Err(AlreadyInstalled);
    }
    *slot = Some(recorder);
    ACTIVE.store(true, Ordering::Release);
    Ok(Installed {
        _private: PhantomData,
    })
}

/// Whether a recorder is installed now.
pub fn is_recording() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Keeps a recorder installed; dropping it uninstalls the recorder. Phases
/// open at that moment still report their end to it.
#[derive(Debug)]
#[must_use = "the recorder is uninstalled when this guard is dropped"]
pub struct Installed {
    _private: PhantomData<()>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let mut slot = RECORDER.write().unwrap_or_else(PoisonError::into_inner);
        ACTIVE.store(false, Ordering::Release);
        *slot = None;
    }
}

/// Begins the phase `name`; it ends when the returned guard is dropped.
///
/// ```
/// fn step_batch() {
///     let _phase = runtime::phase::enter("diff2d steps");
///     // ... the work of the phase ...
/// }
/// # step_batch();
/// ```
#[inline]
pub fn enter(name: &'static str) -> Phase {
    if !ACTIVE.load(Ordering::Relaxed) {
        return Phase {
            open: None,
            _one_thread: PhantomData,
        };
    }
    Phase {
        open: open(name),
        _one_thread: PhantomData,
    }
}

/// Runs `work` as the phase `name`.
///
/// ```
/// let sum = runtime::phase::scope("sum", || (1..=10).sum::<u32>());
/// assert_eq!(sum, 55);
/// ```
#[inline]
pub fn scope<T>(name: &'static str, work: impl FnOnce() -> T) -> T {
    let _phase = enter(name);
    work()
}

/// The slow half of [`enter`], out of line: a recorder is installed.
#[cold]
#[inline(never)]
fn open(name: &'static str) -> Option<Open> {
    let recorder = RECORDER
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()?;
    recorder.begin(name);
    let depth = NESTED.with(|nested| {
        let mut nested = nested.borrow_mut();
        nested.push(Duration::ZERO);
        nested.len() - 1
    });
    Some(Open {
        name,
        depth,
        recorder,
        start: Instant::now(),
    })
}

/// A phase in progress; dropping it ends the phase. It stays on the thread
/// that began it, whose nesting it is part of.
#[must_use = "the phase ends when this guard is dropped: bind it with `let _phase = ...`"]
pub struct Phase {
    open: Option<Open>,
    _one_thread: PhantomData<*const ()>,
}

impl std::fmt::Debug for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phase")
            .field("name", &self.open.as_ref().map(|o| o.name))
            .finish()
    }
}

/// A phase begun while a recorder was installed.
struct Open {
    name: &'static str,
    /// Its place in this thread's [`NESTED`] stack.
    depth: usize,
    recorder: Arc<dyn Recorder>,
    start: Instant,
}

impl Drop for Phase {
    #[inline]
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            close(open);
        }
    }
}

/// Ends an open phase: its own time is its total less what nested phases
/// took, and its total counts as nested time of the phase around it.
#[cold]
#[inline(never)]
fn close(open: Open) {
    let total = open.start.elapsed();
    let nested = NESTED.with(|nested| {
        let mut nested = nested.borrow_mut();
        // A guard leaked with `mem::forget` leaves its entry above ours.
        nested.truncate(open.depth + 1);
        let inside = nested.pop().unwrap_or_default();
        if let Some(parent) = nested.last_mut() {
            *parent += total;
        }
        inside
    });
    let own = total.saturating_sub(nested);
    open.recorder.end(open.name, Times { total, own });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The tests of this module share the one global recorder slot.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[derive(Default)]
    struct Log {
        begun: Mutex<Vec<&'static str>>,
        ended: Mutex<Vec<(&'static str, Times)>>,
    }

    impl Recorder for Log {
        fn begin(&self, name: &'static str) {
            self.begun.lock().unwrap().push(name);
        }
        fn end(&self, name: &'static str, times: Times) {
            self.ended.lock().unwrap().push((name, times));
        }
    }

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[test]
    fn nothing_is_recorded_without_a_recorder() {
        let _serial = serial();
        assert!(!is_recording());
        let p = enter("x");
        assert!(p.open.is_none());
    }

    #[test]
    fn nested_phases_split_own_and_total_time() {
        let _serial = serial();
        let log = Arc::new(Log::default());
        let installed = install(log.clone()).unwrap();
        {
            let _outer = enter("outer");
            std::thread::sleep(Duration::from_millis(20));
            for _ in 0..3 {
                let _inner = enter("inner");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        drop(installed);
        let ended = log.ended.lock().unwrap();
        let names: Vec<_> = ended.iter().map(|e| e.0).collect();
        assert_eq!(names, ["inner", "inner", "inner", "outer"]);
        assert_eq!(
            *log.begun.lock().unwrap(),
            ["outer", "inner", "inner", "inner"]
        );
        let inner_total: Duration = ended[..3].iter().map(|e| e.1.total).sum();
        let outer = ended[3].1;
        assert!(inner_total >= Duration::from_millis(30));
        assert_eq!(outer.own, outer.total - inner_total);
        assert!(outer.own >= Duration::from_millis(20));
        for (_, t) in &ended[..3] {
            assert_eq!(t.own, t.total);
        }
    }

    #[test]
    fn one_recorder_at_a_time_and_uninstall_stops_recording() {
        let _serial = serial();
        let log = Arc::new(Log::default());
        let installed = install(log.clone()).unwrap();
        assert!(is_recording());
        assert_eq!(
            install(Arc::new(Log::default())).unwrap_err(),
            AlreadyInstalled
        );
        // A phase open at uninstall still reports its end.
        let open = enter("spanning");
        drop(installed);
        assert!(!is_recording());
        drop(open);
        drop(enter("after"));
        let names: Vec<_> = log.ended.lock().unwrap().iter().map(|e| e.0).collect();
        assert_eq!(names, ["spanning"]);
        // The slot is free again.
        drop(install(Arc::new(Log::default())).unwrap());
    }

    #[test]
    fn phases_on_other_threads_nest_separately() {
        let _serial = serial();
        let log = Arc::new(Log::default());
        let installed = install(log.clone()).unwrap();
        let _outer = enter("main");
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| scope("worker", || std::thread::sleep(Duration::from_millis(5))));
            }
        });
        drop(_outer);
        drop(installed);
        let ended = log.ended.lock().unwrap();
        assert_eq!(ended.iter().filter(|e| e.0 == "worker").count(), 4);
        let main = ended.iter().find(|e| e.0 == "main").unwrap().1;
        // Workers ran on other threads: none of their time is nested in main.
        assert_eq!(main.own, main.total);
    }

    #[test]
    fn a_forgotten_guard_does_not_corrupt_the_nesting() {
        let _serial = serial();
        let log = Arc::new(Log::default());
        let installed = install(log.clone()).unwrap();
        {
            let _outer = enter("outer");
            std::mem::forget(enter("leaked"));
            let _inner = enter("inner");
        }
        drop(installed);
        let names: Vec<_> = log.ended.lock().unwrap().iter().map(|e| e.0).collect();
        assert_eq!(names, ["inner", "outer"]);
        NESTED.with(|n| assert!(n.borrow().is_empty()));
    }
}
