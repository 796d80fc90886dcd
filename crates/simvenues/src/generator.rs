//! The deterministic generator: from a seed, a size and an anchor day, the accounts of both venues with their full
//! histories (fills, futures positions with funding, deposits, withdrawals, internal transfers, Binance-to-Bitget
//! transfers, convert and dust trades) and the prices they traded at.
//!
//! Each account lives on one timeline of unique milliseconds; every row id is derived from the row's time and the
//! account's index (`BASE + (time - start) * 16 + index`), so ids grow with time, never collide, and are the same
//! on every run of the same seed, size and anchor.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::keys::{AccountMode, DemoKey, KeyType, Profile, Secret, Venue};
use crate::market::{DAY, HOUR, MINUTE, Market};
use crate::rng::{SplitMix64, hash_str, mix};

mod fiat;
pub use fiat::{FiatOrder, FiatPayment, P2pOrder, PayTx};
mod staking;
pub use staking::{StakingKind, StakingRow};
mod copy;
pub use copy::{CopyOrder, CopyRole, LEAD_PROFIT_SHARE, ProfitShare, STRATEGY_TRANSFER};
mod margin;
pub use margin::{MarginFlow, MarginInterest, MarginLiquidation, MarginLoan};
mod savings;
pub use savings::SavingsRecord;
mod bitget_isolated;
mod sharkfin;
pub use sharkfin::SharkfinRecord;
mod earn_loan;
pub use earn_loan::{EarnLoan, EarnLoanRepay};
mod bitget_margin;
mod isolated;
pub use bitget_isolated::{BITGET_ISOLATED_PAIR, BITGET_ISOLATED_WALLET};
pub use bitget_margin::{BITGET_MARGIN_PAIR, BitgetMargin, BitgetMarginFlow, BitgetMarginInterest};
pub use isolated::{ISOLATED_PAIR, ISOLATED_WALLET, IsolatedPair};

/// Balances of one wallet: asset -> amount.
pub type Balances = BTreeMap<String, Decimal>;

/// How much history to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// A believable demo portfolio: two data accounts per venue, a few hundred events each.
    Small,
    /// Tens of thousands of fills.
    Medium,
    /// About a million fills.
    Large,
    /// A handful of events (fast unit tests).
    Tiny,
}

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tiny" => Ok(Size::Tiny),
            "small" => Ok(Size::Small),
            "medium" => Ok(Size::Medium),
            "large" => Ok(Size::Large),
            other => Err(format!("unknown size {other:?}: use tiny, small, medium or large")),
        }
    }
}

/// The numbers behind a [`Size`].
#[derive(Clone, Copy, Debug)]
pub struct SizeSpec {
    /// Accounts with generated history per venue (besides the refusal-journey and IP-restricted ones).
    pub data_accounts: usize,
    /// Days of history (kept under the venues' 90-day look-back so every row stays fetchable).
    pub days: i64,
    /// Average spot fills per 1000 days per data account.
    pub spot_fills_per_kday: u64,
    /// Average futures fills per 1000 days per data account.
    pub futures_fills_per_kday: u64,
}

impl Size {
    /// The numbers of this size.
    pub fn spec(self) -> SizeSpec {
        match self {
            Size::Tiny => {
                SizeSpec { data_accounts: 1, days: 6, spot_fills_per_kday: 2000, futures_fills_per_kday: 1000 }
            }
            Size::Small => {
                SizeSpec { data_accounts: 2, days: 85, spot_fills_per_kday: 1000, futures_fills_per_kday: 250 }
            }
            Size::Medium => {
                SizeSpec { data_accounts: 3, days: 85, spot_fills_per_kday: 30_000, futures_fills_per_kday: 10_000 }
            }
            Size::Large => {
                SizeSpec { data_accounts: 3, days: 85, spot_fills_per_kday: 1_600_000, futures_fills_per_kday: 400_000 }
            }
        }
    }
}

/// Which side of the book.
pub type Symbol = Arc<str>;

/// A Binance spot fill (`GET /api/v3/myTrades` row).
#[derive(Clone, Debug)]
pub struct SpotFill {
    /// Trade id (per symbol at the venue).
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Time, ms.
    pub time: i64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Quote quantity.
    pub quote_qty: Decimal,
    /// Commission.
    pub commission: Decimal,
    /// Asset of the commission.
    pub commission_asset: Symbol,
    /// Bought the base.
    pub is_buyer: bool,
    /// Maker side.
    pub is_maker: bool,
}

/// A futures fill (Binance `userTrades` row, Bitget `fill-history` row).
#[derive(Clone, Debug)]
pub struct FuturesFill {
    /// Trade id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Time, ms.
    pub time: i64,
    /// Contract symbol.
    pub symbol: Symbol,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Realized PnL of the fill (0 when opening).
    pub realized_pnl: Decimal,
    /// Commission, positive = paid, in USDT.
    pub commission: Decimal,
    /// Buy side.
    pub buyer: bool,
    /// Maker side.
    pub maker: bool,
    /// Opening (true) or reducing (false) the position.
    pub opening: bool,
    /// Position side afterwards/before: long (true) or short.
    pub long: bool,
}

/// A Binance futures income row.
#[derive(Clone, Debug)]
pub struct Income {
    /// tranId (unique within the income type).
    pub tran_id: u64,
    /// `REALIZED_PNL`, `COMMISSION`, `FUNDING_FEE`, `TRANSFER`.
    pub income_type: &'static str,
    /// Signed amount.
    pub income: Decimal,
    /// Asset.
    pub asset: Symbol,
    /// Symbol, empty for transfers.
    pub symbol: Option<Symbol>,
    /// Time, ms.
    pub time: i64,
    /// Trade id for fills.
    pub trade_id: Option<u64>,
}

/// A deposit (both venues).
#[derive(Clone, Debug)]
pub struct Deposit {
    /// Venue row id.
    pub id: u64,
    /// Coin.
    pub coin: Symbol,
    /// Amount credited.
    pub amount: Decimal,
    /// Network.
    pub network: &'static str,
    /// Deposit address.
    pub address: String,
    /// Transaction hash.
    pub txid: String,
    /// Time, ms.
    pub time: i64,
}

/// A withdrawal (both venues).
#[derive(Clone, Debug)]
pub struct Withdrawal {
    /// Venue row id (Binance: 32 hex characters; Bitget: number).
    pub id: String,
    /// Coin.
    pub coin: Symbol,
    /// Amount sent (fee excluded).
    pub amount: Decimal,
    /// Fee on top.
    pub fee: Decimal,
    /// Network.
    pub network: &'static str,
    /// Destination.
    pub address: String,
    /// Transaction hash.
    pub txid: String,
    /// Time, ms.
    pub time: i64,
    /// Completion time, ms.
    pub complete_time: i64,
}

/// A transfer between two wallets of one account.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// tranId / transferId.
    pub id: u64,
    /// Sending wallet (`spot`, `funding`, `usdm`, `futures`).
    pub from: &'static str,
    /// Receiving wallet.
    pub to: &'static str,
    /// Asset.
    pub asset: Symbol,
    /// Amount.
    pub amount: Decimal,
    /// Time, ms.
    pub time: i64,
}

/// A Binance convert trade.
#[derive(Clone, Debug)]
pub struct Convert {
    /// quoteId.
    pub quote_id: String,
    /// orderId (larger than 2^53).
    pub order_id: u64,
    /// Spent asset.
    pub from_asset: Symbol,
    /// Spent amount.
    pub from_amount: Decimal,
    /// Received asset.
    pub to_asset: Symbol,
    /// Received amount.
    pub to_amount: Decimal,
    /// Time, ms.
    pub time: i64,
}

/// One asset converted in a Binance dust conversion.
#[derive(Clone, Debug)]
pub struct DustDetail {
    /// Asset converted.
    pub from_asset: Symbol,
    /// Amount of it.
    pub amount: Decimal,
    /// BNB received, net of the charge.
    pub transfered: Decimal,
    /// BNB charged.
    pub service_charge: Decimal,
}

/// A Binance dust conversion.
#[derive(Clone, Debug)]
pub struct Dribblet {
    /// transId.
    pub trans_id: u64,
    /// Time, ms.
    pub time: i64,
    /// Per-asset details.
    pub details: Vec<DustDetail>,
}

/// An open futures position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Position {
    /// Signed size (negative = short).
    pub amt: Decimal,
    /// Average entry price.
    pub entry: Decimal,
    /// Last change, ms.
    pub update_time: i64,
}

/// A Bitget spot fill.
#[derive(Clone, Debug)]
pub struct BitgetSpotFill {
    /// tradeId.
    pub id: u64,
    /// orderId.
    pub order_id: u64,
    /// Symbol.
    pub symbol: Symbol,
    /// Time, ms.
    pub time: i64,
    /// Price.
    pub price: Decimal,
    /// Base size.
    pub size: Decimal,
    /// Quote amount.
    pub amount: Decimal,
    /// Buy side.
    pub buy: bool,
    /// Fee (positive here; the venue shows it negative), in the received coin.
    pub fee: Decimal,
    /// Fee coin.
    pub fee_coin: Symbol,
    /// Maker side.
    pub maker: bool,
}

/// A Bitget account bill (spot `bills`, mix `bill`, v3 `financial-records`).
#[derive(Clone, Debug)]
pub struct Bill {
    /// billId / record id.
    pub id: u64,
    /// Time, ms.
    pub time: i64,
    /// Coin.
    pub coin: Symbol,
    /// Symbol, when the bill has one.
    pub symbol: Option<Symbol>,
    /// Venue business type (`open_long`, `contract_settle_fee`, `BUY`, `DEPOSIT`...).
    pub business_type: &'static str,
    /// Spot bills: group type.
    pub group_type: &'static str,
    /// Signed amount (mix: realized PnL or funding; spot: size change).
    pub amount: Decimal,
    /// Signed fee (negative = paid).
    pub fee: Decimal,
    /// Balance after.
    pub balance: Decimal,
}

/// A Bitget convert: classic `GET /api/v2/convert/convert-record` or unified `GET /api/v3/account/convert-records`.
#[derive(Clone, Debug)]
pub struct BitgetConvert {
    /// Record id (classic `id`; unified rows show none, it is the paging cursor).
    pub id: u64,
    /// Time, ms.
    pub time: i64,
    /// Spent coin.
    pub from_coin: Symbol,
    /// Spent amount.
    pub from_size: Decimal,
    /// Received coin.
    pub to_coin: Symbol,
    /// Received amount.
    pub to_size: Decimal,
    /// Received per spent unit.
    pub price: Decimal,
}

/// A Bitget small-balance conversion to BGB (`GET /api/v2/convert/bgb-convert-records`), one coin per record.
#[derive(Clone, Debug)]
pub struct BgbConvert {
    /// orderId.
    pub order_id: u64,
    /// Time, ms.
    pub time: i64,
    /// Coin converted.
    pub from_coin: Symbol,
    /// Amount of it (all of it).
    pub from_amount: Decimal,
    /// Its USDT price.
    pub from_price: Decimal,
    /// BGB before the fee (worth the converted amount).
    pub to_amount: Decimal,
    /// BGB's USDT price.
    pub to_price: Decimal,
    /// BGB charged (2 % of `to_amount`); the wallet gets `to_amount - fee`.
    pub fee: Decimal,
}

/// A Binance asset dividend (airdrop, distribution) credited to spot.
#[derive(Clone, Debug)]
pub struct Dividend {
    /// Row id.
    pub id: u64,
    /// tranId.
    pub tran_id: u64,
    /// Asset credited.
    pub asset: Symbol,
    /// Amount.
    pub amount: Decimal,
    /// `enInfo`.
    pub info: String,
    /// divTime, ms.
    pub time: i64,
}

/// What a Simple Earn row does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarnKind {
    /// A subscription from spot: `AUTO` (auto-subscribe) or `NORMAL`.
    Subscribe {
        /// Made by auto-subscribe.
        auto: bool,
    },
    /// A redemption to spot paying `amount`; `principal` is what left the position (a locked redemption may pay
    /// more: interest no reward row reported).
    Redeem {
        /// The principal redeemed.
        principal: Decimal,
    },
    /// A reward: flexible ones compound into the position, locked ones are paid to spot.
    Reward,
}

/// A Binance Simple Earn row (docs/venues.md §1.12).
#[derive(Clone, Debug)]
pub struct EarnRow {
    /// purchaseId or redeemId (0 for a reward, whose rows have no id).
    pub id: u64,
    /// A locked product (else flexible).
    pub locked: bool,
    /// productId (flexible, `USDT001`) or projectId (locked, `BTC*30`).
    pub product: String,
    /// Locked position id (0 for flexible).
    pub position_id: u64,
    /// Lock period in days (0 for flexible).
    pub lock_days: i64,
    /// Asset.
    pub asset: Symbol,
    /// Subscribed, paid out, or rewarded.
    pub amount: Decimal,
    /// What the row does.
    pub kind: EarnKind,
    /// Time, ms.
    pub time: i64,
}

/// One Binance account (one uid): spot, funding and USDⓈ-M wallets and their histories.
#[derive(Clone, Debug, Default)]
pub struct BinanceAccount {
    /// Label: the key label and the middle part of ledger account ids.
    pub label: String,
    /// Venue uid.
    pub uid: u64,
    /// Index in the id scheme.
    pub index: u64,
    /// Wallets: `spot`, `funding`, `usdm`.
    pub wallets: BTreeMap<&'static str, Balances>,
    /// Spot fills per symbol, chronological.
    pub trades: BTreeMap<Symbol, Vec<SpotFill>>,
    /// Deposits, chronological.
    pub deposits: Vec<Deposit>,
    /// Withdrawals, chronological.
    pub withdrawals: Vec<Withdrawal>,
    /// Universal transfers, chronological.
    pub transfers: Vec<Transfer>,
    /// Convert trades.
    pub converts: Vec<Convert>,
    /// Dust conversions.
    pub dribblets: Vec<Dribblet>,
    /// Futures fills per symbol.
    pub futures_trades: BTreeMap<Symbol, Vec<FuturesFill>>,
    /// Futures income, chronological.
    pub income: Vec<Income>,
    /// Open positions.
    pub positions: BTreeMap<Symbol, Position>,
    /// Simple Earn subscriptions, redemptions and rewards, chronological.
    pub earn: Vec<EarnRow>,
    /// Asset dividends, chronological.
    pub dividends: Vec<Dividend>,
    /// Fiat deposits and withdrawals, chronological (docs/venues.md §1.15).
    pub fiat_orders: Vec<FiatOrder>,
    /// Card and bank purchases and sales, chronological.
    pub fiat_payments: Vec<FiatPayment>,
    /// P2P orders, chronological.
    pub p2p: Vec<P2pOrder>,
    /// Binance Pay transactions, chronological.
    pub pay: Vec<PayTx>,
    /// COIN-M fills per contract symbol (`BTCUSD_PERP`), chronological: `qty` in contracts, realized PnL and
    /// commission in the margin coin (docs/venues.md §1.14).
    pub coinm_trades: BTreeMap<Symbol, Vec<FuturesFill>>,
    /// COIN-M income rows, chronological, in the margin coin.
    pub coinm_income: Vec<Income>,
    /// Open COIN-M positions: signed contracts and entry price.
    pub coinm_positions: BTreeMap<Symbol, Position>,
    /// ETH and SOL staking rows, chronological (docs/venues.md §1.16).
    pub staking: Vec<StakingRow>,
    /// A lead portfolio (docs/venues.md §1.17): its key is registered as copy-trading, its `TRANSFER` and
    /// `STRATEGY_UMFUTURES_TRANSFER` income rows are its money in and out.
    pub copy_trading: bool,
    /// Cross margin fills per symbol, chronological (docs/venues.md §1.18).
    pub margin_trades: BTreeMap<Symbol, Vec<SpotFill>>,
    /// Cross margin borrows and repays, chronological.
    pub margin_loans: Vec<MarginLoan>,
    /// Cross margin interest charged, chronological.
    pub margin_interest: Vec<MarginInterest>,
    /// The cross margin account's capital flow, chronological.
    pub margin_flows: Vec<MarginFlow>,
    /// Cross margin liquidation orders, chronological.
    pub margin_liquidations: Vec<MarginLiquidation>,
    /// Isolated margin pairs by symbol, from the first transfer into one (docs/venues.md §1.18).
    pub isolated: BTreeMap<Symbol, IsolatedPair>,
}

/// A COIN-M contract the simulated Binance lists: an inverse perpetual margined in its base coin.
#[derive(Clone, Copy, Debug)]
pub struct CoinmContract {
    /// Contract symbol (`BTCUSD_PERP`).
    pub symbol: &'static str,
    /// Pair (`BTCUSD`).
    pub pair: &'static str,
    /// Base and margin coin.
    pub coin: &'static str,
    /// USD per contract.
    pub contract_size: u32,
    /// The spot symbol whose price stands for its index.
    pub index: &'static str,
}

/// The COIN-M contracts listed (docs/venues.md §1.14: BTC contracts are worth 100 USD, the others 10).
pub const COINM_CONTRACTS: [CoinmContract; 2] = [
    CoinmContract { symbol: "BTCUSD_PERP", pair: "BTCUSD", coin: "BTC", contract_size: 100, index: "BTCUSDT" },
    CoinmContract { symbol: "ETHUSD_PERP", pair: "ETHUSD", coin: "ETH", contract_size: 10, index: "ETHUSDT" },
];

/// The listed COIN-M contract `symbol`.
pub fn coinm_contract(symbol: &str) -> Option<&'static CoinmContract> {
    COINM_CONTRACTS.iter().find(|c| c.symbol == symbol)
}

/// One Bitget account (one uid), classic or unified.
#[derive(Clone, Debug)]
pub struct BitgetAccount {
    /// Label.
    pub label: String,
    /// Venue uid.
    pub uid: u64,
    /// Index in the id scheme.
    pub index: u64,
    /// Classic (v2) or unified (v3).
    pub mode: AccountMode,
    /// Wallets: `spot`, `futures` (classic) or `unified`.
    pub wallets: BTreeMap<&'static str, Balances>,
    /// Spot fills, chronological.
    pub spot_fills: Vec<BitgetSpotFill>,
    /// Deposits.
    pub deposits: Vec<Deposit>,
    /// Withdrawals.
    pub withdrawals: Vec<Withdrawal>,
    /// Spot <-> futures transfers.
    pub transfers: Vec<Transfer>,
    /// Spot bills (classic) or SPOT financial records (unified).
    pub spot_bills: Vec<Bill>,
    /// Converts (classic v2 or unified v3).
    pub converts: Vec<BitgetConvert>,
    /// Small balances converted to BGB (classic only).
    pub bgb_converts: Vec<BgbConvert>,
    /// USDT-M fills.
    pub mix_fills: Vec<FuturesFill>,
    /// USDT-M bills (classic) or USDT-FUTURES financial records (unified).
    pub mix_bills: Vec<Bill>,
    /// Open positions.
    pub positions: BTreeMap<Symbol, Position>,
    /// A copy-trading account's side (docs/venues.md §2.11), `None` for a regular one.
    pub copy_role: Option<CopyRole>,
    /// Closed tracking orders (copy-trading accounts), by `trackingNo`.
    pub copy_orders: Vec<CopyOrder>,
    /// Profit shares received (a trader), chronological.
    pub profit_shares: Vec<ProfitShare>,
    /// Income only the tax records show (classic accounts: an airdrop and a rebate reward, docs/venues.md §2.13):
    /// `business_type` is the spot tax record's type.
    pub tax_only: Vec<Bill>,
    /// Classic accounts' COIN-M and USDC-M futures (docs/venues.md §2.12), by wallet (`coinm`, `usdcm`).
    pub product_futures: BTreeMap<&'static str, ProductFutures>,
    /// Earn savings records (classic accounts, docs/venues.md §2.14), chronological.
    pub savings: Vec<SavingsRecord>,
    /// Classic accounts' cross margin (docs/venues.md §2.15): finance flow, interest, fills; a unified account's
    /// margin (§2.8), the same records of its one wallet.
    pub margin: BitgetMargin,
    /// Classic accounts' isolated margin on [`BITGET_ISOLATED_PAIR`] (docs/venues.md §2.18): the cross margin rows,
    /// of that pair.
    pub isolated: BitgetMargin,
    /// Earn shark fin records (classic accounts, docs/venues.md §2.16), chronological.
    pub sharkfin: Vec<SharkfinRecord>,
    /// Earn crypto loans (classic accounts, docs/venues.md §2.17), by borrow time.
    pub earn_loans: Vec<EarnLoan>,
}

/// A Bitget classic account's COIN-M or USDC-M futures (docs/venues.md §2.12): fills, bills (the transfer in, the
/// trades' fees and realized PnL, funding) and the open position, all in the product's margin coin.
#[derive(Clone, Debug, Default)]
pub struct ProductFutures {
    /// Fills, chronological.
    pub fills: Vec<FuturesFill>,
    /// Bills, chronological.
    pub bills: Vec<Bill>,
    /// Open positions.
    pub positions: BTreeMap<Symbol, Position>,
}

/// A Bitget product type other than USDT-M that the generator trades.
#[derive(Clone, Copy, Debug)]
pub struct BitgetProduct {
    /// The wallet (`coinm`, `usdcm`).
    pub wallet: &'static str,
    /// `productType`.
    pub product_type: &'static str,
    /// The contract traded.
    pub contract: &'static str,
    /// The margin coin.
    pub coin: &'static str,
    /// The market it is marked and filled by.
    pub index: &'static str,
    /// The margin deposited (mantissa, scale).
    pub deposit: (i64, u32),
    /// The size opened (mantissa, scale).
    pub size: (i64, u32),
}

/// The Bitget product types other than USDT-M the generator trades (docs/venues.md §2.12).
pub const BITGET_PRODUCTS: [BitgetProduct; 2] = [
    BitgetProduct {
        wallet: "coinm",
        product_type: "COIN-FUTURES",
        contract: "BTCUSD",
        coin: "BTC",
        index: "BTCUSDT",
        deposit: (5, 2),
        size: (2, 2),
    },
    BitgetProduct {
        wallet: "usdcm",
        product_type: "USDC-FUTURES",
        contract: "BTCPERP",
        coin: "USDC",
        index: "BTCUSDT",
        deposit: (2000, 0),
        size: (2, 2),
    },
];

/// The whole generated world.
#[derive(Debug)]
pub struct World {
    /// Seed.
    pub seed: u64,
    /// Size.
    pub size: Size,
    /// First day of history, ms.
    pub start: i64,
    /// End of history (the anchor day), ms.
    pub end: i64,
    /// Prices (shared with the world's views at earlier times, see [`crate::stage`]).
    pub market: Arc<Market>,
    /// Binance spot symbols.
    pub binance_spot: Vec<Symbol>,
    /// Binance spot symbols exchangeInfo no longer lists, whose `myTrades` the venue still serves (unless
    /// `Settings::delisted_trades_served` is off): traded by every data account early on (docs/venues.md §1.6).
    pub binance_delisted: Vec<Symbol>,
    /// Binance USDⓈ-M symbols.
    pub binance_futures: Vec<Symbol>,
    /// Bitget spot symbols.
    pub bitget_spot: Vec<Symbol>,
    /// Bitget USDT-M symbols.
    pub bitget_futures: Vec<Symbol>,
    /// Binance's markets for prices only: the fiat ones ([`crate::market::BINANCE_FIAT`]) and the staking receipt
    /// tokens' ([`crate::market::BINANCE_RECEIPT`]): market data (klines, ticker), not in exchangeInfo, so the
    /// generated accounts' sync reads and costs stay those of their traded symbols.
    pub binance_price_only: Vec<Symbol>,
    /// Bitget's fiat markets ([`crate::market::BITGET_FIAT`]), for its candles.
    pub bitget_fiat: Vec<Symbol>,
    /// Binance accounts.
    pub binance: Vec<BinanceAccount>,
    /// Bitget accounts.
    pub bitget: Vec<BitgetAccount>,
    /// Demo keys.
    pub keys: Vec<DemoKey>,
}

const BINANCE_SPOT: &[(&str, &str)] = &[
    ("BTC", "USDT"),
    ("ETH", "USDT"),
    ("BNB", "USDT"),
    ("SOL", "USDT"),
    ("XRP", "USDT"),
    ("ETH", "BTC"),
    ("ADA", "USDT"),
    ("DOGE", "USDT"),
    ("LINK", "USDT"),
    ("LTC", "USDT"),
    ("TRX", "USDT"),
];
/// The Binance spot pair every data account trades early in its history and exchangeInfo no longer lists: its
/// `myTrades` is still served (docs/venues.md §1.6, "Delisted pairs").
const BINANCE_DELISTED: (&str, &str) = ("FTT", "USDT");
const BITGET_SPOT: &[(&str, &str)] =
    &[("BTC", "USDT"), ("ETH", "USDT"), ("BGB", "USDT"), ("SOL", "USDT"), ("XRP", "USDT"), ("DOGE", "USDT")];
const FUTURES: &[&str] = &["BTCUSDT", "ETHUSDT", "SOLUSDT"];

/// Milliseconds of the `YYYY-MM-DD` day that contains `now_ms` (the default anchor: today's midnight UTC).
pub fn day_floor(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(DAY)
}

fn interned(s: &str) -> Symbol {
    Arc::from(s)
}

/// Distance between the id ranges of rows that share a millisecond (several positions funded at once): larger than
/// any `(time - start) * 16` of a 90-day history.
const ID_SLOT: u64 = 200_000_000_000;

fn symbol_slot(symbols: &[Symbol], s: &str) -> u64 {
    symbols.iter().position(|x| &**x == s).unwrap_or(0) as u64
}

/// Row id: grows with time, unique per (account index, millisecond).
fn rid(base: u64, start: i64, t: i64, index: u64) -> u64 {
    base + ((t - start) as u64) * 16 + index
}

fn bal(w: &Balances, a: &str) -> Decimal {
    w.get(a).copied().unwrap_or_default()
}

fn add(w: &mut Balances, a: &str, d: Decimal) {
    let e = w.entry(a.to_string()).or_default();
    *e += d;
    if e.is_zero() {
        w.remove(a);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Act {
    Deposit,
    BigDeposit(u8),
    SpotFill,
    FuturesFill,
    ToFutures,
    FromFutures,
    ToFunding,
    FromFunding,
    Withdraw,
    WithdrawToBitget,
    Convert,
    Dust,
    Funding,
    /// Buys BNB with USDT (so that the fee of the next pair can be paid in BNB).
    BuyBnb,
    /// Buys, then 30 s later sells, the same quantity of BTC at the same price: a pair of trades that nets out in
    /// BTC and USDT. With `true` the fees are paid in BNB (only BNB moves); with `false` there is no fee (nothing
    /// moves at all, as on a zero-fee pair).
    NetBuy(bool),
    /// The sell of a [`Act::NetBuy`] pair.
    NetSell,
    /// The first trade ever on the late symbol (listed all along, never traded before).
    LateSymbol,
    /// Subscribes USDT from spot to the flexible product (`true`: by auto-subscribe).
    EarnSubscribe(bool),
    /// Subscribes BTC (or ETH) from spot to a locked product.
    EarnLock,
    /// The locked product matures: its principal and interest no reward row reported go to spot.
    EarnLockRedeem,
    /// Redeems 40 % of the flexible position to spot.
    EarnRedeem,
    /// The day's rewards, at 00:00 UTC: flexible ones into the position, locked ones to spot.
    EarnRewards,
    /// A BNB distribution (an asset dividend) to spot.
    Distribution,
    /// Moves BTC from spot to the COIN-M wallet.
    CoinmIn,
    /// Opens a `BTCUSD_PERP` position (`true`: long) with the COIN-M wallet's BTC as margin.
    CoinmOpen(bool),
    /// Closes the open COIN-M position, realizing its inverse PnL in BTC.
    CoinmClose,
    /// The 8-hourly funding of an open COIN-M position, in BTC.
    CoinmFunding,
    /// Moves part of the COIN-M wallet's BTC back to spot.
    CoinmOut,
    /// Buys FTT on the delisted pair `FTTUSDT` (fee in FTT).
    DelistedBuy,
    /// Sells all the FTT but a crumb worth about 1 USDT on `FTTUSDT` (fee in USDT).
    DelistedSell,
    /// Converts the FTT crumb to BNB (dust): how the asset shows up outside its trades.
    DelistedDust,
    /// A EUR bank deposit to spot (`true`: one that failed).
    FiatDeposit(bool),
    /// A card purchase of BTC with EUR.
    CardBuy,
    /// A P2P trade of USDT for EUR in funding (`true`: a buy).
    P2p(bool),
    /// A Binance Pay payment (`true`: received).
    Pay(bool),
    /// A Binance Pay payment combining the funding and spot wallets.
    PayFromTwoWallets,
    /// A stake, redemption, wrap, unwrap or BETH reward of the staking script.
    Staking(StakingKind),
    /// Moves USDT from spot to cross margin.
    MarginIn,
    /// Borrows BTC on cross margin.
    MarginBorrow,
    /// Sells the borrowed BTC on margin.
    MarginSell,
    /// Hourly interest on the open loan.
    MarginInterest,
    /// Buys back the BTC owed.
    MarginBuyBack,
    /// Repays the loan and its interest.
    MarginRepay,
    /// The venue liquidates the open loan.
    MarginLiquidation,
    /// Moves USDT from cross margin to the isolated pair.
    IsolatedIn,
    /// Borrows BTC in the isolated pair.
    IsolatedBorrow,
    /// Sells the borrowed BTC in the pair.
    IsolatedSell,
    /// Hourly interest on the pair's open loan.
    IsolatedInterest,
    /// Buys back the BTC the pair owes.
    IsolatedBuyBack,
    /// Repays the pair's loan and its interest.
    IsolatedRepay,
    /// Moves 10 USDT from the pair to a second pair.
    IsolatedAcross,
    /// Moves what the pair holds but 20 USDT back to cross margin.
    IsolatedOut,
    /// Moves all but 20 USDT from cross margin back to spot (Bitget, docs/venues.md §2.15).
    MarginOut,
}

/// The COIN-M script of a Binance data account (docs/venues.md §1.14): on the second day BTC moves from spot to the
/// COIN-M wallet and a long `BTCUSD_PERP` position opens; it pays or earns funding every 8 hours and closes half-way
/// through the history, realizing its PnL in BTC; a short opens two thirds in and stays open; some BTC goes back
/// to spot in between.
fn coinm_script(plan: &mut Vec<(i64, Act)>, start: i64, days: i64) {
    insert_free(plan, start + DAY + 5 * HOUR, Act::CoinmIn);
    insert_free(plan, start + DAY + 6 * HOUR, Act::CoinmOpen(true));
    insert_free(plan, start + (days / 2) * DAY + 2 * HOUR, Act::CoinmClose);
    insert_free(plan, start + (days * 2 / 3) * DAY + HOUR, Act::CoinmOut);
    insert_free(plan, start + (days * 2 / 3) * DAY + 4 * HOUR, Act::CoinmOpen(false));
    for h in (DAY / (8 * HOUR) + 1)..(days * 3) {
        insert_free(plan, start + h * 8 * HOUR + 2 * MINUTE, Act::CoinmFunding);
    }
}

/// The Simple Earn script of a Binance data account: a subscription to the flexible USDT product after the first
/// deposits, an auto-subscription every week, a locked product for half the history (at most 30 days) that pays
/// interest no reward row reported when it matures, a partial flexible redemption two thirds in, and the rewards
/// of every day at 00:00 UTC.
fn earn_script(plan: &mut Vec<(i64, Act)>, start: i64, days: i64) {
    let lock_days = (days / 2).min(30);
    insert_free(plan, start + 50 * MINUTE, Act::EarnSubscribe(false));
    for d in (2..days).step_by(7) {
        insert_free(plan, start + d * DAY + 9 * HOUR, Act::EarnSubscribe(true));
    }
    insert_free(plan, start + DAY + 3 * HOUR, Act::EarnLock);
    insert_free(plan, start + (1 + lock_days) * DAY + 3 * HOUR, Act::EarnLockRedeem);
    insert_free(plan, start + (days * 2 / 3) * DAY + 15 * HOUR, Act::EarnRedeem);
    for d in 1..days {
        insert_free(plan, start + d * DAY, Act::EarnRewards);
    }
    // and an asset dividend every 30 days from the third
    for d in (3..days).step_by(30) {
        insert_free(plan, start + d * DAY + 6 * HOUR, Act::Distribution);
    }
}

/// The late script of a Binance data account in the Tiny and Small worlds: in the last two days of history, a
/// deposit, transfers to and from the funding and futures wallets, a pair of trades that nets out with its fees
/// in BNB, the first trade on a symbol never traded before, and a pair that nets out with no fee. Times before the
/// history's end (ms); each act gets the first free millisecond from there, and a pair's sell follows its buy by
/// 30 s, in the same minute.
const LATE_SCRIPT: &[(i64, Act)] = &[
    (44 * HOUR, Act::Deposit),
    (40 * HOUR, Act::ToFunding),
    (36 * HOUR, Act::BuyBnb),
    (32 * HOUR, Act::NetBuy(true)),
    (20 * HOUR, Act::LateSymbol),
    (12 * HOUR, Act::NetBuy(false)),
    (8 * HOUR, Act::FromFunding),
    (5 * HOUR, Act::ToFutures),
];

/// Adds `act` at the first millisecond from `t` that no other act of `plan` (sorted) holds; returns that time.
fn insert_free(plan: &mut Vec<(i64, Act)>, mut t: i64, act: Act) -> i64 {
    while plan.binary_search_by_key(&t, |e| e.0).is_ok() {
        t += 1;
    }
    let at = plan.partition_point(|e| e.0 < t);
    plan.insert(at, (t, act));
    t
}

/// Records a Binance spot fill of `qty` at `price` on `sym` and applies it to the spot wallet.
#[allow(clippy::too_many_arguments)]
fn push_fill(
    a: &mut BinanceAccount,
    spot: &mut Balances,
    sym: &crate::market::Symbol,
    (start, t): (i64, i64),
    buy: bool,
    qty: Decimal,
    price: Decimal,
    (commission, casset): (Decimal, &str),
    maker: bool,
) {
    let quote_qty = (qty * price).round_dp(8);
    if buy {
        add(spot, &sym.quote, -quote_qty);
        add(spot, &sym.base, qty);
    } else {
        add(spot, &sym.base, -qty);
        add(spot, &sym.quote, quote_qty);
    }
    add(spot, casset, -commission);
    let index = a.index;
    a.trades.entry(interned(&sym.name)).or_default().push(SpotFill {
        id: rid(100_000_000, start, t, index),
        order_id: rid(2_000_000_000, start, t, index),
        time: t,
        price,
        qty,
        quote_qty,
        commission,
        commission_asset: interned(casset),
        is_buyer: buy,
        is_maker: maker,
    });
}

/// A deposit arriving at Bitget from a Binance withdrawal.
#[derive(Clone, Debug)]
struct Incoming {
    time: i64,
    coin: Symbol,
    amount: Decimal,
    txid: String,
}

/// Plans one account's timeline: (unique ms, action), chronological.
fn timeline(
    r: &mut SplitMix64,
    start: i64,
    days: i64,
    spec: &SizeSpec,
    acts: &[(Act, u64)],
    funding: bool,
) -> Vec<(i64, Act)> {
    let mut v: Vec<(i64, Act)> = vec![
        (start + 10 * MINUTE, Act::BigDeposit(0)),
        (start + 20 * MINUTE, Act::BigDeposit(1)),
        (start + 30 * MINUTE, Act::BigDeposit(2)),
        (start + 40 * MINUTE, Act::ToFutures),
    ];
    for d in 0..days {
        let day0 = start + d * DAY + HOUR;
        let span = DAY - 2 * HOUR;
        let mut draw = |per_kday: u64| {
            let total = r.below(2 * per_kday + 1);
            total / 1000 + u64::from(r.below(1000) < total % 1000)
        };
        let n_spot = draw(spec.spot_fills_per_kday);
        let n_fut = draw(spec.futures_fills_per_kday);
        for _ in 0..n_spot {
            v.push((day0 + r.below(span as u64) as i64, Act::SpotFill));
        }
        for _ in 0..n_fut {
            v.push((day0 + r.below(span as u64) as i64, Act::FuturesFill));
        }
        for &(a, per_mille) in acts {
            if r.chance(per_mille) {
                v.push((day0 + r.below(span as u64) as i64, a));
            }
        }
        if funding {
            for h in [0, 8, 16] {
                v.push((start + d * DAY + h * HOUR + 1, Act::Funding));
            }
        }
    }
    v.sort();
    // unique milliseconds per account: every id scheme relies on it
    let mut last = i64::MIN;
    for e in &mut v {
        if e.0 <= last {
            e.0 = last + 1;
        }
        last = e.0;
    }
    v.retain(|e| e.0 < start + days * DAY - 10 * MINUTE);
    v
}

struct Gen<'a> {
    market: &'a Market,
    r: SplitMix64,
}

impl Gen<'_> {
    fn usdt_value(&self, asset: &str, t: i64) -> Decimal {
        if asset == "USDT" {
            return Decimal::ONE;
        }
        let s = format!("{asset}USDT");
        if self.market.symbol(&s).is_some() { self.market.price(&s, t) } else { Decimal::ZERO }
    }
}

fn deposit_coin(kind: u8) -> (&'static str, Decimal, Decimal, &'static str) {
    match kind {
        0 => ("USDT", Decimal::from(8000), Decimal::from(30000), "TRX"),
        1 => ("BTC", Decimal::new(5, 2), Decimal::new(4, 1), "BTC"),
        _ => ("ETH", Decimal::new(5, 1), Decimal::from(4), "ETH"),
    }
}

/// A futures fill on a one-way position; returns None when it cannot be afforded.
#[allow(clippy::too_many_arguments)]
fn futures_fill(
    g: &mut Gen<'_>,
    pos: &mut Position,
    wallet: Decimal,
    symbol: &Symbol,
    t: i64,
    fee_rate: Decimal,
) -> Option<FuturesFill> {
    let m = g.market;
    let sym = m.symbol(symbol)?;
    let price = m.fill_price(symbol, t, g.r.next_u64());
    let reduce = !pos.amt.is_zero() && g.r.chance(650);
    let (qty, buyer) = if reduce {
        let frac = if g.r.chance(800) { Decimal::ONE } else { Decimal::new(g.r.range(25, 100), 2) };
        let mut q = (pos.amt.abs() * frac).round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero);
        if q.is_zero() {
            q = pos.amt.abs();
        }
        (q, pos.amt.is_sign_negative())
    } else {
        let buyer = if pos.amt.is_zero() { g.r.chance(500) } else { pos.amt.is_sign_positive() };
        let notional_now = pos.amt.abs() * price;
        let room = wallet * Decimal::new(15, 1) - notional_now;
        if room <= Decimal::from(20) {
            return None;
        }
        let budget = room * Decimal::new(g.r.range(10, 60), 2);
        let q = (budget / price).round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero);
        if q.is_zero() {
            return None;
        }
        (q, buyer)
    };
    let notional = (qty * price).round_dp(8);
    let commission = (notional * fee_rate).round_dp(8);
    let signed = if buyer { qty } else { -qty };
    let mut pnl = Decimal::ZERO;
    let long_before = pos.amt.is_sign_positive() && !pos.amt.is_zero();
    if reduce {
        let dir = if pos.amt.is_sign_positive() { Decimal::ONE } else { -Decimal::ONE };
        pnl = (qty * (price - pos.entry) * dir).round_dp(8);
        pos.amt += signed;
        if pos.amt.is_zero() {
            pos.entry = Decimal::ZERO;
        }
    } else {
        let new_amt = pos.amt + signed;
        pos.entry = ((pos.entry * pos.amt.abs() + price * qty) / new_amt.abs()).round_dp(8);
        pos.amt = new_amt;
    }
    if wallet + pnl - commission < Decimal::ZERO {
        return None; // the generator never lets a wallet go negative (it has already moved pos; caller discards)
    }
    pos.update_time = t;
    Some(FuturesFill {
        id: 0,
        order_id: 0,
        time: t,
        symbol: symbol.clone(),
        price,
        qty,
        realized_pnl: pnl,
        commission,
        buyer,
        maker: g.r.chance(300),
        opening: !reduce,
        long: if reduce { long_before } else { buyer },
    })
}

fn funding_rate(seed: u64, symbol: &str, t: i64) -> Decimal {
    Decimal::new((mix(seed, hash_str(symbol), t as u64) % 41) as i64 - 10, 5)
}

#[allow(clippy::too_many_arguments)]
fn gen_binance(
    world_seed: u64,
    market: &Market,
    label: &str,
    index: u64,
    spec: &SizeSpec,
    days: i64,
    spot_syms: &[Symbol],
    fut_syms: &[Symbol],
    late: Option<&Symbol>,
    incoming_out: &mut Vec<Incoming>,
) -> BinanceAccount {
    let start = market.start;
    let mut g = Gen { market, r: SplitMix64::new(mix(world_seed, hash_str(label), 11)) };
    let plan = binance_plan(&mut g.r, start, days, spec, late.is_some());
    let lock_days = (days / 2).min(30);
    // the flexible position (USDT001) and the locked one (position id, asset, principal)
    // the sell of a pair that nets out: symbol, quantity, price and fee of its buy
    let a = BinanceAccount {
        label: label.to_string(),
        uid: 350_000_000 + mix(world_seed, index, 5) % 100_000_000,
        index,
        ..Default::default()
    };
    let pays_bnb = g.r.chance(500);
    let mut activity = BinanceActivity {
        g,
        market,
        a,
        spot: Balances::new(),
        funding: Balances::new(),
        usdm: Balances::new(),
        earn: Balances::new(),
        coinm: Balances::new(),
        margin: Balances::new(),
        margin_debt: None,
        isolated: Balances::new(),
        isolated_debt: None,
        across: Balances::new(),
        flexible: Decimal::ZERO,
        locked: None,
        pair: None,
        pays_bnb,
        lock_days,
        start,
        index,
        world_seed,
        spot_syms,
        fut_syms,
        late,
        incoming_out,
    };
    for (t, act) in plan {
        activity.act(t, act);
    }
    activity.finish()
}

/// A Binance account's timeline: its random acts, then the scripted ones (the late symbols when `late`, and for a
/// trading account Earn, COIN-M, the delisted pair, fiat, staking and margin), each at a free millisecond.
fn binance_plan(r: &mut SplitMix64, start: i64, days: i64, spec: &SizeSpec, late: bool) -> Vec<(i64, Act)> {
    let acts = [
        (Act::Deposit, 40),
        (Act::Withdraw, 25),
        (Act::WithdrawToBitget, 30),
        (Act::ToFutures, 60),
        (Act::FromFutures, 40),
        (Act::ToFunding, 30),
        (Act::FromFunding, 20),
        (Act::Convert, 40),
        (Act::Dust, 60),
    ];
    let mut plan = timeline(r, start, days, spec, &acts, true);
    if late && spec.spot_fills_per_kday > 0 {
        let end = start + days * DAY;
        for &(before, act) in LATE_SCRIPT {
            let t = insert_free(&mut plan, end - before + 7, act);
            if let Act::NetBuy(_) = act {
                insert_free(&mut plan, t + 30_000, Act::NetSell);
            }
        }
    }
    if spec.spot_fills_per_kday > 0 {
        earn_script(&mut plan, start, days);
        coinm_script(&mut plan, start, days);
        // the delisted pair: a buy, a sell a minute later and the crumb dusted a minute after that, the same day
        let t = insert_free(&mut plan, start + 2 * DAY + 7 * HOUR, Act::DelistedBuy);
        let t = insert_free(&mut plan, t + MINUTE, Act::DelistedSell);
        insert_free(&mut plan, t + MINUTE, Act::DelistedDust);
        let end = start + days * DAY;
        for &(before, act) in fiat::FIAT_SCRIPT.iter().chain(staking::STAKING_SCRIPT) {
            insert_free(&mut plan, end - before, act);
        }
        for &(before, act) in margin::MARGIN_SCRIPT.iter().chain(isolated::ISOLATED_SCRIPT) {
            insert_free(&mut plan, end - before, act);
        }
    }
    plan
}

/// One Binance account's activity as it is generated: its records so far, its running wallets and its open Simple
/// Earn positions. Each kind of activity is one method; one that finds nothing to do records nothing.
struct BinanceActivity<'m> {
    g: Gen<'m>,
    market: &'m Market,
    a: BinanceAccount,
    spot: Balances,
    funding: Balances,
    usdm: Balances,
    earn: Balances,
    coinm: Balances,
    /// The cross margin wallet, net of what is owed (as the venue's `netAsset`).
    margin: Balances,
    /// The open cross margin loan: the borrow's `txId`, its principal and the interest charged so far.
    margin_debt: Option<(u64, Decimal, Decimal)>,
    /// The isolated pair's wallet, net of what it owes.
    isolated: Balances,
    /// The isolated pair's open loan, as [`Self::margin_debt`].
    isolated_debt: Option<(u64, Decimal, Decimal)>,
    /// The second isolated pair's wallet (it only receives a transfer from the first).
    across: Balances,
    /// The flexible Simple Earn position (USDT001).
    flexible: Decimal,
    /// The locked position: id, asset, principal.
    locked: Option<(u64, Symbol, Decimal)>,
    /// The sell of a pair that nets out: symbol, quantity, price and fee of its buy.
    pair: Option<(crate::market::Symbol, Decimal, Decimal, Option<Decimal>)>,
    pays_bnb: bool,
    lock_days: i64,
    start: i64,
    index: u64,
    world_seed: u64,
    spot_syms: &'m [Symbol],
    fut_syms: &'m [Symbol],
    late: Option<&'m Symbol>,
    /// Withdrawals to Bitget, which the Bitget accounts then receive.
    incoming_out: &'m mut Vec<Incoming>,
}

impl BinanceActivity<'_> {
    /// Records one act of the timeline.
    fn act(&mut self, t: i64, act: Act) {
        match act {
            Act::EarnSubscribe(auto) => self.earn_subscribe(t, auto),
            Act::EarnLock => self.earn_lock(t),
            Act::EarnLockRedeem => self.earn_lock_redeem(t),
            Act::EarnRedeem => self.earn_redeem(t),
            Act::Distribution => self.distribution(t),
            Act::CoinmIn | Act::CoinmOut => self.coinm_transfer(t, act == Act::CoinmIn),
            Act::CoinmOpen(long) => self.coinm_open(t, long),
            Act::CoinmClose => self.coinm_close(t),
            Act::CoinmFunding => self.coinm_funding(t),
            Act::EarnRewards => self.earn_rewards(t),
            Act::BigDeposit(_) | Act::Deposit => self.deposit(t, act),
            Act::SpotFill => self.spot_fill(t),
            Act::FuturesFill => self.futures_trade(t),
            Act::Funding => self.funding(t),
            Act::ToFutures | Act::FromFutures | Act::ToFunding | Act::FromFunding => self.transfer(t, act),
            Act::Withdraw | Act::WithdrawToBitget => self.withdraw(t, act),
            Act::Convert => self.convert(t),
            Act::Dust => self.dust(t),
            Act::BuyBnb | Act::LateSymbol => self.buy_bnb(t, act),
            Act::NetBuy(bnb_fee) => self.net_buy(t, bnb_fee),
            Act::NetSell => self.net_sell(t),
            Act::DelistedBuy | Act::DelistedSell => self.delisted_fill(t, act == Act::DelistedBuy),
            Act::DelistedDust => self.delisted_dust(t),
            Act::FiatDeposit(failed) => self.fiat_deposit(t, failed),
            Act::CardBuy => self.card_buy(t),
            Act::P2p(buy) => self.p2p(t, buy),
            Act::Pay(received) => self.pay(t, received),
            Act::PayFromTwoWallets => self.pay_from_two_wallets(t),
            Act::Staking(kind) => self.staking(t, kind),
            Act::MarginIn => self.margin_in(t),
            Act::MarginBorrow => self.margin_borrow(t),
            Act::MarginSell => self.margin_sell(t),
            Act::MarginInterest => self.margin_interest(t),
            Act::MarginBuyBack => self.margin_buy_back(t),
            Act::MarginRepay => self.margin_repay(t),
            Act::MarginLiquidation => self.margin_liquidation(t),
            Act::IsolatedIn => self.isolated_in(t),
            Act::IsolatedBorrow => self.isolated_borrow(t),
            Act::IsolatedSell => self.isolated_sell(t),
            Act::IsolatedInterest => self.isolated_interest(t),
            Act::IsolatedBuyBack => self.isolated_buy_back(t),
            Act::IsolatedRepay => self.isolated_repay(t),
            Act::IsolatedAcross => self.isolated_across(t),
            Act::IsolatedOut => self.isolated_out(t),
            // Bitget's cross margin script only
            Act::MarginOut => {}
        }
    }

    /// A Simple Earn subscription from spot (auto: the weekly auto-subscription).
    fn earn_subscribe(&mut self, t: i64, auto: bool) {
        let (start, index) = (self.start, self.index);
        let Self { a, spot, earn, flexible, .. } = self;
        let amount = (bal(spot, "USDT") * Decimal::new(if auto { 5 } else { 10 }, 2)).round_dp(2);
        if amount < Decimal::ONE {
            return;
        }
        add(&mut *spot, "USDT", -amount);
        add(&mut *earn, "USDT", amount);
        (*flexible) += amount;
        a.earn.push(EarnRow {
            id: rid(60_000_000_000, start, t, index),
            locked: false,
            product: "USDT001".into(),
            position_id: 0,
            lock_days: 0,
            asset: interned("USDT"),
            amount,
            kind: EarnKind::Subscribe { auto },
            time: t,
        });
    }

    /// A locked Simple Earn product bought with a coin held on spot.
    fn earn_lock(&mut self, t: i64) {
        let (start, index, lock_days) = (self.start, self.index, self.lock_days);
        let Self { a, spot, earn, locked, .. } = self;
        let Some(asset) = ["BTC", "ETH"].into_iter().find(|x| bal(spot, x) > Decimal::ZERO) else { return };
        let amount = (bal(spot, asset) * Decimal::new(3, 1)).round_dp(6);
        if amount.is_zero() || (*locked).is_some() {
            return;
        }
        add(&mut *spot, asset, -amount);
        add(&mut *earn, asset, amount);
        let position_id = rid(61_000_000_000, start, t, index);
        (*locked) = Some((position_id, interned(asset), amount));
        a.earn.push(EarnRow {
            id: rid(62_000_000_000, start, t, index),
            locked: true,
            product: format!("{asset}*{lock_days}"),
            position_id,
            lock_days,
            asset: interned(asset),
            amount,
            kind: EarnKind::Subscribe { auto: false },
            time: t,
        });
    }

    /// The locked product matures: its principal and the interest it never reported back to spot.
    fn earn_lock_redeem(&mut self, t: i64) {
        let (start, index, lock_days) = (self.start, self.index, self.lock_days);
        let Self { a, spot, earn, locked, .. } = self;
        let Some((position_id, asset, principal)) = (*locked).take() else { return };
        let paid = principal + (principal * Decimal::new(5, 5)).round_dp(8);
        add(&mut *earn, &asset, -principal);
        add(&mut *spot, &asset, paid);
        a.earn.push(EarnRow {
            id: rid(63_000_000_000, start, t, index),
            locked: true,
            product: format!("{asset}*{lock_days}"),
            position_id,
            lock_days,
            asset,
            amount: paid,
            kind: EarnKind::Redeem { principal },
            time: t,
        });
    }

    /// A partial redemption of the flexible product.
    fn earn_redeem(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Self { a, spot, earn, flexible, .. } = self;
        let amount = ((*flexible) * Decimal::new(4, 1)).round_dp(2);
        if amount.is_zero() {
            return;
        }
        (*flexible) -= amount;
        add(&mut *earn, "USDT", -amount);
        add(&mut *spot, "USDT", amount);
        a.earn.push(EarnRow {
            id: rid(64_000_000_000, start, t, index),
            locked: false,
            product: "USDT001".into(),
            position_id: 0,
            lock_days: 0,
            asset: interned("USDT"),
            amount,
            kind: EarnKind::Redeem { principal: amount },
            time: t,
        });
    }

    /// An asset distribution (airdrop) to spot.
    fn distribution(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Self { a, spot, .. } = self;
        let amount = Decimal::new(125, 4);
        add(&mut *spot, "BNB", amount);
        a.dividends.push(Dividend {
            id: rid(65_000_000_000, start, t, index),
            tran_id: rid(66_000_000_000, start, t, index),
            asset: interned("BNB"),
            amount,
            info: "BNB distribution".into(),
            time: t,
        });
    }

    /// The day's Simple Earn rewards (flexible ones compound in earn, locked ones go to spot).
    fn earn_rewards(&mut self, t: i64) {
        let lock_days = self.lock_days;
        let Self { a, spot, earn, flexible, locked, .. } = self;
        let reward = ((*flexible) * Decimal::new(1, 4)).round_dp(8);
        if !reward.is_zero() {
            (*flexible) += reward;
            add(&mut *earn, "USDT", reward);
            a.earn.push(EarnRow {
                id: 0,
                locked: false,
                product: "USDT001".into(),
                position_id: 0,
                lock_days: 0,
                asset: interned("USDT"),
                amount: reward,
                kind: EarnKind::Reward,
                time: t,
            });
        }
        if let Some((position_id, asset, principal)) = &(*locked) {
            let reward = (*principal * Decimal::new(3, 4)).round_dp(8);
            if !reward.is_zero() {
                add(&mut *spot, asset, reward);
                a.earn.push(EarnRow {
                    id: 0,
                    locked: true,
                    product: format!("{asset}*{lock_days}"),
                    position_id: *position_id,
                    lock_days,
                    asset: asset.clone(),
                    amount: reward,
                    kind: EarnKind::Reward,
                    time: t,
                });
            }
        }
    }

    /// A deposit from outside.
    fn deposit(&mut self, t: i64, act: Act) {
        let (start, index) = (self.start, self.index);
        let Self { g, a, spot, .. } = self;
        let k = if let Act::BigDeposit(k) = act { k } else { g.r.below(3) as u8 };
        let (coin, lo, hi, net) = deposit_coin(k);
        let amount = if matches!(act, Act::Deposit) {
            g.r.decimal(lo / Decimal::from(10), hi / Decimal::from(10), 4)
        } else {
            g.r.decimal(lo, hi, 4)
        };
        add(&mut *spot, coin, amount);
        a.deposits.push(Deposit {
            id: rid(700_000_000_000_000_000, start, t, index),
            coin: interned(coin),
            amount,
            network: net,
            address: format!("0x{}", g.r.hex(40)),
            txid: format!("0x{}", g.r.hex(64)),
            time: t,
        });
    }

    /// A spot fill of a listed pair.
    fn spot_fill(&mut self, t: i64) {
        let (market, start, index, pays_bnb, spot_syms) =
            (self.market, self.start, self.index, self.pays_bnb, self.spot_syms);
        let Self { g, a, spot, .. } = self;
        let s = g.r.pick(spot_syms).clone();
        let sym = market.symbol(&s).expect("symbol").clone();
        let price = market.fill_price(&s, t, g.r.next_u64());
        let base_bal = bal(spot, &sym.base);
        let quote_bal = bal(spot, &sym.quote);
        let buy = base_bal.is_zero() || (g.r.chance(520) && quote_bal > Decimal::ZERO);
        let base_usd = g.usdt_value(&sym.base, t);
        let qty = if buy {
            let budget = quote_bal * Decimal::new(g.r.range(2, 15), 2);
            (budget / price).round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero)
        } else if g.r.chance(250) && !base_usd.is_zero() {
            // sell nearly everything, leaving a crumb worth 1-3 USDT: what dust conversions are for
            let crumb = Decimal::from(g.r.range(1, 3)) / base_usd;
            (base_bal - crumb)
                .max(Decimal::ZERO)
                .round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero)
        } else {
            (base_bal * Decimal::new(g.r.range(10, 60), 2))
                .round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero)
        };
        if qty.is_zero() {
            return;
        }
        let quote_qty = (qty * price).round_dp(8);
        if (buy && quote_qty > quote_bal) || (!buy && qty > base_bal) || quote_qty.is_zero() {
            return;
        }
        let usd = quote_qty * g.usdt_value(&sym.quote, t);
        let bnb_price = g.usdt_value("BNB", t);
        let bnb_fee =
            if bnb_price.is_zero() { Decimal::ZERO } else { (usd * Decimal::new(75, 5) / bnb_price).round_dp(8) };
        let (commission, casset) =
            if pays_bnb && bnb_fee > Decimal::ZERO && bal(spot, "BNB") >= bnb_fee && sym.base != "BNB" {
                (bnb_fee, "BNB".to_string())
            } else if buy {
                ((qty * Decimal::new(1, 3)).round_dp(8), sym.base.clone())
            } else {
                ((quote_qty * Decimal::new(1, 3)).round_dp(8), sym.quote.clone())
            };
        if buy {
            add(&mut *spot, &sym.quote, -quote_qty);
            add(&mut *spot, &sym.base, qty);
        } else {
            add(&mut *spot, &sym.base, -qty);
            add(&mut *spot, &sym.quote, quote_qty);
        }
        add(&mut *spot, &casset, -commission);
        let fill = SpotFill {
            id: rid(100_000_000, start, t, index),
            order_id: rid(2_000_000_000, start, t, index),
            time: t,
            price,
            qty,
            quote_qty,
            commission,
            commission_asset: interned(&casset),
            is_buyer: buy,
            is_maker: g.r.chance(400),
        };
        a.trades.entry(s.clone()).or_default().push(fill);
    }

    /// A USDⓈ-M futures fill moving the position.
    fn futures_trade(&mut self, t: i64) {
        let (start, index, fut_syms) = (self.start, self.index, self.fut_syms);
        let Self { g, a, usdm, .. } = self;
        if fut_syms.is_empty() {
            return;
        }
        let s = g.r.pick(fut_syms).clone();
        let wallet = bal(usdm, "USDT");
        let mut pos = a.positions.get(&s).cloned().unwrap_or_default();
        if let Some(mut f) = futures_fill(g, &mut pos, wallet, &s, t, Decimal::new(4, 4)) {
            f.id = rid(5_000_000_000, start, t, index);
            f.order_id = rid(80_000_000_000, start, t, index);
            add(&mut *usdm, "USDT", f.realized_pnl - f.commission);
            if !f.realized_pnl.is_zero() {
                a.income.push(Income {
                    tran_id: rid(9_000_000_000, start, t, index),
                    income_type: "REALIZED_PNL",
                    income: f.realized_pnl,
                    asset: interned("USDT"),
                    symbol: Some(s.clone()),
                    time: t,
                    trade_id: Some(f.id),
                });
            }
            a.income.push(Income {
                tran_id: rid(9_000_000_000, start, t, index),
                income_type: "COMMISSION",
                income: -f.commission,
                asset: interned("USDT"),
                symbol: Some(s.clone()),
                time: t,
                trade_id: Some(f.id),
            });
            a.futures_trades.entry(s.clone()).or_default().push(f);
            if pos.amt.is_zero() {
                a.positions.remove(&s);
            } else {
                a.positions.insert(s, pos);
            }
        }
    }

    /// A funding payment of every open position.
    fn funding(&mut self, t: i64) {
        let (market, start, index, world_seed, fut_syms) =
            (self.market, self.start, self.index, self.world_seed, self.fut_syms);
        let Self { a, usdm, .. } = self;
        let syms: Vec<Symbol> = a.positions.keys().cloned().collect();
        for s in syms {
            let pos = &a.positions[&s];
            let mark = market.price(&s, t);
            let rate = funding_rate(world_seed, &s, t);
            let fee = -(pos.amt * mark * rate).round_dp(8);
            if fee.is_zero() || bal(usdm, "USDT") + fee < Decimal::ZERO {
                continue;
            }
            add(&mut *usdm, "USDT", fee);
            a.income.push(Income {
                tran_id: rid(9_500_000_000 + symbol_slot(fut_syms, &s) * ID_SLOT, start, t, index),
                income_type: "FUNDING_FEE",
                income: fee,
                asset: interned("USDT"),
                symbol: Some(s.clone()),
                time: t,
                trade_id: None,
            });
        }
    }

    /// A transfer between spot and futures or funding.
    fn transfer(&mut self, t: i64, act: Act) {
        let (market, start, index) = (self.market, self.start, self.index);
        let Self { g, a, spot, funding, usdm, .. } = self;
        let (from, to) = match act {
            Act::ToFutures => ("spot", "usdm"),
            Act::FromFutures => ("usdm", "spot"),
            Act::ToFunding => ("spot", "funding"),
            _ => ("funding", "spot"),
        };
        let src = match from {
            "spot" => &spot,
            "usdm" => &usdm,
            _ => &funding,
        };
        let avail = bal(src, "USDT");
        let mut amount = (avail * Decimal::new(g.r.range(5, 40), 2)).round_dp(2);
        if from == "usdm" {
            // keep margin for open positions
            let notional: Decimal = a.positions.iter().map(|(s, p)| p.amt.abs() * market.price(s, t)).sum();
            amount = amount.min((avail - notional).max(Decimal::ZERO)).round_dp(2);
        }
        if amount <= Decimal::ONE {
            return;
        }
        let tran_id = rid(11_000_000_000, start, t, index);
        for (w, d) in [(from, -amount), (to, amount)] {
            match w {
                "spot" => add(&mut *spot, "USDT", d),
                "usdm" => add(&mut *usdm, "USDT", d),
                _ => add(&mut *funding, "USDT", d),
            }
        }
        if from == "usdm" || to == "usdm" {
            a.income.push(Income {
                tran_id,
                income_type: "TRANSFER",
                income: if to == "usdm" { amount } else { -amount },
                asset: interned("USDT"),
                symbol: None,
                time: t,
                trade_id: None,
            });
        }
        a.transfers.push(Transfer { id: tran_id, from, to, asset: interned("USDT"), amount, time: t });
    }

    /// A withdrawal, to outside or to the Bitget accounts (which then receive it).
    fn withdraw(&mut self, t: i64, act: Act) {
        let (index, world_seed) = (self.index, self.world_seed);
        let Self { g, a, spot, incoming_out, .. } = self;
        let to_bitget = act == Act::WithdrawToBitget;
        let coin = if to_bitget || g.r.chance(600) { "USDT" } else { "BTC" };
        let fee = if coin == "USDT" { Decimal::ONE } else { Decimal::new(2, 4) };
        let avail = bal(spot, coin);
        let amount = (avail * Decimal::new(g.r.range(3, 15), 2)).round_dp(if coin == "USDT" { 2 } else { 6 });
        if amount <= fee * Decimal::from(5) || amount + fee > avail {
            return;
        }
        add(&mut *spot, coin, -(amount + fee));
        let txid = g.r.hex(64);
        let net = if coin == "USDT" { "TRX" } else { "BTC" };
        a.withdrawals.push(Withdrawal {
            id: format!("{:016x}{:016x}", mix(world_seed, index, t as u64), mix(world_seed, 77, t as u64)),
            coin: interned(coin),
            amount,
            fee,
            network: net,
            address: if to_bitget { format!("TBg{}", g.r.alnum(31)) } else { format!("T{}", g.r.alnum(33)) },
            txid: txid.clone(),
            // Binance reports `applyTime` in whole seconds: the truth keeps what a client can read
            time: t - t.rem_euclid(1000),
            complete_time: t - t.rem_euclid(1000) + 5 * MINUTE,
        });
        if to_bitget {
            incoming_out.push(Incoming { time: t + 7 * MINUTE, coin: interned(coin), amount, txid });
        }
    }

    /// A convert between USDT and a listed coin.
    fn convert(&mut self, t: i64) {
        let (market, start, index, spot_syms) = (self.market, self.start, self.index, self.spot_syms);
        let Self { g, a, spot, .. } = self;
        let s = g.r.pick(spot_syms).clone();
        let sym = market.symbol(&s).expect("symbol").clone();
        if sym.quote != "USDT" {
            return;
        }
        let price = market.price(&s, t);
        let buy = g.r.chance(500) || bal(spot, &sym.base).is_zero();
        let (fa, ta, famt, tamt) = if buy {
            let f = (bal(spot, "USDT") * Decimal::new(g.r.range(1, 5), 2)).round_dp(2);
            (sym.quote.clone(), sym.base.clone(), f, (f / price * Decimal::new(999, 3)).round_dp(8))
        } else {
            let f = (bal(spot, &sym.base) * Decimal::new(g.r.range(5, 30), 2)).round_dp(sym.qty_dp);
            (sym.base.clone(), sym.quote.clone(), f, (f * price * Decimal::new(999, 3)).round_dp(8))
        };
        if famt.is_zero() || tamt.is_zero() || famt > bal(spot, &fa) {
            return;
        }
        add(&mut *spot, &fa, -famt);
        add(&mut *spot, &ta, tamt);
        a.converts.push(Convert {
            quote_id: g.r.hex(32),
            order_id: rid(940_000_000_000_000_000, start, t, index),
            from_asset: interned(&fa),
            from_amount: famt,
            to_asset: interned(&ta),
            to_amount: tamt,
            time: t,
        });
    }

    /// Small holdings converted to BNB.
    fn dust(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Self { g, a, spot, .. } = self;
        let bnb = g.usdt_value("BNB", t);
        if bnb.is_zero() {
            return;
        }
        let mut details = Vec::new();
        let cands: Vec<(String, Decimal)> = spot.iter().map(|(k, v)| (k.clone(), *v)).collect();
        for (asset, amount) in cands {
            if asset == "BNB" || asset == "USDT" || details.len() >= 3 {
                continue;
            }
            let usd = amount * g.usdt_value(&asset, t);
            if usd.is_zero() || usd > Decimal::from(5) {
                continue;
            }
            let gross = (usd / bnb).round_dp(8);
            let charge = (gross * Decimal::new(2, 2)).round_dp(8);
            let net = gross - charge;
            if net <= Decimal::ZERO {
                continue;
            }
            add(&mut *spot, &asset, -amount);
            add(&mut *spot, "BNB", net);
            details.push(DustDetail { from_asset: interned(&asset), amount, transfered: net, service_charge: charge });
        }
        if !details.is_empty() {
            a.dribblets.push(Dribblet { trans_id: rid(40_000_000_000, start, t, index), time: t, details });
        }
    }

    /// A fill on the delisted pair (see [`BINANCE_DELISTED`]): a buy with 2 % of the USDT, fee in FTT; or a sell
    /// of all the FTT but a crumb worth about 1 USDT, fee in USDT.
    fn delisted_fill(&mut self, t: i64, buy: bool) {
        let (market, start) = (self.market, self.start);
        let Self { g, a, spot, .. } = self;
        let name = format!("{}{}", BINANCE_DELISTED.0, BINANCE_DELISTED.1);
        let Some(sym) = market.symbol(&name).cloned() else { return };
        let price = market.fill_price(&name, t, g.r.next_u64());
        let down = rust_decimal::RoundingStrategy::ToZero;
        let qty = if buy {
            (bal(spot, &sym.quote) * Decimal::new(2, 2) / price).round_dp_with_strategy(sym.qty_dp, down)
        } else {
            (bal(spot, &sym.base) - Decimal::ONE / price).round_dp_with_strategy(sym.qty_dp, down)
        };
        let quote_qty = (qty * price).round_dp(8);
        if qty <= Decimal::ZERO || (buy && quote_qty > bal(spot, &sym.quote)) {
            return;
        }
        let fee = if buy {
            ((qty * Decimal::new(1, 3)).round_dp(8), sym.base.as_str())
        } else {
            ((quote_qty * Decimal::new(1, 3)).round_dp(8), sym.quote.as_str())
        };
        push_fill(&mut *a, &mut *spot, &sym, (start, t), buy, qty, price, fee, false);
    }

    /// The FTT crumb the delisted pair's sell left, converted to BNB (dust, 2 % charged).
    fn delisted_dust(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Self { g, a, spot, .. } = self;
        let asset = BINANCE_DELISTED.0;
        let (amount, bnb) = (bal(spot, asset), g.usdt_value("BNB", t));
        if amount.is_zero() || bnb.is_zero() {
            return;
        }
        let gross = (amount * g.usdt_value(asset, t) / bnb).round_dp(8);
        let charge = (gross * Decimal::new(2, 2)).round_dp(8);
        let net = gross - charge;
        if net <= Decimal::ZERO {
            return;
        }
        add(&mut *spot, asset, -amount);
        add(&mut *spot, "BNB", net);
        let details = vec![DustDetail { from_asset: interned(asset), amount, transfered: net, service_charge: charge }];
        a.dribblets.push(Dribblet { trans_id: rid(40_000_000_000, start, t, index), time: t, details });
    }

    /// BNB bought for fees (or the first fill of a symbol listed late).
    fn buy_bnb(&mut self, t: i64, act: Act) {
        let (market, start, late) = (self.market, self.start, self.late);
        let Self { g, a, spot, .. } = self;
        let name = if act == Act::BuyBnb { "BNBUSDT" } else { late.map_or("", |s| &**s) };
        let Some(sym) = market.symbol(name).cloned() else { return };
        let price = market.fill_price(name, t, g.r.next_u64());
        let budget = bal(spot, &sym.quote) * Decimal::new(3, 2);
        let qty = (budget / price).round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero);
        if qty.is_zero() || (qty * price).round_dp(8) > bal(spot, &sym.quote) {
            return;
        }
        let fee = ((qty * Decimal::new(1, 3)).round_dp(8), sym.base.as_str());
        push_fill(&mut *a, &mut *spot, &sym, (start, t), true, qty, price, fee, false);
    }

    /// The buy of a pair that nets out by a sell seconds later.
    fn net_buy(&mut self, t: i64, bnb_fee: bool) {
        let (market, start) = (self.market, self.start);
        let Self { g, a, spot, pair, .. } = self;
        let sym = market.symbol("BTCUSDT").expect("listed").clone();
        let price = market.fill_price("BTCUSDT", t, g.r.next_u64());
        let budget = bal(spot, "USDT") * Decimal::new(5, 2);
        let qty = (budget / price).round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero);
        let quote_qty = (qty * price).round_dp(8);
        let bnb = g.usdt_value("BNB", t);
        let fee = (bnb_fee && !bnb.is_zero()).then(|| (quote_qty * Decimal::new(75, 5) / bnb).round_dp(8));
        // both fees in BNB must be affordable, and a BNB fee must not round to nothing
        let affordable = match fee {
            Some(f) => !f.is_zero() && bal(spot, "BNB") >= f * Decimal::TWO,
            None => !bnb_fee,
        };
        if qty.is_zero() || quote_qty > bal(spot, "USDT") || !affordable {
            (*pair) = None;
            return;
        }
        let commission = fee.map_or((Decimal::ZERO, sym.base.as_str()), |f| (f, "BNB"));
        push_fill(&mut *a, &mut *spot, &sym, (start, t), true, qty, price, commission, true);
        (*pair) = Some((sym, qty, price, fee));
    }

    /// The sell that nets out the last pair bought.
    fn net_sell(&mut self, t: i64) {
        let start = self.start;
        let Self { a, spot, pair, .. } = self;
        let Some((sym, qty, price, fee)) = (*pair).take() else { return };
        let commission = fee.map_or((Decimal::ZERO, sym.quote.as_str()), |f| (f, "BNB"));
        push_fill(&mut *a, &mut *spot, &sym, (start, t), false, qty, price, commission, false);
    }

    /// The account with its final wallets.
    fn finish(self) -> BinanceAccount {
        let mut a = self.a;
        a.wallets.insert("spot", self.spot);
        a.wallets.insert("funding", self.funding);
        a.wallets.insert("usdm", self.usdm);
        a.wallets.insert("earn", self.earn);
        if !self.coinm.is_empty() {
            a.wallets.insert("coinm", self.coinm);
        }
        if !a.margin_flows.is_empty() {
            a.wallets.insert("margin", self.margin);
        }
        if !a.isolated.is_empty() {
            a.wallets.insert(isolated::ISOLATED_WALLET, self.isolated);
        }
        if !self.across.is_empty() {
            a.wallets.insert(isolated::ACROSS_WALLET, self.across);
        }
        a
    }

    /// A universal transfer of BTC between spot and the COIN-M wallet: 30 % of spot's in, 25 % of the wallet's out
    /// (none while a position is open).
    fn coinm_transfer(&mut self, t: i64, into: bool) {
        let (start, index) = (self.start, self.index);
        let Self { a, spot, coinm, .. } = self;
        let (from, to, src) = if into { ("spot", "coinm", &*spot) } else { ("coinm", "spot", &*coinm) };
        if !into && !a.coinm_positions.is_empty() {
            return;
        }
        let amount = (bal(src, "BTC") * Decimal::new(if into { 30 } else { 25 }, 2)).round_dp(8);
        if amount < Decimal::new(1, 3) {
            return;
        }
        let tran_id = rid(11_000_000_000, start, t, index);
        add(if into { &mut *spot } else { &mut *coinm }, "BTC", -amount);
        add(if into { &mut *coinm } else { &mut *spot }, "BTC", amount);
        a.coinm_income.push(Income {
            tran_id,
            income_type: "TRANSFER",
            income: if into { amount } else { -amount },
            asset: interned("BTC"),
            symbol: None,
            time: t,
            trade_id: None,
        });
        a.transfers.push(Transfer { id: tran_id, from, to, asset: interned("BTC"), amount, time: t });
    }

    /// The BTCUSD_PERP contract's price at `t`: BTCUSDT's, to the contract's tick of 0.1.
    fn coinm_price(&self, t: i64) -> Option<Decimal> {
        let c = &COINM_CONTRACTS[0];
        self.market.symbol(c.index)?;
        let p = self.market.price(c.index, t).round_dp(1);
        (p > Decimal::ZERO).then_some(p)
    }

    /// A COIN-M fill of `contracts` at `price`: its commission (0.05 % of the coin's worth) and realized PnL come
    /// off or onto the wallet, each as an income row.
    #[allow(clippy::too_many_arguments)]
    fn coinm_fill(
        &mut self,
        t: i64,
        contracts: Decimal,
        price: Decimal,
        buyer: bool,
        opening: bool,
        long: bool,
        pnl: Decimal,
    ) {
        let (start, index) = (self.start, self.index);
        let c = &COINM_CONTRACTS[0];
        let coins = (contracts * Decimal::from(c.contract_size) / price).round_dp(8);
        let commission = (coins * Decimal::new(5, 4)).round_dp(8);
        let f = FuturesFill {
            id: rid(14_000_000_000, start, t, index),
            order_id: rid(15_000_000_000, start, t, index),
            time: t,
            symbol: interned(c.symbol),
            price,
            qty: contracts,
            realized_pnl: pnl,
            commission,
            buyer,
            // not drawn from the account's random stream, which the rest of its history goes on drawing from
            maker: !opening,
            opening,
            long,
        };
        add(&mut self.coinm, c.coin, pnl - commission);
        let tran_id = rid(13_000_000_000, start, t, index);
        if !pnl.is_zero() {
            self.a.coinm_income.push(Income {
                tran_id,
                income_type: "REALIZED_PNL",
                income: pnl,
                asset: interned(c.coin),
                symbol: Some(interned(c.symbol)),
                time: t,
                trade_id: Some(f.id),
            });
        }
        self.a.coinm_income.push(Income {
            tran_id,
            income_type: "COMMISSION",
            income: -commission,
            asset: interned(c.coin),
            symbol: Some(interned(c.symbol)),
            time: t,
            trade_id: Some(f.id),
        });
        self.a.coinm_trades.entry(interned(c.symbol)).or_default().push(f);
    }

    /// Opens a position of contracts worth twice the wallet's BTC, when there is no position.
    fn coinm_open(&mut self, t: i64, long: bool) {
        let c = &COINM_CONTRACTS[0];
        let Some(price) = self.coinm_price(t) else { return };
        if self.a.coinm_positions.contains_key(c.symbol) {
            return;
        }
        let wallet = bal(&self.coinm, c.coin);
        let contracts = (wallet * price * Decimal::TWO / Decimal::from(c.contract_size)).floor();
        if contracts < Decimal::ONE {
            return;
        }
        self.coinm_fill(t, contracts, price, long, true, long, Decimal::ZERO);
        let amt = if long { contracts } else { -contracts };
        self.a.coinm_positions.insert(interned(c.symbol), Position { amt, entry: price, update_time: t });
    }

    /// Closes the position: inverse PnL = contracts × size × (1/entry − 1/exit), signed by the side.
    fn coinm_close(&mut self, t: i64) {
        let c = &COINM_CONTRACTS[0];
        let Some(price) = self.coinm_price(t) else { return };
        let Some(pos) = self.a.coinm_positions.get(c.symbol).cloned() else { return };
        let size = Decimal::from(c.contract_size);
        let pnl = (pos.amt * size * (Decimal::ONE / pos.entry - Decimal::ONE / price)).round_dp(8);
        let coins = (pos.amt.abs() * size / price).round_dp(8);
        if bal(&self.coinm, c.coin) + pnl - (coins * Decimal::new(5, 4)).round_dp(8) < Decimal::ZERO {
            return;
        }
        self.a.coinm_positions.remove(c.symbol);
        let long = pos.amt > Decimal::ZERO;
        self.coinm_fill(t, pos.amt.abs(), price, !long, false, long, pnl);
    }

    /// Funding of the open position: −contracts × size / mark × rate, in the coin.
    fn coinm_funding(&mut self, t: i64) {
        let (start, index, world_seed) = (self.start, self.index, self.world_seed);
        let c = &COINM_CONTRACTS[0];
        let Some(pos) = self.a.coinm_positions.get(c.symbol).cloned() else { return };
        let Some(mark) = self.coinm_price(t) else { return };
        let rate = funding_rate(world_seed, c.symbol, t);
        let fee = -(pos.amt * Decimal::from(c.contract_size) / mark * rate).round_dp(8);
        if fee.is_zero() || bal(&self.coinm, c.coin) + fee < Decimal::ZERO {
            return;
        }
        add(&mut self.coinm, c.coin, fee);
        self.a.coinm_income.push(Income {
            tran_id: rid(13_500_000_000, start, t, index),
            income_type: "FUNDING_FEE",
            income: fee,
            asset: interned(c.coin),
            symbol: Some(interned(c.symbol)),
            time: t,
            trade_id: None,
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn gen_bitget(
    world_seed: u64,
    market: &Market,
    label: &str,
    index: u64,
    mode: AccountMode,
    spec: &SizeSpec,
    days: i64,
    spot_syms: &[Symbol],
    fut_syms: &[Symbol],
    incoming: &[Incoming],
) -> BitgetAccount {
    let start = market.start;
    let mut g = Gen { market, r: SplitMix64::new(mix(world_seed, hash_str(label), 23)) };
    let unified = mode == AccountMode::Unified;
    let (plan, inc) = bitget_plan(&mut g.r, start, days, spec, unified, incoming);
    let a = BitgetAccount::empty(label, 6_000_000_000 + mix(world_seed, index, 6) % 1_000_000_000, index, mode);
    // a classic account's airdrop and reward, a third and two thirds of the way through (their own milliseconds)
    let mut tax_only: Vec<(i64, usize)> = if unified || plan.is_empty() {
        Vec::new()
    } else {
        vec![(plan[2 * plan.len() / 3].0 + 1, 1), (plan[plan.len() / 3].0 + 1, 0)]
    };
    let mut earn = EarnScripts {
        savings: savings::savings_plan(&plan, unified, days, start + days * DAY),
        sharkfin: sharkfin::sharkfin_plan(&plan, unified, days),
        loans: earn_loan::loan_plan(&plan, unified, days),
    };
    let mut activity = BitgetActivity {
        g,
        market,
        a,
        spot: Balances::new(),
        fut: Balances::new(),
        earn: Balances::new(),
        margin: Balances::new(),
        margin_debt: None,
        isolated: Balances::new(),
        isolated_debt: None,
        unified,
        start,
        index,
        world_seed,
        spot_syms,
        fut_syms,
        inc,
    };
    // a classic account's COIN-M and USDC-M futures, a quarter of the way through (their own milliseconds)
    let mut products_at = if unified || plan.is_empty() { None } else { Some(plan[plan.len() / 4].0 + 3) };
    for (t, act) in plan {
        if let Some(at) = products_at.filter(|at| *at <= t) {
            for k in 0..BITGET_PRODUCTS.len() {
                activity.product_futures(at + k as i64 * 10 * MINUTE, k);
            }
            products_at = None;
        }
        while let Some(&(at, k)) = tax_only.last().filter(|(at, _)| *at <= t) {
            activity.tax_only_income(at, k);
            tax_only.pop();
        }
        earn.run_until(&mut activity, t);
        activity.act(t, act);
    }
    // what falls after the last act: savings interest, a shark fin act, a loan act
    earn.run_until(&mut activity, i64::MAX);
    activity.finish()
}

impl BitgetActivity<'_> {
    /// One act of the account's plan (a unified account has no wallet transfers, dust or isolated margin; its
    /// margin acts are in its one wallet).
    fn act(&mut self, t: i64, act: Act) {
        match act {
            Act::BigDeposit(_) | Act::Deposit => self.deposit(t, act),
            Act::SpotFill => self.spot_fill(t),
            Act::FuturesFill => self.futures_trade(t),
            Act::Funding => self.funding(t),
            Act::ToFutures | Act::FromFutures if !self.unified => self.transfer(t, act),
            Act::Convert => self.convert(t),
            Act::Dust if !self.unified => self.dust(t),
            Act::Withdraw => self.withdraw(t),
            Act::MarginIn
            | Act::MarginBorrow
            | Act::MarginSell
            | Act::MarginInterest
            | Act::MarginBuyBack
            | Act::MarginRepay
            | Act::MarginOut => self.margin_act(t, act),
            Act::IsolatedIn
            | Act::IsolatedBorrow
            | Act::IsolatedSell
            | Act::IsolatedInterest
            | Act::IsolatedBuyBack
            | Act::IsolatedRepay
            | Act::IsolatedOut
                if !self.unified =>
            {
                self.margin_act(t, act);
            }
            _ => {}
        }
    }
}

/// A classic Bitget account's Earn scripts, which run beside its plan: each a list of acts, the next due last.
struct EarnScripts {
    savings: Vec<(i64, savings::SavingsAct)>,
    sharkfin: Vec<(i64, sharkfin::SharkfinAct, i64)>,
    loans: Vec<(i64, earn_loan::LoanAct)>,
}

impl EarnScripts {
    /// Runs every act due by `t`: the savings', then the shark fin's, then the loans'.
    fn run_until(&mut self, activity: &mut BitgetActivity<'_>, t: i64) {
        while let Some((at, act)) = self.savings.pop_if(|(at, _)| *at <= t) {
            activity.savings(at, act);
        }
        while let Some((at, act, settle)) = self.sharkfin.pop_if(|(at, _, _)| *at <= t) {
            activity.sharkfin(at, act, settle);
        }
        while let Some((at, act)) = self.loans.pop_if(|(at, _)| *at <= t) {
            activity.earn_loan(at, act);
        }
    }
}

/// A Bitget account's timeline: its random acts, and the deposits arriving from Binance (`incoming`), each at a
/// millisecond of its own (the map: those times to what arrives).
fn bitget_plan<'i>(
    r: &mut SplitMix64,
    start: i64,
    days: i64,
    spec: &SizeSpec,
    unified: bool,
    incoming: &'i [Incoming],
) -> (Vec<(i64, Act)>, BTreeMap<i64, &'i Incoming>) {
    let acts = [
        (Act::Deposit, 40),
        (Act::Withdraw, 25),
        (Act::ToFutures, 60),
        (Act::FromFutures, 40),
        (Act::Convert, if unified { 100 } else { 50 }),
        (Act::Dust, if unified { 0 } else { 60 }),
    ];
    let mut plan = timeline(r, start, days, spec, &acts, true);
    // deposits arriving from Binance get their own (unique) milliseconds on this timeline
    let mut inc: BTreeMap<i64, &Incoming> = BTreeMap::new();
    for i in incoming {
        let mut t = i.time;
        while plan.binary_search_by_key(&t, |e| e.0).is_ok() || inc.contains_key(&t) {
            t += 1;
        }
        inc.insert(t, i);
    }
    for t in inc.keys() {
        plan.push((*t, Act::BigDeposit(9)));
    }
    plan.sort();
    // a classic account's cross margin (docs/venues.md §2.15) when its history holds the script, each act at a
    // millisecond of its own
    let script_fits = bitget_margin::BITGET_MARGIN_SCRIPT.iter().all(|(before, _)| *before < days * DAY);
    if !unified && !plan.is_empty() && script_fits {
        let end = start + days * DAY;
        for &(before, act) in bitget_margin::BITGET_MARGIN_SCRIPT {
            insert_free(&mut plan, end - before, act);
        }
    }
    // a unified account's margin loans (docs/venues.md §2.8), the same way
    let script_fits = bitget_margin::BITGET_UNIFIED_MARGIN_SCRIPT.iter().all(|(before, _)| *before < days * DAY);
    if unified && !plan.is_empty() && script_fits {
        let end = start + days * DAY;
        for &(before, act) in bitget_margin::BITGET_UNIFIED_MARGIN_SCRIPT {
            insert_free(&mut plan, end - before, act);
        }
    }
    // and its isolated margin on one pair (docs/venues.md §2.18), the same way
    let script_fits = bitget_isolated::BITGET_ISOLATED_SCRIPT.iter().all(|(before, _)| *before < days * DAY);
    if !unified && !plan.is_empty() && script_fits {
        let end = start + days * DAY;
        for &(before, act) in bitget_isolated::BITGET_ISOLATED_SCRIPT {
            insert_free(&mut plan, end - before, act);
        }
    }
    (plan, inc)
}

impl BitgetAccount {
    /// An account with no records yet.
    fn empty(label: &str, uid: u64, index: u64, mode: AccountMode) -> Self {
        BitgetAccount {
            label: label.to_string(),
            uid,
            index,
            mode,
            wallets: BTreeMap::new(),
            spot_fills: Vec::new(),
            deposits: Vec::new(),
            withdrawals: Vec::new(),
            transfers: Vec::new(),
            spot_bills: Vec::new(),
            converts: Vec::new(),
            bgb_converts: Vec::new(),
            mix_fills: Vec::new(),
            mix_bills: Vec::new(),
            positions: BTreeMap::new(),
            copy_role: None,
            copy_orders: Vec::new(),
            profit_shares: Vec::new(),
            tax_only: Vec::new(),
            product_futures: BTreeMap::new(),
            savings: Vec::new(),
            margin: BitgetMargin::default(),
            isolated: BitgetMargin::default(),
            sharkfin: Vec::new(),
            earn_loans: Vec::new(),
        }
    }
}

/// One Bitget account's activity as it is generated: the account's records so far and its running wallets. Each
/// kind of activity is one method; a method that finds nothing to do (no balance, nothing to sell) records nothing.
struct BitgetActivity<'m> {
    g: Gen<'m>,
    market: &'m Market,
    a: BitgetAccount,
    /// The spot wallet (the unified wallet in unified mode).
    spot: Balances,
    /// The futures wallet (classic mode).
    fut: Balances,
    /// The Earn savings holdings (classic mode, docs/venues.md §2.14).
    earn: Balances,
    /// The cross margin wallet, net of what is owed (classic mode).
    margin: Balances,
    /// The open cross margin loan: its principal and the interest charged so far.
    margin_debt: Option<(Decimal, Decimal)>,
    /// The isolated pair's wallet, net of what is owed (classic mode, docs/venues.md §2.18).
    isolated: Balances,
    /// The isolated pair's open loan: its principal and the interest charged so far.
    isolated_debt: Option<(Decimal, Decimal)>,
    unified: bool,
    start: i64,
    index: u64,
    world_seed: u64,
    spot_syms: &'m [Symbol],
    fut_syms: &'m [Symbol],
    /// Deposits arriving from Binance, by their time on this account's timeline.
    inc: BTreeMap<i64, &'m Incoming>,
}

impl BitgetActivity<'_> {
    /// Deposits, from outside or arriving from Binance (the same coins, amounts and txids).
    fn deposit(&mut self, t: i64, act: Act) {
        let (start, index, unified) = (self.start, self.index, self.unified);
        let Self { g, a, spot, inc, .. } = self;
        let (coin, amount, net, txid, address) = if let Some(i) = inc.get(&t) {
            (i.coin.to_string(), i.amount, "TRC20", i.txid.clone(), format!("TBg{}", g.r.alnum(31)))
        } else {
            let k = if let Act::BigDeposit(k) = act { k } else { g.r.below(3) as u8 };
            let (coin, lo, hi, _) = deposit_coin(k);
            let amount = if act == Act::Deposit {
                g.r.decimal(lo / Decimal::from(10), hi / Decimal::from(10), 4)
            } else {
                g.r.decimal(lo, hi, 4)
            };
            let net = match coin {
                "USDT" => "TRC20",
                "BTC" => "BTC",
                _ => "ERC20",
            };
            (coin.to_string(), amount, net, g.r.hex(64), format!("0x{}", g.r.hex(40)))
        };
        let w = if unified { "unified" } else { "spot" };
        let _ = w;
        add(&mut *spot, &coin, amount);
        a.deposits.push(Deposit {
            id: rid(1_100_000_000_000_000_000, start, t, index),
            coin: interned(&coin),
            amount,
            network: net,
            address,
            txid,
            time: t,
        });
        a.spot_bills.push(Bill {
            id: rid(1_200_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned(&coin),
            symbol: None,
            business_type: "DEPOSIT",
            group_type: "deposit",
            amount,
            fee: Decimal::ZERO,
            balance: bal(spot, &coin),
        });
    }

    /// A spot fill of a random listed pair, with both legs' bills.
    fn spot_fill(&mut self, t: i64) {
        let (market, start, index, spot_syms) = (self.market, self.start, self.index, self.spot_syms);
        let Self { g, a, spot, .. } = self;
        let s = g.r.pick(spot_syms).clone();
        let sym = market.symbol(&s).expect("symbol").clone();
        let price = market.fill_price(&s, t, g.r.next_u64());
        let base_bal = bal(spot, &sym.base);
        let quote_bal = bal(spot, &sym.quote);
        let buy = base_bal.is_zero() || (g.r.chance(520) && quote_bal > Decimal::ZERO);
        let base_usd = g.usdt_value(&sym.base, t);
        let size = if buy {
            (quote_bal * Decimal::new(g.r.range(2, 15), 2) / price)
                .round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero)
        } else if g.r.chance(250) && !base_usd.is_zero() && sym.base != "BGB" {
            // sell nearly everything, leaving a crumb worth 1-3 USDT: what BGB conversions are for
            let crumb = Decimal::from(g.r.range(1, 3)) / base_usd;
            (base_bal - crumb)
                .max(Decimal::ZERO)
                .round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero)
        } else {
            (base_bal * Decimal::new(g.r.range(10, 60), 2))
                .round_dp_with_strategy(sym.qty_dp, rust_decimal::RoundingStrategy::ToZero)
        };
        let amount = (size * price).round_dp(8);
        if size.is_zero() || amount.is_zero() || (buy && amount > quote_bal) || (!buy && size > base_bal) {
            return;
        }
        let (fee, fee_coin) = if buy {
            ((size * Decimal::new(1, 3)).round_dp(8), sym.base.clone())
        } else {
            ((amount * Decimal::new(1, 3)).round_dp(8), sym.quote.clone())
        };
        if buy {
            add(&mut *spot, &sym.quote, -amount);
            add(&mut *spot, &sym.base, size - fee);
        } else {
            add(&mut *spot, &sym.base, -size);
            add(&mut *spot, &sym.quote, amount - fee);
        }
        let id = rid(1_300_000_000_000_000_000, start, t, index);
        let (inc_coin, inc_amt, out_coin, out_amt) =
            if buy { (&sym.base, size, &sym.quote, amount) } else { (&sym.quote, amount, &sym.base, size) };
        let bt = if buy { "BUY" } else { "SELL" };
        a.spot_bills.push(Bill {
            id: rid(1_200_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned(out_coin),
            symbol: Some(s.clone()),
            business_type: bt,
            group_type: "transaction",
            amount: -out_amt,
            fee: Decimal::ZERO,
            balance: bal(spot, out_coin),
        });
        a.spot_bills.push(Bill {
            id: rid(1_250_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned(inc_coin),
            symbol: Some(s.clone()),
            business_type: bt,
            group_type: "transaction",
            amount: inc_amt,
            fee: -fee,
            balance: bal(spot, inc_coin),
        });
        a.spot_fills.push(BitgetSpotFill {
            id,
            order_id: id + 7,
            symbol: s,
            time: t,
            price,
            size,
            amount,
            buy,
            fee,
            fee_coin: interned(&fee_coin),
            maker: g.r.chance(400),
        });
    }

    /// A USDT-M futures fill moving the position, with its bill.
    fn futures_trade(&mut self, t: i64) {
        let (start, index, unified, fut_syms) = (self.start, self.index, self.unified, self.fut_syms);
        let Self { g, a, spot, fut, .. } = self;
        if fut_syms.is_empty() {
            return;
        }
        let s = g.r.pick(fut_syms).clone();
        let src = if unified { &spot } else { &fut };
        let wallet = bal(src, "USDT");
        // unified: only a third of the USDT backs futures, the rest stays for spot
        let wallet = if unified { wallet / Decimal::from(3) } else { wallet };
        let mut pos = a.positions.get(&s).cloned().unwrap_or_default();
        if let Some(mut f) = futures_fill(g, &mut pos, wallet, &s, t, Decimal::new(6, 4)) {
            f.id = rid(1_103_000_000_000_000_000, start, t, index);
            f.order_id = f.id + 3;
            let w = if unified { &mut *spot } else { &mut *fut };
            add(w, "USDT", f.realized_pnl - f.commission);
            let bt = match (f.opening, f.long) {
                (true, true) => "open_long",
                (true, false) => "open_short",
                (false, true) => "close_long",
                (false, false) => "close_short",
            };
            let balance = bal(w, "USDT");
            a.mix_bills.push(Bill {
                id: rid(1_400_000_000_000_000_000, start, t, index),
                time: t,
                coin: interned("USDT"),
                symbol: Some(s.clone()),
                business_type: bt,
                group_type: "",
                amount: f.realized_pnl,
                fee: -f.commission,
                balance,
            });
            a.mix_fills.push(f);
            if pos.amt.is_zero() {
                a.positions.remove(&s);
            } else {
                a.positions.insert(s, pos);
            }
        }
    }

    /// A funding settlement of every open position.
    fn funding(&mut self, t: i64) {
        let (market, start, index, unified, world_seed, fut_syms) =
            (self.market, self.start, self.index, self.unified, self.world_seed, self.fut_syms);
        let Self { a, spot, fut, .. } = self;
        let open: Vec<(Symbol, Position)> = a.positions.iter().map(|(s, p)| (s.clone(), p.clone())).collect();
        for (s, pos) in open {
            let mark = market.price(&s, t);
            let fee = -(pos.amt * mark * funding_rate(world_seed, &s, t)).round_dp(8);
            let w = if unified { &mut *spot } else { &mut *fut };
            if !fee.is_zero() && bal(w, "USDT") + fee >= Decimal::ZERO {
                add(w, "USDT", fee);
                let balance = bal(w, "USDT");
                // Bitget bill ids grow with time, as the venue's do (clients page by `idLessThan`): one id per symbol's
                // settlement, a millisecond apart in the id only.
                let id = rid(1_400_000_000_000_000_000, start, t + symbol_slot(fut_syms, &s) as i64, index);
                a.mix_bills.push(Bill {
                    id,
                    time: t,
                    coin: interned("USDT"),
                    symbol: Some(s.clone()),
                    business_type: "contract_settle_fee",
                    group_type: "",
                    amount: fee,
                    fee: Decimal::ZERO,
                    balance,
                });
            }
        }
    }

    /// A transfer between spot and futures (classic accounts), with a bill on each side.
    fn transfer(&mut self, t: i64, act: Act) {
        let (market, start, index) = (self.market, self.start, self.index);
        let Self { g, a, spot, fut, .. } = self;
        let to_fut = act == Act::ToFutures;
        let avail = if to_fut { bal(spot, "USDT") } else { bal(fut, "USDT") };
        let mut amount = (avail * Decimal::new(g.r.range(5, 40), 2)).round_dp(2);
        if !to_fut {
            let notional: Decimal = a.positions.iter().map(|(s, p)| p.amt.abs() * market.price(s, t)).sum();
            amount = amount.min((avail - notional).max(Decimal::ZERO)).round_dp(2);
        }
        if amount <= Decimal::ONE {
            return;
        }
        let (from, to) = if to_fut { ("spot", "futures") } else { ("futures", "spot") };
        add(&mut *spot, "USDT", if to_fut { -amount } else { amount });
        add(&mut *fut, "USDT", if to_fut { amount } else { -amount });
        let id = rid(1_500_000_000_000_000_000, start, t, index);
        a.transfers.push(Transfer { id, from, to, asset: interned("USDT"), amount, time: t });
        a.spot_bills.push(Bill {
            id: rid(1_200_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned("USDT"),
            symbol: None,
            business_type: if to_fut { "TRANSFER_OUT" } else { "TRANSFER_IN" },
            group_type: "transfer",
            amount: if to_fut { -amount } else { amount },
            fee: Decimal::ZERO,
            balance: bal(spot, "USDT"),
        });
        a.mix_bills.push(Bill {
            id: rid(1_400_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned("USDT"),
            symbol: None,
            business_type: if to_fut { "trans_from_exchange" } else { "trans_to_exchange" },
            group_type: "",
            amount: if to_fut { amount } else { -amount },
            fee: Decimal::ZERO,
            balance: bal(fut, "USDT"),
        });
    }

    /// A convert between USDT and a listed coin (unified: BTC or ETH only).
    fn convert(&mut self, t: i64) {
        let (market, start, index, unified, spot_syms) =
            (self.market, self.start, self.index, self.unified, self.spot_syms);
        let Self { g, a, spot, .. } = self;
        let s = if unified {
            let pairs: Vec<Symbol> =
                spot_syms.iter().filter(|s| &***s == "BTCUSDT" || &***s == "ETHUSDT").cloned().collect();
            if pairs.is_empty() {
                return;
            }
            g.r.pick(&pairs).clone()
        } else {
            g.r.pick(spot_syms).clone()
        };
        let sym = market.symbol(&s).expect("symbol").clone();
        // unified convert records are read per (fromCoin, toCoin) pair, both required: the sync asks the
        // pairs of the coins it finds elsewhere, so unified converts stay between USDT and the deposited
        // BTC and ETH (a coin reached only through converts could not be found)
        if sym.quote != "USDT" || (unified && sym.base != "BTC" && sym.base != "ETH") {
            return;
        }
        let price = market.price(&s, t);
        let buy = g.r.chance(500) || bal(spot, &sym.base).is_zero();
        let (fc, tc, fs, ts) = if buy {
            let f = (bal(spot, "USDT") * Decimal::new(g.r.range(1, 5), 2)).round_dp(2);
            (sym.quote.clone(), sym.base.clone(), f, (f / price * Decimal::new(998, 3)).round_dp(8))
        } else {
            let f = (bal(spot, &sym.base) * Decimal::new(g.r.range(5, 30), 2)).round_dp(sym.qty_dp.min(6));
            (sym.base.clone(), sym.quote.clone(), f, (f * price * Decimal::new(998, 3)).round_dp(8))
        };
        if fs.is_zero() || ts.is_zero() || fs > bal(spot, &fc) {
            return;
        }
        add(&mut *spot, &fc, -fs);
        add(&mut *spot, &tc, ts);
        a.converts.push(BitgetConvert {
            id: rid(1_700_000_000_000_000_000, start, t, index),
            time: t,
            from_coin: interned(&fc),
            from_size: fs,
            to_coin: interned(&tc),
            to_size: ts,
            price: (ts / fs).round_dp(8),
        });
    }

    /// A small holding converted to BGB (classic accounts).
    fn dust(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Self { g, a, spot, .. } = self;
        let bgb = g.usdt_value("BGB", t);
        if bgb.is_zero() {
            return;
        }
        // one coin per record: the smallest non-zero holding worth at most 5 USDT
        let pick = spot
            .iter()
            .filter(|(c, v)| c.as_str() != "USDT" && c.as_str() != "BGB" && !v.is_zero())
            .map(|(c, v)| (c.clone(), *v, g.usdt_value(c, t)))
            .filter(|(_, v, p)| !p.is_zero() && *v * *p <= Decimal::from(5))
            .min_by_key(|(_, v, p)| *v * *p);
        let Some((coin, amount, from_price)) = pick else { return };
        let gross = (amount * from_price / bgb).round_dp(8);
        let fee = (gross * Decimal::new(2, 2)).round_dp(8);
        if gross - fee <= Decimal::ZERO {
            return;
        }
        add(&mut *spot, &coin, -amount);
        add(&mut *spot, "BGB", gross - fee);
        a.bgb_converts.push(BgbConvert {
            order_id: rid(1_750_000_000_000_000_000, start, t, index),
            time: t,
            from_coin: interned(&coin),
            from_amount: amount,
            from_price,
            to_amount: gross,
            to_price: bgb,
            fee,
        });
    }

    /// A withdrawal of USDT or BTC, with its bill.
    fn withdraw(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Self { g, a, spot, .. } = self;
        let coin = if g.r.chance(600) { "USDT" } else { "BTC" };
        let fee = if coin == "USDT" { Decimal::ONE } else { Decimal::new(2, 4) };
        let avail = bal(spot, coin);
        let amount = (avail * Decimal::new(g.r.range(3, 15), 2)).round_dp(if coin == "USDT" { 2 } else { 6 });
        if amount <= fee * Decimal::from(5) || amount + fee > avail {
            return;
        }
        add(&mut *spot, coin, -(amount + fee));
        let id = rid(1_600_000_000_000_000_000, start, t, index);
        a.withdrawals.push(Withdrawal {
            id: id.to_string(),
            coin: interned(coin),
            amount,
            fee,
            network: if coin == "USDT" { "TRC20" } else { "BTC" },
            address: format!("T{}", g.r.alnum(33)),
            txid: g.r.hex(64),
            time: t,
            complete_time: t + 5 * MINUTE,
        });
        a.spot_bills.push(Bill {
            id: rid(1_200_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned(coin),
            symbol: None,
            business_type: "WITHDRAW",
            group_type: "withdraw",
            amount: -amount,
            fee: -fee,
            balance: bal(spot, coin),
        });
    }

    /// Income that only the tax records show (docs/venues.md §2.13): `k` 0, an airdrop of BGB ("Airdrop
    /// Reward-A"); 1, a rebate of USDT ("Rebate rewards"); credited to spot.
    fn tax_only_income(&mut self, t: i64, k: usize) {
        let (start, index) = (self.start, self.index);
        let Self { g, a, spot, .. } = self;
        let (ty, coin, amount) = if k == 0 {
            ("Airdrop Reward-A", "BGB", g.r.decimal(Decimal::from(2), Decimal::from(20), 4))
        } else {
            ("Rebate rewards", "USDT", g.r.decimal(Decimal::ONE, Decimal::from(10), 4))
        };
        add(&mut *spot, coin, amount);
        a.tax_only.push(Bill {
            id: rid(1_800_000_000_000_000_000 + k as u64 * 10_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned(coin),
            symbol: None,
            business_type: ty,
            group_type: "",
            amount,
            fee: Decimal::ZERO,
            balance: bal(spot, coin),
        });
    }

    /// A deposit of product `k`'s margin coin into spot at `t`, and 80 % of it moved to the product's wallet a
    /// minute later; returns the amount moved and when.
    fn fund_product(&mut self, t: i64, k: usize) -> (Decimal, i64) {
        let (start, index) = (self.start, self.index);
        let BitgetProduct { wallet, coin, deposit, .. } = BITGET_PRODUCTS[k];
        let slot = k as u64 * 1_000_000_000_000_000;
        let Self { g, a, spot, .. } = self;
        let deposit = Decimal::new(deposit.0, deposit.1);
        let coin_m = coin != "USDC";
        add(&mut *spot, coin, deposit);
        a.deposits.push(Deposit {
            id: rid(1_110_000_000_000_000_000 + slot, start, t, index),
            coin: interned(coin),
            amount: deposit,
            network: if coin_m { "BTC" } else { "ERC20" },
            address: format!("0x{}", g.r.hex(40)),
            txid: g.r.hex(64),
            time: t,
        });
        let spot_bill = |id, t, ty, group, amount, spot: &Balances| Bill {
            id,
            time: t,
            coin: interned(coin),
            symbol: None,
            business_type: ty,
            group_type: group,
            amount,
            fee: Decimal::ZERO,
            balance: bal(spot, coin),
        };
        a.spot_bills.push(spot_bill(
            rid(1_210_000_000_000_000_000 + slot, start, t, index),
            t,
            "DEPOSIT",
            "deposit",
            deposit,
            spot,
        ));
        let moved = (deposit * Decimal::new(8, 1)).round_dp(8);
        let t_in = t + MINUTE;
        add(&mut *spot, coin, -moved);
        a.spot_bills.push(spot_bill(
            rid(1_220_000_000_000_000_000 + slot, start, t_in, index),
            t_in,
            "TRANSFER_OUT",
            "transfer",
            -moved,
            spot,
        ));
        a.transfers.push(Transfer {
            id: rid(1_510_000_000_000_000_000 + slot, start, t_in, index),
            from: "spot",
            to: wallet,
            asset: interned(coin),
            amount: moved,
            time: t_in,
        });
        (moved, t_in)
    }

    /// The `k`-th product type of [`BITGET_PRODUCTS`] from `t` on: its margin coin deposited to spot and moved in,
    /// a long opened a minute later, a funding settlement, half of it closed (realized PnL, fee), the rest left open.
    /// Linear in the margin coin, as the client values it (docs/venues.md §2.12): a COIN-M PnL is the USD PnL at the
    /// close price in the coin.
    fn product_futures(&mut self, t: i64, k: usize) {
        let (moved, t_in) = self.fund_product(t, k);
        let (market, start, index) = (self.market, self.start, self.index);
        let BitgetProduct { wallet, contract, coin, index: price_of, size, .. } = BITGET_PRODUCTS[k];
        let slot = k as u64 * 1_000_000_000_000_000;
        let a = &mut self.a;
        let qty = Decimal::new(size.0, size.1);
        let coin_m = coin != "USDC";
        let mut w = Balances::new();
        let mut book = ProductFutures::default();
        // each bill and fill at its time, with the id of that time
        let bill = |t, ty, amount, fee, w: &Balances| Bill {
            id: rid(1_410_000_000_000_000_000 + slot, start, t, index),
            time: t,
            coin: interned(coin),
            symbol: if ty == "trans_from_exchange" { None } else { Some(interned(contract)) },
            business_type: ty,
            group_type: "",
            amount,
            fee,
            balance: bal(w, coin),
        };
        let fill = |t, price: Decimal, qty: Decimal, pnl, fee, opening| {
            let id = rid(1_113_000_000_000_000_000 + slot, start, t, index);
            FuturesFill {
                id,
                order_id: id + 3,
                time: t,
                symbol: interned(contract),
                price,
                qty,
                realized_pnl: pnl,
                commission: fee,
                buyer: opening,
                maker: false,
                opening,
                long: true,
            }
        };
        add(&mut w, coin, moved);
        book.bills.push(bill(t_in, "trans_from_exchange", moved, Decimal::ZERO, &w));
        // in the margin coin: a USD amount at the price, for COIN-M
        let in_coin = |usd: Decimal, price: Decimal| if coin_m { (usd / price).round_dp(8) } else { usd.round_dp(8) };
        let (t_open, t_fund, t_close) = (t_in + MINUTE, t_in + 2 * MINUTE, t_in + 3 * MINUTE);
        let p_open = market.price(price_of, t_open);
        let p_close = market.price(price_of, t_close);
        let fee_open = in_coin(qty * p_open * Decimal::new(6, 4), p_open);
        add(&mut w, coin, -fee_open);
        book.fills.push(fill(t_open, p_open, qty, Decimal::ZERO, fee_open, true));
        book.bills.push(bill(t_open, "open_long", Decimal::ZERO, -fee_open, &w));
        let funding = -in_coin(qty * p_open * Decimal::new(1, 4), p_open);
        add(&mut w, coin, funding);
        book.bills.push(bill(t_fund, "contract_settle_fee", funding, Decimal::ZERO, &w));
        let half = qty / Decimal::TWO;
        let pnl = in_coin(half * (p_close - p_open), p_close);
        let fee_close = in_coin(half * p_close * Decimal::new(6, 4), p_close);
        add(&mut w, coin, pnl - fee_close);
        book.fills.push(fill(t_close, p_close, half, pnl, fee_close, false));
        book.bills.push(bill(t_close, "close_long", pnl, -fee_close, &w));
        book.positions.insert(interned(contract), Position { amt: qty - half, entry: p_open, update_time: t_close });
        a.wallets.insert(wallet, w);
        a.product_futures.insert(wallet, book);
    }

    /// The account with its final wallets.
    fn finish(self) -> BitgetAccount {
        let sharkfin = self.sharkfin_wallet();
        let loan = self.loan_wallet();
        let mut a = self.a;
        if self.unified {
            a.wallets.insert("unified", self.spot);
        } else {
            a.wallets.insert("spot", self.spot);
            a.wallets.insert("futures", self.fut);
            if !a.savings.is_empty() {
                a.wallets.insert("earn", self.earn);
            }
            if !a.margin.flows.is_empty() {
                a.wallets.insert("margin", self.margin);
            }
            if !a.isolated.flows.is_empty() {
                a.wallets.insert(BITGET_ISOLATED_WALLET, self.isolated);
            }
            if !a.sharkfin.is_empty() {
                a.wallets.insert("sharkfin", sharkfin);
            }
            if !a.earn_loans.is_empty() {
                a.wallets.insert("loan", loan);
            }
        }
        a
    }
}

fn demo_key(
    r: &mut SplitMix64,
    venue: Venue,
    label: &str,
    kind: &str,
    permissions: Profile,
    ip_allow: Vec<std::net::IpAddr>,
) -> DemoKey {
    let (api_key, secret, passphrase) = match venue {
        Venue::Binance => (r.alnum(64), r.alnum(64), String::new()),
        Venue::Bitget => (format!("bg_{}", r.hex(32)), r.hex(64), r.alnum(12)),
    };
    DemoKey {
        venue,
        label: label.to_string(),
        account_kind: kind.to_string(),
        permissions,
        api_key,
        secret: Secret::new(secret),
        passphrase: Secret::new(passphrase),
        ip_allow,
        key_type: KeyType::HmacSha256,
        public_key: String::new(),
    }
}

/// PKCS#8 PEM of an Ed25519 private key seed (RFC 8410), what Binance hands out for Ed25519 keys.
pub fn ed25519_pem(seed: &[u8; 32]) -> String {
    use base64::Engine;
    let mut der = hex::decode("302e020100300506032b657004220420").expect("static hex");
    der.extend_from_slice(seed);
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

/// The demo keys of the generated accounts: one per account (read-only unless the account is one of the refusal
/// journeys': trading, withdrawal or transfer enabled, or IP-restricted), and an Ed25519 read-only key on Binance
/// "alt" (or "main" when there is no alt).
fn demo_keys(seed: u64, binance: &[BinanceAccount], bitget: &[BitgetAccount]) -> Vec<DemoKey> {
    let mut r = SplitMix64::new(mix(seed, 99, 99));
    let office_ip: std::net::IpAddr = "127.0.0.2".parse().expect("static ip");
    // withdrawal keys must be IP-restricted at both venues; allowing both loopback addresses keeps them usable
    // directly and through a relay bound to 127.0.0.2
    let local_ip: std::net::IpAddr = "127.0.0.1".parse().expect("static ip");
    let mut keys = Vec::new();
    for acc in binance {
        let (profile, ips) = match acc.label.as_str() {
            "trader" => (Profile::TradeEnabled, vec![]),
            "withdrawer" => (Profile::WithdrawEnabled, vec![local_ip, office_ip]),
            "mover" => (Profile::TransferEnabled, vec![]),
            "office" => (Profile::ReadOnly, vec![office_ip]),
            _ => (Profile::ReadOnly, vec![]),
        };
        let kind = if acc.copy_trading { "copy-trading" } else { "spot" };
        keys.push(demo_key(&mut r, Venue::Binance, &acc.label, kind, profile, ips));
    }
    // an Ed25519 read-only key on the "alt" account (or main when there is no alt)
    let ed_label =
        binance.get(1).filter(|a| a.label == "alt").map(|a| a.label.clone()).unwrap_or_else(|| "main".into());
    let mut seed_bytes = [0u8; 32];
    for (i, c) in seed_bytes.chunks_mut(8).enumerate() {
        c.copy_from_slice(&mix(seed, 0xED25519, i as u64).to_le_bytes());
    }
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed_bytes);
    let mut ed = demo_key(&mut r, Venue::Binance, &ed_label, "spot", Profile::ReadOnly, vec![]);
    ed.key_type = KeyType::Ed25519;
    ed.secret = Secret::new(ed25519_pem(&seed_bytes));
    ed.public_key = hex::encode(sk.verifying_key().to_bytes());
    keys.push(ed);
    for acc in bitget {
        let (profile, ips) = match acc.label.as_str() {
            "trader" => (Profile::TradeEnabled, vec![]),
            "withdrawer" => (Profile::WithdrawEnabled, vec![local_ip, office_ip]),
            "office" => (Profile::ReadOnly, vec![office_ip]),
            _ => (Profile::ReadOnly, vec![]),
        };
        let kind = match (acc.copy_role, acc.mode) {
            (Some(_), _) => "copy-trading",
            (None, AccountMode::Unified) => "unified",
            (None, AccountMode::Classic) => "classic",
        };
        keys.push(demo_key(&mut r, Venue::Bitget, &acc.label, kind, profile, ips));
    }
    keys
}

/// The pairs the market prices: the first `binance` Binance spot symbols, the first `bitget` Bitget ones and the
/// fiat pairs of both venues, each once.
fn market_pairs(binance: usize, bitget: usize) -> Vec<(&'static str, &'static str)> {
    let mut pairs: Vec<(&str, &str)> = BINANCE_SPOT[..binance].to_vec();
    pairs.push(BINANCE_DELISTED);
    let more = BITGET_SPOT[..bitget]
        .iter()
        .chain(crate::market::BINANCE_FIAT)
        .chain(crate::market::BINANCE_RECEIPT)
        .chain(crate::market::BITGET_FIAT);
    for p in more {
        if !pairs.contains(p) {
            pairs.push(*p);
        }
    }
    pairs
}

impl World {
    /// Generates the world of `seed` and `size` with history ending at `anchor` (ms, floored to the day).
    pub fn generate(seed: u64, size: Size, anchor: i64) -> World {
        let spec = size.spec();
        let end = day_floor(anchor);
        let start = end - spec.days * DAY;
        let (nb, ng) = match size {
            Size::Tiny => (3, 3),
            Size::Small => (8, 5),
            Size::Medium => (9, 6),
            Size::Large => (11, 6),
        };
        // Tiny and Small list one more Binance symbol, traded only by the late script (see [`LATE_SCRIPT`])
        let listed = if matches!(size, Size::Tiny | Size::Small) { nb + 1 } else { nb };
        let market = Market::new(seed, start, end, &market_pairs(listed, ng));
        let names = |list: &[(&str, &str)]| list.iter().map(|(b, q)| interned(&format!("{b}{q}"))).collect();
        let bitget_fiat = names(crate::market::BITGET_FIAT);
        let mut binance_price_only: Vec<Symbol> = names(crate::market::BINANCE_FIAT);
        binance_price_only.extend(names(crate::market::BINANCE_RECEIPT));
        let binance_spot: Vec<Symbol> =
            BINANCE_SPOT[..listed].iter().map(|(b, q)| interned(&format!("{b}{q}"))).collect();
        let (traded, late) = (&binance_spot[..nb], binance_spot.get(nb));
        let bitget_spot: Vec<Symbol> = BITGET_SPOT[..ng].iter().map(|(b, q)| interned(&format!("{b}{q}"))).collect();
        let nf = match size {
            Size::Tiny => 1,
            Size::Small => 1,
            _ => FUTURES.len(),
        };
        let futures: Vec<Symbol> = FUTURES[..nf].iter().map(|s| interned(s)).collect();

        // labels: data accounts, then the IP-restricted one (with a little history), then the refusal-journey ones
        let mut labels: Vec<&str> = ["main", "alt", "third", "fourth"][..spec.data_accounts].to_vec();
        labels.push("office");
        let tiny = SizeSpec { data_accounts: 1, days: spec.days, spot_fills_per_kday: 0, futures_fills_per_kday: 0 };
        let mut incoming: Vec<Vec<Incoming>> = Vec::new();
        let mut binance = Vec::new();
        for (i, l) in labels.iter().enumerate() {
            let sp = if *l == "office" { &tiny } else { &spec };
            let mut inc = Vec::new();
            binance.push(gen_binance(seed, &market, l, i as u64, sp, spec.days, traded, &futures, late, &mut inc));
            incoming.push(inc);
        }
        for (j, l) in ["trader", "withdrawer", "mover"].iter().enumerate() {
            let mut inc = Vec::new();
            let acc = gen_binance(seed, &market, l, (labels.len() + j) as u64, &tiny, 1, traded, &[], None, &mut inc);
            binance.push(acc);
        }
        let incoming: Vec<(&str, Vec<Incoming>)> = labels.iter().copied().zip(incoming).collect();
        let mut bitget = bitget_accounts(seed, &market, size, &incoming, &bitget_spot, &futures);
        // copy trading (docs/venues.md §1.17, §2.11): a Binance lead portfolio, a Bitget follower and trader
        binance.push(copy::binance_lead(seed, &market, "lead", binance.len() as u64, &spec, traded, &futures));
        for (l, role) in [("follower", CopyRole::Follower), ("leader", CopyRole::Trader)] {
            let i = bitget.len() as u64;
            bitget.push(copy::bitget_copy(seed, &market, l, i, &spec, &bitget_spot, &futures, role));
        }

        let keys = demo_keys(seed, &binance, &bitget);
        World {
            seed,
            size,
            start,
            end,
            market: Arc::new(market),
            binance_spot,
            binance_futures: futures.clone(),
            bitget_spot,
            binance_delisted: vec![interned(&format!("{}{}", BINANCE_DELISTED.0, BINANCE_DELISTED.1))],
            bitget_futures: futures,
            binance_price_only,
            bitget_fiat,
            binance,
            bitget,
            keys,
        }
    }

    /// Number of fills (spot and futures, both venues).
    pub fn fill_count(&self) -> usize {
        let b: usize = self
            .binance
            .iter()
            .map(|a| {
                a.trades.values().map(Vec::len).sum::<usize>() + a.futures_trades.values().map(Vec::len).sum::<usize>()
            })
            .sum();
        let g: usize = self.bitget.iter().map(|a| a.spot_fills.len() + a.mix_fills.len()).sum();
        b + g
    }

    /// A Binance account by label.
    pub fn binance_account(&self, label: &str) -> Option<&BinanceAccount> {
        self.binance.iter().find(|a| a.label == label)
    }

    /// A Bitget account by label.
    pub fn bitget_account(&self, label: &str) -> Option<&BitgetAccount> {
        self.bitget.iter().find(|a| a.label == label)
    }
}

/// The Bitget accounts of a world of `size`: "main" classic, "unified" UTA, further classic data accounts (with the
/// deposits arriving from the Binance account of the same label, `incoming`), "office", and the refusal ones.
fn bitget_accounts(
    seed: u64,
    market: &Market,
    size: Size,
    incoming: &[(&str, Vec<Incoming>)],
    bitget_spot: &[Symbol],
    futures: &[Symbol],
) -> Vec<BitgetAccount> {
    let spec = size.spec();
    let tiny = SizeSpec { data_accounts: 1, days: spec.days, spot_fills_per_kday: 0, futures_fills_per_kday: 0 };
    let mut bg_labels: Vec<(&str, AccountMode)> =
        vec![("main", AccountMode::Classic), ("unified", AccountMode::Unified)];
    for l in ["alt", "third"].iter().take(spec.data_accounts.saturating_sub(2)) {
        bg_labels.push((l, AccountMode::Classic));
    }
    if size == Size::Tiny {
        bg_labels.truncate(2);
    }
    let mut bitget = Vec::new();
    for (i, (l, mode)) in bg_labels.iter().enumerate() {
        let inc: &[Incoming] = incoming.iter().find(|(x, _)| x == l).map(|(_, v)| v.as_slice()).unwrap_or(&[]);
        bitget.push(gen_bitget(seed, market, l, i as u64, *mode, &spec, spec.days, bitget_spot, futures, inc));
    }
    let n = bitget.len();
    bitget.push(gen_bitget(
        seed,
        market,
        "office",
        n as u64,
        AccountMode::Classic,
        &tiny,
        spec.days,
        bitget_spot,
        futures,
        &[],
    ));
    for (j, l) in ["trader", "withdrawer"].iter().enumerate() {
        bitget.push(gen_bitget(
            seed,
            market,
            l,
            (n + 1 + j) as u64,
            AccountMode::Classic,
            &tiny,
            1,
            bitget_spot,
            &[],
            &[],
        ));
    }
    bitget
}
