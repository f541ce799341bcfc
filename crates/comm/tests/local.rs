//! The conformance suite and failure handling on `Local` threads.

use comm::traits::*;
use comm::{conformance, CommError, Local, Op, LOCAL_HOST};

/// The error of a group whose rank `rank` failed with `reason`.
fn rank_failed(rank: usize, reason: &str) -> CommError {
    CommError::RankFailed {
        rank,
        reason: reason.into(),
    }
}

#[test]
fn every_operation_passes_on_1_to_5_ranks() {
    for n in 1..=5 {
        let results = Local::run(n, conformance::check_all).unwrap();
        for (rank, r) in results.into_iter().enumerate() {
            let passed = r.unwrap_or_else(|e| panic!("{n} ranks: {e}"));
            assert_eq!(passed.len(), 21, "rank {rank}: only {passed:?}");
        }
    }
}

#[test]
fn every_rank_has_the_host_name_its_caller_gave() {
    let named = Local::try_run_on_host(3, "node-7.cluster", |c| {
        Ok::<_, CommError>((c.rank(), c.processor_name()))
    })
    .unwrap();
    assert_eq!(
        named,
        (0..3)
            .map(|r| (r, "node-7.cluster".to_string()))
            .collect::<Vec<_>>()
    );
    let unnamed = Local::run(2, |c| c.processor_name()).unwrap();
    assert_eq!(unnamed, [LOCAL_HOST, LOCAL_HOST]);
    assert_eq!(LOCAL_HOST, "localhost");
}

#[test]
fn zero_ranks_is_an_error() {
    assert_eq!(Local::run(0, |_| ()).unwrap_err(), CommError::NoRanks(0));
}

#[test]
fn a_failing_rank_is_reported_and_peers_do_not_hang() {
    let err = Local::try_run(3, |c| {
        if c.rank() == 1 {
            return Err("disk full".to_string());
        }
        // Ranks 0 and 2 wait for rank 1, which is gone.
        let x: u8 = c.recv(1, 0).map_err(|e| e.to_string())?;
        Ok(x)
    })
    .unwrap_err();
    assert_eq!(err, rank_failed(1, "disk full"));
}

#[test]
fn a_panicking_rank_is_reported() {
    let err = Local::run(2, |c| {
        if c.rank() == 0 {
            panic!("boom");
        }
        c.barrier()
    })
    .unwrap_err();
    assert_eq!(err, rank_failed(0, "panicked: boom"));
}

#[test]
fn waiting_on_a_peer_that_exited_names_it() {
    let results = Local::run(2, |c| {
        if c.rank() == 1 {
            return Ok(0u8);
        }
        c.recv::<u8>(1, 4)
    })
    .unwrap();
    assert_eq!(
        results[0],
        Err(CommError::PeerGone {
            rank: 0,
            peer: 1,
            op: "recv"
        })
    );
    assert!(results[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("rank 0 waited for rank 1 in recv, but rank 1 has exited"));
}

#[test]
fn flavour_and_type_mismatches_are_typed_errors() {
    let r = Local::run(1, |c| {
        c.send_buf(&[1.0f64], 0, 0).unwrap();
        let as_object = c.recv::<f64>(0, 0).unwrap_err();
        let mut ints = [0i32; 1];
        let as_ints = c.recv_buf(&mut ints, 0, 0).unwrap_err();
        // The refused message is still there for the right receive.
        let mut floats = [0.0f64; 1];
        assert_eq!(c.recv_buf(&mut floats, 0, 0).unwrap(), 1);
        assert_eq!(floats, [1.0]);
        (as_object, as_ints)
    })
    .unwrap();
    let (obj, ints) = &r[0];
    assert!(
        obj.to_string()
            .contains("carries a buffer of f64, but a serialised object was expected"),
        "{obj}"
    );
    assert!(
        ints.to_string()
            .contains("but a buffer of i32 was expected"),
        "{ints}"
    );
}

#[test]
fn decode_errors_name_the_type_and_sender() {
    let r = Local::run(2, |c| {
        if c.rank() == 0 {
            c.send(&"not a number", 1, 0).unwrap();
            return None;
        }
        Some(c.recv::<(u64, u64, u64)>(0, 0).unwrap_err().to_string())
    })
    .unwrap();
    let msg = r[1].clone().unwrap();
    assert!(
        msg.contains("could not deserialise the message from rank 0 as (u64, u64, u64)"),
        "{msg}"
    );
}

#[test]
fn collectives_check_lengths_and_root_data() {
    let r = Local::run(2, |c| {
        let mut recv = [0.0; 3];
        let scatter = c.scatter_buf((c.rank() == 0).then_some(&[1.0, 2.0][..]), &mut recv, 0);
        let bcast = c.bcast::<u8>(None, c.rank());
        (scatter.err(), bcast.err())
    });
    // Rank 0's scatter fails before sending, so rank 1 sees rank 0 exit or fail:
    // run it as try_run to get the root cause.
    let _ = r;
    let err = Local::try_run(2, |c| {
        let mut recv = [0.0; 3];
        c.scatter_buf((c.rank() == 0).then_some(&[1.0, 2.0][..]), &mut recv, 0)
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rank 0 failed: scatter_buf: the root's buffer holds 2 element(s), but 2 rank(s) × 3 = 6 are needed"
    );
    let err = Local::try_run(1, |c| c.bcast::<u8>(None, 0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rank 0 failed: bcast: the root rank 0 must provide the data"
    );
}

#[test]
fn object_reduce_refuses_vectors_of_different_lengths() {
    let err = Local::try_run(2, |c| c.reduce(&vec![1.0; c.rank() + 1], Op::Sum, 0)).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot combine vectors of lengths 1 and 2"),
        "{err}"
    );
}

#[test]
fn dropping_an_unwaited_receive_is_harmless() {
    Local::run(2, |c| {
        let req = c.irecv_buf(vec![0u8; 4], 1 - c.rank(), 2).unwrap();
        drop(req);
        c.barrier().unwrap();
    })
    .unwrap();
}

#[test]
fn isend_buf_gives_the_buffer_back_for_reuse() {
    let r = Local::run(2, |c| {
        let other = 1 - c.rank();
        let mut buf = vec![c.rank() as f64; 4];
        for step in 0..3 {
            let req = c.isend_buf(buf, other, step).unwrap();
            let got = c
                .irecv_buf(vec![0.0; 4], other, step)
                .unwrap()
                .wait()
                .unwrap();
            buf = req.wait().unwrap();
            assert_eq!(got, vec![other as f64; 4]);
        }
        buf.len()
    })
    .unwrap();
    assert_eq!(r, vec![4, 4]);
}

#[test]
fn every_operation_passes_on_many_ranks() {
    // More ranks than an i8 counts, and n! far past every integer type.
    let results = Local::run(130, conformance::check_all).unwrap();
    for (rank, r) in results.into_iter().enumerate() {
        let passed = r.unwrap_or_else(|e| panic!("rank {rank}: {e}"));
        assert_eq!(passed.len(), 21, "rank {rank}: only {passed:?}");
    }
}

#[test]
fn messages_match_by_source_and_tag_whatever_the_order_of_receives() {
    // Every rank sends three messages with tags 0, 1, 2 to every rank
    // (itself included), then receives them source by source from the last,
    // tags from the last: each receive finds its own message.
    let n = 12;
    let got = Local::run(n, |c| {
        for dest in 0..n {
            for tag in 0..3 {
                c.send(&(c.rank(), dest, tag), dest, tag).unwrap();
            }
        }
        let mut seen = Vec::new();
        for source in (0..n).rev() {
            for tag in (0..3).rev() {
                let m: (usize, usize, i32) = c.recv(source, tag).unwrap();
                assert_eq!(m, (source, c.rank(), tag));
                seen.push(m);
            }
        }
        c.barrier().unwrap();
        seen.len()
    })
    .unwrap();
    assert_eq!(got, vec![3 * n; n]);
}

#[test]
fn messages_from_one_source_with_one_tag_arrive_in_the_order_sent() {
    let got = Local::run(2, |c| {
        if c.rank() == 0 {
            for i in 0..10_000u32 {
                c.send_buf(&[i], 1, 7).unwrap();
            }
            return true;
        }
        (0..10_000u32).all(|i| {
            let mut x = [0u32];
            c.recv_buf(&mut x, 0, 7).unwrap();
            x[0] == i
        })
    })
    .unwrap();
    assert_eq!(got, vec![true, true]);
}

#[test]
fn messages_sent_before_a_rank_exits_are_still_received() {
    let got = Local::run(2, |c| {
        if c.rank() == 0 {
            c.send(&41u8, 1, 0).unwrap();
            c.send(&42u8, 1, 1).unwrap();
            return Ok(vec![]);
        }
        // Rank 0 has most likely exited by now: its messages stay, and only
        // a receive past them finds it gone.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b: u8 = c.recv(0, 1).unwrap();
        let a: u8 = c.recv(0, 0).unwrap();
        c.recv::<u8>(0, 0).map(|_| vec![]).or_else(|e| match e {
            CommError::PeerGone { peer: 0, .. } => Ok(vec![a, b]),
            other => Err(other),
        })
    })
    .unwrap();
    assert_eq!(got[1], Ok(vec![41, 42]));
}
