//! `flamegraph.svg`: the samples as an interactive flame graph (inferno),
//! one tower per thread, each frame named by its function.

use std::collections::HashMap;

use crate::report::Report;
use crate::ProfileError;

/// The SVG of the flame graph.
pub(crate) fn render(r: &Report) -> Result<Vec<u8>, ProfileError> {
    let s = r.samples();
    // Collapsed stacks: "thread;outermost;...;innermost count".
    let mut stacks: HashMap<String, u64> = HashMap::new();
    for sample in &s.samples {
        let t = &s.threads[sample.thread];
        let mut names: Vec<String> = s
            .frames(sample)
            .map(|f| label(&s.functions[f.function]))
            .collect();
        names.reverse();
        let thread = if t.name.is_empty() {
            format!("thread {:#x}", t.id)
        } else {
            format!("thread '{}'", t.name)
        };
        let mut line = clean(&thread);
        for n in names {
            line.push(';');
            line.push_str(&clean(&n));
        }
        *stacks.entry(line).or_default() += sample.count;
    }
    let mut lines: Vec<String> = stacks
        .into_iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect();
    lines.sort();
    let mut svg = Vec::new();
    if lines.is_empty() {
        svg.extend_from_slice(EMPTY.as_bytes());
        return Ok(svg);
    }
    let mut options = inferno::flamegraph::Options::default();
    options.title = format!(
        "{} samples, {:.3} s of CPU time",
        s.total(),
        s.cpu.as_secs_f64()
    );
    options.count_name = "samples".into();
    inferno::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut svg)
        .map_err(|e| ProfileError::Render {
            file: "flamegraph.svg",
            why: e.to_string(),
        })?;
    Ok(svg)
}

/// A frame's label: its name, and the name of its file when the name alone
/// does not say where it is (a build with line tables only names functions
/// without their path: `run (sim.rs)`).
fn label(f: &crate::model::Function) -> String {
    match (&f.file, f.name.contains("::")) {
        (Some(file), false) => match file.file_name() {
            Some(base) => format!("{} ({})", f.name, base.to_string_lossy()),
            None => f.name.clone(),
        },
        _ => f.name.clone(),
    }
}

/// A name fit for a collapsed stack, whose separators are `;` and the last
/// space (before the count): `;` becomes `,` (`[T; N]` → `[T, N]`).
fn clean(name: &str) -> String {
    name.replace(';', ",")
}

/// The flame graph of no samples.
const EMPTY: &str = r#"<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="600" height="60" xmlns="http://www.w3.org/2000/svg"><text x="10" y="35">No samples were taken (the profiled code used almost no CPU time).</text></svg>
"#;
