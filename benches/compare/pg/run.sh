#!/usr/bin/env bash
# The shortlist on PostgreSQL full-text search vs incrocio, from nothing (issue 3):
#   benches/compare/pg/run.sh [N_CVS]          default 100000; 1000000 takes ~10 min to load
# Installs pgserver + psycopg2 (PyPI) in benches/compare/.venv, builds the release binary,
# synthesises N CVs (seed 42) and 300 vacancies with their true occupation (seed 7), builds the
# index, exports it (`incrocio index export`), runs benches/compare/pg/run.py and
# `incrocio eval matching` on the same data, and prints both. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../../.."
N=${1:-100000}
W=${WORK:-target/load}
VENV=benches/compare/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q pgserver==0.1.4 psycopg2-binary==2.9.13
cargo build --release --locked
B=target/release/incrocio
mkdir -p "$W"
[ -f "$W/cvs-$N.jsonl" ] || "$B" synth cvs --n "$N" --seed 42 --output "$W/cvs-$N.jsonl"
[ -f "$W/index-$N/FORMAT" ] || { rm -rf "$W/index-$N"; "$B" index build --input "$W/cvs-$N.jsonl" --index "$W/index-$N" --as-of 2026-11-23; }
"$B" synth vacancies --n 300 --seed 7 --with-truth --output "$W/vacancies-truth.jsonl"
"$B" index export --index "$W/index-$N" --cvs "$W/cvs-$N.jsonl" --vacancies "$W/vacancies-truth.jsonl" --output-dir "$W/export-$N"
echo "== PostgreSQL (pgserver), $N CVs"
"$VENV/bin/python" benches/compare/pg/run.py "$W/export-$N" --reload
echo "== incrocio, $N CVs"
"$B" eval matching --index "$W/index-$N" --cvs "$W/cvs-$N.jsonl" --vacancies "$W/vacancies-truth.jsonl"
