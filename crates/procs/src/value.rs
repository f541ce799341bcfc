//! `Value<T>` and `Array<T>`: plain data in shared memory, like
//! `multiprocessing.Value` and `multiprocessing.Array`, each with its own
//! lock.
//!
//! `get` and `set` are single loads and stores (volatile: the compiler
//! neither caches nor elides them) and take no lock, so `v.set(v.get() + 1)`
//! from several processes loses updates, exactly like `v.value += 1` in the
//! course. `lock()` returns a guard through which a read-modify-write is
//! safe.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use bytemuck::Pod;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::block::Block;
use crate::error::{Error, Result};
use crate::mutex::Kind;
use crate::shm::HEADER;

/// Refuses a `T` whose alignment the data (64 bytes into a page) lacks.
fn check_alignment<T>() -> Result<()> {
    if std::mem::align_of::<T>() > HEADER {
        return Err(Error::Invalid(format!(
            "shared memory holds types aligned to at most {HEADER} bytes, not {}",
            std::mem::align_of::<T>()
        )));
    }
    Ok(())
}

/// One `T` in shared memory, with a lock.
///
/// ```
/// let v = procs::Value::new(41i32)?;
/// v.set(v.get() + 1);
/// *v.lock()? += 1;
/// assert_eq!(v.get(), 43);
/// # Ok::<(), procs::Error>(())
/// ```
#[derive(Debug)]
pub struct Value<T> {
    block: Arc<Block>,
    _t: PhantomData<T>,
}

impl<T> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value {
            block: self.block.clone(),
            _t: PhantomData,
        }
    }
}

impl<T: Pod> Value<T> {
    /// A new shared value holding `value`.
    pub fn new(value: T) -> Result<Value<T>> {
        check_alignment::<T>()?;
        let block = Block::create(std::mem::size_of::<T>(), Kind::Plain, "a shared value")?;
        let v = Value {
            block: Arc::new(block),
            _t: PhantomData,
        };
        v.set(value);
        Ok(v)
    }

    /// The value's address (aligned: the data starts 64 bytes into a page).
    fn ptr(&self) -> *mut T {
        self.block.data().cast()
    }

    /// Reads the value (no lock).
    pub fn get(&self) -> T {
        // SAFETY: the block holds size_of::<T>() aligned bytes, any bit
        // pattern of which is a valid `T` (Pod).
        unsafe { self.ptr().read_volatile() }
    }

    /// Writes the value (no lock).
    pub fn set(&self, value: T) {
        // SAFETY: as in `get`; the memory is writable.
        unsafe { self.ptr().write_volatile(value) }
    }

    /// Holds the value's lock: the guard reads and writes the value while
    /// no other holder of the lock can.
    pub fn lock(&self) -> Result<ValueGuard<'_, T>> {
        self.block.lock(None, "shared value's lock")?;
        Ok(ValueGuard { value: self })
    }

    /// [`Self::lock`], giving up after `timeout`.
    pub fn lock_timeout(&self, timeout: Duration) -> Result<ValueGuard<'_, T>> {
        self.block.lock(Some(timeout), "shared value's lock")?;
        Ok(ValueGuard { value: self })
    }
}

/// The locked value of a [`Value`]; dropping it releases the lock.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct ValueGuard<'a, T: Pod> {
    value: &'a Value<T>,
}

impl<T: Pod> Deref for ValueGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: aligned, initialised Pod memory that lives as long as the
        // value; the lock is held, so the only writers are unlocked `set`s,
        // which the type's doc warns about.
        unsafe { &*self.value.ptr() }
    }
}

impl<T: Pod> DerefMut for ValueGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the guard is the only holder of the lock.
        unsafe { &mut *self.value.ptr() }
    }
}

impl<T: Pod> Drop for ValueGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { self.value.block.unlock() }
    }
}

/// `len` values of type `T` in shared memory, with a lock. Children that
/// receive it map the same pages: nothing is copied.
///
/// ```
/// let a = procs::Array::from_slice(&[0.0f64, 1.0, 2.0])?;
/// a.set(1, -1.0)?;
/// a.lock()?[2] = -2.0;
/// assert_eq!(a.to_vec()?, [0.0, -1.0, -2.0]);
/// # Ok::<(), procs::Error>(())
/// ```
#[derive(Debug)]
pub struct Array<T> {
    block: Arc<Block>,
    len: usize,
    _t: PhantomData<T>,
}

impl<T> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            block: self.block.clone(),
            len: self.len,
            _t: PhantomData,
        }
    }
}

impl<T: Pod> Array<T> {
    /// `len` zeros (all bits zero) in shared memory.
    pub fn zeroed(len: usize) -> Result<Array<T>> {
        check_alignment::<T>()?;
        let bytes = len.checked_mul(std::mem::size_of::<T>()).ok_or_else(|| {
            Error::Invalid(format!("a shared array of {len} elements is too large"))
        })?;
        let block = Block::create(bytes.max(1), Kind::Plain, "a shared array")?;
        Ok(Array {
            block: Arc::new(block),
            len,
            _t: PhantomData,
        })
    }

    /// A shared copy of `values`.
    pub fn from_slice(values: &[T]) -> Result<Array<T>> {
        let a = Array::zeroed(values.len())?;
        a.lock()?.copy_from_slice(values);
        Ok(a)
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn ptr(&self) -> *mut T {
        self.block.data().cast()
    }

    /// Element `i` (no lock), or `None` past the end.
    pub fn get(&self, i: usize) -> Option<T> {
        // SAFETY: `i < len` elements of aligned Pod memory.
        (i < self.len).then(|| unsafe { self.ptr().add(i).read_volatile() })
    }

    /// Writes element `i` (no lock); past the end is an error.
    pub fn set(&self, i: usize, value: T) -> Result<()> {
        if i >= self.len {
            return Err(Error::Invalid(format!(
                "index {i} is out of range for a shared array of {} elements",
                self.len
            )));
        }
        // SAFETY: `i < len` elements of aligned, writable Pod memory.
        unsafe { self.ptr().add(i).write_volatile(value) };
        Ok(())
    }

    /// Holds the array's lock: the guard is the whole array as a slice.
    pub fn lock(&self) -> Result<ArrayGuard<'_, T>> {
        self.block.lock(None, "shared array's lock")?;
        Ok(ArrayGuard { array: self })
    }

    /// A copy of the elements, taken under the lock.
    pub fn to_vec(&self) -> Result<Vec<T>> {
        Ok(self.lock()?.to_vec())
    }
}

/// The locked elements of an [`Array`]; dropping it releases the lock.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct ArrayGuard<'a, T: Pod> {
    array: &'a Array<T>,
}

impl<T: Pod> Deref for ArrayGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` aligned, initialised Pod elements that live as long
        // as the array; the lock is held (unlocked `set`s are the caller's
        // race, as documented).
        unsafe { std::slice::from_raw_parts(self.array.ptr(), self.array.len) }
    }
}

impl<T: Pod> DerefMut for ArrayGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; the guard is the only holder of the lock.
        unsafe { std::slice::from_raw_parts_mut(self.array.ptr(), self.array.len) }
    }
}

impl<T: Pod> Drop for ArrayGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { self.array.block.unlock() }
    }
}

impl<T: Pod> Serialize for Value<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&*self.block, std::mem::size_of::<T>() as u64).serialize(s)
    }
}

impl<'de, T: Pod> Deserialize<'de> for Value<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (block, size) = <(Block, u64)>::deserialize(d)?;
        let want = std::mem::size_of::<T>();
        if size != want as u64 || block.data_len() < want {
            return Err(serde::de::Error::custom(format!(
                "a shared value of {size} bytes arrived where one of {want} was expected"
            )));
        }
        Ok(Value {
            block: Arc::new(block),
            _t: PhantomData,
        })
    }
}

impl<T: Pod> Serialize for Array<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            &*self.block,
            self.len as u64,
            std::mem::size_of::<T>() as u64,
        )
            .serialize(s)
    }
}

impl<'de, T: Pod> Deserialize<'de> for Array<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (block, len, size) = <(Block, u64, u64)>::deserialize(d)?;
        let want = std::mem::size_of::<T>();
        let fits = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_mul(want))
            .is_some_and(|bytes| bytes <= block.data_len());
        if size != want as u64 || !fits {
            return Err(serde::de::Error::custom(format!(
                "a shared array of {len} elements of {size} bytes arrived where elements of {want} bytes were expected"
            )));
        }
        Ok(Array {
            block: Arc::new(block),
            len: len as usize,
            _t: PhantomData,
        })
    }
}
