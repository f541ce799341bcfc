//! The processes of a cluster: `start` launches the controller and the
//! engines as daemons (new sessions, output to the profile's logs, this
//! program re-run with hidden subcommands), `stop` ends them and checks
//! that none is left, `engines` runs engines in the foreground, and the
//! hidden `controller` and `engine` subcommands are the daemons.

use std::fs::File;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use cluster::engine::{EngineOptions, Stopped};
use cluster::wire::Heartbeat;
use cluster::{
    Client, ClientOptions, ConnectionInfo, Controller, ControllerOptions, Key, ProfileDir,
};

use super::{profile_dir, Connect};
use crate::output::{noteln, outln};

/// Most engines one `start` runs.
const MAX_ENGINES: usize = 256;
/// How long `start` waits for the controller and the engines.
const START_WAIT: Duration = Duration::from_secs(60);
/// How long `stop` waits for the processes to exit before killing them.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// Arguments of `cluster start`.
#[derive(clap::Args)]
pub struct StartArgs {
    /// Engines to start (default: one per core).
    #[arg(short, long, value_parser = crate::args::count::<usize>)]
    n: Option<usize>,
    /// The profile (a directory under ~/.hpcrs/cluster).
    #[arg(long, default_value = "default")]
    profile: String,
    /// Address the controller listens on (127.0.0.1: this host only; 0.0.0.0: every interface).
    #[arg(long, default_value = "127.0.0.1")]
    ip: String,
    /// Port the controller listens on (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[command(flatten)]
    heartbeat: HeartbeatArgs,
}

/// How the controller and the engines watch each other.
#[derive(clap::Args, Clone, Copy)]
pub struct HeartbeatArgs {
    /// Seconds between the controller's pings to each engine.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0, value_parser = seconds)]
    heartbeat: f64,
    /// Seconds of silence after which an engine is declared dead (its tasks failed or
    /// retried) and an engine gives up its controller (more than --heartbeat).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = seconds)]
    heartbeat_timeout: f64,
}

impl HeartbeatArgs {
    fn heartbeat(self) -> anyhow::Result<Heartbeat> {
        if self.heartbeat_timeout <= self.heartbeat {
            bail!(
                "--heartbeat-timeout {}: give more than --heartbeat ({})",
                self.heartbeat_timeout,
                self.heartbeat
            );
        }
        Ok(Heartbeat {
            period: Duration::from_secs_f64(self.heartbeat),
            timeout: Duration::from_secs_f64(self.heartbeat_timeout),
        })
    }
}

/// A number of seconds for a heartbeat: above 0, at most a day.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!(
            "give a number of seconds above 0, at most 86400, not `{text}`"
        )),
    }
}

/// Arguments of `cluster engines`.
#[derive(clap::Args)]
pub struct EnginesArgs {
    /// Engines to run (ignored with --mpi: one per rank).
    #[arg(short, long, default_value_t = 1, value_parser = crate::args::count::<usize>)]
    n: usize,
    /// Run one engine per MPI rank (under `mpirun -np N hpcrs cluster engines --mpi`).
    #[arg(long)]
    pub(super) mpi: bool,
    #[command(flatten)]
    connect: Connect,
}

/// Arguments of the hidden `cluster controller`.
#[derive(clap::Args)]
pub struct ControllerArgs {
    /// The profile directory (connection file and logs).
    #[arg(long)]
    profile_dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1")]
    ip: String,
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[command(flatten)]
    heartbeat: HeartbeatArgs,
}

/// Arguments of the hidden `cluster engine`.
#[derive(clap::Args)]
pub struct EngineArgs {
    /// The connection file.
    #[arg(long)]
    connection: PathBuf,
    /// Register with this MPI rank and size.
    #[arg(long, num_args = 2, value_names = ["RANK", "SIZE"])]
    mpi: Option<Vec<u32>>,
}

/// A line of a log, with the time and the process.
fn log_line(text: &str) {
    let t = cluster::engine::now();
    noteln!("[{t:.3} pid {}] {text}", std::process::id());
}

/// Starts `hpcrs cluster ARGS...` in a new session, output to `log`.
fn spawn_daemon(args: &[&str], log: &Path) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("cannot find the hpcrs program to re-run")?;
    let out = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let err = out
        .try_clone()
        .with_context(|| format!("cannot open {}", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("cluster")
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // SAFETY: setsid is async-signal-safe and touches no memory of the
    // parent; it detaches the daemon from the terminal's session, so that
    // closing the terminal (or a Ctrl-C to `start`) does not reach it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
        .with_context(|| format!("cannot start `hpcrs cluster {}`", args.join(" ")))
}

/// The last line of a log, to say why a daemon died.
fn last_line(log: &Path) -> String {
    std::fs::read_to_string(log)
        .ok()
        .and_then(|t| {
            t.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "no output".into())
}

fn write_pids(p: &ProfileDir, pids: &[u32]) -> anyhow::Result<()> {
    let text: String = pids.iter().map(|p| format!("{p}\n")).collect();
    runtime::atomic::write_atomically(p.pid_file(), |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

fn read_pids(p: &ProfileDir) -> Vec<u32> {
    std::fs::read_to_string(p.pid_file())
        .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// Whether `pid` is a live (not zombie) process of this program's cluster.
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, r)| r.trim_start().chars().next());
    if matches!(state, Some('Z' | 'X') | None) {
        return false;
    }
    // A recycled pid belongs to some other program: leave it alone.
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            let args: Vec<&[u8]> = c.split(|&b| b == 0).collect();
            args.iter().any(|a| *a == b"cluster")
                && args.iter().any(|a| *a == b"controller" || *a == b"engine")
        })
        .unwrap_or(false)
}

/// Kills `pids` that are still alive with `signal`.
fn signal_all(pids: &[u32], signal: i32) {
    for &pid in pids {
        if alive(pid) {
            let Ok(p) = i32::try_from(pid) else { continue };
            // SAFETY: kill has no memory effects; `p` is one of our daemons
            // (checked by `alive`).
            unsafe {
                libc::kill(p, signal);
            }
        }
    }
}

fn wait_gone(pids: &[u32], within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if !pids.iter().any(|&p| alive(p)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn try_client(info: &ConnectionInfo) -> Option<Client> {
    let opts = ClientOptions {
        timeout: Duration::from_secs(3),
        ..ClientOptions::default()
    };
    Client::connect(info, &opts).ok()
}

pub fn start(a: StartArgs) -> anyhow::Result<ExitCode> {
    let n =
        a.n.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    if n == 0 || n > MAX_ENGINES {
        bail!("-n {n}: start 1 to {MAX_ENGINES} engines");
    }
    a.heartbeat.heartbeat()?;
    let p = profile_dir(&a.profile)?;
    p.create()?;
    let file = p.connection_file();
    if let Ok(info) = ConnectionInfo::read(&file) {
        if try_client(&info).is_some() {
            bail!(
                "a cluster is already running for profile `{}` (at {}): `hpcrs cluster stop --profile {}` first",
                a.profile,
                info.endpoint(),
                a.profile
            );
        }
        // A stale file of a cluster that died: start afresh.
        let _ = std::fs::remove_file(&file);
    }
    let mut pids = Vec::with_capacity(n + 1);
    let dir = p.dir().to_string_lossy().into_owned();
    let port = a.port.to_string();
    let log = p.controller_log();
    let (period, timeout) = (
        a.heartbeat.heartbeat.to_string(),
        a.heartbeat.heartbeat_timeout.to_string(),
    );
    let mut controller = spawn_daemon(
        &[
            "controller",
            "--profile-dir",
            &dir,
            "--ip",
            &a.ip,
            "--port",
            &port,
            "--heartbeat",
            &period,
            "--heartbeat-timeout",
            &timeout,
        ],
        &log,
    )?;
    pids.push(controller.id());
    write_pids(&p, &pids)?;
    let cleanup = |pids: &[u32]| {
        signal_all(pids, libc::SIGKILL);
        let _ = std::fs::remove_file(p.pid_file());
        let _ = std::fs::remove_file(p.connection_file());
    };
    let deadline = Instant::now() + START_WAIT;
    let info = loop {
        if let Ok(info) = ConnectionInfo::read(&file) {
            break info;
        }
        if let Ok(Some(status)) = controller.try_wait() {
            cleanup(&pids);
            bail!("the controller exited ({status}): {}", last_line(&log));
        }
        if Instant::now() >= deadline {
            cleanup(&pids);
            bail!(
                "the controller did not start within {START_WAIT:?}: {}",
                last_line(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let file_arg = file.to_string_lossy().into_owned();
    let mut engines = Vec::with_capacity(n);
    for k in 0..n {
        match spawn_daemon(&["engine", "--connection", &file_arg], &p.engine_log(k)) {
            Ok(c) => {
                pids.push(c.id());
                engines.push(c);
            }
            Err(e) => {
                cleanup(&pids);
                return Err(e);
            }
        }
    }
    write_pids(&p, &pids)?;
    let client = match Client::connect(&info, &ClientOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            cleanup(&pids);
            return Err(e.into());
        }
    };
    let ids = loop {
        let ids = client.ids()?;
        if ids.len() >= n {
            break ids;
        }
        for (k, e) in engines.iter_mut().enumerate() {
            if let Ok(Some(status)) = e.try_wait() {
                drop(client);
                cleanup(&pids);
                bail!(
                    "engine {k} exited ({status}): {}",
                    last_line(&p.engine_log(k))
                );
            }
        }
        if Instant::now() >= deadline {
            drop(client);
            cleanup(&pids);
            bail!(
                "only {} of {n} engines registered within {START_WAIT:?}",
                ids.len()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    outln!(
        "cluster `{}` started: controller at {} (pid {}), {n} engines [{}]; logs in {}",
        a.profile,
        info.endpoint(),
        pids[0],
        ids.join(", "),
        p.dir().display()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn stop(profile: &str) -> anyhow::Result<ExitCode> {
    let p = profile_dir(profile)?;
    let pids = read_pids(&p);
    let file = p.connection_file();
    let info = ConnectionInfo::read(&file).ok();
    if info.is_none() && !pids.iter().any(|&pid| alive(pid)) {
        let _ = std::fs::remove_file(p.pid_file());
        bail!(
            "no cluster is running for profile `{profile}` ({} not found)",
            file.display()
        );
    }
    let mut asked = false;
    if let Some(client) = info.as_ref().and_then(try_client) {
        asked = client.shutdown().is_ok();
    }
    let mut killed = 0;
    if !wait_gone(&pids, if asked { STOP_WAIT } else { Duration::ZERO }) {
        killed = pids.iter().filter(|&&pid| alive(pid)).count();
        signal_all(&pids, libc::SIGTERM);
        if !wait_gone(&pids, Duration::from_secs(2)) {
            signal_all(&pids, libc::SIGKILL);
            wait_gone(&pids, Duration::from_secs(5));
        }
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(p.pid_file());
    let left: Vec<u32> = pids.iter().copied().filter(|&pid| alive(pid)).collect();
    if !left.is_empty() {
        bail!("processes {left:?} of profile `{profile}` are still running");
    }
    let how = if killed > 0 {
        format!(" ({killed} had to be killed)")
    } else {
        String::new()
    };
    outln!(
        "cluster `{profile}` stopped: {} processes ended{how}",
        pids.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn controller(a: ControllerArgs) -> anyhow::Result<ExitCode> {
    let key = Key::generate()?;
    let mut opts = ControllerOptions::new(key);
    opts.ip = a.ip;
    opts.port = a.port;
    opts.heartbeat = a.heartbeat.heartbeat()?;
    let out = Arc::new(Mutex::new(()));
    opts.log = Arc::new(move |line: &str| {
        let _g = out.lock();
        log_line(line);
    });
    let c = Controller::bind(opts)?;
    let file = a.profile_dir.join("client.json");
    let mut info = c.info().clone();
    // Listening on every interface: engines on other hosts need a name that
    // reaches this one (ipyparallel's `location`), if this host can resolve it.
    if info.address == "0.0.0.0" || info.address == "::" {
        if let Some(host) = crate::machine::host_name() {
            use std::net::ToSocketAddrs;
            if (host.as_str(), info.port).to_socket_addrs().is_ok() {
                info.address = host;
            }
        }
    }
    info.write(&file)?;
    let result = c.serve();
    let _ = std::fs::remove_file(&file);
    result?;
    Ok(ExitCode::SUCCESS)
}

fn engine_options(info: ConnectionInfo, mpi: Option<(u32, u32)>) -> EngineOptions {
    EngineOptions {
        connection: info,
        host: crate::machine::host_name().unwrap_or_else(|| "unknown".into()),
        mpi,
        timeout: Duration::from_secs(10),
        limits: Default::default(),
        data_port: true,
        on_controller_lost: Some(controller_lost),
    }
}

/// An engine process whose controller is lost in the middle of a task
/// ends at once (the task's result could reach no one).
fn controller_lost(why: &str) {
    log_line(&format!(
        "the controller is lost during a task ({why}): exiting"
    ));
    std::process::exit(1);
}

pub fn engine(a: EngineArgs) -> anyhow::Result<ExitCode> {
    let info = ConnectionInfo::read(&a.connection)?;
    let mpi = a.mpi.map(|v| (v[0], v[1]));
    let opts = engine_options(info, mpi);
    match cluster::engine::run(&opts, |id| log_line(&format!("registered as engine {id}")))? {
        Stopped::Asked => log_line("stopped by the controller"),
        Stopped::ControllerGone(why) => log_line(&format!("the controller went away: {why}")),
    }
    Ok(ExitCode::SUCCESS)
}

/// One engine per rank of the MPI job: the world is its tasks' communicator.
#[cfg(feature = "mpi")]
fn mpi_engine(info: ConnectionInfo) -> anyhow::Result<()> {
    let world = comm::Mpi::init()?;
    let (rank, size) = (
        comm::Communicator::rank(&world),
        comm::Communicator::size(&world),
    );
    let opts = engine_options(info, None);
    cluster::engine::run_with_comm(&opts, Some(&world), |id| {
        log_line(&format!("rank {rank} of {size} registered as engine {id}"))
    })?;
    Ok(())
}

/// One engine per rank of the MPI job, in a build without MPI: the rank
/// and size come from the launcher's environment, and tasks have no
/// communicator.
#[cfg(not(feature = "mpi"))]
fn mpi_engine(info: ConnectionInfo) -> anyhow::Result<()> {
    let (rank, size) = mpi_rank_size()?;
    let opts = engine_options(info, Some((rank, size)));
    cluster::engine::run(&opts, |id| {
        log_line(&format!("rank {rank} of {size} registered as engine {id}"))
    })?;
    Ok(())
}

/// The MPI rank and world size from the launcher's environment.
#[cfg(not(feature = "mpi"))]
fn mpi_rank_size() -> anyhow::Result<(u32, u32)> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok())
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    let rank = get(&[
        "OMPI_COMM_WORLD_RANK",
        "PMI_RANK",
        "PMIX_RANK",
        "MPI_LOCALRANKID",
    ]);
    let size = get(&["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MPI_LOCALNRANKS"]);
    match (rank, size) {
        (Some(r), Some(s)) if r < s => Ok((r, s)),
        _ => bail!("--mpi: not started by mpirun (no rank in the environment)"),
    }
}

pub fn engines(a: EnginesArgs) -> anyhow::Result<ExitCode> {
    let file = a.connect.file()?;
    let info = a.connect.info()?;
    if a.mpi {
        mpi_engine(info)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.n > MAX_ENGINES {
        bail!("-n {}: run 1 to {MAX_ENGINES} engines", a.n);
    }
    let exe = std::env::current_exe().context("cannot find the hpcrs program to re-run")?;
    let mut children = Vec::with_capacity(a.n);
    for _ in 0..a.n {
        let c = Command::new(&exe)
            .args(["cluster", "engine", "--connection"])
            .arg(&file)
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start an engine")?;
        children.push(c);
    }
    let mut failed = 0;
    for mut c in children {
        if !c.wait().is_ok_and(|s| s.success()) {
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("{failed} of {} engines failed", a.n);
    }
    Ok(ExitCode::SUCCESS)
}
