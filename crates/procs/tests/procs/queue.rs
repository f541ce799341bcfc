//! `Queue` and `Pipe` between processes.

use std::time::{Duration, Instant};

use procs::{Error, Pipe, Queue};

use crate::funcs::*;
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "queue_items_from_children_arrive_in_order_then_closed",
        items_from_children_arrive_in_order_then_closed,
    ),
    (
        "queue_a_full_queue_blocks_put_until_a_get",
        a_full_queue_blocks_put_until_a_get,
    ),
    (
        "queue_timeouts_on_empty_and_full",
        timeouts_on_empty_and_full,
    ),
    (
        "queue_a_closed_handle_refuses_put",
        a_closed_handle_refuses_put,
    ),
    ("queue_pipe_echo_and_closed_end", pipe_echo_and_closed_end),
    (
        "queue_too_large_messages_are_refused",
        too_large_messages_are_refused,
    ),
    ("queue_bad_bounds_are_refused", bad_bounds_are_refused),
];

fn items_from_children_arrive_in_order_then_closed() {
    let q = Queue::<u64>::new(16).unwrap();
    let p = ctx().start(PRODUCE, (q.clone(), 1000)).unwrap();
    let got: Vec<u64> = (0..1000)
        .map(|_| q.get_timeout(Duration::from_secs(30)).unwrap())
        .collect();
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    p.join().unwrap();
    // The producer ended (its handle with it); closing ours leaves no sender.
    q.close();
    let begin = Instant::now();
    assert!(matches!(q.get(), Err(Error::Closed("queue"))));
    assert!(begin.elapsed() < Duration::from_secs(5));
    // Two producers, forked and spawned, interleave but lose nothing.
    let q = Queue::<u64>::new(4).unwrap();
    let a = ctx().start(PRODUCE, (q.clone(), 500)).unwrap();
    let b = fork_ctx().start(PRODUCE, (q.clone(), 500)).unwrap();
    let mut got: Vec<u64> = (0..1000)
        .map(|_| q.get_timeout(Duration::from_secs(30)).unwrap())
        .collect();
    a.join().unwrap();
    b.join().unwrap();
    got.sort();
    let mut want: Vec<u64> = (0..500).chain(0..500).collect();
    want.sort();
    assert_eq!(got, want);
}

fn a_full_queue_blocks_put_until_a_get() {
    let q = Queue::<u64>::new(3).unwrap();
    // The child puts 10 items; at most 3 can wait in the queue.
    let p = ctx().start(PRODUCE, (q.clone(), 10)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    for i in 0..10 {
        assert_eq!(q.get_timeout(Duration::from_secs(30)).unwrap(), i);
    }
    p.join().unwrap();
    assert!(matches!(
        q.get_timeout(Duration::from_millis(10)),
        Err(Error::Timeout { .. })
    ));
}

fn timeouts_on_empty_and_full() {
    let q = Queue::<String>::new(1).unwrap();
    let begin = Instant::now();
    let err = q.get_timeout(Duration::from_millis(30)).unwrap_err();
    assert_eq!(err.to_string(), "queue: timed out after 30ms");
    assert!(begin.elapsed() >= Duration::from_millis(30));
    q.put(&"x".into()).unwrap();
    let err = q
        .put_timeout(&"y".into(), Duration::from_millis(30))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                what: "queue (full)",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(q.get().unwrap(), "x");
}

fn a_closed_handle_refuses_put() {
    let q = Queue::<u8>::new(2).unwrap();
    q.close();
    assert!(matches!(q.put(&1), Err(Error::Closed("queue"))));
}

fn pipe_echo_and_closed_end() {
    let (ours, theirs) = Pipe::<u64>::new().unwrap();
    let p = ctx().start(ECHO_DOUBLE, theirs).unwrap();
    for i in 0..100 {
        ours.send(&i).unwrap();
        assert_eq!(ours.recv_timeout(Duration::from_secs(30)).unwrap(), 2 * i);
    }
    // Closing our end ends the child's loop: it answers how many it echoed.
    let spare = ours.try_clone().unwrap();
    ours.close();
    drop(spare);
    assert_eq!(p.join().unwrap(), 100);
    // A pipe whose other end is gone: errors, not waits.
    let (a, b) = Pipe::<u64>::new().unwrap();
    drop(b);
    assert!(matches!(a.recv(), Err(Error::Closed("pipe"))));
    assert!(matches!(a.send(&1), Err(Error::Closed("pipe"))));
    // A killed peer process closes its end too.
    let (a, b) = Pipe::<u64>::new().unwrap();
    let mut p = ctx().start(ECHO_DOUBLE, b).unwrap();
    p.kill().unwrap();
    let begin = Instant::now();
    assert!(matches!(a.recv(), Err(Error::Closed("pipe"))));
    assert!(begin.elapsed() < Duration::from_secs(10));
}

fn too_large_messages_are_refused() {
    let (a, _b) = Pipe::<Vec<u8>>::new().unwrap();
    let err = a.send(&vec![0u8; procs::channel::MAX_MESSAGE]).unwrap_err();
    assert!(matches!(err, Error::TooLarge { what: "pipe", .. }), "{err}");
    a.send(&vec![7u8; procs::channel::MAX_MESSAGE - 16])
        .unwrap();
    assert_eq!(_b.recv().unwrap().len(), procs::channel::MAX_MESSAGE - 16);
}

fn bad_bounds_are_refused() {
    for n in [0, procs::MAX_QUEUE_ITEMS + 1] {
        let err = Queue::<u8>::new(n).unwrap_err();
        assert!(err.to_string().starts_with("a queue holds 1 to"), "{err}");
    }
}
