//! Running a peer program and reading the `key=value` results it prints on
//! the last line of its stderr.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A peer program ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    /// What to run (the executable, or the interpreter).
    pub exe: PathBuf,
    /// Arguments before the problem's own (the script, for Python).
    pub prefix: Vec<String>,
    /// Environment variables to set (OpenMP's thread count).
    pub env: Vec<(String, String)>,
}

/// The `key=value` results of one run of a peer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Results(HashMap<String, String>);

impl Program {
    /// Runs the program with the problem's `args` and returns its results,
    /// which always hold `seconds`.
    #[cfg(test)]
    pub(crate) fn run(&self, args: &[String]) -> Result<Results, String> {
        self.run_timed(args).map(|(results, _)| results)
    }

    /// [`Program::run`], and the wall seconds of the whole process, from
    /// its start to its exit.
    pub(crate) fn run_timed(&self, args: &[String]) -> Result<(Results, f64), String> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(&self.prefix).args(args);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        let start = Instant::now();
        let o = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.exe.display()))?;
        let wall = start.elapsed().as_secs_f64();
        let err = String::from_utf8_lossy(&o.stderr);
        if !o.status.success() {
            return Err(format!(
                "{} failed ({}): {}",
                self.exe.display(),
                o.status,
                err.trim()
            ));
        }
        let results = Results::parse(err.lines().last().unwrap_or(""));
        if !results.0.contains_key("seconds") {
            return Err(format!(
                "{} printed no `seconds=` line on stderr: {}",
                self.exe.display(),
                err.trim()
            ));
        }
        Ok((results, wall))
    }
}

impl Results {
    /// The pairs of one line of `key=value` words.
    fn parse(line: &str) -> Results {
        Results(
            line.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The number under `key`.
    pub(crate) fn number(&self, key: &str) -> Result<f64, String> {
        let v = self
            .0
            .get(key)
            .ok_or_else(|| format!("no `{key}=` in the peer's results"))?;
        v.parse()
            .map_err(|_| format!("`{key}={v}` is not a number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_read_from_the_last_line() {
        let r = Results::parse("seconds=0.25 sum=12.5 grid=10x10");
        assert_eq!(r.number("seconds"), Ok(0.25));
        assert_eq!(r.number("grid"), Err("`grid=10x10` is not a number".into()));
        assert_eq!(
            r.number("max"),
            Err("no `max=` in the peer's results".into())
        );
    }

    #[test]
    fn a_peer_without_results_is_an_error() {
        let p = Program {
            exe: "sh".into(),
            prefix: vec!["-c".into()],
            env: vec![("HPCRS_PEER_TEST".into(), "7".into())],
        };
        let r = p
            .run(&["echo seconds=1 n=$HPCRS_PEER_TEST >&2".into()])
            .unwrap();
        assert_eq!(r.number("n"), Ok(7.0));
        let err = p.run(&["echo hello >&2".into()]).unwrap_err();
        assert!(err.contains("printed no `seconds=` line"), "{err}");
    }
}
