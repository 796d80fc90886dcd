#!/usr/bin/env bash
# Benchmark: the relay against nginx proxy_pass with an equivalent allow-list, in front of the same upstream (a
# static nginx responder), all on loopback, in one run.
#   relay/bench/run.sh [DURATION=10s] [CONNECTIONS=64]
# Prints requests/s, p50 and p99 for: the upstream directly, nginx, the relay; the relay/nginx ratio; and the added
# latency of each proxy with a single connection (no queueing). Three passes: plain HTTP with per-request logs on,
# then off, then HTTPS (logs off): both proxies terminate TLS with the same certificate (the test-only one in
# relay/tests/data/https) and wrk speaks HTTPS to them over keep-alive connections (one handshake per connection).
# PROFILE=dev uses a debug build instead of the `relay` profile (a quick check of the script, not a figure).
# Fairness: nginx's worker_processes and the relay's worker_threads are both WORKERS (default: the number of
# cores); both forward to the same upstream (one nginx worker returning a fixed JSON body) over keep-alive
# connections; wrk uses 2 threads. Set CARGO_TARGET_DIR if the workspace builds elsewhere.
set -euo pipefail
dur="${1:-10s}"
conns="${2:-64}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/relay-bench.XXXXXX)"
up_port="${UP_PORT:-18901}"; ng_port="${NG_PORT:-18902}"; rl_port="${RL_PORT:-18903}"
workers="${WORKERS:-$(nproc)}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/up/nginx.pid" ] && kill "$(cat "$work/up/nginx.pid")" 2>/dev/null || true
  [ -f "$work/ng/nginx.pid" ] && kill "$(cat "$work/ng/nginx.pid")" 2>/dev/null || true
  sleep 0.2
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
profile="${PROFILE:-relay}"
cargo build --profile "$profile" -q -p relay --bin relay --example nginx-allowlist
bin="$target/$profile"; [ "$profile" = dev ] && bin="$target/debug"
"$bin/examples/nginx-allowlist" > "$work/allowlist.conf"
cert="$root/relay/tests/data/https/a.pem"; key="$root/relay/tests/data/https/a.key"

common_http='client_body_temp_path TMP/body; proxy_temp_path TMP/proxy; fastcgi_temp_path TMP/fcgi; uwsgi_temp_path TMP/uwsgi; scgi_temp_path TMP/scgi;'
mkdir -p "$work/up" "$work/ng"
cat > "$work/up/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/up/nginx.pid;
error_log $work/up/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${common_http//TMP/$work/up}
  server {
    listen 127.0.0.1:$up_port backlog=4096;
    keepalive_requests 1000000;
    location / { default_type application/json; return 200 '{"serverTime":1700000000000}'; }
  }
}
CONF
nginx -p "$work/up" -c "$work/up/nginx.conf" -e "$work/up/error.log"

cpu_ticks() { # total user+system clock ticks of these pids
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}

run() { # name url threads conns duration [pids to account CPU to]
  local name="$1" url="$2" threads="$3" c="$4" d="$5" out rps p50 p99 n before after cpu=""
  shift 5
  before="$(cpu_ticks "$@")"
  out="$(wrk -t"$threads" -c"$c" -d"$d" --latency "$url")"
  after="$(cpu_ticks "$@")"
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  n="$(awk '/requests in/ {print $1}' <<<"$out")"
  if [ "$#" -gt 0 ] && [ "${n:-0}" -gt 0 ]; then
    cpu="$(awk -v t=$((after - before)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "cpu %.1f us/req", t * 1e6 / hz / n }')"
  fi
  local errs; errs="$(awk '/Non-2xx|Socket errors/' <<<"$out")"
  printf '%-8s %12s req/s   p50 %9s   p99 %9s   %s %s\n' "$name" "$rps" "$p50" "$p99" "$cpu" "$errs"
  echo "$rps" >> "$work/$name.rps"
}

median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bench_mode() { # logs: on | off; scheme: http (default) | https
  local scheme="${2:-http}" ng_tls="" ng_ssl="" relay_tls=""
  if [ "$scheme" = https ]; then
    ng_ssl=" ssl"; ng_tls="ssl_certificate $cert; ssl_certificate_key $key; ssl_protocols TLSv1.2 TLSv1.3;"
    relay_tls="tls_cert = \"$cert\"
tls_key = \"$key\""
  fi
  if [ "$1" = on ]; then
    ng_log="access_log $work/ng/access.log combined buffer=64k flush=1s;"; relay_log=info
  else
    ng_log="access_log off;"; relay_log=warn
  fi
  rm -f "$work/ng/access.log"
cat > "$work/ng/nginx.conf" <<CONF
worker_processes $workers;
daemon on;
pid $work/ng/nginx.pid;
error_log $work/ng/error.log warn;
events { worker_connections 4096; }
http {
  ${common_http//TMP/$work/ng}
  ${ng_log}
  upstream binance_spot { server 127.0.0.1:$up_port; keepalive 128; }
  upstream binance_futures { server 127.0.0.1:$up_port; keepalive 128; }
  upstream bitget { server 127.0.0.1:$up_port; keepalive 128; }
  proxy_http_version 1.1;
  proxy_pass_request_headers off;
  proxy_set_header Host \$proxy_host;
  proxy_set_header Connection "";
  proxy_set_header X-MBX-APIKEY \$http_x_mbx_apikey;
  proxy_set_header ACCESS-KEY \$http_access_key;
  proxy_set_header ACCESS-SIGN \$http_access_sign;
  proxy_set_header ACCESS-TIMESTAMP \$http_access_timestamp;
  proxy_set_header ACCESS-PASSPHRASE \$http_access_passphrase;
  proxy_hide_header Set-Cookie;
  server {
    listen 127.0.0.1:$ng_port$ng_ssl backlog=4096;
    $ng_tls
    keepalive_requests 1000000;
    include $work/allowlist.conf;
    location / { return 404; }
  }
}
CONF
  nginx -p "$work/ng" -c "$work/ng/nginx.conf" -e "$work/ng/error.log"
cat > "$work/relay.toml" <<CONF
listen = "127.0.0.1:$rl_port"
metrics_listen = "off"   # not measured; and a taken default port must not stop the benchmark
$relay_tls
[upstreams]
binance_spot = "http://127.0.0.1:$up_port"
binance_futures = "http://127.0.0.1:$up_port"
binance_coin_futures = "http://127.0.0.1:$up_port"
bitget = "http://127.0.0.1:$up_port"
[limits]
worker_threads = $workers
# The benchmark measures forwarding, not the weight budget: give it room (the budget is still checked per request).
binance_spot_weight_per_minute = 2000000000
CONF
RELAY_LOG="$relay_log" "$bin/relay" --config "$work/relay.toml" 2> "$work/relay.log" &
pids+=($!)

path="/api/v3/time?symbol=BTCUSDT&timestamp=1700000000000"
ng_url="$scheme://127.0.0.1:$ng_port/v1/binance$path"; rl_url="$scheme://127.0.0.1:$rl_port/v1/binance$path"
for url in "http://127.0.0.1:$up_port$path" "$ng_url" "$rl_url"; do
  # -k: the test-only certificate is for localhost, signed by the test CA
  for _ in $(seq 50); do curl -fsk "$url" > /dev/null 2>&1 && break; sleep 0.1; done
  body="$(curl -fsk "$url")" || { echo "not answering: $url"; exit 1; }
  [ "$body" = '{"serverTime":1700000000000}' ] || { echo "unexpected body from $url: $body"; exit 1; }
done
# Both proxies refuse a write.
for url in "$scheme://127.0.0.1:$ng_port/v1/binance/api/v3/order" "$scheme://127.0.0.1:$rl_port/v1/binance/api/v3/order"; do
  code="$(curl -sk -o /dev/null -w '%{http_code}' -X POST "$url")"
  [ "${code:0:1}" = 4 ] || { echo "write not refused by $url: $code"; exit 1; }
done

  echo
  echo "######## $scheme, per-request logs $1 (nginx access_log, relay RELAY_LOG=$relay_log); nginx worker_processes $workers, relay worker_threads $workers, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rounds="${ROUNDS:-3}"
ng_pids="$(pgrep -P "$(cat "$work/ng/nginx.pid")" | tr '\n' ' ')"
rl_pid="${pids[-1]}"
rm -f "$work"/*.rps
echo "== throughput: wrk -t2 -c$conns -d$dur --latency, $rounds alternating rounds (2 cores shared by wrk, upstream and proxy)"
run direct "http://127.0.0.1:$up_port$path" 2 "$conns" "$dur"
for _ in $(seq "$rounds"); do
  run nginx "$ng_url" 2 "$conns" "$dur" $ng_pids
  run relay "$rl_url" 2 "$conns" "$dur" "$rl_pid"
done
awk -v r="$(median "$work/relay.rps")" -v n="$(median "$work/nginx.rps")" \
  'BEGIN { printf "median req/s: relay %.0f, nginx %.0f, relay/nginx ratio %.2f\n", r, n, r / n }'
echo "== latency without queueing: wrk -t1 -c1 -d5s --latency"
run direct1 "http://127.0.0.1:$up_port$path" 1 1 5s
run nginx1 "$ng_url" 1 1 5s $ng_pids
run relay1 "$rl_url" 1 1 5s "$rl_pid"
echo "relay log lines: $(wc -l < "$work/relay.log"), nginx access log lines: $(cat "$work/ng/access.log" 2>/dev/null | wc -l)"
  kill "$(cat "$work/ng/nginx.pid")"; kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  sleep 0.5
}

bench_mode on
bench_mode off
bench_mode off https
