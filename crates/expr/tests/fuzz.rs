//! Fuzzing the parser, type checker and evaluator with proptest (stable
//! toolchain: no cargo-fuzz): random strings and token soups must give a
//! value or a typed error, never a panic. Inputs it ever found to crash are
//! kept in `fuzz_corpus.txt` and replayed here.

use expr::{Arg, Complex64, DType, Expr};
use ndarray::{Array1, Array2};
use proptest::prelude::*;

const SIG: [(&str, DType); 8] = [
    ("a", DType::F64),
    ("b", DType::F64),
    ("f", DType::F32),
    ("i", DType::I32),
    ("l", DType::I64),
    ("c", DType::C128),
    ("m", DType::Bool),
    ("u", DType::F64),
];

/// Compiles `text` and, when it compiles, evaluates it on small arrays
/// (`u` is 2-D, the others 1-D of length 5, so shapes may also clash).
fn exercise(text: &str) {
    let Ok(e) = Expr::compile(text, &SIG) else {
        return;
    };
    let a = Array1::from(vec![0.5, -1.0, f64::NAN, 3.0, f64::INFINITY]);
    let b = Array1::from(vec![2.0, 0.0, -0.0, 1e308, -7.0]);
    let f = a.mapv(|x| x as f32);
    let i = Array1::from(vec![i32::MIN, -1, 0, 7, i32::MAX]);
    let l = Array1::from(vec![i64::MIN, -1, 0, 64, i64::MAX]);
    let c = a.mapv(|x| Complex64::new(x, 1.0));
    let m = Array1::from(vec![true, false, true, false, true]);
    let u = Array2::from_shape_fn((4, 5), |(r, s)| (r * 5 + s) as f64);
    let inputs: Vec<(&str, Arg)> = vec![
        ("a", (&a).into()),
        ("b", (&b).into()),
        ("f", (&f).into()),
        ("i", (&i).into()),
        ("l", (&l).into()),
        ("c", (&c).into()),
        ("m", (&m).into()),
        ("u", (&u).into()),
    ];
    let used = e.input_names();
    let inputs: Vec<(&str, Arg)> = inputs
        .into_iter()
        .filter(|(n, _)| used.contains(n))
        .collect();
    let _ = e.eval_new(&inputs);
}

const TOKENS: [&str; 44] = [
    "a", "b", "f", "i", "l", "c", "m", "u", "1", "2.5", "1j", "0", "-1", "True", "(", ")", "[",
    "]", ",", "+", "-", "*", "/", "**", "%", "<<", ">>", "<", "<=", "==", "!=", ">=", ">", "&",
    "|", "~", "sin(", "where(", "sum(", "axis=", "complex(", "abs(", "u[-1,0]", "a[1]",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,40}") {
        exercise(&s);
    }

    #[test]
    fn token_soups_never_panic(toks in prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..16),
                               spaced in any::<bool>()) {
        exercise(&toks.join(if spaced { " " } else { "" }));
    }
}

#[test]
fn corpus_never_panics() {
    let corpus = include_str!("fuzz_corpus.txt");
    let mut n = 0;
    for line in corpus
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        exercise(line);
        n += 1;
    }
    assert!(n > 40, "the corpus is read ({n} entries)");
}
