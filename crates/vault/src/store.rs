//! Where the vault's encrypted objects live: a small key-value [`Store`] trait and its implementations.
//!
//! The contract the vault relies on for crash safety is an ordering discipline, not transactions: each `put` or
//! `delete` is atomic (afterwards the object is wholly old or wholly new) and durable when it returns, and writes
//! take effect in call order. Every vault operation is a sequence of such writes after each of which the vault
//! opens with nothing lost.
//!
//! Browser storage (IndexedDB) is asynchronous, so the app does not implement [`Store`] on IndexedDB directly:
//! it loads every object into a [`Snapshot`], runs vault operations on it synchronously, and then applies
//! [`Snapshot::take_writes`] in order inside one IndexedDB read-write transaction (all or nothing, which is
//! stronger than the ordering the vault needs).

use std::collections::BTreeMap;

/// A failure of the storage underneath the vault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error(
        "could not {action} `{key}` in the vault directory: {source}; check that the directory exists and is writable"
    )]
    Io {
        /// What was being done ("read", "write", "delete", "list").
        action: &'static str,
        /// The store key (or directory) concerned.
        key: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The key cannot name an object (empty, starts with `.`, or contains a path separator).
    #[error("`{0}` is not a valid storage key: keys are non-empty, do not start with `.`, and contain no `/` or `\\`")]
    InvalidKey(String),
    /// Any other backend failure (the browser's storage, an injected test fault).
    #[error("the storage backend failed: {0}")]
    Backend(String),
}

/// A key-value store of opaque byte objects. Object-safe; see the module docs for the ordering contract.
pub trait Store {
    /// The object stored under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, atomically replacing any previous object.
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes the object under `key`; removing a missing object is not an error.
    fn delete(&mut self, key: &str) -> Result<(), StoreError>;
    /// Every key starting with `prefix`, in ascending order.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
}

impl<S: Store + ?Sized> Store for &mut S {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).put(key, value)
    }
    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        (**self).delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        (**self).list(prefix)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).put(key, value)
    }
    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        (**self).delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        (**self).list(prefix)
    }
}

/// Checks that a key is safe as a file name and as an IndexedDB key.
pub fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.starts_with('.') || key.contains(['/', '\\', '\0']) {
        Err(StoreError::InvalidKey(key.chars().take(140).collect()))
    } else {
        Ok(())
    }
}

/// Objects held in memory. Holds only ciphertext and the header, like any store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStore {
    objects: BTreeMap<String, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored object, by key.
    pub fn objects(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.objects
    }

    /// Mutable access to the stored bytes (tests use it to tamper with objects).
    pub fn objects_mut(&mut self) -> &mut BTreeMap<String, Vec<u8>> {
        &mut self.objects
    }
}

impl FromIterator<(String, Vec<u8>)> for MemoryStore {
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Self {
        MemoryStore { objects: iter.into_iter().collect() }
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.objects.get(key).cloned())
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        check_key(key)?;
        self.objects.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.objects.remove(key);
        Ok(())
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .objects
            .range(prefix.to_owned()..)
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

/// One write for the persistent layer to apply, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Store `value` under `key`.
    Put {
        /// The object's key.
        key: String,
        /// The object's bytes (ciphertext or header).
        value: Vec<u8>,
    },
    /// Remove the object under `key`.
    Delete {
        /// The object's key.
        key: String,
    },
}

/// An in-memory copy of an asynchronous store (IndexedDB) that remembers the writes made to it.
///
/// Load every object with [`Snapshot::load`], run vault operations, then persist [`Snapshot::take_writes`] in
/// order in one transaction. If that transaction fails, drop the snapshot and the vault and load again: the
/// persistent store still holds the state before the operation.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    objects: MemoryStore,
    pending: Vec<Write>,
}

impl Snapshot {
    /// A snapshot of the objects read from the persistent store.
    pub fn load(objects: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        Snapshot { objects: objects.into_iter().collect(), pending: Vec::new() }
    }

    /// The writes made since the last call, oldest first; apply them in this order.
    pub fn take_writes(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.pending)
    }

    /// The current objects (as they will be once the pending writes are applied).
    pub fn objects(&self) -> &BTreeMap<String, Vec<u8>> {
        self.objects.objects()
    }
}

impl Store for Snapshot {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.objects.get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.objects.put(key, value)?;
        self.pending.push(Write::Put { key: key.to_owned(), value: value.to_vec() });
        Ok(())
    }
    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.objects.delete(key)?;
        self.pending.push(Write::Delete { key: key.to_owned() });
        Ok(())
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.objects.list(prefix)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use file::FileStore;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod file {
    use std::fs;
    use std::io::{self, Write as _};
    use std::path::{Path, PathBuf};

    use super::{Store, StoreError, check_key};

    /// A directory with one file per object (native: tests and the CLI).
    ///
    /// A `put` writes a temporary file (`.{key}.{random}.tmp`), flushes it to disk, renames it over the object
    /// and flushes the directory, so a crash leaves the old or the new object, never a torn one. Leftover
    /// temporary files start with `.` and are never listed or read.
    #[derive(Debug)]
    pub struct FileStore {
        dir: PathBuf,
    }

    fn io(action: &'static str, key: &str) -> impl FnOnce(io::Error) -> StoreError {
        let key = key.to_owned();
        move |source| StoreError::Io { action, key, source }
    }

    impl FileStore {
        /// Opens (creating if needed) the vault directory.
        pub fn open(dir: impl AsRef<Path>) -> Result<FileStore, StoreError> {
            let dir = dir.as_ref().to_path_buf();
            fs::create_dir_all(&dir).map_err(io("create", &dir.display().to_string()))?;
            Ok(FileStore { dir })
        }

        /// The directory holding the objects.
        pub fn dir(&self) -> &Path {
            &self.dir
        }

        fn sync_dir(&self) -> Result<(), StoreError> {
            #[cfg(unix)]
            fs::File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io("sync", "."))?;
            Ok(())
        }
    }

    impl Store for FileStore {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            check_key(key)?;
            match fs::read(self.dir.join(key)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io("read", key)(e)),
            }
        }

        fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
            check_key(key)?;
            let mut suffix = [0u8; 8];
            crate::crypto::random_fill(&mut suffix).map_err(|e| StoreError::Backend(e.to_string()))?;
            let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = self.dir.join(format!(".{key}.{suffix}.tmp"));
            let written = (|| {
                let mut f = fs::File::create(&tmp)?;
                f.write_all(value)?;
                f.sync_all()?;
                fs::rename(&tmp, self.dir.join(key))
            })();
            if let Err(e) = written {
                let _ = fs::remove_file(&tmp);
                return Err(io("write", key)(e));
            }
            self.sync_dir()
        }

        fn delete(&mut self, key: &str) -> Result<(), StoreError> {
            check_key(key)?;
            match fs::remove_file(self.dir.join(key)) {
                Ok(()) => self.sync_dir(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io("delete", key)(e)),
            }
        }

        fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
            let mut keys = Vec::new();
            for entry in fs::read_dir(&self.dir).map_err(io("list", "."))? {
                let entry = entry.map_err(io("list", "."))?;
                if let Some(name) = entry.file_name().to_str()
                    && check_key(name).is_ok()
                    && name.starts_with(prefix)
                    && entry.path().is_file()
                {
                    keys.push(name.to_owned());
                }
            }
            keys.sort();
            Ok(keys)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: &mut dyn Store) {
        assert_eq!(store.get("a.1").unwrap(), None);
        store.put("a.1", b"one").unwrap();
        store.put("a.2", b"two").unwrap();
        store.put("b.1", b"three").unwrap();
        store.put("a.1", b"uno").unwrap();
        assert_eq!(store.get("a.1").unwrap().as_deref(), Some(&b"uno"[..]));
        assert_eq!(store.list("a.").unwrap(), vec!["a.1".to_owned(), "a.2".to_owned()]);
        assert_eq!(store.list("b").unwrap(), vec!["b.1".to_owned()]);
        store.delete("a.1").unwrap();
        store.delete("a.1").unwrap();
        assert_eq!(store.get("a.1").unwrap(), None);
        assert_eq!(store.list("a.").unwrap(), vec!["a.2".to_owned()]);
        for bad in ["", ".x", "a/b", "..", "a\\b"] {
            assert!(matches!(store.put(bad, b"x"), Err(StoreError::InvalidKey(_))), "{bad}");
        }
    }

    #[test]
    fn memory_store_behaves_as_a_store() {
        exercise(&mut MemoryStore::new());
    }

    #[test]
    fn snapshot_records_writes_in_order() {
        let mut s = Snapshot::load([("old".to_owned(), b"x".to_vec())]);
        exercise(&mut s);
        let writes = s.take_writes();
        assert_eq!(writes.len(), 6);
        assert_eq!(writes[0], Write::Put { key: "a.1".into(), value: b"one".to_vec() });
        assert_eq!(writes[5], Write::Delete { key: "a.1".into() });
        assert!(s.take_writes().is_empty());
        assert!(s.objects().contains_key("old"));
    }

    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    #[test]
    fn file_store_behaves_as_a_store_and_ignores_leftover_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("vault");
        let mut store = FileStore::open(&dir).unwrap();
        exercise(&mut store);
        // A crash between writing the temporary file and renaming it leaves such a file behind.
        std::fs::write(dir.join(".a.2.0011223344556677.tmp"), b"torn").unwrap();
        assert_eq!(store.list("").unwrap(), vec!["a.2".to_owned(), "b.1".to_owned()]);
        assert_eq!(store.get("a.2").unwrap().as_deref(), Some(&b"two"[..]));
    }
}
