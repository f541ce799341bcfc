//! `pipe`: each partition's elements written, one per line, to the standard
//! input of an external command, whose standard output lines are the
//! partition of the result.
//!
//! A writer thread feeds the command while the task reads its output, so a
//! command that writes before it has read everything (`cat` on a large
//! partition) cannot deadlock; another thread collects its standard error
//! for the error message. The exit status is checked when the output ends.

use std::fmt::Display;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::dataset::Dataset;
use crate::error::{DatasetError, Result};
use crate::lineage::{Lineage, Node, NodeInfo, OneToOne, PartitionIter};
use crate::task::TaskContext;
use crate::Data;

/// Bytes of the command's standard error kept for the error message.
const STDERR_KEPT: usize = 4096;

/// The parent's partitions piped through a command.
pub(crate) struct PipeNode<T> {
    info: NodeInfo,
    parent: Dataset<T>,
    /// The command line as the user gave it, for errors.
    command: String,
    /// The program and its arguments.
    argv: Arc<Vec<String>>,
}

impl<T: Data + Display> PipeNode<T> {
    pub(crate) fn new(
        info: NodeInfo,
        parent: Dataset<T>,
        command: String,
        argv: Vec<String>,
    ) -> Self {
        PipeNode {
            info,
            parent,
            command,
            argv: Arc::new(argv),
        }
    }

    fn error(&self, reason: impl Into<String>) -> DatasetError {
        DatasetError::Pipe {
            command: self.command.clone(),
            reason: reason.into(),
        }
    }
}

impl<T: Data + Display> OneToOne for PipeNode<T> {
    fn info(&self) -> &NodeInfo {
        &self.info
    }
    fn parent(&self) -> &Arc<dyn Lineage> {
        &self.parent.lineage
    }
}

impl<T: Data + Display> Node<String> for PipeNode<T> {
    fn compute(&self, partition: usize, tc: &TaskContext) -> Result<PartitionIter<String>> {
        let input = self.parent.node.compute(partition, tc)?;
        let mut child = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.error(format!("cannot start {}: {e}", self.argv[0])))?;
        let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(self.error("its standard streams could not be opened"));
        };
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(&mut stdin);
            for x in input {
                // A command that stops reading early (`head`) is not an error.
                match writeln!(out, "{x}") {
                    Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(()),
                    other => other?,
                }
            }
            match out.flush() {
                Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
                other => other,
            }
        });
        let errors = std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > STDERR_KEPT {
                    kept.drain(..kept.len() - STDERR_KEPT);
                }
            }
            String::from_utf8_lossy(&kept).trim().to_string()
        });
        Ok(Box::new(Piped {
            lines: Some(BufReader::new(stdout)),
            child: Some(Running {
                child,
                writer,
                errors,
            }),
            command: self.command.clone(),
            tc: tc.clone(),
        }))
    }
}

/// The command and the threads that serve it.
struct Running {
    child: Child,
    writer: JoinHandle<std::io::Result<()>>,
    errors: JoinHandle<String>,
}

/// The command's output lines; at their end, its exit status is checked.
struct Piped {
    lines: Option<BufReader<ChildStdout>>,
    child: Option<Running>,
    command: String,
    tc: TaskContext,
}

impl Piped {
    /// Waits for the command and the threads; a failure is recorded in the
    /// task context, naming the command.
    fn finish(&mut self, killed: bool) {
        self.lines = None;
        let Some(mut run) = self.child.take() else {
            return;
        };
        if killed {
            let _ = run.child.kill();
        }
        let status = run.child.wait();
        let written = run.writer.join();
        let stderr = run.errors.join().unwrap_or_default();
        if killed {
            return;
        }
        let fail = |reason: String| {
            self.tc.fail(DatasetError::Pipe {
                command: self.command.clone(),
                reason,
            })
        };
        match status {
            Err(e) => fail(format!("waiting for it failed: {e}")),
            Ok(s) if !s.success() => {
                let what = match s.code() {
                    Some(code) => format!("exited with status {code}"),
                    None => format!("was stopped ({s})"),
                };
                if stderr.is_empty() {
                    fail(what)
                } else {
                    fail(format!("{what}: {stderr}"))
                }
            }
            Ok(_) => match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => fail(format!("writing its input failed: {e}")),
                Err(_) => fail("producing its input panicked".into()),
            },
        }
    }
}

impl Iterator for Piped {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        let lines = self.lines.as_mut()?;
        let mut line = Vec::new();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) => {
                self.finish(false);
                None
            }
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Some(match String::from_utf8(line) {
                    Ok(s) => s,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                })
            }
            Err(e) => {
                self.tc.fail(DatasetError::Pipe {
                    command: self.command.clone(),
                    reason: format!("reading its output failed: {e}"),
                });
                self.finish(true);
                None
            }
        }
    }
}

impl Drop for Piped {
    /// A partition abandoned before its end (`take`) stops the command.
    fn drop(&mut self) {
        self.finish(true);
    }
}
