//! The profiling model as SQL (issue 13.2): `incrocio models sql` executed in DuckDB gives, for
//! every person, what `incrocio reprofile` gives (index to 1e-9, the same class, every
//! contribution, age, months, suspended days, AdR eligibility and cents, dates), names the same
//! field for every record the engine rejects, and the Spark, Trino and PostgreSQL dialects
//! parse in sqlglot. The comparison is `tests/sql/check.py` (PyPI `duckdb`, `sqlglot`).
//!
//! Python: `INCROCIO_PYTHON` (`./test.sh` points it at the venv it makes) or `python3`. Where
//! neither has `duckdb` and `sqlglot` the test fails, saying how to get them, unless
//! `INCROCIO_SKIP_PYTHON` is set: it never passes without having run by accident.

use std::path::{Path, PathBuf};
use std::process::Command;

fn incrocio(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "incrocio {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn python() -> Option<PathBuf> {
    let py =
        std::env::var_os("INCROCIO_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let ok = Command::new(&py)
        .args(["-c", "import duckdb, sqlglot"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    // Skipped only when asked to by name; otherwise a machine without the tools fails here,
    // saying how to get them (`./test.sh` brings them).
    assert!(
        std::env::var_os("INCROCIO_SKIP_PYTHON").is_some(),
        "{} has no duckdb/sqlglot: run ./test.sh (it makes a venv with both), or `pip install duckdb sqlglot`, or set INCROCIO_SKIP_PYTHON=1 to skip the SQL checks",
        py.display()
    );
    eprintln!(
        "SKIPPED (INCROCIO_SKIP_PYTHON is set): {} has no duckdb/sqlglot",
        py.display()
    );
    None
}

/// A copy of the bundled models with a probit variant of `did@v1` (`did-probit@v1`).
fn models_with_probit(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = dir.join("models");
    copy(&root.join("models"), &models);
    let did = std::fs::read_to_string(root.join("models/profiling/did.v1.toml")).unwrap();
    let probit = did
        .replace("id = \"did\"", "id = \"did-probit\"")
        .replace("link = \"logit\"", "link = \"probit\"");
    assert_ne!(probit, did);
    std::fs::write(models.join("profiling/did-probit.v1.toml"), probit).unwrap();
    models
}

#[test]
fn issue_13_2_model_sql_in_duckdb_matches_reprofile() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = models_with_probit(d);
    let models = models.to_str().unwrap();
    let synth = d.join("people.parquet");
    incrocio(&[
        "synth",
        "people",
        "--n",
        "5000",
        "--seed",
        "42",
        "--output",
        synth.to_str().unwrap(),
    ]);
    let edge = root.join("tests/sql/edge-people.csv");
    for model in [
        "did@v1",
        "did@v2",
        "garanzia-giovani@v2",
        "garanzia-giovani@v3",
        "did-probit@v1",
    ] {
        for (name, people) in [("synth", synth.as_path()), ("edge", edge.as_path())] {
            let run = d.join(format!("{}-{name}", model.replace('@', "-")));
            std::fs::create_dir_all(&run).unwrap();
            let out = run.join("p.parquet");
            let rejects = run.join("rejects.csv");
            incrocio(&[
                "--models",
                models,
                "reprofile",
                "--model",
                model,
                "--input",
                people.to_str().unwrap(),
                "--as-of",
                "2026-11-23",
                "--output",
                out.to_str().unwrap(),
                "--on-error",
                "skip",
                "--rejects",
                rejects.to_str().unwrap(),
            ]);
            for dialect in ["duckdb", "spark", "trino", "postgres"] {
                let sql = run.join(format!("{dialect}.sql"));
                incrocio(&[
                    "--models",
                    models,
                    "models",
                    "sql",
                    "--model",
                    model,
                    "--dialect",
                    dialect,
                    "--as-of",
                    "2026-11-23",
                    "--output",
                    sql.to_str().unwrap(),
                ]);
                // PostgreSQL computes each of the ten steps once per row (`MATERIALIZED`,
                // else it recomputes inlined columns step after step); no other dialect.
                let text = std::fs::read_to_string(&sql).unwrap();
                let marked = text.matches(" AS MATERIALIZED (\n").count();
                assert_eq!(
                    marked,
                    if dialect == "postgres" { 10 } else { 0 },
                    "{dialect}"
                );
            }
            let check = Command::new(&py)
                .arg(root.join("tests/sql/check.py"))
                .args([people, &out, &rejects, &run])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&check.stdout);
            eprintln!("{model} on {name}:\n{stdout}");
            assert!(
                check.status.success(),
                "{model} on {name}: {stdout}{}",
                String::from_utf8_lossy(&check.stderr)
            );
            if name == "edge" {
                // The hand-made file exercises every rejection the query mirrors.
                assert!(!stdout.contains("incrocio rejects 0\n"), "{stdout}");
            }
        }
    }
}

#[test]
fn model_sql_refuses_a_table_name_that_is_not_an_identifier() {
    let out = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args([
            "models",
            "sql",
            "--dialect",
            "duckdb",
            "--table",
            "people; DROP TABLE x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a table name"), "{err}");
}

#[test]
fn model_sql_without_a_date_uses_current_date_and_names_the_model() {
    let out = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args([
            "models",
            "sql",
            "--dialect",
            "trino",
            "--table",
            "lake.anpal.did",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains("CURRENT_DATE"));
    assert!(sql.contains("FROM lake.anpal.did x"));
    assert!(sql.contains("'did' AS \"model_id\""));
    assert!(sql.contains("ILLUSTRATIVE MODEL did@v2"));
}

/// Issue 29: a table without the optional columns runs when told they are absent; the query
/// then reads them as NULL and never names them; a required column cannot be declared absent.
#[test]
fn model_sql_reads_an_absent_optional_column_as_null() {
    let run = |absent: &str| {
        Command::new(env!("CARGO_BIN_EXE_incrocio"))
            .args([
                "models",
                "sql",
                "--dialect",
                "duckdb",
                "--as-of",
                "2026-11-23",
                "--absent",
                absent,
            ])
            .output()
            .unwrap()
    };
    let out = run("DataFineUltimoRapporto");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(
        sql.contains("CAST(NULL AS DATE) AS DataFineUltimoRapporto"),
        "{sql}"
    );
    assert!(!sql.contains("x.DataFineUltimoRapporto"), "{sql}");
    let out = run("Genere");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an optional column"), "{err}");
}

/// Issue 29: `models sql --columns-of FILE` reads the table's columns from a people file: the
/// project's own synthetic Parquet (no `DataFineUltimoRapporto`) runs as it is in DuckDB, with
/// no column added, and profiles every synthetic person (all valid: 200 rows, 200 indexes).
#[test]
fn model_sql_runs_on_a_plain_table_whose_columns_it_reads_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = d.join("people.parquet");
    let people_s = people.to_str().unwrap();
    incrocio(&[
        "synth", "people", "--n", "200", "--seed", "7", "--output", people_s,
    ]);
    let sql = d.join("q.sql");
    incrocio(&[
        "models",
        "sql",
        "--dialect",
        "duckdb",
        "--as-of",
        "2026-11-23",
        "--columns-of",
        people_s,
        "--output",
        sql.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&sql).unwrap();
    assert!(!text.contains("x.DataFineUltimoRapporto"), "{text}");
    let Some(py) = python() else { return };
    let script = format!(
        "import duckdb\ncon = duckdb.connect()\ncon.execute(\"CREATE VIEW people AS SELECT * FROM read_parquet('{people_s}')\")\nq = open('{}').read()\nprint(con.execute(f'SELECT count(*), count(\"index\") FROM ({{q}})').fetchone())\n",
        sql.display()
    );
    let out = Command::new(py).args(["-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every synthetic person is valid: 200 rows, 200 indexes.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "(200, 200)");
}
