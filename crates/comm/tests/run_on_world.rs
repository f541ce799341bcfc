//! `run_on_world` on `Local` ranks: a failure comes back as an error naming
//! the rank, after the caller's `on_error` saw it on that rank only.

use std::fmt;
use std::sync::Mutex;

use comm::traits::*;
use comm::{run_on_world, CommError, Failure, Local, Op};

/// What `on_error` was called with: the failure as text, rank, size.
type Reports = Mutex<Vec<(String, usize, usize)>>;

fn record<E: fmt::Display>(reports: &Reports) -> impl FnOnce(&Failure<E>, usize, usize) + '_ {
    move |failure, rank, size| {
        reports
            .lock()
            .unwrap()
            .push((format!("{failure:#}"), rank, size))
    }
}

#[test]
fn success_returns_the_work_result_and_reports_nothing() {
    let reports = Reports::default();
    let got = Local::run(3, |c| {
        run_on_world(
            c,
            |w| w.allreduce(&(w.rank() as u64 + 1), Op::Sum),
            record(&reports),
        )
    })
    .unwrap();
    assert_eq!(got, vec![Ok(6), Ok(6), Ok(6)]);
    assert!(reports.lock().unwrap().is_empty());
}

#[test]
fn an_error_is_reported_on_its_rank_and_returned_naming_it() {
    let reports = Reports::default();
    let got = Local::run(3, |c| {
        let work = |w: &Local| -> Result<u8, String> {
            if w.rank() == 1 {
                return Err("disk full".into());
            }
            // Ranks 0 and 2 wait for rank 1, which is gone.
            w.recv::<u8>(1, 0).map_err(|e| e.to_string())
        };
        run_on_world(c, work, record(&reports))
    })
    .unwrap();
    assert_eq!(
        got[1],
        Err(CommError::RankFailed {
            rank: 1,
            reason: "disk full".into()
        })
    );
    // The peers fail too, each naming itself and the rank it waited for.
    for rank in [0, 2] {
        assert_eq!(
            got[rank],
            Err(CommError::RankFailed {
                rank,
                reason: format!("rank {rank} waited for rank 1 in recv, but rank 1 has exited"),
            })
        );
    }
    let mut reports = reports.into_inner().unwrap();
    reports.sort_by_key(|r| r.1);
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[1], ("disk full".to_string(), 1, 3));
}

#[test]
fn a_panic_is_caught_and_treated_as_an_error() {
    let reports = Reports::default();
    let got = Local::run(1, |c| {
        run_on_world(
            c,
            |_| -> Result<(), String> { panic!("boom {}", 7) },
            record(&reports),
        )
    })
    .unwrap();
    assert_eq!(
        got[0],
        Err(CommError::RankFailed {
            rank: 0,
            reason: "panicked: boom 7".into()
        })
    );
    assert_eq!(
        reports.into_inner().unwrap(),
        vec![("panicked: boom 7".to_string(), 0, 1)]
    );
}

/// An error whose alternate form (`{:#}`) adds its cause, like `anyhow`'s.
struct WithCause;

impl fmt::Display for WithCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.alternate() {
            true => write!(f, "reading input: no such file"),
            false => write!(f, "reading input"),
        }
    }
}

#[test]
fn the_failure_keeps_the_alternate_form_of_the_error() {
    let reports = Reports::default();
    let got = Local::run(1, |c| {
        run_on_world(c, |_| Err::<(), _>(WithCause), record(&reports))
    })
    .unwrap();
    let want = "reading input: no such file";
    assert_eq!(
        got[0],
        Err(CommError::RankFailed {
            rank: 0,
            reason: want.into()
        })
    );
    assert_eq!(reports.into_inner().unwrap()[0].0, want);
    assert_eq!(Failure::Error(WithCause).to_string(), "reading input");
}
