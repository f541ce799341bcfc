//! Shared `Value`, `Array`, `Lock` and `RLock` between processes.

use std::time::Duration;

use procs::{Array, Error, Lock, RLock, Value};

use crate::funcs::*;
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "shared_the_race_without_a_lock_loses_updates",
        the_race_without_a_lock_loses_updates,
    ),
    (
        "shared_the_race_with_a_lock_is_exact_every_time",
        the_race_with_a_lock_is_exact_every_time,
    ),
    (
        "shared_a_values_own_lock_makes_increments_exact",
        a_values_own_lock_makes_increments_exact,
    ),
    (
        "shared_forked_children_share_the_value",
        forked_children_share_the_value,
    ),
    (
        "shared_a_lock_whose_holder_died_is_reported_not_a_hang",
        a_lock_whose_holder_died_is_reported_not_a_hang,
    ),
    (
        "shared_lock_timeouts_and_reentrancy",
        lock_timeouts_and_reentrancy,
    ),
    (
        "shared_the_courses_array_is_negated",
        the_courses_array_is_negated,
    ),
    (
        "shared_a_100_mb_array_is_one_copy_for_two_children",
        a_100_mb_array_is_one_copy_for_two_children,
    ),
    (
        "shared_values_and_arrays_check_their_types",
        values_and_arrays_check_their_types,
    ),
];

/// Runs the course's race (load, sleep, store) in `procs` processes.
fn race(procs: u32, increments: u32, sleep_us: u64, locked: bool) -> i64 {
    let v = Value::new(0i64).unwrap();
    let lock = Lock::new().unwrap();
    let start_line = Value::new(0i64).unwrap();
    let c = ctx();
    let ps: Vec<_> = (0..procs)
        .map(|_| {
            if locked {
                c.start(RACE_LOCKED, (v.clone(), lock.clone(), increments, sleep_us))
                    .unwrap()
            } else {
                let racer = (v.clone(), start_line.clone(), procs, increments, sleep_us);
                c.start(RACE, racer).unwrap()
            }
        })
        .collect();
    for p in ps {
        p.join().unwrap();
    }
    v.get()
}

fn the_race_without_a_lock_loses_updates() {
    // Each process sleeps 1 ms between its load and its store, while the
    // others store, and all start together: with 4 processes nearly every
    // update is lost.
    let got = race(4, 20, 1000, false);
    assert!(got < 80, "no update was lost: {got}");
    assert!(got >= 20, "fewer than one process's increments: {got}");
}

fn the_race_with_a_lock_is_exact_every_time() {
    for _ in 0..3 {
        assert_eq!(race(4, 20, 100, true), 80);
    }
    assert_eq!(race(10, 50, 0, true), 500);
}

fn a_values_own_lock_makes_increments_exact() {
    let v = Value::new(0i64).unwrap();
    let ps: Vec<_> = (0..4)
        .map(|_| ctx().start(INCREMENT_LOCKED, (v.clone(), 5000)).unwrap())
        .collect();
    for p in ps {
        p.join().unwrap();
    }
    assert_eq!(v.get(), 20_000);
}

fn forked_children_share_the_value() {
    let v = Value::new(0i64).unwrap();
    let ps: Vec<_> = (0..3)
        .map(|_| {
            fork_ctx()
                .start(INCREMENT_LOCKED, (v.clone(), 1000))
                .unwrap()
        })
        .collect();
    for p in ps {
        p.join().unwrap();
    }
    assert_eq!(v.get(), 3000);
}

fn a_lock_whose_holder_died_is_reported_not_a_hang() {
    let lock = Lock::new().unwrap();
    let p = ctx().start(DIE_HOLDING, lock.clone()).unwrap();
    assert!(matches!(p.join(), Err(Error::Died { .. })));
    let err = lock.acquire_timeout(Duration::from_secs(10)).unwrap_err();
    assert!(matches!(err, Error::OwnerDied { what: "lock" }), "{err}");
    // Released and consistent again.
    drop(lock.acquire_timeout(Duration::from_secs(10)).unwrap());
}

fn lock_timeouts_and_reentrancy() {
    let lock = Lock::new().unwrap();
    let held = lock.acquire().unwrap();
    let err = lock.acquire().unwrap_err();
    assert!(err.to_string().contains("not re-entrant"), "{err}");
    drop(held);
    let r = RLock::new().unwrap();
    let a = r.acquire().unwrap();
    let b = r.acquire().unwrap();
    drop((b, a));
    // Held by another thread: a timeout, not a hang.
    std::thread::scope(|s| {
        let held = lock.acquire().unwrap();
        s.spawn(|| {
            let err = lock.acquire_timeout(Duration::from_millis(20)).unwrap_err();
            assert!(matches!(err, Error::Timeout { what: "lock", .. }), "{err}");
        })
        .join()
        .unwrap();
        drop(held);
    });
}

fn the_courses_array_is_negated() {
    let a = Array::from_slice(&(0..10).map(f64::from).collect::<Vec<_>>()).unwrap();
    let ps: Vec<_> = (0..10)
        .map(|i| ctx().start(NEGATE, (a.clone(), i)).unwrap())
        .collect();
    for p in ps {
        p.join().unwrap();
    }
    assert_eq!(
        a.to_vec().unwrap(),
        (0..10).map(|i| -f64::from(i)).collect::<Vec<_>>()
    );
}

fn a_100_mb_array_is_one_copy_for_two_children() {
    let n = 100 * 1024 * 1024 / 8;
    let a = Array::<f64>::zeroed(n).unwrap();
    {
        let mut g = a.lock().unwrap();
        for (i, x) in g.iter_mut().enumerate() {
            *x = (i % 1000) as f64;
        }
    }
    let want: f64 = (0..n).map(|i| (i % 1000) as f64).sum();
    let mb = 100 * 1024;
    // Both children map the whole array (Rss), every page of it shared
    // with the parent (a copy would be private), so that each child's
    // proportional share (Pss) is at most half of it.
    println!(
        "  the parent: Rss {} kB, Pss {} kB",
        rollup_kb("Rss"),
        rollup_kb("Pss")
    );
    let children: Vec<_> = (0..2)
        .map(|_| ctx().start(SUM_AND_MEMORY, a.clone()).unwrap())
        .collect();
    for p in children {
        let (sum, rss, shared, pss) = p.join().unwrap();
        println!("  a child: Rss {rss} kB, of which shared {shared} kB; Pss {pss} kB");
        assert_eq!(sum, want);
        assert!(
            rss >= mb * 9 / 10,
            "a child has {rss} kB resident, not the 100 MB array"
        );
        assert!(
            shared >= mb * 9 / 10,
            "a child shares only {shared} kB: the array was copied"
        );
        assert!(
            pss <= mb * 6 / 10,
            "a child's proportional share is {pss} kB: the array was copied"
        );
    }
    // A child's write is the parent's memory.
    let p = ctx().start(NEGATE, (a.clone(), 1)).unwrap();
    p.join().unwrap();
    assert_eq!(a.get(1), Some(-1.0));
}

fn values_and_arrays_check_their_types() {
    #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C)]
    struct Point {
        x: f64,
        y: f64,
    }
    let v = Value::new(Point { x: 1.0, y: 2.0 }).unwrap();
    v.lock().unwrap().y = 3.0;
    assert_eq!(v.get(), Point { x: 1.0, y: 3.0 });
    let a = Array::<u8>::zeroed(3).unwrap();
    assert!(a.set(3, 1).is_err());
    assert_eq!(a.get(3), None);
    assert!(Array::<u64>::zeroed(usize::MAX).is_err());
    assert!(Array::<u64>::zeroed(0).unwrap().is_empty());
    #[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(128))]
    struct Wide([u8; 128]);
    let err = Value::new(Wide([0; 128])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "shared memory holds types aligned to at most 64 bytes, not 128"
    );
    assert!(Array::<Wide>::zeroed(1).is_err());
}
