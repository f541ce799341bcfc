//! Shuffles into many more partitions than there are keys or records per
//! map task: every result exact, whatever the partition count.

use std::collections::HashMap;

use dataset::Context;

/// `n` numbers in `maps` partitions, keyed by `x % keys`.
fn keyed(sc: &Context, n: u64, maps: usize, keys: u64) -> dataset::Dataset<(u64, u64)> {
    sc.parallelize(0..n, maps).map(move |x| (x % keys, x))
}

#[test]
fn many_reduce_partitions_few_keys_count_exactly() {
    let sc = Context::local(2).unwrap();
    for (maps, reducers) in [(1, 4096), (4096, 4096), (300, 1), (7, 1000)] {
        let counts = keyed(&sc, 50_000, maps, 7)
            .map_values(|_| 1u64)
            .reduce_by_key_partitions(|a, b| a + b, reducers);
        assert_eq!(counts.num_partitions(), reducers);
        let got = counts.collect_as_map().unwrap();
        let want: HashMap<u64, u64> = (0..7)
            .map(|k| (k, if k < 50_000 % 7 { 7143 } else { 7142 }))
            .collect();
        assert_eq!(got, want, "{maps} map tasks, {reducers} reduce partitions");
        // Seven keys fill at most seven partitions; the rest are empty.
        let sizes = counts.glom().map(|p| p.len()).collect().unwrap();
        assert_eq!(sizes.len(), reducers);
        assert_eq!(sizes.iter().sum::<usize>(), 7);
    }
}

#[test]
fn grouping_and_sorting_into_many_partitions_keep_every_value_in_order() {
    let sc = Context::local(2).unwrap();
    let groups = keyed(&sc, 20_000, 2500, 3)
        .group_by_key_partitions(3000)
        .collect_as_map()
        .unwrap();
    assert_eq!(groups.len(), 3);
    for (k, values) in groups {
        // Map tasks' blocks are read in task order, each in arrival order.
        let want: Vec<u64> = (0..20_000).filter(|x| x % 3 == k).collect();
        assert_eq!(values, want, "key {k}");
    }
    let sorted = sc
        .parallelize((0..5000u64).rev(), 2000)
        .map(|x| (x / 100, x))
        .sort_by_key_partitions(true, 4000)
        .keys()
        .collect()
        .unwrap();
    let want: Vec<u64> = (0..5000).map(|x| x / 100).collect();
    assert_eq!(sorted, want);
}

#[test]
fn spilling_into_many_partitions_counts_exactly_and_cleans_up() {
    let spill = tempfile::tempdir().unwrap();
    let sc = Context::builder()
        .threads(2)
        .memory_budget(64 << 10)
        .spill_dir(spill.path())
        .build()
        .unwrap();
    let counts = keyed(&sc, 200_000, 16, 50_000)
        .map_values(|_| 1u64)
        .reduce_by_key_partitions(|a, b| a + b, 4096);
    let got = counts.collect().unwrap();
    assert_eq!(got.len(), 50_000);
    assert!(got.iter().all(|&(_, c)| c == 4), "every key four times");
    let m = sc.metrics();
    assert!(m.spill_files > 0 && m.spilled_bytes > 0, "{m:?}");
    drop(counts);
    drop(sc);
    let left: Vec<_> = std::fs::read_dir(spill.path()).unwrap().collect();
    assert!(left.is_empty(), "spill files left behind: {left:?}");
}
