//! From raw instruction addresses to functions and lines: each address is
//! resolved once through the debug info (`backtrace`, which expands inlined
//! frames), names are demangled without their hash, and the frames of the
//! profiler's own signal handler are dropped.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::model::{Address, Frame, Function, Sample, Samples, Thread};
use crate::names::{base_name, without_generics};
use crate::objects::{self, Object};
use crate::sampler::{RawSamples, HANDLER_SYMBOL};
use crate::Rate;

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
    // The same stack of the same thread can come back as two raw stacks
    // (pprof keys stacks by symbol address): merge them.
    let mut stack_index: HashMap<(Vec<usize>, usize), usize> = HashMap::new();
    for stack in raw.stacks {
        let Some(start) = s.program_start(&stack.ips) else {
            continue;
        };
        let mut addresses: Vec<usize> = stack.ips[start..]
            .iter()
            .enumerate()
            .map(|(i, &ip)| s.address(ip, i == 0))
            .collect();
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
    /// An address holding the root marker with the profiled closure inlined
    /// in it → the address of the closure's frames alone.
    inner_part: HashMap<usize, usize>,
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

    /// The index of the address `ip`; `interrupted` for the instruction the
    /// signal interrupted, which is looked up as it is, where the others
    /// are return addresses, looked up one byte back (inside the call).
    fn address(&mut self, ip: usize, interrupted: bool) -> usize {
        if let Some(&i) = self.address_index.get(&(ip, interrupted)) {
            return i;
        }
        let mut symbols: Vec<(Option<String>, Option<PathBuf>, u32)> = Vec::new();
        resolve(ip, interrupted, |name, file, line| {
            symbols.push((name, file, line))
        });
        if let Some(innermost) = symbols.first_mut() {
            if innermost.2 == 0 && innermost.0.is_some() {
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
            object: objects::find(&self.objects, ip as u64),
        });
        let i = self.addresses.len() - 1;
        self.address_index.insert((ip, interrupted), i);
        i
    }

    /// Drops the frames above the profiled code: on the thread that called
    /// [`crate::run`], those above the closure; on every thread, the
    /// outermost frames of the C runtime and Rust's standard library (or
    /// without a source file) that start the program or the thread
    /// (`_start`, `main`'s set-up, `start_thread`), down to the first frame
    /// of other code. A stack with no such frame is kept whole.
    fn trim_roots(&mut self, addresses: &mut Vec<usize>) {
        let marker = addresses.iter().enumerate().find_map(|(pos, &a)| {
            self.addresses[a]
                .frames
                .iter()
                .position(|f| base_name(&self.functions[f.function].name) == ROOT_MARKER)
                .map(|depth| (pos, depth))
        });
        match marker {
            Some((pos, 0)) if pos > 0 => addresses.truncate(pos),
            Some((pos, depth)) if depth > 0 => {
                // The closure was inlined into the marker: keep the frames
                // inside it, at the same address.
                let whole = addresses[pos];
                let inner = match self.inner_part.get(&whole) {
                    Some(&i) => i,
                    None => {
                        let a = &self.addresses[whole];
                        let inner = Address {
                            ip: a.ip,
                            frames: a.frames[..depth].to_vec(),
                            object: a.object,
                        };
                        self.addresses.push(inner);
                        self.inner_part.insert(whole, self.addresses.len() - 1);
                        self.addresses.len() - 1
                    }
                };
                addresses[pos] = inner;
                addresses.truncate(pos + 1);
            }
            _ => {}
        }
        let is_runtime = |a: usize| {
            let address = &self.addresses[a];
            address.object.is_some_and(|o| self.objects[o].c_runtime)
                || address.frames.iter().all(|f| {
                    self.functions[f.function]
                        .file
                        .as_deref()
                        .is_none_or(|p| p.starts_with("/rustc/"))
                })
        };
        if addresses.iter().any(|&a| !is_runtime(a)) {
            while addresses.len() > 1 && addresses.last().is_some_and(|&a| is_runtime(a)) {
                addresses.pop();
            }
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
