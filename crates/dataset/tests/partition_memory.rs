//! The memory of a shuffle grows with its records, not with map tasks times
//! reduce partitions: measured with a counting allocator (this test binary
//! holds one test, so nothing else allocates while it runs).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator with the caller's
// arguments, so its contract is the system allocator's; the counters only
// observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes while `f` runs, above what was live when it started.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed) - base)
}

#[test]
fn thousands_of_map_tasks_and_reduce_partitions_need_little_memory() {
    let sc = dataset::Context::local(2).unwrap();
    // 4096 map tasks of about 5 records each, into 4096 reduce partitions: one
    // bucket per (map task, reduce partition) would be 16.7 million of them,
    // 400 MB of empty vectors alone.
    let (counts, peak) = peak_during(|| {
        sc.parallelize(0..20_000u64, 4096)
            .map(|x| (x % 1000, 1u64))
            .reduce_by_key_partitions(|a, b| a + b, 4096)
            .collect_as_map()
            .unwrap()
    });
    assert_eq!(counts.len(), 1000);
    assert!(counts.values().all(|&c| c == 20), "every key 20 times");
    assert!(peak < 32 << 20, "peak heap {peak} bytes");
}
