//! Who runs a row of the table: an hpcrs backend, a summer mode, or a peer
//! program hpcrs is compared with.

use std::fmt;

use runtime::Backend;
use workloads::summer::Mode;

/// A program hpcrs is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The plain C loop, `cc -O3 -march=native`, one thread.
    CSerial,
    /// The same C loop with `-fopenmp`, on every core.
    COpenMp,
    /// The course's numpy script.
    Numpy,
}

impl Peer {
    /// The name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Peer::CSerial => "C serial",
            Peer::COpenMp => "C OpenMP",
            Peer::Numpy => "numpy",
        }
    }
}

/// Who runs a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runner {
    /// An hpcrs backend (diff2d, auc).
    Backend(Backend),
    /// A way of running summer's jobs.
    Mode(Mode),
    /// A program hpcrs is compared with.
    Peer(Peer),
}

impl Runner {
    /// The name in the table (without the "(peer)" mark).
    pub fn name(self) -> &'static str {
        match self {
            Runner::Backend(b) => b.name(),
            Runner::Mode(m) => m.name(),
            Runner::Peer(p) => p.name(),
        }
    }

    /// Whether this is a peer rather than hpcrs.
    pub fn is_peer(self) -> bool {
        matches!(self, Runner::Peer(_))
    }
}

impl fmt::Display for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
