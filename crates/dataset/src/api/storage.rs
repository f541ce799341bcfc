//! Storage levels for `persist_with`, and what a dataset says about its own.

use std::fmt;

use crate::codec::Codec;
use crate::dataset::Dataset;
use crate::Data;

/// Where `persist_with` keeps computed partitions (Spark's `StorageLevel`,
/// without replication, which one process does not need).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageLevel {
    /// Not persisted.
    None,
    /// In memory, within the memory budget; a partition that does not fit is
    /// recomputed when needed (`cache`'s level).
    MemoryOnly,
    /// In memory within the budget; a partition that does not fit is written
    /// to disk instead of being recomputed.
    MemoryAndDisk,
    /// On disk only: every partition is encoded into a file under the spill
    /// directory (removed by `unpersist` or when the dataset is dropped).
    DiskOnly,
}

impl StorageLevel {
    /// Whether partitions are kept in memory.
    pub fn use_memory(self) -> bool {
        matches!(self, StorageLevel::MemoryOnly | StorageLevel::MemoryAndDisk)
    }

    /// Whether partitions may be written to disk.
    pub fn use_disk(self) -> bool {
        matches!(self, StorageLevel::MemoryAndDisk | StorageLevel::DiskOnly)
    }
}

impl fmt::Display for StorageLevel {
    /// Spark's (Scala) description of the same level, e.g. "Memory
    /// Deserialized 1x Replicated" for `MemoryOnly`: memory holds elements
    /// as they are, disk holds them encoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageLevel::None => "Serialized 1x Replicated",
            StorageLevel::MemoryOnly => "Memory Deserialized 1x Replicated",
            StorageLevel::MemoryAndDisk => "Disk Memory Deserialized 1x Replicated",
            StorageLevel::DiskOnly => "Disk Serialized 1x Replicated",
        })
    }
}

impl<T: Data + Codec> Dataset<T> {
    /// Whether this dataset is persisted (made by `cache`/`persist_with` and
    /// not unpersisted since).
    pub fn is_cached(&self) -> bool {
        self.cached.as_ref().is_some_and(|c| c.is_active())
    }

    /// The storage level this dataset is persisted at; `StorageLevel::None`
    /// if it is not (or no longer).
    pub fn get_storage_level(&self) -> StorageLevel {
        match &self.cached {
            Some(c) if c.is_active() => c.level(),
            _ => StorageLevel::None,
        }
    }

    /// How many partitions of this (persisted) dataset are on disk now.
    pub fn partitions_on_disk(&self) -> usize {
        self.cached.as_ref().map_or(0, |c| c.partitions_on_disk())
    }
}
