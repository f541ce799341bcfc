//! From raw instruction addresses to functions and lines: each address is
//! resolved once through the debug info (`backtrace`, which expands inlined
//! frames), names are demangled without their hash, and the frames of the
//! profiler's own signal handler are dropped.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::model::{Address, Frame, Function, Sample, Samples, Thread};
use crate::names::{base_name, without_generics};
use crate::objects::{self, Object};
use crate::sampler::{RawSamples, RawStack, HANDLER_SYMBOL, PC_KNOWN};
use crate::Rate;

/// The share of the samples below which the C runtime's internal functions
/// are not looked up (see `Symbolizer::decide_c_internals`).
const C_INTERNALS_SHARE: f64 = 0.05;

/// The name of a frame without a symbol.
pub(crate) const UNKNOWN: &str = "[unknown]";

/// The function through which [`crate::run`] calls the profiled closure:
/// on that thread, it and the frames above it are not the profiled code.
/// (Its base name: a build with line tables only names functions without
/// their path.)
pub(crate) const ROOT_MARKER: &str = "profiled_root";

/// Symbolizes `raw`.
pub(crate) fn symbolize(raw: RawSamples, rate: Rate) -> Samples {
    let mut s = Symbolizer {
        objects: objects::loaded(),
        ..Symbolizer::default()
    };
    let mut samples: Vec<Sample> = Vec::with_capacity(raw.stacks.len());
    let mut threads: Vec<Thread> = Vec::new();
    let mut thread_index: HashMap<u64, usize> = HashMap::new();
    // Where each stack's frames start and end, before any is looked up.
    let spans: Vec<Option<(usize, usize)>> = raw
        .stacks
        .iter()
        .map(|stack| {
            let start = if PC_KNOWN {
                0
            } else {
                s.program_start(&stack.ips)?
            };
            Some((
                start,
                start + s.without_c_runtime_roots(&stack.ips[start..]).len(),
            ))
        })
        .collect();
    s.decide_c_internals(&raw.stacks, &spans);
    // Stacks that differ only in frames trimmed away become one.
    let mut stack_index: HashMap<(Vec<usize>, usize), usize> = HashMap::new();
    for (stack, span) in raw.stacks.into_iter().zip(spans) {
        let Some((start, end)) = span else {
            continue;
        };
        let ips = &stack.ips[start..end];
        // Looked up from the innermost frame out, up to the root marker:
        // what lies above it is not profiled code and is not looked up.
        let mut addresses: Vec<usize> = Vec::with_capacity(ips.len());
        for (i, &ip) in ips.iter().enumerate() {
            let a = s.address(ip, i == 0 && start == 0);
            addresses.push(a);
            if s.holds_marker(a) {
                break;
            }
        }
        s.trim_roots(&mut addresses);
        let thread = *thread_index.entry(stack.thread_id).or_insert_with(|| {
            threads.push(Thread {
                id: stack.thread_id,
                name: stack.thread_name.clone(),
            });
            threads.len() - 1
        });
        match stack_index.entry((addresses, thread)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                samples[*e.get()].count += stack.count;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                samples.push(Sample {
                    addresses: e.key().0.clone(),
                    thread,
                    count: stack.count,
                });
                e.insert(samples.len() - 1);
            }
        }
    }
    Samples {
        functions: s.functions,
        addresses: s.addresses,
        samples,
        threads,
        objects: s.objects,
        dropped: raw.dropped,
        cpu: raw.cpu,
        wall: raw.wall,
        started_at: raw.started_at,
        rate,
    }
}

/// One frame of a looked-up call stack: function name, source file, line.
pub(crate) type CallFrame = (String, Option<PathBuf>, u32);

/// Looks up call stacks of return addresses (the memory view's, taken
/// inside the allocator): each one's frames, innermost first, inlined
/// functions as their own frames, with the frames above the profiled code
/// trimmed as the samples' are.
pub(crate) fn symbolize_calls(stacks: &[&[usize]]) -> Vec<Vec<CallFrame>> {
    let mut s = Symbolizer {
        objects: objects::loaded(),
        ..Symbolizer::default()
    };
    stacks
        .iter()
        .map(|ips| {
            let ips = s.without_c_runtime_roots(ips);
            let mut addresses: Vec<usize> = Vec::with_capacity(ips.len());
            for &ip in ips {
                let a = s.address(ip, false);
                addresses.push(a);
                if s.holds_marker(a) {
                    break;
                }
            }
            s.trim_roots(&mut addresses);
            addresses
                .iter()
                .flat_map(|&a| s.addresses[a].frames.iter())
                .map(|f| {
                    let function = &s.functions[f.function];
                    (function.name.clone(), function.file.clone(), f.line)
                })
                .collect()
        })
        .collect()
}

/// Resolves addresses once each and interns functions.
#[derive(Default)]
struct Symbolizer {
    objects: Vec<Object>,
    functions: Vec<Function>,
    function_index: HashMap<Function, usize>,
    addresses: Vec<Address>,
    /// (ip, whether it is the interrupted instruction) → index.
    address_index: HashMap<(usize, bool), usize>,
    /// Whether the address is in the signal handler.
    handler: HashMap<usize, bool>,
    /// (address, frames kept) → an address with only the innermost frames
    /// of another, where a stack is cut between inlined frames.
    inner_part: HashMap<(usize, usize), usize>,
    /// The exported function of a C runtime address (looked-up address →
    /// name).
    exported: HashMap<usize, Option<String>>,
    /// Whether C runtime code that no exported symbol names is looked up in
    /// the debug info (see [`Symbolizer::decide_c_internals`]).
    c_internals: bool,
}

impl Symbolizer {
    /// Where the program's own frames start in `ips`: after the signal
    /// handler's frame and the signal trampoline that follows it. `None`
    /// when nothing is left.
    fn program_start(&mut self, ips: &[usize]) -> Option<usize> {
        let handler = ips.iter().position(|&ip| {
            *self.handler.entry(ip).or_insert_with(|| {
                let mut found = false;
                resolve(ip, false, |name, _, _| {
                    found |= name.as_deref() == Some(HANDLER_SYMBOL);
                });
                found
            })
        });
        let start = handler.map_or(0, |h| h + 2);
        (start < ips.len()).then_some(start)
    }

    /// `ips` without its outermost addresses in the C runtime (the code that
    /// starts the program and its threads) or in no object, keeping at
    /// least one; trimmed
    /// before they are looked up, since the C library's debug info, when
    /// installed, is slow to load.
    fn without_c_runtime_roots<'a>(&self, ips: &'a [usize]) -> &'a [usize] {
        // (An address in no object is an unwinder's end-of-stack guess.)
        let in_c_runtime = |ip: usize| {
            objects::find(&self.objects, ip as u64).is_none_or(|o| self.objects[o].c_runtime)
        };
        if ips.iter().all(|&ip| in_c_runtime(ip)) {
            return ips;
        }
        let mut end = ips.len();
        while end > 1 && in_c_runtime(ips[end - 1]) {
            end -= 1;
        }
        &ips[..end]
    }

    /// The exported function holding the C runtime address `lookup`.
    fn exported(&mut self, lookup: usize) -> Option<String> {
        self.exported
            .entry(lookup)
            .or_insert_with(|| objects::exported_function(lookup))
            .clone()
    }

    fn in_c_runtime(&self, ip: usize) -> bool {
        objects::find(&self.objects, ip as u64).is_some_and(|o| self.objects[o].c_runtime)
    }

    /// C runtime functions that the dynamic symbol table does not name
    /// (internal ones, such as the variants of `memcpy`) are named by the
    /// C library's debug info, which, when installed, takes a tenth of a
    /// second to load: worth it only if they matter. They are looked up
    /// when their own code holds at least [`C_INTERNALS_SHARE`] of the
    /// samples, and shown as `[libc.so.6]` otherwise.
    fn decide_c_internals(&mut self, stacks: &[RawStack], spans: &[Option<(usize, usize)>]) {
        let total: u64 = stacks.iter().map(|s| s.count).sum();
        let mut inside = 0u64;
        for (stack, span) in stacks.iter().zip(spans) {
            let Some((start, end)) = *span else {
                continue;
            };
            let Some(&leaf) = stack.ips[start..end].first() else {
                continue;
            };
            let lookup = if start == 0 {
                leaf
            } else {
                leaf.wrapping_sub(1)
            };
            let internal = self.in_c_runtime(leaf) && self.exported(lookup).is_none();
            if internal {
                inside += stack.count;
            }
        }
        self.c_internals = inside as f64 >= C_INTERNALS_SHARE * total as f64 && inside > 0;
    }

    /// The index of the address `ip`; `interrupted` for the instruction the
    /// signal interrupted, which is looked up as it is, where the others
    /// are return addresses, looked up one byte back (inside the call).
    fn address(&mut self, ip: usize, interrupted: bool) -> usize {
        if let Some(&i) = self.address_index.get(&(ip, interrupted)) {
            return i;
        }
        let mut symbols: Vec<(Option<String>, Option<PathBuf>, u32)> = Vec::new();
        let object = objects::find(&self.objects, ip as u64);
        let lookup = if interrupted { ip } else { ip.wrapping_sub(1) };
        let c_runtime = object.is_some_and(|o| self.objects[o].c_runtime);
        match c_runtime.then(|| self.exported(lookup)).flatten() {
            Some(name) => symbols.push((Some(name), None, 0)),
            None if c_runtime && !self.c_internals => {
                let file = object.map_or_else(String::new, |o| {
                    let path = std::path::Path::new(&self.objects[o].name);
                    path.file_name()
                        .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
                });
                symbols.push((Some(format!("[{file}]")), None, 0));
            }
            None => resolve(ip, interrupted, |name, file, line| {
                symbols.push((name, file, line))
            }),
        }
        if let Some(innermost) = symbols.first_mut() {
            if innermost.2 == 0 && innermost.0.is_some() && innermost.1.is_some() {
                let lookup = if interrupted { ip } else { ip.wrapping_sub(1) };
                innermost.2 = preceding_line(lookup, innermost).unwrap_or(0);
            }
        }
        let frames: Vec<Frame> = if symbols.is_empty() {
            vec![Frame {
                function: self.function(UNKNOWN.into(), None),
                line: 0,
            }]
        } else {
            symbols
                .into_iter()
                .map(|(name, file, line)| Frame {
                    function: self.function(name.unwrap_or_else(|| UNKNOWN.into()), file),
                    line,
                })
                .collect()
        };
        self.addresses.push(Address {
            ip: ip as u64,
            frames,
            object,
        });
        let i = self.addresses.len() - 1;
        self.address_index.insert((ip, interrupted), i);
        i
    }

    /// Whether the address holds the root marker's frame.
    fn holds_marker(&self, a: usize) -> bool {
        self.addresses[a]
            .frames
            .iter()
            .any(|f| base_name(&self.functions[f.function].name) == ROOT_MARKER)
    }

    /// Whether a frame is the C runtime's or Rust's standard library's (or
    /// has no source file).
    fn is_runtime_frame(&self, address: &Address, frame: &Frame) -> bool {
        address.object.is_some_and(|o| self.objects[o].c_runtime)
            || self.functions[frame.function]
                .file
                .as_deref()
                .is_none_or(|p| p.starts_with("/rustc/"))
    }

    /// The address `a` with only its innermost `keep` frames: for a stack
    /// cut between inlined frames.
    fn inner_part(&mut self, a: usize, keep: usize) -> usize {
        if keep >= self.addresses[a].frames.len() {
            return a;
        }
        if let Some(&i) = self.inner_part.get(&(a, keep)) {
            return i;
        }
        let whole = &self.addresses[a];
        let inner = Address {
            ip: whole.ip,
            frames: whole.frames[..keep].to_vec(),
            object: whole.object,
        };
        self.addresses.push(inner);
        let i = self.addresses.len() - 1;
        self.inner_part.insert((a, keep), i);
        i
    }

    /// Drops the frames above the profiled code: on the thread that called
    /// [`crate::run`], the marker and those above it; on every thread, the
    /// outermost frames of the C runtime and Rust's standard library (or
    /// without a source file) that start the program or the thread
    /// (`_start`, `main`'s set-up, `start_thread`, a closure's `call_once`),
    /// down to the first frame of other code. A stack with no such frame is
    /// kept whole. Cuts can fall between the inlined frames of an address.
    fn trim_roots(&mut self, addresses: &mut Vec<usize>) {
        let marker = addresses.iter().enumerate().find_map(|(pos, &a)| {
            self.addresses[a]
                .frames
                .iter()
                .position(|f| base_name(&self.functions[f.function].name) == ROOT_MARKER)
                .map(|depth| (pos, depth))
        });
        match marker {
            Some((0, 0)) | None => {}
            Some((pos, 0)) => addresses.truncate(pos),
            Some((pos, depth)) => {
                addresses[pos] = self.inner_part(addresses[pos], depth);
                addresses.truncate(pos + 1);
            }
        }
        // The innermost frame, counting outwards, that is not the runtime's.
        let last_own = addresses.iter().enumerate().rev().find_map(|(pos, &a)| {
            let address = &self.addresses[a];
            address
                .frames
                .iter()
                .rposition(|f| !self.is_runtime_frame(address, f))
                .map(|depth| (pos, depth))
        });
        if let Some((pos, depth)) = last_own {
            addresses.truncate(pos + 1);
            addresses[pos] = self.inner_part(addresses[pos], depth + 1);
        }
    }

    fn function(&mut self, name: String, file: Option<PathBuf>) -> usize {
        let f = Function { name, file };
        if let Some(&i) = self.function_index.get(&f) {
            return i;
        }
        self.functions.push(f.clone());
        self.function_index.insert(f, self.functions.len() - 1);
        self.functions.len() - 1
    }
}

/// How far back [`preceding_line`] looks, in bytes.
const MAX_LOOK_BACK: usize = 256;

/// For an instruction at `at` without a line (line 0: compiler-made code
/// such as a bounds check's branch or a reload after a call), the line of
/// the nearest instruction before it in the same function, the statement it
/// was made for; `None` if there is none within [`MAX_LOOK_BACK`] bytes.
fn preceding_line(at: usize, of: &(Option<String>, Option<PathBuf>, u32)) -> Option<u32> {
    for back in 1..=MAX_LOOK_BACK.min(at) {
        let mut innermost: Option<(Option<String>, Option<PathBuf>, u32)> = None;
        resolve(at - back, true, |name, file, line| {
            if innermost.is_none() {
                innermost = Some((name, file, line));
            }
        });
        match innermost {
            Some((name, file, line)) if name == of.0 && file == of.1 => {
                if line > 0 {
                    return Some(line);
                }
            }
            _ => return None,
        }
    }
    None
}

/// Calls `each(name, file, line)` for the symbols of `ip`, innermost
/// inlined function first. `backtrace` looks an address up one byte back,
/// as return addresses need; an interrupted instruction is passed one byte
/// on to be looked up where it is.
fn resolve(
    ip: usize,
    interrupted: bool,
    mut each: impl FnMut(Option<String>, Option<PathBuf>, u32),
) {
    let lookup = if interrupted { ip.wrapping_add(1) } else { ip };
    backtrace::resolve(lookup as *mut std::ffi::c_void, |symbol| {
        let name = symbol
            .name()
            .map(|n| without_generics(&format!("{n:#}")).to_owned());
        let file = symbol.filename().map(PathBuf::from);
        each(name, file, symbol.lineno().unwrap_or(0));
    });
}
