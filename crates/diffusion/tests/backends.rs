//! The compiled backends give the same density bit for bit, the numpy-like
//! `array` backend the same to 1e-12 relative (it rounds `c + k·lap` twice
//! where they fuse it), and the stepping matches the closed-form decay of a
//! discrete sine mode.

use diffusion::{
    initial_density, make_stepper, relative_difference, solve, ArrayStepper, Backend, Grid,
    NaiveStepper, Params, Stepper, StepperOptions, ThreadsStepper,
};
use ndarray::Array2;
use runtime::pool::Threads;

/// Non-default problems: other D, domains and dx, step counts that are not
/// multiples of the time-blocking depth.
fn problems() -> Vec<Params> {
    vec![
        Params {
            dx: 0.5,
            runtime: 3.0,
            ..Params::default()
        },
        Params {
            d: 0.3,
            x1: -2.0,
            x2: 5.0,
            dx: 0.13,
            runtime: 0.4,
            outtime: 0.1,
            graphics: false,
        },
        Params {
            d: 2.5,
            x1: 0.0,
            x2: 1.0,
            dx: 0.037,
            runtime: 0.01,
            outtime: 0.001,
            graphics: false,
        },
        // Smaller than one vector block per row.
        Params {
            dx: 4.0,
            runtime: 40.0,
            ..Params::default()
        },
    ]
}

fn run_with(stepper: &mut dyn Stepper, p: &Params) -> Array2<f64> {
    let grid = Grid::new(p).unwrap();
    let mut dens = initial_density(&grid, p);
    stepper
        .advance(&mut dens, grid.coefficient(), grid.nsteps)
        .unwrap();
    dens
}

#[test]
fn all_backends_agree_on_several_problems() {
    for p in problems() {
        let reference = run_with(&mut NaiveStepper::new(), &p);
        let grid = Grid::new(&p).unwrap();
        assert!(grid.nsteps > 5, "{p:?} should take several steps");
        assert!(reference.iter().any(|&v| v > 0.0));
        let array = run_with(&mut ArrayStepper, &p);
        let diff = relative_difference(&array, &reference);
        // One rounding per cell and step apart (none when k is a power of
        // two, as with dx = 0.5), within the 1e-12 with room to spare.
        assert!(diff <= 1e-13, "array vs naive on {p:?}: {diff:e}");
        for threads in [1, 2, 3, 5] {
            for depth in [1, 2, 3, 7, 16] {
                for intrinsics in [true, false] {
                    let mut s = ThreadsStepper::new(Threads::Exactly(threads))
                        .unwrap()
                        .with_depth(depth)
                        .with_intrinsics(intrinsics)
                        .with_min_updates_per_thread(0);
                    let got = run_with(&mut s, &p);
                    assert_eq!(
                        got, reference,
                        "threads={threads} depth={depth} intrinsics={intrinsics} on {p:?}"
                    );
                }
            }
        }
        // And through `solve` with the default team and depth.
        let (threads, _) = solve(&p, Backend::Threads, None).unwrap();
        assert_eq!(threads, reference, "solve with threads on {p:?}");
    }
}

#[test]
fn splitting_a_run_into_calls_changes_nothing() {
    let p = &problems()[1];
    let grid = Grid::new(p).unwrap();
    let k = grid.coefficient();
    let two = || ThreadsStepper::new(Threads::Exactly(2)).unwrap();
    let whole = run_with(&mut two().with_min_updates_per_thread(0), p);
    let mut s = two().with_depth(4).with_min_updates_per_thread(0);
    let mut dens = initial_density(&grid, p);
    let mut done = 0;
    for chunk in [1, 5, 3, 11, 2].iter().cycle() {
        let c = (*chunk).min(grid.nsteps - done);
        s.advance(&mut dens, k, c).unwrap();
        done += c;
        if done == grid.nsteps {
            break;
        }
    }
    assert_eq!(dens, whole);
}

/// A single sine mode `sin(πa i/(N+1)) sin(πb j/(N+1))` is an eigenvector of
/// the 5-point Laplacian with zero boundary: each step multiplies it by
/// `g = 1 - 4k (sin²(πa/2(N+1)) + sin²(πb/2(N+1)))`.
#[test]
fn a_sine_mode_decays_by_the_discrete_factor() {
    let n = 40; // npnts; interior N = 38, boundary at 0 and N+1 = 39
    let m1 = (n - 1) as f64;
    let (a, b) = (3.0, 5.0);
    let pi = std::f64::consts::PI;
    let mode = Array2::from_shape_fn((n, n), |(i, j)| {
        (pi * a * i as f64 / m1).sin() * (pi * b * j as f64 / m1).sin()
    });
    let mut mode = mode;
    for i in 0..n {
        for e in [[0, i], [n - 1, i], [i, 0], [i, n - 1]] {
            mode[e] = 0.0;
        }
    }
    let k = 0.24;
    let steps = 57;
    let g =
        1.0 - 4.0 * k * ((pi * a / (2.0 * m1)).sin().powi(2) + (pi * b / (2.0 * m1)).sin().powi(2));
    let expected = mode.mapv(|v| v * g.powi(steps as i32));
    let two = StepperOptions {
        threads: Threads::Exactly(2),
        ..StepperOptions::default()
    };
    for backend in [
        Backend::Naive,
        Backend::Array,
        Backend::Expr,
        Backend::Threads,
    ] {
        let mut s = make_stepper(backend, &two).unwrap();
        let mut dens = mode.clone();
        s.advance(&mut dens, k, steps).unwrap();
        let err = dens
            .iter()
            .zip(&expected)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        let scale = g.powi(steps as i32).abs();
        assert!(
            err <= 1e-12 * scale.max(1e-300) * 100.0,
            "{backend}: error {err}, amplitude {scale}"
        );
    }
}

#[test]
fn the_default_grid_is_the_courses() {
    let g = Grid::new(&Params::default()).unwrap();
    assert_eq!((g.nrows, g.npnts, g.nsteps, g.nper), (299, 301, 13410, 447));
    assert_eq!(g.x.len(), 301);
    assert_eq!(g.x[0], -10.0 - g.dx);
    assert_eq!(g.x[300], 10.0 + g.dx);
    assert!((g.coefficient() - 0.25).abs() < 1e-15);
}

#[test]
fn backends_parse_and_print_their_names() {
    for b in Backend::ALL {
        assert_eq!(b.to_string().parse::<Backend>().unwrap(), b);
    }
    assert_eq!(
        "cuda".parse::<Backend>().unwrap_err().to_string(),
        "unknown backend `cuda` (expected one of: naive, array, expr, threads, mpi, processes)"
    );
    assert_eq!(Backend::default(), Backend::Threads);
}
