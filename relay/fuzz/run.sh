#!/usr/bin/env bash
# Fuzz the relay's request parsing for a bounded time: SECONDS (default 60) times two in all, shared by the three
# targets: `decide`, the request-to-decision function; `head`, the hot path's HTTP/1.1 parsing of request and
# response heads and chunked bodies; `differential`, the same bytes through the hot path and through hyper, which
# must agree (decision, bytes upstream, answer).
#   relay/fuzz/run.sh [SECONDS]
# Plain text only: over HTTPS the same code reads the same bytes after rustls decrypts them (docs/relay.md, Fuzzing,
# and tests/attacks.rs's every_attack_gets_the_same_answer_over_https_as_in_plain_text).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
targets=(decide head differential)
# The total stays what it was with two targets: 2 x SECONDS.
each=$(( 2 * secs / ${#targets[@]} )); [ "$each" -ge 1 ] || each=1
for target in "${targets[@]}"; do
  corpus="corpus/$target"
  if [ "$target" = differential ]; then
    # Each of its runs takes milliseconds (two relays, real sockets), and libFuzzer replays the whole corpus before
    # the time limit counts: a corpus kept from earlier runs would stretch the bounded time. A fresh one each time.
    corpus="$(mktemp -d "${TMPDIR:-/tmp}/relay-fuzz-differential.XXXXXX")"
    trap 'rm -rf "$corpus"' EXIT
  fi
  mkdir -p "$corpus"
  cargo +nightly fuzz run "$target" "$corpus" "seeds/$target" -- -max_total_time="$each" -max_len=4096
done
