//! numexpr's optimisation levels: which powers with a constant exponent are
//! rewritten decides the result's type. The table is what numexpr 2.14
//! answers for each level (`evaluate(text, optimization=level)`).

use expr::{evaluate_with, Array, CompileOptions, DType, Expr, Optimization};
use ndarray::{array, ArrayD};

/// The result as `f64`s, whatever its type.
fn values(r: &Array) -> Vec<f64> {
    fn all<T: Copy>(a: &ArrayD<T>, f: impl Fn(T) -> f64) -> Vec<f64> {
        a.iter().map(|&v| f(v)).collect()
    }
    match r {
        Array::Bool(a) => all(a, |v| v as u8 as f64),
        Array::I32(a) => all(a, |v| v as f64),
        Array::I64(a) => all(a, |v| v as f64),
        Array::F32(a) => all(a, |v| v as f64),
        Array::F64(a) => all(a, |v| v),
        Array::C128(a) => all(a, |v| v.re),
    }
}

fn level(o: Optimization) -> CompileOptions {
    CompileOptions { optimization: o }
}

#[test]
fn each_level_types_powers_as_numexpr_does() {
    use DType::*;
    use Optimization::{Aggressive as A, Moderate as M, None as N};
    let ints = array![1i64, 2, -3, 0].into_dyn();
    let floats = array![1f32, 2.0, -3.0, 0.5].into_dyn();
    let bools = array![true, false].into_dyn();
    // (level, text, base type, result type, values)
    let table: &[(Optimization, &str, DType, DType, &[f64])] = &[
        (N, "a**0.0", I64, F64, &[1.0, 1.0, 1.0, 1.0]),
        (N, "a**0", I64, I64, &[1.0, 1.0, 1.0, 1.0]),
        (
            N,
            "a**0.5",
            F32,
            F64,
            &[1.0, 2f64.sqrt(), f64::NAN, 0.5f64.sqrt()],
        ),
        (N, "a**2.0", I64, F64, &[1.0, 4.0, 9.0, 0.0]),
        (N, "a**2", F32, F32, &[1.0, 4.0, 9.0, 0.25]),
        (N, "a**-2.0", F32, F64, &[1.0, 0.25, 1.0 / 9.0, 4.0]),
        (N, "a**-1", F32, F32, &[1.0, 0.5, -1.0 / 3.0, 2.0]),
        (N, "b**2", Bool, I32, &[1.0, 0.0]),
        (N, "b**0.5", Bool, F64, &[1.0, 0.0]),
        (M, "a**0.0", I64, I64, &[1.0, 1.0, 1.0, 1.0]),
        (M, "a**0.5", I64, F64, &[1.0, 2f64.sqrt(), f64::NAN, 0.0]),
        (
            M,
            "a**0.5",
            F32,
            F32,
            &[1.0, 2f64.sqrt(), f64::NAN, 0.5f64.sqrt()],
        ),
        (M, "a**1.0", I64, I64, &[1.0, 2.0, -3.0, 0.0]),
        (M, "a**2.0", I64, I64, &[1.0, 4.0, 9.0, 0.0]),
        (M, "a**-1.0", F32, F32, &[1.0, 0.5, -1.0 / 3.0, 2.0]),
        (
            M,
            "a**2.5",
            F32,
            F64,
            &[1.0, 2f64.powf(2.5), f64::NAN, 0.5f64.powf(2.5)],
        ),
        (M, "a**3.0", I64, F64, &[1.0, 8.0, -27.0, 0.0]),
        (M, "a**-2.0", F32, F64, &[1.0, 0.25, 1.0 / 9.0, 4.0]),
        (M, "b**2", Bool, Bool, &[1.0, 0.0]),
        (
            A,
            "a**-1.0",
            I64,
            F64,
            &[1.0, 0.5, -1.0 / 3.0, f64::INFINITY],
        ),
        (
            A,
            "a**2.5",
            F32,
            F32,
            &[1.0, 2f64.powf(2.5), f64::NAN, 0.5f64.powf(2.5)],
        ),
        (A, "a**3.0", I64, I64, &[1.0, 8.0, -27.0, 0.0]),
        (A, "a**-2.0", F32, F32, &[1.0, 0.25, 1.0 / 9.0, 4.0]),
        (A, "b**2", Bool, Bool, &[1.0, 0.0]),
    ];
    for &(o, text, base, want_dt, want) in table {
        let input = match base {
            I64 => ("a", (&ints).into()),
            F32 => ("a", (&floats).into()),
            _ => ("b", (&bools).into()),
        };
        let r = evaluate_with(text, &[input], &level(o)).unwrap();
        assert_eq!(r.dtype(), want_dt, "{text} of {base} at {o:?}");
        let got = values(&r);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            // f32 results round the f64 reference.
            let tol = if want_dt == F32 { 1e-6 } else { 1e-15 } * w.abs();
            assert!(
                g == w || (g.is_nan() && w.is_nan()) || (g - w).abs() <= tol,
                "{text} of {base} at {o:?}: {got:?}, want {want:?}"
            );
        }
    }
}

#[test]
fn every_level_refuses_what_numexpr_refuses() {
    let a = array![1i64, 2].into_dyn();
    let b = array![true, false].into_dyn();
    for o in [
        Optimization::None,
        Optimization::Moderate,
        Optimization::Aggressive,
    ] {
        let err = evaluate_with("a**-2", &[("a", (&a).into())], &level(o)).unwrap_err();
        assert!(
            err.to_string()
                .contains("Integers to negative integer powers are not allowed"),
            "{o:?}: {err}"
        );
        let err = evaluate_with("b**True", &[("b", (&b).into())], &level(o)).unwrap_err();
        assert!(err.to_string().contains("bool"), "{o:?}: {err}");
    }
    for o in [Optimization::Moderate, Optimization::Aggressive] {
        // numexpr has no sqrt or ones_like of bool.
        for text in ["b**0.5", "b**0.0"] {
            let err = evaluate_with(text, &[("b", (&b).into())], &level(o)).unwrap_err();
            assert!(err.to_string().contains("bool"), "{text} at {o:?}: {err}");
        }
    }
}

#[test]
fn the_default_is_numexprs_default_and_names_parse() {
    assert_eq!(Optimization::default(), Optimization::Aggressive);
    let sig = [("a", DType::F32)];
    let plain = Expr::compile("a**2.5", &sig).unwrap();
    let typed = [("a", DType::F32.into())];
    let with = Expr::compile_with("a**2.5", &typed, &CompileOptions::default()).unwrap();
    assert_eq!((plain.dtype(), with.dtype()), (DType::F32, DType::F32));
    assert_eq!(Optimization::parse("none"), Some(Optimization::None));
    assert_eq!(
        Optimization::parse("moderate"),
        Some(Optimization::Moderate)
    );
    assert_eq!(
        Optimization::parse("aggressive"),
        Some(Optimization::Aggressive)
    );
    assert_eq!(Optimization::parse("AGGRESSIVE"), None);
}
