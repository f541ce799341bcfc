//! The public entry points: [`Expr::compile`] (and [`Expr::compile_with`]
//! for numexpr's optimisation levels), [`Expr::eval`] and the one-shot
//! functions [`evaluate`] ([`evaluate_with`]), [`variables`] and
//! [`evaluate_scalar`].
//! Binding inputs to an evaluation is in `api/bind.rs` (numpy's
//! broadcasting of their shapes in `api/broadcast.rs`), the three kinds of
//! evaluation in `api/eval.rs`, reductions run a range of blocks at a time
//! ([`Stepwise`]) in `api/stepwise.rs`.

mod bind;
mod broadcast;
mod eval;
mod stepwise;

pub(crate) use bind::Bound;
pub use stepwise::Stepwise;

use std::collections::HashSet;

use crate::array::{Arg, ArgMut, Array};
use crate::compile::ast::free_names;
use crate::compile::options::CompileOptions;
use crate::compile::parser::parse;
use crate::compile::typed::{BytesSide, Checked, ReduceKind, TKind};
use crate::compile::{lower, Checker, Target};
use crate::dtype::{DType, InputType, Scalar};
use crate::error::ExprError;
use crate::vm::program::Program;

/// A compiled expression: parsed, type-checked, folded and lowered to a
/// register program once, then evaluated any number of times.
#[derive(Debug, Clone)]
pub struct Expr {
    text: String,
    pub(crate) sig: Vec<(String, InputType)>,
    pub(crate) checked: Checked,
    pub(crate) prog: Program,
}

impl Expr {
    /// Compiles `text` for inputs named and typed by `signature`.
    ///
    /// Names, types and the place of reductions are checked here; shapes
    /// (and stencil offsets against them) are checked by [`Expr::eval`].
    pub fn compile(text: &str, signature: &[(&str, DType)]) -> Result<Expr, ExprError> {
        let sig: Vec<(&str, InputType)> =
            signature.iter().map(|(n, d)| (*n, (*d).into())).collect();
        Expr::compile_with(text, &sig, &CompileOptions::default())
    }

    /// [`Expr::compile`] for inputs that may be byte strings
    /// ([`InputType::Bytes`]), with `options` (numexpr's `optimization=`
    /// level).
    pub fn compile_with(
        text: &str,
        signature: &[(&str, InputType)],
        options: &CompileOptions,
    ) -> Result<Expr, ExprError> {
        let mut seen = HashSet::with_capacity(signature.len());
        for (name, _) in signature {
            if !seen.insert(*name) {
                return Err(ExprError::Input(format!(
                    "`{name}` appears twice in the signature"
                )));
            }
        }
        let sig: Vec<(String, InputType)> =
            signature.iter().map(|(n, t)| (n.to_string(), *t)).collect();
        let ast = parse(text)?;
        let checked = Checker::new(text, &sig, options.optimization).check_root(&ast)?;
        let target = if checked.reduce.is_none() {
            Target::Out
        } else {
            Target::Anywhere
        };
        let prog = lower(&checked.root, checked.nvars(), target);
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

    /// The type of the result (for a reduction, of its accumulator: for
    /// `sum` and `prod`, `i64` for bool and integers, else the operand
    /// type; for `min` and `max`, the operand type).
    pub fn dtype(&self) -> DType {
        self.checked.root.dt
    }

    /// The input names the expression reads, in order of first use.
    pub fn input_names(&self) -> Vec<&str> {
        let mut used: HashSet<usize> = self.checked.vars.iter().map(|v| v.input).collect();
        for t in &self.checked.tests {
            for side in [&t.a, &t.b] {
                if let BytesSide::Input(i) = side {
                    used.insert(*i);
                }
            }
        }
        // The text compiled, so it parses; its names come in order of
        // first use.
        let order = parse(&self.text)
            .map(|ast| free_names(&ast))
            .unwrap_or_default();
        order
            .iter()
            .filter_map(|(name, _)| {
                let i = self.sig.iter().position(|(n, _)| n == name)?;
                used.contains(&i).then_some(self.sig[i].0.as_str())
            })
            .collect()
    }

    /// Whether the expression uses stencil offsets (and so writes only the
    /// interior of its output).
    pub fn has_offsets(&self) -> bool {
        self.checked.vars.iter().any(|v| v.offsets.is_some())
    }

    /// Whether the expression is a reduction (`sum`, `prod`, `min`, `max`).
    pub fn is_reduction(&self) -> bool {
        self.checked.reduce.is_some()
    }

    /// The reduction, if the expression is one: its kind and its axis as
    /// written (`None`: over everything; a negative axis counts from the
    /// end).
    pub fn reduction(&self) -> Option<(ReduceKind, Option<i64>)> {
        self.checked.reduce
    }

    /// How far the stencil offsets reach along each axis: `(below, above)`
    /// per axis (`u[-2,0] + u[1,0]` reaches `(2, 1)` along axis 0); empty
    /// without offsets. Only the interior this leaves is evaluated.
    pub fn reach(&self) -> Vec<(usize, usize)> {
        let mut reach: Vec<(usize, usize)> = Vec::new();
        for offs in self.checked.vars.iter().filter_map(|v| v.offsets.as_ref()) {
            if reach.len() < offs.len() {
                reach.resize(offs.len(), (0, 0));
            }
            for (r, &o) in reach.iter_mut().zip(offs) {
                if o < 0 {
                    r.0 = r.0.max(o.unsigned_abs() as usize);
                } else {
                    r.1 = r.1.max(o as usize);
                }
            }
        }
        reach
    }

    /// The number of VM instructions per block (after folding and fusion).
    pub fn num_instructions(&self) -> usize {
        self.prog.instrs.len()
    }

    /// Evaluates into `out`, which must have the shape the inputs broadcast
    /// to, or one they broadcast to (numpy's rule; with stencil offsets, the
    /// inputs' one shape; for a reduction, the reduced shape), and a type
    /// the result casts to safely. With stencil offsets only the interior
    /// of `out` is written.
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

    /// Evaluates into a new array of the shape the inputs broadcast to (for
    /// offsets: the inputs' shape, zero on the border that the stencil does
    /// not reach).
    pub fn eval_new(&self, inputs: &[(&str, Arg<'_>)]) -> Result<Array, ExprError> {
        let bound = self.bind(inputs)?;
        let shape = match self.checked.reduce {
            None => bound.full.clone(),
            Some((_, None)) => vec![],
            Some((_, Some(axis))) => {
                let ax = eval::norm_axis(axis, bound.interior.len())?;
                let mut s = bound.interior.clone();
                s.remove(ax);
                s
            }
        };
        let mut out = Array::zeros(self.dtype(), &shape);
        self.eval(inputs, out.view_mut())?;
        Ok(out)
    }
}

/// Compiles and evaluates `text` in one go, like `numexpr.evaluate`: the
/// signature is taken from the inputs' types.
///
/// A reduction over everything returns a 0-d array.
pub fn evaluate(text: &str, inputs: &[(&str, Arg<'_>)]) -> Result<Array, ExprError> {
    evaluate_with(text, inputs, &CompileOptions::default())
}

/// [`evaluate`] with `options` (numexpr's `optimization=` level).
pub fn evaluate_with(
    text: &str,
    inputs: &[(&str, Arg<'_>)],
    options: &CompileOptions,
) -> Result<Array, ExprError> {
    let sig: Vec<(&str, InputType)> = inputs.iter().map(|(n, a)| (*n, a.input_type())).collect();
    Expr::compile_with(text, &sig, options)?.eval_new(inputs)
}

/// The variable names an expression reads, in order of first use, each with
/// the number of stencil offsets written on it (0 when it has none): what a
/// caller needs to build a signature for text it did not write.
pub fn variables(text: &str) -> Result<Vec<(String, usize)>, ExprError> {
    Ok(free_names(&parse(text)?))
}

/// Evaluates a constant expression (no inputs) to a scalar.
pub fn evaluate_scalar(text: &str) -> Result<Scalar, ExprError> {
    let e = Expr::compile(text, &[])?;
    if let TKind::Const(v) = e.checked.root.kind {
        if !e.is_reduction() {
            return Ok(v);
        }
    }
    e.eval_new(&[])?
        .single()
        .ok_or_else(|| ExprError::Output(format!("`{text}` does not give a single value")))
}
