//! Small ids for assets, accounts and symbols, so the hot loop hashes a string once and never allocates.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// FxHash (rustc's hasher): fast and deterministic, fine for keys that come from the user's own ledger.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

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
