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
    }
}
