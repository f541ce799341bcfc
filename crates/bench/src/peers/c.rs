//! The C peers: `peers/diff2d.c` and `peers/auc.c` (with the `peers/clock.h`
//! they include), compiled serial and with OpenMP.

use std::path::{Path, PathBuf};
use std::process::Command;

use runtime::pool::Threads;

use super::{openmp_env, Program};

/// The C diffusion loop.
const DIFF2D_C: &str = include_str!("../../peers/diff2d.c");
/// The C auc loop.
const AUC_C: &str = include_str!("../../peers/auc.c");
/// The clock both C peers time their loops with.
const CLOCK_H: &str = include_str!("../../peers/clock.h");

/// The flags every C peer is compiled with.
pub(crate) const CFLAGS: [&str; 2] = ["-O3", "-march=native"];

/// The two C programs of one variant (serial or OpenMP).
#[derive(Debug, Clone)]
pub(crate) struct CPrograms {
    /// The diffusion solver.
    pub diff2d: Program,
    /// The area under the curve.
    pub auc: Program,
}

/// The compiled C peers, or why there are none.
#[derive(Debug)]
pub(crate) struct CPeers {
    /// The compiler command and its version line.
    pub compiler: String,
    /// The serial programs, or why they could not be built.
    pub serial: Result<CPrograms, String>,
    /// The OpenMP programs, or why not (no OpenMP...).
    pub openmp: Result<CPrograms, String>,
}

impl CPeers {
    /// Compiles the C peers into `dir` with the compiler `cc`; the OpenMP
    /// ones run on `threads` threads.
    pub(crate) fn build(cc: &str, dir: &Path, threads: Threads) -> CPeers {
        let version = version_line(cc);
        let compiler = match &version {
            Some(v) if v.starts_with(cc) => v.clone(),
            Some(v) => format!("{cc} ({v})"),
            None => cc.to_string(),
        };
        let serial = version
            .ok_or_else(|| {
                format!("no C compiler: `{cc} --version` failed (install gcc, or set $CC)")
            })
            .and_then(|_| write_source(dir, "clock.h", CLOCK_H))
            .and_then(|_| build_variant(cc, dir, false, Vec::new()));
        let openmp = match &serial {
            Ok(_) => build_variant(cc, dir, true, openmp_env(threads)),
            Err(why) => Err(why.clone()),
        };
        CPeers {
            compiler,
            serial,
            openmp,
        }
    }
}

/// Writes a peer's source file `name` into `dir`.
fn write_source(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The first line of `cc --version`, if it runs.
fn version_line(cc: &str) -> Option<String> {
    Command::new(cc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
}

/// Compiles both programs, with `-fopenmp` when `openmp`; they run with `env`.
fn build_variant(
    cc: &str,
    dir: &Path,
    openmp: bool,
    env: Vec<(String, String)>,
) -> Result<CPrograms, String> {
    let compile = |name: &str, src: &str| -> Result<Program, String> {
        let source = write_source(dir, &format!("{name}.c"), src)?;
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
        Ok(Program {
            exe,
            prefix: Vec::new(),
            env: env.clone(),
        })
    };
    Ok(CPrograms {
        diff2d: compile("diff2d", DIFF2D_C)?,
        auc: compile("auc", AUC_C)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cc` is also Rust's linker on this platform, so it is there.
    #[test]
    fn the_c_peers_compile_and_answer() {
        let dir = tempfile::tempdir().unwrap();
        let c = CPeers::build("cc", dir.path(), Threads::Exactly(2));
        let serial = c.serial.expect("cc compiles the serial peers");
        let r = serial.auc.run(&["1000".to_string()]).unwrap();
        let area = r.number("area").unwrap();
        assert!((area - 8.175).abs() < 0.02, "{area}");
        assert!(r.number("seconds").unwrap() >= 0.0);
        if let Ok(openmp) = c.openmp {
            assert_eq!(openmp.auc.env, [("OMP_NUM_THREADS".into(), "2".into())]);
        }
    }
}
