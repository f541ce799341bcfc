//! Strided copies: between an operand's elements and a packed block buffer
//! (gather before a block runs, scatter after; an input of a narrower type
//! widened as it is gathered), and between strided and packed memory in
//! general.

use num_complex::{Complex32, Complex64};

use crate::array::Narrow;
use crate::exec::geometry::{Geometry, Pos};
use crate::exec::space::Operand;

/// Copies `n` elements of size `esize` between strided and packed memory.
///
/// # Safety
/// Both regions must be valid for the given strides (in elements) and must
/// not overlap.
pub(crate) unsafe fn copy_strided(
    src: *const u8,
    sstride: isize,
    dst: *mut u8,
    dstride: isize,
    n: usize,
    esize: usize,
) {
    if sstride == 1 && dstride == 1 {
        // Both contiguous (the stencil's whole rows): one memcpy.
        // SAFETY: the caller's contract, for `n` contiguous elements.
        return unsafe { std::ptr::copy_nonoverlapping(src, dst, n * esize) };
    }
    /// The copy for one element type.
    ///
    /// # Safety
    /// As for `copy_strided`.
    unsafe fn go<T: Copy>(src: *const T, ss: isize, dst: *mut T, ds: isize, n: usize) {
        for k in 0..n as isize {
            // SAFETY: element `k` of both regions is valid (the contract).
            unsafe { *dst.offset(k * ds) = *src.offset(k * ss) };
        }
    }
    // SAFETY: the caller's contract, with the element type of size `esize`
    // (the engine's types are 1, 4, 8 or 16 bytes, aligned to their size or 8).
    unsafe {
        match esize {
            1 => go(src, sstride, dst, dstride, n),
            4 => go(src as *const u32, sstride, dst as *mut u32, dstride, n),
            8 => go(src as *const u64, sstride, dst as *mut u64, dstride, n),
            _ => go(
                src as *const [u64; 2],
                sstride,
                dst as *mut [u64; 2],
                dstride,
                n,
            ),
        }
    }
}

/// Element offsets (in elements) of `n` consecutive C-order positions from
/// flat index `start`, visited in order.
pub(crate) fn walk(
    shape: &[usize],
    strides: &[isize],
    start: usize,
    n: usize,
    mut f: impl FnMut(usize, isize),
) {
    let nd = shape.len();
    let mut idx = [0usize; 3];
    let mut rest = start;
    for ax in (0..nd).rev() {
        idx[ax] = rest % shape[ax];
        rest /= shape[ax];
    }
    let mut off: isize = (0..nd).map(|a| idx[a] as isize * strides[a]).sum();
    for k in 0..n {
        f(k, off);
        let mut ax = nd;
        while ax > 0 {
            ax -= 1;
            idx[ax] += 1;
            off += strides[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            off -= strides[ax] * shape[ax] as isize;
            idx[ax] = 0;
        }
    }
}

/// Which way a block's elements go between an operand and a packed buffer.
#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Gather,
    Scatter,
}

impl Operand {
    /// Offset (elements) of the row piece at `pos`, for rows mode.
    pub(crate) fn row_offset(&self, idx: &[usize; 3], start: usize) -> isize {
        let nd = self.strides.len();
        let mut off = start as isize * self.strides[nd - 1];
        for (i, s) in idx.iter().zip(&self.strides[..nd - 1]) {
            off += *i as isize * s;
        }
        off
    }

    /// The address of the row piece at (`idx`, `start`).
    ///
    /// # Safety
    /// The piece must lie inside the operand's array.
    unsafe fn row_ptr(&self, idx: &[usize; 3], start: usize) -> *mut u8 {
        let off = self.row_offset(idx, start);
        // SAFETY: the caller's contract.
        unsafe { self.ptr.offset(off * self.esize as isize) }
    }

    /// Copies the block at `pos` between the operand and `buf`.
    ///
    /// # Safety
    /// The block must lie inside the operand's array, `buf` must hold `n`
    /// elements, and the two must not overlap.
    #[inline(always)]
    unsafe fn copy_block(&self, geo: &Geometry, pos: Pos, n: usize, buf: *mut u8, dir: Direction) {
        let es = self.esize;
        match pos {
            Pos::Row { idx, start } => {
                let inner = *self.strides.last().unwrap_or(&1);
                // SAFETY: the caller's contract.
                unsafe {
                    let p = self.row_ptr(&idx, start);
                    match dir {
                        Direction::Gather => copy_strided(p, inner, buf, 1, n, es),
                        Direction::Scatter => copy_strided(buf, 1, p, inner, n, es),
                    }
                }
            }
            Pos::Flat { start } => {
                walk(&geo.shape, &self.strides, start, n, |k, off| {
                    // SAFETY: the caller's contract: element `k` of the block
                    // and of `buf`.
                    unsafe {
                        let (p, b) = (self.ptr.offset(off * es as isize), buf.add(k * es));
                        match dir {
                            Direction::Gather => std::ptr::copy_nonoverlapping(p, b, es),
                            Direction::Scatter => std::ptr::copy_nonoverlapping(b, p, es),
                        }
                    }
                });
            }
        }
    }

    /// A pointer to the block's `n` elements: in place when contiguous, else
    /// gathered into `buf`.
    ///
    /// # Safety
    /// As for [`Operand::store`].
    pub(crate) unsafe fn load(&self, geo: &Geometry, pos: Pos, n: usize, buf: *mut u8) -> *mut u8 {
        if let Pos::Row { idx, start } = pos {
            if *self.strides.last().unwrap_or(&1) == 1 {
                // SAFETY: the caller's contract.
                return unsafe { self.row_ptr(&idx, start) };
            }
        }
        // SAFETY: the caller's contract.
        unsafe { self.copy_block(geo, pos, n, buf, Direction::Gather) };
        buf
    }

    /// Gathers the block's `n` elements into `buf`, each widened from the
    /// narrower type `narrow` it is stored in to the type the engine
    /// computes it in (numexpr's casts: unsigned and small integers to
    /// `i32`, `u32` to `i64`, `Complex<f32>` to complex); returns `buf`.
    ///
    /// # Safety
    /// The block must lie inside the operand's array, whose elements are of
    /// type `narrow`, and `buf` must hold `n` elements of the wider type.
    pub(crate) unsafe fn load_widened(
        &self,
        narrow: Narrow,
        geo: &Geometry,
        pos: Pos,
        n: usize,
        buf: *mut u8,
    ) -> *mut u8 {
        /// The gather for one pair of types.
        ///
        /// # Safety
        /// As for `load_widened`, with `S` the stored type and `D` the
        /// wider one.
        unsafe fn go<S: Copy, D>(
            op: &Operand,
            geo: &Geometry,
            pos: Pos,
            n: usize,
            buf: *mut u8,
            widen: impl Fn(S) -> D,
        ) {
            let (base, dst) = (op.ptr as *const S, buf as *mut D);
            // SAFETY: the caller's contract: every element offset is inside
            // the array, and `buf` holds `n` elements of `D`.
            unsafe {
                match pos {
                    Pos::Row { idx, start } => {
                        let first = base.offset(op.row_offset(&idx, start));
                        let inner = *op.strides.last().unwrap_or(&1);
                        for k in 0..n {
                            dst.add(k).write(widen(*first.offset(k as isize * inner)));
                        }
                    }
                    Pos::Flat { start } => walk(&geo.shape, &op.strides, start, n, |k, off| {
                        dst.add(k).write(widen(*base.offset(off)));
                    }),
                }
            }
        }
        // SAFETY: the caller's contract, with the types `narrow` names.
        unsafe {
            match narrow {
                Narrow::U8 => go(self, geo, pos, n, buf, |v: u8| v as i32),
                Narrow::U16 => go(self, geo, pos, n, buf, |v: u16| v as i32),
                Narrow::U32 => go(self, geo, pos, n, buf, |v: u32| v as i64),
                Narrow::I8 => go(self, geo, pos, n, buf, |v: i8| v as i32),
                Narrow::I16 => go(self, geo, pos, n, buf, |v: i16| v as i32),
                Narrow::C64 => go(self, geo, pos, n, buf, |z: Complex32| {
                    Complex64::new(z.re as f64, z.im as f64)
                }),
            }
        }
        buf
    }

    /// Where the block's results go: in place when contiguous (`true`), else
    /// `buf` (and [`Operand::store`] scatters them afterwards).
    ///
    /// # Safety
    /// The block at `pos` must lie inside the operand's array.
    pub(crate) unsafe fn dest(&self, pos: Pos, buf: *mut u8) -> (*mut u8, bool) {
        if let Pos::Row { idx, start } = pos {
            if *self.strides.last().unwrap_or(&1) == 1 {
                // SAFETY: the caller's contract.
                return (unsafe { self.row_ptr(&idx, start) }, true);
            }
        }
        (buf, false)
    }

    /// Scatters a block computed into `buf`.
    ///
    /// # Safety
    /// The block at `pos` (of `n` elements) must lie inside the operand's
    /// array, `buf` must hold `n` elements, and the two must not overlap.
    pub(crate) unsafe fn store(&self, geo: &Geometry, pos: Pos, n: usize, buf: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { self.copy_block(geo, pos, n, buf, Direction::Scatter) }
    }
}
