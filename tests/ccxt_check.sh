#!/usr/bin/env bash
# Runs tests/ccxt_check.py (CCXT, a client this project did not write) against a fresh sandbox and fails if CCXT
# cannot read the simulated venues, disagrees with the ground truth, or caused any write (breach).
# Usage: tests/ccxt_check.sh            (creates target/ccxt-venv from tests/requirements-ccxt.txt when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
VENV=${CCXT_VENV:-$TARGET/ccxt-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tests/requirements-ccxt.txt
fi
cargo build -q -p meetcrypt-tests --bin sandbox
DIR=$(mktemp -d)
"$TARGET/debug/sandbox" --seed 7 --size small --dir "$DIR" >"$DIR/sandbox.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 300); do [ -f "$DIR/sandbox.json" ] && break; sleep 0.1; done
[ -f "$DIR/sandbox.json" ] || { echo "sandbox did not start:"; cat "$DIR/sandbox.log"; exit 1; }
"$VENV/bin/python" tests/ccxt_check.py "$DIR"
if [ -s "$DIR/breaches.jsonl" ]; then echo "FAIL: write requests reached the venues:"; cat "$DIR/breaches.jsonl"; exit 1; fi
echo "ccxt check: no breaches"
