//! The heap and the resident memory over time: a thread of the profiler
//! reads both every period (`mprof`'s way; the heap as its highest since
//! the last reading, so no spike falls between two), and the clock every
//! memory event is timed by.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::memory::hooks;
use crate::memory::{MemoryOptions, RssReader, TimePoint};
use crate::ProfileError;

/// The most points kept: beyond it, every other point is dropped and the
/// period doubles, so a long run costs a bounded memory.
const MAX_POINTS: usize = 4096;

/// The monotonic clock at the start, in nanoseconds.
static START: AtomicU64 = AtomicU64::new(0);

/// The monotonic clock in nanoseconds (no allocation, safe in the hooks).
fn monotonic_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC exists
    // on every Linux kernel.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec.max(0) as u64 * 1_000_000_000 + ts.tv_nsec.max(0) as u64
}

/// Starts the clock of the memory events.
pub(crate) fn reset_clock() {
    START.store(monotonic_nanos(), Ordering::Relaxed);
}

/// Nanoseconds since [`reset_clock`].
pub(crate) fn elapsed_nanos() -> u64 {
    monotonic_nanos().saturating_sub(START.load(Ordering::Relaxed))
}

/// The running timeline thread.
pub(crate) struct Timeline {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Vec<TimePoint>>,
}

impl Timeline {
    /// Starts reading every `options.period`.
    pub fn start(options: &MemoryOptions) -> Result<Timeline, ProfileError> {
        let (stop, stopped) = mpsc::channel();
        let period = options.period.max(Duration::from_millis(1));
        let rss = options.rss.clone();
        let thread = std::thread::Builder::new()
            .name("hpcrs-memory".into())
            .spawn(move || run(period, rss, stopped))
            .map_err(|e| ProfileError::Sampler(format!("starting the memory timeline: {e}")))?;
        Ok(Timeline { stop, thread })
    }

    /// Stops the thread (after a last reading) and returns the points.
    pub fn stop(self) -> Vec<TimePoint> {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or_default()
    }
}

fn run(
    mut period: Duration,
    rss: Option<RssReader>,
    stopped: mpsc::Receiver<()>,
) -> Vec<TimePoint> {
    hooks::never_observe_this_thread();
    let read = |rss: &Option<RssReader>| TimePoint {
        seconds: elapsed_nanos() as f64 * 1e-9,
        heap: hooks::take_window_peak().max(0) as u64,
        rss: rss.as_ref().and_then(RssReader::read),
    };
    let mut points = Vec::with_capacity(MAX_POINTS);
    points.push(read(&rss));
    loop {
        let last = matches!(
            stopped.recv_timeout(period),
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected)
        );
        points.push(read(&rss));
        if last {
            return points;
        }
        if points.len() >= MAX_POINTS {
            let mut i = 0;
            points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            period *= 2;
        }
    }
}
