//! `hpcrs ooc` under hostile inputs and faults: every case ends in one error line naming
//! the file or the argument and exit status 1 (2 for usage errors), or in the right answer;
//! never a signal, a panic or a hang.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::util::stats_field as field;
use crate::util::{hpcrs, hpcrs_process, stderr, stdout};

/// The line the SIGBUS handler prints, after the file's path.
const UNREADABLE_PAGE: &str = ": a page of the memory-mapped file could not be read";

/// Runs `hpcrs ooc ARGS...` and returns its output, whatever the exit status.
fn ooc(args: &[&str], file: &Path) -> Output {
    hpcrs().arg("ooc").args(args).arg(file).output().unwrap()
}

/// Creates `name` in `dir` with `ooc create FILE ARGS... -q --no-sync`.
fn create(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let f = dir.join(name);
    hpcrs()
        .args(["ooc", "create"])
        .arg(&f)
        .args(args)
        .args(["-q", "--no-sync"])
        .assert()
        .success();
    f
}

/// Asserts that `out` is a failure with exit status `code` and one line of standard error
/// that contains each of `parts`, and no panic.
fn one_line_error(out: &Output, code: i32, parts: &[&str]) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "status {:?}: {err}",
        out.status
    );
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("hpcrs: error: "), "{err}");
    for part in parts {
        assert!(err.contains(part), "{part:?} not in: {err}");
    }
}

/// Asserts that `out` is clap's usage error (exit status 2, the reason on the first line,
/// then clap's pointer to --help) naming each of `parts`.
fn usage_error(out: &Output, parts: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "status {:?}: {err}", out.status);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{err}");
    for part in parts {
        assert!(first.contains(part), "{part:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_file_shorter_than_its_header_says_is_a_clear_error_in_every_io_mode() {
    let dir = tempfile::tempdir().unwrap();
    let f = create(dir.path(), "t.npy", &["--shape", "1000x100", "--fill", "1"]);
    let len = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(len - 4096)
        .unwrap();
    let name = f.to_str().unwrap();
    for io in ["mmap", "pread", "mmap-populate"] {
        for sub in [&["stats", "-q", "--io", io][..], &["get", "--io", io]] {
            let out = ooc(sub, &f);
            one_line_error(&out, 1, &[name, "file size does not match header"]);
        }
    }
}

/// `ooc get FILE` streams the whole array to a pipe nobody reads yet, so it blocks after a
/// pipe's worth of lines, far from the end; the file is then truncated to its header and
/// the pipe drained: the next element read is on a page that no longer exists. No timing
/// is involved: the blocked pipe holds the reader back.
fn get_while_truncated(io: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    // 2^21 elements print 8 MiB of "0.0\n", far more than any pipe buffers.
    let f = create(dir.path(), "shrinking.npy", &["--shape", "2097152"]);
    let mut child = hpcrs_process()
        .args(["ooc", "get", "--io", io])
        .arg(&f)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    assert_eq!(first, "0.0\n");
    // The file was opened, checked and mapped: cut it back to its header.
    let header = ooc::NpyFile::open(&f).unwrap().header().data_offset;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(header)
        .unwrap();
    let mut rest = Vec::new();
    lines.read_to_end(&mut rest).unwrap();
    let printed = rest.len() / 4 + 1;
    assert!(printed < 2097152, "all elements were printed");
    child.wait_with_output().unwrap()
}

#[test]
fn a_file_truncated_while_mapped_is_an_error_naming_it_not_sigbus() {
    let out = get_while_truncated("mmap");
    one_line_error(&out, 1, &["shrinking.npy", UNREADABLE_PAGE, "--io pread"]);
}

#[test]
fn a_file_truncated_while_read_with_pread_is_an_error_naming_it() {
    let out = get_while_truncated("pread");
    one_line_error(&out, 1, &["shrinking.npy", "shorter than its header says"]);
}

/// A sparse file on a full tmpfs: its holes cannot be mapped (the kernel would have to
/// allocate a page) but read as zeros with read(2).
#[test]
#[ignore = "needs root: mounts a 1 MiB tmpfs"]
fn a_sparse_file_on_a_full_tmpfs_is_an_error_suggesting_pread() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path();
    let st = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1M", "tmpfs"])
        .arg(mnt)
        .status()
        .unwrap();
    assert!(st.success(), "cannot mount a tmpfs (not root?)");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(mnt);
    let f = create(mnt, "sparse.npy", &["--shape", "4000000"]);
    // Fill the file system.
    let filler = mnt.join("filler");
    let _ = std::fs::write(&filler, vec![1u8; 2 << 20]);
    let name = f.to_str().unwrap();
    for args in [
        &["stats", "-q"][..],
        &["stats", "-q", "--io", "mmap-populate"],
        &["get"],
    ] {
        let out = ooc(args, &f);
        one_line_error(&out, 1, &[name, UNREADABLE_PAGE, "--io pread"]);
    }
    let out = ooc(&["stats", "-q", "--io", "pread"], &f);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("max\t0.0"), "{}", stdout(&out));
}

#[test]
fn integer_fills_are_stored_and_printed_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for v in [
        "1234567890123456789",
        "9223372036854775807",
        "-9223372036854775808",
        "9007199254740993",
    ] {
        let f = create(
            dir.path(),
            "big.npy",
            &["--shape", "3x5", "--dtype", "i64", "--fill", v],
        );
        let got = ooc(&["get"], &f);
        assert_eq!(stdout(&got), format!("{v}\n").repeat(15));
        let got = hpcrs()
            .args(["ooc", "get"])
            .arg(&f)
            .args(["2", "4"])
            .output()
            .unwrap();
        assert_eq!(stdout(&got), format!("{v}\n"));
        let out = stdout(&ooc(&["stats", "-q"], &f));
        assert_eq!(field(&out, "min"), v, "{out}");
        assert_eq!(field(&out, "max"), v, "{out}");
        let axis = stdout(&ooc(&["stats", "-q", "--axis", "0"], &f));
        let line = axis.lines().find(|l| l.starts_with("4\t")).unwrap();
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!((cols[4], cols[5]), (v, v), "{axis}");
    }
    // Other integer types and bools print integers too; floats keep Python's repr.
    let f = create(
        dir.path(),
        "u.npy",
        &["--shape", "4", "--dtype", "u8", "--fill", "255"],
    );
    assert_eq!(field(&stdout(&ooc(&["stats", "-q"], &f)), "max"), "255");
    let f = create(
        dir.path(),
        "b.npy",
        &["--shape", "4", "--dtype", "bool", "--fill", "true"],
    );
    assert_eq!(field(&stdout(&ooc(&["stats", "-q"], &f)), "min"), "1");
    let f = create(dir.path(), "f.npy", &["--shape", "4", "--fill", "3"]);
    assert_eq!(field(&stdout(&ooc(&["stats", "-q"], &f)), "min"), "3.0");
}

#[test]
fn fill_values_out_of_the_dtype_are_refused_naming_fill() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.npy");
    let cases: [(&str, &str, &str); 9] = [
        ("i64", "9223372036854775808", "does not fit dtype i64"),
        ("i64", "-9223372036854775809", "does not fit dtype i64"),
        ("i64", "1e19", "does not fit dtype i64"),
        ("i32", "2147483648", "does not fit dtype i32"),
        ("i32", "1.5", "is not an integer"),
        ("u8", "-1", "does not fit dtype u8"),
        ("bool", "2", "is not a bool"),
        ("f32", "1e39", "does not fit dtype f32"),
        ("i64", "nan", "is not an integer"),
    ];
    for (dtype, value, msg) in cases {
        let out = hpcrs()
            .args(["ooc", "create"])
            .arg(&f)
            .args(["--shape", "3", "--dtype", dtype, "--fill", value])
            .output()
            .unwrap();
        one_line_error(&out, 1, &[&format!("--fill {value}"), msg]);
        assert!(!f.exists());
    }
}

/// `ooc create FILE ARGS...` in `dir`, expected to fail: its output, after checking that
/// nothing was left in `dir`.
fn create_fails(dir: &Path, args: &[&str]) -> Output {
    let out = hpcrs()
        .args(["ooc", "create"])
        .arg(dir.join("x.npy"))
        .args(args)
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    out
}

#[test]
fn shapes_numpy_cannot_read_or_no_file_can_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let seventy = vec!["1"; 70].join("x");
    let cases: [(&str, &str); 4] = [
        (&seventy, "70 dimensions is more than numpy reads (64)"),
        (
            "99999999999x99999999999x99999",
            "needs more than 2^64 bytes",
        ),
        ("2000000000000000000", "larger than any file can be"),
        ("10x-1", "\"-1\" is not a dimension"),
    ];
    for (shape, msg) in cases {
        let out = create_fails(dir.path(), &["--shape", shape, "--fill", "1"]);
        one_line_error(&out, 1, &["--shape", msg]);
    }
    // 64 dimensions are fine.
    let sixty_four = vec!["1"; 63].join("x") + "x3";
    let f = create(
        dir.path(),
        "d64.npy",
        &["--shape", &sixty_four, "--fill", "2"],
    );
    assert_eq!(field(&stdout(&ooc(&["stats", "-q"], &f)), "count"), "3");
}

#[test]
fn a_file_size_limit_is_an_error_naming_shape_and_file_not_sigxfsz() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x.npy");
    // `ulimit -f 64`: at most 64 blocks (32 or 64 KiB, as the shell counts).
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f 64 && exec \"$0\" ooc create {} --shape 1000000 --fill 1 -q",
            target.display()
        ))
        .arg(crate::util::BIN)
        .output()
        .unwrap();
    one_line_error(&out, 1, &["--shape", "x.npy", "more than this file system"]);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_header_with_more_than_64_dimensions_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d70.npy");
    let dims = vec!["1"; 70].join(", ");
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({dims}), }}");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let hlen = (dict.len() + 1).div_ceil(64) * 64 + 54;
    bytes.extend_from_slice(&(hlen as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.resize(10 + hlen - 1, b' ');
    bytes.push(b'\n');
    bytes.extend_from_slice(&1f64.to_le_bytes());
    std::fs::write(&f, bytes).unwrap();
    for args in [&["stats"][..], &["get"]] {
        let out = ooc(args, &f);
        one_line_error(&out, 1, &["d70.npy", "more than 64 dimensions"]);
    }
}

#[test]
#[ignore = "needs numpy in $PYTHON"]
fn numpy_reads_64_dimensions_and_exact_i64_fills() {
    let py = crate::util::python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    let sixty_four = vec!["1"; 63].join("x") + "x2";
    let f = create(
        dir.path(),
        "n.npy",
        &[
            "--shape",
            &sixty_four,
            "--dtype",
            "i64",
            "--fill",
            "9007199254740993",
        ],
    );
    let out = std::process::Command::new(py)
        .args([
            "-c",
            "import sys, numpy as np; a = np.load(sys.argv[1]); print(a.ndim, a.min(), a.max())",
        ])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "64 9007199254740993 9007199254740993\n");
    let ours = stdout(&ooc(&["stats", "-q"], &f));
    assert_eq!(field(&ours, "max"), "9007199254740993");
}

#[test]
fn too_many_threads_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = create(dir.path(), "t.npy", &["--shape", "1000", "--fill", "1"]);
    for sub in ["stats", "create"] {
        for threads in ["100000", "1025", "18446744073709551616", "-1"] {
            let start = std::time::Instant::now();
            let mut cmd = hpcrs();
            cmd.args(["ooc", sub]).arg(&f);
            if sub == "create" {
                cmd.args(["--shape", "10"]);
            }
            let out = cmd.args(["--threads", threads]).output().unwrap();
            usage_error(&out, &["--threads"]);
            assert!(start.elapsed().as_secs() < 5, "{sub} --threads {threads}");
        }
    }
    let out = ooc(&["stats", "-q", "--threads", "1024"], &f);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(field(&stdout(&out), "mean"), "1.0");
}

#[test]
fn hostile_memory_limits_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = create(dir.path(), "m.npy", &["--shape", "1000", "--fill", "1"]);
    let cases: [(&str, &str); 8] = [
        ("0", "at least 64 KiB is needed"),
        ("1", "at least 64 KiB is needed"),
        ("63K", "at least 64 KiB is needed"),
        ("lots", "expected a size such as 512M or 2G"),
        ("-5M", "expected a size such as 512M or 2G"),
        ("1e9", "expected a size such as 512M or 2G"),
        ("99999999999999999999999", "more than 2^64 bytes"),
        ("16000000T", "more than this machine's memory"),
    ];
    for (limit, msg) in cases {
        let quoted = format!("--memory-limit {limit:?}");
        let out = ooc(&["stats", "--memory-limit", limit], &f);
        one_line_error(&out, 1, &[&quoted, msg]);
        let empty = tempfile::tempdir().unwrap();
        let out = create_fails(empty.path(), &["--shape", "10", "--memory-limit", limit]);
        one_line_error(&out, 1, &[&quoted, msg]);
    }
}
