//! The one error type of the crate.

/// Everything that can go wrong compiling or evaluating an expression.
///
/// Errors found in the text (syntax, names, types) carry the 1-based column
/// and print the expression with a caret under that column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    /// The text is not a valid expression.
    #[error("syntax error at column {col}: {msg}\n{}", caret(.expr, *.col))]
    Syntax {
        /// The expression text.
        expr: String,
        /// 1-based column of the offending character.
        col: usize,
        /// What was wrong.
        msg: String,
    },
    /// A name that is neither an input nor a known function.
    #[error("unknown name `{name}` at column {col} (inputs: {known})\n{}", caret(.expr, *.col))]
    UnknownName {
        /// The expression text.
        expr: String,
        /// 1-based column of the name.
        col: usize,
        /// The unknown name.
        name: String,
        /// The names the signature declares, comma-separated.
        known: String,
    },
    /// An operator or function applied to a type it is not defined for.
    #[error("type error at column {col}: {msg}\n{}", caret(.expr, *.col))]
    Type {
        /// The expression text.
        expr: String,
        /// 1-based column of the operator or call.
        col: usize,
        /// What was wrong.
        msg: String,
    },
    /// Arithmetic on constants that Python refuses (numexpr computes
    /// constants with Python): a division by zero, `0` to a negative
    /// power, a negative shift count, an integer too large for 64 bits.
    #[error("arithmetic error at column {col}: {msg}\n{}", caret(.expr, *.col))]
    Arithmetic {
        /// The expression text.
        expr: String,
        /// 1-based column of the constant expression.
        col: usize,
        /// What was wrong.
        msg: String,
    },
    /// Inputs (or the output) whose shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Stencil offsets that do not fit the array they are applied to.
    #[error("offset error: {0}")]
    Offset(String),
    /// An input that is missing, doubled or of the wrong type.
    #[error("input error: {0}")]
    Input(String),
    /// An output array of the wrong type or shape.
    #[error("output error: {0}")]
    Output(String),
}

/// The expression on one line and a caret under 1-based column `col`.
fn caret(expr: &str, col: usize) -> String {
    let pad: String = expr
        .chars()
        .take(col.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("  {expr}\n  {pad}^")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_column() {
        let e = ExprError::Syntax {
            expr: "a + * b".into(),
            col: 5,
            msg: "unexpected `*`".into(),
        };
        assert_eq!(
            e.to_string(),
            "syntax error at column 5: unexpected `*`\n  a + * b\n      ^"
        );
    }
}
