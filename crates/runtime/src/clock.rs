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

/// How long so far the calling thread has waited on a run queue: ready to
/// run, but its core busy with another thread. Zero if the kernel does not
/// keep the count (`/proc/thread-self/schedstat`, Linux with scheduler
/// statistics). A thread alone on its core waits microseconds; one whose
/// core another busy process shares waits for every other time slice, so
/// this, unlike wall time minus CPU time, tells a crowded core apart from
/// a thread that chose to sleep.
pub fn thread_run_queue_wait() -> Duration {
    let Ok(text) = std::fs::read_to_string("/proc/thread-self/schedstat") else {
        return Duration::ZERO;
    };
    // "<ns on the CPU> <ns waiting on a run queue> <time slices>"
    let waited = text.split_ascii_whitespace().nth(1);
    Duration::from_nanos(waited.and_then(|w| w.parse().ok()).unwrap_or(0))
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

    #[test]
    fn a_thread_that_shares_its_core_waits_on_the_run_queue() {
        // Two spinning threads pinned to one core take turns.
        let spin = |ms: u64| {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(ms) {
                std::hint::spin_loop();
            }
        };
        // Both threads pin themselves to the first CPU this process may use.
        // SAFETY: a zeroed cpu_set_t is a valid empty set; the affinity
        // calls read and change only the calling thread's mask.
        let first_cpu = unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of_val(&allowed);
            assert_eq!(libc::sched_getaffinity(0, size, &mut allowed), 0);
            (0..libc::CPU_SETSIZE as usize)
                .find(|&c| libc::CPU_ISSET(c, &allowed))
                .unwrap()
        };
        let pin = || {
            // SAFETY: as above.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(first_cpu, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0
            }
        };
        let counts = std::thread::scope(|s| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        assert!(pin(), "cannot pin to CPU {first_cpu}");
                        let before = thread_run_queue_wait();
                        spin(300);
                        thread_run_queue_wait() - before
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect::<Vec<_>>()
        });
        // Each spins 300 ms of wall time, about half of it waiting.
        let least = Duration::from_millis(50);
        assert!(counts.iter().all(|&c| c >= least), "{counts:?}");
    }
}
