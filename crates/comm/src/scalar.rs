//! The element types of the buffer flavour and the reduction operations.

use std::fmt::Debug;
use std::ops::{Add, Mul};

/// A reduction operation of `reduce` and `allreduce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `a + b` (wrapping for integers, as MPI's C types do in practice).
    Sum,
    /// `a * b` (wrapping for integers).
    Prod,
    /// The smaller of `a` and `b`.
    Min,
    /// The larger of `a` and `b`.
    Max,
}

mod sealed {
    /// Restricts [`super::Scalar`] to the plain number types MPI knows, and
    /// (with the `mpi` feature) ties each to its MPI datatype.
    #[cfg(feature = "mpi")]
    pub trait Sealed: mpi::traits::Equivalence {}
    /// Restricts [`super::Scalar`] to the plain number types MPI knows.
    #[cfg(not(feature = "mpi"))]
    pub trait Sealed {}
}

/// A plain number type that the buffer flavour moves as raw memory, with no
/// serialisation: `f64`, `f32`, `i64`, `i32`, `i16`, `i8`, `u64`, `u32`,
/// `u16`, `u8`. Sealed: MPI has a datatype for exactly these.
pub trait Scalar:
    sealed::Sealed + Copy + Default + Debug + PartialOrd + Send + Sync + 'static
{
    /// The type's name, for error messages.
    const NAME: &'static str;
    /// Combines two values with a reduction operation.
    fn combine(self, other: Self, op: Op) -> Self;
}

/// Implements [`Scalar`] for number types whose `Sum` and `Prod` are the
/// methods `$add` and `$mul` (wrapping for integers, IEEE for floats).
macro_rules! scalar {
    ($add:ident, $mul:ident: $($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Scalar for $t {
            const NAME: &'static str = stringify!($t);
            fn combine(self, other: Self, op: Op) -> Self {
                match op {
                    Op::Sum => self.$add(other),
                    Op::Prod => self.$mul(other),
                    Op::Min => self.min(other),
                    Op::Max => self.max(other),
                }
            }
        }
    )*};
}
scalar!(wrapping_add, wrapping_mul: i64, i32, i16, i8, u64, u32, u16, u8);
scalar!(add, mul: f64, f32);

/// A value the object flavour's `reduce` and `allreduce` can combine with an
/// [`Op`]: every [`Scalar`], and vectors of them element by element (as
/// mpi4py's lowercase `reduce` combines numpy arrays).
pub trait Operand: Sized {
    /// Combines `self` (the lower ranks' partial result) with `other`.
    fn combine_with(self, other: Self, op: Op) -> Result<Self, String>;
}

impl<T: Scalar> Operand for T {
    fn combine_with(self, other: Self, op: Op) -> Result<Self, String> {
        Ok(self.combine(other, op))
    }
}

impl<T: Scalar> Operand for Vec<T> {
    fn combine_with(mut self, other: Self, op: Op) -> Result<Self, String> {
        if self.len() != other.len() {
            return Err(format!(
                "cannot combine vectors of lengths {} and {}",
                self.len(),
                other.len()
            ));
        }
        for (a, b) in self.iter_mut().zip(other) {
            *a = a.combine(b, op);
        }
        Ok(self)
    }
}

/// Combines `acc[i] = acc[i] op x[i]` element by element (same lengths).
pub(crate) fn combine_into<T: Scalar>(acc: &mut [T], x: &[T], op: Op) {
    for (a, &b) in acc.iter_mut().zip(x) {
        *a = a.combine(b, op);
    }
}
