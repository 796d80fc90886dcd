//! The simulated Binance's copy-trading read (docs/venues.md §1.17): the lead trader status, in the SAPI envelope.

use serde_json::{Value, json};

use super::endpoints::acct;
use super::{ApiError, Ctx};

/// `GET /sapi/v1/copyTrading/futures/userStatus`: `isLeadTrader` is whether the key's account is a lead portfolio.
pub(super) fn lead_status(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let data = json!({"isLeadTrader": acct(ctx).copy_trading, "time": ctx.req.now});
    Ok(json!({"code": "000000", "message": "success", "data": data, "success": true}))
}
