//! Hostile expressions: very long operator chains, deep nesting and wide
//! expressions compile and evaluate (or give one clear error) and never
//! overflow the stack, on the test thread or on a 2 MiB thread stack.

use expr::{evaluate, evaluate_scalar, variables, Arg, DType, Expr, ExprError, Scalar};
use ndarray::Array1;

/// The stack of a test thread (and rayon's default): the smallest stack a
/// caller is likely to compile on.
const SMALL_STACK: usize = 2 << 20;

/// Runs `f` on a thread with a 2 MiB stack and returns its result (a stack
/// overflow aborts the whole test binary, which fails the test).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn a test thread")
        .join()
        .expect("the test thread does not panic")
}

/// `first op b op b ... op b` with `n` terms.
fn chain(first: &str, op: &str, term: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * (op.len() + term.len()));
    s.push_str(first);
    for _ in 1..n {
        s.push_str(op);
        s.push_str(term);
    }
    s
}

fn f64s(a: expr::Array) -> Vec<f64> {
    a.into_typed::<f64>().unwrap().iter().cloned().collect()
}

/// `a+b+b+...+b`: 100,000 terms compile to a program and give the sum.
fn long_sum_chain() {
    let n = 100_000;
    let text = chain("a", "+", "b", n);
    let a = Array1::from(vec![1.0, 2.0, 3.0]);
    let b = Array1::from(vec![1.0, 0.5, 0.0]);
    let r = evaluate(&text, &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
    let want: Vec<f64> = (0..3)
        .map(|i| (1..n).fold(a[i], |acc, _| acc + b[i]))
        .collect();
    assert_eq!(f64s(r), want);
}

#[test]
fn a_100k_term_sum_works_on_a_small_stack() {
    on_small_stack(long_sum_chain);
}

#[test]
fn a_100k_term_sum_works_on_the_test_thread() {
    long_sum_chain();
}

/// Every left-associative binary operator, in a chain of 30,000 terms
/// (more than what overflowed an 8 MiB stack; a 2 MiB one overflowed at a
/// few thousand).
fn every_operator_chain() {
    let n = 30_000;
    let i = Array1::from(vec![5i64, -7, 12]);
    let j = Array1::from(vec![3i64, 2, 1]);
    let m = Array1::from(vec![true, false, true]);
    let x = Array1::from(vec![0.5, 2.0, -1.5]);
    let ints: [(&str, &str); 9] = [
        ("+", "j"),
        ("-", "j"),
        ("*", "j"),
        ("%", "j"),
        ("&", "j"),
        ("|", "j"),
        ("<<", "0"),
        (">>", "0"),
        ("+", "1"),
    ];
    for (op, term) in ints {
        let text = chain("i", op, term, n);
        let r = evaluate(&text, &[("i", (&i).into()), ("j", (&j).into())])
            .unwrap_or_else(|e| panic!("i{op}{term}...: {e}"));
        assert_eq!(r.dtype(), DType::I64, "i{op}{term}...");
        let r = r.into_typed::<i64>().unwrap();
        for k in 0..3 {
            let (x, y) = (
                i[k],
                if term == "j" {
                    j[k]
                } else {
                    term.parse().unwrap()
                },
            );
            let want = (1..n).fold(x, |acc, _| match op {
                "+" => acc.wrapping_add(y),
                "-" => acc.wrapping_sub(y),
                "*" => acc.wrapping_mul(y),
                "%" => acc.rem_euclid(y),
                "&" => acc & y,
                "|" => acc | y,
                "<<" => acc << y,
                ">>" => acc >> y,
                _ => unreachable!(),
            });
            assert_eq!(r[k], want, "i{op}{term}... element {k}");
        }
    }
    let r = evaluate(&chain("x", "/", "1.0", n), &[("x", (&x).into())]).unwrap();
    assert_eq!(f64s(r), x.to_vec());
    let r = evaluate(&chain("m", "&", "m", n), &[("m", (&m).into())]).unwrap();
    assert_eq!(
        r.into_typed::<bool>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        m.to_vec()
    );
    let r = evaluate(&chain("m", "|", "~m", n), &[("m", (&m).into())]).unwrap();
    assert_eq!(
        r.into_typed::<bool>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![true; 3]
    );
}

#[test]
fn chains_of_every_operator_work_on_a_small_stack() {
    on_small_stack(every_operator_chain);
}

/// Chains through every compiler pass: functions and fusable shapes in
/// the terms, a reduction around the chain, a constant chain folded to one
/// value, a power of a chain (copied by the power rewriting), a cast on the
/// way out, names listed, the compiled expression cloned and printed.
fn chains_through_every_pass() {
    let n = 100_000;
    let a = Array1::from(vec![1.0f64, 2.0]);
    let b = Array1::from(vec![0.0f64, 1.0]);
    let ins: Vec<(&str, Arg)> = vec![("a", (&a).into()), ("b", (&b).into())];

    // Terms that fuse (a*b + a*b ...) and call functions: 20,000 terms of
    // three operations each.
    let m = 20_000;
    let text = chain("a", "+", "a*b + sin(b)*0", m);
    let r = f64s(evaluate(&text, &ins).unwrap());
    let want: Vec<f64> = (0..2)
        .map(|k| (1..m).fold(a[k], |acc, _| acc + a[k] * b[k] + b[k].sin() * 0.0))
        .collect();
    assert_eq!(r, want);

    // A reduction of a chain.
    let text = format!("sum({})", chain("a", "+", "b", n));
    let r = evaluate(&text, &ins).unwrap();
    let want: f64 = (0..2).map(|k| (1..n).fold(a[k], |acc, _| acc + b[k])).sum();
    assert_eq!(r.single(), Some(Scalar::F64(want)));

    // A constant chain folds to one value.
    assert_eq!(
        evaluate_scalar(&chain("1", "+", "1", n)).unwrap(),
        Scalar::I32(n as i32)
    );
    let e = Expr::compile(&chain("a", "*", "(1+1-1)", n), &[("a", DType::F64)]).unwrap();
    assert_eq!(e.num_instructions(), n - 1);

    // A power of a chain: the base is copied by the rewriting to products.
    let text = format!("({})**3", chain("a", "-", "b", n));
    let r = f64s(evaluate(&text, &ins).unwrap());
    let base: Vec<f64> = (0..2)
        .map(|k| (1..n).fold(a[k], |acc, _| acc - b[k]))
        .collect();
    assert_eq!(r, base.iter().map(|x| x * x * x).collect::<Vec<_>>());

    // Cast on the way out (an i32 chain into an f64 output).
    let i = Array1::from(vec![1i32, 2]);
    let e = Expr::compile(&chain("i", "+", "i", n), &[("i", DType::I32)]).unwrap();
    let mut out = Array1::<f64>::zeros(2);
    e.eval(&[("i", (&i).into())], &mut out).unwrap();
    assert_eq!(out.to_vec(), vec![n as f64, 2.0 * n as f64]);

    // Names, a clone, a debug print and a drop of a deep expression.
    let text = chain("a", "+", "b", n);
    assert_eq!(
        variables(&text).unwrap(),
        vec![("a".to_string(), 0), ("b".to_string(), 0)]
    );
    let e = Expr::compile(&text, &[("a", DType::F64), ("b", DType::F64)]).unwrap();
    let copy = e.clone();
    assert!(!format!("{copy:?}").is_empty());
    drop(e);
    assert_eq!(copy.eval_new(&ins).unwrap().dtype(), DType::F64);
}

#[test]
fn chains_pass_every_compiler_stage_on_a_small_stack() {
    on_small_stack(chains_through_every_pass);
}

/// Nesting (parentheses, unary operators, right-associative `**`, calls,
/// right operands) 30,000 levels deep parses, checks, lowers and
/// evaluates: no pass recurses.
fn deep_nesting() {
    let n = 30_000;
    let a = Array1::from(vec![0.5f64, -2.0]);
    let m = Array1::from(vec![true, false]);
    let ins: Vec<(&str, Arg)> = vec![("a", (&a).into()), ("m", (&m).into())];
    let eval = |text: &str| evaluate(text, &ins).unwrap_or_else(|e| panic!("{e}"));
    let r = eval(&format!("{}a{}", "(".repeat(n), ")".repeat(n)));
    assert_eq!(f64s(r), a.to_vec());
    let r = eval(&format!("{}a", "-".repeat(n)));
    assert_eq!(f64s(r), a.to_vec());
    let r = eval(&format!("{}m", "~".repeat(n + 1)));
    let flipped: Vec<bool> = m.iter().map(|b| !b).collect();
    assert_eq!(
        r.into_typed::<bool>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        flipped
    );
    let r = eval(&chain("a", "**", "1", n));
    assert_eq!(f64s(r), a.to_vec());
    let r = eval(&format!("{}a{}", "abs(".repeat(n), ")".repeat(n)));
    assert_eq!(f64s(r), vec![0.5, 2.0]);
    let r = eval(&format!("{}a{}", "(a-".repeat(n), ")".repeat(n)));
    // a-(a-(...(a-a))) with n subtractions: 0 when n is odd, else a.
    assert_eq!(
        f64s(r),
        if n % 2 == 1 {
            vec![0.0, 0.0]
        } else {
            a.to_vec()
        }
    );
    let r = eval(&format!("{}a{}", "where(m, a, ".repeat(n), ")".repeat(n)));
    assert_eq!(f64s(r), a.to_vec());
    // Errors deep inside are found and reported with their column.
    let text = format!("{}a + * a{}", "(".repeat(n), ")".repeat(n));
    let e = Expr::compile(&text, &[("a", DType::F64)]).unwrap_err();
    assert!(
        matches!(e, ExprError::Syntax { col, .. } if col == n + 5),
        "{e}"
    );
    let text = format!("{}a{}", "sin(".repeat(n), ")".repeat(n - 1));
    assert!(Expr::compile(&text, &[("a", DType::F64)]).is_err());
    assert!(variables(&text).is_err());
}

#[test]
fn deep_nesting_works_on_a_small_stack() {
    on_small_stack(deep_nesting);
}

/// Wide expressions: 20,000 distinct inputs, 100,000 distinct constants.
/// Compiling and binding them is linear, not quadratic, in their number.
fn wide_expressions() {
    let n = 20_000;
    let names: Vec<String> = (0..n).map(|k| format!("v{k}")).collect();
    let arrays: Vec<Array1<f64>> = (0..n).map(|k| Array1::from(vec![k as f64, 1.0])).collect();
    let inputs: Vec<(&str, Arg)> = names
        .iter()
        .zip(&arrays)
        .map(|(n, a)| (n.as_str(), a.into()))
        .collect();
    let text = names.join("+");
    let r = f64s(evaluate(&text, &inputs).unwrap());
    let want0 = (0..n).fold(0.0, |acc, k| acc + k as f64);
    assert_eq!(r, vec![want0, n as f64]);
    assert_eq!(variables(&text).unwrap().len(), n);

    let n = 100_000;
    let mut text = String::from("x");
    for k in 1..n {
        text.push_str(&format!("+{k}.5"));
    }
    let x = Array1::from(vec![0.25]);
    let r = f64s(evaluate(&text, &[("x", (&x).into())]).unwrap());
    assert_eq!(r, vec![(1..n).fold(0.25, |acc, k| acc + (k as f64 + 0.5))]);
}

#[test]
fn wide_expressions_compile_in_linear_time() {
    on_small_stack(wide_expressions);
}

/// Powers of powers copy their base (`x**3` is `x*x*x`): nested ones must
/// not grow the tree exponentially, and still give the right value.
fn powers_of_powers() {
    let depth = 150;
    let text = format!("{}(a+b){}", "(".repeat(depth), ")**3".repeat(depth));
    let a = Array1::from(vec![1.0, -1.0]);
    let b = Array1::from(vec![0.0, 0.0]);
    let r = f64s(evaluate(&text, &[("a", (&a).into()), ("b", (&b).into())]).unwrap());
    assert_eq!(r, vec![1.0, -1.0]);
    let i = Array1::from(vec![1i64, -1, 2]);
    let text = format!("{}i{}", "(".repeat(depth), ")**63".repeat(depth));
    let r = evaluate(&text, &[("i", (&i).into())]).unwrap();
    let two = (0..depth).fold(2i64, |acc, _| acc.wrapping_pow(63));
    assert_eq!(
        r.into_typed::<i64>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![1, -1, two]
    );
}

#[test]
fn powers_of_powers_stay_small() {
    on_small_stack(powers_of_powers);
}
