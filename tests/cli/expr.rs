//! End-to-end tests of `hpcrs expr`, `hpcrs diff2d --backend expr` and
//! `hpcrs auc --backend expr`.

use crate::util::hpcrs;
use predicates::prelude::*;

#[test]
fn expr_times_an_expression_and_ends_with_best() {
    let out = hpcrs()
        .args([
            "expr",
            "a**2 + b**2 + 2*a*b",
            "--n",
            "10000",
            "--repeat",
            "3",
            "--threads",
            "2",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("inputs: 2 x [10000] f64; result f64; 2 VM instruction(s); 2 thread(s)"),
        "{text}"
    );
    assert!(text.contains("GB/s"), "{text}");
    let last = text.lines().last().unwrap();
    let ms: f64 = last
        .strip_prefix("best: ")
        .and_then(|s| s.strip_suffix(" ms"))
        .unwrap_or_else(|| panic!("last line `{last}`"))
        .parse()
        .unwrap();
    assert!(ms > 0.0);
}

#[test]
fn expr_handles_stencils_reductions_and_dtypes() {
    hpcrs()
        .args([
            "expr",
            "u[-1,0] + u[1,0] - 2*u",
            "--n",
            "10000",
            "--repeat",
            "1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("inputs: 1 x [100, 100] f64"));
    hpcrs()
        .args([
            "expr",
            "sum(i % 7)",
            "--n",
            "1000",
            "--dtype",
            "i32",
            "--repeat",
            "1",
        ])
        .assert()
        .success()
        // numexpr's rule: an i32 sum accumulates in i64; the value is a plain number.
        .stdout(predicate::str::contains("result i64;"))
        .stdout(predicate::str::is_match(r"(?m)^result: [0-9]+$").unwrap());
}

#[test]
fn expr_errors_are_clear() {
    hpcrs()
        .args(["expr", "a + * b"])
        .assert()
        .failure()
        .code(1)
        .stderr(
            "hpcrs: error: parsing the expression `a + * b`: \
             syntax error at column 5: expected a value, found `*`\n",
        )
        .stderr(predicate::str::contains("panicked").not());
    hpcrs()
        .args(["expr", "a << 1", "--n", "10"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "operator `<<` needs integer operands, got f64 and i32",
        ));
    hpcrs()
        .args(["expr", "a", "--dtype", "f16"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'f16' for '--dtype <DTYPE>'",
        ));
    hpcrs()
        .args(["expr", "a", "--n", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--n must be at least 1"));
    // --threads 0 is one thread per core, as everywhere.
    let cores = std::thread::available_parallelism().unwrap().get();
    hpcrs()
        .args(["expr", "a", "--threads", "0", "--n", "10", "--repeat", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("; {cores} thread(s)\n")));
}

#[test]
fn diff2d_expr_backend_equals_array_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    // Both round like numpy (the compiled backends fuse the last multiply-add).
    for backend in ["expr", "array"] {
        let out = dir.path().join(backend);
        hpcrs()
            .args([
                "diff2d",
                "--set",
                "dx=0.5",
                "--set",
                "runtime=2",
                "--backend",
                backend,
                "--threads",
                "2",
            ])
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        results.push(diffusion::read_npy(&out.join("density.npy")).unwrap());
    }
    assert!(results[0].sum() > 0.0);
    assert_eq!(results[0], results[1]);
}

#[test]
fn auc_expr_backend_agrees_with_naive() {
    let area = |backend: &str| {
        crate::util::success_stdout(hpcrs().args(["auc", "3000000", "--backend", backend]))
    };
    let e = area("expr");
    assert_eq!(e, area("naive"));
    assert!(e.starts_with("The area is 8.17"), "{e}");
}
