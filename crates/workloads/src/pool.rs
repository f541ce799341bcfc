//! Running a closure on all cores or on a given number of threads.

/// Runs `f` on the global rayon pool (`threads = None`) or on a fresh pool of
/// `threads` threads. The error is `(threads, why)` for the caller to wrap.
pub(crate) fn install<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, (usize, String)> {
    match threads {
        None => Ok(f()),
        Some(0) => Err((0, "the number of threads must be at least 1".to_string())),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| (n, e.to_string()))?;
            Ok(pool.install(f))
        }
    }
}
