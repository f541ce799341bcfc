//! Hostile and edge inputs of the RDD API: every one ends in the right
//! answer or an error that says what was wrong (naming the command, the
//! file, the argument), and nothing is left behind on disk.

use std::path::Path;

use dataset::{Buckets, Context, DatasetError, Result, StorageLevel};

/// A context with one attempt per task (errors surface at once) spilling
/// into `dir`.
fn ctx_in(dir: &Path) -> Context {
    Context::builder()
        .threads(2)
        .max_attempts(1)
        .spill_dir(dir)
        .build()
        .expect("a context")
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn pipe_failures_name_the_command_and_its_status() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let sc = ctx_in(tmp.path());
    let d = sc.parallelize(1..=5, 2);
    let err = d
        .pipe("sh -c 'cat; echo oops >&2; exit 3'")?
        .collect()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("pipe through `sh -c 'cat; echo oops >&2; exit 3'`"),
        "{msg}"
    );
    assert!(msg.contains("exited with status 3: oops"), "{msg}");
    let err = d.pipe("no-such-program-hpcrs --x")?.collect().unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot start no-such-program-hpcrs"),
        "{err}"
    );
    for bad in ["", "   ", "echo 'open"] {
        assert!(
            matches!(d.pipe(bad), Err(DatasetError::Pipe { .. })),
            "{bad:?}"
        );
    }
    Ok(())
}

#[test]
fn pipe_streams_large_partitions_and_stops_early_readers() -> Result<()> {
    let sc = Context::local(2)?;
    // Far more than a pipe buffer holds, both ways: a writer thread avoids
    // the deadlock of writing everything before reading.
    let n = 200_000u64;
    let d = sc.parallelize(0..n, 2);
    let out = d
        .pipe("cat")?
        .map(|s| s.parse::<u64>().unwrap())
        .collect()?;
    assert_eq!(out, (0..n).collect::<Vec<_>>());
    // A command that stops reading early is not an error.
    assert_eq!(d.pipe("head -n 1")?.collect()?, ["0", "100000"]);
    // Taking one element stops the command of an unfinished partition.
    assert_eq!(d.pipe("cat")?.take(1)?, ["0"]);
    let words = sc
        .parallelize(["a b", "c"], 1)
        .pipe("tr ' ' '\\n'")?
        .collect()?;
    assert_eq!(words, ["a", "b", "c"]);
    Ok(())
}

#[test]
fn a_local_iterator_reports_a_failed_partition_once() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let sc = ctx_in(tmp.path());
    let d = sc.parallelize(0..4, 2).pipe("sh -c 'exit 1'")?;
    let mut it = d.to_local_iterator();
    assert!(matches!(it.next(), Some(Err(_))));
    assert!(it.next().is_none());
    Ok(())
}

#[test]
fn zips_of_unequal_datasets_fail_saying_why() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let sc = ctx_in(tmp.path());
    let err = sc
        .parallelize(0..6, 2)
        .zip(&sc.parallelize(0..6, 3))
        .collect()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("zip: datasets of 2 and 3 partitions"),
        "{err}"
    );
    let err = sc
        .parallelize(0..6, 2)
        .zip(&sc.parallelize(0..7, 2))
        .collect()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("more elements in the second dataset"),
        "{err}"
    );
    Ok(())
}

#[test]
fn actions_on_empty_datasets_fail_as_spark_does() -> Result<()> {
    let sc = Context::local(2)?;
    let empty = sc.parallelize(Vec::<i64>::new(), 3);
    for (got, op) in [
        (empty.first(), "first"),
        (empty.reduce(|a, b| a + b), "reduce"),
        (empty.max(), "max"),
        (empty.min(), "min"),
        (empty.max_by(|x| *x), "max_by"),
        (empty.tree_reduce(|a, b| a + b, 2), "tree_reduce"),
    ] {
        match got {
            Err(DatasetError::Empty(name)) => assert_eq!(name, op),
            other => panic!("{op}: {other:?}"),
        }
    }
    assert_eq!(empty.mean()?, 0.0);
    assert!(empty.stdev()?.is_nan());
    assert_eq!(empty.stats()?.max(), None);
    assert!(empty.is_empty()?);
    assert!(empty.take_sample(true, 5, 1)?.is_empty());
    // The zero value starts each of the 3 partitions and the merge, as in
    // Spark (so it must be neutral for a meaningful answer).
    assert_eq!(empty.aggregate(7, |a, b| a + b, |a, b| a + b)?, 28);
    // stats keeps integers as integers.
    let s = sc.parallelize([i64::MAX, -3, 5], 2).stats()?;
    assert_eq!((s.min(), s.max()), (Some(-3), Some(i64::MAX)));
    Ok(())
}

#[test]
fn bad_arguments_are_errors_naming_them() -> Result<()> {
    let sc = Context::local(2)?;
    let d = sc.parallelize([1.0, 2.0, f64::NAN, 3.0], 2);
    let bad = |r: Result<(Vec<f64>, Vec<u64>)>, what: &str| {
        let err = r.unwrap_err().to_string();
        assert!(err.contains(what), "{err}");
    };
    bad(d.histogram(Buckets::Count(0)), "at least 1");
    bad(d.histogram(Buckets::Edges(vec![1.0])), "at least two");
    bad(
        d.histogram(Buckets::Edges(vec![2.0, 1.0])),
        "increase strictly",
    );
    bad(
        d.histogram(Buckets::Edges(vec![1.0, 1.0])),
        "increase strictly",
    );
    bad(d.histogram(Buckets::Edges(vec![0.0, f64::NAN])), "NaN");
    bad(
        sc.parallelize([1.0, f64::INFINITY], 1)
            .histogram(Buckets::Count(2)),
        "infinite",
    );
    // NaN elements are not counted; the last edge is inclusive.
    assert_eq!(
        d.histogram(Buckets::Count(2))?,
        (vec![1.0, 2.0, 3.0], vec![1, 2])
    );
    assert!(d.sample(false, 1.5, 0).is_err());
    assert!(d.sample(false, -0.1, 0).is_err());
    assert!(d.sample(true, f64::NAN, 0).is_err());
    assert!(d.random_split(&[], 0).is_err());
    assert!(d.random_split(&[1.0, -1.0], 0).is_err());
    assert!(d.random_split(&[0.0, 0.0], 0).is_err());
    assert!(sc.range_step(0, 10, 0, 2).is_err());
    for sd in [0.0, 1e-6, f64::NAN] {
        let err = sc.range(0..10, 2).count_approx_distinct(sd).unwrap_err();
        assert!(err.to_string().contains("relative_sd"), "{err}");
    }
    // The finest sketch allowed stays at 1 MiB per partition and is near exact.
    let n = sc.range(0..5000, 2).count_approx_distinct(0.000017)?;
    assert!((4950..=5050).contains(&n), "{n}");
    let err = sc
        .parallelize([1, 2], 1)
        .tree_aggregate(0, |a, b| a + b, |a, b| a + b, 0)
        .unwrap_err();
    assert!(
        err.to_string().contains("depth must be at least 1"),
        "{err}"
    );
    Ok(())
}

#[test]
fn checkpoints_cut_the_lineage_and_clean_up_their_files() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let sc = ctx_in(tmp.path());
    let long = sc
        .parallelize(0..1000u64, 4)
        .map(|x| (x % 10, x))
        .reduce_by_key(|a, b| a + b);
    let want = long.collect()?;
    let cp = long.checkpoint()?;
    let dir = cp.get_checkpoint_file().expect("a directory").to_path_buf();
    assert!(dir.starts_with(tmp.path()));
    assert_eq!(files_under(&dir).len(), 4);
    assert_eq!(cp.collect()?, want);
    // No parents: the lineage starts at the checkpoint.
    assert_eq!(
        cp.debug_string().lines().count(),
        1,
        "{}",
        cp.debug_string()
    );
    let after = cp.map_values(|v| v * 2);
    assert_eq!(after.count()?, 10);
    drop(cp);
    assert!(dir.exists(), "a descendant still reads the files");
    drop(after);
    assert!(!dir.exists());
    Ok(())
}

#[test]
fn checkpoints_go_to_the_checkpoint_directory() -> Result<()> {
    let (spill, kept) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sc = Context::builder()
        .threads(2)
        .spill_dir(spill.path())
        .checkpoint_dir(kept.path())
        .build()?;
    let cp = sc.range(0..100, 3).checkpoint()?;
    let dir = cp.get_checkpoint_file().unwrap().to_path_buf();
    assert!(dir.starts_with(kept.path()), "{}", dir.display());
    assert_eq!(files_under(kept.path()).len(), 3);
    assert_eq!(cp.count()?, 100);
    drop(cp);
    assert!(files_under(kept.path()).is_empty());
    // A checkpoint directory that cannot be made is an error naming it.
    let missing = kept.path().join("no/such/dir");
    let bad = Context::builder().checkpoint_dir(&missing).build()?;
    let Err(err) = bad.range(0..10, 1).checkpoint() else {
        panic!("a checkpoint into {} succeeded", missing.display());
    };
    assert!(err.to_string().contains("no/such/dir"), "{err}");
    Ok(())
}

#[test]
fn a_corrupt_checkpoint_file_is_an_error_naming_it() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let sc = ctx_in(tmp.path());
    let cp = sc
        .parallelize(vec!["word".to_string(); 10], 1)
        .checkpoint()?;
    let file = files_under(cp.get_checkpoint_file().unwrap()).remove(0);
    std::fs::write(&file, [200u8, 1, 2]).unwrap();
    let err = cp.collect().unwrap_err().to_string();
    assert!(err.contains(&file.display().to_string()), "{err}");
    Ok(())
}

#[test]
fn storage_levels_keep_partitions_where_they_say() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let sc = ctx_in(tmp.path());
    let d = sc.parallelize(0..10_000u64, 5).map(|x| x * x);
    let want = d.collect()?;
    let disk = d.persist_with(StorageLevel::DiskOnly);
    assert_eq!(disk.collect()?, want);
    assert_eq!(
        (disk.partitions_on_disk(), disk.cached_partitions()),
        (5, 0)
    );
    let hits = sc.metrics().cache_hits;
    assert_eq!(disk.collect()?, want);
    assert_eq!(sc.metrics().cache_hits, hits + 5);
    assert!(disk.debug_string().contains("[disk: 5/5 partitions]"));
    disk.unpersist();
    assert_eq!(disk.partitions_on_disk(), 0);
    assert_eq!(disk.get_storage_level(), StorageLevel::None);
    assert_eq!(disk.collect()?, want);
    // Memory first; with no memory budget, disk.
    let tiny = Context::builder()
        .threads(2)
        .memory_budget(0)
        .spill_dir(tmp.path())
        .build()?;
    let both = tiny
        .parallelize(0..1000u64, 4)
        .persist_with(StorageLevel::MemoryAndDisk);
    assert_eq!(both.sum()?, 999 * 1000 / 2);
    assert_eq!(
        (both.partitions_on_disk(), both.cached_partitions()),
        (4, 0)
    );
    let mem = sc
        .parallelize(0..1000u64, 4)
        .persist_with(StorageLevel::MemoryAndDisk);
    assert_eq!(mem.sum()?, 999 * 1000 / 2);
    assert_eq!((mem.partitions_on_disk(), mem.cached_partitions()), (0, 4));
    assert_eq!(
        d.persist_with(StorageLevel::None).get_storage_level(),
        StorageLevel::None
    );
    drop((disk, both, mem, d));
    drop((sc, tiny));
    assert!(
        files_under(tmp.path()).is_empty(),
        "{:?}",
        files_under(tmp.path())
    );
    Ok(())
}

#[test]
fn names_travel_with_their_handle() -> Result<()> {
    let sc = Context::local(1)?;
    let d = sc.parallelize([1, 2, 3], 1).set_name("numbers");
    assert_eq!(d.clone().name(), Some("numbers"));
    assert_eq!(d.cache().name(), Some("numbers"));
    assert_eq!(d.map(|x| x + 1).name(), None);
    Ok(())
}

#[test]
fn text_file_takes_a_comma_separated_list_of_paths() -> Result<()> {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, odd) = (
        tmp.path().join("a.txt"),
        tmp.path().join("b.txt"),
        tmp.path().join("x,y.txt"),
    );
    std::fs::write(&a, "one\ntwo\n").unwrap();
    std::fs::write(&b, "three\n").unwrap();
    std::fs::write(&odd, "comma\n").unwrap();
    let sc = ctx_in(tmp.path());
    let list = format!("{},{}", a.display(), b.display());
    assert_eq!(sc.text_file(&list, 3).collect()?, ["one", "two", "three"]);
    // A file whose name holds a comma is read as itself.
    assert_eq!(sc.text_file(&odd, 1).collect()?, ["comma"]);
    let missing = tmp.path().join("missing.txt");
    let err = sc
        .text_file(format!("{},{}", a.display(), missing.display()), 1)
        .count()
        .unwrap_err();
    assert!(err.to_string().contains("missing.txt"), "{err}");
    Ok(())
}
