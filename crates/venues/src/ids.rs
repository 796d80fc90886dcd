//! Stable event ids: `{account}:{stream}:{venue row id}`, e.g. `binance/main/spot:trade:BTCUSDT:28457`,
//! `binance/main/usdm:income:FUNDING_FEE:9689322392`, `bitget/main/futures:bill:1:fee`. The same venue row always
//! gives the same id, so a re-sync or an overlapping window never duplicates an event.
//!
//! The scheme is the one the simulated venues' ground truth states (crates/simvenues/src/truth.rs):
//!
//! | stream | id |
//! |---|---|
//! | Binance spot fill | `{acct}:trade:{symbol}:{id}` (Binance trade ids are unique per symbol) |
//! | Binance deposit / withdrawal | `{acct}:deposit:{id}` / `{acct}:withdrawal:{id}` |
//! | Binance transfer | `{from acct}:transfer:{type}:{tranId}` |
//! | Binance convert | `{acct}:convert:{orderId}` |
//! | Binance dust | `{acct}:dust:{transId}:{fromAsset}` |
//! | Binance futures income | `{acct}:income:{incomeType}:{tranId}` (tranId is unique per income type) |
//! | Bitget spot / unified spot fill | `{acct}:trade:{symbol}:{tradeId or execId}` |
//! | Bitget unified futures fill | `{acct}:fill:{execId}:fee`, `{acct}:fill:{execId}:pnl` |
//! | Bitget deposit / withdrawal | `{acct}:deposit:{orderId}` / `{acct}:withdrawal:{orderId}` |
//! | Bitget transfer | `{from acct}:transfer:{transferId}` |
//! | Bitget futures bill | funding `{acct}:bill:{billId}`; trade bills `{acct}:bill:{billId}:fee` and `:pnl` |
//! | Bitget unified financial record | funding `{acct}:funding:{id}`, other `{acct}:record:{id}` |
//! | Binance / Bitget futures fill (informational) | `{acct}:futures_trade:{symbol}:{id or tradeId or execId}` |
//! | Bitget convert / BGB convert | `{acct}:convert:{id}` / `{acct}:bgb_convert:{orderId}` |
//! | Binance asset dividend | `{spot acct}:dividend:{id}` |
//! | Binance fiat deposit / withdrawal | `{spot acct}:fiat_deposit:{orderNo}` / `{spot acct}:fiat_withdrawal:{orderNo}` |
//! | Binance card or bank purchase / sale | `{spot acct}:fiat_payment:{orderNo}:` then `deposit`, `trade` (buy) or `trade`, `withdrawal` (sale) |
//! | Binance P2P buy / sell | `{funding acct}:p2p:{orderNumber}:` then `deposit`, `trade` (BUY) or `trade`, `withdrawal` (SELL) |
//! | Binance Pay | `{acct of walletType}:pay:{transactionId}` |
//! | Binance ETH / SOL staking, redemption, WBETH wrap / unwrap (no row id) | `{spot acct}:eth_stake:{time}:{amount}`, `eth_redemption`, `sol_stake`, `sol_redemption`, `wbeth_wrap`, `wbeth_unwrap` (the time and amount of what left) |
//! | Binance BETH reward | `{spot acct}:beth_reward:{time}:{amount}` |
//! | Binance Simple Earn subscription | `{from acct}:earn_subscription:{flexible or locked}:{purchaseId}` |
//! | Binance Simple Earn redemption | `{earn acct}:earn_redemption:{flexible or locked}:{redeemId}` |
//! | Binance locked redemption's interest | `{receiving acct}:earn_interest:locked:{redeemId}` |
//! | Binance Simple Earn reward (rows have no id) | `{acct}:earn_reward:{product}:{projectId or positionId}:{type}:{time}:{asset}` |
//! | Bitget unified convert (rows have no id) | `{acct}:convert:{fromCoin}:{toCoin}:{ts}:{fromCoinSize}:{toCoinSize}` |
//! | Binance margin fill (cross or isolated) | `{margin or isolated-SYMBOL acct}:trade:{symbol}:{id}` |
//! | Binance margin borrow / repay | `{acct}:borrow:{txId}` / `{acct}:repay:{txId}` |
//! | Binance margin interest (one borrow's `txId` charges hourly) | `{acct}:interest:{txId}:{asset}:{interestAccuredTime}` |
//! | Binance margin capital flow no stream books | `{acct}:capital_flow:{type}:{id}` |

use ledger::AccountId;

/// `{account}:{stream}:{row id}`.
pub fn row(account: &AccountId, stream: &str, id: &str) -> String {
    format!("{account}:{stream}:{id}")
}

/// `{account}:{stream}:{symbol}:{row id}` (Bitget fills).
pub fn symbol_row(account: &AccountId, stream: &str, symbol: &str, id: &str) -> String {
    format!("{account}:{stream}:{symbol}:{id}")
}

/// A Binance universal transfer: the type is part of the id, as the ground truth writes it.
pub fn binance_transfer(account: &AccountId, transfer_type: &str, tran_id: &str) -> String {
    format!("{account}:transfer:{transfer_type}:{tran_id}")
}

/// A Binance spot fill.
pub fn binance_trade(account: &AccountId, symbol: &str, id: u64) -> String {
    format!("{account}:trade:{symbol}:{id}")
}

/// One asset of a Binance dust conversion.
pub fn dust(account: &AccountId, trans_id: &str, from_asset: &str) -> String {
    format!("{account}:dust:{trans_id}:{from_asset}")
}

/// A Binance futures income row.
pub fn income(account: &AccountId, income_type: &str, tran_id: &str) -> String {
    format!("{account}:income:{income_type}:{tran_id}")
}

/// A Binance Simple Earn row: `{account}:{stream}:{flexible or locked}:{row id}`.
pub fn earn(account: &AccountId, stream: &str, product: &str, id: &str) -> String {
    format!("{account}:{stream}:{product}:{id}")
}
