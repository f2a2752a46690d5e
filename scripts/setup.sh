#!/usr/bin/env bash
# Installs every tool Gatehouse needs to build and test, each only when it is missing or at the
# wrong version, so a fresh machine gets everything and a warm one skips straight through.
#   scripts/setup.sh run    tools for `make run` (release build: adds wasm-opt)
#   scripts/setup.sh test   tools for `make test` (adds Chromium and the Playwright package)
#   scripts/setup.sh bench  tools for `make bench` (wrk and nginx for the gateway benchmark, DuckDB for analytics)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-test}

# One set-up at a time: `make run` and `make test` started together on a fresh machine would
# otherwise both install cargo-leptos (or run apt) at once and trip over each other. The
# second waits, then finds everything in place.
lock_dir=${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse
mkdir -p "$lock_dir"
if command -v flock >/dev/null; then
  exec 9>"$lock_dir/setup.lock"
  flock 9
fi

cargo_leptos_version=0.3.9
# wasm-bindgen-cli must match the wasm-bindgen library in Cargo.lock exactly.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

apt_updated=0
apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if [ "$apt_updated" -eq 0 ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# The web app's build tools; the benchmarks build with cargo alone.
if [ "$mode" != bench ]; then
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  # make lint's checkers; rustup's default profile has them, a minimal one does not.
  for component in clippy rustfmt; do
    if ! rustup component list --installed | grep -q "^${component}-"; then
      say "adding the ${component} component"
      rustup component add "${component}"
    fi
  done

  if ! cargo leptos --version 2>/dev/null | grep -q " ${cargo_leptos_version}\$"; then
    say "installing cargo-leptos ${cargo_leptos_version} (about 12 minutes, once)"
    cargo install cargo-leptos --version "${cargo_leptos_version}" --locked --features no_downloads
  fi

  if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wasm_bindgen_version}\$"; then
    say "installing wasm-bindgen-cli ${wasm_bindgen_version} (about 2 minutes, once)"
    cargo install wasm-bindgen-cli --version "${wasm_bindgen_version}" --force
  fi
fi

if ! command -v git >/dev/null; then
  say "installing git (deployments commit to a GitOps repository)"
  apt_install git
fi

# wasm-opt for the release wasm, from npm's binaryen package: Debian's (108) rewrote the
# module's externref table so that the browser refused it and no page hydrated. The Makefile
# puts this one first on PATH for the release build.
binaryen_version=132.0.0
binaryen_dir=${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/tools/binaryen
if [ "$mode" = run ] && ! "$binaryen_dir/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${binaryen_version%%.*} "; then
  say "installing binaryen ${binaryen_version} (wasm-opt, for the release wasm)"
  mkdir -p "$binaryen_dir"
  # A package.json of its own keeps npm from installing into a parent directory's project.
  [ -f "$binaryen_dir/package.json" ] || echo '{ "private": true }' > "$binaryen_dir/package.json"
  (cd "$binaryen_dir" && npm install --no-audit --no-fund --no-save "binaryen@${binaryen_version}")
fi

if [ "$mode" = bench ]; then
  if ! command -v wrk >/dev/null || ! { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }; then
    say "installing wrk and nginx (the gateway benchmark's load generator and baseline)"
    apt_install wrk nginx
  fi
  if ! python3 -c "import duckdb" 2>/dev/null; then
    say "installing DuckDB (the analytics benchmark's baseline)"
    python3 -m pip install --quiet --disable-pip-version-check "duckdb==2.0.1"
  fi
fi

if [ "$mode" = test ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Chromium for the browser tests"
    apt_install chromium
  fi
  if ! command -v redis-server >/dev/null; then
    say "installing redis-server (the gateways' shared tier counts are tested against a real Redis)"
    apt_install redis-server
  fi
  if ! kubernetes-validate --version 2>/dev/null | grep -q "1.33"; then
    say "installing kubernetes-validate (offline Kubernetes schema validation of rendered manifests)"
    python3 -m pip install --quiet --disable-pip-version-check "kubernetes-validate==1.33.1"
  fi
  if ! python3 -c "import jwt, cryptography" 2>/dev/null; then
    say "installing PyJWT (a third-party verifier for the tokens the key manager issues)"
    python3 -m pip install --quiet --disable-pip-version-check "pyjwt[crypto]==2.10.1"
  fi
  stamp=end2end/node_modules/.installed-from-lock
  if [ ! -f "$stamp" ] || ! cmp -s end2end/package-lock.json "$stamp"; then
    say "installing the end2end npm packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    cp end2end/package-lock.json "$stamp"
  fi
fi
say "tools ready"
