//! Tokens to syntax tree: a precedence-climbing parser with Python's
//! operator precedence (numexpr parses with Python, so the same text means
//! the same thing here).

use crate::compile::ast::{Ast, AstKind, BinOp, UnOp};
use crate::compile::lexer::{describe, lex, match_op, Tok};
use crate::dtype::Scalar;
use crate::error::ExprError;

impl BinOp {
    /// Whether this is one of the six comparisons.
    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Lt | BinOp::Le | BinOp::Eq | BinOp::Ne | BinOp::Ge | BinOp::Gt
        )
    }

    /// Binding power: Python's precedence table, loosest first.
    fn power(self) -> u8 {
        match self {
            BinOp::Lt | BinOp::Le | BinOp::Eq | BinOp::Ne | BinOp::Ge | BinOp::Gt => 1,
            BinOp::Or => 2,
            BinOp::And => 3,
            BinOp::Shl | BinOp::Shr => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 6,
            BinOp::Pow => 8,
        }
    }
}

/// Parses expression text into a syntax tree.
pub(crate) fn parse(text: &str) -> Result<Ast, ExprError> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        text,
        depth: 0,
    };
    let ast = p.expr(0)?;
    match p.peek() {
        Tok::End => Ok(ast),
        tok => Err(p.err_here(format!("unexpected {}", describe(tok)))),
    }
}

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;

/// The parser's position in the tokens.
struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    text: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn col(&self) -> usize {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn err_here(&self, msg: impl Into<String>) -> ExprError {
        ExprError::Syntax {
            expr: self.text.to_string(),
            col: self.col(),
            msg: msg.into(),
        }
    }

    fn expect(&mut self, op: &str) -> Result<(), ExprError> {
        if *self.peek() == Tok::Op(match_op(op)) {
            self.bump();
            Ok(())
        } else {
            Err(self.err_here(format!("expected `{op}`, found {}", describe(self.peek()))))
        }
    }

    fn binop(&self) -> Option<BinOp> {
        let Tok::Op(o) = self.peek() else { return None };
        Some(match *o {
            "|" => BinOp::Or,
            "&" => BinOp::And,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            ">=" => BinOp::Ge,
            ">" => BinOp::Gt,
            "<<" => BinOp::Shl,
            ">>" => BinOp::Shr,
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "%" => BinOp::Mod,
            "**" => BinOp::Pow,
            _ => return None,
        })
    }

    /// Precedence climbing over binary operators of power > `min`.
    fn expr(&mut self, min: u8) -> Result<Ast, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here("expression nested too deeply"));
        }
        let mut lhs = self.unary()?;
        while let Some(op) = self.binop() {
            let power = op.power();
            if power <= min {
                break;
            }
            self.bump();
            let rhs = if op == BinOp::Pow {
                // Right-associative, and its right side may carry a sign: a**-b.
                self.unary_pow_rhs()?
            } else {
                self.expr(power)?
            };
            if op.is_comparison() {
                if let Some(next) = self.binop().filter(|o| o.is_comparison()) {
                    return Err(self.err_here(format!(
                        "chained comparison (`{}` after `{}`) is not supported; use `(a < b) & (b < c)`",
                        next.symbol(),
                        op.symbol()
                    )));
                }
            }
            lhs = Ast {
                col: lhs.col,
                kind: AstKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary_pow_rhs(&mut self) -> Result<Ast, ExprError> {
        // `a ** b ** c` is `a ** (b ** c)`; `a ** -b` is `a ** (-b)`.
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here("expression nested too deeply"));
        }
        let r = self.expr(BinOp::Pow.power() - 1);
        self.depth -= 1;
        r
    }

    /// Unary operators bind looser than `**` (Python: `-a**2` is `-(a**2)`).
    fn unary(&mut self) -> Result<Ast, ExprError> {
        let col = self.col();
        let op = match self.peek() {
            Tok::Op("-") => Some(UnOp::Neg),
            Tok::Op("+") => Some(UnOp::Plus),
            Tok::Op("~") => Some(UnOp::Invert),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.err_here("expression nested too deeply"));
            }
            let arg = self.unary()?;
            self.depth -= 1;
            return Ok(Ast {
                col,
                kind: AstKind::Unary(op, Box::new(arg)),
            });
        }
        let base = self.atom()?;
        if *self.peek() == Tok::Op("**") {
            self.bump();
            let rhs = self.unary_pow_rhs()?;
            return Ok(Ast {
                col,
                kind: AstKind::Binary(BinOp::Pow, Box::new(base), Box::new(rhs)),
            });
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Ast, ExprError> {
        let (tok, col) = self.bump();
        match tok {
            Tok::Num(v) => Ok(Ast {
                col,
                kind: AstKind::Lit(v),
            }),
            Tok::Op("(") => {
                let inner = self.expr(0)?;
                self.expect(")")?;
                Ok(inner)
            }
            Tok::Ident(name) => match name.as_str() {
                "True" => Ok(Ast {
                    col,
                    kind: AstKind::Lit(Scalar::Bool(true)),
                }),
                "False" => Ok(Ast {
                    col,
                    kind: AstKind::Lit(Scalar::Bool(false)),
                }),
                _ => {
                    if *self.peek() == Tok::Op("(") {
                        self.bump();
                        self.call(name, col)
                    } else if *self.peek() == Tok::Op("[") {
                        self.bump();
                        let offsets = self.offsets()?;
                        Ok(Ast {
                            col,
                            kind: AstKind::Name(name, Some(offsets)),
                        })
                    } else {
                        Ok(Ast {
                            col,
                            kind: AstKind::Name(name, None),
                        })
                    }
                }
            },
            other => {
                self.pos = self.pos.saturating_sub(usize::from(other != Tok::End));
                Err(ExprError::Syntax {
                    expr: self.text.to_string(),
                    col,
                    msg: format!("expected a value, found {}", describe(&other)),
                })
            }
        }
    }

    /// `[-1, +0, 2]` after the `[`: signed integer literals.
    fn offsets(&mut self) -> Result<Vec<i64>, ExprError> {
        let mut offs = Vec::new();
        loop {
            let sign = match self.peek() {
                Tok::Op("-") => {
                    self.bump();
                    -1
                }
                Tok::Op("+") => {
                    self.bump();
                    1
                }
                _ => 1,
            };
            match self.peek().clone() {
                Tok::Num(v) => match v.as_i64().filter(|_| v.dtype() != crate::DType::Bool) {
                    Some(n) if n.unsigned_abs() <= 1 << 20 => {
                        self.bump();
                        offs.push(sign * n);
                    }
                    _ => {
                        return Err(self.err_here(format!(
                            "an offset must be a small integer, found {}",
                            describe(&Tok::Num(v))
                        )))
                    }
                },
                other => {
                    return Err(self.err_here(format!(
                        "expected an integer offset, found {}",
                        describe(&other)
                    )))
                }
            }
            match self.peek() {
                Tok::Op(",") => {
                    self.bump();
                }
                Tok::Op("]") => {
                    self.bump();
                    return Ok(offs);
                }
                other => {
                    return Err(self.err_here(format!(
                        "expected `,` or `]` in offsets, found {}",
                        describe(other)
                    )))
                }
            }
        }
    }

    /// Arguments after `name(`, with an optional `axis=N` keyword last.
    fn call(&mut self, func: String, col: usize) -> Result<Ast, ExprError> {
        let mut args = Vec::new();
        let mut axis = None;
        if *self.peek() == Tok::Op(")") {
            self.bump();
            return Ok(Ast {
                col,
                kind: AstKind::Call { func, args, axis },
            });
        }
        loop {
            let is_kw = matches!(self.peek(), Tok::Ident(_))
                && self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::Op("="));
            if is_kw {
                let (Tok::Ident(kw), kwcol) = self.bump() else {
                    unreachable!("checked above")
                };
                self.bump();
                if kw != "axis" {
                    return Err(ExprError::Syntax {
                        expr: self.text.to_string(),
                        col: kwcol,
                        msg: format!("unknown keyword argument `{kw}` (only `axis=` is accepted)"),
                    });
                }
                let neg = if *self.peek() == Tok::Op("-") {
                    self.bump();
                    true
                } else {
                    false
                };
                match self.peek().clone() {
                    Tok::Num(v) if v.dtype().is_int() => {
                        self.bump();
                        let n = v.as_i64().unwrap_or(0);
                        axis = Some(if neg { -n } else { n });
                    }
                    other => {
                        return Err(self.err_here(format!(
                            "`axis=` needs an integer, found {}",
                            describe(&other)
                        )))
                    }
                }
            } else {
                if axis.is_some() {
                    return Err(self.err_here("positional argument after `axis=`"));
                }
                args.push(self.expr(0)?);
            }
            match self.peek() {
                Tok::Op(",") => {
                    self.bump();
                }
                Tok::Op(")") => {
                    self.bump();
                    return Ok(Ast {
                        col,
                        kind: AstKind::Call { func, args, axis },
                    });
                }
                other => {
                    return Err(self.err_here(format!(
                        "expected `,` or `)` in the call of `{func}`, found {}",
                        describe(other)
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(a: &Ast) -> String {
        match &a.kind {
            AstKind::Lit(v) => v.to_string(),
            AstKind::Name(n, None) => n.clone(),
            AstKind::Name(n, Some(o)) => format!("{n}{o:?}"),
            AstKind::Unary(op, x) => format!("({op:?} {})", show(x)),
            AstKind::Binary(op, l, r) => format!("({} {} {})", show(l), op.symbol(), show(r)),
            AstKind::Call { func, args, axis } => format!(
                "{func}({}{})",
                args.iter().map(show).collect::<Vec<_>>().join(", "),
                axis.map(|a| format!(", axis={a}")).unwrap_or_default()
            ),
        }
    }

    #[test]
    fn precedence_follows_python() {
        let p = |s| show(&parse(s).unwrap());
        assert_eq!(p("a + b * c"), "(a + (b * c))");
        assert_eq!(p("-a**2"), "(Neg (a ** 2))");
        assert_eq!(p("a**b**c"), "(a ** (b ** c))");
        assert_eq!(p("a**-b"), "(a ** (Neg b))");
        assert_eq!(p("a < b & c"), "(a < (b & c))");
        assert_eq!(p("a | b & c"), "(a | (b & c))");
        assert_eq!(p("a << 1 + 2"), "(a << (1 + 2))");
        assert_eq!(p("a - b - c"), "((a - b) - c)");
        assert_eq!(p("u[-1,+0] + u[0,1]"), "(u[-1, 0] + u[0, 1])");
        assert_eq!(p("sum(a*b, axis=1)"), "sum((a * b), axis=1)");
        assert_eq!(p("2.5e-3 + 1j + 7"), "((0.0025 + (0+1j)) + 7)");
    }

    #[test]
    fn syntax_errors_point_at_the_column() {
        let e = parse("a + * b").unwrap_err();
        assert!(matches!(e, ExprError::Syntax { col: 5, .. }), "{e}");
        let e = parse("sin(a").unwrap_err();
        assert!(matches!(e, ExprError::Syntax { col: 6, .. }), "{e}");
        let e = parse("a $ b").unwrap_err();
        assert!(e.to_string().contains("unexpected character `$`"), "{e}");
        let e = parse("a < b < c").unwrap_err();
        assert!(e.to_string().contains("chained comparison"), "{e}");
        let e = parse("99999999999999999999").unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        assert!(parse(&"(".repeat(5000)).is_err());
        assert!(parse(&"-".repeat(5000)).is_err());
    }
}
