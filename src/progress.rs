//! The one way hpcrs draws progress: an indicatif bar on standard error
//! when it is a terminal, nothing otherwise or with `--quiet`. Libraries
//! report through `runtime::Progress`; this is the receiver they are given.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use runtime::progress::{Progress, SharedProgress, Unit};

/// A progress bar for the current task of a library call.
pub struct Bar {
    bar: Mutex<ProgressBar>,
}

impl Bar {
    /// The receiver for a subcommand: a bar on a terminal, silent when
    /// `quiet` or when standard error is not a terminal.
    pub fn shared(quiet: bool) -> SharedProgress {
        if quiet || !std::io::stderr().is_terminal() {
            return runtime::progress::silent();
        }
        Arc::new(Bar {
            bar: Mutex::new(ProgressBar::hidden()),
        })
    }

    fn style(unit: Unit, known_total: bool) -> ProgressStyle {
        let template = match (unit, known_total) {
            (Unit::Bytes, true) => {
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}"
            }
            (Unit::Items, true) => "{msg} [{bar:30}] {pos}/{len} eta {eta}",
            (Unit::Bytes, false) => "{spinner} {msg} {binary_bytes} {binary_bytes_per_sec}",
            (Unit::Items, false) => "{spinner} {msg} {pos}",
        };
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }

    fn current(&self) -> std::sync::MutexGuard<'_, ProgressBar> {
        self.bar
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Progress for Bar {
    fn start(&self, what: &str, total: Option<u64>, unit: Unit) {
        let pb = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        pb.set_style(Bar::style(unit, total.is_some()));
        pb.set_message(what.to_string());
        let old = std::mem::replace(&mut *self.current(), pb);
        old.finish_and_clear();
    }

    fn advance(&self, done: u64) {
        self.current().inc(done);
    }

    fn note(&self, line: &str) {
        self.current().println(line);
    }

    fn finish(&self) {
        self.current().finish_and_clear();
    }
}
