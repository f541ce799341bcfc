//! Which thread advances which rows, and when: the grid's interior rows cut
//! into chunks, each advanced one pass (`depth` steps) at a time by
//! whichever thread of the team claims it first, as soon as its two
//! neighbours have finished their previous pass.
//!
//! No thread owns rows, so none is waited for while there is other work: a
//! thread that the machine deschedules (a busy machine, a hypervisor taking
//! the vCPU for a few milliseconds) holds up only its one chunk, and the
//! others advance the rest of the grid as far as that chunk allows (its
//! neighbours one pass, theirs two, ...), then park (`events.rs`) so that
//! their core can run it. On an idle machine each thread keeps to the
//! chunks nearest its own part of the grid ([`Schedule::claim`]'s `home`),
//! so rows stay in its core's caches.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::events::Events;

/// One chunk's progress: `2·passes_done + busy`.
#[repr(align(128))]
struct ChunkState(AtomicUsize);

/// A task: advance chunk `chunk` by its pass number `pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Task {
    /// The chunk (0 is the top one).
    pub(crate) chunk: usize,
    /// Its pass, counted from 0.
    pub(crate) pass: usize,
}

/// The chunks' progress through `passes` passes, shared by the team.
///
/// Task (c, p) reads source array `p mod 2` in chunk c and in the nearest
/// rows of chunks c±1, and writes chunk c of the other array. It may start
/// once chunks c±1 have finished pass p-1 (the rows it reads are final) and
/// it holds chunk c until it ends; a neighbour's pass p+1, which writes the
/// array this task reads, waits for it to end. So while a task runs, the
/// rows it reads and writes are touched by no other thread.
pub(crate) struct Schedule {
    chunks: Vec<ChunkState>,
    passes: usize,
    events: Events,
}

/// What [`Schedule::claim`] gives a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// This task is now the caller's: run it, then call [`Schedule::finish`].
    Run(Task),
    /// Every pass of every chunk is done.
    Finished,
}

impl Schedule {
    /// `chunks` chunks at pass 0 of `passes`; threads waiting for work spin
    /// for `spin` before they park.
    pub(crate) fn new(chunks: usize, passes: usize, spin: Duration) -> Self {
        Schedule {
            chunks: (0..chunks.max(1))
                .map(|_| ChunkState(AtomicUsize::new(0)))
                .collect(),
            passes,
            events: Events::new(spin),
        }
    }

    /// Passes done by chunk `c` (its pass in progress not counted).
    fn done(&self, c: usize) -> usize {
        self.chunks[c].0.load(Ordering::Acquire) / 2
    }

    /// Claims the next task, waiting while every task that could run next
    /// is held by another thread. Among the tasks that may run it takes the
    /// one with the fewest passes done (which keeps the chunks close enough
    /// together that threads seldom wait), the first found scanning from
    /// chunk `home` onward.
    pub(crate) fn claim(&self, home: usize) -> Claim {
        let count = self.chunks.len();
        loop {
            let seen = self.events.seen();
            let mut best: Option<(usize, usize)> = None;
            let mut finished = true;
            for i in 0..count {
                let c = (home + i) % count;
                let state = self.chunks[c].0.load(Ordering::Acquire);
                let done = state / 2;
                if done < self.passes {
                    finished = false;
                }
                if state % 2 == 1 || done >= self.passes {
                    continue;
                }
                let ready = (c == 0 || self.done(c - 1) >= done)
                    && (c + 1 == count || self.done(c + 1) >= done);
                if ready && best.is_none_or(|(_, d)| done < d) {
                    best = Some((c, done));
                }
            }
            if finished {
                return Claim::Finished;
            }
            match best {
                Some((chunk, pass)) => {
                    if self.chunks[chunk]
                        .0
                        .compare_exchange(
                            2 * pass,
                            2 * pass + 1,
                            Ordering::AcqRel,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        return Claim::Run(Task { chunk, pass });
                    }
                }
                None => self.events.wait_past(seen),
            }
        }
    }

    /// Marks `task` done (after its writes) and wakes threads waiting for
    /// work.
    pub(crate) fn finish(&self, task: Task) {
        self.chunks[task.chunk]
            .0
            .store(2 * (task.pass + 1), Ordering::Release);
        self.events.notify();
    }
}

/// A working array the team shares, as a raw pointer. Soundness rests on
/// [`Schedule`]: while a task runs, no other thread writes the rows it
/// reads or touches the rows it writes.
#[derive(Clone, Copy)]
pub(crate) struct Shared(pub(crate) *mut f64);

// SAFETY: see the type's doc; access is ordered by `Schedule`.
unsafe impl Send for Shared {}
// SAFETY: as for `Send`.
unsafe impl Sync for Shared {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Runs a schedule of `chunks` × `passes` on `threads` threads, thread
    /// `sleeper` (if any) sleeping `nap` inside every tenth of its tasks,
    /// and checks every task ran once, after the tasks it depends on.
    fn run(threads: usize, chunks: usize, passes: usize, sleeper: Option<usize>, nap: Duration) {
        let schedule = Schedule::new(chunks, passes, Duration::ZERO);
        // The passes each chunk has finished, as the tasks saw them.
        let done = Mutex::new(vec![0usize; chunks]);
        let ran = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..threads {
                let (schedule, done, ran) = (&schedule, &done, &ran);
                s.spawn(move || {
                    let mut mine = 0;
                    while let Claim::Run(task) = schedule.claim(t * chunks / threads) {
                        {
                            let d = done.lock().unwrap();
                            assert_eq!(d[task.chunk], task.pass, "{task:?} ran twice or early");
                            for nb in [task.chunk.wrapping_sub(1), task.chunk + 1] {
                                if nb < chunks {
                                    assert!(d[nb] >= task.pass, "{task:?} before chunk {nb}");
                                    assert!(d[nb] <= task.pass + 1, "{task:?} after chunk {nb}");
                                }
                            }
                        }
                        mine += 1;
                        if Some(t) == sleeper && mine % 10 == 0 {
                            std::thread::sleep(nap);
                        }
                        done.lock().unwrap()[task.chunk] += 1;
                        ran.fetch_add(1, Ordering::SeqCst);
                        schedule.finish(task);
                    }
                });
            }
        });
        assert_eq!(ran.load(Ordering::SeqCst), chunks * passes);
        assert!(done.lock().unwrap().iter().all(|&d| d == passes));
    }

    #[test]
    fn every_task_runs_once_in_dependency_order() {
        for (threads, chunks) in [(1, 1), (1, 4), (2, 2), (2, 4), (3, 7), (4, 2)] {
            run(threads, chunks, 50, None, Duration::ZERO);
        }
    }

    #[test]
    fn eight_threads_on_a_small_machine_finish() {
        run(8, 16, 200, None, Duration::ZERO);
    }

    #[test]
    fn a_thread_asleep_mid_task_holds_up_only_its_chunk() {
        // The sleeper naps 20 ms in some tasks; the others keep going and
        // the run ends.
        run(4, 8, 100, Some(1), Duration::from_millis(20));
    }

    #[test]
    fn no_passes_is_finished_at_once() {
        let s = Schedule::new(3, 0, Duration::ZERO);
        assert_eq!(s.claim(0), Claim::Finished);
    }

    #[test]
    fn the_home_chunk_is_claimed_first_when_all_are_level() {
        let s = Schedule::new(4, 2, Duration::ZERO);
        assert_eq!(s.claim(2), Claim::Run(Task { chunk: 2, pass: 0 }));
        assert_eq!(s.claim(2), Claim::Run(Task { chunk: 3, pass: 0 }));
        assert_eq!(s.claim(2), Claim::Run(Task { chunk: 0, pass: 0 }));
    }
}
