//! Arrays from and to raw bytes (native byte order, bool as one byte), and
//! strided views over them.

use expr::{Arg, Array, Complex32, Complex64};
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

/// An input's elements, lowest address first, in the type numpy stored
/// them in.
pub enum Base {
    /// `bool`.
    Bool(Vec<bool>),
    /// `int32`.
    I32(Vec<i32>),
    /// `int64`.
    I64(Vec<i64>),
    /// `float32`.
    F32(Vec<f32>),
    /// `float64`.
    F64(Vec<f64>),
    /// `complex128`.
    C128(Vec<Complex64>),
    /// `uint8`.
    U8(Vec<u8>),
    /// `uint16`.
    U16(Vec<u16>),
    /// `uint32`.
    U32(Vec<u32>),
    /// `int8`.
    I8(Vec<i8>),
    /// `int16`.
    I16(Vec<i16>),
    /// `complex64`.
    C64(Vec<Complex32>),
    /// `bytesN`: strings of `width` (N / 8) bytes, one after the other.
    Bytes { data: Vec<u8>, width: usize },
}

raw_number!(u8);
raw_number!(u16);
raw_number!(u32);
raw_number!(i8);
raw_number!(i16);

impl Raw for Complex32 {
    const SIZE: usize = 8;
    fn read(b: &[u8]) -> Self {
        Complex32::new(f32::read(&b[..4]), f32::read(&b[4..]))
    }
    fn write(self, out: &mut Vec<u8>) {
        self.re.write(out);
        self.im.write(out);
    }
}

/// The elements of `bytes` stored as numpy's type `dtype`.
pub fn decode_base(dtype: &str, bytes: &[u8]) -> Result<Base, String> {
    Ok(match dtype {
        "bool" => Base::Bool(decode(bytes)?),
        "int32" => Base::I32(decode(bytes)?),
        "int64" => Base::I64(decode(bytes)?),
        "float32" => Base::F32(decode(bytes)?),
        "float64" => Base::F64(decode(bytes)?),
        "complex128" => Base::C128(decode(bytes)?),
        "uint8" => Base::U8(decode(bytes)?),
        "uint16" => Base::U16(decode(bytes)?),
        "uint32" => Base::U32(decode(bytes)?),
        "int8" => Base::I8(decode(bytes)?),
        "int16" => Base::I16(decode(bytes)?),
        "complex64" => Base::C64(decode(bytes)?),
        other => {
            let bits = other
                .strip_prefix("bytes")
                .and_then(|n| n.parse::<usize>().ok());
            match bits {
                Some(bits) if bits % 8 == 0 && bits > 0 => {
                    let width = bits / 8;
                    if !bytes.len().is_multiple_of(width) {
                        return Err(format!(
                            "{} bytes are not a whole number of {width}-byte strings",
                            bytes.len()
                        ));
                    }
                    Base::Bytes {
                        data: bytes.to_vec(),
                        width,
                    }
                }
                _ => return Err(format!("`{other}` is not a type hpcrs takes")),
            }
        }
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
pub fn view<'a>(base: &'a Base, shape: &[usize], strides: &[isize]) -> Result<Arg<'a>, String> {
    Ok(match base {
        Base::Bool(v) => Arg::Bool(strided(v, shape, strides)?),
        Base::I32(v) => Arg::I32(strided(v, shape, strides)?),
        Base::I64(v) => Arg::I64(strided(v, shape, strides)?),
        Base::F32(v) => Arg::F32(strided(v, shape, strides)?),
        Base::F64(v) => Arg::F64(strided(v, shape, strides)?),
        Base::C128(v) => Arg::C128(strided(v, shape, strides)?),
        Base::U8(v) => Arg::U8(strided(v, shape, strides)?),
        Base::U16(v) => Arg::U16(strided(v, shape, strides)?),
        Base::U32(v) => Arg::U32(strided(v, shape, strides)?),
        Base::I8(v) => Arg::I8(strided(v, shape, strides)?),
        Base::I16(v) => Arg::I16(strided(v, shape, strides)?),
        Base::C64(v) => Arg::C64(strided(v, shape, strides)?),
        Base::Bytes { data, width } => {
            // The strings' bytes are a last axis, one byte apart.
            let shape: Vec<usize> = shape.iter().copied().chain([*width]).collect();
            let strides: Vec<isize> = strides
                .iter()
                .map(|s| s * *width as isize)
                .chain([1])
                .collect();
            Arg::Bytes(strided(data, &shape, &strides)?)
        }
    })
}
