#!/usr/bin/env bash
# The cost of the decision log (issue 16.6): shortlists over HTTP on an index of N synthetic CVs,
# with and without `decisions` in the configuration, side by side: the two servers are started
# in turn, ROUNDS times, alternating, each driven by wrk for DURATION after a 5 s warm-up.
#
#   benches/compare/decisions.sh [N_CVS] [DURATION] [ROUNDS]   defaults: 1000000 20s 3; CONNS=8
#
# Reuses benches/load.sh's CVs and index in $WORK (target/load). Prints one RESULT line per run
# and the decision log's size; nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
DURATION=${2:-20s}
ROUNDS=${3:-3}
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
KEY="load-$(date +%s)-$RANDOM"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
run() { # $1 = label, $2 = extra config line
  local dir="$WORK/decisions-bench"
  rm -rf "$dir"
  cat > "$WORK/serve-$1.toml" <<TOML
listen = "127.0.0.1:0"
index = "$(realpath "$INDEX")"
queue = 256
$2

[[keys]]
id = "load"
sha256 = "$HASH"
scopes = ["shortlists"]
TOML
  "$BIN" serve --config "$WORK/serve-$1.toml" > "$WORK/serve-$1.out" 2> "$WORK/serve-$1.err" &
  local pid=$! addr=""
  for _ in $(seq 1 600); do
    addr=$(head -1 "$WORK/serve-$1.out" 2>/dev/null | sed -n 's|^listening on ||p')
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "server did not start"; cat "$WORK/serve-$1.err"; kill $pid; exit 1; }
  BODIES="$WORK/shortlists.bodies" KEY="$KEY" wrk -t1 -c"$CONNS" -d5s -s benches/load/post.lua "$addr/v1/shortlists" > /dev/null
  printf '%-13s ' "$1"
  BODIES="$WORK/shortlists.bodies" KEY="$KEY" wrk -t1 -c"$CONNS" -d"$DURATION" -s benches/load/post.lua "$addr/v1/shortlists" | grep '^RESULT'
  if [ -f "$dir/decisions.jsonl" ]; then
    echo "              log: $(wc -l < "$dir/decisions.jsonl") records, $(du -h "$dir/decisions.jsonl" | cut -f1)"
    "$BIN" log verify --decisions "$dir" | sed 's/^/              /'
  fi
  kill $pid; wait $pid 2>/dev/null || true
}
echo "== $(date -u +%FT%TZ) N=$N duration=$DURATION rounds=$ROUNDS conns=$CONNS $(nproc) cores"
for r in $(seq 1 "$ROUNDS"); do
  run "no-log" ""
  run "decision-log" "decisions = \"$(realpath -m "$WORK/decisions-bench")\""
done
