//! `Expr::stepwise`: a reduction run a range of steps at a time gives bit
//! for bit what one `eval` gives, reads only the rows `rows` names for the
//! steps run, and refuses what it cannot do.

use expr::{Arg, Array, DType, Element, Expr, ExprError};
use ndarray::{ArrayD, Axis, IxDyn, ShapeBuilder};
use proptest::prelude::*;

/// Runs `e` over `inputs` `step` steps at a time; before each run, every
/// row of axis 0 outside `rows(steps)` is overwritten with `poison`, so that
/// a step reading a row it did not announce changes the result.
fn stepwise<T: Element>(
    e: &Expr,
    inputs: &[(&str, ArrayD<T>)],
    step: usize,
    poison: T,
) -> Result<Array, ExprError> {
    let args: Vec<(&str, Arg)> = inputs.iter().map(|(n, a)| (*n, a.into())).collect();
    let mut r = e.stepwise(&args)?;
    let mut work: Vec<ArrayD<T>> = inputs.iter().map(|(_, a)| a.clone()).collect();
    let n = r.steps();
    let mut first = 0;
    while first < n {
        let steps = first..(first + step).min(n);
        let rows = r.rows(steps.clone());
        for ((_, pristine), w) in inputs.iter().zip(&mut work) {
            if pristine.ndim() == 0 {
                continue;
            }
            for (i, mut row) in w.axis_iter_mut(Axis(0)).enumerate() {
                if rows.contains(&i) {
                    row.assign(&pristine.index_axis(Axis(0), i));
                } else {
                    row.fill(poison);
                }
            }
        }
        let args: Vec<(&str, Arg)> = inputs
            .iter()
            .zip(&work)
            .map(|((n, _), a)| (*n, a.into()))
            .collect();
        r.run(&args, steps.clone())?;
        first = steps.end;
    }
    r.finish()
}

/// An array of `shape` holding `values` (cycled), in C or Fortran order.
fn array<T: Copy>(shape: &[usize], values: &[T], fortran: bool) -> ArrayD<T> {
    let len: usize = shape.iter().product();
    let data: Vec<T> = values.iter().copied().cycle().take(len).collect();
    if fortran {
        ArrayD::from_shape_vec(IxDyn(shape).f(), data).unwrap()
    } else {
        ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
    }
}

/// Offsets `[o,0,...]` for `nd` axes.
fn at(name: &str, o: i64, nd: usize) -> String {
    let mut offs = vec![o.to_string()];
    offs.resize(nd, "0".into());
    format!("{name}[{}]", offs.join(","))
}

/// The reductions tried on `nd`-D inputs `a` and `b`.
fn texts(nd: usize) -> Vec<String> {
    vec![
        "sum(a*b + 1)".into(),
        "product(a*0.001 + 1)".into(),
        "sum(a - b, axis=0)".into(),
        format!("sum(a, axis={})", -(nd as i64)),
        "product(b*0.001 + 1, axis=0)".into(),
        "min(a - b)".into(),
        "max(a*b, axis=0)".into(),
        format!("sum({} - 2*a + {})", at("a", -1, nd), at("a", 2, nd)),
        format!("sum({} * b, axis=0)", at("a", 1, nd)),
    ]
}

fn shapes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        (4usize..5000).prop_map(|n| vec![n]),
        (4usize..200, 1usize..90).prop_map(|(a, b)| vec![a, b]),
        (4usize..40, 1usize..9, 1usize..70).prop_map(|(a, b, c)| vec![a, b, c]),
    ]
}

fn check<T: Element + std::fmt::Debug>(
    shape: &[usize],
    values: &[f64],
    conv: impl Fn(f64) -> T,
    poison: T,
    fortran: bool,
    step: usize,
) {
    let vals: Vec<T> = values.iter().map(|&v| conv(v)).collect();
    let rev: Vec<T> = vals.iter().rev().copied().collect();
    let inputs = [
        ("a", array(shape, &vals, fortran)),
        ("b", array(shape, &rev, false)),
    ];
    for text in texts(shape.len()) {
        let sig = [("a", T::DTYPE), ("b", T::DTYPE)];
        let e = match Expr::compile(&text, &sig) {
            Ok(e) => e,
            // `0.001` makes integer inputs f64; every text compiles for floats.
            Err(err) => panic!("{text}: {err}"),
        };
        let args: Vec<(&str, Arg)> = inputs.iter().map(|(n, a)| (*n, a.into())).collect();
        let whole = e.eval_new(&args).unwrap();
        let steps = stepwise(&e, &inputs, step, poison).unwrap();
        // Debug text tells -0.0 from 0.0: the comparison is bit for bit.
        assert_eq!(
            format!("{steps:?}"),
            format!("{whole:?}"),
            "{text} over {shape:?} (fortran {fortran}) {step} step(s) at a time"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn steps_give_what_one_eval_gives(
        shape in shapes(),
        values in prop::collection::vec(-1e3f64..1e3, 1..200),
        fortran in any::<bool>(),
        step in 1usize..40,
    ) {
        check(&shape, &values, |v| v, f64::NAN, fortran, step);
        check(&shape, &values, |v| v as f32, f32::NAN, fortran, step);
        check(&shape, &values, |v| v as i64, i64::MIN, fortran, step);
        check(&shape, &values, |v| v as i32, i32::MAX, fortran, step);
    }
}

#[test]
fn a_scalar_input_broadcasts_and_reads_no_rows() {
    let a = array(&[3000], &[0.5, 1.5, -2.25], false);
    let k = ndarray::arr0(3.0).into_dyn();
    let e = Expr::compile("sum(a*k)", &[("a", DType::F64), ("k", DType::F64)]).unwrap();
    let got = stepwise(&e, &[("a", a.clone()), ("k", k.clone())], 1, f64::NAN).unwrap();
    let args = [("a", (&a).into()), ("k", (&k).into())];
    assert_eq!(got, e.eval_new(&args).unwrap());
    // Only scalars: one step, no rows.
    let e = Expr::compile("sum(k*2)", &[("k", DType::F64)]).unwrap();
    let r = e.stepwise(&[("k", (&k).into())]).unwrap();
    assert_eq!(r.steps(), 1);
    assert_eq!(r.rows(0..1), 0..0);
}

#[test]
fn nothing_to_reduce_is_the_identity_or_an_error() {
    let a = ArrayD::<f64>::zeros(IxDyn(&[0, 5]));
    for (text, want) in [("sum(a)", 0.0), ("product(a)", 1.0)] {
        let e = Expr::compile(text, &[("a", DType::F64)]).unwrap();
        let r = e.stepwise(&[("a", (&a).into())]).unwrap();
        assert_eq!(r.steps(), 0);
        assert_eq!(r.finish().unwrap().single().unwrap().as_f64(), want);
    }
    // min and max have no identity: an error, as eval gives.
    for text in ["min(a)", "max(a, axis=0)"] {
        let e = Expr::compile(text, &[("a", DType::F64)]).unwrap();
        let args = [("a", (&a).into())];
        let want = e.eval_new(&args).unwrap_err();
        assert_eq!(e.stepwise(&args).unwrap_err(), want, "{text}");
    }
}

#[test]
fn misuse_is_an_error() {
    let a = array(&[100, 100], &[1.0, 2.0], false);
    let args = [("a", (&a).into())];
    let e = Expr::compile("a + 1", &[("a", DType::F64)]).unwrap();
    assert!(matches!(e.stepwise(&args), Err(ExprError::Input(_))));
    let e = Expr::compile("sum(a, axis=1)", &[("a", DType::F64)]).unwrap();
    let err = e.stepwise(&args).unwrap_err();
    assert!(err.to_string().contains("axis 1, not axis 0"), "{err}");
    let e = Expr::compile("sum(a)", &[("a", DType::F64)]).unwrap();
    let mut r = e.stepwise(&args).unwrap();
    assert!(r.steps() > 2);
    // Out of order, past the end, unfinished, another layout.
    assert!(r.run(&args, 1..2).is_err());
    assert!(r.run(&args, 0..r.steps() + 1).is_err());
    let t = a.t();
    assert!(r.run(&[("a", t.into())], 0..1).is_err());
    r.run(&args, 0..1).unwrap();
    assert_eq!(r.done(), 1);
    assert!(r.finish().is_err());
}
