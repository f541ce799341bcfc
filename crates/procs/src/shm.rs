//! Shared memory: a memfd mapped `MAP_SHARED`, the same pages in every
//! process that maps it (a forked child inherits the mapping; a spawned one
//! receives the memfd and maps it).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

use crate::error::{Error, Result};

/// The header every shared object starts with: room for its
/// process-shared mutex, and the alignment of what follows.
pub(crate) const HEADER: usize = 64;

/// A shared mapping of `len` bytes of a memfd.
#[derive(Debug)]
pub(crate) struct Region {
    ptr: NonNull<u8>,
    len: usize,
    fd: OwnedFd,
}

// SAFETY: the region is plain memory shared by design; every access to its
// contents goes through the objects built on it, which synchronise with
// their process-shared mutex or document that they do not.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    /// A new zero-filled region of `len` bytes (at least one byte).
    pub(crate) fn create(len: usize, what: &str) -> Result<Region> {
        let name = c"hpcrs-procs";
        // SAFETY: `name` is a valid C string; the flags are valid.
        let raw = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(Error::last_os(format!(
                "creating the shared memory of {what}"
            )));
        }
        // SAFETY: memfd_create returned a new descriptor that we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let size = libc::off_t::try_from(len)
            .map_err(|_| Error::Invalid(format!("{what}: {len} bytes is too large")))?;
        // SAFETY: `fd` is an open memfd.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(Error::last_os(format!(
                "sizing the shared memory of {what} to {len} bytes"
            )));
        }
        Region::map(fd, len, what)
    }

    /// Maps `len` bytes of the memfd `fd` (received from another process).
    pub(crate) fn map(fd: OwnedFd, len: usize, what: &str) -> Result<Region> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `st` has room for a stat; `fd` is open.
        if unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) } != 0 {
            return Err(Error::last_os(format!(
                "inspecting the shared memory of {what}"
            )));
        }
        // SAFETY: fstat succeeded and filled `st`.
        let size = unsafe { st.assume_init() }.st_size;
        if len == 0 || (size as u64) < len as u64 {
            return Err(Error::Invalid(format!(
                "{what}: the shared memory has {size} bytes, not the {len} announced"
            )));
        }
        // SAFETY: a new shared mapping of an open memfd of at least `len`
        // bytes; the kernel picks the address.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::last_os(format!(
                "mapping {len} bytes of shared memory for {what}"
            )));
        }
        Ok(Region {
            ptr: NonNull::new(ptr.cast()).expect("mmap does not return null on success"),
            len,
            fd,
        })
    }

    /// The first byte.
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The memfd, to send to another process.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` is the mapping made in `map`, unmapped once;
        // objects built on the region borrow it, so none outlives it.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}
