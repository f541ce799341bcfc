//! Checkpoint files: the parameters, the step count and the density, with a
//! checksum, written atomically ([`runtime::atomic`]) so that a crash never
//! leaves a half-written checkpoint behind.
//!
//! Layout (little-endian): magic `HPCRSDF\x01`, `u64` grid side `npnts`,
//! `u64` step, six `f64` (D, x1, x2, runtime, dx, outtime), `u64` graphics
//! flag, `npnts²` `f64` density values row by row, then a `u64` FNV-1a
//! checksum of everything before it. A hand-written format because it is
//! twenty lines and must carry the checksum and parameters exactly.

use std::io::{self, Write};
use std::path::Path;

use ndarray::Array2;
use runtime::atomic::write_atomically;
use runtime::number::Readable;

use crate::{DiffusionError, Params};

/// What every checkpoint starts with: the format's name, then its version.
const MAGIC: &[u8; 8] = b"HPCRSDF\x01";
/// The format version this build writes and reads: the magic's last byte.
const VERSION: u8 = MAGIC[7];
const HEADER: usize = 8 + 8 + 8 + 6 * 8 + 8;

/// The contents of a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The run's parameters.
    pub params: Params,
    /// Steps done when it was written.
    pub step: usize,
    /// The density field.
    pub dens: Array2<f64>,
}

/// 64-bit FNV-1a, fed in pieces: the checksum the file format specifies
/// (written here because it is part of the format, which existing
/// checkpoints must keep matching, not a general-purpose hash).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn header(params: &Params, step: usize, npnts: usize) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&(npnts as u64).to_le_bytes());
    h.extend_from_slice(&(step as u64).to_le_bytes());
    for v in [
        params.d,
        params.x1,
        params.x2,
        params.runtime,
        params.dx,
        params.outtime,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&u64::from(params.graphics).to_le_bytes());
    h
}

/// Writes a checkpoint to `path` atomically.
pub fn write(
    path: &Path,
    params: &Params,
    step: usize,
    dens: &Array2<f64>,
) -> Result<(), DiffusionError> {
    write_atomically(path, |w| encode(w, params, step, dens, |_| Ok(())))?;
    Ok(())
}

/// Test hook standing for a crash during a checkpoint: writes half of the
/// checkpoint's temporary file, flushes it and aborts the process, leaving
/// the temporary behind and the previous checkpoint in place.
#[cfg(feature = "testing")]
pub(crate) fn write_half_and_abort(path: &Path, params: &Params, step: usize, dens: &Array2<f64>) {
    let crash = |w: &mut dyn Write| -> io::Result<()> {
        w.flush()?;
        std::process::abort()
    };
    // Only an error before the half-way point returns here.
    let _ = write_atomically(path, |w| encode(w, params, step, dens, crash));
    std::process::abort()
}

/// Writes the checkpoint's bytes to `out`, calling `at_half` when half of
/// the density is written.
fn encode<W: Write>(
    out: &mut W,
    params: &Params,
    step: usize,
    dens: &Array2<f64>,
    mut at_half: impl FnMut(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut sum = Fnv::new();
    let h = header(params, step, dens.nrows());
    sum.update(&h);
    out.write_all(&h)?;
    let values = dens.as_slice().expect("density is standard layout");
    let mut buf = Vec::with_capacity(8 * 4096);
    let (first, second) = values.split_at(values.len() / 2);
    for (half, part) in [first, second].into_iter().enumerate() {
        if half == 1 {
            at_half(out)?;
        }
        for chunk in part.chunks(4096) {
            buf.clear();
            for v in chunk {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            sum.update(&buf);
            out.write_all(&buf)?;
        }
    }
    out.write_all(&sum.0.to_le_bytes())
}

impl Checkpoint {
    /// Reads and verifies a checkpoint file.
    pub fn read(path: &Path) -> Result<Checkpoint, DiffusionError> {
        let bad = |why: String| DiffusionError::Checkpoint {
            path: path.to_path_buf(),
            why,
        };
        let bytes =
            read_as_much_as_the_header_says(path).map_err(|e| DiffusionError::io(path, e))?;
        if bytes.len() >= 8 && bytes[..7] == MAGIC[..7] && bytes[7] != VERSION {
            return Err(bad(format!(
                "is a checkpoint of format version {}; this build reads version {VERSION}",
                bytes[7]
            )));
        }
        if bytes.len() < HEADER + 8 || &bytes[..8] != MAGIC {
            return Err(bad("is not an hpcrs diff2d checkpoint".into()));
        }
        let u = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let f = |at: usize| f64::from_bits(u(at));
        let npnts = u(8) as usize;
        let expected = file_len(u(8));
        if expected != Some(bytes.len() as u64) {
            return Err(bad(format!(
                "is truncated or damaged ({} bytes, a {npnts}x{npnts} grid needs {})",
                bytes.len(),
                expected.map_or("more".into(), |e| e.to_string())
            )));
        }
        let body = bytes.len() - 8;
        let mut sum = Fnv::new();
        sum.update(&bytes[..body]);
        if sum.0 != u(body) {
            return Err(bad("checksum mismatch: the file is damaged".into()));
        }
        let params = Params {
            d: f(24),
            x1: f(32),
            x2: f(40),
            runtime: f(48),
            dx: f(56),
            outtime: f(64),
            graphics: u(72) != 0,
        };
        let values = bytes[HEADER..body]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let dens = Array2::from_shape_vec((npnts, npnts), values).expect("size checked above");
        Ok(Checkpoint {
            params,
            step: u(16) as usize,
            dens,
        })
    }
}

/// The length of the checkpoint of a `side`×`side` grid: header, cells and
/// checksum (`None` beyond `u64`).
fn file_len(side: u64) -> Option<u64> {
    side.checked_mul(side)
        .and_then(|c| c.checked_mul(8))
        .and_then(|c| c.checked_add(HEADER as u64 + 8))
}

/// The bytes of the checkpoint file `path`, but no more than its header
/// says it has plus one (so that a longer file is seen as one, and an
/// endless one, `/dev/zero` say, does not fill the memory); no more than the
/// header and its checksum if the header is not a checkpoint's.
fn read_as_much_as_the_header_says(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(HEADER as u64 + 8)
        .read_to_end(&mut bytes)?;
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Ok(bytes);
    }
    let side = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    if let Some(expected) = file_len(side) {
        let rest = expected.saturating_sub(bytes.len() as u64);
        file.take(rest.saturating_add(1)).read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// Refuses a checkpoint whose problem (D, x1, x2, dx) differs from `params`.
pub(crate) fn check_compatible(
    path: &Path,
    saved: &Params,
    params: &Params,
) -> Result<(), DiffusionError> {
    let pairs = [
        ("D", saved.d, params.d),
        ("x1", saved.x1, params.x1),
        ("x2", saved.x2, params.x2),
        ("dx", saved.dx, params.dx),
    ];
    let diffs: Vec<String> = pairs
        .iter()
        .filter(|(_, a, b)| a.to_bits() != b.to_bits())
        .map(|(n, a, b)| {
            format!(
                "{n} = {} in the checkpoint, {} now",
                Readable(*a),
                Readable(*b)
            )
        })
        .collect();
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(DiffusionError::Checkpoint {
            path: path.to_path_buf(),
            why: format!(
                "was written for different parameters ({}); run with the checkpoint's parameters or start afresh",
                diffs.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Params, Array2<f64>) {
        let p = Params {
            dx: 2.0,
            ..Params::default()
        };
        let dens = Array2::from_shape_fn((12, 12), |(i, j)| (i * 12 + j) as f64 / 7.0);
        (p, dens)
    }

    /// A directory holding the checkpoint of `sample()` at `step`, written
    /// as `c.ckpt`.
    fn written(step: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.ckpt");
        let (p, dens) = sample();
        write(&path, &p, step, &dens).unwrap();
        (dir, path)
    }

    #[test]
    fn round_trip_is_exact() {
        let (dir, path) = written(42);
        let (p, dens) = sample();
        let ck = Checkpoint::read(&path).unwrap();
        assert_eq!(
            ck,
            Checkpoint {
                params: p,
                step: 42,
                dens
            }
        );
        // No temporary is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn damage_is_detected() {
        let (_dir, path) = written(1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[HEADER + 17] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let e = Checkpoint::read(&path).unwrap_err().to_string();
        assert!(e.ends_with("checksum mismatch: the file is damaged"), "{e}");
        std::fs::write(&path, &bytes[..bytes.len() - 9]).unwrap();
        let e = Checkpoint::read(&path).unwrap_err().to_string();
        assert!(e.contains("is truncated or damaged"), "{e}");
        std::fs::write(&path, b"hello").unwrap();
        let e = Checkpoint::read(&path).unwrap_err().to_string();
        assert!(e.ends_with("is not an hpcrs diff2d checkpoint"), "{e}");
    }

    #[test]
    fn another_format_version_is_named() {
        let (_dir, path) = written(1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[7] = 2;
        std::fs::write(&path, &bytes).unwrap();
        let e = Checkpoint::read(&path).unwrap_err().to_string();
        assert!(
            e.ends_with("is a checkpoint of format version 2; this build reads version 1"),
            "{e}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any parameters, step and density come back bit for bit.
        #[test]
        fn any_checkpoint_round_trips(
            bits in proptest::collection::vec(proptest::prelude::any::<u64>(), 7),
            step in proptest::prelude::any::<usize>(),
            side in 0usize..6,
            seed in proptest::prelude::any::<u64>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.ckpt");
            let f = |i: usize| f64::from_bits(bits[i]);
            let params = Params { d: f(0), x1: f(1), x2: f(2), runtime: f(3), dx: f(4), outtime: f(5), graphics: bits[6] & 1 == 1 };
            let dens = Array2::from_shape_fn((side, side), |(i, j)| {
                f64::from_bits(seed.rotate_left((i * side + j) as u32).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            });
            write(&path, &params, step, &dens).unwrap();
            let back = Checkpoint::read(&path).unwrap();
            proptest::prop_assert_eq!(back.step, step);
            proptest::prop_assert_eq!(back.params.graphics, params.graphics);
            for (a, b) in [(back.params.d, params.d), (back.params.x1, params.x1), (back.params.x2, params.x2),
                (back.params.runtime, params.runtime), (back.params.dx, params.dx), (back.params.outtime, params.outtime)] {
                proptest::prop_assert_eq!(a.to_bits(), b.to_bits());
            }
            proptest::prop_assert!(back.dens.iter().zip(dens.iter()).all(|(a, b)| a.to_bits() == b.to_bits()));
            proptest::prop_assert_eq!(back.dens.dim(), dens.dim());
        }

        /// Damaged, truncated, extended or invented files are refused with
        /// an error naming the file, never a panic or a huge allocation.
        #[test]
        fn damaged_files_are_refused_by_name(
            cuts in proptest::collection::vec((0usize..2000, proptest::prelude::any::<u8>()), 0..8),
            truncate in proptest::option::of(0usize..2000),
            extra in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..16),
            header_side in proptest::option::of(proptest::prelude::any::<u64>()),
        ) {
            let (_dir, path) = written(3);
            let original = std::fs::read(&path).unwrap();
            let mut bytes = original.clone();
            if let Some(side) = header_side {
                bytes[8..16].copy_from_slice(&side.to_le_bytes());
            }
            for (at, flip) in &cuts {
                let at = at % bytes.len();
                bytes[at] ^= flip;
            }
            if let Some(len) = truncate {
                bytes.truncate(len.min(bytes.len()));
            }
            bytes.extend_from_slice(&extra);
            std::fs::write(&path, &bytes).unwrap();
            match Checkpoint::read(&path) {
                Ok(ck) => proptest::prop_assert_eq!(bytes, original, "read {:?}", ck.step),
                Err(e) => {
                    let e = e.to_string();
                    proptest::prop_assert!(e.starts_with(&format!("checkpoint {}", path.display())), "{}", e);
                    proptest::prop_assert_eq!(e.lines().count(), 1);
                }
            }
        }
    }

    #[test]
    fn a_failed_write_keeps_the_previous_checkpoint() {
        let (_dir, path) = written(7);
        let (p, dens) = sample();
        let mut sink = Vec::new();
        let failing = |_: &mut dyn Write| Err(io::Error::other("disk full"));
        let e = encode(&mut sink, &p, 8, &dens, failing).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        let e = write_atomically(&path, |w| encode(w, &p, 8, &dens, failing)).unwrap_err();
        assert!(e.to_string().ends_with("c.ckpt: disk full"), "{e}");
        assert_eq!(Checkpoint::read(&path).unwrap().step, 7);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn different_parameters_are_refused() {
        let (p, _) = sample();
        let q = Params {
            d: 2.0,
            ..p.clone()
        };
        let e = check_compatible(Path::new("c.ckpt"), &p, &q)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "checkpoint c.ckpt: was written for different parameters (D = 1 in the checkpoint, 2 now); \
             run with the checkpoint's parameters or start afresh"
        );
        let longer = Params {
            runtime: 30.0,
            ..p.clone()
        };
        check_compatible(Path::new("c.ckpt"), &p, &longer).unwrap();
    }
}
