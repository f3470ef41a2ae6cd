#!/usr/bin/env bash
# Fuzzes the agent API from its OpenAPI document with schemathesis (PyPI), bounded in time.
# Starts a throw-away instance and `ams server run --insecure-loopback` on 127.0.0.1, runs every
# check schemathesis has against docs/agent-api.openapi.json, and fails on any 5xx answer, any
# answer that does not match the document, or a server that is no longer healthy afterwards.
# Usage: scripts/fuzz-agent-api.sh [path/to/ams]   (default target/debug/ams)
set -euo pipefail
cd "$(dirname "$0")/.."
AMS="${1:-target/debug/ams}"
SECONDS_BUDGET="${AMS_FUZZ_SECONDS:-90}"
venv="${AMS_FUZZ_VENV:-${TMPDIR:-/tmp}/ams-schemathesis-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.*"
fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export AMS_DATA_DIR="$work/data"
"$AMS" init --generate-recovery-password >/dev/null
"$AMS" cert new --key-size 3072 >/dev/null
"$AMS" device-registration-key new --name fuzz >/dev/null
"$AMS" host-config set --agent-access-enabled true >/dev/null
"$AMS" server run --insecure-loopback --listen 127.0.0.1:0 --address-file "$work/addr" \
  --register-rate-per-minute 0 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$work/addr" ] && break; sleep 0.05; done
base="http://$(cat "$work/addr")"
echo "fuzzing $base for at most ${SECONDS_BUDGET}s"
set +e
# Every check runs except positive_data_acceptance: a device public key, a token and an envelope are
# cryptographic values that JSON Schema cannot describe (a random x/y pair is not a P-256 point), so a
# schema-valid request is rightly refused with 400/401. Uploads check the token before the envelope.
# Run from the scratch directory: schemathesis keeps a cache (.schemathesis/) in its working directory.
spec="$PWD/docs/agent-api.openapi.json"
(cd "$work" && timeout "$((SECONDS_BUDGET + 30))" "$venv/bin/schemathesis" run "$spec" \
  --url "$base" --checks all --exclude-checks positive_data_acceptance --max-examples 40 --max-time "$SECONDS_BUDGET" \
  --suppress-health-check all --no-color >"$work/st.out" 2>&1)
rc=$?
set -e
if [ "$rc" -ne 0 ]; then cat "$work/st.out"; else tail -40 "$work/st.out"; fi
if ! grep -q '"Status": *"ok"\|"Status":"ok"' <(curl -s "$base/health" 2>/dev/null || python3 -c "import urllib.request;print(urllib.request.urlopen('$base/health').read().decode())"); then
  echo "fuzz: the server is not healthy after the run"; tail -20 "$work/server.log"; exit 1
fi
if grep -qi "panicked" "$work/server.log"; then echo "fuzz: the server panicked"; exit 1; fi
if [ "$rc" -ne 0 ]; then echo "fuzz: schemathesis found failures (exit $rc)"; exit "$rc"; fi
echo "fuzz: no failures"
