//! The public entry points: [`Expr::compile`], [`Expr::eval`] and [`evaluate`].

use crate::array::{Arg, ArgMut, Array, Raw};
use crate::check::{Checked, Checker, ReduceKind, TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::exec::{run_elementwise, run_reduce_all, run_reduce_rows, Operand, Space, VarOp};
use crate::kernels::Op;
use crate::parse::parse;
use crate::program::{fold, lower, Program};

/// A compiled expression: parsed, type-checked, folded and lowered to a
/// register program once, then evaluated any number of times.
#[derive(Debug, Clone)]
pub struct Expr {
    text: String,
    pub(crate) sig: Vec<(String, DType)>,
    pub(crate) checked: Checked,
    pub(crate) prog: Program,
}

impl Expr {
    /// Compiles `text` for inputs named and typed by `signature`.
    ///
    /// Names, types and the place of reductions are checked here; shapes
    /// (and stencil offsets against them) are checked by [`Expr::eval`].
    pub fn compile(text: &str, signature: &[(&str, DType)]) -> Result<Expr, ExprError> {
        for (i, (name, _)) in signature.iter().enumerate() {
            if signature[..i].iter().any(|(n, _)| n == name) {
                return Err(ExprError::Input(format!(
                    "`{name}` appears twice in the signature"
                )));
            }
        }
        let sig: Vec<(String, DType)> =
            signature.iter().map(|(n, d)| (n.to_string(), *d)).collect();
        let ast = parse(text)?;
        let checked = Checker {
            text,
            sig: &sig,
            vars: Vec::new(),
        }
        .check_root(&ast)?;
        let prog = lower(&checked.root, checked.vars.len(), checked.reduce.is_none());
        Ok(Expr {
            text: text.to_string(),
            sig,
            checked,
            prog,
        })
    }

    /// The expression text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The type of the result (for a reduction, of its accumulator:
    /// `i64` for bool and integers, else the operand type).
    pub fn dtype(&self) -> DType {
        self.checked.root.dt
    }

    /// The input names the expression reads, in order of first use.
    pub fn input_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for v in &self.checked.vars {
            let n = self.sig[v.input].0.as_str();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    }

    /// Whether the expression uses stencil offsets (and so writes only the
    /// interior of its output).
    pub fn has_offsets(&self) -> bool {
        self.checked.vars.iter().any(|v| v.offsets.is_some())
    }

    /// Whether the expression is a `sum`/`product` reduction.
    pub fn is_reduction(&self) -> bool {
        self.checked.reduce.is_some()
    }

    /// The number of VM instructions per block (after folding and fusion).
    pub fn num_instructions(&self) -> usize {
        self.prog.instrs.len()
    }

    /// Evaluates into `out`, which must have the inputs' shape (or, for a
    /// reduction, the reduced shape) and a type the result casts to safely.
    /// With stencil offsets only the interior of `out` is written.
    pub fn eval<'o>(
        &self,
        inputs: &[(&str, Arg<'_>)],
        out: impl Into<ArgMut<'o>>,
    ) -> Result<(), ExprError> {
        let mut out = out.into();
        let bound = self.bind(inputs)?;
        let oraw = out.raw();
        match self.checked.reduce {
            None => self.eval_elementwise(&bound, oraw),
            Some((kind, None)) => self.eval_reduce_all(&bound, oraw, kind),
            Some((kind, Some(axis))) => self.eval_reduce_axis(&bound, oraw, kind, axis),
        }
    }

    /// Evaluates into a new array (for offsets: the inputs' shape, zero on the
    /// border that the stencil does not reach).
    pub fn eval_new(&self, inputs: &[(&str, Arg<'_>)]) -> Result<Array, ExprError> {
        let bound = self.bind(inputs)?;
        let shape = match self.checked.reduce {
            None => bound.full.clone(),
            Some((_, None)) => vec![],
            Some((_, Some(axis))) => {
                let ax = norm_axis(axis, bound.interior.len())?;
                let mut s = bound.interior.clone();
                s.remove(ax);
                s
            }
        };
        let mut out = Array::zeros(self.dtype(), &shape);
        self.eval(inputs, out.view_mut())?;
        Ok(out)
    }

    /// The signature's names, comma separated (for error messages).
    pub(crate) fn signature_names(&self) -> String {
        let names: Vec<&str> = self.sig.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", ")
    }

    /// Checks that every input is named in the signature, and only once.
    pub(crate) fn check_input_names(&self, inputs: &[(&str, Arg<'_>)]) -> Result<(), ExprError> {
        for (i, (name, _)) in inputs.iter().enumerate() {
            if !self.sig.iter().any(|(n, _)| n == name) {
                return Err(ExprError::Input(format!(
                    "input `{name}` is not in the signature ({})",
                    self.signature_names()
                )));
            }
            if inputs[..i].iter().any(|(n, _)| n == name) {
                return Err(ExprError::Input(format!("input `{name}` is given twice")));
            }
        }
        Ok(())
    }

    /// Matches inputs to variables and derives the iteration space.
    fn bind(&self, inputs: &[(&str, Arg<'_>)]) -> Result<Bound, ExprError> {
        self.check_input_names(inputs)?;
        self.bind_raw(&|name| {
            inputs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, a)| a.raw())
        })
    }

    /// [`Expr::bind`] after the names are checked: `lookup` gives the array
    /// bound to a signature name.
    pub(crate) fn bind_raw(
        &self,
        lookup: &dyn Fn(&str) -> Option<Raw>,
    ) -> Result<Bound, ExprError> {
        let mut raws: Vec<(&str, Raw)> = Vec::new();
        for v in &self.checked.vars {
            let (name, dt) = &self.sig[v.input];
            let Some(raw) = lookup(name) else {
                return Err(ExprError::Input(format!("missing input `{name}`")));
            };
            if raw.dt != *dt {
                return Err(ExprError::Input(format!(
                    "input `{name}` holds {} but the signature says {dt}",
                    raw.dt
                )));
            }
            if raw.shape.len() > 3 {
                return Err(ExprError::Shape(format!(
                    "input `{name}` has {} dimensions; arrays of 1 to 3 dimensions are supported",
                    raw.shape.len()
                )));
            }
            raws.push((name.as_str(), raw));
        }
        let mut full: Option<(&str, Vec<usize>)> = None;
        for (name, r) in &raws {
            if r.shape.is_empty() {
                continue;
            }
            match &full {
                None => full = Some((name, r.shape.clone())),
                Some((first, s)) if *s != r.shape => {
                    return Err(ExprError::Shape(format!(
                        "input `{first}` has shape {s:?} but `{name}` has shape {:?}",
                        r.shape
                    )))
                }
                _ => {}
            }
        }
        let full = full.map(|f| f.1);
        let nd = full.as_ref().map_or(0, |s| s.len());
        // Stencil offsets: the interior is where every neighbour exists.
        let offsets = self.has_offsets();
        let mut lo = vec![0usize; nd];
        let mut hi = vec![0usize; nd];
        if offsets {
            for (v, (name, r)) in self.checked.vars.iter().zip(&raws) {
                let Some(offs) = &v.offsets else { continue };
                // Built only for an error message (this runs on every step).
                let written = || {
                    format!(
                        "{name}[{}]",
                        offs.iter()
                            .map(|o| o.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                if r.shape.is_empty() {
                    return Err(ExprError::Offset(format!(
                        "`{}` uses offsets but `{name}` is a scalar",
                        written()
                    )));
                }
                if offs.len() != nd {
                    return Err(ExprError::Offset(format!(
                        "`{}` gives {} offset(s) but `{name}` is {nd}-D (one offset per axis is needed)",
                        written(),
                        offs.len()
                    )));
                }
                for (ax, &o) in offs.iter().enumerate() {
                    if o < 0 {
                        lo[ax] = lo[ax].max(o.unsigned_abs() as usize);
                    } else {
                        hi[ax] = hi[ax].max(o as usize);
                    }
                }
            }
            let shape = full.as_ref().expect("offsets imply an array input");
            for ax in 0..nd {
                if lo[ax] + hi[ax] >= shape[ax] {
                    return Err(ExprError::Offset(format!(
                        "the offsets reach {} below and {} above along axis {ax}, wider than the array's {} element(s) there: no interior is left",
                        lo[ax], hi[ax], shape[ax]
                    )));
                }
            }
        }
        let full_shape = full.unwrap_or_default();
        let interior: Vec<usize> = (0..nd).map(|ax| full_shape[ax] - lo[ax] - hi[ax]).collect();
        let mut vars = Vec::with_capacity(raws.len());
        for (v, (_, r)) in self.checked.vars.iter().zip(&raws) {
            if r.shape.is_empty() {
                vars.push(VarOp::Scalar(r.ptr));
                continue;
            }
            let es = r.dt.size() as isize;
            let mut off = 0isize;
            for ax in 0..nd {
                let o = v.offsets.as_ref().map_or(0, |o| o[ax]);
                off += (lo[ax] as isize + o as isize) * r.strides[ax];
            }
            // SAFETY: the offset stays inside the array: lo+o is in [0, lo+hi].
            let ptr = unsafe { r.ptr.offset(off * es) };
            vars.push(VarOp::Array(Operand {
                ptr,
                strides: r.strides.clone(),
                esize: r.dt.size(),
            }));
        }
        Ok(Bound {
            full: full_shape,
            interior,
            lo,
            vars,
        })
    }

    fn eval_elementwise(&self, b: &Bound, o: Raw) -> Result<(), ExprError> {
        let rdt = self.prog.result_dt;
        if !rdt.casts_safely_to(o.dt) {
            return Err(ExprError::Output(format!(
                "the result is {rdt} but `out` holds {}; only upward casts bool < i32 < i64 < f32 < f64 < complex are allowed",
                o.dt
            )));
        }
        let has_arrays = b.vars.iter().any(|v| matches!(v, VarOp::Array(_)));
        if has_arrays && o.shape != b.full {
            return Err(ExprError::Output(format!(
                "`out` has shape {:?} but the inputs have shape {:?}",
                o.shape, b.full
            )));
        }
        let (shape, lo) = if has_arrays {
            (b.interior.clone(), b.lo.clone())
        } else {
            (o.shape.clone(), vec![0; o.shape.len()])
        };
        let es = o.dt.size() as isize;
        let off: isize = lo
            .iter()
            .zip(&o.strides)
            .map(|(&l, &s)| l as isize * s)
            .sum();
        let out = Operand {
            // SAFETY: lo is inside the output, whose shape equals the inputs'.
            ptr: unsafe { o.ptr.offset(off * es) },
            strides: o.strides.clone(),
            esize: o.dt.size(),
        };
        let prog;
        let prog = if o.dt == rdt {
            &self.prog
        } else {
            let root = TNode {
                kind: TKind::Op(Op::Cast, vec![self.checked.root.clone()]),
                dt: o.dt,
            };
            prog = lower(&root, self.checked.vars.len(), true);
            &prog
        };
        let mut sp = space(shape, b.vars.clone(), Some(out));
        sp.coalesce();
        run_elementwise(prog, &sp);
        Ok(())
    }

    fn eval_reduce_all(&self, b: &Bound, o: Raw, kind: ReduceKind) -> Result<(), ExprError> {
        let acc = self.prog.result_dt;
        if !acc.casts_safely_to(o.dt) {
            return Err(ExprError::Output(format!(
                "the reduction gives {acc} but `out` holds {}",
                o.dt
            )));
        }
        if o.shape.iter().product::<usize>() != 1 {
            return Err(ExprError::Output(format!(
                "a reduction over everything gives one value, but `out` has shape {:?}",
                o.shape
            )));
        }
        let mut sp = space(b.interior.clone(), b.vars.clone(), None);
        sp.coalesce();
        let v = run_reduce_all(&self.prog, &sp, kind);
        let v = if o.dt == acc {
            v
        } else {
            fold(Op::Cast, o.dt, &[(v, acc)])
        };
        let mut bytes = [0u64; 2];
        v.store(&mut bytes);
        // SAFETY: `out` holds exactly one element of type o.dt.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const u8, o.ptr, o.dt.size()) };
        Ok(())
    }

    fn eval_reduce_axis(
        &self,
        b: &Bound,
        o: Raw,
        kind: ReduceKind,
        axis: i64,
    ) -> Result<(), ExprError> {
        let nd = b.interior.len();
        let ax = norm_axis(axis, nd)?;
        let acc = self.prog.result_dt;
        if o.dt != acc {
            return Err(ExprError::Output(format!(
                "the reduction gives {acc} but `out` holds {}",
                o.dt
            )));
        }
        let mut reduced = b.interior.clone();
        reduced.remove(ax);
        if o.shape != reduced {
            return Err(ExprError::Output(format!(
                "reducing axis {ax} gives shape {reduced:?} but `out` has shape {:?}",
                o.shape
            )));
        }
        // Move the reduced axis last: each output element is then one row.
        let mut shape = b.interior.clone();
        let len = shape.remove(ax);
        shape.push(len);
        let vars = b
            .vars
            .iter()
            .map(|v| match v {
                VarOp::Array(op) => {
                    let mut op = op.clone();
                    let s = op.strides.remove(ax);
                    op.strides.push(s);
                    VarOp::Array(op)
                }
                s => s.clone(),
            })
            .collect();
        let out = Operand {
            ptr: o.ptr,
            strides: o.strides.clone(),
            esize: o.dt.size(),
        };
        let sp = space(shape, vars, Some(out));
        run_reduce_rows(&self.prog, &sp, kind);
        Ok(())
    }
}

/// Inputs bound to an evaluation.
pub(crate) struct Bound {
    /// Shape of the array inputs (empty when all are scalars).
    pub full: Vec<usize>,
    /// The part every stencil neighbour exists for (`full` without offsets).
    pub interior: Vec<usize>,
    /// Where the interior starts along each axis.
    pub lo: Vec<usize>,
    /// One operand per variable, pointing at the variable's element for the
    /// interior's first element.
    pub vars: Vec<VarOp>,
}

/// A space over `shape`; a 0-d space becomes one element.
fn space(mut shape: Vec<usize>, mut vars: Vec<VarOp>, mut out: Option<Operand>) -> Space {
    if shape.is_empty() {
        shape.push(1);
        for v in &mut vars {
            if let VarOp::Array(op) = v {
                op.strides = vec![0];
            }
        }
        if let Some(o) = &mut out {
            o.strides = vec![0];
        }
    }
    Space { shape, vars, out }
}

fn norm_axis(axis: i64, nd: usize) -> Result<usize, ExprError> {
    let a = if axis < 0 { axis + nd as i64 } else { axis };
    if a < 0 || a >= nd as i64 {
        return Err(ExprError::Shape(format!(
            "axis={axis} is out of range for {nd}-D inputs"
        )));
    }
    Ok(a as usize)
}

/// Compiles and evaluates `text` in one go, like `numexpr.evaluate`: the
/// signature is taken from the inputs' types.
///
/// A reduction over everything returns a 0-d array.
pub fn evaluate(text: &str, inputs: &[(&str, Arg<'_>)]) -> Result<Array, ExprError> {
    let sig: Vec<(&str, DType)> = inputs.iter().map(|(n, a)| (*n, a.dtype())).collect();
    Expr::compile(text, &sig)?.eval_new(inputs)
}

/// The variable names an expression reads, in order of first use, each with
/// the number of stencil offsets written on it (0 when it has none): what a
/// caller needs to build a signature for text it did not write.
pub fn variables(text: &str) -> Result<Vec<(String, usize)>, ExprError> {
    let ast = parse(text)?;
    let mut names = Vec::new();
    crate::parse::free_names(&ast, &mut names);
    Ok(names)
}

/// Evaluates a constant expression (no inputs) to a scalar.
pub fn evaluate_scalar(text: &str) -> Result<Scalar, ExprError> {
    let e = Expr::compile(text, &[])?;
    if let TKind::Const(v) = e.checked.root.kind {
        if !e.is_reduction() {
            return Ok(v);
        }
    }
    let out = e.eval_new(&[])?;
    Ok(match out {
        Array::Bool(a) => Scalar::Bool(a.iter().copied().next().unwrap_or_default()),
        Array::I32(a) => Scalar::I32(a.iter().copied().next().unwrap_or_default()),
        Array::I64(a) => Scalar::I64(a.iter().copied().next().unwrap_or_default()),
        Array::F32(a) => Scalar::F32(a.iter().copied().next().unwrap_or_default()),
        Array::F64(a) => Scalar::F64(a.iter().copied().next().unwrap_or_default()),
        Array::C128(a) => Scalar::C128(a.iter().copied().next().unwrap_or_default()),
    })
}
