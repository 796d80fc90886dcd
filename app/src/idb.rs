//! A small key-value store over IndexedDB: one database, one object store, string keys, byte values. Writes are
//! applied as a batch in one IndexedDB transaction, so a batch lands whole or not at all (the vault's crash-safety
//! rests on that). Everything stored here is already sealed by the vault: this layer never sees plaintext.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const STORE: &str = "kv";

/// An IndexedDB failure, with the operation that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdbError(pub String);

impl std::fmt::Display for IdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "browser storage (IndexedDB): {}", self.0)
    }
}

impl std::error::Error for IdbError {}

fn err(what: &str, e: JsValue) -> IdbError {
    let detail = e
        .dyn_ref::<web_sys::DomException>()
        .map(|d| format!("{}: {}", d.name(), d.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into());
    IdbError(format!("{what}: {detail}"))
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Store `value` under `key`, replacing what was there.
    Put(String, Vec<u8>),
    /// Remove `key` (no error when absent).
    Delete(String),
}

/// An open IndexedDB database.
#[derive(Clone)]
pub struct Idb {
    db: IdbDatabase,
}

/// Resolves when the request succeeds, with its result.
async fn request(req: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |ev: web_sys::Event| {
            let req: IdbRequest = ev.target().unwrap().unchecked_into();
            let _ = resolve.call1(&JsValue::NULL, &req.result().unwrap_or(JsValue::UNDEFINED));
        });
        let fail = Closure::once_into_js(move |ev: web_sys::Event| {
            let req: IdbRequest = ev.target().unwrap().unchecked_into();
            let e = req.error().ok().flatten().map(JsValue::from).unwrap_or(JsValue::from_str("request failed"));
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

/// Resolves when the transaction commits; rejects when it aborts.
async fn committed(tx: &web_sys::IdbTransaction) -> Result<(), JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject2 = reject.clone();
        let fail = Closure::once_into_js(move |ev: web_sys::Event| {
            let tx: web_sys::IdbTransaction = ev.target().unwrap().unchecked_into();
            let e = tx.error().map(JsValue::from).unwrap_or(JsValue::from_str("transaction failed"));
            let _ = reject2.call1(&JsValue::NULL, &e);
        });
        let abort = Closure::once_into_js(move || {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("transaction aborted"));
        });
        tx.set_oncomplete(Some(done.unchecked_ref()));
        tx.set_onerror(Some(fail.unchecked_ref()));
        tx.set_onabort(Some(abort.unchecked_ref()));
    });
    JsFuture::from(promise).await.map(|_| ())
}

impl Idb {
    /// Opens (creating if needed) the database `name`.
    pub async fn open(name: &str) -> Result<Idb, IdbError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or_else(|| IdbError("IndexedDB is not available in this browser (private mode?)".into()))?;
        let open: IdbOpenDbRequest = factory.open_with_u32(name, 1).map_err(|e| err("open", e))?;
        let upgrade = Closure::once_into_js(move |ev: web_sys::Event| {
            let req: IdbOpenDbRequest = ev.target().unwrap().unchecked_into();
            let db: IdbDatabase = req.result().unwrap().unchecked_into();
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        });
        open.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
        let db = request(&open).await.map_err(|e| err("open", e))?;
        Ok(Idb { db: db.unchecked_into() })
    }

    /// The value under `key`, if any.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, IdbError> {
        let tx = self.db.transaction_with_str(STORE).map_err(|e| err("read", e))?;
        let store = tx.object_store(STORE).map_err(|e| err("read", e))?;
        let req = store.get(&JsValue::from_str(key)).map_err(|e| err("read", e))?;
        let value = request(&req).await.map_err(|e| err("read", e))?;
        if value.is_undefined() {
            return Ok(None);
        }
        Ok(Some(Uint8Array::new(&value).to_vec()))
    }

    /// Every key starting with `prefix`, sorted.
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>, IdbError> {
        let tx = self.db.transaction_with_str(STORE).map_err(|e| err("list", e))?;
        let store = tx.object_store(STORE).map_err(|e| err("list", e))?;
        let req = store.get_all_keys().map_err(|e| err("list", e))?;
        let keys: Array = request(&req).await.map_err(|e| err("list", e))?.unchecked_into();
        let mut out: Vec<String> =
            keys.iter().filter_map(|k| k.as_string()).filter(|k| k.starts_with(prefix)).collect();
        out.sort();
        Ok(out)
    }

    /// Every object, read in one transaction (a consistent view: a write lands in one transaction too).
    pub async fn all(&self) -> Result<Vec<(String, Vec<u8>)>, IdbError> {
        let tx = self.db.transaction_with_str(STORE).map_err(|e| err("read", e))?;
        let store = tx.object_store(STORE).map_err(|e| err("read", e))?;
        let keys = store.get_all_keys().map_err(|e| err("read", e))?;
        let values = store.get_all().map_err(|e| err("read", e))?;
        let keys: Array = request(&keys).await.map_err(|e| err("read", e))?.unchecked_into();
        let values: Array = request(&values).await.map_err(|e| err("read", e))?.unchecked_into();
        // both in key order, from the same transaction
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| Some((k.as_string()?, Uint8Array::new(&v).to_vec())))
            .collect())
    }

    /// The values under `keys` (`None`: absent), read in one transaction.
    pub async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Option<Vec<u8>>)>, IdbError> {
        let tx = self.db.transaction_with_str(STORE).map_err(|e| err("read", e))?;
        let store = tx.object_store(STORE).map_err(|e| err("read", e))?;
        let requests = keys
            .iter()
            .map(|k| store.get(&JsValue::from_str(k)).map_err(|e| err("read", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(keys.len());
        for (key, req) in keys.iter().zip(requests) {
            let value = request(&req).await.map_err(|e| err("read", e))?;
            out.push((key.clone(), (!value.is_undefined()).then(|| Uint8Array::new(&value).to_vec())));
        }
        Ok(out)
    }

    /// Applies every write in one transaction: all land, or none.
    pub async fn apply(&self, writes: &[Write]) -> Result<(), IdbError> {
        if writes.is_empty() {
            return Ok(());
        }
        let tx =
            self.db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).map_err(|e| err("write", e))?;
        let store = tx.object_store(STORE).map_err(|e| err("write", e))?;
        for w in writes {
            match w {
                Write::Put(k, v) => {
                    let bytes = Uint8Array::from(v.as_slice());
                    store.put_with_key(&bytes, &JsValue::from_str(k)).map_err(|e| err("write", e))?;
                }
                Write::Delete(k) => {
                    store.delete(&JsValue::from_str(k)).map_err(|e| err("write", e))?;
                }
            }
        }
        committed(&tx).await.map_err(|e| err("write", e))
    }
}
