//! The line that says which machine a bench ran on.

/// `N cores, <CPU model>` (the architecture when the model is unknown).
pub(crate) fn description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{} cores, {cpu}", runtime::pool::cores())
}
