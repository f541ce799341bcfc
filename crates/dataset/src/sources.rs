//! The source datasets a [`Context`] creates: a collection in memory, or the
//! lines of text files.

use std::path::Path;

use crate::context::Context;
use crate::dataset::Dataset;
use crate::lineage::Node;
use crate::nodes::{ParallelizeNode, TextFileNode};
use crate::text_bytes::TextBytes;
use crate::util::or_default;
use crate::Data;

impl Context {
    /// A dataset of `items` cut into `num_slices` partitions of nearly equal
    /// length (Spark's `parallelize(x, numSlices)`); 0 slices means
    /// `default_parallelism()`.
    #[track_caller]
    pub fn parallelize<T: Data>(
        &self,
        items: impl IntoIterator<Item = T>,
        num_slices: usize,
    ) -> Dataset<T> {
        let slices = or_default(num_slices, self.default_parallelism());
        let info = self.node_info("Parallelize", "parallelize");
        Dataset::from_node(self.clone(), ParallelizeNode::new(info, items, slices))
    }

    /// The lines of a text file, or of every file of a directory (hidden files
    /// and names starting with `_` skipped, as Hadoop does), or of each path
    /// of a comma-separated list (`"a.txt,logs/"`, as Spark takes it, when no
    /// file is named so), in at least
    /// `min_partitions` partitions (0: `default_min_partitions()`).
    ///
    /// Files are split into byte ranges whose tasks each read only their own
    /// range, starting at the first line that begins inside it, so a file
    /// larger than memory streams. Lines end at LF, CR or CRLF; invalid UTF-8
    /// is replaced by U+FFFD. Nothing is read here: a missing path makes the
    /// first action fail with an error that names it.
    #[track_caller]
    pub fn text_file(&self, path: impl AsRef<Path>, min_partitions: usize) -> Dataset<String> {
        self.text_source("text_file", path.as_ref(), min_partitions, 0)
    }

    /// The same lines as [`text_file`](Context::text_file) (same splits and
    /// partitions), grouped into blocks of about `block_bytes` bytes (at least
    /// one line each), every line followed by `\n` whatever its terminator was.
    /// For consumers that scan text in bulk: one allocation per block instead
    /// of one per line.
    #[track_caller]
    pub fn text_file_blocks(
        &self,
        path: impl AsRef<Path>,
        min_partitions: usize,
        block_bytes: usize,
    ) -> Dataset<String> {
        self.text_source(
            "text_file_blocks",
            path.as_ref(),
            min_partitions,
            block_bytes.max(1),
        )
    }

    /// The lines of [`text_file`](Context::text_file) (same splits and
    /// partitions) as bytes, in blocks of whole lines of about `block_bytes`
    /// bytes (at least one line each), without a UTF-8 check: a regular
    /// file is mapped into memory and its blocks are ranges of the map (no
    /// copy; each line keeps its own line end, LF, CR or CRLF, and the last
    /// may have none), a stream is read in blocks as
    /// [`text_file_blocks`](Context::text_file_blocks) reads it (each line
    /// followed by `\n`). For consumers that scan bytes and treat LF, CR and
    /// CRLF alike.
    #[track_caller]
    pub fn text_file_bytes(
        &self,
        path: impl AsRef<Path>,
        min_partitions: usize,
        block_bytes: usize,
    ) -> Dataset<TextBytes> {
        self.text_source(
            "text_file_bytes",
            path.as_ref(),
            min_partitions,
            block_bytes.max(1),
        )
    }

    /// `text_file` (`block_bytes` 0), `text_file_blocks` or
    /// `text_file_bytes`, named `op`.
    #[track_caller]
    fn text_source<T: Data>(
        &self,
        op: &str,
        path: &Path,
        min_partitions: usize,
        block_bytes: usize,
    ) -> Dataset<T>
    where
        TextFileNode: Node<T>,
    {
        let min = or_default(min_partitions, self.default_min_partitions());
        let info = self.node_info("TextFile", &format!("{op} {}", path.display()));
        let node = TextFileNode::new(info, path.to_path_buf(), min, block_bytes);
        Dataset::from_node(self.clone(), node)
    }
}
