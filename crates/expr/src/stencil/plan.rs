//! The plan of an iteration: what every thread of the team needs to know,
//! built once per call: the layout of the shared grids, where each variable
//! is read from, and the temporal-blocking depth.

use crate::api::Bound;
use crate::array::Raw;
use crate::exec::geometry::BLOCK;
use crate::exec::space::VarOp;
use runtime::layout::CACHE_LINE;

use crate::stencil::layout::{buffer_pair, c_strides};
use crate::{Expr, Iterate};

/// What a band needs to know about the iteration.
pub(crate) struct Plan<'a> {
    pub(crate) expr: &'a Expr,
    /// The state array.
    pub(crate) u: Raw,
    /// Its shape.
    pub(crate) full: Vec<usize>,
    /// The interior's shape and start.
    pub(crate) interior: Vec<usize>,
    pub(crate) lo: Vec<usize>,
    /// Reach of the stencil along axis 0, below and above.
    pub(crate) reach_lo: usize,
    pub(crate) reach_hi: usize,
    pub(crate) depth: usize,
    /// Bytes from one row of axis 0 to the next in the grids and band
    /// buffers: the row's elements, padded for 2-D and 3-D to whole cache
    /// lines.
    pub(crate) row_bytes: usize,
    /// The same in elements, and the C strides of the rest of a row: the
    /// buffers' strides.
    pub(crate) bstrides: Vec<isize>,
    pub(crate) esize: usize,
    /// Per variable: a scalar, an input read in place, or the state at an
    /// offset (byte offset within a buffer row block, row offset along axis 0).
    pub(crate) vars: Vec<VarKind>,
    /// Byte offset of the interior's first element within its buffer row.
    pub(crate) out_inner: isize,
    /// The array variables as a wavefront row finds them, when the band can
    /// be swept as a wavefront (see `pass.rs`).
    pub(crate) row_vars: Option<Vec<(usize, RowVar)>>,
    /// The two shared grids the passes alternate between (buffer layout,
    /// whole rows of `u`), and the memory that holds them.
    pub(crate) grids: [*mut u8; 2],
    _grid_mem: Vec<u64>,
}

// SAFETY: the raw pointers are borrowed by `iterate` for the whole call, or
// point into the plan's own grids; `run_band` documents how the team shares
// them.
unsafe impl Sync for Plan<'_> {}

/// Where a variable is read from.
pub(crate) enum VarKind {
    /// A scalar, or an input read in place.
    Fixed(VarOp),
    /// The state at an offset: `inner` bytes within a buffer row, `row`
    /// rows along axis 0.
    State { inner: isize, row: isize },
}

/// Where an array variable's row `x` is, for one step of the wavefront.
#[derive(Clone, Copy)]
pub(crate) enum RowVar {
    /// The state: this many bytes from the start of row `x` in the buffer
    /// of the level the step reads (offsets along both axes included).
    State(isize),
    /// An input read in place: its element for the interior's first row
    /// (and first column), and the bytes from one row to the next.
    Fixed { first: *mut u8, stride: isize },
}

impl<'a> Plan<'a> {
    /// The plan for `steps` steps of `depth` (0: the default) per pass.
    pub(crate) fn new(
        expr: &'a Expr,
        si: usize,
        u: &Raw,
        b: &Bound,
        depth: usize,
        steps: usize,
    ) -> Plan<'a> {
        let nd = b.full.len();
        let esize = u.dt.size();
        let hi0 = b.full[0] - b.interior[0] - b.lo[0];
        // Strides (elements) of a buffer holding whole rows of `u`: C order
        // within a row, rows padded to whole cache lines.
        let mut bstrides = c_strides(&b.full);
        let row_bytes = if nd == 1 {
            esize
        } else {
            let packed = b.full[1..].iter().product::<usize>() * esize;
            packed.next_multiple_of(CACHE_LINE)
        };
        bstrides[0] = (row_bytes / esize) as isize;
        let vars: Vec<VarKind> = expr
            .checked
            .vars
            .iter()
            .zip(&b.vars)
            .map(|(v, op)| {
                if v.input != si {
                    return VarKind::Fixed(op.clone());
                }
                let o = |ax: usize| v.offsets.as_ref().map_or(0, |o| o[ax] as isize);
                let inner: isize = (1..nd)
                    .map(|ax| (b.lo[ax] as isize + o(ax)) * bstrides[ax])
                    .sum();
                VarKind::State {
                    inner: inner * esize as isize,
                    row: o(0),
                }
            })
            .collect();
        let out_inner: isize = (1..nd).map(|ax| b.lo[ax] as isize * bstrides[ax]).sum();
        let row_vars = if nd == 2 && b.interior[1] <= BLOCK {
            wavefront_vars(&vars, row_bytes)
        } else {
            None
        };
        let lag = b.lo[0].max(hi0);
        let depth = match (depth, &row_vars) {
            (0, Some(_)) => {
                // Rows in flight: 2 buffers x (depth * lag + 2) rows.
                let rows = Iterate::L1_BUDGET_BYTES / (2 * row_bytes);
                (rows.saturating_sub(2) / lag.max(1))
                    .clamp(Iterate::MIN_WAVEFRONT_DEPTH, Iterate::DEFAULT_DEPTH)
            }
            (0, None) => Iterate::DEFAULT_DEPTH,
            (d, _) => d,
        }
        .min(steps);
        let out_inner = out_inner * esize as isize;
        let (grid_mem, grids) = buffer_pair(b.full[0] * row_bytes, out_inner);
        Plan {
            expr,
            u: u.clone(),
            full: b.full.clone(),
            interior: b.interior.clone(),
            lo: b.lo.clone(),
            reach_lo: b.lo[0],
            reach_hi: hi0,
            depth,
            row_bytes,
            bstrides,
            esize,
            vars,
            out_inner,
            row_vars,
            grids,
            _grid_mem: grid_mem,
        }
    }
}

/// The array variables as a wavefront row finds them (see [`RowVar`]), or
/// `None` when an input is not contiguous along rows (the level-by-level
/// sweep then gathers it). Scalars are left out: the VM frame holds them.
fn wavefront_vars(vars: &[VarKind], row_bytes: usize) -> Option<Vec<(usize, RowVar)>> {
    let mut rows = Vec::new();
    for (v, kind) in vars.iter().enumerate() {
        match kind {
            VarKind::State { inner, row } => {
                rows.push((v, RowVar::State(inner + row * row_bytes as isize)));
            }
            VarKind::Fixed(VarOp::Array(op)) if op.strides[1] == 1 => {
                let stride = op.strides[0] * op.esize as isize;
                rows.push((
                    v,
                    RowVar::Fixed {
                        first: op.ptr,
                        stride,
                    },
                ));
            }
            VarKind::Fixed(VarOp::Scalar(_)) => {}
            VarKind::Fixed(_) => return None,
        }
    }
    Some(rows)
}
