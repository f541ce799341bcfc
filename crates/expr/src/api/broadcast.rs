//! numpy's broadcasting of input shapes: the shape they make together, and
//! the strides that view each input over it (0 along the axes it is
//! stretched over), so that the executor sees every input as an operand of
//! the one iteration space.

/// The shape `shapes` broadcast to by numpy's rule: shapes are aligned on
/// their last axis, and along each axis the lengths must be equal or 1 (a
/// length of 1, or a missing leading axis, stretches to the others).
///
/// On a mismatch, the error names the two shapes that disagree: the index
/// (into `shapes`) of the earlier one that set the axis, and of the one
/// that conflicts with it.
pub(crate) fn broadcast_shape<'s>(
    shapes: impl IntoIterator<Item = &'s [usize]>,
) -> Result<Vec<usize>, (usize, usize)> {
    let mut full: Vec<usize> = Vec::new();
    // Which shape set each axis of `full` (counted from the last axis).
    let mut setter: Vec<usize> = Vec::new();
    for (k, shape) in shapes.into_iter().enumerate() {
        if shape.len() > full.len() {
            let extra = shape.len() - full.len();
            full.splice(0..0, std::iter::repeat_n(1, extra));
            setter.splice(0..0, std::iter::repeat_n(k, extra));
        }
        let skip = full.len() - shape.len();
        for (ax, &n) in shape.iter().enumerate() {
            let (have, by) = (&mut full[skip + ax], &mut setter[skip + ax]);
            if n == *have || n == 1 {
                continue;
            }
            if *have != 1 {
                return Err((*by, k));
            }
            *have = n;
            *by = k;
        }
    }
    Ok(full)
}

/// The strides of an operand of `shape` with `strides` viewed over `full`
/// (a shape it broadcasts to): the leading axes it lacks and the axes of
/// length 1 it is stretched along step 0, the others keep their stride.
pub(crate) fn stretched_strides(shape: &[usize], strides: &[isize], full: &[usize]) -> Vec<isize> {
    debug_assert!(shape.len() <= full.len() && shape.len() == strides.len());
    let skip = full.len() - shape.len();
    let mut out = vec![0isize; full.len()];
    for ax in 0..shape.len() {
        if shape[ax] != 1 || full[skip + ax] == 1 {
            out[skip + ax] = strides[ax];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(shapes: &[&[usize]]) -> Result<Vec<usize>, (usize, usize)> {
        broadcast_shape(shapes.iter().copied())
    }

    #[test]
    fn shapes_broadcast_as_numpy_broadcasts_them() {
        assert_eq!(shape_of(&[&[5, 10], &[10]]), Ok(vec![5, 10]));
        assert_eq!(shape_of(&[&[5, 1], &[1, 7]]), Ok(vec![5, 7]));
        assert_eq!(shape_of(&[&[2, 5, 1], &[1, 7]]), Ok(vec![2, 5, 7]));
        assert_eq!(shape_of(&[&[1], &[3]]), Ok(vec![3]));
        assert_eq!(shape_of(&[&[0, 1], &[1, 7]]), Ok(vec![0, 7]));
        assert_eq!(shape_of(&[&[4], &[4], &[1, 4]]), Ok(vec![1, 4]));
        assert_eq!(shape_of(&[]), Ok(vec![]));
        assert_eq!(shape_of(&[&[5, 10], &[3]]), Err((0, 1)));
        assert_eq!(shape_of(&[&[5, 1], &[1, 7], &[6, 1]]), Err((0, 2)));
        assert_eq!(shape_of(&[&[1, 3], &[5, 1], &[1, 4]]), Err((0, 2)));
        assert_eq!(shape_of(&[&[0], &[2]]), Err((0, 1)));
    }

    #[test]
    fn stretched_axes_step_zero() {
        assert_eq!(stretched_strides(&[10], &[1], &[5, 10]), vec![0, 1]);
        assert_eq!(stretched_strides(&[5, 1], &[1, 1], &[5, 7]), vec![1, 0]);
        assert_eq!(stretched_strides(&[1, 1], &[3, 3], &[1, 1]), vec![3, 3]);
        assert_eq!(stretched_strides(&[], &[], &[2, 3]), vec![0, 0]);
    }
}
