//! A conformance suite: every operation of [`Communicator`] in both flavours,
//! checked against closed-form answers. It runs on any communicator and any
//! number of ranks, so the same checks cover [`crate::Local`] in unit tests
//! and `Mpi` under `mpirun` (`hpcrs mpi selftest`).
//!
//! Each check is one function for one operation, named after it;
//! [`check_all`] runs them in order, on every rank.

use std::fmt::Debug;

use crate::{CommError, Communicator, Op, Request};

/// A check that failed: which one, on which rank, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rank {rank}: check {check} failed: {why}")]
pub struct CheckFailed {
    /// The check's name (its function's).
    pub check: &'static str,
    /// The rank that saw it fail.
    pub rank: usize,
    /// The error, or the wrong answer next to the right one.
    pub why: String,
}

/// Why a check failed: a communication error or a wrong answer.
struct Why(String);

impl From<CommError> for Why {
    fn from(e: CommError) -> Why {
        Why(e.to_string())
    }
}

impl From<String> for Why {
    fn from(why: String) -> Why {
        Why(why)
    }
}

/// What a check gives back.
type Outcome = Result<(), Why>;

/// A check's function.
type CheckFn<C> = fn(&C) -> Outcome;

/// The checks, in the order [`check_all`] runs them, each named after its
/// function.
fn checks<C: Communicator>() -> [(&'static str, CheckFn<C>); 21] {
    macro_rules! named {
        ($($check:ident),* $(,)?) => {
            [$((stringify!($check), $check::<C> as CheckFn<C>)),*]
        };
    }
    named![
        rank_size,
        processor_name,
        barrier,
        send_recv,
        send_recv_tags_out_of_order,
        sendrecv,
        isend_irecv,
        bcast,
        scatter,
        gather,
        allgather,
        reduce_allreduce,
        send_recv_buf,
        sendrecv_buf,
        isend_irecv_buf,
        bcast_buf,
        scatter_buf,
        gather_buf,
        allgather_buf,
        reduce_allreduce_buf,
        errors_are_typed,
    ]
}

/// Runs every check on `comm` (all ranks must call it) and returns the names
/// of the checks that passed, or the first failure with this rank's view.
pub fn check_all<C: Communicator>(comm: &C) -> Result<Vec<&'static str>, CheckFailed> {
    let mut passed = Vec::new();
    for (name, check) in checks::<C>() {
        check(comm).map_err(|Why(why)| CheckFailed {
            check: name,
            rank: comm.rank(),
            why,
        })?;
        passed.push(name);
    }
    Ok(passed)
}

/// Passes if `got` is `want`.
fn expect<T: PartialEq + Debug>(got: T, want: T) -> Outcome {
    match got == want {
        true => Ok(()),
        false => Err(Why(format!("got {got:?}, expected {want:?}"))),
    }
}

/// This rank's neighbours in the ring of all ranks: `(left, right)`.
fn neighbours<C: Communicator>(comm: &C) -> (usize, usize) {
    let (rank, size) = (comm.rank(), comm.size());
    ((rank + size - 1) % size, (rank + 1) % size)
}

// ---- who the ranks are ----

fn rank_size<C: Communicator>(comm: &C) -> Outcome {
    let (rank, size) = (comm.rank(), comm.size());
    if rank >= size {
        return Err(Why(format!("rank {rank} of {size}")));
    }
    let ranks: Vec<usize> = comm.allgather(&rank)?;
    expect(ranks, (0..size).collect())
}

fn processor_name<C: Communicator>(comm: &C) -> Outcome {
    match comm.processor_name().is_empty() {
        true => Err(Why("empty processor name".into())),
        false => Ok(()),
    }
}

fn barrier<C: Communicator>(comm: &C) -> Outcome {
    Ok(comm.barrier()?)
}

// ---- object flavour ----

fn send_recv<C: Communicator>(comm: &C) -> Outcome {
    // Rank r sends a structured value to r+1 (a ring, so every rank receives).
    let (rank, (left, right)) = (comm.rank(), neighbours(comm));
    let msg = (rank, format!("from {rank}"), vec![rank as f64; 3]);
    comm.send(&msg, right, 7)?;
    let got: (usize, String, Vec<f64>) = comm.recv(left, 7)?;
    expect(got, (left, format!("from {left}"), vec![left as f64; 3]))
}

fn send_recv_tags_out_of_order<C: Communicator>(comm: &C) -> Outcome {
    let (left, right) = neighbours(comm);
    comm.send(&1u8, right, 1)?;
    comm.send(&2u8, right, 2)?;
    let two: u8 = comm.recv(left, 2)?;
    let one: u8 = comm.recv(left, 1)?;
    expect((one, two), (1, 2))
}

fn sendrecv<C: Communicator>(comm: &C) -> Outcome {
    let (left, right) = neighbours(comm);
    let got: usize = comm.sendrecv(&comm.rank(), left, right, 13)?;
    expect(got, right)
}

fn isend_irecv<C: Communicator>(comm: &C) -> Outcome {
    let (left, right) = neighbours(comm);
    let req = comm.irecv::<Vec<i64>>(left, 3)?;
    let sent = comm.isend(&vec![comm.rank() as i64, -1], right, 3)?;
    let got = req.wait()?;
    sent.wait()?;
    expect(got, vec![left as i64, -1])
}

fn bcast<C: Communicator>(comm: &C) -> Outcome {
    let root = comm.size() - 1;
    let value = (comm.rank() == root).then(|| String::from("hello from the root"));
    let got: String = comm.bcast(value.as_ref(), root)?;
    expect(got.as_str(), "hello from the root")
}

fn scatter<C: Communicator>(comm: &C) -> Outcome {
    let rank = comm.rank();
    let values: Vec<(usize, usize)> = (0..comm.size()).map(|r| (r, r * r)).collect();
    let got: (usize, usize) = comm.scatter((rank == 0).then_some(&values[..]), 0)?;
    expect(got, (rank, rank * rank))
}

fn gather<C: Communicator>(comm: &C) -> Outcome {
    let rank = comm.rank();
    let got = comm.gather(&format!("r{rank}"), 0)?;
    let want = (rank == 0).then(|| (0..comm.size()).map(|r| format!("r{r}")).collect());
    expect(got, want)
}

fn allgather<C: Communicator>(comm: &C) -> Outcome {
    // Parts of different lengths, bounded so that every rank's result stays
    // small on a thousand ranks.
    let part = |r: usize| vec![r as u8; r % 5];
    let got: Vec<Vec<u8>> = comm.allgather(&part(comm.rank()))?;
    expect(got, (0..comm.size()).map(part).collect())
}

fn reduce_allreduce<C: Communicator>(comm: &C) -> Outcome {
    let (rank, n) = (comm.rank(), comm.size() as i64);
    let x = rank as i64 + 1;
    // Integer products wrap, as MPI's do: n! overflows i64 past 20 ranks.
    let factorial = (1..=n).fold(1i64, i64::wrapping_mul);
    for (op, want) in [
        (Op::Sum, n * (n + 1) / 2),
        (Op::Prod, factorial),
        (Op::Min, 1),
        (Op::Max, n),
    ] {
        expect(comm.reduce(&x, op, 0)?, (rank == 0).then_some(want))?;
        expect(comm.allreduce(&x, op)?, want)?;
        let v = comm.allreduce(&vec![x, -x], op)?;
        let neg = match op {
            Op::Sum => -want,
            Op::Prod => want.wrapping_mul(if n % 2 == 0 { 1 } else { -1 }),
            Op::Min => -n,
            Op::Max => -1,
        };
        expect(v, vec![want, neg])?;
    }
    Ok(())
}

// ---- buffer flavour ----

fn send_recv_buf<C: Communicator>(comm: &C) -> Outcome {
    let (rank, (left, right)) = (comm.rank(), neighbours(comm));
    let data: Vec<f64> = (0..100).map(|i| (rank * 1000 + i) as f64).collect();
    let mut got = vec![0.0; 128];
    if comm.size() == 1 {
        // A blocking send to oneself may wait forever (MPI does not
        // promise to buffer it): send without blocking instead.
        let req = comm.isend_buf(data.clone(), 0, 5)?;
        let n = comm.recv_buf(&mut got, 0, 5)?;
        req.wait()?;
        return expect((n, &got[..n]), (100, &data[..]));
    }
    // Even ranks send first, odd ranks receive first: no deadlock for any size.
    let n = if rank % 2 == 0 {
        comm.send_buf(&data, right, 5)?;
        comm.recv_buf(&mut got, left, 5)?
    } else {
        let n = comm.recv_buf(&mut got, left, 5)?;
        comm.send_buf(&data, right, 5)?;
        n
    };
    let want: Vec<f64> = (0..100).map(|i| (left * 1000 + i) as f64).collect();
    expect((n, &got[..n]), (100, &want[..]))
}

fn sendrecv_buf<C: Communicator>(comm: &C) -> Outcome {
    let (left, right) = neighbours(comm);
    let mut got = [0i32; 2];
    let n = comm.sendrecv_buf(&[comm.rank() as i32, 13], left, &mut got, right, 13)?;
    expect((n, got), (2, [right as i32, 13]))
}

fn isend_irecv_buf<C: Communicator>(comm: &C) -> Outcome {
    let (rank, (left, right)) = (comm.rank(), neighbours(comm));
    let recv = comm.irecv_buf(vec![0.0f32; 8], left, 9)?;
    let send = comm.isend_buf(vec![rank as f32; 5], right, 9)?;
    let got = recv.wait()?;
    let back = send.wait()?;
    expect((got, back), (vec![left as f32; 5], vec![rank as f32; 5]))
}

fn bcast_buf<C: Communicator>(comm: &C) -> Outcome {
    let mut buf = if comm.rank() == 0 {
        [1u64, 2, 3]
    } else {
        [0; 3]
    };
    comm.bcast_buf(&mut buf, 0)?;
    expect(buf, [1, 2, 3])
}

fn scatter_buf<C: Communicator>(comm: &C) -> Outcome {
    let rank = comm.rank();
    let all: Vec<i16> = (0..2 * comm.size() as i16).collect();
    let mut mine = [0i16; 2];
    comm.scatter_buf((rank == 0).then_some(&all[..]), &mut mine, 0)?;
    expect(mine, [2 * rank as i16, 2 * rank as i16 + 1])
}

fn gather_buf<C: Communicator>(comm: &C) -> Outcome {
    let (rank, size) = (comm.rank(), comm.size());
    let mut all = vec![0u32; 2 * size];
    let root = size / 2;
    let mine = [rank as u32, 100 + rank as u32];
    comm.gather_buf(&mine, (rank == root).then_some(&mut all[..]), root)?;
    if rank != root {
        return Ok(());
    }
    expect(all, (0..size as u32).flat_map(|r| [r, 100 + r]).collect())
}

fn allgather_buf<C: Communicator>(comm: &C) -> Outcome {
    // Distinct small values that fit an i8 on any number of ranks.
    let value = |r: usize| (r % 100) as i8;
    let mut all = vec![0i8; comm.size()];
    comm.allgather_buf(&[value(comm.rank())], &mut all)?;
    expect(all, (0..comm.size()).map(value).collect())
}

fn reduce_allreduce_buf<C: Communicator>(comm: &C) -> Outcome {
    let (rank, n) = (comm.rank(), comm.size() as f64);
    let x = [rank as f64 + 1.0, -(rank as f64) - 1.0];
    for (op, want) in [
        (Op::Sum, [n * (n + 1.0) / 2.0, -n * (n + 1.0) / 2.0]),
        (Op::Min, [1.0, -n]),
        (Op::Max, [n, -1.0]),
    ] {
        let mut out = [0.0; 2];
        comm.reduce_buf(&x, (rank == 0).then_some(&mut out[..]), op, 0)?;
        if rank == 0 {
            expect(out, want)?;
        }
        let mut all = [0.0; 2];
        comm.allreduce_buf(&x, &mut all, op)?;
        expect(all, want)?;
    }
    let mut prod = [0i32];
    comm.allreduce_buf(&[rank as i32 + 1], &mut prod, Op::Prod)?;
    // Wrapping, as MPI's integer products do (n! overflows i32 past 12 ranks).
    expect(prod[0], (1..=comm.size() as i32).fold(1, i32::wrapping_mul))
}

// ---- errors ----

fn errors_are_typed<C: Communicator>(comm: &C) -> Outcome {
    let (rank, size) = (comm.rank(), comm.size());
    match comm.send(&0u8, size, 0) {
        Err(CommError::BadRank { rank: r, size: s }) if r == size && s == size => {}
        other => return Err(Why(format!("sending to rank {size}: {other:?}"))),
    }
    match comm.send(&0u8, 0, -5) {
        Err(CommError::BadTag { tag: -5 }) => {}
        other => return Err(Why(format!("tag -5: {other:?}"))),
    }
    // A message longer than the receive buffer.
    let req = comm.isend_buf(vec![1u8, 2, 3], rank, 11)?;
    let mut small = [0u8; 2];
    match comm.recv_buf(&mut small, rank, 11) {
        Err(CommError::Truncated {
            got: 3,
            capacity: 2,
            ..
        }) => {}
        other => return Err(Why(format!("truncation: {other:?}"))),
    }
    let mut big = [0u8; 3];
    // The refused message is still there for a large enough buffer.
    let n = comm.recv_buf(&mut big, rank, 11)?;
    expect((n, big), (3, [1, 2, 3]))?;
    req.wait()?;
    Ok(comm.barrier()?)
}
