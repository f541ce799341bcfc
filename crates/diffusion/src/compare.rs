//! Comparing densities: how far a backend's result is from a reference.

use ndarray::Array2;

/// The largest difference between `a` and `reference`, relative to the
/// reference's largest magnitude: the measure the tests and `hpcrs bench`
/// hold the backends to (e.g. `<= 1e-12`). Arrays of different shapes are
/// compared over their common elements; an all-zero reference gives NaN or
/// infinity, which no tolerance accepts.
pub fn relative_difference(a: &Array2<f64>, reference: &Array2<f64>) -> f64 {
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(reference)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    diff / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn is_the_worst_difference_over_the_largest_reference_value() {
        let r = array![[1.0, -4.0], [2.0, 0.5]];
        let a = array![[1.5, -4.0], [2.0, 0.25]];
        assert_eq!(relative_difference(&a, &r), 0.5 / 4.0);
        assert_eq!(relative_difference(&r, &r), 0.0);
        // 0.5 / 0: no tolerance accepts it.
        let against_zeros = relative_difference(&a, &Array2::zeros((2, 2)));
        assert!(against_zeros.is_infinite());
    }
}
