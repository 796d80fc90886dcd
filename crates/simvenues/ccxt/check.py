#!/usr/bin/env python3
"""Faithfulness check with a third-party client: CCXT (pinned in crates/simvenues/ccxt/requirements.txt) pointed at the
simulated venues of a running sandbox. Only the base URLs are changed (and, for Binance, the market types to load,
since the sandbox serves no COIN-M/options hosts). Fetches balances, trades, deposits, withdrawals, positions and
income through CCXT and compares them with the sandbox's ground truth (truth/balances.json, truth/ledger.jsonl).

    python3 -m venv target/ccxt-venv && target/ccxt-venv/bin/pip install -r crates/simvenues/ccxt/requirements.txt
    target/debug/sandbox --seed 7 --size small --dir /tmp/sb &   # wait for "sandbox ready: /tmp/sb/sandbox.json"
    target/ccxt-venv/bin/python crates/simvenues/ccxt/check.py /tmp/sb

Prints one line per check and "ccxt check: OK (<n> checks)"; exits 1 on the first mismatch.
"""
import json
import os
import sys
from decimal import Decimal

import ccxt


def load(dirname):
    with open(os.path.join(dirname, "sandbox.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(dirname, "truth", "balances.json")) as f:
        balances = json.load(f)
    with open(os.path.join(dirname, "truth", "ledger.jsonl")) as f:
        ledger = [json.loads(line) for line in f if line.strip()]
    return manifest, balances, ledger


def key(manifest, venue, label):
    for k in manifest["keys"]:
        if k["venue"] == venue and k["label"] == label and k.get("key_type", "HMAC_SHA256") == "HMAC_SHA256":
            return k
    raise SystemExit(f"no {venue} key labelled {label} in sandbox.json")


def point(exchange, mapping):
    """Replaces the venue hosts in every API url by the sandbox's base urls."""
    for name, url in list(exchange.urls["api"].items()):
        if not isinstance(url, str):
            continue
        for host, base in mapping.items():
            if url.startswith(host):
                exchange.urls["api"][name] = base + url[len(host):]


CHECKS = []

# CCXT gives up on a request after 10 s by default; against a busy machine's sandbox that is a guess, not a hang.
TIMEOUT_MS = 120_000


def check(name, got, want):
    if got != want:
        print(f"FAIL {name}:\n  ccxt:  {got}\n  truth: {want}")
        sys.exit(1)
    CHECKS.append(name)
    print(f"ok   {name}")


def dec_map(d):
    return {k: Decimal(str(v)) for k, v in d.items() if Decimal(str(v)) != 0}


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: check.py SANDBOX_DIR")
    manifest, balances, ledger = load(sys.argv[1])

    # ---- Binance ----
    k = key(manifest, "binance", "main")
    binance = ccxt.binance({"apiKey": k["api_key"], "secret": k["secret"], "enableRateLimit": False, "timeout": TIMEOUT_MS})
    binance.options["fetchMarkets"] = {"types": ["spot", "linear"]}
    point(binance, {"https://api.binance.com": manifest["binance_spot"], "https://fapi.binance.com": manifest["binance_futures"]})
    binance.load_markets()
    bal = binance.fetch_balance()
    check("binance spot balance", dec_map({a: bal["total"][a] for a in bal["total"]}), dec_map(balances.get("binance/main/spot", {})))
    fut = binance.fetch_balance({"type": "future"})
    got = dec_map({a: fut["info"]["assets"][i]["walletBalance"] for i, a in enumerate(x["asset"] for x in fut["info"]["assets"])})
    check("binance usdm wallet balance", got, dec_map(balances.get("binance/main/usdm", {})))
    truth_trades = {}
    for e in ledger:
        if e["id"].startswith("binance/main/spot:trade:"):
            sym = e["symbol"]
            truth_trades.setdefault(sym, set()).add(e["id"].rsplit(":", 1)[1])
    for market_id, ids in sorted(truth_trades.items()):
        listed = market_id in binance.markets_by_id
        got, since = set(), 0
        while True:
            if listed:
                page = binance.fetch_my_trades(binance.markets_by_id[market_id][0]["symbol"], None, 1000, {"fromId": since})
            else:
                # a pair exchangeInfo no longer lists (delisted, docs/venues.md §1.6): ccxt has no market for it,
                # its raw endpoint still answers
                page = binance.private_get_mytrades({"symbol": market_id, "fromId": since, "limit": 1000})
            got |= {str(t["id"]) for t in page}
            if len(page) < 1000:
                break
            since = int(page[-1]["id"]) + 1
        name = binance.markets_by_id[market_id][0]["symbol"] if listed else f"{market_id} (delisted, raw endpoint)"
        check(f"binance myTrades {name}", got, ids)
    deposits = binance.fetch_deposits()
    want = {e["id"].rsplit(":", 1)[1] for e in ledger if e["id"].startswith("binance/main/spot:deposit:")}
    check("binance deposits (last 90 days)", {d["id"] for d in deposits}, want)
    positions = binance.fetch_positions()
    check("binance positions are parsed", all(p["contracts"] is not None for p in positions), True)
    # the Ed25519 key (PKCS#8 PEM secret): CCXT signs with base64 Ed25519
    ed = next(x for x in manifest["keys"] if x["venue"] == "binance" and x.get("key_type") == "ED25519")
    binance_ed = ccxt.binance({"apiKey": ed["api_key"], "secret": ed["secret"], "enableRateLimit": False, "timeout": TIMEOUT_MS})
    binance_ed.options["fetchMarkets"] = {"types": ["spot", "linear"]}
    point(binance_ed, {"https://api.binance.com": manifest["binance_spot"], "https://fapi.binance.com": manifest["binance_futures"]})
    bal = binance_ed.fetch_balance()
    label = ed["label"]
    check(f"binance spot balance with the Ed25519 key ({label})", dec_map(bal["total"]), dec_map(balances.get(f"binance/{label}/spot", {})))

    # ---- Bitget ----
    g = key(manifest, "bitget", "main")
    bitget = ccxt.bitget({"apiKey": g["api_key"], "secret": g["secret"], "password": g["passphrase"], "enableRateLimit": False, "timeout": TIMEOUT_MS})
    base = manifest["bitget"]
    for name, url in list(bitget.urls["api"].items()):
        if isinstance(url, str) and "{hostname}" in url:
            bitget.urls["api"][name] = base
    bitget.load_markets()
    bal = bitget.fetch_balance()
    check("bitget spot balance", dec_map({a: bal["total"][a] for a in bal["total"]}), dec_map(balances.get("bitget/main/spot", {})))
    truth_fills = {}
    for e in ledger:
        if e["id"].startswith("bitget/main/spot:trade:"):
            truth_fills.setdefault(e["symbol"], set()).add(e["id"].rsplit(":", 1)[1])
    for market_id, ids in sorted(truth_fills.items()):
        symbol = bitget.markets_by_id[market_id][0]["symbol"]
        got = {t["id"] for t in bitget.fetch_my_trades(symbol, None, None, {"paginate": True})}
        check(f"bitget fills {symbol}", got, ids)
    print(f"ccxt check: OK ({len(CHECKS)} checks, ccxt {ccxt.__version__})")


if __name__ == "__main__":
    main()
