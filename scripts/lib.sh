# Shared by scripts/run, scripts/test and scripts/build-app. Each ensure_* step is idempotent: it installs what is
# missing, from the package registries only, and says clearly what to do when it cannot.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
# The demo's relay operator key (public: it is in the repository): scripts/run's demo relay and the browser tests
# sign the egress IPs with the file, and build the app with the public key (docs/relay.md, "The signed IP list").
DEMO_RELAY_IPS_KEY_FILE=$ROOT/scripts/demo-relay-ips.key
DEMO_RELAY_IPS_KEY=86ab0323f2afe87bfb4347bc0951d0a6499b3c7371884c186dbc4dada133c3c2

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# stage NAME CMD...: runs CMD and prints how long it took (CI reads these lines).
STAGE_LOG=()
stage() {
    local name=$1; shift
    local t0=$SECONDS
    say "$name"
    "$@"
    local dt=$((SECONDS - t0))
    STAGE_LOG+=("$(printf '%-34s %4dm%02ds' "$name" $((dt / 60)) $((dt % 60)))")
    printf 'stage %-34s took %dm%02ds\n' "$name" $((dt / 60)) $((dt % 60)) >&2
}
stage_summary() {
    printf '\nStage timings:\n' >&2
    printf '  %s\n' "${STAGE_LOG[@]}" >&2
}

need_root_for() {
    if [ "$(id -u)" != 0 ]; then
        die "$1 is missing and installing it needs root: run 'sudo apt-get install -y $1' once, then rerun"
    fi
}

apt_updated=
apt_install() {
    need_root_for "$*"
    if [ -z "$apt_updated" ]; then
        apt-get update -qq || die "apt-get update failed: Debian's package mirror is unreachable"
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

ensure_rust() {
    command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs) and rerun"
    # rust-toolchain.toml pins the version and the wasm32 target; this makes rustup fetch them if missing.
    rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
ensure_wasm_bindgen() {
    local want have
    want=$(wasm_bindgen_version)
    [ -n "$want" ] || die "wasm-bindgen is not in Cargo.lock"
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
    if [ "$have" != "$want" ]; then
        say "installing wasm-bindgen-cli $want (have: ${have:-none}); takes about 2 minutes"
        # Not --locked: its own lock file wants a crate version the registry no longer has (docs/building.md).
        cargo install -q wasm-bindgen-cli --version "$want" || die "could not install wasm-bindgen-cli $want"
    fi
}

# The npm packages of package.json, at the exact versions of package-lock.json: binaryen 132 for wasm-opt (Debian's
# wasm-opt 108 produces a bundle that loads to a blank page) and axe-core, which the browser tests inject into the
# page. `npm ci` runs again whenever package-lock.json changes (its hash is kept in node_modules).
ensure_npm_packages() {
    local lock_hash
    lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -f node_modules/axe-core/axe.min.js ] \
        || [ "$(cat node_modules/.meetcrypt-lock 2>/dev/null)" != "$lock_hash" ]; then
        command -v npm >/dev/null || apt_install nodejs npm
        npm ci --no-audit --no-fund --silent || die "npm ci failed (binaryen for wasm-opt, axe-core for the tests)"
        echo "$lock_hash" > node_modules/.meetcrypt-lock
    fi
}

ensure_chromium() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        say "installing Debian's chromium and chromium-driver"
        apt_install chromium chromium-driver
    fi
}

# systemd-analyze checks the relay's systemd unit (relay/tests/deploy.rs).
ensure_systemd_analyze() {
    if ! command -v systemd-analyze >/dev/null; then
        say "installing Debian's systemd (for systemd-analyze verify)"
        apt_install systemd
    fi
}

# HAProxy in front of three relays: the load-balanced sync test (crates/sync/tests/load_balanced.rs).
ensure_haproxy() {
    if ! command -v haproxy >/dev/null; then
        say "installing Debian's haproxy (for the load-balanced sync test)"
        apt_install haproxy
    fi
}

# cargo-fuzz runs on the nightly toolchain (libFuzzer needs -Z sanitizer flags).
ensure_cargo_fuzz() {
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal \
        || die "the nightly toolchain is missing and could not be installed (cargo-fuzz needs it)"
    command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --locked || die "could not install cargo-fuzz"
}

# wasm-split-cli (the splitter behind Leptos' #[lazy]): its version must speak the protocol of the
# wasm_split_helpers crate in Cargo.lock (0.2.x).
WASM_SPLIT_VERSION=0.2.4
ensure_wasm_split() {
    if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
        say "installing wasm-split-cli $WASM_SPLIT_VERSION; takes about a minute"
        cargo install -q --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary \
            || die "could not install wasm-split-cli $WASM_SPLIT_VERSION"
    fi
}

ensure_tools() {
    ensure_rust
    ensure_wasm_bindgen
    ensure_npm_packages
    ensure_wasm_split
}

# port_free ADDR: fails with a clear message when something already listens there.
port_free() {
    local host=${1%:*} port=${1##*:}
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
        die "$1 is already in use: stop what listens there (ss -ltnp 'sport = :$port') or pass --listen ADDR"
    fi
}
