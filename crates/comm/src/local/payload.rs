//! What a [`super::Local`] message carries.

use std::any::Any;

use crate::scalar::Scalar;

/// The body of a message, in either flavour.
pub(super) enum Payload {
    /// Object flavour: serialised bytes.
    Bytes(Vec<u8>),
    /// Buffer flavour: a `Vec<T>` of a [`Scalar`] type, moved without
    /// serialisation, with the type's name for error messages.
    Buf(Box<dyn Any + Send>, &'static str),
}

impl Payload {
    /// A buffer-flavour payload.
    pub(super) fn buf<T: Scalar>(v: Vec<T>) -> Payload {
        Payload::Buf(Box::new(v), T::NAME)
    }

    /// What the message carries, for a type-mismatch error.
    pub(super) fn describe(&self) -> String {
        match self {
            Payload::Bytes(b) => format!("a serialised object ({} bytes)", b.len()),
            Payload::Buf(_, name) => format!("a buffer of {name}"),
        }
    }
}
