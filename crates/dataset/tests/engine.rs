//! The engine's transformations and actions against plain Rust on the same data.

use std::collections::HashMap;

use dataset::{Context, DatasetError};

fn ctx(threads: usize) -> Context {
    Context::local(threads).unwrap()
}

#[test]
fn course_examples() {
    let sc = ctx(2);
    assert_eq!(sc.default_min_partitions(), 2);
    let verbs = ["run", "jump", "sit", "laugh", "run", "smile"].map(String::from);
    let rdd = sc.parallelize(verbs.clone(), 0);
    let past = rdd.map(|s| s + "ed").collect().unwrap();
    assert_eq!(
        past,
        ["runed", "jumped", "sited", "laughed", "runed", "smileed"]
    );
    assert_eq!(rdd.take(1).unwrap(), ["run"]);
    assert_eq!(sc.parallelize(verbs, 48).num_partitions(), 48);
    let r = sc.parallelize(0..10, 0);
    assert_eq!(
        r.map(|x| 2 * x).collect().unwrap(),
        [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    );
    assert_eq!(r.filter(|x| x % 3 == 0).collect().unwrap(), [0, 3, 6, 9]);
    let r = sc.parallelize([3, 4, 5], 0);
    assert_eq!(
        r.map(|x| vec![x, x - 2]).collect().unwrap(),
        [[3, 1], [4, 2], [5, 3]]
    );
    assert_eq!(
        r.flat_map(|x| [x, x - 2]).collect().unwrap(),
        [3, 1, 4, 2, 5, 3]
    );
    assert_eq!(
        r.map(|x| (x, 1)).collect().unwrap(),
        [(3, 1), (4, 1), (5, 1)]
    );
    assert_eq!(r.repartition(200).num_partitions(), 200);
    assert_eq!(r.repartition(200).count().unwrap(), 3);
}

#[test]
fn actions_match_plain_rust() {
    let sc = ctx(3);
    let xs: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1009 - 500).collect();
    for parts in [1, 2, 7, 64] {
        let d = sc.parallelize(xs.clone(), parts);
        assert_eq!(d.num_partitions(), parts);
        assert_eq!(d.collect().unwrap(), xs);
        assert_eq!(d.count().unwrap(), 1000);
        assert_eq!(d.sum().unwrap(), xs.iter().sum::<i64>());
        assert_eq!(d.max().ok(), xs.iter().copied().max());
        assert_eq!(d.min().ok(), xs.iter().copied().min());
        assert_eq!(d.reduce(|a, b| a + b).unwrap(), xs.iter().sum::<i64>());
        assert_eq!(d.fold(0, |a, b| a + b).unwrap(), xs.iter().sum::<i64>());
        assert_eq!(d.take(5).unwrap(), xs[..5]);
        assert_eq!(d.take(2000).unwrap(), xs);
        assert_eq!(d.first().ok(), xs.first().copied());
        let mut sorted = xs.clone();
        sorted.sort();
        assert_eq!(d.take_ordered(10, |x| *x).unwrap(), sorted[..10]);
        assert_eq!(
            d.top(3, |x| *x).unwrap(),
            [sorted[999], sorted[998], sorted[997]]
        );
        let mean = xs.iter().sum::<i64>() as f64 / 1000.0;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / 1000.0;
        assert!((d.mean().unwrap() - mean).abs() < 1e-9);
        assert!((d.stdev().unwrap() - var.sqrt()).abs() < 1e-9);
        assert!((d.sample_stdev().unwrap() - (var * 1000.0 / 999.0).sqrt()).abs() < 1e-9);
        let seen = std::sync::atomic::AtomicI64::new(0);
        d.foreach(|x| {
            seen.fetch_add(x, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(seen.into_inner(), xs.iter().sum::<i64>());
        let glom = d.glom().collect().unwrap();
        assert_eq!(glom.len(), parts);
        assert_eq!(glom.concat(), xs);
    }
    let empty = sc.parallelize(Vec::<f64>::new(), 2);
    assert!(matches!(
        empty.reduce(|a, b| a + b),
        Err(dataset::DatasetError::Empty("reduce"))
    ));
    assert!(matches!(
        empty.first(),
        Err(dataset::DatasetError::Empty("first"))
    ));
    assert_eq!(empty.mean().unwrap(), 0.0);
    assert_eq!(empty.sum().unwrap(), 0.0);
}

#[test]
fn pair_operations_match_plain_rust() {
    let sc = ctx(2);
    let pairs: Vec<(u32, u64)> = (0..5000u64).map(|i| ((i * 31 % 97) as u32, i)).collect();
    let mut want_sum: HashMap<u32, u64> = HashMap::new();
    let mut want_groups: HashMap<u32, Vec<u64>> = HashMap::new();
    for &(k, v) in &pairs {
        *want_sum.entry(k).or_default() += v;
        want_groups.entry(k).or_default().push(v);
    }
    for parts in [1, 2, 7, 64] {
        let d = sc.parallelize(pairs.clone(), parts);
        let sums = d.reduce_by_key(|a, b| a + b);
        assert_eq!(sums.num_partitions(), parts);
        assert_eq!(sums.collect_as_map().unwrap(), want_sum);
        let sums = d.reduce_by_key_partitions(|a, b| a + b, 5);
        assert_eq!(sums.num_partitions(), 5);
        assert_eq!(sums.collect_as_map().unwrap(), want_sum);
        let mut groups = d.group_by_key().collect_as_map().unwrap();
        for g in groups.values_mut() {
            g.sort();
        }
        assert_eq!(groups, want_groups);
        let counts = d.count_by_key().unwrap();
        assert_eq!(counts.len(), 97);
        assert!(counts
            .iter()
            .all(|(k, &c)| c == want_groups[k].len() as u64));
        let avg = d
            .combine_by_key(
                |v| (v, 1u64),
                |(s, n), v| (s + v, n + 1),
                |a, b| (a.0 + b.0, a.1 + b.1),
                3,
            )
            .map_values(|(s, n)| s / n)
            .collect_as_map()
            .unwrap();
        assert!(avg
            .iter()
            .all(|(k, &a)| a == want_sum[k] / want_groups[k].len() as u64));
        let mut keys = d.keys().distinct().collect().unwrap();
        keys.sort();
        assert_eq!(keys, (0..97).collect::<Vec<u32>>());
        assert_eq!(d.values().sum().unwrap(), (0..5000u64).sum::<u64>());
    }
}

#[test]
fn sorting_is_global_and_uses_range_partitions() {
    let sc = ctx(2);
    let xs: Vec<u64> = (0..20_000u64)
        .map(|i| (i * 2_654_435_761) % 100_003)
        .collect();
    let mut sorted = xs.clone();
    sorted.sort();
    for parts in [1, 2, 7, 64] {
        let d = sc.parallelize(xs.clone(), parts);
        let asc = d.sort_by(|x| *x, true);
        assert_eq!(asc.collect().unwrap(), sorted);
        // Range partitioning balances the partitions (no partition holds most data).
        let sizes: Vec<usize> = asc.glom().collect().unwrap().iter().map(Vec::len).collect();
        assert!(
            sizes.iter().all(|&s| s < 3 * 20_000 / parts + 100),
            "{sizes:?}"
        );
        let desc = d.map(|x| (x, x % 10)).sort_by_key_partitions(false, 3);
        let got: Vec<u64> = desc.keys().collect().unwrap();
        let mut want = sorted.clone();
        want.reverse();
        assert_eq!(got, want);
    }
    let words = sc.parallelize(["pear", "apple", "fig", "kiwi"].map(String::from), 2);
    assert_eq!(words.sort_by(|w| w.len(), true).first().unwrap(), "fig");
}

#[test]
fn join_union_coalesce_repartition() {
    let sc = ctx(2);
    let a = sc.parallelize(
        vec![
            (1, "a".to_string()),
            (2, "b".into()),
            (2, "c".into()),
            (3, "d".into()),
        ],
        2,
    );
    let b = sc.parallelize(vec![(2, 20u8), (3, 30), (3, 31), (4, 40)], 3);
    let mut joined = a.join(&b).collect().unwrap();
    joined.sort();
    assert_eq!(
        joined,
        [
            (2, ("b".to_string(), 20)),
            (2, ("c".to_string(), 20)),
            (3, ("d".to_string(), 30)),
            (3, ("d".to_string(), 31)),
        ]
    );
    let x = sc.parallelize(0..10, 3);
    let y = sc.parallelize(10..15, 2);
    let u = x.union(&y);
    assert_eq!(u.num_partitions(), 5);
    assert_eq!(u.collect().unwrap(), (0..15).collect::<Vec<_>>());
    let c = u.coalesce(2);
    assert_eq!(c.num_partitions(), 2);
    assert_eq!(c.collect().unwrap(), (0..15).collect::<Vec<_>>());
    assert_eq!(u.coalesce(100).num_partitions(), 5);
    let r = sc.parallelize(0..1000, 3).repartition(7);
    assert_eq!(r.num_partitions(), 7);
    let sizes: Vec<usize> = r.glom().collect().unwrap().iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|&s| (140..=146).contains(&s)), "{sizes:?}");
    let mut all = r.collect().unwrap();
    all.sort();
    assert_eq!(all, (0..1000).collect::<Vec<_>>());
}

#[test]
fn text_files_and_directories() {
    let sc = ctx(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "one\r\ntwo\rthree\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), b"caf\xe9\nlast").unwrap();
    std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
    std::fs::write(dir.path().join(".hidden"), "secret\n").unwrap();
    let lines = sc.text_file(dir.path(), 0).collect().unwrap();
    assert_eq!(lines, ["one", "two", "three", "caf\u{fffd}", "last"]);
    for parts in [1, 3, 10, 40] {
        let d = sc.text_file(dir.path().join("a.txt"), parts);
        assert_eq!(d.collect().unwrap(), ["one", "two", "three"], "{parts}");
    }
    // The course: a 1910-byte file with minPartitions=100 gives 101 partitions.
    let stop = sc.text_file(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/stopwords.txt"),
        100,
    );
    assert_eq!(stop.num_partitions(), 101);
    assert_eq!(
        stop.take(5).unwrap(),
        ["a", "about", "above", "across", "after"]
    );
    assert_eq!(stop.count().unwrap(), 318);
    assert_eq!(stop.repartition(200).num_partitions(), 200);
}

#[test]
fn text_file_blocks_hold_the_same_lines() {
    let sc = ctx(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("line {i}{}", ["\n", "\r\n", "\r"][i % 3]));
    }
    std::fs::write(&path, &text).unwrap();
    for parts in [1, 3, 8] {
        let lines = sc.text_file(&path, parts).collect().unwrap();
        assert_eq!(lines.len(), 5000);
        for block_bytes in [1, 100, 1 << 20] {
            let blocks = sc.text_file_blocks(&path, parts, block_bytes);
            assert_eq!(
                blocks.num_partitions(),
                sc.text_file(&path, parts).num_partitions()
            );
            let blocks = blocks.collect().unwrap();
            assert!(blocks.iter().all(|b| b.ends_with('\n')));
            let rejoined: Vec<String> = blocks.concat().lines().map(String::from).collect();
            assert_eq!(
                rejoined, lines,
                "{parts} partitions, {block_bytes}-byte blocks"
            );
        }
    }
}

/// The lines of `bytes`, ended by LF, CR or CRLF (the last may have none).
fn lines_of(bytes: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(bytes.len(), |i| at + i);
        lines.push(String::from_utf8_lossy(&bytes[at..end]).into_owned());
        at = match bytes.get(end..end + 2) {
            Some(b"\r\n") => end + 2,
            _ => end + 1,
        };
    }
    lines
}

#[test]
fn text_file_bytes_hold_the_lines_of_each_partition_unchecked() {
    let sc = ctx(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bin");
    let mut text = Vec::new();
    for i in 0..3000u32 {
        text.extend_from_slice(format!("line {i} caf\u{e9}").as_bytes());
        // Invalid UTF-8 (a lone continuation byte, a cut sequence), a NUL.
        text.extend_from_slice([&b"\x80"[..], b"\xe2\x82", b"\0", b""][i as usize % 4]);
        text.extend_from_slice([&b"\n"[..], b"\r\n", b"\r"][i as usize % 3]);
    }
    text.extend_from_slice(b"no line end");
    std::fs::write(&path, &text).unwrap();
    for parts in [1, 3, 8] {
        let lines = sc.text_file(&path, parts);
        let want = lines.glom().collect().unwrap();
        for block_bytes in [1, 100, 1 << 20] {
            let bytes = sc.text_file_bytes(&path, parts, block_bytes);
            assert_eq!(bytes.num_partitions(), lines.num_partitions());
            let got: Vec<Vec<String>> = bytes
                .map(|b| b.to_vec())
                .glom()
                .collect()
                .unwrap()
                .iter()
                .map(|blocks| blocks.iter().flat_map(|b| lines_of(b)).collect())
                .collect();
            assert_eq!(got, want, "{parts} partitions, {block_bytes}-byte blocks");
        }
    }
    // Not mapped: a FIFO is read in blocks, each line followed by `\n`.
    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo {}", fifo.display());
        let writer = {
            let (fifo, text) = (fifo.clone(), text.clone());
            std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
        };
        let got = sc
            .text_file_bytes(&fifo, 1, 100)
            .map(|b| b.to_vec())
            .collect()
            .unwrap();
        writer.join().unwrap();
        assert!(got.iter().all(|b| b.ends_with(b"\n")));
        let got: Vec<String> = got.iter().flat_map(|b| lines_of(b)).collect();
        assert_eq!(got, sc.text_file(&path, 1).collect().unwrap());
    }
}

#[test]
fn missing_path_is_lazy_then_named() {
    let sc = ctx(2);
    let d = sc.text_file("no/such/file.txt", 0).map(|l| l.len());
    // Nothing has been read yet; the action reports the path.
    for err in [
        d.count().unwrap_err(),
        d.take(5).unwrap_err(),
        d.collect().unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(msg.contains("no/such/file.txt"), "{msg}");
        assert!(matches!(err, DatasetError::Io { .. }), "{err:?}");
    }
    let shuffled = sc
        .text_file("no/such/dir", 0)
        .map(|l| (l, 1u64))
        .reduce_by_key(|a, b| a + b);
    assert!(shuffled
        .count()
        .unwrap_err()
        .to_string()
        .contains("no/such/dir"));
}

#[test]
fn save_as_text_file_round_trips() {
    let sc = ctx(2);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let d = sc.parallelize(0..100, 4);
    d.save_as_text_file(&out).unwrap();
    assert!(out.join("_SUCCESS").exists());
    assert!(out.join("part-00003").exists());
    let back: Vec<i32> = sc
        .text_file(&out, 0)
        .map(|l| l.parse().unwrap())
        .collect()
        .unwrap();
    assert_eq!(back, (0..100).collect::<Vec<_>>());
    let err = d.save_as_text_file(&out).unwrap_err();
    assert!(matches!(err, DatasetError::OutputExists(_)));
    assert!(err.to_string().contains("already exists"), "{err}");
    // A failed job leaves no output and no temporary directory.
    let bad = dir.path().join("bad");
    let failing = Context::builder()
        .threads(2)
        .max_attempts(1)
        .build()
        .unwrap();
    let r = failing
        .parallelize(0..10, 2)
        .map(|x| if x == 7 { panic!("boom") } else { x });
    assert!(r.save_as_text_file(&bad).is_err());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out"]);
}

#[test]
fn debug_string_shows_stages() {
    let sc = ctx(2);
    let counts = sc
        .parallelize(vec!["a b", "b c"], 2)
        .flat_map(|l| l.split(' ').map(String::from).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
        .cache();
    let text = counts.debug_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("(2) Cached["), "{text}");
    assert!(
        lines[1].starts_with(" |  Shuffled[") && lines[1].contains("reduce_by_key at"),
        "{text}"
    );
    assert!(
        lines[2].starts_with(" +-(2) MapPartitions[") && lines[2].contains("map at"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("    |  MapPartitions[") && lines[3].contains("flat_map"),
        "{text}"
    );
    assert!(lines[4].starts_with("    |  Parallelize["), "{text}");
    assert!(lines[0].contains("0/2 partitions cached"), "{text}");
    counts.count().unwrap();
    assert!(counts.debug_string().contains("2/2 partitions cached"));
}

/// A progress receiver that writes down what it is told.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl Recorder {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
}

impl runtime::Progress for Recorder {
    fn start(&self, what: &str, total: Option<u64>, unit: runtime::progress::Unit) {
        self.push(format!("start {what} {total:?} {unit:?}"));
    }
    fn advance(&self, done: u64) {
        self.push(format!("advance {done}"));
    }
    fn note(&self, line: &str) {
        self.push(format!("note {line}"));
    }
    fn finish(&self) {
        self.push("finish".into());
    }
}

#[test]
fn every_stage_reports_its_tasks_to_the_progress_receiver() {
    let recorder = std::sync::Arc::new(Recorder::default());
    let sc = Context::builder()
        .threads(2)
        .progress(recorder.clone())
        .build()
        .unwrap();
    let n = sc
        .parallelize(0..100u64, 4)
        .map(|x| (x % 7, 1u64))
        .reduce_by_key_partitions(|a, b| a + b, 3)
        .count()
        .unwrap();
    assert_eq!(n, 7);
    let log = recorder.0.lock().unwrap().clone();
    let (map, result) = log.split_at(6);
    assert!(
        map[0].starts_with("start stage 0 (shuffle map for reduce_by_key at ")
            && map[0].ends_with(" Some(4) Items"),
        "{log:?}"
    );
    assert!(map[1..5].iter().all(|l| l == "advance 1"), "{log:?}");
    assert_eq!(map[5], "finish");
    assert!(
        result[0].starts_with("start stage 1 (count at ") && result[0].ends_with(" Some(3) Items"),
        "{log:?}"
    );
    assert_eq!(
        result[1..],
        ["advance 1", "advance 1", "advance 1", "finish"]
    );
}

#[test]
fn threads_follow_the_pool_policy() {
    assert_eq!(ctx(0).default_parallelism(), runtime::pool::cores());
    assert_eq!(ctx(3).default_parallelism(), 3);
    let too_many = runtime::pool::MAX_THREADS + 1;
    let err = Context::local(too_many).err().expect("too many threads");
    assert!(matches!(err, DatasetError::Threads(_)), "{err:?}");
    assert!(err.to_string().contains(&too_many.to_string()), "{err}");
    // More threads than cores (oversubscription) still computes the same.
    let sum = ctx(8).parallelize(0..1000u64, 16).sum().unwrap();
    assert_eq!(sum, 499_500);
}
