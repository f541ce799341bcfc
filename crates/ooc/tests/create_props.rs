//! `ooc create`'s arguments, through the library as the command line passes them: random
//! shape texts, fill texts and dtypes. Each ends in a file that holds exactly what was
//! asked, or in an error, with nothing left behind; never a panic.

use ooc::shape::{check_shape, parse_shape};
use ooc::{create, Control, CreateOptions, DType, Fill, NpyFile, OocError, Scalar};
use proptest::prelude::*;

/// Largest array the test writes; bigger valid shapes are only checked.
const MAX_BYTES: u64 = 64 << 10;

/// Shape texts: mostly well formed and small, some huge, some with too many dimensions,
/// some random.
fn shape_text() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(vec!["x", "X", ",", "*", " x ", ", "]);
    prop_oneof![
        6 => (prop::collection::vec(0usize..9, 0..5), sep.clone())
            .prop_map(|(dims, sep)| dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(sep)),
        2 => (prop::collection::vec(any::<u64>(), 1..4), sep.clone())
            .prop_map(|(dims, sep)| dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(sep)),
        1 => (60usize..70, sep).prop_map(|(n, sep)| vec!["1"; n].join(sep)),
        1 => Just("()".to_string()),
        2 => "\\PC{0,16}",
        1 => "[0-9x,* -]{0,12}",
    ]
}

/// Fill texts: integers at and beyond every type's edges, floats, bool words, garbage.
fn fill_text() -> impl Strategy<Value = String> {
    let edges = [
        "0",
        "1",
        "-1",
        "255",
        "256",
        "-128",
        "2147483647",
        "2147483648",
        "-2147483649",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "9007199254740993",
        "1e3",
        "2.0",
        "1.5",
        "-0.0",
        "1e39",
        "3.4028235e38",
        "1e308",
        "1e309",
        "nan",
        "inf",
        "-inf",
        "true",
        "False",
        "TRUE",
        "",
        " 7 ",
        "+3",
        "0x10",
        "1_000",
    ];
    prop_oneof![
        3 => prop::sample::select(edges.to_vec()).prop_map(String::from),
        2 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<i128>().prop_map(|v| v.to_string()),
        2 => any::<f64>().prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|v| format!("{v:e}")),
        1 => any::<f32>().prop_map(|v| v.to_string()),
        1 => "\\PC{0,8}",
    ]
}

/// The value `text` must have been stored as in an array of `dtype`, read independently.
fn expected(dtype: DType, text: &str) -> Option<Scalar> {
    let t = text.trim();
    let word = match t.to_ascii_lowercase().as_str() {
        "true" => Some(1i128),
        "false" => Some(0),
        _ => None,
    };
    let whole = word.or_else(|| t.parse::<i128>().ok()).or_else(|| {
        let v = t.parse::<f64>().ok()?;
        (v.is_finite() && v.fract() == 0.0 && v.abs() < 1e30).then_some(v as i128)
    });
    match dtype {
        DType::F64 => word
            .map(|w| w as f64)
            .or_else(|| t.parse::<f64>().ok())
            .map(Scalar::F64),
        DType::F32 => {
            let v = word.map(|w| w as f32).or_else(|| t.parse::<f32>().ok())?;
            let wide = word.map(|w| w as f64).or_else(|| t.parse::<f64>().ok())?;
            (v.is_finite() || !wide.is_finite()).then_some(Scalar::F32(v))
        }
        DType::I64 => i64::try_from(whole?).ok().map(Scalar::I64),
        DType::I32 => i32::try_from(whole?).ok().map(Scalar::I32),
        DType::U8 => u8::try_from(whole?).ok().map(Scalar::U8),
        DType::Bool => match (word, t) {
            (Some(w), _) => Some(Scalar::Bool(w == 1)),
            (None, "0") => Some(Scalar::Bool(false)),
            (None, "1") => Some(Scalar::Bool(true)),
            _ => None,
        },
    }
}

/// Whether two stored values are the same (NaN equal to NaN, -0.0 apart from 0.0).
fn same(a: Scalar, b: Scalar) -> bool {
    match (a, b) {
        (Scalar::F64(x), Scalar::F64(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Scalar::F32(x), Scalar::F32(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn create_makes_the_right_file_or_refuses(
        shape in shape_text(),
        fill in prop_oneof![4 => fill_text().prop_map(Some), 1 => Just(None)],
        dtype in prop::sample::select(DType::ALL.to_vec()),
        fortran in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        let Ok(dims) = parse_shape(&shape) else {
            prop_assert!(shape.trim().split(['x', 'X', ',', '*']).any(|d| d.trim().parse::<usize>().is_err())
                || shape.split(['x', 'X', ',', '*']).count() > 64);
            return Ok(());
        };
        let value = match &fill {
            Some(text) => {
                let parsed = Scalar::parse(dtype, text);
                let want = expected(dtype, text);
                match (&parsed, want) {
                    (Ok(v), Some(w)) => prop_assert!(same(*v, w), "{text:?} as {dtype}: {v:?}, expected {w:?}"),
                    (Err(_), None) => {}
                    (p, w) => prop_assert!(false, "{text:?} as {dtype}: parsed {p:?}, expected {w:?}"),
                }
                match parsed {
                    Ok(v) => Some(v),
                    Err(_) => return Ok(()),
                }
            }
            None => None,
        };
        let opts = CreateOptions {
            dtype,
            fortran_order: fortran,
            fill: value.map_or(Fill::Random { seed }, Fill::Value),
            sync: false,
        };
        match check_shape(dtype, &dims) {
            Err(_) => {
                let e = create(&path, &dims, &opts, &Control::default()).unwrap_err();
                prop_assert!(matches!(e, OocError::Shape(_)), "{e}");
                prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
            }
            Ok(bytes) if bytes > MAX_BYTES => {}
            Ok(bytes) => {
                let ctl = Control { memory_limit: 64 << 10, ..Control::default() };
                create(&path, &dims, &opts, &ctl).unwrap();
                let file = NpyFile::open(&path).unwrap();
                prop_assert_eq!(file.shape(), &dims[..]);
                prop_assert_eq!(file.header().dtype, dtype);
                prop_assert_eq!(file.header().fortran_order, fortran);
                prop_assert_eq!(file.data_bytes(), bytes);
                let stored = file.row(&[]).unwrap();
                prop_assert_eq!(stored.len() as u64, bytes / dtype.size() as u64);
                if let Some(v) = value {
                    prop_assert!(stored.iter().all(|s| same(*s, v)), "{stored:?} vs {v:?}");
                }
                prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
            }
        }
    }
}
