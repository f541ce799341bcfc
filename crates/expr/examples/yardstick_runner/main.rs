//! Evaluates the cases of the numexpr yardstick through `expr`'s public API:
//! `scripts/numexpr-yardstick/yardstick.py` writes the cases of numexpr's
//! own test suite to a directory, runs `cargo run -p hpcrs-expr --example
//! yardstick_runner -- DIR`, and compares the answers with numexpr's.
//! `scripts/numexpr-yardstick/exchange.py` describes the files.
//!
//! Each case is one [`expr::evaluate_with`] with the case's optimisation
//! level (or, when the test passed `out=`, one [`expr::Expr::eval`] of
//! [`expr::Expr::compile_with`] into an array of that type), on inputs built with
//! the case's strides over its bytes: a strided view stays a strided view,
//! a 0-d array stays 0-d. A panic is caught and reported as the case's
//! answer, so one case cannot hide the others.

mod arrays;
mod protocol;

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::ExitCode;

use expr::{Array, Expr, ExprError, InputType};

use protocol::{Case, Results};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: yardstick_runner DIR (with cases.txt and inputs.bin)");
        return ExitCode::from(2);
    };
    match run(Path::new(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yardstick_runner: {e}");
            ExitCode::from(1)
        }
    }
}

/// Evaluates every case of `dir` and writes the answers next to them.
fn run(dir: &Path) -> Result<(), String> {
    let cases = protocol::read_cases(dir)?;
    let mut results = Results::create(dir)?;
    // A panic is an answer, written to the results: keep it off stderr.
    panic::set_hook(Box::new(|_| {}));
    for case in &cases {
        match panic::catch_unwind(AssertUnwindSafe(|| evaluate(case))) {
            Ok(Ok(array)) => results.ok(case.id, &array)?,
            Ok(Err(e)) => results.error(case.id, &e.to_string())?,
            Err(payload) => results.panic(case.id, &panic_message(payload.as_ref()))?,
        }
    }
    let _ = panic::take_hook();
    results.finish()
}

/// One case through the public API.
fn evaluate(case: &Case) -> Result<Array, ExprError> {
    let mut inputs = Vec::with_capacity(case.inputs.len());
    for input in &case.inputs {
        let arg = input
            .arg()
            .map_err(|e| ExprError::Input(format!("`{}`: {e}", input.name)))?;
        inputs.push((input.name.as_str(), arg));
    }
    match &case.out {
        None => expr::evaluate_with(&case.text, &inputs, &case.options),
        Some((dtype, shape)) => {
            let sig: Vec<(&str, InputType)> =
                inputs.iter().map(|(n, a)| (*n, a.input_type())).collect();
            let e = Expr::compile_with(&case.text, &sig, &case.options)?;
            let mut out = Array::zeros(*dtype, shape);
            e.eval(&inputs, out.view_mut())?;
            Ok(out)
        }
    }
}

/// The text a panic was raised with.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}
