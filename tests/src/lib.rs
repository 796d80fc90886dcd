//! Simulated Binance and Bitget venues (placeholder until the sandbox issue).
