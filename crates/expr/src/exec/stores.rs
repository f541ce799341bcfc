//! How a block's results reach an output much larger than the caches:
//! streaming (non-temporal) stores, which skip the read-for-ownership of
//! the destination lines, a third of the memory traffic of `c = f(a, b)`.
//! Smaller outputs are written with normal stores, which keep them in cache
//! for whoever reads them next.

/// Outputs at least this big are written with streaming stores.
const STREAM_MIN_BYTES: usize = 32 << 20;

/// Whether an output of `bytes` is written with streaming stores.
pub(crate) fn streams(bytes: usize) -> bool {
    bytes >= STREAM_MIN_BYTES
}

/// Copies `len` bytes with non-temporal stores where aligned.
///
/// # Safety
/// `dst` and `src` must be valid for `len` bytes and not overlap.
pub(crate) unsafe fn stream_copy(dst: *mut u8, src: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the caller's contract for the `len` bytes; SSE2 is part of
    // x86_64, and the streamed stores go to 16-byte aligned addresses.
    unsafe {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
        let head = (dst.align_offset(16)).min(len);
        std::ptr::copy_nonoverlapping(src, dst, head);
        let body = (len - head) / 16;
        for k in 0..body {
            let off = head + k * 16;
            _mm_stream_si128(
                dst.add(off) as *mut __m128i,
                _mm_loadu_si128(src.add(off) as *const __m128i),
            );
        }
        let done = head + body * 16;
        std::ptr::copy_nonoverlapping(src.add(done), dst.add(done), len - done);
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: the caller's contract.
    unsafe {
        std::ptr::copy_nonoverlapping(src, dst, len)
    };
}

/// Orders streaming stores before the results are handed back.
pub(crate) fn stream_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86_64.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}
