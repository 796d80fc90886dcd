//! A Binance data account's cross margin activity (docs/venues.md §1.18): 200 USDT moved from spot to cross margin;
//! a BTC borrow sold and liquidated (the venue buys the BTC owed back, repays the loan and charges a liquidation fee);
//! then a BTC borrow sold, interest charged on the borrow and hourly, the BTC bought back, and the loan repaid with
//! its interest. Six and five days before the history's end (the fiat script is at four, the ticks test covers the
//! last three); ids come from the time (no draw from the account's random stream).

use super::*;

/// A borrow or a repay (`GET /sapi/v1/margin/borrow-repay`).
#[derive(Clone, Debug)]
pub struct MarginLoan {
    /// `txId`.
    pub tx_id: u64,
    /// `type=REPAY` (else a borrow).
    pub repay: bool,
    /// `asset`.
    pub asset: Symbol,
    /// `principal` (a borrow's `amount`).
    pub principal: Decimal,
    /// `interest` repaid (zero for a borrow).
    pub interest: Decimal,
    /// `timestamp`, ms.
    pub time: i64,
}

/// Interest charged (`GET /sapi/v1/margin/interestHistory`).
#[derive(Clone, Debug)]
pub struct MarginInterest {
    /// `txId`: the borrow's.
    pub tx_id: u64,
    /// `asset`.
    pub asset: Symbol,
    /// `principal` it was charged on.
    pub principal: Decimal,
    /// `interest`.
    pub interest: Decimal,
    /// `type`: `ON_BORROW` or `PERIODIC`.
    pub kind: &'static str,
    /// `interestAccuredTime`, ms.
    pub time: i64,
}

/// A flow of the margin account (`GET /sapi/v1/margin/capital-flow`).
#[derive(Clone, Debug)]
pub struct MarginFlow {
    /// `id`.
    pub id: u64,
    /// `tranId`.
    pub tran_id: u64,
    /// `asset`.
    pub asset: Symbol,
    /// `symbol`, when the flow has one.
    pub symbol: Option<Symbol>,
    /// `type` (`TRANSFER`, `BORROW`, `SELL_INCOME`, ...).
    pub kind: &'static str,
    /// `amount`, unsigned as the page shows it.
    pub amount: Decimal,
    /// `timestamp`, ms.
    pub time: i64,
}

/// A liquidation order (`GET /sapi/v1/margin/forceLiquidationRec`).
#[derive(Clone, Debug)]
pub struct MarginLiquidation {
    /// `orderId`.
    pub order_id: u64,
    /// `symbol`.
    pub symbol: Symbol,
    /// `side` BUY (else SELL).
    pub buy: bool,
    /// `avgPrice`.
    pub price: Decimal,
    /// `executedQty`.
    pub qty: Decimal,
    /// `updatedTime`, ms.
    pub time: i64,
}

/// The margin script's acts, as times before the history's end.
pub(super) const MARGIN_SCRIPT: &[(i64, Act)] = &[
    (6 * DAY, Act::MarginIn),
    (6 * DAY - MINUTE, Act::MarginBorrow),
    (6 * DAY - 2 * MINUTE, Act::MarginSell),
    (6 * DAY - HOUR, Act::MarginLiquidation),
    (5 * DAY - MINUTE, Act::MarginBorrow),
    (5 * DAY - 2 * MINUTE, Act::MarginSell),
    (5 * DAY - HOUR, Act::MarginInterest),
    (5 * DAY - 2 * HOUR, Act::MarginInterest),
    (5 * DAY - 3 * HOUR, Act::MarginBuyBack),
    (5 * DAY - 3 * HOUR - MINUTE, Act::MarginRepay),
];

/// The pair traded on margin.
const PAIR: &str = "BTCUSDT";
/// Hourly interest rate of the BTC loan.
fn hourly_rate() -> Decimal {
    Decimal::new(1, 5)
}

impl BinanceActivity<'_> {
    /// A capital flow row of the margin account.
    fn flow(&mut self, t: i64, kind: &'static str, asset: &str, amount: Decimal, tran_id: u64) {
        let (start, index) = (self.start, self.index);
        let n = self.a.margin_flows.len() as u64;
        self.a.margin_flows.push(MarginFlow {
            id: rid(81_000_000_000, start, t, index) * 8 + n % 8,
            tran_id,
            asset: interned(asset),
            symbol: (kind != "TRANSFER").then(|| interned(PAIR)),
            kind,
            amount,
            time: t,
        });
    }

    /// 200 USDT from spot to cross margin (`MAIN_MARGIN`), when spot holds them and BTCUSDT is listed.
    pub(super) fn margin_in(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let amount = Decimal::from(200);
        if bal(&self.spot, "USDT") < amount || self.market.symbol(PAIR).is_none() {
            return;
        }
        let id = rid(11_000_000_000, start, t, index);
        add(&mut self.spot, "USDT", -amount);
        add(&mut self.margin, "USDT", amount);
        self.a.transfers.push(Transfer { id, from: "spot", to: "margin", asset: interned("USDT"), amount, time: t });
        self.flow(t, "TRANSFER", "USDT", amount, id);
    }

    /// Borrows BTC worth about 100 USDT: the units arrive and are owed (the net balance does not move).
    pub(super) fn margin_borrow(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let price = self.g.usdt_value("BTC", t);
        if self.margin.is_empty() || price.is_zero() {
            return;
        }
        let principal = (Decimal::from(100) / price).round_dp(5);
        let tx_id = rid(82_000_000_000, start, t, index);
        self.margin_debt = Some((tx_id, principal, Decimal::ZERO));
        let btc = interned("BTC");
        self.a.margin_loans.push(MarginLoan {
            tx_id,
            repay: false,
            asset: btc.clone(),
            principal,
            interest: Decimal::ZERO,
            time: t,
        });
        self.flow(t, "BORROW", "BTC", principal, tx_id);
        // the first interest, charged on borrowing
        self.charge_interest(t + 1, "ON_BORROW");
    }

    /// Interest on the open BTC loan at the hourly rate: owed, so the net balance falls.
    fn charge_interest(&mut self, t: i64, kind: &'static str) {
        let Some((tx_id, principal, interest)) = self.margin_debt else { return };
        let charged = (principal * hourly_rate()).round_dp(8);
        self.margin_debt = Some((tx_id, principal, interest + charged));
        add(&mut self.margin, "BTC", -charged);
        self.a.margin_interest.push(MarginInterest {
            tx_id,
            asset: interned("BTC"),
            principal,
            interest: charged,
            kind,
            time: t,
        });
    }

    /// Hourly interest on the open loan.
    pub(super) fn margin_interest(&mut self, t: i64) {
        self.charge_interest(t, "PERIODIC");
    }

    /// A margin fill on BTCUSDT of `qty` BTC at the market, 0.1 % commission in USDT; its order id.
    fn margin_fill(&mut self, t: i64, buy: bool, qty: Decimal) -> u64 {
        self.margin_fill_as(t, buy, qty, None)
    }

    /// [`Self::margin_fill`], its flows of type `kind` (a liquidation's) instead of a trade's.
    fn margin_fill_as(&mut self, t: i64, buy: bool, qty: Decimal, kind: Option<&'static str>) -> u64 {
        let (start, index) = (self.start, self.index);
        let id = rid(83_000_000_000, start, t, index);
        let f = pair_fill(id, t, self.market.price(PAIR, t), buy, qty, kind);
        for (asset, change) in f.changes {
            add(&mut self.margin, asset, change);
        }
        self.a.margin_trades.entry(interned(PAIR)).or_default().push(f.fill);
        for (flow, asset, amount) in f.flows {
            self.flow(t, flow, asset, amount, id);
        }
        id + 1
    }

    /// The venue liquidates the open loan: it buys the BTC owed back (a liquidation order and its fill), repays the
    /// loan with its interest and charges a liquidation fee of 1 % of the buy in USDT, a flow no other stream books.
    pub(super) fn margin_liquidation(&mut self, t: i64) {
        let Some((_, principal, interest)) = self.margin_debt else { return };
        let qty = principal + interest;
        let order_id = self.margin_fill_as(t, true, qty, Some("BUY_LIQUIDATION"));
        let fill = self.a.margin_trades[PAIR].last().expect("the fill just made").clone();
        self.a.margin_liquidations.push(MarginLiquidation {
            order_id,
            symbol: interned(PAIR),
            buy: true,
            price: fill.price,
            qty,
            time: t,
        });
        self.margin_repay_as(t + 1, "REPAY_LIQUIDATION");
        let fee = (fill.quote_qty * Decimal::new(1, 2)).round_dp(8);
        add(&mut self.margin, "USDT", -fee);
        self.flow(t + 2, "LIQUIDATION_FEE", "USDT", fee, order_id);
    }

    /// Sells the borrowed BTC.
    pub(super) fn margin_sell(&mut self, t: i64) {
        if let Some((_, principal, _)) = self.margin_debt {
            self.margin_fill(t, false, principal);
        }
    }

    /// Buys back what is owed: the principal and the interest.
    pub(super) fn margin_buy_back(&mut self, t: i64) {
        if let Some((_, principal, interest)) = self.margin_debt {
            self.margin_fill(t, true, principal + interest);
        }
    }

    /// Repays the loan with its interest: units and debt leave together (the net balance does not move).
    pub(super) fn margin_repay(&mut self, t: i64) {
        self.margin_repay_as(t, "REPAY");
    }

    /// [`Self::margin_repay`] with its flow of type `kind` (`REPAY_LIQUIDATION` for the venue's own).
    fn margin_repay_as(&mut self, t: i64, kind: &'static str) {
        let (start, index) = (self.start, self.index);
        let Some((_, principal, interest)) = self.margin_debt.take() else { return };
        let tx_id = rid(84_000_000_000, start, t, index);
        self.a.margin_loans.push(MarginLoan {
            tx_id,
            repay: true,
            asset: interned("BTC"),
            principal,
            interest,
            time: t,
        });
        self.flow(t, kind, "BTC", principal + interest, tx_id);
    }
}

/// A BTCUSDT margin fill (cross or an isolated pair's) of `qty` BTC at the market's `price` rounded to a whole
/// number (price x qty, qty to 8 decimals, stays within the 8 decimals the venue writes; the page's rows have no quote
/// quantity, the client multiplies), 0.1 % commission in USDT: the fill, the wallet's changes and the capital flows,
/// of type `kind` (a liquidation's) or a trade's.
pub(super) struct PairFill {
    pub fill: SpotFill,
    pub changes: [(&'static str, Decimal); 2],
    pub flows: [(&'static str, &'static str, Decimal); 3],
}

pub(super) fn pair_fill(
    id: u64,
    t: i64,
    price: Decimal,
    buy: bool,
    qty: Decimal,
    kind: Option<&'static str>,
) -> PairFill {
    let price = price.round_dp(0);
    let quote = (price * qty).normalize();
    let commission = (quote * Decimal::new(1, 3)).round_dp(8);
    let (sign, usdt) = if buy { (Decimal::ONE, -quote) } else { (Decimal::NEGATIVE_ONE, quote) };
    let fill = SpotFill {
        id,
        order_id: id + 1,
        time: t,
        price,
        qty,
        quote_qty: quote,
        commission,
        commission_asset: interned("USDT"),
        is_buyer: buy,
        is_maker: false,
    };
    let (out, into) = if buy { ("BUY_EXPENSE", "BUY_INCOME") } else { ("SELL_EXPENSE", "SELL_INCOME") };
    let (out, into) = kind.map_or((out, into), |k| (k, k));
    let (spent, got) = if buy { (("USDT", quote), ("BTC", qty)) } else { (("BTC", qty), ("USDT", quote)) };
    PairFill {
        fill,
        changes: [("BTC", sign * qty), ("USDT", usdt - commission)],
        flows: [(out, spent.0, spent.1), (into, got.0, got.1), ("TRADING_COMMISSION", "USDT", commission)],
    }
}
