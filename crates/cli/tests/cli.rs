//! Runs the `meetcrypt` binary on temporary files.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh temporary directory for one test, removed when it ends.
fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn meetcrypt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meetcrypt")).args(args).output().expect("run meetcrypt")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The Canada example of docs/accounting.md (Examples 1 and 2) in EUR, with prices for ETH in EUR.
const LEDGER: &str = r#"{"id":"b1","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"EUR","amount":"5000"},"receive":{"asset":"ETH","amount":"100"},"fees":[{"asset":"EUR","amount":"10"}]}
{"id":"s1","time":"2024-01-02T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"ETH","amount":"50"},"receive":{"asset":"EUR","amount":"6000"},"fees":[{"asset":"EUR","amount":"10"}]}

{"id":"b2","time":"2024-01-03T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"EUR","amount":"6500"},"receive":{"asset":"ETH","amount":"50"},"fees":[{"asset":"EUR","amount":"10"}]}
{"id":"s2","time":"2024-01-04T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"ETH","amount":"40"},"receive":{"asset":"EUR","amount":"3600"},"fees":[{"asset":"EUR","amount":"10"}]}
"#;

const PRICES: &str = r#"{"time":"2024-01-01T00:00:00Z","asset":"ETH","quote":"EUR","price":"50"}
{"time":"2024-01-04T00:00:00Z","asset":"ETH","quote":"EUR","price":"90"}
"#;

#[test]
fn pnl_prints_the_report_as_json() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    let prices = write(dir.path(), "prices.jsonl", PRICES);
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--prices", &prices, "--currency", "EUR", "--method", "acb"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["currency"], "EUR");
    assert_eq!(r["method"], "acb");
    // docs/accounting.md, Example 1: 3485 and -16
    assert_eq!(r["realized"]["trade"], "3469");
    for key in ["trade", "fee", "futures", "funding", "commission", "other", "total"] {
        assert!(r["realized"][key].is_string(), "realized.{key}");
    }
    assert_eq!(r["assets"]["ETH"]["amount"], "60");
    assert_eq!(r["assets"]["ETH"]["cost_basis"], "5409");
    assert!(r["missing_acquisitions"].as_array().unwrap().is_empty());
    assert!(r["missing_prices"].is_array());
    assert_eq!(r["identity"]["holds"], true);

    let fifo = meetcrypt(&[
        "pnl",
        "--ledger",
        &ledger,
        "--prices",
        &prices,
        "--currency",
        "EUR",
        "--fees-in-cost-basis",
        "false",
    ]);
    let r: Value = serde_json::from_str(&stdout(&fifo)).unwrap();
    assert_eq!((r["realized"]["trade"].as_str(), r["realized"]["fee"].as_str()), (Some("5100"), Some("-40")));
}

#[test]
fn method_uk_is_hmrc_share_pooling() {
    let dir = temp_dir();
    // docs/accounting.md, Example 24 up to the May sale: 20 same day, 40 within 30 days, 60 of the pool
    let ledger = write(
        dir.path(),
        "ledger.jsonl",
        r#"{"id":"b1","time":"2024-01-01T10:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"GBP","amount":"1000"},"receive":{"asset":"TOK","amount":"100"}}
{"id":"b2","time":"2024-03-01T10:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"GBP","amount":"1000"},"receive":{"asset":"TOK","amount":"50"}}
{"id":"s1","time":"2024-05-10T09:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"TOK","amount":"120"},"receive":{"asset":"GBP","amount":"3600"}}
{"id":"b3","time":"2024-05-10T15:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"GBP","amount":"700"},"receive":{"asset":"TOK","amount":"20"}}
{"id":"b4","time":"2024-05-25T10:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"GBP","amount":"1000"},"receive":{"asset":"TOK","amount":"40"}}
"#,
    );
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--currency", "GBP", "--method", "uk"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["method"], "uk");
    assert_eq!(r["realized"]["trade"], "1100");
    assert_eq!(r["holding_periods"], Value::Null, "no holding periods under pooling");
    assert_eq!(r["assets"]["TOK"]["cost_basis"], "1200");
    let fifo = meetcrypt(&["pnl", "--ledger", &ledger, "--currency", "GBP"]);
    let r: Value = serde_json::from_str(&stdout(&fifo)).unwrap();
    assert_eq!(r["realized"]["trade"], "2200");
    assert_eq!(r["holding_periods"]["short_term"], "2200");
}

#[test]
fn window_flags() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    let o = meetcrypt(&[
        "pnl",
        "--ledger",
        &ledger,
        "--currency",
        "EUR",
        "--fees-in-cost-basis=false",
        "--from",
        "2024-01-03T00:00:00Z",
        "--to",
        "2024-01-31T00:00:00Z",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // only the second sale and two fees fall in the window
    assert_eq!(r["realized"]["trade"], "1600");
    assert_eq!(r["realized"]["fee"], "-20");
}

#[test]
fn malformed_lines_name_file_and_line() {
    let dir = temp_dir();
    let prices = write(dir.path(), "prices.jsonl", PRICES);
    let cases = [
        ("broken.jsonl", LEDGER.replacen("\"s1\",", "\"s1\"", 1), ":2:"),
        (
            "kind.jsonl",
            LEDGER.to_string()
                + r#"{"id":"x","time":"2024-01-05T00:00:00Z","account":"a/b/c","kind":"gift","asset":"ETH","amount":"1"}"#,
            ":6: unknown variant `gift`",
        ),
        (
            "negative.jsonl",
            LEDGER.replacen(r#""amount":"6500""#, r#""amount":"-6500""#, 1),
            ":4: spend: negative amount -6500",
        ),
        ("time.jsonl", LEDGER.replacen("2024-01-04T00:00:00Z", "2024-01-04 00:00", 1), ":5: invalid time"),
        ("duplicate.jsonl", LEDGER.replacen("\"id\":\"s2\"", "\"id\":\"b1\"", 1), ":5: duplicate id \"b1\""),
        (
            "huge.jsonl",
            LEDGER.replacen("\"amount\":\"6000\"", "\"amount\":\"70000000000000000000000000000\"", 1),
            ":2: receive amount 70000000000000000000000000000 is larger than the engine's limit",
        ),
        ("number.jsonl", LEDGER.replacen("\"amount\":\"6000\"", "\"amount\":6000", 1), ":2:"),
    ];
    for (name, text, expected) in cases {
        let ledger = write(dir.path(), name, &text);
        let o = meetcrypt(&["pnl", "--ledger", &ledger, "--prices", &prices]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = stderr(&o);
        assert!(err.contains(&format!("{ledger}{expected}")), "{name}: {err}");
        assert!(stdout(&o).is_empty());
    }
    let ledger = write(dir.path(), "ok.jsonl", LEDGER);
    let bad_prices = write(dir.path(), "bad-prices.jsonl", &PRICES.replace("\"90\"", "\"-90\""));
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--prices", &bad_prices]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{bad_prices}:2: negative price -90")), "{}", stderr(&o));
    let o = meetcrypt(&["pnl", "--ledger", &dir.path().join("absent.jsonl").to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("absent.jsonl"));
}

#[test]
fn empty_ledger_and_window_before_the_first_event() {
    let dir = temp_dir();
    let empty = write(dir.path(), "empty.jsonl", "\n");
    let o = meetcrypt(&["pnl", "--ledger", &empty]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["realized"]["total"], "0");
    assert_eq!(r["events"], 0);
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--to", "2023-01-01T00:00:00Z"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["events"], 0);
    assert!(r["equity_curve"].as_array().unwrap().is_empty());
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--from", "2024-02-01T00:00:00Z", "--to", "2024-01-01T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is after --to"));
}

#[test]
fn positions_file() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    let positions = write(
        dir.path(),
        "positions.jsonl",
        r#"{"time":"2024-01-04T00:00:00Z","account":"binance/main/usdm","symbol":"ADAUSDT","margin_asset":"USDT","amount":"30","entry_price":"0.385","mark_price":"0.41047590"}
"#,
    );
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--positions", &positions]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["positions"][0]["unrealized"], "0.764277");
    assert_eq!(r["unrealized_positions"], "0.764277");
    // an open COIN-M position (docs/accounting.md §9, Example 16): listed with its PnL in BTC, as the others are
    let coinm = write(
        dir.path(),
        "coinm-positions.jsonl",
        r#"{"time":"2024-01-04T00:00:00Z","account":"binance/main/coinm","symbol":"BTCUSD_201225","margin_asset":"BTC","amount":"1","entry_price":"11707.70000003","mark_price":"11788.66626667","contract_size":"100"}
"#,
    );
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--positions", &coinm]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let p = &r["positions"][0];
    assert_eq!((p["symbol"].as_str(), p["margin_asset"].as_str()), (Some("BTCUSD_201225"), Some("BTC")));
    let upnl: ledger::Decimal = p["unrealized"].as_str().unwrap().parse().unwrap();
    assert_eq!(upnl.round_dp(8).to_string(), "0.00005866");
    // an inverse position marked at 0 cannot be valued: the file is refused, naming the line and field
    let zero = write(
        dir.path(),
        "zero-positions.jsonl",
        &std::fs::read_to_string(&coinm).unwrap().replace("11788.66626667", "0"),
    );
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--positions", &zero]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{zero}:1:")) && stderr(&o).contains("mark_price is 0"), "{}", stderr(&o));
    let bad = write(dir.path(), "bad-positions.jsonl", "{\"time\":\"2024-01-04T00:00:00Z\"}\n");
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--positions", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{bad}:1: missing field")), "{}", stderr(&o));
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    for (args, expected) in [
        (vec!["pnl", "--ledger", &ledger, "--method", "wac"], "unknown method \"wac\""),
        (vec!["pnl", "--ledger", &ledger, "--fees-in-cost-basis", "maybe"], "expected true or false"),
        (vec!["pnl", "--ledger", &ledger, "--pools", "both"], "unknown pools"),
        (vec!["pnl", "--ledger", &ledger, "--from", "yesterday"], "invalid time"),
        (vec!["pnl"], "the following required arguments were not provided:\n  <--ledger <FILE>|--bundle <FILE>>"),
        (vec!["pnl", "--ledger"], "a value is required for '--ledger <FILE>'"),
        (vec!["pnl", "--ledger", &ledger, "--colour", "red"], "unexpected argument '--colour'"),
        (vec!["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (vec!["pnl", "--bundle", "b.json", "--ledger", &ledger], "cannot be used with"),
        (vec![], "Usage: meetcrypt"),
    ] {
        let o = meetcrypt(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn help_lists_every_option_and_completions_cover_them() {
    let help = stdout(&meetcrypt(&["pnl", "--help"]));
    for option in [
        "--ledger",
        "--prices",
        "--positions",
        "--bundle",
        "--out",
        "--currency",
        "--method",
        "--fees-in-cost-basis",
        "--pools",
        "--stablecoins-as-usd",
        "--deposits-at-market",
        "--from",
        "--to",
        "--decisions",
    ] {
        assert!(help.contains(option), "{option} missing from `meetcrypt pnl --help`:\n{help}");
    }
    let sync = stdout(&meetcrypt(&["sync", "--help"]));
    for option in ["--relay", "--keys", "--out", "--days", "--full", "--allow-trade", "--timeout-ms", "--quiet"] {
        assert!(sync.contains(option), "{option} missing from `meetcrypt sync --help`");
    }
    let bash = meetcrypt(&["completions", "bash"]);
    assert!(bash.status.success(), "{}", stderr(&bash));
    let script = stdout(&bash);
    assert!(script.contains("complete -F") && script.contains("--fees-in-cost-basis"), "{script}");
    let version = stdout(&meetcrypt(&["--version"]));
    assert!(version.starts_with("meetcrypt ") && version.contains("pnl/"), "{version}");
}

#[test]
fn bundle_recomputes_exactly() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    let prices = write(dir.path(), "prices.jsonl", PRICES);
    let bundle = dir.path().join("bundle.json").to_string_lossy().into_owned();
    let settings = ["--currency", "EUR", "--method", "hifo"];
    let mut args = vec!["export", "bundle", "--ledger", &ledger, "--prices", &prices, "--out", &bundle];
    args.extend(settings);
    let o = meetcrypt(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut direct = vec!["pnl", "--ledger", &ledger, "--prices", &prices];
    direct.extend(settings);
    let direct = stdout(&meetcrypt(&direct));
    let from_bundle = meetcrypt(&["pnl", "--bundle", &bundle]);
    assert!(from_bundle.status.success(), "{}", stderr(&from_bundle));
    assert_eq!(stdout(&from_bundle), direct);
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    assert_eq!(b["settings"]["method"], "hifo");
    assert!(b["engine_version"].as_str().unwrap().starts_with("pnl/"));

    // an edited bundle does not verify
    let edited = std::fs::read_to_string(&bundle).unwrap().replacen("\"3600\"", "\"3700\"", 1);
    let edited = write(dir.path(), "edited.json", &edited);
    let o = meetcrypt(&["pnl", "--bundle", &edited]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("recomputed report differs"), "{}", stderr(&o));
    let o = meetcrypt(&["pnl", "--bundle", &bundle, "--method", "fifo"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn koinly_round_trip_and_report_csv() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", LEDGER);
    let o = meetcrypt(&["export", "koinly", "--ledger", &ledger]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = write(dir.path(), "koinly.csv", &stdout(&o));
    assert!(stdout(&o).starts_with("Date,Sent Amount,Sent Currency,Received Amount,Received Currency"));
    let o = meetcrypt(&["export", "ledger", "--koinly", &csv, "--account", "binance/main/spot"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let original: Vec<&str> = LEDGER.lines().filter(|l| !l.is_empty()).collect();
    let back = stdout(&o);
    assert_eq!(back.lines().collect::<Vec<_>>(), original);

    let bad =
        write(dir.path(), "bad.csv", "Date,Sent Amount,Sent Currency\n2024-01-01 00:00 UTC,1,BTC\nnot a date,1,BTC\n");
    let o = meetcrypt(&["export", "ledger", "--koinly", &bad, "--account", "a/b/c"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{bad}:3: date")), "{}", stderr(&o));

    let o = meetcrypt(&["export", "report-csv", "--ledger", &ledger, "--currency", "EUR", "--method", "fifo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("event,time,account,asset,category,amount,proceeds,cost,pnl,missing,lots\n"));
    // FIFO, fees in cost basis: the first sale proceeds 5990, cost 50 x 50.1 = 2505
    assert!(text.contains("s1,2024-01-02T00:00:00Z,binance/main/spot,ETH,trade,50,5990,2505,3485,0,"), "{text}");
    assert!(text.contains("\nmethod,fifo\n"));
}

/// `meetcrypt pnl --state DIR/sync-state.json`: per account "complete" or its residual rows on stderr (wallet, asset,
/// venue, ledger, residual, what could explain it), the report's JSON on stdout as without it (docs/ledger-format.md).
#[test]
fn pnl_with_the_sync_state_prints_each_accounts_residuals() {
    let dir = temp_dir();
    let ledger = write(
        dir.path(),
        "ledger.jsonl",
        r#"{"id":"d1","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"deposit","asset":"USDT","amount":"1000"}
{"id":"d2","time":"2024-01-02T00:00:00Z","account":"bitget/main/spot","kind":"deposit","asset":"BTC","amount":"0.5"}
{"id":"d3","time":"2024-03-01T00:00:00Z","account":"binance/main/spot","kind":"deposit","asset":"USDT","amount":"7"}
"#,
    );
    // binance/main: the venue shows 1000 USDT at 2024-02-01 (d3 comes after the reading) and 2 ETH the ledger lacks;
    // bitget/main: 0.5 BTC, explained; bitget/other: never read
    let state = write(
        dir.path(),
        "sync-state.json",
        r#"{"version":1,"accounts":{
          "binance/main":{"clock_offset_ms":0,"assets":[],"covered_until":{},"next_id":{},
            "balances":{"binance/main/spot":{"USDT":"1000","ETH":"2"}},"balances_at":1706745600000,
            "history_from":1704153600000},
          "bitget/main":{"clock_offset_ms":0,"assets":[],"covered_until":{},"next_id":{},
            "balances":{"bitget/main/spot":{"BTC":"0.5"}},"balances_at":1706745600000},
          "bitget/other":{"clock_offset_ms":0,"assets":[],"covered_until":{},"next_id":{}}}}"#,
    );
    let plain = meetcrypt(&["pnl", "--ledger", &ledger]);
    assert!(plain.status.success() && !stderr(&plain).contains("residual"), "{}", stderr(&plain));
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--state", &state]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&plain), "stdout is the same report's JSON");
    let err = stderr(&o);
    assert!(err.contains("binance/main: 1 residual at 2024-02-01T00:00:00Z"), "{err}");
    assert!(
        err.contains(
            "  binance/main/spot\tETH\t2\t0\t2\tan opening balance older than the history read (from 2024-01-02), \
             or a row these streams missed; Binance spot trades, deposits"
        ),
        "{err}"
    );
    assert!(!err.contains("\tUSDT\t"), "the deposit after the reading is not counted: {err}");
    assert!(err.contains("bitget/main: complete"), "{err}");
    assert!(err.contains("bitget/other: no balances read yet"), "{err}");
    // a file that is not a state is named, and so is a state given with a bundle
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--state", &ledger]);
    assert!(!o.status.success() && stderr(&o).contains(&format!("{ledger}: not a sync state")), "{}", stderr(&o));
    let o = meetcrypt(&["pnl", "--bundle", &ledger, "--state", &state]);
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    assert!(stdout(&meetcrypt(&["pnl", "--help"])).contains("--state <FILE>"));
}

/// docs/accounting.md, Example 32: 1 BTC deposited from outside, sold for 25000 USDT.
const DEPOSIT_THEN_SALE: &str = r#"{"id":"d1","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"deposit","asset":"BTC","amount":"1"}
{"id":"s1","time":"2024-01-02T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"BTC","amount":"1"},"receive":{"asset":"USDT","amount":"25000"},"fees":[]}
"#;

#[test]
fn decisions_give_a_deposit_from_outside_its_cost_and_a_wrong_one_is_refused_by_name() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", DEPOSIT_THEN_SALE);
    let without = meetcrypt(&["pnl", "--ledger", &ledger]);
    assert!(without.status.success(), "{}", stderr(&without));
    let r: Value = serde_json::from_str(&stdout(&without)).unwrap();
    assert_eq!(r["missing_acquisitions"].as_array().unwrap().len(), 1, "{r}");

    let decisions = write(dir.path(), "decisions.json", r#"{"deposit_costs":{"d1":"15000"}}"#);
    let with = meetcrypt(&["pnl", "--ledger", &ledger, "--decisions", &decisions]);
    assert!(with.status.success(), "{}", stderr(&with));
    let r: Value = serde_json::from_str(&stdout(&with)).unwrap();
    assert_eq!(r["realized"]["trade"], "10000");
    assert!(r["missing_acquisitions"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(r["settings"]["deposit_costs"]["d1"], "15000");

    // an id the ledger does not have, a withdrawal where a deposit belongs, a negative cost, an unknown key: each an
    // error naming the file and what is wrong, and no report
    for (text, says) in [
        (r#"{"deposit_costs":{"d2":"1"}}"#, r#"deposit cost "d2": no deposit of the ledger has this id"#),
        (r#"{"deposit_costs":{"s1":"1"}}"#, r#"deposit cost "s1": no deposit of the ledger has this id"#),
        (r#"{"deposit_costs":{"d1":"-1"}}"#, r#"deposit cost "d1": -1 is negative"#),
        (r#"{"manual_matches":[["d1","d1"]]}"#, "expected a withdrawal id, then a deposit id"),
        (r#"{"leg_marks":{"x":"income"}}"#, r#"leg mark "x": no deposit or withdrawal"#),
        (r#"{"deposit_cost":{"d1":"1"}}"#, "unknown field `deposit_cost`"),
        (r#"{"migrations":{"d1":{"asset":"OLD","amount":"1"}}}"#, r#"migration "d1": no income crediting"#),
    ] {
        let bad = write(dir.path(), "bad.json", text);
        let o = meetcrypt(&["pnl", "--ledger", &ledger, "--decisions", &bad]);
        assert!(!o.status.success() && stdout(&o).is_empty(), "{text}");
        let err = stderr(&o);
        assert!(err.contains("bad.json") && err.contains(says), "{text}: {err}");
    }
    // a bundle carries its own settings
    let o = meetcrypt(&["pnl", "--bundle", &ledger, "--decisions", &decisions]);
    assert!(!o.status.success() && stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

const DIVIDEND_AFTER_BUY: &str = r#"{"id":"b1","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"100"},"receive":{"asset":"OLD","amount":"10"},"fees":[]}
{"id":"div","time":"2024-01-02T00:00:00Z","account":"binance/main/spot","kind":"income","type":"other","asset":"NEW","amount":"1"}
"#;

/// A migration the venue reports only as the new asset credited, declared in the decisions file (docs/ledger-format.md
/// "Decisions"): the credit becomes a migration from the old asset, which carries its cost; the bundle keeps it.
#[test]
fn decisions_declare_a_migration_the_venue_reported_as_income() {
    let dir = temp_dir();
    let ledger = write(dir.path(), "ledger.jsonl", DIVIDEND_AFTER_BUY);
    let decisions = write(dir.path(), "decisions.json", r#"{"migrations":{"div":{"asset":"OLD","amount":"10"}}}"#);
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--decisions", &decisions]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["assets"]["NEW"]["cost_basis"], "100", "{r}");
    assert_eq!(r["settings"]["migrations"]["div"]["asset"], "OLD");
    let bad = write(dir.path(), "bad.json", r#"{"migrations":{"div":{"asset":"OLD","amount":"0"}}}"#);
    let o = meetcrypt(&["pnl", "--ledger", &ledger, "--decisions", &bad]);
    assert!(!o.status.success() && stderr(&o).contains("positive amount"), "{}", stderr(&o));
}
