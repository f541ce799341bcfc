//! `ooc::eval::evaluate` gives bit for bit what `expr::evaluate` gives on the same arrays
//! in memory, for every dtype, byte order and storage order, every kind of expression
//! (elementwise, stencil, reductions over everything and along each axis), every I/O
//! mode, and memory limits small enough that every band is a few rows.

use std::path::{Path, PathBuf};

use expr::{Arg, Array};
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use ooc::eval::{evaluate, Output};
use ooc::{ByteOrder, Control, DType, Header, IoMode, NpyFile, OocError, Threads};
use proptest::prelude::*;

/// An input: its stored type and order, and its values (as `f64`, cast when stored).
struct Stored {
    dtype: DType,
    order: ByteOrder,
    fortran: bool,
    shape: Vec<usize>,
    values: Vec<f64>,
}

impl Stored {
    /// The values in C order of the logical array, as the stored type would read them.
    fn element(&self, i: usize) -> f64 {
        let v = self.values[i % self.values.len()];
        match self.dtype {
            DType::F64 => v,
            DType::F32 => v as f32 as f64,
            DType::I64 | DType::I32 => v.trunc(),
            DType::U8 => (v.abs() as u64 % 256) as f64,
            DType::Bool => (v > 0.0) as u8 as f64,
        }
    }

    /// Writes the file: header, then the elements in storage order.
    fn write(&self, path: &Path) {
        let mut h = Header::new(self.dtype, self.shape.clone(), self.fortran);
        h.byte_order = self.order;
        let mut bytes = h.to_bytes();
        let len: usize = self.shape.iter().product();
        for k in 0..len {
            let v = self.element(self.logical(k));
            let mut b: Vec<u8> = match self.dtype {
                DType::F64 => v.to_le_bytes().to_vec(),
                DType::F32 => (v as f32).to_le_bytes().to_vec(),
                DType::I64 => (v as i64).to_le_bytes().to_vec(),
                DType::I32 => (v as i32).to_le_bytes().to_vec(),
                DType::U8 => vec![v as u8],
                // A numpy bool is any non-zero byte: store `True` as 7 now and then.
                DType::Bool => vec![if v != 0.0 { 1 + (k % 2) as u8 * 6 } else { 0 }],
            };
            if self.order == ByteOrder::Big {
                b.reverse();
            }
            bytes.extend(b);
        }
        std::fs::write(path, bytes).unwrap();
    }

    /// The C-order index of the element stored `k`-th.
    fn logical(&self, k: usize) -> usize {
        if !self.fortran {
            return k;
        }
        let mut idx = vec![0; self.shape.len()];
        let mut r = k;
        for (i, &d) in idx.iter_mut().zip(&self.shape) {
            *i = r % d;
            r /= d;
        }
        idx.iter()
            .zip(&self.shape)
            .fold(0, |acc, (&i, &d)| acc * d + i)
    }

    /// The array in memory, as the engine's type, in the file's storage order.
    fn in_memory(&self) -> Array {
        let len: usize = self.shape.iter().product();
        let dim = if self.fortran {
            IxDyn(&self.shape).f()
        } else {
            IxDyn(&self.shape).into_shape_with_order()
        };
        // Values in the memory order of `dim`.
        let stored: Vec<f64> = (0..len).map(|k| self.element(self.logical(k))).collect();
        macro_rules! arr {
            ($f:expr) => {
                ArrayD::from_shape_vec(dim, stored.iter().map($f).collect()).unwrap()
            };
        }
        match self.dtype {
            DType::F64 => Array::F64(arr!(|&v| v)),
            DType::F32 => Array::F32(arr!(|&v| v as f32)),
            DType::I64 => Array::I64(arr!(|&v| v as i64)),
            DType::I32 | DType::U8 => Array::I32(arr!(|&v| v as i32)),
            DType::Bool => Array::Bool(arr!(|&v| v != 0.0)),
        }
    }
}

/// The data bytes of a result array (standard layout).
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

/// Evaluates `text` over `inputs` both ways and checks that they agree bit for bit,
/// through the output file and the returned value.
fn agree(text: &str, inputs: &[(&str, Stored)], limit: u64, io: IoMode) {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = inputs
        .iter()
        .map(|(n, s)| {
            let p = dir.path().join(format!("{n}.npy"));
            s.write(&p);
            p
        })
        .collect();
    let files: Vec<NpyFile> = paths.iter().map(|p| NpyFile::open(p).unwrap()).collect();
    let named: Vec<(&str, &NpyFile)> = inputs.iter().map(|(n, _)| *n).zip(&files).collect();
    let mem: Vec<Array> = inputs.iter().map(|(_, s)| s.in_memory()).collect();
    let args: Vec<(&str, Arg)> = inputs
        .iter()
        .map(|(n, _)| *n)
        .zip(mem.iter().map(Arg::from))
        .collect();
    let want = expr::evaluate(text, &args).unwrap();
    let out = dir.path().join("r.npy");
    // A limit too small for the smallest band is refused: the smallest limit accepted,
    // doubling from `limit`, is the one tested.
    let mut limit = limit;
    let (got, what) = loop {
        let ctl = Control {
            memory_limit: limit,
            threads: Threads::Exactly(2),
            io,
            ..Control::default()
        };
        let what = format!("{text} (limit {limit}, {io:?})");
        let o = Some(Output {
            path: &out,
            sync: false,
        });
        match evaluate(text, &named, o, &ctl) {
            Ok(got) => break (got, what),
            Err(OocError::Invalid(e)) if e.contains("more than the memory limit") => {
                assert!(limit < 1 << 30, "{what}: {e}");
                limit *= 2;
            }
            Err(e) => panic!("{what}: {e}"),
        }
    };
    assert_eq!(got.shape, want.shape(), "{what}");
    assert_eq!(got.dtype, want.dtype(), "{what}");
    let r = NpyFile::open(&out).unwrap();
    assert_eq!(r.shape(), want.shape(), "{what}");
    let data = std::fs::read(&out).unwrap();
    let data = &data[r.header().data_offset as usize..];
    assert!(
        data == bytes(&want),
        "{what}: the file differs from expr::evaluate"
    );
    if want.shape().is_empty() {
        assert_eq!(got.value, want.single(), "{what}");
    }
    // Nothing else is left in the directory: no temporary.
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(left, inputs.len() + 1, "{what}");
}

fn stored(dtype: DType, shape: &[usize], values: &[f64]) -> Stored {
    Stored {
        dtype,
        order: ByteOrder::NATIVE,
        fortran: false,
        shape: shape.to_vec(),
        values: values.to_vec(),
    }
}

/// `name[o,0,...]` for `nd` axes.
fn at(name: &str, o: i64, nd: usize) -> String {
    let mut offs = vec![o.to_string()];
    offs.resize(nd, "0".into());
    format!("{name}[{}]", offs.join(","))
}

/// Expressions over `nd`-D inputs `a` and `b` of a numeric type and a 0-d `k`.
fn numeric_texts(nd: usize) -> Vec<String> {
    let mut t: Vec<String> = vec![
        "a*b + 1".into(),
        "where(a < b, a - k, b)".into(),
        "sum(a*b + k)".into(),
        "product(a*0.001 + 1)".into(),
        "min(a - b)".into(),
        "max(b*k, axis=0)".into(),
        "sum(a - b, axis=0)".into(),
        format!("{} + 2*b - {}", at("a", 2, nd), at("a", -1, nd)),
        format!("sum({} * b)", at("a", -1, nd)),
        format!("sum({} - a, axis=0)", at("b", 1, nd)),
    ];
    if nd > 1 {
        t.push(format!("sum(a*k, axis={})", nd - 1));
        t.push(format!("product(b*0.01 + 1, axis={})", -(nd as i64) + 1));
        let mut offs = vec!["0".to_string(); nd];
        offs[nd - 1] = "1".into();
        t.push(format!("a[{}] - b", offs.join(",")));
    }
    t
}

fn shapes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        (4usize..3000).prop_map(|n| vec![n]),
        (4usize..120, 2usize..80).prop_map(|(a, b)| vec![a, b]),
        (4usize..30, 2usize..7, 2usize..70).prop_map(|(a, b, c)| vec![a, b, c]),
    ]
}

fn dtypes() -> impl Strategy<Value = DType> {
    prop_oneof![
        Just(DType::F64),
        Just(DType::F32),
        Just(DType::I64),
        Just(DType::I32),
        Just(DType::U8),
    ]
}

fn io_modes() -> impl Strategy<Value = IoMode> {
    prop_oneof![
        Just(IoMode::Mmap),
        Just(IoMode::Pread),
        Just(IoMode::MmapPopulate)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn files_agree_with_memory(
        shape in shapes(),
        values in prop::collection::vec(-300.0f64..300.0, 1..100),
        (da, db) in (dtypes(), dtypes()),
        (big, fortran) in (any::<bool>(), any::<bool>()),
        limit in prop_oneof![Just(64u64 << 10), Just(256 << 10), Just(64 << 20)],
        io in io_modes(),
    ) {
        let rev: Vec<f64> = values.iter().rev().map(|v| v * 0.5).collect();
        let mut a = stored(da, &shape, &values);
        a.order = if big { ByteOrder::Big } else { ByteOrder::Little };
        a.fortran = fortran;
        let b = stored(db, &shape, &rev);
        let k = stored(DType::F32, &[], &[1.5]);
        let inputs = [("a", a), ("b", b), ("k", k)];
        for text in numeric_texts(shape.len()) {
            let used: Vec<&str> = expr::variables(&text).unwrap().iter()
                .map(|(n, _)| match n.as_str() { "a" => "a", "b" => "b", _ => "k" }).collect();
            let picked: Vec<(&str, Stored)> = inputs.iter()
                .filter(|(n, _)| used.contains(n))
                .map(|(n, s)| (*n, Stored { values: s.values.clone(), shape: s.shape.clone(), ..*s }))
                .collect();
            agree(&text, &picked, limit, io);
        }
    }
}

#[test]
fn bools_of_any_byte_are_true() {
    let a = stored(DType::Bool, &[50, 40], &[1.0, -1.0, 0.5, 0.0, 2.0]);
    let b = stored(DType::Bool, &[50, 40], &[-1.0, 1.0, 1.0]);
    for text in [
        "a & b",
        "a | ~b",
        "sum(a & b)",
        "sum(a, axis=1)",
        "where(a, 1, 2)",
    ] {
        let inputs = [("a", Stored { ..clone(&a) }), ("b", clone(&b))];
        let used = expr::variables(text).unwrap();
        let picked: Vec<(&str, Stored)> = inputs
            .into_iter()
            .filter(|(n, _)| used.iter().any(|(u, _)| u == n))
            .collect();
        agree(text, &picked, 64 << 10, IoMode::Mmap);
    }
}

fn clone(s: &Stored) -> Stored {
    Stored {
        values: s.values.clone(),
        shape: s.shape.clone(),
        ..*s
    }
}

#[test]
fn only_scalars_and_empty_arrays() {
    let k = stored(DType::F64, &[], &[2.5]);
    agree("k*k + 1", &[("k", clone(&k))], 1 << 20, IoMode::Mmap);
    let e = stored(DType::F64, &[0, 7], &[1.0]);
    for text in [
        "a + 1",
        "sum(a)",
        "product(a)",
        "sum(a, axis=1)",
        "sum(a, axis=0)",
    ] {
        agree(text, &[("a", clone(&e))], 1 << 20, IoMode::Mmap);
    }
}

/// Inputs whose data does not start on an element boundary are copied, not viewed.
#[test]
fn unaligned_data_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("odd.npy");
    // A version 1.0 header padded to 75 bytes: the data starts at an odd offset.
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (300,), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let hlen = 75 - 10;
    bytes.extend((hlen as u16).to_le_bytes());
    bytes.extend(dict.as_bytes());
    bytes.resize(74, b' ');
    bytes.push(b'\n');
    for i in 0..300 {
        bytes.extend((i as f64 * 0.25).to_le_bytes());
    }
    std::fs::write(&p, bytes).unwrap();
    let f = NpyFile::open(&p).unwrap();
    assert_eq!(f.header().data_offset, 75);
    for io in [IoMode::Mmap, IoMode::Pread] {
        let ctl = Control {
            io,
            ..Control::default()
        };
        let got = evaluate("sum(a)", &[("a", &f)], None, &ctl).unwrap();
        assert_eq!(got.value.unwrap().as_f64(), 0.25 * (299.0 * 300.0 / 2.0));
    }
}

/// Inputs broadcast by numpy's rule: elementwise and along axes other than 0, an input
/// without axis 0 (or of length 1 there) is read whole and the others band by band.
#[test]
fn broadcast_inputs() {
    let a = stored(DType::F64, &[37, 50], &[1.5, -2.0, 0.25, 7.0]);
    let c = stored(DType::F32, &[50], &[0.5, 3.0, -1.0]);
    let w = stored(DType::I32, &[37, 1], &[2.0, -3.0]);
    let q = stored(DType::U8, &[1, 50], &[9.0, 200.0, 4.0]);
    let all = [("a", a), ("c", c), ("w", w), ("q", q)];
    for text in [
        "a + c",
        "a*w - q",
        "where(a < c, w, q)",
        "sum(a*c, axis=1)",
        "max(w + q, axis=-1)",
        "c*2",
    ] {
        let used = expr::variables(text).unwrap();
        for io in [IoMode::Mmap, IoMode::Pread] {
            let picked: Vec<(&str, Stored)> = all
                .iter()
                .filter(|(n, _)| used.iter().any(|(u, _)| u == n))
                .map(|(n, s)| (*n, clone(s)))
                .collect();
            agree(text, &picked, 64 << 10, io);
        }
    }
}

/// What cannot be broadcast: shapes that disagree, and reductions along axis 0, whose
/// steps read the same rows of every input.
#[test]
fn broadcasting_errors_name_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, shape: &[usize]| {
        let p = dir.path().join(name);
        stored(DType::F64, shape, &[1.0]).write(&p);
        NpyFile::open(&p).unwrap()
    };
    let (a, c, d) = (
        write("a.npy", &[37, 50]),
        write("c.npy", &[50]),
        write("d.npy", &[49]),
    );
    let ctl = Control::default();
    let err = evaluate("a + d", &[("a", &a), ("d", &d)], None, &ctl).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("d.npy") && msg.contains("a.npy") && msg.contains("[49]"),
        "{msg}"
    );
    for text in ["sum(a*c)", "sum(a*c, axis=0)", "min(a - c, axis=-2)"] {
        let err = evaluate(text, &[("a", &a), ("c", &c)], None, &ctl).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("c.npy") && msg.contains("axis 0"),
            "{text}: {msg}"
        );
    }
}

/// An expression of constants alone needs no input.
#[test]
fn no_input_at_all() {
    let got = evaluate("2**10 + 1", &[], None, &Control::default()).unwrap();
    assert_eq!(got.value, Some(expr::Scalar::I32(1025)));
    assert!(got.shape.is_empty());
}
