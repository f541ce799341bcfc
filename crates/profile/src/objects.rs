//! The objects loaded in the process (the program, the C library, other
//! shared libraries) and where their code is, to tell which object an
//! address is in: the C library's start-up frames are trimmed from the
//! stacks, and the pprof output lists the objects as its mappings.

use std::ffi::OsStr;

use findshlibs::{Segment, SharedLibrary, TargetSharedLibrary};

/// A loaded object's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    /// Its path as the dynamic loader has it (empty for the program itself).
    pub name: String,
    /// Its executable segments: `[start, end)` addresses.
    pub code: Vec<(u64, u64)>,
    /// Whether it is part of the C runtime (libc, the dynamic loader,
    /// libpthread, libdl, libgcc_s), whose frames start threads and the
    /// program.
    pub c_runtime: bool,
}

/// The objects loaded now.
pub(crate) fn loaded() -> Vec<Object> {
    let mut objects = Vec::new();
    TargetSharedLibrary::each(|lib| {
        let code: Vec<(u64, u64)> = lib
            .segments()
            .filter(|s| s.is_code())
            .map(|s| {
                let start = s.actual_virtual_memory_address(lib).0 as u64;
                (start, start + s.len() as u64)
            })
            .collect();
        if !code.is_empty() {
            let name = lib.name().to_string_lossy().into_owned();
            objects.push(Object {
                c_runtime: is_c_runtime(lib.name()),
                name,
                code,
            });
        }
    });
    objects
}

/// The index of the object whose code holds `ip`.
pub(crate) fn find(objects: &[Object], ip: u64) -> Option<usize> {
    objects
        .iter()
        .position(|o| o.code.iter().any(|&(a, b)| (a..b).contains(&ip)))
}

/// The exported function whose code holds `address`, by the dynamic
/// symbol table (`dladdr1`): how C runtime frames are named, cheaply, where
/// the C library's separate debug info would take a tenth of a second to
/// load. `None` when no exported function covers the address (an internal
/// function such as a `memcpy` variant), for the debug info to name.
pub(crate) fn exported_function(address: usize) -> Option<String> {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    {
        /// glibc's `RTLD_DL_SYMENT`: also return the symbol's table entry.
        const RTLD_DL_SYMENT: libc::c_int = 1;
        // SAFETY: a zeroed Dl_info is a valid value to be overwritten.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        let mut symbol: *mut libc::c_void = std::ptr::null_mut();
        // SAFETY: dladdr1 reads the loader's tables for `address` (any
        // value is allowed) and writes `info` and `symbol`.
        let found = unsafe {
            libc::dladdr1(
                address as *const libc::c_void,
                &mut info,
                &mut symbol,
                RTLD_DL_SYMENT,
            )
        };
        if found == 0 || info.dli_sname.is_null() || info.dli_saddr.is_null() || symbol.is_null() {
            return None;
        }
        // SAFETY: with RTLD_DL_SYMENT, a non-null `symbol` points to the
        // symbol's ElfW(Sym) entry in the object's dynamic symbol table.
        let size = unsafe { (*(symbol as *const libc::Elf64_Sym)).st_size } as usize;
        let start = info.dli_saddr as usize;
        if !(start..start.saturating_add(size)).contains(&address) {
            return None;
        }
        // SAFETY: dli_sname is a NUL-terminated string of the loader's.
        let name = unsafe { std::ffi::CStr::from_ptr(info.dli_sname) };
        Some(name.to_string_lossy().into_owned())
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64")))]
    {
        let _ = address;
        None
    }
}

fn is_c_runtime(path: &OsStr) -> bool {
    let path = std::path::Path::new(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [
        "libc.so",
        "ld-linux",
        "ld64.so",
        "libpthread",
        "libdl.so",
        "libgcc_s",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_program_and_its_c_library_are_found() {
        let objects = loaded();
        let here = find as *const () as usize as u64;
        let me = find(&objects, here).expect("this function's code is in an object");
        assert!(!objects[me].c_runtime);
        let libc_fn = libc::getpid as *const () as usize as u64;
        let c = find(&objects, libc_fn).expect("getpid is in the C library");
        assert!(objects[c].c_runtime, "{:?}", objects[c].name);
        assert_eq!(find(&objects, 0), None);
        // getpid is exported by the C library; this function is not.
        let name = exported_function(libc_fn as usize).unwrap();
        assert!(name.ends_with("getpid"), "{name}");
        assert_eq!(exported_function(here as usize), None);
    }
}
