//! The sampler: pprof's SIGPROF handler and CPU-time timer, started and
//! stopped, and its raw stacks taken out before it forgets them.

use std::time::{Duration, Instant, SystemTime};

use crate::{ProfileError, Rate};

/// Shared objects whose code the sampler does not unwind from: the
/// unwinder itself (a signal landing in it would re-enter it) and the vDSO
/// (whose unwind tables some kernels get wrong). The few samples that land
/// there are dropped; the time they stand for is spread over the others,
/// since times come from the measured CPU time.
const BLOCKLIST: &[&str] = &["libgcc_s", "vdso"];

/// A running sampler.
pub(crate) struct Sampler {
    guard: pprof::ProfilerGuard<'static>,
    cpu_start: Duration,
    wall_start: Instant,
    started_at: SystemTime,
}

/// One distinct stack and how often it was sampled.
pub(crate) struct RawStack {
    /// Instruction addresses, the interrupted one first, then return
    /// addresses outwards (the signal handler's own frames included).
    pub ips: Vec<usize>,
    /// `pthread_self` of the sampled thread.
    pub thread_id: u64,
    /// Its name (at most 15 bytes, as the kernel keeps it).
    pub thread_name: String,
    /// Samples of this stack.
    pub count: u64,
}

/// What a sampler collected.
pub(crate) struct RawSamples {
    /// The distinct stacks.
    pub stacks: Vec<RawStack>,
    /// CPU time of the whole process (every thread) while sampling.
    pub cpu: Duration,
    /// Wall time while sampling.
    pub wall: Duration,
    /// When sampling started.
    pub started_at: SystemTime,
}

impl Sampler {
    /// Installs the signal handler and starts the timer.
    pub fn start(rate: Rate) -> Result<Sampler, ProfileError> {
        let cpu_start = process_cpu_time();
        let wall_start = Instant::now();
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(rate.hz() as i32)
            .blocklist(BLOCKLIST)
            .build()
            .map_err(|e| match e {
                pprof::Error::Running => ProfileError::AlreadyRunning,
                e => ProfileError::Sampler(e),
            })?;
        Ok(Sampler {
            guard,
            cpu_start,
            wall_start,
            started_at: SystemTime::now(),
        })
    }

    /// Stops the timer, removes the handler and returns the stacks.
    pub fn stop(self) -> Result<RawSamples, ProfileError> {
        let cpu = process_cpu_time().saturating_sub(self.cpu_start);
        let wall = self.wall_start.elapsed();
        let report = self
            .guard
            .report()
            .build_unresolved()
            .map_err(ProfileError::Sampler);
        // Dropping the guard stops the timer and forgets the samples.
        drop(self.guard);
        let stacks = report?
            .data
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|(frames, count)| RawStack {
                ips: frames.frames.iter().map(|f| f.ip() as usize).collect(),
                thread_id: frames.thread_id,
                thread_name: String::from_utf8_lossy(
                    &frames.thread_name[..frames.thread_name_length],
                )
                .into_owned(),
                count: count as u64,
            })
            .collect();
        Ok(RawSamples {
            stacks,
            cpu,
            wall,
            started_at: self.started_at,
        })
    }
}

/// CPU time used so far by every thread of this process.
pub(crate) fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID
    // is a clock every Linux and macOS kernel has.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// `pthread_self()` of the calling thread, the id the sampler records.
pub(crate) fn current_thread_id() -> u64 {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    unsafe { libc::pthread_self() as u64 }
}
