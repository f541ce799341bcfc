//! One input of an expression as the engine sees it: the whole array, as a view over
//! the file's map itself when the stored bytes are the engine's (native byte order,
//! aligned), or over an anonymous map of the same layout into which the rows of each
//! band are converted (or read, with [`IoMode::Pread`]). Only the rows of the band being
//! evaluated are made resident ([`Source::prepare`]) and they are let go of afterwards
//! ([`Source::release`]), which keeps the resident set bounded however big the file.

use std::ops::Range;

use memmap2::{Advice, Mmap, MmapMut, MmapOptions, UncheckedAdvice};
use ndarray::{ArrayViewD, IxDyn, ShapeBuilder};
use rayon::prelude::*;

use crate::array::{read_exact_at, strides, NpyFile};
use crate::control::{Control, IoMode};
use crate::error::{OocError, Result};
use crate::eval::convert::convert;
use crate::eval::types::{engine_type, Conversion, Held};
use runtime::mapped::Registered;

/// The largest page-cache folio a fault maps at once (a huge page on x86-64): the pages
/// of a map resident beyond a band's are within this distance of it.
const LARGEST_FOLIO: usize = 2 << 20;

/// The size of a huge page.
const HUGE_PAGE: usize = 2 << 20;

/// Converted elements go on huge pages from this memory limit on.
const HUGE_PAGES_FROM: u64 = 256 << 20;

/// Whether converted elements go on huge pages under `ctl`'s memory limit.
fn huge_pages(ctl: &Control) -> bool {
    ctl.memory_limit >= HUGE_PAGES_FROM
}

/// Elements converted or read by one task: large enough to amortise a task, small
/// enough to spread a band over the threads.
const PIECE_ELEMS: usize = 256 << 10;

/// One input file, as a whole array of the engine's element type.
pub(crate) struct Source<'f> {
    file: &'f NpyFile,
    /// The element type the engine reads.
    held: Held,
    /// How stored elements become the engine's.
    conv: Conversion,
    io: IoMode,
    /// The map of the whole file (map modes).
    map: Option<Registered<Mmap>>,
    /// The engine's elements, when they are not the map's bytes: an anonymous map of the
    /// array's size, only the rows of the current band resident.
    scratch: Option<MmapMut>,
    /// The scratch map is on huge pages.
    huge: bool,
    /// Read a band of rows at a time (else whole, once: a 0-d input, or one broadcast
    /// along axis 0).
    banded: bool,
    /// Strides in elements, in storage (C or Fortran order).
    strides: Vec<usize>,
}

impl<'f> Source<'f> {
    /// The input `file`, read as `ctl.io` says. A 0-d array is read at once.
    pub(crate) fn open(file: &'f NpyFile, ctl: &Control) -> Result<Source<'f>> {
        let io = ctl.io;
        let h = file.header();
        let (held, conv) = engine_type(h);
        // Elements read in place must be aligned for the engine's type: the map starts on
        // a page, so the data is aligned when its offset is (else it is copied).
        let in_place =
            conv == Conversion::Native && h.data_offset.is_multiple_of(held.size() as u64);
        file.check_size()?;
        let map = match io {
            IoMode::Pread => None,
            IoMode::Mmap | IoMode::MmapPopulate => {
                // SAFETY: a read-only map of a file just checked to be as long as its
                // header says. A file truncated later makes a read of the lost pages raise
                // SIGBUS (as with numpy.memmap); the map is registered so that a program's
                // handler can name the file, and every band checks the size first.
                let m = unsafe { MmapOptions::new().map(file.file()) }
                    .map_err(|e| OocError::io(file.path(), "mmap", e))?;
                Some(Registered::new(m, file.path()))
            }
        };
        let bytes = file.len().saturating_mul(held.size());
        let scratch = if in_place && map.is_some() || bytes == 0 {
            None
        } else {
            let m = MmapOptions::new()
                .len(bytes)
                .no_reserve_swap()
                .map_anon()
                .map_err(|e| OocError::io(file.path(), "map memory for its elements", e))?;
            // Each band's elements are fresh pages (the last band's were released): on
            // huge pages, a fault and a zeroing per 2 MiB instead of per 4 KiB, where the
            // memory limit leaves room for a huge page more at each end of a band. A
            // refusal only costs speed.
            if huge_pages(ctl) {
                let _ = m.advise(Advice::HugePage);
            }
            Some(m)
        };
        let mut src = Source {
            file,
            held,
            conv,
            io,
            map,
            huge: huge_pages(ctl),
            banded: !h.shape.is_empty(),
            scratch,
            strides: strides(&h.shape, h.fortran_order),
        };
        if h.shape.is_empty() {
            src.fill(&[(0, 1)], None)?;
        }
        Ok(src)
    }

    /// The file.
    pub(crate) fn file(&self) -> &'f NpyFile {
        self.file
    }

    /// The type the engine computes the input in (its signature's).
    pub(crate) fn dtype(&self) -> expr::DType {
        self.held.declared()
    }

    /// Whether the input is read a band of rows at a time.
    pub(crate) fn banded(&self) -> bool {
        self.banded
    }

    /// Reads the whole input now, for every band: an input broadcast along axis 0 (whose
    /// rows are not the bands').
    pub(crate) fn hold_whole(&mut self, ctl: &Control) -> Result<()> {
        if !self.banded {
            return Ok(());
        }
        let rows = self.file.shape()[0];
        self.prepare(0..rows, ctl)?;
        self.banded = false;
        Ok(())
    }

    /// Bytes the input holds in memory when read whole (stored and converted).
    pub(crate) fn whole_bytes(&self) -> u64 {
        self.row_bytes()
            .saturating_mul(self.file.shape().first().copied().unwrap_or(1) as u64)
    }

    /// Whether the engine reads the file's map itself (no copy).
    pub(crate) fn in_place(&self) -> bool {
        self.scratch.is_none() && self.map.is_some()
    }

    /// Bytes one row of axis 0 holds in memory while its band is evaluated: the stored
    /// bytes (mapped or read) and, when converted, the engine's.
    pub(crate) fn row_bytes(&self) -> u64 {
        let shape = self.file.shape();
        let row: u64 = shape.iter().skip(1).map(|&d| d as u64).product();
        let stored = self.file.header().dtype.size() as u64;
        let engine = if self.in_place() {
            0
        } else {
            self.held.size() as u64
        };
        let mapped = if self.map.is_some() { stored } else { 0 };
        row.saturating_mul(mapped + engine)
    }

    /// Bytes of pages touched around the data of a band besides its rows: two partial
    /// pages per run of rows in storage (one run in C order, one per column in Fortran
    /// order), in the map and in the converted elements.
    /// (At most the maps' sizes.)
    pub(crate) fn edge_bytes(&self) -> u64 {
        let runs = self.runs_per_band() as u64;
        let edges = runs.saturating_mul(2 * runtime::layout::PAGE as u64);
        let len = self.file.len() as u64;
        let stored = self.file.header().dtype.size() as u64;
        let mapped = if self.map.is_some() {
            edges.min(len * stored)
        } else {
            0
        };
        let engine = if self.scratch.is_none() {
            0
        } else if self.huge {
            2 * HUGE_PAGE as u64
        } else {
            edges.min(len * self.held.size() as u64)
        };
        mapped + engine
    }

    /// How many runs of storage the rows of a band are.
    fn runs_per_band(&self) -> usize {
        let h = self.file.header();
        match h.shape.first() {
            Some(&n0) if h.fortran_order && h.shape.len() > 1 => self.file.len() / n0.max(1),
            _ => 1,
        }
    }

    /// The runs of storage (first element, length) that rows `rows` of axis 0 occupy.
    fn runs(&self, rows: Range<usize>) -> Vec<(usize, usize)> {
        let h = self.file.header();
        let Some(&n0) = h.shape.first() else {
            return vec![(0, 1)];
        };
        let len = self.file.len();
        if rows.is_empty() || len == 0 {
            return Vec::new();
        }
        if h.fortran_order && h.shape.len() > 1 {
            (0..len / n0)
                .map(|q| (q * n0 + rows.start, rows.len()))
                .collect()
        } else {
            let row = self.strides[0];
            vec![(rows.start * row, rows.len() * row)]
        }
    }

    /// The elements from the first to the last of rows `rows` in storage.
    fn span(&self, rows: Range<usize>) -> Range<usize> {
        let runs = self.runs(rows);
        match (runs.first(), runs.last()) {
            (Some(&(a, _)), Some(&(b, n))) => a..b + n,
            _ => 0..0,
        }
    }

    /// Makes rows `rows` of axis 0 readable by the engine: reads or converts them into
    /// the engine's elements, or asks the kernel for the pages of the map.
    ///
    /// The file's size is checked first, so that a file truncated since it was opened is
    /// an error rather than a fault.
    pub(crate) fn prepare(&mut self, rows: Range<usize>, ctl: &Control) -> Result<()> {
        if !self.banded || rows.is_empty() {
            return Ok(());
        }
        self.file.check_size()?;
        if self.in_place() {
            let span = self.span(rows);
            let es = self.held.size();
            let (offset, len) = (self.data_offset() + span.start * es, span.len() * es);
            let map = self.map.as_ref().expect("in place means mapped");
            if self.io == IoMode::MmapPopulate {
                // Faults every page in with one call; a page that cannot be read is an
                // error here instead of a SIGBUS later.
                map.advise_range(Advice::PopulateRead, offset, len)
                    .map_err(|e| {
                        let e = if e.raw_os_error() == Some(libc::EFAULT) {
                            std::io::Error::other(
                                "a page of the memory-mapped file could not be read \
                                 (truncated while being read, or a sparse file on a full \
                                 disk); --io pread reads it with ordinary reads",
                            )
                        } else {
                            e
                        };
                        OocError::io(self.file.path(), "read", e)
                    })?;
            } else {
                crate::read::prefetch(map, offset, len);
            }
            return Ok(());
        }
        let runs = self.runs(rows);
        self.fill(&runs, Some(ctl))
    }

    /// Reads or converts the elements of `runs` into the engine's elements, on the
    /// threads of `ctl` when given.
    fn fill(&mut self, runs: &[(usize, usize)], ctl: Option<&Control>) -> Result<()> {
        let Some(scratch) = self.scratch.as_mut() else {
            return Ok(());
        };
        let pieces: Vec<(usize, usize)> = runs
            .iter()
            .flat_map(|&(start, n)| {
                (0..n.div_ceil(PIECE_ELEMS)).map(move |k| {
                    (
                        start + k * PIECE_ELEMS,
                        PIECE_ELEMS.min(n - k * PIECE_ELEMS),
                    )
                })
            })
            .collect();
        let es = self.held.size();
        let fs = self.file.header().dtype.size();
        let base = scratch.as_mut_ptr() as usize;
        let (conv, file, offset) = (self.conv, self.file, self.data_offset());
        let map = self.map.as_deref().map(|m| &m[..]);
        let one = |&(start, n): &(usize, usize), buf: &mut Vec<u8>| -> Result<()> {
            // SAFETY: the pieces lie inside the array (runs of its rows) and do not overlap,
            // so each task writes its own part of the scratch map, which no view borrows
            // while a band is prepared.
            let dst =
                unsafe { std::slice::from_raw_parts_mut((base + start * es) as *mut u8, n * es) };
            let at = offset + start * fs;
            match map {
                Some(m) => convert(conv, fs, &m[at..at + n * fs], dst),
                None if conv == Conversion::Native => read_exact_at(file, dst, at as u64)?,
                None => {
                    buf.resize(n * fs, 0);
                    read_exact_at(file, buf, at as u64)?;
                    convert(conv, fs, buf, dst);
                }
            }
            Ok(())
        };
        match ctl {
            Some(ctl) if pieces.len() > 1 => ctl.install(|| {
                pieces
                    .par_iter()
                    .try_for_each_init(Vec::new, |buf, p| one(p, buf))
            })?,
            _ => pieces.iter().try_for_each(|p| one(p, &mut Vec::new())),
        }
    }

    /// Lets go of the pages of rows `rows`: the map's (read again from the page cache if
    /// needed later) and the converted elements' (converted again by the band that needs
    /// them).
    pub(crate) fn release(&mut self, rows: Range<usize>) {
        if !self.banded || rows.is_empty() {
            return;
        }
        let span = self.span(rows);
        if span.is_empty() {
            return;
        }
        let fs = self.file.header().dtype.size();
        let offset = self.data_offset();
        // Advice is a hint here: a failure only keeps the pages resident longer. The
        // ranges lie inside the maps; madvise widens them to whole pages.
        if let Some(m) = &self.map {
            // A fault maps the whole page-cache folio holding the page asked for, so the
            // rows of this band may have mapped again the end of the last band's folio:
            // the release reaches back to the start of the largest folio holding the
            // band's first byte.
            let end = offset + span.end * fs;
            let start = (offset + span.start * fs) / LARGEST_FOLIO * LARGEST_FOLIO;
            // SAFETY: the map is read-only and file-backed, so dropping its pages loses
            // nothing: a later access faults them back in from the page cache. No view
            // of them is alive: views borrow the source, which `release` borrows mutably.
            let _ =
                unsafe { m.unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start) };
        }
        let es = self.held.size();
        if let Some(s) = &self.scratch {
            // SAFETY: the converted elements of these rows, and of the rows sharing their
            // first and last pages, are not needed again: a band converts all the rows it
            // reads before reading them, and no view is alive (as above). The pages come
            // back as zeros.
            let _ = unsafe {
                s.unchecked_advise_range(
                    UncheckedAdvice::DontNeed,
                    span.start * es,
                    span.len() * es,
                )
            };
        }
    }

    /// Offset of the data in the file.
    fn data_offset(&self) -> usize {
        self.file.header().data_offset as usize
    }

    /// The rows `rows` of axis 0 of a banded input, or the whole of another, for the
    /// engine.
    pub(crate) fn band(&self, rows: Range<usize>) -> expr::Arg<'_> {
        if self.banded {
            self.view().rows(rows)
        } else {
            self.view()
        }
    }

    /// The whole array, for the engine. Only the rows prepared since they were last
    /// released hold the data.
    pub(crate) fn view(&self) -> expr::Arg<'_> {
        let h = self.file.header();
        let ptr: *const u8 = match (&self.scratch, &self.map) {
            _ if self.file.is_empty() => std::ptr::null(),
            (Some(s), _) => s.as_ptr(),
            (None, Some(m)) => m[self.data_offset()..].as_ptr(),
            (None, None) => std::ptr::null(),
        };
        let dim = IxDyn(&h.shape).strides(IxDyn(&self.strides));
        macro_rules! view {
            ($t:ty, $v:ident) => {{
                let p = if ptr.is_null() {
                    std::ptr::NonNull::<$t>::dangling().as_ptr() as *const $t
                } else {
                    ptr as *const $t
                };
                // SAFETY: `p` points at the array's elements of type `$t` (the type the
                // engine reads), aligned (`open` keeps in place only aligned data; maps start on
                // pages), laid out with these strides inside the map, which lives as long
                // as `self`; an empty array gets an aligned dangling pointer. Bools are
                // 0 or 1: they are always converted. The elements are not written while
                // the view lives: writes need `&mut self`.
                expr::Arg::$v(unsafe { ArrayViewD::<$t>::from_shape_ptr(dim, p) })
            }};
        }
        match self.held {
            Held::Engine(expr::DType::Bool) => view!(bool, Bool),
            Held::Engine(expr::DType::I32) => view!(i32, I32),
            Held::Engine(expr::DType::I64) => view!(i64, I64),
            Held::Engine(expr::DType::F32) => view!(f32, F32),
            Held::Engine(expr::DType::F64) => view!(f64, F64),
            Held::Engine(expr::DType::C128) => view!(expr::Complex64, C128),
            Held::U8 => view!(u8, U8),
        }
    }
}
