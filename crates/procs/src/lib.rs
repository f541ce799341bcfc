//! Processes for Rust programs, like Python's `multiprocessing`.
#![deny(missing_docs)]
