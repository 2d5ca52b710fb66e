#!/usr/bin/env python3
"""The profiling model run inside DuckDB, from the query `incrocio models sql` writes.

Usage: python3 duckdb_reprofile.py PEOPLE.parquet OUT.parquet --sql QUERY.sql [--threads N]
       [--check INCROCIO_OUT.parquet]

QUERY.sql is `incrocio models sql --dialect duckdb --table people --as-of DATE`: the same model
file, AdR rules and reference tables as `incrocio reprofile`, as one query. It computes every
column `reprofile` computes but `status` and `input_digest` (they need the previous run and the
engine's canonical record encoding): index, class, label, linear predictor, each contribution,
age, months, suspended days, AdR eligibility and amounts, provenance and dates. The people file
is read as a view named `people` (`DataFineUltimoRapporto` added as NULL when the file has no
such column), the result written with COPY to Parquet (zstd, DuckDB's default). The time printed
is the query's; `reprofile.sh` times whole processes, Python's start included.
"""
import argparse
import time

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("people")
    ap.add_argument("out")
    ap.add_argument("--sql", required=True, help="output of `incrocio models sql --dialect duckdb`")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", help="incrocio reprofile output to compare index and class with")
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{a.people}')").fetchall()}
    extra = "" if "DataFineUltimoRapporto" in cols else ", CAST(NULL AS DATE) AS DataFineUltimoRapporto"
    con.execute(f"CREATE VIEW people AS SELECT *{extra} FROM read_parquet('{a.people}')")
    sql = open(a.sql).read()
    t = time.perf_counter()
    con.execute(f"COPY ({sql}) TO '{a.out}' (FORMAT parquet)")
    secs = time.perf_counter() - t
    n = con.execute(f"SELECT count(*) FROM read_parquet('{a.out}')").fetchone()[0]
    print(f"duckdb {duckdb.__version__}: {n} people in {secs:.3f} s ({n / secs:,.0f} people/s), threads={a.threads}")
    if a.check:
        diff = con.execute(f"""
            SELECT count(*) FILTER (WHERE (abs(d."index" - i."index") <= 1e-9) IS NOT TRUE),
                   count(*) FILTER (WHERE d.class IS DISTINCT FROM i.class), count(*)
            FROM read_parquet('{a.out}') d JOIN read_parquet('{a.check}') i USING (person_id)""").fetchone()
        print(f"check against incrocio: {diff[0]} index differences, {diff[1]} class differences over {diff[2]} people")


if __name__ == "__main__":
    main()
