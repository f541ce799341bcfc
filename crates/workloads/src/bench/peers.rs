//! The peers hpcrs is timed against: the plain C programs of `scripts/c/`
//! (compiled here with `cc -O3 -march=native`, serial and with OpenMP when the
//! compiler has it) and the course's numpy script `scripts/diff2d_numpy.py`.
//!
//! The sources are built into the binary, so `hpcrs bench` works from any
//! directory; they are written to a temporary directory and compiled there.
//! Every peer prints one line of `key=value` results on stderr (the seconds
//! of its time loop, and its answer so that the bench can check it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The C diffusion loop (`scripts/c/diff2d.c`).
const DIFF2D_C: &str = include_str!("../../../../scripts/c/diff2d.c");
/// The C auc loop (`scripts/c/auc.c`).
const AUC_C: &str = include_str!("../../../../scripts/c/auc.c");
/// The course's numpy solver (`scripts/diff2d_numpy.py`).
const DIFF2D_NUMPY: &str = include_str!("../../../../scripts/diff2d_numpy.py");

/// The flags every C peer is compiled with.
pub const CFLAGS: [&str; 2] = ["-O3", "-march=native"];

/// A peer program ready to run.
#[derive(Debug, Clone)]
pub struct Program {
    /// What to run (the executable, or the interpreter).
    pub exe: PathBuf,
    /// Arguments before the problem's own (the script, for Python).
    pub prefix: Vec<String>,
}

/// The compiled C peers, or why there are none.
#[derive(Debug)]
pub struct CPeers {
    /// The compiler command (`$CC` or `cc`) and its version line.
    pub compiler: String,
    /// `diff2d` and `auc`, serial. `Err`: why they could not be built.
    pub serial: Result<(Program, Program), String>,
    /// `diff2d` and `auc` with OpenMP. `Err`: why not (no OpenMP...).
    pub openmp: Result<(Program, Program), String>,
}

/// Compiles the C peers into `dir` with compiler `cc`.
pub fn build_c(cc: &str, dir: &Path) -> CPeers {
    let version = Command::new(cc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        });
    let compiler = match &version {
        Some(v) if v.starts_with(cc) => v.clone(),
        Some(v) => format!("{cc} ({v})"),
        None => cc.to_string(),
    };
    if version.is_none() {
        let why = format!("no C compiler: `{cc} --version` failed (install gcc, or set $CC)");
        return CPeers {
            compiler,
            serial: Err(why.clone()),
            openmp: Err(why),
        };
    }
    let build = |openmp: bool| -> Result<(Program, Program), String> {
        let mut out = Vec::new();
        for (name, src) in [("diff2d", DIFF2D_C), ("auc", AUC_C)] {
            let source = dir.join(format!("{name}.c"));
            std::fs::write(&source, src)
                .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
            let exe = dir.join(format!("{name}_{}", if openmp { "omp" } else { "serial" }));
            let mut cmd = Command::new(cc);
            cmd.args(CFLAGS);
            if openmp {
                cmd.arg("-fopenmp");
            }
            cmd.arg("-o").arg(&exe).arg(&source).arg("-lm");
            let o = cmd.output().map_err(|e| format!("cannot run {cc}: {e}"))?;
            if !o.status.success() {
                let err = String::from_utf8_lossy(&o.stderr);
                let first = err.lines().next().unwrap_or("").trim().to_string();
                return Err(if openmp {
                    format!("no OpenMP: `{cc} -fopenmp` failed ({first})")
                } else {
                    format!("`{cc}` could not compile {name}.c ({first})")
                });
            }
            out.push(Program {
                exe,
                prefix: Vec::new(),
            });
        }
        let auc = out.pop().expect("two programs");
        let diff2d = out.pop().expect("two programs");
        Ok((diff2d, auc))
    };
    let serial = build(false);
    let openmp = match &serial {
        Ok(_) => build(true),
        Err(why) => Err(why.clone()),
    };
    CPeers {
        compiler,
        serial,
        openmp,
    }
}

/// The numpy peer, or why there is none; and `python, numpy` versions.
pub fn numpy_peer(python: &str, dir: &Path) -> Result<(Program, String), String> {
    let probe = Command::new(python)
        .args([
            "-c",
            "import sys, numpy; print('Python %d.%d.%d, numpy %s' % (sys.version_info[:3] + (numpy.__version__,)))",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("no numpy peer: cannot run `{python}` ({e}); set $PYTHON"))?;
    if !probe.status.success() {
        return Err(format!(
            "no numpy peer: `{python}` has no numpy (pip install numpy, or set $PYTHON to a venv's python)"
        ));
    }
    let script = dir.join("diff2d_numpy.py");
    std::fs::write(&script, DIFF2D_NUMPY)
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let versions = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    Ok((
        Program {
            exe: PathBuf::from(python),
            prefix: vec![script.display().to_string()],
        },
        versions,
    ))
}

/// Runs a peer with `args` and `env`, and returns the `key=value` pairs of
/// the last line of its stderr.
pub fn run(
    program: &Program,
    args: &[String],
    env: &[(&str, String)],
) -> Result<HashMap<String, String>, String> {
    let mut cmd = Command::new(&program.exe);
    cmd.args(&program.prefix).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.exe.display()))?;
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            program.exe.display(),
            o.status,
            err.trim()
        ));
    }
    let last = err.lines().last().unwrap_or("");
    let pairs: HashMap<String, String> = last
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !pairs.contains_key("seconds") {
        return Err(format!(
            "{} printed no `seconds=` line on stderr: {}",
            program.exe.display(),
            err.trim()
        ));
    }
    Ok(pairs)
}

/// Reads a number from a peer's results.
pub fn number(pairs: &HashMap<String, String>, key: &str) -> Result<f64, String> {
    pairs
        .get(key)
        .ok_or_else(|| format!("no `{key}=` in the peer's results"))?
        .parse()
        .map_err(|_| format!("`{key}={}` is not a number", pairs[key]))
}
