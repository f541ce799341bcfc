//! Faults injected on purpose: failing tasks, dropped cache partitions, a
//! memory budget far too small. Results must not change.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dataset::{Context, DatasetError};

#[test]
fn failed_tasks_are_retried_and_results_unchanged() {
    let notes = Arc::new(Notes::default());
    let sc = Context::builder()
        .threads(2)
        .max_attempts(3)
        .progress(notes.clone())
        .build()
        .unwrap();
    // Partition 1 panics on its first two attempts, in the map stage of a shuffle.
    let attempts = Arc::new(AtomicUsize::new(0));
    let a = attempts.clone();
    let counts = sc
        .parallelize(0..1000u64, 4)
        .map_partitions_with_index(move |i, it| {
            if i == 1 && a.fetch_add(1, Ordering::SeqCst) < 2 {
                panic!("injected fault in partition {i}");
            }
            it.map(|x| (x % 10, 1u64))
        })
        .reduce_by_key(|a, b| a + b)
        .collect_as_map()
        .unwrap();
    assert_eq!(counts, (0..10).map(|k| (k, 100)).collect::<HashMap<_, _>>());
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    let m = sc.metrics();
    assert_eq!(m.task_failures, 2);
    // Each retry is a note for the user.
    let notes = notes.0.lock().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    for (i, note) in notes.iter().enumerate() {
        let retry = format!(
            "partition 1: attempt {} failed, retrying: panic: injected fault in partition 1",
            i + 1
        );
        assert!(
            note.starts_with("stage 0 (shuffle map for reduce_by_key at ") && note.contains(&retry),
            "{note}"
        );
    }
}

/// The notes a progress receiver is given.
#[derive(Default)]
struct Notes(std::sync::Mutex<Vec<String>>);

impl runtime::Progress for Notes {
    fn note(&self, line: &str) {
        self.0.lock().unwrap().push(line.to_string());
    }
}

#[test]
fn a_task_that_always_fails_names_stage_partition_and_cause() {
    let sc = Context::builder()
        .threads(2)
        .max_attempts(2)
        .build()
        .unwrap();
    let err = sc
        .parallelize(0..100, 5)
        .map(|x| if x == 42 { panic!("bad record {x}") } else { x })
        .count()
        .unwrap_err();
    match &err {
        DatasetError::TaskFailed {
            partition,
            attempts,
            cause,
            stage_name,
            ..
        } => {
            assert_eq!(*partition, 2);
            assert_eq!(*attempts, 2);
            assert!(cause.contains("bad record 42"), "{cause}");
            assert!(stage_name.contains("count at"), "{stage_name}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.starts_with("stage "), "{msg}");
    assert!(msg.contains("partition 2"), "{msg}");
    assert!(msg.contains("failed 2 time(s)"), "{msg}");
}

#[test]
fn evicted_cache_partitions_are_recomputed_from_lineage() {
    let sc = Context::builder().threads(2).build().unwrap();
    let computed = Arc::new(AtomicUsize::new(0));
    let c = computed.clone();
    let squares = sc
        .parallelize(0..100u64, 4)
        .map(move |x| {
            c.fetch_add(1, Ordering::SeqCst);
            x * x
        })
        .cache();
    let want: u64 = (0..100u64).map(|x| x * x).sum();
    assert_eq!(squares.sum().unwrap(), want);
    assert_eq!(computed.load(Ordering::SeqCst), 100);
    assert_eq!(squares.cached_partitions(), 4);
    // From the cache: nothing recomputed.
    assert_eq!(squares.sum().unwrap(), want);
    assert_eq!(computed.load(Ordering::SeqCst), 100);
    // Lose one partition (25 elements): only it is recomputed.
    assert!(squares.evict_cached_partition(2));
    assert_eq!(squares.cached_partitions(), 3);
    assert_eq!(squares.sum().unwrap(), want);
    assert_eq!(computed.load(Ordering::SeqCst), 125);
    assert_eq!(squares.cached_partitions(), 4);
    let m = sc.metrics();
    assert_eq!(m.cache_misses, 5);
    assert_eq!(m.cache_hits, 7);
    squares.unpersist();
    assert_eq!(squares.cached_partitions(), 0);
    assert_eq!(sc.memory_used(), 0);
}

#[test]
fn cache_beyond_the_budget_evicts_and_recomputes() {
    // Room for about two of the four partitions (each ~25 strings of ~1 KiB).
    let sc = Context::builder()
        .threads(1)
        .memory_budget(60 << 10)
        .build()
        .unwrap();
    let computed = Arc::new(AtomicUsize::new(0));
    let c = computed.clone();
    let big = sc
        .parallelize(0..100usize, 4)
        .map(move |i| {
            c.fetch_add(1, Ordering::SeqCst);
            format!("{i:01000}")
        })
        .cache();
    for _ in 0..3 {
        assert_eq!(big.map(|s| s.len() as u64).sum().unwrap(), 100_000);
        assert!(sc.memory_used() <= 60 << 10);
    }
    assert!(big.cached_partitions() < 4);
    assert!(sc.metrics().cache_evictions > 0 || computed.load(Ordering::SeqCst) > 100);
    assert!(
        computed.load(Ordering::SeqCst) > 100,
        "dropped partitions were recomputed"
    );
}

#[test]
fn shuffles_spill_beyond_a_tiny_budget_and_clean_up() {
    let spill_root = tempfile::tempdir().unwrap();
    let words: Vec<String> = (0..20_000u64)
        .map(|i| format!("w{}", (i * 7919) % 5003))
        .collect();
    let mut want: HashMap<String, u64> = HashMap::new();
    for w in &words {
        *want.entry(w.clone()).or_default() += 1;
    }
    let mut sorted = words.clone();
    sorted.sort();
    {
        let sc = Context::builder()
            .threads(2)
            .memory_budget(16 << 10)
            .spill_dir(spill_root.path())
            .build()
            .unwrap();
        let d = sc.parallelize(words.clone(), 4);
        let counts = d.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b);
        assert_eq!(counts.collect_as_map().unwrap(), want);
        let groups = d
            .map(|w| (w, 1u8))
            .group_by_key_partitions(3)
            .map_values(|v| v.len() as u64);
        assert_eq!(groups.collect_as_map().unwrap(), want);
        assert_eq!(d.sort_by(|w| w.clone(), true).collect().unwrap(), sorted);
        let mut distinct = d.distinct().collect().unwrap();
        distinct.sort();
        let mut want_keys: Vec<String> = want.keys().cloned().collect();
        want_keys.sort();
        assert_eq!(distinct, want_keys);
        assert_eq!(d.repartition(5).count().unwrap(), 20_000);
        let m = sc.metrics();
        assert!(m.spill_files > 10, "{m:?}");
        assert!(m.spilled_bytes > 100_000, "{m:?}");
        assert!(sc.memory_used() <= 16 << 10);
        // Spill files live while their shuffles are reachable...
        let dirs: Vec<_> = std::fs::read_dir(spill_root.path()).unwrap().collect();
        assert_eq!(dirs.len(), 1);
        drop(counts);
        drop(groups);
    }
    // ...and everything is removed once the datasets and the context are gone.
    assert_eq!(std::fs::read_dir(spill_root.path()).unwrap().count(), 0);
}

#[test]
fn corrupt_spill_files_fail_with_their_name() {
    let spill_root = tempfile::tempdir().unwrap();
    let sc = Context::builder()
        .threads(1)
        .memory_budget(1024)
        .spill_dir(spill_root.path())
        .max_attempts(1)
        .build()
        .unwrap();
    let counts = sc
        .parallelize((0..20_000u64).map(|i| (i, i)).collect::<Vec<_>>(), 2)
        .group_by_key();
    // Run the map stage, then damage what it wrote.
    assert_eq!(counts.count().unwrap(), 20_000);
    let dir = std::fs::read_dir(spill_root.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut damaged = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let p = f.unwrap().path();
        let len = std::fs::metadata(&p).unwrap().len();
        std::fs::write(&p, vec![0xffu8; len as usize]).unwrap();
        damaged += 1;
    }
    assert!(damaged > 0);
    let err = counts.count().unwrap_err().to_string();
    assert!(
        err.contains("corrupt spill file") && err.contains(".bin"),
        "{err}"
    );
}
