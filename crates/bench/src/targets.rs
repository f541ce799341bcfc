//! The speed targets, as data: which backend of which workload must beat or
//! stay close to which peer, and by how much.

use runtime::Backend;

use crate::{Peer, Report, Runner, Workload};

/// How a target compares an hpcrs backend with a peer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The backend is at least this many times faster than the peer:
    /// peer time / backend time >= the bound.
    FasterBy(f64),
    /// The backend is at most this many times slower than the peer:
    /// backend time / peer time <= the bound.
    SlowerAtMost(f64),
}

/// A speed target: a backend of a workload against a peer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetSpec {
    /// The workload.
    pub workload: Workload,
    /// The hpcrs backend.
    pub backend: Backend,
    /// The peer it is compared with.
    pub peer: Peer,
    /// The bound on the ratio of their times.
    pub goal: Goal,
}

/// The speed targets, in the order they are printed.
pub const TARGETS: [TargetSpec; 4] = [
    TargetSpec {
        workload: Workload::Diff2d,
        backend: Backend::Threads,
        peer: Peer::COpenMp,
        goal: Goal::FasterBy(1.5),
    },
    TargetSpec {
        workload: Workload::Diff2d,
        backend: Backend::Threads,
        peer: Peer::Numpy,
        goal: Goal::FasterBy(30.0),
    },
    TargetSpec {
        workload: Workload::Diff2d,
        backend: Backend::Naive,
        peer: Peer::CSerial,
        goal: Goal::SlowerAtMost(1.3),
    },
    TargetSpec {
        workload: Workload::Auc,
        backend: Backend::Threads,
        peer: Peer::COpenMp,
        goal: Goal::FasterBy(4.5),
    },
];

/// A speed target and how a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target.
    pub spec: TargetSpec,
    /// The ratio of the median times the goal bounds (`None`: a row is
    /// missing).
    pub ratio: Option<f64>,
    /// Whether the medians are of whole-process runs (start to exit) rather
    /// than of the timed parts of in-process runs.
    pub whole_process: bool,
}

impl Target {
    /// The ratio of `report`'s median times that `spec` bounds: of the
    /// whole-process runs when both rows have them, else of the runs'
    /// timed parts.
    pub fn measure(spec: TargetSpec, report: &Report) -> Target {
        let ours = report.row(spec.workload, Runner::Backend(spec.backend));
        let theirs = report.row(spec.workload, Runner::Peer(spec.peer));
        let whole = ours
            .and_then(|r| r.process_seconds())
            .zip(theirs.and_then(|r| r.process_seconds()));
        let (ours, theirs, whole_process) = match whole {
            Some((o, t)) => (Some(o), Some(t), true),
            None => (
                ours.and_then(|r| r.seconds()),
                theirs.and_then(|r| r.seconds()),
                false,
            ),
        };
        let ratio = match spec.goal {
            Goal::FasterBy(_) => theirs.zip(ours).map(|(t, o)| t / o),
            Goal::SlowerAtMost(_) => ours.zip(theirs).map(|(o, t)| o / t),
        };
        Target {
            spec,
            ratio,
            whole_process,
        }
    }

    /// Whether the goal is met (`None`: not measured).
    pub fn met(&self) -> Option<bool> {
        self.ratio.map(|r| match self.spec.goal {
            Goal::FasterBy(bound) => r >= bound,
            Goal::SlowerAtMost(bound) => r <= bound,
        })
    }

    /// What is compared, e.g. `diff2d threads vs C OpenMP`.
    pub fn name(&self) -> String {
        let s = &self.spec;
        format!("{} {} vs {}", s.workload, s.backend, s.peer.name())
    }

    /// How the ratio is formed, e.g. `C OpenMP time / threads time`.
    pub fn ratio_is(&self) -> String {
        let (ours, theirs) = (self.spec.backend.name(), self.spec.peer.name());
        match self.spec.goal {
            Goal::FasterBy(_) => format!("{theirs} time / {ours} time"),
            Goal::SlowerAtMost(_) => format!("{ours} time / {theirs} time"),
        }
    }

    /// The goal, e.g. `>= 1.5`.
    pub fn goal(&self) -> String {
        match self.spec.goal {
            Goal::FasterBy(bound) => format!(">= {bound}"),
            Goal::SlowerAtMost(bound) => format!("<= {bound}"),
        }
    }
}

/// Every target of [`TARGETS`], measured on `report`.
pub fn measure_all(report: &Report) -> Vec<Target> {
    TARGETS
        .into_iter()
        .map(|spec| Target::measure(spec, report))
        .collect()
}
