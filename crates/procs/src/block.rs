//! A block of shared memory guarded by its own process-shared mutex: the
//! storage of [`crate::Lock`], [`crate::RLock`], [`crate::Value`] and
//! [`crate::Array`]. The mutex fills the first [`HEADER`] bytes; the data
//! follows, aligned to 64 bytes.

use std::os::fd::OwnedFd;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec;
use crate::error::{Error, Result};
use crate::mutex::{self, Kind};
use crate::shm::{Region, HEADER};

const _: () = assert!(std::mem::size_of::<libc::pthread_mutex_t>() <= HEADER);

/// Shared memory with a robust process-shared mutex in front.
#[derive(Debug)]
pub(crate) struct Block {
    region: Region,
}

impl Block {
    /// A new block with `data_len` zero bytes of data and a mutex of `kind`.
    pub(crate) fn create(data_len: usize, kind: Kind, what: &str) -> Result<Block> {
        let len = data_len
            .checked_add(HEADER)
            .ok_or_else(|| Error::Invalid(format!("{what}: {data_len} bytes is too large")))?;
        let region = Region::create(len, what)?;
        // SAFETY: the region is new, writable, page-aligned and at least
        // HEADER bytes long; no other process has it yet.
        unsafe { mutex::init(region.ptr().cast(), kind)? };
        Ok(Block { region })
    }

    /// The mutex.
    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        self.region.ptr().cast()
    }

    /// The first byte of the data.
    pub(crate) fn data(&self) -> *mut u8 {
        // SAFETY: the region is HEADER bytes longer than its data.
        unsafe { self.region.ptr().add(HEADER) }
    }

    /// The number of data bytes.
    pub(crate) fn data_len(&self) -> usize {
        self.region.len() - HEADER
    }

    /// Locks the mutex (see [`mutex::lock`]).
    pub(crate) fn lock(&self, timeout: Option<Duration>, what: &'static str) -> Result<()> {
        // SAFETY: the mutex was initialised by `create` (here or in the
        // process that sent the block) and the region stays mapped while
        // `self` lives.
        unsafe { mutex::lock(self.mutex(), timeout, what) }
    }

    /// Unlocks the mutex.
    ///
    /// # Safety
    /// The calling thread must hold it (a guard's drop).
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: initialised, mapped, and held (caller's contract).
        unsafe { mutex::unlock(self.mutex()) }
    }
}

impl Serialize for Block {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&FdRef(&self.region))?;
        t.serialize_element(&(self.region.len() as u64))?;
        t.end()
    }
}

/// Serializes a region's memfd through [`codec::serialize_fd`].
struct FdRef<'a>(&'a Region);

impl Serialize for FdRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        codec::serialize_fd(self.0.fd(), s)
    }
}

/// A received memfd.
struct FdOwned(OwnedFd);

impl<'de> Deserialize<'de> for FdOwned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        codec::deserialize_fd(d).map(FdOwned)
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (fd, len) = <(FdOwned, u64)>::deserialize(d)?;
        let len = usize::try_from(len).map_err(serde::de::Error::custom)?;
        if len < HEADER {
            return Err(serde::de::Error::custom(
                "a shared block shorter than its header",
            ));
        }
        Region::map(fd.0, len, "a shared object")
            .map(|region| Block { region })
            .map_err(serde::de::Error::custom)
    }
}
