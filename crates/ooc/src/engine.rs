//! The chunk engine: reduces an array's data chunk by chunk on all threads, in bounded
//! memory.
//!
//! Every chunk is a fixed range of elements, so the partial results (and hence the final
//! floating-point answer) do not depend on how chunks are spread over threads. Chunks are
//! processed in parallel batches and their partial results merged in chunk order.

use std::sync::Mutex;

use rayon::prelude::*;

use crate::array::NpyFile;
use crate::control::Control;
use crate::decode::{as_native_f64, decode_to_f64};
use crate::error::{OocError, Result};
use crate::read::{HeldSpan, Reader};

/// Per-thread scratch buffers, reused for every chunk that thread reads.
#[derive(Default)]
struct Scratch {
    /// Raw bytes (as `u64`, so that the buffer is 8-byte aligned and can be viewed as `f64`).
    raw: Vec<u64>,
    /// Decoded values when the data is not native `f64`.
    vals: Vec<f64>,
    /// What the thread holds of a mapped file.
    held: HeldSpan,
}

/// Calls `map` on every chunk of `file`'s data (the index of the chunk's first element,
/// its values as `f64`, and its bytes as stored), in parallel, and folds the results into
/// `acc` in chunk order.
///
/// Chunks are processed `batch` at a time (at least two per thread): the results of a batch
/// are held until it is merged, so a large batch suits small results. Fewer batches mean
/// fewer points where all threads wait for the slowest, which matters on a shared machine
/// where one thread may be descheduled.
pub(crate) fn fold_chunks<R, A>(
    file: &NpyFile,
    ctl: &Control,
    chunk_elems: usize,
    batch: usize,
    map: impl Fn(usize, &[f64], &[u8]) -> R + Sync,
    acc: &mut A,
    mut merge: impl FnMut(&mut A, R),
) -> Result<()>
where
    R: Send,
{
    let h = file.header();
    let (dtype, order) = (h.dtype, h.byte_order);
    let item = dtype.size();
    let len = file.len();
    if len == 0 {
        return Ok(());
    }
    let chunk_elems = chunk_elems.max(1);
    let n_chunks = len.div_ceil(chunk_elems);
    let threads = ctl.install(rayon::current_num_threads)?;
    let scratch: Vec<Mutex<Scratch>> = (0..threads + 1).map(|_| Mutex::default()).collect();
    let reader = Reader::new(file, ctl.io, ctl.hold_bytes(chunk_elems * item))?;
    let data_offset = h.data_offset as usize;

    let do_chunk = |ci: usize| -> Result<R> {
        // A named phase for `hpcrs profile` (one relaxed load when no
        // profiler runs).
        let _phase = runtime::phase::enter("ooc chunk");
        if ctl.cancelled() {
            return Err(OocError::Interrupted {
                path: file.path().into(),
            });
        }
        let start = ci * chunk_elems;
        let n = chunk_elems.min(len - start);
        let nbytes = n * item;
        let offset = data_offset + start * item;
        let slot = rayon::current_thread_index()
            .unwrap_or(threads)
            .min(threads);
        let mut guard = scratch[slot].lock().unwrap_or_else(|p| p.into_inner());
        let Scratch { raw, vals, held } = &mut *guard;
        let r = reader.with_bytes(raw, held, offset, nbytes, |bytes| {
            let values: &[f64] = match as_native_f64(dtype, order, bytes) {
                Some(v) => v,
                None => {
                    vals.resize(n, 0.0);
                    decode_to_f64(dtype, order, bytes, vals);
                    &vals[..]
                }
            };
            map(start, values, bytes)
        })?;
        ctl.progress.advance(nbytes as u64);
        Ok(r)
    };

    let batch = batch.max(threads * 2);
    let mut first = 0;
    while first < n_chunks {
        let last = first.saturating_add(batch).min(n_chunks);
        let results: Vec<Result<R>> =
            ctl.install(|| (first..last).into_par_iter().map(&do_chunk).collect())?;
        for slot in &scratch {
            let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
            reader.release(&mut guard.held);
        }
        for r in results {
            merge(acc, r?);
        }
        first = last;
    }
    Ok(())
}
