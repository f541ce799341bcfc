//! `profile.pb.gz`: the samples in pprof's protobuf format, gzipped, for
//! `go tool pprof`, speedscope and other viewers. Each address is a
//! location whose lines are its inlined frames, innermost first, as the
//! format wants.

use std::collections::HashMap;
use std::io::Write;

use pprof::protos::{self, Message};

use crate::report::Report;
use crate::ProfileError;

/// The gzipped protobuf.
pub(crate) fn render(r: &Report) -> Result<Vec<u8>, ProfileError> {
    let profile = build(r);
    let bytes = profile.encode_to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes)
        .and_then(|()| gz.finish())
        .map_err(|e| ProfileError::Render {
            file: "profile.pb.gz",
            why: e.to_string(),
        })
}

/// The string table: index 0 is the empty string.
#[derive(Default)]
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn new() -> Strings {
        let mut s = Strings::default();
        s.get("");
        s
    }

    fn get(&mut self, text: &str) -> i64 {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        self.table.push(text.to_owned());
        let i = self.table.len() as i64 - 1;
        self.index.insert(text.to_owned(), i);
        i
    }
}

fn build(r: &Report) -> protos::Profile {
    let s = r.samples();
    let mut strings = Strings::new();
    let ns_per_sample = s.seconds_per_sample() * 1e9;
    let value_type = |strings: &mut Strings, ty: &str, unit: &str| protos::ValueType {
        ty: strings.get(ty),
        unit: strings.get(unit),
    };
    let sample_type = vec![
        value_type(&mut strings, "samples", "count"),
        value_type(&mut strings, "cpu", "nanoseconds"),
    ];
    let period_type = value_type(&mut strings, "cpu", "nanoseconds");
    let function = s
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = strings.get(&f.name);
            protos::Function {
                id: i as u64 + 1,
                name,
                system_name: name,
                filename: strings.get(
                    &f.file
                        .as_deref()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
                start_line: 0,
            }
        })
        .collect();
    let location = s
        .addresses
        .iter()
        .enumerate()
        .map(|(i, a)| protos::Location {
            id: i as u64 + 1,
            mapping_id: a.object.map_or(0, |o| o as u64 + 1),
            address: a.ip,
            line: a
                .frames
                .iter()
                .map(|f| protos::Line {
                    function_id: f.function as u64 + 1,
                    line: i64::from(f.line),
                })
                .collect(),
            is_folded: false,
        })
        .collect();
    // Already symbolized: viewers need not look for the binaries.
    let mapping = s
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| protos::Mapping {
            id: i as u64 + 1,
            memory_start: o.code.iter().map(|c| c.0).min().unwrap_or(0),
            memory_limit: o.code.iter().map(|c| c.1).max().unwrap_or(0),
            file_offset: 0,
            filename: strings.get(&o.name),
            build_id: 0,
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            has_inline_frames: true,
        })
        .collect();
    let thread_key = strings.get("thread");
    let thread_id_key = strings.get("thread id");
    let sample = s
        .samples
        .iter()
        .map(|smp| {
            let t = &s.threads[smp.thread];
            protos::Sample {
                location_id: smp.addresses.iter().map(|&a| a as u64 + 1).collect(),
                value: vec![
                    smp.count as i64,
                    (smp.count as f64 * ns_per_sample).round() as i64,
                ],
                label: vec![
                    protos::Label {
                        key: thread_key,
                        str: strings.get(&t.name),
                        num: 0,
                        num_unit: 0,
                    },
                    protos::Label {
                        key: thread_id_key,
                        str: 0,
                        num: t.id as i64,
                        num_unit: 0,
                    },
                ],
            }
        })
        .collect();
    let time_nanos = s
        .started_at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    protos::Profile {
        sample_type,
        sample,
        mapping,
        location,
        function,
        string_table: std::mem::take(&mut strings.table),
        drop_frames: 0,
        keep_frames: 0,
        time_nanos,
        duration_nanos: s.wall.as_nanos() as i64,
        period_type: Some(period_type),
        period: ns_per_sample.round() as i64,
        comment: Vec::new(),
        default_sample_type: 0,
    }
}
