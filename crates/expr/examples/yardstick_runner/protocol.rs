//! The files exchanged with `scripts/numexpr-yardstick/yardstick.py`
//! (described in its `exchange.py`): the cases in `cases.txt` and
//! `inputs.bin`, the answers in `results.txt` and `results.bin`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use expr::{Arg, Array, CompileOptions, DType, Optimization};

use crate::arrays::{self, Base};

/// The first line of `cases.txt`.
const MAGIC: &str = "hpcrs-yardstick 2";

/// One input of a case: its name and its elements laid out as numexpr had them.
pub struct Input {
    /// The name the expression reads.
    pub name: String,
    /// The elements, lowest address first.
    base: Base,
    shape: Vec<usize>,
    strides: Vec<isize>,
}

impl Input {
    /// The input as a view with the case's shape and strides.
    pub fn arg(&self) -> Result<Arg<'_>, String> {
        arrays::view(&self.base, &self.shape, &self.strides)
    }
}

/// One case: an expression, its options, its inputs, and the type and
/// shape of the output array the test passed, if any.
pub struct Case {
    /// The yardstick's number for the case.
    pub id: u64,
    /// The expression.
    pub text: String,
    /// How to compile it (numexpr's `optimization=`).
    pub options: CompileOptions,
    /// The inputs.
    pub inputs: Vec<Input>,
    /// `out=`: its type and shape.
    pub out: Option<(DType, Vec<usize>)>,
}

/// Undoes the escapes of the text fields (`\\`, `\t`, `\n`, `\r`).
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('t') => '\t',
            Some('n') => '\n',
            Some('r') => '\r',
            _ => '\\',
        });
    }
    out
}

/// Escapes a text field so that it stays one field of one line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A comma-separated list of numbers (empty: none).
fn numbers<T: std::str::FromStr>(field: &str) -> Result<Vec<T>, String> {
    if field.is_empty() {
        return Ok(Vec::new());
    }
    field
        .split(',')
        .map(|v| v.parse().map_err(|_| format!("`{v}` is not a number")))
        .collect()
}

/// A numpy type name as a [`DType`].
fn dtype(name: &str) -> Result<DType, String> {
    DType::parse(name).ok_or_else(|| format!("`{name}` is not a type hpcrs computes with"))
}

/// Reads the cases of `dir`.
pub fn read_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let path = dir.join("cases.txt");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let blob_path = dir.join("inputs.bin");
    let blob = fs::read(&blob_path).map_err(|e| format!("{}: {e}", blob_path.display()))?;
    let mut lines = text.lines().enumerate();
    if lines.next().map(|(_, l)| l) != Some(MAGIC) {
        return Err(format!("{}: does not start with `{MAGIC}`", path.display()));
    }
    let mut cases = Vec::new();
    while let Some((n, line)) = lines.next() {
        let at = |e: String| format!("{} line {}: {e}", path.display(), n + 1);
        let f: Vec<&str> = line.split('\t').collect();
        let [kind, id, count, out_dtype, out_shape, optimization, expr] = f.as_slice() else {
            return Err(at(format!("expected a case of 7 fields, found {line:?}")));
        };
        if *kind != "case" {
            return Err(at(format!("expected a case, found {line:?}")));
        }
        let id = id.parse().map_err(|_| at(format!("case id `{id}`")))?;
        let count: usize = count
            .parse()
            .map_err(|_| at(format!("input count `{count}`")))?;
        let out = match *out_dtype {
            "-" => None,
            d => Some((dtype(d).map_err(at)?, numbers(out_shape).map_err(at)?)),
        };
        let optimization = match *optimization {
            "-" => Optimization::default(),
            o => Optimization::parse(o).ok_or_else(|| at(format!("unknown optimization `{o}`")))?,
        };
        let mut inputs = Vec::with_capacity(count);
        for _ in 0..count {
            let Some((n, line)) = lines.next() else {
                return Err(format!("{}: case {id} lacks inputs", path.display()));
            };
            let at = |e: String| format!("{} line {}: {e}", path.display(), n + 1);
            inputs.push(read_input(line, &blob).map_err(at)?);
        }
        cases.push(Case {
            id,
            text: unescape(expr),
            options: CompileOptions { optimization },
            inputs,
            out,
        });
    }
    Ok(cases)
}

/// Parses one `input` line, taking its bytes from `blob`.
fn read_input(line: &str, blob: &[u8]) -> Result<Input, String> {
    let f: Vec<&str> = line.split('\t').collect();
    let ["input", name, dt, shape, strides, offset, length] = f.as_slice() else {
        return Err(format!("expected an input of 7 fields, found {line:?}"));
    };
    let offset: usize = offset.parse().map_err(|_| format!("offset `{offset}`"))?;
    let length: usize = length.parse().map_err(|_| format!("length `{length}`"))?;
    let bytes = offset
        .checked_add(length)
        .and_then(|end| blob.get(offset..end))
        .ok_or_else(|| {
            format!(
                "bytes {offset}+{length} are beyond inputs.bin ({} bytes)",
                blob.len()
            )
        })?;
    Ok(Input {
        name: unescape(name),
        base: arrays::decode_base(dt, bytes)?,
        shape: numbers(shape)?,
        strides: numbers(strides)?,
    })
}

/// numpy's name of a [`DType`].
fn numpy_name(dt: DType) -> &'static str {
    match dt {
        DType::Bool => "bool",
        DType::I32 => "int32",
        DType::I64 => "int64",
        DType::F32 => "float32",
        DType::F64 => "float64",
        DType::C128 => "complex128",
    }
}

/// The answers being written: `results.txt` and `results.bin`.
pub struct Results {
    text: BufWriter<File>,
    text_path: PathBuf,
    blob: Vec<u8>,
    blob_path: PathBuf,
}

impl Results {
    /// Creates (or truncates) the result files of `dir`.
    pub fn create(dir: &Path) -> Result<Results, String> {
        let text_path = dir.join("results.txt");
        let file = File::create(&text_path).map_err(|e| format!("{}: {e}", text_path.display()))?;
        Ok(Results {
            text: BufWriter::new(file),
            text_path,
            blob: Vec::new(),
            blob_path: dir.join("results.bin"),
        })
    }

    fn line(&mut self, line: String) -> Result<(), String> {
        writeln!(self.text, "{line}").map_err(|e| format!("{}: {e}", self.text_path.display()))
    }

    /// Records an array answer.
    pub fn ok(&mut self, id: u64, array: &Array) -> Result<(), String> {
        let start = self.blob.len();
        arrays::encode_array(array, &mut self.blob);
        let shape: Vec<String> = array.shape().iter().map(|n| n.to_string()).collect();
        let line = format!(
            "ok\t{id}\t{}\t{}\t{start}\t{}",
            numpy_name(array.dtype()),
            shape.join(","),
            self.blob.len() - start
        );
        self.line(line)
    }

    /// Records an error answer.
    pub fn error(&mut self, id: u64, message: &str) -> Result<(), String> {
        self.line(format!("error\t{id}\t{}", escape(message)))
    }

    /// Records a panic.
    pub fn panic(&mut self, id: u64, message: &str) -> Result<(), String> {
        self.line(format!("panic\t{id}\t{}", escape(message)))
    }

    /// Writes the arrays' bytes and flushes everything.
    pub fn finish(mut self) -> Result<(), String> {
        self.text
            .flush()
            .map_err(|e| format!("{}: {e}", self.text_path.display()))?;
        fs::write(&self.blob_path, &self.blob)
            .map_err(|e| format!("{}: {e}", self.blob_path.display()))
    }
}
