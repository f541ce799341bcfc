//! What the program reads about the machine it runs on, to pass to the
//! libraries as data (they read nothing themselves): the host name, for
//! `hpcrs mpi --local`'s processor name, and the CPU model, for the bench's
//! report.

/// This machine's host name (`gethostname`), if the system says.
pub fn host_name() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes, the length
        // passed; gethostname writes no more than that.
        let status = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if status != 0 {
            return None;
        }
        // A name as long as the buffer may come without its terminating NUL:
        // it is truncated then, and not the machine's name.
        let len = buf.iter().position(|&b| b == 0)?;
        let name = String::from_utf8_lossy(&buf[..len]).trim().to_string();
        (!name.is_empty()).then_some(name)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The CPU model (`model name` of `/proc/cpuinfo`), if the system says.
pub fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    model_name(&cpuinfo).map(str::to_string)
}

/// The value of the first `model name : …` line of `/proc/cpuinfo`'s text.
fn model_name(cpuinfo: &str) -> Option<&str> {
    cpuinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(key, _)| key.trim() == "model name")
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_the_first_model_name_line() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\n\
                    model\t\t: 85\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n\n\
                    processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(model_name(text), Some("Intel(R) Xeon(R) CPU @ 2.20GHz"));
        assert_eq!(model_name("processor\t: 0\nmodel\t\t: 85\n"), None);
        assert_eq!(model_name("model name\t:  \n"), None);
        assert_eq!(model_name(""), None);
    }

    #[test]
    fn the_host_name_is_the_kernels() {
        let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(host_name().as_deref(), Some(kernel.trim()));
    }
}
