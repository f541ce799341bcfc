//! Small helpers.

/// `n`, or `default` when `n` is 0 (the API's "not told").
pub(crate) fn or_default(n: usize, default: usize) -> usize {
    if n == 0 {
        default
    } else {
        n
    }
}
