//! How an expression is compiled: numexpr's `optimization` levels, which
//! decide the powers with a constant exponent that become multiplications.

/// numexpr's `optimization=` levels. They differ only in how `x ** c` with
/// a constant `c` is computed, which decides its type (see the crate doc):
///
/// * [`Aggressive`](Optimization::Aggressive), numexpr's default: an
///   integral or half-integral `c` with `|c| <= 50` becomes
///   multiplications, a `sqrt` and a reciprocal, in the base's type.
/// * [`Moderate`](Optimization::Moderate): only `c` = -1, 0, 0.5, 1 and 2
///   are rewritten (as `1/x`, ones, `sqrt(x)`, `x`, `x*x`); other powers
///   are `pow` in the operands' common type (`x**2.5` of `f32` is `f64`).
/// * [`None`](Optimization::None): every power is `pow` in the operands'
///   common type (`x**0.0` of an integer is `f64`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Optimization {
    /// No power is rewritten.
    None,
    /// Powers to -1, 0, 0.5, 1 and 2 are rewritten.
    Moderate,
    /// Integral and half-integral powers up to 50 are rewritten.
    #[default]
    Aggressive,
}

impl Optimization {
    /// The level numexpr names `name` (`none`, `moderate`, `aggressive`).
    pub fn parse(name: &str) -> Option<Optimization> {
        Some(match name {
            "none" => Optimization::None,
            "moderate" => Optimization::Moderate,
            "aggressive" => Optimization::Aggressive,
            _ => return None,
        })
    }
}

/// How [`crate::Expr::compile_with`] and [`crate::evaluate_with`] compile
/// an expression; the default is what [`crate::Expr::compile`] does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CompileOptions {
    /// numexpr's `optimization=` level (default: numexpr's, aggressive).
    pub optimization: Optimization,
}
