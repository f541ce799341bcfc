//! The loops over a block, one per operand count: every mix of blocks and
//! broadcast scalars gets a loop of its own with no branch inside, which
//! LLVM vectorises.

use crate::vm::slots::Src;

/// `d[i] = f(a[i])`.
#[inline(always)]
pub(crate) fn map1<A: Copy, R: Copy>(d: &mut [R], a: Src<A>, f: impl Fn(A) -> R) {
    match a {
        Src::S(x) => {
            for (d, &x) in d.iter_mut().zip(x) {
                *d = f(x);
            }
        }
        Src::K(k) => d.fill(f(k)),
    }
}

/// `d[i] = f(a[i], b[i])`.
#[inline(always)]
pub(crate) fn map2<A: Copy, B: Copy, R: Copy>(
    d: &mut [R],
    a: Src<A>,
    b: Src<B>,
    f: impl Fn(A, B) -> R,
) {
    match (a, b) {
        (Src::S(x), Src::S(y)) => {
            for ((d, &x), &y) in d.iter_mut().zip(x).zip(y) {
                *d = f(x, y);
            }
        }
        (Src::S(x), Src::K(y)) => {
            for (d, &x) in d.iter_mut().zip(x) {
                *d = f(x, y);
            }
        }
        (Src::K(x), Src::S(y)) => {
            for (d, &y) in d.iter_mut().zip(y) {
                *d = f(x, y);
            }
        }
        (Src::K(x), Src::K(y)) => d.fill(f(x, y)),
    }
}

/// `d[i] = f(a[i], b[i], c[i])`.
#[inline(always)]
pub(crate) fn map3<A: Copy, B: Copy, C: Copy, R: Copy>(
    d: &mut [R],
    a: Src<A>,
    b: Src<B>,
    c: Src<C>,
    f: impl Fn(A, B, C) -> R,
) {
    use Src::{K, S};
    match (a, b, c) {
        (S(x), S(y), S(z)) => {
            for (((d, &x), &y), &z) in d.iter_mut().zip(x).zip(y).zip(z) {
                *d = f(x, y, z);
            }
        }
        (K(x), S(y), S(z)) => {
            for ((d, &y), &z) in d.iter_mut().zip(y).zip(z) {
                *d = f(x, y, z);
            }
        }
        (S(x), K(y), S(z)) => {
            for ((d, &x), &z) in d.iter_mut().zip(x).zip(z) {
                *d = f(x, y, z);
            }
        }
        (S(x), S(y), K(z)) => {
            for ((d, &x), &y) in d.iter_mut().zip(x).zip(y) {
                *d = f(x, y, z);
            }
        }
        (K(x), K(y), S(z)) => {
            for (d, &z) in d.iter_mut().zip(z) {
                *d = f(x, y, z);
            }
        }
        (K(x), S(y), K(z)) => {
            for (d, &y) in d.iter_mut().zip(y) {
                *d = f(x, y, z);
            }
        }
        (S(x), K(y), K(z)) => {
            for (d, &x) in d.iter_mut().zip(x) {
                *d = f(x, y, z);
            }
        }
        (K(x), K(y), K(z)) => d.fill(f(x, y, z)),
    }
}

/// Four operands: the all-blocks case is the vectorised loop, as are the
/// usual forms of the fused operations; other mixes with scalars (rare:
/// constants are folded) take a per-element path.
#[inline(always)]
pub(crate) fn map4<T: Copy>(
    d: &mut [T],
    a: Src<T>,
    b: Src<T>,
    c: Src<T>,
    e: Src<T>,
    f: impl Fn(T, T, T, T) -> T,
) {
    match (a, b, c, e) {
        (Src::S(a), Src::S(b), Src::S(c), Src::S(e)) => {
            for ((((d, &a), &b), &c), &e) in d.iter_mut().zip(a).zip(b).zip(c).zip(e) {
                *d = f(a, b, c, e);
            }
            return;
        }
        // Mul3Add's usual form: a constant factor first.
        (Src::K(a), Src::S(b), Src::S(c), Src::S(e)) => {
            for (((d, &b), &c), &e) in d.iter_mut().zip(b).zip(c).zip(e) {
                *d = f(a, b, c, e);
            }
            return;
        }
        // Relax's usual form: scalar coefficients, array operands.
        (Src::K(a), Src::S(b), Src::K(c), Src::S(e)) => {
            for ((d, &b), &e) in d.iter_mut().zip(b).zip(e) {
                *d = f(a, b, c, e);
            }
            return;
        }
        _ => {}
    }
    for (i, d) in d.iter_mut().enumerate() {
        *d = f(a.at(i), b.at(i), c.at(i), e.at(i));
    }
}

/// Seven operands, for `RelaxSum4`: its usual form (scalar coefficients
/// `a[0]` and `a[5]`, five blocks) is the vectorised loop, other mixes take
/// a per-element path.
#[inline(always)]
pub(crate) fn map7<T: Copy>(d: &mut [T], a: [Src<T>; 7], f: impl Fn(T, T, T, T, T, T, T) -> T) {
    if let [Src::K(k), Src::S(x1), Src::S(x2), Src::S(x3), Src::S(x4), Src::K(w), Src::S(x)] = a {
        let rows = x1.iter().zip(x2).zip(x3).zip(x4).zip(x);
        for (d, ((((&a, &b), &c), &e), &x)) in d.iter_mut().zip(rows) {
            *d = f(k, a, b, c, e, w, x);
        }
        return;
    }
    for (i, d) in d.iter_mut().enumerate() {
        let at = |k: usize| a[k].at(i);
        *d = f(at(0), at(1), at(2), at(3), at(4), at(5), at(6));
    }
}
