//! Bitget's COIN-M and USDC-M futures (docs/venues.md §2.6): each product type is a wallet of its own, read by the
//! same parsers as USDT-M from the documented shapes; USDT-M keeps its `futures` wallet.

use ledger::{Decimal, EventKind, IncomeType};
use serde_json::json;
use venues::parse::bitget;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn each_product_type_is_a_wallet_of_its_own() {
    assert_eq!(bitget::futures_wallet("USDT-FUTURES"), Some("futures"), "existing ledgers keep their ids");
    assert_eq!(bitget::futures_wallet("COIN-FUTURES"), Some("coinm"));
    assert_eq!(bitget::futures_wallet("usdc-futures"), Some("usdcm"));
    assert_eq!(bitget::futures_wallet("SUSDT-FUTURES"), None, "a demo product type is not read");
    // a transfer out of a COIN-M or USDC-M wallet names it by its account type
    assert_eq!(bitget::wallet_of("coin_futures"), Some("coinm"));
    assert_eq!(bitget::wallet_of("usdc_futures"), Some("usdcm"));
    for (wallet, from) in bitget::FUTURES_FROM_TYPES {
        assert_eq!(bitget::wallet_of(from), Some(wallet));
    }
}

#[test]
fn coin_m_bills_are_income_in_the_coin() {
    let bills = json!({"bills": [
        {"billId": "7", "symbol": "BTCUSD", "amount": "0.0002", "fee": "-0.00001", "feeByCoupon": "", "businessType": "close_long", "coin": "BTC", "balance": "0.0102", "cTime": "1695715200654"},
        {"billId": "8", "symbol": "BTCUSD", "amount": "-0.000003", "fee": "0", "feeByCoupon": "", "businessType": "contract_settle_fee", "coin": "BTC", "balance": "0.0101", "cTime": "1695715300654"},
        {"billId": "9", "symbol": "", "amount": "0.01", "fee": "0", "businessType": "trans_from_exchange", "coin": "BTC", "balance": "0.01", "cTime": "1695714563517"}],
        "endId": "7"});
    let page = bitget::futures_bills_in(&bills, "main", "coinm").unwrap();
    let got: Vec<(&str, IncomeType, &str, Decimal)> = page
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Income { income_type, asset, amount, .. } => {
                (e.id.as_str(), *income_type, asset.as_str(), *amount)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            ("bitget/main/coinm:bill:7:fee", IncomeType::Commission, "BTC", d("-0.00001")),
            ("bitget/main/coinm:bill:7:pnl", IncomeType::RealizedPnl, "BTC", d("0.0002")),
            ("bitget/main/coinm:bill:8", IncomeType::Funding, "BTC", d("-0.000003")),
        ]
    );
    assert_eq!(page.rows, 3, "the transfer bill is a row, mirrored by the transfer record");
    // the USDT-M parser is the same one in the `futures` wallet
    let usdt = bitget::futures_bills(&bills, "main").unwrap();
    assert_eq!(usdt.events[0].id, "bitget/main/futures:bill:7:fee");
}

#[test]
fn usdc_m_balances_fills_and_positions_are_in_their_wallet() {
    let accounts = json!([{"marginCoin": "USDC", "locked": "0", "available": "90", "accountEquity": "105",
        "usdtEquity": "105", "unrealizedPL": "5", "coupon": "0"}]);
    let mut balances = Default::default();
    bitget::futures_balances_in(&accounts, "main", "usdcm", &mut balances).unwrap();
    assert_eq!(balances["bitget/main/usdcm"]["USDC"], d("100"), "equity minus unrealized PnL");
    assert!(!balances.contains_key("bitget/main/futures"));

    let fills = json!({"fillList": [{"tradeId": "31", "symbol": "BTCPERP", "orderId": "30", "price": "60000",
        "baseVolume": "0.01", "feeDetail": [{"deduction": "no", "feeCoin": "USDC", "totalDeductionFee": "0", "totalFee": "-0.36"}],
        "side": "buy", "quoteVolume": "600", "profit": "0", "enterPointSource": "api", "tradeSide": "open",
        "posMode": "hedge_mode", "tradeScope": "taker", "cTime": "1695715200654"}], "endId": "31"});
    let page = bitget::futures_fills_in(&fills, "main", "usdcm").unwrap();
    assert_eq!(page.events[0].id, "bitget/main/usdcm:futures_trade:BTCPERP:31");

    let t = ledger::Timestamp(1_720_736_500_000);
    let positions = json!([{"marginCoin": "BTC", "symbol": "BTCUSD", "holdSide": "long", "total": "0.5",
        "openPriceAvg": "60000", "markPrice": "61000", "unrealizedPL": "0.0082", "cTime": "1", "uTime": "1"}]);
    let p = bitget::positions_in(&positions, "main", "coinm", t).unwrap();
    assert_eq!(
        (p[0].account.as_str(), p[0].margin_asset.as_str(), p[0].amount),
        ("bitget/main/coinm", "BTC", d("0.5"))
    );
    // the PnL in BTC is the page's own `unrealizedPL` (0.0082), not the linear 500
    assert_eq!(p[0].contract_size, Some(d("60000")), "one coin worth the entry price");
    let upnl = p[0].unrealized();
    assert_eq!(upnl.round_dp(4), d("0.0082"));
}
