//! Pinning an MPI rank to one core, as Open MPI does by default for small
//! jobs.
//!
//! Why: the ranks of a stencil job wait for each other at every halo
//! exchange, so the job runs at the pace of its slowest rank. Left free,
//! the kernel may put two ranks on one core when another process holds the
//! other (it balances task counts, and 2 + 1 is as even as 1 + 2), and the
//! job then runs on one core's time. Pinned each to its own core, a rank
//! that shares its core still gets its share of it, the rank on the free
//! core runs at full speed, and moving rows between them (the diffusion
//! backend's load balance) keeps both busy.

/// Pins the calling thread (and so every thread it starts afterwards) to
/// the `local_rank`-th CPU of those it may run on, when the job has at
/// least two ranks on this machine (`local_size`) and this process may run
/// on at least as many CPUs: a launcher that already bound the rank
/// (`mpirun -bind-to core`), an oversubscribed machine, and a lone rank
/// (which another job's lone rank would otherwise meet on the same CPU) are
/// left as they are. Returns the CPU pinned to.
pub fn pin_rank_to_core(local_rank: usize, local_size: usize) -> std::io::Result<Option<usize>> {
    if local_size < 2 || local_rank >= local_size {
        return Ok(None);
    }
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut allowed: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `allowed` is a cpu_set_t of `size` bytes that the call fills.
    if unsafe { libc::sched_getaffinity(0, size, &mut allowed) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut cpus = Vec::new();
    for c in 0..libc::CPU_SETSIZE as usize {
        // SAFETY: reads a bit of a valid set, below CPU_SETSIZE.
        if unsafe { libc::CPU_ISSET(c, &allowed) } {
            cpus.push(c);
        }
    }
    if cpus.len() < local_size {
        return Ok(None);
    }
    let cpu = cpus[local_rank];
    // SAFETY: as above, an all-zero set is empty.
    let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below CPU_SETSIZE (it came from the loop above).
    unsafe { libc::CPU_SET(cpu, &mut one) };
    // SAFETY: `one` is a valid set of `size` bytes.
    if unsafe { libc::sched_setaffinity(0, size, &one) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(Some(cpu))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_and_impossible_ranks_are_left_alone() {
        assert_eq!(pin_rank_to_core(0, 1).unwrap(), None);
        assert_eq!(pin_rank_to_core(3, 2).unwrap(), None);
        // More ranks than any machine's CPUs: oversubscribed, left free.
        assert_eq!(
            pin_rank_to_core(0, libc::CPU_SETSIZE as usize + 1).unwrap(),
            None
        );
    }

    #[test]
    fn a_rank_is_pinned_to_its_cpu_in_a_thread_of_its_own() {
        // In a thread of its own: pinning applies to the calling thread.
        std::thread::spawn(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            let pinned = pin_rank_to_core(1, 2).unwrap();
            if cpus < 2 {
                assert_eq!(pinned, None, "one CPU cannot hold two pinned ranks");
                return;
            }
            assert!(pinned.is_some());
            assert_eq!(std::thread::available_parallelism().unwrap().get(), 1);
            // Already pinned to one CPU: a second call leaves it there.
            assert_eq!(pin_rank_to_core(1, 2).unwrap(), None);
        })
        .join()
        .unwrap();
    }
}
