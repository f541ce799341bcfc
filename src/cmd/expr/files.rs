//! `hpcrs expr EXPR --input NAME=FILE ... [--out FILE]`: one evaluation over the arrays
//! of `.npy` files of any size, in bounded memory (`ooc::eval`), instead of the timed
//! evaluations on random inputs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use ooc::eval::{evaluate, Evaluated, Output};
use ooc::{Control, NpyFile, OocError};
use runtime::size::human_bytes;

use super::{one_line, set_threads, Args};
use crate::output::outln;
use crate::progress::Bar;

/// Clap value parser of `--input NAME=FILE`: a name as the expression writes it (a
/// letter or `_`, then letters, digits or `_`) and a file.
pub fn parse_input(text: &str) -> Result<(String, PathBuf), String> {
    let Some((name, file)) = text.split_once('=') else {
        return Err("expected NAME=FILE, e.g. a=a.npy".into());
    };
    let mut chars = name.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "{name:?} is not a name (a letter or _, then letters, digits or _)"
        ));
    }
    if file.is_empty() {
        return Err(format!("no file after `{name}=`"));
    }
    Ok((name.to_string(), PathBuf::from(file)))
}

/// Prints a usage error about `hpcrs expr` (as clap prints its own) and gives its exit
/// status, 2.
fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    use clap::Args as _;
    let mut cmd = Args::augment_args(clap::Command::new("hpcrs expr"));
    let _ = cmd
        .error(clap::error::ErrorKind::ArgumentConflict, msg)
        .print();
    ExitCode::from(2)
}

/// Checks that `--input` names each name the expression reads once and nothing else;
/// `Some(usage error)` otherwise.
fn check_names(text: &str, inputs: &[(String, PathBuf)]) -> anyhow::Result<Option<ExitCode>> {
    let vars = expr::variables(text)
        .map_err(one_line)
        .with_context(|| format!("parsing the expression `{text}`"))?;
    let arg = |(n, f): &(String, PathBuf)| format!("--input {n}={}", f.display());
    for (k, input) in inputs.iter().enumerate() {
        if inputs[..k].iter().any(|(n, _)| *n == input.0) {
            return Ok(Some(usage_error(format!(
                "{}: `{}` is given twice",
                arg(input),
                input.0
            ))));
        }
        if !vars.iter().any(|(v, _)| *v == input.0) {
            return Ok(Some(usage_error(format!(
                "{}: the expression `{text}` does not read `{}`",
                arg(input),
                input.0
            ))));
        }
    }
    if let Some((missing, _)) = vars
        .iter()
        .find(|(v, _)| !inputs.iter().any(|(n, _)| n == v))
    {
        return Ok(Some(usage_error(format!(
            "the expression `{text}` reads `{missing}`, which no --input gives \
             (--input {missing}=FILE.npy)"
        ))));
    }
    Ok(None)
}

/// Runs `hpcrs expr` with `--input`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // A page of a mapped input that cannot be read is an error naming the file.
    crate::sigbus::install(crate::sigbus::PREAD_HINT);
    if let Some(code) = check_names(&args.text, &args.input)? {
        return Ok(code);
    }
    set_threads(args.threads);
    let files: Vec<NpyFile> = args
        .input
        .iter()
        .map(|(_, path)| NpyFile::open(path))
        .collect::<Result<_, _>>()?;
    let inputs: Vec<(&str, &NpyFile)> = args
        .input
        .iter()
        .map(|(n, _)| n.as_str())
        .zip(&files)
        .collect();
    let memory_limit = match &args.memory_limit {
        Some(s) => crate::cmd::ooc::memory_limit(s)?,
        None => ooc::memory::default_memory_limit(crate::memory::physical()),
    };
    // Ctrl-C (or SIGTERM, SIGHUP) stops at the next band, so that a partial --out is
    // removed and reported; a second one ends the process at once (`crate::signals`).
    let cancel = crate::signals::cancel_on_signals();
    let progress = Bar::shared(args.quiet);
    let ctl = Control {
        memory_limit,
        threads: args.threads.unwrap_or_default(),
        io: args.io.unwrap_or_default(),
        progress: &*progress,
        cancel: Some(cancel),
    };
    let out = args.out.as_deref().map(|path| Output {
        path,
        sync: !args.no_sync,
    });
    let start = Instant::now();
    let done = match evaluate(&args.text, &inputs, out, &ctl) {
        Ok(done) => done,
        Err(OocError::Interrupted { .. }) => {
            match &args.out {
                Some(out) => eprintln!("hpcrs: interrupted; {} was not created", out.display()),
                None => eprintln!("hpcrs: interrupted"),
            }
            return Ok(ExitCode::from(130));
        }
        Err(OocError::Expr(e)) => {
            return Err(one_line(e)).with_context(|| format!("evaluating `{}`", args.text))
        }
        Err(e) => return Err(e.into()),
    };
    let secs = start.elapsed().as_secs_f64();
    if let Some(value) = done.value {
        outln!("result: {value}")?;
    }
    if !args.quiet {
        eprintln!("{}", summary(&args.text, &done, args.out.as_deref(), secs));
    }
    Ok(ExitCode::SUCCESS)
}

/// The line that says what was computed and how fast: the result's shape and type,
/// where it went, the bytes read and written, the time and the throughput.
fn summary(text: &str, done: &Evaluated, out: Option<&Path>, secs: f64) -> String {
    let to = match out {
        Some(p) => format!(" -> {} ({})", p.display(), human_bytes(done.bytes_written)),
        None => String::new(),
    };
    format!(
        "{text}: {:?} {}{to}; read {} in {secs:.3} s ({}/s)",
        done.shape,
        done.dtype,
        human_bytes(done.bytes_read),
        human_bytes((done.bytes_read as f64 / secs.max(1e-9)) as u64)
    )
}
