//! A conformance suite: every operation of [`Communicator`] in both flavours,
//! checked against closed-form answers. It runs on any communicator and any
//! number of ranks, so the same checks cover [`crate::Local`] in unit tests
//! and `Mpi` under `mpirun` (`hpcrs mpi selftest`).

use crate::{CommError, Communicator, Op, Request};

/// Runs every check on `comm` (all ranks must call it) and returns the names
/// of the checks that passed, or the first failure with this rank's view.
#[allow(clippy::redundant_closure_call)] // each check's body is a closure, so `?` ends just that check
pub fn check_all<C: Communicator>(comm: &C) -> Result<Vec<&'static str>, String> {
    let mut passed = Vec::new();
    macro_rules! check {
        ($name:literal, $body:expr) => {{
            let r: Result<(), String> = (|| -> Result<(), String> { $body })();
            r.map_err(|e| format!("rank {}: check {} failed: {e}", comm.rank(), $name))?;
            passed.push($name);
        }};
    }
    let (rank, size) = (comm.rank(), comm.size());
    let right = (rank + 1) % size;
    let left = (rank + size - 1) % size;
    let e = |e: CommError| e.to_string();
    fn expect<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), String> {
        match got == want {
            true => Ok(()),
            false => Err(format!("got {got:?}, expected {want:?}")),
        }
    }

    check!("rank_size", {
        if rank >= size {
            return Err(format!("rank {rank} of {size}"));
        }
        let ranks: Vec<usize> = comm.allgather(&rank).map_err(e)?;
        expect(ranks, (0..size).collect())
    });
    check!("processor_name", {
        match comm.processor_name().is_empty() {
            true => Err("empty processor name".into()),
            false => Ok(()),
        }
    });
    check!("barrier", comm.barrier().map_err(e));

    // Object flavour.
    check!("send_recv", {
        // Rank r sends a structured value to r+1 (a ring, so every rank receives).
        let msg = (rank, format!("from {rank}"), vec![rank as f64; 3]);
        comm.send(&msg, right, 7).map_err(e)?;
        let got: (usize, String, Vec<f64>) = comm.recv(left, 7).map_err(e)?;
        expect(got, (left, format!("from {left}"), vec![left as f64; 3]))
    });
    check!("send_recv_tags_out_of_order", {
        comm.send(&1u8, right, 1).map_err(e)?;
        comm.send(&2u8, right, 2).map_err(e)?;
        let two: u8 = comm.recv(left, 2).map_err(e)?;
        let one: u8 = comm.recv(left, 1).map_err(e)?;
        expect((one, two), (1, 2))
    });
    check!("sendrecv", {
        let got: usize = comm.sendrecv(&rank, left, right, 13).map_err(e)?;
        expect(got, right)
    });
    check!("isend_irecv", {
        let req = comm.irecv::<Vec<i64>>(left, 3).map_err(e)?;
        let sent = comm.isend(&vec![rank as i64, -1], right, 3).map_err(e)?;
        let got = req.wait().map_err(e)?;
        sent.wait().map_err(e)?;
        expect(got, vec![left as i64, -1])
    });
    check!("bcast", {
        let root = size - 1;
        let value = (rank == root).then(|| String::from("hello from the root"));
        let got: String = comm.bcast(value.as_ref(), root).map_err(e)?;
        expect(got.as_str(), "hello from the root")
    });
    check!("scatter", {
        let values: Vec<(usize, usize)> = (0..size).map(|r| (r, r * r)).collect();
        let got: (usize, usize) = comm
            .scatter((rank == 0).then_some(&values[..]), 0)
            .map_err(e)?;
        expect(got, (rank, rank * rank))
    });
    check!("gather", {
        let got = comm.gather(&format!("r{rank}"), 0).map_err(e)?;
        let want = (rank == 0).then(|| (0..size).map(|r| format!("r{r}")).collect::<Vec<_>>());
        expect(got, want)
    });
    check!("allgather", {
        let got: Vec<Vec<u8>> = comm.allgather(&vec![rank as u8; rank]).map_err(e)?;
        expect(got, (0..size).map(|r| vec![r as u8; r]).collect())
    });
    check!("reduce_allreduce", {
        let n = size as i64;
        let x = rank as i64 + 1;
        for (op, want) in [
            (Op::Sum, n * (n + 1) / 2),
            (Op::Prod, (1..=n).product()),
            (Op::Min, 1),
            (Op::Max, n),
        ] {
            let got = comm.reduce(&x, op, 0).map_err(e)?;
            expect(got, (rank == 0).then_some(want))?;
            expect(comm.allreduce(&x, op).map_err(e)?, want)?;
            let v = comm.allreduce(&vec![x, -x], op).map_err(e)?;
            let neg = match op {
                Op::Sum => -want,
                Op::Prod => want * if n % 2 == 0 { 1 } else { -1 },
                Op::Min => -n,
                Op::Max => -1,
            };
            expect(v, vec![want, neg])?;
        }
        Ok(())
    });

    // Buffer flavour.
    check!("send_recv_buf", {
        let data: Vec<f64> = (0..100).map(|i| (rank * 1000 + i) as f64).collect();
        let mut got = vec![0.0; 128];
        // Even ranks send first, odd ranks receive first: no deadlock for any size.
        if size == 1 {
            // A blocking send to oneself may wait forever (MPI does not
            // promise to buffer it): send without blocking instead.
            let req = comm.isend_buf(data.clone(), 0, 5).map_err(e)?;
            let n = comm.recv_buf(&mut got, 0, 5).map_err(e)?;
            req.wait().map_err(e)?;
            return expect((n, &got[..n]), (100, &data[..]));
        }
        let n = if rank % 2 == 0 {
            comm.send_buf(&data, right, 5).map_err(e)?;
            comm.recv_buf(&mut got, left, 5).map_err(e)?
        } else {
            let n = comm.recv_buf(&mut got, left, 5).map_err(e)?;
            comm.send_buf(&data, right, 5).map_err(e)?;
            n
        };
        let want: Vec<f64> = (0..100).map(|i| (left * 1000 + i) as f64).collect();
        expect((n, &got[..n]), (100, &want[..]))
    });
    check!("sendrecv_buf", {
        let mut got = [0i32; 2];
        let n = comm
            .sendrecv_buf(&[rank as i32, 13], left, &mut got, right, 13)
            .map_err(e)?;
        expect((n, got), (2, [right as i32, 13]))
    });
    check!("isend_irecv_buf", {
        let recv = comm.irecv_buf(vec![0.0f32; 8], left, 9).map_err(e)?;
        let send = comm.isend_buf(vec![rank as f32; 5], right, 9).map_err(e)?;
        let got = recv.wait().map_err(e)?;
        let back = send.wait().map_err(e)?;
        expect((got, back), (vec![left as f32; 5], vec![rank as f32; 5]))
    });
    check!("bcast_buf", {
        let mut buf = if rank == 0 { [1u64, 2, 3] } else { [0; 3] };
        comm.bcast_buf(&mut buf, 0).map_err(e)?;
        expect(buf, [1, 2, 3])
    });
    check!("scatter_buf", {
        let all: Vec<i16> = (0..2 * size as i16).collect();
        let mut mine = [0i16; 2];
        comm.scatter_buf((rank == 0).then_some(&all[..]), &mut mine, 0)
            .map_err(e)?;
        expect(mine, [2 * rank as i16, 2 * rank as i16 + 1])
    });
    check!("gather_buf", {
        let mut all = vec![0u32; 2 * size];
        let root = size / 2;
        let mine = [rank as u32, 100 + rank as u32];
        comm.gather_buf(&mine, (rank == root).then_some(&mut all[..]), root)
            .map_err(e)?;
        if rank == root {
            let want: Vec<u32> = (0..size as u32).flat_map(|r| [r, 100 + r]).collect();
            expect(all, want)?;
        }
        Ok(())
    });
    check!("allgather_buf", {
        let mut all = vec![0i8; size];
        comm.allgather_buf(&[rank as i8], &mut all).map_err(e)?;
        expect(all, (0..size as i8).collect())
    });
    check!("reduce_allreduce_buf", {
        let n = size as f64;
        let x = [rank as f64 + 1.0, -(rank as f64) - 1.0];
        for (op, want) in [
            (Op::Sum, [n * (n + 1.0) / 2.0, -n * (n + 1.0) / 2.0]),
            (Op::Min, [1.0, -n]),
            (Op::Max, [n, -1.0]),
        ] {
            let mut out = [0.0; 2];
            comm.reduce_buf(&x, (rank == 0).then_some(&mut out[..]), op, 0)
                .map_err(e)?;
            if rank == 0 {
                expect(out, want)?;
            }
            let mut all = [0.0; 2];
            comm.allreduce_buf(&x, &mut all, op).map_err(e)?;
            expect(all, want)?;
        }
        let mut prod = [0i32];
        comm.allreduce_buf(&[rank as i32 + 1], &mut prod, Op::Prod)
            .map_err(e)?;
        expect(prod[0], (1..=size as i32).product())
    });
    check!("errors_are_typed", {
        match comm.send(&0u8, size, 0) {
            Err(CommError::BadRank { rank: r, size: s }) if r == size && s == size => {}
            other => return Err(format!("sending to rank {size}: {other:?}")),
        }
        match comm.send(&0u8, 0, -5) {
            Err(CommError::BadTag { tag: -5 }) => {}
            other => return Err(format!("tag -5: {other:?}")),
        }
        // A message longer than the receive buffer.
        let req = comm.isend_buf(vec![1u8, 2, 3], rank, 11).map_err(e)?;
        let mut small = [0u8; 2];
        match comm.recv_buf(&mut small, rank, 11) {
            Err(CommError::Truncated {
                got: 3,
                capacity: 2,
                ..
            }) => {}
            other => return Err(format!("truncation: {other:?}")),
        }
        let mut big = [0u8; 3];
        // The refused message is still there for a large enough buffer.
        let n = comm.recv_buf(&mut big, rank, 11).map_err(e)?;
        expect((n, big), (3, [1, 2, 3]))?;
        req.wait().map_err(e)?;
        comm.barrier().map_err(e)
    });
    Ok(passed)
}
