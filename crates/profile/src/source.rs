//! Source files: finding the file the debug info names (relative to a
//! source root, or moved), showing its path short, and finding where a
//! function begins and ends in it.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The largest source file read: a bigger one is not a source file.
const MAX_SOURCE_BYTES: u64 = 8 << 20;

/// Source files found so far, by the path the debug info gives.
pub(crate) struct Sources {
    roots: Vec<PathBuf>,
    files: HashMap<PathBuf, Option<Source>>,
}

/// A source file that was found.
#[derive(Clone)]
pub(crate) struct Source {
    /// Where it was found.
    pub path: PathBuf,
    /// Its lines, without line ends.
    pub lines: Vec<String>,
}

impl Sources {
    /// Looks files up as given, then under each of `roots`.
    pub fn new(roots: &[PathBuf]) -> Sources {
        Sources {
            roots: roots.to_vec(),
            files: HashMap::new(),
        }
    }

    /// The file the debug info calls `path`: the path itself if it can be
    /// read, else the path (relative, or an absolute one with its leading
    /// components dropped one by one, at least two kept) under a root.
    pub fn get(&mut self, path: &Path) -> Option<&Source> {
        if !self.files.contains_key(path) {
            let found = self.candidates(path).into_iter().find_map(|p| read(&p));
            self.files.insert(path.to_path_buf(), found);
        }
        self.files.get(path).and_then(Option::as_ref)
    }

    fn candidates(&self, path: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if path.is_absolute() {
            out.push(path.to_path_buf());
            // The standard library's and crates.io's files are where the
            // debug info says or nowhere: a tail such as `src/lib.rs` under
            // a root would be another file.
            let text = path.to_string_lossy();
            if text.starts_with("/rustc/") || text.contains("/registry/src/") {
                return out;
            }
        }
        let parts: Vec<Component<'_>> = path
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .collect();
        for root in &self.roots {
            let longest = if path.is_absolute() {
                parts.len().saturating_sub(1)
            } else {
                parts.len()
            };
            for keep in (2.min(parts.len())..=longest).rev() {
                let tail: PathBuf = parts[parts.len() - keep..].iter().collect();
                out.push(root.join(tail));
            }
        }
        out
    }

    /// Whether `path` is one of the program's own sources: relative (to
    /// the directory it was built in) or under a root.
    pub fn is_own(&self, path: &Path) -> bool {
        path.is_relative() || self.roots.iter().any(|root| path.starts_with(root))
    }

    /// `path` as shown in the reports: relative to the first root it is
    /// under; the standard library's and crates.io's paths shortened.
    pub fn display(&self, path: &Path) -> String {
        for root in &self.roots {
            if let Ok(rel) = path.strip_prefix(root) {
                return rel.display().to_string();
            }
        }
        let text = path.to_string_lossy();
        // Rust's standard library: /rustc/<commit>/library/core/src/...
        if let Some(rest) = text.strip_prefix("/rustc/") {
            if let Some((_, tail)) = rest.split_once('/') {
                return format!("<rust>/{tail}");
            }
        }
        // crates.io: .../registry/src/index.crates.io-<hash>/<crate>-<version>/...
        if let Some((_, rest)) = text.split_once("/registry/src/") {
            if let Some((_, tail)) = rest.split_once('/') {
                return format!("<crates.io>/{tail}");
            }
        }
        text.into_owned()
    }
}

fn read(path: &Path) -> Option<Source> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(Source {
        path: path.to_path_buf(),
        lines: text.lines().map(|l| l.trim_end().to_owned()).collect(),
    })
}

/// How far up from its first sampled line a function's `fn` line is looked
/// for.
const MAX_SEARCH_UP: usize = 400;

/// How far down its closing brace is looked for.
const MAX_SEARCH_DOWN: usize = 2000;

/// The lines `first..=last` (1-based) of the function `name` whose sampled
/// lines start at `first_sampled`: from its `fn` line to its closing brace
/// when both are found, else `None`.
pub(crate) fn function_extent(
    lines: &[String],
    name: &str,
    first_sampled: u32,
) -> Option<(u32, u32)> {
    let ident = last_identifier(name)?;
    let from = (first_sampled as usize).checked_sub(1)?;
    if from >= lines.len() {
        return None;
    }
    let start = (from.saturating_sub(MAX_SEARCH_UP)..=from)
        .rev()
        .find(|&i| declares_fn(&lines[i], ident))?;
    let end = closing_brace(lines, start)?;
    Some((start as u32 + 1, end as u32 + 1))
}

/// The name a function is declared with: the last path segment, without
/// generic arguments; `None` for closures and other unnamed code.
fn last_identifier(name: &str) -> Option<&str> {
    let name = strip_generic_suffix(name);
    let last = name.rsplit("::").next()?;
    let ident = last.trim_end_matches('>');
    let ok = !ident.is_empty()
        && ident.chars().all(|c| c == '_' || c.is_alphanumeric())
        && !ident.starts_with(|c: char| c.is_ascii_digit());
    ok.then_some(ident)
}

/// `a::b::<T>` → `a::b`.
fn strip_generic_suffix(name: &str) -> &str {
    match name.rfind("::<") {
        Some(i) if name.ends_with('>') => &name[..i],
        _ => name,
    }
}

/// Whether `line` declares `fn ident` (followed by `(` or `<`).
fn declares_fn(line: &str, ident: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    let needle = format!("fn {ident}");
    let mut rest = code;
    while let Some(i) = rest.find(&needle) {
        let before_ok = i == 0 || !rest[..i].ends_with(|c: char| c == '_' || c.is_alphanumeric());
        let after = rest[i + needle.len()..].trim_start();
        if before_ok && (after.starts_with('(') || after.starts_with('<')) {
            return true;
        }
        rest = &rest[i + needle.len()..];
    }
    false
}

/// The line (0-based) of the brace that closes the first `{` at or after
/// line `start`, skipping comments, strings and character literals.
fn closing_brace(lines: &[String], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut opened = false;
    let mut in_block_comment = 0usize;
    for (i, line) in lines.iter().enumerate().skip(start).take(MAX_SEARCH_DOWN) {
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            if in_block_comment > 0 {
                if b[j..].starts_with(b"*/") {
                    in_block_comment -= 1;
                    j += 2;
                } else if b[j..].starts_with(b"/*") {
                    in_block_comment += 1;
                    j += 2;
                } else {
                    j += 1;
                }
                continue;
            }
            match b[j] {
                b'/' if b.get(j + 1) == Some(&b'/') => break,
                b'/' if b.get(j + 1) == Some(&b'*') => {
                    in_block_comment += 1;
                    j += 2;
                }
                b'"' => j = skip_string(b, j + 1),
                b'\'' => j = skip_char_literal(b, j),
                b'{' => {
                    depth += 1;
                    opened = true;
                    j += 1;
                }
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if opened && depth == 0 {
                        return Some(i);
                    }
                    j += 1;
                }
                b';' if !opened => return None, // a declaration without a body
                _ => j += 1,
            }
        }
    }
    None
}

/// The index after the closing quote of a string whose text starts at `j`
/// (or the end of the line: strings spanning lines are rare in hot code).
fn skip_string(b: &[u8], mut j: usize) -> usize {
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// The index after a character literal starting at `j` (`'x'`, `'\n'`,
/// `'\u{..}'`), or after the quote of a lifetime (`'a`).
fn skip_char_literal(b: &[u8], j: usize) -> usize {
    if b.get(j + 1) == Some(&b'\\') {
        // An escape: up to the closing quote.
        let mut k = j + 2;
        while k < b.len() && b[k] != b'\'' {
            k += 1;
        }
        return (k + 1).min(b.len());
    }
    // One character (possibly several bytes) then a quote, else a lifetime.
    let rest = std::str::from_utf8(&b[j + 1..]).unwrap_or("");
    let mut chars = rest.char_indices();
    if let (Some((_, _)), Some((k, '\''))) = (chars.next(), chars.next()) {
        return j + 1 + k + 1;
    }
    j + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn finds_a_function_from_its_body() {
        let src = lines(
            "// fn step( in a comment\n\
             #[inline(always)]\n\
             fn step(old: &[f64], n: usize) {\n\
             \x20   let s = \"}\";\n\
             \x20   let c = '}';\n\
             \x20   for i in 0..n { let _ = i; }\n\
             \x20   /* } */ let _: &'static str = s;\n\
             }\n\
             fn other() {}\n",
        );
        assert_eq!(
            function_extent(&src, "diffusion::naive::step", 6),
            Some((3, 8))
        );
        assert_eq!(
            function_extent(&src, "<diffusion::naive::N as diffusion::S>::step", 4),
            Some((3, 8))
        );
        assert_eq!(function_extent(&src, "x::other", 9), Some((9, 9)));
        assert_eq!(function_extent(&src, "x::step::{{closure}}", 6), None);
        assert_eq!(function_extent(&src, "x::missing", 6), None);
        assert_eq!(function_extent(&src, "x::step", 99), None);
    }

    #[test]
    fn finds_moved_and_relative_files_under_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crates/x/src/lib.rs");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "fn a() {}\n").unwrap();
        let mut s = Sources::new(&[dir.path().to_path_buf()]);
        let moved = Path::new("/elsewhere/build/crates/x/src/lib.rs");
        assert_eq!(s.get(moved).unwrap().path, file);
        assert_eq!(
            s.get(Path::new("crates/x/src/lib.rs")).unwrap().lines,
            ["fn a() {}"]
        );
        assert!(s.get(Path::new("/nowhere/lib.rs")).is_none());
        assert_eq!(s.display(&file), "crates/x/src/lib.rs");
        assert_eq!(
            s.display(Path::new("/rustc/0123abcd/library/core/src/num/f64.rs")),
            "<rust>/library/core/src/num/f64.rs"
        );
        assert_eq!(
            s.display(Path::new(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ndarray-0.16.1/src/lib.rs"
            )),
            "<crates.io>/ndarray-0.16.1/src/lib.rs"
        );
    }
}
