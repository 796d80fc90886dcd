//! [`Name`]: an asset, account or symbol name, shared rather than copied.
//!
//! A ledger repeats a handful of names on every line: a million events name a few dozen accounts, assets and
//! symbols. As a `String` each, they would be four or five small allocations an event and about half of the memory
//! a read ledger takes (README, "Measured"). A `Name` is a reference-counted string: cloning it copies a pointer,
//! and while [`interning`] runs, every name read is looked up among those already read, so a repeated name is one
//! allocation for the whole ledger.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use rustc_hash::FxHashSet;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A name that many events share: an asset (`BTC`), an account (`binance/main/spot`), a symbol (`BTCUSDT`).
/// Compares, orders and hashes as its text (so a map keyed by `Name` is searched with a `&str`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// The text of the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Default for Name {
    fn default() -> Self {
        Name::from("")
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(Arc::from(s))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Self {
        Name(Arc::from(s.as_str()))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Arc::from(s))
    }
}

impl From<Arc<str>> for Name {
    fn from(s: Arc<str>) -> Self {
        Name(s)
    }
}

impl From<&Arc<str>> for Name {
    fn from(s: &Arc<str>) -> Self {
        Name(s.clone())
    }
}

impl From<&Name> for Name {
    fn from(n: &Name) -> Self {
        n.clone()
    }
}

impl From<Name> for String {
    fn from(n: Name) -> Self {
        n.0.to_string()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Name, E> {
                Ok(Name::read(s))
            }
        }
        d.deserialize_str(NameVisitor)
    }
}

thread_local! {
    /// The names read so far by the [`interning`] call running on this thread, if any.
    static READ: RefCell<Option<FxHashSet<Arc<str>>>> = const { RefCell::new(None) };
}

impl Name {
    /// A name read from a file: the one already read when [`interning`] runs on this thread, else a new one.
    pub fn read(s: &str) -> Name {
        READ.with(|read| match read.borrow_mut().as_mut() {
            Some(names) => match names.get(s) {
                Some(known) => Name(known.clone()),
                None => {
                    let name: Arc<str> = Arc::from(s);
                    names.insert(name.clone());
                    Name(name)
                }
            },
            None => Name::from(s),
        })
    }
}

/// Runs `f` with every [`Name`] it reads on this thread shared with the equal names read before it: a ledger of a
/// million events then holds each of its few dozen names once. The names are forgotten when `f` returns (those in
/// what it returns live on); a call inside another shares the outer one's names.
pub fn interning<T>(f: impl FnOnce() -> T) -> T {
    let outer = READ.with(|read| {
        let mut read = read.borrow_mut();
        if read.is_some() {
            return true;
        }
        *read = Some(FxHashSet::default());
        false
    });
    if outer {
        return f();
    }
    struct Forget;
    impl Drop for Forget {
        fn drop(&mut self) {
            READ.with(|read| *read.borrow_mut() = None);
        }
    }
    let _forget = Forget;
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn names_read_while_interning_share_one_allocation() {
        let (a, b) = interning(|| {
            let a: Name = serde_json::from_str("\"BTC\"").unwrap();
            let b: Name = serde_json::from_str("\"BTC\"").unwrap();
            (a, b)
        });
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a.0, &b.0), "the second BTC is the first one");
        // outside, each read is its own
        let c: Name = serde_json::from_str("\"BTC\"").unwrap();
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert!(READ.with(|r| r.borrow().is_none()), "the names are forgotten when interning returns");
    }

    #[test]
    fn a_name_is_its_text_to_compare_order_hash_and_write() {
        let n = Name::from("ETH");
        assert_eq!(n, "ETH");
        assert_eq!("ETH", n);
        let btc = Name::from("BTC");
        assert!(btc < n, "ordered as text");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"ETH\"");
        assert_eq!(format!("{n} {n:?}"), "ETH \"ETH\"");
        let map: BTreeMap<Name, u8> = [(n.clone(), 1)].into();
        assert_eq!(map.get("ETH"), Some(&1));
        assert!(serde_json::from_str::<Name>("1").is_err());
    }

    #[test]
    fn interning_is_forgotten_even_when_the_reader_panics() {
        let r = std::panic::catch_unwind(|| interning(|| panic!("bad file")));
        assert!(r.is_err());
        assert!(READ.with(|r| r.borrow().is_none()));
    }
}
