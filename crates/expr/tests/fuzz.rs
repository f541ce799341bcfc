//! Fuzzing the parser, type checker and evaluator with proptest (stable
//! toolchain: no cargo-fuzz): random strings, token soups and well-formed
//! expression trees (deep and wide, with every operator and function) must
//! compile to an expression or a typed error, and evaluate to a value or a
//! typed error — never panic, on the test thread or on a 2 MiB stack.
//! Inputs it ever found to crash are kept in `fuzz_corpus.txt` and
//! replayed here.

use expr::{Arg, Complex64, DType, Expr, ExprError};
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

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

/// Checks that an error is a message: its first line says what is wrong.
fn typed(e: ExprError) {
    let msg = e.to_string();
    assert!(
        msg.lines().next().is_some_and(|l| !l.trim().is_empty()),
        "{e:?}"
    );
}

/// Compiles `text` and, when it compiles, evaluates it on small arrays
/// (`u` is 2-D, the others 1-D of length 5, so shapes may also clash).
fn exercise(text: &str) {
    let e = match Expr::compile(text, &SIG) {
        Ok(e) => e,
        Err(e) => return typed(e),
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
    if let Err(e) = e.eval_new(&inputs) {
        typed(e);
    }
}

const TOKENS: [&str; 56] = [
    "a",
    "b",
    "f",
    "i",
    "l",
    "c",
    "m",
    "u",
    "1",
    "2.5",
    "1j",
    "0",
    "-1",
    "True",
    "(",
    ")",
    "[",
    "]",
    ",",
    "+",
    "-",
    "*",
    "/",
    "**",
    "%",
    "<<",
    ">>",
    "<",
    "<=",
    "==",
    "!=",
    ">=",
    ">",
    "&",
    "|",
    "~",
    "sin(",
    "where(",
    "sum(",
    "axis=",
    "complex(",
    "abs(",
    "u[-1,0]",
    "a[1]",
    "False",
    "99999999999999999999",
    "9223372036854775808",
    "1e999",
    "0.0",
    "real(",
    "imag(",
    "product(",
    "arctan2(",
    "log(",
    "sqrt(",
    "**-1",
];

/// Operands: every input (with and without offsets) and every kind of
/// literal, including integers past 32 and 64 bits and an infinite float.
const LEAVES: [&str; 26] = [
    "a",
    "b",
    "f",
    "i",
    "l",
    "c",
    "m",
    "u",
    "u[-1,0]",
    "u[1,1]",
    "a[1]",
    "a[-2]",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "2.5",
    "0.5",
    "1e999",
    "1j",
    "True",
    "False",
    "2147483648",
    "99999999999999999999",
    "9223372036854775807",
];

/// Every binary operator.
const BINARY: [&str; 16] = [
    "+", "-", "*", "/", "**", "%", "<<", ">>", "<", "<=", "==", "!=", ">=", ">", "&", "|",
];

/// Every unary operator.
const UNARY: [&str; 3] = ["-", "+", "~"];

/// Every function of one argument.
const FUNCTIONS_1: [&str; 22] = [
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "log", "log10", "log1p", "exp", "expm1", "sqrt", "abs", "conj", "real",
    "imag",
];

/// Every function of two arguments.
const FUNCTIONS_2: [&str; 2] = ["arctan2", "complex"];

/// A random well-formed expression: operators, calls of every function,
/// `where`, and unparenthesised chains, nested up to 6 levels.
fn tree() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(LEAVES.to_vec()).prop_map(str::to_string);
    leaf.prop_recursive(6, 200, 8, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(BINARY.to_vec()),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            (prop::sample::select(UNARY.to_vec()), inner.clone())
                .prop_map(|(op, x)| format!("{op}{x}")),
            (prop::sample::select(FUNCTIONS_1.to_vec()), inner.clone())
                .prop_map(|(f, x)| format!("{f}({x})")),
            (
                prop::sample::select(FUNCTIONS_2.to_vec()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(f, x, y)| format!("{f}({x}, {y})")),
            (
                inner.clone(),
                prop::sample::select(vec!["<", "!=", ">="]),
                inner.clone(),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(p, cmp, q, x, y)| format!("where({p} {cmp} {q}, {x}, {y})")),
            (
                inner.clone(),
                prop::collection::vec((prop::sample::select(BINARY.to_vec()), inner), 1..8)
            )
                .prop_map(|(first, rest)| chain(&first, &rest)),
        ]
    })
}

/// `first op1 x1 op2 x2 ...`, without parentheses (precedence decides).
fn chain(first: &str, rest: &[(&str, String)]) -> String {
    let mut s = first.to_string();
    for (op, x) in rest {
        s.push_str(&format!(" {op} {x}"));
    }
    s
}

/// A random expression, possibly as the argument of a reduction.
fn rooted() -> impl Strategy<Value = String> {
    (tree(), 0..4usize, -3..3i64).prop_map(|(t, root, axis)| match root {
        0 => format!("sum({t})"),
        1 => format!("product({t}, axis={axis})"),
        _ => t,
    })
}

/// A deep or long expression: a tree inside thousands of nested
/// parentheses, unary operators or calls, or at the head of a chain of
/// thousands of operators.
fn deep() -> impl Strategy<Value = String> {
    let wrappers = prop::sample::select(vec![
        ("(", ")"),
        ("-", ""),
        ("~", ""),
        ("sin(", ")"),
        ("abs(", ")"),
        ("where(m, ", ", a)"),
        ("a + (", ")"),
        ("2 ** ", ""),
    ]);
    prop_oneof![
        (tree(), wrappers, 1..3000usize).prop_map(|(t, (open, close), n)| {
            format!("{}{t}{}", open.repeat(n), close.repeat(n))
        }),
        (
            tree(),
            prop::sample::select(BINARY.to_vec()),
            prop::sample::select(LEAVES.to_vec()),
            1..5000usize
        )
            .prop_map(|(t, op, x, n)| {
                let mut s = t;
                for _ in 0..n {
                    s.push_str(op);
                    s.push_str(x);
                }
                s
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,40}") {
        exercise(&s);
    }

    #[test]
    fn expression_trees_never_panic(text in rooted()) {
        exercise(&text);
    }

    #[test]
    fn token_soups_never_panic(toks in prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..16),
                               spaced in any::<bool>()) {
        exercise(&toks.join(if spaced { " " } else { "" }));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn deep_and_long_expressions_never_panic(text in deep()) {
        exercise(&text);
    }
}

/// Runs `cases` cases of the strategy `make` builds through [`exercise`]
/// on a thread with a 2 MiB stack, the smallest a caller is likely to
/// compile on.
fn on_a_small_stack<S: Strategy<Value = String> + 'static>(make: fn() -> S, cases: u32) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let mut runner = TestRunner::new(Config::with_cases(cases));
            runner
                .run(&make(), |text| {
                    exercise(&text);
                    Ok(())
                })
                .unwrap();
        })
        .unwrap()
        .join()
        .expect("no expression panics or overflows a 2 MiB stack");
}

#[test]
fn expression_trees_never_panic_on_a_small_stack() {
    on_a_small_stack(rooted, 200);
}

#[test]
fn deep_and_long_expressions_never_panic_on_a_small_stack() {
    on_a_small_stack(deep, 32);
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
