//! Byte strings: comparisons and `contains` of fixed-width byte strings
//! (inputs, literals, broadcast, strided) against the same tests in plain
//! Rust on the NUL-padded strings, numexpr's own string cases, the literal
//! syntax, and one clear error for everything strings do not take.

use expr::{evaluate, Arg, Array, CompileOptions, DType, Expr, ExprError, InputType};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, Axis, IxDyn, Slice};
use proptest::prelude::*;

/// `n` strings of `width` bytes from `bytes` (cycled), as a `[n, width]`
/// array: the layout `Arg::Bytes` reads.
fn strings(n: usize, width: usize, bytes: &[u8]) -> Array2<u8> {
    Array2::from_shape_fn((n, width), |(i, k)| {
        if bytes.is_empty() {
            0
        } else {
            bytes[(i * width + k) % bytes.len()]
        }
    })
}

/// `s` padded with NULs to `w` bytes.
fn padded(s: &[u8], w: usize) -> Vec<u8> {
    let mut v = s.to_vec();
    v.resize(w, 0);
    v
}

/// numpy's order of byte strings, computed on the strings padded to one
/// width.
fn numpy_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let w = a.len().max(b.len());
    padded(a, w).cmp(&padded(b, w))
}

/// numpy's `find(...) >= 0` on strings without their trailing NULs.
fn numpy_contains(h: &[u8], n: &[u8]) -> bool {
    let trim = |s: &[u8]| {
        let mut v = s.to_vec();
        while v.last() == Some(&0) {
            v.pop();
        }
        v
    };
    let (h, n) = (trim(h), trim(n));
    n.is_empty() || (0..=h.len().saturating_sub(n.len())).any(|i| h[i..].starts_with(&n))
}

fn bools(r: Array) -> ArrayD<bool> {
    r.into_typed::<bool>().expect("a bool result")
}

/// A byte of a small alphabet with NUL and a byte past ASCII, so that
/// equal prefixes, padding and unsigned order all occur.
fn byte() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![0u8, 0, b'a', b'b', b'c', 0xff])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn tests_of_strings_equal_rust_on_the_padded_strings(
        n in 0usize..40, wa in 0usize..6, wb in 0usize..6,
        ba in prop::collection::vec(byte(), 0..30), bb in prop::collection::vec(byte(), 0..30),
        rev in any::<bool>(),
    ) {
        let (a, b) = (strings(n, wa, &ba), strings(n, wb, &bb));
        // `a` reversed along its strings (a strided view).
        let av = if rev { a.slice_axis(Axis(0), Slice::new(0, None, -1)) } else { a.view() };
        let bv = b.view();
        let inputs = [("a", Arg::Bytes(av.into_dyn())), ("b", Arg::Bytes(bv.into_dyn()))];
        type Want = fn(&[u8], &[u8]) -> bool;
        let cases: [(&str, Want); 8] = [
            ("a < b", |x, y| numpy_cmp(x, y).is_lt()),
            ("a <= b", |x, y| numpy_cmp(x, y).is_le()),
            ("a == b", |x, y| numpy_cmp(x, y).is_eq()),
            ("a != b", |x, y| numpy_cmp(x, y).is_ne()),
            ("a >= b", |x, y| numpy_cmp(x, y).is_ge()),
            ("a > b", |x, y| numpy_cmp(x, y).is_gt()),
            ("contains(a, b)", numpy_contains),
            ("(a == b) | ~contains(b, a)", |x, y| numpy_cmp(x, y).is_eq() || !numpy_contains(y, x)),
        ];
        for (text, want) in cases {
            let r = bools(evaluate(text, &inputs).unwrap());
            prop_assert_eq!(r.shape(), &[n]);
            for i in 0..n {
                let (x, y) = (av.row(i).to_vec(), bv.row(i).to_vec());
                prop_assert_eq!(r[[i]], want(&x, &y), "{} on {:?} {:?}", text, x, y);
            }
        }
        // Against a literal, both ways round, and summed.
        let lit = b"ab\0";
        let r = bools(evaluate("a >= b'ab'", &inputs[..1]).unwrap());
        let count = evaluate("sum(b'ab' <= a)", &inputs[..1]).unwrap().into_typed::<i64>().unwrap();
        let mut expect = 0;
        for i in 0..n {
            let x = av.row(i).to_vec();
            prop_assert_eq!(r[[i]], numpy_cmp(&x, lit).is_ge());
            expect += numpy_cmp(&x, lit).is_ge() as i64;
        }
        prop_assert_eq!(count[IxDyn(&[])], expect);
    }
}

#[test]
fn numexprs_string_cases() {
    let s = |v: &[&[u8]]| {
        let w = v.iter().map(|x| x.len()).max().unwrap_or(0).max(1);
        Array2::from_shape_fn((v.len(), w), |(i, k)| *v[i].get(k).unwrap_or(&0))
    };
    // test_compare_prefix: 0-d strings, one a prefix of the other.
    for (a, b) in [
        (&b"foo"[..], &b"foobar"[..]),
        (b"foo", b"foo\0bar"),
        (b"foo\0a", b"foo\0bar"),
    ] {
        let (va, vb) = (Array1::from(a.to_vec()), Array1::from(b.to_vec()));
        let inputs = [
            ("s1", Arg::Bytes(va.view().into_dyn())),
            ("s2", Arg::Bytes(vb.view().into_dyn())),
        ];
        for text in [
            "s1 < s2",
            "s1 <= s2",
            "~(s1 == s2)",
            "~(s1 >= s2)",
            "~(s1 > s2)",
        ] {
            let r = bools(evaluate(text, &inputs).unwrap());
            assert_eq!(r.shape(), &[] as &[usize]);
            assert!(r[IxDyn(&[])], "{text} on {a:?} {b:?}");
        }
    }
    let (x, y) = (
        Array1::from(b"foo".to_vec()),
        Array1::from(b"foo\0\0".to_vec()),
    );
    let r = evaluate(
        "s1 == s2",
        &[
            ("s1", Arg::Bytes(x.view().into_dyn())),
            ("s2", Arg::Bytes(y.view().into_dyn())),
        ],
    )
    .unwrap();
    assert!(bools(r)[IxDyn(&[])]);
    // test_empty_string1 and 2.
    let a = s(&[b"", b"pepe"]);
    let b = s(&[b"pepe2", b""]);
    let ins = [
        ("a", Arg::Bytes(a.view().into_dyn())),
        ("b", Arg::Bytes(b.view().into_dyn())),
    ];
    let r = bools(evaluate("(a == b'') & (b == b'pepe2')", &ins).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[true, false]);
    let r = bools(evaluate("(a == b'pepe') & (b == b'')", &ins).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[false, true]);
    // test_str_contains_basic1 to 5 and the empty strings.
    let hay = s(&[b"abc", b"def", b"xyz", b"x11", b"za"]);
    let h = [("haystack", Arg::Bytes(hay.view().into_dyn()))];
    let r = bools(evaluate("contains(haystack, b\"ab\")", &h).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[true, false, false, false, false]);
    let r = bools(evaluate("contains(b\"abcd\", haystack)", &h).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[true, false, false, false, false]);
    let needles = s(&[b"abc", b"ab c", b" abc", b" abc ", b"\tabc", b"c h"]);
    let n = [("needles", Arg::Bytes(needles.view().into_dyn()))];
    let r = bools(evaluate("contains(b\"test abc here\", needles)", &n).unwrap());
    assert_eq!(
        r.as_slice().unwrap(),
        &[true, false, true, true, false, true]
    );
    let empty = s(&[b"abc", b"def", b""]);
    let e = [("e", Arg::Bytes(empty.view().into_dyn()))];
    let r = bools(evaluate("contains(b\"abcd\", e)", &e).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[true, false, true]);
    let r = bools(evaluate("contains(e, b\"\")", &e).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[true, true, true]);
    // Literals alone: Python compares them (NULs count), contains folds.
    assert_eq!(
        expr::evaluate_scalar("b'abc' < b'abd'").unwrap(),
        expr::Scalar::Bool(true)
    );
    assert_eq!(
        expr::evaluate_scalar("b'a' == b'a\\0'").unwrap(),
        expr::Scalar::Bool(false)
    );
    assert_eq!(
        expr::evaluate_scalar("contains(b\"abc\", b\"ab\")").unwrap(),
        expr::Scalar::Bool(true)
    );
    // test_sanitize: a str literal is its ASCII bytes.
    let x = s(&[b"a", b"b"]);
    let xs = [("x", Arg::Bytes(x.view().into_dyn()))];
    let r = bools(evaluate("(x == 'b:') | (x == \"b\")", &xs).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[false, true]);
}

/// Whether the literal `lit` holds exactly the bytes `want` (compared
/// with an input of those bytes, so that the literal is read once).
fn literal_is(lit: &str, want: &[u8]) -> bool {
    let s = Array1::from(want.to_vec());
    let text = format!("(s == {lit}) & ~(s < {lit}) & ~(s > {lit})");
    bools(evaluate(&text, &[("s", Arg::Bytes(s.view().into_dyn()))]).unwrap())[IxDyn(&[])]
}

#[test]
fn literals_read_as_python_reads_them() {
    assert!(literal_is(r"b'\x00A\101\n\t\\\''", b"\0AA\n\t\\'"));
    assert!(literal_is(r#"b"it's""#, b"it's"));
    assert!(literal_is(r"b'it\'s'", b"it's"));
    assert!(literal_is(r"rb'\n'", b"\\n"));
    assert!(literal_is(r"Br'\''", b"\\'"));
    assert!(literal_is(r"'\u0041\x42'", b"AB"));
    assert!(literal_is(r"b'\xff\0'", b"\xff"));
    assert!(literal_is(r"b'\q'", b"\\q"));
    assert!(literal_is(r"b'\a\b\f\v\r\\'", b"\x07\x08\x0c\x0b\r\\"));
    assert!(!literal_is(r"b'ab'", b"abc"));
    // Python compares two literals, NULs included.
    let one = |text: &str| expr::evaluate_scalar(text).unwrap();
    assert_eq!(one(r"b'\xff' > b'a'"), expr::Scalar::Bool(true));
    assert_eq!(one(r"b'a\0' > b'a'"), expr::Scalar::Bool(true));
    for (bad, what) in [
        (r"b'abc", "without its closing quote"),
        ("'\u{e9}' == b'e'", "a character beyond ASCII"),
        ("b'\u{e9}' == b'e'", "a character beyond ASCII"),
        (r"'\u00e9' == b'e'", "beyond ASCII"),
        (r"'\xff' == b'a'", "beyond ASCII"),
        (r"b'\x4' == b'a'", "two hexadecimal digits"),
        (r"'\N{DASH}' == b'-'", "named character"),
    ] {
        let err = expr::evaluate_scalar(bad).unwrap_err();
        assert!(matches!(err, ExprError::Syntax { .. }), "{bad}: {err}");
        assert!(
            err.to_string().lines().next().unwrap().contains(what),
            "{bad}: {err}"
        );
    }
}

#[test]
fn strings_broadcast_are_strided_and_may_be_0_d() {
    // [3,1] strings against [4] strings: a [3,4] table of comparisons.
    let a = Array2::from_shape_fn((3, 2), |(i, k)| if k == 0 { b'a' + i as u8 } else { 0 });
    let a3 = a.clone().into_shape_with_order((3, 1, 2)).unwrap();
    let b = Array2::from_shape_fn((4, 1), |(j, _)| b'a' + j as u8);
    let r = bools(
        evaluate(
            "a < b",
            &[
                ("a", Arg::Bytes(a3.view().into_dyn())),
                ("b", Arg::Bytes(b.view().into_dyn())),
            ],
        )
        .unwrap(),
    );
    assert_eq!(r.shape(), &[3, 4]);
    for i in 0..3 {
        for j in 0..4 {
            assert_eq!(r[[i, j]], i < j, "{i} {j}");
        }
    }
    // Bytes of a string not adjacent: the transpose of a [width, n] array.
    let t: Array2<u8> = Array2::from_shape_fn((3, 5), |(k, i)| b"abcde"[(i + k) % 5]);
    let tv: ArrayView2<u8> = t.t();
    let r = bools(evaluate("s == b'bcd'", &[("s", Arg::Bytes(tv.into_dyn()))]).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[false, true, false, false, false]);
    // A 0-d string against an array of them, and with numbers beside.
    let z = Array1::from(b"c".to_vec());
    let k = Array1::from(vec![1.0, 2.0, 3.0]);
    let a1 = Array2::from_shape_fn((3, 1), |(i, _)| b'a' + i as u8);
    let r = evaluate(
        "where(a >= z, k, -k)",
        &[
            ("a", Arg::Bytes(a1.view().into_dyn())),
            ("z", Arg::Bytes(z.view().into_dyn())),
            ("k", (&k).into()),
        ],
    )
    .unwrap()
    .into_typed::<f64>()
    .unwrap();
    assert_eq!(r.as_slice().unwrap(), &[-1.0, -2.0, 3.0]);
    // Shapes that do not broadcast name both inputs.
    let b2 = strings(2, 1, b"ab");
    let err = evaluate(
        "a == b",
        &[
            ("a", Arg::Bytes(a1.view().into_dyn())),
            ("b", Arg::Bytes(b2.view().into_dyn())),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "shape mismatch: input `a` has shape [3] but `b` has shape [2]: they do not broadcast together"
    );
}

#[test]
fn strings_are_only_compared_or_searched() {
    let s = strings(3, 2, b"ab");
    let k = Array1::from(vec![1i32, 2, 3]);
    let ins = [("s", Arg::Bytes(s.view().into_dyn())), ("k", (&k).into())];
    for (text, what) in [
        ("s", "the result would be byte strings"),
        ("s + s", "operator `+` is not defined for byte strings"),
        ("s >= k", "compares byte strings with byte strings only"),
        ("s == 1", "compares byte strings with byte strings only"),
        ("-s", "byte strings are only compared"),
        ("sin(s)", "byte strings are only compared"),
        ("sum(s)", "byte strings are only compared"),
        ("where(s == s, s, s)", "byte strings are only compared"),
        (
            "contains(s, k)",
            "searches byte strings for byte strings only",
        ),
        ("contains(s)", "`contains` takes 2 argument(s), got 1"),
        ("s[1] == s", "take no stencil offsets"),
        ("b'x' & s", "operator `&` is not defined for byte strings"),
    ] {
        let err = evaluate(text, &ins).unwrap_err();
        assert!(matches!(err, ExprError::Type { .. }), "{text}: {err}");
        let first = err.to_string();
        let first = first.lines().next().unwrap();
        assert!(first.contains(what), "{text}: {first}");
    }
    // A signature's type is checked against the input's.
    let sig = [("s", InputType::Bytes)];
    let e = Expr::compile_with("s == b'ab'", &sig, &CompileOptions::default()).unwrap();
    let err = e.eval_new(&[("s", (&k).into())]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input error: input `s` holds i32 but the signature says bytes"
    );
    let e = Expr::compile("s == s", &[("s", DType::I32)]).unwrap();
    let err = e
        .eval_new(&[("s", Arg::Bytes(s.view().into_dyn()))])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "input error: input `s` holds bytes but the signature says i32"
    );
    assert_eq!(e.input_names(), vec!["s"]);
    // Reductions of tests, also a step at a time; iterate refuses them.
    let sig = [("s", InputType::Bytes)];
    let e = Expr::compile_with("sum(s == b'ab')", &sig, &CompileOptions::default()).unwrap();
    let ins = [("s", Arg::Bytes(s.view().into_dyn()))];
    let r = e.eval_new(&ins).unwrap();
    assert_eq!(r.into_typed::<i64>().unwrap()[IxDyn(&[])], 3);
    let mut steps = e.stepwise(&ins).unwrap();
    let n = steps.steps();
    steps.run(&ins, 0..n).unwrap();
    assert_eq!(steps.finish().unwrap(), e.eval_new(&ins).unwrap());
    let sig = [("u", DType::F64.into()), ("s", InputType::Bytes)];
    let e = Expr::compile_with(
        "where(s == b'ab', u, 0.0)",
        &sig,
        &CompileOptions::default(),
    )
    .unwrap();
    let mut u = Array1::<f64>::zeros(3);
    let err = e.iterate("u", &mut u, &ins, 2).unwrap_err();
    assert!(
        err.to_string()
            .contains("not narrower ones or byte strings"),
        "{err}"
    );
}
