//! summer's processes mode, like `multiprocessing`: one worker process per
//! job, each answering its total through a pipe.
//!
//! The workers never outlive the run. On Linux each asks the kernel to kill
//! it when its parent dies (`PR_SET_PDEATHSIG`), so a run killed by a signal
//! (even while it is still starting workers) leaves none behind; and on any
//! error, or a panic, the workers already started are killed and reaped
//! before the error is returned. Each answer is checked against the closed
//! form, so a worker that prints a wrong total is an error naming it.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::summer::{check, expected_total, Mode, Run, SummerError};

/// The most a worker may print: a total is at most 20 digits, an error a
/// line or two.
const ANSWER_LIMIT: u64 = 64 * 1024;

/// Runs `jobs` sums of `0..n`, each in a worker process. `worker(start,
/// stop)` builds the command of one worker: it must print the total of
/// `start..stop` on stdout (see [`crate::summer::worker_main`]). All
/// workers are started before any is waited for, so they run at the same
/// time. Call it from a thread that outlives the run (the main thread, for
/// instance): on Linux the workers die with the thread that started them.
pub fn run_processes(
    jobs: usize,
    n: u64,
    worker: impl Fn(u64, u64) -> Command,
) -> Result<Run, SummerError> {
    check(Mode::Processes, jobs, n)?;
    let want = expected_total(n);
    let begin = Instant::now();
    let mut workers = Workers(Vec::with_capacity(jobs));
    for job in 0..jobs {
        workers.start(job, worker(0, n))?;
    }
    let mut totals = Vec::with_capacity(jobs);
    for (job, w) in workers.0.iter_mut().enumerate() {
        let total = w.answer().map_err(|why| SummerError::Worker { job, why })?;
        if total != want {
            return Err(SummerError::WrongTotal {
                job,
                n,
                total,
                want,
            });
        }
        totals.push(total);
    }
    Ok(Run {
        totals,
        elapsed: begin.elapsed(),
    })
}

/// One started worker.
struct Worker {
    child: Child,
    /// The read end of the pipe its stdout and stderr both write to.
    answer: std::io::PipeReader,
    /// Its command line, for messages.
    cmdline: String,
}

/// The workers of a run. Dropping it kills and reaps every worker that has
/// not answered yet, so that an error or a panic leaves none running.
struct Workers(Vec<Worker>);

impl Workers {
    /// Starts job `job`'s worker with `cmd`, its stdout and stderr on one
    /// pipe (one descriptor held here per worker).
    fn start(&mut self, job: usize, mut cmd: Command) -> Result<(), SummerError> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let spawn_error = |source| SummerError::Spawn {
            job,
            program: program.clone(),
            source,
        };
        let (answer, stdout) = std::io::pipe().map_err(spawn_error)?;
        let stderr = stdout.try_clone().map_err(spawn_error)?;
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(spawn_error)?;
        let cmdline = format!("{cmd:?}");
        // The pipe's write ends go with `cmd`: the worker holds the only
        // ones left, so reading ends when it exits.
        drop(cmd);
        self.0.push(Worker {
            child,
            answer,
            cmdline,
        });
        Ok(())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for w in &mut self.0 {
            // A worker already reaped is not signalled again (std keeps its
            // status), so this is a no-op for those that answered.
            let _ = w.child.kill();
            let _ = w.child.wait();
        }
    }
}

impl Worker {
    /// Reads the worker's answer, waits for it and parses its total.
    fn answer(&mut self) -> Result<u64, String> {
        let mut out = Vec::new();
        (&mut self.answer)
            .take(ANSWER_LIMIT + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: reading its answer: {e}", self.cmdline))?;
        if out.len() as u64 > ANSWER_LIMIT {
            return Err(format!(
                "{} printed more than {ANSWER_LIMIT} bytes",
                self.cmdline
            ));
        }
        let status = self
            .child
            .wait()
            .map_err(|e| format!("{}: waiting for it: {e}", self.cmdline))?;
        let text = one_line(&String::from_utf8_lossy(&out));
        if !status.success() {
            return Err(format!("{} exited with {status}: {text}", self.cmdline));
        }
        text.parse()
            .map_err(|_| format!("{} answered `{text}`, not a total", self.cmdline))
    }
}

/// `text`'s lines joined into one, for an error message.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" / ")
}

/// Makes the worker `cmd` starts die with the thread that starts it: the
/// kernel sends it SIGKILL when its parent dies (Linux; elsewhere nothing).
fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: getpid is always safe to call.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the closure runs in the forked child before exec and only
        // makes the async-signal-safe calls prctl, getppid and _exit; it
        // touches no memory shared with the parent.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died between the fork and the prctl: the
                // signal was never sent; leave now.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker that runs `script` in `sh`.
    fn sh(script: &str) -> impl Fn(u64, u64) -> Command + '_ {
        move |_, _| {
            let mut c = Command::new("sh");
            c.args(["-c", script]);
            c
        }
    }

    #[test]
    fn workers_answering_the_closed_form_are_collected_in_order() {
        let run = run_processes(3, 10, sh("echo 45")).unwrap();
        assert_eq!(run.totals, vec![45; 3]);
    }

    #[test]
    fn a_missing_worker_program_is_reported() {
        let err = run_processes(2, 10, |_, _| Command::new("/nonexistent/hpcrs-worker"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot start worker process 0"), "{err}");
    }

    #[test]
    fn a_worker_answering_nonsense_is_reported() {
        let err = run_processes(1, 10, sh("echo hello"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("answered `hello`"), "{err}");
    }

    #[test]
    fn a_worker_answering_a_wrong_total_is_reported_by_job() {
        let err = run_processes(2, 10, sh("echo 46")).unwrap_err().to_string();
        assert_eq!(
            err,
            "worker process 0 answered 46, but sum(range(0, 10)) is 45"
        );
    }

    #[test]
    fn a_failing_worker_is_one_line_with_its_messages() {
        let err = run_processes(1, 10, sh("echo first >&2; echo second >&2; exit 3"))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("exited with exit status: 3: first / second"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn a_worker_printing_too_much_is_stopped() {
        let err = run_processes(1, 10, sh("yes")).unwrap_err().to_string();
        assert!(err.ends_with("printed more than 65536 bytes"), "{err}");
    }

    #[test]
    fn on_an_error_the_other_workers_are_killed() {
        // Worker 0 fails at once; the others would sleep for a minute.
        let started = Instant::now();
        let calls = std::cell::Cell::new(0);
        let err = run_processes(4, 10, |_, _| {
            let mut c = Command::new("sh");
            let script = if calls.replace(calls.get() + 1) == 0 {
                "exit 1"
            } else {
                "exec sleep 60"
            };
            c.args(["-c", script]);
            c
        })
        .unwrap_err();
        assert!(
            err.to_string().starts_with("worker process 0 failed"),
            "{err}"
        );
        assert!(started.elapsed().as_secs() < 30);
    }
}
