//! The memory of a `Local` group grows linearly with its number of ranks:
//! the heap bytes that `Local::group(n)` holds, measured by a counting
//! allocator, per rank, do not grow with `n`.
//!
//! This file holds one test, so that no other test allocates while it
//! measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use comm::Local;

/// The system allocator, counting the bytes live on the heap.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` with the same arguments; the
// counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout` (above).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap bytes per rank that a group of `n` ranks holds.
fn bytes_per_rank(n: usize) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    let group = Local::group(n, "node-7").unwrap();
    let held = LIVE.load(Ordering::Relaxed) - before;
    drop(group);
    held as f64 / n as f64
}

#[test]
fn a_group_holds_memory_linear_in_its_ranks() {
    let small = bytes_per_rank(50);
    let large = bytes_per_rank(1000);
    eprintln!("bytes per rank: {small:.0} with 50 ranks, {large:.0} with 1000");
    // Twenty times the ranks: the same bytes per rank, give or take
    // allocation rounding (N² channels would make it twenty times as much).
    assert!(
        large < 2.0 * small,
        "{large:.0} bytes per rank with 1000 ranks, {small:.0} with 50"
    );
    // And few of them: a mailbox and a handle per rank, not a buffer per peer.
    assert!(large < 1024.0, "{large:.0} bytes per rank");
}
