//! The numpy peer: the course's `diff2d_numpy.py`, run by the interpreter
//! the caller names.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Program;

/// The course's numpy solver.
const DIFF2D_NUMPY: &str = include_str!("../../peers/diff2d_numpy.py");

/// The numpy peer written into `dir`, and the `Python x.y.z, numpy v`
/// versions line; or why there is none.
pub(crate) fn numpy_peer(python: &str, dir: &Path) -> Result<(Program, String), String> {
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
            env: Vec::new(),
        },
        versions,
    ))
}
