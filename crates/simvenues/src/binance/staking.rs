//! The simulated Binance's ETH and SOL staking histories (docs/venues.md §1.16), in the pages' shapes:
//! `{"rows": [...], "total": n}`, the last 30 days by default, at most three months apart, pages of `size` (at most
//! 100) by `current`, newest first (as Simple Earn's).

use serde_json::{Value, json};

use super::endpoints::{acct, earn_page, f8, window};
use super::{ApiError, Ctx};
use crate::generator::{StakingKind, StakingRow};

/// The account's rows of `kind` in the query's window, each in its page's shape.
fn history(ctx: &Ctx<'_>, kind: StakingKind, row: impl Fn(&StakingRow) -> Value) -> Result<Value, ApiError> {
    let (s, e) = window(ctx, 30, 90)?;
    let rows = acct(ctx).staking.iter().filter(|r| r.kind == kind && r.time >= s && r.time <= e).map(row).collect();
    earn_page(ctx, rows)
}

/// A stake or a redemption: `asset` and `amount` left, `distributeAsset` and `distributeAmount` arrived; `rate`
/// names the rate field (`conversionRatio` for ETH, `exchangeRate` for SOL); a redemption has `arrivalTime`.
fn staked(r: &StakingRow, rate: &str, redemption: bool) -> Value {
    let mut v = json!({"time": r.time, "asset": &*r.from.0, "amount": f8(r.from.1), "distributeAsset": &*r.to.0,
        "distributeAmount": f8(r.to.1), rate: f8(r.rate), "status": "SUCCESS"});
    if redemption {
        v["arrivalTime"] = json!(r.time);
    }
    v
}

/// A wrap or an unwrap: `fromAsset`, `fromAmount`, `toAsset`, `toAmount`, `exchangeRate`.
fn wrapped(r: &StakingRow) -> Value {
    json!({"time": r.time, "fromAsset": &*r.from.0, "fromAmount": f8(r.from.1), "toAsset": &*r.to.0,
        "toAmount": f8(r.to.1), "exchangeRate": f8(r.rate), "status": "SUCCESS"})
}

pub(super) fn eth_stakings(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::EthStake, |r| staked(r, "conversionRatio", false))
}

pub(super) fn eth_redemptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::EthRedeem, |r| staked(r, "conversionRatio", true))
}

pub(super) fn sol_stakings(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::SolStake, |r| staked(r, "exchangeRate", false))
}

pub(super) fn sol_redemptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::SolRedeem, |r| staked(r, "exchangeRate", true))
}

pub(super) fn wbeth_wraps(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::Wrap, wrapped)
}

pub(super) fn wbeth_unwraps(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::Unwrap, wrapped)
}

/// BETH rewards: the BETH `holding` and the `amount` distributed.
pub(super) fn beth_rewards(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    history(ctx, StakingKind::BethReward, |r| {
        json!({"time": r.time, "asset": "BETH", "holding": f8(r.from.1), "amount": f8(r.to.1),
            "annualPercentageRate": "0.0365", "status": "SUCCESS"})
    })
}

/// SOL Boost rewards: `type` `CLAIM` (the default) lists the rewards claimed to spot, with `time` in seconds as the
/// page's sample writes it, `token`, `amount` and `status`; `DISTRIBUTE` the rewards distributed, with the
/// `bnsolHolding` and no status (this venue distributes each reward as it is claimed).
pub(super) fn sol_boost_rewards(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let claim = match ctx.params.get("type") {
        None | Some("CLAIM") => true,
        Some("DISTRIBUTE") => false,
        Some(_) => return Err(ApiError::invalid("type")),
    };
    history(ctx, StakingKind::SolBoostClaim, |r| {
        let mut v = json!({"time": r.time / 1000, "token": &*r.to.0, "amount": f8(r.to.1)});
        if claim {
            v["status"] = json!("SUCCESS");
        } else {
            v["bnsolHolding"] = json!(f8(r.from.1));
        }
        v
    })
}
