//! What the program's counting allocator calls: the exact counters (the
//! heap, its peak, the totals) kept in atomics, and the decision to record
//! an allocation's call stack, taken on the allocating thread.
//!
//! Recording takes a stack and a lock, and the lock's map allocates: a
//! thread-local guard makes the allocations and frees the recorder itself
//! makes (and those of the timeline thread) invisible to it, so that it
//! never re-enters itself.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::memory::state::{self, Weight};
use crate::memory::{timeline, MemoryOptions};
use crate::ProfileError;

/// This file, as the debug info names it: the frames of the hooks are cut
/// from the recorded stacks up to the outermost one in it.
pub(crate) const HOOKS_FILE: &str = file!();

/// Whether a memory profile is running: the one load the allocator makes.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether a session holds the hooks (one at a time).
static STARTED: AtomicBool = AtomicBool::new(false);
/// Heap bytes now: allocated since the start less freed.
static LIVE: AtomicI64 = AtomicI64::new(0);
/// The most [`LIVE`] has been.
static PEAK: AtomicI64 = AtomicI64::new(0);
/// The most [`LIVE`] has been since the timeline's last reading, so that
/// its points show a spike that came and went between two readings.
static WINDOW_PEAK: AtomicI64 = AtomicI64::new(0);
/// A new peak was reached and the sites' bytes have not been copied since.
static PEAK_PENDING: AtomicBool = AtomicBool::new(false);
/// Allocations (a reallocation counts as one) since the start.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes of those allocations.
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
/// Mean bytes between sampled allocations.
static INTERVAL: AtomicU64 = AtomicU64::new(MemoryOptions::DEFAULT_INTERVAL);
/// Allocations of at least this many bytes are all recorded.
static RECORD_ALL_FROM: AtomicU64 = AtomicU64::new(MemoryOptions::DEFAULT_RECORD_ALL_FROM);
/// Bumped at every start, so that each thread draws a fresh countdown.
static EPOCH: AtomicU64 = AtomicU64::new(0);
/// Where and when the peak was reached.
static PEAK_AT: Mutex<PeakAt> = Mutex::new(PeakAt {
    nanos: 0,
    phase: None,
    thread: 0,
});

/// An allocation outside any phase smaller than 1/this of the heap it
/// makes a new peak of does not change the peak's phase.
const SMALL_TOP_UP: i64 = 100;

/// When the heap reached its peak: nanoseconds since the start, the phase
/// open on the thread that reached it, and that thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeakAt {
    pub nanos: u64,
    pub phase: Option<&'static str>,
    pub thread: u64,
}

thread_local! {
    /// Set while this thread is inside the recorder (or is the timeline
    /// thread): its allocations are not counted.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
    /// Bytes this thread may still allocate before its next sample, and
    /// the [`EPOCH`] it was drawn in.
    static COUNTDOWN: Cell<(i64, u64)> = const { Cell::new((0, u64::MAX)) };
    /// This thread's random state for the countdowns.
    static RANDOM: Cell<u64> = const { Cell::new(0) };
    /// The named phases open on this thread, innermost last, each with the
    /// heap when it began.
    static PHASES: std::cell::RefCell<Vec<(&'static str, i64)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether a memory profile is running, and so whether the allocator should
/// call [`allocated`], [`freed`] and [`reallocated`]. One relaxed load.
#[inline(always)]
pub fn is_active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Tells the profiler that the block at `ptr` of `size` bytes was just
/// allocated (by `alloc` or `alloc_zeroed`). Call it after the allocation
/// succeeded, only while [`is_active`].
#[inline(never)]
pub fn allocated(ptr: *mut u8, size: usize) {
    if inside() {
        return;
    }
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED.fetch_add(size as u64, Ordering::Relaxed);
    // The site first: a new peak's snapshot, which another thread's free
    // may take as soon as `grow` marks the peak, must find it.
    maybe_record(ptr as usize, size as u64);
    grow(size as i64);
}

/// Tells the profiler that the block at `ptr` of `size` bytes is about to
/// be freed. Call it before the system allocator frees it, only while
/// [`is_active`].
#[inline(never)]
pub fn freed(ptr: *mut u8, size: usize) {
    if inside() {
        return;
    }
    shrink(size as i64);
    forget(ptr as usize);
}

/// Tells the profiler that the block at `old` of `old_size` bytes was
/// reallocated as `new` of `new_size` bytes (counted as one allocation of
/// `new_size` bytes and the free of `old`). Call it after the reallocation
/// succeeded, only while [`is_active`].
#[inline(never)]
pub fn reallocated(old: *mut u8, old_size: usize, new: *mut u8, new_size: usize) {
    if inside() {
        return;
    }
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
    let delta = new_size as i64 - old_size as i64;
    if delta < 0 {
        shrink(-delta);
    }
    forget(old as usize);
    maybe_record(new as usize, new_size as u64);
    if delta > 0 {
        grow(delta);
    }
}

fn inside() -> bool {
    INSIDE.try_with(Cell::get).unwrap_or(true)
}

/// Runs `f` with this thread's allocations not counted.
pub(crate) fn unobserved<T>(f: impl FnOnce() -> T) -> T {
    let before = INSIDE.try_with(|i| i.replace(true)).unwrap_or(true);
    let out = f();
    let _ = INSIDE.try_with(|i| i.set(before));
    out
}

/// Makes the calling thread's allocations uncounted for good (the
/// timeline thread's).
pub(crate) fn never_observe_this_thread() {
    let _ = INSIDE.try_with(|i| i.set(true));
}

/// The heap grew by `bytes`: a new peak is noted with its time and phase.
fn grow(bytes: i64) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if now > WINDOW_PEAK.load(Ordering::Relaxed) {
        WINDOW_PEAK.fetch_max(now, Ordering::Relaxed);
    }
    if now > PEAK.load(Ordering::Relaxed) && PEAK.fetch_max(now, Ordering::Relaxed) < now {
        PEAK_PENDING.store(true, Ordering::Relaxed);
        let nanos = timeline::elapsed_nanos();
        let phase = current_phase();
        let mut at = PEAK_AT.lock().unwrap_or_else(PoisonError::into_inner);
        at.nanos = nanos;
        // A small allocation outside any phase (another thread's, say)
        // that tops the peak up leaves it to the phase that built it.
        if phase.is_some() || at.phase.is_none() || bytes.saturating_mul(SMALL_TOP_UP) >= now {
            at.phase = phase;
            at.thread = crate::sampler::current_thread_id();
        }
    }
}

/// The heap shrinks by `bytes`: if it was at a new peak, the sites' bytes
/// are copied first, as they were at the peak (dhat's way: once per
/// descent from a new peak, not at every allocation on the way up).
fn shrink(bytes: i64) {
    if PEAK_PENDING.load(Ordering::Relaxed) && PEAK_PENDING.swap(false, Ordering::Relaxed) {
        unobserved(state::note_peak);
    }
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

/// The innermost phase open on this thread, if it can be read now (not
/// while the phase stack itself is being changed).
fn current_phase() -> Option<&'static str> {
    PHASES
        .try_with(|p| p.try_borrow().ok().and_then(|p| p.last().map(|e| e.0)))
        .ok()
        .flatten()
}

/// Records the stack of the allocation at `ptr` of `size` bytes if it is
/// large enough or its sample comes up.
fn maybe_record(ptr: usize, size: u64) {
    let weight = if size >= RECORD_ALL_FROM.load(Ordering::Relaxed) {
        Weight::exact(size)
    } else {
        match sampled(size) {
            Some(w) => w,
            None => return,
        }
    };
    unobserved(|| state::record(ptr, weight));
}

/// Counts `size` bytes off this thread's countdown; when it runs out (a
/// sample of the byte stream falls in this allocation), draws the next
/// one and returns the estimate the allocation stands for.
fn sampled(size: u64) -> Option<Weight> {
    let interval = INTERVAL.load(Ordering::Relaxed).max(1);
    let epoch = EPOCH.load(Ordering::Relaxed);
    let (mut left, drawn_in) = COUNTDOWN.try_with(Cell::get).ok()?;
    if drawn_in != epoch {
        left = draw(interval);
    }
    left -= size as i64;
    let hit = left <= 0;
    if hit {
        left = draw(interval);
    }
    let _ = COUNTDOWN.try_with(|c| c.set((left, epoch)));
    hit.then(|| Weight::sampled(size, interval))
}

/// Bytes to the next sample: exponential with mean `interval`, so that the
/// samples form a Poisson process over the bytes allocated.
fn draw(interval: u64) -> i64 {
    let mut x = RANDOM.try_with(Cell::get).unwrap_or(0);
    if x == 0 {
        // Seeded from the thread's identity and the clock: any odd state.
        x = (crate::sampler::current_thread_id() ^ timeline::elapsed_nanos()) | 1;
    }
    // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let _ = RANDOM.try_with(|r| r.set(x));
    let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    // Uniform in (0, 1]: never 0, whose logarithm is infinite.
    let u = ((r >> 11) + 1) as f64 / (1u64 << 53) as f64;
    (-(u.ln()) * interval as f64).ceil().max(1.0) as i64
}

/// Forgets the recorded block at `ptr`, if there is one.
fn forget(ptr: usize) {
    if state::may_be_recorded(ptr) {
        unobserved(|| state::forget(ptr));
    }
}

/// Called when a named phase begins on this thread (while memory is
/// profiled): notes the heap then.
pub(crate) fn phase_begin(name: &'static str) {
    let live = LIVE.load(Ordering::Relaxed);
    unobserved(|| {
        let _ = PHASES.try_with(|p| p.borrow_mut().push((name, live)));
    });
}

/// Called when a named phase ends on this thread: its increment, the heap
/// now less the heap at its beginning (`None` if its beginning was not
/// seen).
pub(crate) fn phase_end(name: &'static str) -> Option<i64> {
    let live = LIVE.load(Ordering::Relaxed);
    let begun = PHASES
        .try_with(|p| {
            let mut p = p.borrow_mut();
            let at = p.iter().rposition(|e| e.0 == name)?;
            let begun = p[at].1;
            p.truncate(at);
            Some(begun)
        })
        .ok()
        .flatten()?;
    Some(live - begun)
}

/// The most the heap has been since the last call (the heap now, if it
/// has only shrunk since); starts the next window at the heap now.
pub(crate) fn take_window_peak() -> i64 {
    let now = LIVE.load(Ordering::Relaxed);
    WINDOW_PEAK.swap(now, Ordering::Relaxed).max(now)
}

/// The counters as they are now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counters {
    pub live: i64,
    pub peak: i64,
    pub allocations: u64,
    pub allocated: u64,
}

pub(crate) fn counters() -> Counters {
    Counters {
        live: LIVE.load(Ordering::Relaxed),
        peak: PEAK.load(Ordering::Relaxed),
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
        allocated: ALLOCATED.load(Ordering::Relaxed),
    }
}

/// The hooks while a memory profile runs; [`Session::stop`] ends it.
pub(crate) struct Session {
    timeline: Option<timeline::Timeline>,
    stopped: bool,
}

/// What a session collected.
pub(crate) struct Collected {
    pub counters: Counters,
    pub peak_at: PeakAt,
    pub state: state::Taken,
    pub timeline: Vec<crate::memory::TimePoint>,
}

impl Session {
    /// Resets the counters, checks that the program's allocator calls the
    /// hooks, and starts the timeline thread.
    pub fn start(options: &MemoryOptions) -> Result<Session, ProfileError> {
        if STARTED
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ProfileError::AlreadyRunning);
        }
        stop_in_forked_children();
        INTERVAL.store(options.interval.max(1), Ordering::Relaxed);
        RECORD_ALL_FROM.store(options.record_all_from, Ordering::Relaxed);
        EPOCH.fetch_add(1, Ordering::Relaxed);
        timeline::reset_clock();
        ACTIVE.store(true, Ordering::SeqCst);
        // An allocation the allocator must report: if it does not, the
        // program has no counting allocator and there is nothing to see.
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        drop(std::hint::black_box(Box::new(std::hint::black_box(
            [0u8; 8],
        ))));
        if ALLOCATIONS.load(Ordering::Relaxed) == before {
            ACTIVE.store(false, Ordering::SeqCst);
            STARTED.store(false, Ordering::Release);
            return Err(ProfileError::NoCountingAllocator);
        }
        reset_counters();
        state::reset();
        let timeline = match timeline::Timeline::start(options) {
            Ok(t) => t,
            Err(e) => {
                ACTIVE.store(false, Ordering::SeqCst);
                STARTED.store(false, Ordering::Release);
                return Err(e);
            }
        };
        Ok(Session {
            timeline: Some(timeline),
            stopped: false,
        })
    }

    /// Stops the hooks and the timeline and takes what they collected.
    pub fn stop(mut self) -> Collected {
        let points = self.timeline.take().map(|t| t.stop()).unwrap_or_default();
        self.halt();
        if PEAK_PENDING.swap(false, Ordering::Relaxed) {
            state::note_peak();
        }
        Collected {
            counters: counters(),
            peak_at: *PEAK_AT.lock().unwrap_or_else(PoisonError::into_inner),
            state: state::take(),
            timeline: points,
        }
    }

    fn halt(&mut self) {
        if !self.stopped {
            self.stopped = true;
            ACTIVE.store(false, Ordering::SeqCst);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(t) = self.timeline.take() {
            drop(t.stop());
        }
        self.halt();
        drop(state::take());
        STARTED.store(false, Ordering::Release);
    }
}

/// A child forked while the hooks run must not count: the locks it
/// inherits may be held by threads it does not have. Registered once.
fn stop_in_forked_children() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    extern "C" fn in_child() {
        ACTIVE.store(false, Ordering::SeqCst);
    }
    REGISTERED.call_once(|| {
        // SAFETY: `in_child` only stores to an atomic, which is safe in a
        // child after fork; registering handlers has no other effect.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
}

fn reset_counters() {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    WINDOW_PEAK.store(0, Ordering::Relaxed);
    PEAK_PENDING.store(false, Ordering::Relaxed);
    ALLOCATIONS.store(0, Ordering::Relaxed);
    ALLOCATED.store(0, Ordering::Relaxed);
    *PEAK_AT.lock().unwrap_or_else(PoisonError::into_inner) = PeakAt {
        nanos: 0,
        phase: None,
        thread: 0,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_counting_allocator_the_memory_view_is_refused_and_can_start_later() {
        // This test program's allocator is the system's: no hook is called.
        let err = Session::start(&MemoryOptions::default()).err().unwrap();
        assert!(matches!(err, ProfileError::NoCountingAllocator), "{err}");
        assert!(!is_active());
        // Refused cleanly: the next start gets as far again.
        let err = Session::start(&MemoryOptions::default()).err().unwrap();
        assert!(matches!(err, ProfileError::NoCountingAllocator), "{err}");
    }

    #[test]
    fn countdowns_are_exponential_with_the_interval_as_mean() {
        let n = 20_000;
        let mean = (0..n).map(|_| draw(1000) as f64).sum::<f64>() / n as f64;
        // Standard error 1000/sqrt(20000) ≈ 7.
        assert!((mean - 1000.5).abs() < 40.0, "{mean}");
    }
}
