//! Blocked execution of a [`Program`] over an iteration space of strided
//! operands: the work is cut into blocks of at most [`BLOCK`] elements, each
//! block runs every instruction on per-thread block buffers, and blocks are
//! spread over threads in contiguous bands.
//!
//! Two ways to cut the space into blocks:
//! - *rows*: when the innermost axis is long enough, a block is a piece of
//!   one row. An operand whose innermost stride is 1 is then read (or
//!   written) in place with no copy; this is how a stencil row `u[-1,0]`
//!   reads straight out of the array. Other operands are gathered.
//! - *flat*: short rows (e.g. shape `(100000, 3)` with odd strides) are
//!   walked in C order and gathered into block buffers.
//!
//! Axes that are contiguous with each other in every operand are merged
//! first, so a C-contiguous array of any shape is one long row.

use std::cell::RefCell;
use std::ops::Range;

use num_complex::Complex64;

use crate::check::ReduceKind;
use crate::dtype::{DType, Scalar};
use crate::kernels::exec_program;
use crate::program::Program;
use runtime::Simd;
use crate::threads::run_tasks;

/// Elements per block: 1024 f64 are 8 KiB, so a program's handful of block
/// buffers stays in L1/L2 (numexpr uses the same size).
pub(crate) const BLOCK: usize = 1024;

/// Rows shorter than this are walked flat rather than block-per-row.
const MIN_ROW: usize = 64;

/// u64 words per block buffer: room for BLOCK complex values plus padding so
/// that buffers do not all start on the same cache set.
const BUF_WORDS: usize = BLOCK * 2 + 24;

/// A strided operand over the iteration space.
#[derive(Debug, Clone)]
pub(crate) struct Operand {
    /// Address of the element at index (0, 0, ...).
    pub ptr: *mut u8,
    /// Strides in elements, one per axis of the iteration space.
    pub strides: Vec<isize>,
    /// Element size in bytes.
    pub esize: usize,
}

/// A variable of the program: a broadcast scalar or an array operand.
#[derive(Debug, Clone)]
pub(crate) enum VarOp {
    Scalar(*const u8),
    Array(Operand),
}

/// Everything one evaluation works on. Raw pointers: the caller (the public
/// API) holds the borrows of the arrays for the whole evaluation.
pub(crate) struct Space {
    pub shape: Vec<usize>,
    pub vars: Vec<VarOp>,
    pub out: Option<Operand>,
}

// SAFETY: the pointers refer to arrays borrowed by the caller for the whole
// evaluation; blocks write disjoint parts of the output.
unsafe impl Sync for Space {}
unsafe impl Send for Space {}
// SAFETY: as for Space.
unsafe impl Sync for Operand {}
unsafe impl Send for Operand {}

impl Space {
    /// Merges axes that are contiguous with each other in every operand and
    /// drops axes of length 1, so that contiguous arrays become one row.
    pub fn coalesce(&mut self) {
        let mut ops: Vec<&mut Vec<isize>> = Vec::new();
        for v in &mut self.vars {
            if let VarOp::Array(o) = v {
                ops.push(&mut o.strides);
            }
        }
        if let Some(o) = &mut self.out {
            ops.push(&mut o.strides);
        }
        let shape = &mut self.shape;
        let mut ax = 0;
        while ax < shape.len() {
            if shape[ax] == 1 && shape.len() > 1 {
                shape.remove(ax);
                for s in ops.iter_mut() {
                    s.remove(ax);
                }
            } else {
                ax += 1;
            }
        }
        let mut ax = shape.len();
        while ax > 1 {
            let (i, j) = (ax - 2, ax - 1);
            let inner = shape[j] as isize;
            if ops.iter().all(|s| s[i] == s[j] * inner) {
                // The merged axis steps like the inner one.
                shape[j] *= shape[i];
                shape.remove(i);
                for s in ops.iter_mut() {
                    s.remove(i);
                }
            }
            ax -= 1;
        }
    }
}

/// Where one block lies in the iteration space.
#[derive(Debug, Clone, Copy)]
enum Pos {
    /// Elements `start..start+n` of the row with outer multi-index `idx`.
    Row { idx: [usize; 3], start: usize },
    /// Elements `start..start+n` in C order.
    Flat { start: usize },
}

/// How the iteration space is cut into blocks.
struct Geometry {
    shape: Vec<usize>,
    rows_mode: bool,
    len: usize,
    chunks_per_row: usize,
    chunk: usize,
    nitems: usize,
    total: usize,
}

impl Geometry {
    fn new(shape: &[usize], force_rows: bool) -> Geometry {
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
    fn pos(&self, item: usize) -> (Pos, usize) {
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
    fn positions(&self, items: Range<usize>) -> impl Iterator<Item = (Pos, usize)> + '_ {
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
    fn row_index(&self, mut row: usize) -> [usize; 3] {
        let mut idx = [0; 3];
        let outer = self.shape.len() - 1;
        for ax in (0..outer).rev() {
            idx[ax] = row % self.shape[ax];
            row /= self.shape[ax];
        }
        idx
    }
}

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
        return std::ptr::copy_nonoverlapping(src, dst, n * esize);
    }
    unsafe fn go<T: Copy>(src: *const T, ss: isize, dst: *mut T, ds: isize, n: usize) {
        for k in 0..n as isize {
            *dst.offset(k * ds) = *src.offset(k * ss);
        }
    }
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

/// Element offsets (in elements) of `n` consecutive C-order positions from
/// flat index `start`, visited in order.
fn walk(
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

impl Operand {
    /// Offset (elements) of the row piece at `pos`, for rows mode.
    fn row_offset(&self, idx: &[usize; 3], start: usize) -> isize {
        let nd = self.strides.len();
        let mut off = start as isize * self.strides[nd - 1];
        for (i, s) in idx.iter().zip(&self.strides[..nd - 1]) {
            off += *i as isize * s;
        }
        off
    }

    /// A pointer to the block's `n` elements: in place when contiguous, else
    /// gathered into `buf`.
    unsafe fn load(&self, geo: &Geometry, pos: Pos, n: usize, buf: *mut u8) -> *mut u8 {
        match pos {
            Pos::Row { idx, start } => {
                let off = self.row_offset(&idx, start);
                let p = self.ptr.offset(off * self.esize as isize);
                let inner = *self.strides.last().unwrap_or(&1);
                if inner == 1 {
                    p
                } else {
                    copy_strided(p, inner, buf, 1, n, self.esize);
                    buf
                }
            }
            Pos::Flat { start } => {
                let es = self.esize as isize;
                walk(&geo.shape, &self.strides, start, n, |k, off| {
                    std::ptr::copy_nonoverlapping(
                        self.ptr.offset(off * es),
                        buf.add(k * self.esize),
                        self.esize,
                    );
                });
                buf
            }
        }
    }

    /// Where the block's results go: in place when contiguous, else `buf`
    /// (and [`Operand::store`] scatters them afterwards).
    unsafe fn dest(&self, pos: Pos, buf: *mut u8) -> (*mut u8, bool) {
        if let Pos::Row { idx, start } = pos {
            if *self.strides.last().unwrap_or(&1) == 1 {
                let off = self.row_offset(&idx, start);
                return (self.ptr.offset(off * self.esize as isize), true);
            }
        }
        (buf, false)
    }

    /// Scatters a block computed into `buf`.
    unsafe fn store(&self, geo: &Geometry, pos: Pos, n: usize, buf: *const u8) {
        match pos {
            Pos::Row { idx, start } => {
                let off = self.row_offset(&idx, start);
                let inner = *self.strides.last().unwrap_or(&1);
                let p = self.ptr.offset(off * self.esize as isize);
                copy_strided(buf, 1, p, inner, n, self.esize);
            }
            Pos::Flat { start } => {
                let es = self.esize as isize;
                walk(&geo.shape, &self.strides, start, n, |k, off| {
                    std::ptr::copy_nonoverlapping(
                        buf.add(k * self.esize),
                        self.ptr.offset(off * es),
                        self.esize,
                    );
                });
            }
        }
    }
}

/// Outputs at least this big are written with streaming stores.
const STREAM_MIN_BYTES: usize = 32 << 20;

/// Copies `len` bytes with non-temporal stores where aligned.
///
/// # Safety
/// `dst` and `src` must be valid for `len` bytes and not overlap.
unsafe fn stream_copy(dst: *mut u8, src: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
        let head = (dst.align_offset(16)).min(len);
        std::ptr::copy_nonoverlapping(src, dst, head);
        let body = (len - head) / 16;
        for k in 0..body {
            let off = head + k * 16;
            // SSE2 is part of x86_64: always available.
            _mm_stream_si128(
                dst.add(off) as *mut __m128i,
                _mm_loadu_si128(src.add(off) as *const __m128i),
            );
        }
        let done = head + body * 16;
        std::ptr::copy_nonoverlapping(src.add(done), dst.add(done), len - done);
    }
    #[cfg(not(target_arch = "x86_64"))]
    std::ptr::copy_nonoverlapping(src, dst, len);
}

/// Orders streaming stores before the results are handed back.
fn stream_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86_64.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

thread_local! {
    /// Block buffers of the current thread, kept between evaluations so that
    /// repeated small evaluations (a stencil step) do not allocate.
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Per-block state: slot pointers and scalar flags.
struct Frame {
    ptrs: Vec<*mut u8>,
    scal: Vec<bool>,
    bufs: *mut u64,
    /// The instruction set the program's loops run with.
    simd: Simd,
}

impl Frame {
    /// A frame for `prog` over the scratch `bufs` (one BUF_WORDS buffer per
    /// slot): scalar variables (taken from `vars`), constants and
    /// temporaries point at their storage; array variables are set per block.
    fn new(prog: &Program, vars: &[VarOp], bufs: *mut u64) -> Frame {
        let mut frame = Frame {
            ptrs: vec![std::ptr::null_mut(); prog.nslots()],
            scal: vec![false; prog.nslots()],
            bufs,
            simd: Simd::detect(),
        };
        for (v, var) in vars.iter().enumerate() {
            if let VarOp::Scalar(p) = var {
                frame.ptrs[v] = *p as *mut u8;
                frame.scal[v] = true;
            }
        }
        let nv = prog.nvars;
        for (c, val) in prog.consts.iter().enumerate() {
            frame.ptrs[nv + c] = val.as_ptr() as *mut u8;
            frame.scal[nv + c] = true;
        }
        for t in nv + prog.consts.len()..prog.nslots() {
            frame.ptrs[t] = frame.buf(t);
        }
        frame
    }

    /// Block buffer number `k` of this thread's scratch.
    fn buf(&self, k: usize) -> *mut u8 {
        // SAFETY: the scratch holds one BUF_WORDS buffer per slot.
        unsafe { self.bufs.add(k * BUF_WORDS) as *mut u8 }
    }
}

/// Runs `body` with a frame whose slots are set up for `prog` (constants
/// and temporaries point at their storage; variables are set per block).
fn with_frame<R>(prog: &Program, sp: &Space, body: impl FnOnce(&mut Frame) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        let need = prog.nslots() * BUF_WORDS;
        if scratch.len() < need {
            scratch.resize(need, 0);
        }
        body(&mut Frame::new(prog, &sp.vars, scratch.as_mut_ptr()))
    })
}

/// Sets the variable slots for one block and runs the program on it.
///
/// # Safety
/// The operands must be valid for the iteration space of `geo`.
unsafe fn run_block(
    prog: &Program,
    sp: &Space,
    geo: &Geometry,
    fr: &mut Frame,
    pos: Pos,
    n: usize,
) {
    for (v, var) in sp.vars.iter().enumerate() {
        if let VarOp::Array(op) = var {
            fr.ptrs[v] = op.load(geo, pos, n, fr.buf(v));
        }
    }
    exec_program(fr.simd, &prog.instrs, n, &fr.ptrs, &fr.scal);
}

/// Evaluates `prog` element by element into `sp.out`.
pub(crate) fn run_elementwise(prog: &Program, sp: &Space) {
    let out = sp
        .out
        .as_ref()
        .expect("elementwise evaluation has an output");
    let geo = Geometry::new(&sp.shape, false);
    if geo.total == 0 {
        return;
    }
    let out_slot = prog.out_slot();
    // An output much bigger than the caches is written with streaming
    // stores: they skip the read-for-ownership of the destination lines, a
    // third of the memory traffic of `c = f(a, b)`.
    let stream = geo.total * out.esize >= STREAM_MIN_BYTES;
    run_tasks(geo.nitems, geo.total, |items: Range<usize>| {
        with_frame(prog, sp, |fr| {
            for (pos, n) in geo.positions(items) {
                // SAFETY: the API checked every operand against the space;
                // blocks of different items write disjoint output elements.
                unsafe {
                    let buf = fr.buf(out_slot);
                    let (d, direct) = out.dest(pos, buf);
                    if direct && stream {
                        fr.ptrs[out_slot] = buf;
                        run_block(prog, sp, &geo, fr, pos, n);
                        stream_copy(d, buf, n * out.esize);
                    } else {
                        fr.ptrs[out_slot] = d;
                        run_block(prog, sp, &geo, fr, pos, n);
                        if !direct {
                            out.store(&geo, pos, n, d);
                        }
                    }
                }
            }
            if stream {
                stream_fence();
            }
        })
    });
}

/// Accumulator types of reductions.
trait Acc: Copy + Send + Sync {
    const ZERO: Self;
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn scalar(self) -> Scalar;
}

macro_rules! acc {
    ($t:ty, $zero:expr, $one:expr, $s:ident, $add:expr, $mul:expr) => {
        impl Acc for $t {
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                $add(self, o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                $mul(self, o)
            }
            fn scalar(self) -> Scalar {
                Scalar::$s(self)
            }
        }
    };
}
acc!(i64, 0, 1, I64, i64::wrapping_add, i64::wrapping_mul);
acc!(f32, 0.0, 1.0, F32, |a, b| a + b, |a, b| a * b);
acc!(f64, 0.0, 1.0, F64, |a, b| a + b, |a, b| a * b);
acc!(
    Complex64,
    Complex64::new(0.0, 0.0),
    Complex64::new(1.0, 0.0),
    C128,
    |a, b| a + b,
    |a, b| a * b
);

/// Sum or product of one block with eight independent lanes (vectorisable,
/// and more accurate than one running sum).
#[inline(always)]
fn reduce_block<A: Acc>(x: &[A], kind: ReduceKind) -> A {
    let (init, f): (A, fn(A, A) -> A) = match kind {
        ReduceKind::Sum => (A::ZERO, A::add),
        ReduceKind::Product => (A::ONE, A::mul),
    };
    let mut lanes = [init; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            lanes[k] = f(lanes[k], c[k]);
        }
    }
    let mut tail = init;
    for &v in chunks.remainder() {
        tail = f(tail, v);
    }
    let a = f(f(lanes[0], lanes[4]), f(lanes[1], lanes[5]));
    let b = f(f(lanes[2], lanes[6]), f(lanes[3], lanes[7]));
    f(f(a, b), tail)
}

/// Reduces the result slot of a block just run.
unsafe fn reduce_slot<A: Acc>(
    fr: &Frame,
    slot: usize,
    n: usize,
    kind: ReduceKind,
    scratch: &mut [A],
) -> A {
    if fr.scal[slot] {
        // A constant or scalar expression: reduce n copies of it.
        let v = *(fr.ptrs[slot] as *const A);
        scratch[..n].fill(v);
        return reduce_block(&scratch[..n], kind);
    }
    reduce_block(
        std::slice::from_raw_parts(fr.ptrs[slot] as *const A, n),
        kind,
    )
}

fn combine<A: Acc>(a: A, b: A, kind: ReduceKind) -> A {
    match kind {
        ReduceKind::Sum => a.add(b),
        ReduceKind::Product => a.mul(b),
    }
}

/// Reduces over the whole space; the partial results of blocks are combined
/// in block order, so the answer does not depend on the thread count.
pub(crate) fn run_reduce_all(prog: &Program, sp: &Space, kind: ReduceKind) -> Scalar {
    match prog.result_dt {
        DType::I64 => reduce_all::<i64>(prog, sp, kind).scalar(),
        DType::F32 => reduce_all::<f32>(prog, sp, kind).scalar(),
        DType::F64 => reduce_all::<f64>(prog, sp, kind).scalar(),
        DType::C128 => reduce_all::<Complex64>(prog, sp, kind).scalar(),
        dt => unreachable!("reductions accumulate in i64/f32/f64/complex, not {dt}"),
    }
}

fn reduce_all<A: Acc>(prog: &Program, sp: &Space, kind: ReduceKind) -> A {
    let geo = Geometry::new(&sp.shape, false);
    let init = match kind {
        ReduceKind::Sum => A::ZERO,
        ReduceKind::Product => A::ONE,
    };
    let parts = run_tasks(geo.nitems, geo.total, |items: Range<usize>| {
        with_frame(prog, sp, |fr| {
            let mut tmp = vec![init; BLOCK];
            geo.positions(items)
                .map(|(pos, n)| {
                    // SAFETY: operands checked against the space by the API.
                    unsafe {
                        run_block(prog, sp, &geo, fr, pos, n);
                        reduce_slot::<A>(fr, prog.result, n, kind, &mut tmp)
                    }
                })
                .collect::<Vec<A>>()
        })
    });
    parts
        .into_iter()
        .flatten()
        .fold(init, |a, b| combine(a, b, kind))
}

/// Reduces along the last axis of the space (the API moves the reduced axis
/// there), writing one value per row into `sp.out`, whose strides cover the
/// outer axes.
pub(crate) fn run_reduce_rows(prog: &Program, sp: &Space, kind: ReduceKind) {
    match prog.result_dt {
        DType::I64 => reduce_rows::<i64>(prog, sp, kind),
        DType::F32 => reduce_rows::<f32>(prog, sp, kind),
        DType::F64 => reduce_rows::<f64>(prog, sp, kind),
        DType::C128 => reduce_rows::<Complex64>(prog, sp, kind),
        dt => unreachable!("reductions accumulate in i64/f32/f64/complex, not {dt}"),
    }
}

fn reduce_rows<A: Acc>(prog: &Program, sp: &Space, kind: ReduceKind) {
    let out = sp.out.as_ref().expect("axis reduction has an output");
    let geo = Geometry::new(&sp.shape, true);
    let init = match kind {
        ReduceKind::Sum => A::ZERO,
        ReduceKind::Product => A::ONE,
    };
    let rows = geo
        .total
        .checked_div(geo.len)
        .unwrap_or_else(|| geo.total_rows());
    let cpr = geo.chunks_per_row;
    run_tasks(rows, geo.total.max(rows), |band: Range<usize>| {
        with_frame(prog, sp, |fr| {
            let mut tmp = vec![init; BLOCK];
            for row in band {
                let mut acc = init;
                if geo.len > 0 {
                    for c in 0..cpr {
                        let (pos, n) = geo.pos(row * cpr + c);
                        // SAFETY: operands checked against the space by the API.
                        unsafe {
                            run_block(prog, sp, &geo, fr, pos, n);
                            acc = combine(
                                acc,
                                reduce_slot::<A>(fr, prog.result, n, kind, &mut tmp),
                                kind,
                            );
                        }
                    }
                }
                let idx = geo.row_index(row);
                let mut off = 0isize;
                for (ax, s) in out.strides.iter().enumerate() {
                    off += idx[ax] as isize * s;
                }
                // SAFETY: each row owns one output element.
                unsafe { *(out.ptr.offset(off * out.esize as isize) as *mut A) = acc };
            }
        })
    });
}

impl Geometry {
    /// Number of rows when rows are empty (the product of the outer axes).
    fn total_rows(&self) -> usize {
        self.shape[..self.shape.len() - 1].iter().product()
    }
}

/// A single-threaded evaluator with its own block buffers, set up once and
/// run on many spaces of the same program (one per time step of
/// [`crate::Expr::iterate`]): no allocation, no thread hand-off and no
/// instruction-set check per run.
pub(crate) struct Serial<'p> {
    prog: &'p Program,
    frame: Frame,
    /// Owns the memory `frame.bufs` points to.
    _scratch: Vec<u64>,
}

// SAFETY: the frame's pointers are the runner's own scratch, constants of
// the program and scalars borrowed by the caller for the runner's life.
unsafe impl Send for Serial<'_> {}

impl<'p> Serial<'p> {
    /// A runner for `prog`; the scalar variables are taken from `vars`
    /// (array variables are set per block from each run's space).
    pub(crate) fn new(prog: &'p Program, vars: &[VarOp]) -> Serial<'p> {
        let mut scratch = vec![0u64; prog.nslots() * BUF_WORDS];
        let frame = Frame::new(prog, vars, scratch.as_mut_ptr());
        Serial {
            prog,
            frame,
            _scratch: scratch,
        }
    }

    /// Evaluates the program over all of `sp` into `sp.out` on this thread.
    ///
    /// # Safety
    /// The operands of `sp` must be valid for its shape, the output must not
    /// overlap any input, and the scalar variables given to [`Serial::new`]
    /// must still be alive.
    pub(crate) unsafe fn run(&mut self, sp: &Space) {
        serial_blocks(self.prog, sp, &mut self.frame)
    }

    /// Runs the program once over `n` (at most [`BLOCK`]) contiguous
    /// elements: each `(slot, ptr)` of `arrays` points array variable `slot`
    /// at its first element (scalar variables keep what [`Serial::new`]
    /// gave them) and the results go to `out`. This is the whole cost of a
    /// row of the stencil wavefront: no geometry, no allocation.
    ///
    /// # Safety
    /// Each pointer must be valid for `n` elements of its variable's type,
    /// `out` for `n` of the result's, and `out` must not overlap an input.
    pub(crate) unsafe fn run_span(
        &mut self,
        n: usize,
        arrays: impl IntoIterator<Item = (usize, *mut u8)>,
        out: *mut u8,
    ) {
        debug_assert!(n <= BLOCK);
        let fr = &mut self.frame;
        for (slot, p) in arrays {
            fr.ptrs[slot] = p;
        }
        fr.ptrs[self.prog.out_slot()] = out;
        exec_program(fr.simd, &self.prog.instrs, n, &fr.ptrs, &fr.scal);
    }
}

/// All blocks of `sp` on this thread. A 2-D space of whole-row blocks whose
/// operands are all contiguous along rows (a stencil over a C-ordered
/// array) takes a fast path: each operand's row pointer just advances by its
/// row stride, so a row costs the instructions and a few additions.
unsafe fn serial_blocks(prog: &Program, sp: &Space, fr: &mut Frame) {
    let out = sp
        .out
        .as_ref()
        .expect("elementwise evaluation has an output");
    let geo = Geometry::new(&sp.shape, false);
    if geo.total == 0 {
        return;
    }
    let out_slot = prog.out_slot();
    let unit = |o: &Operand| o.strides.len() == 2 && o.strides[1] == 1;
    let fast = sp.shape.len() == 2
        && geo.rows_mode
        && geo.chunks_per_row == 1
        && unit(out)
        && sp.vars.iter().all(|v| match v {
            VarOp::Array(o) => unit(o),
            VarOp::Scalar(_) => true,
        });
    if fast {
        let n = geo.len;
        let mut step = [0isize; MAX_FAST_VARS];
        let nv = sp.vars.len();
        if nv <= MAX_FAST_VARS {
            for (v, var) in sp.vars.iter().enumerate() {
                if let VarOp::Array(o) = var {
                    fr.ptrs[v] = o.ptr;
                    step[v] = o.strides[0] * o.esize as isize;
                }
            }
            fr.ptrs[out_slot] = out.ptr;
            let ostep = out.strides[0] * out.esize as isize;
            for _ in 0..sp.shape[0] {
                exec_program(fr.simd, &prog.instrs, n, &fr.ptrs, &fr.scal);
                for (v, s) in step[..nv].iter().enumerate() {
                    // Scalars have a step of 0 and stay put.
                    fr.ptrs[v] = fr.ptrs[v].wrapping_offset(*s);
                }
                fr.ptrs[out_slot] = fr.ptrs[out_slot].wrapping_offset(ostep);
            }
            return;
        }
    }
    for (pos, n) in geo.positions(0..geo.nitems) {
        let buf = fr.buf(out_slot);
        let (d, direct) = out.dest(pos, buf);
        fr.ptrs[out_slot] = d;
        for (v, var) in sp.vars.iter().enumerate() {
            if let VarOp::Array(op) = var {
                fr.ptrs[v] = op.load(&geo, pos, n, fr.buf(v));
            }
        }
        exec_program(fr.simd, &prog.instrs, n, &fr.ptrs, &fr.scal);
        if !direct {
            out.store(&geo, pos, n, d);
        }
    }
}

/// Variables the fast row path tracks (an array on the stack).
const MAX_FAST_VARS: usize = 16;
