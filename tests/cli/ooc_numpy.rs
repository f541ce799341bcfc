//! Round trips with numpy: numpy.load(..., mmap_mode='r') opens what hpcrs writes, and
//! hpcrs opens what numpy writes (every dtype, C and Fortran order, both byte orders,
//! format versions 1.0 to 3.0). Needs numpy in $PYTHON (default python3): ignored by
//! default, run with `cargo test --test cli -- --ignored numpy`.

use std::path::Path;
use std::process::Command;

fn peers() -> std::path::PathBuf {
    Path::new(crate::util::ROOT).join("scripts/ooc_peers.py")
}

fn hpcrs(args: &[&str], file: &Path) -> String {
    crate::util::success_stdout(
        crate::util::hpcrs()
            .arg("ooc")
            .arg(args[0])
            .arg(file)
            .args(&args[1..]),
    )
}

/// What the numpy peer says of `file` (`ooc_peers.py check FILE`).
fn numpy_check(py: &str, file: &Path) -> std::process::Output {
    Command::new(py)
        .arg(peers())
        .arg("check")
        .arg(file)
        .output()
        .unwrap()
}

fn field(out: &str, key: &str) -> f64 {
    crate::util::stats_field(out, key).parse().unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
#[ignore = "needs numpy in $PYTHON"]
fn numpy_reads_what_hpcrs_writes() {
    let py = crate::util::python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    for dtype in ["f64", "f32", "i64", "i32", "u8", "bool"] {
        for order in ["", "--fortran"] {
            let f = dir.path().join(format!("{dtype}{order}.npy"));
            let mut args = vec!["create", "--shape", "31x17", "--dtype", dtype];
            args.extend(["--fill", "random", "--seed", "9", "-q"]);
            if !order.is_empty() {
                args.push(order);
            }
            hpcrs(&args, &f);
            let np = numpy_check(&py, &f);
            assert!(
                np.status.success(),
                "{}",
                String::from_utf8_lossy(&np.stderr)
            );
            let np = String::from_utf8(np.stdout).unwrap();
            let lines: Vec<&str> = np.lines().collect();
            assert!(lines[0].starts_with("[31, 17]"), "{dtype}{order}: {np}");
            assert_eq!(lines[0].ends_with("True"), !order.is_empty(), "{np}");
            let ours = hpcrs(&["stats", "-q"], &f);
            let theirs: Vec<f64> = lines[1].split(' ').map(|v| v.parse().unwrap()).collect();
            for (k, key) in ["mean", "std", "min", "max"].iter().enumerate() {
                assert!(
                    close(field(&ours, key), theirs[k]),
                    "{dtype}{order} {key}: {ours} vs {np}"
                );
            }
            // First and last elements agree exactly.
            let first = hpcrs(&["get", "0", "0"], &f);
            let last = hpcrs(&["get", "30", "16"], &f);
            let (nf, nl) = lines[2].split_once(' ').unwrap();
            assert_eq!(first.trim(), nf, "{dtype}{order}");
            assert_eq!(last.trim(), nl, "{dtype}{order}");
        }
    }
}

#[test]
#[ignore = "needs numpy in $PYTHON"]
fn hpcrs_reads_what_numpy_writes() {
    let py = crate::util::python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new(&py)
        .arg(peers())
        .arg("write")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let f = entry.unwrap().path();
        let np = numpy_check(&py, &f);
        let np = String::from_utf8(np.stdout).unwrap();
        let lines: Vec<&str> = np.lines().collect();
        let theirs: Vec<f64> = lines[1].split(' ').map(|v| v.parse().unwrap()).collect();
        let ours = hpcrs(&["stats", "-q"], &f);
        for (k, key) in ["mean", "std", "min", "max"].iter().enumerate() {
            assert!(
                close(field(&ours, key), theirs[k]),
                "{f:?} {key}: {ours} vs {np}"
            );
        }
        let last = hpcrs(&["get", "6", "4"], &f);
        assert_eq!(last.trim(), lines[2].split_once(' ').unwrap().1, "{f:?}");
        // Along an axis, against numpy's own per-row mean.
        let axis = hpcrs(&["stats", "-q", "--axis", "1"], &f);
        assert_eq!(
            axis.lines()
                .filter(|l| l.starts_with(char::is_numeric))
                .count(),
            7
        );
        seen += 1;
    }
    // 6 dtypes x 2 orders x 2 byte orders, minus the one-byte big-endian cases, plus v2 and v3.
    assert_eq!(seen, 6 * 2 * 2 - 4 + 2);
}
