//! The opcode table: every operation of the virtual machine, listed once
//! with its arity, how the language spells it and the element types its
//! kernels accept (the role of numexpr's `opcodes.hpp`).
//!
//! The type checker and the compiler read the table (function names,
//! operator symbols, arities); the kernels implement exactly the listed
//! (operation, type) pairs, which a test below checks one by one.

use crate::dtype::DType;

/// How an operation appears in the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// An operator symbol (`+`, `<<`, `~`...).
    Operator(&'static str),
    /// An elementwise math function, computed in its arguments' common
    /// type raised to at least `f32` (numexpr's minimum kind `float`):
    /// `bool` arguments are computed as `f32`, integers as `f64`; the result
    /// has that type. A type the kernels lack (`floor` of complex) is a
    /// type error.
    Math(&'static str),
    /// A function with typing rules of its own (in the checker).
    Call(&'static str),
    /// Made by the compiler (casts, powers, fusion), never written: the
    /// string is the form it computes.
    Compiled(&'static str),
}

/// Element type families, as a set: which operand types an operation's
/// kernels accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    const B: u8 = 1;
    const I: u8 = 2;
    const F: u8 = 4;
    const C: u8 = 8;

    /// Whether operands of type `dt` are accepted.
    pub(crate) fn accepts(self, dt: DType) -> bool {
        let family = match dt {
            DType::Bool => Types::B,
            DType::I32 | DType::I64 => Types::I,
            DType::F32 | DType::F64 => Types::F,
            DType::C128 => Types::C,
        };
        self.0 & family != 0
    }
}

/// Defines [`Op`] and its table from one list: `Name = arity, spelling,
/// [families]` where the families are `B` (bool), `I` (i32, i64), `F` (f32,
/// f64) and `C` (complex).
macro_rules! ops {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident = $arity:literal, $spelling:expr, [$($family:ident)+];
    )*) => {
        /// Operations of the virtual machine. Operand types are those of
        /// the instruction's `ty`; the result type is its `out`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Op {
            $($(#[doc = $doc])* $name,)*
        }

        impl Op {
            /// Every operation, in table order.
            pub(crate) const ALL: &'static [Op] = &[$(Op::$name),*];

            /// The number of operands.
            pub(crate) const fn arity(self) -> usize {
                match self {
                    $(Op::$name => $arity,)*
                }
            }

            /// How the language writes it.
            pub(crate) const fn spelling(self) -> Spelling {
                use Spelling::*;
                match self {
                    $(Op::$name => $spelling,)*
                }
            }

            /// The operand types its kernels accept (for `Where`, of the two
            /// values; for `Cast`, of the source).
            pub(crate) const fn types(self) -> Types {
                match self {
                    $(Op::$name => Types(0 $(| Types::$family)+),)*
                }
            }
        }
    };
}

ops! {
    /// `copy(x)`; the compiler also copies a value into the destination
    /// with it.
    Copy = 1, Call("copy"), [B I F C];
    /// Converts up the kind ranking to the instruction's `out` type.
    Cast = 1, Compiled("cast(x)"), [B I F C];
    Add = 2, Operator("+"), [I F C];
    Sub = 2, Operator("-"), [I F C];
    Mul = 2, Operator("*"), [I F C];
    /// True division (integers are divided as `f64` by the checker).
    Div = 2, Operator("/"), [F C];
    Pow = 2, Operator("**"), [I F C];
    /// Python's `%`: the result has the sign of the divisor.
    Mod = 2, Operator("%"), [I F];
    /// `//`, numpy's floor division: the floor of the exact quotient
    /// (integers: 0 for a zero divisor; floats: `x / 0` for one).
    FloorDiv = 2, Operator("//"), [I F];
    Shl = 2, Operator("<<"), [I];
    Shr = 2, Operator(">>"), [I];
    /// `&`: logical on bool, bitwise on integers.
    BitAnd = 2, Operator("&"), [B I];
    /// `|`: logical on bool, bitwise on integers.
    BitOr = 2, Operator("|"), [B I];
    /// `^`: logical on bool, bitwise on integers.
    BitXor = 2, Operator("^"), [B I];
    Lt = 2, Operator("<"), [B I F];
    Le = 2, Operator("<="), [B I F];
    Eq = 2, Operator("=="), [B I F C];
    Ne = 2, Operator("!="), [B I F C];
    Ge = 2, Operator(">="), [B I F];
    Gt = 2, Operator(">"), [B I F];
    Neg = 1, Operator("-"), [I F C];
    /// `~`: logical on bool, bitwise on integers.
    Not = 1, Operator("~"), [B I];
    /// `where(c, a, b)`: `c` is bool, `a`, `b` of type `ty`.
    Where = 3, Call("where"), [B I F C];
    /// `abs`: complex numbers give their magnitude as `f64`.
    Abs = 1, Call("abs"), [I F C];
    Conj = 1, Call("conj"), [I F C];
    /// `real(z)` and `z.real`.
    Real = 1, Call("real"), [C];
    /// `imag(z)` and `z.imag`.
    Imag = 1, Call("imag"), [C];
    /// `complex(re, im)` from two `f64`.
    Complex = 2, Call("complex"), [F];
    /// `ones_like(x)`: 1 of `x`'s type.
    OnesLike = 1, Call("ones_like"), [I F C];
    /// `round`: to the nearest integer, ties to even (numpy's `rint`);
    /// complex numbers part by part.
    Round = 1, Call("round"), [F C];
    /// `sign`: -1, 0 or 1 (NaN stays NaN); complex `z / |z|` (numpy's).
    Sign = 1, Call("sign"), [I F C];
    Trunc = 1, Call("trunc"), [F];
    Hypot = 2, Call("hypot"), [F];
    /// The next representable number after `x` towards `y` (`y` when they
    /// are equal).
    NextAfter = 2, Call("nextafter"), [F];
    CopySign = 2, Call("copysign"), [F];
    /// The larger of two numbers, NaN if either is NaN (numpy's `maximum`).
    Maximum = 2, Call("maximum"), [I F];
    /// The smaller of two numbers, NaN if either is NaN.
    Minimum = 2, Call("minimum"), [I F];
    /// `isnan`, with a `bool` result (complex: either part is NaN).
    IsNan = 1, Call("isnan"), [F C];
    /// `isfinite` (complex: both parts are finite).
    IsFinite = 1, Call("isfinite"), [F C];
    /// `isinf` (complex: either part is infinite).
    IsInf = 1, Call("isinf"), [F C];
    /// `signbit`: whether the sign bit is set (`-0.0` and negative NaNs
    /// included).
    SignBit = 1, Call("signbit"), [F];
    Sin = 1, Math("sin"), [F C];
    Cos = 1, Math("cos"), [F C];
    Tan = 1, Math("tan"), [F C];
    Asin = 1, Math("arcsin"), [F C];
    Acos = 1, Math("arccos"), [F C];
    Atan = 1, Math("arctan"), [F C];
    Sinh = 1, Math("sinh"), [F C];
    Cosh = 1, Math("cosh"), [F C];
    Tanh = 1, Math("tanh"), [F C];
    Asinh = 1, Math("arcsinh"), [F C];
    Acosh = 1, Math("arccosh"), [F C];
    Atanh = 1, Math("arctanh"), [F C];
    Log = 1, Math("log"), [F C];
    Log10 = 1, Math("log10"), [F C];
    Log2 = 1, Math("log2"), [F C];
    Log1p = 1, Math("log1p"), [F C];
    Exp = 1, Math("exp"), [F C];
    Expm1 = 1, Math("expm1"), [F C];
    Sqrt = 1, Math("sqrt"), [F C];
    Floor = 1, Math("floor"), [F];
    Ceil = 1, Math("ceil"), [F];
    Atan2 = 2, Math("arctan2"), [F];
    /// C's `fmod`: the remainder with the sign of the dividend (integers,
    /// for constants folded as numpy computes them: 0 for a zero divisor).
    Fmod = 2, Math("fmod"), [I F];
    /// `x**2`.
    Square = 1, Compiled("x*x"), [I F C];
    /// `x**-1` (and, on a power, `x**-n`).
    Recip = 1, Compiled("1/x"), [F C];
    /// `a*b + c` in one pass (rounded like the unfused form, as are all
    /// the fused operations below).
    MulAdd = 3, Compiled("a*b + c"), [I F C];
    MulSub = 3, Compiled("a*b - c"), [I F C];
    NegMulAdd = 3, Compiled("c - a*b"), [I F C];
    Add3 = 3, Compiled("(a + b) + c"), [I F C];
    Add4 = 4, Compiled("((a + b) + c) + d"), [I F C];
    /// An explicit update step, reading `d` once.
    Relax = 4, Compiled("d + a*(b - c*d)"), [I F C];
    Mul3Add = 4, Compiled("(a*b)*c + d"), [I F C];
    /// E.g. the `a**2 + b**2` of `a**2 + b**2 + 2*a*b`, whose first pass then
    /// reads both inputs (two streams from memory at once instead of one
    /// after the other).
    MulMulAdd = 4, Compiled("a*b + c*d"), [I F C];
    MulMulSub = 4, Compiled("a*b - c*d"), [I F C];
    /// The explicit 5-point stencil update (diffusion, Jacobi-like steps)
    /// in one pass, five reads and one write per element, with operands
    /// `[k, a, b, c, d, w, x]`.
    RelaxSum4 = 7, Compiled("x + k*((((a+b)+c)+d) - w*x)"), [I F C];
}

/// The most operands an instruction takes.
pub(crate) const MAX_ARGS: usize = {
    let mut most = 0;
    let mut i = 0;
    while i < Op::ALL.len() {
        if Op::ALL[i].arity() > most {
            most = Op::ALL[i].arity();
        }
        i += 1;
    }
    most
};

impl Op {
    /// The operation an operator symbol stands for with `arity` operands.
    pub(crate) fn operator(symbol: &str, arity: usize) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| {
            op.arity() == arity && matches!(op.spelling(), Spelling::Operator(s) if s == symbol)
        })
    }

    /// The math function (see [`Spelling::Math`]) called `name`.
    pub(crate) fn math(name: &str) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| matches!(op.spelling(), Spelling::Math(f) if f == name))
    }

    /// The function with rules of its own (see [`Spelling::Call`]) called
    /// `name`.
    pub(crate) fn call(name: &str) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| matches!(op.spelling(), Spelling::Call(f) if f == name))
    }

    /// The names of the functions the language has, math functions first.
    pub(crate) fn function_names() -> impl Iterator<Item = &'static str> {
        let math = Op::ALL.iter().filter_map(|op| match op.spelling() {
            Spelling::Math(f) => Some(f),
            _ => None,
        });
        let calls = Op::ALL.iter().filter_map(|op| match op.spelling() {
            Spelling::Call(f) => Some(f),
            _ => None,
        });
        math.chain(calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::dispatch::exec;
    use crate::vm::program::Instr;

    const ALL_TYPES: [DType; 6] = [
        DType::Bool,
        DType::I32,
        DType::I64,
        DType::F32,
        DType::F64,
        DType::C128,
    ];

    /// Whether the kernels run `op` on operands of type `ty` (one element,
    /// all operands zero); an unlisted pair hits the kernels' `unreachable!`.
    fn runs(op: Op, ty: DType) -> bool {
        let out = match (op, ty) {
            (Op::Complex, _) => DType::C128,
            (Op::Abs | Op::Real | Op::Imag, DType::C128) => DType::F64,
            (Op::Lt | Op::Le | Op::Eq | Op::Ne | Op::Ge | Op::Gt, _) => DType::Bool,
            (Op::IsNan | Op::IsFinite | Op::IsInf | Op::SignBit, _) => DType::Bool,
            _ => ty,
        };
        let mut bufs = [[0u64; 2]; MAX_ARGS + 1];
        let ptrs: Vec<*mut u8> = bufs.iter_mut().map(|b| b.as_mut_ptr() as *mut u8).collect();
        let mut scal = vec![true; MAX_ARGS + 1];
        scal[MAX_ARGS] = false;
        let ins = Instr {
            op,
            ty,
            out,
            dst: MAX_ARGS,
            args: std::array::from_fn(|i| i),
        };
        std::panic::catch_unwind(|| {
            // SAFETY: every slot is 16 aligned bytes, enough for one element
            // of any type; the destination is a slot of its own.
            unsafe { exec(&ins, 1, &ptrs, &scal) }
        })
        .is_ok()
    }

    #[test]
    fn the_kernels_implement_exactly_the_listed_types() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let mut wrong = Vec::new();
        for &op in Op::ALL.iter().filter(|&&op| op != Op::Cast) {
            for ty in ALL_TYPES {
                if runs(op, ty) != op.types().accepts(ty) {
                    wrong.push(format!("{op:?} on {ty}"));
                }
            }
        }
        std::panic::set_hook(hook);
        assert!(wrong.is_empty(), "table and kernels disagree: {wrong:?}");
    }

    #[test]
    fn lookups_find_operators_and_functions() {
        assert_eq!(Op::operator("-", 1), Some(Op::Neg));
        assert_eq!(Op::operator("-", 2), Some(Op::Sub));
        assert_eq!(Op::math("arcsin"), Some(Op::Asin));
        assert_eq!(Op::math("where"), None);
        assert_eq!(Op::operator("//", 2), Some(Op::FloorDiv));
        assert_eq!(Op::operator("^", 2), Some(Op::BitXor));
        assert_eq!(Op::call("copy"), Some(Op::Copy));
        assert!(Op::function_names().any(|f| f == "where"));
        assert_eq!(MAX_ARGS, 7);
    }
}
