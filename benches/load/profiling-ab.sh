#!/usr/bin/env bash
# Side by side: POST /v1/profiling (one record) against two builds of the service, alternated,
# at 2 and 8 connections (wrk, Debian package, on the same cores), no index.
#
#   benches/load/profiling-ab.sh BIN_A BIN_B [ROUNDS]     default 3 rounds; DURATION=10s
#
# Each round starts BIN_A's server, warms it 3 s, measures, stops it, then BIN_B's; one RESULT
# line per binary, round and connection count. Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
A=$1
B=$2
ROUNDS=${3:-3}
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
KEY="ab-$(date +%s)-$RANDOM"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
cat > "$WORK/serve.toml" <<TOML
listen = "127.0.0.1:0"
queue = 256

[[keys]]
id = "ab"
sha256 = "$HASH"
scopes = ["profiling"]
TOML
cat > "$WORK/profiling.bodies" <<'JSON'
{"as_of":"2026-11-23","records":[{"Id":"P1","DataNascita":"1990-06-15","Genere":"F","Cittadinanza":"000","TitoloDiStudio":"40000000","ProvinciaDiResidenza":"NA","CondizioneOccupazionaleUnAnnoPrima":"disoccupato","DataDID":"2026-01-10"}]}
JSON
run() {
  local bin=$1 label=$2
  "$bin" serve --config "$WORK/serve.toml" > "$WORK/out" 2> "$WORK/err" &
  local pid=$! addr=""
  for _ in $(seq 1 300); do
    addr=$(head -1 "$WORK/out" 2>/dev/null | sed -n 's|^listening on ||p')
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "$label did not start"; cat "$WORK/err"; kill "$pid"; exit 1; }
  for c in 2 8; do
    BODIES="$WORK/profiling.bodies" KEY="$KEY" wrk -t1 -c"$c" -d3s -s benches/load/post.lua "$addr/v1/profiling" > /dev/null
    echo "$label conns=$c $(BODIES="$WORK/profiling.bodies" KEY="$KEY" wrk -t1 -c"$c" -d"$DURATION" -s benches/load/post.lua "$addr/v1/profiling" | grep '^RESULT')"
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
for r in $(seq 1 "$ROUNDS"); do
  run "$A" "A:round$r"
  run "$B" "B:round$r"
done
