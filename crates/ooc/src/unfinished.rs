//! The registry of the files this process is writing under a temporary name, so that a
//! program ending on a fatal signal can remove them.
//!
//! A file being created is written under a temporary name and removed on any error, but a
//! process that ends from a signal handler (a `SIGBUS` on a page of a mapped input that
//! cannot be read) runs no destructor. [`remove_all`] removes every registered temporary;
//! like [`runtime::mapped::path_at`] it neither locks nor allocates, so a signal handler may
//! call it. This crate registers the temporary of every file it creates for as long as it
//! is being written.

use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, Ordering};

/// How many files can be registered at once; a file created when every slot is taken is
/// not registered (a fatal signal then leaves its temporary, which the next creation of
/// the same file removes).
pub const CAPACITY: usize = 64;

/// The NUL-terminated paths of the registered temporaries (null: a free slot).
static SLOTS: [AtomicPtr<libc::c_char>; CAPACITY] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; CAPACITY];

/// A temporary's entry in the registry, removed when dropped.
#[derive(Debug)]
pub(crate) struct Registration {
    /// The slot taken, if one was free.
    slot: Option<usize>,
    /// The path the slot points at; it lives as long as the entry.
    _path: Option<CString>,
}

/// Records that the temporary `path` is being written, until the returned entry is dropped.
pub(crate) fn register(path: &Path) -> Registration {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = CString::new(path.as_os_str().as_bytes()) else {
        return Registration {
            slot: None,
            _path: None,
        };
    };
    let ptr = path.as_ptr().cast_mut();
    let slot = SLOTS.iter().position(|s| {
        s.compare_exchange(
            std::ptr::null_mut(),
            ptr,
            Ordering::AcqRel,
            Ordering::Relaxed,
        )
        .is_ok()
    });
    Registration {
        slot,
        _path: Some(path),
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            SLOTS[i].store(std::ptr::null_mut(), Ordering::Release);
        }
    }
}

/// Removes (unlinks) every registered temporary. Neither locks nor allocates, so a
/// signal handler may call it; errors (a temporary already gone) are ignored.
///
/// # Safety
/// No registration may be dropped while this runs: its path is freed with it. That holds
/// in a `SIGBUS` handler for a fault raised while this crate evaluates into a file it
/// creates, which keeps the file's registration alive until the evaluation returns.
pub unsafe fn remove_all() {
    for s in &SLOTS {
        let p = s.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: `p` is the NUL-terminated path of a live registration (the caller's
            // contract); unlink(2) is async-signal-safe.
            unsafe { libc::unlink(p) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_temporaries_are_removed_and_dropped_ones_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.tmp"), dir.path().join("b.tmp"));
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        let ra = register(&a);
        let rb = register(&b);
        drop(rb);
        // SAFETY: `ra` lives until after the call.
        unsafe { remove_all() };
        assert!(!a.exists());
        assert!(b.exists());
        drop(ra);
    }
}
