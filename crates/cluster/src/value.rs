//! The values that live in an engine's namespace and travel in tasks and
//! results: scalars, strings, vectors and n-d arrays of `i64` or `f64`,
//! lists and records. They print as Python prints them (`-1`, `2.0`,
//! `'host'`, `[6, 4, 2, 0]`), which is how the course shows results.

use std::fmt;

use serde::Serialize;

use crate::error::{ClusterError, Result};

/// An n-dimensional array in row-major order. On the wire its elements are
/// one block of little-endian bytes (see `plain.rs`), not one item each.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray<T> {
    /// Length along each axis (one axis for a vector).
    pub shape: Vec<usize>,
    /// The elements, row-major; `data.len()` is the product of `shape`.
    pub data: Vec<T>,
}

impl<T> NdArray<T> {
    /// A vector.
    pub fn vector(data: Vec<T>) -> Self {
        NdArray {
            shape: vec![data.len()],
            data,
        }
    }

    /// Whether the shape matches the data (decoded values are checked): at
    /// most [`MAX_DIMS`] axes, whose lengths multiply to the data's length,
    /// and whose non-zero lengths multiply to at most `isize::MAX` (so that
    /// the product of any axes, as splitting and joining rows compute it,
    /// cannot overflow even for an empty array).
    pub fn is_consistent(&self) -> bool {
        let nonzero = self
            .shape
            .iter()
            .try_fold(1usize, |a, &n| a.checked_mul(n.max(1)))
            .is_some_and(|n| n <= isize::MAX as usize);
        self.shape.len() <= MAX_DIMS
            && nonzero
            && self.shape.iter().product::<usize>() == self.data.len()
    }
}

/// How deep lists and records may nest inside a decoded value: a deeper
/// one is refused (decoding, printing and dropping a value recurse on its
/// nesting, so an unbounded depth would let a message overflow the stack).
pub const MAX_DEPTH: usize = 64;

/// The most axes a decoded array may have (numpy's limit): printing an
/// array recurses once per axis.
pub const MAX_DIMS: usize = 64;

/// A value in an engine's namespace, a task's argument or its result.
/// (Decoding, in `value_de.rs`, refuses nesting deeper than [`MAX_DEPTH`].)
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Value {
    /// Nothing (Python's `None`).
    None,
    /// A truth value.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A vector or array of integers.
    Ints(NdArray<i64>),
    /// A vector or array of floats.
    Floats(NdArray<f64>),
    /// A list of values (a map's results, a pull of several names).
    List(Vec<Value>),
    /// Named values, in order (a workload's summary).
    Record(Vec<(String, Value)>),
}

impl Value {
    /// A vector of integers.
    pub fn ints(v: Vec<i64>) -> Value {
        Value::Ints(NdArray::vector(v))
    }

    /// A vector of floats.
    pub fn floats(v: Vec<f64>) -> Value {
        Value::Floats(NdArray::vector(v))
    }

    /// `0, 1, ..., n-1` (numpy's `arange(n)`).
    pub fn arange(n: usize) -> Value {
        Value::ints((0..n as i64).collect())
    }

    /// The type's name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Ints(_) => "int array",
            Value::Floats(_) => "float array",
            Value::List(_) => "list",
            Value::Record(_) => "record",
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            Value::Bool(b) => Some(f64::from(u8::from(b))),
            _ => None,
        }
    }

    /// The value as an integer, if it is one (or a bool).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(i64::from(b)),
            _ => None,
        }
    }

    /// Whether the value's arrays are internally consistent (their shape
    /// matches their data): checked on every decoded value.
    pub fn is_consistent(&self) -> bool {
        match self {
            Value::Ints(a) => a.is_consistent(),
            Value::Floats(a) => a.is_consistent(),
            Value::List(v) => v.iter().all(Value::is_consistent),
            Value::Record(v) => v.iter().all(|(_, x)| x.is_consistent()),
            _ => true,
        }
    }

    /// Parses a command-line argument: `5` is an int, `2.5` a float,
    /// `True`/`False` a bool, `None` nothing, `11,10,9` (or `[11, 10, 9]`)
    /// a vector (of floats if any element is one), `'text'` or `"text"` a
    /// string, anything else the string itself.
    pub fn parse(text: &str) -> Value {
        let t = text.trim();
        if let Some(s) = strip_quotes(t) {
            return Value::Str(s.to_string());
        }
        match t {
            "True" | "true" => return Value::Bool(true),
            "False" | "false" => return Value::Bool(false),
            "None" => return Value::None,
            _ => {}
        }
        if let Some(v) = parse_scalar(t) {
            return v;
        }
        let inner = t
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(t);
        if inner.contains(',') || t.starts_with('[') {
            if let Some(v) = parse_vector(inner) {
                return v;
            }
        }
        Value::Str(text.to_string())
    }

    /// The elements of a list-like value (a vector, an array's rows, a
    /// list), each as a value: what `map` iterates over.
    pub fn elements(&self) -> Result<Vec<Value>> {
        match self {
            Value::List(v) => Ok(v.clone()),
            Value::Ints(a) if a.shape.len() == 1 => {
                Ok(a.data.iter().map(|&x| Value::Int(x)).collect())
            }
            Value::Floats(a) if a.shape.len() == 1 => {
                Ok(a.data.iter().map(|&x| Value::Float(x)).collect())
            }
            other => Err(ClusterError::Value(format!(
                "cannot iterate over a {} (give a list such as 1,2,3)",
                other.kind()
            ))),
        }
    }
}

fn strip_quotes(t: &str) -> Option<&str> {
    for q in ['\'', '"'] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return Some(&t[1..t.len() - 1]);
        }
    }
    None
}

fn parse_scalar(t: &str) -> Option<Value> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Int(i));
    }
    let looks_numeric = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && t.chars().any(|c| c.is_ascii_digit());
    let special = matches!(t, "nan" | "inf" | "-inf");
    if looks_numeric || special {
        return t.parse::<f64>().ok().map(Value::Float);
    }
    None
}

fn parse_vector(inner: &str) -> Option<Value> {
    let parts: Vec<&str> = inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let scalars: Option<Vec<Value>> = parts.iter().map(|p| parse_scalar(p)).collect();
    let scalars = scalars?;
    if scalars.iter().all(|v| matches!(v, Value::Int(_))) {
        Some(Value::ints(
            scalars.iter().filter_map(Value::as_i64).collect(),
        ))
    } else {
        Some(Value::floats(
            scalars.iter().filter_map(Value::as_f64).collect(),
        ))
    }
}

/// Python's `repr` of a float: `2.0`, `0.5`, `1e-05`, `nan`, `inf`.
fn fmt_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("nan");
    }
    if x.is_infinite() {
        return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
    }
    let a = x.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Exponent notation with Python's signed two-digit exponent.
        let s = format!("{x:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return write!(f, "{m}e{sign}{:02}", e.abs());
    }
    write!(f, "{x:?}")
}

fn fmt_nested<T>(
    f: &mut fmt::Formatter<'_>,
    shape: &[usize],
    data: &[T],
    one: &dyn Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    match shape {
        [] => data.first().map_or(Ok(()), |x| one(f, x)),
        // An empty array prints as numpy prints one, whatever its shape
        // (not one `[]` per row of a `(n, 0)` array).
        _ if data.is_empty() => f.write_str("[]"),
        [_] => {
            f.write_str("[")?;
            for (i, x) in data.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                one(f, x)?;
            }
            f.write_str("]")
        }
        [n, rest @ ..] => {
            let step: usize = rest.iter().product();
            f.write_str("[")?;
            for i in 0..*n {
                if i > 0 {
                    f.write_str(", ")?;
                }
                let lo = (i * step).min(data.len());
                let hi = (lo + step).min(data.len());
                fmt_nested(f, rest, &data[lo..hi], one)?;
            }
            f.write_str("]")
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => fmt_float(f, *x),
            Value::Str(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Value::Ints(a) => fmt_nested(f, &a.shape, &a.data, &|f, x| write!(f, "{x}")),
            Value::Floats(a) => fmt_nested(f, &a.shape, &a.data, &|f, x| fmt_float(f, *x)),
            Value::List(v) => {
                f.write_str("[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            Value::Record(v) => {
                f.write_str("{")?;
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{k}': {x}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_to_the_values_python_would_see() {
        assert_eq!(Value::parse("5"), Value::Int(5));
        assert_eq!(Value::parse("-6"), Value::Int(-6));
        assert_eq!(Value::parse("2.5"), Value::Float(2.5));
        assert_eq!(Value::parse("1e3"), Value::Float(1000.0));
        assert_eq!(Value::parse("11,10,9,8"), Value::ints(vec![11, 10, 9, 8]));
        assert_eq!(Value::parse("[1, 2.5]"), Value::floats(vec![1.0, 2.5]));
        assert_eq!(Value::parse("'5'"), Value::Str("5".into()));
        assert_eq!(Value::parse("moby.txt"), Value::Str("moby.txt".into()));
        assert_eq!(Value::parse("D=0.5"), Value::Str("D=0.5".into()));
        assert_eq!(Value::parse("True"), Value::Bool(true));
        assert_eq!(Value::parse("e"), Value::Str("e".into()));
        assert_eq!(Value::parse("1,x"), Value::Str("1,x".into()));
    }

    #[test]
    fn values_print_as_python_prints_them() {
        assert_eq!(Value::Int(-1).to_string(), "-1");
        assert_eq!(Value::Float(2.0).to_string(), "2.0");
        assert_eq!(Value::Float(0.1).to_string(), "0.1");
        assert_eq!(Value::Float(1e-5).to_string(), "1e-05");
        assert_eq!(Value::Float(1.5e20).to_string(), "1.5e+20");
        assert_eq!(Value::Float(f64::NAN).to_string(), "nan");
        assert_eq!(Value::ints(vec![6, 4, 2, 0]).to_string(), "[6, 4, 2, 0]");
        assert_eq!(
            Value::List(vec![Value::Int(-1), Value::Int(-1)]).to_string(),
            "[-1, -1]"
        );
        assert_eq!(Value::Str("it's".into()).to_string(), "'it\\'s'");
        let m = Value::Ints(NdArray {
            shape: vec![2, 2],
            data: vec![1, 2, 3, 4],
        });
        assert_eq!(m.to_string(), "[[1, 2], [3, 4]]");
        assert_eq!(
            Value::Record(vec![("D".into(), Value::Float(0.5))]).to_string(),
            "{'D': 0.5}"
        );
    }

    #[test]
    fn inconsistent_arrays_are_detected() {
        let bad = Value::Ints(NdArray {
            shape: vec![usize::MAX, 2],
            data: vec![1],
        });
        assert!(!bad.is_consistent());
        assert!(Value::arange(4).is_consistent());
        let empty = |shape: Vec<usize>| NdArray::<i64> {
            shape,
            data: Vec::new(),
        };
        // Empty, but some axes' product overflows: refused.
        assert!(!empty(vec![0, usize::MAX, usize::MAX]).is_consistent());
        assert!(!empty(vec![usize::MAX, 0]).is_consistent());
        assert!(empty(vec![3, 0]).is_consistent());
        assert_eq!(Value::Ints(empty(vec![3, 0])).to_string(), "[]");
        // One element on 65 axes: refused; on 64, printed.
        let ones = |n: usize| NdArray {
            shape: vec![1; n],
            data: vec![7i64],
        };
        assert!(!ones(MAX_DIMS + 1).is_consistent());
        let deep = Value::Ints(ones(MAX_DIMS));
        assert_eq!(
            deep.to_string(),
            format!("{}7{}", "[".repeat(MAX_DIMS), "]".repeat(MAX_DIMS))
        );
    }
}
