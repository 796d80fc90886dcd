//! The planner: which requests a sync needs. Streams, windows and paging follow docs/venues.md §3; tasks are derived
//! from the account's mode, what discovery found, and the cursors of earlier syncs. The lower bound it can prove is
//! one request per task plus one per further full page of rows.

use std::fmt;

use catalogue::{Endpoint, Venue};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use venues::AccountMode;

/// One day in ms.
pub const DAY: i64 = 86_400_000;

/// How a stream pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// One request.
    Single,
    /// Binance `fromId` = last id + 1 (myTrades).
    FromId,
    /// Binance `offset` += rows (deposits, withdrawals).
    Offset,
    /// Binance `current` page number with `size` (universal transfers).
    PageNumber,
    /// Binance convert: `moreData` -> next `startTime` after the last row.
    MoreData,
    /// Binance income: next `startTime` = last row's time (inclusive; ids de-duplicate).
    TimeInclusive,
    /// Bitget v2: `idLessThan` = smallest id of the page (newest first).
    IdLessThan,
    /// Bitget v2 futures bills: `idLessThan` = the response's `endId`.
    EndId,
    /// Newest first by time: next `endTime` = the page's oldest time (inclusive; ids de-duplicate). Robust whether
    /// or not the venue's ids grow with time.
    TimeBackward,
    /// Bitget v3: `cursor` from the response.
    Cursor,
    /// Bitget v3 deposits/withdrawals: `cursor` = smallest `orderId` of the page.
    CursorMinId,
    /// Only `limit`, rows in an unstated order (Binance asset dividends): a full page splits its window in two
    /// halves, each read in turn (ids de-duplicate what both pages hold), whatever the order.
    Bisect,
    /// Binance fiat histories: `page` number with `rows`, the window as `beginTime`/`endTime`.
    PageRows,
    /// Binance P2P history: `page` number only, 200 rows a page.
    PageOnly,
    /// Binance margin capital flow: `fromId` = last id (the venue answers the rows with an id above it).
    FromIdAfter,
    /// Bitget Earn loans: `pageNo` number with `pageSize` (docs/venues.md §2.17).
    PageNoSize,
}

impl Paging {
    /// The parameter that starts a window: `beginTime` for the fiat histories, `startTime` everywhere else.
    pub fn start_param(self) -> &'static str {
        if self == Paging::PageRows { "beginTime" } else { "startTime" }
    }
}

/// A history stream of one account: one of its venue's. Sync states store it by its [`Stream::id`]
/// (`BinanceSpotTrades`), at the start of its cursor keys ([`task_key`]) and as a map key; an id must never change, or
/// the cursors stored under it are lost.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// A Binance stream.
    Binance(BinanceStream),
    /// A Bitget stream.
    Bitget(BitgetStream),
}

/// Declares a venue's streams: the enum, every stream of it in order (`ALL`) and each one's id, the venue's name then
/// the stream's (`"Binance"` and `SpotTrades`: `BinanceSpotTrades`).
macro_rules! venue_streams {
    ($(#[$doc:meta])* $venue:literal $name:ident { $($(#[$stream_doc:meta])* $stream:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$stream_doc])* $stream,)+
        }

        impl $name {
            /// Every stream of the venue, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$stream),+];

            /// The stream's id ([`Stream::id`]).
            pub const fn id(self) -> &'static str {
                match self {
                    $($name::$stream => concat!($venue, stringify!($stream)),)+
                }
            }
        }
    };
}

venue_streams! {
    /// A Binance history stream (docs/venues.md §1).
    "Binance" BinanceStream {
        /// `/api/v3/myTrades`, per symbol.
        SpotTrades,
        /// `/sapi/v1/capital/deposit/hisrec`.
        Deposits,
        /// `/sapi/v1/capital/withdraw/history`.
        Withdrawals,
        /// `/sapi/v1/asset/transfer`, per type.
        Transfers,
        /// `/sapi/v1/convert/tradeFlow`.
        Converts,
        /// `/sapi/v1/asset/dribblet`.
        Dust,
        /// `/fapi/v1/income`.
        Income,
        /// `/fapi/v1/userTrades`, per futures symbol (informational fills).
        FuturesTrades,
        /// `/sapi/v1/asset/assetDividend`.
        Dividends,
        /// `/sapi/v1/fiat/orders` with `transactionType=0`.
        FiatDeposits,
        /// `/sapi/v1/fiat/orders` with `transactionType=1`.
        FiatWithdrawals,
        /// `/sapi/v1/fiat/payments` with `transactionType=0`.
        FiatBuys,
        /// `/sapi/v1/fiat/payments` with `transactionType=1`.
        FiatSells,
        /// `/sapi/v1/c2c/orderMatch/listUserOrderHistory`.
        P2p,
        /// `/sapi/v1/pay/transactions`.
        Pay,
        /// `/dapi/v1/income` (COIN-M).
        CoinmIncome,
        /// `/dapi/v1/userTrades`, per pair (informational COIN-M fills).
        CoinmTrades,
        /// `/sapi/v1/simple-earn/flexible/history/subscriptionRecord`.
        EarnFlexibleSubscriptions,
        /// `/sapi/v1/simple-earn/flexible/history/redemptionRecord`.
        EarnFlexibleRedemptions,
        /// `/sapi/v1/simple-earn/flexible/history/rewardsRecord` (`type=ALL`).
        EarnFlexibleRewards,
        /// `/sapi/v1/simple-earn/locked/history/subscriptionRecord`.
        EarnLockedSubscriptions,
        /// `/sapi/v1/simple-earn/locked/history/redemptionRecord`.
        EarnLockedRedemptions,
        /// `/sapi/v1/simple-earn/locked/history/rewardsRecord`.
        EarnLockedRewards,
        /// `/sapi/v1/eth-staking/eth/history/stakingHistory`.
        EthStakings,
        /// `/sapi/v1/eth-staking/eth/history/redemptionHistory`.
        EthRedemptions,
        /// `/sapi/v1/eth-staking/eth/history/rewardsHistory` (BETH).
        BethRewards,
        /// `/sapi/v1/eth-staking/wbeth/history/wrapHistory`.
        WbethWraps,
        /// `/sapi/v1/eth-staking/wbeth/history/unwrapHistory`.
        WbethUnwraps,
        /// `/sapi/v1/sol-staking/sol/history/stakingHistory`.
        SolStakings,
        /// `/sapi/v1/sol-staking/sol/history/redemptionHistory`.
        SolRedemptions,
        /// `/sapi/v1/sol-staking/sol/history/boostRewardsHistory` (`type=CLAIM`).
        SolBoostClaims,
        /// `/fapi/v1/income` of a copy-trading account (docs/venues.md §1.17): its transfer rows are its money in
        /// and out.
        LeadIncome,
        /// `/sapi/v1/margin/borrow-repay` with `type=BORROW`.
        MarginBorrows,
        /// `/sapi/v1/margin/borrow-repay` with `type=REPAY`.
        MarginRepays,
        /// `/sapi/v1/margin/interestHistory`.
        MarginInterest,
        /// `/sapi/v1/margin/forceLiquidationRec` (orders: no event, their symbols' fills are read).
        MarginLiquidations,
        /// `/sapi/v1/margin/capital-flow` (the completeness check; flows no stream books).
        MarginCapitalFlow,
        /// `/sapi/v1/margin/myTrades`, per symbol.
        MarginTrades,
    }
}

venue_streams! {
    /// A Bitget history stream (docs/venues.md §2).
    "Bitget" BitgetStream {
        /// `/api/v2/spot/trade/fills`.
        SpotFills,
        /// `/api/v2/spot/wallet/deposit-records`.
        Deposits,
        /// `/api/v2/spot/wallet/withdrawal-records`.
        Withdrawals,
        /// `/api/v2/spot/account/transferRecords`, per coin and `fromType`.
        Transfers,
        /// `/api/v2/mix/account/bill`.
        FuturesBills,
        /// `/api/v2/mix/order/fill-history` (informational fills).
        FuturesFills,
        /// `/api/v2/convert/convert-record`.
        Converts,
        /// `/api/v2/convert/bgb-convert-records`.
        BgbConverts,
        /// `/api/v3/trade/fills`.
        UnifiedFills,
        /// `/api/v3/account/financial-records` (USDT-FUTURES).
        UnifiedFinancial,
        /// `/api/v3/account/deposit-records`.
        UnifiedDeposits,
        /// `/api/v3/account/withdrawal-records`.
        UnifiedWithdrawals,
        /// `/api/v3/account/convert-records`, per (`fromCoin`, `toCoin`) pair.
        UnifiedConverts,
        /// `/api/v2/copy/mix-follower/query-history-orders` (docs/venues.md §2.11).
        CopyFollowerOrders,
        /// `/api/v2/copy/mix-trader/order-history-track`.
        CopyTraderOrders,
        /// `/api/v2/copy/mix-trader/profit-history-details`.
        CopyProfitShares,
        /// `/api/v2/tax/spot-record` (docs/venues.md §2.13).
        TaxSpot,
        /// `/api/v2/tax/future-record`, per `productType`.
        TaxFutures,
        /// `/api/v2/tax/margin-record`.
        TaxMargin,
        /// `/api/v2/tax/p2p-record`.
        TaxP2p,
        /// `/api/v2/earn/savings/records`, per `periodType` (docs/venues.md §2.14).
        Savings,
        /// `/api/v2/margin/crossed/financial-records` (borrows, repays, flows no other stream books).
        MarginFlow,
        /// `/api/v2/margin/crossed/interest-history`.
        MarginInterest,
        /// `/api/v2/margin/crossed/fills`, per symbol.
        MarginFills,
        /// `/api/v2/margin/isolated/financial-records`, per pair (docs/venues.md §2.18).
        IsolatedFlow,
        /// `/api/v2/margin/isolated/interest-history`, per pair.
        IsolatedInterest,
        /// `/api/v2/margin/isolated/fills`, per pair.
        IsolatedFills,
        /// `/api/v2/tax/margin-record` with `marginType=isolated`: the isolated pairs' completeness check.
        TaxIsolated,
        /// `/api/v2/earn/sharkfin/records`, per `type` (docs/venues.md §2.16).
        Sharkfin,
        /// `/api/v2/earn/loan/ongoing-orders`: the open loans taken (docs/venues.md §2.17).
        LoanOrders,
        /// `/api/v2/earn/loan/borrow-history`: the loans taken, once closed.
        LoanBorrows,
        /// `/api/v2/earn/loan/repay-history`.
        LoanRepays,
    }
}

/// A stream's request rules.
#[derive(Clone, Copy, Debug)]
pub struct StreamSpec {
    /// The catalogue endpoint it reads.
    pub endpoint: &'static Endpoint,
    /// Longest `startTime`..`endTime` span the venue accepts (ms), or `None` for no window.
    pub span: Option<i64>,
    /// How far back the venue keeps rows (ms), or `None` when it keeps them all.
    pub retention: Option<i64>,
    /// Rows per page (the venue's maximum).
    pub limit: usize,
    /// Paging.
    pub paging: Paging,
    /// Re-read this much before the last covered time on incremental syncs (rows that change state, such as a
    /// pending deposit becoming credited).
    pub overlap: i64,
}

impl StreamSpec {
    /// The rules from their values in field order, so that each stream's are one line of its venue's table.
    const fn of(
        endpoint: &'static Endpoint,
        span: Option<i64>,
        retention: Option<i64>,
        limit: usize,
        paging: Paging,
        overlap: i64,
    ) -> StreamSpec {
        StreamSpec { endpoint, span, retention, limit, paging, overlap }
    }
}

impl BinanceStream {
    /// The rules of this stream (docs/venues.md §3, from the venue's facts in §1.6–§1.8).
    pub fn spec(self) -> StreamSpec {
        use Paging::*;
        use catalogue::*;
        let s = StreamSpec::of;
        match self {
            Self::SpotTrades => s(&BINANCE_MY_TRADES, None, None, 1000, FromId, 0),
            Self::Deposits => s(&BINANCE_DEPOSITS, Some(90 * DAY - 1), None, 1000, Offset, 7 * DAY),
            Self::Withdrawals => s(&BINANCE_WITHDRAWALS, Some(90 * DAY - 1), None, 1000, Offset, 7 * DAY),
            Self::Transfers => s(&BINANCE_TRANSFERS, Some(90 * DAY - 1), Some(180 * DAY), 100, PageNumber, 0),
            Self::Converts => s(&BINANCE_CONVERTS, Some(30 * DAY - 1), None, 1000, MoreData, 0),
            Self::Dust => s(&BINANCE_DUST, None, None, 100, Single, 0),
            Self::Income => s(&BINANCE_FUTURES_INCOME, Some(90 * DAY - 1), Some(90 * DAY), 1000, TimeInclusive, 0),
            // 7-day windows, the last 6 months; `fromId` cannot go with a window, so a full page continues from its
            // last time (inclusive; ids de-duplicate)
            Self::FuturesTrades => {
                s(&BINANCE_FUTURES_TRADES, Some(7 * DAY - 1), Some(180 * DAY), 1000, TimeInclusive, 0)
            }
            // COIN-M (docs/venues.md §1.14): income windows of at most a year, fills by pair in 7-day windows (a pair
            // cannot go with `fromId`), each continuing from a full page's last time; retention not stated
            Self::CoinmIncome => s(&BINANCE_COINM_INCOME, Some(365 * DAY - 1), None, 1000, TimeInclusive, 0),
            Self::CoinmTrades => s(&BINANCE_COINM_TRADES, Some(7 * DAY - 1), None, 1000, TimeInclusive, 0),
            // at most 180 days per query, 500 rows, no paging parameter (docs/venues.md §1.13)
            Self::Dividends => s(&BINANCE_ASSET_DIVIDENDS, Some(180 * DAY - 1), None, 500, Bisect, 0),
            // fiat, card purchases, P2P and Pay (docs/venues.md §1.15): the fiat histories state no longest window
            // (a year here) and page by `page` and `rows` (500); P2P 30 days, 200 rows by `page`; Pay 90 days, 100
            // rows and no paging parameter, kept 18 months. Orders still processing are read again for a week.
            Self::FiatDeposits | Self::FiatWithdrawals => {
                s(&BINANCE_FIAT_ORDERS, Some(365 * DAY - 1), None, 500, PageRows, 7 * DAY)
            }
            Self::FiatBuys | Self::FiatSells => {
                s(&BINANCE_FIAT_PAYMENTS, Some(365 * DAY - 1), None, 500, PageRows, 7 * DAY)
            }
            Self::P2p => s(&BINANCE_C2C_TRADES, Some(30 * DAY - 1), None, 200, PageOnly, 7 * DAY),
            Self::Pay => s(&BINANCE_PAY_TRANSACTIONS, Some(90 * DAY - 1), Some(540 * DAY), 100, Bisect, 0),
            // Simple Earn histories: at most three months per query (90 days here), 100 rows a page by `current`
            Self::EarnFlexibleSubscriptions => {
                s(&BINANCE_EARN_FLEXIBLE_SUBSCRIPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Self::EarnFlexibleRedemptions => {
                s(&BINANCE_EARN_FLEXIBLE_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Self::EarnFlexibleRewards => {
                s(&BINANCE_EARN_FLEXIBLE_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Self::EarnLockedSubscriptions => {
                s(&BINANCE_EARN_LOCKED_SUBSCRIPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Self::EarnLockedRedemptions => {
                s(&BINANCE_EARN_LOCKED_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Self::EarnLockedRewards => s(&BINANCE_EARN_LOCKED_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 0),
            // ETH and SOL staking (docs/venues.md §1.16): three months per query (90 days here), 100 rows a page by
            // `current`; a pending stake or redemption is read again for a week
            Self::EthStakings => s(&BINANCE_ETH_STAKINGS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Self::EthRedemptions => s(&BINANCE_ETH_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Self::BethRewards => s(&BINANCE_BETH_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 0),
            Self::WbethWraps => s(&BINANCE_WBETH_WRAPS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Self::WbethUnwraps => s(&BINANCE_WBETH_UNWRAPS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Self::SolStakings => s(&BINANCE_SOL_STAKINGS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Self::SolRedemptions => s(&BINANCE_SOL_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            // a claim pending at one read is read again for a week, like a stake
            Self::SolBoostClaims => s(&BINANCE_SOL_BOOST_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            // copy trading (docs/venues.md §1.17): a lead portfolio's income as a regular account's
            Self::LeadIncome => s(&BINANCE_FUTURES_INCOME, Some(90 * DAY - 1), Some(90 * DAY), 1000, TimeInclusive, 0),
            // margin (docs/venues.md §1.18): borrow-repay 7 days a query without an asset, interest 30 days, both
            // 100 rows by `current`; liquidation orders state no span (90 days here); the capital flow keeps 90 days
            // and pages by `fromId`; fills as spot's. Retention otherwise not stated.
            Self::MarginBorrows | Self::MarginRepays => {
                s(&BINANCE_MARGIN_BORROW_REPAY, Some(7 * DAY - 1), None, 100, PageNumber, 0)
            }
            Self::MarginInterest => s(&BINANCE_MARGIN_INTEREST, Some(30 * DAY - 1), None, 100, PageNumber, 0),
            Self::MarginLiquidations => s(&BINANCE_MARGIN_LIQUIDATIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0),
            Self::MarginCapitalFlow => s(&BINANCE_MARGIN_CAPITAL_FLOW, None, Some(90 * DAY), 1000, FromIdAfter, 0),
            Self::MarginTrades => s(&BINANCE_MARGIN_TRADES, None, None, 1000, FromId, 0),
        }
    }

    /// What the stream reads, as the user reads it ([`Stream::name`]).
    pub fn name(self) -> &'static str {
        match self {
            Self::SpotTrades => "Binance spot trades",
            Self::Deposits => "deposits",
            Self::Withdrawals => "withdrawals",
            Self::Transfers => "transfers between wallets",
            Self::Converts => "converts",
            Self::Dust => "dust conversions",
            Self::Income => "USDⓈ-M income",
            Self::FuturesTrades => "USDⓈ-M fills",
            Self::Dividends => "asset dividends",
            Self::FiatDeposits => "fiat deposits",
            Self::FiatWithdrawals => "fiat withdrawals",
            Self::FiatBuys => "card and bank purchases",
            Self::FiatSells => "sales to a card or bank",
            Self::P2p => "P2P trades",
            Self::Pay => "Binance Pay",
            Self::CoinmIncome => "COIN-M income",
            Self::CoinmTrades => "COIN-M fills",
            Self::EarnFlexibleSubscriptions => "Simple Earn flexible subscriptions",
            Self::EarnFlexibleRedemptions => "Simple Earn flexible redemptions",
            Self::EarnFlexibleRewards => "Simple Earn flexible rewards",
            Self::EarnLockedSubscriptions => "Simple Earn locked subscriptions",
            Self::EarnLockedRedemptions => "Simple Earn locked redemptions",
            Self::EarnLockedRewards => "Simple Earn locked rewards",
            Self::EthStakings => "ETH staked for WBETH",
            Self::EthRedemptions => "ETH staking redemptions",
            Self::BethRewards => "BETH staking rewards",
            Self::WbethWraps => "BETH wrapped into WBETH",
            Self::WbethUnwraps => "WBETH unwrapped into BETH",
            Self::SolStakings => "SOL staked for BNSOL",
            Self::SolRedemptions => "SOL staking redemptions",
            Self::SolBoostClaims => "SOL staking Boost rewards claimed",
            Self::LeadIncome => "lead portfolio income and transfers",
            Self::MarginBorrows => "margin borrows",
            Self::MarginRepays => "margin repays",
            Self::MarginInterest => "margin interest",
            Self::MarginLiquidations => "margin liquidation orders",
            Self::MarginCapitalFlow => "margin capital flow",
            Self::MarginTrades => "margin fills",
        }
    }
}

impl BitgetStream {
    /// The rules of this stream (docs/venues.md §3, from the venue's facts in §2.5–§2.8).
    pub fn spec(self) -> StreamSpec {
        use Paging::*;
        use catalogue::*;
        let s = StreamSpec::of;
        match self {
            Self::SpotFills => s(&BITGET_SPOT_FILLS, Some(90 * DAY - 1), Some(90 * DAY), 100, IdLessThan, 0),
            Self::Deposits => s(&BITGET_DEPOSITS, Some(90 * DAY - 1), None, 100, IdLessThan, 7 * DAY),
            Self::Withdrawals => s(&BITGET_WITHDRAWALS, Some(90 * DAY - 1), None, 100, IdLessThan, 7 * DAY),
            Self::Transfers => s(&BITGET_TRANSFERS, Some(90 * DAY - 1), Some(90 * DAY), 500, IdLessThan, 0),
            Self::FuturesBills => s(&BITGET_FUTURES_BILLS, Some(30 * DAY - 1), Some(90 * DAY), 100, TimeBackward, 0),
            // a week per query (newer pages; the old one said three months), 90 days kept like the bills
            Self::FuturesFills => s(&BITGET_FUTURES_FILLS, Some(7 * DAY - 1), Some(90 * DAY), 100, TimeBackward, 0),
            // startTime and endTime required, at most 90 days apart; how far back is not stated
            Self::Converts => s(&BITGET_CONVERTS, Some(90 * DAY - 1), None, 100, EndId, 0),
            // no endId in the answer: `idLessThan` takes the smallest orderId of the page
            Self::BgbConverts => s(&BITGET_BGB_CONVERTS, Some(90 * DAY - 1), None, 100, IdLessThan, 0),
            Self::UnifiedConverts => s(&BITGET_UNIFIED_CONVERTS, Some(30 * DAY - 1), Some(90 * DAY), 100, Cursor, 0),
            Self::UnifiedFills => s(&BITGET_UNIFIED_FILLS, Some(30 * DAY - 1), Some(90 * DAY), 100, Cursor, 0),
            Self::UnifiedFinancial => {
                s(&BITGET_UNIFIED_FINANCIAL_RECORDS, Some(30 * DAY - 1), Some(90 * DAY), 100, Cursor, 0)
            }
            Self::UnifiedDeposits => {
                s(&BITGET_UNIFIED_DEPOSITS, Some(30 * DAY - 1), Some(90 * DAY), 100, CursorMinId, 7 * DAY)
            }
            Self::UnifiedWithdrawals => {
                s(&BITGET_UNIFIED_WITHDRAWALS, Some(30 * DAY - 1), Some(90 * DAY), 100, CursorMinId, 7 * DAY)
            }
            // copy trading (docs/venues.md §2.11): closed tracking orders by their opening time, three months a query,
            // so each full cycle reads the last three months again (an order listed when it closes, long after it
            // opened); profit shares by their time
            Self::CopyFollowerOrders => s(&BITGET_COPY_FOLLOWER_ORDERS, Some(90 * DAY - 1), None, 100, EndId, 90 * DAY),
            Self::CopyTraderOrders => s(&BITGET_COPY_TRADER_ORDERS, Some(90 * DAY - 1), None, 100, EndId, 90 * DAY),
            Self::CopyProfitShares => s(&BITGET_COPY_PROFIT_SHARES, Some(90 * DAY - 1), None, 100, EndId, 0),
            // tax records (docs/venues.md §2.13): at most 30 days per query, 500 rows, `idLessThan` = the last id;
            // how far back is not stated
            Self::TaxSpot => s(&BITGET_TAX_SPOT, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            Self::TaxFutures => s(&BITGET_TAX_FUTURES, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            Self::TaxMargin => s(&BITGET_TAX_MARGIN, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            Self::TaxP2p => s(&BITGET_TAX_P2P, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            // Earn savings records (docs/venues.md §2.14): at most three months per query (90 days here), 100 rows,
            // `idLessThan` = `endId`; how far back is not stated
            Self::Savings => s(&BITGET_SAVINGS_RECORDS, Some(90 * DAY - 1), None, 100, EndId, 0),
            // cross margin (docs/venues.md §2.15): `startTime` required, at most 90 days to `endTime`, 500 rows a
            // page, `idLessThan` = the smallest id read; how far back: not stated
            Self::MarginFlow => s(&BITGET_MARGIN_CROSS_FLOW, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Self::MarginInterest => s(&BITGET_MARGIN_CROSS_INTEREST, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Self::MarginFills => s(&BITGET_MARGIN_CROSS_FILLS, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            // isolated margin (docs/venues.md §2.18): the cross rules, per pair; the margin tax record's isolated
            // rows as the crossed ones
            Self::IsolatedFlow => s(&BITGET_MARGIN_ISOLATED_FLOW, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Self::IsolatedInterest => s(&BITGET_MARGIN_ISOLATED_INTEREST, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Self::IsolatedFills => s(&BITGET_MARGIN_ISOLATED_FILLS, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Self::TaxIsolated => s(&BITGET_TAX_MARGIN, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            // Earn shark fin records (docs/venues.md §2.16): as the savings records, three months per query (90 days
            // here), 100 rows, `idLessThan` = `endId`; how far back is not stated
            Self::Sharkfin => s(&BITGET_SHARKFIN_RECORDS, Some(90 * DAY - 1), None, 100, EndId, 0),
            // crypto loans (docs/venues.md §2.17): the open loans in one request; the loan history and the repays
            // "only the past three months", `startTime` and `endTime` required, `pageNo` with `pageSize` (max 100)
            Self::LoanOrders => s(&BITGET_LOAN_ORDERS, None, None, 100, Single, 0),
            Self::LoanBorrows => s(&BITGET_LOAN_BORROWS, Some(90 * DAY - 1), Some(90 * DAY), 100, PageNoSize, 0),
            Self::LoanRepays => s(&BITGET_LOAN_REPAYS, Some(90 * DAY - 1), Some(90 * DAY), 100, PageNoSize, 0),
        }
    }

    /// What the stream reads, as the user reads it ([`Stream::name`]).
    pub fn name(self) -> &'static str {
        match self {
            Self::SpotFills => "Bitget spot trades",
            Self::Deposits => "deposits",
            Self::Withdrawals => "withdrawals",
            Self::Transfers => "transfers between wallets",
            Self::FuturesBills => "futures bills (USDT-M, COIN-M, USDC-M)",
            Self::FuturesFills => "futures fills (USDT-M, COIN-M, USDC-M)",
            Self::Converts => "converts",
            Self::BgbConverts => "BGB converts",
            Self::UnifiedFills => "unified trades",
            Self::UnifiedFinancial => "unified financial records",
            Self::UnifiedDeposits => "unified deposits",
            Self::UnifiedWithdrawals => "unified withdrawals",
            Self::UnifiedConverts => "unified converts",
            Self::CopyFollowerOrders => "copied orders and profit shares paid",
            Self::CopyTraderOrders => "lead orders",
            Self::CopyProfitShares => "profit shares received",
            Self::TaxSpot => "spot tax records",
            Self::TaxFutures => "futures tax records",
            Self::TaxMargin => "margin tax records",
            Self::TaxP2p => "P2P tax records",
            Self::Savings => "Earn savings subscriptions, redemptions and interest",
            Self::MarginFlow => "cross margin finance flow (borrows, repays)",
            Self::MarginInterest => "cross margin interest",
            Self::MarginFills => "cross margin fills",
            Self::IsolatedFlow => "isolated margin finance flow (borrows, repays)",
            Self::IsolatedInterest => "isolated margin interest",
            Self::IsolatedFills => "isolated margin fills",
            Self::TaxIsolated => "isolated margin tax records",
            Self::Sharkfin => "Earn shark fin subscriptions, redemptions and interest",
            Self::LoanOrders => "open crypto loans",
            Self::LoanBorrows => "crypto loans taken",
            Self::LoanRepays => "crypto loan repays",
        }
    }
}

/// The id ([`Stream::id`]), as logs and test messages name a stream.
impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The id ([`Stream::id`]), a string, also as a map key.
impl Serialize for Stream {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Stream {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Stream::from_id(&id).ok_or_else(|| de::Error::custom(format_args!("unknown stream `{id}`")))
    }
}

impl Stream {
    /// Every stream: Binance's, then Bitget's, each in the order declared.
    pub fn all() -> impl Iterator<Item = Stream> {
        let binance = BinanceStream::ALL.iter().copied().map(Stream::Binance);
        binance.chain(BitgetStream::ALL.iter().copied().map(Stream::Bitget))
    }

    /// The stream's id, as sync states store it: its venue's name then its own (`BinanceSpotTrades`).
    pub const fn id(self) -> &'static str {
        match self {
            Stream::Binance(s) => s.id(),
            Stream::Bitget(s) => s.id(),
        }
    }

    /// The stream whose id ([`Stream::id`]) is `id`.
    pub fn from_id(id: &str) -> Option<Stream> {
        Stream::all().find(|s| s.id() == id)
    }

    /// The rules of this stream (docs/venues.md §3): [`BinanceStream::spec`], [`BitgetStream::spec`].
    pub fn spec(self) -> StreamSpec {
        match self {
            Stream::Binance(s) => s.spec(),
            Stream::Bitget(s) => s.spec(),
        }
    }

    /// What the stream reads, as the user reads it (the residuals name the streams that could explain them:
    /// docs/sync.md, "Balances explained").
    pub fn name(self) -> &'static str {
        match self {
            Stream::Binance(s) => s.name(),
            Stream::Bitget(s) => s.name(),
        }
    }

    /// The venue.
    pub fn venue(self) -> Venue {
        match self {
            Stream::Binance(_) => Venue::Binance,
            Stream::Bitget(_) => Venue::Bitget,
        }
    }

    /// The Simple Earn histories (docs/venues.md §1.12): what can explain a movement of the `earn` wallet.
    pub const BINANCE_EARN: [Stream; 6] = [
        Stream::Binance(BinanceStream::EarnFlexibleSubscriptions),
        Stream::Binance(BinanceStream::EarnFlexibleRedemptions),
        Stream::Binance(BinanceStream::EarnFlexibleRewards),
        Stream::Binance(BinanceStream::EarnLockedSubscriptions),
        Stream::Binance(BinanceStream::EarnLockedRedemptions),
        Stream::Binance(BinanceStream::EarnLockedRewards),
    ];

    /// The fiat deposit and withdrawal histories (docs/venues.md §1.15): 90,000 UID weight a request, read in a full
    /// cycle only when due, at most one while the other would wait for the minute (docs/sync.md, "The tick").
    pub const BINANCE_FIAT_ORDERS: [Stream; 2] =
        [Stream::Binance(BinanceStream::FiatDeposits), Stream::Binance(BinanceStream::FiatWithdrawals)];

    /// The ETH and SOL staking histories (docs/venues.md §1.16): what can explain a movement of a staking asset in
    /// spot ([`Stream::STAKING_ASSETS`]).
    pub const BINANCE_STAKING: [Stream; 8] = [
        Stream::Binance(BinanceStream::EthStakings),
        Stream::Binance(BinanceStream::EthRedemptions),
        Stream::Binance(BinanceStream::BethRewards),
        Stream::Binance(BinanceStream::WbethWraps),
        Stream::Binance(BinanceStream::WbethUnwraps),
        Stream::Binance(BinanceStream::SolStakings),
        Stream::Binance(BinanceStream::SolRedemptions),
        Stream::Binance(BinanceStream::SolBoostClaims),
    ];

    /// The assets the staking histories move, all in spot: the staked coins and their receipt tokens.
    pub const STAKING_ASSETS: [&'static str; 5] = ["ETH", "WBETH", "BETH", "SOL", "BNSOL"];

    /// The staking receipt tokens: their units come from the staking histories; where Binance lists a pair of one
    /// (`WBETHETH`), `exchangeInfo` names it, so none is an orphan asset to look for trades of (docs/sync.md).
    pub const STAKING_RECEIPTS: [&'static str; 3] = ["WBETH", "BETH", "BNSOL"];

    /// The margin histories that need no symbol (docs/venues.md §1.18): read in full cycles when the margin balances
    /// were read in the same tick, and when a margin wallet moved (docs/sync.md, "The tick").
    pub const BINANCE_MARGIN: [Stream; 5] = [
        Stream::Binance(BinanceStream::MarginBorrows),
        Stream::Binance(BinanceStream::MarginRepays),
        Stream::Binance(BinanceStream::MarginInterest),
        Stream::Binance(BinanceStream::MarginLiquidations),
        Stream::Binance(BinanceStream::MarginCapitalFlow),
    ];

    /// Bitget's cross margin histories that need no symbol (docs/venues.md §2.15): read in full cycles when the
    /// margin balances were read in the same tick and the account uses cross margin, and when its wallet moved
    /// (docs/sync.md, "Margin").
    pub const BITGET_MARGIN: [Stream; 2] =
        [Stream::Bitget(BitgetStream::MarginFlow), Stream::Bitget(BitgetStream::MarginInterest)];
    /// Bitget Earn's histories a full cycle reads unless it is an hourly one in which neither spot nor an Earn wallet
    /// moved: the savings (docs/venues.md §2.14) and shark fin records (§2.16), the crypto loans (§2.17).
    pub const BITGET_EARN: [Stream; 5] = [
        Stream::Bitget(BitgetStream::Savings),
        Stream::Bitget(BitgetStream::Sharkfin),
        Stream::Bitget(BitgetStream::LoanOrders),
        Stream::Bitget(BitgetStream::LoanBorrows),
        Stream::Bitget(BitgetStream::LoanRepays),
    ];
    /// Bitget's crypto loan histories (docs/venues.md §2.17): an incremental tick reads them when the loan wallet
    /// moved.
    pub const BITGET_LOANS: [Stream; 3] = [
        Stream::Bitget(BitgetStream::LoanOrders),
        Stream::Bitget(BitgetStream::LoanBorrows),
        Stream::Bitget(BitgetStream::LoanRepays),
    ];

    /// Bitget's isolated margin histories, each per pair (docs/venues.md §2.18): read in full cycles of an account
    /// that uses isolated margin, and for a pair whose wallet moved (docs/sync.md, "Bitget isolated margin").
    pub const BITGET_ISOLATED: [Stream; 3] = [
        Stream::Bitget(BitgetStream::IsolatedFlow),
        Stream::Bitget(BitgetStream::IsolatedInterest),
        Stream::Bitget(BitgetStream::IsolatedFills),
    ];

    /// Streams that do not depend on discovered assets, per account mode, in the order they run.
    pub fn independent(mode: AccountMode) -> &'static [Stream] {
        match mode {
            AccountMode::Binance => &[
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
                Stream::Binance(BinanceStream::P2p),
                Stream::Binance(BinanceStream::Pay),
                Stream::Binance(BinanceStream::EarnFlexibleSubscriptions),
                Stream::Binance(BinanceStream::EarnFlexibleRedemptions),
                Stream::Binance(BinanceStream::EarnFlexibleRewards),
                Stream::Binance(BinanceStream::EarnLockedSubscriptions),
                Stream::Binance(BinanceStream::EarnLockedRedemptions),
                Stream::Binance(BinanceStream::EarnLockedRewards),
                Stream::Binance(BinanceStream::Income),
                Stream::Binance(BinanceStream::CoinmIncome),
                Stream::Binance(BinanceStream::EthStakings),
                Stream::Binance(BinanceStream::EthRedemptions),
                Stream::Binance(BinanceStream::BethRewards),
                Stream::Binance(BinanceStream::WbethWraps),
                Stream::Binance(BinanceStream::WbethUnwraps),
                Stream::Binance(BinanceStream::SolStakings),
                Stream::Binance(BinanceStream::SolRedemptions),
                Stream::Binance(BinanceStream::SolBoostClaims),
            ],
            AccountMode::BitgetClassic => &[
                Stream::Bitget(BitgetStream::Deposits),
                Stream::Bitget(BitgetStream::Withdrawals),
                Stream::Bitget(BitgetStream::SpotFills),
                Stream::Bitget(BitgetStream::Converts),
                Stream::Bitget(BitgetStream::BgbConverts),
                Stream::Bitget(BitgetStream::FuturesBills),
                Stream::Bitget(BitgetStream::FuturesFills),
                // Earn savings (docs/venues.md §2.14): a full cycle's unless it is an hourly one in which neither the
                // earn nor the spot wallet moved
                Stream::Bitget(BitgetStream::Savings),
                // Earn shark fin (docs/venues.md §2.16): as the savings records, with the shark fin wallet
                Stream::Bitget(BitgetStream::Sharkfin),
                // Earn crypto loans (docs/venues.md §2.17): as the savings records, with the loan wallet
                Stream::Bitget(BitgetStream::LoanOrders),
                Stream::Bitget(BitgetStream::LoanBorrows),
                Stream::Bitget(BitgetStream::LoanRepays),
                // full cycles only (an incremental tick reads the streams above): UID-limited, 1 a second each
                Stream::Bitget(BitgetStream::TaxSpot),
                Stream::Bitget(BitgetStream::TaxFutures),
                Stream::Bitget(BitgetStream::TaxMargin),
                Stream::Bitget(BitgetStream::TaxP2p),
            ],
            AccountMode::BitgetUnified => &[
                Stream::Bitget(BitgetStream::UnifiedDeposits),
                Stream::Bitget(BitgetStream::UnifiedWithdrawals),
                Stream::Bitget(BitgetStream::UnifiedFills),
                Stream::Bitget(BitgetStream::UnifiedFinancial),
            ],
        }
    }
}

impl Stream {
    /// The streams of a copy-trading account beyond its mode's (docs/venues.md §1.17, §2.11), read in full cycles:
    /// a Binance lead portfolio is read as a USDⓈ-M account whose income carries its money in and out (it replaces
    /// every stream of [`Stream::independent`]); a classic Bitget copy account adds its tracking orders and profit
    /// shares. A unified Bitget account has none (the copy endpoints are classic).
    pub fn copy_trading(mode: AccountMode) -> &'static [Stream] {
        match mode {
            AccountMode::Binance => &[Stream::Binance(BinanceStream::LeadIncome)],
            AccountMode::BitgetClassic => &[
                Stream::Bitget(BitgetStream::CopyFollowerOrders),
                Stream::Bitget(BitgetStream::CopyTraderOrders),
                Stream::Bitget(BitgetStream::CopyProfitShares),
            ],
            AccountMode::BitgetUnified => &[],
        }
    }

    /// How long before the history start the stream's windows begin: Bitget's closed tracking orders are dated
    /// by their opening and listed once they close, so an order that closed after the history start may have opened
    /// up to the venue's longest query (three months) before it (docs/venues.md §2.11). Zero for the others.
    pub fn lookback(self) -> i64 {
        match self {
            Stream::Bitget(BitgetStream::CopyFollowerOrders | BitgetStream::CopyTraderOrders) => 90 * DAY,
            _ => 0,
        }
    }
}

/// One unit of work: a stream with its fixed parameters, over one time window (or none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The stream.
    pub stream: Stream,
    /// Cursor key in the state: stream plus its fixed parameters (`BinanceSpotTrades:BTCUSDT`).
    pub key: String,
    /// Fixed parameters (symbol, type, coin, productType, category).
    pub params: Vec<(&'static str, String)>,
    /// Inclusive `startTime`/`endTime`, for windowed streams.
    pub window: Option<(i64, i64)>,
    /// An older window read because the history now starts earlier than the stream was read from (see
    /// [`crate::state::AccountState::covered_from`]); these run newest first, so what is covered stays contiguous.
    pub older: bool,
}

/// The cursor key of a stream with fixed parameters.
pub fn task_key(stream: Stream, params: &[(&'static str, String)]) -> String {
    let mut key = stream.id().to_string();
    for (_, v) in params {
        key.push(':');
        key.push_str(v);
    }
    key
}

/// Fixed parameters of each stream instance: Binance spot and futures fills per symbol, transfers per type, Bitget
/// transfers per coin and source, unified converts per ordered pair of coins (`fromCoin` and `toCoin` are both
/// required).
pub fn instances(stream: Stream, symbols: &[String], coins: &[String]) -> Vec<Vec<(&'static str, String)>> {
    let transfer_coins = coins;
    match stream {
        Stream::Binance(BinanceStream::SpotTrades | BinanceStream::FuturesTrades) => {
            symbols.iter().map(|s| vec![("symbol", s.clone())]).collect()
        }
        Stream::Bitget(BitgetStream::UnifiedConverts) => coins
            .iter()
            .flat_map(|from| {
                coins
                    .iter()
                    .filter(move |to| *to != from)
                    .map(move |to| vec![("fromCoin", from.clone()), ("toCoin", to.clone())])
            })
            .collect(),
        Stream::Binance(BinanceStream::Transfers) => {
            venues::parse::binance::TRANSFER_TYPES.iter().map(|(t, _, _)| vec![("type", t.to_string())]).collect()
        }
        Stream::Bitget(BitgetStream::Transfers) => transfer_coins
            .iter()
            .flat_map(|c| {
                venues::parse::bitget::TRANSFER_FROM_TYPES
                    .iter()
                    .map(move |f| vec![("coin", c.clone()), ("fromType", f.to_string())])
            })
            .collect(),
        Stream::Binance(BinanceStream::CoinmTrades) => symbols.iter().map(|p| vec![("pair", p.clone())]).collect(),
        Stream::Bitget(
            BitgetStream::FuturesBills
            | BitgetStream::FuturesFills
            | BitgetStream::TaxFutures
            | BitgetStream::CopyFollowerOrders
            | BitgetStream::CopyTraderOrders,
        ) => vec![vec![("productType", "USDT-FUTURES".into())]],
        // `category` is required: every one, so that margin loans, every futures product and whatever else moves
        // the unified wallet is read (docs/venues.md §2.8)
        Stream::Bitget(BitgetStream::UnifiedFinancial) => {
            venues::parse::bitget::UNIFIED_CATEGORIES.iter().map(|c| vec![("category", c.to_string())]).collect()
        }
        // `type` is mandatory: every kind of reward
        Stream::Binance(BinanceStream::EarnFlexibleRewards) => vec![vec![("type", "ALL".into())]],
        // what was claimed reached spot; what was distributed and not claimed is not the user's yet
        Stream::Binance(BinanceStream::SolBoostClaims) => vec![vec![("type", "CLAIM".into())]],
        // `transactionType` is mandatory: 0 deposits or purchases, 1 withdrawals or sales
        Stream::Binance(BinanceStream::FiatDeposits | BinanceStream::FiatBuys) => {
            vec![vec![("transactionType", "0".into())]]
        }
        Stream::Binance(BinanceStream::FiatWithdrawals | BinanceStream::FiatSells) => {
            vec![vec![("transactionType", "1".into())]]
        }
        // `type` is mandatory
        Stream::Binance(BinanceStream::MarginBorrows) => vec![vec![("type", "BORROW".into())]],
        Stream::Binance(BinanceStream::MarginRepays) => vec![vec![("type", "REPAY".into())]],
        Stream::Binance(BinanceStream::MarginTrades)
        | Stream::Bitget(
            BitgetStream::MarginFills
            | BitgetStream::IsolatedFlow
            | BitgetStream::IsolatedInterest
            | BitgetStream::IsolatedFills,
        ) => symbols.iter().map(|s| vec![("symbol", s.clone())]).collect(),
        // the margin tax record's default is `crossed`
        Stream::Bitget(BitgetStream::TaxIsolated) => vec![vec![("marginType", "isolated".into())]],
        // `periodType` is mandatory: flexible and fixed-term products are read apart
        Stream::Bitget(BitgetStream::Savings) => {
            venues::parse::bitget::SAVINGS_PERIODS.iter().map(|p| vec![("periodType", p.to_string())]).collect()
        }
        // `type` is mandatory: subscriptions, redemptions and interest are read apart
        Stream::Bitget(BitgetStream::Sharkfin) => {
            venues::parse::bitget::SHARKFIN_TYPES.iter().map(|t| vec![("type", t.to_string())]).collect()
        }
        _ => vec![vec![]],
    }
}

/// The windows of a stream instance from `from` to `to` (inclusive ms), oldest first, each within the venue's span.
pub fn windows(spec: &StreamSpec, from: i64, to: i64) -> Vec<Option<(i64, i64)>> {
    let Some(span) = spec.span else { return vec![None] };
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = (start + span - 1).min(to);
        out.push(Some((start, end)));
        start = end + 1;
    }
    out
}

/// Where an instance's next sync starts: after what is covered (minus the stream's overlap), never before the
/// history start or the venue's retention.
pub fn start_of(spec: &StreamSpec, covered_until: Option<i64>, history_start: i64, now: i64) -> i64 {
    let floor = spec.retention.map_or(history_start, |r| history_start.max(now - r + DAY / 24));
    match covered_until {
        Some(c) => (c + 1 - spec.overlap).max(floor),
        None => floor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_tile_the_range_within_the_span() {
        let spec = Stream::Binance(BinanceStream::Converts).spec();
        let w = windows(&spec, 0, 95 * DAY);
        assert_eq!(w.len(), 4);
        assert_eq!(w[0], Some((0, 30 * DAY - 2)));
        for pair in w.windows(2) {
            assert_eq!(pair[0].unwrap().1 + 1, pair[1].unwrap().0, "no gap, no overlap");
        }
        for (s, e) in w.iter().flatten() {
            assert!(e - s < 30 * DAY);
        }
        assert_eq!(w.last().unwrap().unwrap().1, 95 * DAY);
        assert_eq!(windows(&Stream::Binance(BinanceStream::Dust).spec(), 0, 10), vec![None]);
    }

    #[test]
    fn required_windows_fit_the_venues_spans() {
        // Bitget convert history needs startTime and endTime at most 90 days apart: 90 days of history is one
        // window; unified converts take 30 days per query; futures fills a week (Binance and Bitget)
        let now = 1000 * DAY;
        let history_start = now - 90 * DAY + DAY / 24;
        for (stream, n, max) in [
            (Stream::Bitget(BitgetStream::Converts), 1, 90 * DAY),
            (Stream::Bitget(BitgetStream::BgbConverts), 1, 90 * DAY),
            (Stream::Bitget(BitgetStream::UnifiedConverts), 3, 30 * DAY),
            (Stream::Binance(BinanceStream::FuturesTrades), 13, 7 * DAY),
            (Stream::Bitget(BitgetStream::FuturesFills), 13, 7 * DAY),
            (Stream::Binance(BinanceStream::CoinmTrades), 13, 7 * DAY),
            (Stream::Binance(BinanceStream::CoinmIncome), 1, 365 * DAY),
        ] {
            let spec = stream.spec();
            let w = windows(&spec, start_of(&spec, None, history_start, now), now);
            assert_eq!(w.len(), n, "{stream:?}");
            assert!(w.iter().flatten().all(|(s, e)| e - s < max), "{stream:?}");
        }
        let pairs =
            instances(Stream::Bitget(BitgetStream::UnifiedConverts), &[], &["BTC".into(), "ETH".into(), "USDT".into()]);
        assert_eq!(pairs.len(), 6);
        assert!(pairs.contains(&vec![("fromCoin", "USDT".into()), ("toCoin", "BTC".into())]));
    }

    #[test]
    fn incremental_starts_respect_overlap_and_retention() {
        let now = 1000 * DAY;
        let deposits = Stream::Binance(BinanceStream::Deposits).spec();
        assert_eq!(start_of(&deposits, Some(990 * DAY), 0, now), 990 * DAY + 1 - 7 * DAY);
        assert_eq!(start_of(&deposits, None, 800 * DAY, now), 800 * DAY);
        let income = Stream::Binance(BinanceStream::Income).spec();
        assert!(start_of(&income, None, 0, now) > now - 90 * DAY);
    }

    /// A copy-trading account's streams (docs/venues.md §1.17, §2.11): a lead portfolio's income on the futures
    /// host, Bitget's tracking orders read from three months before the history start (dated by their opening,
    /// listed at their close) and again for three months on each full cycle, profit shares from the start.
    #[test]
    fn copy_trading_streams_reach_back_for_orders_opened_before_the_history() {
        assert_eq!(Stream::copy_trading(AccountMode::Binance), [Stream::Binance(BinanceStream::LeadIncome)]);
        assert_eq!(Stream::Binance(BinanceStream::LeadIncome).spec().endpoint.host, catalogue::Host::BinanceFutures);
        assert!(Stream::copy_trading(AccountMode::BitgetUnified).is_empty());
        let now = 1000 * DAY;
        let history_start = now - 30 * DAY;
        for stream in Stream::copy_trading(AccountMode::BitgetClassic) {
            let spec = stream.spec();
            let from = start_of(&spec, None, history_start - stream.lookback(), now);
            let w = windows(&spec, from, now);
            assert!(w.iter().flatten().all(|(s, e)| e - s < 90 * DAY), "{stream:?}");
            let orders = *stream != Stream::Bitget(BitgetStream::CopyProfitShares);
            assert_eq!(from, if orders { history_start - 90 * DAY } else { history_start }, "{stream:?}");
            assert_eq!(spec.overlap, if orders { 90 * DAY } else { 0 }, "{stream:?}");
        }
    }

    #[test]
    fn every_stream_reads_an_endpoint_of_its_venue() {
        for s in Stream::all() {
            assert_eq!(s.spec().endpoint.venue, s.venue(), "{s:?}");
        }
    }

    /// The ids sync states store the streams under (cursor keys, map keys): each one as it has always been, or the
    /// cursors stored under it are lost. A new stream adds its id here.
    const STORED_IDS: [&str; 70] = [
        "BinanceSpotTrades",
        "BinanceDeposits",
        "BinanceWithdrawals",
        "BinanceTransfers",
        "BinanceConverts",
        "BinanceDust",
        "BinanceIncome",
        "BinanceFuturesTrades",
        "BinanceDividends",
        "BinanceFiatDeposits",
        "BinanceFiatWithdrawals",
        "BinanceFiatBuys",
        "BinanceFiatSells",
        "BinanceP2p",
        "BinancePay",
        "BinanceCoinmIncome",
        "BinanceCoinmTrades",
        "BinanceEarnFlexibleSubscriptions",
        "BinanceEarnFlexibleRedemptions",
        "BinanceEarnFlexibleRewards",
        "BinanceEarnLockedSubscriptions",
        "BinanceEarnLockedRedemptions",
        "BinanceEarnLockedRewards",
        "BitgetSpotFills",
        "BitgetDeposits",
        "BitgetWithdrawals",
        "BitgetTransfers",
        "BitgetFuturesBills",
        "BitgetFuturesFills",
        "BitgetConverts",
        "BitgetBgbConverts",
        "BitgetUnifiedFills",
        "BitgetUnifiedFinancial",
        "BitgetUnifiedDeposits",
        "BitgetUnifiedWithdrawals",
        "BitgetUnifiedConverts",
        "BinanceEthStakings",
        "BinanceEthRedemptions",
        "BinanceBethRewards",
        "BinanceWbethWraps",
        "BinanceWbethUnwraps",
        "BinanceSolStakings",
        "BinanceSolRedemptions",
        "BinanceSolBoostClaims",
        "BinanceLeadIncome",
        "BitgetCopyFollowerOrders",
        "BitgetCopyTraderOrders",
        "BitgetCopyProfitShares",
        "BinanceMarginBorrows",
        "BinanceMarginRepays",
        "BinanceMarginInterest",
        "BinanceMarginLiquidations",
        "BinanceMarginCapitalFlow",
        "BinanceMarginTrades",
        "BitgetTaxSpot",
        "BitgetTaxFutures",
        "BitgetTaxMargin",
        "BitgetTaxP2p",
        "BitgetSavings",
        "BitgetMarginFlow",
        "BitgetMarginInterest",
        "BitgetMarginFills",
        "BitgetIsolatedFlow",
        "BitgetIsolatedInterest",
        "BitgetIsolatedFills",
        "BitgetTaxIsolated",
        "BitgetSharkfin",
        "BitgetLoanOrders",
        "BitgetLoanBorrows",
        "BitgetLoanRepays",
    ];

    #[test]
    fn stream_ids_are_the_stored_ones() {
        for id in STORED_IDS {
            let json = format!("\"{id}\"");
            let stream: Stream = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&stream).unwrap(), json);
            assert_eq!(format!("{stream:?}"), id);
            assert_eq!(task_key(stream, &[]), id);
        }
        let mut listed = STORED_IDS.to_vec();
        listed.sort_unstable();
        let mut ids: Vec<&str> = Stream::all().map(Stream::id).collect();
        ids.sort_unstable();
        assert_eq!(ids, listed, "every stream, each once");
        // as a map key (`AccountState::fiat_orders_at`) and at the start of a cursor key
        let at: std::collections::BTreeMap<Stream, i64> =
            [(Stream::Binance(BinanceStream::FiatWithdrawals), 2), (Stream::Binance(BinanceStream::FiatDeposits), 1)]
                .into();
        let json = serde_json::to_string(&at).unwrap();
        assert_eq!(json, r#"{"BinanceFiatDeposits":1,"BinanceFiatWithdrawals":2}"#);
        assert_eq!(serde_json::from_str::<std::collections::BTreeMap<Stream, i64>>(&json).unwrap(), at);
        let key = task_key(Stream::Binance(BinanceStream::SpotTrades), &[("symbol", "BTCUSDT".into())]);
        assert_eq!(key, "BinanceSpotTrades:BTCUSDT");
        assert!(serde_json::from_str::<Stream>(r#""BinanceNoSuchStream""#).is_err());
    }
}
