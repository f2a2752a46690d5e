# The two commands of the README. Each does every set-up step itself (scripts/setup.sh installs
# only what is missing), so they work on a fresh machine and are quick on a warm one.

# Build output lives outside the clone so repeat CI runs (fresh clones) reuse it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/gatehouse/target
GATEHOUSE_ADDR ?= 127.0.0.1:3000
export GATEHOUSE_ADDR

.PHONY: run test lint setup-run setup-test setup-bench build build-release gateway-release unit e2e bench bench-build bench-gateway bench-analytics checkout

## make run: set up, build the release, serve on http://$GATEHOUSE_ADDR with demo data.
run: setup-run build-release
	$(CARGO_TARGET_DIR)/release/gatehouse serve --demo --site-root target/site

## make test: set up, then unit + integration (SQLite and PostgreSQL), clippy, browser tests.
test: setup-test unit lint build e2e

# Clones in other places share CARGO_TARGET_DIR, and cargo names a workspace crate's build by
# its path inside the workspace, not by the checkout: another checkout's build of, say, the
# contract crate is taken as this one's when it is newer than this one's sources, so an edit
# made here before that build would be left out (and server-function URLs, derived from the
# source path, would not match: "error deserializing server function results"). So every
# workspace crate is rebuilt when the last build came from elsewhere.
checkout:
	@mkdir -p $(CARGO_TARGET_DIR)
	@if [ "$$(cat $(CARGO_TARGET_DIR)/.checkout 2>/dev/null)" != "$(CURDIR)" ]; then \
	  touch */src/lib.rs */src/main.rs; echo "$(CURDIR)" > $(CARGO_TARGET_DIR)/.checkout; fi

setup-run:
	scripts/setup.sh run

setup-test:
	scripts/setup.sh test

# cargo-leptos builds the server and the wasm; the gateway binary is built beside it, where
# `gatehouse serve` finds it to run the local gateways.
# wasm-opt comes from scripts/setup.sh's binaryen (see there why not Debian's).
build-release: gateway-release
	PATH="$${XDG_CACHE_HOME:-$$HOME/.cache}/gatehouse/tools/binaryen/node_modules/.bin:$$PATH" cargo leptos build --release --precompress

# The gateway whole-program optimised (Cargo.toml's profile.gateway), put beside the release
# server; --remove-destination lets it replace a binary that is running.
gateway-release: checkout
	cargo build --profile gateway --locked -p gatehouse-gateway
	mkdir -p $(CARGO_TARGET_DIR)/release
	cp --remove-destination $(CARGO_TARGET_DIR)/gateway/gatehouse-gateway $(CARGO_TARGET_DIR)/release/gatehouse-gateway

build: checkout
	cargo leptos build
	cargo build --locked -p gatehouse-gateway

# The gateway test runs the gateway binary, which `cargo test` alone does not build.
# Tests run side by side, each on a database of its own (see server/src/http/mod.rs,
# app_routes, for why that once hung a page test).
# The bench feature builds the benchmark binary too, so its own tests (reading wrk's output,
# counting CPU from /proc) run here rather than only when someone benchmarks.
unit: checkout
	cargo build --locked -p gatehouse-gateway
	cargo test --workspace --locked --features gatehouse-server/bench

## make lint: formatting (rustfmt.toml), then clippy over the server build and the browser's,
## warnings refused.
lint: checkout
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked --features gatehouse-server/bench -- -D warnings
	cargo clippy --locked -p app --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

e2e: build
	GATEHOUSE_BIN=$(CARGO_TARGET_DIR)/debug/gatehouse scripts/e2e.sh

setup-bench:
	scripts/setup.sh bench

BENCH = $(CARGO_TARGET_DIR)/release/gatehouse-bench

# The benchmark binary runs `gatehouse` and `gatehouse-gateway` from beside itself.
bench-build: setup-bench gateway-release
	cargo build --release --locked -p gatehouse-server --features bench --bin gatehouse-bench --bin gatehouse

## make bench: every speed figure (release build), each beside its baseline.
bench: bench-build
	$(BENCH) publisher --apis 10000
	$(BENCH) portal --apis 10000
	$(BENCH) gateway
	$(BENCH) analytics

## make bench-analytics: 10 million events: ingest, the overview by polars and by DuckDB.
bench-analytics: bench-build
	$(BENCH) analytics

## make bench-gateway: wrk against the backend, nginx and the gateway; startup and RSS.
bench-gateway: bench-build
	$(BENCH) gateway
