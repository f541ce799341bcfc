//! Function names as the tables show them: demangled (by `backtrace`),
//! without the hash, and without the generic arguments of the function
//! itself, so that one function is one row whatever it was instantiated
//! with (as in a C profile). The type a method belongs to stays
//! (`<diffusion::naive::NaiveStepper as diffusion::Stepper>::advance`).

/// `name` without trailing generic arguments: `f<T>` and `a::f::<T>`
/// become `f` and `a::f`; `{closure#0}<T>` becomes `{closure#0}`.
pub(crate) fn without_generics(name: &str) -> &str {
    let mut name = name.trim_end();
    while name.ends_with('>') {
        let Some(open) = matching_open(name) else {
            break;
        };
        if open == 0 {
            // The whole name is `<...>`: an impl path, not arguments.
            break;
        }
        name = name[..open].strip_suffix("::").unwrap_or(&name[..open]);
    }
    name
}

/// The index of the `<` that the final `>` of `name` closes (the `>` of
/// an arrow, `fn() -> T`, is not a bracket).
fn matching_open(name: &str) -> Option<usize> {
    let b = name.as_bytes();
    let mut depth = 0usize;
    for i in (0..b.len()).rev() {
        match b[i] {
            b'>' if !is_arrow(b, i) => depth += 1,
            b'<' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the `>` at `i` is the head of `->`.
fn is_arrow(b: &[u8], i: usize) -> bool {
    i > 0 && b[i - 1] == b'-'
}

/// The last path segment of `name`, without generic arguments: what the
/// function is declared as (`fn advance`), `<X as Y>::advance` → `advance`.
pub(crate) fn base_name(name: &str) -> &str {
    let name = without_generics(name);
    let mut depth = 0usize;
    let bytes = name.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => depth += 1,
            b'>' if !is_arrow(bytes, i) => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    &name[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_arguments_go_and_impl_paths_stay() {
        assert_eq!(without_generics("call_once<fn() -> X, ()>"), "call_once");
        assert_eq!(
            without_generics("std::panic::catch_unwind::<A<B>, C>"),
            "std::panic::catch_unwind"
        );
        assert_eq!(
            without_generics("{closure#0}<std::process::ExitCode>"),
            "{closure#0}"
        );
        assert_eq!(
            without_generics("<diffusion::naive::NaiveStepper as diffusion::Stepper>::advance"),
            "<diffusion::naive::NaiveStepper as diffusion::Stepper>::advance"
        );
        assert_eq!(without_generics("<a::B<T> as c::D>"), "<a::B<T> as c::D>");
        assert_eq!(without_generics("step"), "step");
        assert_eq!(without_generics("a<b"), "a<b");
        assert_eq!(without_generics("a>b>"), "a>b>");
        assert_eq!(without_generics("f<fn() -> <T as U>::V>"), "f");
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("diffusion::naive::step"), "step");
        assert_eq!(base_name("<a::B<c::D> as e::F>::advance"), "advance");
        assert_eq!(base_name("profile::profiled_root::<T>"), "profiled_root");
        assert_eq!(
            base_name("profiled_root<core::result::Result<A, B>>"),
            "profiled_root"
        );
        assert_eq!(base_name("step"), "step");
    }
}
