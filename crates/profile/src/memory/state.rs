//! The recorded allocations: each one's call stack (its site), its bytes
//! and count (exact, or the estimate a sample stands for) while it lives,
//! and the sites' bytes at the peak. Behind one lock, taken only for a
//! recorded allocation, the free of a block that may be recorded, and once
//! per descent from a new peak.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The most frames of a call stack kept.
pub(crate) const DEPTH: usize = 64;

/// Bits of the filter of recorded addresses.
const FILTER_BITS: usize = 1 << 18;

/// A bit per hash of an address that may be recorded: a free whose bit is
/// clear takes no lock. Bits are set when a block is recorded and cleared
/// only at a reset (a stale bit costs one look-up).
static FILTER: [AtomicU64; FILTER_BITS / 64] = [const { AtomicU64::new(0) }; FILTER_BITS / 64];

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// What one recorded allocation stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Weight {
    /// Bytes (the block's size, or its size divided by the chance it had to
    /// be sampled).
    pub bytes: f64,
    /// Allocations (1, or 1 divided by that chance).
    pub blocks: f64,
    /// Whether the numbers are exact (every allocation of this size is
    /// recorded).
    pub exact: bool,
}

impl Weight {
    /// An allocation recorded because of its size: exact.
    pub fn exact(size: u64) -> Weight {
        Weight {
            bytes: size as f64,
            blocks: 1.0,
            exact: true,
        }
    }

    /// An allocation of `size` bytes that a sample every `interval` bytes on
    /// average fell in: it had the chance `1 - exp(-size / interval)`, and
    /// stands for that many more.
    pub fn sampled(size: u64, interval: u64) -> Weight {
        let chance = -(-(size.max(1) as f64) / interval as f64).exp_m1();
        Weight {
            bytes: size as f64 / chance,
            blocks: 1.0 / chance,
            exact: false,
        }
    }
}

/// One call stack's allocations.
#[derive(Debug, Clone, Default)]
pub(crate) struct SiteCounts {
    /// Live now.
    pub live_bytes: f64,
    pub live_blocks: f64,
    /// Live at the peak.
    pub peak_bytes: f64,
    pub peak_blocks: f64,
    /// Every allocation since the start.
    pub total_bytes: f64,
    pub total_blocks: f64,
    /// Whether every allocation recorded here was exact.
    pub exact: bool,
}

struct State {
    stacks: HashMap<Box<[usize]>, usize>,
    /// By site index: its stack and counts.
    sites: Vec<(Box<[usize]>, SiteCounts)>,
    /// Live recorded blocks by address: their site and weight.
    blocks: HashMap<usize, (usize, Weight)>,
}

/// The recorded sites, taken at the end.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    /// Each site's stack (return addresses, innermost first, from inside
    /// the recorder) and counts.
    pub sites: Vec<(Box<[usize]>, SiteCounts)>,
}

fn lock() -> MutexGuard<'static, Option<State>> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

fn filter_bit(ptr: usize) -> (usize, u64) {
    // Fibonacci hashing of the address without its alignment bits.
    let h = ((ptr >> 4) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - 18);
    ((h / 64) as usize, 1u64 << (h % 64))
}

/// Starts afresh: no sites, no blocks.
pub(crate) fn reset() {
    for word in &FILTER {
        word.store(0, Ordering::Relaxed);
    }
    *lock() = Some(State {
        stacks: HashMap::new(),
        sites: Vec::new(),
        blocks: HashMap::new(),
    });
}

/// Whether the block at `ptr` may be recorded (no false negatives).
pub(crate) fn may_be_recorded(ptr: usize) -> bool {
    let (word, bit) = filter_bit(ptr);
    FILTER[word].load(Ordering::Relaxed) & bit != 0
}

/// Records the allocation at `ptr` with the calling thread's stack.
#[inline(never)]
pub(crate) fn record(ptr: usize, weight: Weight) {
    let mut ips = [0usize; DEPTH];
    let mut n = 0;
    // SAFETY: the unwinder only reads this thread's stack; it is not
    // synchronised with its other users (the sampler's signal handler,
    // which drops the samples that land in the unwinder).
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            ips[n] = frame.ip() as usize;
            n += 1;
            n < DEPTH
        });
    }
    let mut guard = lock();
    let Some(state) = guard.as_mut() else {
        return;
    };
    let site = match state.stacks.get(&ips[..n]) {
        Some(&site) => site,
        None => {
            let stack: Box<[usize]> = ips[..n].into();
            state.sites.push((
                stack.clone(),
                SiteCounts {
                    exact: true,
                    ..SiteCounts::default()
                },
            ));
            state.stacks.insert(stack, state.sites.len() - 1);
            state.sites.len() - 1
        }
    };
    let counts = &mut state.sites[site].1;
    counts.live_bytes += weight.bytes;
    counts.live_blocks += weight.blocks;
    counts.total_bytes += weight.bytes;
    counts.total_blocks += weight.blocks;
    counts.exact &= weight.exact;
    // A block at this address not freed through the hooks (freed before
    // the start, say) is replaced.
    if let Some((old_site, old)) = state.blocks.insert(ptr, (site, weight)) {
        let c = &mut state.sites[old_site].1;
        c.live_bytes -= old.bytes;
        c.live_blocks -= old.blocks;
    }
    let (word, bit) = filter_bit(ptr);
    FILTER[word].fetch_or(bit, Ordering::Relaxed);
}

/// The recorded block at `ptr`, if any, is freed.
pub(crate) fn forget(ptr: usize) {
    let mut guard = lock();
    let Some(state) = guard.as_mut() else {
        return;
    };
    if let Some((site, weight)) = state.blocks.remove(&ptr) {
        let c = &mut state.sites[site].1;
        c.live_bytes -= weight.bytes;
        c.live_blocks -= weight.blocks;
    }
}

/// The heap is at its peak: every site's live bytes are its bytes at the
/// peak.
pub(crate) fn note_peak() {
    let mut guard = lock();
    let Some(state) = guard.as_mut() else {
        return;
    };
    for (_, c) in &mut state.sites {
        c.peak_bytes = c.live_bytes;
        c.peak_blocks = c.live_blocks;
    }
}

/// Takes the sites and forgets the blocks.
pub(crate) fn take() -> Taken {
    let state = lock().take();
    Taken {
        sites: state.map(|s| s.sites).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sampled_allocation_stands_for_what_its_chance_leaves_out() {
        // Small against the interval: the chance is about size / interval.
        let w = Weight::sampled(1024, 512 << 10);
        assert!((w.blocks - 512.5).abs() < 0.5, "{w:?}");
        assert!((w.bytes - 1024.0 * w.blocks).abs() < 1e-6);
        // Large against it: nearly certain, standing for itself.
        let w = Weight::sampled(100 << 20, 512 << 10);
        assert_eq!(w.blocks, 1.0);
        assert_eq!(
            w,
            Weight {
                exact: false,
                ..Weight::exact(100 << 20)
            }
        );
    }

    #[test]
    fn the_filter_has_no_false_negatives() {
        let addresses: Vec<usize> = (0..10_000).map(|i| 0x7f00_0000_0000 + i * 48).collect();
        for &a in &addresses {
            let (w, b) = filter_bit(a);
            FILTER[w].fetch_or(b, Ordering::Relaxed);
        }
        assert!(addresses.iter().all(|&a| may_be_recorded(a)));
    }
}
