#!/usr/bin/env bash
# Runs ccxt/check.py (CCXT, a client this project did not write) against a fresh sandbox and fails if CCXT
# cannot read the simulated venues, disagrees with the ground truth, or caused any write (breach).
# Usage: crates/simvenues/ccxt/check.sh   (creates target/ccxt-venv from ccxt/requirements.txt when missing)
set -euo pipefail
cd "$(dirname "$0")/../../.."
HERE=crates/simvenues/ccxt
TARGET=${CARGO_TARGET_DIR:-target}
VENV=${CCXT_VENV:-$TARGET/ccxt-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
fi
cargo build -q -p simvenues --bin sandbox
DIR=$(mktemp -d)
"$TARGET/debug/sandbox" --seed 7 --size small --dir "$DIR" >"$DIR/sandbox.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
# Ready when it says so (its files written, its ports listening), not when sandbox.json merely exists; a bound only
# a hang reaches (generating the accounts takes seconds).
ready=
for _ in $(seq 6000); do
  if grep -q '^sandbox ready: ' "$DIR/sandbox.log"; then ready=1; break; fi
  kill -0 $PID 2>/dev/null || break
  sleep 0.1
done
[ -n "$ready" ] || { echo "sandbox did not start:"; cat "$DIR/sandbox.log"; exit 1; }
"$VENV/bin/python" "$HERE/check.py" "$DIR"
if [ -s "$DIR/breaches.jsonl" ]; then echo "FAIL: write requests reached the venues:"; cat "$DIR/breaches.jsonl"; exit 1; fi
echo "ccxt check: no breaches"
