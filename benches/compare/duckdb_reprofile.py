#!/usr/bin/env python3
"""The `did` profiling model computed by DuckDB SQL on the same Parquet file as `incrocio reprofile`.

Usage: python3 duckdb_reprofile.py PEOPLE.parquet OUT.parquet [--as-of 2026-11-23] [--threads N]
       [--model ../../models/profiling/did.v1.toml]

The SQL is generated from the same model file (bands, levels, maps, territorial indicator,
intercept, class cut-offs) and the same reference tables in data/, so both engines compute the
same index for every person (the script checks a sample against incrocio's output when given
--check INCROCIO_OUT.parquet). What DuckDB does NOT do, and incrocio does: validate every field
against the code lists with a named error per row, the input digest, the previous-run join, the
AdR amounts, the per-feature contribution columns. The comparison therefore flatters DuckDB.
"""
import argparse, pathlib, sys, time, tomllib

import duckdb

ROOT = pathlib.Path(__file__).resolve().parents[2]


def case_levels(expr, feature, domain_map):
    """CASE expression mapping a categorical value to its coefficient."""
    parts = []
    for value, level in domain_map.items():
        parts.append(f"WHEN {expr} = '{value}' THEN {feature['levels'][level]!r}")
    return "CASE " + " ".join(parts) + " END"


def banded(expr, feature):
    parts = []
    for b in feature["bands"]:
        coef = feature["levels"][b["label"]]
        if "max" in b:
            parts.append(f"WHEN {expr} <= {b['max']} THEN {coef!r}")
        else:
            parts.append(f"ELSE {coef!r}")
    return "CASE " + " ".join(parts) + " END"


def build_sql(model, people, as_of, contributions=False):
    codes = tomllib.loads((ROOT / "data/codici/variabili_profiling.toml").read_text())
    domains = {
        "genere": ("Genere", ["M", "F"]),
        "cittadinanza": ("cittadinanza_gruppo", ["italiana", "ue", "extra_ue"]),
        "livello_studio": ("livello", [str(i) for i in range(13)]),
        "condizione_anno_prima": ("CondizioneOccupazionaleUnAnnoPrima", codes["CondizioneOccupazionaleUnAnnoPrima"]["codes"]),
        "durata_presenza_italia": ("DurataPresenzaInItalia", codes["DurataPresenzaInItalia"]["codes"]),
    }
    numeric = {"eta": "eta", "mesi_disoccupazione": "mesi"}
    terms = []
    for f in model["features"]:
        v = f["variable"]
        if f["kind"] == "categorical":
            col, domain = domains[v]
            mapping = {d: f.get("map", {}).get(d, d) for d in domain}
            expr = f"CAST({col} AS VARCHAR)" if v == "livello_studio" else col
            terms.append(case_levels(expr, f, mapping))
        elif f["kind"] == "banded":
            terms.append(banded(numeric[v], f))
        else:
            col = v.removeprefix("territorio.")
            terms.append(f"{f['coefficient']!r} * (p.{col} - {f.get('center', 0.0)!r})")
    eta_expr = f"{model['intercept']!r} + " + " + ".join(f"({t})" for t in terms)
    names = [f"contrib_{f['name']}" for f in model["features"]]
    contrib_cols = "".join(f"({t}) AS {n}, " for t, n in zip(terms, names)) if contributions else ""
    contrib_out = "".join(f", {n}" for n in names) if contributions else ""
    link = model["link"]
    prob = f"1.0 / (1.0 + exp(-({eta_expr})))" if link == "logit" else None
    if prob is None:
        sys.exit("probit needs a normal CDF; not generated here")
    cut = model["classes"]["cutoffs"]
    klass = "CASE " + " ".join(f"WHEN idx <= {c!r} THEN {i + 1}" for i, c in enumerate(cut)) + f" ELSE {len(cut) + 1} END"
    return f"""
WITH people AS (SELECT * FROM read_parquet('{people}')),
susp AS (
  SELECT Id, sum(greatest(0, date_diff('day', greatest(CAST(split_part(s, '/', 1) AS DATE), DataDID),
           CASE WHEN split_part(s, '/', 2) = '' THEN DATE '{as_of}'
                ELSE least(CAST(split_part(s, '/', 2) AS DATE) + 1, DATE '{as_of}') END))) AS giorni
  FROM (SELECT Id, DataDID, unnest(string_split(Sospensioni, ';')) AS s FROM people WHERE Sospensioni IS NOT NULL)
  GROUP BY Id
),
derived AS (
  SELECT x.*, c.ue, t.livello, p.tasso_occupazione_20_64,
    CASE WHEN x.Cittadinanza = '000' THEN 'italiana' WHEN c.ue = 'S' THEN 'ue' ELSE 'extra_ue' END AS cittadinanza_gruppo,
    date_diff('year', DataNascita, DATE '{as_of}')
      - CASE WHEN strftime(DATE '{as_of}', '%m%d') < strftime(DataNascita, '%m%d') THEN 1 ELSE 0 END AS eta,
    DataDID + CAST(date_diff('day', DataDID, DATE '{as_of}') - coalesce(s.giorni, 0) AS INTEGER) AS fine
  FROM people x
  LEFT JOIN susp s ON s.Id = x.Id
  LEFT JOIN read_csv('{ROOT}/data/codici/cittadinanze.csv', all_varchar = true) c ON c.codice = x.Cittadinanza
  LEFT JOIN read_csv('{ROOT}/data/codici/titoli_studio.csv', all_varchar = true) t ON t.codice = x.TitoloDiStudio
  LEFT JOIN read_csv('{ROOT}/data/territorio/province.csv', types = {{'codice_uts': 'VARCHAR'}}) p ON p.codice_uts = x.ProvinciaDiResidenza
),
months AS (
  SELECT *, greatest(0, (year(fine) - year(DataDID)) * 12 + month(fine) - month(DataDID)
            - CASE WHEN day(fine) < day(DataDID) THEN 1 ELSE 0 END) AS mesi
  FROM derived
),
scored AS (
  SELECT Id AS person_id, {contrib_cols}{eta_expr} AS linear_predictor FROM months p
)
SELECT person_id, linear_predictor, idx AS "index", {klass} AS class{contrib_out}
FROM (SELECT *, round({prob.replace(eta_expr, 'linear_predictor')}, 6) AS idx FROM scored)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("people")
    ap.add_argument("out")
    ap.add_argument("--as-of", default="2026-11-23")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default=str(ROOT / "models/profiling/did.v1.toml"))
    ap.add_argument("--contributions", action="store_true",
                    help="also write each feature's contribution, as incrocio does")
    ap.add_argument("--check", help="incrocio output to compare index and class with")
    a = ap.parse_args()
    model = tomllib.loads(pathlib.Path(a.model).read_text())
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    sql = build_sql(model, a.people, a.as_of, a.contributions)
    t = time.perf_counter()
    con.execute(f"COPY ({sql}) TO '{a.out}' (FORMAT parquet, COMPRESSION snappy)")
    secs = time.perf_counter() - t
    n = con.execute(f"SELECT count(*) FROM read_parquet('{a.out}')").fetchone()[0]
    print(f"duckdb {duckdb.__version__}: {n} people in {secs:.3f} s ({n / secs:,.0f} people/s), threads={a.threads}"
          f"{', with contributions' if a.contributions else ''}")
    if a.check:
        diff = con.execute(f"""
            SELECT count(*) FILTER (WHERE abs(d."index" - i."index") > 1e-9),
                   count(*) FILTER (WHERE d.class <> i.class), count(*)
            FROM read_parquet('{a.out}') d JOIN read_parquet('{a.check}') i USING (person_id)""").fetchone()
        print(f"check against incrocio: {diff[0]} index differences, {diff[1]} class differences over {diff[2]} people")


if __name__ == "__main__":
    main()
