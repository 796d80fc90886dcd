//! What can go wrong talking to a venue, classified so that the user is told what to do and the sync engine knows
//! what to retry.

use catalogue::Venue;

use crate::sign::KeyError;

/// A venue's error answer, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiProblem {
    /// The API key does not exist or is malformed.
    BadKey,
    /// The signature did not verify: the secret is wrong.
    BadSignature,
    /// Bitget: the passphrase does not match the key.
    WrongPassphrase,
    /// The request came from an IP address the key does not allow.
    WrongIp,
    /// Binance -2015: bad key, IP not allowed or permission missing (Binance does not say which).
    KeyIpOrPermission,
    /// The request's timestamp is outside the venue's window: the clock is off.
    ClockSkew,
    /// The key lacks a read permission the endpoint needs.
    MissingPermission,
    /// Bitget 40085: the key belongs to a unified account and classic v2 endpoints refuse it.
    UnifiedAccount,
    /// Bitget 40084: the key belongs to a classic account and v3 endpoints refuse it.
    ClassicAccount,
    /// The venue does not list the symbol asked for: Binance -1121 (invalid symbol), Bitget 40034 (a parameter's
    /// value, here the symbol, does not exist).
    UnknownSymbol,
    /// Bitget 31001, 31025 "The user is not a trader", 40732 "Not currently a trader": a copy-trading trader's read
    /// asked of an account that is not one (a follower's).
    NotATrader,
    /// A parameter or window was refused (a client bug: never retried).
    BadRequest,
    /// Anything else.
    Other,
}

impl ApiProblem {
    /// Classifies a venue error code.
    pub fn classify(venue: Venue, code: &str) -> ApiProblem {
        match (venue, code) {
            (Venue::Binance, "-2014" | "-2008") => ApiProblem::BadKey,
            (Venue::Binance, "-1022") => ApiProblem::BadSignature,
            (Venue::Binance, "-2015") => ApiProblem::KeyIpOrPermission,
            (Venue::Binance, "-1021") => ApiProblem::ClockSkew,
            (Venue::Binance, "-1121") => ApiProblem::UnknownSymbol,
            (Venue::Binance, "-1102" | "-1127" | "-1128" | "-1100" | "-1101" | "-1131") => ApiProblem::BadRequest,
            (Venue::Bitget, "40006" | "40037" | "40001") => ApiProblem::BadKey,
            (Venue::Bitget, "40009" | "40003") => ApiProblem::BadSignature,
            (Venue::Bitget, "40012" | "40011") => ApiProblem::WrongPassphrase,
            (Venue::Bitget, "40018") => ApiProblem::WrongIp,
            (Venue::Bitget, "40004" | "40005" | "40008") => ApiProblem::ClockSkew,
            (Venue::Bitget, "40014") => ApiProblem::MissingPermission,
            (Venue::Bitget, "40085") => ApiProblem::UnifiedAccount,
            (Venue::Bitget, "40084") => ApiProblem::ClassicAccount,
            (Venue::Bitget, "40034") => ApiProblem::UnknownSymbol,
            (Venue::Bitget, "31001" | "31025" | "40732") => ApiProblem::NotATrader,
            (Venue::Bitget, "40017" | "40019" | "40020" | "40808" | "40102" | "40305") => ApiProblem::BadRequest,
            _ => ApiProblem::Other,
        }
    }

    /// What the user should do, in words.
    pub fn advice(self, venue: Venue) -> &'static str {
        match (self, venue) {
            (ApiProblem::BadKey, _) => "the API key is not known to the venue: copy the key again, or create a new one",
            (ApiProblem::BadSignature, _) => {
                "the signature was refused, so the API secret does not belong to this key: paste the secret again"
            }
            (ApiProblem::WrongPassphrase, _) => {
                "the passphrase is wrong: enter the passphrase you chose when you created this Bitget key"
            }
            (ApiProblem::WrongIp, _) => {
                "the key is IP-restricted and the relay's IP is not on its list: add the relay's IPs to the key"
            }
            (ApiProblem::KeyIpOrPermission, _) => {
                "Binance refused the key (-2015): the key is wrong, the relay's IP is not on the key's IP list, or \
                 Enable Reading is off; check the key and add the relay's IPs to it"
            }
            (ApiProblem::ClockSkew, _) => {
                "the request's time is too far from the venue's clock: set this device's clock automatically and retry"
            }
            (ApiProblem::MissingPermission, _) => "the key lacks a read permission: enable the read-only permissions",
            (ApiProblem::UnifiedAccount, _) => "this is a unified-account key: the unified (v3) API must be used",
            (ApiProblem::ClassicAccount, _) => "this is a classic-account key: the classic (v2) API must be used",
            (ApiProblem::UnknownSymbol, _) => "the venue does not list this symbol",
            (ApiProblem::NotATrader, _) => {
                "the account is not a copy-trading trader (a follower has no trader history)"
            }
            (ApiProblem::BadRequest, _) => "the venue refused the request's parameters (a bug in meetcrypt: report it)",
            (ApiProblem::Other, _) => "the venue refused the request",
        }
    }
}

/// A failed venue call. Every variant names the venue and endpoint; none carries a key, secret or signature.
#[derive(Debug, thiserror::Error)]
pub enum VenueError {
    /// A request to another venue's endpoint than the key's: it is never built.
    #[error("{endpoint} is not a {venue} endpoint, so a {venue} key cannot read it (a bug in meetcrypt)")]
    OtherVenue {
        /// The key's venue.
        venue: Venue,
        /// Endpoint path.
        endpoint: &'static str,
    },
    /// The key cannot sign.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// No answer: connection refused or reset, timeout, cut body.
    #[error(
        "{venue} {endpoint}: no answer ({detail}); check the relay URL and the network, the request will be retried"
    )]
    Transport {
        /// Venue.
        venue: Venue,
        /// Endpoint path.
        endpoint: &'static str,
        /// What the transport saw.
        detail: String,
    },
    /// HTTP 429 or 418: too many requests.
    #[error("{venue} {endpoint}: rate limited (HTTP {status}); waiting {retry_after_ms:?} ms before retrying")]
    RateLimited {
        /// Venue.
        venue: Venue,
        /// Endpoint path.
        endpoint: &'static str,
        /// 429, or 418 for a Binance IP ban.
        status: u16,
        /// The venue's `Retry-After`, in ms.
        retry_after_ms: Option<u64>,
    },
    /// A 5xx or a relay failure: the outcome is unknown, the request may be retried (all requests are reads).
    #[error("{venue} {endpoint}: server error HTTP {status}; the request will be retried")]
    Server {
        /// Venue.
        venue: Venue,
        /// Endpoint path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
    },
    /// The venue refused the request with an error code.
    #[error("{venue} {endpoint}: {} (HTTP {status}, code {code}: {msg})", problem.advice(*venue))]
    Api {
        /// Venue.
        venue: Venue,
        /// Endpoint path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// The venue's error code (`-1022`, `40009`).
        code: String,
        /// The venue's message.
        msg: String,
        /// The classification.
        problem: ApiProblem,
    },
    /// The answer is not what the endpoint documents: never skipped silently.
    #[error("{venue} {endpoint}: unexpected response: {detail}")]
    Malformed {
        /// Venue.
        venue: Venue,
        /// Endpoint path.
        endpoint: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl VenueError {
    /// Whether retrying the same request may succeed (network, 5xx, rate limits, cut bodies, clock skew after
    /// re-syncing the clock).
    pub fn is_retryable(&self) -> bool {
        match self {
            VenueError::Transport { .. } | VenueError::RateLimited { .. } | VenueError::Server { .. } => true,
            VenueError::Malformed { .. } => true,
            VenueError::Api { problem, .. } => *problem == ApiProblem::ClockSkew,
            VenueError::OtherVenue { .. } | VenueError::Key(_) => false,
        }
    }

    /// The classified venue error, if the venue refused the request.
    pub fn problem(&self) -> Option<ApiProblem> {
        match self {
            VenueError::Api { problem, .. } => Some(*problem),
            _ => None,
        }
    }

    /// A malformed-response error.
    pub fn malformed(venue: Venue, endpoint: &'static str, detail: impl Into<String>) -> Self {
        VenueError::Malformed { venue, endpoint, detail: detail.into() }
    }
}
