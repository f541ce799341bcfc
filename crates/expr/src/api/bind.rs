//! Binding inputs to an evaluation: names checked against the signature,
//! types and shapes against each other, and the stencil offsets turned into
//! the interior the evaluation covers and one operand per variable.

use std::collections::{HashMap, HashSet};

use crate::api::Expr;
use crate::array::{Arg, Raw};
use crate::error::ExprError;
use crate::exec::space::{Operand, VarOp};

impl Expr {
    /// The signature's names, comma separated (for error messages).
    pub(crate) fn signature_names(&self) -> String {
        let names: Vec<&str> = self.sig.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", ")
    }

    /// Checks that every input is named in the signature, and only once.
    pub(crate) fn check_input_names(&self, inputs: &[(&str, Arg<'_>)]) -> Result<(), ExprError> {
        let known: HashSet<&str> = self.sig.iter().map(|(n, _)| n.as_str()).collect();
        let mut seen = HashSet::with_capacity(inputs.len());
        for (name, _) in inputs {
            if !known.contains(name) {
                return Err(ExprError::Input(format!(
                    "input `{name}` is not in the signature ({})",
                    self.signature_names()
                )));
            }
            if !seen.insert(*name) {
                return Err(ExprError::Input(format!("input `{name}` is given twice")));
            }
        }
        Ok(())
    }

    /// Matches inputs to variables and derives the iteration space.
    pub(super) fn bind(&self, inputs: &[(&str, Arg<'_>)]) -> Result<Bound, ExprError> {
        self.check_input_names(inputs)?;
        let by_name: HashMap<&str, &Arg<'_>> = inputs.iter().map(|(n, a)| (*n, a)).collect();
        self.bind_raw(&|name| by_name.get(name).map(|a| a.raw()))
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
