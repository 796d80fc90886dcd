//! A Binance data account's fiat, card, P2P and Binance Pay activity (docs/venues.md §1.15): a EUR bank deposit, a
//! failed one, a card purchase of BTC, a P2P buy and sell of USDT for EUR in funding, a Pay payment received and one
//! sent. Four days before the history's end, so that the rest of the world is generated as before and the ticks test
//! (the last three days) meets none of it; the ids come from the time (no draw from the account's random stream).

use super::*;

/// A fiat deposit or withdrawal (`GET /sapi/v1/fiat/orders`).
#[derive(Clone, Debug)]
pub struct FiatOrder {
    /// `orderNo`.
    pub order_no: String,
    /// `transactionType` 1.
    pub withdraw: bool,
    /// `fiatCurrency`.
    pub fiat: Symbol,
    /// `indicatedAmount`: what was sent (deposit) or asked for (withdrawal).
    pub indicated: Decimal,
    /// `amount`: credited (deposit, net of the fee) or sent (withdrawal).
    pub amount: Decimal,
    /// `totalFee`.
    pub fee: Decimal,
    /// `status` (`Successful`, `Failed`).
    pub status: &'static str,
    /// `createTime` and `updateTime`, ms.
    pub time: i64,
}

/// A card or bank purchase or sale (`GET /sapi/v1/fiat/payments`).
#[derive(Clone, Debug)]
pub struct FiatPayment {
    /// `orderNo`.
    pub order_no: String,
    /// `transactionType` 1.
    pub sell: bool,
    /// `fiatCurrency`.
    pub fiat: Symbol,
    /// `sourceAmount`: the fiat, fee included.
    pub source_amount: Decimal,
    /// `cryptoCurrency`.
    pub crypto: Symbol,
    /// `obtainAmount`.
    pub obtain_amount: Decimal,
    /// `totalFee`, in the fiat.
    pub fee: Decimal,
    /// `price`: fiat per unit of the crypto.
    pub price: Decimal,
    /// `createTime`, ms.
    pub time: i64,
}

/// A P2P order (`GET /sapi/v1/c2c/orderMatch/listUserOrderHistory`).
#[derive(Clone, Debug)]
pub struct P2pOrder {
    /// `orderNumber`.
    pub order_number: String,
    /// `tradeType` BUY.
    pub buy: bool,
    /// `asset`.
    pub asset: Symbol,
    /// `fiat`.
    pub fiat: Symbol,
    /// `amount`, in the crypto.
    pub amount: Decimal,
    /// `totalPrice`, in the fiat.
    pub total_price: Decimal,
    /// `unitPrice`.
    pub unit_price: Decimal,
    /// `commission`, in the crypto.
    pub commission: Decimal,
    /// `createTime`, ms.
    pub time: i64,
}

/// A Binance Pay transaction (`GET /sapi/v1/pay/transactions`).
#[derive(Clone, Debug)]
pub struct PayTx {
    /// `transactionId`.
    pub id: String,
    /// `orderType`.
    pub order_type: String,
    /// `currency`.
    pub currency: Symbol,
    /// `amount`: positive received, negative sent.
    pub amount: Decimal,
    /// What each wallet paid or received, by `walletType` code (1 funding, 2 spot), the main one first: one entry
    /// for most rows, two for a payment combining wallets (`walletTypes`, `fundsDetail`'s `walletAssetCost`).
    pub wallets: Vec<(u8, Decimal)>,
    /// `transactionTime`, ms.
    pub time: i64,
}

/// The fiat script's acts, as times before the history's end.
pub(super) const FIAT_SCRIPT: &[(i64, Act)] = &[
    (4 * DAY - 2 * HOUR, Act::FiatDeposit(false)),
    (4 * DAY - 3 * HOUR, Act::FiatDeposit(true)),
    (4 * DAY - 4 * HOUR, Act::CardBuy),
    (4 * DAY - 5 * HOUR, Act::P2p(true)),
    (4 * DAY - 5 * HOUR - MINUTE, Act::P2p(false)),
    (4 * DAY - 6 * HOUR, Act::Pay(true)),
    (4 * DAY - 6 * HOUR - MINUTE, Act::Pay(false)),
    (4 * DAY - 6 * HOUR - 2 * MINUTE, Act::PayFromTwoWallets),
];

/// An order number from an id: 32 hex digits, as the fiat pages write them.
fn order_no(id: u64) -> String {
    format!("{id:032x}")
}

impl BinanceActivity<'_> {
    /// EUR per USDT at `t` (the simulated `EURUSDT`), if the market has it.
    fn eur_per_usdt(&self, t: i64) -> Option<Decimal> {
        let eur = self.g.usdt_value("EUR", t);
        (!eur.is_zero()).then(|| Decimal::ONE / eur)
    }

    /// A bank deposit of 200 EUR to spot, 0.4 EUR fee taken from it; `failed`: one that failed (nothing moves).
    pub(super) fn fiat_deposit(&mut self, t: i64, failed: bool) {
        let (start, index) = (self.start, self.index);
        let (indicated, fee) = (Decimal::from(200), Decimal::new(4, 1));
        if !failed {
            add(&mut self.spot, "EUR", indicated - fee);
        }
        self.a.fiat_orders.push(FiatOrder {
            order_no: order_no(rid(70_000_000_000, start, t, index)),
            withdraw: false,
            fiat: interned("EUR"),
            indicated,
            amount: indicated - fee,
            fee,
            status: if failed { "Failed" } else { "Successful" },
            time: t,
        });
    }

    /// A card purchase of BTC for 100 EUR, 2 EUR of it the fee, into spot.
    pub(super) fn card_buy(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Some(eur_per_usdt) = self.eur_per_usdt(t) else { return };
        let price = (self.g.usdt_value("BTC", t) * eur_per_usdt).round_dp(2);
        if price.is_zero() {
            return;
        }
        let (source, fee) = (Decimal::from(100), Decimal::from(2));
        let obtain = ((source - fee) / price).round_dp(8);
        add(&mut self.spot, "BTC", obtain);
        self.a.fiat_payments.push(FiatPayment {
            order_no: order_no(rid(71_000_000_000, start, t, index)),
            sell: false,
            fiat: interned("EUR"),
            source_amount: source,
            crypto: interned("BTC"),
            obtain_amount: obtain,
            fee,
            price,
            time: t,
        });
    }

    /// A P2P buy of USDT for 50 EUR paid outside Binance (no commission), or a sell of 20 USDT with 0.02 USDT
    /// commission (when funding holds them), in funding.
    pub(super) fn p2p(&mut self, t: i64, buy: bool) {
        let (start, index) = (self.start, self.index);
        let Some(eur_per_usdt) = self.eur_per_usdt(t) else { return };
        let unit_price = eur_per_usdt.round_dp(2);
        let (amount, commission) = if buy {
            ((Decimal::from(50) / unit_price).round_dp(2), Decimal::ZERO)
        } else {
            (Decimal::from(20), Decimal::new(2, 2))
        };
        if buy {
            add(&mut self.funding, "USDT", amount);
        } else if bal(&self.funding, "USDT") >= amount + commission {
            add(&mut self.funding, "USDT", -(amount + commission));
        } else {
            return;
        }
        self.a.p2p.push(P2pOrder {
            order_number: format!("2021{}", rid(73_000_000_000, start, t, index)),
            buy,
            asset: interned("USDT"),
            fiat: interned("EUR"),
            amount,
            total_price: (amount * unit_price).round_dp(2),
            unit_price,
            commission,
            time: t,
        });
    }

    /// A Binance Pay payment of 15 USDT received from another user into funding, or one of 5 USDT paid to a merchant
    /// from funding (when it holds them).
    pub(super) fn pay(&mut self, t: i64, received: bool) {
        let amount = if received { Decimal::from(15) } else { Decimal::from(-5) };
        if bal(&self.funding, "USDT") + amount < Decimal::ZERO {
            return;
        }
        add(&mut self.funding, "USDT", amount);
        self.push_pay(t, if received { "C2C" } else { "PAY" }, amount, vec![(1, amount)]);
    }

    /// A Binance Pay payment of 8 USDT to a merchant combining wallets: 5 from funding, 3 from spot (when both hold
    /// them).
    pub(super) fn pay_from_two_wallets(&mut self, t: i64) {
        let (from_funding, from_spot) = (Decimal::from(-5), Decimal::from(-3));
        if bal(&self.funding, "USDT") + from_funding < Decimal::ZERO
            || bal(&self.spot, "USDT") + from_spot < Decimal::ZERO
        {
            return;
        }
        add(&mut self.funding, "USDT", from_funding);
        add(&mut self.spot, "USDT", from_spot);
        self.push_pay(t, "PAY", from_funding + from_spot, vec![(1, from_funding), (2, from_spot)]);
    }

    fn push_pay(&mut self, t: i64, order_type: &str, amount: Decimal, wallets: Vec<(u8, Decimal)>) {
        self.a.pay.push(PayTx {
            id: format!("M_P_{}", rid(72_000_000_000, self.start, t, self.index)),
            order_type: order_type.into(),
            currency: interned("USDT"),
            amount,
            wallets,
            time: t,
        });
    }
}
