//! numexpr's functions, operators, powers and reductions, checked against
//! numexpr itself (and numpy where this crate follows numpy on purpose, as
//! the crate doc lists) on edge-value grids: every pair of signed zeros,
//! halves, subnormals, the largest numbers, infinities and NaNs of both
//! signs, the extreme integers, and complex numbers made of such parts.
//!
//! Each case is an expression, the reference that judges it and the units
//! in the last place a float may differ by; an answer agrees when numexpr
//! (or numpy) gives the same dtype and the same values (NaN matching NaN,
//! signed zeros told apart), or when both refuse the expression. Run it
//! with `PYTHON=/path/to/python cargo test -p hpcrs-expr --test
//! numexpr_functions -- --ignored`.

mod support;

use expr::{evaluate, Arg, Array, Complex64, DType};
use ndarray::Array1;

/// The inputs, built alike by the script below and by [`inputs`].
const NUMEXPR_SCRIPT: &str = r#"
import sys, warnings
import numpy as np
import numexpr as ne
warnings.simplefilter("ignore")
inf, nan = float("inf"), float("nan")
E = [0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1.0, -1.0, 3.7, -3.7, 1e-310, -1e-310,
     5e-324, 2.2250738585072014e-308, 1e300, -1e300, 1.7976931348623157e308,
     -1.7976931348623157e308, 4503599627370497.0, inf, -inf, nan, -nan]
IE = [-7, -2, -1, 0, 1, 2, 7, 2**31 - 1, -2**31]
LE = [-7, -2, -1, 0, 1, 2, 7, 2**62, 2**63 - 1, -2**63]
ZE = [0.0, -0.0, 1.0, -2.0, 2.5, inf, -inf, nan, 1e300, 5e-324]
pair = lambda v, t: (np.repeat(np.array(v, dtype=t), len(v)), np.tile(np.array(v, dtype=t), len(v)))
x, y = pair(E, np.float64)
f, g = pair(E, np.float32)
i, j = pair(IE, np.int32)
l, m = pair(LE, np.int64)
b = np.array([False, False, True, True])
c = np.array([False, True, False, True])
zr, zi = pair(ZE, np.float64)
z = np.empty(len(zr), dtype=np.complex128)
z.real, z.imag = zr, zi
p = np.arange(20, dtype=np.int64)
q = (np.arange(20) * 0.75).astype(np.float32)
env = dict(x=x, y=y, f=f, g=g, i=i, j=j, l=l, m=m, b=b, c=c, z=z, p=p, q=q)
numpy_names = dict(min=np.min, max=np.max, sum=np.sum, prod=np.prod, sign=np.sign,
                   abs=np.abs, log2=np.log2)
def fmt(v):
    if isinstance(v, complex): return f"{v.real!r}:{v.imag!r}"
    if isinstance(v, bool): return str(int(v))
    return repr(v)
for line in sys.stdin.read().splitlines():
    ref, e = line.split("\t")
    try:
        if ref == "numexpr":
            r = np.asarray(ne.evaluate(e, local_dict=env))
        else:
            r = np.asarray(eval(e, dict(numpy_names), env))
            if ">" in ref:
                r = r.astype(ref.split(">")[1])
        vals = [complex(v) for v in r.ravel()] if r.dtype.kind == "c" else r.ravel().tolist()
        print(f"{e}\tOK\t{r.dtype.name}\t{','.join(fmt(v) for v in vals)}")
    except Exception as ex:
        print(f"{e}\tERR\t{type(ex).__name__}\t{ex}")
"#;

/// Edge values of `f64` (the script's `E`).
fn edges() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        2.5,
        -2.5,
        1.0,
        -1.0,
        3.7,
        -3.7,
        1e-310,
        -1e-310,
        5e-324,
        f64::MIN_POSITIVE,
        1e300,
        -1e300,
        f64::MAX,
        f64::MIN,
        4503599627370497.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
    ]
}

/// Every pair of `v`: the first elements repeated, the second tiled.
fn pair<T: Copy>(v: &[T]) -> (Array1<T>, Array1<T>) {
    let first = v.iter().flat_map(|&a| v.iter().map(move |_| a)).collect();
    let second = v.iter().flat_map(|_| v.iter().copied()).collect();
    (Array1::from_vec(first), Array1::from_vec(second))
}

fn into_dyn<T>(a: Array1<T>) -> ndarray::ArrayD<T> {
    a.into_dyn()
}

/// The script's inputs, by name.
fn inputs() -> Vec<(&'static str, Array)> {
    let (x, y) = pair(&edges());
    let e32: Vec<f32> = edges().iter().map(|&v| v as f32).collect();
    let (f, g) = pair(&e32);
    let (i, j) = pair(&[-7, -2, -1, 0, 1, 2, 7, i32::MAX, i32::MIN]);
    let (l, m) = pair(&[-7, -2, -1, 0, 1, 2, 7, 1 << 62, i64::MAX, i64::MIN]);
    let parts = [
        0.0,
        -0.0,
        1.0,
        -2.0,
        2.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e300,
        5e-324,
    ];
    let (zr, zi) = pair(&parts);
    let z = zr
        .iter()
        .zip(&zi)
        .map(|(&re, &im)| Complex64::new(re, im))
        .collect();
    vec![
        ("x", Array::F64(into_dyn(x))),
        ("y", Array::F64(into_dyn(y))),
        ("f", Array::F32(into_dyn(f))),
        ("g", Array::F32(into_dyn(g))),
        ("i", Array::I32(into_dyn(i))),
        ("j", Array::I32(into_dyn(j))),
        ("l", Array::I64(into_dyn(l))),
        ("m", Array::I64(into_dyn(m))),
        (
            "b",
            Array::Bool(into_dyn(Array1::from_vec(vec![false, false, true, true]))),
        ),
        (
            "c",
            Array::Bool(into_dyn(Array1::from_vec(vec![false, true, false, true]))),
        ),
        ("z", Array::C128(into_dyn(Array1::from_vec(z)))),
        ("p", Array::I64(into_dyn(Array1::from_iter(0..20i64)))),
        (
            "q",
            Array::F32(into_dyn(Array1::from_iter(
                (0..20).map(|k| k as f32 * 0.75),
            ))),
        ),
    ]
}

/// What judges a case.
#[derive(Clone, Copy)]
enum Reference {
    /// numexpr.
    Numexpr,
    /// numpy, where this crate follows it (see the crate doc).
    Numpy,
    /// numpy's values cast to complex (numexpr's type for `abs(z)`).
    NumpyComplex,
}

/// The cases: (expression, reference, units in the last place allowed).
fn cases() -> Vec<(String, Reference, u64)> {
    use Reference::*;
    let mut cases = Vec::new();
    let singles = ["x", "f", "i", "l", "b", "z"];
    let one = [
        "copy",
        "ones_like",
        "round",
        "sign",
        "floor",
        "ceil",
        "trunc",
        "log2",
        "isnan",
        "isfinite",
        "isinf",
        "signbit",
        "abs",
        "conj",
        "real",
        "imag",
    ];
    for func in one {
        for v in singles {
            let reference = match (func, v) {
                // numexpr's complex `sign` and `abs` overflow past 1e154
                // (|z| as sqrt(re² + im²)); its `log2` is its own.
                ("sign" | "log2", "z") => Numpy,
                ("abs", "z") => NumpyComplex,
                _ => Numexpr,
            };
            let ulps = if func == "log2" { 1 } else { 0 };
            cases.push((format!("{func}({v})"), reference, ulps));
        }
    }
    for v in singles {
        cases.push((format!("{v}.real + 2*{v}.imag"), Numexpr, 0));
    }
    let pairs = [
        ("x", "y"),
        ("f", "g"),
        ("i", "j"),
        ("l", "m"),
        ("b", "c"),
        ("z", "z"),
    ];
    let two = [
        "fmod",
        "hypot",
        "nextafter",
        "copysign",
        "maximum",
        "minimum",
        "arctan2",
    ];
    for func in two {
        for (a, b) in pairs {
            cases.push((format!("{func}({a}, {b})"), Numexpr, 0));
        }
    }
    for (a, b) in pairs {
        // numexpr's float `//` is floor(a / b); its integer `//` faults on
        // MIN // -1. numpy's is the floor of the exact quotient.
        let floor_ref = if matches!(a, "b" | "z") {
            Numexpr
        } else {
            Numpy
        };
        cases.push((format!("{a} // {b}"), floor_ref, 0));
        for op in ["^", "*", "+", "/"] {
            // Complex division is numpy's here (Smith's method), not numexpr's.
            if (a, op) != ("z", "/") {
                cases.push((format!("{a} {op} {b}"), Numexpr, 0));
            }
        }
    }
    let exponents = [
        "-7", "-2.5", "-1.5", "-1.3", "-.5", "0", "0.0", "1", "2", "2.3", "2.5", "3", "7", "50.5",
        "51",
    ];
    for e in exponents {
        for v in ["x", "q", "p"] {
            // numexpr and Rust call the same libm `pow`.
            let ulps = if matches!(e, "-1.3" | "2.3" | "50.5" | "51") {
                1
            } else {
                0
            };
            // numexpr's integer `pow` saturates where numpy's wraps, as
            // integer arithmetic does everywhere else.
            let reference = if (v, e) == ("p", "51") {
                Numpy
            } else {
                Numexpr
            };
            cases.push((format!("({v}+1)**{e}"), reference, ulps));
        }
    }
    for red in ["sum", "prod", "min", "max"] {
        for v in ["x", "f", "i", "l"] {
            // numexpr's min and max skip NaN and fail on i32, its sums of
            // i32 are i32: numpy's are this crate's.
            cases.push((format!("{red}({v})"), Numpy, 0));
            cases.push((format!("{red}({v} * 2, axis=0)"), Numpy, 0));
        }
    }
    cases
}

/// One element of a result.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(i64),
    Float(f64),
    Complex(f64, f64),
}

/// An answer: a dtype and values, or an error.
#[derive(Debug)]
enum Answer {
    Ok(DType, Vec<Value>),
    Err(String),
}

/// Whether two floats agree within `ulps` (NaN matches NaN; zeros of
/// different signs differ).
fn close(a: f64, b: f64, ulps: u64) -> bool {
    let key = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 {
            i64::MIN - bits
        } else {
            bits
        }
    };
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) || key(a).abs_diff(key(b)) <= ulps
}

fn agree(want: &Answer, got: &Answer, ulps: u64) -> bool {
    match (want, got) {
        (Answer::Err(_), Answer::Err(_)) => true,
        (Answer::Ok(dw, vw), Answer::Ok(dg, vg)) => {
            dw == dg
                && vw.len() == vg.len()
                && vw.iter().zip(vg).all(|(w, g)| match (*w, *g) {
                    (Value::Int(a), Value::Int(b)) => a == b,
                    (Value::Float(a), Value::Float(b)) => close(a, b, ulps),
                    (Value::Complex(a, b), Value::Complex(c, d)) => {
                        close(a, c, ulps) && close(b, d, ulps)
                    }
                    _ => false,
                })
        }
        _ => false,
    }
}

/// An answer as a failure message shows it.
fn describe(a: &Answer) -> String {
    match a {
        Answer::Ok(dt, values) => format!("{dt} {values:?}"),
        Answer::Err(e) => format!("error: {e}"),
    }
}

/// Parses one line of the script's answers.
fn parse_line(line: &str) -> (String, Answer) {
    let fields: Vec<&str> = line.split('\t').collect();
    let (text, status, kind) = (fields[0], fields[1], fields[2]);
    if status == "ERR" {
        return (text.to_string(), Answer::Err(kind.to_string()));
    }
    let dt = DType::parse(kind).unwrap_or_else(|| panic!("dtype {kind}"));
    let float = |v: &str| match v {
        "nan" => f64::NAN,
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("{v}")),
    };
    let values = fields[3]
        .split(',')
        .filter(|v| !v.is_empty())
        .map(|v| match dt {
            DType::Bool | DType::I32 | DType::I64 => Value::Int(v.parse().unwrap()),
            DType::F32 | DType::F64 => Value::Float(float(v)),
            DType::C128 => {
                let (re, im) = v.split_once(':').unwrap();
                Value::Complex(float(re), float(im))
            }
        })
        .collect();
    (text.to_string(), Answer::Ok(dt, values))
}

/// This crate's answer for `text`.
fn ours(text: &str, inputs: &[(&str, Array)]) -> Answer {
    let args: Vec<(&str, Arg)> = inputs.iter().map(|(n, a)| (*n, Arg::from(a))).collect();
    let used = expr::variables(text).expect("the cases parse");
    let args: Vec<(&str, Arg)> = args
        .into_iter()
        .filter(|(n, _)| used.iter().any(|(u, _)| u == n))
        .collect();
    match evaluate(text, &args) {
        Ok(r) => {
            let dt = r.dtype();
            let values = match r {
                Array::Bool(v) => v.iter().map(|&b| Value::Int(b as i64)).collect(),
                Array::I32(v) => v.iter().map(|&i| Value::Int(i as i64)).collect(),
                Array::I64(v) => v.iter().map(|&i| Value::Int(i)).collect(),
                Array::F32(v) => v.iter().map(|&f| Value::Float(f as f64)).collect(),
                Array::F64(v) => v.iter().map(|&f| Value::Float(f)).collect(),
                Array::C128(v) => v.iter().map(|z| Value::Complex(z.re, z.im)).collect(),
            };
            Answer::Ok(dt, values)
        }
        Err(e) => Answer::Err(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

#[test]
#[ignore = "needs numexpr in $PYTHON"]
fn numexpr_agrees_on_edge_grids() {
    let cases = cases();
    let request: String = cases
        .iter()
        .map(|(text, reference, _)| {
            let r = match reference {
                Reference::Numexpr => "numexpr",
                Reference::Numpy => "numpy",
                Reference::NumpyComplex => "numpy>complex128",
            };
            format!("{r}\t{text}\n")
        })
        .collect();
    let out = support::python_output(NUMEXPR_SCRIPT, &[], request.as_bytes(), "numpy and numexpr");
    let answers = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = answers.lines().collect();
    assert_eq!(lines.len(), cases.len(), "one answer per case");
    let inputs = inputs();
    let mut wrong = Vec::new();
    for ((text, _, ulps), line) in cases.iter().zip(lines) {
        let (echo, want) = parse_line(line);
        assert_eq!(&echo, text);
        let got = ours(text, &inputs);
        if !agree(&want, &got, *ulps) {
            wrong.push(format!(
                "{text}:\n  reference {}\n  ours      {}",
                describe(&want),
                describe(&got)
            ));
        }
    }
    assert!(cases.len() >= 250, "{} cases", cases.len());
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
