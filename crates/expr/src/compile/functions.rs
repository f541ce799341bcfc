//! Function calls: which functions exist (the opcode table's `Math` and
//! `Call` entries, and the reductions), their arities, and the typing rule
//! of each — numexpr's (its `expressions.py`: each function's minimum
//! kind, and the exceptions it makes), and numpy's for a call whose
//! arguments are all constants, which numexpr hands to numpy.

use crate::compile::check::Checker;
use crate::compile::fold::fold;
use crate::compile::typed::{TKind, TNode};
use crate::dtype::{DType, Scalar};
use crate::error::ExprError;
use crate::vm::ops::{Op, Spelling};

/// The reductions, allowed only as the outermost call (see
/// [`Checker::check_root`]); `product` is `prod` by its longer name.
pub(crate) const REDUCTIONS: [&str; 5] = ["sum", "prod", "product", "min", "max"];

/// The search of byte strings (`compile/strings.rs`), the one function
/// that is no instruction of the virtual machine.
pub(crate) const CONTAINS: &str = "contains";

/// Whether `name` is a function of the language.
pub(crate) fn is_function(name: &str) -> bool {
    name == CONTAINS || REDUCTIONS.contains(&name) || Op::function_names().any(|f| f == name)
}

/// The least type numexpr computes a function in (its "minimum kind"):
/// the arguments' common type is raised to it.
#[derive(Clone, Copy)]
enum MinKind {
    /// `float`: `bool` is computed as `f32`, integers as `f64` (numexpr
    /// casts integers to `double` whatever the minimum kind).
    Float,
    /// `double`: `bool`, integers and `f32` are computed as `f64`.
    Double,
}

/// The type a function of minimum kind `min` computes on arguments of
/// common type `t`.
fn raised(t: DType, min: MinKind) -> DType {
    match (t, min) {
        (DType::Bool, MinKind::Float) => DType::F32,
        (DType::I32 | DType::I64, _) => DType::F64,
        (DType::Bool | DType::F32, MinKind::Double) => DType::F64,
        (t, _) => t,
    }
}

impl Checker<'_> {
    /// What can be checked of a call before its arguments: that `func`
    /// is an elementwise function (reductions are checked by
    /// [`Checker::check_root`]) taking `nargs` arguments and no `axis=`.
    pub(super) fn call_head<A>(
        &self,
        func: &str,
        nargs: usize,
        axis: Option<A>,
        col: usize,
    ) -> Result<Op, ExprError> {
        if REDUCTIONS.contains(&func) {
            return Err(self.type_err(
                col,
                format!("`{func}` is only allowed as the outermost call of the expression"),
            ));
        }
        if axis.is_some() {
            return Err(self.type_err(col, format!("`{func}` takes no `axis=` argument")));
        }
        let Some(op) = Op::math(func).or_else(|| Op::call(func)) else {
            let known: Vec<&str> = Op::function_names()
                .chain([CONTAINS])
                .chain(REDUCTIONS)
                .collect();
            return Err(self.type_err(
                col,
                format!("unknown function `{func}` (known: {})", known.join(", ")),
            ));
        };
        let arity = op.arity();
        if nargs != arity {
            return Err(self.type_err(
                col,
                format!("`{func}` takes {arity} argument(s), got {nargs}"),
            ));
        }
        Ok(op)
    }

    /// `func(xs)` on its checked arguments, after [`Checker::call_head`]
    /// accepted the call; `constant` says that every argument is a
    /// constant (typed as numpy types Python's numbers), which numexpr
    /// hands to numpy, so numpy's typing applies.
    pub(super) fn call(
        &self,
        func: &str,
        mut xs: Vec<TNode>,
        constant: bool,
        col: usize,
    ) -> Result<TNode, ExprError> {
        let op = self.call_head(func, xs.len(), None::<()>, col)?;
        let t = xs
            .iter()
            .map(|x| x.dt)
            .reduce(DType::common)
            .expect("every function takes an argument");
        match op {
            Op::Where => return self.where_call(xs, col),
            Op::Complex => {
                let y = xs.pop().expect("two arguments");
                let x = xs.pop().expect("two arguments");
                if t == DType::C128 {
                    return Err(self.type_err(
                        col,
                        format!("`complex` needs real operands, got {} and {}", x.dt, y.dt),
                    ));
                }
                let (x, y) = (self.cast(x, DType::F64), self.cast(y, DType::F64));
                return Ok(self.make(op, vec![x, y], DType::C128));
            }
            // numexpr copies; a value needs no copy here.
            Op::Copy => return Ok(xs.pop().expect("one argument")),
            _ => {}
        }
        if constant {
            if let Some(node) = self.numpy_call(op, &mut xs, t) {
                return Ok(node);
            }
        }
        let ct = match op {
            _ if matches!(op.spelling(), Spelling::Math(_)) => raised(t, MinKind::Float),
            Op::Abs => raised(t, MinKind::Float),
            Op::Conj if t.is_int() => {
                // numexpr computes integers as `double`, where `conj` is
                // the identity.
                return Ok(self.cast(xs.pop().expect("one argument"), DType::F64));
            }
            Op::Conj => DType::C128,
            Op::Real | Op::Imag if t != DType::C128 => {
                // numexpr's `real_dc`/`imag_dc` of the number as complex.
                let x = xs.pop().expect("one argument");
                if op == Op::Real {
                    return Ok(self.cast(x, DType::F64));
                }
                let z = self.cast(x, DType::C128);
                return Ok(self.make(op, vec![z], DType::F64));
            }
            Op::Real | Op::Imag => DType::C128,
            Op::Round if t.is_int() => return Ok(xs.pop().expect("one argument")),
            Op::Sign if t.is_int() => t,
            Op::OnesLike => t,
            // numexpr has `f32` kernels of its own for these.
            Op::IsNan | Op::IsFinite | Op::IsInf | Op::SignBit
                if matches!(t, DType::F32 | DType::C128) =>
            {
                t
            }
            _ => raised(t, MinKind::Double),
        };
        if !op.types().accepts(ct) {
            let what = if xs.len() == 1 {
                xs[0].dt.to_string()
            } else {
                let types: Vec<String> = xs.iter().map(|x| x.dt.to_string()).collect();
                types.join(" and ")
            };
            return Err(self.type_err(col, format!("`{func}` is not defined for {what}")));
        }
        let out = match op {
            Op::IsNan | Op::IsFinite | Op::IsInf | Op::SignBit => DType::Bool,
            Op::Real | Op::Imag => DType::F64,
            _ => ct,
        };
        let args = xs.into_iter().map(|x| self.cast(x, ct)).collect();
        if op == Op::Abs && ct == DType::C128 {
            // numexpr's `abs` of a complex number is complex (with a zero
            // imaginary part).
            let magnitude = self.make(op, args, DType::F64);
            return Ok(self.cast(magnitude, DType::C128));
        }
        Ok(self.make(op, args, out))
    }

    /// `where(c, a, b)`: `c` must be bool; `a` and `b` meet in their
    /// common type.
    fn where_call(&self, mut xs: Vec<TNode>, col: usize) -> Result<TNode, ExprError> {
        let b = xs.pop().expect("three arguments");
        let a = xs.pop().expect("three arguments");
        let c = xs.pop().expect("three arguments");
        if c.dt != DType::Bool {
            return Err(self.type_err(
                col,
                format!(
                    "`where` needs a bool condition, got {} (compare it: `x != 0`)",
                    c.dt
                ),
            ));
        }
        let t = a.dt.common(b.dt);
        let (a, b) = (self.cast(a, t), self.cast(b, t));
        Ok(self.make(Op::Where, vec![c, a, b], t))
    }

    /// numpy's typing of `op` on constant arguments of common type `t`,
    /// where it is not numexpr's: numpy keeps integers (and `bool`) in
    /// `abs`, `conj`, the roundings, `sign`, `fmod`, `maximum` and
    /// `minimum`, keeps `f32` in the roundings and `sign`, and `abs` of a
    /// complex number is `f64`. `None` where numexpr's rule gives numpy's
    /// type.
    fn numpy_call(&self, op: Op, xs: &mut Vec<TNode>, t: DType) -> Option<TNode> {
        let integral = t == DType::Bool || t.is_int();
        let one = |xs: &mut Vec<TNode>| xs.pop().expect("one argument");
        Some(match op {
            Op::Abs if t == DType::Bool => one(xs),
            Op::Abs if t == DType::C128 => self.make(op, vec![one(xs)], DType::F64),
            Op::Abs => self.make(op, vec![one(xs)], t),
            Op::Conj if t != DType::C128 => one(xs),
            Op::Round | Op::Floor | Op::Ceil | Op::Trunc if integral => one(xs),
            Op::Round | Op::Floor | Op::Ceil | Op::Trunc | Op::Sign if t == DType::F32 => {
                self.make(op, vec![one(xs)], t)
            }
            Op::Fmod | Op::Maximum | Op::Minimum if t.is_int() => {
                let args = xs.drain(..).map(|x| self.cast(x, t)).collect();
                self.make(op, args, t)
            }
            Op::Real if t != DType::C128 => one(xs),
            Op::Imag if t != DType::C128 => {
                let zero = match t {
                    DType::Bool => Scalar::Bool(false),
                    t => fold(Op::Cast, t, &[(Scalar::Bool(false), DType::Bool)]),
                };
                TNode {
                    kind: TKind::Const(zero),
                    dt: t,
                }
            }
            _ => return None,
        })
    }
}
