//! The profiler on programs whose answer is known: how the CPU time splits
//! between two functions, which line is hot, how many times each phase
//! ran, and that every report file parses.
//!
//! The profiler samples the whole process, so these tests run one at a
//! time (`SERIAL`), with nothing else burning CPU in this test binary.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use profile::{Options, ProfileError, Profiler, Rate, Report};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The workspace root, where the sources of this test are found.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn options() -> Options {
    Options {
        source_roots: vec![workspace()],
        ..Options::default()
    }
}

/// `n` rounds of the same arithmetic, so that work is proportional to `n`.
#[inline(always)]
fn spin(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(black_box(i));
    }
    x
}

#[inline(never)]
fn seventy(units: u64) -> u64 {
    spin(7 * units)
}

#[inline(never)]
fn thirty(units: u64) -> u64 {
    spin(3 * units)
}

/// CPU time of this thread so far, in seconds.
fn thread_cpu_seconds() -> f64 {
    runtime::clock::thread_cpu_time().as_secs_f64()
}

/// Spin units that take about `seconds` of CPU time in all, measured here
/// in CPU time, which a loaded machine does not stretch.
fn units_for(seconds: f64) -> u64 {
    let probe = 2_000_000;
    let t = thread_cpu_seconds();
    black_box(spin(probe));
    let per_unit = (thread_cpu_seconds() - t).max(1e-9) / probe as f64;
    (seconds / per_unit) as u64
}

#[test]
fn two_functions_taking_70_and_30_percent_are_reported_as_such() {
    let _serial = serial();
    // About 4 s of CPU time: at the tick rate (often 250 Hz) about 1000
    // samples, whose 70/30 split has a standard error of 1.5 points.
    let total_units = units_for(4.0) / 10;
    let rounds = 100;
    let per_round = (total_units / rounds).max(1);
    let (_, report) = profile::run(options(), || {
        // Interleaved, so that a change in CPU speed or load during the
        // test affects both functions alike.
        let mut x = 0;
        for _ in 0..rounds {
            x ^= seventy(per_round);
            x ^= thirty(per_round);
        }
        black_box(x)
    })
    .unwrap();
    let pct = |name: &str| {
        let f = report
            .function(name)
            .unwrap_or_else(|| panic!("{name} not in:\n{}", report.functions_text()));
        report.percent(f.total_samples)
    };
    let (seventy, thirty) = (pct("seventy"), pct("thirty"));
    assert!(
        report.sample_count() >= 300,
        "too few samples to judge: {}",
        report.sample_count()
    );
    assert!(
        (65.0..=75.0).contains(&seventy) && (25.0..=35.0).contains(&thirty),
        "seventy {seventy:.1}%, thirty {thirty:.1}%:\n{}",
        report.functions_text()
    );
    // The times are the CPU time shared out over the samples.
    let cpu = report.cpu_time().as_secs_f64();
    assert!(cpu > 1.0, "cpu time {cpu}");
}

/// The line of `hot_line` that does most of its work, on the line itself
/// (a loop of sixteen rounds, written on one line).
const HOT_LINE: u32 = line!() + 8;

#[inline(never)]
#[rustfmt::skip]
fn hot_line(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = x.wrapping_add(black_box(i));
        for _ in 0..16 { x = x.wrapping_mul(6364136223846793005).wrapping_add(black_box(i)); }
    }
    x
}

#[test]
fn line_attribution_names_the_hot_line_and_lines_txt_shows_its_source() {
    let _serial = serial();
    // spin's rounds cost about what one of hot_line's sixteen do.
    let n = units_for(2.0) / 17;
    let (_, report) = profile::run(options(), || hot_line(n)).unwrap();
    let f = report
        .function("hot_line")
        .unwrap_or_else(|| panic!("hot_line not in:\n{}", report.functions_text()));
    let hottest = f.lines.iter().max_by_key(|l| l.samples).unwrap();
    assert_eq!(hottest.line, HOT_LINE, "{:?}", f.lines);
    let share = hottest.samples as f64 / f.total_samples as f64;
    assert!(
        share > 0.75,
        "hot line has {:.0}% of hot_line {:?}:\n{}",
        share * 100.0,
        f.lines,
        report.lines_text()
    );

    let lines = report.lines_text();
    assert!(
        lines.contains("File: crates/profile/tests/profiler.rs"),
        "{lines}"
    );
    let row = lines
        .lines()
        .find(|l| l.contains("for _ in 0..16 {"))
        .unwrap_or_else(|| panic!("no hot line row in:\n{lines}"));
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(fields[0], HOT_LINE.to_string(), "{row}");
    assert_eq!(fields[1], hottest.samples.to_string(), "{row}");
    // The function's own text is shown from its `fn` line.
    assert!(lines.contains("fn hot_line(n: u64) -> u64 {"), "{lines}");
    // It did nearly all the work: it comes first.
    let first = lines.lines().find(|l| l.starts_with("Function: ")).unwrap();
    assert!(first.contains("hot_line"), "{lines}");
}

#[test]
fn phases_are_counted_exactly_per_thread() {
    let _serial = serial();
    let (_, report) = profile::run(options(), || {
        for _ in 0..37 {
            let _outer = runtime::phase::enter("outer");
            for _ in 0..3 {
                let _inner = runtime::phase::enter("inner");
                black_box(spin(1000));
            }
        }
        std::thread::Builder::new()
            .name("worker".into())
            .spawn(|| {
                for _ in 0..5 {
                    runtime::phase::scope("task", || black_box(spin(1000)));
                }
            })
            .unwrap()
            .join()
            .unwrap();
    })
    .unwrap();
    let find = |name: &str| {
        report
            .phases()
            .iter()
            .filter(|p| p.name == name)
            .collect::<Vec<_>>()
    };
    let (outer, inner, task) = (find("outer"), find("inner"), find("task"));
    assert_eq!((outer.len(), inner.len(), task.len()), (1, 1, 1));
    assert_eq!(
        (outer[0].calls, inner[0].calls, task[0].calls),
        (37, 111, 5)
    );
    assert_eq!(outer[0].thread_id, inner[0].thread_id);
    assert_ne!(outer[0].thread_id, task[0].thread_id);
    // Nested time is the inner phases' and no more.
    assert!(outer[0].total >= inner[0].total);
    assert_eq!(outer[0].own, outer[0].total - inner[0].total);
    assert_eq!(inner[0].own, inner[0].total);

    let text = report.functions_text();
    let row = text
        .lines()
        .find(|l| l.ends_with("  inner"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(row.split_whitespace().next(), Some("111"), "{row}");
    assert!(text.contains("task ×5"), "{text}");
    assert!(text.contains("'worker'"), "{text}");
    // With the profiler gone, phases are not recorded.
    assert!(!runtime::phase::is_recording());
}

#[test]
fn each_thread_is_reported_with_its_own_work() {
    let _serial = serial();
    let units = units_for(0.6) / 10;
    let (_, report) = profile::run(options(), || {
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("seventy-thread".into())
                .spawn_scoped(s, || seventy(units))
                .unwrap();
            std::thread::Builder::new()
                .name("thirty-thread".into())
                .spawn_scoped(s, || thirty(units))
                .unwrap();
        });
    })
    .unwrap();
    let thread = |name: &str| {
        report
            .threads()
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no thread {name}:\n{}", report.functions_text()))
    };
    for (name, function) in [("seventy-thread", "seventy"), ("thirty-thread", "thirty")] {
        let t = thread(name);
        let all: Vec<&str> = t
            .top
            .iter()
            .map(|&(f, _)| report.functions()[f].name.as_str())
            .collect();
        // Its samples are under its own function (but for a few taken while
        // the thread started or ended).
        let f = report.function(function).unwrap();
        assert!(f.total_samples <= t.samples, "{name}: {all:?}");
        assert!(f.total_samples * 10 >= t.samples * 9, "{name}: {all:?}");
    }
    assert!(thread("seventy-thread").samples > thread("thirty-thread").samples);
}

/// A report of about `seconds` of `seventy` and `thirty`.
fn small_report(seconds: f64) -> Report {
    let units = units_for(seconds) / 10;
    profile::run(options(), || {
        let _phase = runtime::phase::enter("both");
        black_box(seventy(units) ^ thirty(units))
    })
    .unwrap()
    .1
}

#[test]
fn every_file_is_written_and_parses() {
    let _serial = serial();
    let report = small_report(0.5);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let written = report.write_to(&out).unwrap();
    assert_eq!(written.len(), profile::FILES.len());
    let mut names = runtime::atomic::entry_names(&out).unwrap();
    names.sort();
    let mut expected: Vec<String> = profile::FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "a temporary was left behind");

    let functions = std::fs::read_to_string(out.join("functions.txt")).unwrap();
    assert_eq!(functions, report.functions_text());
    assert!(
        functions.contains("seventy (crates/profile/tests/profiler.rs:"),
        "{functions}"
    );
    assert!(functions.contains("Ordered by: cumulative time"));
    let lines = std::fs::read_to_string(out.join("lines.txt")).unwrap();
    assert!(lines.contains("Line #"), "{lines}");

    // The SVG is well-formed XML that names the functions.
    let svg = std::fs::read_to_string(out.join("flamegraph.svg")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&svg);
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => elements += 1,
            Ok(_) => {}
            Err(e) => panic!(
                "flamegraph.svg is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert!(elements > 10);
    assert!(svg.contains("seventy") && svg.contains("thirty"));

    // The protobuf decodes, its samples add up and its references resolve.
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(out.join("profile.pb.gz")).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    use pprof::protos::Message;
    let p = pprof::protos::Profile::decode(bytes.as_slice()).unwrap();
    assert_eq!(p.string_table[0], "");
    let s = |i: i64| p.string_table[i as usize].as_str();
    assert_eq!(
        p.sample_type
            .iter()
            .map(|v| (s(v.ty), s(v.unit)))
            .collect::<Vec<_>>(),
        [("samples", "count"), ("cpu", "nanoseconds")]
    );
    let total: i64 = p.sample.iter().map(|x| x.value[0]).sum();
    assert_eq!(total as u64, report.sample_count());
    let cpu_ns: i64 = p.sample.iter().map(|x| x.value[1]).sum();
    let measured = report.cpu_time().as_nanos() as i64;
    assert!(
        (cpu_ns - measured).abs() <= p.sample.len() as i64,
        "{cpu_ns} vs {measured}"
    );
    let locations: std::collections::HashMap<u64, &pprof::protos::Location> =
        p.location.iter().map(|l| (l.id, l)).collect();
    let functions: std::collections::HashMap<u64, &pprof::protos::Function> =
        p.function.iter().map(|f| (f.id, f)).collect();
    let mut seen_seventy = false;
    for sample in &p.sample {
        for id in &sample.location_id {
            for line in &locations[id].line {
                let f = functions[&line.function_id];
                seen_seventy |= s(f.name).ends_with("seventy");
            }
        }
    }
    assert!(seen_seventy);
}

#[test]
fn a_second_profiler_is_refused_and_the_first_still_works() {
    let _serial = serial();
    let first = Profiler::start(options()).unwrap();
    assert!(matches!(
        Profiler::start(options()),
        Err(ProfileError::AlreadyRunning)
    ));
    black_box(spin(1_000_000));
    let report = first.finish().unwrap();
    assert!(report.wall_time() > Duration::ZERO);
    // Once finished, another can start.
    drop(Profiler::start(options()).unwrap());
}

#[test]
fn a_panicking_closure_still_gives_its_report() {
    let _serial = serial();
    let units = units_for(0.3);
    let (outcome, report) = profile::run_catching(options(), || {
        black_box(seventy(units));
        panic!("on purpose");
    })
    .unwrap();
    let payload = outcome.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"on purpose"));
    assert!(
        report.function("seventy").is_some(),
        "{}",
        report.functions_text()
    );
}

#[test]
fn an_unwritable_directory_is_an_error_naming_it() {
    let _serial = serial();
    let report = small_report(0.05);
    let err = report.write_to("/proc/no/such/dir").unwrap_err();
    assert!(matches!(err, ProfileError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("/proc/no/such/dir"), "{err}");
}

#[test]
fn rates_outside_1_to_10000_are_refused() {
    for bad in ["0", "10001", "-5", "fast", "", "99999999999999999999999999"] {
        let err = bad.parse::<Rate>().unwrap_err();
        assert!(
            err.to_string().contains("from 1 to 10000"),
            "{bad:?}: {err}"
        );
    }
    assert_eq!("1".parse::<Rate>().unwrap().hz(), 1);
    assert_eq!("10000 Hz".parse::<Rate>().unwrap().hz(), 10_000);
}
