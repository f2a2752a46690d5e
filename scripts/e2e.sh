#!/usr/bin/env bash
# Runs the browser tests: starts the built `gatehouse` on a free port with a fresh data
# directory and an admin account, runs Playwright in Chromium against it, then stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${GATEHOUSE_BIN:?set GATEHOUSE_BIN to the built gatehouse binary}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d -t gatehouse-e2e-XXXXXX)
admin_email=admin@e2e.test
admin_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
creator_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
publisher_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')

export GATEHOUSE_DATA_DIR="$data" GATEHOUSE_ADDR="127.0.0.1:$port" GATEHOUSE_SITE_ROOT=target/site
# Releases are pushed to a bare repository standing in for the Git host Argo CD syncs from.
git init --bare --quiet "$data/remote.git"
export GATEHOUSE_GITOPS_REMOTE="$data/remote.git"
# The specs' webhook receivers run on this machine, where a consumer's application webhook may
# go only when the server allows private networks.
export GATEHOUSE_CALLBACKS_TO_PRIVATE_NETWORKS=true
unset DATABASE_URL

# `--password=…`: a generated password may start with `-`, which would otherwise read as an option.
"$bin" user create --email "$admin_email" --role admin --password="$admin_password" >/dev/null
"$bin" user create --email creator@e2e.test --role creator --password="$creator_password" >/dev/null
"$bin" user create --email publisher@e2e.test --role publisher --password="$publisher_password" >/dev/null
# Personal access tokens let specs set up through the REST API what they do not test in the UI.
creator_token=$("$bin" token create --email creator@e2e.test --name e2e 2>/dev/null)
publisher_token=$("$bin" token create --email publisher@e2e.test --name e2e 2>/dev/null)
# A creator who leaves: an admin disables the account and hands its APIs over.
"$bin" user create --email leaver@e2e.test --role creator >/dev/null
leaver_token=$("$bin" token create --email leaver@e2e.test --name e2e 2>/dev/null)
"$bin" serve >"$data/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "${status:-1}" -ne 0 ]; then
    echo "--- server log ---"
    tail -n 50 "$data/server.log" || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "gatehouse exited during start"; exit 1; fi
  sleep 0.5
done

status=0
(cd end2end && GATEHOUSE_DATA_DIR="$data" GATEHOUSE_E2E_URL="http://127.0.0.1:$port" E2E_ADMIN_EMAIL="$admin_email" \
  E2E_ADMIN_PASSWORD="$admin_password" E2E_CREATOR_PASSWORD="$creator_password" \
  E2E_PUBLISHER_PASSWORD="$publisher_password" E2E_CREATOR_TOKEN="$creator_token" E2E_PUBLISHER_TOKEN="$publisher_token" E2E_LEAVER_TOKEN="$leaver_token" \
  npx playwright test "$@") || status=$?
exit $status
