"""The same shortlist on PostgreSQL full-text search (italian configuration), side by side with
incrocio: the same candidates, the same hard rules, the same competency vectors and weights,
the same vacancies and the same relevance grades. Loopback only; nothing leaves the machine.

    python3 benches/compare/pg/run.py EXPORT_DIR [--limit N]

EXPORT_DIR is what `incrocio index export` wrote (candidates.jsonl, queries.jsonl). The server
is the `pgserver` package (PyPI: a PostgreSQL build with pgvector) started in
benches/compare/data/pg-<name>; `benches/compare/pg/run.sh` does everything from nothing.

What is compared, per vacancy:
- lexical relevance: PostgreSQL `ts_rank` of the vacancy text (any of its words: the lexemes of
  `plainto_tsquery('italian', …)` OR-ed) over `to_tsvector('italian', <indexed text>)`, divided by
  the best among the eligible, where incrocio uses BM25 over its Italian analyzer;
- competency similarity: the exact sparse dot product of the exported vectors, in SQL
  (`unnest` join). pgvector is NOT used for it: the pgvector that pgserver ships (0.6.2) has no
  `sparsevec` type (added in 0.7.0), and dense vectors over the 13,939 ESCO skills would take
  about 56 KB a candidate (56 GB for 1M), past what this machine holds;
- every other contribution and every hard rule exactly as incrocio's (distance by haversine on
  the same coordinates, the same bounding box idea through a b-tree on (lat, lon)).
Latency is the client's wall time for one query (execute + fetch of the rosa) over the local
socket, after one warm-up pass; incrocio's is in-process (`incrocio eval matching`).
"""
import argparse
import json
import math
import pathlib
import statistics
import sys
import time

import pgserver
import psycopg2

HERE = pathlib.Path(__file__).resolve().parent
K = 15

SCHEMA = """
DROP TABLE IF EXISTS cand;
CREATE TABLE cand (
  id text PRIMARY KEY,
  body text,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('italian', body)) STORED,
  lat float8, lon float8, attivo bool, km_max int, contratti bigint, patenti bigint,
  livello int, l68 bool, lingue bigint[], occupazioni int[], isco bigint[],
  vec_idx int[], vec_val real[]
);
"""

QUERY = """
WITH q AS (
  SELECT nullif(replace(plainto_tsquery('italian', %(text)s)::text, '&', '|'), '')::tsquery AS q
), e AS (
  SELECT c.id, c.occupazioni, c.isco, c.vec_idx, c.vec_val, c.livello, d.km,
         coalesce(ts_rank(c.tsv, q.q), 0) AS lex_raw
  FROM cand c CROSS JOIN q,
  LATERAL (SELECT 2 * 6371.0088 * asin(sqrt(
      power(sin(radians(c.lat - %(lat)s) / 2), 2)
      + cos(radians(%(lat)s)) * cos(radians(c.lat)) * power(sin(radians(c.lon - %(lon)s) / 2), 2)
  )) AS km) d
  WHERE c.attivo
    AND c.lat BETWEEN %(lat0)s AND %(lat1)s AND c.lon BETWEEN %(lon0)s AND %(lon1)s
    AND (c.contratti & %(contract)s) <> 0
    AND (c.patenti & %(licences)s) = %(licences)s
    AND (%(min_level)s::int IS NULL OR c.livello >= %(min_level)s::int)
    AND (NOT %(l68)s OR c.l68)
    AND d.km <= %(radius)s AND (c.km_max IS NULL OR d.km <= c.km_max)
    {languages}
), s AS (
  SELECT e.*, max(lex_raw) OVER () AS lex_max, count(*) OVER () AS n,
    (SELECT coalesce(sum(cv.v * qv.v), 0)
       FROM unnest(e.vec_idx, e.vec_val) AS cv(i, v)
       JOIN unnest(%(qidx)s::int[], %(qval)s::real[]) AS qv(i, v) USING (i)) AS comp
  FROM e
)
SELECT id, n,
  %(wl)s * (CASE WHEN lex_max > 0 THEN lex_raw / lex_max ELSE 0 END)
  + %(wc)s * least(greatest(comp, 0), 1)
  + %(we)s * (CASE WHEN %(occ)s::int = ANY(occupazioni) THEN 1
                   WHEN %(isco)s::bigint = ANY(isco) THEN %(adj)s ELSE 0 END)
  + %(wi)s * (CASE WHEN livello IS NULL THEN 0.5 ELSE 1 END)
  + %(wd)s * greatest(0, least(1, 1 - km / %(radius)s)) AS score,
  CASE WHEN %(truth)s::int = ANY(occupazioni) THEN 2
       WHEN %(truth_isco)s::bigint = ANY(isco) THEN 1 ELSE 0 END AS rel
FROM s ORDER BY score DESC, id LIMIT %(size)s
"""

# Every eligible candidate's relevance (untimed: the ideal ordering for nDCG).
ALL_RELEVANCE = """
SELECT CASE WHEN %(truth)s::int = ANY(c.occupazioni) THEN 2
            WHEN %(truth_isco)s::bigint = ANY(c.isco) THEN 1 ELSE 0 END
FROM cand c
WHERE c.attivo
  AND c.lat BETWEEN %(lat0)s AND %(lat1)s AND c.lon BETWEEN %(lon0)s AND %(lon1)s
  AND (c.contratti & %(contract)s) <> 0 AND (c.patenti & %(licences)s) = %(licences)s
  AND (%(min_level)s::int IS NULL OR c.livello >= %(min_level)s::int)
  AND (NOT %(l68)s OR c.l68)
  AND 2 * 6371.0088 * asin(sqrt(power(sin(radians(c.lat - %(lat)s) / 2), 2)
      + cos(radians(%(lat)s)) * cos(radians(c.lat)) * power(sin(radians(c.lon - %(lon)s) / 2), 2)))
      <= least(%(radius)s::float8, coalesce(c.km_max, 1e9)::float8)
  {languages}
"""


def params(q):
    dlat = q["radius_km"] / 110.574 + 1e-6
    dlon = q["radius_km"] / (111.320 * math.cos(math.radians(min(abs(q["lat"]) + dlat, 89.0)))) + 1e-6
    w = q["weights"]
    return {
        "text": q["text"], "lat": q["lat"], "lon": q["lon"], "radius": float(q["radius_km"]),
        "lat0": q["lat"] - dlat, "lat1": q["lat"] + dlat, "lon0": q["lon"] - dlon, "lon1": q["lon"] + dlon,
        "contract": q["contract"], "licences": q["licences"], "min_level": q["min_level"],
        "l68": q["l68"], "qidx": q["vec_idx"], "qval": q["vec_val"],
        "wl": w["lessicale"], "wc": w["competenze"], "we": w["esperienza"], "wi": w["istruzione"],
        "wd": w["distanza"], "occ": q["occupation"], "isco": q["isco"], "adj": q["adjacent"],
        "size": q["size"], "truth": q["truth"], "truth_isco": q["truth_isco"],
    }


def languages_sql(q):
    clauses = []
    for key, level in q["languages"]:
        clauses.append(
            f"AND EXISTS (SELECT 1 FROM unnest(c.lingue) l WHERE l / 10 * 10 = {int(key)} AND l %% 10 >= {int(level)})"
        )
    return "\n".join(clauses)


def ndcg(ranked, all_rels):
    def dcg(rels):
        return sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(rels[:K]))

    ideal = dcg(sorted(all_rels, reverse=True))
    return dcg(ranked) / ideal if ideal > 0 else None


def recall(ranked, all_rels):
    total = sum(1 for r in all_rels if r > 0)
    return sum(1 for r in ranked[:K] if r > 0) / total if total else None


def signed(v):
    """A u64 bit mask as PostgreSQL's signed bigint (same bits)."""
    return v - (1 << 64) if v >= (1 << 63) else v


def load(conn, path):
    rows = 0
    with conn.cursor() as cur:
        cur.execute(SCHEMA)
        batch = []

        def flush():
            cur.executemany(
                "INSERT INTO cand (id, body, lat, lon, attivo, km_max, contratti, patenti, livello, l68,"
                " lingue, occupazioni, isco, vec_idx, vec_val) VALUES"
                " (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                batch,
            )
            batch.clear()

        with open(path) as f:
            for line in f:
                c = json.loads(line)
                batch.append((
                    c["id"], c["text"], c["lat"], c["lon"], c["attivo"], c["km_max"], signed(c["contratti"]),
                    signed(c["patenti"]), c["livello"], c["l68"], c["lingue"], c["occupazioni"], c["isco"],
                    c["vec_idx"], c["vec_val"],
                ))
                rows += 1
                if len(batch) == 5000:
                    flush()
        if batch:
            flush()
        cur.execute("CREATE INDEX ON cand (lat, lon)")
        cur.execute("CREATE INDEX ON cand USING gin (tsv)")
        cur.execute("ANALYZE cand")
    conn.commit()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export_dir", type=pathlib.Path)
    ap.add_argument("--limit", type=int, default=0, help="at most this many vacancies")
    ap.add_argument("--reload", action="store_true", help="reload even if the table exists")
    a = ap.parse_args()
    data = HERE.parent / "data" / f"pg-{a.export_dir.name}"
    data.mkdir(parents=True, exist_ok=True)
    srv = pgserver.get_server(str(data), cleanup_mode="stop")
    conn = psycopg2.connect(srv.get_uri())
    with conn.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0]
        cur.execute("SELECT to_regclass('cand') IS NOT NULL")
        exists = cur.fetchone()[0]
    t0 = time.perf_counter()
    if a.reload or not exists:
        n = load(conn, a.export_dir / "candidates.jsonl")
        print(f"loaded {n} candidates in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    queries = [json.loads(l) for l in open(a.export_dir / "queries.jsonl")]
    if a.limit:
        queries = queries[: a.limit]
    lat, nd, rc = [], [], []
    with conn.cursor() as cur:
        for rnd in range(2):  # a warm-up pass, then the measured one
            lat.clear(), nd.clear(), rc.clear()
            for q in queries:
                p = params(q)
                sql = QUERY.format(languages=languages_sql(q))
                start = time.perf_counter()
                cur.execute(sql, p)
                rosa = cur.fetchall()
                lat.append((time.perf_counter() - start) * 1e3)
                if rnd == 1 and q["truth"] is not None:
                    cur.execute(ALL_RELEVANCE.format(languages=languages_sql(q)), p)
                    all_rels = [r[0] for r in cur.fetchall()]
                    ranked = [r[3] for r in rosa]
                    n, r = ndcg(ranked, all_rels), recall(ranked, all_rels)
                    if n is not None:
                        nd.append(n)
                        rc.append(r)
    lat.sort()
    p = lambda x: lat[min(len(lat) - 1, max(0, math.ceil(len(lat) * x) - 1))]
    out = {
        "engine": version.split(",")[0],
        "vacancies": len(queries),
        "evaluated": len(nd),
        "ndcg_at_15": round(statistics.fmean(nd), 4) if nd else None,
        "recall_at_15": round(statistics.fmean(rc), 4) if rc else None,
        "latency_p50_ms": round(p(0.5), 3),
        "latency_p99_ms": round(p(0.99), 3),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
