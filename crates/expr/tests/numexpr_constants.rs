//! Constants follow numexpr's rules, checked against numexpr itself.
//!
//! numexpr hands the text to Python, so operations on literals alone are
//! Python's (exact integers, true division, `2**-1` is 0.5, `1/0` an
//! error), and the value that results is typed by numexpr (`i32` when an
//! integer fits, else `i64`). `numexpr_constants.tsv` holds, for each
//! expression of the table, what numexpr 2.14.2 (numpy 2.4) answers with
//! `a` = `arange(10)` as int64, `b` the same as int32 and `x` =
//! `arange(10)/4`: `OK`, the dtype and the values, or `ERR` and Python's
//! exception. [`recorded_answers_match`] compares with the recorded
//! answers; [`numexpr_agrees`] asks numexpr afresh (run it with
//! `PYTHON=/path/to/python cargo test -p hpcrs-expr --test
//! numexpr_constants -- --ignored`).

mod support;

use expr::{evaluate, Arg, Array, Complex64, DType};
use ndarray::Array1;

/// The recorded answers, one expression per line.
const RECORDED: &str = include_str!("numexpr_constants.tsv");

/// Evaluates each expression read from standard input with numexpr and
/// prints its answer in the format of `numexpr_constants.tsv`.
const NUMEXPR_SCRIPT: &str = r#"
import sys
import numpy as np
import numexpr as ne
a = np.arange(10, dtype=np.int64)
b = np.arange(10, dtype=np.int32)
x = np.arange(10, dtype=np.float64) / 4
for e in sys.stdin.read().splitlines():
    try:
        r = np.asarray(ne.evaluate(e, local_dict={'a': a, 'b': b, 'x': x}))
        vals = [complex(v) for v in r.ravel()] if r.dtype.kind == 'c' else r.ravel().tolist()
        def fmt(v):
            if isinstance(v, complex): return f"{v.real!r}:{v.imag!r}"
            if isinstance(v, bool): return str(int(v))
            return repr(v)
        print(f"{e}\tOK\t{r.dtype.name}\t{','.join(fmt(v) for v in vals)}")
    except Exception as ex:
        print(f"{e}\tERR\t{type(ex).__name__}\t{ex}")
"#;

/// One element of a result.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(i64),
    Float(f64),
    Complex(f64, f64),
}

/// Whether two floats agree: the same, both NaN, or within a few units in
/// the last place (numexpr rewrites some array operations, e.g. a
/// division by a constant into a product).
fn close(a: f64, b: f64) -> bool {
    a == b
        || (a.is_nan() && b.is_nan())
        || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (*self, *other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => close(a, b),
            (Value::Complex(a, b), Value::Complex(c, d)) => close(a, c) && close(b, d),
            _ => false,
        }
    }
}

/// An answer: a dtype and values, or an error.
#[derive(Debug, PartialEq)]
enum Answer {
    Ok(DType, Vec<Value>),
    Err(String),
}

/// Parses one line of numexpr's answers into the expression and answer.
fn parse_line(line: &str) -> (String, Answer) {
    let fields: Vec<&str> = line.split('\t').collect();
    let (text, status, kind) = (fields[0], fields[1], fields[2]);
    if status == "ERR" {
        return (text.to_string(), Answer::Err(kind.to_string()));
    }
    let dt = DType::parse(kind).unwrap_or_else(|| panic!("dtype {kind}"));
    let values = fields[3]
        .split(',')
        .map(|v| match dt {
            DType::Bool | DType::I32 | DType::I64 => Value::Int(v.parse().unwrap()),
            DType::F32 | DType::F64 => Value::Float(v.parse().unwrap()),
            DType::C128 => {
                let (re, im) = v.split_once(':').unwrap();
                Value::Complex(re.parse().unwrap(), im.parse().unwrap())
            }
        })
        .collect();
    (text.to_string(), Answer::Ok(dt, values))
}

/// This crate's answer for `text`, on the inputs of the table.
fn ours(text: &str) -> Answer {
    let a = Array1::from_iter(0..10i64);
    let b = Array1::from_iter(0..10i32);
    let x = Array1::from_iter((0..10).map(|k| k as f64 / 4.0));
    let inputs: Vec<(&str, Arg)> = vec![("a", (&a).into()), ("b", (&b).into()), ("x", (&x).into())];
    match evaluate(text, &inputs) {
        Ok(r) => {
            let dt = r.dtype();
            let values = match r {
                Array::Bool(v) => v.iter().map(|&b| Value::Int(b as i64)).collect(),
                Array::I32(v) => v.iter().map(|&i| Value::Int(i as i64)).collect(),
                Array::I64(v) => v.iter().map(|&i| Value::Int(i)).collect(),
                Array::F32(v) => v.iter().map(|&f| Value::Float(f as f64)).collect(),
                Array::F64(v) => v.iter().map(|&f| Value::Float(f)).collect(),
                Array::C128(v) => v
                    .iter()
                    .map(|z: &Complex64| Value::Complex(z.re, z.im))
                    .collect(),
            };
            Answer::Ok(dt, values)
        }
        Err(e) => Answer::Err(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

/// Compares this crate's answers with numexpr's, one line per expression
/// (an error matches an error; the messages differ).
fn compare(answers: &str) {
    let mut wrong = Vec::new();
    let mut n = 0;
    for line in answers.lines().filter(|l| !l.is_empty()) {
        let (text, want) = parse_line(line);
        let got = ours(&text);
        let agree = match (&want, &got) {
            (Answer::Err(_), Answer::Err(_)) => true,
            (want, got) => want == got,
        };
        if !agree {
            wrong.push(format!("{text}: numexpr {want:?}, ours {got:?}"));
        }
        n += 1;
    }
    assert!(n >= 30, "the table has {n} expressions");
    assert!(
        wrong.is_empty(),
        "{} of {n} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn recorded_answers_match() {
    compare(RECORDED);
}

#[test]
fn integer_powers_of_integers_name_numexprs_rule() {
    let a = Array1::from_iter(0..10i64);
    for text in ["a**-1", "a**(0-1)", "a**-70"] {
        let e = evaluate(text, &[("a", (&a).into())]).unwrap_err();
        assert!(
            e.to_string()
                .contains("Integers to negative integer powers are not allowed"),
            "{e}"
        );
    }
}

#[test]
fn a_dropped_branch_reads_nothing() {
    // The branch a constant condition drops neither needs its inputs nor
    // shapes the result: here its offsets do not shrink the interior.
    let a = Array1::from_iter(0..5i64);
    let e = expr::Expr::compile(
        "where(1 < 2, a, a[1] + u)",
        &[("a", DType::I64), ("u", DType::F64)],
    )
    .unwrap();
    assert_eq!(e.input_names(), vec!["a"]);
    assert!(!e.has_offsets());
    let r = e.eval_new(&[("a", (&a).into())]).unwrap();
    assert_eq!(
        r.into_typed::<i64>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    // A dropped branch holding a dropped branch: each input is dropped once.
    let e = expr::Expr::compile(
        "where(True, a, where(False, u, a[1]) + where(True, u, a))",
        &[("a", DType::I64), ("u", DType::F64)],
    )
    .unwrap();
    assert_eq!(e.input_names(), vec!["a"]);
    assert!(!e.has_offsets());
}

#[test]
#[ignore = "needs numexpr in $PYTHON"]
fn numexpr_agrees() {
    let exprs: String = RECORDED
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(|e| format!("{e}\n"))
        .collect();
    let out = support::python_output(NUMEXPR_SCRIPT, &[], exprs.as_bytes(), "numexpr");
    let fresh = String::from_utf8(out).unwrap();
    compare(&fresh);
}
