//! numexpr for Rust: array expressions given as strings, compiled once and
//! evaluated in cache-sized blocks on all cores, with stencil offsets.
//!
//! ```
//! use expr::{evaluate, DType, Expr};
//! use ndarray::{array, Array2};
//!
//! let a = array![1.0, 2.0, 3.0];
//! let b = array![4.0, 5.0, 6.0];
//! let r = evaluate("a**2 + b**2 + 2*a*b", &[("a", (&a).into()), ("b", (&b).into())]).unwrap();
//! assert_eq!(r.into_typed::<f64>().unwrap().as_slice().unwrap(), &[25.0, 49.0, 81.0]);
//!
//! // A stencil: the diffusion update, compiled once, writing the interior of `out`.
//! let step = Expr::compile("u + k*(u[-1,0] + u[1,0] + u[0,-1] + u[0,1] - 4*u)",
//!                          &[("u", DType::F64), ("k", DType::F64)]).unwrap();
//! let mut u = Array2::<f64>::zeros((5, 5));
//! u[[2, 2]] = 1.0;
//! let mut out = Array2::<f64>::zeros((5, 5));
//! let k = ndarray::arr0(0.25);
//! step.eval(&[("u", (&u).into()), ("k", (&k).into())], &mut out).unwrap();
//! assert_eq!(out[[2, 2]], 0.0);
//! assert_eq!(out[[1, 2]], 0.25);
//! ```
#![warn(missing_docs)]

mod api;
mod array;
mod check;
mod dtype;
mod error;
mod exec;
mod kernels;
mod parse;
mod program;
mod threads;
mod vmath;

pub use api::{evaluate, evaluate_scalar, variables, Expr};
pub use array::{Arg, ArgMut, Array, Element};
pub use check::ReduceKind;
pub use dtype::{DType, Scalar};
pub use error::ExprError;
pub use num_complex::Complex64;
pub use threads::{num_threads, set_num_threads};
