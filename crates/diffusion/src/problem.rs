//! The discretised problem: parameters, grid and initial condition, derived
//! exactly as the course's diff2d programs do.

use ndarray::Array2;

use crate::DiffusionError;

/// The physical and numerical parameters of a run (the course's
/// `diff2dparams.py`).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Diffusion constant `D`.
    pub d: f64,
    /// Left (and bottom) edge of the square domain.
    pub x1: f64,
    /// Right (and top) edge of the square domain.
    pub x2: f64,
    /// Simulated time to run for.
    pub runtime: f64,
    /// Requested grid spacing (recomputed so that the domain holds whole cells).
    pub dx: f64,
    /// Simulated time between snapshots.
    pub outtime: f64,
    /// Whether to write pictures of every snapshot.
    pub graphics: bool,
}

impl Default for Params {
    /// The course's defaults.
    fn default() -> Self {
        Params {
            d: 1.0,
            x1: -10.0,
            x2: 10.0,
            runtime: 15.0,
            dx: 0.0667,
            outtime: 0.5,
            graphics: false,
        }
    }
}

/// The grid derived from [`Params`], as in the course:
/// `nrows = int((x2-x1)/dx)`, `npnts = nrows + 2`, `dx = (x2-x1)/nrows`,
/// `dt = 0.25 dx²/D`, `nsteps = int(runtime/dt)`, `nper = max(1, int(outtime/dt))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Interior points per side.
    pub nrows: usize,
    /// Points per side including the zero boundary ring.
    pub npnts: usize,
    /// Recomputed grid spacing.
    pub dx: f64,
    /// Time step.
    pub dt: f64,
    /// Number of time steps in the run.
    pub nsteps: usize,
    /// Steps between snapshots.
    pub nper: usize,
    /// Coordinates of the grid points, `linspace(x1-dx, x2+dx, npnts)`.
    pub x: Vec<f64>,
    /// Diffusion constant.
    pub d: f64,
}

impl Grid {
    /// Derives the grid from validated parameters.
    pub fn new(p: &Params) -> Result<Grid, DiffusionError> {
        p.validate()?;
        let nrows = ((p.x2 - p.x1) / p.dx) as usize;
        let npnts = nrows + 2;
        let dx = (p.x2 - p.x1) / nrows as f64;
        let dt = 0.25 * dx * dx / p.d;
        let nsteps = (p.runtime / dt) as usize;
        let nper = ((p.outtime / dt) as usize).max(1);
        let x = linspace(p.x1 - dx, p.x2 + dx, npnts);
        Ok(Grid {
            nrows,
            npnts,
            dx,
            dt,
            nsteps,
            nper,
            x,
            d: p.d,
        })
    }

    /// The update coefficient `D/dx² · dt` of `p += k · laplacian(p)`,
    /// computed in the course's order so that every backend uses the same value.
    pub fn coefficient(&self) -> f64 {
        self.d / (self.dx * self.dx) * self.dt
    }

    /// Interior cell updates in a whole run (`nrows² · nsteps`).
    pub fn cell_updates(&self) -> f64 {
        (self.nrows * self.nrows) as f64 * self.nsteps as f64
    }
}

impl Params {
    /// Checks the parameters that would make the grid meaningless.
    pub fn validate(&self) -> Result<(), DiffusionError> {
        let bad = |name: &'static str, why: String| Err(DiffusionError::BadParameter { name, why });
        if !positive(self.d) {
            return bad("D", format!("must be a positive number, got {}", self.d));
        }
        if !self.x1.is_finite() || !positive(self.x2 - self.x1) {
            return bad(
                "x2",
                format!(
                    "must be larger than x1, got x1 = {} and x2 = {}",
                    self.x1, self.x2
                ),
            );
        }
        if !positive(self.dx) {
            return bad("dx", format!("must be a positive number, got {}", self.dx));
        }
        if self.dx > self.x2 - self.x1 {
            return bad(
                "dx",
                format!(
                    "{} is larger than the domain [{}, {}]",
                    self.dx, self.x1, self.x2
                ),
            );
        }
        if self.runtime != 0.0 && !positive(self.runtime) {
            return bad(
                "runtime",
                format!("must be zero or positive, got {}", self.runtime),
            );
        }
        let cells = (self.x2 - self.x1) / self.dx;
        if cells > MAX_CELLS_PER_SIDE as f64 {
            return bad(
                "dx",
                format!(
                    "{} gives {cells:.0} cells per side, more than the {MAX_CELLS_PER_SIDE} this solver accepts",
                    self.dx
                ),
            );
        }
        if !positive(self.outtime) {
            return bad(
                "outtime",
                format!("must be a positive number, got {}", self.outtime),
            );
        }
        Ok(())
    }
}

/// Largest grid side accepted: two arrays of 20000² doubles are 6.4 GB.
pub const MAX_CELLS_PER_SIDE: usize = 20_000;

/// A finite, strictly positive number (false for NaN).
fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// numpy's `linspace(start, stop, n)`: `start + i·step`, with the last point exactly `stop`.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    let step = (stop - start) / (n - 1) as f64;
    let mut x: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
    x[n - 1] = stop;
    x
}

/// The course's four-peak initial condition: `dens[i][j] = a(x_i)·b(x_j)` on
/// the interior with `a(x) = 1 - |1 - 4|x - xm|/(x2-x1)|`, zero on the boundary.
pub fn initial_density(grid: &Grid, p: &Params) -> Array2<f64> {
    let n = grid.npnts;
    let xm = (p.x1 + p.x2) / 2.0;
    let tent = |x: f64| 1.0 - (1.0 - 4.0 * ((x - xm) / (p.x2 - p.x1)).abs()).abs();
    let mut dens = Array2::zeros((n, n));
    for i in 1..n - 1 {
        let a = tent(grid.x[i]);
        for j in 1..n - 1 {
            dens[[i, j]] = a * tent(grid.x[j]);
        }
    }
    dens
}
