//! The connection file (`~/.hpcrs/cluster/PROFILE/client.json`, like
//! ipyparallel's `ipcontroller-client.json`): the controller's address, its
//! port and the key, readable by its owner only. Paths are built from a
//! home directory the caller gives; nothing here reads the environment.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ClusterError, Result};
use crate::key::Key;

/// The largest connection file read (a few hundred bytes are expected).
const MAX_FILE_BYTES: u64 = 64 << 10;

/// Where a controller listens and the key it signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Its address (an IP address or a host name).
    pub address: String,
    /// Its TCP port.
    pub port: u16,
    /// The key every message is signed with.
    pub key: Key,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    address: String,
    port: u16,
    key: String,
}

impl ConnectionInfo {
    /// `address:port`, for connecting and for messages.
    pub fn endpoint(&self) -> String {
        if self.address.contains(':') {
            format!("[{}]:{}", self.address, self.port)
        } else {
            format!("{}:{}", self.address, self.port)
        }
    }

    /// Writes the file atomically (a reader sees the old file or the new
    /// one), readable and writable by its owner only (mode 0600).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(&OnDisk {
            address: self.address.clone(),
            port: self.port,
            key: self.key.to_hex(),
        })
        .expect("a connection file serializes");
        let file_err = |source| ClusterError::File {
            path: path.to_path_buf(),
            source,
        };
        let f = runtime::atomic::AtomicFile::create(path).map_err(|e| file_err(e.source))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(file_err)?;
        }
        f.file()
            .write_all(format!("{text}\n").as_bytes())
            .map_err(file_err)?;
        f.commit().map_err(|e| file_err(e.source))
    }

    /// Reads a connection file.
    pub fn read(path: &Path) -> Result<ConnectionInfo> {
        let bad = |why: String| ClusterError::ConnectionFile {
            path: path.to_path_buf(),
            why,
        };
        let text = runtime::capped::read_to_string(path, MAX_FILE_BYTES).map_err(|source| {
            if source.kind() == std::io::ErrorKind::FileTooLarge {
                bad(format!("larger than {MAX_FILE_BYTES} bytes"))
            } else {
                ClusterError::File {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let d: OnDisk = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let key = Key::from_hex(&d.key).map_err(|e| bad(format!("key: {e}")))?;
        if d.address.is_empty() {
            return Err(bad("empty address".into()));
        }
        Ok(ConnectionInfo {
            address: d.address,
            port: d.port,
            key,
        })
    }
}

/// A profile's directory and the files in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDir {
    dir: PathBuf,
}

impl ProfileDir {
    /// `HOME/.hpcrs/cluster/PROFILE`; the name must be a plain file name.
    pub fn new(home: &Path, profile: &str) -> Result<ProfileDir> {
        let ok = !profile.is_empty()
            && profile != "."
            && profile != ".."
            && profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(ClusterError::Value(format!(
                "profile `{profile}`: use letters, digits, '-', '_' and '.'"
            )));
        }
        Ok(ProfileDir {
            dir: home.join(".hpcrs").join("cluster").join(profile),
        })
    }

    /// The directory itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory (owner-only) if it is missing.
    pub fn create(&self) -> Result<()> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&self.dir).map_err(|source| ClusterError::File {
            path: self.dir.clone(),
            source,
        })
    }

    /// `client.json`.
    pub fn connection_file(&self) -> PathBuf {
        self.dir.join("client.json")
    }

    /// `controller.log`.
    pub fn controller_log(&self) -> PathBuf {
        self.dir.join("controller.log")
    }

    /// `engine-N.log`.
    pub fn engine_log(&self, n: usize) -> PathBuf {
        self.dir.join(format!("engine-{n}.log"))
    }

    /// `pids`: the processes `cluster start` started, one per line.
    pub fn pid_file(&self) -> PathBuf {
        self.dir.join("pids")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_with_owner_only_permissions() {
        let home = tempfile::tempdir().unwrap();
        let p = ProfileDir::new(home.path(), "default").unwrap();
        p.create().unwrap();
        let info = ConnectionInfo {
            address: "127.0.0.1".into(),
            port: 4000,
            key: Key::generate().unwrap(),
        };
        info.write(&p.connection_file()).unwrap();
        assert_eq!(ConnectionInfo::read(&p.connection_file()).unwrap(), info);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p.connection_file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            runtime::atomic::entry_names(p.dir()).unwrap(),
            vec!["client.json".to_string()]
        );
    }

    #[test]
    fn bad_files_and_profiles_are_named() {
        let home = tempfile::tempdir().unwrap();
        let f = home.path().join("c.json");
        std::fs::write(&f, "{\"address\": \"x\", \"port\": 1}").unwrap();
        let e = ConnectionInfo::read(&f).unwrap_err().to_string();
        assert!(e.contains("c.json") && e.contains("key"), "{e}");
        std::fs::write(&f, "{\"address\": \"x\", \"port\": 1, \"key\": \"zz\"}").unwrap();
        assert!(ConnectionInfo::read(&f).is_err());
        assert!(ConnectionInfo::read(&home.path().join("none"))
            .unwrap_err()
            .to_string()
            .contains("none"));
        for bad in ["", "..", "a/b", "x y"] {
            assert!(ProfileDir::new(home.path(), bad).is_err(), "{bad}");
        }
    }
}
