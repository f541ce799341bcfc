//! Binding inputs to an evaluation: names checked against the signature,
//! types and shapes against each other, and the stencil offsets turned into
//! the interior the evaluation covers and one operand per variable.

use std::collections::{HashMap, HashSet};

use crate::api::broadcast::{broadcast_shape, stretched_strides};
use crate::api::Expr;
use crate::array::{Arg, Narrow, Raw, Stored};
use crate::compile::typed::BytesSide;
use crate::dtype::InputType;
use crate::error::ExprError;
use crate::exec::bytes::{Strings, TestOp};
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
        let fetch = |input: usize| -> Result<(&str, Raw), ExprError> {
            let (name, ty) = &self.sig[input];
            let Some(raw) = lookup(name) else {
                return Err(ExprError::Input(format!("missing input `{name}`")));
            };
            if input_type(&raw) != *ty {
                return Err(ExprError::Input(format!(
                    "input `{name}` holds {} but the signature says {ty}",
                    describe(&raw)
                )));
            }
            if raw.shape.len() > 3 {
                return Err(ExprError::Shape(format!(
                    "input `{name}` has {} dimensions; arrays of 1 to 3 dimensions are supported",
                    raw.shape.len()
                )));
            }
            Ok((name.as_str(), raw))
        };
        let raws: Vec<(&str, Raw)> = self
            .checked
            .vars
            .iter()
            .map(|v| fetch(v.input))
            .collect::<Result<_, _>>()?;
        // The byte-string inputs the tests read, each once.
        let mut strings: HashMap<usize, (&str, Raw)> = HashMap::new();
        for t in &self.checked.tests {
            for side in [&t.a, &t.b] {
                if let BytesSide::Input(i) = side {
                    if !strings.contains_key(i) {
                        strings.insert(*i, fetch(*i)?);
                    }
                }
            }
        }
        let mut arrays: Vec<(&str, &Raw)> = raws
            .iter()
            .chain(strings.values())
            .filter(|(_, r)| !r.shape.is_empty())
            .map(|(n, r)| (*n, r))
            .collect();
        // The order inputs are named in errors: numbers first, then strings
        // by their place in the signature.
        let nvars = raws.iter().filter(|(_, r)| !r.shape.is_empty()).count();
        arrays[nvars..].sort_by_key(|(n, _)| self.sig.iter().position(|(s, _)| s == n));
        let full = broadcast_shape(arrays.iter().map(|(_, r)| r.shape.as_slice())).map_err(
            |(first, then)| {
                let ((a, ra), (b, rb)) = (arrays[first], arrays[then]);
                ExprError::Shape(format!(
                    "input `{a}` has shape {:?} but `{b}` has shape {:?}: they do not broadcast together",
                    ra.shape, rb.shape
                ))
            },
        )?;
        let stretched = arrays.iter().any(|(_, r)| r.shape != full);
        let nd = full.len();
        // Stencil offsets: the interior is where every neighbour exists.
        let offsets = self.has_offsets();
        let mut lo = vec![0usize; nd];
        let mut hi = vec![0usize; nd];
        if offsets {
            if let Some((name, r)) = arrays.iter().find(|(_, r)| r.shape != full) {
                // A neighbour of a stretched input would be the element
                // itself along the stretched axes: numexpr has no offsets
                // to say what it should be, so the shapes must agree.
                let (first, r0) = arrays[0];
                return Err(ExprError::Shape(format!(
                    "input `{first}` has shape {:?} but `{name}` has shape {:?}: with stencil offsets, array inputs must have one shape (only 0-d inputs broadcast)",
                    r0.shape, r.shape
                )));
            }
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
            for ax in 0..nd {
                if lo[ax] + hi[ax] >= full[ax] {
                    return Err(ExprError::Offset(format!(
                        "the offsets reach {} below and {} above along axis {ax}, wider than the array's {} element(s) there: no interior is left",
                        lo[ax], hi[ax], full[ax]
                    )));
                }
            }
        }
        let interior: Vec<usize> = (0..nd).map(|ax| full[ax] - lo[ax] - hi[ax]).collect();
        // The operand of `r` over the space, at the interior's first element
        // shifted by `shift` (a variable's offsets).
        let operand = |r: &Raw, shift: Option<&Vec<i64>>| {
            let strides = stretched_strides(&r.shape, &r.strides, &full);
            let es = stored_size(r) as isize;
            let mut off = 0isize;
            for ax in 0..nd {
                let o = shift.map_or(0, |o| o[ax]);
                off += (lo[ax] as isize + o as isize) * strides[ax];
            }
            Operand {
                // SAFETY: the offset stays inside the array: lo+o is in
                // [0, lo+hi] along axes the array has in full (offsets imply
                // that every array input has the full shape), and 0 along
                // the axes it is stretched over.
                ptr: unsafe { r.ptr.offset(off * es) },
                strides,
                esize: stored_size(r),
            }
        };
        let mut vars = Vec::with_capacity(self.checked.nvars());
        for (v, (_, r)) in self.checked.vars.iter().zip(&raws) {
            vars.push(match r.stored {
                Stored::Native if r.shape.is_empty() => VarOp::Scalar(r.ptr),
                Stored::Narrow(narrow) => VarOp::Widened(operand(r, v.offsets.as_ref()), narrow),
                _ => VarOp::Array(operand(r, v.offsets.as_ref())),
            });
        }
        for t in &self.checked.tests {
            let side = |s: &BytesSide| match s {
                BytesSide::Input(i) => {
                    let r = &strings[i].1;
                    let Stored::Bytes { width, step } = r.stored else {
                        unreachable!("`fetch` checked that the input holds bytes")
                    };
                    Strings {
                        at: operand(r, None),
                        width,
                        step,
                    }
                }
                // The literal lives in the expression, which outlives every
                // evaluation.
                BytesSide::Lit(bytes) => Strings {
                    at: Operand {
                        ptr: bytes.as_ptr() as *mut u8,
                        strides: vec![0; nd],
                        esize: 1,
                    },
                    width: bytes.len(),
                    step: 1,
                },
            };
            vars.push(VarOp::Test(TestOp {
                op: t.op,
                a: side(&t.a),
                b: side(&t.b),
            }));
        }
        Ok(Bound {
            full,
            interior,
            lo,
            vars,
            arrays: !arrays.is_empty(),
            stretched,
        })
    }
}

/// The type an input holds, as a signature would declare it.
fn input_type(r: &Raw) -> InputType {
    match r.stored {
        Stored::Bytes { .. } => InputType::Bytes,
        _ => InputType::Number(r.dt),
    }
}

/// The type an input holds, for messages (`u32 (read as i64)`).
fn describe(r: &Raw) -> String {
    match r.stored {
        Stored::Native => r.dt.to_string(),
        Stored::Narrow(n) => format!("{} (read as {})", narrow_name(n), r.dt),
        Stored::Bytes { .. } => "bytes".to_string(),
    }
}

/// The Rust name of a narrower element type.
fn narrow_name(n: Narrow) -> &'static str {
    match n {
        Narrow::U8 => "u8",
        Narrow::U16 => "u16",
        Narrow::U32 => "u32",
        Narrow::I8 => "i8",
        Narrow::I16 => "i16",
        Narrow::C64 => "Complex<f32>",
    }
}

/// The size of the unit an input's strides count (bytes for strings).
fn stored_size(r: &Raw) -> usize {
    match r.stored {
        Stored::Native => r.dt.size(),
        Stored::Narrow(n) => n.size(),
        Stored::Bytes { .. } => 1,
    }
}

/// Inputs bound to an evaluation.
#[derive(Clone)]
pub(crate) struct Bound {
    /// The shape the array inputs broadcast to (empty when all are 0-d).
    pub full: Vec<usize>,
    /// The part every stencil neighbour exists for (`full` without offsets).
    pub interior: Vec<usize>,
    /// Where the interior starts along each axis.
    pub lo: Vec<usize>,
    /// One operand per variable, pointing at the variable's element for the
    /// interior's first element, with strides over `full` (0 along the axes
    /// an input is stretched over).
    pub vars: Vec<VarOp>,
    /// Whether some input is an array (not 0-d).
    pub arrays: bool,
    /// Whether some array input is stretched (its shape is not `full`).
    pub stretched: bool,
}

impl Bound {
    /// The inputs viewed over `shape`, which `full` must broadcast to, as
    /// when `out` is bigger than the inputs (numpy's and numexpr's `out=`);
    /// `None` when it does not. Only for bindings without offsets.
    pub(crate) fn stretched_to(&self, shape: &[usize]) -> Option<Bound> {
        debug_assert!(self.lo.iter().all(|&l| l == 0));
        let joint = broadcast_shape([self.full.as_slice(), shape]).ok()?;
        if joint != shape {
            return None;
        }
        let vars = self
            .vars
            .iter()
            .map(|v| {
                let mut v = v.clone();
                for op in v.operands_mut() {
                    op.strides = stretched_strides(&self.full, &op.strides, shape);
                }
                v
            })
            .collect();
        Some(Bound {
            full: shape.to_vec(),
            interior: shape.to_vec(),
            lo: vec![0; shape.len()],
            vars,
            arrays: self.arrays,
            stretched: self.arrays,
        })
    }
}
