//! Type-erased ndarray inputs and outputs of any supported element type.

use std::ops::Range;

use ndarray::{
    ArrayBase, ArrayD, ArrayViewD, ArrayViewMutD, Axis, Data, DataMut, Dimension, IxDyn, Slice,
};
use num_complex::{Complex32, Complex64};

use crate::dtype::{DType, InputType, Scalar};

/// Defines an enum with one variant per [`DType`], each holding the
/// container `$holder` of that element type, and its `dtype` and `shape`.
macro_rules! per_dtype {
    ($(#[$meta:meta])* pub enum $name:ident $(<$lt:lifetime>)? of $holder:ident) => {
        $(#[$meta])*
        pub enum $name $(<$lt>)? {
            /// `bool` elements.
            Bool($holder<$($lt,)? bool>),
            /// `i32` elements.
            I32($holder<$($lt,)? i32>),
            /// `i64` elements.
            I64($holder<$($lt,)? i64>),
            /// `f32` elements.
            F32($holder<$($lt,)? f32>),
            /// `f64` elements.
            F64($holder<$($lt,)? f64>),
            /// Complex elements.
            C128($holder<$($lt,)? Complex64>),
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// The element type.
            pub fn dtype(&self) -> DType {
                match self {
                    $name::Bool(_) => DType::Bool,
                    $name::I32(_) => DType::I32,
                    $name::I64(_) => DType::I64,
                    $name::F32(_) => DType::F32,
                    $name::F64(_) => DType::F64,
                    $name::C128(_) => DType::C128,
                }
            }

            /// The shape.
            pub fn shape(&self) -> &[usize] {
                match self {
                    $name::Bool(a) => a.shape(),
                    $name::I32(a) => a.shape(),
                    $name::I64(a) => a.shape(),
                    $name::F32(a) => a.shape(),
                    $name::F64(a) => a.shape(),
                    $name::C128(a) => a.shape(),
                }
            }
        }
    };
}

/// A borrowed input array (of 0 to 3 dimensions, any strides) of a type
/// numexpr takes.
///
/// Build one with `Arg::from(&array)` or `(&array).into()` (a byte-string
/// input with `Arg::Bytes(view)`); a 0-d array is a scalar. The engine's
/// own types are read in place. The narrower integers and `Complex<f32>`
/// are widened as numexpr widens them (`u8 u16 i8 i16` to `i32`, `u32` to
/// `i64`, `Complex<f32>` to complex), a block at a time as they are read:
/// a signature declares such an input by the type it widens to. `u64` is
/// not taken (numexpr reads values past `i64::MAX` as negative numbers),
/// nor `f16` (Rust has no such type).
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    /// `bool` elements.
    Bool(ArrayViewD<'a, bool>),
    /// `i32` elements.
    I32(ArrayViewD<'a, i32>),
    /// `i64` elements.
    I64(ArrayViewD<'a, i64>),
    /// `f32` elements.
    F32(ArrayViewD<'a, f32>),
    /// `f64` elements.
    F64(ArrayViewD<'a, f64>),
    /// Complex elements.
    C128(ArrayViewD<'a, Complex64>),
    /// `u8` elements, computed as `i32`.
    U8(ArrayViewD<'a, u8>),
    /// `u16` elements, computed as `i32`.
    U16(ArrayViewD<'a, u16>),
    /// `u32` elements, computed as `i64`.
    U32(ArrayViewD<'a, u32>),
    /// `i8` elements, computed as `i32`.
    I8(ArrayViewD<'a, i8>),
    /// `i16` elements, computed as `i32`.
    I16(ArrayViewD<'a, i16>),
    /// Complex elements of two `f32`, computed as complex (two `f64`).
    C64(ArrayViewD<'a, Complex32>),
    /// Fixed-width byte strings (numpy's `S` arrays), which expressions
    /// compare and search (see the crate doc): the **last axis** holds each
    /// string's bytes (its length is the width; a shorter string ends in
    /// NULs), the axes before it are the input's shape. `[n, 8]` is `n`
    /// strings of up to 8 bytes, `[8]` one string (a 0-d input).
    Bytes(ArrayViewD<'a, u8>),
}

impl<'a> Arg<'a> {
    /// The input's type as a signature declares it: the type numbers are
    /// computed in (the type a narrower one widens to), or byte strings.
    pub fn input_type(&self) -> InputType {
        InputType::Number(match self {
            Arg::Bool(_) => DType::Bool,
            Arg::I32(_) | Arg::U8(_) | Arg::U16(_) | Arg::I8(_) | Arg::I16(_) => DType::I32,
            Arg::I64(_) | Arg::U32(_) => DType::I64,
            Arg::F32(_) => DType::F32,
            Arg::F64(_) => DType::F64,
            Arg::C128(_) | Arg::C64(_) => DType::C128,
            Arg::Bytes(_) => return InputType::Bytes,
        })
    }

    /// The shape (for byte strings, without the last axis: the strings').
    pub fn shape(&self) -> &[usize] {
        match self {
            Arg::Bool(a) => a.shape(),
            Arg::I32(a) => a.shape(),
            Arg::I64(a) => a.shape(),
            Arg::F32(a) => a.shape(),
            Arg::F64(a) => a.shape(),
            Arg::C128(a) => a.shape(),
            Arg::U8(a) => a.shape(),
            Arg::U16(a) => a.shape(),
            Arg::U32(a) => a.shape(),
            Arg::I8(a) => a.shape(),
            Arg::I16(a) => a.shape(),
            Arg::C64(a) => a.shape(),
            Arg::Bytes(a) => &a.shape()[..a.ndim().saturating_sub(1)],
        }
    }

    /// Rows `rows` of axis 0 (of byte strings: of the strings' axis 0); a
    /// 0-d input as it is. Panics, as ndarray's slicing does, when `rows`
    /// does not lie within axis 0.
    pub fn rows(self, rows: Range<usize>) -> Arg<'a> {
        fn cut<T>(v: ArrayViewD<'_, T>, rows: Range<usize>, scalar: usize) -> ArrayViewD<'_, T> {
            if v.ndim() <= scalar {
                v
            } else {
                v.slice_axis_move(Axis(0), Slice::from(rows))
            }
        }
        match self {
            Arg::Bool(v) => Arg::Bool(cut(v, rows, 0)),
            Arg::I32(v) => Arg::I32(cut(v, rows, 0)),
            Arg::I64(v) => Arg::I64(cut(v, rows, 0)),
            Arg::F32(v) => Arg::F32(cut(v, rows, 0)),
            Arg::F64(v) => Arg::F64(cut(v, rows, 0)),
            Arg::C128(v) => Arg::C128(cut(v, rows, 0)),
            Arg::U8(v) => Arg::U8(cut(v, rows, 0)),
            Arg::U16(v) => Arg::U16(cut(v, rows, 0)),
            Arg::U32(v) => Arg::U32(cut(v, rows, 0)),
            Arg::I8(v) => Arg::I8(cut(v, rows, 0)),
            Arg::I16(v) => Arg::I16(cut(v, rows, 0)),
            Arg::C64(v) => Arg::C64(cut(v, rows, 0)),
            Arg::Bytes(v) => Arg::Bytes(cut(v, rows, 1)),
        }
    }
}

per_dtype! {
    /// A borrowed output array (possibly a strided view into a bigger array).
    #[derive(Debug)]
    pub enum ArgMut<'a> of ArrayViewMutD
}

per_dtype! {
    /// An owned result array, as returned by [`crate::evaluate`].
    #[derive(Debug, Clone, PartialEq)]
    pub enum Array of ArrayD
}

/// Element types an input may have (see [`Arg`]).
pub trait InputElement: Copy + 'static {
    /// Wraps a view as an input.
    fn arg(v: ArrayViewD<'_, Self>) -> Arg<'_>;
}

/// Element types the engine computes with: inputs, outputs and results.
pub trait Element: InputElement + Default + Send + Sync {
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Wraps a mutable view as an output.
    fn arg_mut(v: ArrayViewMutD<'_, Self>) -> ArgMut<'_>;
    /// Wraps an owned array.
    fn array(a: ArrayD<Self>) -> Array;
    /// Unwraps an owned array of this type.
    fn unwrap(a: Array) -> Option<ArrayD<Self>>;
}

macro_rules! input_element {
    ($t:ty, $v:ident) => {
        impl InputElement for $t {
            fn arg(v: ArrayViewD<'_, Self>) -> Arg<'_> {
                Arg::$v(v)
            }
        }
    };
}
input_element!(bool, Bool);
input_element!(i32, I32);
input_element!(i64, I64);
input_element!(f32, F32);
input_element!(f64, F64);
input_element!(Complex64, C128);
input_element!(u8, U8);
input_element!(u16, U16);
input_element!(u32, U32);
input_element!(i8, I8);
input_element!(i16, I16);
input_element!(Complex32, C64);

macro_rules! element {
    ($t:ty, $v:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$v;
            fn arg_mut(v: ArrayViewMutD<'_, Self>) -> ArgMut<'_> {
                ArgMut::$v(v)
            }
            fn array(a: ArrayD<Self>) -> Array {
                Array::$v(a)
            }
            fn unwrap(a: Array) -> Option<ArrayD<Self>> {
                match a {
                    Array::$v(a) => Some(a),
                    _ => None,
                }
            }
        }
    };
}
element!(bool, Bool);
element!(i32, I32);
element!(i64, I64);
element!(f32, F32);
element!(f64, F64);
element!(Complex64, C128);

impl<'a, A: InputElement, S: Data<Elem = A>, D: Dimension> From<&'a ArrayBase<S, D>> for Arg<'a> {
    fn from(a: &'a ArrayBase<S, D>) -> Self {
        A::arg(a.view().into_dyn())
    }
}

impl<'a> From<&'a Array> for Arg<'a> {
    fn from(a: &'a Array) -> Self {
        match a {
            Array::Bool(a) => a.into(),
            Array::I32(a) => a.into(),
            Array::I64(a) => a.into(),
            Array::F32(a) => a.into(),
            Array::F64(a) => a.into(),
            Array::C128(a) => a.into(),
        }
    }
}

impl<'a, A: Element, S: DataMut<Elem = A>, D: Dimension> From<&'a mut ArrayBase<S, D>>
    for ArgMut<'a>
{
    fn from(a: &'a mut ArrayBase<S, D>) -> Self {
        A::arg_mut(a.view_mut().into_dyn())
    }
}

impl<'a, A: InputElement, D: Dimension> From<ndarray::ArrayView<'a, A, D>> for Arg<'a> {
    fn from(a: ndarray::ArrayView<'a, A, D>) -> Self {
        A::arg(a.into_dyn())
    }
}

impl<'a, A: Element, D: Dimension> From<ndarray::ArrayViewMut<'a, A, D>> for ArgMut<'a> {
    fn from(a: ndarray::ArrayViewMut<'a, A, D>) -> Self {
        A::arg_mut(a.into_dyn())
    }
}

/// A narrower element type an input is stored in, widened to the type the
/// engine computes it in as it is read (numexpr's casts of inputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Narrow {
    U8,
    U16,
    U32,
    I8,
    I16,
    /// `Complex<f32>`.
    C64,
}

impl Narrow {
    /// Bytes per stored element.
    pub(crate) fn size(self) -> usize {
        match self {
            Narrow::U8 | Narrow::I8 => 1,
            Narrow::U16 | Narrow::I16 => 2,
            Narrow::U32 => 4,
            Narrow::C64 => 8,
        }
    }
}

/// How an input's elements are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// As the engine's type [`Raw::dt`].
    Native,
    /// As a narrower type, widened to [`Raw::dt`] when read.
    Narrow(Narrow),
    /// As byte strings of `width` bytes, `step` bytes from one to the next
    /// of a string ([`Raw::dt`] is `bool`, the type of their tests).
    Bytes { width: usize, step: isize },
}

/// Shape, strides (elements), data pointer and type of an array, erased.
#[derive(Clone)]
pub(crate) struct Raw {
    /// The type the engine computes the elements in.
    pub dt: DType,
    pub shape: Vec<usize>,
    /// In stored elements (bytes for byte strings).
    pub strides: Vec<isize>,
    pub ptr: *mut u8,
    pub stored: Stored,
}

macro_rules! raw {
    ($v:expr, $dt:expr, $ptr:ident) => {
        raw!($v, $dt, $ptr, Stored::Native)
    };
    ($v:expr, $dt:expr, $ptr:ident, $stored:expr) => {
        Raw {
            dt: $dt,
            shape: $v.shape().to_vec(),
            strides: $v.strides().to_vec(),
            ptr: $v.$ptr() as *mut u8,
            stored: $stored,
        }
    };
}

impl Arg<'_> {
    /// Its shape, strides, pointer and type.
    pub(crate) fn raw(&self) -> Raw {
        let narrow = |n| Stored::Narrow(n);
        match self {
            Arg::Bool(v) => raw!(v, DType::Bool, as_ptr),
            Arg::I32(v) => raw!(v, DType::I32, as_ptr),
            Arg::I64(v) => raw!(v, DType::I64, as_ptr),
            Arg::F32(v) => raw!(v, DType::F32, as_ptr),
            Arg::F64(v) => raw!(v, DType::F64, as_ptr),
            Arg::C128(v) => raw!(v, DType::C128, as_ptr),
            Arg::U8(v) => raw!(v, DType::I32, as_ptr, narrow(Narrow::U8)),
            Arg::U16(v) => raw!(v, DType::I32, as_ptr, narrow(Narrow::U16)),
            Arg::U32(v) => raw!(v, DType::I64, as_ptr, narrow(Narrow::U32)),
            Arg::I8(v) => raw!(v, DType::I32, as_ptr, narrow(Narrow::I8)),
            Arg::I16(v) => raw!(v, DType::I32, as_ptr, narrow(Narrow::I16)),
            Arg::C64(v) => raw!(v, DType::C128, as_ptr, narrow(Narrow::C64)),
            Arg::Bytes(v) => {
                // A 0-d view (no axis of bytes) is the string of its one byte.
                let nd = v.ndim().saturating_sub(1);
                let (width, step) = match v.ndim() {
                    0 => (1, 0),
                    n => (v.shape()[n - 1], v.strides()[n - 1]),
                };
                Raw {
                    dt: DType::Bool,
                    shape: v.shape()[..nd].to_vec(),
                    strides: v.strides()[..nd].to_vec(),
                    ptr: v.as_ptr() as *mut u8,
                    stored: Stored::Bytes { width, step },
                }
            }
        }
    }
}

impl ArgMut<'_> {
    /// Its shape, strides, pointer and type.
    pub(crate) fn raw(&mut self) -> Raw {
        match self {
            ArgMut::Bool(v) => raw!(v, DType::Bool, as_mut_ptr),
            ArgMut::I32(v) => raw!(v, DType::I32, as_mut_ptr),
            ArgMut::I64(v) => raw!(v, DType::I64, as_mut_ptr),
            ArgMut::F32(v) => raw!(v, DType::F32, as_mut_ptr),
            ArgMut::F64(v) => raw!(v, DType::F64, as_mut_ptr),
            ArgMut::C128(v) => raw!(v, DType::C128, as_mut_ptr),
        }
    }
}

impl Array {
    /// A zero-filled array of type `dt`.
    pub fn zeros(dt: DType, shape: &[usize]) -> Array {
        let s = IxDyn(shape);
        match dt {
            DType::Bool => Array::Bool(ArrayD::default(s)),
            DType::I32 => Array::I32(ArrayD::default(s)),
            DType::I64 => Array::I64(ArrayD::default(s)),
            DType::F32 => Array::F32(ArrayD::default(s)),
            DType::F64 => Array::F64(ArrayD::default(s)),
            DType::C128 => Array::C128(ArrayD::default(s)),
        }
    }

    /// A mutable view, to pass as an output.
    pub fn view_mut(&mut self) -> ArgMut<'_> {
        match self {
            Array::Bool(a) => ArgMut::Bool(a.view_mut()),
            Array::I32(a) => ArgMut::I32(a.view_mut()),
            Array::I64(a) => ArgMut::I64(a.view_mut()),
            Array::F32(a) => ArgMut::F32(a.view_mut()),
            Array::F64(a) => ArgMut::F64(a.view_mut()),
            Array::C128(a) => ArgMut::C128(a.view_mut()),
        }
    }

    /// The only element of a one-element array (a full reduction's result).
    pub fn single(&self) -> Option<Scalar> {
        fn one<A: Copy>(a: &ArrayD<A>) -> Option<A> {
            (a.len() == 1).then(|| *a.iter().next().expect("one element"))
        }
        match self {
            Array::Bool(a) => one(a).map(Scalar::Bool),
            Array::I32(a) => one(a).map(Scalar::I32),
            Array::I64(a) => one(a).map(Scalar::I64),
            Array::F32(a) => one(a).map(Scalar::F32),
            Array::F64(a) => one(a).map(Scalar::F64),
            Array::C128(a) => one(a).map(Scalar::C128),
        }
    }

    /// The array as `ArrayD<A>`, if `A` is its element type.
    pub fn into_typed<A: Element>(self) -> Option<ArrayD<A>> {
        A::unwrap(self)
    }
}
