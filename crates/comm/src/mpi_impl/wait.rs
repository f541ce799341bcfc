//! Every wait of [`Mpi`] — for a non-blocking request, for a collective, for
//! a message to probe — polls MPI and pauses between polls as
//! [`runtime::backoff`] says (a short adaptive spin, a few yields, then
//! sleeps), so that a rank that waits gives its core away; a rank pinned to
//! a core of its own first polls without pause for a while
//! ([`Mpi::set_active_wait`]).
//!
//! MPICH's blocking calls (`MPI_Wait`, `MPI_Bcast`, `MPI_Recv`, `MPI_Probe`,
//! …) poll their progress engine without pause. When ranks share their
//! cores with other work, or outnumber them, the waiting rank then holds
//! the very core the rank it waits for needs, for a whole scheduler time
//! slice per message. So every operation here that waits is started
//! non-blocking (`MPI_Isend`, `MPI_Ibcast`, `MPI_Improbe`, …) and completed
//! by these polls.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mpi::ffi::{MPI_Message, MPI_Request, MPI_Status};
use mpi::raw::AsRaw;
use mpi::traits::Equivalence;
use runtime::backoff::{SpinBudget, WaitPolicy};

use super::Mpi;
use crate::communicator::Tag;

/// How long this rank's waits spin, shared by all of them: a process is
/// one rank, and how late its peers answer is one thing to learn.
static SPIN: SpinBudget = SpinBudget::new(WaitPolicy::DEFAULT);

/// Whether waits poll without pause ([`Mpi::set_active_wait`]).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// How long an active wait polls without pause before it falls back to
/// the default pauses: longer than a scheduler time slice, so that a rank
/// whose core is shared keeps its slices, and bounded, so that ranks of
/// two jobs pinned to the same cores still hand them to each other.
const ACTIVE_SPIN: Duration = Duration::from_millis(2);

impl Mpi {
    /// Makes every wait of this process poll MPI without pause (`true`) for
    /// up to a couple of milliseconds, as `OMP_WAIT_POLICY=active` makes
    /// OpenMP's threads, before pausing as by default (`false`: a short
    /// adaptive spin, then yields and naps).
    ///
    /// Active waiting suits a rank pinned to a core of its own: nothing of
    /// the job can use that core while the rank waits, and a rank that
    /// sleeps there hands its core to whatever else shares it, then waits
    /// for that to finish its time slice before it notices its message —
    /// once per message. A rank left free to move should keep the default.
    pub fn set_active_wait(active: bool) {
        ACTIVE.store(active, Ordering::Relaxed);
    }
}

/// Polls `done` until it returns `true`: without pause for up to
/// [`ACTIVE_SPIN`] when waits are active, then (or else) as the shared
/// [`SPIN`] budget says, spinning for at least `busy` (see
/// [`SpinBudget::wait_at_least_spinning`]).
fn poll(busy: Duration, mut done: impl FnMut() -> bool) {
    if ACTIVE.load(Ordering::Relaxed) {
        let started = Instant::now();
        while started.elapsed() < ACTIVE_SPIN {
            if done() {
                return;
            }
            std::hint::spin_loop();
        }
    }
    SPIN.wait_at_least_spinning(busy, done);
}

/// How fast a message moves between two ranks that both poll: a wait for
/// `bytes` spins for at least the copy's time at this rate, since MPI moves
/// a large message in pieces, each when a poll comes, and napping between
/// pieces would slow the copy itself.
const BYTES_PER_SECOND: u64 = 1_000_000_000;

/// How long moving `bytes` takes while both ranks poll.
fn copy_time(bytes: usize) -> Duration {
    Duration::from_nanos((bytes as u64).saturating_mul(1_000_000_000) / BYTES_PER_SECOND)
}

/// Waits for `req`, which moves `bytes`, like `MPI_Wait`, pausing between
/// polls; returns its status.
pub(super) fn wait(req: &mut MPI_Request, bytes: usize) -> MPI_Status {
    let mut status = MaybeUninit::<MPI_Status>::uninit();
    poll(copy_time(bytes), || {
        let mut done = 0;
        // SAFETY: `req` is a live request (or already null, which MPI_Test
        // reports done); MPI_Test fills `status` when it is done.
        unsafe { mpi::ffi::MPI_Test(req, &mut done, status.as_mut_ptr()) };
        done != 0
    });
    // SAFETY: filled by the MPI_Test that returned done.
    unsafe { status.assume_init() }
}

/// Starts a non-blocking MPI operation that moves `bytes` with `start`,
/// which gets where to put the request, and waits for it.
///
/// # Safety
///
/// `start` must post exactly one request into the pointer it gets; the
/// buffers it names must stay valid, and untouched by anything else, until
/// this function returns.
pub(super) unsafe fn complete(bytes: usize, start: impl FnOnce(*mut MPI_Request)) -> MPI_Status {
    let mut req = MaybeUninit::<MPI_Request>::uninit();
    start(req.as_mut_ptr());
    // SAFETY: `start` posted the request into `req` (MPI's default error
    // handler aborts the job rather than return an error).
    let mut req = unsafe { req.assume_init() };
    wait(&mut req, bytes)
}

impl Mpi {
    /// Waits for a message from `source` with `tag`, like `MPI_Probe`,
    /// pausing between polls; the message stays queued for a receive.
    pub(super) fn probe(&self, source: usize, tag: Tag) -> MPI_Status {
        let mut status = MaybeUninit::<MPI_Status>::uninit();
        let comm = self.world.as_raw();
        poll(Duration::ZERO, || {
            let mut found = 0;
            // SAFETY: plain out-parameters; MPI_Iprobe fills `status` when
            // it finds a message.
            unsafe {
                mpi::ffi::MPI_Iprobe(source as i32, tag, comm, &mut found, status.as_mut_ptr())
            };
            found != 0
        });
        // SAFETY: filled by the MPI_Iprobe that found the message.
        unsafe { status.assume_init() }
    }

    /// Waits for a message from `source` with `tag`, like `MPI_Mprobe`,
    /// pausing between polls: the message, taken off the queue for
    /// `MPI_Imrecv`, and its status.
    pub(super) fn matched_probe(&self, source: usize, tag: Tag) -> (MPI_Message, MPI_Status) {
        let mut status = MaybeUninit::<MPI_Status>::uninit();
        let mut message = MaybeUninit::<MPI_Message>::uninit();
        let comm = self.world.as_raw();
        poll(Duration::ZERO, || {
            let mut found = 0;
            // SAFETY: plain out-parameters; MPI_Improbe fills `message` and
            // `status` when it finds a message.
            unsafe {
                mpi::ffi::MPI_Improbe(
                    source as i32,
                    tag,
                    comm,
                    &mut found,
                    message.as_mut_ptr(),
                    status.as_mut_ptr(),
                )
            };
            found != 0
        });
        // SAFETY: filled by the MPI_Improbe that found the message.
        unsafe { (message.assume_init(), status.assume_init()) }
    }
}

/// The number of elements of type `T` a completed receive or probe saw.
pub(super) fn received<T: Equivalence>(status: &MPI_Status) -> usize {
    let mut n: mpi::Count = 0;
    // SAFETY: `status` was filled by MPI for a message or a completed request.
    unsafe { mpi::ffi::MPI_Get_count(status, T::equivalent_datatype().as_raw(), &mut n) };
    n.max(0) as usize
}
