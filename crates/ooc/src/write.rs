//! Writing the chunks of a constant or random fill: generated in parallel, written in file
//! order.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rayon::prelude::*;
use runtime::rng::Stream;

use crate::control::Control;
use crate::create::Fill;
use crate::dtype::ByteOrder;
use crate::error::{OocError, Result};
use crate::fill;
use crate::header::Header;

/// Writes every chunk of `fill` (not [`Fill::Zeros`]) into `file`, after `header`; `target`
/// names the file being created in errors.
///
/// Chunks are generated in parallel a batch at a time (one chunk per thread) and written in
/// file order by one writer, while the next batch is being generated (double buffering).
/// Writing in order matters: on ext4, filling the holes left by out-of-order parallel writes
/// is several times slower than appending.
pub(crate) fn write_chunks(
    file: &File,
    target: &Path,
    header: &Header,
    fill: Fill,
    ctl: &Control,
) -> Result<()> {
    let dtype = header.dtype;
    debug_assert_eq!(header.byte_order, ByteOrder::NATIVE);
    let item = dtype.size();
    let len = header.len();
    // Two batches of buffers are alive at once, hence `item` extra bytes per element.
    let chunk = ctl.chunk_elems(item, item);
    let n_chunks = len.div_ceil(chunk);
    let threads = ctl.thread_count();
    let stream = match fill {
        Fill::Random { seed } => Stream::new(seed),
        _ => Stream::new(0),
    };
    let mut pattern = Vec::new();
    if let Fill::Value(v) = fill {
        // `create` cast the value to the dtype.
        debug_assert_eq!(v.dtype(), dtype);
        v.encode_native(&mut pattern);
    }
    let generate = |ci: usize, buf: &mut Vec<u64>| -> Result<usize> {
        if ctl.cancelled() {
            return Err(OocError::Interrupted {
                path: target.into(),
            });
        }
        let start = ci * chunk;
        let n = chunk.min(len - start);
        buf.resize((n * item).div_ceil(8), 0);
        match fill {
            Fill::Random { .. } => fill::random(dtype, &stream, start as u64, buf, n),
            _ => fill::constant(&pattern, buf, n),
        }
        Ok(n * item)
    };
    let write = |first: usize, bufs: &[Vec<u64>], sizes: &[usize]| -> Result<()> {
        for (k, (buf, &nbytes)) in bufs.iter().zip(sizes).enumerate() {
            let bytes = &bytemuck::cast_slice::<u64, u8>(buf)[..nbytes];
            let at = header.data_offset + ((first + k) * chunk * item) as u64;
            file.write_all_at(bytes, at)
                .map_err(|e| OocError::io(target, "write", e))?;
            ctl.progress.advance(nbytes as u64);
        }
        Ok(())
    };
    let gen_batch = |first: usize, bufs: &mut [Vec<u64>]| -> Result<Vec<usize>> {
        bufs.par_iter_mut()
            .enumerate()
            .map(|(k, buf)| generate(first + k, buf))
            .collect()
    };
    ctl.install(|| -> Result<()> {
        let batch = threads.max(1);
        let mut cur: Vec<Vec<u64>> = vec![Vec::new(); batch.min(n_chunks)];
        let mut next: Vec<Vec<u64>> = vec![Vec::new(); batch.min(n_chunks)];
        let mut first = 0;
        let mut sizes = gen_batch(first, &mut cur)?;
        while first < n_chunks {
            let nfirst = first + cur.len();
            let nlen = batch.min(n_chunks.saturating_sub(nfirst));
            next.truncate(nlen);
            let (w, g) = rayon::join(
                || write(first, &cur, &sizes),
                || gen_batch(nfirst, &mut next),
            );
            w?;
            sizes = g?;
            std::mem::swap(&mut cur, &mut next);
            first = nfirst;
        }
        Ok(())
    })?
}
