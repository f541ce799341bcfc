//! `hpcrs cluster`: the course's IPython Parallel examples end to end, and
//! the faults (a killed engine, a vanished controller, a wrong key,
//! concurrent clients, bad arguments). Every test has its own HOME, so its
//! cluster lives in a temporary profile directory, and stops it (or kills
//! what is left of it) when it ends.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{stderr, stdout, BIN};

/// A cluster in a temporary HOME, stopped when dropped.
struct Cluster {
    home: tempfile::TempDir,
}

impl Cluster {
    fn start(n: usize) -> Cluster {
        Cluster::start_with(n, &[])
    }

    /// `start -n N` with more options.
    fn start_with(n: usize, options: &[&str]) -> Cluster {
        let c = Cluster {
            home: tempfile::tempdir().unwrap(),
        };
        let n_text = n.to_string();
        let args = [&["start", "-n", n_text.as_str()], options].concat();
        let out = c.run(&args);
        assert!(out.status.success(), "start: {}", stderr(&out));
        assert!(
            stdout(&out).contains(&format!("{n} engines")),
            "{}",
            stdout(&out)
        );
        c
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("cluster").args(args).env("HOME", self.home.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs a client command that must succeed; its standard output, trimmed.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "hpcrs cluster {}: {}",
            args.join(" "),
            stderr(&out)
        );
        stdout(&out).trim().to_string()
    }

    fn dir(&self) -> PathBuf {
        self.home.path().join(".hpcrs/cluster/default")
    }

    /// The pids `start` recorded: the controller first, then the engines.
    fn pids(&self) -> Vec<u32> {
        std::fs::read_to_string(self.dir().join("pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.parse().ok())
            .collect()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pids = self.pids();
        let _ = self.run(&["stop"]);
        // Whatever a failed test left running: only this test's own daemons.
        for pid in pids {
            if alive(pid) {
                kill(pid);
            }
        }
    }
}

/// Whether `pid` is a running (not zombie) process.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, r)| r.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(_) => false,
    }
}

fn kill(pid: u32) {
    signal(pid, "-KILL");
}

fn signal(pid: u32, which: &str) {
    let status = Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_until(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn list(text: &str) -> Vec<i64> {
    text.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|x| x.trim().parse().unwrap())
        .collect()
}

fn wait_output(child: Child, within: Duration) -> Output {
    let start = Instant::now();
    let mut child = child;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("client still running after {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_course_examples_end_to_end() {
    let c = Cluster::start(4);
    let pids = c.pids();
    assert_eq!(pids.len(), 5);
    assert!(pids.iter().all(|&p| alive(p)));
    let meta = std::fs::metadata(c.dir().join("client.json")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    assert_eq!(c.ok(&["ids"]), "[0, 1, 2, 3]");
    assert_eq!(c.ok(&["apply", "--targets", "0", "minus", "5", "6"]), "-1");
    assert_eq!(c.ok(&["apply", "minus", "5", "6"]), "[-1, -1, -1, -1]");
    assert_eq!(
        c.ok(&["map", "--balanced", "minus", "11,10,9,8", "5,6,7,8"]),
        "[6, 4, 2, 0]"
    );
    assert_eq!(
        c.ok(&["map", "minus", "11,10,9,8", "5,6,7,8"]),
        "[6, 4, 2, 0]"
    );

    // One pid per engine, each one of the engine processes `start` ran.
    assert_eq!(c.ok(&["execute", "x = getpid()"]), "");
    let xs = list(&c.ok(&["pull", "x"]));
    let mut distinct = xs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{xs:?}");
    let mut engines: Vec<i64> = pids[1..].iter().map(|&p| i64::from(p)).collect();
    engines.sort();
    assert_eq!(distinct, engines);
    assert_eq!(c.ok(&["pull", "x", "--targets", "3"]), xs[3].to_string());
    let even = list(&c.ok(&["apply", "--targets", "::2", "getpid"]));
    assert_eq!(even, vec![xs[0], xs[2]]);

    c.ok(&["scatter", "a", "--arange", "16"]);
    assert_eq!(
        c.ok(&["pull", "a"]),
        "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]"
    );
    assert_eq!(
        c.ok(&["gather", "a"]),
        format!("{:?}", (0..16).collect::<Vec<_>>())
    );
    c.ok(&["execute", "c = a**2 + 1; s = sum(a)"]);
    assert_eq!(c.ok(&["pull", "s"]), "[6, 22, 38, 54]");
    assert_eq!(c.ok(&["pull", "c", "--targets", "0"]), "[1, 2, 5, 10]");
    let script = c.home.path().join("script.py");
    std::fs::write(&script, "# the course's run()\nd = a * 2\nm = sum(d)\n").unwrap();
    c.ok(&["run", script.to_str().unwrap(), "--targets", "0"]);
    assert_eq!(c.ok(&["pull", "m", "--targets", "0"]), "12");
    let out = c.run(&["run", "/no/such/script.py"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/no/such/script.py"),
        "{}",
        stderr(&out)
    );
    c.ok(&["push", "b=2.5", "--targets", "1:3"]);
    assert_eq!(c.ok(&["pull", "b", "--targets", "1:3"]), "[2.5, 2.5]");

    let out = c.run(&["stop"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("5 processes ended"),
        "{}",
        stdout(&out)
    );
    assert!(pids.iter().all(|&p| !alive(p)), "left running: {pids:?}");
    assert!(!c.dir().join("client.json").exists());
    assert!(!c.dir().join("pids").exists());
    // The logs stay, and say what happened.
    let log = std::fs::read_to_string(c.dir().join("controller.log")).unwrap();
    assert!(log.contains("engine 3 registered"), "{log}");
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn a_sweep_prints_one_row_per_run() {
    let c = Cluster::start(2);
    let out = c.ok(&[
        "sweep",
        "diff2d",
        "--set",
        "D=0.5,1,2,4",
        "--set",
        "runtime=0.5",
        "--set",
        "dx=0.5",
        "--balanced",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[0]
        .split_whitespace()
        .eq(["D", "runtime", "dx", "grid", "steps", "max", "seconds", "engine"]));
    // Steps scale with D (dt = dx^2 / 4D): 4 times as many at D=4 as at D=1.
    let steps: Vec<u64> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(steps[3], 4 * steps[1], "{out}");
    assert_eq!(steps[1], 2 * steps[0], "{out}");
    let auc = c.ok(&["sweep", "auc", "--set", "ntot=1000,2000"]);
    // The curve's exact area is 8.175; 1000 Riemann points come within 2e-3.
    let area: f64 = auc
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!((area - 8.175).abs() < 2e-3, "{auc}");
}

#[test]
fn a_killed_engine_fails_its_task_and_leaves_the_ids() {
    let c = Cluster::start(2);
    let pid0: u32 = c
        .ok(&["apply", "--targets", "0", "getpid"])
        .parse()
        .unwrap();
    let waiting = c.spawn(&["apply", "--targets", "0", "sleep", "60"]);
    // Time for the client to start and submit (it takes milliseconds).
    std::thread::sleep(Duration::from_millis(1000));
    kill(pid0);
    let out = wait_output(waiting, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("engine 0") && err.contains("died"), "{err}");
    wait_until("engine 0 to leave", Duration::from_secs(10), || {
        c.ok(&["ids"]) == "[1]"
    });
    assert_eq!(
        c.ok(&["map", "--balanced", "minus", "3,2", "1,1"]),
        "[2, 1]"
    );
    // Stopping still ends everything, the dead engine included.
    let pids = c.pids();
    assert!(c.run(&["stop"]).status.success());
    assert!(pids.iter().all(|&p| !alive(p)));
}

#[test]
fn a_load_balanced_task_is_retried_when_its_engine_dies() {
    let c = Cluster::start(2);
    let pid0: u32 = c
        .ok(&["apply", "--targets", "0", "getpid"])
        .parse()
        .unwrap();
    // The least loaded engine with the lowest id, engine 0, takes it.
    let waiting = c.spawn(&["apply", "--balanced", "sleep", "3"]);
    std::thread::sleep(Duration::from_millis(1000));
    kill(pid0);
    let out = wait_output(waiting, Duration::from_secs(20));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "3.0");
    let log = std::fs::read_to_string(c.dir().join("controller.log")).unwrap();
    assert!(log.contains("engine 0") && log.contains("left"), "{log}");
}

#[test]
fn a_vanished_controller_is_a_clear_error_not_a_hang() {
    let c = Cluster::start(1);
    let pids = c.pids();
    // The engine is busy for 5 s; the client must not wait for it.
    let waiting = c.spawn(&["apply", "sleep", "5"]);
    std::thread::sleep(Duration::from_millis(1000));
    kill(pids[0]);
    let killed = Instant::now();
    let out = wait_output(waiting, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("controller"), "{}", stderr(&out));

    let t = Instant::now();
    let out = c.run(&["ids"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("is not answering") && err.contains("cannot connect"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(15));
    // The engine notices at once, in the middle of its task, and exits.
    wait_until("the engine to exit", Duration::from_secs(20), || {
        !alive(pids[1])
    });
    assert!(
        killed.elapsed() < Duration::from_secs(4),
        "{:?}",
        killed.elapsed()
    );
    let log = std::fs::read_to_string(c.dir().join("engine-0.log")).unwrap();
    assert!(
        log.contains("the controller is lost during a task"),
        "{log}"
    );
    assert!(c.run(&["stop"]).status.success());
}

/// Pings every 0.2 s, a peer dead after 1.5 s of silence.
const QUICK_HEARTBEAT: [&str; 4] = ["--heartbeat", "0.2", "--heartbeat-timeout", "1.5"];

#[test]
fn a_stopped_engine_is_declared_dead_its_task_retried_and_it_leaves_when_continued() {
    let c = Cluster::start_with(2, &QUICK_HEARTBEAT);
    let pid0: u32 = c
        .ok(&["apply", "--targets", "0", "getpid"])
        .parse()
        .unwrap();
    // The least loaded engine with the lowest id, engine 0, takes it.
    let waiting = c.spawn(&["apply", "--balanced", "sleep", "3"]);
    std::thread::sleep(Duration::from_millis(800));
    signal(pid0, "-STOP");
    let stopped = Instant::now();
    wait_until(
        "engine 0 to be declared dead",
        Duration::from_secs(10),
        || c.ok(&["ids"]) == "[1]",
    );
    let noticed = stopped.elapsed();
    assert!(noticed >= Duration::from_millis(1200), "{noticed:?}");
    let out = wait_output(waiting, Duration::from_secs(20));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "3.0");
    let log = std::fs::read_to_string(c.dir().join("controller.log")).unwrap();
    assert!(
        log.contains("engine 0") && log.contains("missed its heartbeats"),
        "{log}"
    );
    // Continued, the engine finds its connection closed and leaves; the
    // cluster goes on without it.
    signal(pid0, "-CONT");
    wait_until("engine 0 to exit", Duration::from_secs(10), || !alive(pid0));
    assert_eq!(c.ok(&["ids"]), "[1]");
    assert_eq!(
        c.ok(&["map", "--balanced", "minus", "3,2", "1,1"]),
        "[2, 1]"
    );
}

#[test]
fn an_engine_leaves_a_stopped_controller_during_a_long_task() {
    let c = Cluster::start_with(1, &QUICK_HEARTBEAT);
    let pids = c.pids();
    let waiting = c.spawn(&["apply", "sleep", "30"]);
    std::thread::sleep(Duration::from_millis(1000));
    signal(pids[0], "-STOP");
    let stopped = Instant::now();
    wait_until("the engine to exit", Duration::from_secs(15), || {
        !alive(pids[1])
    });
    let left = stopped.elapsed();
    signal(pids[0], "-CONT");
    assert!(left < Duration::from_secs(6), "{left:?}");
    let log = std::fs::read_to_string(c.dir().join("engine-0.log")).unwrap();
    assert!(
        log.contains("the controller is lost during a task") && log.contains("heartbeat"),
        "{log}"
    );
    // Continued, the controller sees the engine gone and fails its task.
    let out = wait_output(waiting, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("died"), "{}", stderr(&out));
}

#[test]
fn a_client_with_the_wrong_key_is_refused_and_logged() {
    let c = Cluster::start(1);
    let good = std::fs::read_to_string(c.dir().join("client.json")).unwrap();
    let key_at = good.find("\"key\"").unwrap();
    let mut bad = good.clone();
    // Flip one hex digit of the key.
    let digit = key_at + good[key_at..].find(": \"").unwrap() + 3;
    let flipped = if &good[digit..=digit] == "0" {
        "1"
    } else {
        "0"
    };
    bad.replace_range(digit..=digit, flipped);
    let bad_file = c.home.path().join("bad.json");
    std::fs::write(&bad_file, bad).unwrap();
    let out = c.run(&["ids", "--connection", bad_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("wrong key"), "{}", stderr(&out));
    let log = std::fs::read_to_string(c.dir().join("controller.log")).unwrap();
    assert!(
        log.contains("refused connection") && log.contains("bad signature"),
        "{log}"
    );
    // The cluster is unharmed.
    assert_eq!(c.ok(&["ids"]), "[0]");
}

#[test]
fn concurrent_clients_each_get_their_own_results() {
    let c = Cluster::start(2);
    let clients: Vec<(i64, Child)> = (0..4)
        .map(|k| {
            let xs: Vec<String> = (0..50).map(|i| (i * k).to_string()).collect();
            let ys = vec!["1".to_string(); 50];
            (
                k,
                c.spawn(&["map", "--balanced", "minus", &xs.join(","), &ys.join(",")]),
            )
        })
        .collect();
    for (k, child) in clients {
        let out = wait_output(child, Duration::from_secs(60));
        assert!(out.status.success(), "{}", stderr(&out));
        let want: Vec<i64> = (0..50).map(|i| i * k - 1).collect();
        assert_eq!(list(stdout(&out).trim()), want);
    }
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let c = Cluster {
        home: tempfile::tempdir().unwrap(),
    };
    let out = c.run(&["ids"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is a cluster running"),
        "{}",
        stderr(&out)
    );
    let out = c.run(&["stop"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no cluster is running"),
        "{}",
        stderr(&out)
    );
    let out = c.run(&["start", "-n", "0"]);
    assert_eq!(out.status.code(), Some(1));
    let out = c.run(&["start", "--profile", "../x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("profile"), "{}", stderr(&out));
    for bad in ["0", "nan", "inf", "1e9", "x"] {
        let out = c.run(&["start", "--heartbeat", bad]);
        assert_eq!(out.status.code(), Some(2), "--heartbeat {bad}");
        assert!(stderr(&out).contains("seconds above 0"), "{}", stderr(&out));
    }
    let out = c.run(&["start", "--heartbeat", "2", "--heartbeat-timeout", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--heartbeat-timeout 1: give more than --heartbeat"),
        "{}",
        stderr(&out)
    );
    assert!(!c.dir().join("pids").exists());
    let out = c.run(&["apply", "--targets", "1:2:0", "minus", "1", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("step cannot be zero"),
        "{}",
        stderr(&out)
    );

    let c = Cluster::start(2);
    for (args, says) in [
        (&["apply", "--targets", "7", "getpid"][..], "no engine 7"),
        (&["apply", "nosuch"][..], "no function `nosuch`"),
        (&["apply", "minus", "1"][..], "takes 2 arguments"),
        (&["map", "minus", "1,2", "1,2,3"][..], "different lengths"),
        (
            &["map", "minus", "1,2", "1"][..],
            "cannot iterate over a int",
        ),
        (&["pull", "nothere"][..], "`nothere` is not defined"),
        (&["push", "1x=3"][..], "not a name"),
        (&["execute", "y = q + 1"][..], "`q` is not defined"),
        (&["scatter", "a", "--values", "x,y"][..], "list of numbers"),
        (&["sweep", "auc", "--set", "D=1"][..], "only ntot"),
    ] {
        let out = c.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A second start on the same profile is refused while the first runs.
    let out = c.run(&["start", "-n", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already running"), "{}", stderr(&out));
}

/// Engines started by `mpirun` join a running cluster, one per rank, and
/// reduce across the ranks inside a task.
#[cfg(feature = "mpi")]
#[test]
fn mpi_engines_join_and_reduce_across_ranks() {
    let c = Cluster::start(1);
    let mut ranks = Command::new("timeout")
        .args([
            "120", "mpirun", "-np", "2", BIN, "cluster", "engines", "--mpi",
        ])
        .env("HOME", c.home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        "the MPI engines to register",
        Duration::from_secs(60),
        || c.ok(&["ids"]) == "[0, 1, 2]",
    );
    let mut r = list(&c.ok(&["apply", "--targets", "1:3", "rank"]));
    r.sort();
    assert_eq!(r, vec![0, 1]);
    assert_eq!(
        c.ok(&["apply", "--targets", "1:3", "allreduce", "2.5"]),
        "[5.0, 5.0]"
    );
    // The engine `start` ran has no communicator, and says so.
    let out = c.run(&["apply", "--targets", "0", "allreduce", "1"]);
    assert!(stderr(&out).contains("no communicator"), "{}", stderr(&out));
    assert!(c.run(&["stop"]).status.success());
    let status = ranks.wait().unwrap();
    assert!(status.success(), "mpirun: {status}");
}

#[test]
fn bench_scatter_round_trips_through_the_local_and_the_data_ports() {
    let c = Cluster::start(2);
    for extra in [&[][..], &["--tcp"][..]] {
        let args = [&["bench", "scatter", "-n", "2"][..], extra].concat();
        let out = c.ok(&args);
        assert!(out.starts_with("scatter+gather: 2 MB in "), "{out}");
    }
}
