//! A Binance data account's ETH and SOL staking (docs/venues.md §1.16): half its spot ETH staked for WBETH, a
//! quarter of that unwrapped into BETH, a BETH reward, the BETH wrapped back, half the WBETH redeemed for ETH; half
//! its spot SOL staked for BNSOL (2 SOL deposited first if it holds none), half of that redeemed, and a Boost reward
//! of SOL claimed. Five days before the history's end (after every other
//! act of the account but the fiat script), so that the rest of the world is generated as before and the ticks test
//! (the last three days) meets none of it. The rates grow with time (the rewards accrued in WBETH and BNSOL); no
//! draw from the account's random stream.

use super::*;

/// What a staking history row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StakingKind {
    /// ETH staked for WBETH (`stakingHistory`).
    EthStake,
    /// WBETH redeemed for ETH (`redemptionHistory`).
    EthRedeem,
    /// BETH wrapped into WBETH (`wrapHistory`).
    Wrap,
    /// WBETH unwrapped into BETH (`unwrapHistory`).
    Unwrap,
    /// SOL staked for BNSOL (`sol/history/stakingHistory`).
    SolStake,
    /// BNSOL redeemed for SOL (`sol/history/redemptionHistory`).
    SolRedeem,
    /// BETH distributed to BETH holders (`rewardsHistory`): `from` is the holding, `to` the reward.
    BethReward,
    /// A SOL Boost reward claimed to spot (`sol/history/boostRewardsHistory`, `type=CLAIM`): `from` is the BNSOL
    /// holding, `to` the reward; at a whole second (the page writes its time in seconds).
    SolBoostClaim,
}

/// One row of the staking histories: what left, what arrived, the rate of the day (coin per receipt token).
#[derive(Clone, Debug)]
pub struct StakingRow {
    /// Which history.
    pub kind: StakingKind,
    /// `time` (and `arrivalTime`), ms.
    pub time: i64,
    /// What left (for a BETH reward: the BETH holding).
    pub from: (Symbol, Decimal),
    /// What arrived.
    pub to: (Symbol, Decimal),
    /// `conversionRatio` or `exchangeRate`.
    pub rate: Decimal,
}

/// The staking script, as times before the history's end.
pub(super) const STAKING_SCRIPT: &[(i64, Act)] = &[
    (5 * DAY - 2 * HOUR, Act::Staking(StakingKind::EthStake)),
    (5 * DAY - 3 * HOUR, Act::Staking(StakingKind::Unwrap)),
    (5 * DAY - 4 * HOUR, Act::Staking(StakingKind::BethReward)),
    (5 * DAY - 5 * HOUR, Act::Staking(StakingKind::Wrap)),
    (5 * DAY - 6 * HOUR, Act::Staking(StakingKind::EthRedeem)),
    (5 * DAY - 7 * HOUR, Act::Staking(StakingKind::SolStake)),
    (5 * DAY - 8 * HOUR, Act::Staking(StakingKind::SolRedeem)),
    (5 * DAY - 9 * HOUR, Act::Staking(StakingKind::SolBoostClaim)),
];

impl BinanceActivity<'_> {
    /// Coin per receipt token at `t`: 1.05 ETH per WBETH (1.02 SOL per BNSOL) at the history's start, growing by
    /// 0.0001 a day, to 8 decimals.
    fn staking_rate(&self, sol: bool, t: i64) -> Decimal {
        let base = if sol { Decimal::new(102, 2) } else { Decimal::new(105, 2) };
        (base + Decimal::new((t - self.start) / HOUR, 4) / Decimal::from(24)).round_dp(8)
    }

    /// One act of the staking script; one that finds nothing to stake, redeem or wrap records nothing.
    pub(super) fn staking(&mut self, t: i64, kind: StakingKind) {
        use StakingKind::*;
        let sol = matches!(kind, SolStake | SolRedeem);
        let rate = self.staking_rate(sol, t);
        let half = Decimal::new(5, 1);
        // (what leaves, its share of the spot balance, what arrives, coin per token: leaving × factor = arriving)
        let (from, share, to, factor) = match kind {
            EthStake => ("ETH", half, "WBETH", Decimal::ONE / rate),
            Unwrap => ("WBETH", Decimal::new(25, 2), "BETH", rate),
            Wrap => ("BETH", Decimal::ONE, "WBETH", Decimal::ONE / rate),
            EthRedeem => ("WBETH", half, "ETH", rate),
            SolStake => ("SOL", half, "BNSOL", Decimal::ONE / rate),
            SolRedeem => ("BNSOL", half, "SOL", rate),
            BethReward => return self.beth_reward(t),
            SolBoostClaim => return self.sol_boost_claim(t - t.rem_euclid(1000)),
        };
        if kind == SolStake && bal(&self.spot, "SOL").is_zero() {
            self.sol_deposit(t - 1000);
        }
        // the pages limit a stake to 4 decimals, a redemption to 8
        let amount = (bal(&self.spot, from) * share).round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToZero);
        if amount.is_zero() {
            return;
        }
        let arrived = (amount * factor).round_dp(8);
        add(&mut self.spot, from, -amount);
        add(&mut self.spot, to, arrived);
        self.a.staking.push(StakingRow {
            kind,
            time: t,
            from: (interned(from), amount),
            to: (interned(to), arrived),
            rate,
        });
    }

    /// A deposit of 2 SOL to spot, for an account that holds none to stake (ids from the time).
    fn sol_deposit(&mut self, t: i64) {
        let amount = Decimal::from(2);
        add(&mut self.spot, "SOL", amount);
        let id = rid(700_000_000_000_000_000, self.start, t, self.index);
        self.a.deposits.push(Deposit {
            id,
            coin: interned("SOL"),
            amount,
            network: "SOL",
            address: format!("So1{id:040x}"),
            txid: format!("{id:064x}"),
            time: t,
        });
    }

    /// A SOL Boost reward of 0.1 % of the BNSOL held, claimed to spot.
    fn sol_boost_claim(&mut self, t: i64) {
        self.reward(t, StakingKind::SolBoostClaim, "BNSOL", "SOL", Decimal::new(1, 3));
    }

    /// A BETH reward of 0.01 % of the BETH held, credited to spot.
    fn beth_reward(&mut self, t: i64) {
        self.reward(t, StakingKind::BethReward, "BETH", "BETH", Decimal::new(1, 4));
    }

    /// A reward of `share` of the `holding` asset held in spot, credited to spot in `paid`; none when it rounds to
    /// nothing.
    fn reward(&mut self, t: i64, kind: StakingKind, holding: &str, paid: &str, share: Decimal) {
        let held = bal(&self.spot, holding);
        let reward = (held * share).round_dp(8);
        if reward.is_zero() {
            return;
        }
        add(&mut self.spot, paid, reward);
        self.a.staking.push(StakingRow {
            kind,
            time: t,
            from: (interned(holding), held),
            to: (interned(paid), reward),
            rate: Decimal::ONE,
        });
    }
}
