//! End-to-end tests of `hpcrs diff2d`: output, parameter errors, backends,
//! .npy output, checkpoints and pictures. Small grids keep them fast.

use std::path::Path;
use std::process::Command as StdCommand;

use predicates::prelude::*;

fn hpcrs() -> assert_cmd::Command {
    let mut c = crate::util::hpcrs();
    c.env_remove("HPCRS_DIFF2D_ABORT_IN_CHECKPOINT");
    c
}

/// A small problem: 40x40 interior, 32 steps, an output every 4 steps.
const SMALL: [&str; 6] = [
    "--set",
    "dx=0.5",
    "--set",
    "runtime=2",
    "--set",
    "outtime=0.3",
];

fn diff2d(args: &[&str]) -> assert_cmd::Command {
    let mut c = hpcrs();
    c.arg("diff2d").args(args);
    c
}

fn fails_with(args: &[&str], message: &str) {
    diff2d(args)
        .assert()
        .failure()
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn prints_the_time_at_start_and_every_nper_steps_and_a_summary() {
    let out = diff2d(&SMALL).assert().success();
    let out = out.get_output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let times: Vec<f64> = stdout.lines().map(|l| l.parse().unwrap()).collect();
    let dt = 0.25 * 0.5 * 0.5;
    let expected: Vec<f64> = (0..=8).map(|i| (4 * i) as f64 * dt).collect();
    assert_eq!(times, expected);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("diff2d (threads backend): grid 40x40, 32 steps,"),
        "{stderr}"
    );
    assert!(stderr.contains("cell updates/s"), "{stderr}");
}

#[test]
fn reads_the_shipped_parameters_file() {
    // The shipped file is the course's default problem; only shorten it.
    let params = Path::new(crate::util::ROOT).join("data/diff2dparams.txt");
    diff2d(&[
        "--params",
        params.to_str().unwrap(),
        "--set",
        "runtime=0.01",
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains("grid 299x299, 8 steps"));
}

#[test]
fn parameter_file_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.py");
    let f = file.to_str().unwrap();
    std::fs::write(&file, "D = 1.0;\n\nspeed = 2;\n").unwrap();
    fails_with(
        &["--params", f],
        &format!("{f}:3: unknown parameter `speed`"),
    );
    std::fs::write(&file, "# c\ndx = 0.o5;\n").unwrap();
    fails_with(
        &["--params", f],
        &format!("{f}:2: dx = `0.o5` is not a number"),
    );
    std::fs::write(&file, "graphics = yes\n").unwrap();
    fails_with(
        &["--params", f],
        &format!("{f}:1: graphics must be True or False, not `yes`"),
    );
    let missing = dir.path().join("nope.py");
    fails_with(
        &["--params", missing.to_str().unwrap()],
        &format!("{}: No such file", missing.display()),
    );
}

#[test]
fn invalid_values_are_refused_with_where_they_were_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.py");
    let f = file.to_str().unwrap();
    std::fs::write(&file, "x1 = -1;\nx2 = 1;\ndx = 0;\n").unwrap();
    fails_with(
        &["--params", f],
        &format!("{f}:3: parameter dx must be a positive number, got 0"),
    );
    fails_with(
        &["--set", "dx=-0.1"],
        "--set dx=-0.1: parameter dx must be a positive number, got -0.1",
    );
    fails_with(
        &["--set", "dx=25"],
        "--set dx=25: parameter dx 25 is larger than the domain [-10, 10]",
    );
    fails_with(
        &["--set", "D=0"],
        "--set D=0: parameter D must be a positive number, got 0",
    );
    fails_with(
        &["--set", "x2=-11"],
        "--set x2=-11: parameter x2 must be larger than x1, got x1 = -10 and x2 = -11",
    );
    fails_with(
        &["--set", "runtime=-1"],
        "--set runtime=-1: parameter runtime must be zero or positive, got -1",
    );
    fails_with(&["--set", "dx"], "--set dx: expected name=value");
    fails_with(
        &["--backend", "cuda"],
        "invalid value 'cuda' for '--backend <BACKEND>'",
    );
    #[cfg(not(feature = "mpi"))]
    fails_with(
        &["--backend", "mpi"],
        "backend `mpi` is not available: this hpcrs was built without MPI",
    );
}

fn run_to(dir: &Path, extra: &[&str]) -> ndarray::Array2<f64> {
    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--out", dir.to_str().unwrap()]);
    args.extend_from_slice(extra);
    diff2d(&args).assert().success();
    diffusion::read_npy(&dir.join("density.npy")).unwrap()
}

#[test]
fn every_backend_writes_the_same_density_npy() {
    let dir = tempfile::tempdir().unwrap();
    let naive = run_to(&dir.path().join("naive"), &["--backend", "naive"]);
    let array = run_to(&dir.path().join("array"), &["--backend", "array"]);
    let threads = run_to(&dir.path().join("threads"), &["--threads", "3"]);
    assert_eq!(naive.dim(), (42, 42));
    assert_eq!(naive, threads);
    // `array` rounds `c + k·lap` twice, like numpy, where the others fuse it.
    let diff = diffusion::relative_difference(&array, &naive);
    assert!(diff <= 1e-13, "array vs naive: {diff:e}");
    let p = diffusion::Params {
        dx: 0.5,
        runtime: 2.0,
        outtime: 0.3,
        ..Default::default()
    };
    let (lib, _) = diffusion::solve(&p, diffusion::Backend::Naive, None).unwrap();
    assert_eq!(naive, lib);
}

#[test]
#[ignore = "needs numpy in $PYTHON"]
fn numpy_reads_the_output() {
    let python = crate::util::python_with_numpy();
    let dir = tempfile::tempdir().unwrap();
    let dens = run_to(dir.path(), &[]);
    let script = "import sys, numpy as np; a = np.load(sys.argv[1]); \
                  print(a.shape[0], a.shape[1], a.dtype, repr(float(a.sum())), repr(float(a[20, 13])))";
    let out = StdCommand::new(&python)
        .args([
            "-c",
            script,
            dir.path().join("density.npy").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(&f[..3], &["42", "42", "float64"]);
    // numpy sums pairwise, ndarray in another order: equal to rounding.
    assert!((f[3].parse::<f64>().unwrap() - dens.sum()).abs() < 1e-12 * dens.sum());
    assert_eq!(f[4].parse::<f64>().unwrap(), dens[[20, 13]]);
}

#[test]
fn a_resumed_run_ends_with_exactly_the_uninterrupted_density() {
    let dir = tempfile::tempdir().unwrap();
    let whole = run_to(&dir.path().join("whole"), &[]);
    let ck = dir.path().join("run.ckpt");
    let ck_s = ck.to_str().unwrap();

    // Crash (abort) half-way through writing the 3rd checkpoint (step 30):
    // the 2nd one (step 20) must survive intact.
    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--checkpoint-every", "10", "--checkpoint", ck_s]);
    let out = diff2d(&args)
        .env("HPCRS_DIFF2D_ABORT_IN_CHECKPOINT", "3")
        .assert()
        .failure();
    let printed = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .count();
    assert_eq!(
        printed, 8,
        "outputs at steps 0..=28 were made before the crash"
    );
    let saved = diffusion::Checkpoint::read(&ck).unwrap();
    assert_eq!(saved.step, 20);

    // Resuming takes the checkpoint's parameters; the output continues.
    let resumed_dir = dir.path().join("resumed");
    let out = diff2d(&["--resume", ck_s, "--out", resumed_dir.to_str().unwrap()])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(stdout.lines().count(), 3, "outputs at 24, 28, 32: {stdout}");
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("12 steps"));
    let resumed = diffusion::read_npy(&resumed_dir.join("density.npy")).unwrap();
    assert_eq!(resumed, whole);

    // The same parameters given explicitly are fine; others are refused.
    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--resume", ck_s, "--backend", "naive"]);
    diff2d(&args).assert().success();
    fails_with(
        &["--resume", ck_s, "--set", "D=2"],
        "was written for different parameters (D = 1 in the checkpoint, 2 now)",
    );
    std::fs::write(&ck, b"garbage").unwrap();
    fails_with(&["--resume", ck_s], "is not an hpcrs diff2d checkpoint");
}

#[test]
fn graphics_writes_a_png_per_output_and_a_gif() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pics");
    diff2d(&[
        "--set",
        "dx=1",
        "--set",
        "runtime=3",
        "--set",
        "outtime=1",
        "--graphics",
        "--out",
        out.to_str().unwrap(),
    ])
    .assert()
    .success();
    // 12 steps, nper = 4: outputs at steps 0, 4, 8, 12.
    for i in 0..4 {
        let png = std::fs::read(out.join(format!("density_{i:04}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // IHDR: width and height.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 720);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 600);
    }
    assert!(!out.join("density_0004.png").exists());
    let gif = std::fs::read(out.join("density.gif")).unwrap();
    assert_eq!(&gif[..6], b"GIF89a");
    // One image descriptor (0x2C after a graphic control block) per frame.
    let frames = gif.windows(2).filter(|w| w == &[0x00, 0x2C]).count();
    assert!(frames >= 4, "{frames} frames");
    assert!(out.join("density.npy").exists());
}

/// A run resumed into the first run's directory ends with the GIF of the
/// whole run, byte for byte the uninterrupted run's, not only its own frames.
#[test]
fn a_resumed_run_with_graphics_keeps_the_whole_gif() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let parts = dir.path().join("parts");
    let ck = dir.path().join("d.ckpt");
    let common = ["--set", "dx=1", "--set", "outtime=1", "--graphics"];
    let run = |extra: &[&str], out: &Path| {
        let mut args = common.to_vec();
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        diff2d(&args).assert().success();
    };
    run(&["--set", "runtime=3"], &whole);
    run(
        &["--set", "runtime=2", "--checkpoint", ck.to_str().unwrap()],
        &parts,
    );
    run(
        &["--set", "runtime=3", "--resume", ck.to_str().unwrap()],
        &parts,
    );
    let gif = |d: &Path| std::fs::read(d.join("density.gif")).unwrap();
    assert!(gif(&parts) == gif(&whole), "the resumed GIF differs");
    let names = |d: &Path| runtime::atomic::entry_names(d).unwrap();
    assert_eq!(names(&parts), names(&whole));
}

#[test]
fn a_missing_file_is_reported_once_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--params", "--resume"] {
        let missing = dir.path().join("absent.file");
        let out = diff2d(&[flag, missing.to_str().unwrap()])
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(
            stderr.contains(&format!("{}: No such file", missing.display())),
            "{stderr}"
        );
        assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    }
}

/// A reader that stops early (`hpcrs diff2d | head -1`) ends the run quietly,
/// by SIGPIPE as any Unix filter, not with a "Broken pipe" error message.
#[cfg(unix)]
#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let mut child = StdCommand::new(crate::util::BIN)
        // 32 000 time lines, far more than a pipe buffer holds.
        .args(["diff2d", "--set", "dx=0.5", "--set", "runtime=2000"])
        .args(["--set", "outtime=0.0625"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim().parse::<f64>().unwrap(), 0.0);
    // The reader is gone: the next time line written kills the process.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A time step that is not a positive finite number, more steps than the
/// solver accepts, or coordinates beyond the largest number end the run at
/// once with one error line, instead of running forever or printing NaN.
#[test]
fn derived_time_steps_and_coordinates_are_checked() {
    let refused = |args: &[&str], message: &str| {
        let stderr = refused_at_once(args);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.len() < 250, "{args:?}: a message to read: {stderr}");
    };
    refused(
        &["--set", "dx=1e-310"],
        "--set dx=1e-310: parameter dx 1e-310 gives inf cells per side",
    );
    refused(
        &["--set", "x1=-1e200", "--set", "x2=1e200"],
        "gives 2.9985007496251877e201 cells per side",
    );
    refused(
        &["--set", "D=1e300", "--set", "dx=5"],
        "parameter runtime = 15 needs 2.4e300 steps",
    );
    refused(
        &["--set", "x1=0", "--set", "x2=1e-300", "--set", "dx=1e-302"],
        "dt = 0.25·dx²/D = 0, not a positive finite number",
    );
    refused(
        &["--set", "D=5e-324"],
        "--set D=5e-324: parameter D = 5e-324 with dx = ",
    );
    refused(
        &["--set", "x1=0", "--set", "x2=1e300", "--set", "dx=1e297"],
        "dt = 0.25·dx²/D = inf, not a positive finite number",
    );
    refused(
        &[
            "--set",
            "x1=1e308",
            "--set",
            "x2=1.7e308",
            "--set",
            "dx=3.5e307",
        ],
        "parameter x2 gives grid coordinates beyond the largest number",
    );
}

/// A parameters file saved with a UTF-8 byte-order mark (as some Windows
/// editors write it) is read as Python reads it.
#[test]
fn a_parameters_file_with_a_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.py");
    std::fs::write(&file, "\u{feff}D = 1.0;\ndx = 0.5;\nruntime = 2;\n").unwrap();
    diff2d(&["--params", file.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("grid 40x40, 32 steps"));
}

/// `--checkpoint FILE` alone writes one checkpoint of the final state, from
/// which a longer run continues; `--checkpoint-every 0` is a usage error.
#[test]
fn checkpoint_alone_writes_the_final_state_and_every_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("end.ckpt");
    let ck_s = ck.to_str().unwrap();
    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--checkpoint", ck_s]);
    diff2d(&args).assert().success();
    let saved = diffusion::Checkpoint::read(&ck).unwrap();
    assert_eq!(saved.step, 32);
    let whole = run_to(&dir.path().join("whole"), &[]);
    assert_eq!(saved.dens, whole);
    diff2d(&["--resume", ck_s, "--set", "runtime=3"])
        .assert()
        .success()
        .stderr(predicate::str::contains("16 steps"));

    let mut args = SMALL.to_vec();
    args.extend_from_slice(&["--checkpoint-every", "0", "--checkpoint", ck_s]);
    diff2d(&args)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "invalid value '0' for '--checkpoint-every <N>': must be at least 1 step",
        ));
}

/// An output directory or checkpoint that cannot be written is refused
/// before any step is computed, not after the run, and leaves nothing.
#[test]
fn unwritable_outputs_are_refused_before_computing() {
    for args in [
        &["--out", "/proc"][..],
        &["--checkpoint", "/proc/d.ckpt"],
        &["--checkpoint-every", "5", "--checkpoint", "/proc/d.ckpt"],
        &["--graphics", "--out", "/proc"],
    ] {
        let stderr = refused_at_once(args);
        assert!(stderr.starts_with("hpcrs: error: "), "{args:?}: {stderr}");
        assert!(stderr.contains("/proc/"), "{args:?}: {stderr}");
    }
}

/// Two runs checkpointing to one path at the same time both succeed (each
/// write has its own temporary), the file left is a whole checkpoint of
/// one of them, and no temporary remains.
#[test]
fn two_runs_sharing_one_checkpoint_path_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("shared.ckpt");
    let start = || {
        StdCommand::new(env!("CARGO_BIN_EXE_hpcrs"))
            .args(["diff2d", "--set", "dx=0.5", "--set", "runtime=4"])
            .args(["--checkpoint-every", "1", "--checkpoint"])
            .arg(&ck)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let runs = [start(), start()];
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
    }
    assert_eq!(
        runtime::atomic::entry_names(dir.path()).unwrap(),
        ["shared.ckpt"]
    );
    let resumed = diff2d(&["--resume", ck.to_str().unwrap()])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&resumed.get_output().stderr).contains(" 0 steps"));
}

/// Under a file-size limit (a full disk as one process sees it), every
/// file diff2d writes fails with one line naming it, and no temporary is
/// left behind: checkpoint, density.npy, pictures.
#[test]
fn a_failed_write_names_the_file_and_leaves_no_temporary() {
    for (extra, named) in [
        (&["--checkpoint-every", "100"][..], "diff2d.ckpt"),
        (&[][..], "density.npy"),
        (&["--graphics"][..], "density_0000.png"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("out");
        // `ulimit -f 16`: files of at most 8 or 16 KiB, as the shell counts.
        let out = StdCommand::new("sh")
            .arg("-c")
            .arg("ulimit -f 16 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_hpcrs"))
            .args([
                "diff2d",
                "--set",
                "dx=0.2",
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("hpcrs: error: ") && last.contains(named),
            "{extra:?}: {stderr}"
        );
        let left = runtime::atomic::entry_names(&out_dir).unwrap();
        assert!(
            left.iter().all(|n| !n.ends_with(".tmp")),
            "{extra:?}: {left:?}"
        );
    }
}

/// A checkpoint written by another version of the format is refused with
/// both versions named.
#[test]
fn a_checkpoint_of_another_format_version_names_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("d.ckpt");
    let ck_s = ck.to_str().unwrap();
    diff2d(&["--set", "dx=1", "--checkpoint", ck_s])
        .assert()
        .success();
    let mut bytes = std::fs::read(&ck).unwrap();
    bytes[7] = 9;
    std::fs::write(&ck, bytes).unwrap();
    fails_with(
        &["--resume", ck_s],
        "is a checkpoint of format version 9; this build reads version 1",
    );
}

/// Runs `hpcrs diff2d ARGS`, asserts that it failed with exit code 1 before
/// printing any output time and with one line on standard error, and
/// returns that line.
fn refused_at_once(args: &[&str]) -> String {
    let out = diff2d(args)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    stderr
}

#[test]
fn bind_to_needs_the_mpi_backend_and_a_known_placement() {
    fails_with(
        &["--bind-to", "core"],
        "--bind-to places MPI ranks: it needs --backend mpi",
    );
    diff2d(&["--backend", "mpi", "--bind-to", "socket"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'socket' for '--bind-to <HOW>'",
        ));
}
