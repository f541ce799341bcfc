//! (crate doc to be written with the crate)
#![warn(missing_docs)]

pub mod array;
pub mod create;
pub mod dtype;
pub mod engine;
pub mod error;
pub mod header;
pub mod reduce;
pub mod rng;
pub mod stats;

pub use array::{NpyFile, NpyFileMut};
pub use create::{create, CreateOptions, Fill};
pub use dtype::{ByteOrder, DType, Scalar};
pub use engine::{Control, IoMode};
pub use error::{OocError, Result};
pub use header::Header;
pub use reduce::AxisStats;
pub use stats::Stats;
