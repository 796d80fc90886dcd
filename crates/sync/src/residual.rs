//! The identity shown per account, wallet and asset (docs/sync.md, "Balances explained"): the venue's balance as the
//! last tick read it, against the ledger's (the effects of every event at or before that reading, as
//! [`crate::tick::effects`] counts them); the difference is the *residual*. An account is *complete* when every
//! residual is zero and every asset's trades were found (an asset traded on a pair the venue no longer lists, whose
//! trades no pair tried answered, may balance by chance and still lack its acquisitions: docs/sync.md, "Delisted
//! pairs"). A residual is never shown as zero: it is named with the streams that could explain it in its
//! wallet, and, when the history the sync read has a start, as an opening balance older than that start (the venues
//! keep limited history: docs/venues.md §3 and §5).
//!
//! Pure: no IO, no clock. The CLI (`meetcrypt sync`, `meetcrypt pnl --state`) and the app's Accounts screen show it.
//!
//! ```
//! use std::collections::BTreeMap;
//! use ledger::{AccountId, Decimal, Event, EventKind, Timestamp};
//! use sync_engine::residual::residuals;
//! let balances = BTreeMap::from([("binance/main/spot".to_string(),
//!     BTreeMap::from([("USDT".to_string(), Decimal::from(150))]))]);
//! let deposit = Event { id: "binance/main/spot:deposit:1".into(), time: Timestamp::from_millis(1_000),
//!     account: AccountId("binance/main/spot".into()),
//!     kind: EventKind::Deposit { asset: "USDT".into(), amount: Decimal::from(100), txid: None } };
//! let r = residuals("binance/main", &balances, 2_000, None, &[deposit]);
//! assert!(!r.complete());
//! assert_eq!(r.rows[0].residual, Decimal::from(50));
//! assert!(r.rows[0].explained_by().contains(&"deposits"));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use ledger::{Decimal, Event, Timestamp};
use serde::Serialize;
use venues::parse::Balances;
use venues::parse::binance::ISOLATED_WALLET_PREFIX;

use crate::plan::{BinanceStream, BitgetStream, Stream};
use crate::state::AccountState;
use crate::tick::effects;

/// What a non-zero residual is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// The sync read the account's history from `from` (venue time, ms): the venue's balance holds what happened
    /// before it (an opening balance older than the history read), unless a stream of the wallet missed a row.
    BeforeHistory {
        /// Where the history read starts.
        from: i64,
    },
    /// No history start is known: movement none of the wallet's streams read.
    Unexplained,
}

impl Cause {
    /// In words, for a reader.
    pub fn describe(&self) -> String {
        match self {
            Cause::BeforeHistory { from } => format!(
                "an opening balance older than the history read (from {}), or a row these streams missed",
                Timestamp(*from).date_string()
            ),
            Cause::Unexplained => "movement these streams did not read".to_string(),
        }
    }
}

/// One wallet and asset whose ledger does not add up to the venue's balance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Residual {
    /// The wallet's ledger account id (`binance/main/spot`).
    pub wallet: String,
    /// The asset.
    pub asset: String,
    /// The venue's balance, as last read (0 when the venue shows the asset no more).
    pub venue: Decimal,
    /// The sum of the effects of the ledger's events at or before the reading.
    pub ledger: Decimal,
    /// `venue - ledger`, never zero here.
    pub residual: Decimal,
    /// The streams that move this wallet: what could explain it.
    pub streams: Vec<Stream>,
    /// What it is.
    pub cause: Cause,
}

impl Residual {
    /// The names of [`Residual::streams`], as a reader reads them.
    pub fn explained_by(&self) -> Vec<&'static str> {
        self.streams.iter().map(|s| s.name()).collect()
    }

    /// What could explain it, in one line: the streams, or that no stream the sync reads moves this wallet.
    pub fn explanation(&self) -> String {
        let streams = if self.streams.is_empty() {
            "no stream the sync reads moves this wallet".to_string()
        } else {
            self.explained_by().join(", ")
        };
        format!("{}; {streams}{}", self.cause.describe(), self.migration_hint())
    }

    /// A Binance spot asset the ledger holds more of than the venue: the old asset of a token migration Binance
    /// reports only as its new asset credited (an asset dividend, docs/venues.md §1.13) is removed without a row.
    fn migration_hint(&self) -> &'static str {
        let binance_spot = self.wallet.starts_with("binance/") && self.wallet.ends_with("/spot");
        if binance_spot && self.residual.is_sign_negative() {
            "; or the old asset of a token migration Binance reported only as its new asset (asset dividends): \
             declare it (decisions file, `migrations`)"
        } else {
            ""
        }
    }
}

/// One account's identity: every residual of its wallets and assets at one reading of its balances.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountResiduals {
    /// The account's key (`binance/main`).
    pub account: String,
    /// Venue time of the balances (ms).
    pub at: i64,
    /// Where the history read starts, when known.
    pub history_from: Option<i64>,
    /// The non-zero residuals, by wallet and asset.
    pub rows: Vec<Residual>,
    /// Assets whose trades the sync found on no pair, with the pairs it tried (`AccountState::unfound_trades`).
    pub trades_not_found: BTreeMap<String, Vec<String>>,
    /// Where Bitget's tax records and the ledger disagree (docs/venues.md §2.13, the completeness check).
    pub tax_disagreements: Vec<TaxDisagreement>,
}

/// A coin and group of Bitget's tax records whose sum over the range read differs from what the ledger's events of
/// that group add up to in the same wallet (docs/venues.md §2.13): a row a stream missed, or a type no stream reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaxDisagreement {
    /// The wallet's ledger account id (`bitget/main/spot`).
    pub wallet: String,
    /// The coin.
    pub coin: String,
    /// The group (`trade`, `deposit`, ...), or `unread: {type}` for a type no stream reads.
    pub group: String,
    /// The tax records' sum.
    pub tax: Decimal,
    /// The ledger's.
    pub ledger: Decimal,
    /// The range compared (venue ms, inclusive).
    pub from: i64,
    /// Its end.
    pub until: i64,
}

impl TaxDisagreement {
    /// In words, for a reader.
    pub fn describe(&self) -> String {
        format!(
            "{} {}: the tax records' {} is {} from {} to {}, the ledger's {}",
            self.wallet,
            self.coin,
            self.group,
            self.tax.normalize(),
            Timestamp(self.from).date_string(),
            Timestamp(self.until).date_string(),
            self.ledger.normalize()
        )
    }
}

/// The completeness check of a Bitget classic account (docs/venues.md §2.13): per tax task, its sums per coin and
/// group against the effects, in its wallet, of the account's events of that group over the range it covers.
pub fn tax_disagreements(account: &str, st: &AccountState, events: &[Event]) -> Vec<TaxDisagreement> {
    let prefix = format!("{account}/");
    let mut out = Vec::new();
    for (key, tally) in &st.tax {
        let (Some(&from), Some(&until)) = (st.covered_from.get(key), st.covered_until.get(key)) else { continue };
        let mut ledger: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for e in events.iter().filter(|e| e.account.as_str().starts_with(&prefix) && (from..=until).contains(&e.time.0))
        {
            let Some(group) = venues::parse::bitget::event_group(e) else { continue };
            if !seen.insert(e.id.as_str()) {
                continue;
            }
            // a loan by the units it moves (the margin record's count), anything else by its balance effects
            let moves = match venues::parse::bitget::loan_units(e) {
                Some((asset, d)) => vec![(e.account.as_str().to_string(), asset.to_string(), d)],
                None => effects(e),
            };
            // the isolated margin record's tally covers every pair's wallet (docs/venues.md §2.18)
            for (_, asset, d) in
                moves.into_iter().filter(|(w, _, _)| venues::parse::bitget::tally_covers(&tally.wallet, w))
            {
                *ledger.entry(format!("{asset} {group}")).or_default() += d;
            }
        }
        let keys: BTreeSet<&String> = tally.sums.keys().chain(ledger.keys()).collect();
        for k in keys {
            let (tax, led) =
                (tally.sums.get(k).copied().unwrap_or_default(), ledger.get(k).copied().unwrap_or_default());
            if tax != led {
                let (coin, group) = k.split_once(' ').unwrap_or((k.as_str(), ""));
                out.push(TaxDisagreement {
                    wallet: tally.wallet.clone(),
                    coin: coin.to_string(),
                    group: group.to_string(),
                    tax,
                    ledger: led,
                    from,
                    until,
                });
            }
        }
    }
    out
}

impl AccountResiduals {
    /// Every residual is zero and every asset's trades were found: the ledger explains every balance.
    pub fn complete(&self) -> bool {
        self.rows.is_empty() && self.trades_not_found.is_empty() && self.tax_disagreements.is_empty()
    }
}

/// Why an asset's trades are missing, in words: the pairs tried, or that there was none to try.
pub fn trades_not_found_text(asset: &str, tried: &[String]) -> String {
    if tried.is_empty() {
        format!("trades of {asset} not found: the venue lists no pair of it and none was left to try")
    } else {
        format!(
            "trades of {asset} not found: the venue lists no pair of it, and {} answered no such pair or no trades",
            tried.join(", ")
        )
    }
}

/// The streams whose rows move a wallet (ledger account id `venue/label/wallet`), by the rule of the incremental tick
/// (docs/sync.md, "The tick"): what can explain a residual there. Unknown wallets have none.
pub fn streams_for(wallet: &str) -> Vec<Stream> {
    let mut parts = wallet.split('/');
    let venue = parts.next().unwrap_or_default();
    let name = parts.nth(1).unwrap_or_default();
    let streams: &[Stream] = match (venue, name) {
        ("binance", "spot") => wallets::BINANCE_SPOT,
        ("binance", "funding") => wallets::BINANCE_FUNDING,
        ("binance", "usdm") => &[
            Stream::Binance(BinanceStream::Income),
            Stream::Binance(BinanceStream::Transfers),
            Stream::Binance(BinanceStream::LeadIncome),
        ],
        ("binance", "coinm") => {
            &[Stream::Binance(BinanceStream::CoinmIncome), Stream::Binance(BinanceStream::Transfers)]
        }
        ("binance", "earn") => &Stream::BINANCE_EARN,
        // an isolated pair's wallet: the same streams, read with the pair named (docs/venues.md §1.18)
        ("binance", "margin") => wallets::BINANCE_MARGIN,
        ("binance", w) if w.starts_with(ISOLATED_WALLET_PREFIX) => wallets::BINANCE_MARGIN,
        ("bitget", "spot") => wallets::BITGET_SPOT,
        // COIN-M and USDC-M futures: the same bills and transfer records, of their product type (docs/venues.md §2.6)
        ("bitget", "futures" | "coinm" | "usdcm") => {
            &[Stream::Bitget(BitgetStream::FuturesBills), Stream::Bitget(BitgetStream::Transfers)]
        }
        ("bitget", "funding") => &[Stream::Bitget(BitgetStream::Transfers)],
        ("bitget", "earn") => &[Stream::Bitget(BitgetStream::Savings)],
        // Earn shark fin (docs/venues.md §2.16): its subscriptions from and redemptions to spot
        ("bitget", "sharkfin") => &[Stream::Bitget(BitgetStream::Sharkfin)],
        // Earn crypto loans (docs/venues.md §2.17): the loans taken and repaid, their collateral
        ("bitget", "loan") => &Stream::BITGET_LOANS,
        // cross margin (docs/venues.md §2.15): its fills, borrows and repays, interest, transfers
        ("bitget", "margin") => &[
            Stream::Bitget(BitgetStream::MarginFills),
            Stream::Bitget(BitgetStream::MarginFlow),
            Stream::Bitget(BitgetStream::MarginInterest),
            Stream::Bitget(BitgetStream::Transfers),
        ],
        ("bitget", "unified") => wallets::BITGET_UNIFIED,
        // an isolated pair (docs/venues.md §2.18): its fills, borrows and repays, interest, transfers
        ("bitget", w) if w.starts_with(venues::parse::bitget::ISOLATED_WALLET_PREFIX) => &[
            Stream::Bitget(BitgetStream::IsolatedFills),
            Stream::Bitget(BitgetStream::IsolatedFlow),
            Stream::Bitget(BitgetStream::IsolatedInterest),
            Stream::Bitget(BitgetStream::Transfers),
        ],
        _ => &[],
    };
    streams.to_vec()
}

/// The streams that move each wallet, where the list is long.
mod wallets {
    use crate::plan::{BinanceStream, BitgetStream, Stream};

    pub(super) const BINANCE_SPOT: &[Stream] = &[
        Stream::Binance(BinanceStream::SpotTrades),
        Stream::Binance(BinanceStream::Deposits),
        Stream::Binance(BinanceStream::Withdrawals),
        Stream::Binance(BinanceStream::Transfers),
        Stream::Binance(BinanceStream::Converts),
        Stream::Binance(BinanceStream::Dust),
        Stream::Binance(BinanceStream::Dividends),
        Stream::Binance(BinanceStream::FiatDeposits),
        Stream::Binance(BinanceStream::FiatWithdrawals),
        Stream::Binance(BinanceStream::FiatBuys),
        Stream::Binance(BinanceStream::FiatSells),
        Stream::Binance(BinanceStream::Pay),
        Stream::Binance(BinanceStream::EarnFlexibleSubscriptions),
        Stream::Binance(BinanceStream::EarnFlexibleRedemptions),
        Stream::Binance(BinanceStream::EarnLockedSubscriptions),
        Stream::Binance(BinanceStream::EarnLockedRedemptions),
        Stream::Binance(BinanceStream::EarnLockedRewards),
        // ETH and SOL staking (docs/venues.md §1.16)
        Stream::Binance(BinanceStream::EthStakings),
        Stream::Binance(BinanceStream::EthRedemptions),
        Stream::Binance(BinanceStream::BethRewards),
        Stream::Binance(BinanceStream::WbethWraps),
        Stream::Binance(BinanceStream::WbethUnwraps),
        Stream::Binance(BinanceStream::SolStakings),
        Stream::Binance(BinanceStream::SolRedemptions),
        Stream::Binance(BinanceStream::SolBoostClaims),
    ];

    /// Simple Earn subscribes from and redeems to spot or funding (docs/venues.md §1.12); P2P trades and Binance Pay
    /// (docs/venues.md §1.15) move funding too.
    pub(super) const BINANCE_FUNDING: &[Stream] = &[
        Stream::Binance(BinanceStream::Transfers),
        Stream::Binance(BinanceStream::P2p),
        Stream::Binance(BinanceStream::Pay),
        Stream::Binance(BinanceStream::EarnFlexibleSubscriptions),
        Stream::Binance(BinanceStream::EarnFlexibleRedemptions),
        Stream::Binance(BinanceStream::EarnLockedSubscriptions),
        Stream::Binance(BinanceStream::EarnLockedRedemptions),
    ];

    /// Cross margin and each isolated pair (docs/venues.md §1.18): its fills, loans, interest, flows no stream books,
    /// transfers.
    pub(super) const BINANCE_MARGIN: &[Stream] = &[
        Stream::Binance(BinanceStream::MarginTrades),
        Stream::Binance(BinanceStream::MarginBorrows),
        Stream::Binance(BinanceStream::MarginRepays),
        Stream::Binance(BinanceStream::MarginInterest),
        Stream::Binance(BinanceStream::MarginCapitalFlow),
        Stream::Binance(BinanceStream::Transfers),
    ];

    pub(super) const BITGET_SPOT: &[Stream] = &[
        Stream::Bitget(BitgetStream::SpotFills),
        Stream::Bitget(BitgetStream::Deposits),
        Stream::Bitget(BitgetStream::Withdrawals),
        Stream::Bitget(BitgetStream::Transfers),
        Stream::Bitget(BitgetStream::Converts),
        Stream::Bitget(BitgetStream::BgbConverts),
        Stream::Bitget(BitgetStream::CopyFollowerOrders),
        Stream::Bitget(BitgetStream::CopyProfitShares),
        // Earn savings: subscriptions from and redemptions and interest to spot (docs/venues.md §2.14)
        Stream::Bitget(BitgetStream::Savings),
        // Earn shark fin: the same, of the shark fin products (docs/venues.md §2.16)
        Stream::Bitget(BitgetStream::Sharkfin),
        // crypto loans: what is borrowed arrives, collateral leaves and comes back, repays leave (§2.17)
        Stream::Bitget(BitgetStream::LoanOrders),
        Stream::Bitget(BitgetStream::LoanBorrows),
        Stream::Bitget(BitgetStream::LoanRepays),
    ];

    pub(super) const BITGET_UNIFIED: &[Stream] = &[
        Stream::Bitget(BitgetStream::UnifiedFills),
        Stream::Bitget(BitgetStream::UnifiedDeposits),
        Stream::Bitget(BitgetStream::UnifiedWithdrawals),
        Stream::Bitget(BitgetStream::UnifiedFinancial),
        Stream::Bitget(BitgetStream::UnifiedConverts),
    ];
}

/// The residuals of `account` (`binance/main`): its wallets' `balances` read at venue time `at` against `events`
/// (the account's ledger; other accounts' events and wallets are left out, each event counted once by id, those
/// after `at` not at all). `history_from`: where the history the sync read starts, if known.
pub fn residuals(
    account: &str,
    balances: &Balances,
    at: i64,
    history_from: Option<i64>,
    events: &[Event],
) -> AccountResiduals {
    compute(account, balances, &|_| at, at, history_from, events)
}

/// [`residuals`] of an account's sync state: its last balances, read at `balances_at` (the `earn` wallet, and
/// Bitget's `sharkfin` and `loan` read with it, as of `earn_at`, the `margin` wallet as of `margin_at`, the isolated pairs' as of `isolated_at`, when the tick left them
/// as last read), and the history start
/// of its last full cycle. `None` before the account's first completed tick.
pub fn of_state(account: &str, st: &AccountState, events: &[Event]) -> Option<AccountResiduals> {
    let (balances, at) = (st.balances.as_ref()?, st.balances_at?);
    let (earn, margin) = (format!("{account}/earn"), format!("{account}/margin"));
    let (sharkfin, loan) = (format!("{account}/sharkfin"), format!("{account}/loan"));
    let isolated = format!("{account}/{ISOLATED_WALLET_PREFIX}");
    let earn_at = st.earn_at.unwrap_or(at).min(at);
    let margin_at = st.margin_at.unwrap_or(at).min(at);
    let isolated_at = st.isolated_at.unwrap_or(at).min(at);
    let wallet_at = |w: &str| {
        if w == earn || w == sharkfin || w == loan {
            earn_at
        } else if w == margin {
            margin_at
        } else if w.starts_with(&isolated) {
            isolated_at
        } else {
            at
        }
    };
    let mut r = compute(account, balances, &wallet_at, at, st.history_from, events);
    r.trades_not_found.clone_from(&st.unfound_trades);
    r.tax_disagreements = tax_disagreements(account, st, events);
    // a unified Bitget account's funding wallet: no stream the sync reads moves it (the transfer records that move a
    // classic one are v2, refused to a unified key; the tax records are classic; the UTA funding page gives
    // balances only), so its residual names none rather than one the sync does not read
    if st.mode == Some(venues::AccountMode::BitgetUnified) {
        for row in r.rows.iter_mut().filter(|x| x.wallet.ends_with("/funding")) {
            row.streams.clear();
        }
    }
    Some(r)
}

fn compute(
    account: &str,
    balances: &Balances,
    wallet_at: &dyn Fn(&str) -> i64,
    at: i64,
    history_from: Option<i64>,
    events: &[Event],
) -> AccountResiduals {
    let prefix = format!("{account}/");
    let mut ledger: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for e in events {
        if !e.account.as_str().starts_with(&prefix) || e.time.0 > at || !seen.insert(e.id.as_str()) {
            continue;
        }
        for (wallet, asset, d) in effects(e) {
            if wallet.starts_with(&prefix) && e.time.0 <= wallet_at(&wallet) {
                *ledger.entry((wallet, asset)).or_default() += d;
            }
        }
    }
    let mut slots: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    for (wallet, assets) in balances.iter().filter(|(w, _)| w.starts_with(&prefix)) {
        for (asset, v) in assets {
            slots.entry((wallet.clone(), asset.clone())).or_default().0 += v;
        }
    }
    for (slot, v) in ledger {
        slots.entry(slot).or_default().1 += v;
    }
    let cause = history_from.map_or(Cause::Unexplained, |from| Cause::BeforeHistory { from });
    let rows = slots
        .into_iter()
        .filter(|(_, (venue, ledger))| venue != ledger)
        .map(|((wallet, asset), (venue, ledger))| Residual {
            streams: streams_for(&wallet),
            residual: (venue - ledger).normalize(),
            venue: venue.normalize(),
            ledger: ledger.normalize(),
            wallet,
            asset,
            cause,
        })
        .collect();
    AccountResiduals {
        account: account.to_string(),
        at,
        history_from,
        rows,
        trades_not_found: BTreeMap::new(),
        tax_disagreements: Vec::new(),
    }
}

/// The residual rows as text, one line per row (`wallet asset venue ledger residual: what could explain it`), then
/// one line per asset whose trades were not found, or `complete`: what the CLI prints (docs/ledger-format.md).
pub fn lines(r: &AccountResiduals) -> Vec<String> {
    if r.complete() {
        return vec![format!("{}: complete (every balance explained at {})", r.account, Timestamp(r.at))];
    }
    let mut out = Vec::new();
    if !r.rows.is_empty() {
        out.push(format!(
            "{}: {} residual{} at {} (wallet, asset, venue, ledger, residual, what could explain it)",
            r.account,
            r.rows.len(),
            if r.rows.len() == 1 { "" } else { "s" },
            Timestamp(r.at)
        ));
        out.extend(r.rows.iter().map(|x| {
            format!("  {}\t{}\t{}\t{}\t{}\t{}", x.wallet, x.asset, x.venue, x.ledger, x.residual, x.explanation())
        }));
    }
    out.extend(r.tax_disagreements.iter().map(|t| format!("{}: incomplete: {}", r.account, t.describe())));
    out.extend(r.trades_not_found.iter().map(|(asset, tried)| {
        format!(
            "{}: incomplete: {}; its acquisitions and disposals may be missing",
            r.account,
            trades_not_found_text(asset, tried)
        )
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::{AccountId, EventKind, Money};

    const S: &str = "binance/m/spot";
    const F: &str = "binance/m/funding";

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn bal(rows: &[(&str, &str, &str)]) -> Balances {
        let mut b = Balances::new();
        for (acc, asset, v) in rows {
            b.entry(acc.to_string()).or_default().insert(asset.to_string(), d(v));
        }
        b
    }

    fn ev(id: &str, t: i64, account: &str, kind: EventKind) -> Event {
        Event { id: id.into(), time: Timestamp::from_millis(t), account: AccountId(account.into()), kind }
    }

    fn deposit(id: &str, t: i64, asset: &str, amount: &str) -> Event {
        ev(id, t, S, EventKind::Deposit { asset: asset.into(), amount: d(amount), txid: None })
    }

    fn buy(id: &str, t: i64) -> Event {
        ev(
            id,
            t,
            S,
            EventKind::Trade {
                spend: Money::new("USDT", d("100")),
                receive: Money::new("BTC", d("0.002")),
                fees: vec![Money::new("BNB", d("0.01"))],
                symbol: Some("BTCUSDT".into()),
            },
        )
    }

    fn ledger() -> Vec<Event> {
        vec![
            deposit("d1", 10, "USDT", "1000"),
            deposit("d2", 11, "BNB", "1"),
            buy("t1", 20),
            ev(
                "x1",
                30,
                S,
                EventKind::Transfer {
                    from_account: AccountId(S.into()),
                    to_account: AccountId(F.into()),
                    asset: "USDT".into(),
                    amount: d("400"),
                },
            ),
            // another account's event is not this account's
            ev("o1", 12, "binance/other/spot", EventKind::Deposit { asset: "ETH".into(), amount: d("5"), txid: None }),
        ]
    }

    fn consistent() -> Balances {
        bal(&[(S, "USDT", "500"), (S, "BTC", "0.002"), (S, "BNB", "0.99"), (F, "USDT", "400")])
    }

    #[test]
    fn a_consistent_ledger_has_no_residual() {
        let r = residuals("binance/m", &consistent(), 100, Some(0), &ledger());
        assert!(r.complete(), "{:?}", r.rows);
        assert_eq!(lines(&r).len(), 1);
        assert!(lines(&r)[0].starts_with("binance/m: complete"));
        // the same events read twice are counted once
        let mut twice = ledger();
        twice.extend(ledger());
        assert!(residuals("binance/m", &consistent(), 100, Some(0), &twice).complete());
    }

    #[test]
    fn a_missing_deposit_shows_in_its_wallet_and_asset_with_the_streams_of_deposits() {
        let mut b = consistent();
        *b.get_mut(S).unwrap().get_mut("BTC").unwrap() = d("0.502");
        let r = residuals("binance/m", &b, 100, None, &ledger());
        assert!(!r.complete());
        assert_eq!(r.rows.len(), 1, "{:?}", r.rows);
        let x = &r.rows[0];
        assert_eq!((x.wallet.as_str(), x.asset.as_str()), (S, "BTC"));
        assert_eq!((x.venue, x.ledger, x.residual), (d("0.502"), d("0.002"), d("0.5")));
        assert!(x.explained_by().contains(&"deposits") && x.explained_by().contains(&"Binance spot trades"));
        assert_eq!(x.cause, Cause::Unexplained);
        let text = lines(&r);
        assert_eq!(text.len(), 2);
        assert!(text[1].contains("binance/m/spot\tBTC\t0.502\t0.002\t0.5\tmovement these streams did not read"));
        // the same in the funding wallet: transfers and Simple Earn move it
        let mut b = consistent();
        b.get_mut(F).unwrap().insert("USDT".into(), d("450"));
        let r = residuals("binance/m", &b, 100, None, &ledger());
        assert_eq!(r.rows.len(), 1);
        assert_eq!((r.rows[0].wallet.as_str(), r.rows[0].residual), (F, d("50")));
        assert_eq!(r.rows[0].explained_by()[0], "transfers between wallets");
        assert!(!r.rows[0].explained_by().contains(&"deposits"));
    }

    #[test]
    fn events_after_the_reading_are_not_counted() {
        let mut events = ledger();
        events.push(deposit("late", 101, "USDT", "70"));
        assert!(residuals("binance/m", &consistent(), 100, Some(0), &events).complete());
        // read at 150, the deposit is in the venue's balance and counts
        let mut b = consistent();
        b.get_mut(S).unwrap().insert("USDT".into(), d("570"));
        assert!(residuals("binance/m", &b, 150, Some(0), &events).complete());
        // and at 100 with the venue showing it already: a residual of its amount
        let r = residuals("binance/m", &b, 100, Some(0), &events);
        assert_eq!(r.rows.iter().map(|x| x.residual).collect::<Vec<_>>(), [d("70")]);
    }

    #[test]
    fn an_asset_the_venue_shows_no_more_is_a_residual_too() {
        let mut b = consistent();
        b.get_mut(S).unwrap().remove("BNB");
        let r = residuals("binance/m", &b, 100, Some(0), &ledger());
        assert_eq!(r.rows.len(), 1);
        let x = &r.rows[0];
        assert_eq!((x.asset.as_str(), x.venue, x.ledger, x.residual), ("BNB", d("0"), d("0.99"), d("-0.99")));
    }

    #[test]
    fn history_read_from_a_start_names_the_residual_an_opening_balance() {
        // the first deposit is older than the history read: the venue's USDT holds it, the ledger does not
        let events: Vec<Event> = ledger().into_iter().filter(|e| e.id != "d1").collect();
        let r = residuals("binance/m", &consistent(), 100, Some(11), &events);
        assert_eq!(r.rows.len(), 1);
        let x = &r.rows[0];
        assert_eq!((x.asset.as_str(), x.residual), ("USDT", d("1000")));
        assert_eq!(x.cause, Cause::BeforeHistory { from: 11 });
        assert!(x.explanation().starts_with("an opening balance older than the history read (from 1970-01-01)"));
    }

    #[test]
    fn the_state_counts_the_earn_wallet_up_to_its_own_reading() {
        let e = "binance/m/earn";
        let mut events = ledger();
        events.push(ev(
            "r1",
            50,
            e,
            EventKind::Income {
                income_type: ledger::IncomeType::Interest,
                asset: "USDT".into(),
                amount: d("2"),
                symbol: None,
            },
        ));
        let mut b = consistent();
        b.insert(e.into(), BTreeMap::new());
        let st =
            AccountState { balances: Some(b), balances_at: Some(100), earn_at: Some(40), ..AccountState::default() };
        // the reward came after the earn wallet was read: not counted against it
        assert!(of_state("binance/m", &st, &events).unwrap().complete());
        let st = AccountState { earn_at: Some(60), ..st };
        let r = of_state("binance/m", &st, &events).unwrap();
        assert_eq!((r.rows.len(), r.rows[0].wallet.as_str(), r.rows[0].residual), (1, e, d("-2")));
        assert!(of_state("binance/m", &AccountState::default(), &events).is_none(), "nothing read yet");
    }

    /// Bitget's shark fin and crypto loan wallets are read with the savings holdings (docs/venues.md §2.16, §2.17):
    /// each counted up to `earn_at`, as the earn wallet.
    #[test]
    fn the_state_counts_the_sharkfin_and_loan_wallets_up_to_the_earn_reading() {
        for w in ["bitget/m/sharkfin", "bitget/m/loan"] {
            let income = EventKind::Income {
                income_type: ledger::IncomeType::Other,
                asset: "USDT".into(),
                amount: d("2"),
                symbol: None,
            };
            let events = vec![ev("x1", 50, w, income)];
            let b: Balances = [(w.to_string(), BTreeMap::new())].into();
            let st = AccountState {
                balances: Some(b),
                balances_at: Some(100),
                earn_at: Some(40),
                ..AccountState::default()
            };
            // the event came after the wallet was read: not counted against it
            assert!(of_state("bitget/m", &st, &events).unwrap().complete(), "{w}");
            let st = AccountState { earn_at: Some(60), ..st };
            let r = of_state("bitget/m", &st, &events).unwrap();
            assert_eq!((r.rows.len(), r.rows[0].wallet.as_str(), r.rows[0].residual), (1, w, d("-2")));
        }
    }

    /// The margin wallet is net of what is owed (docs/sync.md, "Margin"): a borrow moves nothing, interest charged
    /// moves it by minus the interest; it is counted up to its own reading.
    #[test]
    fn the_margin_wallet_is_net_of_what_is_owed_up_to_its_own_reading() {
        let m = "binance/m/margin";
        let loan = |id: &str, t: i64, action, amount: &str| {
            let kind = EventKind::Loan { action, asset: "BTC".into(), amount: d(amount), interest: None };
            ev(id, t, m, kind)
        };
        let mut events = ledger();
        events.push(loan("b", 30, ledger::LoanAction::Borrow, "1"));
        events.push(loan("i", 50, ledger::LoanAction::Interest, "0.01"));
        let mut b = consistent();
        b.insert(m.into(), BTreeMap::new());
        let st = AccountState {
            balances: Some(b.clone()),
            balances_at: Some(100),
            margin_at: Some(40),
            ..Default::default()
        };
        // borrowed, nothing net; the interest came after the margin wallet was read
        assert!(of_state("binance/m", &st, &events).unwrap().complete());
        let st = AccountState { margin_at: Some(60), ..st };
        let r = of_state("binance/m", &st, &events).unwrap();
        assert_eq!((r.rows.len(), r.rows[0].wallet.as_str(), r.rows[0].residual), (1, m, d("0.01")));
        b.get_mut(m).unwrap().insert("BTC".into(), d("-0.01"));
        let st = AccountState { balances: Some(b), ..st };
        assert!(of_state("binance/m", &st, &events).unwrap().complete(), "netAsset -0.01: explained");
    }

    /// An isolated pair's wallet is counted up to its own reading (`isolated_at`), not the cross wallet's, and its
    /// residual names the margin streams.
    #[test]
    fn an_isolated_wallet_is_counted_up_to_its_own_reading() {
        let p = "binance/m/isolated-BTCUSDT";
        let kind = EventKind::Loan {
            action: ledger::LoanAction::Interest,
            asset: "BTC".into(),
            amount: d("0.01"),
            interest: None,
        };
        let mut events = ledger();
        events.push(ev("i", 50, p, kind));
        let mut b = consistent();
        b.insert(p.into(), BTreeMap::new());
        let st = AccountState {
            balances: Some(b),
            balances_at: Some(100),
            margin_at: Some(100),
            isolated_at: Some(40),
            ..Default::default()
        };
        // charged after the pair was read: not counted against it
        assert!(of_state("binance/m", &st, &events).unwrap().complete());
        let st = AccountState { isolated_at: Some(60), ..st };
        let r = of_state("binance/m", &st, &events).unwrap();
        assert_eq!((r.rows.len(), r.rows[0].wallet.as_str(), r.rows[0].residual), (1, p, d("0.01")));
        assert_eq!(r.rows[0].explained_by().first(), Some(&"margin fills"));
    }

    #[test]
    fn an_asset_whose_trades_were_not_found_keeps_a_balanced_account_incomplete() {
        let mut st = AccountState { balances: Some(consistent()), balances_at: Some(100), ..AccountState::default() };
        assert!(of_state("binance/m", &st, &ledger()).unwrap().complete());
        // every balance agrees, yet LUNA was traded on pairs no longer listed and no pair tried answered
        st.unfound_trades.insert("LUNA".into(), vec!["LUNABTC".into(), "LUNAUSDT".into()]);
        st.unfound_trades.insert("XYZ".into(), vec![]);
        let r = of_state("binance/m", &st, &ledger()).unwrap();
        assert!(r.rows.is_empty() && !r.complete());
        let text = lines(&r);
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].starts_with("binance/m: incomplete: trades of LUNA not found"), "{}", text[0]);
        assert!(text[0].contains("LUNABTC, LUNAUSDT answered no such pair or no trades"), "{}", text[0]);
        assert!(text[1].contains("trades of XYZ not found") && text[1].contains("none was left to try"), "{}", text[1]);
        // with a residual too, the residual rows come first
        let mut b = consistent();
        b.get_mut(S).unwrap().insert("USDT".into(), d("501"));
        st.balances = Some(b);
        let text = lines(&of_state("binance/m", &st, &ledger()).unwrap());
        assert_eq!(text.len(), 4, "{text:?}");
        assert!(text[0].starts_with("binance/m: 1 residual at"));
    }

    #[test]
    fn an_old_asset_removed_without_a_row_is_named_as_a_possible_migration() {
        // the ledger holds 10 OLD bought; the venue holds none (migrated, its new asset credited as a dividend)
        let buy = ev(
            "b",
            1,
            S,
            EventKind::Trade {
                spend: Money::new("USDT", d("100")),
                receive: Money::new("OLD", d("10")),
                fees: vec![],
                symbol: None,
            },
        );
        let r = residuals("binance/m", &bal(&[(S, "USDT", "-100")]), 2, None, &[buy]);
        assert_eq!(r.rows.len(), 1, "{:?}", r.rows);
        assert_eq!((r.rows[0].asset.as_str(), r.rows[0].residual), ("OLD", d("-10")));
        assert!(r.rows[0].explanation().contains("token migration"), "{}", r.rows[0].explanation());
        // more held than the ledger explains is no migration's old asset
        let r = residuals("binance/m", &bal(&[(S, "USDT", "5")]), 2, None, &[]);
        assert!(!r.rows[0].explanation().contains("migration"), "{}", r.rows[0].explanation());
    }

    #[test]
    fn every_wallet_the_sync_reads_has_streams() {
        for w in [
            "binance/m/spot",
            "binance/m/funding",
            "binance/m/usdm",
            "binance/m/coinm",
            "binance/m/earn",
            "binance/m/margin",
            "binance/m/isolated-BTCUSDT",
            "bitget/m/spot",
            "bitget/m/futures",
            "bitget/m/funding",
            "bitget/m/earn",
            "bitget/m/sharkfin",
            "bitget/m/loan",
            "bitget/u/unified",
        ] {
            assert!(!streams_for(w).is_empty(), "{w}");
        }
        assert!(streams_for("binance/m/options").is_empty());
        assert_eq!(streams_for("binance/m/margin").iter().map(|s| s.name()).next(), Some("margin fills"));
        assert_eq!(streams_for("binance/m/isolated-BTCUSDT"), streams_for("binance/m/margin"));
        // Bitget's isolated pairs (docs/venues.md §2.18): their own streams, not Binance's nor cross margin's
        let pair: Vec<&str> = streams_for("bitget/m/isolated-BTCUSDT").iter().map(|s| s.name()).collect();
        assert_eq!(pair[0], "isolated margin fills");
        assert!(pair.contains(&"transfers between wallets") && pair.contains(&"isolated margin interest"), "{pair:?}");
        assert!(streams_for("bitget/m/isolated-BTCUSDT").iter().all(|s| s.venue() == catalogue::Venue::Bitget));
        assert_ne!(streams_for("bitget/m/isolated-BTCUSDT"), streams_for("bitget/m/margin"));
        assert_eq!(streams_for("binance/m/coinm").iter().map(|s| s.name()).next(), Some("COIN-M income"));
    }

    #[test]
    fn a_unified_funding_residual_names_no_unread_stream() {
        let funding = |mode| AccountState {
            mode: Some(mode),
            balances: Some(bal(&[("bitget/u/funding", "USDT", "5")])),
            balances_at: Some(1_000),
            ..AccountState::default()
        };
        let unified = of_state("bitget/u", &funding(venues::AccountMode::BitgetUnified), &[]).unwrap();
        assert_eq!((unified.rows.len(), unified.rows[0].residual), (1, d("5")));
        assert!(unified.rows[0].streams.is_empty());
        assert!(unified.rows[0].explanation().contains("no stream the sync reads moves this wallet"));
        // a classic account's funding wallet is moved by the transfer records it reads
        let classic = of_state("bitget/u", &funding(venues::AccountMode::BitgetClassic), &[]).unwrap();
        assert_eq!(classic.rows[0].explained_by(), ["transfers between wallets"]);
    }
}
