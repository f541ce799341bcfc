//! The test hooks' switch. With the `testing` cargo feature (which the
//! workspace's tests turn on and release builds leave off) the program may
//! make this crate's workers misbehave, to check that the failure is
//! caught: a summer worker that answers a wrong total. Without it the hooks
//! do not exist.

/// Expands to the statements it is given when this crate has its `testing`
/// feature, and to nothing otherwise: the program sets its test hooks
/// inside it, so that a production build never has them.
///
/// ```
/// let mut total = workloads::summer::my_summer(0, 10);
/// workloads::with_test_hooks! {
///     total += 0;
/// }
/// assert_eq!(total, 45);
/// ```
#[cfg(feature = "testing")]
#[macro_export]
macro_rules! with_test_hooks {
    ($($statement:tt)*) => { $($statement)* };
}

/// Expands to the statements it is given when this crate has its `testing`
/// feature, and to nothing otherwise: the program sets its test hooks
/// inside it, so that a production build never has them.
#[cfg(not(feature = "testing"))]
#[macro_export]
macro_rules! with_test_hooks {
    ($($statement:tt)*) => {};
}
