//! CPU-time clocks: how much processor time the calling thread, or the
//! whole process, has used — unlike wall time, not stretched when the
//! scheduler sets the thread aside for other work.

use std::time::Duration;

/// The CPU time `clock` has counted, or zero if the kernel refuses it.
fn read(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and `clock` one of the
    // CPU-time clocks every Linux kernel has.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// CPU time used so far by the calling thread.
pub fn thread_cpu_time() -> Duration {
    read(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time used so far by every thread of this process.
pub fn process_cpu_time() -> Duration {
    read(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_sleeping_thread_uses_no_cpu_and_a_spinning_one_does() {
        let before = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_time() - before;
        assert!(slept < Duration::from_millis(20), "{slept:?}");

        let before = thread_cpu_time();
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            std::hint::spin_loop();
        }
        assert!(thread_cpu_time() - before > Duration::from_millis(1));
        assert!(process_cpu_time() >= thread_cpu_time());
    }
}
