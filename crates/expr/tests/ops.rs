//! Every operator and function against the plain Rust computation, element
//! by element, over random inputs and shapes (strided views, NaN and inf
//! included).

// Inline tables of (expression, reference function) read best as they are.
#![allow(clippy::type_complexity)]

use expr::{evaluate, Arg, Array, Complex64, DType, Expr};
use ndarray::{s, ArrayD, ArrayViewD, IxDyn};
use proptest::prelude::*;

/// Floats with the special values mixed in.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -10.0..10.0f64,
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e300, -1e-300]),
        1 => any::<f64>(),
    ]
}

/// A shape of 1 to 3 axes with small lengths.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..7, 1..=3)
}

/// A base array twice as long on the first axis, viewed with step 2 (and
/// reversed when `rev`): a strided, non-contiguous view of `shape`.
fn strided<T: Clone>(base: &ArrayD<T>, rev: bool) -> ArrayViewD<'_, T> {
    let mut v = base.view();
    v.slice_axis_inplace(
        ndarray::Axis(0),
        ndarray::Slice::new(0, None, if rev { -2 } else { 2 }),
    );
    v
}

fn base_of<T: Clone>(shape: &[usize], vals: &[T]) -> ArrayD<T> {
    let mut s = shape.to_vec();
    s[0] *= 2;
    let n: usize = s.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(&s),
        (0..n).map(|i| vals[i % vals.len()].clone()).collect(),
    )
    .unwrap()
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Within `n` units in the last place (for the vectorised sin/cos/exp).
fn close(a: f64, b: f64, n: u64) -> bool {
    let key = |x: f64| {
        let b = x.to_bits() as i64;
        if b < 0 {
            i64::MIN - b
        } else {
            b
        }
    };
    same(a, b) || key(a).abs_diff(key(b)) <= n
}

fn f64s(a: Array) -> ArrayD<f64> {
    a.into_typed::<f64>().expect("an f64 result")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn binary_float_operators(shape in shape(), xs in prop::collection::vec(float(), 1..40),
                              ys in prop::collection::vec(float(), 1..40), rev in any::<bool>()) {
        let (ba, bb) = (base_of(&shape, &xs), base_of(&shape, &ys));
        let (a, b) = (strided(&ba, rev), strided(&bb, false));
        let cases: [(&str, fn(f64, f64) -> f64); 7] = [
            ("a + b", |x, y| x + y),
            ("a - b", |x, y| x - y),
            ("a * b", |x, y| x * y),
            ("a / b", |x, y| x / y),
            ("a ** b", f64::powf),
            ("arctan2(a, b)", f64::atan2),
            ("a % b", |x, y| { let r = x % y; if r != 0.0 && ((r < 0.0) != (y < 0.0)) { r + y } else { r } }),
        ];
        for (text, f) in cases {
            let r = f64s(evaluate(text, &[("a", Arg::F64(a.clone())), ("b", Arg::F64(b.clone()))]).unwrap());
            prop_assert_eq!(r.shape(), a.shape());
            for ((r, x), y) in r.iter().zip(a.iter()).zip(b.iter()) {
                prop_assert!(same(*r, f(*x, *y)), "{}: {} {} -> {} not {}", text, x, y, r, f(*x, *y));
            }
        }
    }

    #[test]
    fn comparisons_and_where(shape in shape(), xs in prop::collection::vec(float(), 1..30),
                             ys in prop::collection::vec(float(), 1..30)) {
        let (ba, bb) = (base_of(&shape, &xs), base_of(&shape, &ys));
        let (a, b) = (strided(&ba, true), strided(&bb, false));
        let cases: [(&str, fn(f64, f64) -> bool); 6] = [
            ("a < b", |x, y| x < y), ("a <= b", |x, y| x <= y), ("a == b", |x, y| x == y),
            ("a != b", |x, y| x != y), ("a >= b", |x, y| x >= y), ("a > b", |x, y| x > y),
        ];
        for (text, f) in cases {
            let r = evaluate(text, &[("a", Arg::F64(a.clone())), ("b", Arg::F64(b.clone()))]).unwrap();
            let r = r.into_typed::<bool>().unwrap();
            for ((r, x), y) in r.iter().zip(a.iter()).zip(b.iter()) {
                prop_assert_eq!(*r, f(*x, *y), "{} {} {}", text, x, y);
            }
        }
        let r = f64s(evaluate("where((a < b) | ~(a == a), a, b*2)", &[("a", Arg::F64(a.clone())), ("b", Arg::F64(b.clone()))]).unwrap());
        for ((r, x), y) in r.iter().zip(a.iter()).zip(b.iter()) {
            let want = if x < y || x.is_nan() { *x } else { y * 2.0 };
            prop_assert!(same(*r, want));
        }
    }

    #[test]
    fn float_functions(shape in shape(), xs in prop::collection::vec(float(), 1..40), rev in any::<bool>()) {
        let ba = base_of(&shape, &xs);
        let a = strided(&ba, rev);
        let cases: [(&str, fn(f64) -> f64); 22] = [
            ("sin(a)", f64::sin), ("cos(a)", f64::cos), ("tan(a)", f64::tan),
            ("arcsin(a)", f64::asin), ("arccos(a)", f64::acos), ("arctan(a)", f64::atan),
            ("sinh(a)", f64::sinh), ("cosh(a)", f64::cosh), ("tanh(a)", f64::tanh),
            ("arcsinh(a)", f64::asinh), ("arccosh(a)", f64::acosh), ("arctanh(a)", f64::atanh),
            ("log(a)", f64::ln), ("log10(a)", f64::log10), ("log1p(a)", f64::ln_1p),
            ("exp(a)", f64::exp), ("expm1(a)", f64::exp_m1), ("sqrt(a)", f64::sqrt),
            ("abs(a)", f64::abs), ("-a", |x| -x), ("real(a)", |x| x), ("a**0.5", f64::sqrt),
        ];
        for (text, f) in cases {
            let r = f64s(evaluate(text, &[("a", Arg::F64(a.clone()))]).unwrap());
            // sin, cos and exp are vectorised polynomials: within 1 ulp of libm.
            let ulps = if ["sin(a)", "cos(a)", "exp(a)"].contains(&text) { 1 } else { 0 };
            for (r, x) in r.iter().zip(a.iter()) {
                prop_assert!(close(*r, f(*x), ulps), "{}({}) -> {} not {}", text, x, r, f(*x));
            }
        }
        // Integer powers become multiplications: exact against the same products.
        let pows: [(&str, fn(f64) -> f64); 5] = [
            ("a**2", |x| x * x), ("a**3", |x| x * x * x), ("a**4", |x| (x * x) * (x * x)),
            ("a**-2", |x| 1.0 / (x * x)), ("a**0", |_| 1.0),
        ];
        for (text, f) in pows {
            let r = f64s(evaluate(text, &[("a", Arg::F64(a.clone()))]).unwrap());
            for (r, x) in r.iter().zip(a.iter()) {
                prop_assert!(same(*r, f(*x)), "{} at {}: {} not {}", text, x, r, f(*x));
            }
        }
    }

    #[test]
    fn f32_stays_f32(xs in prop::collection::vec(-5.0f32..5.0, 1..50)) {
        let a = ndarray::Array1::from(xs.clone());
        let r = evaluate("sin(a) * a + 1", &[("a", (&a).into())]).unwrap();
        prop_assert_eq!(r.dtype(), DType::F32);
        let r = r.into_typed::<f32>().unwrap();
        for (r, x) in r.iter().zip(&xs) {
            prop_assert_eq!(*r, x.sin() * x + 1.0);
        }
        // An f64 scalar promotes (numexpr's rule, unlike numpy's).
        prop_assert_eq!(evaluate("a * 1.5", &[("a", (&a).into())]).unwrap().dtype(), DType::F64);
    }

    #[test]
    fn integer_operators(xs in prop::collection::vec(-1000i64..1000, 1..40),
                         ys in prop::collection::vec(-40i64..40, 1..40)) {
        let n = xs.len().min(ys.len());
        let a = ndarray::Array1::from(xs[..n].to_vec());
        let b = ndarray::Array1::from(ys[..n].to_vec());
        let pymod = |x: i64, y: i64| if y == 0 { 0 } else { ((x % y) + y) % y };
        let shift = |x: i64, y: i64, left: bool| if !(0..64).contains(&y) { if left || x >= 0 { 0 } else { -1 } } else if left { x << y } else { x >> y };
        let cases: [(&str, Box<dyn Fn(i64, i64) -> i64>); 8] = [
            ("a + b", Box::new(|x, y| x + y)), ("a - b", Box::new(|x, y| x - y)),
            ("a * b", Box::new(|x, y| x * y)), ("a % b", Box::new(pymod)),
            ("a << b", Box::new(move |x, y| shift(x, y, true))), ("a >> b", Box::new(move |x, y| shift(x, y, false))),
            ("a & b", Box::new(|x, y| x & y)), ("a | b", Box::new(|x, y| x | y)),
        ];
        for (text, f) in cases.iter() {
            let r = evaluate(text, &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
            prop_assert_eq!(r.dtype(), DType::I64);
            let r = r.into_typed::<i64>().unwrap();
            for ((r, x), y) in r.iter().zip(&a).zip(&b) {
                prop_assert_eq!(*r, f(*x, *y), "{} {} {}", text, x, y);
            }
        }
        // True division and functions give f64 (numexpr's `abs` too); ~
        // and sign stay integer.
        let r = f64s(evaluate("a / b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap());
        for ((r, x), y) in r.iter().zip(&a).zip(&b) {
            prop_assert!(same(*r, *x as f64 / *y as f64));
        }
        let r = f64s(evaluate("~a + abs(b)", &[("a", (&a).into()), ("b", (&b).into())]).unwrap());
        for ((r, x), y) in r.iter().zip(&a).zip(&b) {
            prop_assert_eq!(*r, (!x) as f64 + y.abs() as f64);
        }
        let r = evaluate("~a + sign(b)", &[("a", (&a).into()), ("b", (&b).into())]).unwrap().into_typed::<i64>().unwrap();
        for ((r, x), y) in r.iter().zip(&a).zip(&b) {
            prop_assert_eq!(*r, !x + y.signum());
        }
    }

    #[test]
    fn i32_mixes_with_f64_by_kind_ranking(xs in prop::collection::vec(-100i32..100, 1..30)) {
        let a = ndarray::Array1::from(xs.clone());
        let r = evaluate("a * 3 + 1", &[("a", (&a).into())]).unwrap();
        prop_assert_eq!(r.dtype(), DType::I32);
        prop_assert_eq!(r.into_typed::<i32>().unwrap().iter().cloned().collect::<Vec<_>>(), xs.iter().map(|x| x * 3 + 1).collect::<Vec<_>>());
        let r = f64s(evaluate("a * 0.5 + sqrt(a*a)", &[("a", (&a).into())]).unwrap());
        for (r, x) in r.iter().zip(&xs) {
            prop_assert_eq!(*r, *x as f64 * 0.5 + ((x * x) as f64).sqrt());
        }
        let r = evaluate("a**3", &[("a", (&a).into())]).unwrap().into_typed::<i32>().unwrap();
        for (r, x) in r.iter().zip(&xs) {
            prop_assert_eq!(*r, x * x * x);
        }
    }

    #[test]
    fn complex_operations(re in prop::collection::vec(-3.0f64..3.0, 2..20), im in prop::collection::vec(-3.0f64..3.0, 2..20)) {
        let n = re.len().min(im.len());
        let a = ndarray::Array1::from(re[..n].to_vec());
        let b = ndarray::Array1::from(im[..n].to_vec());
        let z: Vec<Complex64> = (0..n).map(|i| Complex64::new(re[i], im[i])).collect();
        let r = evaluate("complex(a, b)", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
        prop_assert_eq!(r.into_typed::<Complex64>().unwrap().iter().cloned().collect::<Vec<_>>(), z.clone());
        let c = ndarray::Array1::from(z.clone());
        let cases: [(&str, fn(Complex64) -> Complex64); 8] = [
            ("sin(c)", |z| z.sin()), ("exp(c)", |z| z.exp()), ("sqrt(c)", |z| z.sqrt()),
            ("log(c)", |z| z.ln()), ("conj(c)", |z| z.conj()), ("c*c + 1j", |z| z * z + Complex64::new(0.0, 1.0)),
            ("c / (c + 2)", |z| z / (z + 2.0)), ("arctanh(c)", |z| z.atanh()),
        ];
        for (text, f) in cases {
            let r = evaluate(text, &[("c", (&c).into())]).unwrap().into_typed::<Complex64>().unwrap();
            // num_complex's textbook formulas agree with the engine's
            // (numpy's, see tests/numpy_complex.rs) to rounding here.
            for (r, x) in r.iter().zip(&z) {
                let want = f(*x);
                prop_assert!(*r == want || (*r - want).norm() <= 1e-12 * want.norm(), "{}: {} vs {}", text, r, want);
            }
        }
        let r = f64s(evaluate("real(abs(c)) + real(c) * c.imag", &[("c", (&c).into())]).unwrap());
        for (r, x) in r.iter().zip(&z) {
            prop_assert_eq!(*r, x.norm() + x.re * x.im);
        }
    }

    #[test]
    fn reductions_match_sequential_sums(shape in shape(), xs in prop::collection::vec(-10.0f64..10.0, 1..60), rev in any::<bool>()) {
        let ba = base_of(&shape, &xs);
        let a = strided(&ba, rev);
        let total: f64 = a.iter().map(|x| x * 2.0 + 1.0).sum();
        let r = f64s(evaluate("sum(a*2 + 1)", &[("a", Arg::F64(a.clone()))]).unwrap());
        prop_assert_eq!(r.ndim(), 0);
        let scale: f64 = a.iter().map(|x| x.abs() * 2.0 + 1.0).sum();
        prop_assert!((r[[]] - total).abs() <= 1e-12 * scale, "{} vs {}", r[[]], total);
        let prod: f64 = a.iter().map(|x| 1.0 + x / 100.0).product();
        let r = f64s(evaluate("product(1 + a/100)", &[("a", Arg::F64(a.clone()))]).unwrap());
        prop_assert!((r[[]] - prod).abs() <= 1e-12 * prod.abs().max(1.0));
        for axis in 0..shape.len() {
            let want = a.map_axis(ndarray::Axis(axis), |lane| lane.iter().map(|x| x * x).sum::<f64>());
            let text = format!("sum(a**2, axis={axis})");
            let r = f64s(evaluate(&text, &[("a", Arg::F64(a.clone()))]).unwrap());
            prop_assert_eq!(r.shape(), want.shape());
            for (r, w) in r.iter().zip(want.iter()) {
                prop_assert!((r - w).abs() <= 1e-12 * w.abs().max(1.0), "{}: {} vs {}", text, r, w);
            }
        }
        let ints = a.mapv(|x| x as i32);
        let r = evaluate("sum(a)", &[("a", (&ints).into())]).unwrap();
        prop_assert_eq!(r.into_typed::<i64>().unwrap()[[]], ints.iter().map(|&x| x as i64).sum::<i64>());
    }

    #[test]
    fn stencils_match_loops(rows in 3usize..40, cols in 3usize..40, xs in prop::collection::vec(-1.0f64..1.0, 1..100)) {
        let u = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| xs[(i[0] * 7 + i[1] * 3) % xs.len()]);
        let e = Expr::compile("u + 0.1*(u[-1,0] + u[1,0] + u[0,-1] + u[0,+1] - 4*u)", &[("u", DType::F64)]).unwrap();
        let mut out = ArrayD::<f64>::from_elem(IxDyn(&[rows, cols]), 7.0);
        e.eval(&[("u", (&u).into())], &mut out).unwrap();
        for i in 0..rows {
            for j in 0..cols {
                let want = if i == 0 || j == 0 || i == rows - 1 || j == cols - 1 {
                    7.0
                } else {
                    u[[i, j]] + 0.1 * (u[[i - 1, j]] + u[[i + 1, j]] + u[[i, j - 1]] + u[[i, j + 1]] - 4.0 * u[[i, j]])
                };
                prop_assert_eq!(out[[i, j]], want, "at {},{}", i, j);
            }
        }
        // 1-D with an uneven reach: the interior is [2, n-1).
        let v = ndarray::Array1::from(xs.clone());
        if xs.len() >= 4 {
            let r = f64s(evaluate("v[-2] - v[1]", &[("v", (&v).into())]).unwrap());
            for i in 0..xs.len() {
                let want = if i >= 2 && i + 1 < xs.len() { xs[i - 2] - xs[i + 1] } else { 0.0 };
                prop_assert_eq!(r[[i]], want);
            }
        }
    }
}

#[test]
fn output_may_be_a_strided_view_of_a_bigger_array() {
    let a = ndarray::Array2::from_shape_fn((50, 300), |(i, j)| (i * 300 + j) as f64);
    let mut big = ndarray::Array2::<f64>::zeros((100, 600));
    let e = Expr::compile("a*2 + 1", &[("a", DType::F64)]).unwrap();
    e.eval(&[("a", (&a).into())], big.slice_mut(s![..;2, 1..;2]))
        .unwrap();
    for i in 0..100 {
        for j in 0..600 {
            let want = if i % 2 == 0 && j % 2 == 1 {
                a[[i / 2, j / 2]] * 2.0 + 1.0
            } else {
                0.0
            };
            assert_eq!(big[[i, j]], want);
        }
    }
    // A transposed input (column-major strides) and short rows go the gather way.
    let t = a.t();
    let mut out = ndarray::Array2::<f64>::zeros((300, 50));
    e.eval(&[("a", t.into())], &mut out).unwrap();
    assert_eq!(out, t.mapv(|x| x * 2.0 + 1.0));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let n = 300_001;
    let a = ndarray::Array1::from_shape_fn(n, |i| ((i * 7919) % 1000) as f64 / 7.0);
    let b = ndarray::Array1::from_shape_fn(n, |i| ((i * 104729) % 1000) as f64 / 3.0);
    let run = |t| {
        let old = expr::set_num_threads(t);
        let e = evaluate(
            "a**2 + b**2 + 2*a*b",
            &[("a", (&a).into()), ("b", (&b).into())],
        )
        .unwrap();
        let s = evaluate("sum(sin(a) * b)", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
        expr::set_num_threads(old);
        (e, s)
    };
    let (e1, s1) = run(1);
    let (e2, s2) = run(2);
    assert_eq!(e1, e2);
    assert_eq!(s1, s2);
    let want: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| x * x + y * y + 2.0 * x * y)
        .collect();
    assert_eq!(f64s(e1).as_slice().unwrap(), &want[..]);
}

#[test]
fn bools_and_constants() {
    let a = ndarray::array![true, false, true, false];
    let b = ndarray::array![true, true, false, false];
    let r = evaluate(
        "(a & ~b) | (b == False)",
        &[("a", (&a).into()), ("b", (&b).into())],
    )
    .unwrap();
    assert_eq!(
        r.into_typed::<bool>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![false, false, true, true]
    );
    assert_eq!(
        expr::evaluate_scalar("2**10 + 3 % 2").unwrap(),
        expr::Scalar::I32(1025)
    );
    assert_eq!(
        expr::evaluate_scalar("1/2").unwrap(),
        expr::Scalar::F64(0.5)
    );
    assert_eq!(
        expr::evaluate_scalar("(1+2j)*(1-2j)").unwrap(),
        expr::Scalar::C128(Complex64::new(5.0, 0.0))
    );
    assert_eq!(
        expr::evaluate_scalar("sum(3)").unwrap(),
        expr::Scalar::I64(3)
    );
    // Folding: constant sub-expressions disappear from the program.
    let e = Expr::compile("a * (2*3 + sin(0.0))", &[("a", DType::F64)]).unwrap();
    assert_eq!(e.num_instructions(), 1);
    // x**2 + y**2 and (p*q)*y+z fused: the course's expression is 2 instructions, not 7.
    let e = Expr::compile(
        "a**2 + b**2 + 2*a*b",
        &[("a", DType::F64), ("b", DType::F64)],
    )
    .unwrap();
    assert_eq!(e.num_instructions(), 2);
    // A 0-d input broadcasts like a scalar.
    let k = ndarray::arr0(2.5);
    let x = ndarray::array![1.0, 2.0];
    let r = f64s(evaluate("x*k", &[("x", (&x).into()), ("k", (&k).into())]).unwrap());
    assert_eq!(r.as_slice().unwrap(), &[2.5, 5.0]);
    // Casting into a wider output.
    let i = ndarray::array![1i32, 2, 3];
    let mut out = ndarray::Array1::<f64>::zeros(3);
    Expr::compile("i*i", &[("i", DType::I32)])
        .unwrap()
        .eval(&[("i", (&i).into())], &mut out)
        .unwrap();
    assert_eq!(out.to_vec(), vec![1.0, 4.0, 9.0]);
}

#[test]
fn three_d_stencil_and_axis_reduction() {
    let u = ndarray::Array3::from_shape_fn((5, 6, 7), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
    let r = f64s(evaluate("u[1,0,0] - u[0,0,-1]", &[("u", (&u).into())]).unwrap());
    for i in 0..4 {
        for j in 0..6 {
            for k in 1..7 {
                assert_eq!(r[[i, j, k]], u[[i + 1, j, k]] - u[[i, j, k - 1]]);
            }
        }
    }
    let r = f64s(evaluate("sum(u, axis=-1)", &[("u", (&u).into())]).unwrap());
    assert_eq!(r.shape(), &[5, 6]);
    assert_eq!(
        r[[4, 5]],
        (0..7).map(|k| (400 + 50 + k) as f64).sum::<f64>()
    );
}

#[test]
fn views_of_inputs_with_offsets() {
    // A stencil on a strided view reads through its strides.
    let base = ndarray::Array2::from_shape_fn((20, 20), |(i, j)| (i * 20 + j) as f64);
    let v = base.slice(s![..;2, ..;3]);
    let r = f64s(evaluate("u[0,1] - u[-1,0]", &[("u", v.into_dyn().into())]).unwrap());
    for i in 1..v.nrows() {
        for j in 0..v.ncols() - 1 {
            assert_eq!(r[[i, j]], v[[i, j + 1]] - v[[i - 1, j]]);
        }
    }
    let _unused: Option<Array> = None;
}

#[test]
fn fused_stencil_update_with_array_coefficients() {
    // The 5-point update fuses into one instruction; an array `k` takes the
    // general (non-scalar) path of that instruction.
    let u = ndarray::Array2::from_shape_fn((9, 11), |(i, j)| ((i * 13 + j * 7) % 10) as f64 / 10.0);
    let k = ndarray::Array2::from_shape_fn((9, 11), |(i, j)| (i + j) as f64 / 100.0);
    let text = "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)";
    let e = Expr::compile(text, &[("u", DType::F64), ("k", DType::F64)]).unwrap();
    assert_eq!(e.num_instructions(), 1);
    let r = f64s(
        e.eval_new(&[("u", (&u).into()), ("k", (&k).into())])
            .unwrap(),
    );
    for i in 1..8 {
        for j in 1..10 {
            let c = u[[i, j]];
            let want = c + k[[i, j]]
                * ((((u[[i + 1, j]] + u[[i - 1, j]]) + u[[i, j + 1]]) + u[[i, j - 1]]) - 4.0 * c);
            assert_eq!(r[[i, j]], want);
        }
    }
}

/// Evaluates each expression of `a` and `b` (50 f64 values each) and
/// checks it bit for bit against its plain Rust twin.
fn check_f64_cases(cases: &[(&str, fn(f64, f64) -> f64)]) {
    let a = ndarray::Array1::from_shape_fn(50, |i| i as f64 * 0.37 - 3.0);
    let b = ndarray::Array1::from_shape_fn(50, |i| (i as f64).sin());
    let ins = [("a", (&a).into()), ("b", (&b).into())];
    for (text, f) in cases {
        let r = f64s(evaluate(text, &ins).unwrap());
        for ((r, x), y) in r.iter().zip(&a).zip(&b) {
            assert_eq!(*r, f(*x, *y), "{text}");
        }
    }
}

#[test]
fn triple_products_plus_a_term_in_every_operand_position() {
    check_f64_cases(&[
        ("2*a*b + a", |x, y| (2.0 * x) * y + x),
        ("a*2*b + 1", |x, y| (x * 2.0) * y + 1.0),
        ("b + a*b*3", |x, y| (x * y) * 3.0 + y),
        ("a*b*a + b", |x, y| (x * y) * x + y),
    ]);
}

#[test]
fn sums_and_differences_of_two_products_in_each_type() {
    // `x*y ± z*w` is one instruction rounding each product, like numpy.
    check_f64_cases(&[
        ("a**2 + b**2", |x, y| x * x + y * y),
        ("a*b - b*3", |x, y| x * y - y * 3.0),
        ("a*a*b - a*b", |x, y| (x * x) * y - x * y),
        ("(a*b + 1)*b + a*a", |x, y| (x * y + 1.0) * y + x * x),
    ]);
    let e = Expr::compile("a**2 + b**2", &[("a", DType::F64), ("b", DType::F64)]).unwrap();
    assert_eq!(e.num_instructions(), 1);

    let i = ndarray::Array1::from_shape_fn(30, |k| k as i64 * 1_000_003 - 7);
    let j = ndarray::Array1::from_shape_fn(30, |k| 5 - k as i64 * 999_983);
    let Array::I64(r) = evaluate("i*j - j*j", &[("i", (&i).into()), ("j", (&j).into())]).unwrap()
    else {
        panic!("i64 in, i64 out");
    };
    for ((r, x), y) in r.iter().zip(&i).zip(&j) {
        assert_eq!(*r, x.wrapping_mul(*y).wrapping_sub(y.wrapping_mul(*y)));
    }

    let z = ndarray::Array1::from_shape_fn(20, |k| {
        num_complex::Complex64::new(k as f64, 1.0 - k as f64)
    });
    let Array::C128(r) = evaluate("z*z + z*1j", &[("z", (&z).into())]).unwrap() else {
        panic!("complex in, complex out");
    };
    let one_j = num_complex::Complex64::new(0.0, 1.0);
    for (r, z) in r.iter().zip(&z) {
        assert_eq!(*r, z * z + z * one_j);
    }
}
