//! Tokens to syntax tree: a precedence-climbing parser with Python's
//! operator precedence (numexpr parses with Python, so the same text means
//! the same thing here). It keeps the constructs it has not finished on a
//! heap stack, not in recursive calls, so no nesting or chain length can
//! overflow the thread's stack.

use crate::compile::ast::{Ast, AstKind, Axis, BinOp, UnOp};
use crate::compile::functions::REDUCTIONS;
use crate::compile::lexer::{describe, lex, match_op, Tok};
use crate::compile::pyconst::PyConst;
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
            BinOp::Xor => 3,
            BinOp::And => 4,
            BinOp::Shl | BinOp::Shr => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod => 7,
            // Unary operators bind between these two (8).
            BinOp::Pow => 9,
        }
    }
}

/// Parses expression text into a syntax tree.
pub(crate) fn parse(text: &str) -> Result<Ast, ExprError> {
    let toks = lex(text)?;
    let mut p = Parser { toks, pos: 0, text };
    let ast = p.expression()?;
    match p.peek() {
        Tok::End => Ok(ast),
        tok => Err(p.err_here(format!("unexpected {}", describe(tok)))),
    }
}

/// The parser's position in the tokens.
struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    text: &'a str,
}

/// A construct the parser has started and not finished: what a recursive
/// descent parser would keep in its call stack, kept on the heap instead,
/// so that nesting is limited by memory rather than by the thread's stack.
enum Frame {
    /// Precedence climbing over binary operators of power > `min`: `lhs`
    /// is the left operand once parsed, `op` the operator whose right
    /// operand is being parsed.
    Expr {
        min: u8,
        lhs: Option<Ast>,
        op: Option<BinOp>,
    },
    /// A unary operator at `col` waiting for its operand.
    Prefix { op: UnOp, col: usize },
    /// `base **` waiting for its exponent; the power starts at `col`.
    Pow { base: Ast, col: usize },
    /// `(` at `col` waiting for the expression inside and `)`.
    Paren { col: usize },
    /// A call of `func` at `col` waiting for an argument.
    Call {
        func: String,
        col: usize,
        args: Vec<Ast>,
        axis: Option<Axis>,
    },
}

/// What the parser does next.
enum Next {
    /// Parse an operand: unary operators, then an atom.
    Operand,
    /// An atom starting at the column is parsed; a `**` may follow it.
    Atom(Ast, usize),
    /// A value is parsed: hand it to the innermost unfinished construct.
    Value(Ast),
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
            "^" => BinOp::Xor,
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
            "//" => BinOp::FloorDiv,
            "%" => BinOp::Mod,
            "**" => BinOp::Pow,
            _ => return None,
        })
    }

    /// Parses one expression with Python's precedence (precedence
    /// climbing, written as a loop over an explicit stack of [`Frame`]s):
    /// `-a**2` is `-(a**2)`, `a**b**c` is `a**(b**c)`, `a**-b` is
    /// `a**(-b)`, `a-b-c` is `(a-b)-c`, comparisons do not chain.
    fn expression(&mut self) -> Result<Ast, ExprError> {
        let mut frames = vec![Frame::Expr {
            min: 0,
            lhs: None,
            op: None,
        }];
        let mut next = Next::Operand;
        loop {
            next = match next {
                Next::Operand => self.operand(&mut frames)?,
                Next::Atom(base, col) => {
                    let base = self.attributes(base)?;
                    if *self.peek() == Tok::Op("**") {
                        self.bump();
                        frames.push(Frame::Pow { base, col });
                        frames.push(Frame::Expr {
                            min: BinOp::Pow.power() - 1,
                            lhs: None,
                            op: None,
                        });
                        Next::Operand
                    } else {
                        Next::Value(base)
                    }
                }
                Next::Value(v) => match frames.pop() {
                    None => return Ok(v),
                    Some(frame) => self.deliver(frame, v, &mut frames)?,
                },
            };
        }
    }

    /// The start of an operand: a unary operator (which binds looser than
    /// `**`: `-a**2` is `-(a**2)`) or an atom.
    fn operand(&mut self, frames: &mut Vec<Frame>) -> Result<Next, ExprError> {
        let col = self.col();
        let prefix = match self.peek() {
            Tok::Op("-") => Some(UnOp::Neg),
            Tok::Op("+") => Some(UnOp::Plus),
            Tok::Op("~") => Some(UnOp::Invert),
            _ => None,
        };
        if let Some(op) = prefix {
            self.bump();
            frames.push(Frame::Prefix { op, col });
            return Ok(Next::Operand);
        }
        let leaf = |kind| Ok(Next::Atom(Ast { col, kind }, col));
        let (tok, col) = self.bump();
        match tok {
            Tok::Num(v) => leaf(AstKind::Lit(v)),
            Tok::Bytes(b) => leaf(AstKind::Bytes(b)),
            Tok::Op("(") => {
                frames.push(Frame::Paren { col });
                frames.push(Frame::Expr {
                    min: 0,
                    lhs: None,
                    op: None,
                });
                Ok(Next::Operand)
            }
            Tok::Ident(name) => match name.as_str() {
                "True" => leaf(AstKind::Lit(PyConst::Bool(true))),
                "False" => leaf(AstKind::Lit(PyConst::Bool(false))),
                _ => {
                    if *self.peek() == Tok::Op("(") {
                        self.bump();
                        if *self.peek() == Tok::Op(")") {
                            self.bump();
                            let (args, axis) = (Vec::new(), None);
                            return leaf(AstKind::Call {
                                func: name,
                                args,
                                axis,
                            });
                        }
                        self.argument(name, col, Vec::new(), None, frames)
                    } else if *self.peek() == Tok::Op("[") {
                        self.bump();
                        let offsets = self.offsets()?;
                        leaf(AstKind::Name(name, Some(offsets)))
                    } else {
                        leaf(AstKind::Name(name, None))
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

    /// Hands the parsed value `v` to the unfinished construct `frame`.
    fn deliver(
        &mut self,
        frame: Frame,
        v: Ast,
        frames: &mut Vec<Frame>,
    ) -> Result<Next, ExprError> {
        Ok(match frame {
            Frame::Expr { min, lhs, op } => {
                let lhs = match (lhs, op) {
                    (Some(lhs), Some(op)) => {
                        if op.is_comparison() {
                            if let Some(next) = self.binop().filter(|o| o.is_comparison()) {
                                return Err(self.err_here(format!(
                                    "chained comparison (`{}` after `{}`) is not supported; use `(a < b) & (b < c)`",
                                    next.symbol(),
                                    op.symbol()
                                )));
                            }
                        }
                        Ast {
                            col: lhs.col,
                            kind: AstKind::Binary(op, Box::new(lhs), Box::new(v)),
                        }
                    }
                    _ => v,
                };
                match self.binop().filter(|op| op.power() > min) {
                    Some(op) => {
                        self.bump();
                        frames.push(Frame::Expr {
                            min,
                            lhs: Some(lhs),
                            op: Some(op),
                        });
                        // `**` is right-associative (and its exponent may
                        // carry a sign: a**-b); the others are left-
                        // associative, so their right operand stops at an
                        // operator of the same power.
                        let power = op.power();
                        frames.push(Frame::Expr {
                            min: if op == BinOp::Pow { power - 1 } else { power },
                            lhs: None,
                            op: None,
                        });
                        Next::Operand
                    }
                    None => Next::Value(lhs),
                }
            }
            Frame::Prefix { op, col } => Next::Value(Ast {
                col,
                kind: AstKind::Unary(op, Box::new(v)),
            }),
            Frame::Pow { base, col } => Next::Value(Ast {
                col,
                kind: AstKind::Binary(BinOp::Pow, Box::new(base), Box::new(v)),
            }),
            Frame::Paren { col } => {
                self.expect(")")?;
                Next::Atom(v, col)
            }
            Frame::Call {
                func,
                col,
                mut args,
                axis,
            } => {
                args.push(v);
                self.after_argument(func, col, args, axis, frames)?
            }
        })
    }

    /// The next argument of a call of `func` (after `(` or `,`): an
    /// `axis=N` keyword, or an expression, which must not follow `axis=`.
    fn argument(
        &mut self,
        func: String,
        col: usize,
        args: Vec<Ast>,
        mut axis: Option<Axis>,
        frames: &mut Vec<Frame>,
    ) -> Result<Next, ExprError> {
        let is_kw = matches!(self.peek(), Tok::Ident(_))
            && self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::Op("="));
        if !is_kw {
            if axis.is_some() {
                return Err(self.err_here("positional argument after `axis=`"));
            }
            frames.push(Frame::Call {
                func,
                col,
                args,
                axis,
            });
            frames.push(Frame::Expr {
                min: 0,
                lhs: None,
                op: None,
            });
            return Ok(Next::Operand);
        }
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
            Tok::Num(PyConst::Int(n)) => {
                let Ok(n) = i64::try_from(n) else {
                    return Err(self.err_here(format!("`axis={n}` is out of range")));
                };
                self.bump();
                axis = Some(Axis::Index(if neg { -n } else { n }));
            }
            Tok::Ident(none) if none == "None" && !neg => {
                self.bump();
                axis = Some(Axis::All);
            }
            other => {
                return Err(self.err_here(format!(
                    "`axis=` needs an integer or `None`, found {}",
                    describe(&other)
                )))
            }
        }
        self.after_argument(func, col, args, axis, frames)
    }

    /// After an argument of a call of `func`: `,` and the next one, or
    /// `)` and the call is parsed.
    fn after_argument(
        &mut self,
        func: String,
        col: usize,
        mut args: Vec<Ast>,
        mut axis: Option<Axis>,
        frames: &mut Vec<Frame>,
    ) -> Result<Next, ExprError> {
        match self.peek() {
            Tok::Op(",") => {
                self.bump();
                self.argument(func, col, args, axis, frames)
            }
            Tok::Op(")") => {
                self.bump();
                // numexpr's reductions take the axis as a second argument too.
                if REDUCTIONS.contains(&func.as_str()) && args.len() == 2 && axis.is_none() {
                    if let Some(a) = positional_axis(&args[1]) {
                        axis = Some(a);
                        args.pop();
                    }
                }
                Ok(Next::Atom(
                    Ast {
                        col,
                        kind: AstKind::Call { func, args, axis },
                    },
                    col,
                ))
            }
            other => Err(self.err_here(format!(
                "expected `,` or `)` in the call of `{func}`, found {}",
                describe(other)
            ))),
        }
    }

    /// `atom.real` and `atom.imag` (any number of them): Python's
    /// attributes, which bind tighter than `**` and the unary operators,
    /// as calls of `real` and `imag`.
    fn attributes(&mut self, mut atom: Ast) -> Result<Ast, ExprError> {
        while *self.peek() == Tok::Op(".") {
            self.bump();
            let func = match self.peek() {
                Tok::Ident(name) if name == "real" || name == "imag" => name.clone(),
                other => {
                    return Err(self.err_here(format!(
                        "expected `real` or `imag` after `.`, found {}",
                        describe(other)
                    )))
                }
            };
            self.bump();
            atom = Ast {
                col: atom.col,
                kind: AstKind::Call {
                    func,
                    args: vec![atom],
                    axis: None,
                },
            };
        }
        Ok(atom)
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
                Tok::Num(v) => match v {
                    PyConst::Int(n) if n.unsigned_abs() <= 1 << 20 => {
                        self.bump();
                        offs.push(sign * n as i64);
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
}

/// The axis a reduction's second argument names: an integer literal,
/// negated or not, or `None`.
fn positional_axis(arg: &Ast) -> Option<Axis> {
    let int = |a: &Ast| match a.kind {
        AstKind::Lit(PyConst::Int(n)) => i64::try_from(n).ok(),
        _ => None,
    };
    match &arg.kind {
        AstKind::Name(n, None) if n == "None" => Some(Axis::All),
        AstKind::Unary(UnOp::Neg, x) => int(x).map(|n| Axis::Index(-n)),
        _ => int(arg).map(Axis::Index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(a: &Ast) -> String {
        match &a.kind {
            AstKind::Lit(v) => v.to_string(),
            AstKind::Bytes(b) => format!("b'{}'", b.escape_ascii()),
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
        assert_eq!(p("sum(a, -1)"), "sum(a, axis=-1)");
        assert_eq!(p("max(a, None)"), "max(a, axis=None)");
        assert_eq!(p("min(a, axis=None)"), "min(a, axis=None)");
        assert_eq!(p("sin(a, None)"), "sin(a, None)");
        assert_eq!(p("a | b ^ c & d"), "(a | (b ^ (c & d)))");
        assert_eq!(p("a // b * c"), "((a // b) * c)");
        assert_eq!(p("-a.real**2"), "(Neg (real(a) ** 2))");
        assert_eq!(p("(a+b).imag.real"), "real(imag((a + b)))");
        assert_eq!(p("1.5.real + 1j.imag"), "(real(1.5) + imag((0+1j)))");
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
        let e = parse("999999999999999999999999999999999999999").unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        let e = parse("a.conj").unwrap_err();
        assert!(matches!(e, ExprError::Syntax { col: 3, .. }), "{e}");
        let e = parse("1.real").unwrap_err();
        assert!(e.to_string().contains("invalid number"), "{e}");
        assert!(parse(&"(".repeat(5000)).is_err());
        assert!(parse(&"-".repeat(5000)).is_err());
    }
}
