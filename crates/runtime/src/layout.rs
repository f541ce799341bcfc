//! Cache and page geometry that the stencil kernels (the diffusion solver's
//! threads backend, the expression engine's `iterate`) lay their grids out by.

/// Bytes in a cache line. Rows are padded to whole lines and placed so that
/// each row's interior starts one: the stencil's loads and stores are then
/// aligned, and a 64-byte AVX-512 access never straddles two lines.
pub const CACHE_LINE: usize = 64;

/// Bytes in a page of memory, the period of the "4K aliasing" below.
pub const PAGE: usize = 4096;

/// L1 data cache bytes a kernel's rows in flight may fill: the smallest L1d
/// of current x86 cores (32 KiB).
pub const L1_BUDGET_BYTES: usize = 32 << 10;

/// Offset, modulo [`PAGE`], between a buffer read and a buffer written in the
/// same loop: loads and stores at equal page offsets make the CPU see false
/// store-to-load dependencies ("4K aliasing"); half a page apart they never
/// meet.
pub const ALIAS_SKEW_BYTES: usize = PAGE / 2;

/// The bytes to skip from address `addr` to reach an address that is `skew`
/// bytes past a page boundary (modulo [`PAGE`]).
///
/// ```
/// use runtime::layout::{bytes_to_page_offset, PAGE};
/// let addr = 3 * PAGE + 100;
/// assert_eq!((addr + bytes_to_page_offset(addr, 2048)) % PAGE, 2048);
/// ```
pub fn bytes_to_page_offset(addr: usize, skew: usize) -> usize {
    (skew % PAGE + PAGE - addr % PAGE) % PAGE
}
