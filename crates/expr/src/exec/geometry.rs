//! How the iteration space is cut into blocks of at most [`BLOCK`]
//! elements, and where each block lies.
//!
//! Two ways to cut the space:
//! - *rows*: when the innermost axis is long enough, a block is a piece of
//!   one row, so that an operand contiguous along rows can be read or
//!   written in place (this is how a stencil row `u[-1,0]` reads straight
//!   out of the array);
//! - *flat*: short rows (e.g. shape `(100000, 3)` with odd strides) are
//!   walked in C order, a block at a time.

use std::ops::Range;

/// Elements per block: 1024 f64 are 8 KiB, so a program's handful of block
/// buffers stays in L1/L2 (numexpr uses the same size).
pub(crate) const BLOCK: usize = 1024;

/// Rows shorter than this are walked flat rather than block-per-row.
const MIN_ROW: usize = 64;

/// Where one block lies in the iteration space.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pos {
    /// Elements `start..start+n` of the row with outer multi-index `idx`.
    Row { idx: [usize; 3], start: usize },
    /// Elements `start..start+n` in C order.
    Flat { start: usize },
}

/// How the iteration space is cut into blocks.
pub(crate) struct Geometry {
    /// The space's shape.
    pub shape: Vec<usize>,
    /// Blocks are pieces of rows (else flat runs in C order).
    pub rows_mode: bool,
    /// Length of a row (the innermost axis).
    pub len: usize,
    /// Blocks per row (rows mode).
    pub chunks_per_row: usize,
    /// Elements per block (the last block of a row may be shorter).
    pub chunk: usize,
    /// Number of blocks.
    pub nitems: usize,
    /// Number of elements.
    pub total: usize,
}

impl Geometry {
    /// The blocks of `shape`; `force_rows` asks for rows mode whatever the
    /// row length (a reduction along rows needs whole rows).
    pub(crate) fn new(shape: &[usize], force_rows: bool) -> Geometry {
        let total: usize = shape.iter().product();
        let len = *shape.last().unwrap_or(&1);
        let rows_mode = force_rows || shape.len() == 1 || len >= MIN_ROW;
        if rows_mode {
            let rows = total.checked_div(len).unwrap_or(0);
            let cpr = len.div_ceil(BLOCK).max(1);
            let chunk = len.div_ceil(cpr).max(1);
            Geometry {
                shape: shape.to_vec(),
                rows_mode,
                len,
                chunks_per_row: cpr,
                chunk,
                nitems: rows * cpr,
                total,
            }
        } else {
            Geometry {
                shape: shape.to_vec(),
                rows_mode,
                len,
                chunks_per_row: 1,
                chunk: BLOCK,
                nitems: total.div_ceil(BLOCK),
                total,
            }
        }
    }

    /// Position and length of block `item`.
    pub(crate) fn pos(&self, item: usize) -> (Pos, usize) {
        if self.rows_mode {
            let row = item / self.chunks_per_row;
            let start = (item % self.chunks_per_row) * self.chunk;
            let n = self.chunk.min(self.len - start);
            (
                Pos::Row {
                    idx: self.row_index(row),
                    start,
                },
                n,
            )
        } else {
            let start = item * BLOCK;
            (Pos::Flat { start }, BLOCK.min(self.total - start))
        }
    }

    /// Positions and lengths of blocks `items`, computed incrementally (no
    /// division per block).
    pub(crate) fn positions(&self, items: Range<usize>) -> impl Iterator<Item = (Pos, usize)> + '_ {
        let first = items.start;
        let (mut idx, mut c) = if self.rows_mode {
            (
                self.row_index(first / self.chunks_per_row),
                first % self.chunks_per_row,
            )
        } else {
            ([0; 3], 0)
        };
        let outer = self.shape.len().saturating_sub(1);
        items.map(move |item| {
            if !self.rows_mode {
                let start = item * BLOCK;
                return (Pos::Flat { start }, BLOCK.min(self.total - start));
            }
            let start = c * self.chunk;
            let here = (Pos::Row { idx, start }, self.chunk.min(self.len - start));
            c += 1;
            if c == self.chunks_per_row {
                c = 0;
                let mut ax = outer;
                while ax > 0 {
                    ax -= 1;
                    idx[ax] += 1;
                    if idx[ax] < self.shape[ax] {
                        break;
                    }
                    idx[ax] = 0;
                }
            }
            here
        })
    }

    /// Multi-index of row `row` over the outer axes.
    pub(crate) fn row_index(&self, mut row: usize) -> [usize; 3] {
        let mut idx = [0; 3];
        let outer = self.shape.len() - 1;
        for ax in (0..outer).rev() {
            idx[ax] = row % self.shape[ax];
            row /= self.shape[ax];
        }
        idx
    }

    /// Number of rows (the product of the outer axes), also when rows are
    /// empty.
    pub(crate) fn total_rows(&self) -> usize {
        self.shape[..self.shape.len() - 1].iter().product()
    }
}
