//! Whether an allocation fits in this machine's memory, checked before it
//! is made: the program's side of [`runtime::memory`], which reads
//! `/proc/meminfo` (libraries never read the environment).

use runtime::memory::MemoryError;

/// The memory the system can give without swapping (`MemAvailable` of
/// `/proc/meminfo`), if the system says.
pub fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    runtime::memory::available_bytes(&meminfo)
}

/// Checks that `needed` bytes (`None`: a size that overflowed) fit in the
/// memory available now; the error names `what` and both sizes.
pub fn check_fits(needed: Option<u64>, what: &str) -> Result<(), MemoryError> {
    runtime::memory::check_fits(needed, available(), what)
}

/// The machine's physical memory (`MemTotal` of `/proc/meminfo`), if the
/// system says.
pub fn physical() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    runtime::memory::proc_bytes(&meminfo, "MemTotal:")
}

/// This process's peak resident memory so far (`VmHWM` of
/// `/proc/self/status`), if the system says.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    runtime::memory::proc_bytes(&status, "VmHWM:")
}
