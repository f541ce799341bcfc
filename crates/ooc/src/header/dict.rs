//! The header dict: a tiny parser for the Python literal numpy writes, such as
//! `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.

use std::path::Path;

use super::{bad, Header, MAX_DIMS};
use crate::dtype::DType;
use crate::error::{OocError, Result};

/// Longest excerpt of the header quoted in an error message.
const EXCERPT: usize = 40;

/// `text` as an error message quotes it: escaped (so that the message stays one line) and
/// cut to [`EXCERPT`] characters.
fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(EXCERPT)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if text.chars().nth(EXCERPT).is_some() {
        out.push_str("...");
    }
    out
}

/// A value of the header dict.
#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// Anything else (structured dtypes are lists), kept as text for the error message.
    Other(String),
}

/// A tiny parser for the Python literal numpy writes. It accepts any key order, either quote
/// style, extra whitespace and a trailing comma, as `ast.literal_eval` would.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Parser<'a> {
    fn err(&self, what: &str) -> OocError {
        bad(
            self.path,
            &format!("{what} at column {} of the header dict", self.pos + 1),
        )
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn string(&mut self) -> Result<String> {
        self.ws();
        let q = match self.s.get(self.pos) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(self.err("expected a quoted string")),
        };
        let start = self.pos + 1;
        let end = self.s[start..]
            .iter()
            .position(|&c| c == q)
            .ok_or_else(|| self.err("unterminated string"))?;
        self.pos = start + end + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + end]).into_owned())
    }

    fn int(&mut self) -> Result<usize> {
        self.ws();
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        let digits = std::str::from_utf8(&self.s[start..self.pos]).unwrap();
        let v = digits
            .parse::<usize>()
            .map_err(|_| self.err("expected a non-negative integer in the shape"))?;
        // Python 2 wrote long integers with an L suffix.
        if self.s.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        Ok(v)
    }

    fn value(&mut self) -> Result<Value> {
        self.ws();
        match self.s.get(self.pos) {
            Some(b'\'' | b'"') => Ok(Value::Str(self.string()?)),
            Some(b'(') => {
                self.pos += 1;
                let mut dims = Vec::new();
                loop {
                    if self.eat(b')') {
                        break;
                    }
                    if dims.len() == MAX_DIMS {
                        return Err(self.err(&format!(
                            "shape has more than {MAX_DIMS} dimensions (numpy reads at most \
                             {MAX_DIMS})"
                        )));
                    }
                    dims.push(self.int()?);
                    if !self.eat(b',') {
                        if self.eat(b')') {
                            break;
                        }
                        return Err(self.err("expected ',' or ')' in the shape"));
                    }
                }
                Ok(Value::Tuple(dims))
            }
            Some(b'[' | b'{') => {
                // A structured dtype: skip to the matching bracket.
                let start = self.pos;
                let mut depth = 0i32;
                while self.pos < self.s.len() {
                    match self.s[self.pos] {
                        b'[' | b'{' | b'(' => depth += 1,
                        b']' | b'}' | b')' => depth -= 1,
                        _ => {}
                    }
                    self.pos += 1;
                    if depth == 0 {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                Ok(Value::Other(text))
            }
            _ => {
                for (word, v) in [("True", true), ("False", false)] {
                    if self.s[self.pos..].starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok(Value::Bool(v));
                    }
                }
                Err(self.err("expected a string, True, False or a tuple"))
            }
        }
    }
}

/// Parses the header dict (ASCII, or UTF-8 inside strings) into a [`Header`] (offset and
/// version are filled by the caller).
pub(super) fn parse_dict(path: &Path, text: &[u8]) -> Result<Header> {
    let mut p = Parser {
        s: text,
        pos: 0,
        path,
    };
    if !p.eat(b'{') {
        return Err(p.err("expected '{'"));
    }
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        if !p.eat(b':') {
            return Err(p.err("expected ':'"));
        }
        let value = p.value()?;
        match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr = Some(s),
            ("descr", Value::Other(s)) => {
                return Err(OocError::UnsupportedDtype {
                    path: path.into(),
                    descr: excerpt(&s),
                })
            }
            ("fortran_order", Value::Bool(b)) => fortran = Some(b),
            ("shape", Value::Tuple(t)) => shape = Some(t),
            (k @ ("descr" | "fortran_order" | "shape"), v) => {
                let v = excerpt(&format!("{v:?}"));
                return Err(bad(path, &format!("key '{k}' has an invalid value {v}")));
            }
            (k, _) => return Err(bad(path, &format!("unexpected key '{}'", excerpt(k)))),
        }
        if !p.eat(b',') {
            if p.eat(b'}') {
                break;
            }
            return Err(p.err("expected ',' or '}'"));
        }
    }
    let descr = descr.ok_or_else(|| bad(path, "missing key 'descr'"))?;
    let fortran_order = fortran.ok_or_else(|| bad(path, "missing key 'fortran_order'"))?;
    let shape = shape.ok_or_else(|| bad(path, "missing key 'shape'"))?;
    let (dtype, byte_order) =
        DType::from_descr(&descr).ok_or_else(|| OocError::UnsupportedDtype {
            path: path.into(),
            descr: excerpt(&descr),
        })?;
    let h = Header {
        dtype,
        byte_order,
        fortran_order,
        shape,
        data_offset: 0,
        version: (1, 0),
    };
    if h.checked_data_bytes().is_none() {
        return Err(bad(path, &format!("shape {:?} overflows", h.shape)));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_literal_eval_accepts() {
        let h = parse_dict(
            Path::new("x.npy"),
            b"{ 'shape' : ( 5 , ) ,\"descr\":'|u1','fortran_order':False }",
        )
        .unwrap();
        assert_eq!((h.dtype, h.shape), (DType::U8, vec![5]));
        let e = parse_dict(Path::new("x.npy"), b"{'descr': '<f8'")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.npy: bad .npy header: expected ',' or '}'"),
            "{e}"
        );
    }

    #[test]
    fn more_than_64_dimensions_is_corrupt() {
        let dict = |n: usize| {
            let dims = vec!["1"; n].join(",");
            format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({dims},), }}")
        };
        let h = parse_dict(Path::new("x.npy"), dict(64).as_bytes()).unwrap();
        assert_eq!(h.shape.len(), 64);
        let e = parse_dict(Path::new("x.npy"), dict(65).as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 64 dimensions"), "{e}");
    }

    #[test]
    fn quoted_text_is_one_short_line() {
        let long = format!("{{'{}\n': 1}}", "k".repeat(1000));
        let e = parse_dict(Path::new("x.npy"), long.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.len() < 200 && !e.contains('\n'), "{e}");
    }
}
