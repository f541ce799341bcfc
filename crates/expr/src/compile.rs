//! Text to register program, once per expression: lex and parse to a
//! syntax tree, check it into a typed tree (casts explicit, constants
//! folded, integer powers rewritten), then fuse common shapes and lower to
//! a program of the virtual machine.

pub(crate) mod ast;
mod check;
mod constants;
mod fold;
mod functions;
mod fuse;
mod lexer;
mod lower;
pub(crate) mod options;
pub(crate) mod parser;
mod power;
mod pyconst;
mod strings;
pub(crate) mod typed;

pub(crate) use check::Checker;
pub(crate) use fold::fold;
pub(crate) use lower::{lower, Target};
