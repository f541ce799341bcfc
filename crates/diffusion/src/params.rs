//! Reading parameters the way the course's programs do: a `diff2dparams.py`
//! file (`name = value;`, `#` comments, Python `True`/`False`, blank lines)
//! plus `name=value` overrides from the command line.
//!
//! The format is a handful of Python assignments, so a small hand-written
//! reader is simpler than a general configuration crate and can name the
//! file and line of every mistake.

use std::path::Path;

use crate::{DiffusionError, Params};

/// Largest parameters file read: the course's has eight lines, so this is
/// room for any comments, and a bound for a path that never ends.
const MAX_PARAMS_FILE_BYTES: u64 = 1 << 20;

/// The parameter names, as the course writes them.
pub const PARAM_NAMES: [&str; 7] = ["D", "x1", "x2", "runtime", "dx", "outtime", "graphics"];

/// Parameters being assembled from defaults, a file and overrides, with where
/// each value came from so that validation errors can point at it.
///
/// ```
/// use diffusion::ParamsBuilder;
/// let mut b = ParamsBuilder::new();
/// b.parse_str("D = 2.0;  # faster\ngraphics = True;\n", "inline.py")?;
/// b.set("dx=0.5")?;
/// let p = b.build()?;
/// assert_eq!((p.d, p.dx, p.graphics), (2.0, 0.5, true));
/// # Ok::<(), diffusion::DiffusionError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParamsBuilder {
    params: Params,
    origins: [String; 7],
}

impl Default for ParamsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ParamsBuilder {
    /// Starts from the course's defaults.
    pub fn new() -> Self {
        Self::from_params(Params::default(), "default")
    }

    /// Starts from given parameters; `origin` says where they came from
    /// (used in error messages).
    pub fn from_params(params: Params, origin: &str) -> Self {
        ParamsBuilder {
            params,
            origins: std::array::from_fn(|_| origin.to_string()),
        }
    }

    /// The parameters as they stand (not yet validated).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Reads a parameters file; values in it replace the current ones.
    pub fn read_file(&mut self, path: impl AsRef<Path>) -> Result<(), DiffusionError> {
        let path = path.as_ref();
        let text = runtime::capped::read_to_string(path, MAX_PARAMS_FILE_BYTES)
            .map_err(|e| DiffusionError::io(path, e))?;
        self.parse_str(&text, &path.display().to_string())
    }

    /// Reads parameters-file text; `file` names it in error messages. A
    /// leading UTF-8 byte-order mark is skipped, as Python skips it.
    pub fn parse_str(&mut self, text: &str, file: &str) -> Result<(), DiffusionError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (no, line) in text.lines().enumerate() {
            let at = format!("{file}:{}", no + 1);
            let code = line.split('#').next().unwrap_or("");
            // Python allows several `;`-separated statements on one line.
            for stmt in code.split(';') {
                if stmt.trim().is_empty() {
                    continue;
                }
                let Some((name, value)) = stmt.split_once('=') else {
                    return Err(DiffusionError::Syntax {
                        at,
                        why: format!("expected `name = value;`, found `{}`", stmt.trim()),
                    });
                };
                self.assign(name.trim(), value.trim(), &at)?;
            }
        }
        Ok(())
    }

    /// Applies one `name=value` override (the command line's `--set`).
    pub fn set(&mut self, assignment: &str) -> Result<(), DiffusionError> {
        let at = format!("--set {assignment}");
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(DiffusionError::Syntax {
                at,
                why: "expected name=value".into(),
            });
        };
        self.assign(name.trim(), value.trim(), &at)
    }

    fn assign(&mut self, name: &str, value: &str, at: &str) -> Result<(), DiffusionError> {
        let Some(idx) = PARAM_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
        else {
            return Err(DiffusionError::Syntax {
                at: at.to_string(),
                why: format!(
                    "unknown parameter `{name}` (known: {})",
                    PARAM_NAMES.join(", ")
                ),
            });
        };
        let canonical = PARAM_NAMES[idx];
        if canonical == "graphics" {
            self.params.graphics = match value {
                "True" | "true" | "1" => true,
                "False" | "false" | "0" => false,
                _ => {
                    return Err(DiffusionError::Syntax {
                        at: at.to_string(),
                        why: format!("graphics must be True or False, not `{value}`"),
                    })
                }
            };
        } else {
            let v = parse_number(value).ok_or_else(|| DiffusionError::Syntax {
                at: at.to_string(),
                why: format!("{canonical} = `{value}` is not a number"),
            })?;
            *self.field(canonical) = v;
        }
        self.origins[idx] = at.to_string();
        Ok(())
    }

    fn field(&mut self, name: &str) -> &mut f64 {
        let p = &mut self.params;
        match name {
            "D" => &mut p.d,
            "x1" => &mut p.x1,
            "x2" => &mut p.x2,
            "runtime" => &mut p.runtime,
            "dx" => &mut p.dx,
            _ => &mut p.outtime,
        }
    }

    /// Where parameter `name` was last set (`file:line`, `--set ...` or `default`).
    pub fn origin(&self, name: &str) -> &str {
        let idx = PARAM_NAMES.iter().position(|n| *n == name).unwrap_or(0);
        &self.origins[idx]
    }

    /// Validates and returns the parameters; a refused value is reported
    /// with where it was set.
    pub fn build(self) -> Result<Params, DiffusionError> {
        match self.params.validate() {
            Ok(()) => Ok(self.params),
            Err(DiffusionError::BadParameter { name, why }) => {
                Err(DiffusionError::BadParameterAt {
                    at: self.origin(name).to_string(),
                    name,
                    why,
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// A Python float literal: digits, sign, point, exponent, `_` separators;
/// no `inf`/`nan` (Python would not accept those as literals either).
fn parse_number(s: &str) -> Option<f64> {
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let ok = !cleaned.is_empty()
        && cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
    if !ok {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(text: &str) -> String {
        let mut b = ParamsBuilder::new();
        match b.parse_str(text, "p.py") {
            Err(e) => e.to_string(),
            Ok(()) => b.build().unwrap_err().to_string(),
        }
    }

    #[test]
    fn reads_the_course_file() {
        let text = include_str!("../../../data/diff2dparams.txt");
        let mut b = ParamsBuilder::new();
        b.parse_str(text, "diff2dparams.txt").unwrap();
        assert_eq!(b.build().unwrap(), Params::default());
    }

    #[test]
    fn comments_blank_lines_and_several_statements() {
        let mut b = ParamsBuilder::new();
        b.parse_str(
            "\n# hi\n  D=3 ; dx = 1e-1 # c\n\nruntime = 2_0.5\ngraphics=True",
            "f",
        )
        .unwrap();
        let p = b.build().unwrap();
        assert_eq!((p.d, p.dx, p.runtime, p.graphics), (3.0, 0.1, 20.5, true));
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        let mut b = ParamsBuilder::new();
        b.parse_str("\u{feff}D = 2.0;\ndx = 0.5\n", "bom.py")
            .unwrap();
        let p = b.build().unwrap();
        assert_eq!((p.d, p.dx), (2.0, 0.5));
        // Only at the start of the file: anywhere else it is part of a name.
        assert_eq!(
            err_of("D = 1;\n\u{feff}dx = 1"),
            "p.py:2: unknown parameter `\u{feff}dx` (known: D, x1, x2, runtime, dx, outtime, graphics)"
        );
    }

    #[test]
    fn unknown_name_names_file_and_line() {
        assert_eq!(
            err_of("D = 1;\nspeed = 3;\n"),
            "p.py:2: unknown parameter `speed` (known: D, x1, x2, runtime, dx, outtime, graphics)"
        );
    }

    #[test]
    fn not_a_number_names_file_and_line() {
        assert_eq!(
            err_of("\n\ndx = fast;"),
            "p.py:3: dx = `fast` is not a number"
        );
        assert_eq!(err_of("D = nan"), "p.py:1: D = `nan` is not a number");
        assert_eq!(
            err_of("graphics = Maybe"),
            "p.py:1: graphics must be True or False, not `Maybe`"
        );
        assert_eq!(
            err_of("dx 3"),
            "p.py:1: expected `name = value;`, found `dx 3`"
        );
    }

    #[test]
    fn validation_errors_name_where_the_value_was_set() {
        assert_eq!(
            err_of("x1 = 0\ndx = 0;"),
            "p.py:2: parameter dx must be a positive number, got 0"
        );
        assert_eq!(
            err_of("dx = 30"),
            "p.py:1: parameter dx 30 is larger than the domain [-10, 10]"
        );
        assert_eq!(
            err_of("D = -1"),
            "p.py:1: parameter D must be a positive number, got -1"
        );
        assert_eq!(
            err_of("x2 = -10"),
            "p.py:1: parameter x2 must be larger than x1, got x1 = -10 and x2 = -10"
        );
        assert_eq!(
            err_of("dx = 1e-5"),
            "p.py:1: parameter dx 0.00001 gives 2000000 cells per side, more than the 20000 this solver accepts"
        );
        assert_eq!(
            err_of("runtime = -1"),
            "p.py:1: parameter runtime must be zero or positive, got -1"
        );
    }

    #[test]
    fn set_overrides_and_reports_itself() {
        let mut b = ParamsBuilder::new();
        b.set("D=0.5").unwrap();
        assert_eq!(b.params().d, 0.5);
        b.set("dx=-2").unwrap();
        assert_eq!(
            b.build().unwrap_err().to_string(),
            "--set dx=-2: parameter dx must be a positive number, got -2"
        );
        let mut b = ParamsBuilder::new();
        assert_eq!(
            b.set("dx").unwrap_err().to_string(),
            "--set dx: expected name=value"
        );
    }

    #[test]
    fn missing_file_is_named() {
        let mut b = ParamsBuilder::new();
        let e = b
            .read_file("/nonexistent/params.py")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/nonexistent/params.py: "), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any finite values, written in either notation with any spacing,
        /// comments and statement separators, are read back exactly.
        #[test]
        fn written_values_are_read_back_exactly(
            values in proptest::collection::vec(
                proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO, 6),
            scientific in proptest::collection::vec(proptest::prelude::any::<bool>(), 6),
            spaces in proptest::collection::vec(0usize..3, 6),
            one_line in proptest::prelude::any::<bool>(),
            graphics in proptest::prelude::any::<bool>(),
        ) {
            let mut text = String::from("# written by a test\n");
            for i in 0..6 {
                let pad = " ".repeat(spaces[i]);
                let v = if scientific[i] { format!("{:e}", values[i]) } else { values[i].to_string() };
                text += &format!("{pad}{}{pad}={pad}{v};{pad}", PARAM_NAMES[i]);
                text += if one_line { " " } else { "  # a comment\n" };
            }
            text += if graphics { "graphics = True" } else { "graphics = False" };
            let mut b = ParamsBuilder::new();
            b.parse_str(&text, "p.py").unwrap();
            let p = b.params();
            let read = [p.d, p.x1, p.x2, p.runtime, p.dx, p.outtime];
            for (got, want) in read.iter().zip(&values) {
                proptest::prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
            }
            proptest::prop_assert_eq!(p.graphics, graphics);
        }

        /// Whatever the text, reading and validating it gives parameters or
        /// one line naming where the problem is, never a panic.
        #[test]
        fn any_text_is_read_or_refused_in_one_line(
            text in "(([Dx12runtimedxoutgraphics# =;._eE+-]|[0-9]|\\PC){0,12}\n?){0,8}",
        ) {
            let mut b = ParamsBuilder::new();
            let result = b.parse_str(&text, "p.py").and_then(|()| b.build());
            if let Err(e) = result {
                let e = e.to_string();
                proptest::prop_assert!(e.starts_with("p.py:") || e.starts_with("default: "), "{}", e);
                proptest::prop_assert_eq!(e.lines().count(), 1, "{}", e);
            }
        }
    }
}
