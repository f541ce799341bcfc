//! [`Mpi`]: the [`Communicator`] over a system MPI library, through rsmpi.
//!
//! The buffer flavour maps one-to-one onto MPI calls on typed buffers
//! (`MPI_Send`, `MPI_Sendrecv`, `MPI_Bcast`, `MPI_Reduce`…), so numbers move
//! with no copy beyond what MPI itself does. The object flavour sends
//! serialised bytes: a receive first probes the message to learn its size
//! (`MPI_Mprobe`), then receives exactly that many bytes; collectives of
//! objects exchange the sizes first and then use the `v` variants
//! (`MPI_Gatherv`, `MPI_Scatterv`, `MPI_Allgatherv`).
//!
//! Object sends are buffered: the bytes are posted with `MPI_Isend` and kept
//! alive in a pending list until MPI is done with them, so an object send
//! never waits for its receiver (as on [`crate::Local`]). The pending list is
//! drained as sends complete, and fully before MPI is finalised.

use std::cell::RefCell;
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::sync::Mutex;

use mpi::collective::SystemOperation;
use mpi::datatype::{Partition, PartitionMut};
use mpi::point_to_point as p2p;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{
    Communicator as _, CommunicatorCollectives, Destination, Equivalence, Root, Source,
};
use mpi::Count;

use crate::communicator::{check_blocks, check_peer, check_tag, Communicator, Request, Tag};
use crate::error::{CommError, Result};
use crate::scalar::{Op, Scalar};

/// The MPI environment of this process: initialised by the first
/// [`Mpi::init`], finalised when the process exits (`atexit`), so that any
/// number of [`Mpi`] handles can be made one after another (MPI itself can be
/// initialised only once per process).
struct Universe {
    /// Held only to be dropped at exit, which finalises MPI.
    _held: mpi::environment::Universe,
}

// SAFETY: MPI runs with MPI_THREAD_SERIALIZED (see `Mpi::init`); the
// universe is only touched under the mutex below.
unsafe impl Send for Universe {}

static UNIVERSE: Mutex<Option<Universe>> = Mutex::new(None);

extern "C" {
    fn atexit(f: extern "C" fn()) -> std::os::raw::c_int;
}

/// Finalises MPI (rsmpi's `Universe` drop) when the process exits.
extern "C" fn finalize_at_exit() {
    let mut universe = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner());
    drop(universe.take());
}

/// This process's rank in `MPI_COMM_WORLD`; see the [module docs](self).
///
/// Make one with [`Mpi::init`]. MPI is finalised when the process exits.
pub struct Mpi {
    world: SimpleCommunicator,
    /// Object sends still in flight: the bytes must live until MPI is done.
    pending: RefCell<Vec<(Vec<u8>, mpi::ffi::MPI_Request)>>,
}

impl Mpi {
    /// Initialises MPI on first use and returns the world communicator.
    ///
    /// MPI is initialised with `MPI_THREAD_SERIALIZED`, so an `Mpi` may move
    /// to another thread (it is `Send`, not `Sync`).
    pub fn init() -> Result<Mpi> {
        let mut universe = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner());
        if universe.is_none() {
            let (u, _) = mpi::initialize_with_threading(mpi::Threading::Serialized)
                .ok_or(CommError::AlreadyInitialized)?;
            *universe = Some(Universe { _held: u });
            // SAFETY: registers a plain `extern "C" fn` with the C library.
            unsafe { atexit(finalize_at_exit) };
        }
        Ok(Mpi {
            world: SimpleCommunicator::world(),
            pending: RefCell::new(Vec::new()),
        })
    }

    /// Whether this process was started by an MPI launcher with more than one
    /// rank, or by a launcher at all (`mpirun`/`mpiexec` set these variables);
    /// a plain run is a world of one.
    pub fn launched_by_mpirun() -> bool {
        [
            "PMI_RANK",
            "PMI_SIZE",
            "PMIX_RANK",
            "OMPI_COMM_WORLD_SIZE",
            "MPI_LOCALNRANKS",
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    }

    fn process(&self, rank: usize) -> Result<mpi::topology::Process<'_>> {
        check_peer(rank, self.size())?;
        Ok(self.world.process_at_rank(rank as i32))
    }

    /// Forgets object sends that MPI has finished with.
    fn progress(&self) {
        let mut pending = self.pending.borrow_mut();
        pending.retain_mut(|(_, req)| {
            let mut done = 0;
            // SAFETY: `req` is a live request from MPI_Isend; MPI_Test frees it when done.
            unsafe { mpi::ffi::MPI_Test(req, &mut done, mpi::ffi::RSMPI_STATUS_IGNORE) };
            done == 0
        });
    }

    /// Gathers one count per rank to every rank.
    fn all_counts(&self, n: usize) -> Result<Vec<Count>> {
        let mut counts = vec![0 as Count; self.size()];
        self.world.all_gather_into(&count(n)?, &mut counts[..]);
        Ok(counts)
    }
}

// SAFETY: MPI runs with MPI_THREAD_SERIALIZED (see `init`), which allows MPI
// calls from any thread as long as they are not concurrent; `Mpi` is not
// `Sync` (its `RefCell`), so only one thread at a time can use it.
unsafe impl Send for Mpi {}

impl Drop for Mpi {
    fn drop(&mut self) {
        for (_, req) in self.pending.get_mut().iter_mut() {
            // SAFETY: a live request from MPI_Isend whose buffer is still alive.
            unsafe { mpi::ffi::MPI_Wait(req, mpi::ffi::RSMPI_STATUS_IGNORE) };
        }
    }
}

fn count(n: usize) -> Result<Count> {
    Count::try_from(n).map_err(|_| CommError::TooLarge(n))
}

fn displacements(counts: &[Count]) -> Vec<Count> {
    counts
        .iter()
        .scan(0, |acc, &c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

fn split(bytes: Vec<u8>, counts: &[Count]) -> Vec<Vec<u8>> {
    let mut rest = &bytes[..];
    counts
        .iter()
        .map(|&c| {
            let (head, tail) = rest.split_at(c as usize);
            rest = tail;
            head.to_vec()
        })
        .collect()
}

fn system_op(op: Op) -> SystemOperation {
    match op {
        Op::Sum => SystemOperation::sum(),
        Op::Prod => SystemOperation::product(),
        Op::Min => SystemOperation::min(),
        Op::Max => SystemOperation::max(),
    }
}

/// The request of [`Mpi::isend_buf`] (an `MPI_Isend` on the buffer it owns).
#[must_use = "a request does nothing useful until it is waited on"]
pub struct MpiSend<T> {
    buf: Vec<T>,
    req: mpi::ffi::MPI_Request,
    done: bool,
}

/// Waits for a request like `MPI_Wait`, but yields the core between polls.
///
/// MPICH's `MPI_Wait` spins without yielding. When ranks outnumber cores
/// (oversubscription) or share them with other work, the spinning rank may
/// hold the very core the rank it waits for needs, for a whole scheduler time
/// slice per message; yielding lets that rank run. On an idle core
/// `sched_yield` returns at once, so the cost is a few hundred nanoseconds.
fn wait_yielding(req: &mut mpi::ffi::MPI_Request) -> mpi::ffi::MPI_Status {
    let mut status = MaybeUninit::<mpi::ffi::MPI_Status>::uninit();
    let mut polls = 0u32;
    loop {
        let mut done = 0;
        // SAFETY: `req` is a live request; MPI_Test fills `status` when done.
        unsafe { mpi::ffi::MPI_Test(req, &mut done, status.as_mut_ptr()) };
        if done != 0 {
            // SAFETY: filled by the successful MPI_Test above.
            return unsafe { status.assume_init() };
        }
        polls += 1;
        if polls > 64 {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

impl<T: Scalar> Request for MpiSend<T> {
    type Output = Vec<T>;
    fn wait(mut self) -> Result<Vec<T>> {
        wait_yielding(&mut self.req);
        self.done = true;
        Ok(std::mem::take(&mut self.buf))
    }
}

impl<T> Drop for MpiSend<T> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: MPI must be done with the buffer before it is freed.
            unsafe { mpi::ffi::MPI_Wait(&mut self.req, mpi::ffi::RSMPI_STATUS_IGNORE) };
        }
    }
}

/// The request of [`Mpi::irecv_buf`] (an `MPI_Irecv` into the buffer it owns).
#[must_use = "a request does nothing useful until it is waited on"]
pub struct MpiRecv<T> {
    buf: Vec<T>,
    req: mpi::ffi::MPI_Request,
    done: bool,
    source: usize,
    tag: Tag,
}

impl<T: Scalar> Request for MpiRecv<T> {
    type Output = Vec<T>;
    fn wait(mut self) -> Result<Vec<T>> {
        // The buffer it writes into is owned by `self`, alive until done.
        let status = wait_yielding(&mut self.req);
        self.done = true;
        let mut n: Count = 0;
        // SAFETY: `status` was filled by MPI_Wait.
        unsafe { mpi::ffi::MPI_Get_count(&status, T::equivalent_datatype().as_raw(), &mut n) };
        if status.MPI_ERROR != 0 && n as usize > self.buf.len() {
            return Err(CommError::Truncated {
                from: self.source,
                tag: self.tag,
                got: n as usize,
                capacity: self.buf.len(),
            });
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.truncate(n.max(0) as usize);
        Ok(buf)
    }
}

impl<T> Drop for MpiRecv<T> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: cancel, then wait, so MPI no longer writes into the buffer.
            unsafe {
                mpi::ffi::MPI_Cancel(&mut self.req);
                mpi::ffi::MPI_Wait(&mut self.req, mpi::ffi::RSMPI_STATUS_IGNORE);
            }
        }
    }
}

impl Communicator for Mpi {
    type SendRequest<T: Scalar> = MpiSend<T>;
    type RecvRequest<'a, T: Scalar> = MpiRecv<T>;

    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn processor_name(&self) -> String {
        mpi::environment::processor_name().unwrap_or_else(|_| crate::local::hostname())
    }

    fn barrier(&self) -> Result<()> {
        self.progress();
        self.world.barrier();
        Ok(())
    }

    fn abort(&self, code: i32) -> ! {
        // MPI_Abort makes the launcher kill every rank at once, and with them
        // the output still on its way through the launcher: flush, and give
        // the message a moment to reach the user before pulling the plug.
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        std::thread::sleep(std::time::Duration::from_millis(300));
        self.world.abort(code)
    }

    fn send_bytes(&self, bytes: Vec<u8>, dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        check_peer(dest, self.size())?;
        let n = count(bytes.len())?;
        self.progress();
        let mut req = MaybeUninit::<mpi::ffi::MPI_Request>::uninit();
        // SAFETY: the bytes' heap memory does not move when the Vec moves into
        // `pending`, and stays alive there until MPI_Test/MPI_Wait completes.
        let req = unsafe {
            mpi::ffi::MPI_Isend(
                bytes.as_ptr() as *const c_void,
                n,
                u8::equivalent_datatype().as_raw(),
                dest as i32,
                tag,
                self.world.as_raw(),
                req.as_mut_ptr(),
            );
            req.assume_init()
        };
        self.pending.borrow_mut().push((bytes, req));
        Ok(())
    }

    fn recv_bytes(&self, source: usize, tag: Tag) -> Result<Vec<u8>> {
        check_tag(tag)?;
        let (msg, status) = self.process(source)?.matched_probe_with_tag(tag);
        let mut bytes = vec![0u8; status.count(u8::equivalent_datatype()) as usize];
        msg.matched_receive_into(&mut bytes[..]);
        self.progress();
        Ok(bytes)
    }

    fn bcast_bytes(&self, bytes: Option<Vec<u8>>, root: usize) -> Result<Vec<u8>> {
        let root_process = self.process(root)?;
        let mut len = [0u64];
        let mut bytes = if self.rank() == root {
            let b = bytes.ok_or(CommError::MissingRootData { op: "bcast", root })?;
            len[0] = b.len() as u64;
            b
        } else {
            Vec::new()
        };
        root_process.broadcast_into(&mut len[..]);
        bytes.resize(len[0] as usize, 0);
        root_process.broadcast_into(&mut bytes[..]);
        Ok(bytes)
    }

    fn gather_bytes(&self, bytes: Vec<u8>, root: usize) -> Result<Option<Vec<Vec<u8>>>> {
        let root_process = self.process(root)?;
        let n = count(bytes.len())?;
        if self.rank() != root {
            root_process.gather_into(&n);
            root_process.gather_varcount_into(&bytes[..]);
            return Ok(None);
        }
        let mut counts = vec![0 as Count; self.size()];
        root_process.gather_into_root(&n, &mut counts[..]);
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        {
            let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            root_process.gather_varcount_into_root(&bytes[..], &mut partition);
        }
        Ok(Some(split(all, &counts)))
    }

    fn allgather_bytes(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>> {
        let counts = self.all_counts(bytes.len())?;
        let displs = displacements(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        {
            let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            self.world
                .all_gather_varcount_into(&bytes[..], &mut partition);
        }
        Ok(split(all, &counts))
    }

    fn scatter_bytes(&self, parts: Option<Vec<Vec<u8>>>, root: usize) -> Result<Vec<u8>> {
        let root_process = self.process(root)?;
        let mut n: Count = 0;
        if self.rank() != root {
            root_process.scatter_into(&mut n);
            let mut mine = vec![0u8; n as usize];
            root_process.scatter_varcount_into(&mut mine[..]);
            return Ok(mine);
        }
        let parts = parts.ok_or(CommError::MissingRootData {
            op: "scatter",
            root,
        })?;
        check_blocks("scatter", parts.len(), 1, self.size())?;
        let counts = parts
            .iter()
            .map(|p| count(p.len()))
            .collect::<Result<Vec<_>>>()?;
        let displs = displacements(&counts);
        let all = parts.concat();
        root_process.scatter_into_root(&counts[..], &mut n);
        let mut mine = vec![0u8; n as usize];
        let partition = Partition::new(&all[..], &counts[..], &displs[..]);
        root_process.scatter_varcount_into_root(&partition, &mut mine[..]);
        Ok(mine)
    }

    fn send_buf<T: Scalar>(&self, buf: &[T], dest: usize, tag: Tag) -> Result<()> {
        check_tag(tag)?;
        count(buf.len())?;
        self.process(dest)?.send_with_tag(buf, tag);
        Ok(())
    }

    fn recv_buf<T: Scalar>(&self, buf: &mut [T], source: usize, tag: Tag) -> Result<usize> {
        check_tag(tag)?;
        let process = self.process(source)?;
        // Probe first, so that a message longer than `buf` is a typed error
        // rather than MPI's fatal truncation error.
        let status = process.probe_with_tag(tag);
        let n = status.count(T::equivalent_datatype()) as usize;
        if n > buf.len() {
            return Err(CommError::Truncated {
                from: source,
                tag,
                got: n,
                capacity: buf.len(),
            });
        }
        process.receive_into_with_tag(&mut buf[..n], tag);
        Ok(n)
    }

    fn sendrecv_buf<T: Scalar>(
        &self,
        send: &[T],
        dest: usize,
        recv: &mut [T],
        source: usize,
        tag: Tag,
    ) -> Result<usize> {
        check_tag(tag)?;
        count(send.len())?;
        count(recv.len())?;
        let (d, s) = (self.process(dest)?, self.process(source)?);
        let status = p2p::send_receive_into_with_tags(send, &d, tag, recv, &s, tag);
        Ok(status.count(T::equivalent_datatype()) as usize)
    }

    fn isend_buf<T: Scalar>(&self, buf: Vec<T>, dest: usize, tag: Tag) -> Result<MpiSend<T>> {
        check_tag(tag)?;
        check_peer(dest, self.size())?;
        let n = count(buf.len())?;
        let mut req = MaybeUninit::<mpi::ffi::MPI_Request>::uninit();
        // SAFETY: the buffer is owned by the request, which waits before freeing it.
        let req = unsafe {
            mpi::ffi::MPI_Isend(
                buf.as_ptr() as *const c_void,
                n,
                T::equivalent_datatype().as_raw(),
                dest as i32,
                tag,
                self.world.as_raw(),
                req.as_mut_ptr(),
            );
            req.assume_init()
        };
        Ok(MpiSend {
            buf,
            req,
            done: false,
        })
    }

    fn irecv_buf<T: Scalar>(&self, mut buf: Vec<T>, source: usize, tag: Tag) -> Result<MpiRecv<T>> {
        check_tag(tag)?;
        check_peer(source, self.size())?;
        let n = count(buf.len())?;
        let mut req = MaybeUninit::<mpi::ffi::MPI_Request>::uninit();
        // SAFETY: the buffer is owned by the request, which waits (or cancels
        // and waits) before freeing it.
        let req = unsafe {
            mpi::ffi::MPI_Irecv(
                buf.as_mut_ptr() as *mut c_void,
                n,
                T::equivalent_datatype().as_raw(),
                source as i32,
                tag,
                self.world.as_raw(),
                req.as_mut_ptr(),
            );
            req.assume_init()
        };
        Ok(MpiRecv {
            buf,
            req,
            done: false,
            source,
            tag,
        })
    }

    fn bcast_buf<T: Scalar>(&self, buf: &mut [T], root: usize) -> Result<()> {
        count(buf.len())?;
        self.process(root)?.broadcast_into(buf);
        Ok(())
    }

    fn scatter_buf<T: Scalar>(
        &self,
        send: Option<&[T]>,
        recv: &mut [T],
        root: usize,
    ) -> Result<()> {
        let root_process = self.process(root)?;
        count(recv.len() * self.size())?;
        if self.rank() != root {
            root_process.scatter_into(recv);
            return Ok(());
        }
        let send = send.ok_or(CommError::MissingRootData {
            op: "scatter_buf",
            root,
        })?;
        check_blocks("scatter_buf", send.len(), recv.len(), self.size())?;
        root_process.scatter_into_root(send, recv);
        Ok(())
    }

    fn gather_buf<T: Scalar>(&self, send: &[T], recv: Option<&mut [T]>, root: usize) -> Result<()> {
        let root_process = self.process(root)?;
        count(send.len() * self.size())?;
        if self.rank() != root {
            root_process.gather_into(send);
            return Ok(());
        }
        let recv = recv.ok_or(CommError::MissingRootData {
            op: "gather_buf",
            root,
        })?;
        check_blocks("gather_buf", recv.len(), send.len(), self.size())?;
        root_process.gather_into_root(send, recv);
        Ok(())
    }

    fn allgather_buf<T: Scalar>(&self, send: &[T], recv: &mut [T]) -> Result<()> {
        check_blocks("allgather_buf", recv.len(), send.len(), self.size())?;
        count(recv.len())?;
        self.world.all_gather_into(send, recv);
        Ok(())
    }

    fn reduce_buf<T: Scalar>(
        &self,
        send: &[T],
        recv: Option<&mut [T]>,
        op: Op,
        root: usize,
    ) -> Result<()> {
        let root_process = self.process(root)?;
        count(send.len())?;
        if self.rank() != root {
            root_process.reduce_into(send, system_op(op));
            return Ok(());
        }
        let recv = recv.ok_or(CommError::MissingRootData {
            op: "reduce_buf",
            root,
        })?;
        check_blocks("reduce_buf", recv.len(), send.len(), 1)?;
        root_process.reduce_into_root(send, recv, system_op(op));
        Ok(())
    }

    fn allreduce_buf<T: Scalar>(&self, send: &[T], recv: &mut [T], op: Op) -> Result<()> {
        check_blocks("allreduce_buf", recv.len(), send.len(), 1)?;
        count(send.len())?;
        self.world.all_reduce_into(send, recv, system_op(op));
        Ok(())
    }
}
