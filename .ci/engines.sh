#!/usr/bin/env bash
# The profiling model as SQL on real engines (issue 32.6): `incrocio models sql --dialect spark`
# run on Apache Spark (pyspark from PyPI, local mode, Java from Debian) and `--dialect
# postgres` on a PostgreSQL server (Debian), each over N synthetic people (seed 42) and over
# the hand-made edge cases (tests/sql/edge-people.csv), against `incrocio reprofile`: the same
# class and index for every person, the same field for every person rejected
# (tests/sql/engines.py).
#
#   .ci/engines.sh [BIN] [N]        defaults: target/debug/incrocio, 200000
#
# Installs what is missing (Debian: openjdk-17-jre-headless, postgresql; PyPI in
# target/engines-venv: pyspark, duckdb), starts a throwaway PostgreSQL cluster on a Unix socket
# in a temporary directory (stopped and removed at the end), and leaves nothing else behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/incrocio}
N=${2:-200000}
AS_OF=2026-11-23
sudo=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "engines.sh: installing ${need[*]}" >&2
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
VENV=target/engines-venv
if ! "$VENV/bin/python" -c "import pyspark, duckdb" 2>/dev/null; then
  echo "engines.sh: making $VENV with pyspark and duckdb" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==3.5.3" "duckdb==2.0.1"
fi
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
WORK=$(mktemp -d)
chmod 755 "$WORK"
PGDATA="$WORK/pg"
# initdb and the server refuse root: run them as the `postgres` user the package creates.
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
mkdir -p "$PGDATA"
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
stop() {
  as_pg "$PGBIN/pg_ctl -D '$PGDATA' -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap stop EXIT
as_pg "$PGBIN/initdb -D '$PGDATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
as_pg "$PGBIN/pg_ctl -D '$PGDATA' -o \"-k '$PGDATA' -c listen_addresses='' -p 54329\" -l '$PGDATA/log' -w start" >/dev/null
export PGHOST="$PGDATA" PGPORT=54329 PGUSER=postgres PGDATABASE=postgres
export PYSPARK_PYTHON="$PWD/$VENV/bin/python"
for set in synth edge; do
  D="$WORK/$set"
  mkdir -p "$D"
  chmod 755 "$D"
  if [ "$set" = synth ]; then
    PEOPLE="$D/people.parquet"
    "$BIN" synth people --n "$N" --seed 42 --output "$PEOPLE"
  else
    PEOPLE=tests/sql/edge-people.csv
  fi
  "$BIN" reprofile --model did@v1 --input "$PEOPLE" --as-of "$AS_OF" \
    --output "$D/inc.parquet" --on-error skip --rejects "$D/rejects.csv" >/dev/null 2>&1
  for dialect in spark postgres; do
    "$BIN" models sql --model did@v1 --dialect "$dialect" --as-of "$AS_OF" \
      --columns-of "$PEOPLE" --output "$D/$dialect.sql" >/dev/null
  done
  echo "== $set"
  "$VENV/bin/python" tests/sql/engines.py "$PEOPLE" "$D/inc.parquet" "$D/rejects.csv" "$D" spark postgres
done
