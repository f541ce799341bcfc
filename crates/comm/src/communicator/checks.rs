//! The argument checks every backend makes before it moves a message, so
//! that a bad rank, tag, length or missing root buffer is the same typed
//! error on threads and on MPI.

use super::{Tag, MAX_TAG};
use crate::error::{CommError, Result};

/// Checks a peer rank.
pub(crate) fn check_peer(rank: usize, size: usize) -> Result<()> {
    if rank < size {
        Ok(())
    } else {
        Err(CommError::BadRank { rank, size })
    }
}

/// Checks a user tag.
pub(crate) fn check_tag(tag: Tag) -> Result<()> {
    if (0..=MAX_TAG).contains(&tag) {
        Ok(())
    } else {
        Err(CommError::BadTag { tag })
    }
}

/// Checks the lengths of a block collective: `whole` must be `size · part`.
pub(crate) fn check_blocks(op: &'static str, whole: usize, part: usize, size: usize) -> Result<()> {
    if whole == part * size {
        Ok(())
    } else {
        Err(CommError::Length {
            op,
            why: format!("the root's buffer holds {whole} element(s), but {size} rank(s) × {part} = {} are needed", part * size),
        })
    }
}

/// The data only the root of a collective provides (`Some` on the root).
pub(crate) fn root_data<T>(data: Option<T>, op: &'static str, root: usize) -> Result<T> {
    data.ok_or(CommError::MissingRootData { op, root })
}
