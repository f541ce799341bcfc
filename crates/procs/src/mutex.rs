//! A process-shared, robust pthread mutex living in shared memory: what
//! [`crate::Lock`], [`crate::RLock`] and the shared values lock with.
//!
//! Robust: when the process (or thread) holding it dies, the next one to
//! lock gets `EOWNERDEAD` instead of waiting for ever. That is reported as
//! [`Error::OwnerDied`]; the mutex is marked consistent and released first,
//! so it works again afterwards. Error-checking (or recursive, for `RLock`):
//! a thread locking a plain lock it already holds gets an error, not a
//! deadlock.

use std::time::Duration;

use crate::error::{Error, Result};

/// What kind of mutex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Locking it twice from one thread is an error.
    Plain,
    /// One thread may lock it again; it is free after as many unlocks.
    Recursive,
}

/// Initialises a mutex of `kind` at `m`.
///
/// # Safety
/// `m` must point to writable, suitably aligned memory for a
/// `pthread_mutex_t` that no process uses yet.
pub(crate) unsafe fn init(m: *mut libc::pthread_mutex_t, kind: Kind) -> Result<()> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    let kind = match kind {
        Kind::Plain => libc::PTHREAD_MUTEX_ERRORCHECK,
        Kind::Recursive => libc::PTHREAD_MUTEX_RECURSIVE,
    };
    // SAFETY: `attr` is initialised by pthread_mutexattr_init before use and
    // destroyed after; `m` is valid per the caller.
    let rc = unsafe {
        let a = attr.as_mut_ptr();
        let mut rc = libc::pthread_mutexattr_init(a);
        if rc == 0 {
            rc = libc::pthread_mutexattr_setpshared(a, libc::PTHREAD_PROCESS_SHARED);
            if rc == 0 {
                rc = libc::pthread_mutexattr_setrobust(a, libc::PTHREAD_MUTEX_ROBUST);
            }
            if rc == 0 {
                rc = libc::pthread_mutexattr_settype(a, kind);
            }
            if rc == 0 {
                rc = libc::pthread_mutex_init(m, a);
            }
            libc::pthread_mutexattr_destroy(a);
        }
        rc
    };
    check(rc, "initialising a process-shared mutex")
}

/// Locks the mutex at `m`, waiting at most `timeout` (`None`: for ever).
/// `what` names the object in errors.
///
/// # Safety
/// `m` must point to a mutex initialised by [`init`] that stays mapped for
/// the duration of the call.
pub(crate) unsafe fn lock(
    m: *mut libc::pthread_mutex_t,
    timeout: Option<Duration>,
    what: &'static str,
) -> Result<()> {
    let rc = match timeout {
        // SAFETY: `m` is an initialised mutex (caller's contract).
        None => unsafe { libc::pthread_mutex_lock(m) },
        Some(t) => {
            let at = realtime_after(t);
            // SAFETY: as above; `at` is a valid timespec.
            unsafe { libc::pthread_mutex_timedlock(m, &at) }
        }
    };
    match rc {
        0 => Ok(()),
        libc::EOWNERDEAD => {
            // SAFETY: we hold the mutex (EOWNERDEAD hands it over); marking
            // it consistent then unlocking makes it usable again.
            unsafe {
                libc::pthread_mutex_consistent(m);
                libc::pthread_mutex_unlock(m);
            }
            Err(Error::OwnerDied { what })
        }
        libc::ENOTRECOVERABLE => Err(Error::OwnerDied { what }),
        libc::ETIMEDOUT => Err(Error::Timeout {
            what,
            after: timeout.unwrap_or_default(),
        }),
        libc::EDEADLK => Err(Error::Invalid(format!(
            "{what}: this thread already holds it (a plain lock is not re-entrant; use an RLock)"
        ))),
        rc => check(rc, what),
    }
}

/// Unlocks the mutex at `m`.
///
/// # Safety
/// `m` must point to an initialised mutex that this thread holds.
pub(crate) unsafe fn unlock(m: *mut libc::pthread_mutex_t) {
    // SAFETY: the caller holds the mutex.
    unsafe { libc::pthread_mutex_unlock(m) };
}

/// The `CLOCK_REALTIME` time `after` from now, which `pthread_mutex_timedlock`
/// and `sem_timedwait` take.
pub(crate) fn realtime_after(after: Duration) -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    let secs = after.as_secs().min(i32::MAX as u64) as libc::time_t;
    let mut at = libc::timespec {
        tv_sec: now.tv_sec.saturating_add(secs),
        tv_nsec: now.tv_nsec + after.subsec_nanos() as libc::c_long,
    };
    if at.tv_nsec >= 1_000_000_000 {
        at.tv_sec += 1;
        at.tv_nsec -= 1_000_000_000;
    }
    at
}

/// An error for a pthread return code.
fn check(rc: libc::c_int, what: &str) -> Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::io(what, std::io::Error::from_raw_os_error(rc)))
    }
}
