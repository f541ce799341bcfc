//! numpy's broadcasting of array inputs: every evaluation over inputs of
//! compatible shapes equals the same expression over the inputs expanded
//! by hand to the broadcast shape; incompatible shapes are a one-line error
//! naming both; `out=` may be any shape the inputs broadcast to; stencils,
//! `iterate` and `stepwise` refuse stretched inputs.

use expr::{evaluate, Arg, DType, Expr, ExprError};
use ndarray::{Array1, Array2, ArrayD, ArrayViewD, Axis, IxDyn, Slice};
use proptest::prelude::*;

/// A shape of 1 to 3 axes of 0 to 4 elements.
fn full_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 1..=3)
}

/// A shape that broadcasts to `full`: a suffix of its axes, each either
/// `full`'s length or 1 (`keep` picks the suffix length, `ones` which axes
/// are 1).
fn fitting(full: &[usize], keep: usize, ones: u8) -> Vec<usize> {
    let k = keep % (full.len() + 1);
    let skip = full.len() - k;
    (0..k)
        .map(|ax| {
            if ones >> ax & 1 == 1 {
                1
            } else {
                full[skip + ax]
            }
        })
        .collect()
}

/// An array of `shape` with distinct values from `seed`.
fn filled(shape: &[usize], seed: i64) -> ArrayD<i64> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n as i64).map(|i| i * 7 + seed).collect()).unwrap()
}

/// A view of `a` reversed along its first axis (when it has one): strided
/// inputs broadcast as contiguous ones do.
fn reversed(a: &ArrayD<i64>) -> ArrayViewD<'_, i64> {
    let mut v = a.view();
    if v.ndim() > 0 {
        v.slice_axis_inplace(Axis(0), Slice::new(0, None, -1));
    }
    v
}

/// The element of `a` that numpy's broadcasting reads for index `idx` of
/// the broadcast shape, found by hand: missing leading axes are skipped and
/// axes of length 1 read their one element.
fn at(a: &ArrayViewD<'_, i64>, idx: &[usize]) -> i64 {
    let skip = idx.len() - a.ndim();
    let own: Vec<usize> = (0..a.ndim())
        .map(|ax| {
            if a.shape()[ax] == 1 {
                0
            } else {
                idx[skip + ax]
            }
        })
        .collect();
    a[IxDyn(&own)]
}

/// Every multi-index of `shape` in C order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut k| {
            let mut idx = vec![0; shape.len()];
            for ax in (0..shape.len()).rev() {
                idx[ax] = k % shape[ax];
                k /= shape[ax];
            }
            idx
        })
        .collect()
}

fn i64s(r: expr::Array) -> ArrayD<i64> {
    r.into_typed::<i64>().expect("an i64 result")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn compatible_shapes_equal_the_inputs_expanded_by_hand(
        full in full_shape(),
        (ka, kb, kc) in (0usize..4, 0usize..4, 0usize..4),
        (oa, ob, oc) in (any::<u8>(), any::<u8>(), any::<u8>()),
        rev in any::<bool>(),
    ) {
        let (sa, sb, sc) = (fitting(&full, ka, oa), fitting(&full, kb, ob), fitting(&full, kc, oc));
        let (a, b, c) = (filled(&sa, 1), filled(&sb, -50), filled(&sc, 3));
        let va = if rev { reversed(&a) } else { a.view() };
        let (vb, vc) = (b.view(), c.view());
        let inputs = [("a", Arg::I64(va.clone())), ("b", Arg::I64(vb.clone())), ("c", Arg::I64(vc.clone()))];
        // The shape numpy gives: along each axis the length other than 1
        // of the inputs that have the axis (they agree), else 1.
        let nd = sa.len().max(sb.len()).max(sc.len());
        let want_shape: Vec<usize> = (0..nd)
            .map(|ax| {
                [&sa, &sb, &sc]
                    .iter()
                    .filter_map(|s| (ax + s.len()).checked_sub(nd).map(|i| s[i]))
                    .find(|&n| n != 1)
                    .unwrap_or(1)
            })
            .collect();
        for (text, f) in [
            ("a * b + c", (|x, y, z| x * y + z) as fn(i64, i64, i64) -> i64),
            ("where(a > c, b - a, c)", |x, y, z| if x > z { y - x } else { z }),
        ] {
            let r = i64s(evaluate(text, &inputs).unwrap());
            prop_assert_eq!(r.shape(), want_shape.as_slice(), "{} over {:?} {:?} {:?}", text, sa, sb, sc);
            for idx in indices(&want_shape) {
                let want = f(at(&va, &idx), at(&vb, &idx), at(&vc, &idx));
                prop_assert_eq!(r[IxDyn(&idx)], want, "{} at {:?} over {:?} {:?} {:?}", text, idx, sa, sb, sc);
            }
        }
        // A reduction over the broadcast shape, whole and along each axis.
        let sum = i64s(evaluate("sum(a * b + c)", &inputs).unwrap());
        let want: i64 = indices(&want_shape).iter().map(|i| at(&va, i) * at(&vb, i) + at(&vc, i)).sum();
        prop_assert_eq!(sum[IxDyn(&[])], want);
        for ax in 0..nd {
            let r = i64s(evaluate(&format!("sum(a * b + c, axis={ax})"), &inputs).unwrap());
            let mut reduced = want_shape.clone();
            reduced.remove(ax);
            prop_assert_eq!(r.shape(), reduced.as_slice());
            for idx in indices(&reduced) {
                let want: i64 = (0..want_shape[ax])
                    .map(|k| {
                        let mut i = idx.clone();
                        i.insert(ax, k);
                        at(&va, &i) * at(&vb, &i) + at(&vc, &i)
                    })
                    .sum();
                prop_assert_eq!(r[IxDyn(&idx)], want, "axis {} at {:?}", ax, idx);
            }
        }
    }

    #[test]
    fn out_may_be_any_shape_the_inputs_broadcast_to(
        full in full_shape(), ka in 0usize..4, oa in any::<u8>(),
    ) {
        let sa = fitting(&full, ka, oa);
        let a = filled(&sa, 5);
        let e = Expr::compile("2*a + 1", &[("a", DType::I64)]).unwrap();
        let mut out = ArrayD::<i64>::zeros(IxDyn(&full));
        e.eval(&[("a", (&a).into())], &mut out).unwrap();
        let va = a.view();
        for idx in indices(&full) {
            prop_assert_eq!(out[IxDyn(&idx)], 2 * at(&va, &idx) + 1);
        }
    }

    #[test]
    fn incompatible_shapes_are_one_line_errors_naming_both(
        full in prop::collection::vec(2usize..5, 1..=3), ax in 0usize..3, longer in any::<bool>(),
    ) {
        // `b` is `full` with one axis one longer: neither 1 nor equal there.
        let ax = ax % full.len();
        let mut sb = full.clone();
        sb[ax] += 1;
        let (a, b) = (filled(&full, 0), filled(&sb, 0));
        let (first, second) = if longer { (&b, &a) } else { (&a, &b) };
        let err = evaluate("x + y", &[("x", first.into()), ("y", second.into())]).unwrap_err();
        prop_assert!(matches!(err, ExprError::Shape(_)), "{}", err);
        let msg = err.to_string();
        prop_assert_eq!(
            msg.clone(),
            format!(
                "shape mismatch: input `x` has shape {:?} but `y` has shape {:?}: they do not broadcast together",
                first.shape(), second.shape()
            )
        );
        prop_assert!(!msg.contains('\n'));
    }
}

#[test]
fn numexpr_suite_shapes() {
    let a = Array2::from_shape_fn((5, 10), |(i, j)| (i * 10 + j) as i64);
    let c = Array1::from_shape_fn(10, |j| 100 * j as i64);
    let d = Array2::from_shape_fn((5, 1), |(i, _)| 1000 * i as i64);
    let r = i64s(evaluate("a+c", &[("a", (&a).into()), ("c", (&c).into())]).unwrap());
    assert_eq!(r, (&a + &c).into_dyn());
    let r = i64s(evaluate("a+d", &[("a", (&a).into()), ("d", (&d).into())]).unwrap());
    assert_eq!(r, (&a + &d).into_dyn());
    // a[5,1] * b[1,7]: an outer product.
    let b = Array2::from_shape_fn((1, 7), |(_, j)| j as i64 + 1);
    let r = i64s(evaluate("d*b", &[("d", (&d).into()), ("b", (&b).into())]).unwrap());
    assert_eq!(r, (&d * &b).into_dyn());
    // 0-d and size-1 inputs.
    let one = Array2::from_elem((1, 1), 3i64);
    let zero_d = ndarray::arr0(2i64);
    let r = i64s(
        evaluate(
            "a*one + z",
            &[
                ("a", (&a).into()),
                ("one", (&one).into()),
                ("z", (&zero_d).into()),
            ],
        )
        .unwrap(),
    );
    assert_eq!(r, (&a * 3 + 2).into_dyn());
    let r = i64s(
        evaluate(
            "one + z",
            &[("one", (&one).into()), ("z", (&zero_d).into())],
        )
        .unwrap(),
    );
    assert_eq!(r.shape(), &[1, 1]);
    assert_eq!(r[[0, 0]], 5);
    // numexpr's test_in_place: out= of the broadcast shape.
    let x = Array2::from_shape_fn((1000, 10), |(i, j)| (i + j) as f64);
    let y = Array1::from_shape_fn(10, |j| j as i64);
    let e = Expr::compile(
        "(x - 3) * y + (x - 3)",
        &[("x", DType::F64), ("y", DType::I64)],
    )
    .unwrap();
    let mut out = Array2::<f64>::zeros((1000, 10));
    e.eval(&[("x", (&x).into()), ("y", (&y).into())], &mut out)
        .unwrap();
    let yf = y.mapv(|v| v as f64);
    assert_eq!(out, (&x - 3.0) * &yf + (&x - 3.0));
}

#[test]
fn out_of_another_shape_is_refused() {
    let a = Array2::<f64>::zeros((5, 10));
    let e = Expr::compile("a + 1", &[("a", DType::F64)]).unwrap();
    let mut small = Array1::<f64>::zeros(10);
    let err = e.eval(&[("a", (&a).into())], &mut small).unwrap_err();
    assert_eq!(
        err.to_string(),
        "output error: `out` has shape [10] but the inputs have shape [5, 10]"
    );
    let mut big = ArrayD::<f64>::zeros(IxDyn(&[2, 2, 2, 2]));
    let z = ndarray::arr0(1.0);
    let err = e.eval(&[("a", (&z).into())], &mut big).unwrap_err();
    assert!(err.to_string().contains("1 to 3 dimensions"), "{err}");
}

#[test]
fn stencils_iterate_and_stepwise_refuse_stretched_inputs() {
    let u = Array2::<f64>::zeros((6, 6));
    let k = Array1::<f64>::zeros(6);
    let sig = [("u", DType::F64), ("k", DType::F64)];
    let stencil = Expr::compile("u[-1,0] + k*u", &sig).unwrap();
    let err = stencil
        .eval_new(&[("u", (&u).into()), ("k", (&k).into())])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "shape mismatch: input `u` has shape [6, 6] but `k` has shape [6]: with stencil offsets, array inputs must have one shape (only 0-d inputs broadcast)"
    );
    let step = Expr::compile("u + k", &sig).unwrap();
    let mut state = u.clone();
    let err = step
        .iterate("u", &mut state, &[("k", (&k).into())], 3)
        .unwrap_err();
    assert!(matches!(err, ExprError::Shape(_)), "{err}");
    assert!(!err.to_string().contains('\n'));
    let sum = Expr::compile("sum(u * k)", &sig).unwrap();
    let err = sum
        .stepwise(&[("u", (&u).into()), ("k", (&k).into())])
        .unwrap_err();
    assert!(matches!(err, ExprError::Shape(_)), "{err}");
    // The same expressions over one shape still run.
    let k2 = Array2::<f64>::ones((6, 6));
    stencil
        .eval_new(&[("u", (&u).into()), ("k", (&k2).into())])
        .unwrap();
    assert!(sum
        .stepwise(&[("u", (&u).into()), ("k", (&k2).into())])
        .is_ok());
}
