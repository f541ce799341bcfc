//! End-to-end test of `hpcrs bench --quick`: the table's shape, and that
//! every backend and peer that ran agreed with its reference.

use predicates::prelude::*;

use crate::util::hpcrs;

const HEADER: &str = "| workload | backend / peer | median s | min-max s | whole process: median [min-max] s | speedup vs naive | rate | check |";

#[test]
fn quick_bench_prints_a_full_markdown_table_and_everything_agrees() {
    let text =
        crate::util::success_stdout(hpcrs().args(["bench", "--quick", "--markdown", "--quiet"]));
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == HEADER)
        .unwrap_or_else(|| panic!("no table header in:\n{text}"));
    assert_eq!(lines[at + 1], "|---|---|---:|---:|---:|---:|---:|---|");
    let rows: Vec<Vec<&str>> = lines[at + 2..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    for r in &rows {
        assert_eq!(r.len(), 8, "row {r:?}");
        if r[7].starts_with("skipped: ") {
            // A peer this machine lacks (cc, OpenMP, numpy): said so in its row.
            assert!(r[1].ends_with("(peer)") && r[2] == "-", "{r:?}");
            continue;
        }
        assert!(r[7].starts_with("ok ("), "row does not agree: {r:?}");
        let median: f64 = r[2].parse().unwrap();
        let (lo, hi) = r[3].split_once('-').unwrap();
        let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
        assert!(0.0 <= lo && lo <= median && median <= hi, "{r:?}");
        // diff2d and auc rows (hpcrs re-run as a whole process, and the
        // peers, which are processes) have whole-process times; summer's
        // hpcrs rows do not.
        if r[0] != "summer" && !(r[0] == "auc" && r[1] == "processes") {
            let wall: f64 = r[4].split(' ').next().unwrap().parse().unwrap_or(-1.0);
            assert!(wall > 0.0, "no whole-process time: {r:?}");
        }
        assert!(r[5].ends_with('x'), "{r:?}");
    }
    // Every hpcrs backend of this build has its row (peers depend on the
    // machine: cc, OpenMP, numpy; they are skipped with a note otherwise).
    let names: Vec<(&str, &str)> = rows.iter().map(|r| (r[0], r[1])).collect();
    for want in [
        ("diff2d", "naive"),
        ("diff2d", "array"),
        ("diff2d", "threads"),
        ("auc", "naive"),
        ("auc", "threads"),
        ("summer", "serial"),
        ("summer", "threads"),
        ("summer", "processes"),
    ] {
        assert!(names.contains(&want), "no row {want:?} in:\n{text}");
    }
    for peer in ["C serial (peer)", "C OpenMP (peer)", "numpy (peer)"] {
        assert!(
            names.contains(&("diff2d", peer)),
            "no {peer} row (run or skipped)"
        );
    }
    for peer in ["C serial (peer)", "C OpenMP (peer)"] {
        assert!(
            names.contains(&("auc", peer)),
            "no auc {peer} row (run or skipped)"
        );
    }
    for target in [
        "diff2d threads vs C OpenMP",
        "diff2d threads vs numpy",
        "diff2d naive vs C serial",
        "auc threads vs C OpenMP",
    ] {
        assert!(
            text.contains(&format!("- {target}: ")),
            "no target {target}"
        );
    }
}

#[test]
fn only_runs_the_workloads_asked_for() {
    let text = crate::util::success_stdout(
        hpcrs().args(["bench", "--quick", "--quiet", "--only", "summer"]),
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("diff2d ") || l.starts_with("auc ") || l.starts_with("summer "))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows.iter().all(|r| r.starts_with("summer ")), "{text}");
}

#[test]
fn bad_arguments_are_refused() {
    hpcrs()
        .args(["bench", "--quick", "--only", "auc,wordcount"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'wordcount' for '--only <ONLY>'",
        ))
        .stderr(predicate::str::contains(
            "[possible values: diff2d, auc, summer]",
        ));
    hpcrs()
        .args(["bench", "--quick", "--runs", "0"])
        .assert()
        .failure()
        .stderr("hpcrs: error: --runs must be at least 1, got 0\n");
    hpcrs()
        .args(["bench", "--quick", "--threads", "5000"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: invalid value '5000' for '--threads <THREADS>': \
             5000 threads is more than the 1024 allowed\n",
        ));
}
