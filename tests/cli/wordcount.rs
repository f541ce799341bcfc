//! `hpcrs wordcount` end to end: exact counts against a simple sequential
//! implementation, on the shipped text and on generated text, for any
//! number of partitions.

use std::collections::{HashMap, HashSet};
use std::path::Path;

const ROOT: &str = crate::util::ROOT;

/// The course's pipeline, sequentially and as plainly as possible.
fn reference(text: &[u8], stopwords: &HashSet<String>) -> HashMap<String, u64> {
    let text = String::from_utf8_lossy(text);
    let mut counts = HashMap::new();
    // Lines end at LF, CR or CRLF, as in Spark's textFile.
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    for line in normalised.split('\n') {
        let ascii: String = line.chars().filter(|c| c.is_ascii()).collect();
        let no_punct: String = ascii
            .chars()
            .filter(|c| !c.is_ascii_punctuation())
            .collect();
        for word in no_punct.split(' ') {
            let word = word.to_lowercase();
            if word.is_empty() || stopwords.contains(&word) {
                continue;
            }
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts
}

fn course_stopwords(path: &Path) -> HashSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .split('\n')
        .map(String::from)
        .collect()
}

fn top(counts: &HashMap<String, u64>, k: usize) -> String {
    let mut all: Vec<(&String, &u64)> = counts.iter().collect();
    all.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    all.iter()
        .take(k)
        .map(|(w, c)| format!("{w} {c}\n"))
        .collect()
}

fn hpcrs() -> assert_cmd::Command {
    let mut cmd = crate::util::hpcrs();
    cmd.current_dir(ROOT);
    cmd
}

fn run(args: &[&str]) -> String {
    crate::util::success_stdout(hpcrs().arg("wordcount").args(args).arg("--quiet"))
}

#[test]
fn moby_dick_matches_the_sequential_count_for_any_partitioning() {
    let text = std::fs::read(Path::new(ROOT).join("data/mobydick.txt")).unwrap();
    let stop = course_stopwords(&Path::new(ROOT).join("data/stopwords.txt"));
    let want = reference(&text, &stop);
    // The defaults: data/mobydick.txt, data/stopwords.txt, top 5.
    assert_eq!(run(&[]), top(&want, 5));
    let k = want.len() + 10;
    let all = top(&want, k);
    for parts in ["1", "2", "7", "64"] {
        assert_eq!(
            run(&["--partitions", parts, "--top", &k.to_string()]),
            all,
            "{parts} partitions"
        );
        assert_eq!(
            run(&["--partitions", parts, "--top", "20", "--course"]),
            top(&want, 20),
            "{parts} partitions, course"
        );
    }
    assert_eq!(run(&["--threads", "1", "--top", "50"]), top(&want, 50));
}

/// Deterministic text with everything the cleaning must handle.
fn generated_text(lines: usize) -> Vec<u8> {
    let vocab = [
        "Whale",
        "whale,",
        "WHALE!",
        "ship's",
        "don't",
        "caf\u{e9}",
        "na\u{ef}ve",
        "--",
        "the",
        "The",
        "a",
        "x\ty",
        "\u{2014}dash\u{2014}",
        "\u{feff}bom",
        "q\"uote\"",
        "O'Neil",
        "123",
        "4.5",
        "under_score",
        "ab\u{0}c",
        "Ahab",
    ];
    let ends: [&[u8]; 3] = [b"\n", b"\r\n", b"\r"];
    let mut seed = 12345u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = Vec::new();
    for _ in 0..lines {
        let words = next() % 12;
        for i in 0..words {
            if i > 0 {
                // Single and double spaces (empty strings in the course's split).
                out.extend_from_slice(if next() % 5 == 0 { b"  " } else { b" " });
            }
            out.extend_from_slice(vocab[(next() % vocab.len() as u64) as usize].as_bytes());
        }
        if next() % 50 == 0 {
            out.extend_from_slice(b"bad\xff\xfeutf8");
        }
        out.extend_from_slice(ends[(next() % 3) as usize]);
    }
    out
}

#[test]
fn generated_text_matches_the_sequential_count() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    let text_a = generated_text(3000);
    let text_b = generated_text(1000);
    std::fs::write(&a, &text_a).unwrap();
    std::fs::write(&b, &text_b).unwrap();
    let stop_path = dir.path().join("stop.txt");
    std::fs::write(&stop_path, "the\r\na\nwhale\n").unwrap();
    let mut stop: HashSet<String> = ["the", "a", "whale", ""].map(String::from).into();
    stop.insert(String::new());
    let mut both = text_a.clone();
    both.extend_from_slice(b"\n");
    both.extend_from_slice(&text_b);
    let want = reference(&both, &stop);
    assert!(want.contains_key("dont") && want.contains_key("caf") && want.contains_key("x\ty"));
    assert!(want.contains_key("badutf8") && !want.contains_key("whale"));
    let k = (want.len() + 5).to_string();
    let (a, b, s) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        stop_path.to_str().unwrap(),
    );
    for parts in ["1", "2", "7", "64"] {
        let got = run(&[a, b, "--stopwords", s, "--top", &k, "--partitions", parts]);
        assert_eq!(got, top(&want, want.len()), "{parts} partitions");
        let got = run(&[
            a,
            b,
            "--stopwords",
            s,
            "--top",
            &k,
            "--partitions",
            parts,
            "--course",
        ]);
        assert_eq!(got, top(&want, want.len()), "{parts} partitions, course");
    }
    // A directory reads every file in it.
    let dir_arg = dir.path().to_str().unwrap();
    std::fs::remove_file(&stop_path).unwrap();
    let stop2 = Path::new(ROOT).join("data/stopwords.txt");
    let got = run(&[
        dir_arg,
        "--stopwords",
        stop2.to_str().unwrap(),
        "--top",
        "10",
    ]);
    let want2 = reference(&both, &course_stopwords(&stop2));
    assert_eq!(got, top(&want2, 10));
}

#[test]
fn bad_inputs_get_clear_errors() {
    let out = hpcrs()
        .args(["wordcount", "no/such/book.txt", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no/such/book.txt") && err.contains("No such file"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let out = hpcrs()
        .args(["wordcount", "--stopwords", "no/such/stop.txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stop-word list no/such/stop.txt"), "{err}");

    let out = hpcrs()
        .args(["wordcount", "--partitions", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--partitions must be at least 1"));

    let out = hpcrs()
        .args(["wordcount", "--top", "many"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("many"));

    assert_eq!(run(&["--top", "0"]), "");
}

#[test]
fn partitions_and_top_are_counts_with_a_cap() {
    for (args, want) in [
        (
            &["--partitions", "4097"][..],
            "--partitions 4097 is too many: at most 4096",
        ),
        (&["--partitions", "18446744073709551615"], "at most 4096"),
        (&["--partitions", "-1"], "cannot be negative"),
        (&["--partitions", "1.5"], "not a whole number"),
        (&["--top", "-3"], "cannot be negative"),
        (&["--top", "1e100"], "too large"),
    ] {
        let out = hpcrs()
            .arg("wordcount")
            .args(args)
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        // One line names the argument and says why.
        let line = err.lines().find(|l| l.contains(want)).unwrap();
        assert!(line.contains(args[0]), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // The largest accepted value on a tiny input (most partitions empty) and
    // scientific notation.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "whale whale ship\nahab whale\n").unwrap();
    let small = small.to_str().unwrap();
    let want = "whale 3\nahab 1\nship 1\n";
    assert_eq!(run(&[small, "--partitions", "4096"]), want);
    assert_eq!(run(&[small, "--partitions", "1e1", "--top", "3"]), want);
}

/// Writes `text` into the FIFO at `path` from another thread (opening a FIFO
/// for writing blocks until a reader opens it).
#[cfg(unix)]
fn fifo_with(dir: &Path, text: Vec<u8>) -> (std::path::PathBuf, std::thread::JoinHandle<()>) {
    let path = dir.join("pipe");
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || std::fs::write(path, text).unwrap())
    };
    (path, writer)
}

#[cfg(unix)]
#[test]
fn a_fifo_or_stdin_is_read_as_a_file() {
    let text = std::fs::read(Path::new(ROOT).join("data/mobydick.txt")).unwrap();
    let stop = course_stopwords(&Path::new(ROOT).join("data/stopwords.txt"));
    let want = top(&reference(&text, &stop), 20);
    for extra in [&[][..], &["--course"], &["--partitions", "64"]] {
        let dir = tempfile::tempdir().unwrap();
        let (fifo, writer) = fifo_with(dir.path(), text.clone());
        let mut args = vec![fifo.to_str().unwrap(), "--top", "20"];
        args.extend_from_slice(extra);
        assert_eq!(run(&args), want, "{extra:?}");
        writer.join().unwrap();
    }
    // A pipe on standard input, named /dev/stdin.
    let out = hpcrs()
        .args(["wordcount", "/dev/stdin", "--top", "20", "--quiet"])
        .write_stdin(text)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

#[test]
fn the_most_partitions_give_the_default_answer_in_bounded_memory() {
    use crate::util::{run_measured, stderr, stdout};
    let book = Path::new(ROOT).join("data/mobydick.txt");
    let stop = Path::new(ROOT).join("data/stopwords.txt");
    let (book, stop) = (book.to_str().unwrap(), stop.to_str().unwrap());
    // Every word, so that any count off by one shows.
    let every = ["wordcount", book, "--stopwords", stop, "--top", "100000"];
    let (default, _) = run_measured(&[&every[..], &["-q"]].concat());
    assert!(default.status.success(), "{}", stderr(&default));
    let (most, peak) = run_measured(&[&every[..], &["-q", "--partitions", "4096"]].concat());
    assert!(most.status.success(), "{}", stderr(&most));
    let text = stdout(&default);
    assert!(text.starts_with("whale 968\n"), "{}", text.len());
    assert!(text.lines().count() > 10_000);
    assert_eq!(stdout(&most), text);
    // 4096 map tasks of about 300 bytes each, into 4096 reduce partitions:
    // tens of MiB. A bucket per (map task, reduce partition) needs 440 MiB.
    eprintln!("peak RSS with 4096 partitions: {} MiB", peak >> 20);
    assert!(peak < 100 << 20, "peak RSS {} MiB", peak >> 20);
}

#[test]
fn local_ranks_print_what_one_process_prints_for_any_ranks_and_partitions() {
    let text = std::fs::read(Path::new(ROOT).join("data/mobydick.txt")).unwrap();
    let stop = course_stopwords(&Path::new(ROOT).join("data/stopwords.txt"));
    let want = top(&reference(&text, &stop), 20);
    for parts in ["1", "7", "64"] {
        for ranks in ["1", "2", "3", "4"] {
            let got = run(&["--top", "20", "--partitions", parts, "--local", ranks]);
            assert_eq!(got, want, "{ranks} ranks, {parts} partitions");
        }
    }
    let course = run(&["--top", "20", "--course", "--local", "3"]);
    assert_eq!(course, want);
}

#[test]
fn local_ranks_show_the_exchange_and_the_bytes_each_rank_shuffled() {
    let out = hpcrs()
        .args([
            "wordcount",
            "--local",
            "2",
            "--lineage",
            "--stats",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("[buckets exchanged between 2 ranks; partition p on rank p mod 2]"),
        "{err}"
    );
    assert!(
        err.contains("partitions on 2 ranks of 1 thread(s)"),
        "{err}"
    );
    for rank in 0..2 {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("rank {rank}: ")))
            .unwrap_or_else(|| panic!("no line for rank {rank}: {err}"));
        assert!(line.ends_with(" received"), "{line}");
    }
    for bad in ["0", "257"] {
        hpcrs()
            .args(["wordcount", "--local", bad])
            .assert()
            .failure()
            .stderr(predicates::str::contains(format!(
                "--local {bad}: the number of ranks must be 1 to 256"
            )));
    }
}

#[cfg(not(feature = "mpi"))]
#[test]
fn under_mpirun_a_build_without_mpi_says_how_to_build_with_it() {
    hpcrs()
        .env("PMI_RANK", "0")
        .args(["wordcount", "--quiet"])
        .assert()
        .failure()
        .stdout("")
        .stderr(predicates::str::contains(
            "cargo build --release --features mpi",
        ))
        .stderr(predicates::str::contains("--local N"));
}

#[test]
fn a_file_cut_short_while_counted_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrinking.txt");
    // 2 GiB, sparse past its first line: counted for seconds, stored in one page.
    let file = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut &file, b"call me ishmael\n").unwrap();
    file.set_len(2 << 30).unwrap();
    let child = crate::util::hpcrs_process()
        .args(["wordcount", "--quiet"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    file.set_len(4096).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?}: {err}", out.status);
    assert_eq!(
        err.trim_end(),
        format!(
            "hpcrs: error: {}: a page of the memory-mapped file could not be read (truncated while being read, or a sparse file on a full disk)",
            path.display()
        )
    );
}
