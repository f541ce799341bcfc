//! `Lock` and `RLock`: mutual exclusion between processes (and threads),
//! like `multiprocessing.Lock` and `multiprocessing.RLock`.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::block::Block;
use crate::error::Result;
use crate::mutex::Kind;

macro_rules! shared_lock {
    ($(#[$doc:meta])* $name:ident, $guard:ident, $kind:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub struct $name {
            block: Arc<Block>,
        }

        impl $name {
            /// A new, free lock in shared memory.
            pub fn new() -> Result<$name> {
                Ok($name {
                    block: Arc::new(Block::create(0, $kind, $what)?),
                })
            }

            /// Waits for the lock and holds it until the guard is dropped.
            /// A holder that died is [`crate::Error::OwnerDied`] (the lock
            /// is free again afterwards), never a hang.
            pub fn acquire(&self) -> Result<$guard<'_>> {
                self.block.lock(None, $what)?;
                Ok($guard { lock: self })
            }

            /// [`Self::acquire`], giving up after `timeout`
            /// ([`crate::Error::Timeout`]).
            pub fn acquire_timeout(&self, timeout: Duration) -> Result<$guard<'_>> {
                self.block.lock(Some(timeout), $what)?;
                Ok($guard { lock: self })
            }
        }

        /// Holds the lock; dropping it releases it.
        #[derive(Debug)]
        #[must_use = "the lock is released when the guard is dropped"]
        pub struct $guard<'a> {
            lock: &'a $name,
        }

        impl Drop for $guard<'_> {
            fn drop(&mut self) {
                // SAFETY: the guard exists only while this thread holds the lock.
                unsafe { self.lock.block.unlock() }
            }
        }
    };
}

shared_lock! {
    /// A lock shared by processes: the one that holds it excludes the
    /// others. Send it to a child as an argument (or share it with a forked
    /// one); clones are the same lock. Locking it again from the thread that
    /// holds it is an error rather than a deadlock.
    ///
    /// ```
    /// let lock = procs::Lock::new()?;
    /// {
    ///     let _held = lock.acquire()?;
    ///     assert!(lock.acquire_timeout(std::time::Duration::from_millis(1)).is_err());
    /// }
    /// drop(lock.acquire()?);
    /// # Ok::<(), procs::Error>(())
    /// ```
    Lock, LockGuard, Kind::Plain, "lock"
}

shared_lock! {
    /// A re-entrant lock shared by processes: the thread that holds it may
    /// take it again, and it is free after as many releases.
    ///
    /// ```
    /// let lock = procs::RLock::new()?;
    /// let outer = lock.acquire()?;
    /// let inner = lock.acquire()?;
    /// drop((inner, outer));
    /// # Ok::<(), procs::Error>(())
    /// ```
    RLock, RLockGuard, Kind::Recursive, "re-entrant lock"
}
