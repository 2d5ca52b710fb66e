#!/usr/bin/env bash
# The shortlist on PostgreSQL (full-text search, pg_trgm and SQL) vs incrocio, from nothing:
#   benches/compare/pg/run.sh [N_CVS]          default 100000; 1000000 takes ~15 min to load
# Installs Debian's PostgreSQL when missing and psycopg2 (PyPI) in benches/compare/.venv, builds
# the release binary, synthesises N CVs (seed 42) and 300 vacancies with their true occupation
# (seed 7), builds the index, exports it (`incrocio index export`: the model's own inputs),
# starts a PostgreSQL cluster in benches/compare/data/pg (kept between runs, one database per
# export; Unix socket only, stopped at the end), runs benches/compare/pg/run.py and then
# `incrocio eval matching` on the same data, and prints both.
set -euo pipefail
cd "$(dirname "$0")/../../.."
N=${1:-100000}
W=${WORK:-target/load}
sudo=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null; }
VENV=benches/compare/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q psycopg2-binary==2.9.13
cargo build --release --locked
B=target/release/incrocio
mkdir -p "$W"
[ -f "$W/cvs-$N.jsonl" ] || "$B" synth cvs --n "$N" --seed 42 --output "$W/cvs-$N.jsonl"
[ -f "$W/index-$N/FORMAT" ] || { rm -rf "$W/index-$N"; "$B" index build --input "$W/cvs-$N.jsonl" --index "$W/index-$N" --as-of 2026-11-23; }
"$B" synth vacancies --n 300 --seed 7 --with-truth --output "$W/vacancies-truth.jsonl"
"$B" index export --index "$W/index-$N" --cvs "$W/cvs-$N.jsonl" --vacancies "$W/vacancies-truth.jsonl" --output-dir "$W/export-$N"
# The cluster: initdb and the server refuse root, so they run as the package's `postgres` user.
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
PGDATA=$PWD/benches/compare/data/pg
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
  as_pg "$PGBIN/initdb -D '$PGDATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
# shared_buffers holds the 1M table and its indexes; everything else is the default.
as_pg "$PGBIN/pg_ctl -D '$PGDATA' -o \"-k '$PGDATA' -c listen_addresses='' -p 54331 -c shared_buffers=3GB\" -l '$PGDATA/log' -w start" >/dev/null
trap 'as_pg "$PGBIN/pg_ctl -D \"$PGDATA\" -m fast stop" >/dev/null' EXIT
export PGHOST="$PGDATA" PGPORT=54331 PGUSER=postgres
echo "== PostgreSQL, $N CVs"
"$VENV/bin/python" benches/compare/pg/run.py "$W/export-$N" --reload
echo "== incrocio, $N CVs"
"$B" eval matching --index "$W/index-$N" --cvs "$W/cvs-$N.jsonl" --vacancies "$W/vacancies-truth.jsonl"
# The same model on both sides: the first 10 vacancies' rosas (their true occupation withheld,
# as the export and `eval matching` withhold it), part by part.
echo "== the peer's parts against incrocio's rosas (10 vacancies)"
R="$W/rosas-$N"
mkdir -p "$R"
for k in $(seq 1 10); do
  sed -n "${k}p" "$W/vacancies-truth.jsonl" | python3 -c 'import json, sys; v = json.load(sys.stdin); v.pop("esco", None); v.pop("cp2011", None); print(json.dumps(v))' > "$R/vacancy-$k.json"
  "$B" shortlist --index "$W/index-$N" --vacancy "$R/vacancy-$k.json" --data-richiesta 2026-11-23 > "$R/rosa-$k.json"
done
"$VENV/bin/python" benches/compare/pg/parts.py "$W/export-$N" "$R"/rosa-*.json
