"""The same shortlist on PostgreSQL full-text search (italian configuration), side by side with
incrocio: the same candidates, the same hard rules, the same competency vectors and weights,
the same vacancies and the same relevance grades. Loopback only; nothing leaves the machine.

    python3 benches/compare/pg/run.py EXPORT_DIR [--limit N]

EXPORT_DIR is what `incrocio index export` wrote (candidates.jsonl, queries.jsonl). The server
is the one the environment names (PGHOST, PGPORT, PGUSER: `benches/compare/pg/run.sh` starts
Debian's PostgreSQL on a Unix socket and does everything from nothing); the candidates go into
a database of their own, `cand_<EXPORT_DIR's name>`, kept for the next run unless --reload.

What is compared, per vacancy:
- lexical relevance: PostgreSQL `ts_rank` of the vacancy text (any of its words: the lexemes of
  `plainto_tsquery('italian', …)` OR-ed) over `to_tsvector('italian', <indexed text>)`, divided by
  the best among the eligible, where incrocio uses BM25 over its Italian analyzer;
- competency similarity: the exact sparse dot product of the exported vectors, in SQL
  (`unnest` join). pgvector is NOT used for it: the pgvector that pgserver ships (0.6.2) has no
  `sparsevec` type (added in 0.7.0), and dense vectors over the 13,939 ESCO skills would take
  about 56 KB a candidate (56 GB for 1M), past what this machine holds;
- sub-word relevance (the lexical part's n-gram share, models of version 4 on): pg_trgm's
  `word_similarity` of the vacancy title against the candidate's titles (experience titles and
  `competenze_testo`), divided by the best among the eligible, where incrocio uses BM25 over
  character 4-grams;
- experience (soft occupations, version 4 on): the expected match over both sides'
  distributions, in SQL: the candidate's (occupation, group, probability) values as the index
  holds them, joined with the vacancy's credit per occupation (`M(c)`, which folds in the same
  occupation, the ISCO unit and minor groups and the adjacent occupations; the export computes
  it with the engine's own `SoftCredit`), summed per group, the best group (or a declared
  occupation's credit) taken; before version 4 the v1 relation (same occupation, same ISCO
  unit group);
- every other contribution and every hard rule exactly as incrocio's (working mode, distance
  by haversine on the same coordinates, the same bounding box idea through a b-tree on
  (lat, lon)).
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

import psycopg2

K = 15

SCHEMA = """
DROP TABLE IF EXISTS cand;
CREATE TABLE cand (
  id text PRIMARY KEY,
  body text,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('italian', body)) STORED,
  lat float8, lon float8, attivo bool, km_max int, contratti bigint, patenti bigint,
  modalita bigint, livello int, l68 bool, lingue bigint[], occupazioni int[], isco bigint[],
  soft_occ int[], soft_grp smallint[], soft_prob real[], titles text,
  vec_idx int[], vec_val real[]
);
"""

# The `esperienza` part: with soft occupations, the best group's expected match (its values'
# probability × the vacancy's credit of their occupation, summed, at most 1) or a declared
# occupation's credit; else the v1 relation.
EXPERIENCE_SOFT = """(SELECT coalesce(max(v), 0) FROM (
      SELECT least(sum(x.p * k.m), 1) AS v
        FROM unnest(e.soft_occ, e.soft_grp, e.soft_prob) AS x(o, g, p)
        JOIN unnest(%(cocc)s::int[], %(cval)s::real[]) AS k(o, m) USING (o)
       WHERE x.g <> 127 GROUP BY x.g
      UNION ALL
      SELECT k.d FROM unnest(e.soft_occ, e.soft_grp) AS x(o, g)
        JOIN unnest(%(cocc)s::int[], %(cdecl)s::real[]) AS k(o, d) USING (o)
       WHERE x.g = 127) AS groups)"""
EXPERIENCE_V1 = """(CASE WHEN %(occ)s::int = ANY(e.occupazioni) THEN 1
       WHEN %(isco)s::bigint = ANY(e.isco) THEN %(adj)s ELSE 0 END)"""

QUERY = """
WITH q AS (
  SELECT nullif(replace(plainto_tsquery('italian', %(text)s)::text, '&', '|'), '')::tsquery AS q
), e AS (
  SELECT c.id, c.occupazioni, c.isco, c.vec_idx, c.vec_val, c.livello, d.km,
         c.soft_occ, c.soft_grp, c.soft_prob,
         coalesce(ts_rank(c.tsv, q.q), 0) AS lex_raw,
         CASE WHEN %(ngram)s > 0 THEN word_similarity(%(title)s, c.titles) ELSE 0 END AS gram_raw
  FROM cand c CROSS JOIN q,
  LATERAL (SELECT 2 * 6371.0088 * asin(sqrt(
      power(sin(radians(c.lat - %(lat)s) / 2), 2)
      + cos(radians(%(lat)s)) * cos(radians(c.lat)) * power(sin(radians(c.lon - %(lon)s) / 2), 2)
  )) AS km) d
  WHERE c.attivo
    AND c.lat BETWEEN %(lat0)s AND %(lat1)s AND c.lon BETWEEN %(lon0)s AND %(lon1)s
    AND (c.contratti & %(contract)s) <> 0
    AND (c.patenti & %(licences)s) = %(licences)s
    AND (c.modalita & %(mode)s) <> 0
    AND (%(min_level)s::int IS NULL OR c.livello >= %(min_level)s::int)
    AND (NOT %(l68)s OR c.l68)
    AND d.km <= %(radius)s AND (c.km_max IS NULL OR d.km <= c.km_max)
    {languages}
), s AS (
  SELECT e.*, max(lex_raw) OVER () AS lex_max, max(gram_raw) OVER () AS gram_max,
    count(*) OVER () AS n, {experience} AS exper,
    (SELECT coalesce(sum(cv.v * qv.v), 0)
       FROM unnest(e.vec_idx, e.vec_val) AS cv(i, v)
       JOIN unnest(%(qidx)s::int[], %(qval)s::real[]) AS qv(i, v) USING (i)) AS comp
  FROM e
)
SELECT id, n,
  %(wl)s * ((1 - %(ngram)s) * (CASE WHEN lex_max > 0 THEN lex_raw / lex_max ELSE 0 END)
             + %(ngram)s * (CASE WHEN gram_max > 0 THEN gram_raw / gram_max ELSE 0 END))
  + %(wc)s * least(greatest(comp, 0), 1)
  + %(we)s * exper
  + %(wi)s * (CASE WHEN livello IS NULL THEN %(unknown)s ELSE 1 END)
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
  AND (c.modalita & %(mode)s) <> 0
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
        "contract": q["contract"], "licences": q["licences"], "mode": signed(q["mode"]),
        "min_level": q["min_level"], "title": q["title"], "ngram": float(q["ngram"]),
        "unknown": float(q["unknown_level"]), "cocc": q["credit_occ"], "cval": q["credit_val"],
        "cdecl": q["credit_declared"],
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
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute(SCHEMA)
        batch = []

        def flush():
            cur.executemany(
                "INSERT INTO cand (id, body, lat, lon, attivo, km_max, contratti, patenti, modalita,"
                " livello, l68, lingue, occupazioni, isco, soft_occ, soft_grp, soft_prob, titles,"
                " vec_idx, vec_val) VALUES"
                " (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                batch,
            )
            batch.clear()

        with open(path) as f:
            for line in f:
                c = json.loads(line)
                batch.append((
                    c["id"], c["text"], c["lat"], c["lon"], c["attivo"], c["km_max"], signed(c["contratti"]),
                    signed(c["patenti"]), signed(c["modalita"]), c["livello"], c["l68"], c["lingue"],
                    c["occupazioni"], c["isco"], c["soft_occ"], c["soft_grp"], c["soft_prob"], c["titles"],
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


def database(export_dir):
    """The database of an export's candidates."""
    return "cand_" + "".join(ch if ch.isalnum() else "_" for ch in export_dir.name.lower())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export_dir", type=pathlib.Path)
    ap.add_argument("--limit", type=int, default=0, help="at most this many vacancies")
    ap.add_argument("--reload", action="store_true", help="reload even if the table exists")
    a = ap.parse_args()
    db = database(a.export_dir)
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{db}"')
    admin.close()
    conn = psycopg2.connect(dbname=db)
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
                sql = QUERY.format(
                    languages=languages_sql(q), experience=EXPERIENCE_SOFT if q["soft"] else EXPERIENCE_V1
                )
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
