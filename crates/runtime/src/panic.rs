//! The text of a caught panic, for error messages.

use std::any::Any;

/// The message a panic was raised with (`panic!("...")`), or a placeholder
/// when its payload is not a string.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("bad {}", 1)).unwrap_err();
/// assert_eq!(runtime::panic::panic_message(&*payload), "bad 1");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
