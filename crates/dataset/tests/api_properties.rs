//! The RDD API beyond the core against simple reference implementations on
//! vectors (nested loops for joins, sets for subtract and intersection,
//! direct counts for histograms), over random inputs and partition counts;
//! and the same answers on ranks (comm's `Local` ranks as threads) as in
//! one process.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dataset::{run_on_local_ranks, Buckets, Context, Dataset, Result};
use runtime::rng::{self, RngCore};

fn ctx() -> Context {
    Context::local(2).expect("a context of two threads")
}

/// The runtime's seeded generator, so that failures reproduce.
struct Rng(rng::SplitMix64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(rng::seeded(seed))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }

    fn pairs(&mut self, n: usize, keys: u64) -> Vec<(u32, u32)> {
        (0..n)
            .map(|_| (self.below(keys) as u32, self.below(1000) as u32))
            .collect()
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Sizes and partition counts every property runs over.
fn cases() -> Vec<(usize, usize, u64)> {
    let mut out = Vec::new();
    for (i, n) in [0usize, 1, 7, 200, 1500].into_iter().enumerate() {
        for parts in [1usize, 3, 8] {
            out.push((n, parts, 17 + 31 * i as u64 + parts as u64));
        }
    }
    out
}

#[test]
fn joins_agree_with_nested_loops() -> Result<()> {
    let sc = ctx();
    for (n, parts, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.pairs(n, 20);
        let b = rng.pairs(n / 2 + 1, 25);
        let (da, db) = (
            sc.parallelize(a.clone(), parts),
            sc.parallelize(b.clone(), 2),
        );
        let mut inner = Vec::new();
        let mut left = Vec::new();
        let mut right = Vec::new();
        for &(k, v) in &a {
            let matches: Vec<u32> = b.iter().filter(|x| x.0 == k).map(|x| x.1).collect();
            if matches.is_empty() {
                left.push((k, (v, None)));
            }
            for &w in &matches {
                inner.push((k, (v, w)));
                left.push((k, (v, Some(w))));
                right.push((k, (Some(v), w)));
            }
        }
        for &(k, w) in &b {
            if !a.iter().any(|x| x.0 == k) {
                right.push((k, (None, w)));
            }
        }
        let mut full: Vec<dataset::FullOuter<u32, u32, u32>> = inner
            .iter()
            .map(|&(k, (v, w))| (k, (Some(v), Some(w))))
            .collect();
        full.extend(
            left.iter()
                .filter(|x| x.1 .1.is_none())
                .map(|&(k, (v, _))| (k, (Some(v), None))),
        );
        full.extend(
            right
                .iter()
                .filter(|x| x.1 .0.is_none())
                .map(|&(k, (_, w))| (k, (None, Some(w)))),
        );
        assert_eq!(
            sorted(da.join(&db).collect()?),
            sorted(inner),
            "{n} {parts}"
        );
        assert_eq!(sorted(da.left_outer_join(&db).collect()?), sorted(left));
        assert_eq!(sorted(da.right_outer_join(&db).collect()?), sorted(right));
        assert_eq!(sorted(da.full_outer_join(&db).collect()?), sorted(full));
        // cogroup: every key of either side once, with all its values.
        let mut want: BTreeMap<u32, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
        for &(k, v) in &a {
            want.entry(k).or_default().0.push(v);
        }
        for &(k, w) in &b {
            want.entry(k).or_default().1.push(w);
        }
        let got: BTreeMap<u32, (Vec<u32>, Vec<u32>)> = da
            .cogroup(&db)
            .collect()?
            .into_iter()
            .map(|(k, (v, w))| (k, (sorted(v), sorted(w))))
            .collect();
        let want: BTreeMap<_, _> = want
            .into_iter()
            .map(|(k, (v, w))| (k, (sorted(v), sorted(w))))
            .collect();
        assert_eq!(got, want);
        let only_a: Vec<(u32, u32)> = a
            .iter()
            .filter(|x| !b.iter().any(|y| y.0 == x.0))
            .copied()
            .collect();
        assert_eq!(sorted(da.subtract_by_key(&db).collect()?), sorted(only_a));
    }
    Ok(())
}

#[test]
fn subtract_and_intersection_agree_with_sets() -> Result<()> {
    let sc = ctx();
    for (n, parts, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a: Vec<u32> = (0..n).map(|_| rng.below(60) as u32).collect();
        let b: Vec<u32> = (0..n / 2).map(|_| rng.below(90) as u32).collect();
        let (da, db) = (
            sc.parallelize(a.clone(), parts),
            sc.parallelize(b.clone(), 3),
        );
        let bset: BTreeSet<u32> = b.iter().copied().collect();
        let aset: BTreeSet<u32> = a.iter().copied().collect();
        let minus: Vec<u32> = a.iter().filter(|x| !bset.contains(x)).copied().collect();
        assert_eq!(sorted(da.subtract(&db).collect()?), sorted(minus));
        let both: Vec<u32> = aset.intersection(&bset).copied().collect();
        assert_eq!(sorted(da.intersection(&db).collect()?), both);
        let mut counts: HashMap<u32, u64> = HashMap::new();
        for &x in &a {
            *counts.entry(x).or_default() += 1;
        }
        assert_eq!(da.count_by_value()?, counts);
    }
    Ok(())
}

#[test]
fn aggregations_agree_with_folds() -> Result<()> {
    let sc = ctx();
    for (n, parts, seed) in cases() {
        let mut rng = Rng::new(seed);
        let a = rng.pairs(n, 13);
        let xs: Vec<i64> = a.iter().map(|p| p.1 as i64 - 500).collect();
        let d = sc.parallelize(xs.clone(), parts);
        let sum: i64 = xs.iter().sum();
        let add = |a: i64, b: i64| a + b;
        assert_eq!(
            d.aggregate(
                (0i64, 0u64),
                |(s, c), x| (s + x, c + 1),
                |p, q| (p.0 + q.0, p.1 + q.1)
            )?,
            (sum, n as u64)
        );
        for depth in [1, 2, 3, 6] {
            assert_eq!(
                d.tree_aggregate(0, add, add, depth)?,
                sum,
                "{n} {parts} {depth}"
            );
            match d.tree_reduce(add, depth) {
                Ok(s) => assert_eq!(s, sum),
                Err(e) => assert!(n == 0, "{e}"),
            }
        }
        let mut per_key: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
        for &(k, v) in &a {
            let e = per_key.entry(k).or_default();
            e.0 += v as u64;
            e.1 += 1;
        }
        let dp = sc.parallelize(a.clone(), parts);
        let got: BTreeMap<u32, (u64, u64)> = dp
            .aggregate_by_key(
                (0u64, 0u64),
                |(s, c), v| (s + v as u64, c + 1),
                |p, q| (p.0 + q.0, p.1 + q.1),
                4,
            )
            .collect()?
            .into_iter()
            .collect();
        assert_eq!(got, per_key);
        let folded: BTreeMap<u32, u64> = dp
            .map_values(|v| v as u64)
            .fold_by_key(0, |a, b| a + b, 0)
            .collect()?
            .into_iter()
            .collect();
        let sums: BTreeMap<u32, u64> = per_key.iter().map(|(k, v)| (*k, v.0)).collect();
        assert_eq!(folded, sums);
        let local: BTreeMap<u32, u64> = dp
            .map_values(|v| v as u64)
            .reduce_by_key_locally(|a, b| a + b)?
            .into_iter()
            .collect();
        assert_eq!(local, sums);
        let groups: BTreeMap<u32, Vec<u32>> = dp
            .values()
            .group_by(|v| v % 7)
            .collect()?
            .into_iter()
            .map(|(k, vs)| (k, sorted(vs)))
            .collect();
        let mut want: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for &(_, v) in &a {
            want.entry(v % 7).or_default().push(v);
        }
        let want: BTreeMap<_, _> = want.into_iter().map(|(k, v)| (k, sorted(v))).collect();
        assert_eq!(groups, want);
    }
    Ok(())
}

#[test]
fn zips_and_indices_are_exact() -> Result<()> {
    let sc = ctx();
    for (n, parts, _) in cases() {
        let xs: Vec<u64> = (0..n as u64).map(|x| x * 3 + 1).collect();
        let d = sc.parallelize(xs.clone(), parts);
        let want: Vec<(u64, u64)> = xs.iter().copied().zip(0..).collect();
        assert_eq!(d.zip_with_index()?.collect()?, want);
        let ids = d.zip_with_unique_id().collect()?;
        let unique: BTreeSet<u64> = ids.iter().map(|x| x.1).collect();
        assert_eq!(unique.len(), n);
        assert_eq!(ids.iter().map(|x| x.0).collect::<Vec<_>>(), xs);
        let glom = d.glom().collect()?;
        for (p, part) in glom.iter().enumerate() {
            for (k, x) in part.iter().enumerate() {
                assert!(ids.contains(&(*x, (k * parts + p) as u64)));
            }
        }
        let zipped = d.zip(&d.map(|x| x * 2)).collect()?;
        assert_eq!(zipped, xs.iter().map(|&x| (x, 2 * x)).collect::<Vec<_>>());
        let product = d.cartesian(&sc.parallelize(vec![1u8, 2], 2)).collect()?;
        assert_eq!(product.len(), 2 * n);
        let want: BTreeSet<(u64, u8)> = xs.iter().flat_map(|&x| [(x, 1), (x, 2)]).collect();
        assert_eq!(product.into_iter().collect::<BTreeSet<_>>(), want);
    }
    Ok(())
}

/// The bucket of `x` among `edges` by a linear scan, the last bucket closed.
fn direct_bucket(edges: &[f64], x: f64) -> Option<usize> {
    let last = edges.len() - 1;
    if x.is_nan() || x < edges[0] || x > edges[last] {
        return None;
    }
    (0..last).find(|&i| x < edges[i + 1]).or(Some(last - 1))
}

#[test]
fn histograms_agree_with_direct_counts() -> Result<()> {
    let sc = ctx();
    for (n, parts, seed) in cases() {
        let mut rng = Rng::new(seed);
        let xs: Vec<f64> = (0..n)
            .map(|_| rng.below(10_000) as f64 / 37.0 - 50.0)
            .collect();
        let d = sc.parallelize(xs.clone(), parts);
        let mut edges: Vec<f64> = (0..5).map(|_| rng.below(400) as f64 / 3.0 - 60.0).collect();
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        let even: Vec<f64> = (0..=8).map(|i| -40.0 + 10.0 * i as f64).collect();
        for e in [edges, even] {
            if e.len() < 2 {
                continue;
            }
            let mut want = vec![0u64; e.len() - 1];
            for &x in &xs {
                if let Some(b) = direct_bucket(&e, x) {
                    want[b] += 1;
                }
            }
            assert_eq!(d.histogram(Buckets::Edges(e.clone()))?, (e, want));
        }
        if n == 0 {
            assert!(d.histogram(Buckets::Count(3)).is_err());
            continue;
        }
        for buckets in [1, 2, 5, 10] {
            let (e, counts) = d.histogram(Buckets::Count(buckets))?;
            assert_eq!(counts.iter().sum::<u64>(), n as u64);
            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!((e[0], e[e.len() - 1]), (lo, hi));
            if lo < hi {
                let mut want = vec![0u64; e.len() - 1];
                for &x in &xs {
                    want[direct_bucket(&e, x).unwrap()] += 1;
                }
                assert_eq!(counts, want, "{buckets} buckets over {e:?}");
            }
        }
    }
    // Integers in whole-width buckets, and the last edge in the last bucket.
    let ints = sc.parallelize(0u32..=100, 3);
    assert_eq!(
        ints.histogram(Buckets::Count(4))?,
        (vec![0.0, 25.0, 50.0, 75.0, 100.0], vec![25, 25, 25, 26])
    );
    Ok(())
}

#[test]
fn samples_have_the_expected_sizes_and_repeat_with_a_seed() -> Result<()> {
    let sc = ctx();
    let n = 20_000u64;
    for parts in [1, 4, 9] {
        let d = sc.parallelize(0..n, parts);
        for fraction in [0.01, 0.3, 0.9] {
            let s = d.sample(false, fraction, 42)?.collect()?;
            let mean = fraction * n as f64;
            let sd = (n as f64 * fraction * (1.0 - fraction)).sqrt();
            assert!(
                (s.len() as f64 - mean).abs() < 5.0 * sd,
                "{parts} {fraction}: {}",
                s.len()
            );
            assert_eq!(s.iter().collect::<BTreeSet<_>>().len(), s.len());
            assert_eq!(d.sample(false, fraction, 42)?.collect()?, s);
        }
        let with = d.sample(true, 1.5, 7)?.count()? as f64;
        assert!(
            (with - 1.5 * n as f64).abs() < 5.0 * (1.5 * n as f64).sqrt(),
            "{with}"
        );
        let splits = d.random_split(&[1.0, 2.0, 7.0], 3)?;
        let mut all = Vec::new();
        for (split, w) in splits.iter().zip([0.1, 0.2, 0.7]) {
            let got = split.collect()?;
            let sd = (n as f64 * w * (1.0 - w)).sqrt();
            assert!((got.len() as f64 - w * n as f64).abs() < 5.0 * sd);
            all.extend(got);
        }
        assert_eq!(sorted(all), (0..n).collect::<Vec<_>>());
        for (with_replacement, k) in [(false, 10), (false, 5000), (true, 30_000)] {
            let s = d.take_sample(with_replacement, k, 9)?;
            assert_eq!(s.len(), k);
            assert!(s.iter().all(|&x| x < n));
            if !with_replacement {
                assert_eq!(s.iter().collect::<BTreeSet<_>>().len(), k);
            }
            assert_eq!(d.take_sample(with_replacement, k, 9)?, s);
        }
        let keyed = d.map(|x| (x % 3, x));
        let fractions: HashMap<u64, f64> = [(0, 0.5), (1, 0.1)].into_iter().collect();
        let by_key = keyed.sample_by_key(false, fractions, 5)?.collect()?;
        let count = |k| by_key.iter().filter(|p| p.0 == k).count() as f64;
        let third = n as f64 / 3.0;
        assert!((count(0) - 0.5 * third).abs() < 5.0 * (third * 0.25).sqrt());
        assert!((count(1) - 0.1 * third).abs() < 5.0 * (third * 0.09).sqrt());
        assert_eq!(count(2), 0.0);
    }
    Ok(())
}

#[test]
fn partitioners_place_keys_where_they_say() -> Result<()> {
    let sc = ctx();
    let mut rng = Rng::new(99);
    let a = rng.pairs(3000, 200);
    let d = sc.parallelize(a.clone(), 5);
    let by_hash = d.partition_by(4).glom().collect()?;
    assert_eq!(by_hash.len(), 4);
    for (p, part) in by_hash.iter().enumerate() {
        for other in &by_hash[p + 1..] {
            assert!(part.iter().all(|x| !other.iter().any(|y| y.0 == x.0)));
        }
    }
    assert_eq!(sorted(by_hash.concat()), sorted(a.clone()));
    let by_fn = d.partition_by_with(3, |k| *k as usize).glom().collect()?;
    for (p, part) in by_fn.iter().enumerate() {
        assert!(part.iter().all(|x| x.0 as usize % 3 == p));
    }
    let sorted_parts = d
        .repartition_and_sort_within_partitions(3, |k| *k as usize, false)
        .glom()
        .collect()?;
    for (p, part) in sorted_parts.iter().enumerate() {
        assert!(part.iter().all(|x| x.0 as usize % 3 == p));
        assert!(part.windows(2).all(|w| w[0].0 >= w[1].0));
    }
    let by_mod: Vec<u32> = d
        .sort_by_key_with(true, 4, |k| (k % 10, *k))
        .keys()
        .collect()?;
    let mut want: Vec<u32> = a.iter().map(|x| x.0).collect();
    want.sort_by_key(|k| (k % 10, *k));
    assert_eq!(by_mod, want);
    Ok(())
}

#[test]
fn ranges_agree_with_rust_ranges() -> Result<()> {
    let sc = ctx();
    for parts in [1, 2, 7] {
        assert_eq!(
            sc.range(-5..12, parts).collect()?,
            (-5..12).collect::<Vec<i64>>()
        );
        assert!(sc.range(3..3, parts).collect()?.is_empty());
        let (hi, lo) = (5, 1);
        assert!(sc.range(hi..lo, parts).collect()?.is_empty());
        for (start, end, step) in [
            (0, 10, 3),
            (10, 0, -3),
            (-7, 8, 5),
            (0, 1, 100),
            (i64::MIN, i64::MAX, i64::MAX),
        ] {
            let got = sc.range_step(start, end, step, parts)?.collect()?;
            let mut want = Vec::new();
            let mut x = start as i128;
            while (step > 0 && x < end as i128) || (step < 0 && x > end as i128) {
                want.push(x as i64);
                x += step as i128;
            }
            assert_eq!(got, want, "{start} {end} {step}");
        }
    }
    Ok(())
}

/// Answers of the new methods whose outputs are deterministic, for one
/// context: compared between one process and ranks.
fn rank_answers(ctx: &Context) -> Result<Vec<String>> {
    let mut rng = Rng::new(5);
    let a = rng.pairs(500, 30);
    let b = rng.pairs(200, 40);
    let da: Dataset<(u32, u32)> = ctx.parallelize(a, 6);
    let db = ctx.parallelize(b, 4);
    let xs = da.values();
    let mut out = vec![
        format!("{:?}", sorted(da.left_outer_join(&db).collect()?)),
        format!("{:?}", sorted(da.full_outer_join(&db).collect()?)),
        format!("{:?}", sorted(xs.subtract(&db.values()).collect()?)),
        format!("{:?}", sorted(xs.intersection(&db.values()).collect()?)),
        format!("{:?}", xs.zip_with_index()?.collect()?),
        format!("{:?}", xs.zip_with_unique_id().collect()?),
        format!("{:?}", xs.map(|x| x as f64).histogram(Buckets::Count(7))?),
        format!("{:?}", xs.sample(false, 0.2, 3)?.collect()?),
        format!("{:?}", xs.take_sample(false, 20, 3)?),
        format!(
            "{:?}",
            xs.tree_aggregate(0u64, |a, x| a + x as u64, |a, b| a + b, 3)?
        ),
        format!("{:?}", sorted(xs.count_by_value()?.into_iter().collect())),
        format!("{:?}", xs.checkpoint()?.collect()?),
        format!("{:?}", xs.local_checkpoint()?.collect()?),
        format!("{:?}", xs.to_local_iterator().collect::<Result<Vec<_>>>()?),
        format!(
            "{:?}",
            ctx.range(0..50, 3).zip(&ctx.range(100..150, 3)).collect()?
        ),
        format!("{:?}", xs.stats()?),
        format!(
            "{:?}",
            xs.persist_with(dataset::StorageLevel::DiskOnly).collect()?
        ),
        format!(
            "{:?}",
            da.repartition_and_sort_within_partitions(3, |k| *k as usize, true)
                .glom()
                .collect()?
        ),
    ];
    let parts = xs.random_split(&[1.0, 1.0], 4)?;
    out.push(format!("{:?}", parts[0].collect()?));
    Ok(out)
}

#[test]
fn the_new_methods_give_the_same_answers_on_ranks() -> Result<()> {
    let alone = rank_answers(&Context::local(2)?)?;
    for ranks in [2, 3] {
        let got = run_on_local_ranks(ranks, |_| Context::builder().threads(1), rank_answers)?;
        for (rank, answers) in got.iter().enumerate() {
            for (i, (a, b)) in answers.iter().zip(&alone).enumerate() {
                assert_eq!(a, b, "answer {i}, rank {rank} of {ranks}");
            }
        }
    }
    Ok(())
}
