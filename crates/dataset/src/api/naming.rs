//! `set_name` / `name`: a label for a dataset, as Spark's `setName`.

use std::sync::Arc;

use crate::dataset::Dataset;
use crate::Data;

impl<T: Data> Dataset<T> {
    /// This dataset under `name` (the same lineage; the returned handle and
    /// its clones carry the name).
    pub fn set_name(&self, name: impl Into<String>) -> Dataset<T> {
        let mut named = self.clone();
        named.extras.name = Some(Arc::from(name.into()));
        named
    }

    /// The name given with `set_name`, if any.
    pub fn name(&self) -> Option<&str> {
        self.extras.name.as_deref()
    }
}
