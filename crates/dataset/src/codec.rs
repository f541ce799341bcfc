//! Records that can leave memory: encoded into shuffle spill files and measured
//! for the memory budget.
//!
//! Spark serialises every record it shuffles or spills; so does this crate, with
//! a small binary codec of its own instead of a serialisation framework: records
//! are only ever read back by the process that wrote them, so there is no format
//! to keep stable, and a hand-written codec is a few lines per type with no
//! dependency. Implement [`Codec`] for your own types to shuffle or cache them.

use std::sync::Arc;

/// A record that can be written to a spill file, read back, and measured.
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value from the front of `input`, advancing it; `None` if the
    /// input is truncated or malformed.
    fn decode(input: &mut &[u8]) -> Option<Self>;
    /// Approximate bytes of memory the value occupies (inline and on the heap),
    /// used to account cached and shuffled data against the memory budget.
    fn mem_size(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Some(head)
}

/// Lengths are written as unsigned LEB128 varints: most are small.
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn get_len(input: &mut &[u8]) -> Option<usize> {
    let mut n: usize = 0;
    let mut shift = 0;
    loop {
        let b = *take(input, 1)?.first()?;
        if shift >= usize::BITS {
            return None;
        }
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            return Some(n);
        }
        shift += 7;
    }
}

macro_rules! codec_number {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn decode(input: &mut &[u8]) -> Option<Self> {
                let bytes = take(input, std::mem::size_of::<$t>())?;
                Some(<$t>::from_le_bytes(bytes.try_into().ok()?))
            }
        }
    )*};
}
codec_number!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Codec for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out)
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        usize::try_from(u64::decode(input)?).ok()
    }
}

impl Codec for isize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as i64).encode(out)
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        isize::try_from(i64::decode(input)?).ok()
    }
}

impl Codec for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self as u8)
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        match take(input, 1)?[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Codec for char {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u32).encode(out)
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        char::from_u32(u32::decode(input)?)
    }
}

impl Codec for () {
    fn encode(&self, _out: &mut Vec<u8>) {}
    fn decode(_input: &mut &[u8]) -> Option<Self> {
        Some(())
    }
}

impl Codec for String {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.len());
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let n = get_len(input)?;
        String::from_utf8(take(input, n)?.to_vec()).ok()
    }
    fn mem_size(&self) -> usize {
        std::mem::size_of::<Self>() + self.capacity()
    }
}

impl Codec for Arc<str> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.len());
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let n = get_len(input)?;
        Some(Arc::from(std::str::from_utf8(take(input, n)?).ok()?))
    }
    fn mem_size(&self) -> usize {
        std::mem::size_of::<Self>() + 16 + self.len()
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.len());
        for x in self {
            x.encode(out);
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let n = get_len(input)?;
        // Do not trust the length for the allocation: a corrupt file could say 2^60.
        let mut v = Vec::with_capacity(n.min(input.len()));
        for _ in 0..n {
            v.push(T::decode(input)?);
        }
        Some(v)
    }
    fn mem_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.iter().map(Codec::mem_size).sum::<usize>()
            + (self.capacity() - self.len()) * std::mem::size_of::<T>()
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(x) => {
                out.push(1);
                x.encode(out)
            }
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        match take(input, 1)?[0] {
            0 => Some(None),
            1 => Some(Some(T::decode(input)?)),
            _ => None,
        }
    }
    fn mem_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .as_ref()
                .map_or(0, |x| x.mem_size() - std::mem::size_of::<T>())
    }
}

/// The moments and extremes, so that partial statistics can travel
/// between ranks.
impl Codec for runtime::stats::Stats {
    fn encode(&self, out: &mut Vec<u8>) {
        self.count().encode(out);
        for x in [self.mean(), self.m2(), self.min(), self.max()] {
            x.encode(out);
        }
    }
    fn decode(input: &mut &[u8]) -> Option<Self> {
        let count = u64::decode(input)?;
        let [mean, m2, min, max] = [(); 4].map(|_| f64::decode(input));
        Some(runtime::stats::Stats::from_parts(
            count, mean?, m2?, min?, max?,
        ))
    }
}

macro_rules! codec_tuple {
    ($($name:ident),+) => {
        impl<$($name: Codec),+> Codec for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.encode(out);)+
            }
            fn decode(input: &mut &[u8]) -> Option<Self> {
                Some(($($name::decode(input)?,)+))
            }
            #[allow(non_snake_case)]
            fn mem_size(&self) -> usize {
                let ($($name,)+) = self;
                0 $(+ $name.mem_size())+
            }
        }
    };
}
codec_tuple!(A);
codec_tuple!(A, B);
codec_tuple!(A, B, C);
codec_tuple!(A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(x: T) {
        let mut buf = Vec::new();
        x.encode(&mut buf);
        x.encode(&mut buf);
        let mut input = &buf[..];
        assert_eq!(T::decode(&mut input).as_ref(), Some(&x));
        assert_eq!(T::decode(&mut input).as_ref(), Some(&x));
        assert!(input.is_empty());
        // Every strict prefix of one encoding is rejected, not misread.
        let one = buf.len() / 2;
        for cut in 0..one {
            let mut input = &buf[..cut];
            if T::decode(&mut input).is_some() {
                // Only zero-length encodings may decode from a prefix.
                assert_eq!(one, 0);
            }
        }
    }

    #[test]
    fn round_trips() {
        round_trip(42u64);
        round_trip(-7i32);
        round_trip(3.5f64);
        round_trip(true);
        round_trip('é');
        round_trip(String::from("whale"));
        round_trip(String::new());
        round_trip(vec![(String::from("a"), 1u64), (String::from("bb"), 300)]);
        round_trip(Some((1usize, vec![1.5f32])));
        round_trip(None::<u8>);
        round_trip((1u8, 2i16, String::from("x"), ()));
        round_trip("x".repeat(1000));
    }

    #[test]
    fn rejects_garbage() {
        let mut input: &[u8] = &[0xff; 3];
        assert!(String::decode(&mut input).is_none());
        let mut input: &[u8] = &[2];
        assert!(bool::decode(&mut input).is_none());
    }

    #[test]
    fn sizes_count_the_heap() {
        assert!("x".repeat(100).mem_size() >= 100);
        assert!(vec!["x".repeat(50); 2].mem_size() >= 100);
    }
}
