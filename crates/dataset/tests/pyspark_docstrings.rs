//! The examples of PySpark 3.5's `RDD` docstrings (pyspark/rdd.py), one test
//! per method, ported by meaning to hpcrs's API, with the outputs the
//! docstrings show. The context is `local[2]` as in PySpark's doctests, so
//! default partition counts agree; where PySpark's output order comes from
//! Python's hash partitioning (`intersection`), the comparison is of sorted
//! outputs. Examples that cannot be written with hpcrs (Python objects,
//! Hadoop formats, replicated storage levels) are listed in
//! docs/dataset.md.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use dataset::{run_on_local_ranks, Buckets, Context, DatasetError, Result, StorageLevel};

thread_local! {
    /// The context of the rank this thread runs, while
    /// `every_example_on_two_ranks` runs the examples.
    static RANK_CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Two threads, as PySpark's doctests on `local[2]`; or, on ranks, the
/// rank's context (two ranks of one thread: the same default parallelism).
fn sc() -> Context {
    RANK_CONTEXT
        .with(|c| c.borrow().clone())
        .unwrap_or_else(|| Context::local(2).expect("a context of two threads"))
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn s(x: &str) -> String {
    x.to_string()
}

fn pairs(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(k, v)| (s(k), *v)).collect()
}

#[test]
fn aggregate() -> Result<()> {
    let seq = |(sum, n): (i64, i64), y: i64| (sum + y, n + 1);
    let comb = |a: (i64, i64), b: (i64, i64)| (a.0 + b.0, a.1 + b.1);
    assert_eq!(
        sc().parallelize([1, 2, 3, 4], 0)
            .aggregate((0, 0), seq, comb)?,
        (10, 4)
    );
    let empty = sc().parallelize(Vec::<i64>::new(), 0);
    assert_eq!(empty.aggregate((0, 0), seq, comb)?, (0, 0));
    Ok(())
}

#[test]
fn aggregate_by_key() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 2)]), 0);
    let got = rdd.aggregate_by_key(
        (0i64, 0i64),
        |(s, n), y| (s + y, n + 1),
        |a, b| (a.0 + b.0, a.1 + b.1),
        0,
    );
    assert_eq!(sorted(got.collect()?), [(s("a"), (3, 2)), (s("b"), (1, 1))]);
    Ok(())
}

#[test]
fn cache() -> Result<()> {
    let rdd = sc().range(0..5, 0);
    let cached = rdd.cache();
    assert!(cached.is_cached());
    assert_eq!(cached.get_storage_level(), StorageLevel::MemoryOnly);
    cached.unpersist();
    assert!(!cached.is_cached());
    Ok(())
}

#[test]
fn cartesian() -> Result<()> {
    let rdd = sc().parallelize([1, 2], 0);
    assert_eq!(
        sorted(rdd.cartesian(&rdd).collect()?),
        [(1, 1), (1, 2), (2, 1), (2, 2)]
    );
    Ok(())
}

#[test]
fn checkpoint() -> Result<()> {
    let rdd = sc().range(0..5, 0);
    assert!(!rdd.is_checkpointed());
    assert_eq!(rdd.get_checkpoint_file(), None);
    let cp = rdd.checkpoint()?;
    assert!(cp.is_checkpointed());
    assert_eq!(cp.count()?, 5);
    assert!(cp.get_checkpoint_file().is_some());
    Ok(())
}

#[test]
fn coalesce() -> Result<()> {
    let ctx = sc();
    assert_eq!(
        ctx.parallelize([1, 2, 3, 4, 5], 3).glom().collect()?,
        [vec![1], vec![2, 3], vec![4, 5]]
    );
    assert_eq!(
        ctx.parallelize([1, 2, 3, 4, 5], 3)
            .coalesce(1)
            .glom()
            .collect()?,
        [vec![1, 2, 3, 4, 5]]
    );
    Ok(())
}

#[test]
fn cogroup() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 1), ("b", 4)]), 0);
    let rdd2 = ctx.parallelize(pairs(&[("a", 2)]), 0);
    assert_eq!(
        sorted(rdd1.cogroup(&rdd2).collect()?),
        [(s("a"), (vec![1], vec![2])), (s("b"), (vec![4], vec![]))]
    );
    Ok(())
}

#[test]
fn collect() -> Result<()> {
    let ctx = sc();
    assert_eq!(ctx.range(0..5, 0).collect()?, [0, 1, 2, 3, 4]);
    assert_eq!(
        ctx.parallelize(["x", "y", "z"].map(s), 0).collect()?,
        ["x", "y", "z"]
    );
    Ok(())
}

#[test]
fn collect_as_map() -> Result<()> {
    let m = sc().parallelize([(1, 2), (3, 4)], 0).collect_as_map()?;
    assert_eq!((m[&1], m[&3]), (2, 4));
    Ok(())
}

#[test]
fn combine_by_key() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 2)]), 0);
    let lists = rdd.combine_by_key(
        |a| vec![a],
        |mut a, b| {
            a.push(b);
            a
        },
        |mut a, b| {
            a.extend(b);
            a
        },
        0,
    );
    assert_eq!(
        sorted(lists.collect()?),
        [(s("a"), vec![1, 2]), (s("b"), vec![1])]
    );
    Ok(())
}

#[test]
fn context() -> Result<()> {
    let ctx = sc();
    let rdd = ctx.range(0..5, 0);
    assert_eq!(
        rdd.context().default_parallelism(),
        ctx.default_parallelism()
    );
    Ok(())
}

#[test]
fn count() -> Result<()> {
    assert_eq!(sc().parallelize([2, 3, 4], 0).count()?, 3);
    Ok(())
}

#[test]
fn count_approx_distinct() -> Result<()> {
    let n = sc()
        .parallelize(0..1000, 0)
        .map(|x| x.to_string())
        .count_approx_distinct(0.05)?;
    assert!(900 < n && n < 1100, "{n}");
    let n = sc()
        .parallelize((0..1000).map(|i| i % 20), 0)
        .count_approx_distinct(0.05)?;
    assert!(16 < n && n < 24, "{n}");
    Ok(())
}

#[test]
fn count_by_key() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 1)]), 0);
    assert_eq!(
        sorted(rdd.count_by_key()?.into_iter().collect()),
        [(s("a"), 2), (s("b"), 1)]
    );
    Ok(())
}

#[test]
fn count_by_value() -> Result<()> {
    let counts = sc().parallelize([1, 2, 1, 2, 2], 2).count_by_value()?;
    assert_eq!(sorted(counts.into_iter().collect()), [(1, 2), (2, 3)]);
    Ok(())
}

#[test]
fn distinct() -> Result<()> {
    assert_eq!(
        sorted(sc().parallelize([1, 1, 2, 3], 0).distinct().collect()?),
        [1, 2, 3]
    );
    Ok(())
}

#[test]
fn filter() -> Result<()> {
    let rdd = sc().parallelize([1, 2, 3, 4, 5], 0);
    assert_eq!(rdd.filter(|x| x % 2 == 0).collect()?, [2, 4]);
    Ok(())
}

#[test]
fn first() -> Result<()> {
    assert_eq!(sc().parallelize([2, 3, 4], 0).first()?, 2);
    let err = sc().parallelize(Vec::<i64>::new(), 0).first().unwrap_err();
    assert!(matches!(err, DatasetError::Empty("first")), "{err}");
    assert_eq!(err.to_string(), "first: dataset is empty");
    Ok(())
}

#[test]
fn flat_map() -> Result<()> {
    let rdd = sc().parallelize([2, 3, 4], 0);
    assert_eq!(
        sorted(rdd.flat_map(|x| 1..x).collect()?),
        [1, 1, 1, 2, 2, 3]
    );
    assert_eq!(
        sorted(rdd.flat_map(|x| [(x, x), (x, x)]).collect()?),
        [(2, 2), (2, 2), (3, 3), (3, 3), (4, 4), (4, 4)]
    );
    Ok(())
}

#[test]
fn flat_map_values() -> Result<()> {
    let rdd = sc().parallelize(
        [
            (s("a"), vec![s("x"), s("y"), s("z")]),
            (s("b"), vec![s("p"), s("r")]),
        ],
        0,
    );
    let want = [("a", "x"), ("a", "y"), ("a", "z"), ("b", "p"), ("b", "r")];
    assert_eq!(
        rdd.flat_map_values(|x| x).collect()?,
        want.map(|(k, v)| (s(k), s(v)))
    );
    Ok(())
}

#[test]
fn fold() -> Result<()> {
    assert_eq!(
        sc().parallelize([1, 2, 3, 4, 5], 0).fold(0, |a, b| a + b)?,
        15
    );
    Ok(())
}

#[test]
fn fold_by_key() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 1)]), 0);
    assert_eq!(
        sorted(rdd.fold_by_key(0, |a, b| a + b, 0).collect()?),
        [(s("a"), 2), (s("b"), 1)]
    );
    Ok(())
}

#[test]
fn foreach() -> Result<()> {
    let seen = AtomicU64::new(0);
    sc().parallelize([1u64, 2, 3, 4, 5], 0).foreach(|x| {
        seen.fetch_add(x, Ordering::Relaxed);
    })?;
    assert_eq!(seen.into_inner(), 15);
    Ok(())
}

#[test]
fn foreach_partition() -> Result<()> {
    let seen = AtomicU64::new(0);
    sc().parallelize([1u64, 2, 3, 4, 5], 0)
        .foreach_partition(|it| {
            for x in it {
                seen.fetch_add(x, Ordering::Relaxed);
            }
        })?;
    assert_eq!(seen.into_inner(), 15);
    Ok(())
}

#[test]
fn full_outer_join() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 1), ("b", 4)]), 0);
    let rdd2 = ctx.parallelize(pairs(&[("a", 2), ("c", 8)]), 0);
    assert_eq!(
        sorted(rdd1.full_outer_join(&rdd2).collect()?),
        [
            (s("a"), (Some(1), Some(2))),
            (s("b"), (Some(4), None)),
            (s("c"), (None, Some(8)))
        ]
    );
    Ok(())
}

#[test]
fn get_num_partitions() -> Result<()> {
    assert_eq!(sc().parallelize([1, 2, 3, 4], 2).num_partitions(), 2);
    Ok(())
}

#[test]
fn get_storage_level() -> Result<()> {
    let rdd = sc().parallelize([1, 2], 0);
    assert_eq!(rdd.get_storage_level(), StorageLevel::None);
    assert_eq!(
        rdd.get_storage_level().to_string(),
        "Serialized 1x Replicated"
    );
    Ok(())
}

#[test]
fn glom() -> Result<()> {
    let rdd = sc().parallelize([1, 2, 3, 4], 2);
    assert_eq!(sorted(rdd.glom().collect()?), [vec![1, 2], vec![3, 4]]);
    Ok(())
}

#[test]
fn group_by() -> Result<()> {
    let rdd = sc().parallelize([1, 1, 2, 3, 5, 8], 0);
    let groups = rdd.group_by(|x| x % 2).collect()?;
    let groups = sorted(groups.into_iter().map(|(k, v)| (k, sorted(v))).collect());
    assert_eq!(groups, [(0, vec![2, 8]), (1, vec![1, 1, 3, 5])]);
    Ok(())
}

#[test]
fn group_by_key() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 1)]), 0);
    assert_eq!(
        sorted(rdd.group_by_key().map_values(|v| v.len()).collect()?),
        [(s("a"), 2), (s("b"), 1)]
    );
    assert_eq!(
        sorted(rdd.group_by_key().collect()?),
        [(s("a"), vec![1, 1]), (s("b"), vec![1])]
    );
    Ok(())
}

#[test]
fn group_with() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 5), ("b", 6)]), 0);
    let rdd2 = ctx.parallelize(pairs(&[("a", 1), ("b", 4)]), 0);
    let rdd3 = ctx.parallelize(pairs(&[("a", 2)]), 0);
    let rdd4 = ctx.parallelize(pairs(&[("b", 42)]), 0);
    assert_eq!(
        sorted(rdd1.group_with(&[rdd2, rdd3, rdd4]).collect()?),
        [
            (s("a"), vec![vec![5], vec![1], vec![2], vec![]]),
            (s("b"), vec![vec![6], vec![4], vec![], vec![42]])
        ]
    );
    Ok(())
}

#[test]
fn histogram() -> Result<()> {
    let rdd = sc().parallelize(0..51, 0);
    assert_eq!(
        rdd.histogram(Buckets::Count(2))?,
        (vec![0.0, 25.0, 50.0], vec![25, 26])
    );
    assert_eq!(
        rdd.histogram(Buckets::Edges(vec![0.0, 5.0, 25.0, 50.0]))?,
        (vec![0.0, 5.0, 25.0, 50.0], vec![5, 20, 26])
    );
    assert_eq!(
        rdd.histogram(Buckets::Edges(vec![0.0, 15.0, 30.0, 45.0, 60.0]))?,
        (vec![0.0, 15.0, 30.0, 45.0, 60.0], vec![15, 15, 15, 6])
    );
    Ok(())
}

#[test]
fn id() -> Result<()> {
    let ctx = sc();
    let a = ctx.range(0..5, 0);
    let b = a.map(|x| x + 1);
    assert_ne!(a.id(), b.id());
    Ok(())
}

#[test]
fn intersection() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize([1, 10, 2, 3, 4, 5], 0);
    let rdd2 = ctx.parallelize([1, 6, 2, 3, 7, 8], 0);
    assert_eq!(sorted(rdd1.intersection(&rdd2).collect()?), [1, 2, 3]);
    Ok(())
}

#[test]
fn is_empty() -> Result<()> {
    assert!(sc().parallelize(Vec::<i64>::new(), 0).is_empty()?);
    assert!(!sc().parallelize([1], 0).is_empty()?);
    Ok(())
}

#[test]
fn join() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 1), ("b", 4)]), 0);
    let rdd2 = ctx.parallelize(pairs(&[("a", 2), ("a", 3)]), 0);
    assert_eq!(
        sorted(rdd1.join(&rdd2).collect()?),
        [(s("a"), (1, 2)), (s("a"), (1, 3))]
    );
    Ok(())
}

#[test]
fn key_by() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(0..3i64, 0).key_by(|x| x * x);
    let rdd2 = ctx.parallelize((0..5i64).zip(0..5i64), 0);
    let got: Vec<(i64, Vec<Vec<i64>>)> = sorted(rdd1.cogroup(&rdd2).collect()?)
        .into_iter()
        .map(|(k, (a, b))| (k, vec![a, b]))
        .collect();
    assert_eq!(
        got,
        [
            (0, vec![vec![0], vec![0]]),
            (1, vec![vec![1], vec![1]]),
            (2, vec![vec![], vec![2]]),
            (3, vec![vec![], vec![3]]),
            (4, vec![vec![2], vec![4]])
        ]
    );
    Ok(())
}

#[test]
fn keys() -> Result<()> {
    assert_eq!(
        sc().parallelize([(1, 2), (3, 4)], 0).keys().collect()?,
        [1, 3]
    );
    Ok(())
}

#[test]
fn left_outer_join() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 1), ("b", 4)]), 0);
    let rdd2 = ctx.parallelize(pairs(&[("a", 2)]), 0);
    assert_eq!(
        sorted(rdd1.left_outer_join(&rdd2).collect()?),
        [(s("a"), (1, Some(2))), (s("b"), (4, None))]
    );
    Ok(())
}

#[test]
fn local_checkpoint() -> Result<()> {
    let rdd = sc().range(0..5, 0);
    assert!(!rdd.is_locally_checkpointed());
    let cp = rdd.local_checkpoint()?;
    assert!(cp.is_locally_checkpointed());
    assert_eq!(cp.collect()?, [0, 1, 2, 3, 4]);
    Ok(())
}

#[test]
fn lookup() -> Result<()> {
    let ctx = sc();
    let rdd = ctx.parallelize((0..1000).zip(0..1000), 10);
    assert_eq!(rdd.lookup(&42)?, [42]);
    let sorted_rdd = rdd.sort_by_key(true);
    assert_eq!(sorted_rdd.lookup(&42)?, [42]);
    assert_eq!(sorted_rdd.lookup(&1024)?, Vec::<i32>::new());
    let rdd2 = ctx
        .parallelize([((s("a"), s("b")), s("c"))], 0)
        .group_by_key();
    assert_eq!(rdd2.lookup(&(s("a"), s("b")))?[0], [s("c")]);
    Ok(())
}

#[test]
fn map() -> Result<()> {
    let rdd = sc().parallelize(["b", "a", "c"].map(s), 0);
    assert_eq!(
        sorted(rdd.map(|x| (x, 1)).collect()?),
        pairs(&[("a", 1), ("b", 1), ("c", 1)])
    );
    Ok(())
}

#[test]
fn map_partitions() -> Result<()> {
    let rdd = sc().parallelize([1, 2, 3, 4], 2);
    assert_eq!(
        rdd.map_partitions(|it| [it.sum::<i32>()]).collect()?,
        [3, 7]
    );
    Ok(())
}

#[test]
fn map_partitions_with_index() -> Result<()> {
    let rdd = sc().parallelize([1, 2, 3, 4], 4);
    assert_eq!(rdd.map_partitions_with_index(|i, _| [i]).sum()?, 6);
    Ok(())
}

#[test]
fn map_values() -> Result<()> {
    let rdd = sc().parallelize(
        [
            (s("a"), vec![s("apple"), s("banana"), s("lemon")]),
            (s("b"), vec![s("grapes")]),
        ],
        0,
    );
    assert_eq!(
        rdd.map_values(|x| x.len() as i64).collect()?,
        pairs(&[("a", 3), ("b", 1)])
    );
    Ok(())
}

#[test]
fn max() -> Result<()> {
    let rdd = sc().parallelize([1.0, 5.0, 43.0, 10.0], 0);
    assert_eq!(rdd.max()?, 43.0);
    assert_eq!(rdd.max_by(|x| x.to_string())?, 5.0);
    Ok(())
}

#[test]
fn mean() -> Result<()> {
    assert_eq!(sc().parallelize([1, 2, 3], 0).mean()?, 2.0);
    Ok(())
}

#[test]
fn min() -> Result<()> {
    let rdd = sc().parallelize([2.0, 5.0, 43.0, 10.0], 0);
    assert_eq!(rdd.min()?, 2.0);
    assert_eq!(rdd.min_by(|x| x.to_string())?, 10.0);
    Ok(())
}

#[test]
fn name() -> Result<()> {
    assert_eq!(sc().range(0..5, 0).name(), None);
    Ok(())
}

#[test]
fn partition_by() -> Result<()> {
    let pairs = sc().parallelize([1, 2, 3, 4, 2, 4, 1], 0).map(|x| (x, x));
    let sets = pairs.partition_by(2).glom().collect()?;
    assert!(sets[0].iter().all(|x| !sets[1].contains(x)));
    assert_eq!(sets[0].len() + sets[1].len(), 7);
    Ok(())
}

#[test]
fn persist() -> Result<()> {
    let ctx = sc();
    let rdd = ctx.parallelize(["b", "a", "c"].map(s), 0).persist();
    assert!(rdd.is_cached());
    assert_eq!(rdd.get_storage_level(), StorageLevel::MemoryOnly);
    rdd.unpersist();
    assert!(!rdd.is_cached());
    let rdd2 = ctx.range(0..5, 0).persist_with(StorageLevel::MemoryAndDisk);
    assert!(rdd2.is_cached());
    assert_eq!(
        rdd2.get_storage_level().to_string(),
        "Disk Memory Deserialized 1x Replicated"
    );
    rdd2.unpersist();
    assert!(!rdd2.is_cached());
    Ok(())
}

#[test]
fn pipe() -> Result<()> {
    let out = sc()
        .parallelize(["1", "2", "", "3"], 0)
        .pipe("cat")?
        .collect()?;
    assert_eq!(out, ["1", "2", "", "3"]);
    Ok(())
}

#[test]
fn random_split() -> Result<()> {
    let rdd = sc().parallelize(0..500, 1);
    let parts = rdd.random_split(&[2.0, 3.0], 17)?;
    let (a, b) = (parts[0].collect()?, parts[1].collect()?);
    assert_eq!(a.len() + b.len(), 500);
    assert!(
        (150..250).contains(&a.len()) && a.len() > 150,
        "{}",
        a.len()
    );
    assert!(b.len() > 250 && b.len() < 350, "{}", b.len());
    Ok(())
}

#[test]
fn reduce() -> Result<()> {
    let ctx = sc();
    assert_eq!(
        ctx.parallelize([1, 2, 3, 4, 5], 0).reduce(|a, b| a + b)?,
        15
    );
    let ones = ctx.parallelize(vec![2; 10], 0).map(|_| 1).cache();
    assert_eq!(ones.reduce(|a, b| a + b)?, 10);
    let err = ctx
        .parallelize(Vec::<i64>::new(), 0)
        .reduce(|a, b| a + b)
        .unwrap_err();
    assert!(matches!(err, DatasetError::Empty("reduce")), "{err}");
    Ok(())
}

#[test]
fn reduce_by_key() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 1)]), 0);
    assert_eq!(
        sorted(rdd.reduce_by_key(|a, b| a + b).collect()?),
        [(s("a"), 2), (s("b"), 1)]
    );
    Ok(())
}

#[test]
fn reduce_by_key_locally() -> Result<()> {
    let rdd = sc().parallelize(pairs(&[("a", 1), ("b", 1), ("a", 1)]), 0);
    let m = rdd.reduce_by_key_locally(|a, b| a + b)?;
    assert_eq!(sorted(m.into_iter().collect()), [(s("a"), 2), (s("b"), 1)]);
    Ok(())
}

#[test]
fn repartition() -> Result<()> {
    let rdd = sc().parallelize([1, 2, 3, 4, 5, 6, 7], 4);
    assert_eq!(
        sorted(rdd.glom().collect()?),
        [vec![1], vec![2, 3], vec![4, 5], vec![6, 7]]
    );
    assert_eq!(rdd.repartition(2).glom().collect()?.len(), 2);
    assert_eq!(rdd.repartition(10).glom().collect()?.len(), 10);
    Ok(())
}

#[test]
fn repartition_and_sort_within_partitions() -> Result<()> {
    let rdd = sc().parallelize([(0, 5), (3, 8), (2, 6), (0, 8), (3, 8), (1, 3)], 0);
    let rdd2 = rdd.repartition_and_sort_within_partitions(2, |x| (*x % 2) as usize, true);
    assert_eq!(
        rdd2.glom().collect()?,
        [vec![(0, 5), (0, 8), (2, 6)], vec![(1, 3), (3, 8), (3, 8)]]
    );
    Ok(())
}

#[test]
fn right_outer_join() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 1), ("b", 4)]), 0);
    let rdd2 = ctx.parallelize(pairs(&[("a", 2)]), 0);
    assert_eq!(
        sorted(rdd2.right_outer_join(&rdd1).collect()?),
        [(s("a"), (Some(2), 1)), (s("b"), (None, 4))]
    );
    Ok(())
}

#[test]
fn sample() -> Result<()> {
    let rdd = sc().parallelize(0..100, 4);
    let n = rdd.sample(false, 0.1, 81)?.count()?;
    assert!((6..=14).contains(&n), "{n}");
    Ok(())
}

#[test]
fn sample_by_key() -> Result<()> {
    let ctx = sc();
    let fractions: HashMap<String, f64> = [(s("a"), 0.2), (s("b"), 0.1)].into_iter().collect();
    let keys: Vec<String> = fractions.keys().cloned().collect();
    let rdd = ctx
        .parallelize(keys, 0)
        .cartesian(&ctx.parallelize(0..1000, 0));
    let sample: HashMap<String, Vec<i32>> = rdd
        .sample_by_key(false, fractions, 2)?
        .group_by_key()
        .collect()?
        .into_iter()
        .collect();
    let (a, b) = (&sample["a"], &sample["b"]);
    assert!(100 < a.len() && a.len() < 300 && 50 < b.len() && b.len() < 150);
    assert!(a.iter().max() <= Some(&999) && a.iter().min() >= Some(&0));
    assert!(b.iter().max() <= Some(&999) && b.iter().min() >= Some(&0));
    Ok(())
}

#[test]
fn sample_stdev() -> Result<()> {
    assert_eq!(sc().parallelize([1, 2, 3], 0).sample_stdev()?, 1.0);
    Ok(())
}

#[test]
fn sample_variance() -> Result<()> {
    assert_eq!(sc().parallelize([1, 2, 3], 0).sample_variance()?, 1.0);
    Ok(())
}

/// The lines of every `part-*` file of a saved directory, sorted, joined
/// with their newlines.
fn saved_lines(dir: &std::path::Path) -> String {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("part-") {
            let text = std::fs::read_to_string(&path).unwrap();
            lines.extend(text.split_inclusive('\n').map(str::to_string));
        }
    }
    lines.sort();
    lines.concat()
}

#[test]
fn save_as_text_file() -> Result<()> {
    let ctx = sc();
    let d1 = tempfile::tempdir().unwrap();
    let path1 = d1.path().join("text_file1");
    ctx.parallelize(0..10, 0).save_as_text_file(&path1)?;
    assert_eq!(saved_lines(&path1), "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
    let path2 = d1.path().join("text2_file2");
    ctx.parallelize(["", "foo", "", "bar", ""], 0)
        .save_as_text_file(&path2)?;
    assert_eq!(saved_lines(&path2), "\n\n\nbar\nfoo\n");
    Ok(())
}

#[test]
fn set_name() -> Result<()> {
    let rdd = sc().parallelize([1, 2], 0);
    assert_eq!(rdd.set_name("I am an RDD").name(), Some("I am an RDD"));
    Ok(())
}

#[test]
fn sort_by() -> Result<()> {
    let tmp = pairs(&[("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]);
    let rdd = sc().parallelize(tmp, 0);
    assert_eq!(
        rdd.sort_by(|x| x.0.clone(), true).collect()?,
        pairs(&[("1", 3), ("2", 5), ("a", 1), ("b", 2), ("d", 4)])
    );
    assert_eq!(
        rdd.sort_by(|x| x.1, true).collect()?,
        pairs(&[("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)])
    );
    Ok(())
}

#[test]
fn sort_by_key() -> Result<()> {
    let ctx = sc();
    let tmp = ctx.parallelize(
        pairs(&[("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]),
        0,
    );
    let want = pairs(&[("1", 3), ("2", 5), ("a", 1), ("b", 2), ("d", 4)]);
    assert_eq!(tmp.sort_by_key(true).first()?, (s("1"), 3));
    assert_eq!(tmp.sort_by_key_partitions(true, 1).collect()?, want);
    assert_eq!(tmp.sort_by_key_partitions(true, 2).collect()?, want);
    let tmp2 = pairs(&[
        ("Mary", 1),
        ("had", 2),
        ("a", 3),
        ("little", 4),
        ("lamb", 5),
        ("whose", 6),
        ("fleece", 7),
        ("was", 8),
        ("white", 9),
    ]);
    let by_lower = ctx
        .parallelize(tmp2, 0)
        .sort_by_key_with(true, 3, |k| k.to_lowercase());
    assert_eq!(
        by_lower.collect()?,
        pairs(&[
            ("a", 3),
            ("fleece", 7),
            ("had", 2),
            ("lamb", 5),
            ("little", 4),
            ("Mary", 1),
            ("was", 8),
            ("white", 9),
            ("whose", 6)
        ])
    );
    Ok(())
}

#[test]
fn stdev() -> Result<()> {
    let sd = sc().parallelize([1, 2, 3], 0).stdev()?;
    assert!(sd.to_string().starts_with("0.816"), "{sd}");
    Ok(())
}

#[test]
fn subtract() -> Result<()> {
    let ctx = sc();
    let opt = |items: &[(&str, Option<i64>)]| -> Vec<(String, Option<i64>)> {
        items.iter().map(|(k, v)| (s(k), *v)).collect()
    };
    let rdd1 = ctx.parallelize(
        opt(&[
            ("a", Some(1)),
            ("b", Some(4)),
            ("b", Some(5)),
            ("a", Some(3)),
        ]),
        0,
    );
    let rdd2 = ctx.parallelize(opt(&[("a", Some(3)), ("c", None)]), 0);
    assert_eq!(
        sorted(rdd1.subtract(&rdd2).collect()?),
        opt(&[("a", Some(1)), ("b", Some(4)), ("b", Some(5))])
    );
    Ok(())
}

#[test]
fn subtract_by_key() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(pairs(&[("a", 1), ("b", 4), ("b", 5), ("a", 2)]), 0);
    let rdd2 = ctx.parallelize([(s("a"), Some(3)), (s("c"), None)], 0);
    assert_eq!(
        sorted(rdd1.subtract_by_key(&rdd2).collect()?),
        pairs(&[("b", 4), ("b", 5)])
    );
    Ok(())
}

#[test]
fn sum() -> Result<()> {
    assert_eq!(sc().parallelize([1.0, 2.0, 3.0], 0).sum()?, 6.0);
    Ok(())
}

#[test]
fn take() -> Result<()> {
    let ctx = sc();
    assert_eq!(ctx.parallelize([2, 3, 4, 5, 6], 0).cache().take(2)?, [2, 3]);
    assert_eq!(
        ctx.parallelize([2, 3, 4, 5, 6], 0).take(10)?,
        [2, 3, 4, 5, 6]
    );
    assert_eq!(
        ctx.parallelize(0..100, 100).filter(|x| *x > 90).take(3)?,
        [91, 92, 93]
    );
    Ok(())
}

#[test]
fn take_ordered() -> Result<()> {
    let ctx = sc();
    let xs = [10, 1, 2, 9, 3, 4, 5, 6, 7];
    assert_eq!(
        ctx.parallelize(xs, 0).take_ordered(6, |x| *x)?,
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        ctx.parallelize(xs, 2).take_ordered(6, |x| -x)?,
        [10, 9, 7, 6, 5, 4]
    );
    assert!(ctx
        .parallelize(Vec::<i32>::new(), 0)
        .take_ordered(3, |x| *x)?
        .is_empty());
    Ok(())
}

#[test]
fn take_sample() -> Result<()> {
    let ctx = sc();
    let rdd = ctx.parallelize(0..10, 0);
    assert_eq!(rdd.take_sample(true, 20, 1)?.len(), 20);
    assert_eq!(rdd.take_sample(false, 5, 2)?.len(), 5);
    assert_eq!(rdd.take_sample(false, 15, 3)?.len(), 10);
    let err = ctx
        .range(0..10, 0)
        .take_sample(false, usize::MAX, 0)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("sample size cannot be greater than"),
        "{err}"
    );
    Ok(())
}

#[test]
fn to_debug_string() -> Result<()> {
    let text = sc().range(0..5, 0).debug_string();
    assert!(text.contains("Range["), "{text}");
    Ok(())
}

#[test]
fn to_local_iterator() -> Result<()> {
    let rdd = sc().parallelize(0..10, 0);
    let xs: Vec<i32> = rdd.to_local_iterator().collect::<Result<_>>()?;
    assert_eq!(xs, (0..10).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn top() -> Result<()> {
    let ctx = sc();
    assert_eq!(ctx.parallelize([10, 4, 2, 12, 3], 0).top(1, |x| *x)?, [12]);
    assert_eq!(ctx.parallelize([2, 3, 4, 5, 6], 2).top(2, |x| *x)?, [6, 5]);
    assert_eq!(
        ctx.parallelize([10, 4, 2, 12, 3], 0)
            .top(3, |x| x.to_string())?,
        [4, 3, 2]
    );
    Ok(())
}

#[test]
fn tree_aggregate() -> Result<()> {
    let rdd = sc().parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10);
    let add = |a: i64, b: i64| a + b;
    for depth in [2, 1, 2, 5, 10] {
        assert_eq!(rdd.tree_aggregate(0, add, add, depth)?, -5, "depth {depth}");
    }
    Ok(())
}

#[test]
fn tree_reduce() -> Result<()> {
    let rdd = sc().parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10);
    for depth in [2, 1, 2, 5, 10] {
        assert_eq!(rdd.tree_reduce(|a, b| a + b, depth)?, -5, "depth {depth}");
    }
    Ok(())
}

#[test]
fn union() -> Result<()> {
    let rdd = sc().parallelize([1, 1, 2, 3], 0);
    assert_eq!(rdd.union(&rdd).collect()?, [1, 1, 2, 3, 1, 1, 2, 3]);
    Ok(())
}

#[test]
fn unpersist() -> Result<()> {
    let rdd = sc().range(0..5, 0);
    assert!(!rdd.is_cached());
    rdd.unpersist();
    assert!(!rdd.is_cached());
    let cached = rdd.cache();
    assert!(cached.is_cached());
    cached.unpersist();
    assert!(!cached.is_cached());
    cached.unpersist();
    Ok(())
}

#[test]
fn values() -> Result<()> {
    assert_eq!(
        sc().parallelize([(1, 2), (3, 4)], 0).values().collect()?,
        [2, 4]
    );
    Ok(())
}

#[test]
fn variance() -> Result<()> {
    let v = sc().parallelize([1, 2, 3], 0).variance()?;
    assert!(v.to_string().starts_with("0.666"), "{v}");
    Ok(())
}

#[test]
fn zip() -> Result<()> {
    let ctx = sc();
    let rdd1 = ctx.parallelize(0..5, 0);
    let rdd2 = ctx.parallelize(1000..1005, 0);
    assert_eq!(
        rdd1.zip(&rdd2).collect()?,
        [(0, 1000), (1, 1001), (2, 1002), (3, 1003), (4, 1004)]
    );
    Ok(())
}

#[test]
fn zip_with_index() -> Result<()> {
    let rdd = sc().parallelize(["a", "b", "c", "d"].map(s), 3);
    assert_eq!(
        rdd.zip_with_index()?.collect()?,
        [("a", 0), ("b", 1), ("c", 2), ("d", 3)].map(|(k, i)| (s(k), i))
    );
    Ok(())
}

#[test]
fn zip_with_unique_id() -> Result<()> {
    let rdd = sc().parallelize(["a", "b", "c", "d", "e"].map(s), 3);
    assert_eq!(
        rdd.zip_with_unique_id().collect()?,
        [("a", 0), ("b", 1), ("c", 4), ("d", 2), ("e", 5)].map(|(k, i)| (s(k), i))
    );
    Ok(())
}

/// The examples whose answers do not depend on where tasks run: all but
/// `foreach` and `foreach_partition` (their side effects happen on the rank
/// that runs each partition, as on Spark's executors) and
/// `save_as_text_file` (ranks write into one directory, which the engine's
/// own tests check on a shared path).
type Example = (&'static str, fn() -> Result<()>);
const PLACE_FREE: &[Example] = &[
    ("aggregate", aggregate),
    ("aggregate_by_key", aggregate_by_key),
    ("cache", cache),
    ("cartesian", cartesian),
    ("checkpoint", checkpoint),
    ("coalesce", coalesce),
    ("cogroup", cogroup),
    ("collect", collect),
    ("collect_as_map", collect_as_map),
    ("combine_by_key", combine_by_key),
    ("context", context),
    ("count", count),
    ("count_approx_distinct", count_approx_distinct),
    ("count_by_key", count_by_key),
    ("count_by_value", count_by_value),
    ("distinct", distinct),
    ("filter", filter),
    ("first", first),
    ("flat_map", flat_map),
    ("flat_map_values", flat_map_values),
    ("fold", fold),
    ("fold_by_key", fold_by_key),
    ("full_outer_join", full_outer_join),
    ("get_num_partitions", get_num_partitions),
    ("get_storage_level", get_storage_level),
    ("glom", glom),
    ("group_by", group_by),
    ("group_by_key", group_by_key),
    ("group_with", group_with),
    ("histogram", histogram),
    ("id", id),
    ("intersection", intersection),
    ("is_empty", is_empty),
    ("join", join),
    ("key_by", key_by),
    ("keys", keys),
    ("left_outer_join", left_outer_join),
    ("local_checkpoint", local_checkpoint),
    ("lookup", lookup),
    ("map", map),
    ("map_partitions", map_partitions),
    ("map_partitions_with_index", map_partitions_with_index),
    ("map_values", map_values),
    ("max", max),
    ("mean", mean),
    ("min", min),
    ("name", name),
    ("partition_by", partition_by),
    ("persist", persist),
    ("pipe", pipe),
    ("random_split", random_split),
    ("reduce", reduce),
    ("reduce_by_key", reduce_by_key),
    ("reduce_by_key_locally", reduce_by_key_locally),
    ("repartition", repartition),
    (
        "repartition_and_sort_within_partitions",
        repartition_and_sort_within_partitions,
    ),
    ("right_outer_join", right_outer_join),
    ("sample", sample),
    ("sample_by_key", sample_by_key),
    ("sample_stdev", sample_stdev),
    ("sample_variance", sample_variance),
    ("set_name", set_name),
    ("sort_by", sort_by),
    ("sort_by_key", sort_by_key),
    ("stdev", stdev),
    ("subtract", subtract),
    ("subtract_by_key", subtract_by_key),
    ("sum", sum),
    ("take", take),
    ("take_ordered", take_ordered),
    ("take_sample", take_sample),
    ("to_debug_string", to_debug_string),
    ("to_local_iterator", to_local_iterator),
    ("top", top),
    ("tree_aggregate", tree_aggregate),
    ("tree_reduce", tree_reduce),
    ("union", union),
    ("unpersist", unpersist),
    ("values", values),
    ("variance", variance),
    ("zip", zip),
    ("zip_with_index", zip_with_index),
    ("zip_with_unique_id", zip_with_unique_id),
];

#[test]
fn every_example_on_two_ranks() -> Result<()> {
    let settings = |_| Context::builder().threads(1);
    run_on_local_ranks(2, settings, |ctx| {
        RANK_CONTEXT.with(|c| *c.borrow_mut() = Some(ctx.clone()));
        assert_eq!((sc().ranks(), sc().default_parallelism()), (2, 2));
        for (name, example) in PLACE_FREE {
            example().map_err(|e| {
                DatasetError::InvalidArgument(format!("{name} on rank {}: {e}", ctx.rank()))
            })?;
        }
        RANK_CONTEXT.with(|c| c.borrow_mut().take());
        Ok(())
    })?;
    Ok(())
}
