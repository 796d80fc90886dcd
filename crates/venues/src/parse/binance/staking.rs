//! Binance ETH and SOL staking (docs/venues.md §1.16; the accounting in docs/accounting.md §8d). A stake, a
//! redemption, a wrap or an unwrap exchanges a coin for its receipt token, or back, at the venue's rate: a
//! `migration` in spot, which carries the lots over. BETH rewards and claimed SOL Boost rewards are units credited:
//! interest income. Rewards that
//! accrue in WBETH's or BNSOL's rate credit no unit and are not read (docs/accounting.md §8d).

use super::*;
use catalogue::{
    BINANCE_BETH_REWARDS, BINANCE_ETH_REDEMPTIONS, BINANCE_ETH_STAKINGS, BINANCE_SOL_BOOST_REWARDS,
    BINANCE_SOL_REDEMPTIONS, BINANCE_SOL_STAKINGS, BINANCE_WBETH_UNWRAPS, BINANCE_WBETH_WRAPS,
};

/// Statuses of the staking histories that move nothing (yet, or ever); `SUCCESS` did.
const NOT_DONE: [&str; 2] = ["PENDING", "FAILED"];

/// Whether a staking row's money moved: `SUCCESS` did, `PENDING` and `FAILED` did not; any other status moves
/// nothing and is named in a warning (the row is not silently dropped).
fn succeeded(page: &mut Page, e: &str, id: &str, status: &str) -> bool {
    if status == "SUCCESS" {
        return true;
    }
    if !NOT_DONE.contains(&status) {
        page.warnings.push(format!("{e} row {id}: unknown status {status:?}, no event (nothing known to have moved)"));
    }
    false
}

/// Where a history's rows name what left and what arrived, and when.
struct Legs {
    /// The id's stream name (`eth_stake`).
    stream: &'static str,
    /// Asset and amount fields of what left.
    from: (&'static str, &'static str),
    /// Asset and amount fields of what arrived.
    to: (&'static str, &'static str),
    /// The field of the time the exchange completed, if the rows give one apart from `time` (`arrivalTime`).
    arrival: Option<&'static str>,
}

/// A history of exchanges between a coin and its receipt token (`{"rows": [...], "total"}`): each successful row a
/// `migration` in spot at its arrival time (else `time`). The rows have no id: the ledger id is
/// `{spot}:{stream}:{time}:{from amount}`.
fn exchanges(data: &Value, label: &str, e: &'static str, legs: Legs) -> Result<Page, VenueError> {
    let (mut page, rows) = earn_page(e, data)?;
    let spot = account(V, label, "spot");
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("time")?);
        let from = Money::new(r.asset(legs.from.0)?, r.dec(legs.from.1)?);
        let to = Money::new(r.asset(legs.to.0)?, r.dec(legs.to.1)?);
        let id = ids::row(&spot, legs.stream, &format!("{time}:{}", from.amount));
        if !succeeded(&mut page, e, &id, &r.text("status")?) {
            continue;
        }
        let at = match legs.arrival {
            Some(f) if r.opt_text(f).is_some() => r.ms(f)?,
            _ => time,
        };
        page.push(id, at, spot.clone(), EventKind::Migration { from, to });
    }
    Ok(page)
}

/// The stake and redemption rows: `asset` and `amount` left, `distributeAsset` and `distributeAmount` arrived.
fn staked(stream: &'static str, arrival: Option<&'static str>) -> Legs {
    Legs { stream, from: ("asset", "amount"), to: ("distributeAsset", "distributeAmount"), arrival }
}

/// The wrap and unwrap rows: `fromAsset` and `fromAmount` left, `toAsset` and `toAmount` arrived.
fn wrapped(stream: &'static str) -> Legs {
    Legs { stream, from: ("fromAsset", "fromAmount"), to: ("toAsset", "toAmount"), arrival: None }
}

/// `GET /sapi/v1/eth-staking/eth/history/stakingHistory`: ETH staked for WBETH.
pub fn eth_stakings(data: &Value, label: &str) -> Result<Page, VenueError> {
    exchanges(data, label, BINANCE_ETH_STAKINGS.path, staked("eth_stake", None))
}

/// `GET /sapi/v1/eth-staking/eth/history/redemptionHistory`: WBETH (or BETH) redeemed for ETH, at `arrivalTime`.
pub fn eth_redemptions(data: &Value, label: &str) -> Result<Page, VenueError> {
    exchanges(data, label, BINANCE_ETH_REDEMPTIONS.path, staked("eth_redemption", Some("arrivalTime")))
}

/// `GET /sapi/v1/eth-staking/wbeth/history/wrapHistory`: BETH wrapped into WBETH.
pub fn wbeth_wraps(data: &Value, label: &str) -> Result<Page, VenueError> {
    exchanges(data, label, BINANCE_WBETH_WRAPS.path, wrapped("wbeth_wrap"))
}

/// `GET /sapi/v1/eth-staking/wbeth/history/unwrapHistory`: WBETH unwrapped into BETH.
pub fn wbeth_unwraps(data: &Value, label: &str) -> Result<Page, VenueError> {
    exchanges(data, label, BINANCE_WBETH_UNWRAPS.path, wrapped("wbeth_unwrap"))
}

/// `GET /sapi/v1/sol-staking/sol/history/stakingHistory`: SOL staked for BNSOL.
pub fn sol_stakings(data: &Value, label: &str) -> Result<Page, VenueError> {
    exchanges(data, label, BINANCE_SOL_STAKINGS.path, staked("sol_stake", None))
}

/// `GET /sapi/v1/sol-staking/sol/history/redemptionHistory`: BNSOL redeemed for SOL, at `arrivalTime`.
pub fn sol_redemptions(data: &Value, label: &str) -> Result<Page, VenueError> {
    exchanges(data, label, BINANCE_SOL_REDEMPTIONS.path, staked("sol_redemption", Some("arrivalTime")))
}

/// A history of rewards credited to spot (`{"rows": [...], "total"}`): each successful row `interest` income of
/// `amount` of the asset in the field `asset`. `time` in milliseconds, or in seconds when below [`SECONDS_BELOW`].
/// Id `{spot}:{stream}:{time in ms}:{amount}`, with the asset before the amount when `asset_in_id`.
fn rewards(
    data: &Value,
    label: &str,
    e: &'static str,
    stream: &str,
    asset: &str,
    asset_in_id: bool,
) -> Result<Page, VenueError> {
    let (mut page, rows) = earn_page(e, data)?;
    let spot = account(V, label, "spot");
    for r in rows {
        let r = r?;
        let raw = r.ms("time")?;
        let time = page.noted(if raw < SECONDS_BELOW { raw.saturating_mul(1000) } else { raw });
        let (asset, amount) = (r.asset(asset)?, r.dec("amount")?);
        let tail = if asset_in_id { format!("{time}:{asset}:{amount}") } else { format!("{time}:{amount}") };
        let id = ids::row(&spot, stream, &tail);
        if !succeeded(&mut page, e, &id, &r.text("status")?) {
            continue;
        }
        page.push(
            id,
            time,
            spot.clone(),
            EventKind::Income { income_type: IncomeType::Interest, asset: asset.into(), amount, symbol: None },
        );
    }
    Ok(page)
}

/// Times below this are in seconds, not milliseconds: 10^11 ms is in March 1973, 10^11 s in the year 5138. The Boost
/// rewards page's sample writes `time` in seconds where every other staking history writes milliseconds
/// (docs/venues.md §1.16).
const SECONDS_BELOW: i64 = 100_000_000_000;

/// `GET /sapi/v1/eth-staking/eth/history/rewardsHistory`: BETH distributed to BETH holders, each successful row
/// `interest` income of `amount` in spot. Id `{spot}:beth_reward:{time}:{amount}`.
pub fn beth_rewards(data: &Value, label: &str) -> Result<Page, VenueError> {
    rewards(data, label, BINANCE_BETH_REWARDS.path, "beth_reward", "asset", false)
}

/// `GET /sapi/v1/sol-staking/sol/history/boostRewardsHistory` with `type=CLAIM`: Boost rewards claimed, each
/// successful row `interest` income of `amount` `token` in spot (docs/accounting.md §8d). Id
/// `{spot}:sol_boost_claim:{time in ms}:{token}:{amount}`.
pub fn sol_boost_claims(data: &Value, label: &str) -> Result<Page, VenueError> {
    rewards(data, label, BINANCE_SOL_BOOST_REWARDS.path, "sol_boost_claim", "token", true)
}
