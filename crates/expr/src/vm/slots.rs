//! Slots as the kernels see them: an operand is a block of `n` elements or
//! one broadcast value, a destination is a block.

/// An operand: a block of elements or one broadcast value.
#[derive(Clone, Copy)]
pub(crate) enum Src<'a, T> {
    /// A block.
    S(&'a [T]),
    /// One value for every element.
    K(T),
}

impl<T: Copy> Src<'_, T> {
    /// Element `i` (the broadcast value for every `i`).
    #[inline(always)]
    pub(crate) fn at(self, i: usize) -> T {
        match self {
            Src::S(x) => x[i],
            Src::K(k) => k,
        }
    }
}

/// Reads operand `slot` as a block of `n` elements or a scalar.
///
/// # Safety
/// `ptrs[slot]` must point to `n` valid elements of `T` (or one when
/// `scal[slot]`), not written while the result is alive.
#[inline(always)]
pub(crate) unsafe fn src<'a, T: Copy>(
    ptrs: &[*mut u8],
    scal: &[bool],
    slot: usize,
    n: usize,
) -> Src<'a, T> {
    if scal[slot] {
        // SAFETY: the caller guarantees one valid element.
        Src::K(unsafe { *(ptrs[slot] as *const T) })
    } else {
        // SAFETY: the caller guarantees `n` valid elements.
        Src::S(unsafe { std::slice::from_raw_parts(ptrs[slot] as *const T, n) })
    }
}

/// The destination `slot` as a block of `n` elements.
///
/// # Safety
/// `ptrs[slot]` must point to `n` elements of `T` that nothing else reads or
/// writes while the result is alive.
#[inline(always)]
pub(crate) unsafe fn dst<'a, T>(ptrs: &[*mut u8], slot: usize, n: usize) -> &'a mut [T] {
    // SAFETY: the caller guarantees `n` elements used only through this slice.
    unsafe { std::slice::from_raw_parts_mut(ptrs[slot] as *mut T, n) }
}
