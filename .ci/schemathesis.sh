#!/usr/bin/env bash
# Schemathesis against a real `incrocio serve` on 127.0.0.1 (issue 11.8): requests generated
# from docs/openapi.json, checked for 5xx answers, undocumented statuses and content types,
# answers that break their schema, and schema-invalid requests that are accepted.
#
# Bounded: a 200-CV index, one worker, a time budget (SCHEMATHESIS_SECONDS, default 120 s).
# Usage: .ci/schemathesis.sh [path/to/incrocio]   (default: target/debug/incrocio)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/debug/incrocio}"
SECONDS_BUDGET="${SCHEMATHESIS_SECONDS:-120}"
VENV="target/ci-venv"
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
fi
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" synth cvs --n 200 --output "$WORK/cvs.jsonl" >/dev/null 2>&1
"$BIN" index build --input "$WORK/cvs.jsonl" --index "$WORK/idx" --as-of 2026-11-23 >/dev/null 2>&1
KEY="ci-schemathesis-key-loopback-only"
HASH="$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)"
cat >"$WORK/serve.toml" <<EOF
listen = "127.0.0.1:0"
index = "idx"
decisions = "decisions"
workers = 2
queue = 16
request_timeout_ms = 10000
body_limit_bytes = 8388608

[[keys]]
id = "schemathesis"
sha256 = "$HASH"
scopes = ["profiling", "shortlists", "candidates:write", "graduatorie", "overrides", "audit"]
EOF
"$BIN" serve --config "$WORK/serve.toml" >"$WORK/out.txt" 2>"$WORK/log.txt" &
SERVER_PID=$!
# A debug build opens the index and the taxonomy in seconds, more on a loaded machine: up to
# a minute, unless the server has exited.
for _ in $(seq 1 600); do
    grep -q "listening on" "$WORK/out.txt" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
URL="$(sed -n 's/^listening on //p' "$WORK/out.txt" | head -1)"
if [ -z "$URL" ]; then
    echo "schemathesis: the server did not start" >&2
    cat "$WORK/log.txt" >&2
    exit 1
fi
echo "schemathesis: $URL, ${SECONDS_BUDGET} s budget"
# A schema-violating request may also be refused as 413 (body) or 414 (a request target past
# 8 KiB, e.g. an over-long query string): both are rejections, and documented.
cat >"$WORK/schemathesis.toml" <<'TOML'
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "5xx"]
TOML
"$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run docs/openapi.json \
    --url "$URL" \
    --header "Authorization: Bearer $KEY" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --phases examples,coverage,fuzzing \
    --workers 1 \
    --max-time "$SECONDS_BUDGET" \
    --request-timeout 20 \
    --suppress-health-check all \
    --seed 11
