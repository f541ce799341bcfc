//! End-to-end tests of `hpcrs profile`: the course's case (the naive
//! diffusion stepper on top, its stencil line hottest), exact phase counts,
//! every report file, and hostile arguments.

use std::path::Path;

use crate::util::{hpcrs, stderr, stdout};

/// The report files.
const FILES: [&str; 4] = [
    "functions.txt",
    "lines.txt",
    "flamegraph.svg",
    "profile.pb.gz",
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of functions.txt's table of functions:
/// (samples, tottime %, cumtime %, label).
fn function_rows(text: &str) -> Vec<(u64, f64, f64, String)> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("samples   tottime"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[2].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5..].join(" "),
            )
        })
        .collect()
}

#[test]
fn the_naive_diffusion_stepper_is_on_top_and_its_stencil_line_is_hottest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    // Four times the default run: in this unoptimised test build the loop
    // header's iterator holds about 40% of the samples against the stencil
    // line's 55%, so the line needs a few hundred samples to come out on
    // top every time.
    let args = [
        "diff2d",
        "--backend",
        "naive",
        "--set",
        "dx=0.2",
        "--set",
        "runtime=60",
    ];
    let profiled = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .arg("--")
        .args(args)
        .output()
        .unwrap();
    assert!(profiled.status.success(), "{}", stderr(&profiled));
    // The subcommand's own output is unchanged.
    let plain = hpcrs().args(args).output().unwrap();
    assert_eq!(stdout(&profiled), stdout(&plain));
    let mut names = runtime::atomic::entry_names(&out).unwrap();
    names.sort();
    let mut expected: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);

    // functions.txt: the stepping function has the most self time, nearly
    // all the cumulative time, and is among the first ten rows (the rows
    // above it are the calls that lead to it).
    let functions = read(&out.join("functions.txt"));
    let rows = function_rows(&functions);
    let (position, step) = rows
        .iter()
        .enumerate()
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
        .unwrap_or_else(|| panic!("{functions}"));
    assert!(
        step.3.contains("step (crates/diffusion/src/naive.rs:"),
        "{functions}"
    );
    assert!(step.2 >= 90.0 && position < 10, "{functions}");
    // The summary on standard error names it among the top 10.
    let err = stderr(&profiled);
    assert!(err.contains("top 10 functions by cumulative time"), "{err}");
    assert!(
        err.contains("step (crates/diffusion/src/naive.rs:"),
        "{err}"
    );

    // lines.txt: the hottest line of all is the stencil line of the naive
    // stepper (its Hits count the inlined update, as line_profiler counts
    // the time of calls made on a line).
    let lines = read(&out.join("lines.txt"));
    let mut file = "";
    let mut hottest: Option<(u64, &str, &str)> = None;
    for l in lines.lines() {
        if let Some(f) = l.strip_prefix("File: ") {
            file = f;
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        let hits = (f.len() > 5 && f[0].parse::<u32>().is_ok())
            .then(|| f[1].parse::<u64>().ok())
            .flatten();
        if let Some(hits) = hits {
            if hottest.is_none_or(|h| hits > h.0) {
                hottest = Some((hits, file, l));
            }
        }
    }
    let (_, file, row) = hottest.unwrap_or_else(|| panic!("{lines}"));
    assert_eq!(file, "crates/diffusion/src/naive.rs", "{lines}");
    assert!(
        row.contains("out[j] = update(mid[j], up[j], down[j], mid[j - 1], mid[j + 1], k);"),
        "hottest: {row}\n{lines}"
    );
}

#[test]
fn phases_of_a_diffusion_run_are_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    // Binary fractions, so that the step counts are exact: dt = 0.25·dx²
    // = 1/64, 100 steps, an output every 50 (steps 0, 50 and 100), a
    // checkpoint every 10 (10 of them), so 10 batches of steps.
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .args(["--", "diff2d", "--backend", "naive", "--set", "dx=0.25"])
        .args(["--set", "runtime=1.5625", "--set", "outtime=0.78125"])
        .args(["--checkpoint-every", "10", "--checkpoint"])
        .arg(dir.path().join("ck"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    let functions = read(&out.join("functions.txt"));
    let ncalls = |phase: &str| -> u64 {
        let row = functions
            .lines()
            .find(|l| l.ends_with(&format!("  {phase}")))
            .unwrap_or_else(|| panic!("no phase {phase} in:\n{functions}"));
        row.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert_eq!(ncalls("diff2d steps"), 10);
    assert_eq!(ncalls("diff2d output"), 3);
    assert_eq!(ncalls("diff2d checkpoint"), 10);
}

#[test]
fn bad_rates_and_line_counts_are_usage_errors_naming_the_option() {
    for rate in ["0", "10001", "-5", "fast", "1.5", ""] {
        let out = hpcrs()
            .args(["profile", "--rate", rate, "--", "auc", "1000"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--rate {rate:?}");
        assert!(stderr(&out).contains("--rate"), "{}", stderr(&out));
    }
    for lines in ["0", "1001", "-3", "many"] {
        let out = hpcrs()
            .args(["profile", "--lines", lines, "--", "auc", "1000"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--lines {lines:?}");
        assert!(stderr(&out).contains("--lines"), "{}", stderr(&out));
    }
}

#[test]
fn a_missing_unknown_or_nested_subcommand_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    let cases: [&[&str]; 5] = [
        &["profile"],
        &["profile", "--out", "x"],
        &["profile", "--"],
        &["profile", "--", "nosuch"],
        &["profile", "diff2d"],
    ];
    for args in cases {
        let o = hpcrs().current_dir(dir.path()).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("Usage:"), "{args:?}: {}", stderr(&o));
    }
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .args(["--", "profile", "--", "auc", "1000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("hpcrs profile cannot profile `profile`"),
        "{}",
        stderr(&o)
    );
    // Nothing ran and nothing was written.
    assert!(!out.exists());
    assert!(!dir.path().join("x").exists());
}

#[test]
fn an_unwritable_directory_is_refused_before_running() {
    let o = hpcrs()
        .args([
            "profile",
            "--out",
            "/proc/hpcrs-profile-test",
            "--",
            "auc",
            "1000",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "the subcommand ran");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("hpcrs: error: creating /proc/hpcrs-profile-test: "),
        "{err}"
    );
    // A directory that exists but cannot be written: the probe write fails.
    let o = hpcrs()
        .args(["profile", "--out", "/proc/self", "--", "auc", "1000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("/proc/self/functions.txt"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failing_subcommand_keeps_its_exit_code_and_error_and_the_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    let args = ["diff2d", "--set", "dx=-1"];
    let plain = hpcrs().args(args).output().unwrap();
    assert_eq!(plain.status.code(), Some(1));
    let profiled = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .arg("--")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(profiled.status.code(), plain.status.code());
    // The subcommand's error line, last, as without the profiler.
    assert_eq!(
        stderr(&profiled).lines().last(),
        stderr(&plain).lines().last()
    );
    for f in FILES {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // A usage error of the subcommand is clap's, exit 2, before profiling.
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(dir.path().join("other"))
        .args(["--", "diff2d", "--backend", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--backend"), "{}", stderr(&o));
}

#[test]
fn parts_run_in_other_processes_are_named_as_not_profiled() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .args([
            "--",
            "summer",
            "--mode",
            "processes",
            "--jobs",
            "2",
            "--n",
            "1000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("2 jobs (processes): each sum(range(0, 1000)) = 499500\n"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("the worker processes of --mode processes are not profiled"),
        "{}",
        stderr(&o)
    );
    // In threads mode everything is in this process: no note.
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .args([
            "--", "summer", "--mode", "threads", "--jobs", "2", "--n", "1000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!stderr(&o).contains("not profiled"), "{}", stderr(&o));
    // mp's children and a cluster's controller and engines are processes
    // of their own: said before the subcommand runs, even when it fails.
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .args(["--", "mp", "fork"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("hpcrs profile: the processes mp starts (forked or spawned children, a pool's workers) are not profiled"),
        "{}",
        stderr(&o)
    );
    let o = hpcrs()
        .args(["profile", "--out"])
        .arg(&out)
        .args(["--", "cluster", "ids", "--connection"])
        .arg(dir.path().join("no-such-cluster.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("hpcrs profile: the controller and the engines of a cluster are processes of their own and are not profiled"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn under_an_mpi_launcher_each_rank_writes_its_own_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    let o = hpcrs()
        .env("PMI_RANK", "3")
        .env("PMI_SIZE", "4")
        .args(["profile", "--out"])
        .arg(&out)
        .args(["--", "auc", "1000"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for f in FILES {
        assert!(out.join("rank-3").join(f).is_file(), "{f}");
    }
    assert!(
        stderr(&o).contains("profiles itself only"),
        "{}",
        stderr(&o)
    );
    let o = hpcrs()
        .env("PMI_RANK", "three")
        .args(["profile", "--out"])
        .arg(&out)
        .args(["--", "auc", "1000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "hpcrs: error: environment variable PMI_RANK: `three` is not an MPI rank: invalid digit found in string\n"
    );
}

/// The rows of memory.txt's table of sites: (bytes at peak, blocks at
/// peak, site), estimates (marked ~) included as their numbers.
fn memory_rows(text: &str) -> Vec<(u64, u64, bool, String)> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("rank   bytes at peak"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let number = |s: &str| s.trim_start_matches('~').parse::<u64>().unwrap();
            (
                number(f[1]),
                number(f[3]),
                !f[1].starts_with('~'),
                f[6..].join(" "),
            )
        })
        .collect()
}

#[test]
fn memory_shows_the_two_grids_of_the_naive_diffusion_run_at_their_sites() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    let args = ["diff2d", "--backend", "naive", "--set", "dx=0.2"];
    let o = hpcrs()
        .args(["profile", "--memory", "--out"])
        .arg(&out)
        .arg("--")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // The subcommand's own output is unchanged.
    assert_eq!(stdout(&o), stdout(&hpcrs().args(args).output().unwrap()));
    // diff2d's summary on standard error: `grid 100x100`, the interior.
    let grid = stderr(&o);
    let n: u64 = grid
        .split_once("grid ")
        .and_then(|(_, rest)| rest.split_once('x'))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{grid}"));
    let mut names = runtime::atomic::entry_names(&out).unwrap();
    names.sort();
    let mut expected: Vec<String> = FILES
        .iter()
        .chain(&["memory.txt", "memory.png"])
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let memory = read(&out.join("memory.txt"));
    // Two allocations of the whole grid (its n×n interior and a boundary
    // row and column on each side, 8 bytes a point), exact, each at a line
    // of crates/diffusion: the density and the stepper's second grid.
    let bytes = (n + 2) * (n + 2) * 8;
    let grids: Vec<_> = memory_rows(&memory)
        .into_iter()
        .filter(|r| r.0 == bytes && r.3.contains("(crates/diffusion/src/"))
        .collect();
    assert_eq!(grids.len(), 2, "{n}x{n}:\n{memory}");
    for (_, blocks, exact, _) in &grids {
        assert_eq!((*blocks, *exact), (1, true), "{memory}");
    }
    assert!(
        grids
            .iter()
            .any(|g| g.3.contains("crates/diffusion/src/naive.rs:")),
        "{memory}"
    );
    // The peak holds both, and the summary on standard error says it.
    let peak: u64 = memory
        .split_once("peak heap ")
        .and_then(|(_, rest)| rest.split_once(" bytes)"))
        .and_then(|(head, _)| head.rsplit_once('(')?.1.parse().ok())
        .unwrap_or_else(|| panic!("{memory}"));
    assert!(peak >= 2 * bytes, "{memory}");
    assert!(
        stderr(&o).contains("hpcrs profile: peak heap") || stderr(&o).contains("\npeak heap"),
        "{}",
        stderr(&o)
    );
    assert!(memory.contains("diff2d steps"), "{memory}");
    // memory.png is a PNG.
    let png = std::fs::read(out.join("memory.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn memory_with_a_failing_subcommand_or_a_bad_directory_or_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    // A failing subcommand: its exit code and error, and every report.
    let args = ["diff2d", "--set", "dx=-1"];
    let plain = hpcrs().args(args).output().unwrap();
    let o = hpcrs()
        .args(["profile", "--memory", "--out"])
        .arg(&out)
        .arg("--")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), plain.status.code());
    assert_eq!(stderr(&o).lines().last(), stderr(&plain).lines().last());
    for f in FILES.iter().chain(&["memory.txt", "memory.png"]) {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // An unwritable directory: refused before anything runs.
    let o = hpcrs()
        .args([
            "profile",
            "--memory",
            "--out",
            "/proc/self",
            "--",
            "auc",
            "1000",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    // The flag takes no value and is given once.
    for bad in [&["--memory=yes"][..], &["--memory", "--memory"]] {
        let o = hpcrs()
            .arg("profile")
            .args(bad)
            .args(["--out"])
            .arg(&out)
            .args(["--", "auc", "1000"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--memory"), "{}", stderr(&o));
    }
    // Under an MPI launcher, the memory files go to the rank's directory.
    let o = hpcrs()
        .env("PMI_RANK", "1")
        .env("PMI_SIZE", "2")
        .args(["profile", "--memory", "--out"])
        .arg(&out)
        .args(["--", "auc", "1000"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("rank-1/memory.txt").is_file());
}

/// Under a real `mpirun` (the `mpi` build, which scripts/ci-mpi.sh runs):
/// each rank writes its own directory, with the memory view.
#[cfg(feature = "mpi")]
#[test]
fn profile_of_mpi_ranks_under_mpirun_writes_one_directory_per_rank() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prof");
    let o = std::process::Command::new("timeout")
        .args(["120", "mpirun", "-np", "2", crate::util::BIN])
        .args(["profile", "--memory", "--out"])
        .arg(&out)
        .args(["--", "mpi", "hello"])
        .output()
        .expect("running timeout/mpirun");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    for rank in 0..2 {
        for f in FILES.iter().chain(&["memory.txt", "memory.png"]) {
            let path = out.join(format!("rank-{rank}")).join(f);
            assert!(path.is_file(), "{}", path.display());
        }
    }
}
