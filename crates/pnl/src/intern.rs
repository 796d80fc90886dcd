//! Small ids for assets, accounts and symbols, so the hot loop hashes a string once and never allocates.

use std::sync::Arc;

/// A map hashed with FxHash (rustc's hasher): fast and deterministic, fine for keys that come from the user's own
/// ledger.
pub(crate) type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Strings to dense `u32` ids. A ledger repeats a handful of accounts and assets, so the last few ids are checked
/// by comparing bytes before hashing.
#[derive(Clone)]
pub(crate) struct Interner {
    ids: FxMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
    recent: [u32; 8],
    next: usize,
}

impl Default for Interner {
    fn default() -> Self {
        Interner { ids: FxMap::default(), names: Vec::new(), recent: [u32::MAX; 8], next: 0 }
    }
}

impl Interner {
    #[inline]
    pub(crate) fn id(&mut self, name: &str) -> u32 {
        for &id in &self.recent {
            if let Some(known) = self.names.get(id as usize)
                && **known == *name
            {
                return id;
            }
        }
        let id = self.lookup(name);
        self.recent[self.next] = id;
        self.next = (self.next + 1) % self.recent.len();
        id
    }

    fn lookup(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.ids.insert(name, id);
        id
    }

    pub(crate) fn name(&self, id: u32) -> &Arc<str> {
        &self.names[id as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}
