//! Running a closure on all cores or on a given number of threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Runs `f` on the global rayon pool (`threads = None`) or on a pool of
/// `threads` threads. Pools are built once per size and kept, so that
/// repeated calls (a benchmark's runs) do not time thread start-up. The error
/// is `(threads, why)` for the caller to wrap.
pub(crate) fn install<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, (usize, String)> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    match threads {
        None => Ok(f()),
        Some(0) => Err((0, "the number of threads must be at least 1".to_string())),
        Some(n) => {
            let pool = {
                let mut pools = POOLS
                    .get_or_init(Default::default)
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                match pools.get(&n) {
                    Some(p) => Arc::clone(p),
                    None => {
                        let p = Arc::new(
                            rayon::ThreadPoolBuilder::new()
                                .num_threads(n)
                                .build()
                                .map_err(|e| (n, e.to_string()))?,
                        );
                        pools.insert(n, Arc::clone(&p));
                        p
                    }
                }
            };
            Ok(pool.install(f))
        }
    }
}
