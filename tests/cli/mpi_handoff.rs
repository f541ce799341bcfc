//! A build without MPI hands MPI ranks and the commands that use MPI to the
//! `hpcrs-mpi` beside it (src/mpi_handoff.rs), and runs everything else
//! itself. Here `hpcrs-mpi` is a script that prints what it was given.
//!
//! Compiled only without `--features mpi` (an MPI build never hands over);
//! scripts/ci-mpi.sh runs `mpirun` through the real pair.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{stderr, stdout, BIN, ROOT};

/// A directory holding a link to the `hpcrs` under test and, with
/// `twin` set, an `hpcrs-mpi` script with those permission bits that
/// prints `handed: ARGS`. Made beside the binary, so that the link is a
/// hard link (the running program's path is the link's).
fn pair(twin: Option<u32>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("handoff-")
        .tempdir_in(Path::new(BIN).parent().unwrap())
        .unwrap();
    let front = dir.path().join("hpcrs");
    link(Path::new(BIN), &front);
    if let Some(mode) = twin {
        let script = dir.path().join("hpcrs-mpi");
        std::fs::write(&script, "#!/bin/sh\necho \"handed: $*\"\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    (dir, front)
}

/// Makes `to` the same program as `from`: a hard link, or a copy.
fn link(from: &Path, to: &Path) {
    std::fs::hard_link(from, to)
        .or_else(|_| std::fs::copy(from, to).map(drop))
        .unwrap();
}

/// Runs `program ARGS` with the extra environment `env`, outside any MPI
/// launcher's environment.
fn run(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    for var in comm::MPI_LAUNCHER_VARS {
        cmd.env_remove(var);
    }
    cmd.args(args).envs(env.iter().copied()).output().unwrap()
}

#[test]
fn commands_that_use_mpi_go_to_the_twin_with_their_arguments() {
    let (_dir, front) = pair(Some(0o755));
    let params = format!("{ROOT}/data/diff2dparams.txt");
    for args in [
        vec!["mpi", "hello"],
        vec!["mpi", "ring", "--flavour", "buffer"],
        vec!["diff2d", "--backend", "mpi", "--params", &params],
        vec!["auc", "1000", "--backend=mpi"],
        vec!["bench", "--quick"],
        vec!["profile", "--out", "p", "--", "diff2d", "--backend", "mpi"],
        vec!["cluster", "engines", "--mpi"],
    ] {
        let out = run(&front, &args, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("handed: {}\n", args.join(" ")));
    }
}

#[test]
fn a_launched_rank_goes_to_the_twin_whatever_its_command() {
    let (_dir, front) = pair(Some(0o755));
    for launcher in [
        [("PMI_RANK", "0"), ("PMI_SIZE", "2")],
        [("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2")],
    ] {
        let out = run(&front, &["auc", "1000"], &launcher);
        assert_eq!(stdout(&out), "handed: auc 1000\n", "{launcher:?}");
    }
}

#[test]
fn other_commands_run_here() {
    let (_dir, front) = pair(Some(0o755));
    let out = run(&front, &["auc", "1000"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("The area is"), "{}", stdout(&out));
    let out = run(&front, &["mpi", "--local", "2", "hello"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
    assert!(stdout(&out).contains("I am process 1 of 2"));
}

#[test]
fn without_a_twin_mpi_commands_say_how_to_build_it() {
    let (_dir, front) = pair(None);
    let out = run(&front, &["mpi", "hello"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("built without MPI"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_twin_that_cannot_start_is_one_error_naming_it() {
    let (dir, front) = pair(Some(0o644));
    let out = run(&front, &["mpi", "hello"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let twin = dir.path().join("hpcrs-mpi");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("hpcrs: error: starting "), "{err}");
    assert!(err.contains(&*twin.to_string_lossy()), "{err}");
    assert!(err.contains("ermission denied"), "{err}");
}

#[test]
fn a_twin_without_mpi_is_one_error_not_a_loop() {
    let (dir, front) = pair(None);
    let twin = dir.path().join("hpcrs-mpi");
    link(&front, &twin);
    let out = assert_cmd::Command::new(&front)
        .args(["mpi", "hello"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("was built without it"), "{err}");
}

/// One command line of a small grammar, and whether it uses MPI by the
/// documented rule: `mpi` without `--local`, `--backend mpi`, `bench`.
fn command_line() -> impl proptest::strategy::Strategy<Value = (Vec<String>, bool)> {
    use proptest::prelude::*;
    let backend = prop_oneof![Just("naive"), Just("threads"), Just("mpi")];
    let auc = (backend.clone(), any::<bool>()).prop_map(|(b, joined)| {
        let mut words = vec!["auc".to_string(), "1000".to_string()];
        if joined {
            words.push(format!("--backend={b}"));
        } else {
            words.extend(["--backend".to_string(), b.to_string()]);
        }
        (words, b == "mpi")
    });
    let diff2d = prop_oneof![Just("naive"), Just("mpi")].prop_map(|b| {
        let words = ["diff2d", "--backend", b, "--set", "runtime=0.001"];
        (words.map(String::from).to_vec(), b == "mpi")
    });
    let mpi = (
        proptest::option::of(1usize..4),
        prop_oneof![Just("hello"), Just("ring")],
    )
        .prop_map(|(local, what)| {
            let mut words = vec!["mpi".to_string()];
            if let Some(n) = local {
                words.extend(["--local".to_string(), n.to_string()]);
            }
            words.push(what.to_string());
            (words, local.is_none())
        });
    let bench = Just((vec!["bench".to_string(), "--quick".to_string()], true));
    prop_oneof![auc, diff2d, mpi, bench]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]

    /// Whatever the command and the launcher's variables, the program hands
    /// over exactly when it is a launched rank or its command uses MPI,
    /// with its arguments unchanged, and otherwise answers itself.
    #[test]
    fn the_hand_over_follows_the_rule(
        (args, uses_mpi) in command_line(),
        launched in proptest::option::of(proptest::sample::select(comm::MPI_LAUNCHER_VARS.to_vec())),
    ) {
        let (_dir, front) = pair(Some(0o755));
        let env: Vec<(&str, &str)> = launched.map(|v| (v, "0")).into_iter().collect();
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&front, &words, &env);
        proptest::prop_assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let handed = stdout(&out) == format!("handed: {}\n", args.join(" "));
        proptest::prop_assert_eq!(handed, launched.is_some() || uses_mpi, "{:?} {:?}: {}", args, launched, stdout(&out));
    }
}
