//! Type-erased ndarray inputs and outputs of any supported element type.

use ndarray::{ArrayBase, ArrayD, ArrayViewD, ArrayViewMutD, Data, DataMut, Dimension, IxDyn};
use num_complex::Complex64;

use crate::dtype::{DType, Scalar};

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

per_dtype! {
    /// A borrowed input array (any dimension, any strides) of a supported type.
    ///
    /// Build one with `Arg::from(&array)` or `(&array).into()`; a 0-d array is a
    /// scalar that broadcasts against the other inputs.
    #[derive(Debug, Clone)]
    pub enum Arg<'a> of ArrayViewD
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

/// Element types the engine accepts in arrays.
pub trait Element: Copy + Default + Send + Sync + 'static {
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Wraps a view as an input.
    fn arg(v: ArrayViewD<'_, Self>) -> Arg<'_>;
    /// Wraps a mutable view as an output.
    fn arg_mut(v: ArrayViewMutD<'_, Self>) -> ArgMut<'_>;
    /// Wraps an owned array.
    fn array(a: ArrayD<Self>) -> Array;
    /// Unwraps an owned array of this type.
    fn unwrap(a: Array) -> Option<ArrayD<Self>>;
}

macro_rules! element {
    ($t:ty, $v:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$v;
            fn arg(v: ArrayViewD<'_, Self>) -> Arg<'_> {
                Arg::$v(v)
            }
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

impl<'a, A: Element, S: Data<Elem = A>, D: Dimension> From<&'a ArrayBase<S, D>> for Arg<'a> {
    fn from(a: &'a ArrayBase<S, D>) -> Self {
        A::arg(a.view().into_dyn())
    }
}

impl<'a, A: Element, S: DataMut<Elem = A>, D: Dimension> From<&'a mut ArrayBase<S, D>>
    for ArgMut<'a>
{
    fn from(a: &'a mut ArrayBase<S, D>) -> Self {
        A::arg_mut(a.view_mut().into_dyn())
    }
}

impl<'a, A: Element, D: Dimension> From<ndarray::ArrayView<'a, A, D>> for Arg<'a> {
    fn from(a: ndarray::ArrayView<'a, A, D>) -> Self {
        A::arg(a.into_dyn())
    }
}

impl<'a, A: Element, D: Dimension> From<ndarray::ArrayViewMut<'a, A, D>> for ArgMut<'a> {
    fn from(a: ndarray::ArrayViewMut<'a, A, D>) -> Self {
        A::arg_mut(a.into_dyn())
    }
}

/// Shape, strides (elements), data pointer and type of an array, erased.
#[derive(Clone)]
pub(crate) struct Raw {
    pub dt: DType,
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    pub ptr: *mut u8,
}

macro_rules! raw {
    ($v:expr, $dt:expr, $ptr:ident) => {
        Raw {
            dt: $dt,
            shape: $v.shape().to_vec(),
            strides: $v.strides().to_vec(),
            ptr: $v.$ptr() as *mut u8,
        }
    };
}

impl Arg<'_> {
    /// Its shape, strides, pointer and type.
    pub(crate) fn raw(&self) -> Raw {
        match self {
            Arg::Bool(v) => raw!(v, DType::Bool, as_ptr),
            Arg::I32(v) => raw!(v, DType::I32, as_ptr),
            Arg::I64(v) => raw!(v, DType::I64, as_ptr),
            Arg::F32(v) => raw!(v, DType::F32, as_ptr),
            Arg::F64(v) => raw!(v, DType::F64, as_ptr),
            Arg::C128(v) => raw!(v, DType::C128, as_ptr),
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
