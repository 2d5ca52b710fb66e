"""Checks that the PostgreSQL peer computes incrocio's model: for the candidates of incrocio's
rosa of each vacancy given, the `esperienza` and `competenze` values the peer's SQL computes
(and its haversine distance) against the values incrocio's rosa shows. The lexical part is
left out: it differs by design (ts_rank and pg_trgm against BM25).

    python3 benches/compare/pg/parts.py EXPORT_DIR ROSA.json...

Each ROSA.json is `incrocio shortlist`'s answer for a vacancy of EXPORT_DIR/queries.jsonl;
the server is the one the environment names, as for run.py. Exits 1 when a value differs by
more than 1e-6 (the parts are f32 in incrocio) or a distance by more than 0.05 km (the rosa
shows it to 0.1 km).
"""
import json
import pathlib
import sys

import psycopg2

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run  # noqa: E402


def main():
    export = pathlib.Path(sys.argv[1])
    queries = {q["id"]: q for q in map(json.loads, open(export / "queries.jsonl"))}
    conn = psycopg2.connect(dbname=run.database(export))
    worst = {"esperienza": 0.0, "competenze": 0.0, "km": 0.0}
    rows = 0
    for path in sys.argv[2:]:
        rosa = json.load(open(path))
        q = queries[rosa["vacancy_id"]]
        p = run.params(q)
        p["ids"] = [c["candidate_id"] for c in rosa["rosa"]]
        sql = run.QUERY.format(
            languages=run.languages_sql(q),
            experience=run.EXPERIENCE_SOFT if q["soft"] else run.EXPERIENCE_V1,
        )
        # The peer's own query, asked for these candidates and their parts.
        for old, new in (
            ("FROM s ORDER BY score DESC, id LIMIT %(size)s", "FROM s WHERE id = ANY(%(ids)s)"),
            ("SELECT id, n,", "SELECT id, exper, least(greatest(comp, 0), 1), km, n,"),
        ):
            if sql.count(old) != 1:
                sys.exit(f"run.py's QUERY no longer has {old!r} once")
            sql = sql.replace(old, new)
        with conn.cursor() as cur:
            cur.execute(sql, p)
            got = {r[0]: r for r in cur.fetchall()}
        for c in rosa["rosa"]:
            g = got.get(c["candidate_id"])
            if g is None:
                sys.exit(f"{q['id']}: {c['candidate_id']} is not eligible in PostgreSQL")
            for part, value in (("esperienza", g[1]), ("competenze", g[2])):
                d = abs(c["contributions"][part]["value"] - float(value))
                worst[part] = max(worst[part], d)
            worst["km"] = max(worst["km"], abs(c["distance_km"] - g[3]))
            rows += 1
    print(json.dumps({"rosa_rows": rows, "worst_difference": worst}))
    if worst["esperienza"] > 1e-6 or worst["competenze"] > 1e-6 or worst["km"] > 0.05 + 1e-9:
        sys.exit("the peer does not compute incrocio's parts")


if __name__ == "__main__":
    main()
