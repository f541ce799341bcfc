//! Text to tokens, each with its 1-based column.

use num_complex::Complex64;

use crate::compile::pyconst::PyConst;
use crate::error::ExprError;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A number literal, as Python reads it.
    Num(PyConst),
    /// A name (of an input, a function, `True`, `False`, a keyword).
    Ident(String),
    /// An operator or punctuation, spelled as in [`OPS`].
    Op(&'static str),
    /// The end of the text.
    End,
}

/// The lexer's position in the text.
struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    text: &'a str,
}

/// Operators and punctuation, longest first where one starts another.
const OPS: [&str; 26] = [
    "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "<", ">", "&", "|",
    "^", "~", "(", ")", "[", "]", ",", "=", ".",
];

impl<'a> Lexer<'a> {
    fn err(&self, col: usize, msg: impl Into<String>) -> ExprError {
        ExprError::Syntax {
            expr: self.text.to_string(),
            col,
            msg: msg.into(),
        }
    }

    /// All tokens with their 1-based columns.
    fn tokens(mut self) -> Result<Vec<(Tok, usize)>, ExprError> {
        let mut out = Vec::new();
        loop {
            while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
                self.pos += 1;
            }
            let col = self.pos + 1;
            let Some(&c) = self.chars.get(self.pos) else {
                out.push((Tok::End, col));
                return Ok(out);
            };
            if c.is_ascii_digit()
                || (c == '.'
                    && self
                        .chars
                        .get(self.pos + 1)
                        .is_some_and(|d| d.is_ascii_digit()))
            {
                out.push((self.number(col)?, col));
            } else if c.is_alphabetic() || c == '_' {
                let start = self.pos;
                while self.pos < self.chars.len()
                    && (self.chars[self.pos].is_alphanumeric() || self.chars[self.pos] == '_')
                {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                out.push((Tok::Ident(word), col));
            } else {
                let rest: String = self.chars[self.pos..(self.pos + 2).min(self.chars.len())]
                    .iter()
                    .collect();
                let Some(op) = OPS.iter().find(|op| rest.starts_with(*op)) else {
                    return Err(self.err(col, format!("unexpected character `{c}`")));
                };
                self.pos += op.chars().count();
                out.push((Tok::Op(op), col));
            }
        }
    }

    fn number(&mut self, col: usize) -> Result<Tok, ExprError> {
        let start = self.pos;
        let digits = |l: &mut Self| {
            while l.pos < l.chars.len() && l.chars[l.pos].is_ascii_digit() {
                l.pos += 1;
            }
        };
        digits(self);
        let mut is_float = false;
        if self.chars.get(self.pos) == Some(&'.') {
            is_float = true;
            self.pos += 1;
            digits(self);
        }
        if matches!(self.chars.get(self.pos), Some('e' | 'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.chars.get(self.pos), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.chars.get(self.pos).is_some_and(|d| d.is_ascii_digit()) {
                is_float = true;
                digits(self);
            } else {
                self.pos = save;
                return Err(self.err(save + 1, "exponent without digits"));
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        let imag = matches!(self.chars.get(self.pos), Some('j' | 'J'));
        if imag {
            self.pos += 1;
        }
        // A `.` may follow a float or imaginary literal, as an attribute
        // (`1.5.real`, `1j.imag`); after an integer it was taken as the
        // decimal point, so `1.real` is refused here, as Python does.
        let attribute = is_float || imag;
        if self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_' || (*c == '.' && !attribute))
        {
            return Err(self.err(self.pos + 1, format!("invalid number starting `{text}`")));
        }
        if imag {
            let v: f64 = text
                .parse()
                .map_err(|_| self.err(col, format!("invalid number `{text}`")))?;
            return Ok(Tok::Num(PyConst::Complex(Complex64::new(0.0, v))));
        }
        if is_float {
            let v: f64 = text
                .parse()
                .map_err(|_| self.err(col, format!("invalid number `{text}`")))?;
            return Ok(Tok::Num(PyConst::Float(v)));
        }
        // Python's integers are exact; numexpr types the value an integer
        // constant ends with (see `pyconst.rs`).
        match text.parse::<i128>() {
            Ok(v) => Ok(Tok::Num(PyConst::Int(v))),
            Err(_) => Err(self.err(col, format!("integer `{text}` does not fit in 128 bits"))),
        }
    }
}

/// Splits `text` into tokens, ending with [`Tok::End`].
pub(crate) fn lex(text: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    Lexer {
        chars: text.chars().collect(),
        pos: 0,
        text,
    }
    .tokens()
}

/// A token as error messages name it.
pub(crate) fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(v) => format!("number `{v}`"),
        Tok::Ident(s) => format!("name `{s}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "end of expression".to_string(),
    }
}

/// Maps an operator text to the `'static` spelling held by tokens.
pub(crate) fn match_op(op: &str) -> &'static str {
    OPS.iter().find(|o| **o == op).copied().unwrap_or("")
}
