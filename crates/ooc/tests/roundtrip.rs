//! Create, reopen and reduce arrays of every dtype and order; check against references.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ooc::reduce::{stats, stats_axis};
use ooc::{
    create, ByteOrder, Control, CreateOptions, DType, Fill, IoMode, NpyFile, NpyFileMut, Threads,
};
use runtime::progress::Progress;

fn ctl(limit: u64, threads: usize, io: IoMode) -> Control<'static> {
    Control {
        memory_limit: limit,
        threads: Threads::Exactly(threads),
        io,
        ..Control::default()
    }
}

fn make(path: &Path, shape: &[usize], dtype: DType, fortran: bool, fill: Fill) -> NpyFile {
    let opts = CreateOptions {
        dtype,
        fortran_order: fortran,
        fill,
        sync: false,
    };
    create(path, shape, &opts, &ctl(1 << 20, 2, IoMode::Pread)).unwrap();
    NpyFile::open(path).unwrap()
}

/// All elements in logical C order, through the row accessor.
fn all_values(f: &NpyFile) -> Vec<f64> {
    f.row(&[])
        .unwrap()
        .into_iter()
        .map(|s| s.to_f64())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0) || (a.is_nan() && b.is_nan())
}

#[test]
fn random_fill_is_independent_of_threads_and_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        fill: Fill::Random { seed: 7 },
        sync: false,
        ..Default::default()
    };
    let mut files = Vec::new();
    for (i, (limit, threads)) in [(1u64 << 30, 2usize), (8192, 1), (100_000, 3)]
        .into_iter()
        .enumerate()
    {
        let p = dir.path().join(format!("r{i}.npy"));
        create(&p, &[123, 457], &opts, &ctl(limit, threads, IoMode::Pread)).unwrap();
        files.push(std::fs::read(&p).unwrap());
    }
    assert_eq!(files[0], files[1]);
    assert_eq!(files[0], files[2]);
    let other = dir.path().join("other.npy");
    let opts8 = CreateOptions {
        fill: Fill::Random { seed: 8 },
        ..opts
    };
    create(&other, &[123, 457], &opts8, &Control::default()).unwrap();
    assert_ne!(std::fs::read(&other).unwrap(), files[0]);
}

#[test]
fn every_dtype_and_order_reduces_like_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    for dtype in DType::ALL {
        for fortran in [false, true] {
            let p = dir.path().join(format!("{dtype}{fortran}.npy"));
            let f = make(&p, &[37, 11, 5], dtype, fortran, Fill::Random { seed: 3 });
            let xs = all_values(&f);
            assert_eq!(xs.len(), 37 * 11 * 5);
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
            for io in [IoMode::Pread, IoMode::Mmap, IoMode::MmapPopulate] {
                for limit in [4096u64, 1 << 20] {
                    let s = stats(&f, &ctl(limit, 2, io)).unwrap().stats;
                    assert_eq!(s.count(), xs.len() as u64);
                    assert!(
                        close(s.mean(), mean),
                        "{dtype} {fortran} {io:?}: {} vs {mean}",
                        s.mean()
                    );
                    assert!(close(s.variance(), var), "{dtype} {fortran} {io:?}");
                    let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
                    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    assert_eq!((s.min(), s.max()), (min, max));
                }
            }
            // Along every axis, against a direct computation over the logical index.
            let shape = [37usize, 11, 5];
            for axis in 0..3 {
                let r = stats_axis(&f, axis, &ctl(48_000, 2, IoMode::Pread)).unwrap();
                let mut rshape = shape.to_vec();
                rshape.remove(axis);
                assert_eq!(r.shape, rshape);
                assert_eq!(r.stats.len(), rshape.iter().product::<usize>());
                for (ri, s) in r.stats.iter().enumerate() {
                    let (a, b) = (ri / rshape[1], ri % rshape[1]);
                    let vals: Vec<f64> = (0..shape[axis])
                        .map(|k| {
                            let mut idx = vec![a, b];
                            idx.insert(axis, k);
                            xs[idx[0] * 55 + idx[1] * 5 + idx[2]]
                        })
                        .collect();
                    let m = vals.iter().sum::<f64>() / vals.len() as f64;
                    let v = vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / vals.len() as f64;
                    assert_eq!(s.count(), vals.len() as u64);
                    assert!(close(s.mean(), m), "{dtype} {fortran} axis {axis} [{ri}]");
                    assert!(
                        close(s.variance(), v),
                        "{dtype} {fortran} axis {axis} [{ri}]"
                    );
                    assert_eq!(s.min(), vals.iter().cloned().fold(f64::INFINITY, f64::min));
                    assert_eq!(
                        s.max(),
                        vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                    );
                }
            }
        }
    }
}

/// A mapped file read by threads that each hold many chunks before releasing them (a
/// 64 MiB limit: 2 MiB chunks, 16 MiB held per thread), and with the threads' spans cut
/// short by a small limit, gives exactly the statistics of positioned reads of the same
/// chunks, whole and along an axis.
#[test]
fn mapped_chunks_held_across_releases_reduce_like_pread() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("held.npy");
    // 24 MiB of f64 with an odd row length: chunks and pages do not line up with rows.
    let f = make(
        &p,
        &[3001, 1048],
        DType::F64,
        false,
        Fill::Random { seed: 8 },
    );
    for (limit, threads) in [(64u64 << 20, 2), (64 << 20, 3), (3 << 20, 2)] {
        let whole = |io| stats(&f, &ctl(limit, threads, io)).unwrap().stats;
        let (read, mapped) = (whole(IoMode::Pread), whole(IoMode::Mmap));
        assert_eq!(mapped.count(), 3001 * 1048);
        assert_eq!(
            (mapped.mean().to_bits(), mapped.m2().to_bits()),
            (read.mean().to_bits(), read.m2().to_bits()),
            "limit {limit}, {threads} threads"
        );
        assert_eq!((mapped.min(), mapped.max()), (read.min(), read.max()));
        let along = |io| stats_axis(&f, 1, &ctl(limit, threads, io)).unwrap().stats;
        assert_eq!(along(IoMode::Mmap), along(IoMode::Pread));
    }
}

#[test]
fn constant_fill_and_closed_forms() {
    let dir = tempfile::tempdir().unwrap();
    let f = make(
        &dir.path().join("c.npy"),
        &[1000, 3],
        DType::I32,
        false,
        Fill::Value((-7.0).into()),
    );
    let s = stats(&f, &Control::default()).unwrap().stats;
    assert_eq!(
        (s.count(), s.mean(), s.min(), s.max(), s.stdev()),
        (3000, -7.0, -7.0, -7.0, 0.0)
    );
    let z = make(
        &dir.path().join("z.npy"),
        &[50, 50],
        DType::F32,
        true,
        Fill::Zeros,
    );
    let s = stats(&z, &Control::default()).unwrap().stats;
    assert_eq!((s.count(), s.mean(), s.max()), (2500, 0.0, 0.0));
    // Uniform [0,1): mean 1/2, std 1/sqrt(12).
    let u = make(
        &dir.path().join("u.npy"),
        &[400, 500],
        DType::F64,
        false,
        Fill::Random { seed: 1 },
    );
    let s = stats(&u, &Control::default()).unwrap().stats;
    assert!((s.mean() - 0.5).abs() < 0.003);
    assert!((s.stdev() - (1.0f64 / 12.0).sqrt()).abs() < 0.002);
    // Bad values for the dtype are refused before anything is written.
    let e = create(
        &dir.path().join("bad.npy"),
        &[2],
        &CreateOptions {
            dtype: DType::U8,
            fill: Fill::Value(300i64.into()),
            ..Default::default()
        },
        &Control::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("fill value 300 does not fit dtype u8"),
        "{e}"
    );
    assert!(!dir.path().join("bad.npy").exists());
}

#[test]
fn element_row_and_write_access() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.npy");
    for fortran in [false, true] {
        make(&p, &[4, 6], DType::I64, fortran, Fill::Zeros);
        let mut m = NpyFileMut::open(&p).unwrap();
        for i in 0..4 {
            for j in 0..6 {
                m.set(&[i, j], (10 * i + j) as f64).unwrap();
            }
        }
        m.flush().unwrap();
        assert!(m.set(&[0, 0], 0.5).is_err());
        drop(m);
        let f = NpyFile::open(&p).unwrap();
        assert_eq!(f.get(&[2, 5]).unwrap().to_string(), "25");
        let row: Vec<String> = f.row(&[3]).unwrap().iter().map(|s| s.to_string()).collect();
        assert_eq!(row, ["30", "31", "32", "33", "34", "35"]);
        let e = f.get(&[4, 0]).unwrap_err().to_string();
        assert!(e.contains("out of bounds"), "{e}");
        let r = stats_axis(&f, 1, &Control::default()).unwrap();
        let means: Vec<f64> = r.stats.iter().map(|s| s.mean()).collect();
        assert_eq!(means, [2.5, 12.5, 22.5, 32.5]);
    }
}

#[test]
fn big_endian_data_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("be.npy");
    let mut h = ooc::Header::new(DType::F64, vec![3], false);
    h.byte_order = ByteOrder::Big;
    let mut bytes = h.to_bytes();
    for v in [1.5f64, -2.0, 4.0] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    std::fs::write(&p, bytes).unwrap();
    let f = NpyFile::open(&p).unwrap();
    assert_eq!(f.get(&[1]).unwrap().to_f64(), -2.0);
    let s = stats(&f, &Control::default()).unwrap().stats;
    assert_eq!((s.mean(), s.min(), s.max()), (3.5 / 3.0, -2.0, 4.0));
}

/// Cancels the operation once more than one chunk has been reported, as an interrupt would.
struct CancelAfterFirstChunk {
    cancel: AtomicBool,
    written: AtomicU64,
    finished: AtomicBool,
}

impl Progress for CancelAfterFirstChunk {
    fn advance(&self, done: u64) {
        if self.written.fetch_add(done, Ordering::SeqCst) > 0 {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }
    fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }
}

#[test]
fn cancelled_create_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.npy");
    let watch = CancelAfterFirstChunk {
        cancel: AtomicBool::new(false),
        written: AtomicU64::new(0),
        finished: AtomicBool::new(false),
    };
    let c = Control {
        memory_limit: 64 << 10,
        threads: Threads::Exactly(2),
        progress: &watch,
        cancel: Some(&watch.cancel),
        ..Control::default()
    };
    let opts = CreateOptions {
        fill: Fill::Random { seed: 1 },
        ..Default::default()
    };
    let e = create(&p, &[1000, 1000], &opts, &c).unwrap_err();
    assert!(e.to_string().contains("interrupted"), "{e}");
    assert!(
        watch.finished.load(Ordering::SeqCst),
        "progress not told the end"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn existing_file_survives_a_failed_create() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("keep.npy");
    make(&p, &[10], DType::F64, false, Fill::Value(1.0.into()));
    let before = std::fs::read(&p).unwrap();
    let cancel = AtomicBool::new(true);
    let c = Control {
        cancel: Some(&cancel),
        ..Control::default()
    };
    let opts = CreateOptions {
        fill: Fill::Random { seed: 1 },
        ..Default::default()
    };
    assert!(create(&p, &[100], &opts, &c).is_err());
    assert_eq!(std::fs::read(&p).unwrap(), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn integer_min_and_max_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("i.npy");
    // Values f64 cannot tell apart: 2^53 + k.
    let value = |i: usize, j: usize| 9007199254740992 + ((i * 7 + j * 3) % 11) as i64;
    for fortran in [false, true] {
        make(&p, &[5, 7], DType::I64, fortran, Fill::Zeros);
        let mut m = NpyFileMut::open(&p).unwrap();
        for i in 0..5 {
            for j in 0..7 {
                m.set(&[i, j], value(i, j)).unwrap();
            }
        }
        m.flush().unwrap();
        drop(m);
        let f = NpyFile::open(&p).unwrap();
        for io in [IoMode::Pread, IoMode::Mmap, IoMode::MmapPopulate] {
            let s = stats(&f, &ctl(4096, 2, io)).unwrap();
            let r = s.range.unwrap();
            assert_eq!((r.min, r.max), (9007199254740992, 9007199254740992 + 10));
            for axis in 0..2 {
                let a = stats_axis(&f, axis, &ctl(1 << 20, 2, io)).unwrap();
                let ranges = a.ranges.unwrap();
                let n = [5, 7][1 - axis];
                assert_eq!(ranges.len(), n);
                for (k, r) in ranges.iter().enumerate() {
                    let vals: Vec<i64> = (0..[5, 7][axis])
                        .map(|x| if axis == 0 { value(x, k) } else { value(k, x) })
                        .collect();
                    let want = (*vals.iter().min().unwrap(), *vals.iter().max().unwrap());
                    assert_eq!((r.min, r.max), want, "fortran {fortran} axis {axis} [{k}]");
                }
            }
        }
    }
    // Other integer types and bool get exact ranges too; floats do not need them.
    let u = make(&p, &[3], DType::U8, false, Fill::Value(200u8.into()));
    let r = stats(&u, &Control::default()).unwrap().range.unwrap();
    assert_eq!((r.min, r.max), (200, 200));
    let b = make(&p, &[3], DType::Bool, false, Fill::Value(true.into()));
    assert_eq!(
        stats(&b, &Control::default()).unwrap().range.unwrap().min,
        1
    );
    let e = make(&p, &[0, 4], DType::I32, false, Fill::Zeros);
    assert!(stats(&e, &Control::default())
        .unwrap()
        .range
        .unwrap()
        .is_empty());
    let x = make(&p, &[3], DType::F64, false, Fill::Zeros);
    assert_eq!(stats(&x, &Control::default()).unwrap().range, None);
}

#[test]
fn an_i64_fill_is_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fill.npy");
    for v in [1234567890123456789i64, i64::MAX, i64::MIN] {
        let f = make(&p, &[4], DType::I64, false, Fill::Value(v.into()));
        assert_eq!(f.get(&[3]).unwrap(), ooc::Scalar::I64(v));
    }
}

#[test]
fn shapes_beyond_numpy_or_files_are_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.npy");
    let opts = CreateOptions::default();
    for shape in [vec![1; 65], vec![usize::MAX, 2], vec![1 << 62]] {
        let e = create(&p, &shape, &opts, &Control::default()).unwrap_err();
        assert!(matches!(e, ooc::OocError::Shape(_)), "{e}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    create(&p, &[1; 64], &opts, &Control::default()).unwrap();
    assert_eq!(NpyFile::open(&p).unwrap().shape().len(), 64);
}
