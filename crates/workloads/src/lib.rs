//! The course's small workloads, fast: the area under a curve (`auc.py`) and
//! the threads-versus-processes demo (`summer*.py`).
//!
//! Backend names are shared by all workloads ([`Backend`]); each workload
//! keeps a registry of the backends it has, so that asking for one it lacks
//! gives a clear error rather than a silent substitute.
//!
//! ```
//! use workloads::auc::{self, AucJob};
//! use workloads::Backend;
//!
//! let job = AucJob::new(1_000_000)?;
//! let area = auc::area(Backend::Threads, &job)?.expect("one process reports");
//! // The left Riemann sum converges to the exact 8.175 like 1/NTOT ...
//! assert!((area - auc::EXACT).abs() < 2e-5);
//! // ... and matches its own closed form to rounding.
//! assert!((area - auc::riemann_closed_form(1_000_000)).abs() < 1e-12);
//! assert_eq!(workloads::summer::my_summer(0, 100), 4950);
//! # Ok::<(), workloads::auc::AucError>(())
//! ```
#![deny(missing_docs)]

pub mod auc;
mod auc_kernel;
mod backend;
pub mod children;
pub mod summer;
mod summer_processes;
mod testing;
pub mod wordcount;
mod wordcount_clean;
mod wordcount_scan;
mod wordcount_table;

pub use backend::{Backend, Flavour, UnknownName};
/// The processes crate, for callers that give summer and auc a
/// `procs::Context` without depending on it themselves.
pub use procs;

/// Declares the optional auc backends, one line each: `Backend => module`
/// declares `pub mod module;` (the file `src/module.rs`, which defines
/// `pub fn area(job: &auc::AucJob) -> Result<Option<f64>, auc::AucError>`)
/// and registers its `area` under that backend name (see [`auc::registry`]).
/// Attributes such as `#[cfg(feature = "mpi")]` apply to both.
macro_rules! optional_auc_backends {
    ($($(#[$attr:meta])* $backend:ident => $module:ident),* $(,)?) => {
        $( $(#[$attr])* pub mod $module; )*

        /// The optional auc backends declared in `lib.rs`.
        // The pushes carry per-line attributes (cfg), which `vec![]` cannot.
        #[allow(clippy::vec_init_then_push)]
        pub(crate) fn optional_auc_backends() -> Vec<(Backend, auc::AreaFn)> {
            #[allow(unused_mut)]
            let mut reg: Vec<(Backend, auc::AreaFn)> = Vec::new();
            $( $(#[$attr])* reg.push((Backend::$backend, $module::area as auc::AreaFn)); )*
            reg
        }
    };
}

// The generic MPI algorithm (tested on threads), whatever the features.
pub mod auc_mpi;

// Registration of the optional auc backends: one line per backend.
optional_auc_backends! {
    Expr => auc_expr,
    Processes => auc_processes,
    #[cfg(feature = "mpi")] Mpi => auc_mpi_world,
}
