//! `Pool`: every call, failures of tasks and workers, the life cycle.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use procs::{Error, Pool, PoolOptions};

use crate::funcs::*;
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "pool_map_is_ordered_for_every_chunksize",
        map_is_ordered_for_every_chunksize,
    ),
    ("pool_imap_and_imap_unordered", imap_and_imap_unordered),
    (
        "pool_apply_apply_async_and_starmap",
        apply_apply_async_and_starmap,
    ),
    (
        "pool_a_panicking_task_names_task_and_worker",
        a_panicking_task_names_task_and_worker,
    ),
    (
        "pool_a_killed_worker_fails_its_task_and_is_replaced",
        a_killed_worker_fails_its_task_and_is_replaced,
    ),
    (
        "pool_a_worker_killed_from_outside",
        a_worker_killed_from_outside,
    ),
    (
        "pool_maxtasksperchild_replaces_workers",
        maxtasksperchild_replaces_workers,
    ),
    ("pool_close_join_and_terminate", close_join_and_terminate),
    ("pool_bad_options_are_refused", bad_options_are_refused),
    (
        "pool_shared_objects_reach_the_workers",
        shared_objects_reach_the_workers,
    ),
];

fn map_is_ordered_for_every_chunksize() {
    let pool = Pool::new(&ctx(), 2).unwrap();
    let want: Vec<u64> = (0..1000).map(|x| x * x).collect();
    for chunksize in [None, Some(1), Some(7), Some(1000), Some(5000)] {
        assert_eq!(
            pool.map(SQUARE, 0..1000, chunksize).unwrap(),
            want,
            "{chunksize:?}"
        );
    }
    assert!(pool.map(SQUARE, 0..0, None).unwrap().is_empty());
    let err = pool.map(SQUARE, 0..3, Some(0)).unwrap_err();
    assert_eq!(err.to_string(), "chunksize must be at least 1");
}

fn imap_and_imap_unordered() {
    let pool = Pool::new(&ctx(), 3).unwrap();
    let got: Vec<u64> = pool
        .imap(SQUARE, 0..100, Some(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, (0..100).map(|x| x * x).collect::<Vec<_>>());
    let mut got: Vec<u64> = pool
        .imap_unordered(SQUARE, 0..100, Some(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    got.sort();
    assert_eq!(got, (0..100).map(|x| x * x).collect::<Vec<_>>());
    // Unordered really is: a slow first task comes last.
    let order: Vec<u64> = pool
        .imap_unordered(SLEEP_MS, [1000, 1, 1], Some(1))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(order.last(), Some(&1000), "{order:?}");
}

fn apply_apply_async_and_starmap() {
    let pool = Pool::new(&ctx(), 2).unwrap();
    assert_eq!(pool.apply(ADD, (20, 22)).unwrap(), 42);
    let slow = pool.apply_async(SLEEP_MS, 300).unwrap();
    assert!(!slow.ready());
    assert!(!slow.wait(Some(Duration::from_millis(10))));
    assert!(slow.wait(Some(Duration::from_secs(30))));
    assert!(slow.ready());
    assert_eq!(slow.get().unwrap(), 300);
    let sums = pool
        .starmap(ADD, (0..10).map(|i| (i, 10 * i)), None)
        .unwrap();
    assert_eq!(sums, (0..10).map(|i| 11 * i).collect::<Vec<_>>());
}

fn a_panicking_task_names_task_and_worker() {
    let pool = Pool::new(&ctx(), 2).unwrap();
    let err = pool.map(PANIC_AT_13, 0..40, Some(4)).unwrap_err();
    match &err {
        Error::Task {
            task: 13,
            worker,
            why,
            ..
        } => {
            assert!(*worker < 2);
            assert_eq!(why, "panicked: thirteen is unlucky");
        }
        _ => panic!("{err}"),
    }
    assert!(
        err.to_string()
            .starts_with("task 13 failed in pool worker "),
        "{err}"
    );
    // The pool goes on.
    assert_eq!(
        pool.map(PANIC_AT_13, 0..10, None).unwrap(),
        (0..10).collect::<Vec<_>>()
    );
}

fn a_killed_worker_fails_its_task_and_is_replaced() {
    let pool = Pool::new(&ctx(), 2).unwrap();
    let err = pool.map(KILL_SELF_AT_5, 0..10, Some(1)).unwrap_err();
    assert!(matches!(&err, Error::Task { task: 5, .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("the worker was killed by signal 9 (SIGKILL) while running it"),
        "{err}"
    );
    // Both workers are alive again.
    for _ in 0..3 {
        assert_eq!(
            pool.map(SQUARE, 0..50, Some(1)).unwrap(),
            (0..50).map(|x| x * x).collect::<Vec<_>>()
        );
    }
    let with_chunk = pool.map(KILL_SELF_AT_5, 0..10, Some(4)).unwrap_err();
    assert!(
        with_chunk.to_string().contains("task 4 failed"),
        "{with_chunk}"
    );
    assert!(
        with_chunk
            .to_string()
            .contains("with the 3 other tasks of its chunk"),
        "{with_chunk}"
    );
}

fn a_worker_killed_from_outside() {
    let pool = Pool::new(&ctx(), 1).unwrap();
    let pid = pool.apply(PID, 0).unwrap();
    let slow = pool.apply_async(SLEEP_MS, 60_000).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: signalling our pool's worker.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    let begin = Instant::now();
    let err = slow.get().unwrap_err();
    assert!(begin.elapsed() < Duration::from_secs(10));
    assert_eq!(
        err.to_string(),
        format!("task 0 failed in pool worker 0 (pid {pid}): the worker was killed by signal 9 (SIGKILL) while running it")
    );
    let new_pid = pool.apply(PID, 0).unwrap();
    assert_ne!(new_pid, pid);
}

fn maxtasksperchild_replaces_workers() {
    let distinct = |max: Option<usize>| {
        let pool = Pool::with_options(
            &ctx(),
            PoolOptions {
                workers: 1,
                max_tasks_per_child: max,
            },
        )
        .unwrap();
        pool.map(PID, 0..6, Some(1))
            .unwrap()
            .into_iter()
            .collect::<BTreeSet<_>>()
            .len()
    };
    assert_eq!(distinct(None), 1);
    assert_eq!(distinct(Some(1)), 6);
    assert_eq!(distinct(Some(2)), 3);
}

fn close_join_and_terminate() {
    let mut pool = Pool::new(&ctx(), 2).unwrap();
    let err = pool.join().unwrap_err();
    assert_eq!(err.to_string(), "join a pool after close or terminate");
    let pending = pool.apply_async(SLEEP_MS, 50).unwrap();
    pool.close();
    assert!(matches!(
        pool.map(SQUARE, 0..3, None),
        Err(Error::PoolStopped("closed"))
    ));
    // Queued work is finished before the workers leave.
    pool.join().unwrap();
    assert_eq!(pending.get().unwrap(), 50);

    let mut pool = Pool::new(&ctx(), 2).unwrap();
    let running: Vec<_> = (0..4)
        .map(|_| pool.apply_async(SLEEP_MS, 60_000).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let begin = Instant::now();
    pool.terminate();
    pool.join().unwrap();
    for r in running {
        assert!(r.get().is_err());
    }
    assert!(begin.elapsed() < Duration::from_secs(10));
    assert!(matches!(
        pool.apply(SQUARE, 2),
        Err(Error::PoolStopped("terminated"))
    ));
}

fn shared_objects_reach_the_workers() {
    // A queue and a shared array travel through the pool to running
    // workers (as descriptors), and back from them in results.
    let pool = Pool::new(&ctx(), 2).unwrap();
    let q = procs::Queue::<u64>::new(8).unwrap();
    let pending = pool.apply_async(PRODUCE, (q.clone(), 20)).unwrap();
    let got: Vec<u64> = (0..20)
        .map(|_| q.get_timeout(Duration::from_secs(30)).unwrap())
        .collect();
    pending.get().unwrap();
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    let a = procs::Array::from_slice(&[1.0, 2.0, 3.0]).unwrap();
    pool.map(NEGATE, (0..3).map(|i| (a.clone(), i)), Some(1))
        .unwrap();
    assert_eq!(a.to_vec().unwrap(), [-1.0, -2.0, -3.0]);
    let values = pool.map(MAKE_VALUE, [5, 6], None).unwrap();
    assert_eq!(values.iter().map(|v| v.get()).collect::<Vec<_>>(), [5, 6]);
}

fn bad_options_are_refused() {
    for workers in [0, procs::MAX_WORKERS + 1] {
        let err = Pool::new(&ctx(), workers).unwrap_err();
        assert!(
            err.to_string().starts_with("a pool has 1 to 256 workers"),
            "{err}"
        );
    }
    let err = Pool::with_options(
        &ctx(),
        PoolOptions {
            workers: 1,
            max_tasks_per_child: Some(0),
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "maxtasksperchild must be at least 1");
    assert!(Pool::new(&fork_ctx(), 1).is_err());
}
