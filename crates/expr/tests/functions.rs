//! numexpr's functions, operators and reductions beyond the arithmetic:
//! values against Rust's `std` and closed forms on edge values (signed
//! zeros, infinities, NaN, subnormals, the largest numbers), the result
//! type for every input type (numexpr's typing), and the errors for the
//! types a function refuses.

// Inline tables of (expression, reference function) read best as they are.
#![allow(clippy::type_complexity)]

use expr::{evaluate, Arg, Array, Complex64, DType, ExprError, Scalar};
use ndarray::{Array1, ArrayD};

/// Edge values of `f64`: zeros, halves (ties of rounding), subnormals, the
/// extremes, integers past 2^52, infinities and NaNs of both signs.
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

/// The same bits, or both NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Every pair of edge values, as two arrays.
fn pairs() -> (Array1<f64>, Array1<f64>) {
    let e = edges();
    let xs = e.iter().flat_map(|&x| e.iter().map(move |_| x)).collect();
    let ys = e.iter().flat_map(|_| e.iter().copied()).collect();
    (Array1::from_vec(xs), Array1::from_vec(ys))
}

fn f64s(r: Array) -> ArrayD<f64> {
    let dt = r.dtype();
    r.into_typed::<f64>()
        .unwrap_or_else(|| panic!("an f64 result, not {dt}"))
}

fn bools(r: Array) -> ArrayD<bool> {
    let dt = r.dtype();
    r.into_typed::<bool>()
        .unwrap_or_else(|| panic!("a bool result, not {dt}"))
}

/// `vals` as an array of type `ty` (truncated for integers).
fn typed(vals: &[f64], ty: DType) -> Array {
    let a = Array1::from_vec(vals.to_vec()).into_dyn();
    match ty {
        DType::Bool => Array::Bool(a.mapv(|v| v != 0.0)),
        DType::I32 => Array::I32(a.mapv(|v| v as i32)),
        DType::I64 => Array::I64(a.mapv(|v| v as i64)),
        DType::F32 => Array::F32(a.mapv(|v| v as f32)),
        DType::F64 => Array::F64(a),
        DType::C128 => Array::C128(a.mapv(|v| Complex64::new(v, 0.0))),
    }
}

/// The values of a numeric array, as complex numbers.
fn complexes(a: Array) -> Vec<Complex64> {
    let re = |v: f64| Complex64::new(v, 0.0);
    match a {
        Array::Bool(a) => a.iter().map(|&v| re(f64::from(u8::from(v)))).collect(),
        Array::I32(a) => a.iter().map(|&v| re(v as f64)).collect(),
        Array::I64(a) => a.iter().map(|&v| re(v as f64)).collect(),
        Array::F32(a) => a.iter().map(|&v| re(v as f64)).collect(),
        Array::F64(a) => a.iter().map(|&v| re(v)).collect(),
        Array::C128(a) => a.iter().copied().collect(),
    }
}

fn eval(text: &str, inputs: &[(&str, Arg<'_>)]) -> Array {
    evaluate(text, inputs).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// numpy's `sign`.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        x
    }
}

#[test]
fn one_argument_functions_of_f64_match_std() {
    let x = Array1::from_vec(edges());
    let cases: [(&str, fn(f64) -> f64); 10] = [
        ("floor(x)", f64::floor),
        ("ceil(x)", f64::ceil),
        ("trunc(x)", f64::trunc),
        ("round(x)", f64::round_ties_even),
        ("log2(x)", f64::log2),
        ("sign(x)", sign),
        ("copy(x)", |x| x),
        ("ones_like(x)", |_| 1.0),
        ("x.real", |x| x),
        ("imag(x)", |_| 0.0),
    ];
    for (text, f) in cases {
        let r = f64s(eval(text, &[("x", (&x).into())]));
        for (r, x) in r.iter().zip(&x) {
            assert!(same(*r, f(*x)), "{text} at {x:e}: {r:e}, not {:e}", f(*x));
        }
    }
    let predicates: [(&str, fn(f64) -> bool); 4] = [
        ("isnan(x)", f64::is_nan),
        ("isfinite(x)", f64::is_finite),
        ("isinf(x)", f64::is_infinite),
        ("signbit(x)", f64::is_sign_negative),
    ];
    for (text, f) in predicates {
        let r = bools(eval(text, &[("x", (&x).into())]));
        for (r, x) in r.iter().zip(&x) {
            assert_eq!(*r, f(*x), "{text} at {x:e}");
        }
    }
    // Closed forms: ties to even, signed zeros kept, no -0 from sign.
    let r = f64s(eval("round(x)", &[("x", (&x).into())]));
    assert_eq!(
        &r.as_slice().unwrap()[..8],
        &[0.0, -0.0, 0.0, -0.0, 2.0, -2.0, 2.0, -2.0]
    );
    assert!(r[[3]].is_sign_negative());
    let r = f64s(eval("sign(x)", &[("x", (&x).into())]));
    assert!(r[[1]] == 0.0 && r[[1]].is_sign_positive());
    assert_eq!((r[[14]], r[[19]], r[[21]]), (1.0, -1.0, 1.0));
}

#[test]
fn one_argument_functions_of_f32_match_std_in_numexprs_types() {
    let x = Array1::from_vec(edges().iter().map(|&v| v as f32).collect::<Vec<f32>>());
    // `floor`, `ceil` and `log2` stay f32 (numexpr's minimum kind float).
    let stays: [(&str, fn(f32) -> f32); 3] = [
        ("floor(x)", f32::floor),
        ("ceil(x)", f32::ceil),
        ("log2(x)", f32::log2),
    ];
    for (text, f) in stays {
        let r = eval(text, &[("x", (&x).into())]);
        assert_eq!(r.dtype(), DType::F32, "{text}");
        let r = r.into_typed::<f32>().unwrap();
        for (r, x) in r.iter().zip(&x) {
            assert!(same32(*r, f(*x)), "{text} at {x:e}: {r:e}");
        }
    }
    // `round`, `trunc` and `sign` are computed in f64 (minimum kind double).
    let widened: [(&str, fn(f64) -> f64); 3] = [
        ("round(x)", f64::round_ties_even),
        ("trunc(x)", f64::trunc),
        ("sign(x)", sign),
    ];
    for (text, f) in widened {
        let r = f64s(eval(text, &[("x", (&x).into())]));
        for (r, x) in r.iter().zip(&x) {
            assert!(same(*r, f(*x as f64)), "{text} at {x:e}: {r:e}");
        }
    }
    let r = bools(eval("signbit(x) ^ isnan(x)", &[("x", (&x).into())]));
    for (r, x) in r.iter().zip(&x) {
        assert_eq!(*r, x.is_sign_negative() ^ x.is_nan(), "at {x:e}");
    }
}

#[test]
fn two_argument_functions_match_std_on_every_pair_of_edge_values() {
    let (x, y) = pairs();
    let cases: [(&str, fn(f64, f64) -> f64); 4] = [
        ("fmod(x, y)", |x, y| x % y),
        ("hypot(x, y)", f64::hypot),
        ("copysign(x, y)", f64::copysign),
        ("arctan2(x, y)", f64::atan2),
    ];
    let ins = [("x", (&x).into()), ("y", (&y).into())];
    for (text, f) in cases {
        let r = f64s(eval(text, &ins));
        for ((r, x), y) in r.iter().zip(&x).zip(&y) {
            assert!(same(*r, f(*x, *y)), "{text} at {x:e}, {y:e}: {r:e}");
        }
    }
    // NaN if either is NaN; otherwise the larger (smaller), and the second
    // operand when they are equal (0.0 and -0.0), as numpy and numexpr.
    let max = f64s(eval("maximum(x, y)", &ins));
    let min = f64s(eval("minimum(x, y)", &ins));
    for (((mx, mn), x), y) in max.iter().zip(&min).zip(&x).zip(&y) {
        let (wmax, wmin) = if x.is_nan() || y.is_nan() {
            (f64::NAN, f64::NAN)
        } else {
            (if x > y { *x } else { *y }, if x < y { *x } else { *y })
        };
        assert!(same(*mx, wmax) && same(*mn, wmin), "at {x:e}, {y:e}");
    }
}

#[test]
fn nextafter_steps_one_representable_number_towards_the_target() {
    let (x, y) = pairs();
    let r = f64s(eval(
        "nextafter(x, y)",
        &[("x", (&x).into()), ("y", (&y).into())],
    ));
    for ((r, x), y) in r.iter().zip(&x).zip(&y) {
        if x.is_nan() || y.is_nan() {
            assert!(r.is_nan());
        } else if x == y {
            assert!(same(*r, *y), "nextafter({x:e}, {y:e}) = {r:e}");
        } else {
            // Strictly between x (excluded) and y (included), and nothing
            // representable in between.
            assert!(
                (x < y && r > x && r <= y) || (x > y && r < x && r >= y),
                "{x:e} {y:e} {r:e}"
            );
            let ulp = if r.abs() > x.abs() { r.abs() } else { x.abs() };
            let gap = ulp - f64::from_bits(ulp.to_bits() - 1);
            assert!((r - x).abs() <= gap, "nextafter({x:e}, {y:e}) = {r:e}");
        }
    }
    let near = |x: f64, y: f64| {
        let (a, b) = (Array1::from_vec(vec![x]), Array1::from_vec(vec![y]));
        f64s(eval(
            "nextafter(a, b)",
            &[("a", (&a).into()), ("b", (&b).into())],
        ))[[0]]
    };
    assert_eq!(near(1.0, 2.0), 1.0 + f64::EPSILON);
    assert_eq!(near(1.0, 0.0), 1.0 - f64::EPSILON / 2.0);
    assert_eq!(near(0.0, -1.0), -5e-324);
    assert!(same(near(0.0, -0.0), -0.0));
    assert_eq!(near(f64::MAX, f64::INFINITY), f64::INFINITY);
    assert_eq!(near(f64::INFINITY, 0.0), f64::MAX);
    assert_eq!(near(5e-324, 0.0), 0.0);
}

#[test]
fn floor_division_is_the_floor_of_the_exact_quotient() {
    // Multiples of 1/4: the exact quotient's floor is an integer division.
    let quarters: Vec<f64> = (-24..=24).map(|k| k as f64 / 4.0).collect();
    let xs: Vec<f64> = quarters
        .iter()
        .flat_map(|&x| quarters.iter().map(move |_| x))
        .collect();
    let ys: Vec<f64> = quarters
        .iter()
        .flat_map(|_| quarters.iter().copied())
        .collect();
    let (x, y) = (Array1::from_vec(xs), Array1::from_vec(ys));
    let r = f64s(eval("x // y", &[("x", (&x).into()), ("y", (&y).into())]));
    for ((r, x), y) in r.iter().zip(&x).zip(&y) {
        let want = if *y == 0.0 {
            x / y
        } else {
            let (n, d) = ((x * 4.0) as i64, (y * 4.0) as i64);
            let q = n.div_euclid(d) - i64::from(d < 0 && n.rem_euclid(d) != 0);
            // A zero quotient has the sign of x / y.
            if q == 0 {
                0f64.copysign(x / y)
            } else {
                q as f64
            }
        };
        assert!(same(*r, want), "{x} // {y} = {r}, not {want}");
    }
    // Python's answers where rounding the quotient would mislead.
    let x = Array1::from_vec(vec![
        1.0,
        -1e-320,
        5.0,
        -5.0,
        f64::INFINITY,
        1e308,
        0.5,
        -0.0,
        f64::NAN,
    ]);
    let y = Array1::from_vec(vec![
        0.1,
        3.0,
        f64::INFINITY,
        f64::INFINITY,
        2.0,
        1e-308,
        0.0,
        3.0,
        1.0,
    ]);
    let r = f64s(eval("x // y", &[("x", (&x).into()), ("y", (&y).into())]));
    let want = [
        9.0,
        -1.0,
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        f64::INFINITY,
        -0.0,
        f64::NAN,
    ];
    for ((r, w), (x, y)) in r.iter().zip(want).zip(x.iter().zip(&y)) {
        assert!(same(*r, w), "{x:e} // {y:e} = {r:e}, not {w:e}");
    }
}

#[test]
fn integer_operators_and_functions() {
    let a = Array1::from_vec(vec![i64::MIN, -8, -7, -1, 0, 1, 7, 8, i64::MAX]);
    let b = Array1::from_vec(vec![-1i64, 2, 2, -3, 5, 0, -2, 3, 64]);
    let ins = [("a", (&a).into()), ("b", (&b).into())];
    let i64s = |r: Array| {
        r.into_typed::<i64>()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>()
    };
    // Floor division: MIN // -1 wraps to MIN, x // 0 is 0 (numpy's).
    let floor = |x: i64, y: i64| match (x, y) {
        (_, 0) => 0,
        (i64::MIN, -1) => i64::MIN,
        _ => ((x as f64) / (y as f64)).floor() as i64,
    };
    let want: Vec<i64> = a.iter().zip(&b).map(|(&x, &y)| floor(x, y)).collect();
    // The f64 quotient is exact enough for every pair but the largest.
    let got = i64s(eval("a // b", &ins));
    assert_eq!(got[..8], want[..8]);
    assert_eq!(got[8], i64::MAX / 64);
    let got = i64s(eval("a ^ b", &ins));
    assert_eq!(
        got,
        a.iter().zip(&b).map(|(x, y)| x ^ y).collect::<Vec<_>>()
    );
    let got = i64s(eval("sign(a) + round(b)", &ins));
    assert_eq!(
        got,
        a.iter()
            .zip(&b)
            .map(|(x, y)| x.signum() + y)
            .collect::<Vec<_>>()
    );
    // numexpr computes these on integers in f64.
    let r = f64s(eval("maximum(a, b) - fmod(a, b)", &ins));
    for ((r, x), y) in r.iter().zip(&a).zip(&b) {
        let (x, y) = (*x as f64, *y as f64);
        assert!(same(*r, x.max(y) - x % y), "{x} {y}: {r}");
    }
    let r = f64s(eval("abs(a) + conj(b) + a.imag", &ins));
    for ((r, x), y) in r.iter().zip(&a).zip(&b) {
        assert_eq!(*r, (*x as f64).abs() + *y as f64);
    }
    // Folded as numpy folds: integers stay integers.
    assert_eq!(
        expr::evaluate_scalar("fmod(-7, 2)").unwrap(),
        Scalar::I64(-1)
    );
    assert_eq!(
        expr::evaluate_scalar("maximum(3, 9)").unwrap(),
        Scalar::I64(9)
    );
    assert_eq!(
        expr::evaluate_scalar("abs(-3) + floor(4)").unwrap(),
        Scalar::I64(7)
    );
    assert_eq!(expr::evaluate_scalar("7 // -2").unwrap(), Scalar::I32(-4));
    assert_eq!(expr::evaluate_scalar("3 ^ 5").unwrap(), Scalar::I32(6));
    assert_eq!(
        expr::evaluate_scalar("abs(3+4j)").unwrap(),
        Scalar::F64(5.0)
    );
}

#[test]
fn bool_arithmetic_is_logical_as_in_numexpr() {
    let x = Array1::from_vec(vec![false, false, true, true]);
    let y = Array1::from_vec(vec![false, true, false, true]);
    let ins = [("x", (&x).into()), ("y", (&y).into())];
    let logical = |text: &str| bools(eval(text, &ins)).iter().copied().collect::<Vec<_>>();
    assert_eq!(logical("x * y"), [false, false, false, true]);
    assert_eq!(logical("x + y"), [false, true, true, true]);
    assert_eq!(logical("x ^ y"), [false, true, true, false]);
    assert_eq!(logical("x * True + y * False"), [false, false, true, true]);
    let r = f64s(eval("x / y", &ins));
    assert!(r[[0]].is_nan() && r[[1]] == 0.0 && r[[2]] == f64::INFINITY && r[[3]] == 1.0);
    // Beside integers, bools are numbers.
    let r = eval("x + 1", &ins).into_typed::<i32>().unwrap();
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), [1, 1, 2, 2]);
    // Powers: products of bools are `&`, so `x**3` is x and `x**-1` is 1/x.
    assert_eq!(logical("x**3"), [false, false, true, true]);
    let r = f64s(eval("y**-1", &ins));
    assert_eq!(
        r.iter().copied().collect::<Vec<_>>(),
        [f64::INFINITY, 1.0, f64::INFINITY, 1.0]
    );
}

#[test]
fn complex_functions_and_attributes() {
    let nan = f64::NAN;
    let zs: Vec<Complex64> = [
        (2.5, -1.5),
        (-0.5, 0.5),
        (3.0, 4.0),
        (0.0, -0.0),
        (f64::INFINITY, 1.0),
        (1.0, f64::NEG_INFINITY),
        (f64::INFINITY, f64::INFINITY),
        (nan, 1.0),
        (1e300, 1e300),
        (-8.0, 0.0),
    ]
    .iter()
    .map(|&(re, im)| Complex64::new(re, im))
    .collect();
    let z = Array1::from_vec(zs.clone());
    let c = |r: Array| {
        r.into_typed::<Complex64>()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>()
    };
    let same_c = |a: Complex64, b: Complex64| same(a.re, b.re) && same(a.im, b.im);
    let r = c(eval("round(z)", &[("z", (&z).into())]));
    for (r, z) in r.iter().zip(&zs) {
        let want = Complex64::new(z.re.round_ties_even(), z.im.round_ties_even());
        assert!(same_c(*r, want), "round({z}) = {r}");
    }
    // sign: z/|z| (|z| without overflow), 0 for 0, the unit along an
    // infinite part, NaN for two infinite parts or a NaN one.
    let r = c(eval("sign(z)", &[("z", (&z).into())]));
    let want = [
        Complex64::new(2.5, -1.5) / 2.5f64.hypot(1.5),
        Complex64::new(-0.5, 0.5) / 0.5f64.hypot(0.5),
        Complex64::new(0.6, 0.8),
        Complex64::new(0.0, 0.0),
        Complex64::new(1.0, 0.0),
        Complex64::new(0.0, -1.0),
        Complex64::new(nan, nan),
        Complex64::new(nan, nan),
        // numpy's 0.7071067811865475, one below the nearest to 1/sqrt(2).
        Complex64::new(1e300 / 1e300f64.hypot(1e300), 1e300 / 1e300f64.hypot(1e300)),
        Complex64::new(-1.0, 0.0),
    ];
    for ((r, w), z) in r.iter().zip(want).zip(&zs) {
        assert!(same_c(*r, w), "sign({z:e}) = {r:e}, not {w:e}");
    }
    // log2: the logarithm scaled by log2(e); -8 is on the branch cut.
    let r = c(eval("log2(z)", &[("z", (&z).into())]));
    let l = r[9];
    assert!(
        (l.re - 3.0).abs() < 1e-15 && (l.im - std::f64::consts::PI / 2f64.ln()).abs() < 1e-14,
        "{l}"
    );
    assert!((r[2].re - 25f64.log2() / 2.0).abs() < 1e-15, "{}", r[2]);
    let preds: [(&str, fn(Complex64) -> bool); 3] = [
        ("isnan(z)", |z| z.re.is_nan() || z.im.is_nan()),
        ("isinf(z)", |z| z.re.is_infinite() || z.im.is_infinite()),
        ("isfinite(z)", |z| z.re.is_finite() && z.im.is_finite()),
    ];
    for (text, f) in preds {
        let r = bools(eval(text, &[("z", (&z).into())]));
        for (r, z) in r.iter().zip(&zs) {
            assert_eq!(*r, f(*z), "{text} at {z}");
        }
    }
    // numexpr's `abs` of complex is complex, `conj` of a real number is
    // complex, `.real` and `.imag` are f64.
    let r = c(eval("abs(z) + ones_like(z)", &[("z", (&z).into())]));
    assert_eq!(r[2], Complex64::new(6.0, 0.0));
    let r = f64s(eval("z.real * 2 + (z * 1j).imag", &[("z", (&z).into())]));
    assert_eq!(r[[0]], 7.5);
    let x = Array1::from_vec(vec![2.5, -1.0]);
    let r = c(eval("conj(x)", &[("x", (&x).into())]));
    assert!(same(r[0].im, -0.0) && r[0].re == 2.5 && r[1] == Complex64::new(-1.0, 0.0));
}

#[test]
fn every_function_has_numexprs_result_type() {
    use DType::*;
    // What numexpr 2.14 gives for one argument of each type, in the order
    // bool, i32, i64, f32, f64, complex (None: it refuses the type).
    let table: [(&str, [Option<DType>; 6]); 28] = [
        (
            "copy(x)",
            [
                Some(Bool),
                Some(I32),
                Some(I64),
                Some(F32),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "ones_like(x)",
            [None, Some(I32), Some(I64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "fmod(x, x)",
            [Some(F32), Some(F64), Some(F64), Some(F32), Some(F64), None],
        ),
        (
            "arctan2(x, x)",
            [Some(F32), Some(F64), Some(F64), Some(F32), Some(F64), None],
        ),
        (
            "hypot(x, x)",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(F64), None],
        ),
        (
            "nextafter(x, x)",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(F64), None],
        ),
        (
            "copysign(x, x)",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(F64), None],
        ),
        (
            "maximum(x, x)",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(F64), None],
        ),
        (
            "minimum(x, x)",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(F64), None],
        ),
        (
            "round(x)",
            [
                Some(F64),
                Some(I32),
                Some(I64),
                Some(F64),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "sign(x)",
            [
                Some(F64),
                Some(I32),
                Some(I64),
                Some(F64),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "floor(x)",
            [Some(F32), Some(F64), Some(F64), Some(F32), Some(F64), None],
        ),
        (
            "ceil(x)",
            [Some(F32), Some(F64), Some(F64), Some(F32), Some(F64), None],
        ),
        (
            "trunc(x)",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(F64), None],
        ),
        (
            "log2(x)",
            [
                Some(F32),
                Some(F64),
                Some(F64),
                Some(F32),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "sqrt(x)",
            [
                Some(F32),
                Some(F64),
                Some(F64),
                Some(F32),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "isnan(x)",
            [
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
            ],
        ),
        (
            "isinf(x)",
            [
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
            ],
        ),
        (
            "signbit(x)",
            [
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
                Some(Bool),
                None,
            ],
        ),
        (
            "abs(x)",
            [
                Some(F32),
                Some(F64),
                Some(F64),
                Some(F32),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "conj(x)",
            [
                Some(C128),
                Some(F64),
                Some(F64),
                Some(C128),
                Some(C128),
                Some(C128),
            ],
        ),
        (
            "real(x)",
            [
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F64),
            ],
        ),
        (
            "x.imag",
            [
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F64),
            ],
        ),
        (
            "x ^ x",
            [Some(Bool), Some(I32), Some(I64), None, None, None],
        ),
        (
            "x // x",
            [None, Some(I32), Some(I64), Some(F32), Some(F64), None],
        ),
        (
            "x * x + x",
            [
                Some(Bool),
                Some(I32),
                Some(I64),
                Some(F32),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "x / x",
            [
                Some(F64),
                Some(F64),
                Some(F64),
                Some(F32),
                Some(F64),
                Some(C128),
            ],
        ),
        (
            "x - x",
            [None, Some(I32), Some(I64), Some(F32), Some(F64), Some(C128)],
        ),
    ];
    let types = [Bool, I32, I64, F32, F64, C128];
    for (text, want) in table {
        for (ty, want) in types.iter().zip(want) {
            let got = expr::Expr::compile(text, &[("x", *ty)]).map(|e| e.dtype());
            match (want, got) {
                (Some(w), Ok(g)) => assert_eq!(g, w, "{text} of {ty}"),
                (None, Err(ExprError::Type { .. })) => {}
                (w, g) => panic!("{text} of {ty}: expected {w:?}, got {g:?}"),
            }
        }
    }
}

#[test]
fn refused_types_are_one_line_errors_naming_the_function_and_column() {
    use DType::*;
    let cases: [(&str, DType, &str); 14] = [
        ("x + fmod(x, x)", C128, "type error at column 5: `fmod` is not defined for complex and complex"),
        ("floor(x)", C128, "type error at column 1: `floor` is not defined for complex"),
        ("1 - signbit(x)", C128, "type error at column 5: `signbit` is not defined for complex"),
        ("ones_like(x)", Bool, "type error at column 1: `ones_like` is not defined for bool"),
        ("hypot(x, 1)", C128, "type error at column 1: `hypot` is not defined for complex and i32"),
        ("maximum(x, x)", C128, "type error at column 1: `maximum` is not defined for complex and complex"),
        ("x // x", Bool, "type error at column 1: operator `//` is not defined for bool operands"),
        ("x // 2", C128, "type error at column 1: operator `//` is not defined for complex"),
        ("x ^ 1", F64, "type error at column 1: operator `^` needs bool or integer operands, got f64 and i32"),
        ("min(x)", Bool, "type error at column 1: `min` is not defined for bool"),
        ("max(x, axis=0)", C128, "type error at column 1: `max` is not defined for complex"),
        ("x ** 0.5", Bool, "type error at column 1: operator `**` is not defined for a bool base and the exponent 0.5"),
        ("x.conj", F64, "syntax error at column 3: expected `real` or `imag` after `.`, found name `conj`"),
        ("sum(x, 1.5)", F64, "type error at column 1: `sum` takes one expression and an axis (an integer or None), got 2 arguments"),
    ];
    for (text, ty, want) in cases {
        let e = expr::Expr::compile(text, &[("x", ty)]).expect_err(text);
        assert_eq!(e.to_string().lines().next(), Some(want), "{text}");
    }
    let e = expr::Expr::compile("sum(x, axis=y)", &[("x", F64)]).unwrap_err();
    assert!(
        e.to_string()
            .contains("`axis=` needs an integer or `None`, found name `y`"),
        "{e}"
    );
}

#[test]
fn powers_follow_numexprs_rewriting_and_types() {
    use DType::*;
    // numexpr's POW_TESTS: (exponent, result type for i32, i64, f32, f64,
    // complex bases; None where numexpr refuses).
    let table: [(&str, [Option<DType>; 5]); 11] = [
        ("-7", [None, None, Some(F32), Some(F64), Some(C128)]),
        (
            "-2.5",
            [Some(F64), Some(F64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "-1.5",
            [Some(F64), Some(F64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "-1.3",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(C128)],
        ),
        (
            "-.5",
            [Some(F64), Some(F64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "0",
            [Some(I32), Some(I64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "0.0",
            [Some(I32), Some(I64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "1",
            [Some(I32), Some(I64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "2.3",
            [Some(F64), Some(F64), Some(F64), Some(F64), Some(C128)],
        ),
        (
            "2.5",
            [Some(F64), Some(F64), Some(F32), Some(F64), Some(C128)],
        ),
        (
            "3",
            [Some(I32), Some(I64), Some(F32), Some(F64), Some(C128)],
        ),
    ];
    let vals: Vec<f64> = (0..100).map(|k| k as f64 * 0.75).collect();
    for (e, want) in table {
        let text = format!("(a+1)**{e}");
        let p: f64 = e.parse().unwrap();
        for (ty, want) in [I32, I64, F32, F64, C128].into_iter().zip(want) {
            let a = typed(&vals, ty);
            match (want, evaluate(&text, &[("a", Arg::from(&a))])) {
                (None, Err(e)) => assert!(
                    e.to_string()
                        .contains("Integers to negative integer powers"),
                    "{e}"
                ),
                (Some(w), Ok(r)) => {
                    assert_eq!(r.dtype(), w, "{text} of {ty}");
                    let tol = if ty == F32 { 1e-6 } else { 1e-14 };
                    for (v, x) in complexes(r).iter().zip(complexes(a.clone())) {
                        let want = (x.re + 1.0).powf(p);
                        let err = (v.re - want).abs();
                        assert!(
                            err <= tol * want.abs() && v.im.abs() <= tol * want.abs(),
                            "{text} at {x} of {ty}: {v} not {want}"
                        );
                    }
                }
                (w, r) => panic!(
                    "{text} of {ty}: expected {w:?}, got {:?}",
                    r.map(|r| r.dtype())
                ),
            }
        }
    }
    // numexpr's order of products: x**7 is (x * x²) * x⁴, bit for bit.
    let x = Array1::from_vec((1..200).map(|k| 1.0 + k as f64 / 7.0).collect::<Vec<_>>());
    let r = f64s(eval("x**7 + x**-3", &[("x", (&x).into())]));
    for (r, x) in r.iter().zip(&x) {
        let sq = x * x;
        assert_eq!(*r, (x * sq) * (sq * sq) + 1.0 / (x * sq), "at {x}");
    }
    // A half or negative power of an integer is computed in f64, where
    // numexpr's integer product would wrap.
    let big = Array1::from_vec(vec![4_000_000_000i64, -3]);
    let r = f64s(eval("big**2.5 + big**-2.0", &[("big", (&big).into())]));
    let want = 4e9f64.powf(2.5) + 1.0 / 16e18;
    assert!((r[[0]] - want).abs() <= 1e-15 * want, "{}", r[[0]]);
    assert!(r[[1]].is_nan());
    let r = eval("big**3.0", &[("big", (&big).into())])
        .into_typed::<i64>()
        .unwrap();
    assert_eq!(r[[1]], -27);
    assert_eq!(r[[0]], 4_000_000_000i64.wrapping_pow(3));
}

#[test]
fn reductions_prod_min_max_over_everything_or_an_axis() {
    let m = ndarray::Array2::from_shape_fn((4, 5), |(i, j)| ((i * 5 + j) as f64 - 7.5) / 2.0);
    fn ins(m: &ndarray::Array2<f64>) -> Vec<(&'static str, Arg<'_>)> {
        vec![("m", Arg::from(m))]
    }
    let all = |text: &str, m: &ndarray::Array2<f64>| f64s(eval(text, &ins(m)))[[]];
    let flat: Vec<f64> = m.iter().copied().collect();
    assert_eq!(all("min(m)", &m), -3.75);
    assert_eq!(all("max(m, axis=None)", &m), 5.75);
    assert_eq!(
        all("prod(m + 10)", &m),
        flat.iter().map(|x| x + 10.0).product::<f64>()
    );
    assert_eq!(all("product(m + 10, None)", &m), all("prod(m + 10)", &m));
    for (text, axis, f) in [
        ("min(m, axis=0)", 0, f64::min as fn(f64, f64) -> f64),
        ("max(m, 1)", 1, f64::max),
        ("max(m, -1)", 1, f64::max),
        ("min(m*2, axis=-2)", 0, f64::min),
    ] {
        let r = f64s(eval(text, &ins(&m)));
        let scale = if text.contains("m*2") { 2.0 } else { 1.0 };
        let want = m.map_axis(ndarray::Axis(axis), |lane| {
            lane.iter().fold(
                if f(0.0, 1.0) == 0.0 {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                },
                |a, &b| f(a, b * scale),
            )
        });
        assert_eq!(r, want.into_dyn(), "{text}");
    }
    // NaN propagates (numpy's min and max).
    let mut with_nan = m.clone();
    with_nan[[2, 3]] = f64::NAN;
    assert!(all("min(m)", &with_nan).is_nan());
    let r = f64s(eval("max(m, axis=1)", &ins(&with_nan)));
    assert!(r[[2]].is_nan() && r[[1]] == m[[1, 4]]);
    // Integers keep their type, strided views are read through.
    let i = ndarray::Array2::from_shape_fn((6, 3), |(r, c)| (r as i32 - 2) * (c as i32 + 1));
    let v = i.slice(ndarray::s![..;2, ..]);
    let r = eval("max(v)", &[("v", v.into_dyn().into())]);
    assert_eq!(r.dtype(), DType::I32);
    assert_eq!(r.into_typed::<i32>().unwrap()[[]], 6);
    let r = eval("min(v, axis=1)", &[("v", v.into_dyn().into())])
        .into_typed::<i32>()
        .unwrap();
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), [-6, 0, 2]);
    // Reductions of nothing: sum and prod give their identity, min and max
    // (which have none) are errors, as in numpy.
    let empty = ndarray::Array2::<f64>::zeros((0, 3));
    assert_eq!(all("prod(m)", &empty), 1.0);
    let e = evaluate("min(m)", &ins(&empty)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: `min` of no elements: the inputs are empty, and `min` has no identity"
    );
    let e = evaluate("max(m, axis=0)", &ins(&empty)).unwrap_err();
    assert!(e.to_string().contains("axis 0 is empty"), "{e}");
    assert_eq!(f64s(eval("max(m, axis=1)", &ins(&empty))).len(), 0);
}

#[test]
fn integer_powers_and_divisions_by_zero_of_constants_are_errors() {
    let a = Array1::from_vec(vec![1i64, 2, 3]);
    for text in ["(a+1)**-1", "a**(-2)", "(a*2)**-50"] {
        let e = evaluate(text, &[("a", (&a).into())]).unwrap_err();
        assert!(
            e.to_string()
                .contains("Integers to negative integer powers are not allowed"),
            "{text}: {e}"
        );
    }
    for text in ["1/0", "1 % 0", "1 // 0", "1.5 // 0.0", "a + 2 // 0"] {
        let e = evaluate(text, &[("a", (&a).into())]).unwrap_err();
        assert!(matches!(e, ExprError::Arithmetic { .. }), "{text}: {e}");
    }
    assert_eq!(
        expr::evaluate_scalar("2**40").unwrap(),
        Scalar::I64(1 << 40)
    );
    assert_eq!(
        expr::evaluate_scalar("-7 // 2 + 7.5 // -2").unwrap(),
        Scalar::F64(-8.0)
    );
}
