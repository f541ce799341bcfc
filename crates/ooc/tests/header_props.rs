//! Hostile `.npy` headers: every byte of valid files changed, every truncation, and header
//! dicts with random fields, fed to the reader. Each must be read or refused with a typed
//! error, never panic, and never make the reader allocate more than the file holds (the
//! header's length and shape are the file's word, not to be trusted before checking).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::path::Path;

use ooc::{create, header::MAGIC, Control, CreateOptions, DType, Fill, IoMode, NpyFile, OocError};
use proptest::prelude::*;

/// Counts the allocations of the thread that asked for it (see [`measured`]).
struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// Records that `grown` bytes were allocated (negative: freed), one block of `size` bytes.
fn note(grown: i64, size: usize) {
    // `try_with`: allocations during thread teardown find the thread locals gone.
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            LIVE.with(|l| {
                l.set(l.get() + grown);
                PEAK.with(|p| p.set(p.get().max(l.get())));
            });
            LARGEST.with(|m| m.set(m.get().max(size)));
        }
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting touches
// only const-initialised thread locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as i64, layout.size());
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as i64, layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as i64), 0);
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation is).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as i64 - layout.size() as i64, new_size);
        // SAFETY: as for `dealloc`; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the largest single allocation it made and the
/// peak of its live allocations, in bytes.
fn measured<R>(f: impl FnOnce() -> R) -> (R, usize, i64) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    LARGEST.with(|m| m.set(0));
    TRACKING.with(|t| t.set(true));
    let r = f();
    TRACKING.with(|t| t.set(false));
    (r, LARGEST.with(Cell::get), PEAK.with(Cell::get))
}

/// Allocation that does not depend on the file: the path, error messages, a 64-dimension
/// shape.
const SLACK: usize = 4096;

/// Opens `bytes` written as a file in `dir` and checks the rules: a typed error or a file
/// whose data can be read; at most the file's size allocated (plus [`SLACK`]) on the way.
fn check(dir: &Path, bytes: &[u8]) {
    let path = dir.join("h.npy");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(bytes).unwrap();
    drop(f);
    let (opened, largest, peak) = measured(|| NpyFile::open(&path));
    assert!(
        largest <= bytes.len() + SLACK && peak <= 2 * bytes.len() as i64 + SLACK as i64,
        "reading a {}-byte file allocated {largest} bytes at once, {peak} in all",
        bytes.len()
    );
    match opened {
        Ok(file) => read_all(&file),
        Err(e) => {
            assert!(
                matches!(
                    e,
                    OocError::BadMagic { .. }
                        | OocError::BadHeader { .. }
                        | OocError::UnsupportedDtype { .. }
                        | OocError::SizeMismatch { .. }
                ),
                "unexpected error {e:?}"
            );
            let msg = e.to_string();
            assert!(msg.contains("h.npy") && !msg.contains('\n'), "{msg}");
        }
    }
}

/// Reads every element of an opened file, every way it can be read.
fn read_all(file: &NpyFile) {
    let n = file.len();
    for io in IoMode::ALL {
        let ctl = Control {
            io,
            memory_limit: 1 << 20,
            ..Control::default()
        };
        let s = ooc::reduce::stats(file, &ctl).unwrap();
        assert_eq!(s.stats.count(), n as u64);
    }
    assert_eq!(file.row(&[]).unwrap().len(), n);
}

/// Valid files of several kinds: every version, dtype family, order, and a 0-d array.
fn valid_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for (dtype, shape, fortran) in [
        (DType::F64, vec![3, 2], false),
        (DType::I32, vec![2, 2, 2], true),
        (DType::U8, vec![], false),
        (DType::Bool, vec![5], false),
    ] {
        let p = dir.join("valid.npy");
        let opts = CreateOptions {
            dtype,
            fortran_order: fortran,
            fill: Fill::Random { seed: 3 },
            sync: false,
        };
        create(&p, &shape, &opts, &Control::default()).unwrap();
        files.push(std::fs::read(&p).unwrap());
    }
    // Versions 2.0 and 3.0, big-endian.
    for v in [2u8, 3] {
        let dict = b"{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }\n";
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[v, 0]);
        b.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        b.extend_from_slice(dict);
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
        files.push(b);
    }
    files
}

#[test]
fn every_byte_of_valid_files_changed() {
    let dir = tempfile::tempdir().unwrap();
    for good in valid_files(dir.path()) {
        check(dir.path(), &good);
        // The header and the first bytes of data.
        let end = good.len().min(200);
        for at in 0..end {
            let old = good[at];
            let mut values: Vec<u8> = (0..8).map(|bit| old ^ (1 << bit)).collect();
            values.extend_from_slice(b"\x00\xff (),:'\"9{}L\n");
            for v in values {
                let mut b = good.clone();
                b[at] = v;
                check(dir.path(), &b);
            }
        }
    }
}

#[test]
fn every_truncation_of_valid_files() {
    let dir = tempfile::tempdir().unwrap();
    for good in valid_files(dir.path()) {
        for len in 0..good.len() {
            check(dir.path(), &good[..len]);
        }
    }
}

/// A header dict's value for `shape`: a tuple of dimensions, or something else.
fn shape_text() -> impl Strategy<Value = String> {
    let dim = prop_oneof![
        (0u64..5).prop_map(|d| d.to_string()),
        any::<u64>().prop_map(|d| d.to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("3L".to_string()),
        "[0-9a-z ]{0,4}",
    ];
    prop_oneof![
        4 => (prop::collection::vec(dim, 0..70), any::<bool>()).prop_map(|(dims, trailing)| {
            let mut t = format!("({}", dims.join(", "));
            if trailing || dims.len() == 1 {
                t.push(',');
            }
            t.push(')');
            t
        }),
        1 => "\\PC{0,12}",
    ]
}

/// A header dict: the three keys in any order, with valid or random values, sometimes a key
/// missing or an extra one.
fn dict_text() -> impl Strategy<Value = String> {
    let descr = prop_oneof![
        prop::sample::select(vec![
            "'<f8'",
            "'>f4'",
            "'|u1'",
            "'<i8'",
            "'>i4'",
            "'|b1'",
            "'=f8'",
            "'<c16'",
            "'<U10'",
            "[('a', '<f4')]",
            "'f8",
            "''",
            "'<f8' 'x'",
        ])
        .prop_map(String::from),
        "'\\PC{0,8}'",
        "\\PC{0,8}",
    ];
    let fortran = prop_oneof![
        prop::sample::select(vec!["True", "False", "true", "1", "'False'", "Tru"])
            .prop_map(String::from),
        "\\PC{0,6}",
    ];
    let key = |k: &'static str| prop_oneof![4 => Just(format!("'{k}'")), 1 => Just(format!("\"{k}\"")), 1 => "'\\PC{0,6}'"];
    (
        (key("descr"), descr),
        (key("fortran_order"), fortran),
        (key("shape"), shape_text()),
        any::<u8>(),
        "[ \\n\\t]{0,2}",
    )
        .prop_map(|((kd, d), (kf, f), (ks, s), order, ws)| {
            let mut entries = vec![
                format!("{kd}:{ws}{d}"),
                format!("{kf}: {f}"),
                format!("{ks}: {s}"),
            ];
            entries.rotate_left(order as usize % 3);
            if order & 0x10 != 0 {
                entries.pop();
            }
            if order & 0x20 != 0 {
                entries.push("'extra': 1".into());
            }
            let trailing = if order & 0x40 != 0 { ", " } else { "" };
            format!("{{{}{trailing}}}", entries.join(&format!(",{ws}")))
        })
}

/// A whole file around `dict`: the magic, a version, a length (usually right), padding
/// and up to a few elements of data.
fn file_bytes(dict: &str, version: u8, length_error: i64, data: &[u8]) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    b.extend_from_slice(&[version, 0]);
    let prefix = if version == 1 { 10 } else { 12 };
    let unpadded = prefix + dict.len() + 1;
    let hlen = (unpadded.div_ceil(64) * 64 - prefix) as i64 + length_error;
    if version == 1 {
        b.extend_from_slice(&(hlen as u16).to_le_bytes());
    } else {
        b.extend_from_slice(&(hlen as u32).to_le_bytes());
    }
    b.extend_from_slice(dict.as_bytes());
    b.resize(prefix + (hlen.max(1) as usize).min(1 << 16) - 1, b' ');
    b.push(b'\n');
    b.extend_from_slice(data);
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_header_dicts_are_read_or_refused(
        dict in dict_text(),
        version in prop_oneof![8 => 1u8..=3, 1 => any::<u8>()],
        length_error in prop_oneof![8 => Just(0i64), 1 => -70i64..70, 1 => Just(1 << 19), 1 => Just(1 << 30)],
        data in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path(), &file_bytes(&dict, version, length_error, &data));
    }

    #[test]
    fn valid_dicts_with_the_right_data_open(
        dims in prop::collection::vec(0usize..4, 0..6),
        dtype in prop::sample::select(DType::ALL.to_vec()),
        big_endian in any::<bool>(),
        fortran in any::<bool>(),
    ) {
        let order = if big_endian { ooc::ByteOrder::Big } else { ooc::ByteOrder::Little };
        let mut h = ooc::Header::new(dtype, dims.clone(), fortran);
        h.byte_order = order;
        let mut bytes = h.to_bytes();
        let n: usize = dims.iter().product();
        bytes.extend(std::iter::repeat_n(1u8, n * dtype.size()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok.npy");
        std::fs::write(&path, &bytes).unwrap();
        let file = NpyFile::open(&path).unwrap();
        prop_assert_eq!(file.shape(), &dims[..]);
        read_all(&file);
    }
}
