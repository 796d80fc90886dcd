//! Binance copy trading (docs/venues.md §1.17; the accounting in docs/accounting.md §8e): a lead portfolio is the
//! USDⓈ-M futures account of the key made for it. Its income is read as a regular account's, except that the money
//! moved in and out shows only there: the main account's transfer history has no copy-trading wallet.

use super::*;
use catalogue::BINANCE_COPY_LEAD_STATUS;

/// The income types that move money into or out of a lead portfolio (docs/venues.md §1.17).
const MOVES: [&str; 2] = ["TRANSFER", "STRATEGY_UMFUTURES_TRANSFER"];

/// `GET /fapi/v1/income` of a copy-trading account: as [`income`], except `TRANSFER` and
/// `STRATEGY_UMFUTURES_TRANSFER`, which are a `deposit` into (positive) or a `withdrawal` from (negative) the
/// portfolio's `usdm` wallet (docs/accounting.md §8e). A profit share, under whatever type the venue pays it, is
/// `other` income.
pub fn lead_income(data: &Value, label: &str) -> Result<Page, VenueError> {
    usdm_income(data, label, &MOVES)
}

/// `GET /sapi/v1/copyTrading/futures/userStatus`: whether the key's account is a lead trader (`data.isLeadTrader`),
/// in the SAPI envelope (a `code` other than `"000000"` is an error naming it).
pub fn lead_status(data: &Value) -> Result<bool, VenueError> {
    const E: &str = BINANCE_COPY_LEAD_STATUS.path;
    fiat::sapi_success(E, data)?;
    Row::new(V, E, field(V, E, data, "data")?)?.boolean("isLeadTrader")
}
