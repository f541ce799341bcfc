//! The table the signal handler counts stacks in: a fixed array of slots,
//! open addressing keyed by a hash of the thread and the stack, filled with
//! atomic operations only (no lock, no allocation), as a signal handler
//! must. Its memory is allocated zeroed, so the kernel commits only the
//! pages of slots in use.

use std::alloc::{self, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// The deepest stack recorded (frames beyond it are left out).
pub(crate) const DEPTH: usize = 126;

/// Distinct stacks the table holds; samples of further stacks are counted
/// as dropped.
pub(crate) const SLOTS: usize = 1 << 15;

/// Slots tried before a sample is dropped.
const MAX_PROBES: usize = 64;

/// The bytes of a thread name the kernel keeps (with its NUL).
pub(crate) const NAME: usize = 16;

/// One distinct stack of one thread.
#[repr(C)]
struct Slot {
    /// The stack's hash (never 0); 0 while the slot is free.
    key: AtomicU64,
    /// Set once the thread, name and stack are written.
    ready: AtomicBool,
    count: AtomicU64,
    thread: UnsafeCell<u64>,
    name: UnsafeCell<[u8; NAME]>,
    len: UnsafeCell<usize>,
    ips: UnsafeCell<[usize; DEPTH]>,
}

/// A stack read back from the table.
pub(crate) struct Entry {
    pub thread: u64,
    pub name: [u8; NAME],
    pub ips: Vec<usize>,
    pub count: u64,
}

/// The table.
pub(crate) struct Table {
    slots: *mut Slot,
    /// The indices of the slots claimed, in the order they were claimed
    /// (the first `claimed` of them), so that reading the table does not
    /// touch the pages of free slots.
    order: Box<[AtomicU32]>,
    claimed: AtomicUsize,
}

// SAFETY: the cells of a slot are written only by the one thread whose
// compare-exchange claimed the slot, before it sets `ready` (release); they
// are read only by `entries`, which needs `&mut self` and so runs when no
// handler holds the table any more.
unsafe impl Sync for Table {}
// SAFETY: as above; the table owns its slots.
unsafe impl Send for Table {}

impl Table {
    fn layout() -> Layout {
        Layout::array::<Slot>(SLOTS).expect("the table's size fits in memory")
    }

    /// An empty table, or `None` if the memory cannot be had.
    pub fn new() -> Option<Table> {
        // SAFETY: the layout is not zero-sized. All-zero bytes are a valid
        // `Slot` (atomics and integers at 0, `ready` false): a free slot.
        let slots = unsafe { alloc::alloc_zeroed(Self::layout()) } as *mut Slot;
        (!slots.is_null()).then(|| Table {
            slots,
            order: (0..SLOTS).map(|_| AtomicU32::new(0)).collect(),
            claimed: AtomicUsize::new(0),
        })
    }

    fn slot(&self, i: usize) -> &Slot {
        debug_assert!(i < SLOTS);
        // SAFETY: `i < SLOTS` (callers mask with SLOTS - 1) and the table
        // holds SLOTS initialised slots until it is dropped.
        unsafe { &*self.slots.add(i) }
    }

    /// Counts one sample of `ips` on `thread`. Async-signal-safe: atomics
    /// only. `false` if the table has no room for a new stack.
    pub fn insert(&self, thread: u64, name: &[u8; NAME], ips: &[usize]) -> bool {
        let ips = &ips[..ips.len().min(DEPTH)];
        let key = hash(thread, ips) | 1;
        for probe in 0..MAX_PROBES {
            let slot = self.slot((key as usize).wrapping_add(probe) & (SLOTS - 1));
            let mut found = slot.key.load(Ordering::Acquire);
            if found == 0 {
                match slot
                    .key
                    .compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => {
                        let n = self.claimed.fetch_add(1, Ordering::Relaxed);
                        self.order[n].store(
                            ((key as usize).wrapping_add(probe) & (SLOTS - 1)) as u32,
                            Ordering::Relaxed,
                        );
                        // SAFETY: the compare-exchange made this thread the
                        // slot's only writer, and no reader looks at it
                        // before `ready` (see `Sync` above).
                        unsafe {
                            *slot.thread.get() = thread;
                            *slot.name.get() = *name;
                            *slot.len.get() = ips.len();
                            (&mut *slot.ips.get())[..ips.len()].copy_from_slice(ips);
                        }
                        slot.ready.store(true, Ordering::Release);
                        slot.count.fetch_add(1, Ordering::Relaxed);
                        return true;
                    }
                    Err(now) => found = now,
                }
            }
            if found == key {
                slot.count.fetch_add(1, Ordering::Relaxed);
                return true;
            }
        }
        false
    }

    /// Every stack counted, once no handler uses the table.
    pub fn entries(&mut self) -> Vec<Entry> {
        let mut out = Vec::new();
        let claimed = self.claimed.load(Ordering::Acquire).min(SLOTS);
        for k in 0..claimed {
            let slot = self.slot(self.order[k].load(Ordering::Relaxed) as usize);
            let count = slot.count.load(Ordering::Acquire);
            if count == 0 || !slot.ready.load(Ordering::Acquire) {
                continue;
            }
            // SAFETY: `ready` was set after the cells were written, and
            // `&mut self` means no writer is left.
            let (thread, name, ips) = unsafe {
                let len = (*slot.len.get()).min(DEPTH);
                (
                    *slot.thread.get(),
                    *slot.name.get(),
                    (&*slot.ips.get())[..len].to_vec(),
                )
            };
            out.push(Entry {
                thread,
                name,
                ips,
                count,
            });
        }
        out
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { alloc::dealloc(self.slots as *mut u8, Self::layout()) }
    }
}

/// FNV-1a over the thread and the stack.
fn hash(thread: u64, ips: &[usize]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |word: u64| {
        for b in word.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    mix(thread);
    for &ip in ips {
        mix(ip as u64);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_are_counted_per_thread_and_stack() {
        let mut t = Table::new().unwrap();
        let name = *b"main\0\0\0\0\0\0\0\0\0\0\0\0";
        for _ in 0..3 {
            assert!(t.insert(1, &name, &[10, 20, 30]));
        }
        assert!(t.insert(2, &name, &[10, 20, 30]));
        assert!(t.insert(1, &name, &[11, 20, 30]));
        let long: Vec<usize> = (0..DEPTH + 10).collect();
        assert!(t.insert(1, &name, &long));
        let mut got: Vec<(u64, Vec<usize>, u64)> = t
            .entries()
            .into_iter()
            .map(|e| (e.thread, e.ips, e.count))
            .collect();
        got.sort();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].1.len(), DEPTH);
        assert_eq!(got[1], (1, vec![10, 20, 30], 3));
        assert_eq!(got[2], (1, vec![11, 20, 30], 1));
        assert_eq!(got[3], (2, vec![10, 20, 30], 1));
    }

    #[test]
    fn threads_counting_at_once_lose_nothing() {
        let mut t = Table::new().unwrap();
        let name = [0u8; NAME];
        std::thread::scope(|s| {
            for thread in 0..4u64 {
                let t = &t;
                s.spawn(move || {
                    for i in 0..10_000usize {
                        assert!(t.insert(thread, &name, &[i % 100, 7]));
                    }
                });
            }
        });
        let entries = t.entries();
        assert_eq!(entries.len(), 400);
        assert_eq!(entries.iter().map(|e| e.count).sum::<u64>(), 40_000);
    }
}
