//! Function calls: which functions exist (the opcode table's `Math` and
//! `Call` entries, and the reductions), their arities, and the typing rule
//! of each.

use crate::compile::check::Checker;
use crate::compile::typed::TNode;
use crate::dtype::DType;
use crate::error::ExprError;
use crate::vm::ops::Op;

/// The reductions, allowed only as the outermost call (see
/// [`Checker::check_root`]).
const REDUCTIONS: [&str; 2] = ["sum", "product"];

/// Whether `name` is a function of the language.
pub(crate) fn is_function(name: &str) -> bool {
    REDUCTIONS.contains(&name) || Op::function_names().any(|f| f == name)
}

impl Checker<'_> {
    /// What can be checked of a call before its arguments: that `func`
    /// is an elementwise function (reductions are checked by
    /// [`Checker::check_root`]) taking `nargs` arguments and no `axis=`.
    pub(super) fn call_head(
        &self,
        func: &str,
        nargs: usize,
        axis: Option<i64>,
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
            let known: Vec<&str> = Op::function_names().chain(REDUCTIONS).collect();
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
    /// accepted the call.
    pub(super) fn call(
        &self,
        func: &str,
        mut xs: Vec<TNode>,
        col: usize,
    ) -> Result<TNode, ExprError> {
        let math = Op::math(func);
        let op = self.call_head(func, xs.len(), None, col)?;
        let x = xs.remove(0);
        let dt = x.dt;
        if math.is_some() {
            let t = match dt {
                DType::Bool => {
                    return Err(self.type_err(col, format!("`{func}` is not defined for bool")))
                }
                DType::I32 | DType::I64 => DType::F64,
                d => d,
            };
            let x = self.cast(x, t);
            return Ok(self.make(op, vec![x], t));
        }
        match op {
            Op::Where => {
                if dt != DType::Bool {
                    return Err(self.type_err(
                        col,
                        format!("`where` needs a bool condition, got {dt} (compare it: `x != 0`)"),
                    ));
                }
                let (a, b) = (xs.remove(0), xs.remove(0));
                let t = a.dt.common(b.dt);
                let (a, b) = (self.cast(a, t), self.cast(b, t));
                Ok(self.make(op, vec![x, a, b], t))
            }
            Op::Abs => match dt {
                DType::Bool => Err(self.type_err(col, "`abs` is not defined for bool".into())),
                DType::C128 => Ok(self.make(op, vec![x], DType::F64)),
                d => Ok(self.make(op, vec![x], d)),
            },
            Op::Conj => match dt {
                DType::Bool => Err(self.type_err(col, "`conj` is not defined for bool".into())),
                d => Ok(self.make(op, vec![x], d)),
            },
            Op::Real | Op::Imag => {
                if dt != DType::C128 {
                    return Err(
                        self.type_err(col, format!("`{func}` needs a complex argument, got {dt}"))
                    );
                }
                Ok(self.make(op, vec![x], DType::F64))
            }
            Op::Atan2 => {
                let y = xs.remove(0);
                let t = match dt.common(y.dt) {
                    DType::Bool | DType::C128 => {
                        return Err(self.type_err(
                            col,
                            format!("`arctan2` needs real operands, got {dt} and {}", y.dt),
                        ))
                    }
                    DType::I32 | DType::I64 => DType::F64,
                    t => t,
                };
                let (x, y) = (self.cast(x, t), self.cast(y, t));
                Ok(self.make(op, vec![x, y], t))
            }
            Op::Complex => {
                let y = xs.remove(0);
                for d in [dt, y.dt] {
                    if matches!(d, DType::Bool | DType::C128) {
                        return Err(self.type_err(
                            col,
                            format!("`complex` needs real operands, got {dt} and {}", y.dt),
                        ));
                    }
                }
                let (x, y) = (self.cast(x, DType::F64), self.cast(y, DType::F64));
                Ok(self.make(op, vec![x, y], DType::C128))
            }
            op => unreachable!("{op:?} is a function in the opcode table but has no typing rule"),
        }
    }
}
