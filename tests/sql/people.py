"""The people table as the engines read it: a Parquet file as it is, or a CSV typed as
`incrocio reprofile` types it (dates, counts, flags; codes stay text; an empty field is NULL).
Used by check.py (DuckDB) and engines.py (Spark, PostgreSQL)."""

DATES = ["DataNascita", "DataDID", "DataFineUltimoRapporto"]
INTS = ["Eta", "DaQuantiMesiConclusoUltimoRappLavoro", "DaQuantiMesiStaCercandoLavoro",
        "NumeroComponentiFamiglia"]
BOOLS = ["HaMaiAvutoUnLavoro", "PresenzaFigliACarico", "PresenzaFigliACaricoMeno18Anni",
         "PercettoreNASpI"]


def people_view(con, path):
    if path.endswith(".csv"):
        src = f"read_csv('{path}', all_varchar = true, header = true)"
    else:
        src = f"read_parquet('{path}')"
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    exprs = []
    for c in cols:
        if path.endswith(".csv") and c in DATES:
            exprs.append(f"CAST(NULLIF({c}, '') AS DATE) AS {c}")
        elif path.endswith(".csv") and c in INTS:
            exprs.append(f"CAST(NULLIF({c}, '') AS BIGINT) AS {c}")
        elif path.endswith(".csv") and c in BOOLS:
            exprs.append(f"CAST(NULLIF({c}, '') AS BOOLEAN) AS {c}")
        elif path.endswith(".csv"):
            exprs.append(f"NULLIF({c}, '') AS {c}")
        else:
            exprs.append(c)
    for c in DATES:
        if c not in cols:
            exprs.append(f"CAST(NULL AS DATE) AS {c}")
    for c in BOOLS:
        if c not in cols:
            exprs.append(f"CAST(NULL AS BOOLEAN) AS {c}")
    for c in INTS:
        if c not in cols:
            exprs.append(f"CAST(NULL AS BIGINT) AS {c}")
    con.execute(f"CREATE VIEW people AS SELECT {', '.join(exprs)} FROM {src}")
