//! The program's global allocator: the system allocator, with the counting
//! hooks of `hpcrs profile --memory` (`profile::memory`). When no memory
//! profile runs, each call costs one relaxed atomic load more than the
//! system allocator alone.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, telling `profile::memory` about every allocation
/// and free while a memory profile runs.
pub struct Counting;

// SAFETY: every method forwards to the system allocator with the caller's
// arguments and returns its result; the hooks only count (they never touch
// the memory, and never allocate through this allocator while counting).
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees on `layout` are System's.
        let ptr = unsafe { System.alloc(layout) };
        if profile::memory::is_active() && !ptr.is_null() {
            profile::memory::allocated(ptr, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if profile::memory::is_active() && !ptr.is_null() {
            profile::memory::allocated(ptr, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if profile::memory::is_active() {
            profile::memory::freed(ptr, layout.size());
        }
        // SAFETY: `ptr` was allocated by System with `layout` (every
        // method here allocates through it), as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `dealloc`; the caller's guarantees on `new_size`
        // are System's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if profile::memory::is_active() && !new.is_null() {
            profile::memory::reallocated(ptr, layout.size(), new, new_size);
        }
        new
    }
}
