//! The test hooks' switch. With the `testing` cargo feature (which the
//! workspace's tests turn on and release builds leave off) the crate has
//! hooks that stand for failures: [`RunOptions`](crate::RunOptions)'s
//! `abort_in_checkpoint` (a crash half-way through a checkpoint) and
//! [`StepperOptions`](crate::StepperOptions)'s `fail_rank` (an MPI rank that
//! fails). Without it they do not exist.

/// Expands to the statements it is given when this crate has its `testing`
/// feature, and to nothing otherwise: the program sets the test hooks inside
/// it, so that a production build never names them.
///
/// ```
/// let mut opts = diffusion::RunOptions::default();
/// diffusion::with_test_hooks! {
///     opts.abort_in_checkpoint = None;
/// }
/// # let _ = &mut opts;
/// ```
#[cfg(feature = "testing")]
#[macro_export]
macro_rules! with_test_hooks {
    ($($statement:tt)*) => { $($statement)* };
}

/// Expands to the statements it is given when this crate has its `testing`
/// feature, and to nothing otherwise: the program sets the test hooks inside
/// it, so that a production build never names them.
#[cfg(not(feature = "testing"))]
#[macro_export]
macro_rules! with_test_hooks {
    ($($statement:tt)*) => {};
}
