//! The planner: which requests a sync needs. Streams, windows and paging follow docs/venues.md §3; tasks are derived
//! from the account's mode, what discovery found, and the cursors of earlier syncs. The lower bound it can prove is
//! one request per task plus one per further full page of rows.

use catalogue::{Endpoint, Venue};
use serde::{Deserialize, Serialize};
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

/// A history stream of one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stream {
    /// Binance `/api/v3/myTrades`, per symbol.
    BinanceSpotTrades,
    /// Binance `/sapi/v1/capital/deposit/hisrec`.
    BinanceDeposits,
    /// Binance `/sapi/v1/capital/withdraw/history`.
    BinanceWithdrawals,
    /// Binance `/sapi/v1/asset/transfer`, per type.
    BinanceTransfers,
    /// Binance `/sapi/v1/convert/tradeFlow`.
    BinanceConverts,
    /// Binance `/sapi/v1/asset/dribblet`.
    BinanceDust,
    /// Binance `/fapi/v1/income`.
    BinanceIncome,
    /// Binance `/fapi/v1/userTrades`, per futures symbol (informational fills).
    BinanceFuturesTrades,
    /// Binance `/sapi/v1/asset/assetDividend`.
    BinanceDividends,
    /// Binance `/sapi/v1/fiat/orders` with `transactionType=0`.
    BinanceFiatDeposits,
    /// Binance `/sapi/v1/fiat/orders` with `transactionType=1`.
    BinanceFiatWithdrawals,
    /// Binance `/sapi/v1/fiat/payments` with `transactionType=0`.
    BinanceFiatBuys,
    /// Binance `/sapi/v1/fiat/payments` with `transactionType=1`.
    BinanceFiatSells,
    /// Binance `/sapi/v1/c2c/orderMatch/listUserOrderHistory`.
    BinanceP2p,
    /// Binance `/sapi/v1/pay/transactions`.
    BinancePay,
    /// Binance `/dapi/v1/income` (COIN-M).
    BinanceCoinmIncome,
    /// Binance `/dapi/v1/userTrades`, per pair (informational COIN-M fills).
    BinanceCoinmTrades,
    /// Binance `/sapi/v1/simple-earn/flexible/history/subscriptionRecord`.
    BinanceEarnFlexibleSubscriptions,
    /// Binance `/sapi/v1/simple-earn/flexible/history/redemptionRecord`.
    BinanceEarnFlexibleRedemptions,
    /// Binance `/sapi/v1/simple-earn/flexible/history/rewardsRecord` (`type=ALL`).
    BinanceEarnFlexibleRewards,
    /// Binance `/sapi/v1/simple-earn/locked/history/subscriptionRecord`.
    BinanceEarnLockedSubscriptions,
    /// Binance `/sapi/v1/simple-earn/locked/history/redemptionRecord`.
    BinanceEarnLockedRedemptions,
    /// Binance `/sapi/v1/simple-earn/locked/history/rewardsRecord`.
    BinanceEarnLockedRewards,
    /// Bitget `/api/v2/spot/trade/fills`.
    BitgetSpotFills,
    /// Bitget `/api/v2/spot/wallet/deposit-records`.
    BitgetDeposits,
    /// Bitget `/api/v2/spot/wallet/withdrawal-records`.
    BitgetWithdrawals,
    /// Bitget `/api/v2/spot/account/transferRecords`, per coin and `fromType`.
    BitgetTransfers,
    /// Bitget `/api/v2/mix/account/bill`.
    BitgetFuturesBills,
    /// Bitget `/api/v2/mix/order/fill-history` (informational fills).
    BitgetFuturesFills,
    /// Bitget `/api/v2/convert/convert-record`.
    BitgetConverts,
    /// Bitget `/api/v2/convert/bgb-convert-records`.
    BitgetBgbConverts,
    /// Bitget `/api/v3/trade/fills`.
    BitgetUnifiedFills,
    /// Bitget `/api/v3/account/financial-records` (USDT-FUTURES).
    BitgetUnifiedFinancial,
    /// Bitget `/api/v3/account/deposit-records`.
    BitgetUnifiedDeposits,
    /// Bitget `/api/v3/account/withdrawal-records`.
    BitgetUnifiedWithdrawals,
    /// Bitget `/api/v3/account/convert-records`, per (`fromCoin`, `toCoin`) pair.
    BitgetUnifiedConverts,
    /// Binance `/sapi/v1/eth-staking/eth/history/stakingHistory`.
    BinanceEthStakings,
    /// Binance `/sapi/v1/eth-staking/eth/history/redemptionHistory`.
    BinanceEthRedemptions,
    /// Binance `/sapi/v1/eth-staking/eth/history/rewardsHistory` (BETH).
    BinanceBethRewards,
    /// Binance `/sapi/v1/eth-staking/wbeth/history/wrapHistory`.
    BinanceWbethWraps,
    /// Binance `/sapi/v1/eth-staking/wbeth/history/unwrapHistory`.
    BinanceWbethUnwraps,
    /// Binance `/sapi/v1/sol-staking/sol/history/stakingHistory`.
    BinanceSolStakings,
    /// Binance `/sapi/v1/sol-staking/sol/history/redemptionHistory`.
    BinanceSolRedemptions,
    /// Binance `/sapi/v1/sol-staking/sol/history/boostRewardsHistory` (`type=CLAIM`).
    BinanceSolBoostClaims,
    /// Binance `/fapi/v1/income` of a copy-trading account (docs/venues.md §1.17): its transfer rows are its money in
    /// and out.
    BinanceLeadIncome,
    /// Bitget `/api/v2/copy/mix-follower/query-history-orders` (docs/venues.md §2.11).
    BitgetCopyFollowerOrders,
    /// Bitget `/api/v2/copy/mix-trader/order-history-track`.
    BitgetCopyTraderOrders,
    /// Bitget `/api/v2/copy/mix-trader/profit-history-details`.
    BitgetCopyProfitShares,
    /// Binance `/sapi/v1/margin/borrow-repay` with `type=BORROW`.
    BinanceMarginBorrows,
    /// Binance `/sapi/v1/margin/borrow-repay` with `type=REPAY`.
    BinanceMarginRepays,
    /// Binance `/sapi/v1/margin/interestHistory`.
    BinanceMarginInterest,
    /// Binance `/sapi/v1/margin/forceLiquidationRec` (orders: no event, their symbols' fills are read).
    BinanceMarginLiquidations,
    /// Binance `/sapi/v1/margin/capital-flow` (the completeness check; flows no stream books).
    BinanceMarginCapitalFlow,
    /// Binance `/sapi/v1/margin/myTrades`, per symbol.
    BinanceMarginTrades,
    /// Bitget `/api/v2/tax/spot-record` (docs/venues.md §2.13).
    BitgetTaxSpot,
    /// Bitget `/api/v2/tax/future-record`, per `productType`.
    BitgetTaxFutures,
    /// Bitget `/api/v2/tax/margin-record`.
    BitgetTaxMargin,
    /// Bitget `/api/v2/tax/p2p-record`.
    BitgetTaxP2p,
    /// Bitget `/api/v2/earn/savings/records`, per `periodType` (docs/venues.md §2.14).
    BitgetSavings,
    /// Bitget `/api/v2/margin/crossed/financial-records` (borrows, repays, flows no other stream books).
    BitgetMarginFlow,
    /// Bitget `/api/v2/margin/crossed/interest-history`.
    BitgetMarginInterest,
    /// Bitget `/api/v2/margin/crossed/fills`, per symbol.
    BitgetMarginFills,
    /// Bitget `/api/v2/margin/isolated/financial-records`, per pair (docs/venues.md §2.18).
    BitgetIsolatedFlow,
    /// Bitget `/api/v2/margin/isolated/interest-history`, per pair.
    BitgetIsolatedInterest,
    /// Bitget `/api/v2/margin/isolated/fills`, per pair.
    BitgetIsolatedFills,
    /// Bitget `/api/v2/tax/margin-record` with `marginType=isolated`: the isolated pairs' completeness check.
    BitgetTaxIsolated,
    /// Bitget `/api/v2/earn/sharkfin/records`, per `type` (docs/venues.md §2.16).
    BitgetSharkfin,
    /// Bitget `/api/v2/earn/loan/ongoing-orders`: the open loans taken (docs/venues.md §2.17).
    BitgetLoanOrders,
    /// Bitget `/api/v2/earn/loan/borrow-history`: the loans taken, once closed.
    BitgetLoanBorrows,
    /// Bitget `/api/v2/earn/loan/repay-history`.
    BitgetLoanRepays,
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

impl Stream {
    /// The rules of this stream (docs/venues.md §3, from the venues' facts in §1.6–§1.8 and §2.5–§2.8).
    pub fn spec(self) -> StreamSpec {
        use Paging::*;
        use catalogue::*;
        let s = |endpoint, span, retention, limit, paging, overlap| StreamSpec {
            endpoint,
            span,
            retention,
            limit,
            paging,
            overlap,
        };
        match self {
            Stream::BinanceSpotTrades => s(&BINANCE_MY_TRADES, None, None, 1000, FromId, 0),
            Stream::BinanceDeposits => s(&BINANCE_DEPOSITS, Some(90 * DAY - 1), None, 1000, Offset, 7 * DAY),
            Stream::BinanceWithdrawals => s(&BINANCE_WITHDRAWALS, Some(90 * DAY - 1), None, 1000, Offset, 7 * DAY),
            Stream::BinanceTransfers => s(&BINANCE_TRANSFERS, Some(90 * DAY - 1), Some(180 * DAY), 100, PageNumber, 0),
            Stream::BinanceConverts => s(&BINANCE_CONVERTS, Some(30 * DAY - 1), None, 1000, MoreData, 0),
            Stream::BinanceDust => s(&BINANCE_DUST, None, None, 100, Single, 0),
            Stream::BinanceIncome => {
                s(&BINANCE_FUTURES_INCOME, Some(90 * DAY - 1), Some(90 * DAY), 1000, TimeInclusive, 0)
            }
            // 7-day windows, the last 6 months; `fromId` cannot go with a window, so a full page continues from its
            // last time (inclusive; ids de-duplicate)
            Stream::BinanceFuturesTrades => {
                s(&BINANCE_FUTURES_TRADES, Some(7 * DAY - 1), Some(180 * DAY), 1000, TimeInclusive, 0)
            }
            // COIN-M (docs/venues.md §1.14): income windows of at most a year, fills by pair in 7-day windows (a pair
            // cannot go with `fromId`), each continuing from a full page's last time; retention not stated
            Stream::BinanceCoinmIncome => s(&BINANCE_COINM_INCOME, Some(365 * DAY - 1), None, 1000, TimeInclusive, 0),
            Stream::BinanceCoinmTrades => s(&BINANCE_COINM_TRADES, Some(7 * DAY - 1), None, 1000, TimeInclusive, 0),
            // at most 180 days per query, 500 rows, no paging parameter (docs/venues.md §1.13)
            Stream::BinanceDividends => s(&BINANCE_ASSET_DIVIDENDS, Some(180 * DAY - 1), None, 500, Bisect, 0),
            // fiat, card purchases, P2P and Pay (docs/venues.md §1.15): the fiat histories state no longest window
            // (a year here) and page by `page` and `rows` (500); P2P 30 days, 200 rows by `page`; Pay 90 days, 100
            // rows and no paging parameter, kept 18 months. Orders still processing are read again for a week.
            Stream::BinanceFiatDeposits | Stream::BinanceFiatWithdrawals => {
                s(&BINANCE_FIAT_ORDERS, Some(365 * DAY - 1), None, 500, PageRows, 7 * DAY)
            }
            Stream::BinanceFiatBuys | Stream::BinanceFiatSells => {
                s(&BINANCE_FIAT_PAYMENTS, Some(365 * DAY - 1), None, 500, PageRows, 7 * DAY)
            }
            Stream::BinanceP2p => s(&BINANCE_C2C_TRADES, Some(30 * DAY - 1), None, 200, PageOnly, 7 * DAY),
            Stream::BinancePay => s(&BINANCE_PAY_TRANSACTIONS, Some(90 * DAY - 1), Some(540 * DAY), 100, Bisect, 0),
            // Simple Earn histories: at most three months per query (90 days here), 100 rows a page by `current`
            Stream::BinanceEarnFlexibleSubscriptions => {
                s(&BINANCE_EARN_FLEXIBLE_SUBSCRIPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceEarnFlexibleRedemptions => {
                s(&BINANCE_EARN_FLEXIBLE_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceEarnFlexibleRewards => {
                s(&BINANCE_EARN_FLEXIBLE_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceEarnLockedSubscriptions => {
                s(&BINANCE_EARN_LOCKED_SUBSCRIPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceEarnLockedRedemptions => {
                s(&BINANCE_EARN_LOCKED_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceEarnLockedRewards => {
                s(&BINANCE_EARN_LOCKED_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BitgetSpotFills => s(&BITGET_SPOT_FILLS, Some(90 * DAY - 1), Some(90 * DAY), 100, IdLessThan, 0),
            Stream::BitgetDeposits => s(&BITGET_DEPOSITS, Some(90 * DAY - 1), None, 100, IdLessThan, 7 * DAY),
            Stream::BitgetWithdrawals => s(&BITGET_WITHDRAWALS, Some(90 * DAY - 1), None, 100, IdLessThan, 7 * DAY),
            Stream::BitgetTransfers => s(&BITGET_TRANSFERS, Some(90 * DAY - 1), Some(90 * DAY), 500, IdLessThan, 0),
            Stream::BitgetFuturesBills => {
                s(&BITGET_FUTURES_BILLS, Some(30 * DAY - 1), Some(90 * DAY), 100, TimeBackward, 0)
            }
            // a week per query (newer pages; the old one said three months), 90 days kept like the bills
            Stream::BitgetFuturesFills => {
                s(&BITGET_FUTURES_FILLS, Some(7 * DAY - 1), Some(90 * DAY), 100, TimeBackward, 0)
            }
            // startTime and endTime required, at most 90 days apart; how far back is not stated
            Stream::BitgetConverts => s(&BITGET_CONVERTS, Some(90 * DAY - 1), None, 100, EndId, 0),
            // no endId in the answer: `idLessThan` takes the smallest orderId of the page
            Stream::BitgetBgbConverts => s(&BITGET_BGB_CONVERTS, Some(90 * DAY - 1), None, 100, IdLessThan, 0),
            Stream::BitgetUnifiedConverts => {
                s(&BITGET_UNIFIED_CONVERTS, Some(30 * DAY - 1), Some(90 * DAY), 100, Cursor, 0)
            }
            Stream::BitgetUnifiedFills => s(&BITGET_UNIFIED_FILLS, Some(30 * DAY - 1), Some(90 * DAY), 100, Cursor, 0),
            Stream::BitgetUnifiedFinancial => {
                s(&BITGET_UNIFIED_FINANCIAL_RECORDS, Some(30 * DAY - 1), Some(90 * DAY), 100, Cursor, 0)
            }
            Stream::BitgetUnifiedDeposits => {
                s(&BITGET_UNIFIED_DEPOSITS, Some(30 * DAY - 1), Some(90 * DAY), 100, CursorMinId, 7 * DAY)
            }
            Stream::BitgetUnifiedWithdrawals => {
                s(&BITGET_UNIFIED_WITHDRAWALS, Some(30 * DAY - 1), Some(90 * DAY), 100, CursorMinId, 7 * DAY)
            }
            // ETH and SOL staking (docs/venues.md §1.16): three months per query (90 days here), 100 rows a page by
            // `current`; a pending stake or redemption is read again for a week
            Stream::BinanceEthStakings => s(&BINANCE_ETH_STAKINGS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Stream::BinanceEthRedemptions => {
                s(&BINANCE_ETH_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY)
            }
            Stream::BinanceBethRewards => s(&BINANCE_BETH_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 0),
            Stream::BinanceWbethWraps => s(&BINANCE_WBETH_WRAPS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Stream::BinanceWbethUnwraps => {
                s(&BINANCE_WBETH_UNWRAPS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY)
            }
            Stream::BinanceSolStakings => s(&BINANCE_SOL_STAKINGS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY),
            Stream::BinanceSolRedemptions => {
                s(&BINANCE_SOL_REDEMPTIONS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY)
            }
            // a claim pending at one read is read again for a week, like a stake
            Stream::BinanceSolBoostClaims => {
                s(&BINANCE_SOL_BOOST_REWARDS, Some(90 * DAY - 1), None, 100, PageNumber, 7 * DAY)
            }
            // copy trading (docs/venues.md §1.17, §2.11): a lead portfolio's income as a regular account's; closed
            // tracking orders by their opening time, three months a query, so each full cycle reads the last three
            // months again (an order listed when it closes, long after it opened); profit shares by their time
            Stream::BinanceLeadIncome => {
                s(&BINANCE_FUTURES_INCOME, Some(90 * DAY - 1), Some(90 * DAY), 1000, TimeInclusive, 0)
            }
            Stream::BitgetCopyFollowerOrders => {
                s(&BITGET_COPY_FOLLOWER_ORDERS, Some(90 * DAY - 1), None, 100, EndId, 90 * DAY)
            }
            Stream::BitgetCopyTraderOrders => {
                s(&BITGET_COPY_TRADER_ORDERS, Some(90 * DAY - 1), None, 100, EndId, 90 * DAY)
            }
            Stream::BitgetCopyProfitShares => s(&BITGET_COPY_PROFIT_SHARES, Some(90 * DAY - 1), None, 100, EndId, 0),
            // margin (docs/venues.md §1.18): borrow-repay 7 days a query without an asset, interest 30 days, both
            // 100 rows by `current`; liquidation orders state no span (90 days here); the capital flow keeps 90 days
            // and pages by `fromId`; fills as spot's. Retention otherwise not stated.
            Stream::BinanceMarginBorrows | Stream::BinanceMarginRepays => {
                s(&BINANCE_MARGIN_BORROW_REPAY, Some(7 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceMarginInterest => s(&BINANCE_MARGIN_INTEREST, Some(30 * DAY - 1), None, 100, PageNumber, 0),
            Stream::BinanceMarginLiquidations => {
                s(&BINANCE_MARGIN_LIQUIDATIONS, Some(90 * DAY - 1), None, 100, PageNumber, 0)
            }
            Stream::BinanceMarginCapitalFlow => {
                s(&BINANCE_MARGIN_CAPITAL_FLOW, None, Some(90 * DAY), 1000, FromIdAfter, 0)
            }
            Stream::BinanceMarginTrades => s(&BINANCE_MARGIN_TRADES, None, None, 1000, FromId, 0),
            // tax records (docs/venues.md §2.13): at most 30 days per query, 500 rows, `idLessThan` = the last id;
            // how far back is not stated
            Stream::BitgetTaxSpot => s(&BITGET_TAX_SPOT, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            Stream::BitgetTaxFutures => s(&BITGET_TAX_FUTURES, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            Stream::BitgetTaxMargin => s(&BITGET_TAX_MARGIN, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            Stream::BitgetTaxP2p => s(&BITGET_TAX_P2P, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            // Earn savings records (docs/venues.md §2.14): at most three months per query (90 days here), 100 rows,
            // `idLessThan` = `endId`; how far back is not stated
            Stream::BitgetSavings => s(&BITGET_SAVINGS_RECORDS, Some(90 * DAY - 1), None, 100, EndId, 0),
            // cross margin (docs/venues.md §2.15): `startTime` required, at most 90 days to `endTime`, 500 rows a
            // page, `idLessThan` = the smallest id read; how far back: not stated
            Stream::BitgetMarginFlow => s(&BITGET_MARGIN_CROSS_FLOW, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Stream::BitgetMarginInterest => {
                s(&BITGET_MARGIN_CROSS_INTEREST, Some(90 * DAY - 1), None, 500, IdLessThan, 0)
            }
            Stream::BitgetMarginFills => s(&BITGET_MARGIN_CROSS_FILLS, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            // isolated margin (docs/venues.md §2.18): the cross rules, per pair; the margin tax record's isolated
            // rows as the crossed ones
            Stream::BitgetIsolatedFlow => s(&BITGET_MARGIN_ISOLATED_FLOW, Some(90 * DAY - 1), None, 500, IdLessThan, 0),
            Stream::BitgetIsolatedInterest => {
                s(&BITGET_MARGIN_ISOLATED_INTEREST, Some(90 * DAY - 1), None, 500, IdLessThan, 0)
            }
            Stream::BitgetIsolatedFills => {
                s(&BITGET_MARGIN_ISOLATED_FILLS, Some(90 * DAY - 1), None, 500, IdLessThan, 0)
            }
            Stream::BitgetTaxIsolated => s(&BITGET_TAX_MARGIN, Some(30 * DAY - 1), None, 500, IdLessThan, 0),
            // Earn shark fin records (docs/venues.md §2.16): as the savings records, three months per query (90 days
            // here), 100 rows, `idLessThan` = `endId`; how far back is not stated
            Stream::BitgetSharkfin => s(&BITGET_SHARKFIN_RECORDS, Some(90 * DAY - 1), None, 100, EndId, 0),
            // crypto loans (docs/venues.md §2.17): the open loans in one request; the loan history and the repays
            // "only the past three months", `startTime` and `endTime` required, `pageNo` with `pageSize` (max 100)
            Stream::BitgetLoanOrders => s(&BITGET_LOAN_ORDERS, None, None, 100, Single, 0),
            Stream::BitgetLoanBorrows => {
                s(&BITGET_LOAN_BORROWS, Some(90 * DAY - 1), Some(90 * DAY), 100, PageNoSize, 0)
            }
            Stream::BitgetLoanRepays => s(&BITGET_LOAN_REPAYS, Some(90 * DAY - 1), Some(90 * DAY), 100, PageNoSize, 0),
        }
    }

    /// What the stream reads, as the user reads it (the residuals name the streams that could explain them:
    /// docs/sync.md, "Balances explained").
    pub fn name(self) -> &'static str {
        use Stream::*;
        match self {
            BinanceSpotTrades => "Binance spot trades",
            BinanceDeposits | BitgetDeposits => "deposits",
            BinanceWithdrawals | BitgetWithdrawals => "withdrawals",
            BinanceTransfers | BitgetTransfers => "transfers between wallets",
            BinanceConverts | BitgetConverts => "converts",
            BinanceDust => "dust conversions",
            BinanceIncome => "USDⓈ-M income",
            BinanceFuturesTrades => "USDⓈ-M fills",
            BinanceDividends => "asset dividends",
            BinanceFiatDeposits => "fiat deposits",
            BinanceFiatWithdrawals => "fiat withdrawals",
            BinanceFiatBuys => "card and bank purchases",
            BinanceFiatSells => "sales to a card or bank",
            BinanceP2p => "P2P trades",
            BinancePay => "Binance Pay",
            BinanceCoinmIncome => "COIN-M income",
            BinanceCoinmTrades => "COIN-M fills",
            BinanceEarnFlexibleSubscriptions => "Simple Earn flexible subscriptions",
            BinanceEarnFlexibleRedemptions => "Simple Earn flexible redemptions",
            BinanceEarnFlexibleRewards => "Simple Earn flexible rewards",
            BinanceEarnLockedSubscriptions => "Simple Earn locked subscriptions",
            BinanceEarnLockedRedemptions => "Simple Earn locked redemptions",
            BinanceEarnLockedRewards => "Simple Earn locked rewards",
            BitgetSpotFills => "Bitget spot trades",
            BitgetFuturesBills => "futures bills (USDT-M, COIN-M, USDC-M)",
            BitgetFuturesFills => "futures fills (USDT-M, COIN-M, USDC-M)",
            BitgetBgbConverts => "BGB converts",
            BitgetUnifiedFills => "unified trades",
            BitgetUnifiedFinancial => "unified futures records",
            BitgetUnifiedDeposits => "unified deposits",
            BitgetUnifiedWithdrawals => "unified withdrawals",
            BitgetUnifiedConverts => "unified converts",
            BinanceEthStakings => "ETH staked for WBETH",
            BinanceEthRedemptions => "ETH staking redemptions",
            BinanceBethRewards => "BETH staking rewards",
            BinanceWbethWraps => "BETH wrapped into WBETH",
            BinanceWbethUnwraps => "WBETH unwrapped into BETH",
            BinanceSolStakings => "SOL staked for BNSOL",
            BinanceSolRedemptions => "SOL staking redemptions",
            BinanceSolBoostClaims => "SOL staking Boost rewards claimed",
            BinanceLeadIncome => "lead portfolio income and transfers",
            BitgetCopyFollowerOrders => "copied orders and profit shares paid",
            BitgetCopyTraderOrders => "lead orders",
            BitgetCopyProfitShares => "profit shares received",
            BinanceMarginBorrows => "margin borrows",
            BinanceMarginRepays => "margin repays",
            BinanceMarginInterest => "margin interest",
            BinanceMarginLiquidations => "margin liquidation orders",
            BinanceMarginCapitalFlow => "margin capital flow",
            BinanceMarginTrades => "margin fills",
            BitgetTaxSpot => "spot tax records",
            BitgetTaxFutures => "futures tax records",
            BitgetTaxMargin => "margin tax records",
            BitgetTaxP2p => "P2P tax records",
            BitgetSavings => "Earn savings subscriptions, redemptions and interest",
            BitgetMarginFlow => "cross margin finance flow (borrows, repays)",
            BitgetMarginInterest => "cross margin interest",
            BitgetMarginFills => "cross margin fills",
            BitgetIsolatedFlow => "isolated margin finance flow (borrows, repays)",
            BitgetIsolatedInterest => "isolated margin interest",
            BitgetIsolatedFills => "isolated margin fills",
            BitgetTaxIsolated => "isolated margin tax records",
            BitgetSharkfin => "Earn shark fin subscriptions, redemptions and interest",
            BitgetLoanOrders => "open crypto loans",
            BitgetLoanBorrows => "crypto loans taken",
            BitgetLoanRepays => "crypto loan repays",
        }
    }

    /// The venue.
    pub fn venue(self) -> Venue {
        use Stream::*;
        match self {
            BinanceSpotTrades
            | BinanceDeposits
            | BinanceWithdrawals
            | BinanceTransfers
            | BinanceConverts
            | BinanceDust
            | BinanceIncome
            | BinanceFuturesTrades
            | BinanceCoinmIncome
            | BinanceCoinmTrades
            | BinanceEarnFlexibleSubscriptions
            | BinanceEarnFlexibleRedemptions
            | BinanceEarnFlexibleRewards
            | BinanceEarnLockedSubscriptions
            | BinanceEarnLockedRedemptions
            | BinanceEarnLockedRewards
            | BinanceDividends
            | BinanceFiatDeposits
            | BinanceFiatWithdrawals
            | BinanceFiatBuys
            | BinanceFiatSells
            | BinanceP2p
            | BinancePay
            | BinanceEthStakings
            | BinanceEthRedemptions
            | BinanceBethRewards
            | BinanceWbethWraps
            | BinanceWbethUnwraps
            | BinanceSolStakings
            | BinanceSolRedemptions
            | BinanceSolBoostClaims => Venue::Binance,
            BinanceLeadIncome => Venue::Binance,
            BinanceMarginBorrows
            | BinanceMarginRepays
            | BinanceMarginInterest
            | BinanceMarginLiquidations
            | BinanceMarginCapitalFlow
            | BinanceMarginTrades => Venue::Binance,
            // listed one by one, so that a new stream must say its venue
            BitgetSpotFills
            | BitgetDeposits
            | BitgetWithdrawals
            | BitgetTransfers
            | BitgetFuturesBills
            | BitgetFuturesFills
            | BitgetConverts
            | BitgetBgbConverts
            | BitgetUnifiedFills
            | BitgetUnifiedFinancial
            | BitgetUnifiedDeposits
            | BitgetUnifiedWithdrawals
            | BitgetUnifiedConverts
            | BitgetCopyFollowerOrders
            | BitgetCopyTraderOrders
            | BitgetCopyProfitShares => Venue::Bitget,
            BitgetTaxSpot | BitgetTaxFutures | BitgetTaxMargin | BitgetTaxP2p => Venue::Bitget,
            BitgetSavings => Venue::Bitget,
            BitgetMarginFlow | BitgetMarginInterest | BitgetMarginFills => Venue::Bitget,
            BitgetIsolatedFlow | BitgetIsolatedInterest | BitgetIsolatedFills | BitgetTaxIsolated => Venue::Bitget,
            BitgetSharkfin | BitgetLoanOrders | BitgetLoanBorrows | BitgetLoanRepays => Venue::Bitget,
        }
    }

    /// The Simple Earn histories (docs/venues.md §1.12): what can explain a movement of the `earn` wallet.
    pub const BINANCE_EARN: [Stream; 6] = [
        Stream::BinanceEarnFlexibleSubscriptions,
        Stream::BinanceEarnFlexibleRedemptions,
        Stream::BinanceEarnFlexibleRewards,
        Stream::BinanceEarnLockedSubscriptions,
        Stream::BinanceEarnLockedRedemptions,
        Stream::BinanceEarnLockedRewards,
    ];

    /// The fiat deposit and withdrawal histories (docs/venues.md §1.15): 90,000 UID weight a request, read in a full
    /// cycle only when due, at most one while the other would wait for the minute (docs/sync.md, "The tick").
    pub const BINANCE_FIAT_ORDERS: [Stream; 2] = [Stream::BinanceFiatDeposits, Stream::BinanceFiatWithdrawals];

    /// The ETH and SOL staking histories (docs/venues.md §1.16): what can explain a movement of a staking asset in
    /// spot ([`Stream::STAKING_ASSETS`]).
    pub const BINANCE_STAKING: [Stream; 8] = [
        Stream::BinanceEthStakings,
        Stream::BinanceEthRedemptions,
        Stream::BinanceBethRewards,
        Stream::BinanceWbethWraps,
        Stream::BinanceWbethUnwraps,
        Stream::BinanceSolStakings,
        Stream::BinanceSolRedemptions,
        Stream::BinanceSolBoostClaims,
    ];

    /// The assets the staking histories move, all in spot: the staked coins and their receipt tokens.
    pub const STAKING_ASSETS: [&'static str; 5] = ["ETH", "WBETH", "BETH", "SOL", "BNSOL"];

    /// The staking receipt tokens: their units come from the staking histories; where Binance lists a pair of one
    /// (`WBETHETH`), `exchangeInfo` names it, so none is an orphan asset to look for trades of (docs/sync.md).
    pub const STAKING_RECEIPTS: [&'static str; 3] = ["WBETH", "BETH", "BNSOL"];

    /// The margin histories that need no symbol (docs/venues.md §1.18): read in full cycles when the margin balances
    /// were read in the same tick, and when a margin wallet moved (docs/sync.md, "The tick").
    pub const BINANCE_MARGIN: [Stream; 5] = [
        Stream::BinanceMarginBorrows,
        Stream::BinanceMarginRepays,
        Stream::BinanceMarginInterest,
        Stream::BinanceMarginLiquidations,
        Stream::BinanceMarginCapitalFlow,
    ];

    /// Bitget's cross margin histories that need no symbol (docs/venues.md §2.15): read in full cycles when the
    /// margin balances were read in the same tick and the account uses cross margin, and when its wallet moved
    /// (docs/sync.md, "Margin").
    pub const BITGET_MARGIN: [Stream; 2] = [Stream::BitgetMarginFlow, Stream::BitgetMarginInterest];
    /// Bitget Earn's histories a full cycle reads unless it is an hourly one in which neither spot nor an Earn wallet
    /// moved: the savings (docs/venues.md §2.14) and shark fin records (§2.16), the crypto loans (§2.17).
    pub const BITGET_EARN: [Stream; 5] = [
        Stream::BitgetSavings,
        Stream::BitgetSharkfin,
        Stream::BitgetLoanOrders,
        Stream::BitgetLoanBorrows,
        Stream::BitgetLoanRepays,
    ];
    /// Bitget's crypto loan histories (docs/venues.md §2.17): an incremental tick reads them when the loan wallet
    /// moved.
    pub const BITGET_LOANS: [Stream; 3] =
        [Stream::BitgetLoanOrders, Stream::BitgetLoanBorrows, Stream::BitgetLoanRepays];

    /// Bitget's isolated margin histories, each per pair (docs/venues.md §2.18): read in full cycles of an account
    /// that uses isolated margin, and for a pair whose wallet moved (docs/sync.md, "Bitget isolated margin").
    pub const BITGET_ISOLATED: [Stream; 3] =
        [Stream::BitgetIsolatedFlow, Stream::BitgetIsolatedInterest, Stream::BitgetIsolatedFills];

    /// Streams that do not depend on discovered assets, per account mode, in the order they run.
    pub fn independent(mode: AccountMode) -> &'static [Stream] {
        match mode {
            AccountMode::Binance => &[
                Stream::BinanceDeposits,
                Stream::BinanceWithdrawals,
                Stream::BinanceTransfers,
                Stream::BinanceConverts,
                Stream::BinanceDust,
                Stream::BinanceDividends,
                Stream::BinanceFiatDeposits,
                Stream::BinanceFiatWithdrawals,
                Stream::BinanceFiatBuys,
                Stream::BinanceFiatSells,
                Stream::BinanceP2p,
                Stream::BinancePay,
                Stream::BinanceEarnFlexibleSubscriptions,
                Stream::BinanceEarnFlexibleRedemptions,
                Stream::BinanceEarnFlexibleRewards,
                Stream::BinanceEarnLockedSubscriptions,
                Stream::BinanceEarnLockedRedemptions,
                Stream::BinanceEarnLockedRewards,
                Stream::BinanceIncome,
                Stream::BinanceCoinmIncome,
                Stream::BinanceEthStakings,
                Stream::BinanceEthRedemptions,
                Stream::BinanceBethRewards,
                Stream::BinanceWbethWraps,
                Stream::BinanceWbethUnwraps,
                Stream::BinanceSolStakings,
                Stream::BinanceSolRedemptions,
                Stream::BinanceSolBoostClaims,
            ],
            AccountMode::BitgetClassic => &[
                Stream::BitgetDeposits,
                Stream::BitgetWithdrawals,
                Stream::BitgetSpotFills,
                Stream::BitgetConverts,
                Stream::BitgetBgbConverts,
                Stream::BitgetFuturesBills,
                Stream::BitgetFuturesFills,
                // Earn savings (docs/venues.md §2.14): a full cycle's unless it is an hourly one in which neither the
                // earn nor the spot wallet moved
                Stream::BitgetSavings,
                // Earn shark fin (docs/venues.md §2.16): as the savings records, with the shark fin wallet
                Stream::BitgetSharkfin,
                // Earn crypto loans (docs/venues.md §2.17): as the savings records, with the loan wallet
                Stream::BitgetLoanOrders,
                Stream::BitgetLoanBorrows,
                Stream::BitgetLoanRepays,
                // full cycles only (an incremental tick reads the streams above): UID-limited, 1 a second each
                Stream::BitgetTaxSpot,
                Stream::BitgetTaxFutures,
                Stream::BitgetTaxMargin,
                Stream::BitgetTaxP2p,
            ],
            AccountMode::BitgetUnified => &[
                Stream::BitgetUnifiedDeposits,
                Stream::BitgetUnifiedWithdrawals,
                Stream::BitgetUnifiedFills,
                Stream::BitgetUnifiedFinancial,
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
            AccountMode::Binance => &[Stream::BinanceLeadIncome],
            AccountMode::BitgetClassic => {
                &[Stream::BitgetCopyFollowerOrders, Stream::BitgetCopyTraderOrders, Stream::BitgetCopyProfitShares]
            }
            AccountMode::BitgetUnified => &[],
        }
    }

    /// How long before the history start the stream's windows begin: Bitget's closed tracking orders are dated
    /// by their opening and listed once they close, so an order that closed after the history start may have opened
    /// up to the venue's longest query (three months) before it (docs/venues.md §2.11). Zero for the others.
    pub fn lookback(self) -> i64 {
        match self {
            Stream::BitgetCopyFollowerOrders | Stream::BitgetCopyTraderOrders => 90 * DAY,
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
    /// [`crate::AccountState::covered_from`]); these run newest first, so what is covered stays contiguous.
    pub older: bool,
}

/// The cursor key of a stream with fixed parameters.
pub fn task_key(stream: Stream, params: &[(&'static str, String)]) -> String {
    let mut key = format!("{stream:?}");
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
        Stream::BinanceSpotTrades | Stream::BinanceFuturesTrades => {
            symbols.iter().map(|s| vec![("symbol", s.clone())]).collect()
        }
        Stream::BitgetUnifiedConverts => coins
            .iter()
            .flat_map(|from| {
                coins
                    .iter()
                    .filter(move |to| *to != from)
                    .map(move |to| vec![("fromCoin", from.clone()), ("toCoin", to.clone())])
            })
            .collect(),
        Stream::BinanceTransfers => {
            venues::parse::binance::TRANSFER_TYPES.iter().map(|(t, _, _)| vec![("type", t.to_string())]).collect()
        }
        Stream::BitgetTransfers => transfer_coins
            .iter()
            .flat_map(|c| {
                venues::parse::bitget::TRANSFER_FROM_TYPES
                    .iter()
                    .map(move |f| vec![("coin", c.clone()), ("fromType", f.to_string())])
            })
            .collect(),
        Stream::BinanceCoinmTrades => symbols.iter().map(|p| vec![("pair", p.clone())]).collect(),
        Stream::BitgetFuturesBills
        | Stream::BitgetFuturesFills
        | Stream::BitgetTaxFutures
        | Stream::BitgetCopyFollowerOrders
        | Stream::BitgetCopyTraderOrders => vec![vec![("productType", "USDT-FUTURES".into())]],
        Stream::BitgetUnifiedFinancial => vec![vec![("category", "USDT-FUTURES".into())]],
        // `type` is mandatory: every kind of reward
        Stream::BinanceEarnFlexibleRewards => vec![vec![("type", "ALL".into())]],
        // what was claimed reached spot; what was distributed and not claimed is not the user's yet
        Stream::BinanceSolBoostClaims => vec![vec![("type", "CLAIM".into())]],
        // `transactionType` is mandatory: 0 deposits or purchases, 1 withdrawals or sales
        Stream::BinanceFiatDeposits | Stream::BinanceFiatBuys => vec![vec![("transactionType", "0".into())]],
        Stream::BinanceFiatWithdrawals | Stream::BinanceFiatSells => vec![vec![("transactionType", "1".into())]],
        // `type` is mandatory
        Stream::BinanceMarginBorrows => vec![vec![("type", "BORROW".into())]],
        Stream::BinanceMarginRepays => vec![vec![("type", "REPAY".into())]],
        Stream::BinanceMarginTrades
        | Stream::BitgetMarginFills
        | Stream::BitgetIsolatedFlow
        | Stream::BitgetIsolatedInterest
        | Stream::BitgetIsolatedFills => symbols.iter().map(|s| vec![("symbol", s.clone())]).collect(),
        // the margin tax record's default is `crossed`
        Stream::BitgetTaxIsolated => vec![vec![("marginType", "isolated".into())]],
        // `periodType` is mandatory: flexible and fixed-term products are read apart
        Stream::BitgetSavings => {
            venues::parse::bitget::SAVINGS_PERIODS.iter().map(|p| vec![("periodType", p.to_string())]).collect()
        }
        // `type` is mandatory: subscriptions, redemptions and interest are read apart
        Stream::BitgetSharkfin => {
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
        let spec = Stream::BinanceConverts.spec();
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
        assert_eq!(windows(&Stream::BinanceDust.spec(), 0, 10), vec![None]);
    }

    #[test]
    fn required_windows_fit_the_venues_spans() {
        // Bitget convert history needs startTime and endTime at most 90 days apart: 90 days of history is one
        // window; unified converts take 30 days per query; futures fills a week (Binance and Bitget)
        let now = 1000 * DAY;
        let history_start = now - 90 * DAY + DAY / 24;
        for (stream, n, max) in [
            (Stream::BitgetConverts, 1, 90 * DAY),
            (Stream::BitgetBgbConverts, 1, 90 * DAY),
            (Stream::BitgetUnifiedConverts, 3, 30 * DAY),
            (Stream::BinanceFuturesTrades, 13, 7 * DAY),
            (Stream::BitgetFuturesFills, 13, 7 * DAY),
            (Stream::BinanceCoinmTrades, 13, 7 * DAY),
            (Stream::BinanceCoinmIncome, 1, 365 * DAY),
        ] {
            let spec = stream.spec();
            let w = windows(&spec, start_of(&spec, None, history_start, now), now);
            assert_eq!(w.len(), n, "{stream:?}");
            assert!(w.iter().flatten().all(|(s, e)| e - s < max), "{stream:?}");
        }
        let pairs = instances(Stream::BitgetUnifiedConverts, &[], &["BTC".into(), "ETH".into(), "USDT".into()]);
        assert_eq!(pairs.len(), 6);
        assert!(pairs.contains(&vec![("fromCoin", "USDT".into()), ("toCoin", "BTC".into())]));
    }

    #[test]
    fn incremental_starts_respect_overlap_and_retention() {
        let now = 1000 * DAY;
        let deposits = Stream::BinanceDeposits.spec();
        assert_eq!(start_of(&deposits, Some(990 * DAY), 0, now), 990 * DAY + 1 - 7 * DAY);
        assert_eq!(start_of(&deposits, None, 800 * DAY, now), 800 * DAY);
        let income = Stream::BinanceIncome.spec();
        assert!(start_of(&income, None, 0, now) > now - 90 * DAY);
    }

    /// A copy-trading account's streams (docs/venues.md §1.17, §2.11): a lead portfolio's income on the futures
    /// host, Bitget's tracking orders read from three months before the history start (dated by their opening,
    /// listed at their close) and again for three months on each full cycle, profit shares from the start.
    #[test]
    fn copy_trading_streams_reach_back_for_orders_opened_before_the_history() {
        assert_eq!(Stream::copy_trading(AccountMode::Binance), [Stream::BinanceLeadIncome]);
        assert_eq!(Stream::BinanceLeadIncome.spec().endpoint.host, catalogue::Host::BinanceFutures);
        assert!(Stream::copy_trading(AccountMode::BitgetUnified).is_empty());
        let now = 1000 * DAY;
        let history_start = now - 30 * DAY;
        for stream in Stream::copy_trading(AccountMode::BitgetClassic) {
            let spec = stream.spec();
            let from = start_of(&spec, None, history_start - stream.lookback(), now);
            let w = windows(&spec, from, now);
            assert!(w.iter().flatten().all(|(s, e)| e - s < 90 * DAY), "{stream:?}");
            let orders = *stream != Stream::BitgetCopyProfitShares;
            assert_eq!(from, if orders { history_start - 90 * DAY } else { history_start }, "{stream:?}");
            assert_eq!(spec.overlap, if orders { 90 * DAY } else { 0 }, "{stream:?}");
        }
    }

    #[test]
    fn every_stream_reads_an_endpoint_of_its_venue() {
        use Stream::*;
        for s in [
            BinanceSpotTrades,
            BinanceDeposits,
            BinanceWithdrawals,
            BinanceTransfers,
            BinanceConverts,
            BinanceDust,
            BinanceIncome,
            BitgetSpotFills,
            BitgetDeposits,
            BitgetWithdrawals,
            BitgetTransfers,
            BitgetFuturesBills,
            BitgetUnifiedFills,
            BitgetUnifiedFinancial,
            BitgetUnifiedDeposits,
            BitgetUnifiedWithdrawals,
            BinanceFuturesTrades,
            BitgetFuturesFills,
            BitgetConverts,
            BitgetBgbConverts,
            BitgetUnifiedConverts,
        ]
        .into_iter()
        .chain(Stream::BINANCE_EARN)
        .chain([BinanceDividends, BinanceCoinmIncome, BinanceCoinmTrades])
        .chain([BinanceFiatDeposits, BinanceFiatWithdrawals, BinanceFiatBuys, BinanceFiatSells, BinanceP2p, BinancePay])
        .chain(Stream::BINANCE_STAKING)
        .chain([BinanceLeadIncome, BitgetCopyFollowerOrders, BitgetCopyTraderOrders, BitgetCopyProfitShares])
        .chain(Stream::BINANCE_MARGIN)
        .chain([BinanceMarginTrades])
        .chain([BitgetTaxSpot, BitgetTaxFutures, BitgetTaxMargin, BitgetTaxP2p])
        .chain([BitgetSavings])
        .chain(Stream::BITGET_MARGIN)
        .chain([BitgetMarginFills])
        .chain(Stream::BITGET_ISOLATED)
        .chain([BitgetTaxIsolated])
        .chain([BitgetMarginFills, BitgetSharkfin, BitgetLoanOrders, BitgetLoanBorrows, BitgetLoanRepays])
        {
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
        // as a map key (`AccountState::fiat_orders_at`) and at the start of a cursor key
        let at: std::collections::BTreeMap<Stream, i64> =
            [(Stream::BinanceFiatWithdrawals, 2), (Stream::BinanceFiatDeposits, 1)].into();
        let json = serde_json::to_string(&at).unwrap();
        assert_eq!(json, r#"{"BinanceFiatDeposits":1,"BinanceFiatWithdrawals":2}"#);
        assert_eq!(serde_json::from_str::<std::collections::BTreeMap<Stream, i64>>(&json).unwrap(), at);
        assert_eq!(task_key(Stream::BinanceSpotTrades, &[("symbol", "BTCUSDT".into())]), "BinanceSpotTrades:BTCUSDT");
        assert!(serde_json::from_str::<Stream>(r#""BinanceNoSuchStream""#).is_err());
    }
}
