//! Every complex function, `/` and `**` against numpy on a grid of edge
//! values, evaluated through the public API (so the kernels' dispatch is
//! covered too).
//!
//! The grid's parts are 0, 5e-324, 1e-300, 1e-10, 0.5, 1 − ulp, 1,
//! 1 + ulp, 2, 400, 1e10, 1e300, 1.7e308 and infinity, each with both
//! signs, and NaN with both signs: 30 values, so 900 points, and 810,000
//! pairs for `/` and `**`. The functions of one argument also take 20,000
//! random points (the same on every run): parts of any magnitude, points
//! near the unit circle, near the branch points `±1` and `±i`, and
//! moderate ones. A result
//! agrees with numpy's when each part is within 1e-14 of numpy's relative
//! to it, or both are NaN, or both are the same infinity or the same
//! signed zero.
//!
//! Where numpy's own formula is wrong, the reference is computed in
//! Python from the definition instead (the differences the crate
//! documents): the real part of `log1p` of finite `z` is
//! `log1p(2x + x² + y²)/2` with that sum exact in rationals (numpy's
//! `ln(hypot(1 + x, y))` has 7 correct digits at `z = 1e-10` and
//! overflows at `1.7e308(1 + i)`), and `expm1` where numpy's formula
//! gives NaN (`expm1(inf + 0i)`, `expm1(1e300 + 0i)`) is `exp(z) − 1`.
//!
//! `**` is compared within `1e-14·max(1, |w log z|)` of numpy's result's
//! larger part (normwise): `exp(w log z)` amplifies the last-bit
//! differences of `log z` by `|w|`, and cancellation in the parts of the
//! result is inherent to the function. Where that tolerance reaches 1
//! (`|w log z|` of 1e14 and more: `(1e-300i)**(1e300 + 1e300i)`), a
//! last-bit difference turns the result by radians and no digit of it is
//! determined; there each part must only be of numpy's kind (NaN,
//! infinite or finite).
//!
//! Run it with `PYTHON=/path/to/python cargo test -p hpcrs-expr --test
//! numpy_complex -- --ignored` (a Python with numpy).

mod support;

use expr::{evaluate, Complex64};
use ndarray::Array1;

/// The functions of one complex argument, by their name in the
/// expression language (numpy's too).
const UNARY: [&str; 18] = [
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "log", "log10", "log1p", "exp", "expm1", "sqrt",
];

/// The points of the grid of edge values, and the random points after
/// them.
const GRID: usize = 900;
const RANDOM: usize = 20_000;

/// Writes the points (the grid, then the random ones), then numpy's result of each function of `UNARY` on
/// them, then of `1/z`, then of `a/b` and `a**b` over all pairs of grid
/// points (`a` the slow index), as little-endian complex128 arrays.
const SCRIPT: &str = r#"
import math, random, sys
from fractions import Fraction
import numpy as np

names = sys.argv[1].split(",")
mags = [0.0, 5e-324, 1e-300, 1e-10, 0.5, float(np.nextafter(1.0, 0.0)), 1.0,
        float(np.nextafter(1.0, 2.0)), 2.0, 400.0, 1e10, 1e300, 1.7e308, math.inf]
vals = [s * m for m in mags for s in (1.0, -1.0)] + [math.nan, -math.nan]
grid = np.array([complex(a, b) for a in vals for b in vals])

# Random points, the same on every run: parts of any magnitude, points
# near the unit circle, near the branch points ±1 and ±i, and moderate.
rng = random.Random(20240611)
def anywhere():
    return rng.choice((1, -1)) * 10 ** rng.uniform(-320, 308.2)
def rot(r):
    t = rng.uniform(-math.pi, math.pi)
    return complex(r * math.cos(t), r * math.sin(t))
extra = ([complex(anywhere(), anywhere()) for _ in range(8000)]
         + [rot(1 + rng.choice((1, -1)) * 10 ** rng.uniform(-17, -1)) for _ in range(4000)]
         + [rng.choice((1, -1, 1j, -1j)) + rot(10 ** rng.uniform(-20, -1)) for _ in range(4000)]
         + [complex(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(4000)])
z = np.concatenate([grid, np.array(extra)])

def log_of_rational(t):
    """ln t for a positive Fraction, as log(m) + e ln 2 with m in [0.5, 1)."""
    e = t.numerator.bit_length() - t.denominator.bit_length()
    m = t / Fraction(2) ** e
    while m >= 1:
        m /= 2; e += 1
    while m < Fraction(1, 2):
        m *= 2; e -= 1
    return math.log(float(m)) + e * math.log(2)

def log1p_real(x, y):
    """ln|1 + z| = log1p(2x + x^2 + y^2)/2, the sum exact."""
    X, Y = Fraction(x), Fraction(y)
    s = 2 * X + X * X + Y * Y
    if s == -1:
        return -math.inf
    if Fraction(-1, 2) <= s <= 1:
        return math.log1p(float(s)) / 2
    t = s + 1
    if 2.2250738585072014e-308 <= t <= 1.7976931348623157e308:
        return math.log(float(t)) / 2
    return log_of_rational(t) / 2

def reference(name, z):
    r = getattr(np, name)(z)
    if name == "log1p":
        for i, w in enumerate(z):
            if math.isfinite(w.real) and math.isfinite(w.imag):
                r[i] = complex(log1p_real(w.real, w.imag), r[i].imag)
    if name == "expm1":
        e = np.exp(z)
        for i, w in enumerate(z):
            finite = math.isfinite(w.real) and math.isfinite(w.imag)
            if not finite or math.isnan(r[i].real) or math.isnan(r[i].imag):
                r[i] = complex(e[i].real - 1.0, e[i].imag)
    return r

out = sys.stdout.buffer
def put(arr):
    out.write(np.ascontiguousarray(arr, dtype=np.complex128).tobytes())

with np.errstate(all="ignore"):
    put(z)
    for name in names:
        put(reference(name, z))
    put(np.divide(complex(1.0, 0.0), z))
    a, b = np.repeat(grid, len(grid)), np.tile(grid, len(grid))
    put(a / b)
    put(np.power(a, b))
"#;

/// Runs the script and splits its output into the grid and the results.
fn numpy_answers() -> Vec<Vec<Complex64>> {
    let out = support::python_output(SCRIPT, &[&UNARY.join(",")], &[], "numpy");
    let values: Vec<Complex64> = out
        .chunks_exact(16)
        .map(|c| {
            let part = |b: &[u8]| f64::from_le_bytes(b.try_into().unwrap());
            Complex64::new(part(&c[..8]), part(&c[8..]))
        })
        .collect();
    let (n, g) = (GRID + RANDOM, GRID);
    assert_eq!(
        values.len(),
        n * (UNARY.len() + 2) + 2 * g * g,
        "numpy's output length"
    );
    let mut parts = Vec::new();
    let mut rest = &values[..];
    for len in std::iter::repeat_n(n, UNARY.len() + 2).chain([g * g, g * g]) {
        parts.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    parts
}

/// Evaluates `text` over the complex inputs `a` (and `b`).
fn ours(text: &str, a: &[Complex64], b: &[Complex64]) -> Vec<Complex64> {
    let a = Array1::from(a.to_vec());
    let b = Array1::from(b.to_vec());
    evaluate(text, &[("a", (&a).into()), ("b", (&b).into())])
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .into_typed::<Complex64>()
        .unwrap_or_else(|| panic!("{text}: not complex"))
        .iter()
        .copied()
        .collect()
}

/// `|got − want|` in units in the last place of `scale` (finite, nonzero).
fn ulps(got: f64, want: f64, scale: f64) -> f64 {
    let spacing = f64::from_bits(scale.abs().to_bits() + 1) - scale.abs();
    (got - want).abs() / spacing
}

/// Two units of the smallest subnormal: below the smallest normal
/// double, results keep an absolute accuracy only, and two correct
/// computations may round apart by this much.
const SUBNORMAL_SLACK: f64 = 1e-323;

/// Whether one part agrees with numpy's within `rel` of `scale` (or the
/// subnormal slack, with the same sign). A tolerance of 1 or more
/// determines no digit: then only the kind of the part (NaN, infinite,
/// finite) must agree.
fn part_agrees(got: f64, want: f64, rel: f64, scale: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if rel >= 1.0 {
        return !got.is_nan() && got.is_infinite() == want.is_infinite();
    }
    if want.is_infinite() || got.is_nan() {
        return got == want;
    }
    let diff = (got - want).abs();
    if diff <= SUBNORMAL_SLACK && got.is_sign_negative() == want.is_sign_negative() {
        return true;
    }
    want != 0.0 && diff <= rel * scale
}

/// The comparison of one function: the number of points and the
/// disagreements, and the worst ulp error over the finite nonzero parts.
struct Tally {
    points: usize,
    worst_ulps: f64,
    worst_at: String,
    wrong: Vec<String>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            points: 0,
            worst_ulps: 0.0,
            worst_at: String::new(),
            wrong: Vec::new(),
        }
    }

    /// Compares results pointwise; `tol(i, want)` gives the allowed
    /// error of each part and the scale it is relative to.
    fn compare(
        &mut self,
        what: &str,
        inputs: &dyn Fn(usize) -> String,
        got: &[Complex64],
        want: &[Complex64],
        tol: &dyn Fn(usize, f64) -> (f64, f64),
    ) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            self.points += 1;
            let ok = [(g.re, w.re), (g.im, w.im)].iter().all(|&(g, w)| {
                let (rel, scale) = tol(i, w);
                part_agrees(g, w, rel, scale)
            });
            for (gp, wp) in [(g.re, w.re), (g.im, w.im)] {
                // Ulps (of the tolerance's scale) say something only where
                // the tolerance is tight.
                let (rel, scale) = tol(i, wp);
                let counts = rel <= 1e-13 && wp.is_finite() && wp != 0.0 && gp.is_finite();
                if counts && ulps(gp, wp, scale) > self.worst_ulps {
                    self.worst_ulps = ulps(gp, wp, scale);
                    self.worst_at = format!("{what}({}) = {g:?}, numpy {w:?}", inputs(i));
                }
            }
            if !ok {
                self.wrong
                    .push(format!("{what}({}) = {g:?}, numpy {w:?}", inputs(i)));
            }
        }
    }
}

#[test]
#[ignore = "needs numpy in $PYTHON"]
fn every_complex_function_agrees_with_numpy_on_edge_values() {
    let answers = numpy_answers();
    let z = &answers[0];
    let g = &z[..GRID];
    let a: Vec<Complex64> = (0..GRID * GRID).map(|i| g[i / GRID]).collect();
    let b: Vec<Complex64> = (0..GRID * GRID).map(|i| g[i % GRID]).collect();
    let one = |i: usize| format!("{:?}", z[i]);
    let pair = |i: usize| format!("{:?}, {:?}", a[i], b[i]);
    let per_part = |_: usize, w: f64| (1e-14, w.abs());
    let want_pow = &answers[UNARY.len() + 3];
    let pow_tol = |i: usize, _: f64| {
        let amplification = (b[i].norm() * a[i].ln().norm()).max(1.0);
        let w = want_pow[i];
        (1e-14 * amplification, w.re.abs().max(w.im.abs()))
    };

    let mut tallies = Vec::new();
    for (k, name) in UNARY.iter().enumerate() {
        let mut t = Tally::new();
        t.compare(
            name,
            &one,
            &ours(&format!("{name}(a)"), z, z),
            &answers[k + 1],
            &per_part,
        );
        tallies.push((name.to_string(), t));
    }
    let mut t = Tally::new();
    t.compare(
        "1/",
        &one,
        &ours("a**-1", z, z),
        &answers[UNARY.len() + 1],
        &per_part,
    );
    tallies.push(("a**-1".to_string(), t));
    let mut t = Tally::new();
    t.compare(
        "div",
        &pair,
        &ours("a / b", &a, &b),
        &answers[UNARY.len() + 2],
        &per_part,
    );
    tallies.push(("a/b".to_string(), t));
    let mut t = Tally::new();
    t.compare("pow", &pair, &ours("a ** b", &a, &b), want_pow, &pow_tol);
    tallies.push(("a**b (normwise)".to_string(), t));

    let mut wrong = Vec::new();
    let (mut points, mut worst) = (0, 0.0f64);
    for (label, t) in &tallies {
        println!(
            "{label}: {} points, {} disagreements, worst {:.1} ulps: {}",
            t.points,
            t.wrong.len(),
            t.worst_ulps,
            t.worst_at
        );
        points += t.points;
        if !label.starts_with("a**b") {
            worst = worst.max(t.worst_ulps);
        }
        wrong.extend(t.wrong.iter().take(20).cloned());
    }
    println!("{points} points compared; worst {worst:.1} ulps outside a**b");
    assert!(
        wrong.is_empty(),
        "disagreements with numpy (up to 20 per function):\n{}",
        wrong.join("\n")
    );
}
