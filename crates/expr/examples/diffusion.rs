//! The course's diffusion update as one expression with stencil offsets,
//! stepped on the course's 301x301 grid: `cargo run --release -p hpcrs-expr
//! --example diffusion [steps [threads]]`.

use std::time::Instant;

use expr::{DType, Expr};
use ndarray::{arr0, Array2};

fn main() -> Result<(), expr::ExprError> {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(13410);
    if let Some(t) = std::env::args().nth(2).and_then(|s| s.parse().ok()) {
        expr::set_num_threads(t);
    }
    let n = 301;
    let update = Expr::compile(
        "u + k*(u[1,0] + u[-1,0] + u[0,1] + u[0,-1] - 4*u)",
        &[("u", DType::F64), ("k", DType::F64)],
    )?;
    let mut u = Array2::from_shape_fn((n, n), |(i, j)| {
        if i == 0 || j == 0 || i == n - 1 || j == n - 1 {
            0.0
        } else {
            ((i * j) % 17) as f64 / 17.0
        }
    });
    let mut next = Array2::<f64>::zeros((n, n));
    let k = arr0(0.25);
    let t = Instant::now();
    for _ in 0..steps {
        update.eval(&[("u", (&u).into()), ("k", (&k).into())], &mut next)?;
        std::mem::swap(&mut u, &mut next);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{steps} steps of {n}x{n} in {s:.3} s: {:.3e} cell updates/s, sum {}",
        ((n - 2) * (n - 2) * steps) as f64 / s,
        u.sum()
    );
    Ok(())
}
