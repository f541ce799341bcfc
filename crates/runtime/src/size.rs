//! Sizes for people: `1.50 MiB`.

/// `bytes` in binary units with two decimals (`512 B`, `1.50 MiB`, `2 GiB`).
///
/// ```
/// assert_eq!(runtime::size::human_bytes(512), "512 B");
/// assert_eq!(runtime::size::human_bytes(3 << 19), "1.50 MiB");
/// ```
pub fn human_bytes(bytes: u64) -> String {
    humansize::format_size(bytes, humansize::BINARY)
}
