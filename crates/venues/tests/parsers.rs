//! Parsers against the documented samples (the venues' pages, docs/venues.md): amounts, ids and the errors for
//! malformed answers.

use catalogue::Venue;
use ledger::{Decimal, EventKind, IncomeType, Money};
use serde_json::{Value, json};
use venues::parse::{SymbolBook, binance, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn book() -> SymbolBook {
    let info = json!({"symbols": [
        {"symbol": "BNBBTC", "baseAsset": "BNB", "quoteAsset": "BTC"},
        {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT"}]});
    binance::exchange_info(&info, &catalogue::BINANCE_EXCHANGE_INFO).unwrap()
}

#[test]
fn binance_my_trades_sample() {
    let data = json!([{"symbol": "BNBBTC", "id": 28457, "orderId": 100234, "orderListId": -1, "price": "4.00000100",
        "qty": "12.00000000", "quoteQty": "48.000012", "commission": "10.10000000", "commissionAsset": "BNB",
        "time": 1499865549590u64, "isBuyer": true, "isMaker": false, "isBestMatch": true}]);
    let page = binance::my_trades(&data, "main", &book()).unwrap();
    assert_eq!((page.rows, page.max_id), (1, Some(28457)));
    let e = &page.events[0];
    assert_eq!(e.id, "binance/main/spot:trade:BNBBTC:28457");
    assert_eq!(e.time.to_string(), "2017-07-12T13:19:09.590Z");
    assert_eq!(
        e.kind,
        EventKind::Trade {
            spend: Money::new("BTC", d("48.000012")),
            receive: Money::new("BNB", d("12")),
            fees: vec![Money::new("BNB", d("10.1"))],
            symbol: Some("BNBBTC".into())
        }
    );
    assert!(e.validate().is_ok());
}

#[test]
fn binance_wallet_samples() {
    let deposits = json!([
        {"id": "769800519366885376", "amount": "0.001", "coin": "BNB", "network": "BNB", "status": 1, "address": "x",
         "addressTag": "101764890", "txId": "98A3EA", "insertTime": 1661493146000u64, "transferType": 0},
        {"id": "2", "amount": "5", "coin": "ETH", "network": "ETH", "status": 0, "address": "x", "txId": "t",
         "insertTime": 1661493147000u64}]);
    let page = binance::deposits(&deposits, "main").unwrap();
    assert_eq!(page.rows, 2, "the pending row counts for paging");
    assert_eq!(page.events.len(), 1, "but is not an event until credited");
    assert_eq!(page.events[0].id, "binance/main/spot:deposit:769800519366885376");

    let withdrawals = json!([{"id": "b6ae22b3aa844210a7041aee7589627c", "amount": "8.91000000", "transactionFee": "0.004",
        "coin": "USDT", "status": 6, "address": "0x94", "txId": "0xb5", "applyTime": "2019-10-12 11:12:02",
        "network": "ETH", "transferType": 0, "completeTime": "2023-03-23 16:52:41"}]);
    let page = binance::withdrawals(&withdrawals, "main").unwrap();
    let e = &page.events[0];
    assert_eq!(e.time.to_string(), "2019-10-12T11:12:02Z");
    assert_eq!(
        e.kind,
        EventKind::Withdrawal {
            asset: "USDT".into(),
            amount: d("8.91"),
            fee: Some(d("0.004")),
            txid: Some("0xb5".into())
        }
    );

    let transfers = json!({"total": 2, "rows": [
        {"asset": "USDT", "amount": "1", "type": "MAIN_UMFUTURE", "status": "CONFIRMED", "tranId": 11415955596u64, "timestamp": 1544433328000u64},
        {"asset": "USDT", "amount": "2", "type": "MAIN_UMFUTURE", "status": "FAILED", "tranId": 11366865406u64, "timestamp": 1544433328000u64}]});
    let page = binance::transfers(&transfers, "main").unwrap();
    assert_eq!((page.rows, page.total, page.events.len()), (2, Some(2), 1));
    assert_eq!(page.events[0].id, "binance/main/spot:transfer:MAIN_UMFUTURE:11415955596");
    match &page.events[0].kind {
        EventKind::Transfer { from_account, to_account, .. } => {
            assert_eq!((from_account.as_str(), to_account.as_str()), ("binance/main/spot", "binance/main/usdm"));
        }
        other => panic!("{other:?}"),
    }
}

/// The transfers into and out of an isolated pair, from cross margin or another pair (docs/venues.md §1.18): the rows
/// do not name the pairs, the request does (`toSymbol`, `fromSymbol`); without it such a type is not one this client
/// asked for.
#[test]
fn binance_isolated_transfers_move_between_the_wallets_the_request_names() {
    let row = |ty: &str, id: u64| {
        json!({"total": 1, "rows": [{"asset": "USDT", "amount": "100", "type": ty, "status": "CONFIRMED",
                                     "tranId": id, "timestamp": 1544433328000u64}]})
    };
    let moved = |page: &venues::parse::Page| match &page.events[0].kind {
        EventKind::Transfer { from_account, to_account, .. } => {
            (page.events[0].id.clone(), from_account.to_string(), to_account.to_string())
        }
        other => panic!("{other:?}"),
    };
    let into =
        binance::transfers_of(&row("MARGIN_ISOLATEDMARGIN", 7), "main", &[("toSymbol", "BTCUSDT".into())]).unwrap();
    assert_eq!(
        moved(&into),
        (
            "binance/main/margin:transfer:MARGIN_ISOLATEDMARGIN:7".to_string(),
            "binance/main/margin".to_string(),
            "binance/main/isolated-BTCUSDT".to_string()
        )
    );
    let out =
        binance::transfers_of(&row("ISOLATEDMARGIN_MARGIN", 8), "main", &[("fromSymbol", "BTCUSDT".into())]).unwrap();
    assert_eq!(
        moved(&out),
        (
            "binance/main/isolated-BTCUSDT:transfer:ISOLATEDMARGIN_MARGIN:8".to_string(),
            "binance/main/isolated-BTCUSDT".to_string(),
            "binance/main/margin".to_string()
        )
    );
    let between = [("fromSymbol", "BTCUSDT".to_string()), ("toSymbol", "ETHUSDT".to_string())];
    let across = binance::transfers_of(&row("ISOLATEDMARGIN_ISOLATEDMARGIN", 9), "main", &between).unwrap();
    assert_eq!(
        moved(&across),
        (
            "binance/main/isolated-BTCUSDT:transfer:ISOLATEDMARGIN_ISOLATEDMARGIN:9".to_string(),
            "binance/main/isolated-BTCUSDT".to_string(),
            "binance/main/isolated-ETHUSDT".to_string()
        )
    );
    // a pair the request did not name: not a type this client asked for
    assert!(binance::transfers(&row("MARGIN_ISOLATEDMARGIN", 7), "main").is_err());
    let one_side = &between[..1];
    assert!(binance::transfers_of(&row("ISOLATEDMARGIN_ISOLATEDMARGIN", 9), "main", one_side).is_err());
}

#[test]
fn binance_funding_to_futures_transfers_move_between_those_wallets() {
    let transfers = json!({"total": 2, "rows": [
        {"asset": "USDT", "amount": "5", "type": "FUNDING_UMFUTURE", "status": "CONFIRMED", "tranId": 1u64, "timestamp": 1544433328000u64},
        {"asset": "USDT", "amount": "3", "type": "UMFUTURE_FUNDING", "status": "CONFIRMED", "tranId": 2u64, "timestamp": 1544433329000u64}]});
    let page = binance::transfers(&transfers, "main").unwrap();
    let moves: Vec<(&str, &str, &str)> = page
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Transfer { from_account, to_account, .. } => {
                (e.id.as_str(), from_account.as_str(), to_account.as_str())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("binance/main/funding:transfer:FUNDING_UMFUTURE:1", "binance/main/funding", "binance/main/usdm"),
            ("binance/main/usdm:transfer:UMFUTURE_FUNDING:2", "binance/main/usdm", "binance/main/funding"),
        ]
    );
}

#[test]
fn binance_convert_dust_and_income_samples() {
    let convert = json!({"list": [{"quoteId": "f3b9", "orderId": 940708407462087195u64, "orderStatus": "SUCCESS",
        "fromAsset": "USDT", "fromAmount": "20", "toAsset": "BNB", "toAmount": "0.06154036", "ratio": "0.00307702",
        "inverseRatio": "324.99", "createTime": 1624248872184u64}], "startTime": 1623824139000u64,
        "endTime": 1626416139000u64, "limit": 100, "moreData": false});
    let page = binance::converts(&convert, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:convert:940708407462087195", "order ids above 2^53 stay exact");
    assert_eq!(page.cursor, None);

    let dust = json!({"total": 1, "userAssetDribblets": [{"operateTime": 1615985535000u64, "totalTransferedAmount": "0.00132256",
        "totalServiceChargeAmount": "0.00002699", "transId": 45178372831u64, "userAssetDribbletDetails": [
        {"transId": 4359321, "serviceChargeAmount": "0.000009", "amount": "0.0009", "operateTime": 1615985535000u64, "transferedAmount": "0.000441", "fromAsset": "USDT"},
        {"transId": 4359321, "serviceChargeAmount": "0.00001799", "amount": "0.0009", "operateTime": 1615985535000u64, "transferedAmount": "0.00088156", "fromAsset": "ETH"}]}]});
    let page = binance::dust(&dust, "main").unwrap();
    assert_eq!(page.events.len(), 2);
    assert_eq!(page.events[0].id, "binance/main/spot:dust:4359321:USDT");
    // BNB credited 0.000441 after a 0.000009 charge: gross 0.00045, fee 0.000009
    assert_eq!(
        page.events[0].kind,
        EventKind::Trade {
            spend: Money::new("USDT", d("0.0009")),
            receive: Money::new("BNB", d("0.00045")),
            fees: vec![Money::new("BNB", d("0.000009"))],
            symbol: None
        }
    );

    let income = json!([
        {"symbol": "", "incomeType": "TRANSFER", "income": "-0.37500000", "asset": "USDT", "info": "TRANSFER", "time": 1570608000000u64, "tranId": 9689322392u64, "tradeId": ""},
        {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT", "info": "COMMISSION", "time": 1570636800000u64, "tranId": "9689322392", "tradeId": "2059192"}]);
    let page = binance::income(&income, "main").unwrap();
    assert_eq!(page.rows, 2);
    assert_eq!(page.events.len(), 1, "TRANSFER rows mirror universal transfers");
    assert_eq!(page.events[0].id, "binance/main/usdm:income:COMMISSION:9689322392");
    assert_eq!(
        page.events[0].kind,
        EventKind::Income {
            income_type: IncomeType::Commission,
            asset: "USDT".into(),
            amount: d("-0.01"),
            symbol: Some("BTCUSDT".into())
        }
    );
}

#[test]
fn bitget_samples() {
    let fills = json!([{"userId": "1", "symbol": "BTCUSDT", "orderId": "12345678910", "tradeId": "12345678910",
        "orderType": "market", "side": "buy", "priceAvg": "13000", "size": "0.0007", "amount": "9.1",
        "feeDetail": {"deduction": "no", "feeCoin": "BTC", "totalDeductionFee": "", "totalFee": "-0.0000007"},
        "tradeScope": "taker", "cTime": "1695865232579", "uTime": "1695865233027"}]);
    let page = bitget::spot_fills(&fills, "main", &SymbolBook::default()).unwrap();
    assert_eq!(page.events[0].id, "bitget/main/spot:trade:BTCUSDT:12345678910");
    assert_eq!(
        page.events[0].kind,
        EventKind::Trade {
            spend: Money::new("USDT", d("9.1")),
            receive: Money::new("BTC", d("0.0007")),
            fees: vec![Money::new("BTC", d("0.0000007"))],
            symbol: Some("BTCUSDT".into())
        }
    );
    assert_eq!(page.min_id.as_deref(), Some("12345678910"));

    let bills = json!({"bills": [
        {"billId": "1", "symbol": "BTCUSDT", "amount": "-0.004992", "fee": "0", "feeByCoupon": "", "businessType": "contract_settle_fee", "coin": "USDT", "balance": "232.21", "cTime": "1695715200654"},
        {"billId": "2", "symbol": "ETHUSDT", "amount": "0", "fee": "-0.222012", "feeByCoupon": "", "businessType": "open_long", "coin": "USDT", "balance": "232.21", "cTime": "1695714563516"},
        {"billId": "3", "symbol": "", "amount": "10", "fee": "0", "businessType": "trans_from_exchange", "coin": "USDT", "balance": "242.21", "cTime": "1695714563517"}],
        "endId": "2"});
    let page = bitget::futures_bills(&bills, "main").unwrap();
    let ids: Vec<_> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["bitget/main/futures:bill:1", "bitget/main/futures:bill:2:fee"]);
    assert_eq!(page.cursor.as_deref(), Some("2"));
    assert_eq!(page.rows, 3);

    let assets = json!([{"coin": "usdt", "available": "5", "frozen": "1", "locked": "0", "limitAvailable": "0", "uTime": "1622697148"}]);
    let mut balances = Default::default();
    bitget::spot_balances(&assets, "main", &mut balances).unwrap();
    assert_eq!(balances["bitget/main/spot"]["USDT"], d("6"));
}

#[test]
fn malformed_answers_name_venue_and_endpoint() {
    let cases: Vec<(Value, String)> = vec![
        (
            json!({"not": "an array"}),
            binance::my_trades(&json!({"not": "an array"}), "m", &book()).unwrap_err().to_string(),
        ),
        (json!([{"id": 1}]), binance::deposits(&json!([{"id": 1}]), "m").unwrap_err().to_string()),
        (
            json!([{"symbol": "ZZZ", "id": 1, "time": 1}]),
            binance::my_trades(&json!([{"symbol": "ZZZ", "id": 1, "time": 1}]), "m", &book()).unwrap_err().to_string(),
        ),
    ];
    assert!(
        cases[0].1.starts_with("binance /api/v3/myTrades: unexpected response: expected a JSON array"),
        "{}",
        cases[0].1
    );
    assert!(
        cases[1].1.starts_with("binance /sapi/v1/capital/deposit/hisrec: unexpected response: missing field"),
        "{}",
        cases[1].1
    );
    assert!(cases[2].1.contains("symbol ZZZ is not in exchangeInfo"), "{}", cases[2].1);
    let err = bitget::spot_fills(&json!([{"tradeId": "1", "cTime": "x"}]), "m", &SymbolBook::default()).unwrap_err();
    assert!(
        err.to_string().starts_with("bitget /api/v2/spot/trade/fills: unexpected response: field `cTime`"),
        "{err}"
    );
    let err = bitget::futures_bills(&json!([]), "m").unwrap_err();
    assert!(err.to_string().contains("missing field `bills`"), "{err}");
    assert_eq!(Venue::Bitget.as_str(), "bitget");
}

#[test]
fn futures_fill_samples_are_informational_events() {
    // docs/venues.md §1.8: Binance's Account Trade List example (its commission is negative as printed)
    let data = json!([{"buyer": false, "commission": "-0.07819010", "commissionAsset": "USDT", "id": 698759, "maker": false,
        "orderId": 25851813, "price": "7819.01", "qty": "0.002", "quoteQty": "15.63802", "realizedPnl": "-0.91539999",
        "side": "SELL", "positionSide": "SHORT", "symbol": "BTCUSDT", "time": 1569514978020u64}]);
    let page = binance::user_trades(&data, "main").unwrap();
    assert_eq!((page.rows, page.max_id, page.max_time), (1, Some(698759), Some(1569514978020)));
    let e = &page.events[0];
    assert_eq!(e.id, "binance/main/usdm:futures_trade:BTCUSDT:698759");
    assert_eq!(e.account.as_str(), "binance/main/usdm");
    assert_eq!(
        e.kind,
        EventKind::FuturesTrade {
            symbol: "BTCUSDT".into(),
            side: ledger::Side::Sell,
            price: d("7819.01"),
            qty: d("0.002"),
            fees: vec![Money::new("USDT", d("-0.0781901"))],
            realized_pnl: Some(d("-0.91539999")),
            order_id: Some("25851813".into()),
        }
    );
    assert!(e.validate().is_ok() && !e.kind.moves_money() && e.assets().count() == 0);

    // Bitget's fill-history example (current page: marginCoin, tradeSide sell_single); the fee is shown negative
    let data = json!({"fillList": [{"tradeId": "1103122437840805890", "symbol": "ETHUSDT", "marginCoin": "USDT",
        "orderId": "1103122437760503816", "price": "1801.33", "baseVolume": "0.02",
        "feeDetail": [{"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": "-0.02161596"}],
        "side": "sell", "quoteVolume": "36.0266", "profit": "0.0252", "enterPointSource": "ios", "tradeSide": "sell_single",
        "posMode": "one_way_mode", "tradeScope": "taker", "cTime": "1698730804882"}], "endId": "1095254722472030209"});
    let page = bitget::futures_fills(&data, "main").unwrap();
    assert_eq!(page.cursor.as_deref(), Some("1095254722472030209"));
    assert_eq!(page.min_id.as_deref(), Some("1103122437840805890"));
    let e = &page.events[0];
    assert_eq!(e.id, "bitget/main/futures:futures_trade:ETHUSDT:1103122437840805890");
    let EventKind::FuturesTrade { side, fees, realized_pnl, .. } = &e.kind else { panic!("{e:?}") };
    assert_eq!(
        (*side, fees.clone(), *realized_pnl),
        (ledger::Side::Sell, vec![Money::new("USDT", d("0.02161596"))], Some(d("0.0252")))
    );
    let empty = bitget::futures_fills(&json!({"fillList": [], "endId": null}), "main").unwrap();
    assert_eq!((empty.rows, empty.cursor), (0, None));
    let err = bitget::futures_fills(
        &json!({"fillList": [{"tradeId": "1", "cTime": "1", "symbol": "X", "side": "hold",
        "price": "1", "baseVolume": "1"}]}),
        "m",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("bitget /api/v2/mix/order/fill-history: unexpected response: side \"hold\""), "{err}");
}

#[test]
fn bitget_convert_samples() {
    // the documented example writes fromCoinSize as a JSON number
    let data = json!({"dataList": [{"id": "1", "ts": "1688527512229", "cnvtPrice": "0.00052268", "fee": "0",
        "fromCoinSize": 100, "fromCoin": "USDT", "toCoinSize": "0.23206967", "toCoin": "ETH"}], "endId": "1"});
    let page = bitget::converts(&data, "main").unwrap();
    assert_eq!((page.rows, page.cursor.as_deref(), page.min_id.as_deref()), (1, Some("1"), Some("1")));
    let e = &page.events[0];
    assert_eq!(e.id, "bitget/main/spot:convert:1");
    assert_eq!(
        e.kind,
        EventKind::Trade {
            spend: Money::new("USDT", d("100")),
            receive: Money::new("ETH", d("0.23206967")),
            fees: vec![],
            symbol: None
        }
    );
    // a string size, a fractional JSON number and a fee (taken in the received coin) read the same way
    let data = json!({"dataList": [{"id": "2", "ts": "1", "fee": "-0.001", "fromCoinSize": "0.5", "fromCoin": "btc",
        "toCoinSize": 15000.25, "toCoin": "USDT"}], "endId": "2"});
    let e = &bitget::converts(&data, "main").unwrap().events[0];
    assert_eq!(
        e.kind,
        EventKind::Trade {
            spend: Money::new("BTC", d("0.5")),
            receive: Money::new("USDT", d("15000.25")),
            fees: vec![Money::new("USDT", d("0.001"))],
            symbol: None
        }
    );
    // a number with more digits than a double holds exactly is an error, not a silently rounded amount
    let data = json!({"dataList": [{"id": "3", "ts": "1", "fee": "0", "fromCoinSize": 1234567.123456789,
        "fromCoin": "BTC", "toCoinSize": "1", "toCoin": "USDT"}]});
    let err = bitget::converts(&data, "main").unwrap_err().to_string();
    assert!(
        err.starts_with("bitget /api/v2/convert/convert-record: unexpected response: field `fromCoinSize`"),
        "{err}"
    );
    let err = bitget::converts(&json!([]), "main").unwrap_err().to_string();
    assert!(err.contains("missing field `dataList`"), "{err}");

    // BGB small-balance converts: `ctime` in the example, `ts` in the field table
    let row = json!({"orderId": "xxxx", "fromCoin": "ROOT", "fromAmount": "64.99837000", "fromCoinPrice": "0.02954000",
        "toCoin": "BGB", "toAmount": "3.55072001", "toCoinPrice": "0.54075000",
        "feeDetail": [{"feeCoin": "BGB", "fee": "0.07101441"}], "status": "success", "ctime": "1700837066186"});
    let mut with_ts = row.clone();
    let t = with_ts.as_object_mut().unwrap().remove("ctime").unwrap();
    with_ts["ts"] = t;
    let mut failed = row.clone();
    failed["status"] = json!("fail");
    failed["orderId"] = json!("yyyy");
    for data in [json!([row.clone(), failed.clone()]), json!([with_ts, failed])] {
        let page = bitget::bgb_converts(&data, "main").unwrap();
        assert_eq!((page.rows, page.events.len(), page.min_id.as_deref()), (2, 1, Some("xxxx")));
        let e = &page.events[0];
        assert_eq!((e.id.as_str(), e.time.millis()), ("bitget/main/spot:bgb_convert:xxxx", 1700837066186));
        assert_eq!(
            e.kind,
            EventKind::Trade {
                spend: Money::new("ROOT", d("64.99837")),
                receive: Money::new("BGB", d("3.55072001")),
                fees: vec![Money::new("BGB", d("0.07101441"))],
                symbol: None
            }
        );
    }
    let mut no_time = row;
    no_time.as_object_mut().unwrap().remove("ctime");
    let err = bitget::bgb_converts(&json!([no_time]), "main").unwrap_err().to_string();
    assert!(err.starts_with("bitget /api/v2/convert/bgb-convert-records: unexpected response: missing field `ctime`"));

    // unified: rows without ids get one from their fields
    let data = json!({"list": [
        {"fromCoin": "USDT", "fromCoinSize": "281.72276656", "toCoin": "ETH", "toCoinSize": "0.0986029682", "price": "0.0003499", "ts": "1730359119358"},
        {"fromCoin": "USDT", "fromCoinSize": "3305.13434913", "toCoin": "ETH", "toCoinSize": "1.1567970221", "price": "0.00035", "ts": "1730359063138"}],
        "cursor": "1235780967957364737"});
    let page = bitget::unified_converts(&data, "uta").unwrap();
    assert_eq!((page.rows, page.cursor.as_deref()), (2, Some("1235780967957364737")));
    assert_eq!(page.events[1].id, "bitget/uta/unified:convert:USDT:ETH:1730359063138:3305.13434913:1.1567970221");
    // the same row written with trailing zeros is the same event
    let mut again = data.clone();
    again["list"][1]["fromCoinSize"] = json!("3305.1343491300");
    assert_eq!(bitget::unified_converts(&again, "uta").unwrap().events[1].id, page.events[1].id);
}

#[test]
fn binance_futures_account_sample() {
    // Binance's single-asset example of GET /fapi/v3/account (docs/venues.md, abridged), with a second, short position
    let data = json!({
        "totalWalletBalance": "103.12345678", "totalUnrealizedProfit": "0.00000000",
        "assets": [
            {"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
             "marginBalance": "23.72469206", "crossWalletBalance": "23.72469206", "updateTime": 1625474304765u64},
            {"asset": "BNB", "walletBalance": "0.00000000", "unrealizedProfit": "0.00000000", "updateTime": 0}
        ],
        "positions": [
            {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "1.000", "unrealizedProfit": "0.00000000",
             "isolatedMargin": "0.00000000", "notional": "0", "isolatedWallet": "0", "initialMargin": "0",
             "maintMargin": "0", "updateTime": 0},
            {"symbol": "ETHUSDT", "positionSide": "BOTH", "positionAmt": "-0.5", "unrealizedProfit": "-1.25000000",
             "notional": "-1500.00000000", "updateTime": 1625474304765u64},
            {"symbol": "XRPUSDT", "positionSide": "BOTH", "positionAmt": "0", "unrealizedProfit": "0",
             "notional": "0", "updateTime": 1625474304765u64}
        ]
    });
    let mut balances = venues::parse::Balances::new();
    let sizes = binance::futures_account(&data, "main", &mut balances).unwrap();
    assert_eq!(balances["binance/main/usdm"].len(), 1, "zero balances are left out");
    assert_eq!(balances["binance/main/usdm"]["USDT"], d("23.72469206"));
    assert_eq!(sizes.len(), 2, "a zero position is no position");
    assert_eq!((sizes[0].symbol.as_str(), sizes[0].side.as_str(), sizes[0].size), ("BTCUSDT", "both", d("1")));
    assert_eq!((sizes[1].size, sizes[1].unrealized_pnl, sizes[1].update_time), (d("-0.5"), d("-1.25"), 1625474304765));
    let err = binance::futures_account(&json!({"assets": []}), "main", &mut balances).unwrap_err().to_string();
    assert!(err.contains("/fapi/v3/account") && err.contains("positions"), "{err}");
}

#[test]
fn open_positions_are_normalized_to_a_signed_amount() {
    let t = ledger::Timestamp(1_720_736_500_000);
    let data = json!([{"symbol": "ADAUSDT", "positionSide": "BOTH", "positionAmt": "30", "entryPrice": "0.385",
        "breakEvenPrice": "0.385077", "markPrice": "0.41047590", "unRealizedProfit": "0.76427700", "liquidationPrice": "0",
        "isolatedMargin": "0", "notional": "12.31427700", "marginAsset": "USDT", "isolatedWallet": "0",
        "initialMargin": "0.61571385", "maintMargin": "0.08004280", "positionInitialMargin": "0.61571385",
        "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0", "askNotional": "0", "updateTime": 1720736417660u64},
        {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0", "entryPrice": "0", "markPrice": "60000",
        "unRealizedProfit": "0", "marginAsset": "USDT", "updateTime": 0}]);
    let p = binance::positions(&data, "main", t).unwrap();
    assert_eq!(p.len(), 1, "a zero position is not open");
    assert_eq!((p[0].time, p[0].account.as_str(), p[0].margin_asset.as_str()), (Some(t), "binance/main/usdm", "USDT"));
    assert_eq!((p[0].amount, p[0].unrealized()), (d("30"), d("0.764277")));
    let data = json!([{"marginCoin": "USDT", "symbol": "ETHUSDT", "holdSide": "short", "openDelegateSize": "0",
        "marginSize": "20", "available": "2", "locked": "0", "total": "2", "leverage": "10", "achievedProfits": "0",
        "openPriceAvg": "100", "marginMode": "crossed", "posMode": "hedge_mode", "unrealizedPL": "-20",
        "liquidationPrice": "0", "keepMarginRate": "0.004", "markPrice": "110", "cTime": "1", "uTime": "1"}]);
    let p = bitget::positions(&data, "main", t).unwrap();
    assert_eq!((p[0].account.as_str(), p[0].amount, p[0].unrealized()), ("bitget/main/futures", d("-2"), d("-20")));
    let no_margin = json!([{"symbol": "ETHUSDT", "holdSide": "long", "total": "1", "openPriceAvg": "1"}]);
    let err = bitget::positions(&no_margin, "main", t).unwrap_err().to_string();
    assert!(err.contains("/api/v2/mix/position/all-position") && err.contains("marginCoin"), "{err}");
}

/// The Simple Earn samples of Binance's pages (docs/venues.md §1.12): subscriptions are transfers into `earn`,
/// redemptions transfers out of it, rewards interest income; positions are the `earn` wallet's balances.
#[test]
fn binance_simple_earn_samples() {
    use ledger::AccountId;
    let transfer = |from: &str, to: &str, asset: &str, amount: &str| EventKind::Transfer {
        from_account: AccountId(format!("binance/main/{from}").into()),
        to_account: AccountId(format!("binance/main/{to}").into()),
        asset: asset.into(),
        amount: d(amount),
    };
    let interest = |asset: &str, amount: &str| EventKind::Income {
        income_type: IncomeType::Interest,
        asset: asset.into(),
        amount: d(amount),
        symbol: None,
    };
    // flexible subscription: AUTO from SPOT; and one from spot and funding together
    let data = json!({"rows": [
        {"amount": "100.00000000", "asset": "USDT", "time": 1575018510000u64, "purchaseId": 26055,
         "productId": "USDT001", "type": "AUTO", "sourceAccount": "SPOT", "status": "SUCCESS"},
        {"amount": "100.00000000", "asset": "USDT", "time": 1575018520000u64, "purchaseId": 26056,
         "productId": "USDT001", "type": "NORMAL", "sourceAccount": "SPOTANDFUNDING", "amtFromSpot": "30",
         "amtFromFunding": "70", "status": "SUCCESS"},
        {"amount": "5", "asset": "USDT", "time": 1575018530000u64, "purchaseId": 26057, "productId": "USDT001",
         "type": "NORMAL", "sourceAccount": "SPOT", "status": "PURCHASING"}], "total": 3});
    let page = binance::earn_flexible_subscriptions(&data, "main").unwrap();
    assert_eq!((page.rows, page.total, page.events.len()), (3, Some(3), 3), "a purchase in progress is no event");
    assert_eq!(page.events[0].id, "binance/main/spot:earn_subscription:flexible:26055");
    assert_eq!(page.events[0].kind, transfer("spot", "earn", "USDT", "100"));
    assert_eq!(page.events[1].kind, transfer("spot", "earn", "USDT", "30"));
    assert_eq!(page.events[2].id, "binance/main/funding:earn_subscription:flexible:26056");
    assert_eq!(page.events[2].kind, transfer("funding", "earn", "USDT", "70"));
    assert!(page.warnings.is_empty());
    // locked subscription sample
    let data = json!({"rows": [{"positionId": 123123, "purchaseId": "26055", "projectId": "Axs*90",
        "time": 1575018510000u64, "asset": "BNB", "amount": "21312.23223", "lockPeriod": "30", "type": "AUTO",
        "sourceAccount": "SPOT", "status": "SUCCESS"}], "total": 1});
    let page = binance::earn_locked_subscriptions(&data, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:earn_subscription:locked:26055");
    assert_eq!(page.events[0].kind, transfer("spot", "earn", "BNB", "21312.23223"));
    // flexible redemption sample
    let data = json!({"rows": [{"amount": "10.54000000", "asset": "USDT", "time": 1577257222000u64,
        "projectId": "USDT001", "redeemId": 40607, "destAccount": "SPOT", "status": "PAID"}], "total": 1});
    let page = binance::earn_flexible_redemptions(&data, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/earn:earn_redemption:flexible:40607");
    assert_eq!(page.events[0].kind, transfer("earn", "spot", "USDT", "10.54"));
    // locked redemption sample (paid = principal: no interest), then one that pays 0.5 more than its principal
    let row = |amount: &str, id: u64| {
        json!({"positionId": 123123, "redeemId": id, "time": 1575018510000u64, "asset": "BNB", "lockPeriod": "30",
        "amount": amount, "originalAmount": "21312.23223", "type": "MATURE", "deliverDate": "1575018510000",
        "lossAmount": "0.00001232", "isComplete": true, "rewardAsset": "AXS", "rewardAmt": "5.17181528",
        "extraRewardAsset": "BNB", "estExtraRewardAmt": "5.17181528", "status": "PAID"})
    };
    let data = json!({"rows": [row("21312.23223", 40607), row("21312.73223", 40608)], "total": 2});
    let page = binance::earn_locked_redemptions(&data, "main").unwrap();
    assert_eq!(page.events.len(), 3);
    assert_eq!(page.events[0].id, "binance/main/earn:earn_redemption:locked:40607");
    assert_eq!(page.events[0].kind, transfer("earn", "spot", "BNB", "21312.23223"));
    assert_eq!(page.events[2].id, "binance/main/spot:earn_interest:locked:40608");
    assert_eq!(page.events[2].kind, interest("BNB", "0.5"));
    // rewards samples: flexible in `earn`, locked in spot
    let data = json!({"rows": [
        {"asset": "BUSD", "rewards": "0.00006408", "projectId": "USDT001", "type": "BONUS", "time": 1577233578000u64},
        {"asset": "USDT", "rewards": "0.00687654", "projectId": "USDT001", "type": "REALTIME", "time": 1577233562000u64}
    ], "total": 2});
    let page = binance::earn_flexible_rewards(&data, "main").unwrap();
    assert_eq!(page.events[1].id, "binance/main/earn:earn_reward:flexible:USDT001:REALTIME:1577233562000:USDT");
    assert_eq!(page.events[1].kind, interest("USDT", "0.00687654"));
    let data = json!({"rows": [
        {"positionId": 123123, "time": 1575018510000u64, "asset": "BNB", "lockPeriod": "30", "amount": "21312.23223",
         "type": "Locked Rewards"},
        {"positionId": "123123", "time": 1575018510000u64, "asset": "BNB", "amount": "1.23223", "type": "Boost Rewards"}
    ], "total": 1});
    let page = binance::earn_locked_rewards(&data, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:earn_reward:locked:123123:Locked_Rewards:1575018510000:BNB");
    assert_eq!(page.events[1].kind, interest("BNB", "1.23223"));
    assert!(page.warnings.is_empty());
    // positions: flexible totalAmount and locked amount, both in `earn`
    let mut balances = venues::parse::Balances::new();
    let flexible = json!({"rows": [{"totalAmount": "75.46000000", "latestAnnualPercentageRate": "0.02599895",
        "asset": "USDT", "canRedeem": true, "productId": "USDT001", "autoSubscribe": true}], "total": 1});
    let locked = json!({"rows": [{"positionId": 123123, "projectId": "Axs*90", "asset": "AXS",
        "amount": "122.09202928", "status": "HOLDING"}], "total": 1});
    let f = binance::earn_positions(&flexible, "main", &catalogue::BINANCE_EARN_FLEXIBLE_POSITION, &mut balances);
    assert_eq!(f.unwrap(), (1, Some(1)));
    binance::earn_positions(&locked, "main", &catalogue::BINANCE_EARN_LOCKED_POSITION, &mut balances).unwrap();
    assert_eq!(balances["binance/main/earn"]["USDT"], d("75.46"));
    assert_eq!(balances["binance/main/earn"]["AXS"], d("122.09202928"));
    // an empty page may leave `rows` out
    assert_eq!(binance::earn_flexible_rewards(&json!({"total": 0}), "main").unwrap().rows, 0);
}

/// Bad input loses nothing: an unknown reward type is other income, an unknown subscription type a subscription,
/// an unknown wallet a wallet of its own name, each with a warning naming the raw value; a missing field is an
/// error naming the endpoint.
#[test]
fn binance_simple_earn_unknown_types_are_kept_with_a_warning() {
    let data = json!({"rows": [{"asset": "USDT", "rewards": "0.1", "projectId": "USDT001", "type": "MYSTERY",
        "time": 1577233562000u64}], "total": 1});
    let page = binance::earn_flexible_rewards(&data, "main").unwrap();
    assert_eq!(page.events.len(), 1);
    assert!(
        matches!(&page.events[0].kind, EventKind::Income { income_type: IncomeType::Other, amount, .. } if *amount == d("0.1"))
    );
    assert!(page.warnings[0].contains("unknown reward type \"MYSTERY\""), "{:?}", page.warnings);
    let data = json!({"rows": [{"amount": "3", "asset": "USDT", "time": 1u64, "purchaseId": 7, "productId": "USDT001",
        "type": "GIFT", "sourceAccount": "MARGIN", "status": "SUCCESS"}], "total": 1});
    let page = binance::earn_flexible_subscriptions(&data, "main").unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].account.as_str(), "binance/main/margin");
    assert_eq!(page.warnings.len(), 2, "{:?}", page.warnings);
    assert!(
        page.warnings.iter().any(|w| w.contains("\"GIFT\"")) && page.warnings.iter().any(|w| w.contains("\"MARGIN\""))
    );
    let err = binance::earn_flexible_redemptions(&json!({"rows": [{"asset": "USDT"}]}), "main").unwrap_err();
    assert!(err.to_string().contains("/sapi/v1/simple-earn/flexible/history/redemptionRecord"), "{err}");
}

/// The asset dividend sample (docs/venues.md §1.13): each row is other income in spot, its id the row's `id` (the
/// sample's two rows share a `tranId`); a swap or migration is booked and named in a warning.
#[test]
fn binance_asset_dividend_sample() {
    let data = json!({"rows": [
        {"id": 1637366104, "amount": "10.00000000", "asset": "BHFT", "divTime": 1563189166000u64,
         "enInfo": "BHFT distribution", "tranId": 2968885920u64},
        {"id": 1631750237, "amount": "10.00000000", "asset": "BHFT", "divTime": 1563189165000u64,
         "enInfo": "BHFT distribution", "tranId": 2968885920u64}], "total": 2});
    let page = binance::dividends(&data, "main").unwrap();
    assert_eq!((page.rows, page.total, page.min_time), (2, Some(2), Some(1563189165000)));
    assert_eq!(page.events[0].id, "binance/main/spot:dividend:1637366104");
    assert_eq!(page.events[1].id, "binance/main/spot:dividend:1631750237");
    assert_eq!(
        page.events[0].kind,
        EventKind::Income { income_type: IncomeType::Other, asset: "BHFT".into(), amount: d("10"), symbol: None }
    );
    assert!(page.warnings.is_empty());
    let swap = json!({"rows": [{"id": 1, "amount": "5", "asset": "NEW", "divTime": 1u64, "enInfo": "OLD token swap",
        "tranId": 2}], "total": 1});
    let page = binance::dividends(&swap, "main").unwrap();
    assert_eq!(page.events.len(), 1);
    assert!(page.warnings[0].contains("OLD token swap"), "{:?}", page.warnings);
}

/// COIN-M positions (docs/venues.md §1.14), from the pages' samples: exchangeInfo gives each contract's size and
/// margin coin; positionRisk's non-zero rows become inverse positions in `coinm`, valued in the coin (Binance's
/// BTCUSD_201225 sample: 0.00005866 BTC); a symbol exchangeInfo does not list, a zero price or a zero contract size
/// is an error that names it.
#[test]
fn binance_coin_m_positions() {
    let info = json!({"timezone": "UTC", "serverTime": 1591347600000u64, "rateLimits": [], "exchangeFilters": [],
        "symbols": [
            {"symbol": "BTCUSD_201225", "pair": "BTCUSD", "contractType": "CURRENT_QUARTER", "deliveryDate": 1608883200000u64,
             "onboardDate": 1591347600000u64, "contractStatus": "TRADING", "contractSize": 100, "marginAsset": "BTC",
             "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000", "baseAsset": "BTC", "quoteAsset": "USD",
             "pricePrecision": 1, "quantityPrecision": 0, "baseAssetPrecision": 8, "quotePrecision": 8,
             "equalQtyPrecision": 4, "triggerProtect": "0.0500", "underlyingType": "COIN", "underlyingSubType": [],
             "filters": [], "orderTypes": ["LIMIT"], "timeInForce": ["GTC"]},
            {"symbol": "ETHUSD_PERP", "pair": "ETHUSD", "contractType": "PERPETUAL", "contractSize": 10,
             "marginAsset": "ETH", "contractStatus": "TRADING"}]});
    let contracts = binance::coinm_exchange_info(&info).unwrap();
    assert_eq!(contracts.len(), 2);
    assert_eq!(
        (contracts["BTCUSD_201225"].contract_size, contracts["BTCUSD_201225"].margin_asset.as_str()),
        (d("100"), "BTC")
    );
    assert_eq!(
        (contracts["ETHUSD_PERP"].contract_size, contracts["ETHUSD_PERP"].margin_asset.as_str()),
        (d("10"), "ETH")
    );
    // the Position Information page's three rows (hedge mode): only the LONG one is open
    let row = |amt: &str, entry: &str, mark: &str, upnl: &str, side: &str| {
        json!({"symbol": "BTCUSD_201225", "positionAmt": amt, "entryPrice": entry, "breakEvenPrice": entry,
               "markPrice": mark, "unRealizedProfit": upnl, "liquidationPrice": "0", "leverage": "125", "maxQty": "50",
               "marginType": "cross", "isolatedMargin": "0.00000000", "isAutoAddMargin": "false",
               "positionSide": side, "updateTime": 1627026881327u64})
    };
    let risk = json!([
        row("0", "0.0", "0.00000000", "0.00000000", "BOTH"),
        row("1", "11707.70000003", "11788.66626667", "0.00005866", "LONG"),
        row("0", "0.0", "0.00000000", "0.00000000", "SHORT"),
    ]);
    let t = ledger::Timestamp(1_627_026_900_000);
    let p = binance::coinm_positions(&risk, "main", t, &contracts).unwrap();
    assert_eq!(p.len(), 1, "zero rows are not open: {p:?}");
    assert_eq!(
        (p[0].time, p[0].account.as_str(), p[0].symbol.as_str()),
        (Some(t), "binance/main/coinm", "BTCUSD_201225")
    );
    assert_eq!((p[0].margin_asset.as_str(), p[0].contract_size, p[0].amount), ("BTC", Some(d("100")), d("1")));
    assert_eq!((p[0].entry_price, p[0].mark_price), (d("11707.70000003"), d("11788.66626667")));
    assert_eq!(p[0].unrealized().round_dp(8), d("0.00005866"), "the page's unRealizedProfit");
    // a short in ETH contracts: -2 x 10 x (1/2000 - 1/2500) = -0.002 ETH
    let short = json!([{"symbol": "ETHUSD_PERP", "positionAmt": "-2", "entryPrice": "2000", "markPrice": "2500",
                        "unRealizedProfit": "-0.00200000", "positionSide": "BOTH", "updateTime": 1}]);
    let p = binance::coinm_positions(&short, "main", t, &contracts).unwrap();
    assert_eq!(
        (p[0].margin_asset.as_str(), p[0].contract_size, p[0].unrealized()),
        ("ETH", Some(d("10")), d("-0.002"))
    );
    // a contract exchangeInfo does not list: never a guessed size
    let unknown = json!([{"symbol": "ADAUSD_PERP", "positionAmt": "5", "entryPrice": "0.4", "markPrice": "0.5"}]);
    let err = binance::coinm_positions(&unknown, "main", t, &contracts).unwrap_err().to_string();
    assert!(
        err.contains("/dapi/v1/positionRisk") && err.contains("ADAUSD_PERP") && err.contains("/dapi/v1/exchangeInfo"),
        "{err}"
    );
    // an open position with a zero mark price cannot be valued
    let zero = json!([row("1", "11707.7", "0", "0", "BOTH")]);
    let err = binance::coinm_positions(&zero, "main", t, &contracts).unwrap_err().to_string();
    assert!(err.contains("BTCUSD_201225") && err.contains("mark_price is 0"), "{err}");
    // a contract of size 0 in exchangeInfo
    let bad = json!({"symbols": [{"symbol": "BTCUSD_PERP", "contractSize": 0, "marginAsset": "BTC"}]});
    let err = binance::coinm_exchange_info(&bad).unwrap_err().to_string();
    assert!(err.contains("/dapi/v1/exchangeInfo") && err.contains("BTCUSD_PERP"), "{err}");
}

/// COIN-M (docs/venues.md §1.14), from the pages' samples: income in the margin coin in the `coinm` wallet (the
/// transfer row skipped, the commission kept with its fill's symbol), the fill's quantity in coins (`baseQty`), the
/// wallet balance and the pairs of open positions; an unknown income type is kept as other income with a warning.
#[test]
fn binance_coin_m_samples() {
    let income = json!([
        {"symbol": "", "incomeType": "TRANSFER", "income": "-0.37500000", "asset": "BTC", "info": "WITHDRAW",
         "time": 1570608000000u64, "tranId": "9689322392", "tradeId": ""},
        {"symbol": "BTCUSD_200925", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "BTC", "info": "",
         "time": 1570636800000u64, "tranId": "9689322392", "tradeId": "2059192"},
        {"symbol": "BTCUSD_PERP", "incomeType": "REALIZED_PNL", "income": "0.00120000", "asset": "BTC", "info": "",
         "time": 1570636800001u64, "tranId": 9689322393u64, "tradeId": "2059193"},
        {"symbol": "BTCUSD_PERP", "incomeType": "FUNDING_FEE", "income": "-0.00000510", "asset": "BTC", "info": "",
         "time": 1570636800002u64, "tranId": "1", "tradeId": ""}
    ]);
    let page = binance::coinm_income(&income, "main").unwrap();
    assert_eq!((page.rows, page.events.len(), page.warnings.len()), (4, 3, 0));
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "binance/main/coinm:income:COMMISSION:9689322392",
            "binance/main/coinm:income:REALIZED_PNL:9689322393",
            "binance/main/coinm:income:FUNDING_FEE:1"
        ]
    );
    let booked: Vec<(IncomeType, &str, Decimal, Option<&str>)> = page
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Income { income_type, asset, amount, symbol } => {
                (*income_type, asset.as_str(), *amount, symbol.as_deref())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        booked,
        [
            (IncomeType::Commission, "BTC", d("-0.01"), Some("BTCUSD_200925")),
            (IncomeType::RealizedPnl, "BTC", d("0.0012"), Some("BTCUSD_PERP")),
            (IncomeType::Funding, "BTC", d("-0.0000051"), Some("BTCUSD_PERP")),
        ]
    );
    assert!(page.events.iter().all(|e| e.account.as_str() == "binance/main/coinm"));

    // an income type the page does not list: kept, named
    let odd = json!([{"symbol": "BTCUSD_PERP", "incomeType": "AUTO_EXCHANGE", "income": "0.5", "asset": "BTC",
                      "info": "", "time": 1, "tranId": "7", "tradeId": ""}]);
    let page = binance::coinm_income(&odd, "main").unwrap();
    assert_eq!(page.events.len(), 1);
    assert!(matches!(page.events[0].kind, EventKind::Income { income_type: IncomeType::Other, .. }));
    assert_eq!(page.events[0].id, "binance/main/coinm:income:AUTO_EXCHANGE:7");
    assert!(page.warnings[0].contains("AUTO_EXCHANGE"), "{:?}", page.warnings);

    // the fill of the Account Trade List page
    let fills = json!([{"symbol": "BTCUSD_200626", "id": 6, "orderId": 28, "pair": "BTCUSD", "side": "SELL",
        "price": "8800", "qty": "1", "realizedPnl": "0", "marginAsset": "BTC", "baseQty": "0.01136364",
        "commission": "0.00000454", "commissionAsset": "BTC", "time": 1590743483586u64, "positionSide": "BOTH",
        "buyer": false, "maker": false}]);
    let page = binance::coinm_trades(&fills, "main").unwrap();
    assert_eq!((page.max_id, page.max_time), (Some(6), Some(1590743483586)));
    let e = &page.events[0];
    assert_eq!(e.id, "binance/main/coinm:futures_trade:BTCUSD_200626:6");
    match &e.kind {
        EventKind::FuturesTrade { symbol, side, price, qty, fees, realized_pnl, order_id } => {
            assert_eq!(
                (symbol.as_str(), *side, *price, *qty),
                ("BTCUSD_200626", ledger::Side::Sell, d("8800"), d("0.01136364"))
            );
            assert_eq!(fees, &vec![Money::new("BTC", d("0.00000454"))]);
            assert_eq!((*realized_pnl, order_id.as_deref()), (Some(d("0")), Some("28")));
        }
        other => panic!("{other:?}"),
    }

    // the account: the wallet balance of each coin, and the pairs with a position
    let account = json!({
        "assets": [
            {"asset": "BTC", "walletBalance": "0.00241969", "unrealizedProfit": "0.00000000"},
            {"asset": "ETH", "walletBalance": "0.00000000", "unrealizedProfit": "0.00000000"}],
        "positions": [
            {"symbol": "BTCUSD_201225", "positionAmt": "0", "entryPrice": "0.0", "updateTime": 0},
            {"symbol": "BTCUSD_PERP", "positionAmt": "-3", "entryPrice": "11707.7", "updateTime": 1627026881327u64}],
        "canDeposit": true, "canTrade": true, "canWithdraw": true, "feeTier": 2, "updateTime": 0});
    let mut balances = Default::default();
    let sizes = binance::coinm_account(&account, "main", &mut balances).unwrap();
    let shown: Vec<(&str, &str, Decimal, i64)> =
        sizes.iter().map(|p| (p.symbol.as_str(), p.side.as_str(), p.size, p.update_time)).collect();
    assert_eq!(shown, [("BTCUSD_PERP", "both", d("-3"), 1627026881327)], "zero positions are left out");
    assert_eq!(binance::coinm_pair(&sizes[0].symbol), "BTCUSD");
    assert_eq!(balances["binance/main/coinm"].get("BTC"), Some(&d("0.00241969")));
    assert_eq!(balances["binance/main/coinm"].get("ETH"), None, "zero balances are left out");
    let err = binance::coinm_account(&json!({"assets": []}), "main", &mut balances).unwrap_err();
    assert!(err.to_string().contains("/dapi/v1/account"), "{err}");
}

/// The fiat order sample (docs/venues.md §1.15) is `Expired`: no event. Completed, a deposit credits `amount` (net
/// of the fee) to spot; a withdrawal sends `amount` with `totalFee` on top; an unknown status is named, no event.
#[test]
fn binance_fiat_orders_sample() {
    let row = |status: &str| {
        json!({"code": "000000", "message": "success", "data": [{"orderNo": "7d76d611-0568-4f43-afb6-24cac7767365",
            "fiatCurrency": "BRL", "indicatedAmount": "10.00", "amount": "9.50", "totalFee": "0.50",
            "method": "BankAccount", "status": status, "createTime": 1626144956000u64, "updateTime": 1626400907000u64}],
            "total": 1, "success": true})
    };
    let page = binance::fiat_deposits(&row("Expired"), "main").unwrap();
    assert_eq!((page.rows, page.total, page.events.len()), (1, Some(1), 0));
    assert!(page.warnings.is_empty());
    let page = binance::fiat_deposits(&row("Successful"), "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:fiat_deposit:7d76d611-0568-4f43-afb6-24cac7767365");
    assert_eq!(page.events[0].kind, EventKind::Deposit { asset: "BRL".into(), amount: d("9.50"), txid: None });
    assert_eq!(page.min_time, Some(1626144956000));
    let page = binance::fiat_withdrawals(&row("Finished"), "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:fiat_withdrawal:7d76d611-0568-4f43-afb6-24cac7767365");
    assert_eq!(
        page.events[0].kind,
        EventKind::Withdrawal { asset: "BRL".into(), amount: d("9.50"), fee: Some(d("0.50")), txid: None }
    );
    let page = binance::fiat_deposits(&row("Order Partial credit Stopped"), "main").unwrap();
    assert!(page.events.is_empty());
    assert!(page.warnings[0].contains("Order Partial credit Stopped"), "{:?}", page.warnings);
    let err = binance::fiat_deposits(&json!({"code": "345", "message": "nope", "success": false}), "main");
    assert!(err.unwrap_err().to_string().contains("/sapi/v1/fiat/orders"));
}

/// The card purchase sample (docs/venues.md §1.15), completed: the fiat arrives from outside, then 19.8 EUR buy
/// 4.462 LUNA with a fee of 0.2 EUR; the same row as a sale is the mirror image. The sample as it is (`Failed`) gives
/// no event.
#[test]
fn binance_fiat_payments_sample() {
    let row = |status: &str| {
        json!({"code": "000000", "message": "success", "data": [{"orderNo": "353fca443f06466db0c4dc89f94f027a",
            "sourceAmount": "20.0", "fiatCurrency": "EUR", "obtainAmount": "4.462", "cryptoCurrency": "LUNA",
            "totalFee": "0.2", "price": "4.437472", "status": status, "paymentMethod": "Credit Card",
            "createTime": 1624529919000u64, "updateTime": 1624529919000u64}], "total": 1, "success": true})
    };
    assert!(binance::fiat_buys(&row("Failed"), "main").unwrap().events.is_empty());
    let page = binance::fiat_buys(&row("Completed"), "main").unwrap();
    let base = "binance/main/spot:fiat_payment:353fca443f06466db0c4dc89f94f027a";
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [format!("{base}:deposit"), format!("{base}:trade")]);
    assert_eq!(page.events[0].kind, EventKind::Deposit { asset: "EUR".into(), amount: d("20.0"), txid: None });
    assert_eq!(
        page.events[1].kind,
        EventKind::Trade {
            spend: Money::new("EUR", d("19.8")),
            receive: Money::new("LUNA", d("4.462")),
            fees: vec![Money::new("EUR", d("0.2"))],
            symbol: None
        }
    );
    let page = binance::fiat_sells(&row("Completed"), "main").unwrap();
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [format!("{base}:trade"), format!("{base}:withdrawal")]);
    assert_eq!(
        page.events[0].kind,
        EventKind::Trade {
            spend: Money::new("LUNA", d("4.462")),
            receive: Money::new("EUR", d("19.8")),
            fees: vec![Money::new("EUR", d("0.2"))],
            symbol: None
        }
    );
    assert_eq!(
        page.events[1].kind,
        EventKind::Withdrawal { asset: "EUR".into(), amount: d("19.8"), fee: None, txid: None }
    );
}

/// The P2P sample (docs/venues.md §1.15): a completed SELL of 5000 BUSD for 33400 CNY in funding, then the CNY
/// leaves (paid outside Binance); the same row as a BUY is a CNY deposit then the trade; a cancelled order is none.
#[test]
fn binance_p2p_sample() {
    let row = |side: &str, status: &str| {
        json!({"code": "000000", "message": "success", "data": [{"orderNumber": "20219644646554779648",
            "advNo": "11218246497340923904", "tradeType": side, "asset": "BUSD", "fiat": "CNY", "fiatSymbol": "￥",
            "amount": "5000.00000000", "totalPrice": "33400.00000000", "unitPrice": "6.68", "orderStatus": status,
            "createTime": 1619361369000u64, "commission": "0", "counterPartNickName": "ab***",
            "advertisementRole": "TAKER"}], "total": 1, "success": true})
    };
    let page = binance::p2p_trades(&row("SELL", "COMPLETED"), "main").unwrap();
    let base = "binance/main/funding:p2p:20219644646554779648";
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [format!("{base}:trade"), format!("{base}:withdrawal")]);
    let busd_cny = EventKind::Trade {
        spend: Money::new("BUSD", d("5000")),
        receive: Money::new("CNY", d("33400")),
        fees: vec![],
        symbol: None,
    };
    assert_eq!(page.events[0].kind, busd_cny);
    assert_eq!(
        page.events[1].kind,
        EventKind::Withdrawal { asset: "CNY".into(), amount: d("33400"), fee: None, txid: None }
    );
    let page = binance::p2p_trades(&row("BUY", "COMPLETED"), "main").unwrap();
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [format!("{base}:deposit"), format!("{base}:trade")]);
    assert_eq!(page.events[0].kind, EventKind::Deposit { asset: "CNY".into(), amount: d("33400"), txid: None });
    assert!(binance::p2p_trades(&row("BUY", "CANCELLED"), "main").unwrap().events.is_empty());
    let err = binance::p2p_trades(&row("SWAP", "COMPLETED"), "main").unwrap_err();
    assert!(err.to_string().contains("SWAP"), "{err}");
}

/// The Pay sample (docs/venues.md §1.15): 23.72469206 BNB received into funding (walletType 1) from two wallets'
/// worth of detail, named in a warning; a payment sent is a withdrawal; an unknown order type is kept, named.
#[test]
fn binance_pay_sample() {
    let data = json!({"code": "000000", "message": "success", "data": [{"orderType": "C2C",
        "transactionId": "M_P_71505104267788288", "transactionTime": 1610090460133u64, "amount": "23.72469206",
        "currency": "BNB", "walletType": 1, "walletTypes": [1, 2],
        "fundsDetail": [{"currency": "USDT", "amount": "1.2", "walletAssetCost": [{"1": "0.6"}, {"2": "0.6"}]}],
        "payerInfo": {"name": "Jack", "type": "USER", "binanceId": "12345678", "accountId": "67736251"},
        "receiverInfo": {"name": "Alan", "type": "MERCHANT", "binanceId": "34355667"}}], "success": true});
    let page = binance::pay_transactions(&data, "main").unwrap();
    assert_eq!((page.rows, page.total, page.max_time), (1, None, Some(1610090460133)));
    assert_eq!(page.events[0].id, "binance/main/funding:pay:M_P_71505104267788288");
    assert_eq!(page.events[0].kind, EventKind::Deposit { asset: "BNB".into(), amount: d("23.72469206"), txid: None });
    assert!(page.warnings[0].contains("several wallets"), "{:?}", page.warnings);
    let sent = json!({"code": "000000", "data": [{"orderType": "GIFT_CARD", "transactionId": "P_1",
        "transactionTime": 5u64, "amount": "-10", "currency": "USDT", "walletType": 2}], "success": true});
    let page = binance::pay_transactions(&sent, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:pay:P_1");
    assert_eq!(
        page.events[0].kind,
        EventKind::Withdrawal { asset: "USDT".into(), amount: d("10"), fee: None, txid: None }
    );
    assert!(page.warnings[0].contains("GIFT_CARD"), "{:?}", page.warnings);
}

/// A Pay payment sent from several wallets (docs/venues.md §1.15): each wallet's part of each asset in `fundsDetail`
/// is a withdrawal from that wallet (the page's sample seen by the payer: 0.6 USDT and 0.00005 ETH from funding and
/// from spot for an order of BNB); parts that do not add up to the amount are named; a card's part moves no wallet.
#[test]
fn binance_pay_from_several_wallets_is_booked_per_wallet() {
    let row = |amount: &str, currency: &str, detail: serde_json::Value| {
        json!({"code": "000000", "data": [{"orderType": "PAY", "transactionId": "M_P_7", "transactionTime": 9u64,
            "amount": amount, "currency": currency, "walletType": 1, "walletTypes": [1, 2], "fundsDetail": detail}],
            "success": true})
    };
    let sample = json!([{"currency": "USDT", "amount": "1.2", "walletAssetCost": [{"1": "0.6"}, {"2": "0.6"}]},
        {"currency": "ETH", "amount": "0.0001", "walletAssetCost": [{"1": "0.00005"}, {"2": "0.00005"}]}]);
    let page = binance::pay_transactions(&row("-23.72469206", "BNB", sample), "main").unwrap();
    let got: Vec<(&str, &EventKind)> = page.events.iter().map(|e| (e.id.as_str(), &e.kind)).collect();
    let out = |asset: &str, amount: &str| EventKind::Withdrawal {
        asset: asset.into(),
        amount: d(amount),
        fee: None,
        txid: None,
    };
    assert_eq!(
        got,
        [
            ("binance/main/funding:pay:M_P_7:ETH", &out("ETH", "0.00005")),
            ("binance/main/funding:pay:M_P_7:USDT", &out("USDT", "0.6")),
            ("binance/main/spot:pay:M_P_7:ETH", &out("ETH", "0.00005")),
            ("binance/main/spot:pay:M_P_7:USDT", &out("USDT", "0.6")),
        ]
    );
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);

    // paid in its own currency: the id of a payment from one wallet; a card's part is named, no event
    let own = json!([{"currency": "USDT", "amount": "8", "walletAssetCost": [{"1": "5"}, {"2": "2"}, {"4": "1"}]}]);
    let page = binance::pay_transactions(&row("-8", "USDT", own), "main").unwrap();
    let got: Vec<(&str, &EventKind)> = page.events.iter().map(|e| (e.id.as_str(), &e.kind)).collect();
    assert_eq!(
        got,
        [("binance/main/funding:pay:M_P_7", &out("USDT", "5")), ("binance/main/spot:pay:M_P_7", &out("USDT", "2"))]
    );
    assert!(page.warnings.iter().any(|w| w.contains("card")), "{:?}", page.warnings);
    let short = json!([{"currency": "USDT", "amount": "7", "walletAssetCost": [{"1": "5"}, {"2": "2"}]}]);
    let page = binance::pay_transactions(&row("-8", "USDT", short), "main").unwrap();
    assert!(page.warnings[0].contains("paid 7 USDT for an amount of -8"), "{:?}", page.warnings);
    let bad = json!([{"currency": "USDT", "amount": "8", "walletAssetCost": [{"1": "-5"}]}]);
    let err = binance::pay_transactions(&row("-8", "USDT", bad), "main").unwrap_err().to_string();
    assert!(err.contains("walletAssetCost") && err.contains("/sapi/v1/pay/transactions"), "{err}");
}

/// The ETH and SOL staking samples (docs/venues.md §1.16): a stake and a redemption are migrations in spot (the
/// coin for its receipt token at the page's rate, and back, the redemption at its arrival time); a wrap and an
/// unwrap likewise between BETH and WBETH. `PENDING` and `FAILED` rows give no event; another status is named.
#[test]
fn binance_staking_samples_are_migrations() {
    let migration = |from: (&str, &str), to: (&str, &str)| EventKind::Migration {
        from: Money::new(from.0, d(from.1)),
        to: Money::new(to.0, d(to.1)),
    };
    let stake = |status: &str| {
        json!({"rows": [{"time": 1575018510000u64, "asset": "ETH", "amount": "21312.23223",
            "distributeAsset": "WBETH", "distributeAmount": "21286.42584", "conversionRatio": "1.00121234",
            "status": status}], "total": 1})
    };
    let page = binance::eth_stakings(&stake("SUCCESS"), "main").unwrap();
    assert_eq!((page.rows, page.total, page.min_time), (1, Some(1), Some(1575018510000)));
    assert_eq!(page.events[0].id, "binance/main/spot:eth_stake:1575018510000:21312.23223");
    assert_eq!(page.events[0].account.as_str(), "binance/main/spot");
    assert_eq!(page.events[0].kind, migration(("ETH", "21312.23223"), ("WBETH", "21286.42584")));
    for open in ["PENDING", "FAILED"] {
        let page = binance::eth_stakings(&stake(open), "main").unwrap();
        assert!(page.events.is_empty() && page.warnings.is_empty(), "{open}");
    }
    let page = binance::eth_stakings(&stake("REFUNDED"), "main").unwrap();
    assert!(page.events.is_empty());
    assert!(page.warnings[0].contains("\"REFUNDED\""), "{:?}", page.warnings);

    let redemption = json!({"rows": [{"time": 1575018510000u64, "arrivalTime": 1575104910000u64, "asset": "WBETH",
        "amount": "21312.23223", "distributeAsset": "ETH", "distributeAmount": "21338.0699",
        "conversionRatio": "1.00121234", "status": "SUCCESS"}], "total": 1});
    let page = binance::eth_redemptions(&redemption, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:eth_redemption:1575018510000:21312.23223");
    assert_eq!(page.events[0].time.0, 1575104910000, "booked when the ETH arrives");
    assert_eq!(page.min_time, Some(1575018510000), "paged by the request's time");
    assert_eq!(page.events[0].kind, migration(("WBETH", "21312.23223"), ("ETH", "21338.0699")));

    let wrap = json!({"rows": [{"time": 1575018510000u64, "fromAsset": "BETH", "fromAmount": "21312.23223",
        "toAsset": "WBETH", "toAmount": "21312.23223", "exchangeRate": "1.01243253", "status": "SUCCESS"}],
        "total": 1});
    let page = binance::wbeth_wraps(&wrap, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:wbeth_wrap:1575018510000:21312.23223");
    assert_eq!(page.events[0].kind, migration(("BETH", "21312.23223"), ("WBETH", "21312.23223")));
    let unwrap = json!({"rows": [{"time": 1575018510000u64, "fromAsset": "WBETH", "fromAmount": "21312.23223",
        "toAsset": "BETH", "toAmount": "21312.23223", "exchangeRate": "1.01243253", "status": "SUCCESS"}],
        "total": 1});
    let page = binance::wbeth_unwraps(&unwrap, "main").unwrap();
    assert_eq!(page.events[0].kind, migration(("WBETH", "21312.23223"), ("BETH", "21312.23223")));

    let sol = json!({"rows": [{"time": 1575018510000u64, "asset": "SOL", "amount": "21312.23223",
        "distributeAsset": "BNSOL", "distributeAmount": "21286.42584", "exchangeRate": "1.00121234",
        "status": "SUCCESS"}], "total": 1});
    let page = binance::sol_stakings(&sol, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:sol_stake:1575018510000:21312.23223");
    assert_eq!(page.events[0].kind, migration(("SOL", "21312.23223"), ("BNSOL", "21286.42584")));
    let sol_out = json!({"rows": [{"time": 1575018510000u64, "arrivalTime": 1575018510000u64, "asset": "BNSOL",
        "amount": "21312.23223", "distributeAsset": "SOL", "distributeAmount": "21338.0699",
        "exchangeRate": "1.00121234", "status": "SUCCESS"}], "total": 1});
    let page = binance::sol_redemptions(&sol_out, "main").unwrap();
    assert_eq!(page.events[0].kind, migration(("BNSOL", "21312.23223"), ("SOL", "21338.0699")));

    // a row without its receipt token is an error naming the endpoint, never a zero
    let bad = json!({"rows": [{"time": 1575018510000u64, "asset": "SOL", "amount": "1", "status": "SUCCESS"}]});
    let err = binance::sol_stakings(&bad, "main").unwrap_err().to_string();
    assert!(
        err.contains("/sapi/v1/sol-staking/sol/history/stakingHistory") && err.contains("distributeAsset"),
        "{err}"
    );
}

/// The BETH rewards sample (docs/venues.md §1.16): BETH credited to spot, `interest` income.
#[test]
fn binance_beth_rewards_sample() {
    let data = json!({"rows": [{"time": 1575018510000u64, "asset": "BETH", "holding": "2.3223", "amount": "0.23223",
        "annualPercentageRate": "0.5", "status": "SUCCESS"}], "total": 1});
    let page = binance::beth_rewards(&data, "main").unwrap();
    assert_eq!(page.events[0].id, "binance/main/spot:beth_reward:1575018510000:0.23223");
    assert_eq!(
        page.events[0].kind,
        EventKind::Income {
            income_type: IncomeType::Interest,
            asset: "BETH".into(),
            amount: d("0.23223"),
            symbol: None
        }
    );
}

/// The SOL Boost rewards sample (docs/venues.md §1.16), `type=CLAIM`: its `time` in seconds as the sample writes it
/// (a time in milliseconds read as is), `token` credited to spot as `interest` income; a pending claim moves nothing,
/// an unknown status is named.
#[test]
fn binance_sol_boost_claims_sample() {
    let data = json!({"rows": [{"time": 1729520680, "token": "SOL", "amount": "1.20291028", "status": "SUCCESS"},
        {"time": 1729520681000u64, "token": "jto", "amount": "3", "status": "SUCCESS"},
        {"time": 1729520682, "token": "SOL", "amount": "1", "status": "PENDING"},
        {"time": 1729520683, "token": "SOL", "amount": "2", "status": "EXPIRED"}], "total": 4});
    let page = binance::sol_boost_claims(&data, "main").unwrap();
    let got: Vec<(&str, i64)> = page.events.iter().map(|e| (e.id.as_str(), e.time.0)).collect();
    assert_eq!(
        got,
        [
            ("binance/main/spot:sol_boost_claim:1729520680000:SOL:1.20291028", 1729520680000),
            ("binance/main/spot:sol_boost_claim:1729520681000:JTO:3", 1729520681000)
        ]
    );
    assert_eq!(
        page.events[0].kind,
        EventKind::Income {
            income_type: IncomeType::Interest,
            asset: "SOL".into(),
            amount: d("1.20291028"),
            symbol: None
        }
    );
    assert_eq!(page.warnings.len(), 1, "{:?}", page.warnings);
    assert!(page.warnings[0].contains("\"EXPIRED\""), "{:?}", page.warnings);
    assert_eq!(page.min_time, Some(1729520680000), "paged in milliseconds");
}

/// Binance copy trading (docs/venues.md §1.17): the lead status sample; a lead portfolio's income sample, whose
/// `TRANSFER` row is money moved out of the portfolio (a withdrawal, where a regular account skips it), a
/// `STRATEGY_UMFUTURES_TRANSFER` in a deposit, and a type the page does not list (a profit share) other income.
#[test]
fn binance_copy_trading_samples() {
    let status = json!({"code": "000000", "message": "success",
        "data": {"isLeadTrader": true, "time": 1717382310843u64}, "success": true});
    assert!(binance::lead_status(&status).unwrap());
    let refused = json!({"code": "100001", "message": "not allowed", "success": false});
    let err = binance::lead_status(&refused).unwrap_err();
    assert!(err.to_string().contains("100001"), "{err}");
    let income = json!([
        {"symbol": "", "incomeType": "TRANSFER", "income": "-0.37500000", "asset": "USDT", "info": "TRANSFER",
         "time": 1570608000000u64, "tranId": 9689322392u64, "tradeId": ""},
        {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT",
         "info": "COMMISSION", "time": 1570636800000u64, "tranId": 9689322392u64, "tradeId": "2059192"},
        {"symbol": "", "incomeType": "STRATEGY_UMFUTURES_TRANSFER", "income": "100", "asset": "USDT", "info": "",
         "time": 1570600000000u64, "tranId": 1u64, "tradeId": ""},
        {"symbol": "", "incomeType": "COPY_TRADING_PROFIT_SHARE", "income": "2.5", "asset": "USDT", "info": "",
         "time": 1570700000000u64, "tranId": 2u64, "tradeId": ""}
    ]);
    let regular = binance::income(&income, "lead").unwrap();
    assert_eq!(regular.events.len(), 3, "a regular account skips TRANSFER");
    let page = binance::lead_income(&income, "lead").unwrap();
    assert_eq!(page.rows, 4);
    let kinds: Vec<(&str, &EventKind)> = page.events.iter().map(|e| (e.id.as_str(), &e.kind)).collect();
    assert_eq!(
        kinds[0],
        (
            "binance/lead/usdm:income:TRANSFER:9689322392",
            &EventKind::Withdrawal { asset: "USDT".into(), amount: d("0.375"), fee: None, txid: None }
        )
    );
    assert_eq!(kinds[2].1, &EventKind::Deposit { asset: "USDT".into(), amount: d("100"), txid: None });
    assert!(matches!(kinds[1].1, EventKind::Income { income_type: IncomeType::Commission, .. }));
    assert_eq!(
        kinds[3].1,
        &EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount: d("2.5"), symbol: None }
    );
}

/// Bitget copy trading (docs/venues.md §2.11): the follower history sample (a long from 32000.5 to 28233.0, a loss,
/// no profit share) is an opening buy and a closing sell for the record; a profitable row whose `netProfit` is 10
/// below `achievedPL` paid a profit share of 10 from spot; the trader history sample (its table's price names); the
/// profit details sample is other income in spot; an unknown `posSide` is an error naming it.
#[test]
fn bitget_copy_trading_samples() {
    let follower = json!({"trackingList": [
        {"trackingNo": "123123123123", "posSide": "long", "openLeverage": "20", "openSize": "0.1852",
         "closeSize": "0.1852", "openPriceAvg": "32000.5", "closePriceAvg": "28233.0", "achievedPL": "-697.74100000",
         "openFee": "-5.92649260", "closeFee": "-5.22875160", "symbol": "BTCUSDT", "profitRate": "-235.47",
         "netProfit": "-697.74100000", "openOrderId": "1", "closeOrderId": "1", "openTime": "1695176941362",
         "closeTime": "1695353868557", "traderId": "**********", "productType": "usdt-futures"},
        {"trackingNo": "7", "posSide": "short", "openSize": "1", "closeSize": "1", "openPriceAvg": "2000",
         "closePriceAvg": "1900", "achievedPL": "100", "openFee": "-1", "closeFee": "-1", "symbol": "ETHUSDT",
         "netProfit": "90", "openTime": "1695000000000", "closeTime": "1695100000000", "productType": "usdt-futures"}
    ], "endId": "7"});
    let page = bitget::follower_orders(&follower, "copy").unwrap();
    assert_eq!((page.rows, page.cursor.as_deref(), page.events.len()), (2, Some("7"), 5));
    assert_eq!(page.events[0].id, "bitget/copy/futures:copy_open:123123123123");
    let EventKind::FuturesTrade { side, price, qty, fees, realized_pnl, .. } = &page.events[1].kind else {
        panic!("{:?}", page.events[1])
    };
    assert_eq!((*side, *price, *qty), (ledger::Side::Sell, d("28233.0"), d("0.1852")));
    assert_eq!((fees, *realized_pnl), (&vec![Money::new("USDT", d("5.2287516"))], Some(d("-697.741"))));
    assert!(matches!(&page.events[2].kind, EventKind::FuturesTrade { side: ledger::Side::Sell, .. }), "short opens");
    assert_eq!(page.events[4].id, "bitget/copy/spot:copy_share:7");
    assert_eq!(
        page.events[4].kind,
        EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount: d("-10"), symbol: None }
    );
    let trader = json!({"trackingList": [
        {"trackingNo": "123123", "symbol": "BTCUSDT", "openOrderId": "12312313123", "closeOrderId": "12312313123",
         "productType": "usdt-futures", "posSide": "long", "openLeverage": "20", "openAvgPrice": "32000.5",
         "openTime": "1695035398292", "openSize": "0.1000", "closeSize": "0.1000", "closeTime": "1695176679764",
         "closeAvgPrice": "32000.0", "stopType": "", "achievedPL": "-0.05000000", "openFee": "-3.20005000",
         "closeFee": "-3.20000000", "cTime": "1695035398292"}], "endId": "1"});
    let page = bitget::trader_orders(&trader, "lead").unwrap();
    assert_eq!(page.events.len(), 2, "a trader pays no profit share");
    assert!(matches!(&page.events[0].kind, EventKind::FuturesTrade { price, .. } if *price == d("32000.5")));
    let profits = json!({"profitList": [{"profitId": "1", "coin": "usdt", "profit": "1", "nickName": "nickname",
        "profitTime": "1691446639000"}], "endId": "3"});
    let page = bitget::profit_shares(&profits, "lead").unwrap();
    assert_eq!((page.cursor.as_deref(), page.events[0].id.as_str()), (Some("3"), "bitget/lead/spot:copy_profit:1"));
    assert_eq!(
        page.events[0].kind,
        EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount: d("1"), symbol: None }
    );
    let mut odd = trader.clone();
    odd["trackingList"][0]["posSide"] = json!("net");
    let err = bitget::trader_orders(&odd, "lead").unwrap_err();
    assert!(err.to_string().contains("net"), "{err}");
    assert!(bitget::follower_orders(&json!({"trackingList": null, "endId": ""}), "copy").unwrap().events.is_empty());
}

/// The cross margin account sample (docs/venues.md §1.18): each asset's `netAsset` in the `margin` wallet, zero rows
/// left out; a `netAsset` that is not free + locked − borrowed − interest is an error naming the asset.
#[test]
fn binance_margin_account_sample() {
    let asset = |a: &str, borrowed: &str, free: &str, net: &str| {
        json!({"asset": a, "borrowed": borrowed, "free": free, "interest": "0.00000000", "locked": "0.00000000",
            "netAsset": net})
    };
    let data = json!({"created": true, "borrowEnabled": true, "userAssets": [
        asset("BTC", "0.00000000", "0.00499500", "0.00499500"),
        asset("BNB", "201.66666672", "2346.50000000", "2144.83333328"),
        asset("ETH", "0.00000000", "0.00000000", "0.00000000")]});
    let mut out = Default::default();
    assert!(binance::margin_balances(&data, "main", &mut out).unwrap());
    let wallet = &out["binance/main/margin"];
    assert_eq!((wallet["BTC"], wallet["BNB"], wallet.len()), (d("0.004995"), d("2144.83333328"), 2));
    let bad = json!({"userAssets": [asset("BNB", "201", "2346.5", "2346.5")]});
    let err = binance::margin_balances(&bad, "main", &mut Default::default()).unwrap_err().to_string();
    assert!(err.contains("BNB: netAsset 2346.5 is not free + locked - borrowed - interest = 2145.5"), "{err}");
    let mut none = Default::default();
    assert!(!binance::margin_balances(&json!({"created": false, "userAssets": []}), "main", &mut none).unwrap());
    assert!(none.is_empty());
}

/// The isolated margin sample, with amounts: each pair is a wallet `isolated-{SYMBOL}` of its two assets.
#[test]
fn binance_isolated_margin_account_sample() {
    let side = |a: &str, borrowed: &str, free: &str, net: &str| {
        json!({"asset": a, "borrowEnabled": true, "borrowed": borrowed, "free": free, "interest": "0.001",
            "locked": "0", "netAsset": net, "netAssetOfBtc": "0", "repayEnabled": true, "totalAsset": free})
    };
    let data = json!({"assets": [{"baseAsset": side("BTC", "1", "1.5", "0.499"),
        "quoteAsset": side("USDT", "0", "100", "99.999"), "symbol": "BTCUSDT", "isolatedCreated": true,
        "enabled": true, "marginLevelStatus": "EXCESSIVE"},
        {"baseAsset": side("ETH", "0", "0", "-0.001"), "quoteAsset": side("USDT", "0", "0", "-0.001"),
        "symbol": "ETHUSDT", "isolatedCreated": false, "enabled": false}]});
    let mut out = Default::default();
    let symbols = binance::isolated_balances(&data, "main", &mut out).unwrap();
    // a pair not created is no wallet and no pair whose histories are read
    assert_eq!(symbols, ["BTCUSDT"]);
    let wallet = &out["binance/main/isolated-BTCUSDT"];
    assert_eq!((wallet["BTC"], wallet["USDT"]), (d("0.499"), d("99.999")));
    assert!(!out.contains_key("binance/main/isolated-ETHUSDT"));
}

/// The borrow-repay sample is a repay in isolated margin: its principal with its interest apart (they add up to its
/// amount); a borrow is its amount; pending and failed rows move nothing; a repay whose parts do not add up is an
/// error.
#[test]
fn binance_margin_borrow_repay_sample() {
    let row = |status: &str, principal: &str| {
        json!({"rows": [{"type": "AUTO", "isolatedSymbol": "BNBUSDT", "amount": "14.00000000", "asset": "BNB",
            "interest": "0.01866667", "principal": principal, "status": status, "timestamp": 1563438204000u64,
            "txId": 2970933056u64}], "total": 1})
    };
    let page = binance::borrow_repay(&row("CONFIRMED", "13.98133333"), "main", true).unwrap();
    assert_eq!((page.rows, page.total), (1, Some(1)));
    let e = &page.events[0];
    assert_eq!(e.id, "binance/main/isolated-BNBUSDT:repay:2970933056");
    assert_eq!(
        e.kind,
        EventKind::Loan {
            action: ledger::LoanAction::Repay,
            asset: "BNB".into(),
            amount: d("13.98133333"),
            interest: Some(d("0.01866667"))
        }
    );
    assert!(e.validate().is_ok());
    let borrow = binance::borrow_repay(&row("CONFIRMED", "14"), "main", false).unwrap();
    assert_eq!(borrow.events[0].id, "binance/main/isolated-BNBUSDT:borrow:2970933056");
    assert!(matches!(&borrow.events[0].kind, EventKind::Loan { action: ledger::LoanAction::Borrow, amount, .. }
        if *amount == d("14")));
    for status in ["PENDING", "FAILED"] {
        assert!(binance::borrow_repay(&row(status, "13.98133333"), "main", true).unwrap().events.is_empty());
    }
    let err = binance::borrow_repay(&row("CONFIRMED", "13"), "main", true).unwrap_err().to_string();
    assert!(err.contains("principal 13 + interest 0.01866667 != 14"), "{err}");
    let empty = binance::borrow_repay(&json!({"rows": null, "total": 0}), "main", true).unwrap();
    assert_eq!((empty.rows, empty.events.len()), (0, 0));
}

/// The interest sample: interest charged in the wallet the row names (isolated here), its id the borrow's `txId` with
/// the asset and the hour charged; an unknown type is kept the same way, with a warning.
#[test]
fn binance_margin_interest_sample() {
    let row = |ty: &str| {
        json!({"rows": [{"txId": 1352286576452864727u64, "interestAccuredTime": 1672160400000u64, "asset": "USDT",
            "rawAsset": "USDT", "principal": "45.3313", "interest": "0.00024995", "interestRate": "0.00013233",
            "type": ty, "isolatedSymbol": "BNBUSDT"}], "total": 1})
    };
    let page = binance::interest_history(&row("ON_BORROW"), "main").unwrap();
    let e = &page.events[0];
    assert_eq!(e.id, "binance/main/isolated-BNBUSDT:interest:1352286576452864727:USDT:1672160400000");
    assert_eq!(
        e.kind,
        EventKind::Loan {
            action: ledger::LoanAction::Interest,
            asset: "USDT".into(),
            amount: d("0.00024995"),
            interest: None
        }
    );
    assert!(page.warnings.is_empty());
    let odd = binance::interest_history(&row("DAILY"), "main").unwrap();
    assert_eq!(odd.events.len(), 1);
    assert!(odd.warnings[0].contains("unknown interest type \"DAILY\""), "{:?}", odd.warnings);
}

/// The margin fills sample (a sale of 3 BNB at 0.02 BTC, fee in BTC): a trade in the cross wallet, the quote amount
/// price × qty; `isIsolated` puts it in the pair's wallet.
#[test]
fn binance_margin_trades_sample() {
    let fill = |isolated: bool| {
        json!([{"commission": "0.00006000", "commissionAsset": "BTC", "id": 34, "isBestMatch": true, "isBuyer": false,
            "isMaker": false, "orderId": 39324, "price": "0.02000000", "qty": "3.00000000", "symbol": "BNBBTC",
            "isIsolated": isolated, "time": 1561973357171u64}])
    };
    let page = binance::margin_trades(&fill(false), "main", &book()).unwrap();
    assert_eq!((page.rows, page.max_id), (1, Some(34)));
    let e = &page.events[0];
    assert_eq!(e.id, "binance/main/margin:trade:BNBBTC:34");
    assert_eq!(
        e.kind,
        EventKind::Trade {
            spend: Money::new("BNB", d("3")),
            receive: Money::new("BTC", d("0.06")),
            fees: vec![Money::new("BTC", d("0.00006"))],
            symbol: Some("BNBBTC".into())
        }
    );
    let isolated = binance::margin_trades(&fill(true), "main", &book()).unwrap();
    assert_eq!(isolated.events[0].account.as_str(), "binance/main/isolated-BNBBTC");
}

/// The liquidation sample: an order, no event; its symbol is one whose fills are read.
#[test]
fn binance_margin_force_liquidation_sample() {
    let data = json!({"rows": [{"avgPrice": "0.00388359", "executedQty": "31.39000000", "orderId": 180015097,
        "price": "0.00388110", "qty": "31.39000000", "side": "SELL", "symbol": "BNBBTC", "timeInForce": "GTC",
        "isIsolated": true, "updatedTime": 1558941374745u64}], "total": 1});
    let page = binance::force_liquidations(&data).unwrap();
    assert_eq!((page.rows, page.events.len(), page.total), (1, 0, Some(1)));
    assert_eq!(page.symbols.into_iter().collect::<Vec<_>>(), ["BNBBTC"]);
}

/// The capital flow sample (a borrow and a repay, both booked by the borrow-repay records): no event, each counted
/// under its type; a liquidation fee, which no stream books, is other income of minus its amount named by its type,
/// with a warning; a commission return an inflow.
#[test]
fn binance_margin_capital_flow_sample() {
    let data = json!([
        {"id": 123456, "tranId": 123123, "timestamp": 1691116657000u64, "asset": "USDT", "symbol": "BTCUSDT",
            "type": "BORROW", "amount": "101"},
        {"id": 123457, "tranId": 123124, "timestamp": 1691116658000u64, "asset": "BTC", "symbol": "BTCUSDT",
            "type": "REPAY", "amount": "10"},
        {"id": 123458, "tranId": 123125, "timestamp": 1691116659000u64, "asset": "USDT", "symbol": "BTCUSDT",
            "type": "LIQUIDATION_FEE", "amount": "5"},
        {"id": 123459, "tranId": 123126, "timestamp": 1691116660000u64, "asset": "BNB",
            "type": "COMMISSION_RETURN", "amount": "0.1"}]);
    let (page, flow) = binance::capital_flow(&data, "main", None).unwrap();
    assert_eq!((page.rows, page.max_id), (4, Some(123459)));
    assert_eq!(flow.covered.get("BORROW").copied(), Some(1));
    assert_eq!(flow.covered.get("REPAY").copied(), Some(1));
    assert_eq!(page.symbols.iter().collect::<Vec<_>>(), ["BTCUSDT"]);
    assert_eq!(page.events.len(), 2);
    let fee = &page.events[0];
    assert_eq!(fee.id, "binance/main/margin:capital_flow:LIQUIDATION_FEE:123458");
    assert!(matches!(&fee.kind, EventKind::Income { income_type: IncomeType::Other, amount, asset, .. }
        if *amount == d("-5") && asset == "USDT"));
    assert!(matches!(&page.events[1].kind, EventKind::Income { amount, .. } if *amount == d("0.1")));
    assert_eq!(page.warnings.len(), 2);
    assert!(page.warnings[0].contains("type \"LIQUIDATION_FEE\", which no stream books"), "{:?}", page.warnings);
    let (isolated, _) = binance::capital_flow(&data, "main", Some("BTCUSDT")).unwrap();
    assert_eq!(isolated.events[0].account.as_str(), "binance/main/isolated-BTCUSDT");
}
