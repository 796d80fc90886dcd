//! The relay library: `app(config)` builds the router; see main.rs for the binary.
