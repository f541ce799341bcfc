//! (crate doc to be written with the crate)
