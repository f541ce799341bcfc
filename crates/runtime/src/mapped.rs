//! The registry of this process's live file maps: which address range holds which file.
//!
//! A page of a memory-mapped file that the kernel cannot read (the file was truncated
//! while being read, or it is a sparse file on a full `tmpfs`) is not an error a read can
//! return: the access raises `SIGBUS`, which ends the process without a word. A library
//! must not install signal handlers (they are process-wide state), so the crates that map
//! files (`ooc`, `dataset`) only record here, for every map they make, the address range
//! and the file's path; a program that wants a message installs its own `SIGBUS` handler
//! and asks [`path_at`] which file the faulting address belongs to.
//!
//! The registry is a fixed array of slots, each guarded by a sequence number (a seqlock):
//! registering and looking up never lock or allocate, so a lookup is safe inside a signal
//! handler, and a lookup that races with a registration sees either the old or the new
//! entry, never a mix.

use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering};

/// How many maps can be registered at once: one chunk map per worker thread of the largest
/// pool, plus room for whole-file maps. A map made when every slot is taken is simply not
/// registered: a fault in it ends the process as if there were no registry.
pub const CAPACITY: usize = crate::pool::MAX_THREADS + 64;

/// The phase of a slot is its sequence number modulo 4.
const FREE: usize = 0;
/// Being filled in by [`register`].
const WRITING: usize = 1;
/// Holding a live map.
const LIVE: usize = 2;
// 3: being cleared by the registration's drop; the next phase is FREE again.

/// One registered map.
struct Slot {
    /// Sequence number; its phase (modulo 4) says whether the fields below can be read.
    seq: AtomicUsize,
    /// First address of the map.
    start: AtomicUsize,
    /// One past its last address.
    end: AtomicUsize,
    /// The file's path, as bytes owned by the [`Registration`].
    path: AtomicPtr<u8>,
    /// Length of the path in bytes.
    path_len: AtomicUsize,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            seq: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            path: AtomicPtr::new(std::ptr::null_mut()),
            path_len: AtomicUsize::new(0),
        }
    }
}

static SLOTS: [Slot; CAPACITY] = [const { Slot::new() }; CAPACITY];

/// Every slot ever used is below this index, so that a lookup scans only those.
static HIGH_WATER: AtomicUsize = AtomicUsize::new(0);

/// A map's entry in the registry, removed when dropped.
#[derive(Debug)]
pub struct Registration {
    /// The slot taken, if one was free.
    slot: Option<usize>,
    /// The path bytes the slot points at; they live as long as the entry.
    _path: Box<[u8]>,
}

/// Records that `len` bytes at `start` map the file `path`, until the returned entry is
/// dropped.
pub fn register(start: *const u8, len: usize, path: &Path) -> Registration {
    use std::os::unix::ffi::OsStrExt;
    let path: Box<[u8]> = path.as_os_str().as_bytes().into();
    let slot = SLOTS.iter().position(|s| {
        let seq = s.seq.load(Ordering::Relaxed);
        seq % 4 == FREE
            && s.seq
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    });
    if let Some(i) = slot {
        let s = &SLOTS[i];
        HIGH_WATER.fetch_max(i + 1, Ordering::Relaxed);
        let start = start as usize;
        s.start.store(start, Ordering::Relaxed);
        s.end.store(start.saturating_add(len), Ordering::Relaxed);
        s.path.store(path.as_ptr().cast_mut(), Ordering::Relaxed);
        s.path_len.store(path.len(), Ordering::Relaxed);
        // Publishes the fields: a reader that sees LIVE sees them.
        let seq = s.seq.load(Ordering::Relaxed);
        debug_assert_eq!(seq % 4, WRITING);
        s.seq.store(seq + 1, Ordering::Release);
    }
    Registration { slot, _path: path }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(i) = self.slot else { return };
        let s = &SLOTS[i];
        let seq = s.seq.load(Ordering::Relaxed);
        debug_assert_eq!(seq % 4, LIVE);
        s.seq.store(seq + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        s.start.store(0, Ordering::Relaxed);
        s.end.store(0, Ordering::Relaxed);
        s.path.store(std::ptr::null_mut(), Ordering::Relaxed);
        s.path_len.store(0, Ordering::Relaxed);
        s.seq.store(seq + 2, Ordering::Release);
    }
}

/// Calls `f` with the path (as bytes) of the file whose registered map holds the address
/// `addr`; `None` if no registered map holds it.
///
/// Neither locks nor allocates, so a `SIGBUS` handler may call it. Maps are registered
/// after they are made and unregistered before they are unmapped.
///
/// # Safety
/// The map holding `addr`, if any, must stay mapped until this returns: its path bytes are
/// freed with it. That holds in a `SIGBUS` handler asking about the faulting address of a
/// fault raised by the reading of a registered map, since the thread that faulted is
/// inside that reading, which keeps the map alive.
pub unsafe fn path_at<R>(addr: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let high = HIGH_WATER.load(Ordering::Relaxed).min(CAPACITY);
    for s in &SLOTS[..high] {
        let before = s.seq.load(Ordering::Acquire);
        if before % 4 != LIVE {
            continue;
        }
        let start = s.start.load(Ordering::Relaxed);
        let end = s.end.load(Ordering::Relaxed);
        let path = s.path.load(Ordering::Relaxed);
        let len = s.path_len.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if s.seq.load(Ordering::Relaxed) != before || path.is_null() {
            continue; // changed while being read: not a consistent entry
        }
        if (start..end).contains(&addr) {
            // SAFETY: the entry was live and consistent, so `path` points at the `len` path
            // bytes its registration owns; the caller guarantees that the registration, which
            // lives as long as the map holding `addr`, is not dropped before this returns.
            let bytes = unsafe { std::slice::from_raw_parts(path, len) };
            return Some(f(bytes));
        }
    }
    None
}

/// A memory map of a file, registered (see [`path_at`]) for as long as it is mapped.
#[derive(Debug)]
pub struct Registered<M> {
    /// Dropped first (fields drop in order): the entry goes before the map it describes.
    _entry: Registration,
    map: M,
}

impl<M: Deref<Target = [u8]>> Registered<M> {
    /// Registers `map`, which maps the file `path`.
    pub fn new(map: M, path: &Path) -> Registered<M> {
        let entry = register(map.as_ptr(), map.len(), path);
        Registered { _entry: entry, map }
    }
}

impl<M> Deref for Registered<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.map
    }
}

impl<M> std::ops::DerefMut for Registered<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The tests of this module look at the whole registry: one at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn lookup(addr: usize) -> Option<Vec<u8>> {
        // SAFETY: the registrations asked about are alive for the whole test.
        unsafe { path_at(addr, |p| p.to_vec()) }
    }

    #[test]
    fn finds_the_file_of_an_address_while_it_is_registered() {
        let _one = ONE_AT_A_TIME.lock().unwrap();
        let a = [0u8; 100];
        let b = [0u8; 10];
        let ra = register(a.as_ptr(), a.len(), Path::new("/data/a.npy"));
        let rb = register(b.as_ptr(), b.len(), Path::new("b.npy"));
        let at = |s: &[u8], i: usize| s.as_ptr() as usize + i;
        assert_eq!(lookup(at(&a, 0)).unwrap(), b"/data/a.npy");
        assert_eq!(lookup(at(&a, 99)).unwrap(), b"/data/a.npy");
        assert_eq!(lookup(at(&b, 5)).unwrap(), b"b.npy");
        drop(ra);
        assert_eq!(lookup(at(&a, 0)), None);
        assert_eq!(lookup(at(&b, 9)).unwrap(), b"b.npy");
        drop(rb);
        assert_eq!(lookup(at(&b, 9)), None);
    }

    #[test]
    fn slots_are_reused_and_a_full_registry_registers_nothing() {
        let _one = ONE_AT_A_TIME.lock().unwrap();
        let x = [0u8; 8];
        let all: Vec<Registration> = (0..CAPACITY)
            .map(|_| register(x.as_ptr(), 8, Path::new("x")))
            .collect();
        // Other tests may hold slots too: at most CAPACITY of these got one.
        let extra = register(x.as_ptr(), 8, Path::new("x"));
        assert!(extra.slot.is_none());
        drop(all);
        let again = register(x.as_ptr(), 8, Path::new("again"));
        assert!(again.slot.is_some());
    }
}
