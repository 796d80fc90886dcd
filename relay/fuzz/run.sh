#!/usr/bin/env bash
# Fuzz the relay's request parsing for a bounded time (default 60 s per target): `decide`, the request-to-decision
# function, then `head`, the hot path's HTTP/1.1 parsing of request and response heads and chunked bodies.
#   relay/fuzz/run.sh [SECONDS]
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
for target in decide head; do
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$secs" -max_len=4096
done
