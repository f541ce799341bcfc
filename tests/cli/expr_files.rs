//! `hpcrs expr EXPR --input NAME=FILE ... [--out FILE]`: expressions over .npy files.
//! Results equal `expr::evaluate` on the same arrays in memory bit for bit, with memory
//! limits small enough that every band is a few rows; numpy reads what `--out` writes;
//! hostile inputs end in one error line naming the file or argument; Ctrl-C leaves no
//! temporary; the peak resident memory stays bounded.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use expr::{Arg, Array};
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use ooc::{ByteOrder, DType, Header, NpyFile, Scalar};

use crate::util::{hpcrs, hpcrs_process, stderr, stdout};

/// Runs `hpcrs expr TEXT ARGS...`, whatever its exit status.
fn run(text: &str, args: &[&str]) -> Output {
    hpcrs().arg("expr").arg(text).args(args).output().unwrap()
}

/// `--input NAME=PATH`.
fn input(name: &str, path: &Path) -> [String; 2] {
    ["--input".into(), format!("{name}={}", path.display())]
}

/// Creates `name` in `dir` with `ooc create FILE --shape SHAPE ARGS... -q --no-sync`.
fn create(dir: &Path, name: &str, shape: &str, args: &[&str]) -> PathBuf {
    let f = dir.join(name);
    hpcrs()
        .args(["ooc", "create"])
        .arg(&f)
        .args(["--shape", shape])
        .args(args)
        .args(["-q", "--no-sync"])
        .assert()
        .success();
    f
}

/// The array of a .npy file in memory, as the engine's type (`u8` as `i32`), in the
/// file's storage order.
fn load(path: &Path) -> Array {
    let f = NpyFile::open(path).unwrap();
    let h = f.header();
    let values = f.row(&[]).unwrap();
    let c = IxDyn(&h.shape);
    macro_rules! arr {
        ($t:ty, $conv:expr) => {{
            let v: Vec<$t> = values.iter().map($conv).collect();
            let c = ArrayD::from_shape_vec(c, v).unwrap();
            if h.fortran_order {
                let mut f = ArrayD::from_elem(IxDyn(&h.shape).f(), <$t>::default());
                f.assign(&c);
                f
            } else {
                c
            }
        }};
    }
    match h.dtype {
        DType::F64 => Array::F64(arr!(f64, |s: &Scalar| s.to_f64())),
        DType::F32 => Array::F32(arr!(f32, |s: &Scalar| s.to_f64() as f32)),
        DType::I64 => Array::I64(arr!(i64, |s: &Scalar| match s {
            Scalar::I64(v) => *v,
            _ => unreachable!(),
        })),
        DType::I32 | DType::U8 => Array::I32(arr!(i32, |s: &Scalar| s.to_f64() as i32)),
        DType::Bool => Array::Bool(arr!(bool, |s: &Scalar| s.to_f64() != 0.0)),
    }
}

/// The data bytes of a result array, in C order.
fn bytes(a: &Array) -> Vec<u8> {
    macro_rules! b {
        ($a:expr, $f:expr) => {
            $a.iter().flat_map($f).collect()
        };
    }
    match a {
        Array::Bool(a) => b!(a, |&v| [v as u8]),
        Array::I32(a) => b!(a, |v: &i32| v.to_ne_bytes()),
        Array::I64(a) => b!(a, |v: &i64| v.to_ne_bytes()),
        Array::F32(a) => b!(a, |v: &f32| v.to_ne_bytes()),
        Array::F64(a) => b!(a, |v: &f64| v.to_ne_bytes()),
        Array::C128(_) => unreachable!("complex results are not written"),
    }
}

/// Evaluates `text` over `inputs` with the CLI (`--out` in `dir`, and `extra`
/// arguments) and in memory, and checks that they agree bit for bit: the file's data
/// and shape, and for a 0-d result the printed value.
fn agree(dir: &Path, text: &str, inputs: &[(&str, &Path)], extra: &[&str]) {
    let mem: Vec<Array> = inputs.iter().map(|(_, p)| load(p)).collect();
    let args: Vec<(&str, Arg)> = inputs
        .iter()
        .map(|(n, _)| *n)
        .zip(mem.iter().map(Arg::from))
        .collect();
    let want = expr::evaluate(text, &args).unwrap();
    let out = dir.join("r.npy");
    let mut cli: Vec<String> = inputs.iter().flat_map(|(n, p)| input(n, p)).collect();
    cli.extend([
        "--out".into(),
        out.display().to_string(),
        "--no-sync".into(),
    ]);
    cli.extend(extra.iter().map(|s| s.to_string()));
    let cli: Vec<&str> = cli.iter().map(String::as_str).collect();
    let o = run(text, &cli);
    let what = format!("{text} {extra:?}");
    assert!(o.status.success(), "{what}: {}", stderr(&o));
    let r = NpyFile::open(&out).unwrap();
    assert_eq!(r.shape(), want.shape(), "{what}");
    let data = std::fs::read(&out).unwrap();
    assert!(
        data[r.header().data_offset as usize..] == bytes(&want),
        "{what}: --out differs from expr::evaluate"
    );
    match want.single().filter(|_| want.shape().is_empty()) {
        Some(v) => assert_eq!(stdout(&o), format!("result: {v}\n"), "{what}"),
        None => assert_eq!(stdout(&o), "", "{what}"),
    }
    // The summary line names the shape and type.
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{:?} {}", want.shape(), want.dtype())),
        "{what}: {err}"
    );
}

/// Writes a big-endian copy of the native file `from`.
fn big_endian(from: &Path, to: &Path) {
    let f = NpyFile::open(from).unwrap();
    let mut h = f.header().clone();
    let size = h.dtype.size();
    h.byte_order = ByteOrder::Big;
    let data = std::fs::read(from).unwrap();
    let mut bytes = h.to_bytes();
    for e in data[f.header().data_offset as usize..].chunks_exact(size) {
        bytes.extend(e.iter().rev());
    }
    std::fs::write(to, bytes).unwrap();
}

const TINY: [&str; 2] = ["--memory-limit", "64K"];

/// A reduction along axis 0 of these 2-D arrays reads one of the engine's blocks of rows
/// (all their rows, fewer than 1024) at once: it needs a larger limit than [`TINY`].
fn limit_for<'a>(text: &str, small: &'a [&'a str]) -> &'a [&'a str] {
    if text.contains("axis=0") || text.contains("axis=-2") {
        &["--memory-limit", "1M"]
    } else {
        small
    }
}

#[test]
fn results_equal_in_memory_evaluation_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d, "a.npy", "301x77", &["--fill", "random", "--seed", "1"]);
    let b = create(d, "b.npy", "301x77", &["--fill", "random", "--seed", "2"]);
    let k = create(d, "k.npy", "()", &["--fill", "2.5"]);
    let ab = [("a", a.as_path()), ("b", b.as_path())];
    for text in [
        "a*b - 1",
        "where(a < b, a, b*k)",
        "a[1,0] + a[-1,0] + a[0,1] + a[0,-1] - 4*a",
        "u[-2,0]*b[0,3] - u",
        "sum(a*b)",
        "product(a*0.01 + 1)",
        "sum(a, axis=0)",
        "sum(a*b, axis=1)",
        "sum(a[1,0] - a[-1,0])",
        "product(a + 0.5, axis=-2)",
        "min(a - b)",
        "max(a*k, axis=0)",
        "max(a, axis=1)",
    ] {
        let used = expr::variables(text).unwrap();
        let inputs: Vec<(&str, &Path)> = used
            .iter()
            .map(|(n, _)| match n.as_str() {
                "u" => ("u", a.as_path()),
                "k" => ("k", k.as_path()),
                n => *ab.iter().find(|(m, _)| *m == n).unwrap(),
            })
            .collect();
        agree(d, text, &inputs, limit_for(text, &TINY));
        agree(
            d,
            text,
            &inputs,
            &[
                &["--io", "pread"][..],
                limit_for(text, &["--memory-limit", "100K"]),
            ]
            .concat(),
        );
    }
    // Broadcast inputs: a column and a row.
    let w = create(d, "w.npy", "301x1", &["--fill", "random", "--dtype", "i32"]);
    let c = create(d, "c.npy", "77", &["--fill", "random", "--dtype", "f32"]);
    let awc = [("a", a.as_path()), ("w", w.as_path()), ("c", c.as_path())];
    agree(d, "a*w + c", &awc, &TINY);
    agree(d, "sum(a - c, axis=1)", &[awc[0], awc[2]], &TINY);
    let args = [input("a", &a), input("c", &c)].concat();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run("sum(a - c)", &args);
    one_line_error(&o, &[c.to_str().unwrap(), "reduces along axis 0"]);
    // The default limit: one band.
    agree(d, "sum(a*b)", &ab, &[]);
    agree(
        d,
        "a*b + 1",
        &ab,
        &["--threads", "1", "--io", "mmap-populate"],
    );
}

#[test]
fn every_dtype_and_both_orders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for dtype in ["f64", "f32", "i64", "i32", "u8", "bool"] {
        for order in [&[][..], &["--fortran"]] {
            // A band of rows of a Fortran-order array is a run of every column: the
            // pages it touches are most of these small files.
            let limit: &[&str] = if order.is_empty() {
                &TINY
            } else {
                &["--memory-limit", "256K"]
            };
            let seed = ["--fill", "random", "--seed", "7", "--dtype", dtype];
            let a = create(d, "a.npy", "97x41", &[&seed[..], order].concat());
            let b = create(d, "b.npy", "97x41", &["--fill", "random", "--dtype", dtype]);
            let texts: &[&str] = if dtype == "bool" {
                &["a & ~b", "sum(a | b)", "sum(a, axis=0)", "where(a, 1, 2)"]
            } else {
                &[
                    "a*b + 1",
                    "sum(a)",
                    "sum(a - b, axis=0)",
                    "sum(a, axis=1)",
                    "a[0,1] - b",
                ]
            };
            for text in texts {
                let used = expr::variables(text).unwrap();
                let inputs: Vec<(&str, &Path)> = [("a", a.as_path()), ("b", b.as_path())]
                    .into_iter()
                    .filter(|(n, _)| used.iter().any(|(u, _)| u == n))
                    .collect();
                agree(d, text, &inputs, limit_for(text, limit));
            }
            if dtype != "u8" && dtype != "bool" {
                let be = d.join("be.npy");
                big_endian(&a, &be);
                agree(d, "be*2 - b", &[("be", &be), ("b", &b)], limit);
                agree(
                    d,
                    "sum(be, axis=0)",
                    &[("be", &be)],
                    &["--memory-limit", "1M"],
                );
            }
        }
    }
}

/// A 0-d result is printed and written as a 0-d array; only scalars work too.
#[test]
fn scalars_and_empty_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let k = create(d, "k.npy", "()", &["--fill", "-3", "--dtype", "i32"]);
    agree(d, "k*k + 1", &[("k", &k)], &[]);
    let e = create(d, "e.npy", "0x5", &[]);
    for text in ["e + 1", "sum(e)", "product(e, axis=0)", "sum(e, axis=1)"] {
        agree(d, text, &[("e", &e)], &[]);
    }
}

#[test]
#[ignore = "needs numpy in $PYTHON"]
fn numpy_reads_what_expr_writes() {
    let py = crate::util::python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d, "a.npy", "200x150", &["--fill", "random", "--seed", "3"]);
    let b = create(d, "b.npy", "200x150", &["--fill", "random", "--seed", "4"]);
    let f = create(
        d,
        "f.npy",
        "200x150",
        &["--fill", "random", "--dtype", "f32", "--fortran"],
    );
    let cases = [
        ("a*b + 1", "r = a*b + 1"),
        ("where(a < 0.5, a, -b)", "r = np.where(a < 0.5, a, -b)"),
        (
            "a[1,0] - 2*a + a[-1,0]",
            "r = np.zeros_like(a); r[1:-1] = a[2:] - 2*a[1:-1] + a[:-2]",
        ),
        ("f*2 + 1", "r = f*np.float32(2) + np.float32(1)"),
        ("sum(a, axis=1)", "r = a.sum(axis=1)"),
        ("sum(a*b, axis=0)", "r = (a*b).sum(axis=0)"),
    ];
    for (text, numpy) in cases {
        let out = d.join("r.npy");
        let mut args: Vec<String> = [("a", &a), ("b", &b), ("f", &f)]
            .iter()
            .filter(|(n, _)| text.contains(n))
            .flat_map(|(n, p)| input(n, p))
            .collect();
        args.extend(["--out".into(), out.display().to_string()]);
        args.extend(
            limit_for(text, &["--memory-limit", "256K"])
                .iter()
                .map(|s| s.to_string()),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(text, &args);
        assert!(o.status.success(), "{text}: {}", stderr(&o));
        let script = format!(
            "import numpy as np, sys\n\
             a, b, f = (np.load(sys.argv[k]) for k in (1, 2, 3))\n\
             got = np.load(sys.argv[4], mmap_mode='r')\n\
             {numpy}\n\
             assert got.dtype == r.dtype and got.shape == r.shape, (got.dtype, got.shape)\n\
             same = np.array_equal(got, r) if '.sum' not in {numpy:?} else np.allclose(got, r, rtol=1e-12)\n\
             assert same, abs(got - r).max()\n"
        );
        let check = std::process::Command::new(&py)
            .args(["-c", &script])
            .args([&a, &b, &f, &out])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{text}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

/// Asserts that `out` is one error line (exit 1) containing each of `parts`.
fn one_line_error(out: &Output, parts: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("hpcrs: error: "), "{err}");
    for part in parts {
        assert!(err.contains(part), "{part:?} not in: {err}");
    }
}

/// Asserts that `out` is a usage error (exit 2) whose first line contains `parts`.
fn usage_error(out: &Output, parts: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{err}");
    for part in parts {
        assert!(first.contains(part), "{part:?} not in: {err}");
    }
}

#[test]
fn names_and_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let a = create(dir.path(), "a.npy", "10", &[]);
    let ia = format!("a={}", a.display());
    let o = run("a*b", &["--input", &ia]);
    usage_error(&o, &["reads `b`", "--input b=FILE.npy"]);
    let o = run("a*2", &["--input", &ia, "--input", "b=b.npy"]);
    usage_error(&o, &["--input b=b.npy", "does not read `b`"]);
    let o = run("a*2", &["--input", &ia, "--input", &ia]);
    usage_error(&o, &[&format!("--input {ia}"), "given twice"]);
    for bad in ["a", "=x.npy", "a=", "1a=x.npy", "a b=x.npy"] {
        let o = run("a*2", &["--input", bad]);
        usage_error(&o, &["--input", bad]);
    }
    for flag in [&["--n", "10"][..], &["--dtype", "f32"], &["--repeat", "2"]] {
        let o = run("a*2", &[&["--input", &ia][..], flag].concat());
        usage_error(&o, &["--input", flag[0]]);
    }
    for flag in [
        &["--out", "r.npy"][..],
        &["--memory-limit", "1M"],
        &["--io", "pread"],
    ] {
        let o = run("a*2", flag);
        usage_error(&o, &["required arguments were not provided"]);
        assert!(stderr(&o).contains("--input"), "{}", stderr(&o));
        assert!(stderr(&o).contains(flag[0]), "{}", stderr(&o));
    }
    let o = run("a*2", &["--input", &ia, "--memory-limit", "lots"]);
    one_line_error(&o, &["--memory-limit \"lots\""]);
    let o = run("a +* 2", &["--input", &ia]);
    one_line_error(&o, &["parsing the expression `a +* 2`", "column 4"]);
}

#[test]
fn hostile_inputs_are_one_line_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d, "a.npy", "40x30", &["--fill", "random"]);
    let ia = format!("a={}", a.display());
    let name = |p: &Path| p.display().to_string();
    // Missing.
    let o = run(
        "a + b",
        &["--input", &ia, "--input", "b=/nonexistent/b.npy"],
    );
    one_line_error(&o, &["/nonexistent/b.npy", "No such file"]);
    // Truncated.
    let t = create(d, "t.npy", "40x30", &["--fill", "1"]);
    let len = std::fs::metadata(&t).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&t).unwrap();
    f.set_len(len - 100).unwrap();
    let it = format!("t={}", t.display());
    for io in ["mmap", "pread"] {
        let o = run("a + t", &["--input", &ia, "--input", &it, "--io", io]);
        one_line_error(&o, &[&name(&t), "file size does not match header"]);
    }
    // Another shape.
    let c = create(d, "c.npy", "30x40", &[]);
    let ic = format!("c={}", c.display());
    let o = run("a + c", &["--input", &ia, "--input", &ic]);
    one_line_error(&o, &[&name(&c), "[30, 40]", "[40, 30]"]);
    // A dtype this crate does not read, and one the engine does not.
    let odd = d.join("c8.npy");
    let mut bytes = Header::new(DType::F64, vec![4], false).to_bytes();
    let at = bytes.windows(3).position(|w| w == b"<f8").unwrap();
    bytes[at + 1] = b'c';
    bytes.extend([0u8; 32]);
    std::fs::write(&odd, bytes).unwrap();
    let o = run("x + 1", &["--input", &format!("x={}", odd.display())]);
    one_line_error(&o, &[&name(&odd), "unsupported dtype"]);
    let four = create(d, "four.npy", "2x2x2x2", &[]);
    let o = run("x + 1", &["--input", &format!("x={}", four.display())]);
    one_line_error(&o, &[&name(&four), "4 dimensions"]);
    // Offsets: too many for the array, or wider than it.
    let o = run("a[1] - a", &["--input", &ia]);
    one_line_error(&o, &[&name(&a), "1 offset(s)"]);
    let o = run("a[20,0] - a[-20,0]", &["--input", &ia]);
    one_line_error(&o, &[&name(&a), "no interior"]);
    // A type error, and a complex result that cannot be written.
    let o = run("a & 1", &["--input", &ia]);
    one_line_error(&o, &["evaluating `a & 1`", "type error"]);
    let out = d.join("z.npy");
    let o = run("a*1j", &["--input", &ia, "--out", out.to_str().unwrap()]);
    one_line_error(&o, &[&name(&out), "complex"]);
    assert!(!out.exists());
    let o = run("sum(a*1j)", &["--input", &ia]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("result: ("), "{}", stdout(&o));
    // Too small a memory limit for one row of a very wide array.
    let w = create(d, "w.npy", "2x100000", &[]);
    let o = run(
        "w + 1",
        &[
            "--input",
            &format!("w={}", w.display()),
            "--memory-limit",
            "64K",
        ],
    );
    one_line_error(&o, &[&name(&w), "more than the memory limit"]);
    let o = run(
        "sum(w, axis=0)",
        &[
            "--input",
            &format!("w={}", w.display()),
            "--memory-limit",
            "1M",
        ],
    );
    one_line_error(
        &o,
        &[
            &name(&w),
            "a band of 2 row(s)",
            "more than the memory limit",
        ],
    );
}

#[test]
fn an_unwritable_output_is_refused_before_computing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d, "a.npy", "1000", &["--fill", "random"]);
    let ia = format!("a={}", a.display());
    let o = run(
        "a + 1",
        &["--input", &ia, "--out", "/nonexistent/dir/r.npy"],
    );
    one_line_error(&o, &["/nonexistent/dir", "no such directory"]);
    let ro = d.join("ro");
    std::fs::create_dir(&ro).unwrap();
    let r = ro.join("r.npy");
    let o = run("a + 1", &["--input", &ia, "--out", r.to_str().unwrap()]);
    assert!(o.status.success());
    // A directory in the way of the output, and a file in the way of its directory.
    let o = run("a + 1", &["--input", &ia, "--out", ro.to_str().unwrap()]);
    one_line_error(&o, &[ro.to_str().unwrap()]);
    let o = run(
        "a + 1",
        &["--input", &ia, "--out", &format!("{}/x.npy", a.display())],
    );
    one_line_error(&o, &[a.to_str().unwrap()]);
    let left: Vec<_> = std::fs::read_dir(d).unwrap().collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".r.npy.") && n.ends_with(".tmp"))
        .collect()
}

/// Starts `a + 1` over `big` writing `r.npy` in one band of 64 KiB at a time on one
/// thread, and calls `during` once its temporary output holds 1 MiB; `None` if it
/// finished before (the caller tries again).
fn while_writing(dir: &Path, big: &Path, during: impl Fn(u32)) -> Option<Output> {
    let out = dir.join("r.npy");
    let mut child = hpcrs_process()
        .args(["expr", "a*2 + 1", "--input"])
        .arg(format!("a={}", big.display()))
        .arg("--out")
        .arg(&out)
        .args(["--threads", "1", "--memory-limit", "64K", "--no-sync", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        let caught = temp_files(dir)
            .iter()
            .any(|n| std::fs::metadata(dir.join(n)).is_ok_and(|m| m.len() > 1 << 20));
        if caught {
            break;
        }
        if child.try_wait().unwrap().is_some() || t0.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    during(child.id());
    let o = child.wait_with_output().unwrap();
    if o.status.success() {
        return None;
    }
    assert!(
        !out.exists(),
        "a partial result was left under the final name"
    );
    Some(o)
}

#[test]
fn ctrl_c_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = create(d, "big.npy", "8192x1024", &[]);
    for signal in ["-INT", "-TERM"] {
        let kill = |pid: u32| {
            let st = std::process::Command::new("kill")
                .args([signal, &pid.to_string()])
                .status()
                .unwrap();
            assert!(st.success());
        };
        let o = (0..5)
            .find_map(|_| while_writing(d, &big, kill))
            .expect("the evaluation always finished before it could be interrupted");
        assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
        assert!(stderr(&o).contains("interrupted; "), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("r.npy was not created"),
            "{}",
            stderr(&o)
        );
        assert!(temp_files(d).is_empty(), "{:?}", temp_files(d));
    }
}

/// An input cut short while it is being read: the next band finds it shorter than its
/// header says, or the page being read is gone (SIGBUS); either way one error line
/// naming it, and no output.
#[test]
fn an_input_truncated_while_read_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = create(d, "big.npy", "8192x1024", &[]);
    let header = NpyFile::open(&big).unwrap().header().data_offset;
    let cut = |_pid: u32| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&big)
            .unwrap()
            .set_len(header)
            .unwrap()
    };
    let o = (0..5)
        .find_map(|_| {
            // Restore the file for another try.
            std::fs::OpenOptions::new()
                .write(true)
                .open(&big)
                .unwrap()
                .set_len(header + 8192 * 1024 * 8)
                .unwrap();
            while_writing(d, &big, cut)
        })
        .expect("the evaluation always finished before the input could be cut");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(big.to_str().unwrap()), "{err}");
    assert!(
        err.contains("file size does not match header")
            || err.contains("a page of the memory-mapped file could not be read"),
        "{err}"
    );
    assert!(temp_files(d).is_empty());
}

/// A 1 MiB tmpfs mounted on a new directory, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount() -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let st = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1M", "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success(), "cannot mount a tmpfs (not root?)");
        Tmpfs(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

/// A sparse input on a full tmpfs: its holes cannot be mapped, but read as zeros.
#[test]
#[ignore = "needs root: mounts a 1 MiB tmpfs"]
fn a_sparse_input_on_a_full_tmpfs_is_an_error_suggesting_pread() {
    let mnt = Tmpfs::mount();
    let f = create(mnt.path(), "sparse.npy", "4000000", &[]);
    let _ = std::fs::write(mnt.path().join("filler"), vec![1u8; 2 << 20]);
    let ia = format!("a={}", f.display());
    for io in ["mmap", "mmap-populate"] {
        let o = run("sum(a + 1)", &["--input", &ia, "--io", io]);
        one_line_error(
            &o,
            &[f.to_str().unwrap(), "could not be read", "--io pread"],
        );
    }
    let o = run("sum(a + 1)", &["--input", &ia, "--io", "pread"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "result: 4000000\n");
}

/// An output that fills its file system half way: one error line naming it, and no
/// temporary left.
#[test]
#[ignore = "needs root: mounts a 1 MiB tmpfs"]
fn a_full_disk_is_an_error_naming_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let a = create(dir.path(), "a.npy", "1000x500", &["--fill", "random"]);
    let mnt = Tmpfs::mount();
    let out = mnt.path().join("r.npy");
    let ia = format!("a={}", a.display());
    let o = run(
        "a*2",
        &[
            "--input",
            &ia,
            "--out",
            out.to_str().unwrap(),
            "--memory-limit",
            "256K",
        ],
    );
    one_line_error(&o, &[out.to_str().unwrap(), "No space left on device"]);
    let left: Vec<_> = std::fs::read_dir(mnt.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The peak resident memory (VmHWM, reported by the process) of `hpcrs expr ARGS`.
fn peak(text: &str, args: &[&str]) -> u64 {
    let o = run(text, &[args, &["--report-rss", "-q"]].concat());
    assert!(o.status.success(), "{text}: {}", stderr(&o));
    crate::util::reported_peak_rss(&stderr(&o))
}

/// Two 48 MiB inputs, twelve times the 8 MiB limit: the peak resident set of every kind
/// of evaluation exceeds that of the same evaluation over a small input by less than
/// the limit.
#[test]
fn peak_rss_stays_under_the_limit() {
    const LIMIT: u64 = 8 << 20;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made = |set: [(&'static str, &str, &str); 2]| -> Vec<(&'static str, PathBuf)> {
        set.iter()
            .map(|(n, f, shape)| (*n, create(d, f, shape, &["--fill", "random"])))
            .collect()
    };
    let small = made([("a", "sa.npy", "16x16"), ("b", "sb.npy", "16x16")]);
    // Rows of 4 KiB: a block of the engine along axis 0 (1024 rows, what a reduction
    // along axis 0 reads at least at once) is half the limit.
    let big = made([("a", "ba.npy", "12288x512"), ("b", "bb.npy", "12288x512")]);
    let out = d.join("r.npy");
    let limit = LIMIT.to_string();
    for text in [
        "a*b + 1",
        "a[1,0] + a[-1,0] - 2*b",
        "sum(a*b)",
        "sum(a, axis=0)",
        "sum(a*b, axis=1)",
    ] {
        let used = expr::variables(text).unwrap();
        for io in ["mmap", "pread"] {
            let run_on = |files: &[(&str, PathBuf)]| {
                let mut args: Vec<String> = files
                    .iter()
                    .filter(|(n, _)| used.iter().any(|(u, _)| u == n))
                    .flat_map(|(n, p)| input(n, p))
                    .collect();
                args.extend(["--memory-limit", &limit, "--io", io, "--no-sync"].map(String::from));
                args.extend(["--out".into(), out.display().to_string()]);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                peak(text, &args)
            };
            let base = run_on(&small);
            let used = run_on(&big);
            eprintln!("{text} --io {io}: baseline {base}, 2 x 48 MiB {used}");
            assert!(
                used < base + LIMIT,
                "{text} --io {io}: peak {used} vs baseline {base} + limit {LIMIT}"
            );
        }
    }
}
