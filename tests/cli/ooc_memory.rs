//! Bounded memory: a file several times larger than --memory-limit is created and reduced
//! with a peak resident set (VmHWM, reported by the child process itself) that exceeds the
//! process's baseline by less than the limit.

use std::path::Path;

const LIMIT: u64 = 8 << 20;

/// Runs `hpcrs ooc ARGS --report-rss` and returns its peak RSS in bytes.
fn peak(args: &[&str], file: &Path) -> u64 {
    let out = crate::util::hpcrs()
        .arg("ooc")
        .arg(args[0])
        .arg(file)
        .args(&args[1..])
        .args(["--report-rss", "-q"])
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    crate::util::reported_peak_rss(&String::from_utf8(out).unwrap())
}

#[test]
fn peak_rss_stays_under_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.npy");
    let big = dir.path().join("big.npy");
    let limit = LIMIT.to_string();
    // Baseline: the same commands on a file smaller than one chunk.
    let create = [
        "create",
        "--fill",
        "random",
        "--no-sync",
        "--memory-limit",
        &limit,
    ];
    let base_create = peak(&[&create[..], &["--shape", "16x16"]].concat(), &small);
    // 6 MiB elements of f64 = 48 MiB, six times the limit.
    let big_create = peak(&[&create[..], &["--shape", "3072x2048"]].concat(), &big);
    eprintln!("create: baseline {base_create}, 48 MiB file {big_create}");
    assert_eq!(std::fs::metadata(&big).unwrap().len(), 128 + 48 * (1 << 20));
    assert!(
        big_create < base_create + LIMIT,
        "create: peak {big_create} vs baseline {base_create} + limit {LIMIT}"
    );
    for io in ["mmap", "pread", "mmap-populate"] {
        let args = ["stats", "--io", io, "--memory-limit", &limit];
        let base = peak(&args, &small);
        let used = peak(&args, &big);
        eprintln!("stats --io {io}: baseline {base}, 48 MiB file {used}");
        assert!(
            used < base + LIMIT,
            "stats --io {io}: peak {used} vs baseline {base} + limit {LIMIT}"
        );
        let axis = peak(&[&args[..], &["--axis", "0"]].concat(), &big);
        assert!(
            axis < base + LIMIT,
            "stats --axis 0 --io {io}: peak {axis} vs {base}"
        );
    }
}
