//! Bitget's tax records as the completeness check (docs/venues.md §2.13) on the simulated venues behind the relay:
//! a full sync reads them, books the income only they show (an airdrop and a rebate) as the truth has it, and their
//! sums per coin and group agree with the ledger (the COIN-M and USDC-M futures' too, in their wallets and coins); a
//! row the ledger lacks is a named disagreement, not a silent pass.

use std::time::Duration;

use ledger::{Decimal, EventKind, IncomeType};
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{DirStore, HttpTransport, Route};
use sync_engine::residual::{lines, of_state, tax_disagreements};
use sync_engine::{AccountConfig, SyncOptions};
use venues::AccountMode;

mod common;

use common::{connect_retrying, copy_trading, credentials, relay_for, synced_despite, tmp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tax_records_agree_with_the_ledger_and_a_missing_row_is_named() {
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 4, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    let relay = relay_for(&sandbox, |_| {}).await;
    let t = HttpTransport::new(Route::Relay(relay.url.clone()), Duration::from_secs(2));
    let mut accounts: Vec<AccountConfig> = Vec::new();
    for k in sandbox.keys().iter().filter(|k| k.venue == simvenues::keys::Venue::Bitget) {
        let creds = credentials(k);
        let ok = match connect_retrying(&t, &creds).await {
            Ok(_) => true,
            Err(e) => synced_despite(k, &e),
        };
        let config = AccountConfig { credentials: creds, copy_trading: copy_trading(k) };
        if ok && !accounts.iter().any(|a| a.key() == config.key()) {
            accounts.push(config);
        }
    }
    let dir = tmp("tax");
    let (mut store, mut state) = DirStore::open(&dir).unwrap();
    let options = SyncOptions { backoff_ms: 50, history_days: 90, ..SyncOptions::default() };
    let (results, _) = sync_engine::sync_by_venue(&t, &options, &accounts, &mut state, &mut store).await;
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    store.finish().unwrap();
    drop(store);
    let (_, state) = DirStore::open(&dir).unwrap();
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let events = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();

    let truth_tax: Vec<_> = sandbox.truth_ledger().into_iter().filter(|e| e.id.contains(":tax:")).collect();
    assert!(truth_tax.iter().any(|e| e.id.contains(":tax:airdrop_reward_a:")), "the generator makes an airdrop");
    assert!(truth_tax.iter().any(|e| e.id.contains(":tax:rebate_rewards:")), "and a reward");
    let mut classic = 0;
    for a in &accounts {
        let key = a.key();
        let st = &state.accounts[&key];
        if st.mode != Some(AccountMode::BitgetClassic) {
            assert!(st.tax.is_empty(), "{key}: a unified account reads no classic tax record");
            continue;
        }
        classic += 1;
        // the income only the tax records show is booked as the truth has it
        for e in truth_tax.iter().filter(|e| e.account.as_str().starts_with(&format!("{key}/"))) {
            assert!(events.contains(e), "{key}: {} not booked as the truth has it", e.id);
        }
        // the check read something to compare: the spot trades and the futures bills, in their wallets
        let spot = st.tax.values().find(|t| t.wallet == format!("{key}/spot")).expect("spot tax records read");
        if a.copy_trading {
            // a copy account trades through its copied or lead orders: its spot moves are money in and out and
            // the profit shares, checked against the copy streams (docs/venues.md §2.11, §2.13)
            assert!(spot.sums.contains_key("USDT other"), "{key}: {:?}", spot.sums);
            continue;
        }
        assert!(spot.sums.contains_key("USDT trade") && spot.sums.contains_key("USDT deposit"), "{:?}", spot.sums);
        let fut = st.tax.values().find(|t| t.wallet == format!("{key}/futures")).expect("futures tax records read");
        assert!(fut.sums.contains_key("USDT transfer"), "{:?}", fut.sums);
        // COIN-M and USDC-M (docs/venues.md §2.12): their bills checked in their wallets, in their margin coins
        for (wallet, coin) in [("coinm", "BTC"), ("usdcm", "USDC")] {
            let t = st.tax.values().find(|t| t.wallet == format!("{key}/{wallet}")).expect("its tax records read");
            assert!(t.sums.contains_key(&format!("{coin} trade")) && t.sums.contains_key(&format!("{coin} funding")));
            let pnl = events.iter().any(|e| {
                e.account.as_str() == format!("{key}/{wallet}")
                    && matches!(&e.kind, EventKind::Income { income_type: IncomeType::RealizedPnl, asset, .. } if asset == coin)
            });
            assert!(pnl, "{key}/{wallet}: realized PnL in {coin}");
            let open = st
                .positions
                .iter()
                .find(|p| p.account.as_str() == format!("{key}/{wallet}"))
                .expect("an open position");
            // COIN-M's PnL is in its coin, valued as an inverse contract of one coin at the entry price
            let size = (wallet == "coinm").then_some(open.entry_price);
            assert_eq!((open.margin_asset.as_str(), open.amount, open.contract_size), (coin, Decimal::new(1, 2), size));
            assert!(st.futures_products.iter().any(|p| venues::parse::bitget::futures_wallet(p) == Some(wallet)));
        }
        let r = of_state(&key, st, &events).unwrap();
        assert!(r.tax_disagreements.is_empty(), "{key}: {:#?}", r.tax_disagreements);
        assert!(r.complete(), "{key}: {:#?}", r.rows);

        // isolated margin (docs/venues.md §2.18): the margin tax record's isolated rows, every pair's wallet
        // together, agree with the pair's streams; without the pair's borrow its loans disagree by exactly it
        let iso = format!("{key}/{}", venues::parse::bitget::ISOLATED_TALLY_WALLET);
        let t = st.tax.values().find(|t| t.wallet == iso).expect("the isolated margin tax record read");
        assert!(t.sums.contains_key("BTC loan") && t.sums.contains_key("USDT transfer"), "{:?}", t.sums);
        let borrow = events
            .iter()
            .find(|e| e.account.as_str() == format!("{key}/isolated-BTCUSDT") && e.id.contains(":borrow:"))
            .expect("the pair's borrow");
        let EventKind::Loan { amount: borrowed, .. } = &borrow.kind else { unreachable!() };
        let fewer: Vec<_> = events.iter().filter(|e| e.id != borrow.id).cloned().collect();
        let found = tax_disagreements(&key, st, &fewer);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!((found[0].wallet.as_str(), found[0].coin.as_str(), found[0].group.as_str()), (&*iso, "BTC", "loan"));
        assert_eq!(found[0].tax - found[0].ledger, *borrowed);

        // without one spot fill the trades disagree in its coins, by exactly its amounts, and say so
        let fill = events
            .iter()
            .find(|e| e.account.as_str() == format!("{key}/spot") && e.id.contains(":trade:"))
            .expect("a spot fill");
        let EventKind::Trade { spend, .. } = &fill.kind else { unreachable!() };
        let fewer: Vec<_> = events.iter().filter(|e| e.id != fill.id).cloned().collect();
        let found = tax_disagreements(&key, st, &fewer);
        let spent = found.iter().find(|d| d.coin == spend.asset && d.group == "trade").expect("the spent coin named");
        assert_eq!(spent.tax - spent.ledger, -spend.amount, "{spent:?}");
        let r = of_state(&key, st, &fewer).unwrap();
        assert!(!r.complete());
        let text = lines(&r).join("\n");
        assert!(text.contains("tax records' trade") && text.contains(spend.asset.as_str()), "{text}");
        assert_eq!(spent.wallet, format!("{key}/spot"));
        assert!(spent.tax != Decimal::ZERO);
    }
    assert!(classic > 0, "the sandbox has a classic Bitget account");
}
