//! The discretised problem: parameters, grid and initial condition, derived
//! exactly as the course's diff2d programs do.

use ndarray::Array2;
use runtime::number::Readable;

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
        let Derived {
            nrows,
            dx,
            dt,
            nsteps,
            nper,
        } = p.derive()?;
        let npnts = nrows + 2;
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

/// The numbers [`Grid::new`] derives from the parameters, checked.
struct Derived {
    nrows: usize,
    dx: f64,
    dt: f64,
    nsteps: usize,
    nper: usize,
}

impl Params {
    /// Checks the parameters that would make the grid meaningless, including
    /// what is derived from them: the time step must be a positive finite
    /// number, the run at most `MAX_STEPS` (10⁹) steps and the grid at most
    /// `MAX_CELLS_PER_SIDE` (20000) cells per side, with finite coordinates.
    pub fn validate(&self) -> Result<(), DiffusionError> {
        self.derive().map(|_| ())
    }

    /// Validates and derives the grid's numbers as the course does.
    fn derive(&self) -> Result<Derived, DiffusionError> {
        self.check_inputs()?;
        let bad = |name: &'static str, why: String| Err(DiffusionError::BadParameter { name, why });
        let nrows = ((self.x2 - self.x1) / self.dx) as usize;
        let dx = (self.x2 - self.x1) / nrows as f64;
        if !(self.x1 - dx).is_finite() || !(self.x2 + dx).is_finite() {
            return bad(
                "x2",
                format!(
                    "gives grid coordinates beyond the largest number: x1 = {}, x2 = {}, dx = {}",
                    Readable(self.x1),
                    Readable(self.x2),
                    Readable(dx)
                ),
            );
        }
        let dt = 0.25 * dx * dx / self.d;
        if !positive(dt) {
            return bad(
                "D",
                format!(
                    "= {} with dx = {} gives the time step dt = 0.25·dx²/D = {}, not a positive finite number",
                    Readable(self.d),
                    Readable(dx),
                    Readable(dt)
                ),
            );
        }
        let steps = self.runtime / dt;
        if steps > MAX_STEPS as f64 {
            return bad(
                "runtime",
                format!(
                    "= {} needs {} steps of dt = 0.25·dx²/D = {} (D = {}, dx = {}), more than the {MAX_STEPS} this solver accepts",
                    Readable(self.runtime),
                    Readable(steps.round()),
                    Readable(dt),
                    Readable(self.d),
                    Readable(dx)
                ),
            );
        }
        let nsteps = steps as usize;
        let nper = ((self.outtime / dt) as usize).max(1);
        Ok(Derived {
            nrows,
            dx,
            dt,
            nsteps,
            nper,
        })
    }

    /// Checks the parameters themselves, before anything is derived.
    fn check_inputs(&self) -> Result<(), DiffusionError> {
        let bad = |name: &'static str, why: String| Err(DiffusionError::BadParameter { name, why });
        if !positive(self.d) {
            return bad(
                "D",
                format!("must be a positive number, got {}", Readable(self.d)),
            );
        }
        if !self.x1.is_finite() || !positive(self.x2 - self.x1) {
            return bad(
                "x2",
                format!(
                    "must be larger than x1, got x1 = {} and x2 = {}",
                    Readable(self.x1),
                    Readable(self.x2)
                ),
            );
        }
        if !positive(self.dx) {
            return bad(
                "dx",
                format!("must be a positive number, got {}", Readable(self.dx)),
            );
        }
        if self.dx > self.x2 - self.x1 {
            return bad(
                "dx",
                format!(
                    "{} is larger than the domain [{}, {}]",
                    Readable(self.dx),
                    Readable(self.x1),
                    Readable(self.x2)
                ),
            );
        }
        if self.runtime != 0.0 && !positive(self.runtime) {
            return bad(
                "runtime",
                format!("must be zero or positive, got {}", Readable(self.runtime)),
            );
        }
        let cells = (self.x2 - self.x1) / self.dx;
        if cells > MAX_CELLS_PER_SIDE as f64 {
            return bad(
                "dx",
                format!(
                    "{} gives {} cells per side, more than the {MAX_CELLS_PER_SIDE} this solver accepts",
                    Readable(self.dx),
                    Readable(cells.round())
                ),
            );
        }
        if !positive(self.outtime) {
            return bad(
                "outtime",
                format!("must be a positive number, got {}", Readable(self.outtime)),
            );
        }
        Ok(())
    }
}

/// Most time steps accepted in one run: a billion steps of even the
/// smallest grid take hours.
pub const MAX_STEPS: usize = 1_000_000_000;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(p: Params) -> String {
        Grid::new(&p).unwrap_err().to_string()
    }

    #[test]
    fn a_time_step_that_is_not_a_positive_finite_number_is_refused() {
        let e = refusal(Params {
            d: 5e-324,
            ..Params::default()
        });
        assert!(e.starts_with("parameter D = 5e-324 with dx = "), "{e}");
        assert!(
            e.ends_with("dt = 0.25·dx²/D = inf, not a positive finite number"),
            "{e}"
        );
        let e = refusal(Params {
            x1: 0.0,
            x2: 1e-300,
            dx: 1e-302,
            ..Params::default()
        });
        assert!(e.contains("dt = 0.25·dx²/D = 0, not a positive"), "{e}");
        let e = refusal(Params {
            x1: 0.0,
            x2: 1e300,
            dx: 1e297,
            ..Params::default()
        });
        assert!(e.contains("= inf, not a positive"), "{e}");
    }

    #[test]
    fn huge_and_tiny_numbers_are_shown_in_scientific_notation() {
        let e = refusal(Params {
            dx: 1e-310,
            ..Params::default()
        });
        assert_eq!(
            e,
            "parameter dx 1e-310 gives inf cells per side, more than the 20000 this solver accepts"
        );
        let e = refusal(Params {
            x1: -1e200,
            x2: 1e200,
            ..Params::default()
        });
        assert!(e.len() < 150, "{e}");
        assert!(
            e.contains("gives 2.9985007496251877e201 cells per side"),
            "{e}"
        );
    }

    #[test]
    fn more_steps_than_the_maximum_are_refused() {
        let e = refusal(Params {
            d: 1e300,
            dx: 5.0,
            ..Params::default()
        });
        assert_eq!(
            e,
            "parameter runtime = 15 needs 2.4e300 steps of dt = 0.25·dx²/D = 6.25e-300 \
             (D = 1e300, dx = 5), more than the 1000000000 this solver accepts"
        );
        let ok = Grid::new(&Params {
            dx: 1.0,
            runtime: MAX_STEPS as f64 * 0.25,
            ..Params::default()
        })
        .unwrap();
        assert_eq!(ok.nsteps, MAX_STEPS);
    }

    #[test]
    fn coordinates_beyond_the_largest_number_are_refused() {
        let e = refusal(Params {
            x1: 1e308,
            x2: f64::MAX,
            dx: 7e307,
            ..Params::default()
        });
        assert!(
            e.starts_with("parameter x2 gives grid coordinates beyond"),
            "{e}"
        );
    }
}
