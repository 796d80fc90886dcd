//! Simulated Binance and Bitget venues, their deterministic demo accounts, and the sandbox that serves them.
//!
//! * [`generator::World`] generates accounts, histories and prices from a seed and a size.
//! * [`truth`] states what a correct sync must reproduce: the normalized ledger and the balances (and documents
//!   the ledger id scheme a sync must follow).
//! * [`binance`] and [`bitget`] are the simulated venues; [`sandbox::Sandbox`] serves them on loopback, as the
//!   whole generated history or as of an earlier venue time ([`stage`]).
//! * [`client`] is a small HTTP client with both venues' signing, for tests.
//! * [`faults`], [`ratelimit`] and [`breach`] are fault injection, rate limits and the log of write attempts.
//!
//! ```
//! use simvenues::generator::{Size, World};
//! let world = World::generate(7, Size::Tiny, 1_700_000_000_000);
//! let events = simvenues::truth::ledger(&world);
//! assert_eq!(simvenues::truth::fold(&events), simvenues::truth::balances(&world));
//! ```
#![deny(missing_docs)]

pub mod binance;
pub mod bitget;
pub mod breach;
pub mod client;
pub mod faults;
pub mod generator;
pub mod http;
pub mod keys;
pub mod market;
pub mod ratelimit;
pub mod rng;
pub mod sandbox;
pub mod stage;
pub mod truth;
