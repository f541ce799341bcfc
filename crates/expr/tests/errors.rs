//! Every kind of bad input gets a clear, typed error (never a panic), and
//! the message says what and where.

use expr::{evaluate, DType, Expr, ExprError};
use ndarray::{arr0, Array1, Array2, Array3};

fn compile_err(text: &str, sig: &[(&str, DType)]) -> ExprError {
    Expr::compile(text, sig).expect_err(text)
}

const F: DType = DType::F64;

#[test]
fn syntax_error_shows_column_and_caret() {
    let e = compile_err("a + * b", &[("a", F), ("b", F)]);
    assert!(matches!(e, ExprError::Syntax { col: 5, .. }));
    assert_eq!(
        e.to_string(),
        "syntax error at column 5: expected a value, found `*`\n  a + * b\n      ^"
    );
    let e = compile_err("sin(a", &[("a", F)]);
    assert_eq!(
        e.to_string(),
        "syntax error at column 6: expected `,` or `)` in the call of `sin`, found end of expression\n  sin(a\n       ^"
    );
    let e = compile_err("a ? b", &[("a", F)]);
    assert!(
        e.to_string()
            .starts_with("syntax error at column 3: unexpected character `?`"),
        "{e}"
    );
    let e = compile_err("u[1.5]", &[("u", F)]);
    assert!(
        e.to_string().contains("an offset must be a small integer"),
        "{e}"
    );
    let e = compile_err("1e+", &[]);
    assert!(e.to_string().contains("exponent without digits"), "{e}");
}

#[test]
fn unknown_name_lists_the_inputs() {
    let e = compile_err("a + c", &[("a", F), ("b", F)]);
    assert_eq!(
        e.to_string(),
        "unknown name `c` at column 5 (inputs: a, b)\n  a + c\n      ^"
    );
    let e = compile_err("foo(a)", &[("a", F)]);
    assert!(
        e.to_string()
            .starts_with("type error at column 1: unknown function `foo` (known: sin, cos"),
        "{e}"
    );
    let e = compile_err("sin + 1", &[]);
    assert!(
        e.to_string()
            .contains("`sin` is a function: call it as `sin(...)`"),
        "{e}"
    );
}

#[test]
fn wrong_types_are_named() {
    let e = compile_err("a << 2", &[("a", F)]);
    assert_eq!(
        e.to_string(),
        "type error at column 1: operator `<<` needs integer operands, got f64 and i32\n  a << 2\n  ^"
    );
    let e = compile_err("b - b", &[("b", DType::Bool)]);
    assert!(
        e.to_string()
            .contains("operator `-` is not defined for bool operands"),
        "{e}"
    );
    let e = compile_err("a & 1.5", &[("a", DType::I32)]);
    assert!(
        e.to_string()
            .contains("operator `&` needs bool or integer operands, got i32 and f64"),
        "{e}"
    );
    let e = compile_err("where(a, 1, 2)", &[("a", F)]);
    assert!(
        e.to_string()
            .contains("`where` needs a bool condition, got f64"),
        "{e}"
    );
    let e = compile_err("z < 1", &[("z", DType::C128)]);
    assert!(
        e.to_string()
            .contains("ordering comparison `<` is not defined for complex"),
        "{e}"
    );
    let e = compile_err("floor(z)", &[("z", DType::C128)]);
    assert_eq!(
        e.to_string(),
        "type error at column 1: `floor` is not defined for complex\n  floor(z)\n  ^"
    );
    let e = compile_err("1 + sum(a)", &[("a", F)]);
    assert!(
        e.to_string()
            .contains("`sum` is only allowed as the outermost call"),
        "{e}"
    );
    let e = compile_err("arctan2(a)", &[("a", F)]);
    assert!(
        e.to_string()
            .contains("`arctan2` takes 2 argument(s), got 1"),
        "{e}"
    );
}

#[test]
fn shape_mismatch_names_both_inputs() {
    let a = Array1::<f64>::zeros(3);
    let b = Array1::<f64>::zeros(4);
    let e = evaluate("a + b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: input `a` has shape [3] but `b` has shape [4]: they do not broadcast together"
    );
    let c = Array2::<f64>::zeros((3, 2));
    let e = evaluate("a * c", &[("a", (&a).into()), ("c", (&c).into())]).unwrap_err();
    assert!(matches!(e, ExprError::Shape(_)), "{e}");
    let big = ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[2, 2, 2, 2]));
    let e = evaluate("a + 1", &[("a", (&big).into())]).unwrap_err();
    assert!(
        e.to_string()
            .contains("arrays of 1 to 3 dimensions are supported"),
        "{e}"
    );
    let e = evaluate("sum(a, axis=1)", &[("a", (&a).into())]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: axis=1 is out of range for 1-D inputs"
    );
}

#[test]
fn offsets_on_a_1d_array_used_as_2d() {
    let u = Array1::<f64>::zeros(10);
    let e = evaluate("u[-1,0] + u", &[("u", (&u).into())]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "offset error: `u[-1,0]` gives 2 offset(s) but `u` is 1-D (one offset per axis is needed)"
    );
    let k = arr0(1.0);
    let e = evaluate("k[1]", &[("k", (&k).into())]).unwrap_err();
    assert!(
        e.to_string()
            .contains("`k[1]` uses offsets but `k` is a scalar"),
        "{e}"
    );
}

#[test]
fn offsets_wider_than_the_array() {
    let u = Array2::<f64>::zeros((2, 10));
    let e = evaluate("u[-1,0] + u[1,0]", &[("u", (&u).into())]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "offset error: the offsets reach 1 below and 1 above along axis 0, wider than the array's 2 element(s) there: no interior is left"
    );
    let v = Array1::<f64>::zeros(3);
    assert!(evaluate("v[5]", &[("v", (&v).into())]).is_err());
}

#[test]
fn inputs_and_outputs_are_checked() {
    let e = Expr::compile("a + b", &[("a", F), ("b", F)]).unwrap();
    let a = Array1::<f64>::zeros(3);
    let mut out = Array1::<f64>::zeros(3);
    let err = e.eval(&[("a", (&a).into())], &mut out).unwrap_err();
    assert_eq!(err.to_string(), "input error: missing input `b`");
    let i = Array1::<i32>::zeros(3);
    let err = e
        .eval(&[("a", (&a).into()), ("b", (&i).into())], &mut out)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "input error: input `b` holds i32 but the signature says f64"
    );
    let err = e
        .eval(
            &[("a", (&a).into()), ("b", (&a).into()), ("x", (&a).into())],
            &mut out,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("input `x` is not in the signature (a, b)"),
        "{err}"
    );
    let mut small = Array1::<f32>::zeros(3);
    let err = e
        .eval(&[("a", (&a).into()), ("b", (&a).into())], &mut small)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("output error: the result is f64 but `out` holds f32"),
        "{err}"
    );
    let mut wrong = Array1::<f64>::zeros(4);
    let err = e
        .eval(&[("a", (&a).into()), ("b", (&a).into())], &mut wrong)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "output error: `out` has shape [4] but the inputs have shape [3]"
    );
    let err = Expr::compile("a", &[("a", F), ("a", F)]).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
}

#[test]
fn integer_edge_cases_do_not_panic() {
    let a = ndarray::array![i64::MIN, -7, 0, 7, i64::MAX];
    let b = ndarray::array![-1i64, 0, 0, -2, 64];
    for text in [
        "a % b",
        "a * b",
        "a - b",
        "-a",
        "abs(a)",
        "a ** b",
        "a << b",
        "a >> b",
        "a / b",
        "a // b",
        "a ^ b",
        "fmod(a, b)",
        "sign(a)",
        "maximum(a, b)",
    ] {
        evaluate(text, &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
    }
    let r = evaluate("a % b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
    assert_eq!(
        r.into_typed::<i64>()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![0, 0, 0, -1, 63]
    );
    // numpy's floor division: MIN // -1 wraps, x // 0 is 0.
    let r = evaluate("a // b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
    assert_eq!(
        r.into_typed::<i64>()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![i64::MIN, 0, 0, -4, i64::MAX / 64]
    );
    let z = Array3::<f64>::zeros((0, 3, 3));
    let r = evaluate("sum(z + 1)", &[("z", (&z).into())]).unwrap();
    assert_eq!(r.into_typed::<f64>().unwrap()[[]], 0.0);
}
