//! `hpcrs cluster`: IPython Parallel's `ipcluster` and `Client` for the
//! shell. `start` runs a controller and engines in the background, the
//! client subcommands drive them (`ids`, `apply`, `map`, `execute`,
//! `push`, `pull`, `scatter`, `gather`, `sweep`), `stop` ends them all.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use cluster::{Client, ClientOptions, ConnectionInfo, ProfileDir};

mod bench;
mod client;
mod daemon;
mod sweep;

/// Arguments of `hpcrs cluster`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Start a controller and N engines in the background; returns when the engines are registered.
    Start(daemon::StartArgs),
    /// Stop the engines and the controller of a profile; leaves no process behind.
    Stop(Profile),
    /// Run engines in the foreground that join a controller (from another host, or one per MPI rank with --mpi).
    Engines(daemon::EnginesArgs),
    /// Print the ids of the live engines.
    Ids(Connect),
    /// Call a registered function on engines: `apply minus 5 6`.
    Apply(client::ApplyArgs),
    /// Call a function over lists, element by element: `map --balanced minus 11,10,9,8 5,6,7,8`.
    Map(client::MapArgs),
    /// Run statements on the engines' namespaces: `execute 'x = getpid()'`.
    Execute(client::ExecuteArgs),
    /// Run a file of statements on the engines' namespaces (`v.run('script.py')`).
    Run(client::RunArgs),
    /// Store named values on engines: `push a=1,2,3 b=2.5`.
    Push(client::PushArgs),
    /// Print a named value from each engine.
    Pull(client::PullArgs),
    /// Split a vector among the engines: `scatter a --arange 16`.
    Scatter(client::ScatterArgs),
    /// Join a scattered value back in engine order.
    Gather(client::PullArgs),
    /// Run a parameter sweep of a workload across the engines and print a table.
    Sweep(sweep::SweepArgs),
    /// Time round trips, a load-balanced map and scatter+gather on a running cluster.
    Bench(bench::BenchArgs),
    /// The controller process (started by `cluster start`).
    #[command(hide = true)]
    Controller(daemon::ControllerArgs),
    /// One engine process (started by `cluster start` or `cluster engines`).
    #[command(hide = true)]
    Engine(daemon::EngineArgs),
}

/// Which cluster: a profile under ~/.hpcrs/cluster.
#[derive(clap::Args, Clone)]
struct Profile {
    /// The profile (a directory under ~/.hpcrs/cluster).
    #[arg(long, default_value = "default")]
    profile: String,
}

/// How a client finds and waits for the controller.
#[derive(clap::Args, Clone)]
struct Connect {
    /// The profile whose connection file to read (~/.hpcrs/cluster/PROFILE/client.json).
    #[arg(long, default_value = "default")]
    profile: String,
    /// A connection file to read instead of the profile's.
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    connection: Option<PathBuf>,
    /// Give up waiting for results after SECONDS (0: wait as long as the controller is there).
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    timeout: f64,
}

/// `$HOME`, where profiles live.
fn home() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .context("the environment variable HOME is not set: cannot find ~/.hpcrs/cluster")
}

fn profile_dir(profile: &str) -> anyhow::Result<ProfileDir> {
    Ok(ProfileDir::new(&home()?, profile)?)
}

impl Connect {
    fn file(&self) -> anyhow::Result<PathBuf> {
        match &self.connection {
            Some(f) => Ok(f.clone()),
            None => Ok(profile_dir(&self.profile)?.connection_file()),
        }
    }

    fn info(&self) -> anyhow::Result<ConnectionInfo> {
        let file = self.file()?;
        ConnectionInfo::read(&file).map_err(|e| {
            let hint = if file.exists() {
                ""
            } else {
                " (is a cluster running? `hpcrs cluster start -n 4`)"
            };
            anyhow::anyhow!("{e}{hint}")
        })
    }

    fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::connect(&self.info()?, &ClientOptions::default())?)
    }

    fn wait(&self) -> anyhow::Result<Option<Duration>> {
        if !(self.timeout.is_finite() && self.timeout >= 0.0) {
            anyhow::bail!(
                "--timeout {}: give a number of seconds, 0 or more",
                self.timeout
            );
        }
        Ok((self.timeout > 0.0).then(|| Duration::from_secs_f64(self.timeout)))
    }
}

impl Args {
    /// Whether this run uses MPI (`engines --mpi`).
    pub fn uses_mpi(&self) -> bool {
        matches!(&self.command, Command::Engines(engines) if engines.mpi)
    }
}

/// Runs `hpcrs cluster`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Start(a) => daemon::start(a),
        Command::Stop(p) => daemon::stop(&p.profile),
        Command::Engines(a) => daemon::engines(a),
        Command::Ids(c) => {
            let ids = c.client()?.ids()?;
            let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
            crate::output::outln!("[{}]", ids.join(", "))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply(a) => client::apply(a),
        Command::Map(a) => client::map(a),
        Command::Execute(a) => client::execute(a),
        Command::Run(a) => client::run(a),
        Command::Push(a) => client::push(a),
        Command::Pull(a) => client::pull(a),
        Command::Scatter(a) => client::scatter(a),
        Command::Gather(a) => client::gather(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Controller(a) => daemon::controller(a),
        Command::Engine(a) => daemon::engine(a),
    }
}
