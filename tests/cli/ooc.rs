//! End-to-end tests of `hpcrs ooc create / stats / get`.

use crate::util::hpcrs;
use crate::util::stats_field as field;
use predicates::prelude::*;

fn stdout(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn create_stats_get_constant() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.npy");
    hpcrs()
        .args(["ooc", "create"])
        .arg(&f)
        .args([
            "--shape",
            "300x200",
            "--dtype",
            "i32",
            "--fill",
            "-3",
            "--no-sync",
        ])
        .assert()
        .success();
    assert_eq!(std::fs::metadata(&f).unwrap().len(), 128 + 300 * 200 * 4);
    let out = stdout(hpcrs().args(["ooc", "stats", "-q"]).arg(&f));
    assert_eq!(field(&out, "count"), "60000");
    assert_eq!(field(&out, "mean"), "-3.0");
    assert_eq!(field(&out, "std"), "0.0");
    assert_eq!(field(&out, "min"), "-3");
    assert!(
        field(&out, "array").contains("[300, 200] <i4 C order"),
        "{out}"
    );
    let out = stdout(hpcrs().args(["ooc", "get"]).arg(&f).args(["299", "-1"]));
    assert_eq!(out, "-3\n");
}

#[test]
fn random_file_is_reproducible_and_uniform() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    for (f, threads) in [(&a, "1"), (&b, "2")] {
        hpcrs()
            .args(["ooc", "create"])
            .arg(f)
            .args([
                "--shape", "500x400", "--fill", "random", "--seed", "42", "-q",
            ])
            .args(["--threads", threads, "--memory-limit", "64K"])
            .assert()
            .success();
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let out = stdout(hpcrs().args(["ooc", "stats", "-q"]).arg(&a));
    let mean: f64 = field(&out, "mean").parse().unwrap();
    let std: f64 = field(&out, "std").parse().unwrap();
    assert!((mean - 0.5).abs() < 0.005, "{out}");
    assert!((std - (1.0f64 / 12.0).sqrt()).abs() < 0.005, "{out}");
    // The same statistics whatever the reader.
    for io in ["pread", "mmap-populate"] {
        let o = stdout(hpcrs().args(["ooc", "stats", "-q", "--io", io]).arg(&a));
        assert_eq!(field(&o, "count"), "200000");
        assert_eq!(field(&o, "min"), field(&out, "min"));
        assert_eq!(field(&o, "max"), field(&out, "max"));
        let m: f64 = field(&o, "mean").parse().unwrap();
        assert!((m - mean).abs() < 1e-12);
    }
}

#[test]
fn stats_along_an_axis_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.npy");
    hpcrs()
        .args(["ooc", "create"])
        .arg(&f)
        .args(["--shape", "3x4", "--fill", "random", "--seed", "1", "-q"])
        .assert()
        .success();
    let rows: Vec<Vec<f64>> = (0..3)
        .map(|i| {
            stdout(hpcrs().args(["ooc", "get"]).arg(&f).arg(i.to_string()))
                .lines()
                .map(|v| v.parse().unwrap())
                .collect()
        })
        .collect();
    assert!(rows.iter().all(|r| r.len() == 4));
    let out = stdout(hpcrs().args(["ooc", "stats", "-q", "--axis", "1"]).arg(&f));
    let lines: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("index"))
        .skip(1)
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (i, line) in lines.iter().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols[0], i.to_string());
        assert_eq!(cols[1], "4");
        let mean: f64 = cols[2].parse().unwrap();
        assert!((mean - rows[i].iter().sum::<f64>() / 4.0).abs() < 1e-15);
        let min: f64 = cols[4].parse().unwrap();
        assert_eq!(min, rows[i].iter().cloned().fold(f64::INFINITY, f64::min));
    }
    let out = stdout(hpcrs().args(["ooc", "stats", "-q", "--axis=-2"]).arg(&f));
    assert!(out.contains("axis\t0"), "{out}");
    let col0_max = rows.iter().map(|r| r[0]).fold(f64::NEG_INFINITY, f64::max);
    let line0 = out.lines().find(|l| l.starts_with("0\t")).unwrap();
    assert_eq!(
        line0.split('\t').nth(5).unwrap().parse::<f64>().unwrap(),
        col0_max
    );
}

#[test]
fn bad_arguments_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.npy");
    let cases: [(&[&str], &str); 4] = [
        (&["--shape", "10xabc"], "\"abc\" is not a dimension"),
        (
            &["--shape", "10", "--dtype", "c16"],
            "invalid value 'c16' for '--dtype",
        ),
        (
            &["--shape", "10", "--dtype", "u8", "--fill", "256"],
            "does not fit dtype u8",
        ),
        (
            &["--shape", "10", "--fill", "lots"],
            "expected zeros, random or a number",
        ),
    ];
    for (args, msg) in cases {
        hpcrs()
            .args(["ooc", "create"])
            .arg(&f)
            .args(args)
            .assert()
            .failure()
            .stderr(predicate::str::contains(msg));
        assert!(!f.exists());
    }
    hpcrs()
        .args(["ooc", "create"])
        .arg(&f)
        .args(["--shape", "2x3", "-q"])
        .assert()
        .success();
    hpcrs()
        .args(["ooc", "get"])
        .arg(&f)
        .args(["2", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "index 2 is out of bounds for axis 0 with size 2",
        ));
    hpcrs()
        .args(["ooc", "stats", "--axis", "2"])
        .arg(&f)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--axis 2 is out of bounds"));
    hpcrs()
        .args(["ooc", "stats", "--memory-limit", "lots"])
        .arg(&f)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--memory-limit \"lots\""));
}

#[test]
fn corrupt_files_are_reported_not_crashed_on() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ok.npy");
    hpcrs()
        .args(["ooc", "create"])
        .arg(&f)
        .args(["--shape", "10x10", "--fill", "1", "-q"])
        .assert()
        .success();
    let good = std::fs::read(&f).unwrap();
    let trunc = dir.path().join("trunc.npy");
    std::fs::write(&trunc, &good[..good.len() - 100]).unwrap();
    let text = dir.path().join("text.npy");
    std::fs::write(&text, "hello, world\n").unwrap();
    let mut cplx = good.clone();
    let at = cplx.windows(4).position(|w| w == b"<f8'").unwrap();
    cplx[at..at + 3].copy_from_slice(b"<c8");
    let cplx_path = dir.path().join("complex.npy");
    std::fs::write(&cplx_path, &cplx).unwrap();
    for (path, msg) in [
        (&trunc, "file size does not match header"),
        (&text, "bad magic"),
        (&cplx_path, "unsupported dtype \"<c8\""),
    ] {
        for sub in ["stats", "get"] {
            let mut cmd = hpcrs();
            cmd.args(["ooc", sub]).arg(path);
            if sub == "get" {
                cmd.args(["0", "0"]);
            }
            cmd.assert()
                .failure()
                .stderr(predicate::str::contains(msg))
                .stderr(predicate::str::contains(
                    path.file_name().unwrap().to_str().unwrap(),
                ))
                .stderr(predicate::str::contains("panicked").not());
        }
    }
}
