//! The heap view on programs whose allocations are known: a 100 MB block
//! at the peak, attributed to its line; many small blocks, estimated from
//! samples; phase increments; the timeline and the picture.
//!
//! The memory hooks and the profiler are process-wide, so these tests run
//! one at a time (`SERIAL`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use profile::{MemoryOptions, Options, RssReader};

/// The counting allocator a program installs (hpcrs's is src/allocator.rs).
struct Counting;

// SAFETY: every method forwards to the system allocator with the caller's
// arguments; the hooks only count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees are System's.
        let ptr = unsafe { System.alloc(layout) };
        if profile::memory::is_active() && !ptr.is_null() {
            profile::memory::allocated(ptr, layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if profile::memory::is_active() && !ptr.is_null() {
            profile::memory::allocated(ptr, layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if profile::memory::is_active() {
            profile::memory::freed(ptr, layout.size());
        }
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if profile::memory::is_active() && !new.is_null() {
            profile::memory::reallocated(ptr, layout.size(), new, new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn options(memory: MemoryOptions) -> Options {
    Options {
        source_roots: vec![workspace()],
        memory: Some(memory),
        ..Options::default()
    }
}

const MB100: usize = 100 << 20;

/// The line of the 100 MB allocation.
const BIG_LINE: u32 = line!() + 4;

#[inline(never)]
fn allocate_100mb() -> u64 {
    let block = vec![1u8; MB100];
    // Touch every page, so that the resident memory follows.
    black_box(block.iter().step_by(4096).map(|&b| u64::from(b)).sum())
}

#[test]
fn a_100_mb_allocation_is_the_peak_and_is_attributed_to_its_line() {
    let _serial = serial();
    let (sum, report) = profile::run(options(MemoryOptions::default()), || {
        // Some small allocations around it.
        let noise: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        let sum = runtime::phase::scope("big", allocate_100mb);
        black_box(noise);
        sum
    })
    .unwrap();
    assert_eq!(sum, (MB100 / 4096) as u64);
    let m = report.memory().unwrap();
    let text = m.text();
    assert!(m.peak_bytes() >= MB100 as u64, "{text}");
    assert!(m.peak_bytes() < MB100 as u64 + (1 << 20), "{text}");
    assert_eq!(m.peak_phase(), Some("big"), "{text}");
    let top = &m.sites()[0];
    assert!(top.exact, "{top:?}");
    assert_eq!((top.bytes_at_peak, top.blocks_at_peak), (MB100 as u64, 1.0));
    let frame = top.frame().unwrap();
    assert!(frame.function.ends_with("allocate_100mb"), "{text}");
    assert_eq!(
        frame.file.as_deref(),
        Some("crates/profile/tests/memory.rs")
    );
    assert_eq!(frame.line, BIG_LINE, "{text}");
    // memory.txt: the site first, named by function, file and line.
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(&format!("{MB100}")), "{row}");
    assert!(
        row.contains(&format!(
            "allocate_100mb (crates/profile/tests/memory.rs:{BIG_LINE})"
        )),
        "{row}"
    );
    assert!(text.contains("in phase `big`"), "{text}");
    // Freed before the end; the phase's increment is what it kept: nothing.
    assert!(m.end_bytes().unsigned_abs() < 1 << 20, "{text}");
    let big = m.phases().iter().find(|p| p.name == "big").unwrap();
    assert_eq!(big.calls, 1);
    assert!(big.increment.unsigned_abs() < 4096, "{big:?}");
    assert!(m.allocated_bytes() >= MB100 as u64);
    assert!(m.allocations() >= 1001);
}

/// The line of [`small_blocks`] that allocates.
const SMALL_LINE: u32 = line!() + 7;

/// Allocates `n` boxes of 64 bytes and keeps them (boxed on purpose: `n`
/// small allocations).
#[inline(never)]
#[allow(clippy::vec_box)]
fn small_blocks(n: usize) -> Vec<Box<[u8; 64]>> {
    (0..n).map(|i| Box::new([i as u8; 64])).collect()
}

#[test]
fn small_allocations_are_estimated_from_samples() {
    let _serial = serial();
    let n = 100_000;
    let memory = MemoryOptions {
        interval: 16 << 10,
        ..MemoryOptions::default()
    };
    let (kept, report) = profile::run(options(memory), || small_blocks(n)).unwrap();
    let m = report.memory().unwrap();
    let text = m.text();
    let site = m
        .sites()
        .iter()
        .find(|s| {
            // By line: with line tables only, the inlined closure that
            // allocates is named `{closure#0}`, without its parent's path.
            s.frame().is_some_and(|f| {
                f.line == SMALL_LINE && f.file.as_deref().is_some_and(|f| f.ends_with("memory.rs"))
            }) && !s.exact
        })
        .unwrap_or_else(|| panic!("{text}"));
    // 6.4 MB in 16 KiB samples: ~390 samples, a standard error of 5%.
    let bytes = (n * 64) as f64;
    let est = site.bytes_at_peak as f64;
    assert!((est / bytes - 1.0).abs() < 0.2, "{est} for {bytes}\n{text}");
    assert!(
        (site.blocks_at_peak / n as f64 - 1.0).abs() < 0.2,
        "{site:?}"
    );
    assert!(text.contains(" ~"), "estimates are marked:\n{text}");
    // The exact count: every box and the vector.
    assert!(m.allocations() > n as u64, "{}", m.allocations());
    assert!(m.end_bytes() >= bytes as i64, "{text}");
    drop(kept);
}

#[inline(never)]
fn keep_2mib() -> Vec<u8> {
    vec![0u8; 2 << 20]
}

#[test]
fn a_phase_increment_is_the_heap_it_leaves_behind() {
    let _serial = serial();
    let (kept, report) = profile::run(options(MemoryOptions::default()), || {
        // The first phase on a thread also allocates the runtime's stack
        // of open phases.
        runtime::phase::scope("warm-up", || ());
        let kept: Vec<Vec<u8>> = (0..3)
            .map(|_| runtime::phase::scope("keep", keep_2mib))
            .collect();
        runtime::phase::scope("free", || drop(black_box(keep_2mib())));
        kept
    })
    .unwrap();
    let m = report.memory().unwrap();
    let phase = |name: &str| m.phases().iter().find(|p| p.name == name).unwrap().clone();
    // The heap is the whole process's: the profiler's own threads may
    // allocate or free a few bytes while a phase is open.
    let near = |bytes: i64, expected: i64| (bytes - expected).abs() <= 64 << 10;
    let keep = phase("keep");
    assert_eq!(keep.calls, 3);
    assert!(near(keep.increment, 3 * (2 << 20)), "{}", m.text());
    assert!(near(keep.max_increment, 2 << 20), "{}", m.text());
    assert!(near(phase("free").increment, 0), "{}", m.text());
    assert!(m.text().contains("memory_profiler's Increment"));
    drop(kept);
}

#[test]
fn the_timeline_reads_heap_and_resident_memory_and_the_picture_is_a_png() {
    let _serial = serial();
    let memory = MemoryOptions {
        period: std::time::Duration::from_millis(2),
        rss: Some(RssReader::new(|| Some(42 << 20))),
        ..MemoryOptions::default()
    };
    let (_, report) = profile::run(options(memory), || {
        let block = vec![3u8; 8 << 20];
        std::thread::sleep(std::time::Duration::from_millis(30));
        black_box(block);
    })
    .unwrap();
    let m = report.memory().unwrap();
    let points = m.timeline();
    assert!(points.len() >= 5, "{points:?}");
    assert!(points.windows(2).all(|w| w[0].seconds <= w[1].seconds));
    assert!(points.iter().any(|p| p.heap >= 8 << 20), "{points:?}");
    assert!(points.iter().all(|p| p.heap <= m.peak_bytes()));
    assert_eq!(m.peak_rss(), Some(42 << 20));
    let png = m.png().unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (960, 540));
    // Both lines are drawn: the heap's blue and the resident memory's
    // orange.
    let has = |rgb: [u8; 3]| pixels.chunks(3).any(|p| p == rgb);
    assert!(has([31, 119, 180]) && has([255, 127, 14]));
    // Every file is written.
    let dir = tempfile::tempdir().unwrap();
    let files = report.write_to(dir.path()).unwrap();
    assert_eq!(
        files.len(),
        profile::FILES.len() + profile::MEMORY_FILES.len()
    );
    for f in profile::MEMORY_FILES {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
}

#[test]
fn a_panic_keeps_what_the_memory_view_saw() {
    let _serial = serial();
    let (outcome, report) = profile::run_catching(
        options(MemoryOptions::default()),
        std::panic::AssertUnwindSafe(|| {
            let block = black_box(vec![1u8; 1 << 20]);
            if block.len() > 1 {
                panic!("on purpose");
            }
        }),
    )
    .unwrap();
    assert!(outcome.is_err());
    assert!(report.memory().unwrap().peak_bytes() >= 1 << 20);
    // The hooks are free for the next profile.
    let (_, again) = profile::run(options(MemoryOptions::default()), || ()).unwrap();
    assert!(again.memory().is_some());
}

#[test]
fn a_child_forked_while_memory_is_profiled_does_not_count() {
    let _serial = serial();
    let (status, report) = profile::run(options(MemoryOptions::default()), || {
        // SAFETY: the child only allocates, frees and leaves with _exit.
        match unsafe { libc::fork() } {
            0 => {
                let block = black_box(vec![1u8; 16 << 20]);
                let code = i32::from(profile::memory::is_active())
                    + 2 * i32::from(block.len() != 16 << 20);
                drop(block);
                // SAFETY: _exit ends the child without running the parent's
                // atexit handlers.
                unsafe { libc::_exit(code) }
            }
            pid => {
                assert!(pid > 0, "fork failed");
                let mut status = 0;
                // SAFETY: waits for the child just forked.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                status
            }
        }
    })
    .unwrap();
    assert!(libc::WIFEXITED(status), "{status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "the hooks were active in the child"
    );
    let m = report.memory().unwrap();
    assert!(m.peak_bytes() < 16 << 20, "{}", m.text());
}

/// One step of a random allocation pattern.
#[derive(Debug, Clone)]
enum Op {
    /// A new block of this many bytes.
    New(usize),
    /// Free the block at this index (modulo the live ones).
    Free(usize),
    /// Resize the block at this index to this many bytes (a reallocation).
    Resize(usize, usize),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (1usize..300_000).prop_map(Op::New),
        any::<usize>().prop_map(Op::Free),
        (any::<usize>(), 1usize..300_000).prop_map(|(i, n)| Op::Resize(i, n)),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the pattern of allocations, frees and reallocations, the
    /// heap's peak and end are the exact sums of the blocks' sizes (other
    /// threads of the test harness may allocate a little meanwhile).
    #[test]
    fn the_heap_peak_and_end_are_exact_for_any_allocation_pattern(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        let _serial = serial();
        let (model, report) = profile::run(options(MemoryOptions::default()), || {
            let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(ops.len());
            let (mut live, mut peak) = (0usize, 0usize);
            for op in &ops {
                match *op {
                    Op::New(n) => blocks.push(Vec::with_capacity(n)),
                    Op::Free(i) if !blocks.is_empty() => {
                        let i = i % blocks.len();
                        drop(blocks.swap_remove(i));
                    }
                    Op::Resize(i, n) if !blocks.is_empty() => {
                        let i = i % blocks.len();
                        let b = &mut blocks[i];
                        if n > b.capacity() {
                            b.reserve_exact(n);
                        } else {
                            b.shrink_to(n);
                        }
                    }
                    _ => {}
                }
                live = blocks.iter().map(Vec::capacity).sum();
                peak = peak.max(live);
            }
            // The container itself, allocated once above.
            let container = blocks.capacity() * std::mem::size_of::<Vec<u8>>();
            black_box(&blocks);
            (live + container, peak + container)
        })
        .unwrap();
        let m = report.memory().unwrap();
        let (end, peak) = (model.0 as i64, model.1 as u64);
        // The blocks are freed when the closure returns: the end is 0.
        proptest::prop_assert!(m.end_bytes().abs() < 4096, "end {} ({end} before the frees)", m.end_bytes());
        proptest::prop_assert!(m.peak_bytes() >= peak && m.peak_bytes() < peak + 4096,
            "peak {} against {peak}", m.peak_bytes());
    }
}
