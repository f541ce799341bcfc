//! Timing the cases round-robin: every case once, then every case again, so
//! that a burst of load on a shared machine hits all of them alike. A case
//! with a separate whole-process run (an hpcrs backend) runs it right after
//! its in-process run, in the same round.

use runtime::progress::{Progress, Unit};

use crate::case::Case;

/// Runs every runnable case `runs` times, round-robin, reporting each run to
/// `progress` (one step and one line per run). A case that fails is not run
/// again; its error is kept for its row.
pub(crate) fn time_round_robin(cases: &mut [Case], runs: usize, progress: &dyn Progress) {
    let runnable: usize = cases
        .iter()
        .filter(|c| c.runnable())
        .map(|c| 1 + usize::from(c.has_process_run()))
        .sum();
    progress.start("bench", Some((runnable * runs) as u64), Unit::Items);
    for round in 1..=runs {
        for case in cases.iter_mut() {
            if case.skip_reason().is_some() {
                continue;
            }
            if case.error.is_none() {
                let line = match case.run_once() {
                    Some(seconds) => format!("{seconds:.4} s"),
                    None => "failed".to_string(),
                };
                progress.note(&format!(
                    "bench: run {round}/{runs}: {} {}: {line}",
                    case.workload, case.runner
                ));
            }
            progress.advance(1);
            if case.has_process_run() {
                if case.error.is_none() {
                    let line = match case.run_process_once() {
                        Some(seconds) => format!("{seconds:.4} s"),
                        None => "failed".to_string(),
                    };
                    progress.note(&format!(
                        "bench: run {round}/{runs}: {} {} (whole process): {line}",
                        case.workload, case.runner
                    ));
                }
                progress.advance(1);
            }
        }
    }
    progress.finish();
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::check::{Answer, Check};
    use crate::{Peer, Runner, Workload};

    #[derive(Default)]
    struct Lines(Mutex<Vec<String>>);

    impl Progress for Lines {
        fn note(&self, line: &str) {
            self.0.lock().unwrap().push(line.to_string());
        }
    }

    #[test]
    fn every_case_runs_once_per_round_and_a_failure_stops_its_case() {
        let area = |s: f64| move || Ok((s, Answer::Area(1.0)));
        let check = || Check::Area {
            exact: 1.0,
            tolerance: 0.0,
        };
        let auc = |r| Runner::Backend(r);
        let mut calls = 0;
        let mut cases = vec![
            Case::new(
                Workload::Auc,
                auc(runtime::Backend::Naive),
                1.0,
                check(),
                area(0.5),
            ),
            Case::new(
                Workload::Auc,
                auc(runtime::Backend::Threads),
                1.0,
                check(),
                move || {
                    calls += 1;
                    if calls == 2 {
                        Err("boom".into())
                    } else {
                        Ok((0.1, Answer::Area(1.0)))
                    }
                },
            ),
            Case::skipped(Workload::Auc, Runner::Peer(Peer::CSerial), "no cc"),
        ];
        let lines = Lines::default();
        time_round_robin(&mut cases, 3, &lines);
        let lines = lines.0.into_inner().unwrap();
        assert_eq!(
            lines,
            [
                "bench: run 1/3: auc naive: 0.5000 s",
                "bench: run 1/3: auc threads: 0.1000 s",
                "bench: run 2/3: auc naive: 0.5000 s",
                "bench: run 2/3: auc threads: failed",
                "bench: run 3/3: auc naive: 0.5000 s",
            ]
        );
        assert_eq!(cases[0].timing.runs(), 3);
        assert_eq!(cases[1].timing.runs(), 1);
        assert_eq!(cases[1].error.as_deref(), Some("boom"));
        assert_eq!(cases[2].skip_reason(), Some("no cc"));
    }
}
