//! Truncated and corrupt files get an error naming the problem, never a panic.

use ooc::{create, Control, CreateOptions, Fill, IoMode, NpyFile};

fn sample(dir: &std::path::Path) -> Vec<u8> {
    let p = dir.join("ok.npy");
    let opts = CreateOptions {
        fill: Fill::Random { seed: 1 },
        ..Default::default()
    };
    create(&p, &[10, 10], &opts, &Control::default()).unwrap();
    std::fs::read(&p).unwrap()
}

fn replace(b: &[u8], from: &str, to: &str) -> Vec<u8> {
    let pos = b
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .expect("pattern in header");
    let mut out = b[..pos].to_vec();
    out.extend_from_slice(to.as_bytes());
    out.extend_from_slice(&b[pos + from.len()..]);
    out
}

fn open_err(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let e = NpyFile::open(&p).unwrap_err().to_string();
    assert!(e.contains(name), "message does not name the file: {e}");
    e
}

#[test]
fn truncated_data() {
    let dir = tempfile::tempdir().unwrap();
    let ok = sample(dir.path());
    let e = open_err(dir.path(), "trunc.npy", &ok[..ok.len() - 8]);
    assert!(e.contains("file size does not match header"), "{e}");
    assert!(
        e.contains("needs 800 bytes") && e.contains("has 792"),
        "{e}"
    );
}

#[test]
fn extra_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = sample(dir.path());
    b.extend_from_slice(&[0; 3]);
    let e = open_err(dir.path(), "long.npy", &b);
    assert!(e.contains("file size does not match header"), "{e}");
}

#[test]
fn bad_magic() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = sample(dir.path());
    b[1] = b'X';
    let e = open_err(dir.path(), "magic.npy", &b);
    assert!(e.contains("bad magic"), "{e}");
    let e = open_err(dir.path(), "empty.npy", b"");
    assert!(e.contains("bad magic"), "{e}");
}

#[test]
fn truncated_header() {
    let dir = tempfile::tempdir().unwrap();
    let b = sample(dir.path());
    let e = open_err(dir.path(), "head.npy", &b[..50]);
    assert!(e.contains("file ends inside the header"), "{e}");
}

#[test]
fn unsupported_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let b = sample(dir.path());
    let c = replace(&b, "'<f8'", "'<c8'");
    let e = open_err(dir.path(), "complex.npy", &c);
    assert!(e.contains("unsupported dtype \"<c8\""), "{e}");
    let structured = replace(
        &b,
        "'<f8', 'fortran_order'",
        "[('a','<f4')], 'fortran_order'",
    );
    let e = open_err(dir.path(), "struct.npy", &structured);
    assert!(e.contains("unsupported dtype"), "{e}");
}

#[test]
fn garbage_header_dict() {
    let dir = tempfile::tempdir().unwrap();
    let b = sample(dir.path());
    let text = replace(&b, "'shape': (10, 10)", "'shape': [10, 10]");
    let e = open_err(dir.path(), "dict.npy", &text);
    assert!(
        e.contains("bad .npy header") && e.contains("'shape'"),
        "{e}"
    );
}

#[test]
fn missing_file() {
    let e = NpyFile::open("/nonexistent/x.npy").unwrap_err().to_string();
    assert!(
        e.contains("/nonexistent/x.npy") && e.contains("open"),
        "{e}"
    );
}

#[test]
fn truncated_after_open_is_an_error_not_a_fault() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("shrunk.npy");
    std::fs::write(&p, sample(dir.path())).unwrap();
    let files: Vec<NpyFile> = (0..4).map(|_| NpyFile::open(&p).unwrap()).collect();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(200).unwrap();
    for (file, io) in files
        .iter()
        .zip([IoMode::Mmap, IoMode::MmapPopulate, IoMode::Pread])
    {
        let ctl = Control {
            io,
            ..Control::default()
        };
        let e = ooc::reduce::stats(file, &ctl).unwrap_err().to_string();
        assert!(
            e.contains("shrunk.npy") && e.contains("file size does not match header"),
            "{io:?}: {e}"
        );
    }
    // Element access checks the size before it maps the file.
    let e = files[3].get(&[9, 9]).unwrap_err().to_string();
    assert!(e.contains("file size does not match header"), "{e}");
}
