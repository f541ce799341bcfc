//! Text to tokens, each with its 1-based column.

use num_complex::Complex64;

use crate::compile::pyconst::PyConst;
use crate::error::ExprError;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A number literal, as Python reads it.
    Num(PyConst),
    /// A string literal's bytes (`b'ab'`, or `'ab'` in ASCII).
    Bytes(Vec<u8>),
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
            } else if let Some(quote) = self.string_start() {
                out.push((Tok::Bytes(self.string(col, quote)?), col));
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

    /// Where a string literal's opening quote is, if one starts here: after
    /// a prefix of `b` (bytes) and `r` (raw) letters in either case and
    /// order, `'` or `"`.
    fn string_start(&self) -> Option<usize> {
        let mut at = self.pos;
        let mut seen = String::new();
        while let Some(&c) = self.chars.get(at) {
            match c.to_ascii_lowercase() {
                p @ ('b' | 'r') if !seen.contains(p) => seen.push(p),
                _ => break,
            }
            at += 1;
        }
        matches!(self.chars.get(at), Some('\'' | '"')).then_some(at)
    }

    /// A string literal as Python reads it, whose opening quote is at
    /// `quote`: its bytes, with Python's escapes unless it is raw. numexpr
    /// takes a `str` literal as its ASCII bytes, so in one a character or
    /// escape beyond ASCII is an error; a bytes literal may escape any byte
    /// (`b'\xff'`) but, as in Python, hold ASCII characters only.
    fn string(&mut self, col: usize, quote: usize) -> Result<Vec<u8>, ExprError> {
        let prefix: String = self.chars[self.pos..quote].iter().collect();
        let prefix = prefix.to_ascii_lowercase();
        let (raw, bytes) = (prefix.contains('r'), prefix.contains('b'));
        let q = self.chars[quote];
        self.pos = quote + 1;
        let mut out = Vec::new();
        loop {
            let at = self.pos + 1;
            let c = self.literal_char(col, at)?;
            self.pos += 1;
            if c == q {
                return Ok(out);
            }
            if c != '\\' {
                out.push(c as u8);
            } else if raw {
                // A raw string keeps the backslash and the character after
                // it, a quote included.
                let d = self.literal_char(col, at + 1)?;
                self.pos += 1;
                out.extend([b'\\', d as u8]);
            } else {
                self.escape(col, at, bytes, &mut out)?;
            }
        }
    }

    /// The character of a string literal at the lexer's position (column
    /// `at`): an error at the end of the text, a line break or beyond ASCII.
    fn literal_char(&self, col: usize, at: usize) -> Result<char, ExprError> {
        match self.chars.get(self.pos) {
            None | Some('\n') => Err(self.err(col, "string literal without its closing quote")),
            Some(c) if !c.is_ascii() => Err(self.err(
                at,
                "a character beyond ASCII in a string literal (numexpr compares ASCII bytes)",
            )),
            Some(&c) => Ok(c),
        }
    }

    /// The escape after the backslash at column `at` of the string literal
    /// starting at `col`, appended to `out` as Python reads it (an unknown
    /// escape keeps its backslash); `bytes` for a bytes literal, whose
    /// escapes may give any byte.
    fn escape(
        &mut self,
        col: usize,
        at: usize,
        bytes: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), ExprError> {
        let c = self.literal_char(col, at + 1)?;
        self.pos += 1;
        let simple = match c {
            '\\' => Some(b'\\'),
            '\'' => Some(b'\''),
            '"' => Some(b'"'),
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        // Up to `max` digits of `radix` (exactly `max` unless `fewer`).
        let digits = |l: &mut Self, radix: u32, max: usize, fewer: bool| {
            let start = l.pos;
            while l.pos - start < max && l.chars.get(l.pos).is_some_and(|d| d.is_digit(radix)) {
                l.pos += 1;
            }
            let text: String = l.chars[start..l.pos].iter().collect();
            let enough = if fewer {
                !text.is_empty()
            } else {
                text.len() == max
            };
            enough
                .then(|| u32::from_str_radix(&text, radix).ok())
                .flatten()
        };
        let (value, name) = match c {
            '0'..='7' => {
                self.pos -= 1;
                (digits(self, 8, 3, true), "an octal escape")
            }
            'x' => (
                digits(self, 16, 2, false),
                "`\\x` with two hexadecimal digits",
            ),
            'u' if !bytes => (
                digits(self, 16, 4, false),
                "`\\u` with four hexadecimal digits",
            ),
            'U' if !bytes => (
                digits(self, 16, 8, false),
                "`\\U` with eight hexadecimal digits",
            ),
            'N' if !bytes => (None, "a named character"),
            _ => {
                out.extend([b'\\', c as u8]);
                return Ok(());
            }
        };
        let limit = if bytes { 0xff } else { 0x7f };
        match value {
            Some(v) if v <= limit => {
                out.push(v as u8);
                Ok(())
            }
            Some(_) if !bytes => Err(self.err(
                at,
                format!("{name} beyond ASCII in a string literal (numexpr compares ASCII bytes)"),
            )),
            _ => Err(self.err(at, format!("invalid escape: expected {name}"))),
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
        Tok::Bytes(b) => format!("string `{}`", b.escape_ascii()),
        Tok::Ident(s) => format!("name `{s}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "end of expression".to_string(),
    }
}

/// Maps an operator text to the `'static` spelling held by tokens.
pub(crate) fn match_op(op: &str) -> &'static str {
    OPS.iter().find(|o| **o == op).copied().unwrap_or("")
}
