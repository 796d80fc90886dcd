//! Binance and Bitget read clients, written once for the browser (wasm) and native code: build and sign requests
//! for the catalogue's endpoints, check a key before it is stored, and turn answers into ledger events.
//!
//! - [`secret`]: [`Secret`] (redacting, zeroized) and [`Credentials`].
//! - [`sign`]: Binance HMAC-SHA256 hex and Ed25519, Bitget base64 HMAC-SHA256.
//! - [`request`]: [`Request`]s for [`catalogue`] endpoints (its constants), signed at venue time.
//! - [`transport`]: the one IO seam, [`Transport`], implemented by the app and by `sync-engine`'s native client.
//! - [`client`]: [`Client`], one key's calls with the clock offset to the venue kept current.
//! - [`connect`]: key validation (permissions, Bitget classic or unified, IP restriction, clock).
//! - [`parse`]: answers into [`ledger::Event`]s with stable [`ids`], balances and positions.
//! - [`market`]: public market data for valuation (daily klines, latest prices): requests and their answers.
//! - [`retry`]: the one [`RetryPolicy`]: which failed calls are tried again, how often, and the wait between tries.
//!
//! ```
//! use venues::{Credentials, Secret, request};
//! use catalogue::{BINANCE_MY_TRADES, Venue};
//! let key = Credentials::new(Venue::Binance, "main", "my-api-key", Secret::new("my-secret"), None);
//! let r = request::build(&key, &BINANCE_MY_TRADES, &[("symbol", "BTCUSDT".into())], 1_499_827_319_559).unwrap();
//! assert!(r.query.starts_with("symbol=BTCUSDT&recvWindow=10000&timestamp=1499827319559&signature="));
//! assert_eq!(r.weight(), 20);
//! assert!(!format!("{key:?}").contains("my-secret"));
//! ```
#![deny(missing_docs)]

pub mod client;
pub mod connect;
pub mod error;
pub mod ids;
pub mod market;
pub mod parse;
pub mod request;
pub mod retry;
pub mod secret;
pub mod sign;
pub mod transport;

pub use client::{Client, Reply};
pub use connect::{AccountMode, ConnectError, ConnectPolicy, ConnectReport, connect};
pub use error::{ApiProblem, VenueError};
pub use request::Request;
pub use retry::{Retry, RetryPolicy};
pub use secret::{Credentials, KeyKind, Secret};
pub use transport::{Response, Transport, TransportError};
