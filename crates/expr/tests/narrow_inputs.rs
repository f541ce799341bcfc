//! Inputs of numpy's narrower types, widened as numexpr widens them (`u8
//! u16 i8 i16` to `i32`, `u32` to `i64`, `Complex<f32>` to complex): the
//! result's type is numexpr's and its values those of the widened inputs,
//! contiguous, strided, broadcast or 0-d.

use expr::{evaluate, Arg, Array, Complex32, Complex64, DType, Expr, InputElement};
use ndarray::{arr0, Array1, Array2, ArrayD, Axis, IxDyn, Slice};
use proptest::prelude::*;

/// `a * b + a` of a narrow `x` and an `i32` `y`, against the same in `W`.
fn check<N, W>(xs: &[N], ys: &[i32], rev: bool, want_dt: DType) -> Result<(), TestCaseError>
where
    N: InputElement + Into<W>,
    W: Copy + std::fmt::Debug + PartialEq + From<i32> + WrappingOps,
{
    let n = xs.len().min(ys.len());
    let x = Array1::from(xs[..n].to_vec());
    let y = Array1::from(ys[..n].to_vec());
    let xv = if rev {
        x.slice_axis(Axis(0), Slice::new(0, None, -1))
    } else {
        x.view()
    };
    let r = evaluate("a * b + a", &[("a", xv.into()), ("b", (&y).into())]).unwrap();
    prop_assert_eq!(r.dtype(), want_dt);
    let got = W::values(r);
    for i in 0..n {
        let (a, b): (W, W) = (xv[i].into(), y[i].into());
        prop_assert_eq!(got[i], a.wmul(b).wadd(a), "at {}", i);
    }
    Ok(())
}

/// Wrapping arithmetic in the widened type, and its values in a result.
trait WrappingOps: Sized {
    fn wmul(self, o: Self) -> Self;
    fn wadd(self, o: Self) -> Self;
    fn values(r: Array) -> Vec<Self>;
}

impl WrappingOps for i32 {
    fn wmul(self, o: i32) -> i32 {
        self.wrapping_mul(o)
    }
    fn wadd(self, o: i32) -> i32 {
        self.wrapping_add(o)
    }
    fn values(r: Array) -> Vec<i32> {
        r.into_typed::<i32>().unwrap().iter().copied().collect()
    }
}

impl WrappingOps for i64 {
    fn wmul(self, o: i64) -> i64 {
        self.wrapping_mul(o)
    }
    fn wadd(self, o: i64) -> i64 {
        self.wrapping_add(o)
    }
    fn values(r: Array) -> Vec<i64> {
        r.into_typed::<i64>().unwrap().iter().copied().collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn narrow_integers_compute_in_the_type_they_widen_to(
        u8s in prop::collection::vec(any::<u8>(), 0..1500),
        u16s in prop::collection::vec(any::<u16>(), 0..1500),
        u32s in prop::collection::vec(any::<u32>(), 0..1500),
        i8s in prop::collection::vec(any::<i8>(), 0..1500),
        i16s in prop::collection::vec(any::<i16>(), 0..1500),
        ys in prop::collection::vec(any::<i32>(), 0..1500),
        rev in any::<bool>(),
    ) {
        check::<u8, i32>(&u8s, &ys, rev, DType::I32)?;
        check::<u16, i32>(&u16s, &ys, rev, DType::I32)?;
        check::<u32, i64>(&u32s, &ys, rev, DType::I64)?;
        check::<i8, i32>(&i8s, &ys, rev, DType::I32)?;
        check::<i16, i32>(&i16s, &ys, rev, DType::I32)?;
    }

    #[test]
    fn complex64_computes_as_complex(
        parts in prop::collection::vec((-1e3f32..1e3, -1e3f32..1e3), 0..300),
    ) {
        let z = Array1::from_iter(parts.iter().map(|&(re, im)| Complex32::new(re, im)));
        let r = evaluate("z * z + 1", &[("z", (&z).into())]).unwrap();
        prop_assert_eq!(r.dtype(), DType::C128);
        let r = r.into_typed::<Complex64>().unwrap();
        for (got, z) in r.iter().zip(&z) {
            let w = Complex64::new(z.re as f64, z.im as f64);
            prop_assert_eq!(*got, w * w + 1.0);
        }
    }
}

#[test]
fn numexprs_uint32_cases() {
    // test_small_uint32: a 0-d u32 is an i64.
    let a = arr0(u32::MAX);
    let r = evaluate("a", &[("a", (&a).into())]).unwrap();
    assert_eq!(r, Array::I64(arr0(u32::MAX as i64).into_dyn()));
    // test_uint32_constant_promotion: i32 times a u32 is i64.
    let i = Array1::from_iter(0..100i32);
    let two = arr0(2u32);
    let r = evaluate("i * utwo", &[("i", (&i).into()), ("utwo", (&two).into())]).unwrap();
    let want: ArrayD<i64> = Array1::from_iter((0..100).map(|v| 2 * v as i64)).into_dyn();
    assert_eq!(r, Array::I64(want));
    // test_int64_array_promotion: u32 times i64 is i64.
    let u = Array1::from_iter((0..100).map(|v| v as u32 * 40_000_000));
    let l = Array1::from_iter(0..100i64);
    let r = evaluate("u * l", &[("u", (&u).into()), ("l", (&l).into())]).unwrap();
    let want: ArrayD<i64> =
        Array1::from_iter((0..100).map(|v| v as i64 * 40_000_000 * v as i64)).into_dyn();
    assert_eq!(r, Array::I64(want));
}

#[test]
fn narrow_inputs_broadcast_reduce_and_are_declared_by_their_wide_type() {
    let a = Array2::from_shape_fn((3, 1), |(i, _)| i as u16 * 1000);
    let b = Array1::from_iter((0..70).map(|v| v as i8 - 35));
    let r = evaluate("a + b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
    let r = r.into_typed::<i32>().unwrap();
    assert_eq!(r.shape(), &[3, 70]);
    for ((i, j), v) in r.indexed_iter().map(|(ix, v)| ((ix[0], ix[1]), *v)) {
        assert_eq!(v, i as i32 * 1000 + j as i32 - 35);
    }
    let s = evaluate("sum(b, axis=0)", &[("b", (&b).into())]).unwrap();
    assert_eq!(
        s.into_typed::<i64>().unwrap()[IxDyn(&[])],
        (0..70).map(|v| v - 35).sum::<i64>()
    );
    // A u32 input is an i64 one to a signature.
    let e = Expr::compile("2 * a", &[("a", DType::I64)]).unwrap();
    let u = Array1::from(vec![u32::MAX, 7]);
    let r = e.eval_new(&[("a", (&u).into())]).unwrap();
    assert_eq!(
        r,
        Array::I64(Array1::from(vec![2 * u32::MAX as i64, 14]).into_dyn())
    );
    let e = Expr::compile("2 * a", &[("a", DType::I32)]).unwrap();
    let err = e.eval_new(&[("a", (&u).into())]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input error: input `a` holds u32 (read as i64) but the signature says i32"
    );
    // iterate takes the engine's own types only.
    let e = Expr::compile("u + a", &[("u", DType::I64), ("a", DType::I64)]).unwrap();
    let mut state = Array1::<i64>::zeros(2);
    let err = e
        .iterate("u", &mut state, &[("a", (&u).into())], 3)
        .unwrap_err();
    assert!(err.to_string().contains("not narrower ones"), "{err}");
    // Arg::rows cuts axis 0, of strings too.
    let rows = Arg::from(&b).rows(10..20);
    assert_eq!(rows.shape(), &[10]);
    let strings = Array2::<u8>::zeros((5, 4));
    assert_eq!(
        Arg::Bytes(strings.view().into_dyn()).rows(1..3).shape(),
        &[2]
    );
    assert_eq!(Arg::from(&arr0(1u8)).rows(0..0).shape(), &[] as &[usize]);
}
