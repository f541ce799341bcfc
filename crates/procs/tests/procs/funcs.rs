//! The functions the tests' children run, and the registry that names them.

use std::time::Duration;

use procs::{Array, Context, Func, Lock, Pipe, Pool, Queue, Registry, StartMethod, Value};

/// This test program, started again for spawned children.
pub fn ctx() -> Context {
    Context::new(std::env::current_exe().unwrap()).with_thread_counter(threads)
}

/// The same, forking.
pub fn fork_ctx() -> Context {
    ctx().with_start_method(StartMethod::Fork)
}

/// This process's threads, from /proc (test code may read it).
pub fn threads() -> std::io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no Threads: line"))
}

/// A field (in kB) of /proc/self/smaps_rollup.
pub fn rollup_kb(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in smaps_rollup"))
}

pub const ADD: Func<(u64, u64), u64> = Func::new("add", |(a, b)| a + b);
pub const SQUARE: Func<u64, u64> = Func::new("square", |x| x * x);
pub const PID: Func<u64, u32> = Func::new("pid", |_| std::process::id());
pub const PANIC_AT_13: Func<u64, u64> = Func::new("panic_at_13", |x| {
    if x == 13 {
        panic!("thirteen is unlucky");
    }
    x
});
pub const KILL_SELF_AT_5: Func<u64, u64> = Func::new("kill_self_at_5", |x| {
    if x == 5 {
        // SAFETY: signalling this process is always sound.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
    x
});
pub const EXIT_3: Func<(), ()> = Func::new("exit_3", |()| std::process::exit(3));
pub const SLEEP_MS: Func<u64, u64> = Func::new("sleep_ms", |ms| {
    std::thread::sleep(Duration::from_millis(ms));
    ms
});
/// Never registered: the child does not know it.
pub const UNKNOWN: Func<(), ()> = Func::new("not_registered", |()| ());

/// What a racer gets: the value, the start line, the number of processes,
/// the increments and the sleep in microseconds.
pub type Racer = (Value<i64>, Value<i64>, u32, u32, u64);

/// The course's race: once all `procs` have counted themselves at the
/// start line (or after 10 s), `increments` times load, sleep, store.
pub const RACE: Func<Racer, ()> =
    Func::new("race", |(v, start_line, procs, increments, sleep_us)| {
        *start_line.lock().unwrap() += 1;
        let begin = std::time::Instant::now();
        while start_line.get() < i64::from(procs) && begin.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_micros(100));
        }
        for _ in 0..increments {
            let x = v.get();
            std::thread::sleep(Duration::from_micros(sleep_us));
            v.set(x + 1);
        }
    });
/// The same under the lock.
pub const RACE_LOCKED: Func<(Value<i64>, Lock, u32, u64), ()> =
    Func::new("race_locked", |(v, lock, increments, sleep_us)| {
        for _ in 0..increments {
            let _held = lock.acquire().unwrap();
            let x = v.get();
            std::thread::sleep(Duration::from_micros(sleep_us));
            v.set(x + 1);
        }
    });
/// Increments under the value's own lock.
pub const INCREMENT_LOCKED: Func<(Value<i64>, u32), ()> =
    Func::new("increment_locked", |(v, n)| {
        for _ in 0..n {
            *v.lock().unwrap() += 1;
        }
    });
/// Takes the lock and exits holding it.
pub const DIE_HOLDING: Func<Lock, ()> = Func::new("die_holding", |lock| {
    let held = lock.acquire().unwrap();
    std::mem::forget(held);
    std::process::exit(0)
});
/// Negates element `i` (the course's shared array).
pub const NEGATE: Func<(Array<f64>, usize), ()> = Func::new("negate", |(a, i)| {
    let x = a.get(i).unwrap();
    a.set(i, -x).unwrap();
});
/// Sums the array and says how much memory this process has resident,
/// shared with other processes, and its proportional share:
/// (sum, Rss kB, Shared kB, Pss kB).
pub const SUM_AND_MEMORY: Func<Array<f64>, (f64, u64, u64, u64)> =
    Func::new("sum_and_memory", |a| {
        let sum: f64 = a.lock().unwrap().iter().sum();
        let shared = rollup_kb("Shared_Clean") + rollup_kb("Shared_Dirty");
        (sum, rollup_kb("Rss"), shared, rollup_kb("Pss"))
    });
/// Puts 0..n on the queue.
pub const PRODUCE: Func<(Queue<u64>, u64), ()> = Func::new("produce", |(q, n)| {
    for i in 0..n {
        q.put(&i).unwrap();
    }
});
/// Answers each message with its double until the pipe closes.
pub const ECHO_DOUBLE: Func<Pipe<u64>, u64> = Func::new("echo_double", |p| {
    let mut n = 0;
    while let Ok(x) = p.recv() {
        p.send(&(2 * x)).unwrap();
        n += 1;
    }
    n
});
/// Creates a shared value and returns it (a result carrying a descriptor).
pub const MAKE_VALUE: Func<i64, Value<i64>> = Func::new("make_value", |x| Value::new(x).unwrap());
/// Writes its pid to `slot` and sleeps for ever.
pub const REPORT_PID_AND_SLEEP: Func<(Array<i32>, usize), ()> =
    Func::new("report_pid_and_sleep", |(slot, i)| {
        slot.set(i, std::process::id() as i32).unwrap();
        std::thread::sleep(Duration::from_secs(3600));
    });
/// A parent for the orphan tests: starts two processes and a pool of two,
/// each reporting its pid in `pids` (0: itself, 1-2: processes, 3-4: pool
/// workers), then sleeps for ever.
pub const PARENT_OF_FOUR: Func<Array<i32>, ()> = Func::new("parent_of_four", |pids| {
    pids.set(0, std::process::id() as i32).unwrap();
    let ctx = ctx();
    let _p: Vec<_> = (1..3)
        .map(|i| ctx.start(REPORT_PID_AND_SLEEP, (pids.clone(), i)).unwrap())
        .collect();
    let pool = Pool::new(&ctx, 2).unwrap();
    let _r: Vec<_> = (3..5)
        .map(|i| {
            pool.apply_async(REPORT_PID_AND_SLEEP, (pids.clone(), i))
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3600));
});

/// Every function above but [`UNKNOWN`].
pub fn registry() -> Registry {
    let mut r = Registry::new();
    (|| -> procs::Result<()> {
        r.add(ADD)?
            .add(SQUARE)?
            .add(PID)?
            .add(PANIC_AT_13)?
            .add(KILL_SELF_AT_5)?;
        r.add(EXIT_3)?
            .add(SLEEP_MS)?
            .add(RACE)?
            .add(RACE_LOCKED)?
            .add(INCREMENT_LOCKED)?;
        r.add(DIE_HOLDING)?
            .add(NEGATE)?
            .add(SUM_AND_MEMORY)?
            .add(PRODUCE)?
            .add(ECHO_DOUBLE)?;
        r.add(MAKE_VALUE)?
            .add(REPORT_PID_AND_SLEEP)?
            .add(PARENT_OF_FOUR)?;
        Ok(())
    })()
    .unwrap();
    r
}
