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
//! their core can run it. A thread that waited for work while a task was
//! held that long ([`LEAVE_AFTER`]) leaves the team for the rest of the
//! call: the machine has fewer free cores than the team has threads, and a
//! team that keeps running in step loses a time slice whenever any of its
//! threads is descheduled holding a chunk, while fewer threads are
//! descheduled less often. On an idle machine each thread keeps to the
//! chunks nearest its own part of the grid ([`Schedule::claim`]'s `home`),
//! so rows stay in its core's caches.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::events::Events;

/// A task held this long means its thread was descheduled in it (a task
/// takes tens of microseconds): a thread that waited for work meanwhile
/// leaves the team. The task's time counts, not the waiter's: a waiter that
/// parked on an idle vCPU may take a millisecond to wake up on a virtual
/// machine while the others go on finishing tasks, and that is no reason
/// to leave.
pub(crate) const LEAVE_AFTER: Duration = Duration::from_millis(1);

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
    /// Threads still in the team (see [`Claim::Leave`]).
    members: AtomicUsize,
    leave_after: Duration,
    /// The clock of `long_task_ended`.
    start: Instant,
    /// When the last task held [`LEAVE_AFTER`] or longer ended
    /// (nanoseconds since `start`; 0: none yet).
    long_task_ended: AtomicU64,
    /// A thread panicked in a task: its chunk will never be done.
    abandoned: AtomicBool,
}

/// What [`Schedule::claim`] gives a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// This task is now the caller's: run it, then call [`Schedule::finish`].
    Run(Task),
    /// Every pass of every chunk is done.
    Finished,
    /// While the caller waited for work, a task was held [`LEAVE_AFTER`]
    /// or longer: the caller leaves the team, and the threads that stay
    /// finish the work (the last one never leaves).
    Leave,
    /// The schedule was abandoned: a thread panicked in a task.
    Abandoned,
}

impl Schedule {
    /// `chunks` chunks at pass 0 of `passes` for a team of `members`
    /// threads; threads waiting for work spin for `spin` before they park,
    /// and leave when a task held `leave_after` ([`LEAVE_AFTER`]) ends
    /// while they wait.
    pub(crate) fn new(
        chunks: usize,
        passes: usize,
        members: usize,
        spin: Duration,
        leave_after: Duration,
    ) -> Self {
        Schedule {
            chunks: (0..chunks.max(1))
                .map(|_| ChunkState(AtomicUsize::new(0)))
                .collect(),
            passes,
            events: Events::new(spin),
            members: AtomicUsize::new(members.max(1)),
            leave_after,
            start: Instant::now(),
            long_task_ended: AtomicU64::new(0),
            abandoned: AtomicBool::new(false),
        }
    }

    /// Gives up the schedule (a thread panicked in a task): every claim
    /// returns [`Claim::Abandoned`] from now on.
    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::SeqCst);
        self.events.notify();
    }

    /// The threads of the team that have not left.
    pub(crate) fn members(&self) -> usize {
        self.members.load(Ordering::Acquire)
    }

    /// Whether [`Schedule::abandon`] was called.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// Leaves the team unless the caller is its last member.
    fn try_leave(&self) -> bool {
        self.members
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |m| {
                (m > 1).then(|| m - 1)
            })
            .is_ok()
    }

    /// Passes done by chunk `c` (its pass in progress not counted).
    fn done(&self, c: usize) -> usize {
        self.chunks[c].0.load(Ordering::Acquire) / 2
    }

    /// Nanoseconds since the schedule's start, at least 1 (0 means never).
    fn now(&self) -> u64 {
        (self.start.elapsed().as_nanos() as u64).max(1)
    }

    /// Claims the next task, waiting while every task that could run next
    /// is held by another thread. It takes a chunk of its own part of the
    /// grid, `home`, if one may run (so that on an idle machine every
    /// thread keeps its rows in its own core's caches), else any other that
    /// may; among those, the one with the fewest passes done (which keeps
    /// the chunks close enough together that threads seldom wait), the
    /// first found scanning from the start of `home`. A caller that `may_leave` leaves after a long
    /// wait (see [`Claim::Leave`]); one that may not gets
    /// [`Claim::Finished`] only once every task is done.
    pub(crate) fn claim(&self, home: Range<usize>, may_leave: bool) -> Claim {
        let count = self.chunks.len();
        let mut waiting_since: Option<u64> = None;
        loop {
            let seen = self.events.seen();
            if self.is_abandoned() {
                return Claim::Abandoned;
            }
            // The best chunk of `home`, and of the others.
            let mut best: [Option<(usize, usize)>; 2] = [None, None];
            let mut finished = true;
            for i in 0..count {
                let c = (home.start + i) % count;
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
                let best = &mut best[usize::from(!home.contains(&c))];
                if ready && best.is_none_or(|(_, d)| done < d) {
                    *best = Some((c, done));
                }
            }
            if finished {
                return Claim::Finished;
            }
            match best[0].or(best[1]) {
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
                None => {
                    let since = *waiting_since.get_or_insert_with(|| self.now());
                    self.events.wait_past(seen);
                    let stalled = self.long_task_ended.load(Ordering::Acquire) >= since;
                    if may_leave && stalled && self.try_leave() {
                        return Claim::Leave;
                    }
                }
            }
        }
    }

    /// Marks `task` done (after its writes), which its thread `held` from
    /// its claim, and wakes threads waiting for work.
    pub(crate) fn finish(&self, task: Task, held: Duration) {
        if held >= self.leave_after {
            self.long_task_ended
                .fetch_max(self.now(), Ordering::Release);
        }
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
    /// `sleeper` (if any) sleeping `nap` inside every tenth of its tasks
    /// from its first,
    /// and checks every task ran once, after the tasks it depends on.
    fn run(
        threads: usize,
        chunks: usize,
        passes: usize,
        sleeper: Option<usize>,
        nap: Duration,
        leave_after: Duration,
    ) -> usize {
        let schedule = Schedule::new(chunks, passes, threads, Duration::ZERO, leave_after);
        // The passes each chunk has finished, as the tasks saw them.
        let done = Mutex::new(vec![0usize; chunks]);
        let ran = AtomicUsize::new(0);
        let left = AtomicUsize::new(0);
        // The sleeper claims its first task before the others start.
        let sleeper_started = std::sync::atomic::AtomicBool::new(sleeper.is_none());
        std::thread::scope(|s| {
            for t in 0..threads {
                let (schedule, done, ran, left) = (&schedule, &done, &ran, &left);
                let sleeper_started = &sleeper_started;
                s.spawn(move || {
                    let mut mine = 0;
                    while Some(t) != sleeper && !sleeper_started.load(Ordering::SeqCst) {
                        std::thread::yield_now();
                    }
                    loop {
                        let task = match schedule
                            .claim(t * chunks / threads..(t + 1) * chunks / threads, true)
                        {
                            Claim::Run(task) => task,
                            Claim::Finished | Claim::Abandoned => return,
                            Claim::Leave => {
                                left.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                        };
                        let claimed = Instant::now();
                        sleeper_started.store(true, Ordering::SeqCst);
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
                        if Some(t) == sleeper && mine % 10 == 1 {
                            std::thread::sleep(nap);
                        }
                        done.lock().unwrap()[task.chunk] += 1;
                        ran.fetch_add(1, Ordering::SeqCst);
                        schedule.finish(task, claimed.elapsed());
                    }
                });
            }
        });
        assert_eq!(ran.load(Ordering::SeqCst), chunks * passes);
        assert!(done.lock().unwrap().iter().all(|&d| d == passes));
        let left = left.load(Ordering::SeqCst);
        assert!(left < threads.max(1), "all {threads} threads left");
        assert_eq!(schedule.members(), threads - left);
        left
    }

    /// Long enough that no thread leaves in these tests.
    const STAY: Duration = Duration::from_secs(3600);

    #[test]
    fn every_task_runs_once_in_dependency_order() {
        for (threads, chunks) in [(1, 1), (1, 4), (2, 2), (2, 4), (3, 7), (4, 2)] {
            assert_eq!(run(threads, chunks, 50, None, Duration::ZERO, STAY), 0);
        }
    }

    #[test]
    fn eight_threads_on_a_small_machine_finish() {
        run(8, 16, 200, None, Duration::ZERO, STAY);
        // Threads leave as soon as they wait at all; the last one stays.
        run(8, 16, 200, None, Duration::ZERO, Duration::ZERO);
    }

    #[test]
    fn a_thread_asleep_mid_task_holds_up_only_its_chunk() {
        // The sleeper naps 20 ms in some tasks; the others keep going and
        // the run ends.
        run(4, 8, 100, Some(1), Duration::from_millis(20), STAY);
    }

    #[test]
    fn threads_that_wait_for_a_sleeper_leave_and_it_finishes() {
        // The sleeper's tasks are held 20 ms: the others, waiting for them,
        // leave (all but one at most, never all).
        let left = run(4, 8, 100, Some(1), Duration::from_millis(20), LEAVE_AFTER);
        assert!(left >= 1, "nobody left");
    }

    #[test]
    fn a_waiter_stays_while_every_task_it_waits_for_is_short() {
        // One chunk: one thread works at a time, and the other, parked
        // between tasks, mostly wakes to find the chunk taken again, so it
        // waits far longer than `leave_after` in one claim. Each task is
        // held 50 µs: nobody was descheduled, nobody leaves.
        let leave_after = Duration::from_millis(50);
        let s = Schedule::new(1, 2000, 2, Duration::ZERO, leave_after);
        let left = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for t in 0..2 {
                let (s, left) = (&s, &left);
                scope.spawn(move || loop {
                    match s.claim(0..1, t != 0) {
                        Claim::Run(task) => {
                            let start = Instant::now();
                            while start.elapsed() < Duration::from_micros(50) {
                                std::hint::spin_loop();
                            }
                            s.finish(task, start.elapsed());
                        }
                        Claim::Leave => {
                            left.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Claim::Finished | Claim::Abandoned => break,
                    }
                });
            }
        });
        assert_eq!(left.load(Ordering::SeqCst), 0);
        assert_eq!(s.done(0), 2000);
    }

    #[test]
    fn an_abandoned_schedule_wakes_its_waiters() {
        let s = Schedule::new(1, 2, 2, Duration::ZERO, LEAVE_AFTER);
        let task = match s.claim(0..1, false) {
            Claim::Run(t) => t,
            other => panic!("{other:?}"),
        };
        assert_eq!(task, Task { chunk: 0, pass: 0 });
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| s.claim(0..1, false));
            std::thread::sleep(Duration::from_millis(20));
            s.abandon();
            assert_eq!(waiter.join().unwrap(), Claim::Abandoned);
        });
    }

    #[test]
    fn no_passes_is_finished_at_once() {
        let s = Schedule::new(3, 0, 2, Duration::ZERO, LEAVE_AFTER);
        assert_eq!(s.claim(0..3, true), Claim::Finished);
    }

    #[test]
    fn home_chunks_come_first_even_when_others_are_behind() {
        let s = Schedule::new(4, 3, 1, Duration::ZERO, LEAVE_AFTER);
        let home = 2..4;
        let run = |chunk, pass| Claim::Run(Task { chunk, pass });
        assert_eq!(s.claim(home.clone(), true), run(2, 0));
        s.finish(Task { chunk: 2, pass: 0 }, Duration::ZERO);
        assert_eq!(s.claim(home.clone(), true), run(3, 0));
        s.finish(Task { chunk: 3, pass: 0 }, Duration::ZERO);
        // Chunk 3 may do pass 1 (its neighbours have done pass 0): home
        // first, though chunks 0 and 1 are a pass behind.
        assert_eq!(s.claim(home.clone(), true), run(3, 1));
        s.finish(Task { chunk: 3, pass: 1 }, Duration::ZERO);
        // Chunk 2 waits for chunk 1, chunk 3 for chunk 2: the others.
        assert_eq!(s.claim(home.clone(), true), run(0, 0));
    }
}
