#!/usr/bin/env bash
# Fuzz the relay's request-to-decision function for a bounded time (default 60 s).
#   relay/fuzz/run.sh [SECONDS]
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
mkdir -p corpus/decide
exec cargo +nightly fuzz run decide corpus/decide seeds/decide -- -max_total_time="$secs" -max_len=4096
