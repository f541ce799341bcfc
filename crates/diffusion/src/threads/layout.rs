//! Where the rows of the working arrays live (the threads backend's grid,
//! the `mpi` backend's blocks): padded to whole cache lines, each row's
//! first updated cell starting one, and the arrays placed at chosen offsets
//! within a page.

use runtime::layout::{bytes_to_page_offset, ALIAS_SKEW_BYTES, CACHE_LINE, PAGE};

/// `f64` values in a cache line.
const LINE: usize = CACHE_LINE / std::mem::size_of::<f64>();

/// Offset of column 0 inside a row's slot: column 1, the first cell
/// updated, then starts a cache line.
const PAD: usize = LINE - 1;

/// Page offsets of the two working arrays and of the rings (the threads
/// backend's and the `mpi` backend's blocks'): the second array half a page
/// from the first, so that one array's stores and the other's loads never
/// meet at equal page offsets ("4K aliasing"), and the rings half-way
/// between them.
pub(crate) const SKEW_A: usize = 0;
pub(crate) const SKEW_B: usize = ALIAS_SKEW_BYTES;
pub(crate) const SKEW_RING: usize = ALIAS_SKEW_BYTES / 2;

/// Row `r` of a working array is `r·stride + PAD .. r·stride + PAD + n`,
/// with `stride` a whole number of cache lines: in an array that starts a
/// cache line ([`AlignedBuf`]), column 1 of every row starts one, so the
/// vector loads and stores of the row kernel never straddle two lines.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    /// Cells per row.
    pub(crate) n: usize,
    /// `f64` slots from one row to the next.
    pub(crate) stride: usize,
}

impl Layout {
    /// The layout of rows of `n` cells.
    pub(crate) fn new(n: usize) -> Self {
        Layout {
            n,
            stride: (n + PAD).div_ceil(LINE) * LINE,
        }
    }

    /// The slots of row `r`.
    #[inline(always)]
    pub(crate) fn row(&self, r: usize) -> std::ops::Range<usize> {
        r * self.stride + PAD..r * self.stride + PAD + self.n
    }

    /// Bytes of one row slot.
    pub(crate) fn row_bytes(&self) -> usize {
        self.stride * std::mem::size_of::<f64>()
    }

    /// Copies rows of `buf` (laid out as `self`) from row `r0` on into
    /// `out`, packed (`n` values a row): as many rows as `out` holds.
    pub(crate) fn pack(&self, buf: &[f64], r0: usize, out: &mut [f64]) {
        for (i, cells) in out.chunks_exact_mut(self.n).enumerate() {
            cells.copy_from_slice(&buf[self.row(r0 + i)]);
        }
    }

    /// Writes the packed rows `rows` (`n` values a row) into `buf`, laid
    /// out as `self`, from row `r0` on.
    pub(crate) fn unpack(&self, rows: &[f64], buf: &mut [f64], r0: usize) {
        for (i, cells) in rows.chunks_exact(self.n).enumerate() {
            buf[self.row(r0 + i)].copy_from_slice(cells);
        }
    }
}

/// A zeroed `f64` buffer whose usable part starts `skew` bytes past a page
/// boundary (a cache line boundary for any `skew` that is a multiple of
/// [`CACHE_LINE`]).
#[derive(Debug)]
pub(crate) struct AlignedBuf {
    data: Vec<f64>,
    offset: usize,
    len: usize,
}

impl AlignedBuf {
    /// `len` zeros starting at page offset `skew`.
    pub(crate) fn new(len: usize, skew: usize) -> Self {
        Self::with_capacity(len, len, skew)
    }

    /// `len` zeros starting at page offset `skew`, with room to grow to
    /// `capacity` values in place ([`AlignedBuf::set_len`]). Pages of the
    /// room not used yet cost no memory.
    pub(crate) fn with_capacity(len: usize, capacity: usize, skew: usize) -> Self {
        let slack = PAGE / std::mem::size_of::<f64>();
        let data = vec![0.0; capacity.max(len) + slack];
        let offset =
            bytes_to_page_offset(data.as_ptr() as usize, skew) / std::mem::size_of::<f64>();
        AlignedBuf { data, offset, len }
    }

    /// Makes the usable part `len` values long, in place: the values it
    /// keeps stay, and those it adds are what the buffer last held there
    /// (zero if never written). Panics past the end of the allocation (the
    /// capacity and the alignment's slack).
    pub(crate) fn set_len(&mut self, len: usize) {
        assert!(
            self.offset + len <= self.data.len(),
            "AlignedBuf::set_len beyond the capacity"
        );
        self.len = len;
    }

    /// Its length in `f64`s.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The usable part, to read.
    pub(crate) fn as_slice(&self) -> &[f64] {
        &self.data[self.offset..self.offset + self.len]
    }

    /// The usable part.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data[self.offset..self.offset + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpack_then_pack_gives_the_rows_back() {
        let lay = Layout::new(5);
        let rows: Vec<f64> = (0..15).map(f64::from).collect();
        let mut buf = vec![-1.0; 6 * lay.stride];
        lay.unpack(&rows, &mut buf, 2);
        assert_eq!(buf[lay.row(2)], rows[..5]);
        assert_eq!(buf[lay.row(4)], rows[10..]);
        assert!(buf[lay.row(1)].iter().all(|&v| v == -1.0));
        let mut back = vec![0.0; 10];
        lay.pack(&buf, 3, &mut back);
        assert_eq!(back, rows[5..]);
    }

    #[test]
    fn set_len_keeps_the_values_and_the_alignment() {
        let mut buf = AlignedBuf::with_capacity(4, 100, 1024);
        let base = buf.as_slice().as_ptr();
        buf.as_mut_slice().copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
        buf.set_len(100);
        assert_eq!(buf.as_slice()[..5], [1.0, 2.0, 3.0, 4.0, 0.0]);
        buf.set_len(2);
        assert_eq!(buf.as_slice(), [1.0, 2.0]);
        buf.set_len(3);
        assert_eq!(buf.as_slice(), [1.0, 2.0, 3.0]);
        assert_eq!(buf.as_slice().as_ptr(), base);
        assert_eq!(buf.len(), 3);
    }

    #[test]
    #[should_panic(expected = "beyond the capacity")]
    fn set_len_beyond_the_capacity_panics() {
        AlignedBuf::with_capacity(4, 100, 0).set_len(100 + PAGE / 8 + 1);
    }

    #[test]
    fn column_1_of_every_row_starts_a_cache_line() {
        for n in [3, 8, 9, 301] {
            let lay = Layout::new(n);
            let mut buf = AlignedBuf::new(4 * lay.stride, 2048);
            let base = buf.as_mut_slice().as_ptr() as usize;
            assert_eq!(base % PAGE, 2048);
            for r in 0..4 {
                let col1 = base + (lay.row(r).start + 1) * 8;
                assert_eq!(col1 % CACHE_LINE, 0, "n={n} row {r}");
            }
        }
    }
}
