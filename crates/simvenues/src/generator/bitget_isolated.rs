//! A Bitget classic data account's isolated margin on one pair, BTCUSDT (docs/venues.md §2.18), its wallet
//! `isolated-BTCUSDT`: 100 USDT moved from spot into the pair (a transfer record with `toType` `isolated_margin` and
//! `toSymbol`), a BTC borrow worth about 50 USDT sold, interest charged on borrowing and an hour later, the BTC owed
//! bought back and the loan repaid with its interest, then all but 20 USDT moved back to spot (`fromSymbol`), so the
//! pair keeps a balance. Four days before the history's end (after the cross margin script, inside the tiny world's
//! six days); ids come from the time (no draw from the account's random stream). The rows are the cross margin
//! ones' ([`BitgetMargin`]), served with the pair's `symbol`, and made by the cross margin script's code with the
//! pair's amounts, rate and ids (`bitget_margin.rs`, `MarginKind::Isolated`).

use super::*;

/// The isolated pair.
pub const BITGET_ISOLATED_PAIR: &str = "BTCUSDT";
/// Its wallet (`bitget/{label}/isolated-BTCUSDT`).
pub const BITGET_ISOLATED_WALLET: &str = "isolated-BTCUSDT";

/// The script's acts, as times before the history's end (Binance's isolated acts).
pub(super) const BITGET_ISOLATED_SCRIPT: &[(i64, Act)] = &[
    (4 * DAY + 6 * HOUR, Act::IsolatedIn),
    (4 * DAY + 6 * HOUR - MINUTE, Act::IsolatedBorrow),
    (4 * DAY + 6 * HOUR - 2 * MINUTE, Act::IsolatedSell),
    (4 * DAY + 5 * HOUR, Act::IsolatedInterest),
    (4 * DAY + 4 * HOUR, Act::IsolatedBuyBack),
    (4 * DAY + 4 * HOUR - MINUTE, Act::IsolatedRepay),
    (4 * DAY + 3 * HOUR, Act::IsolatedOut),
];
