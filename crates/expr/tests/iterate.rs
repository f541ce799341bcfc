//! `Expr::iterate` (temporal blocking on a team) against the same number of
//! plain `eval` steps: bit for bit, in 1-D, 2-D and 3-D, for several team
//! sizes and depths, with inputs held fixed, strided state views, and clear
//! errors for bad calls.

use expr::{DType, Expr, ExprError, Iterate};
use ndarray::{arr0, s, Array1, Array2, Array3, ArrayD, IxDyn};

const F: DType = DType::F64;

/// Deterministic values in [-1, 1) (a small LCG; no dependency needed).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// `steps` evaluations, each into a copy of the state (so the border is
/// the state's), then swapped: the reference `iterate` must match.
fn by_eval(
    e: &Expr,
    u0: &ArrayD<f64>,
    k: f64,
    extra: Option<&ArrayD<f64>>,
    steps: usize,
) -> ArrayD<f64> {
    let k = arr0(k);
    let mut u = u0.clone();
    let mut next = u0.clone();
    for _ in 0..steps {
        let mut inputs = vec![("u", (&u).into()), ("k", (&k).into())];
        if let Some(c) = extra {
            inputs.push(("c", c.into()));
        }
        e.eval(&inputs, &mut next).unwrap();
        std::mem::swap(&mut u, &mut next);
    }
    u
}

fn bits(a: &ArrayD<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn check(text: &str, shape: &[usize], k: f64, steps: usize, with_c: bool) {
    let mut sig = vec![("u", F), ("k", F)];
    if with_c {
        sig.push(("c", F));
    }
    let e = Expr::compile(text, &sig).unwrap();
    let n: usize = shape.iter().product();
    let u0 = ArrayD::from_shape_vec(IxDyn(shape), values(n, 7)).unwrap();
    let c = ArrayD::from_shape_vec(IxDyn(shape), values(n, 9)).unwrap();
    let extra = with_c.then_some(&c);
    let want = by_eval(&e, &u0, k, extra, steps);
    for threads in [1, 2, 3] {
        for depth in [1, 2, 3, 8, 50] {
            let mut u = u0.clone();
            let kk = arr0(k);
            let mut inputs = vec![("k", (&kk).into())];
            if with_c {
                inputs.push(("c", (&c).into()));
            }
            e.iterate_with("u", &mut u, &inputs, steps, Iterate { threads, depth })
                .unwrap();
            assert!(
                bits(&u) == bits(&want),
                "{text} on {shape:?}, {steps} steps, {threads} thread(s), depth {depth}"
            );
        }
    }
}

#[test]
fn two_d_diffusion_matches_single_evaluations() {
    // Big enough for a team (the work crosses the one-thread threshold).
    check(
        "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)",
        &[67, 70],
        0.2,
        37,
        false,
    );
    // Steps not a multiple of the depth, few rows per thread.
    check(
        "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)",
        &[9, 200],
        0.25,
        41,
        false,
    );
}

#[test]
fn one_d_and_asymmetric_reach() {
    check("u + k*(u[-1] - 2*u + u[1])", &[5000], 0.3, 40, false);
    // Reaches two below and none above, and reads a fixed array `c`.
    check("0.5*u + k*(u[-2] - u[-1]) + c*0.01", &[3001], 0.4, 33, true);
}

#[test]
fn three_d_and_inputs_with_offsets() {
    check(
        "u + k*(u[1,0,0] + u[-1,0,0] + u[0,1,0] + u[0,-1,0] + u[0,0,1] + u[0,0,-1] - 6*u)",
        &[30, 20, 12],
        0.1,
        19,
        false,
    );
    check(
        "u*0.9 + k*c[1,1] - c[-1,0]*0.001",
        &[60, 80],
        0.05,
        20,
        true,
    );
}

#[test]
fn without_offsets_the_whole_array_steps() {
    check("u*0.5 + k*c", &[40, 50], 0.5, 30, true);
}

#[test]
fn small_grids_and_zero_steps() {
    let e = Expr::compile(
        "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)",
        &[("u", F), ("k", F)],
    )
    .unwrap();
    let k = arr0(0.25);
    let mut u = Array2::<f64>::zeros((3, 3));
    u[[1, 1]] = 1.0;
    e.iterate("u", &mut u, &[("k", (&k).into())], 1).unwrap();
    assert_eq!(u[[1, 1]], 0.0);
    assert_eq!(u[[0, 1]], 0.0, "the border is left alone");
    let before = u.clone();
    e.iterate("u", &mut u, &[("k", (&k).into())], 0).unwrap();
    assert_eq!(u, before);
}

#[test]
fn the_state_may_be_a_strided_view() {
    let e = Expr::compile(
        "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)",
        &[("u", F), ("k", F)],
    )
    .unwrap();
    let k = arr0(0.2);
    let big = Array2::from_shape_vec((90, 140), values(90 * 140, 3)).unwrap();
    let mut packed = big.slice(s![..;2, 1..;2]).to_owned().into_dyn();
    let want = by_eval(&e, &packed.clone(), 0.2, None, 25);
    let mut strided = big.clone();
    e.iterate_with(
        "u",
        strided.slice_mut(s![..;2, 1..;2]),
        &[("k", (&k).into())],
        25,
        Iterate {
            threads: 2,
            depth: 4,
        },
    )
    .unwrap();
    assert_eq!(
        bits(&strided.slice(s![..;2, 1..;2]).to_owned().into_dyn()),
        bits(&want)
    );
    // Cells outside the view are untouched.
    assert_eq!(strided.slice(s![1..;2, ..]), big.slice(s![1..;2, ..]));
    e.iterate("u", &mut packed, &[("k", (&k).into())], 25)
        .unwrap();
    assert_eq!(bits(&packed), bits(&want));
}

#[test]
fn bad_calls_give_clear_errors() {
    let sig = [("u", F), ("k", F)];
    let k = arr0(0.1);
    let mut u = Array2::<f64>::zeros((10, 10));
    let err = |e: ExprError| e.to_string();

    let e = Expr::compile("u + k*(u[1,0] - u)", &sig).unwrap();
    let m = err(e
        .iterate("v", &mut u, &[("k", (&k).into())], 3)
        .unwrap_err());
    assert!(
        m.contains("the state `v` is not in the signature (u, k)"),
        "{m}"
    );
    let m = err(e
        .iterate("u", &mut u, &[("k", (&k).into()), ("u", (&k).into())], 3)
        .unwrap_err());
    assert!(m.contains("`u` is the state"), "{m}");
    let m = err(e.iterate("u", &mut u, &[], 3).unwrap_err());
    assert!(m.contains("missing input `k`"), "{m}");
    let mut u1 = Array1::<f64>::zeros(10);
    let m = err(e
        .iterate("u", &mut u1, &[("k", (&k).into())], 3)
        .unwrap_err());
    assert!(m.contains("gives 2 offset(s) but `u` is 1-D"), "{m}");
    let mut narrow = Array2::<f64>::zeros((1, 10));
    let m = err(e
        .iterate("u", &mut narrow, &[("k", (&k).into())], 3)
        .unwrap_err());
    assert!(m.contains("no interior is left"), "{m}");
    let c = Array2::<f64>::zeros((10, 11));
    let e2 = Expr::compile("u + c", &[("u", F), ("c", F)]).unwrap();
    let m = err(e2
        .iterate("u", &mut u, &[("c", (&c).into())], 3)
        .unwrap_err());
    assert!(m.contains("shape"), "{m}");
    let mut scalar = arr0(1.0);
    let m = err(e
        .iterate("u", &mut scalar, &[("k", (&k).into())], 3)
        .unwrap_err());
    assert!(m.contains("must be an array"), "{m}");

    let sum = Expr::compile("sum(u)", &[("u", F)]).unwrap();
    let m = err(sum.iterate("u", &mut u, &[], 3).unwrap_err());
    assert!(m.contains("is a reduction"), "{m}");
    let cmp = Expr::compile("u > 0", &[("u", F)]).unwrap();
    let m = err(cmp.iterate("u", &mut u, &[], 3).unwrap_err());
    assert!(
        m.contains("the result is bool but the state `u` is f64"),
        "{m}"
    );
    let fixed = Expr::compile("k*2", &sig).unwrap();
    let m = err(fixed
        .iterate("u", &mut u, &[("k", (&k).into())], 3)
        .unwrap_err());
    assert!(m.contains("does not read the state"), "{m}");
    let mut u32s = Array3::<f32>::zeros((4, 4, 4));
    let m = err(e
        .iterate("u", &mut u32s, &[("k", (&k).into())], 3)
        .unwrap_err());
    assert!(m.contains("holds f32 but the signature says f64"), "{m}");
}

#[test]
fn two_d_asymmetric_reach_and_long_rows() {
    // Reaches two rows back and none forward.
    check(
        "0.5*u + k*(u[-2,0] - u[0,1]) + c*0.01",
        &[80, 90],
        0.4,
        21,
        true,
    );
    // Reaches two rows both ways (the wavefront's levels trail by two
    // rows), on rows narrower than the VM's row fast path.
    check(
        "u + k*(u[2,0] + u[-2,0] + u[0,1] - 3*u)",
        &[90, 13],
        0.2,
        23,
        false,
    );
    // Rows longer than a VM block (1024 elements) are cut into blocks.
    check(
        "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)",
        &[12, 2500],
        0.2,
        9,
        false,
    );
}

#[test]
fn a_strided_fixed_input_takes_the_general_path() {
    let e = Expr::compile("u*0.9 + k*c[0,1]", &[("u", F), ("k", F), ("c", F)]).unwrap();
    let big = Array2::from_shape_vec((70, 180), values(70 * 180, 5)).unwrap();
    let c = big.slice(s![.., ..;2]);
    let u0 = Array2::from_shape_vec((70, 90), values(70 * 90, 6)).unwrap();
    let k = arr0(0.3);
    let c_owned = c.to_owned().into_dyn();
    let want = by_eval(&e, &u0.clone().into_dyn(), 0.3, Some(&c_owned), 15);
    for threads in [1, 2] {
        let mut u = u0.clone();
        e.iterate_with(
            "u",
            &mut u,
            &[("k", (&k).into()), ("c", c.into())],
            15,
            Iterate { threads, depth: 4 },
        )
        .unwrap();
        assert_eq!(bits(&u.into_dyn()), bits(&want));
    }
}
