//! `execute` on an engine: statements over the engine's namespace of named
//! values. A statement is `name = right side` or a bare right side (whose
//! value is the result), separated by newlines or `;`. A right side is a
//! call of a registered function (`getpid()`, `sum(a)`, `diff2d('D=2')`;
//! its arguments are names from the namespace or literals), a name, or an
//! expression of the `expr` language over the namespace's numbers and
//! arrays (`a**2 + b`, `sum(a*b)`, `where(a > 0, a, 0)`).

use std::collections::HashMap;

use expr::{Arg, Array};
use ndarray::{ArrayD, IxDyn};

use crate::functions::{self, EngineContext};
use crate::value::{NdArray, Value};

/// An engine's named values.
pub type Namespace = HashMap<String, Value>;

/// Runs `code` on `ns`: the value of the last bare expression, or `None`.
pub fn execute(code: &str, ns: &mut Namespace, cx: &EngineContext) -> Result<Value, String> {
    let mut last = Value::None;
    let code: Vec<&str> = code.lines().map(strip_comment).collect();
    let code = code.join("\n");
    for stmt in split_top(&code, &['\n', ';']) {
        let stmt = stmt.trim();
        if stmt.is_empty() || stmt.starts_with('#') {
            continue;
        }
        match assignment(stmt) {
            Some((name, rhs)) => {
                let v = evaluate(rhs, ns, cx).map_err(|e| format!("`{stmt}`: {e}"))?;
                ns.insert(name.to_string(), v);
                last = Value::None;
            }
            None => last = evaluate(stmt, ns, cx).map_err(|e| format!("`{stmt}`: {e}"))?,
        }
    }
    Ok(last)
}

/// A line without its `#` comment (a `#` inside quotes is text).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, ch) in line.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '#') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// `name = rhs`, if the statement is an assignment (a lone `=`, not part of
/// `==`, `<=`, `>=` or `!=`, before any parenthesis or quote).
fn assignment(stmt: &str) -> Option<(&str, &str)> {
    let b = stmt.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'(' | b'\'' | b'"' | b'[' => return None,
            b'=' => {
                let prev = if i > 0 { b[i - 1] } else { b' ' };
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                if next == b'=' || matches!(prev, b'<' | b'>' | b'!' | b'=') {
                    return None;
                }
                let name = stmt[..i].trim();
                return is_name(name).then(|| (name, stmt[i + 1..].trim()));
            }
            _ => {}
        }
    }
    None
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Splits at `seps` outside parentheses, brackets and quotes.
fn split_top<'a>(s: &'a str, seps: &[char]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, ch) in s.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, c) if depth == 0 && seps.contains(&c) => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// `f(args)` when the whole text is one call of a registered function.
fn call(text: &str) -> Option<(functions::Function, &str)> {
    let open = text.find('(')?;
    let name = text[..open].trim();
    let f = functions::lookup(name)?;
    let inner = text[open + 1..].strip_suffix(')')?;
    // The closing parenthesis must match the opening one.
    let mut depth = 0i32;
    for ch in inner.chars() {
        depth += match ch {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return None;
        }
    }
    Some((f, inner))
}

fn evaluate(rhs: &str, ns: &Namespace, cx: &EngineContext) -> Result<Value, String> {
    if is_name(rhs) {
        if let Some(v) = ns.get(rhs) {
            return Ok(v.clone());
        }
    }
    if let Some((f, inner)) = call(rhs) {
        let args: Option<Vec<Value>> = split_top(inner, &[','])
            .into_iter()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                if is_name(a) {
                    ns.get(a).cloned().or_else(|| literal(a))
                } else {
                    literal(a)
                }
            })
            .collect();
        // Arguments that are expressions go to the expression language
        // below (`sum(a*b)`).
        if let Some(args) = args {
            return f(&args, cx);
        }
    }
    expression(rhs, ns)
}

/// A literal argument: a number, a quoted string, a list, a bool.
fn literal(text: &str) -> Option<Value> {
    match Value::parse(text) {
        Value::Str(s) if !text.starts_with(['\'', '"']) => {
            let _ = s;
            None
        }
        v => Some(v),
    }
}

fn expression(text: &str, ns: &Namespace) -> Result<Value, String> {
    let names = expr::variables(text).map_err(|e| e.to_string())?;
    let mut owned: Vec<(String, Input)> = Vec::with_capacity(names.len());
    for (name, _) in &names {
        let v = ns
            .get(name)
            .ok_or_else(|| format!("name `{name}` is not defined"))?;
        owned.push((name.clone(), Input::of(name, v)?));
    }
    let args: Vec<(&str, Arg<'_>)> = owned.iter().map(|(n, i)| (n.as_str(), i.arg())).collect();
    let out = expr::evaluate(text, &args).map_err(|e| e.to_string())?;
    from_array(out)
}

/// A namespace value as an expression input.
enum Input {
    I64(ArrayD<i64>),
    F64(ArrayD<f64>),
    Bool(ArrayD<bool>),
}

impl Input {
    fn of(name: &str, v: &Value) -> Result<Input, String> {
        let shaped = |shape: &[usize]| IxDyn(shape);
        Ok(match v {
            Value::Int(i) => Input::I64(ArrayD::from_elem(IxDyn(&[]), *i)),
            Value::Float(x) => Input::F64(ArrayD::from_elem(IxDyn(&[]), *x)),
            Value::Bool(b) => Input::Bool(ArrayD::from_elem(IxDyn(&[]), *b)),
            Value::Ints(a) if a.shape.len() <= 3 => Input::I64(
                ArrayD::from_shape_vec(shaped(&a.shape), a.data.clone())
                    .map_err(|e| e.to_string())?,
            ),
            Value::Floats(a) if a.shape.len() <= 3 => Input::F64(
                ArrayD::from_shape_vec(shaped(&a.shape), a.data.clone())
                    .map_err(|e| e.to_string())?,
            ),
            other => {
                return Err(format!(
                    "`{name}` is a {}; expressions take numbers and arrays of up to 3 dimensions",
                    other.kind()
                ))
            }
        })
    }

    fn arg(&self) -> Arg<'_> {
        match self {
            Input::I64(a) => a.into(),
            Input::F64(a) => a.into(),
            Input::Bool(a) => a.into(),
        }
    }
}

fn from_array(a: Array) -> Result<Value, String> {
    fn nd<T: Clone, U>(a: ArrayD<T>, f: impl Fn(T) -> U) -> NdArray<U> {
        let shape = a.shape().to_vec();
        NdArray {
            shape,
            data: a.iter().cloned().map(f).collect(),
        }
    }
    let zero_d = match &a {
        Array::Bool(x) => x.ndim() == 0,
        Array::I32(x) => x.ndim() == 0,
        Array::I64(x) => x.ndim() == 0,
        Array::F32(x) => x.ndim() == 0,
        Array::F64(x) => x.ndim() == 0,
        Array::C128(x) => x.ndim() == 0,
    };
    let v = match a {
        Array::Bool(x) => Value::Ints(nd(x, i64::from)),
        Array::I32(x) => Value::Ints(nd(x, i64::from)),
        Array::I64(x) => Value::Ints(nd(x, |v| v)),
        Array::F32(x) => Value::Floats(nd(x, f64::from)),
        Array::F64(x) => Value::Floats(nd(x, |v| v)),
        Array::C128(_) => return Err("complex results cannot be stored".into()),
    };
    if zero_d {
        return Ok(match v {
            Value::Ints(a) => Value::Int(a.data[0]),
            Value::Floats(a) => Value::Float(a.data[0]),
            other => other,
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> EngineContext<'static> {
        EngineContext {
            pid: 7,
            host: "h".into(),
            mpi: None,
            comm: None,
        }
    }

    #[test]
    fn the_course_statements() {
        let mut ns = Namespace::new();
        ns.insert("a".into(), Value::arange(4));
        ns.insert("b".into(), Value::Int(1));
        assert_eq!(execute("x = getpid()", &mut ns, &cx()), Ok(Value::None));
        assert_eq!(ns["x"], Value::Int(7));
        execute("c = a**2 + b; s = sum(a)", &mut ns, &cx()).unwrap();
        assert_eq!(ns["c"], Value::ints(vec![1, 2, 5, 10]));
        assert_eq!(ns["s"], Value::Int(6));
        assert_eq!(execute("sum(a*a)", &mut ns, &cx()), Ok(Value::Int(14)));
        assert_eq!(
            execute("y = 2.5\ny * 2", &mut ns, &cx()),
            Ok(Value::Float(5.0))
        );
        assert_eq!(
            execute("a == 2", &mut ns, &cx()),
            Ok(Value::ints(vec![0, 0, 1, 0]))
        );
        assert_eq!(execute("h = hostname()", &mut ns, &cx()), Ok(Value::None));
        assert_eq!(ns["h"], Value::Str("h".into()));
        let script = "# the course's script\nk = 3  # three\nw = wordcount('#x.txt') if 0 else 1\n";
        assert!(execute(script, &mut ns, &cx()).is_err());
        assert_eq!(ns["k"], Value::Int(3));
    }

    #[test]
    fn mistakes_are_errors_naming_the_statement() {
        let mut ns = Namespace::new();
        let e = execute("z = q + 1", &mut ns, &cx()).unwrap_err();
        assert!(e.contains("`z = q + 1`") && e.contains("`q`"), "{e}");
        assert!(execute("x = (", &mut ns, &cx()).is_err());
        assert!(execute("x = minus(1)", &mut ns, &cx()).is_err());
        ns.insert("s".into(), Value::Str("t".into()));
        assert!(execute("s + 1", &mut ns, &cx())
            .unwrap_err()
            .contains("str"));
    }
}
