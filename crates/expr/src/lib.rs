//! numexpr for Rust: array expressions given as strings, compiled once and
//! evaluated in cache-sized blocks on all cores, without full-size
//! temporaries — and with the stencil offsets (`u[-1,0]`) that numexpr lacks,
//! so that a whole diffusion step is one expression.
//!
//! ```
//! use expr::{evaluate, DType, Expr};
//! use ndarray::{array, Array2};
//!
//! let a = array![1.0, 2.0, 3.0];
//! let b = array![4.0, 5.0, 6.0];
//! let r = evaluate("a**2 + b**2 + 2*a*b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
//! assert_eq!(r.into_typed::<f64>().unwrap().as_slice().unwrap(), &[25.0, 49.0, 81.0]);
//!
//! // A stencil: the diffusion update, compiled once, writing the interior of `out`.
//! let step = Expr::compile("u + k*(u[-1,0] + u[1,0] + u[0,-1] + u[0,1] - 4*u)",
//!                          &[("u", DType::F64), ("k", DType::F64)]).unwrap();
//! let mut u = Array2::<f64>::zeros((5, 5));
//! u[[2, 2]] = 1.0;
//! let mut out = Array2::<f64>::zeros((5, 5));
//! let k = ndarray::arr0(0.25);
//! step.eval(&[("u", (&u).into()), ("k", (&k).into())], &mut out).unwrap();
//! assert_eq!(out[[2, 2]], 0.0);
//! assert_eq!(out[[1, 2]], 0.25);
//! ```
//!
//! # The language
//!
//! The text is parsed with Python's precedence, so it means what it means to
//! numexpr: `+ - * / // % **`, shifts `<< >>`, comparisons
//! `< <= == != >= >` (not chained), `&` `|` `^` `~` (logical on bool,
//! bitwise on integers), unary `-`, parentheses, the attributes `.real` and
//! `.imag`, literals (`3`, `2.5`, `1e-3`, `1j`, `True`, `False`, and the
//! byte strings `b'abc'` and `'abc'`, below), input names, and numexpr's
//! functions, typed as numexpr types them (each function raises its
//! arguments' common type to a least type of its own):
//!
//! | functions | computed in | result |
//! |---|---|---|
//! | `sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh log log10 log2 log1p exp expm1 sqrt` | `bool` as `f32`, integers as `f64`, others as they are | that type |
//! | `floor ceil arctan2 fmod` | the same; complex refused | that type |
//! | `abs` | the same | that type (complex: the magnitude, as a complex number) |
//! | `round sign` | integers as they are, complex as it is, others as `f64` | that type |
//! | `trunc hypot nextafter copysign maximum minimum` | `f64`; complex refused | `f64` |
//! | `isnan isfinite isinf signbit` | `f32` and complex as they are, others as `f64`; `signbit` refuses complex | `bool` |
//! | `copy ones_like` | any type (`ones_like`: not `bool`) | that type |
//! | `conj` | integers as `f64` (the value itself), others as complex | that type |
//! | `real imag`, `.real .imag` | any number | `f64` |
//! | `complex(re, im)` | `f64` | complex |
//! | `where(c, a, b)` | `c` bool, `a` and `b` in their common type | that type |
//!
//! `round` rounds halves to even, `maximum` and `minimum` give NaN when
//! either operand is NaN (and the second operand when they are equal),
//! `sign` of a complex `z` is `z / |z|`, `nextafter` steps to the next
//! representable number towards its second operand.
//!
//! Reductions, allowed as the outermost call: `sum`, `prod` (also spelled
//! `product`), `min` and `max`, over everything (no axis, `axis=None`) or
//! along one axis (`axis=k`, or `sum(e, k)`; negative counts from the
//! end). `sum` and `prod` accumulate bool and integers in `i64` and other
//! types in themselves; `min` and `max` keep the operand's type, are NaN
//! when an element is NaN, and refuse bool, complex and empty operands.
//!
//! **Byte strings** (numexpr's `bytes`: numpy's `S` arrays, given as
//! [`Arg::Bytes`], and the literals `b'...'` and `'...'`, read as Python
//! reads them, escapes included; a `str` literal is its ASCII bytes) are
//! only compared with byte strings (`== != < <= > >=`) and searched
//! (`contains(haystack, needle)`), each giving `bool`; anything else on
//! them is a type error, as in numexpr. Comparisons are numpy's (and
//! numexpr's): lexicographic over the bytes, the shorter string padded
//! with NULs (`b'foo' == b'foo\0\0'`, while NULs inside a string count);
//! two literals alone are compared by Python's rules, as numexpr lets
//! Python do (`b'a' == b'a\0'` is false). `contains` looks for the needle
//! in the haystack, each without its trailing NULs (an empty needle is
//! everywhere). A test of strings is a `bool` variable of the program,
//! computed as a block's variables are read; strings broadcast like
//! numbers, may be strided and take no offsets.
//!
//! **Stencil offsets** (new): `u[-1,0]` is the neighbour one step back along
//! axis 0 of every element (1-D: `u[+1]`, 3-D: `u[0,0,-1]`), one offset per
//! axis. An expression with offsets is evaluated over the *interior* where
//! every neighbour it names exists, and writes the matching interior of
//! `out` (the border of `out` is left alone; [`evaluate`] returns zeros
//! there). Offsets apply to views too, and `out` may be a strided view of a
//! bigger array.
//!
//! Inputs are ndarray arrays or views ([`Arg`]) of 0 to 3 dimensions whose
//! shapes **broadcast** as numpy's do: shapes are aligned on their last
//! axis, and along each axis the lengths must be equal or 1 (a length of 1,
//! or a missing leading axis, stretches): `a[5,10] + c[10]` is `[5,10]`,
//! `a[5,1] * b[1,7]` is `[5,7]`, a 0-d array is a scalar. The result has
//! the broadcast shape; `out=` may have it or any shape it broadcasts to
//! (numpy's and numexpr's `out=`). A stretched input is read with stride 0
//! along the axes it is stretched over (no copy is made); inputs of the
//! broadcast shape keep their strides, so contiguous ones are still read in
//! place and the kernels see no extra case. Shapes that
//! do not broadcast are one error naming both. With stencil offsets array
//! inputs must have one shape (a neighbour along a stretched axis would be
//! the element itself; numexpr has no offsets to say otherwise), and so
//! must the inputs of [`Expr::iterate`] and [`Expr::stepwise`], whose
//! state and rows are those of every input.
//!
//! # Types and casting (numexpr's rules)
//!
//! Element types are `bool`, `i32`, `i64`, `f32`, `f64` and complex (two
//! `f64`). Inputs of narrower types are widened as numexpr widens them, a
//! block at a time as they are read: `u8`, `u16`, `i8` and `i16` are
//! `i32`, `u32` is `i64` (so `u32` times `i32` is `i64`), `Complex<f32>` is
//! complex; a signature declares them by the type they widen to. The
//! common type of two operands is the higher in numexpr's kind
//! ranking `bool < i32 < i64 < f32 < f64 < complex`; unlike numpy, scalars
//! take part like arrays (an `f32` array times the literal `2.5` is `f64`:
//! pass an `f32` 0-d input to stay in `f32`), and `i64` with `f32` gives
//! `f32`. A constant is `i32` when it is an integer that fits, else `i64`
//! (one that does not fit 64 bits is an error); float constants are `f64`.
//! `/` is true division (bools and integers divide as `f64`); the
//! functions follow the table above. On `bool`, `*` is `&` and `+` is `|`
//! (numexpr's and numpy's reading) and `/` divides as `f64`; `-`, `%`,
//! `//` and unary `-` are type errors, as in numexpr. The output may be
//! of a higher kind than the result (it is cast on the way out), never
//! lower.
//!
//! Integer arithmetic wraps; `x % 0`, `x // 0` and `x / 0` (as integers)
//! give 0, like numpy without its warning; `%` follows Python (the sign of
//! the divisor), and `//` is numpy's floor division (`-7 // 2` is -4; for
//! floats the floor of the exact quotient: `1.0 // 0.1` is 9, `x // 0.0`
//! is `x / 0.0`); shifts by a negative amount or by the width or more give
//! 0 (or -1 for `>>` of a negative number). No input makes the engine
//! panic.
//!
//! **Powers** with a constant exponent are rewritten as numexpr's default
//! optimisation level (`optimization='aggressive'`) rewrites them; the
//! other levels rewrite fewer ([`Optimization`], chosen with
//! [`Expr::compile_with`] or [`evaluate_with`]): an integer or a half of magnitude at most
//! 50 becomes multiplications by squaring in numexpr's order (`x**7` is
//! `(x*x²)*x⁴`), times `sqrt(x)` for a half, under `1/` for a negative
//! exponent, and `x**0` is 1. The result has the base's type whatever the
//! exponent's: `x**2.5` of an `f32` is `f32`, `a**3.0` and `a**0.0` of an
//! integer are integers, and a half or negative power of an integer is
//! `f64` (`a**-1.0` is `1/a`). A `bool` base to a positive integer is
//! itself (numexpr's products of bools are `&`). Other powers are `pow` in
//! the operands' common type. An integer to a negative integer constant
//! power (`a**-1`) is an error, as in numexpr; an integer exponent that is
//! not a constant gives, where negative, the integer part of the exact
//! power (0, or ±1 for a base of ±1).
//!
//! # Where this differs from numexpr, and why
//!
//! Where numexpr is the odd one out, or would answer wrongly, numpy's
//! answer is taken:
//!
//! * **A bare string input** (`evaluate('s')`, which numexpr answers with a
//!   copy of the strings) is a type error: results are arrays of numbers
//!   ([`Array`] has no strings, and the command line and the out-of-core
//!   evaluation match on its variants). Comparisons and `contains` of
//!   strings are computed.
//! * **`contains`** ignores trailing NULs only (numpy's reading of a
//!   fixed-width string, as its comparisons do); numexpr stops at the
//!   first NUL of either string, so a NUL inside one hides the rest.
//!   **Comparisons** order bytes as unsigned numbers (numpy's); numexpr
//!   compares C `char`s, which are signed on x86, so a byte past 127 sorts
//!   before `a` there.
//! * **`u64` and `f16` inputs** are not taken: numexpr reads a `u64` past
//!   `i64::MAX` as a negative `i64`, and Rust has no `f16`.
//! * **`x**-1` of an integer at the moderate level**
//!   ([`Optimization::Moderate`]) is the `f64` `1/x`, as at the other
//!   levels; numexpr divides as integers there, truncating (`(-3)**-1.0`
//!   is 0, `0**-1.0` is 0), where its other levels give -0.333 and inf.
//! * **`x / c`** for a constant `c` of `x`'s kind (`f32`, `f64`, complex)
//!   is a division, correctly rounded as numpy's; at the moderate and
//!   aggressive levels numexpr multiplies by `1/c`, one rounding more (a
//!   third of the values of `x / 3.0` are one ulp away from numpy's).
//! * **`//` of floats** is the floor of the exact quotient (numpy's and
//!   Python's); numexpr computes `floor(x / y)`, which is one too high
//!   where the quotient rounds up to an integer (`1.0 // 0.1`: 10).
//!   `MIN // -1` of integers wraps to `MIN`, as in numpy; numexpr's
//!   integer division kills the process (SIGFPE).
//! * **`min` and `max`** are NaN when an element is NaN and refuse an
//!   empty operand (numpy's); numexpr's skip NaNs, return an empty array
//!   for an empty operand, and fail on `i32`.
//! * **`sum` and `prod`** accumulate bool and integers in `i64` (numpy's);
//!   numexpr keeps `i32` (which wraps) and refuses bool.
//! * **A negative axis** counts from the end (numpy's); numexpr refuses it.
//! * **`sign` and `abs` of complex numbers** take the magnitude without
//!   overflow (`hypot`); numexpr squares the parts, so both go wrong
//!   beyond 1e154 (`sign(1e200+1e200j)` is 0 there).
//! * **Half and negative powers of integers** multiply in `f64`; numexpr
//!   multiplies the integral part as integers, which wraps past 2^63.
//!   Powers of integers beyond the rewritten range wrap as multiplication
//!   does (numpy's); numexpr's `pow` saturates. A negative exponent that
//!   is not a constant gives the integer part of the exact power; numexpr
//!   computes `1/x`, so that `(-1)**-2` is -1.
//! * **Functions of complex numbers** are numpy's (next section); numexpr
//!   has formulas of its own that overflow (`arcsin(1e-10+1e10j)` is
//!   `infj`) and ignore the sign of a zero on branch cuts
//!   (`arcsin(-2-0j)`, `arctan(-0-2j)`).
//! * **A complex, infinite or NaN constant exponent** is computed by `pow`
//!   (numpy's); numexpr raises (it tests the exponent with `int()`).
//! * **Functions of constants** are folded with numpy's types, as numexpr
//!   does by calling numpy (`abs(-3)` is the `i64` 3, `fmod(7, 2)` an
//!   integer); where numpy computes a `bool` argument in `f16`, it is
//!   computed in `f32` here (numexpr's type for numpy's `f16`). `copy` and
//!   `ones_like` of a constant are that constant and 1; numexpr raises.
//!
//! # Complex functions (numpy's semantics)
//!
//! The functions of complex numbers, `/` and `**` compute what numpy
//! computes, which on Linux is the C library's C99 functions (glibc's):
//! branch cuts take the side of the sign of a zero part (`log(-1-0j)` is
//! `-πj`; `arctan(0-2j)` has real part `+π/2`, `arctan(-0-2j)` `-π/2`);
//! nothing overflows or underflows before the result does
//! (`tan(1+1000j)` is `1j`, `arcsin(1e-10+1e10j)` is `1e-20+23.72j`,
//! `sqrt` and `log` of parts near the largest and the subnormal doubles
//! keep their accuracy); infinities and NaNs follow C99's Annex G, with
//! glibc's choice where it leaves a sign open; `/` is Smith's algorithm.
//! On a grid of edge values (signed zeros, subnormals, 1 ± ulp, the
//! largest doubles, infinities, NaNs) and 20,000 random points, every
//! part is within 4 ulps of numpy's (`tests/numpy_complex.rs`; glibc's
//! and these are each within about 2 ulps of the exact value). The
//! deliberate differences:
//!
//! * **`log1p`** keeps numpy's imaginary part (so its branch cut) with an
//!   accurate real part: numpy's `ln(hypot(1+x, y))` has 7 correct digits
//!   at `1e-10` and overflows to `inf` at `1.7e308+1.7e308j`.
//! * **`expm1`** is numpy's formula where that is finite, and `exp(z) - 1`
//!   where numpy multiplies an infinity by zero: `expm1(inf+0j)` and
//!   `expm1(1e300+0j)` are `inf+0j` (numpy `inf+nanj`).
//! * **`z**-n`** for a constant integer `n` is `1/(z**n)`, divided as `/`
//!   divides (the rewriting of powers above): `0j**-1` is `inf+nanj` like
//!   `1/0j`. numpy's `power` gives `nan+nanj` there (its rule for zero to
//!   a negative power) and divides 1 by `1·z**n`, a product that turns
//!   infinite parts into NaN and can flip the sign of a zero part; its
//!   `**` operator calls `reciprocal` for `**-1`, which differs from `1/z`
//!   in the last bit and gives `nan+nanj` for `0j`.
//! * **`**` otherwise** is numpy's `npy_cpow`: `z**0` is 1, `0**w` is 0
//!   when `Re w > 0` and NaN otherwise, integral real exponents below 100
//!   multiply, the rest is `exp(w·log z)`. Where `|w log z|` reaches 1e14,
//!   the last bit of `log z` turns the result by radians, so no digit of
//!   it is determined and it differs from numpy's.
//!
//! # Constants (Python's arithmetic)
//!
//! numexpr lets Python evaluate the text, so an operation whose operands
//! are all literals is Python's, computed before anything is typed:
//! integers are exact (`2**31` is the `i64` 2147483648, `65536*65536` is
//! 4294967296, `-2**31` is the `i32` -2147483648), `2**-1` is 0.5,
//! `(-8)**0.5` is complex, `True + True` is 2, `7.5 // 2` is 3.0, and
//! `1/0`, `1 % 0`, `1 // 0`, `0**-1` and `1 << -1` are errors
//! ([`ExprError::Arithmetic`]). The value that
//! results is typed where it meets an array or a function, as numexpr
//! types it; a function of constants is folded as numpy computes it (an
//! integer argument is `i64`: `abs(-2**31)` is 2147483648). A `where` with
//! a constant condition is the branch it picks, of that branch's type, and
//! the branch it drops reads no input. Constant integers are exact up to
//! 128 bits here (Python's are unbounded); past that is an error.
//!
//! # Design, and why
//!
//! The model is numexpr's virtual machine: a compiled program of simple
//! vector instructions run over blocks of a few thousand elements, so that
//! temporaries live in the cache instead of being full-size arrays as in
//! numpy. The pipeline:
//!
//! 1. **Parse** (`compile/lexer.rs`, `compile/parser.rs`) to a syntax tree
//!    with columns for errors.
//! 2. **Type-check** (`compile/check.rs`, `power.rs`, `functions.rs`,
//!    `strings.rs`) to a typed tree where every cast is an explicit node
//!    and every test of byte strings a `bool` variable. Operations on
//!    literals alone are Python's (`compile/pyconst.rs`, see above); other
//!    **constant folding** runs the very kernels of the VM on one-element
//!    blocks, so a folded value cannot differ from an evaluated one.
//!    **Powers** with small integral or half exponents become
//!    multiplications (`x**3` is `x*(x*x)`, `x**-2` is `1/(x*x)`,
//!    `x**2.5` is `(x*x)*sqrt(x)`), as numexpr does.
//! 3. **Lower** (`compile/fuse.rs`, `compile/lower.rs`) to a register
//!    program of the instructions in the opcode table (`vm/ops.rs`).
//!    Common shapes are **fused** into one instruction each — `a*b + c`, `a*b - c`, `c - a*b`,
//!    `a*b ± c*d`, `(a*b)*c + d`, sums of three or four terms, the
//!    explicit-update step `x + k*(t - c*x)` and, with a four-term sum for
//!    `t`, the whole 5-point stencil update — which saves a pass over the
//!    block buffers per fused node: `a**2 + b**2 + 2*a*b` is two
//!    instructions, the diffusion update one. Fusing never changes the
//!    rounding: each product and sum is rounded as in the unfused form.
//!    On arrays bigger than the caches it also matters which inputs the
//!    first pass reads: `a*a + b*b` in one instruction streams `a` and `b`
//!    from memory together (two misses in flight) rather than one after the
//!    other. Registers are reused as soon as their last reader has run.
//! 4. **Run** (`exec/`, `vm/`): the inputs are bound to the iteration
//!    space, their shapes broadcast (`api/bind.rs`, `api/broadcast.rs`);
//!    the space is cut into
//!    blocks of at most 1024 elements (8 KiB of `f64` per buffer, numexpr's
//!    size: a program's buffers stay in L1/L2). Where the innermost axis is
//!    long, a block is a piece of one row, and any operand whose rows are
//!    contiguous is read and written **in place** (no copy at all): this is
//!    how `u[-1,0]` reads straight out of `u` — stencil rows are blocks, and
//!    threads take bands of rows. Other operands (strided views, short rows)
//!    are gathered into block buffers and scattered back. Axes contiguous
//!    with each other are merged first, so a contiguous array of any shape
//!    is one long row. Each (operation, type) pair is one branch-free loop
//!    over slices that LLVM vectorises; the program runs in the AVX-512 or
//!    AVX2 build of those loops when the CPU has it (one copy of the loops
//!    per level, chosen once; no FMA contraction, so results are
//!    bit-identical with plain Rust). `sin`, `cos` and `exp` of `f64` use
//!    vectorisable versions of fdlibm's algorithms (within 1 ulp of libm;
//!    numexpr's PyPI wheel, without VML, calls libm per element). Outputs
//!    larger than the caches are written with streaming stores, which saves
//!    the read-for-ownership traffic. Blocks go to threads in contiguous
//!    bands through rayon ([`set_num_threads`]; default all cores); small
//!    evaluations stay on the calling thread. Reductions combine per-block
//!    partial results in block order, so they do not depend on the thread
//!    count.
//!
//! # Time stepping: [`Expr::iterate`] and temporal blocking
//!
//! A stencil is usually applied many times: `u <- expr(u, ...)`, step after
//! step. numexpr has nothing for this — each step is one more `evaluate`
//! call, and with it a hand-off to the threads and a pass over the whole
//! array — and on a mid-sized grid that overhead is the cost: the course's
//! diffusion step is 90 000 cells, little work next to a hand-off to the
//! threads.
//! [`Expr::iterate`] (and [`Expr::iterate_with`], which takes an
//! [`Iterate`] with the team size and depth) runs the steps in place:
//!
//! * A **persistent team**: the threads are started once per call, and the
//!   interior rows (axis 0) are split into one band per thread.
//! * **Temporal blocking with overlapped ghost zones**: the state lives in
//!   two shared grids (copied from `u` once per call). In a pass each
//!   thread reads its band plus `depth` steps' reach of neighbour rows on
//!   each side from one grid, advances it `depth` steps alone (each step
//!   computes the rows still valid, which shrink by the stencil's reach,
//!   in two private buffers) and writes its rows of the other grid; then
//!   the team meets at a barrier — once per `depth` steps instead of once
//!   per step. The ghost rows are computed by both neighbours.
//! * **Aligned rows**: the grids' and buffers' rows are padded so that each
//!   row's interior starts a cache line; the centre, up and down rows of a
//!   stencil and its stores are then aligned 64-byte accesses (a
//!   line-crossing one costs two).
//! * **A wavefront in row × level** for 2-D states with rows of up to a
//!   block: the band is swept once per pass, each level computing a row as
//!   soon as the rows it reads exist, one VM call per row, so the rows in
//!   flight stay in L1 (the depth is chosen to keep them within
//!   [`Iterate::L1_BUDGET_BYTES`]). Other states go level by level, each
//!   level one VM run over the band. The VM is entered once per
//!   instruction, not once per program, so that a short row does not pay
//!   the set-up of every operation's loop (see `vm/dispatch.rs`).
//!
//! Every cell gets the arithmetic of [`Expr::eval`], so the result is bit
//! for bit that of `steps` evaluations (`hpcrs diff2d --backend expr` equals
//! `--backend naive` exactly).
//!
//! A JIT (Cranelift) could fuse a whole expression into one loop; for
//! memory-bound expressions the blocked VM already runs at the memory
//! bandwidth, and it stays portable, small and safe, so a code generator
//! is not worth its weight here. Where a JIT would matter is compute-light
//! expressions on cached data that match none of the fused shapes: each
//! VM instruction is one more pass over the block.
//!
//! # Limits
//!
//! No pass of the compiler recurses over the expression: the parser keeps
//! its unfinished constructs on a heap stack, and checking, folding,
//! fusing, lowering, copying and dropping walk trees from explicit stacks.
//! So an operator chain of 100,000 terms (`a+b+...+b`, a tree 100,000
//! levels deep) or 100,000 nested parentheses compile on any thread's
//! stack; their size is bounded by memory alone, and compiling is linear
//! in the length of the text (names and constants are looked up by hash).
//! The one bound is on the rewriting of powers of compound bases, which
//! copies the base (`(a+b)**3` is `(a+b)*(a+b)*(a+b)`): past 65,536
//! copied nodes in one expression, powers are computed by `pow` instead,
//! so that powers of powers cannot grow the program exponentially.
//!
//! # Errors
//!
//! [`ExprError`] says what went wrong and where: a syntax error prints the
//! column and a caret under the expression; unknown names list the inputs;
//! type errors name the operator and the types; shape, offset, input and
//! output errors name the arrays and their shapes.
#![deny(missing_docs)]

mod api;
mod array;
mod barrier;
mod compile;
mod dtype;
mod error;
mod exec;
mod stencil;
mod threads;
mod vm;

pub use api::{evaluate, evaluate_scalar, evaluate_with, variables, Expr, Stepwise};
pub use array::{Arg, ArgMut, Array, Element, InputElement};
pub use barrier::TeamBarrier;
pub use compile::options::{CompileOptions, Optimization};
pub use compile::typed::ReduceKind;
pub use dtype::{DType, InputType, Scalar};
pub use error::ExprError;
pub use num_complex::{Complex32, Complex64};
pub use stencil::Iterate;
pub use threads::{num_threads, set_num_threads};
