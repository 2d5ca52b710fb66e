#!/usr/bin/env bash
# Load test of the HTTP service on loopback (issue 5): profiling and shortlists over an index of
# N synthetic CVs (seed 42), driven by wrk (Debian package) for a bounded time.
#
#   benches/load.sh [N_CVS] [DURATION]      defaults: 1000000 30s; CONNS=8 WORK=target/load
#
# Builds the release binary, synthesises the CVs and 300 vacancies (seed 7), builds the index
# once (kept in $WORK), starts `incrocio serve` on 127.0.0.1 with a throwaway key, runs wrk for
# each route, prints one RESULT line per route and the server's peak RSS, and appends them to
# $WORK/results.txt. Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DURATION=${2:-30s}
CONNS=${CONNS:-8}
WORK=${WORK:-target/load}
BIN=target/release/incrocio
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked
mkdir -p "$WORK"
CVS="$WORK/cvs-$N.jsonl"
INDEX="$WORK/index-$N"
[ -f "$CVS" ] || "$BIN" synth cvs --n "$N" --seed 42 --output "$CVS"
[ -f "$INDEX/FORMAT" ] || { rm -rf "$INDEX"; "$BIN" index build --input "$CVS" --index "$INDEX" --as-of 2026-11-23; }
"$BIN" synth vacancies --n 300 --seed 7 --output "$WORK/vacancies.jsonl"
sed 's/^/{"vacancy":/; s/$/}/' "$WORK/vacancies.jsonl" > "$WORK/shortlists.bodies"
cat > "$WORK/profiling.bodies" <<'JSON'
{"as_of":"2026-11-23","records":[{"Id":"P1","DataNascita":"1990-06-15","Genere":"F","Cittadinanza":"000","TitoloDiStudio":"40000000","ProvinciaDiResidenza":"NA","CondizioneOccupazionaleUnAnnoPrima":"disoccupato","DataDID":"2026-01-10"}]}
{"as_of":"2026-11-23","records":[{"Id":"P2","DataNascita":"1996-05-10","Genere":"M","Cittadinanza":"436","TitoloDiStudio":"70000000","ProvinciaDiResidenza":"MI","CondizioneOccupazionaleUnAnnoPrima":"studente","DataDID":"2026-09-20"}]}
JSON
KEY="load-$(date +%s)-$RANDOM"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
cat > "$WORK/serve.toml" <<TOML
listen = "127.0.0.1:0"
index = "$(realpath "$INDEX")"
queue = 256

[[keys]]
id = "load"
sha256 = "$HASH"
scopes = ["profiling", "shortlists"]
TOML
"$BIN" serve --config "$WORK/serve.toml" > "$WORK/serve.out" 2> "$WORK/serve.err" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  ADDR=$(head -1 "$WORK/serve.out" 2>/dev/null | sed -n 's|^listening on ||p')
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "$ADDR" ] || { echo "server did not start"; cat "$WORK/serve.err"; exit 1; }
echo "server $ADDR (pid $PID), index of $N CVs, RSS after open: $(grep VmRSS /proc/$PID/status | awk '{print $2/1024 " MB"}')"
{
  echo "== $(date -u +%FT%TZ) N=$N duration=$DURATION conns=$CONNS $(nproc) cores"
  for route in profiling shortlists; do
    # Warm-up, then the measured run.
    BODIES="$WORK/$route.bodies" KEY="$KEY" wrk -t1 -c"$CONNS" -d5s -s benches/load/post.lua "$ADDR/v1/$route" > /dev/null
    printf '%s ' "$route"
    BODIES="$WORK/$route.bodies" KEY="$KEY" wrk -t1 -c"$CONNS" -d"$DURATION" -s benches/load/post.lua "$ADDR/v1/$route" | grep '^RESULT'
  done
  echo "server peak RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}')"
} | tee -a "$WORK/results.txt"
