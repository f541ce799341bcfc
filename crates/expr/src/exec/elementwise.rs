//! Elementwise evaluation on all threads: the blocks go to threads in
//! contiguous bands, each thread running them on its own frame.

use std::ops::Range;

use crate::exec::frame::with_frame;
use crate::exec::space::Space;
use crate::exec::stores::{stream_copy, stream_fence, streams};
use crate::threads::run_tasks;
use crate::vm::program::Program;

/// Evaluates `prog` element by element into `sp.out`.
pub(crate) fn run_elementwise(prog: &Program, sp: &Space) {
    let Some((out, geo)) = sp.elementwise() else {
        return;
    };
    let out_slot = prog.out_slot();
    let stream = streams(geo.total * out.esize);
    run_tasks(geo.nitems, geo.total, |items: Range<usize>| {
        with_frame(prog, sp, |fr| {
            for (pos, n) in geo.positions(items) {
                // SAFETY: the API checked every operand against the space;
                // blocks of different items write disjoint output elements.
                unsafe {
                    if stream {
                        let buf = fr.buf(out_slot);
                        if let (d, true) = out.dest(pos, buf) {
                            // Computed into the buffer, streamed out.
                            fr.ptrs[out_slot] = buf;
                            fr.run_block(prog, sp, &geo, pos, n);
                            stream_copy(d, buf, n * out.esize);
                            continue;
                        }
                    }
                    fr.run_block_into(prog, sp, &geo, out, pos, n);
                }
            }
            if stream {
                stream_fence();
            }
        })
    });
}
