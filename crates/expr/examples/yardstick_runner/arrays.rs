//! Arrays from and to raw bytes (native byte order, bool as one byte), and
//! strided views over them.

use expr::{Arg, Array, Complex64, DType};
use ndarray::{ArrayD, ArrayViewD, IxDyn, ShapeBuilder};

/// An element type as raw bytes.
pub trait Raw: Copy {
    /// Bytes per element.
    const SIZE: usize;
    /// The element held in `b` (`SIZE` bytes).
    fn read(b: &[u8]) -> Self;
    /// Appends the element's bytes to `out`.
    fn write(self, out: &mut Vec<u8>);
}

macro_rules! raw_number {
    ($t:ty) => {
        impl Raw for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                <$t>::from_ne_bytes(b.try_into().expect("SIZE bytes"))
            }
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_ne_bytes());
            }
        }
    };
}
raw_number!(i32);
raw_number!(i64);
raw_number!(f32);
raw_number!(f64);

impl Raw for bool {
    const SIZE: usize = 1;
    fn read(b: &[u8]) -> Self {
        b[0] != 0
    }
    fn write(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

impl Raw for Complex64 {
    const SIZE: usize = 16;
    fn read(b: &[u8]) -> Self {
        Complex64::new(f64::read(&b[..8]), f64::read(&b[8..]))
    }
    fn write(self, out: &mut Vec<u8>) {
        self.re.write(out);
        self.im.write(out);
    }
}

/// The elements held in `bytes`.
fn decode<T: Raw>(bytes: &[u8]) -> Result<Vec<T>, String> {
    if !bytes.len().is_multiple_of(T::SIZE) {
        return Err(format!(
            "{} bytes are not a whole number of {}-byte elements",
            bytes.len(),
            T::SIZE
        ));
    }
    Ok(bytes.chunks_exact(T::SIZE).map(T::read).collect())
}

/// The elements of `bytes` as a one-dimensional array of type `dtype`.
pub fn decode_array(dtype: DType, bytes: &[u8]) -> Result<Array, String> {
    fn one<T: Raw>(bytes: &[u8]) -> Result<ArrayD<T>, String> {
        let v = decode::<T>(bytes)?;
        Ok(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).expect("a vector's own length"))
    }
    Ok(match dtype {
        DType::Bool => Array::Bool(one(bytes)?),
        DType::I32 => Array::I32(one(bytes)?),
        DType::I64 => Array::I64(one(bytes)?),
        DType::F32 => Array::F32(one(bytes)?),
        DType::F64 => Array::F64(one(bytes)?),
        DType::C128 => Array::C128(one(bytes)?),
    })
}

/// The bytes of `array`'s elements in C order.
pub fn encode_array(array: &Array, out: &mut Vec<u8>) {
    fn all<T: Raw>(a: &ArrayD<T>, out: &mut Vec<u8>) {
        out.reserve(a.len() * T::SIZE);
        a.iter().for_each(|&x| x.write(out));
    }
    match array {
        Array::Bool(a) => all(a, out),
        Array::I32(a) => all(a, out),
        Array::I64(a) => all(a, out),
        Array::F32(a) => all(a, out),
        Array::F64(a) => all(a, out),
        Array::C128(a) => all(a, out),
    }
}

/// A view of `shape` with `strides` (in elements, any sign) over `base`,
/// whose first element is the view's lowest-addressed one.
fn strided<'a, T>(
    base: &'a [T],
    shape: &[usize],
    given: &[isize],
) -> Result<ArrayViewD<'a, T>, String> {
    let result = if shape.contains(&0) {
        // An empty array's strides do not matter (and ndarray would check
        // them against its empty buffer).
        ArrayViewD::from_shape(IxDyn(shape), base)
    } else {
        // ndarray reads negative strides from their two's complement and
        // starts the view from the lowest address, as `base` does.
        let strides: Vec<usize> = given.iter().map(|&s| s as usize).collect();
        ArrayViewD::from_shape(IxDyn(shape).strides(IxDyn(&strides)), base)
    };
    result.map_err(|e| {
        format!(
            "shape {shape:?} with strides {given:?} over {} elements: {e}",
            base.len()
        )
    })
}

/// The input view of `shape` and `strides` over the one-dimensional `base`.
pub fn view<'a>(base: &'a Array, shape: &[usize], strides: &[isize]) -> Result<Arg<'a>, String> {
    fn flat<T>(a: &ArrayD<T>) -> &[T] {
        a.as_slice().expect("a decoded base is contiguous")
    }
    Ok(match base {
        Array::Bool(a) => Arg::Bool(strided(flat(a), shape, strides)?),
        Array::I32(a) => Arg::I32(strided(flat(a), shape, strides)?),
        Array::I64(a) => Arg::I64(strided(flat(a), shape, strides)?),
        Array::F32(a) => Arg::F32(strided(flat(a), shape, strides)?),
        Array::F64(a) => Arg::F64(strided(flat(a), shape, strides)?),
        Array::C128(a) => Arg::C128(strided(flat(a), shape, strides)?),
    })
}
