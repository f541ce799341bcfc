//! End-to-end runs under `mpirun -np 1/2/3/4` (3 and 4 oversubscribe a
//! 2-core machine; MPICH needs no flag for that) of the binary built with
//! `--features mpi`, compared with the serial results.
//!
//! Compiled only with `--features mpi`; `mpirun` must be on PATH
//! (scripts/setup-mpi.sh installs it). CI runs them in scripts/ci-mpi.sh.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{stderr, stdout, BIN};

/// `mpirun -np NP hpcrs ARGS…`, killed after two minutes so a hang fails the
/// test instead of blocking CI.
fn mpirun(np: usize, args: &[&str]) -> Output {
    Command::new("timeout")
        .args(["120", "mpirun", "-np", &np.to_string(), BIN])
        .args(args)
        .output()
        .expect("running timeout/mpirun")
}

fn sorted_lines(out: &Output) -> Vec<String> {
    crate::util::sorted_lines(&out.stdout)
}

#[test]
fn hello_on_1_2_4_ranks() {
    for np in [1, 2, 4] {
        let out = mpirun(np, &["mpi", "hello"]);
        assert!(out.status.success(), "np {np}: {}", stderr(&out));
        let lines = sorted_lines(&out);
        assert_eq!(lines.len(), np, "{lines:?}");
        for (r, line) in lines.iter().enumerate() {
            assert!(
                line.starts_with(&format!("Hello World! I am process {r} of {np} on ")),
                "{line}"
            );
        }
    }
}

#[test]
fn ring_on_4_ranks_in_both_flavours() {
    for flavour in ["object", "buffer"] {
        let out = mpirun(4, &["mpi", "ring", "--flavour", flavour]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            sorted_lines(&out),
            (0..4)
                .map(|r| format!("I am rank {r}; my right neighbour is {}", (r + 1) % 4))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_operation_in_both_flavours_on_1_2_3_4_ranks() {
    for np in [1, 2, 3, 4] {
        let out = mpirun(np, &["mpi", "selftest"]);
        assert!(out.status.success(), "np {np}: {}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!("selftest: 21 checks passed on {np} rank(s)")),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn halo_table_under_mpirun() {
    let out = mpirun(2, &["mpi", "halo", "--max-bytes", "2048", "--trials", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().filter(|l| l.contains(" | ")).count(),
        6,
        "{text}"
    );
}

fn read_density(dir: &Path) -> Vec<f64> {
    diffusion::read_npy(&dir.join("density.npy"))
        .expect("density.npy")
        .iter()
        .copied()
        .collect()
}

#[test]
fn diff2d_equals_the_serial_result_on_1_2_3_4_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    // 97 interior rows: 49/48, 33/32/32, 25/24/24/24 (odd splits).
    let problem = [
        "--set",
        "dx=0.206",
        "--set",
        "runtime=3",
        "--set",
        "outtime=1",
    ];
    let serial_dir = tmp.path().join("serial");
    let serial = Command::new(BIN)
        .args(["diff2d", "--backend", "naive", "--out"])
        .arg(&serial_dir)
        .args(problem)
        .output()
        .unwrap();
    assert!(serial.status.success(), "{}", stderr(&serial));
    let want = read_density(&serial_dir);
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.01);
    // Two ranks fit this machine's cores and are pinned, unless told not
    // to; three and four oversubscribe it and stay free.
    for (np, bind) in [
        (1, "core"),
        (2, "core"),
        (2, "none"),
        (3, "core"),
        (4, "core"),
    ] {
        let dir = tmp.path().join(format!("np{np}-{bind}"));
        let mut args = vec!["diff2d", "--backend", "mpi", "--bind-to", bind];
        args.extend(["--out", dir.to_str().unwrap()]);
        args.extend(problem);
        let out = mpirun(np, &args);
        assert!(out.status.success(), "np {np}: {}", stderr(&out));
        // Rank 0 alone prints the output times, as the serial run does.
        assert_eq!(stdout(&out), stdout(&serial), "np {np}");
        assert!(
            stderr(&out).contains(&format!("diff2d mpi: {np} rank(s)")),
            "{}",
            stderr(&out)
        );
        let got = read_density(&dir);
        assert_eq!(got.len(), want.len());
        let worst = got
            .iter()
            .zip(&want)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-12 * scale, "np {np}: max difference {worst}");
    }
}

#[test]
fn auc_equals_the_serial_result_on_1_2_4_ranks_in_both_flavours() {
    let serial = Command::new(BIN)
        .args(["auc", "3000001", "--backend", "naive"])
        .output()
        .unwrap();
    assert!(serial.status.success());
    assert_eq!(stdout(&serial), "The area is 8.175000\n");
    for flavour in ["object", "buffer"] {
        for np in [1, 2, 4] {
            let out = mpirun(
                np,
                &["auc", "3000001", "--backend", "mpi", "--flavour", flavour],
            );
            assert!(out.status.success(), "{flavour} np {np}: {}", stderr(&out));
            // Printed once, by rank 0.
            assert_eq!(stdout(&out), stdout(&serial), "{flavour} np {np}");
        }
    }
}

#[test]
fn a_grid_too_small_for_the_ranks_fails_clearly() {
    // dx = 7 on [-10, 10]: 2 interior rows for 4 ranks.
    let out = mpirun(
        4,
        &[
            "diff2d",
            "--backend",
            "mpi",
            "--set",
            "dx=7",
            "--set",
            "runtime=200",
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("the grid has 2 interior row(s), fewer than the 4 MPI ranks"),
        "{err}"
    );
    assert!(err.contains("rank 0 of 4"), "{err}");
}

#[test]
fn a_failing_rank_ends_the_job_with_its_rank_and_reason() {
    // mpirun passes its environment on to the ranks (MPICH does by default).
    let out = Command::new("timeout")
        .env("HPCRS_MPI_FAIL_RANK", "2")
        .args(["120", "mpirun", "-np", "3", BIN])
        .args([
            "diff2d",
            "--backend",
            "mpi",
            "--set",
            "dx=0.5",
            "--set",
            "runtime=1",
        ])
        .output()
        .unwrap();
    // Not the timeout's 124: the job ended by itself, non-zero.
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(124), "the job hung");
    let err = stderr(&out);
    assert!(
        err.contains("rank 2 of 3: diff2d --backend mpi: failure injected by HPCRS_MPI_FAIL_RANK"),
        "{err}"
    );
}

#[test]
fn wordcount_prints_once_what_one_process_prints_on_1_2_3_4_ranks() {
    let root = crate::util::ROOT;
    let book = format!("{root}/data/mobydick.txt");
    let stop = format!("{root}/data/stopwords.txt");
    let args = [
        "wordcount",
        &book,
        "--stopwords",
        &stop,
        "--top",
        "20",
        "--quiet",
    ];
    let serial = Command::new(BIN).args(args).output().unwrap();
    assert!(serial.status.success(), "{}", stderr(&serial));
    for np in [1, 2, 3, 4] {
        for parts in ["1", "7", "64"] {
            let mut with = args.to_vec();
            with.extend(["--partitions", parts]);
            let out = mpirun(np, &with);
            assert!(out.status.success(), "np {np}: {}", stderr(&out));
            assert_eq!(stdout(&out), stdout(&serial), "np {np}, {parts} partitions");
        }
    }
    let out = mpirun(
        2,
        &[
            "wordcount",
            &book,
            "--stopwords",
            &stop,
            "--stats",
            "--quiet",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("on 2 ranks of 1 thread(s)"), "{err}");
    assert!(err.contains("rank 1: "), "{err}");
    // A missing input, found while MPI starts: one error, from rank 0.
    let out = mpirun(
        2,
        &["wordcount", "/nonexistent/book.txt", "--stopwords", &stop],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.matches("cannot count the words of").count(), 1, "{err}");
    assert!(err.contains("rank 0 of 2: /nonexistent/book.txt"), "{err}");
}
