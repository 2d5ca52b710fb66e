//! The binary, as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

/// The binary under test.
pub(crate) fn incrocio() -> Command {
    Command::new(env!("CARGO_BIN_EXE_incrocio"))
}

/// Runs a command that must succeed; its output, or a panic showing its stderr.
pub(crate) fn succeeds(c: &mut Command) -> std::process::Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn profile_reads_stdin_and_prints_the_explained_profile() {
    let mut child = incrocio()
        .args(["profile", "--as-of", "2026-11-23"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            br#"{"Id": "P2", "DataNascita": "1996-05-10", "Genere": "M", "Cittadinanza": "436",
                "TitoloDiStudio": "70000000", "ProvinciaDiResidenza": "MI",
                "CondizioneOccupazionaleUnAnnoPrima": "studente", "DataDID": "2026-09-20"}"#,
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["index"], 0.321803);
    assert_eq!(v["class"]["code"], 2);
    assert_eq!(v["model"]["status"], "illustrative");
    assert_eq!(v["contributions"].as_array().unwrap().len(), 8);
}

#[test]
fn bad_record_is_a_named_error_and_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.json");
    std::fs::write(&f, r#"{"Id": "X", "DataNascita": "1990-01-01", "Genere": "Q", "Cittadinanza": "000", "ProvinciaDiResidenza": "RM", "DataDID": "2026-01-01"}"#).unwrap();
    let out = incrocio()
        .args(["profile", "--as-of", "2026-11-23"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record X") && err.contains("Genere") && err.contains("`Q`"),
        "{err}"
    );
}

#[test]
fn synth_then_reprofile_writes_output_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let people = dir.path().join("p.parquet");
    let out = dir.path().join("o.parquet");
    let st = incrocio()
        .args(["synth", "people", "--n", "500", "--seed", "1", "--output"])
        .arg(&people)
        .status()
        .unwrap();
    assert!(st.success());
    let o = incrocio()
        .args(["reprofile", "--quiet", "--as-of", "2026-11-23", "--input"])
        .arg(&people)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.report.json")).unwrap())
            .unwrap();
    assert_eq!(report["output_rows"], 500);
    assert_eq!(report["by_status"]["new"], 500);
    let total: u64 = report["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 500);
    assert!(String::from_utf8_lossy(&o.stdout).contains("class transitions"));
}

#[test]
fn synthetic_cvs_and_vacancies_are_valid_records_and_seeded() {
    use incrocio_core::reference::Reference;
    use incrocio_matching::{CandidateRecord, VacancyRecord};
    use incrocio_taxonomy::Taxonomy;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = incrocio().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (a, b, v) = (d.join("a.jsonl"), d.join("b.jsonl"), d.join("v.jsonl"));
    for f in [&a, &b] {
        run(&[
            "synth",
            "cvs",
            "--n",
            "300",
            "--seed",
            "5",
            "--output",
            f.to_str().unwrap(),
        ]);
    }
    run(&[
        "synth",
        "vacancies",
        "--n",
        "40",
        "--output",
        v.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(text, std::fs::read_to_string(&b).unwrap());
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let cvs: Vec<CandidateRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(cvs.len(), 300);
    for c in cvs {
        c.validate(r, t, "2026-11-23".parse().unwrap(), &crate::titles())
            .unwrap();
    }
    let vacancies: Vec<VacancyRecord> = std::fs::read_to_string(&v)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(vacancies.len(), 40);
    // Without --with-truth a vacancy carries only its title, as an employer writes it.
    assert!(vacancies.iter().all(|v| v.esco.is_none()));
    for v in vacancies {
        v.validate(r, t, &crate::titles()).unwrap();
    }
}

#[test]
fn researchers_commands_chain_and_never_overwrite_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = incrocio().args(args).current_dir(d).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&[
        "synth",
        "people",
        "--n",
        "4000",
        "--seed",
        "3",
        "--output",
        "p.parquet",
    ]);
    run(&[
        "synth",
        "outcomes",
        "--model",
        "did",
        "--people",
        "p.parquet",
        "--as-of",
        "2026-11-23",
        "--output",
        "l.parquet",
    ]);
    let fit = run(&[
        "fit",
        "profiling",
        "--spec",
        concat!(env!("CARGO_MANIFEST_DIR"), "/models/profiling/did.v1.toml"),
        "--data",
        "l.parquet",
        "--as-of",
        "2026-11-23",
        "--id",
        "did-test",
        "--output",
        "m.toml",
        "--report",
        "fit.json",
        "--design",
        "design.parquet",
        "--predictions",
        "fitted.parquet",
    ]);
    assert!(
        fit.contains("did-test@v1") && fit.contains("converged"),
        "{fit}"
    );
    // The table as statsmodels prints it.
    for head in [
        "coef",
        "std err",
        "z",
        "P>|z|",
        "[0.025",
        "0.975]",
        "BIC",
        "pseudo-R²",
    ] {
        assert!(fit.contains(head), "{head}: {fit}");
    }
    // The design matrix and the predictions re-run the fit elsewhere: X·β is the linear
    // predictor, for every person.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("fit.json")).unwrap()).unwrap();
    let read = |f: &str| {
        use polars::prelude::*;
        ParquetReader::new(std::fs::File::open(d.join(f)).unwrap())
            .finish()
            .unwrap()
    };
    let (design, predicted) = (read("design.parquet"), read("fitted.parquet"));
    assert_eq!(design.height(), 4000);
    assert_eq!(design.get_column_names()[..2], ["Id", "Esito"]);
    let lp = predicted
        .column("linear_predictor")
        .unwrap()
        .f64()
        .unwrap()
        .clone();
    let table = report["table"].as_array().unwrap();
    assert_eq!(design.width(), 2 + table.len());
    for row in [0usize, 1, 1234, 3999] {
        let eta: f64 = table
            .iter()
            .map(|t| {
                let name = t["name"].as_str().unwrap();
                let x = design
                    .column(name)
                    .unwrap()
                    .f64()
                    .unwrap()
                    .get(row)
                    .unwrap();
                x * t["coef"].as_f64().unwrap()
            })
            .sum();
        assert!((eta - lp.get(row).unwrap()).abs() < 1e-9, "row {row}");
    }
    assert!(fit.contains("tasso_occupazione"));
    let model = std::fs::read_to_string(d.join("m.toml")).unwrap();
    assert!(model.contains("status = \"fitted\""));
    // A second fit to the same file is refused.
    let again = incrocio()
        .args(["fit", "profiling", "--spec"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/profiling/did.v1.toml"
        ))
        .args([
            "--data",
            "l.parquet",
            "--as-of",
            "2026-11-23",
            "--output",
            "m.toml",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwritten"));
    let eval = run(&[
        "eval",
        "profiling",
        "--model",
        "did",
        "--against-file",
        "m.toml",
        "--data",
        "l.parquet",
        "--as-of",
        "2026-11-23",
        "--html",
        "r.html",
        "--output",
        "r.json",
        "--bootstrap",
        "200",
        "--group-by",
        "ProvinciaDiResidenza",
        "--reference",
        "genere=F",
        "--card",
        "card.md",
        "--predictions",
        "eval-predictions.parquet",
    ]);
    // The fit's in-sample AUC and eval's AUC of the same model are on the same index.
    let auc_fit = report["auc"].as_f64().unwrap();
    assert!(
        eval.contains("cittadinanza = extra_ue") && eval.contains("class transitions"),
        "{eval}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(report["a"]["model"], "did@v2");
    assert_eq!(report["b"]["model"], "did-test@v1");
    let auc_eval = report["b"]["overall"]["auc"]["value"].as_f64().unwrap();
    assert!((auc_fit - auc_eval).abs() < 1e-9, "{auc_fit} vs {auc_eval}");
    // The JSON names its data and the intervals' method, as the HTML does.
    assert_eq!(report["a"]["data"]["n"], 4000);
    assert_eq!(report["a"]["data"]["as_of"], "2026-11-23");
    assert!(
        report["a"]["data"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(report["a"]["uncertainty"]["bootstrap"], 200);
    // --reference and --group-by.
    let disparities = report["a"]["disparities"].as_array().unwrap();
    assert!(
        disparities
            .iter()
            .any(|x| x["dimension"] == "genere" && x["reference"] == "F" && x["group"] == "M")
    );
    assert!(
        disparities
            .iter()
            .any(|x| x["dimension"] == "ProvinciaDiResidenza")
    );
    // The terminal: DeLong's test, the Δ table and the transitions with row percentages.
    assert!(
        eval.contains("DeLong: ΔAUC") && eval.contains("Δ = did-test@v1 − did@v2"),
        "{eval}"
    );
    let transitions = eval.split("class transitions").nth(1).unwrap();
    assert!(
        transitions.contains("%)") && !transitions.contains("[["),
        "{transitions}"
    );
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Class transitions"));
    assert!(html.contains("ProvinciaDiResidenza = "));
    // The model card, generated: purpose, legal basis, data digest, metrics with intervals,
    // disparities, limitations, lineage.
    let card = std::fs::read_to_string(d.join("card.md")).unwrap();
    for part in [
        "# Model card: did@v2",
        "## Intended purpose",
        "Art. 19 D.Lgs. 150/2015",
        "AI Act",
        report["a"]["data"]["digest"].as_str().unwrap(),
        "## Disparities against the reference group",
        "ILLUSTRATIVE",
        "## Version lineage",
        "did@v2 (this card)",
    ] {
        assert!(card.contains(part), "{part}\n{card}");
    }
    let p = read("eval-predictions.parquet");
    assert_eq!(
        p.get_column_names(),
        ["Id", "Esito", "linear_predictor", "index", "class"]
    );
}

/// The README's main job: `incrocio demo` runs end to end (smaller here) and leaves the files
/// the README's next commands use, and those commands run on them as written.
#[test]
fn the_demo_runs_and_the_readmes_next_commands_work_on_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let out = succeeds(
        incrocio()
            .args(["demo", "--n", "3000", "--cvs", "1500", "--dir"])
            .arg(&d),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for said in [
        "== one person (DEMO-1)",
        "== first profiling of everyone",
        "== 90 days later",
        "== graduatoria art. 16",
    ] {
        assert!(stdout.contains(said), "no `{said}` in\n{stdout}");
    }
    for file in [
        "people.parquet",
        "profiles-2026-11-23.parquet",
        "profiles-2027-01-07.parquet",
        "profiles-2027-02-21.parquet",
        "cvs.jsonl",
        "vacancy.json",
        "person.json",
        "serve.toml",
        "index/FORMAT",
    ] {
        assert!(d.join(file).is_file(), "the demo left no {file}");
    }
    let cvs = std::fs::read_to_string(d.join("cvs.jsonl")).unwrap();
    assert_eq!(cvs.lines().count(), 1500);
    // `cargo run --release -- shortlist --index target/demo/index --vacancy target/demo/vacancy.json`
    let out = succeeds(
        incrocio()
            .arg("shortlist")
            .arg("--index")
            .arg(d.join("index"))
            .arg("--vacancy")
            .arg(d.join("vacancy.json")),
    );
    let rosa: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rosa["rosa"].is_array() && rosa["rosa_id"].is_string(),
        "{rosa}"
    );
    assert!(rosa["eligible_count"].as_u64().is_some(), "{rosa}");
}

/// The exit codes a user can reach from the command line, each from the case that makes it
/// (sysexits: 64 usage, 65 bad input data, 78 a bad model file); the others (66, 70, 74, 75)
/// are checked on the mapping itself, in the binary's unit tests.
#[test]
fn exit_codes_name_the_kind_of_failure() {
    let code = |c: &mut Command| c.output().unwrap().status.code();
    // 64: a command line that parses but does not make sense.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        code(incrocio().args([
            "reprofile",
            "--input",
            "p.parquet",
            "--output",
            "o.parquet",
            "--as-of",
            "2026-11-23",
            "--on-error",
            "skip",
        ])),
        Some(64)
    );
    // 65: a record with a value outside its code list.
    let f = dir.path().join("r.json");
    std::fs::write(&f, r#"{"Id": "X", "DataNascita": "1990-01-01", "Genere": "Q", "Cittadinanza": "000", "ProvinciaDiResidenza": "RM", "DataDID": "2026-01-01"}"#).unwrap();
    assert_eq!(
        code(
            incrocio()
                .args(["profile", "--as-of", "2026-11-23"])
                .arg(&f)
        ),
        Some(65)
    );
    // 78: a models directory whose file does not parse (the operator's error).
    let models = dir.path().join("models");
    std::fs::create_dir_all(models.join("matching")).unwrap();
    std::fs::write(
        models.join("matching/default.v9.toml"),
        "id = \"default\"\nversion = ",
    )
    .unwrap();
    let out = incrocio()
        .args(["models", "list", "--models"])
        .arg(&models)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(78),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("default.v9.toml"));
}

/// Issue 29: `eval profiling` counts the people profiled with unanswered questions, overall
/// and per group, per feature (did@v2 scores them as the reference level).
#[test]
fn eval_counts_unanswered_questions_per_group() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Six people: two women without a TitoloDiStudio (one also without the condition a year
    // before), one man without the condition; the other three answered everything.
    let csv = "Id,DataNascita,Genere,Cittadinanza,TitoloDiStudio,ProvinciaDiResidenza,CondizioneOccupazionaleUnAnnoPrima,DataDID,Sospensioni,PercettoreNASpI,Esito\n\
        P1,1980-01-01,F,000,,MI,disoccupato,2026-01-31,,true,1\n\
        P2,1985-01-01,F,000,,MI,,2026-01-31,,true,0\n\
        P3,1990-01-01,F,000,40000000,MI,disoccupato,2026-01-31,,true,1\n\
        P4,1980-01-01,M,000,40000000,MI,,2026-01-31,,true,0\n\
        P5,1985-01-01,M,000,40000000,RM,inattivo,2026-01-31,,false,1\n\
        P6,1990-01-01,M,000,40000000,RM,disoccupato,2026-01-31,,false,0\n";
    std::fs::write(d.join("l.csv"), csv).unwrap();
    succeeds(incrocio().current_dir(d).args([
        "eval",
        "profiling",
        "--model",
        "did@v2",
        "--data",
        "l.csv",
        "--as-of",
        "2026-11-23",
        "--bootstrap",
        "0",
        "--output",
        "r.json",
        "--html",
        "r.html",
    ]));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    let m = &r["missing_answers"];
    assert_eq!(
        (m["people"]["k"].as_u64(), m["people"]["n"].as_u64()),
        (Some(3), Some(6))
    );
    assert_eq!(
        m["by_feature"],
        serde_json::json!([["titolo_studio", 2], ["condizione_anno_prima", 2]])
    );
    let group = |dim: &str, g: &str| {
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["dimension"] == dim && x["group"] == g)
            .unwrap()["missing_answers"]
            .clone()
    };
    let f = group("genere", "F");
    assert_eq!(
        (f["people"]["k"].as_u64(), f["people"]["n"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        f["by_feature"],
        serde_json::json!([["titolo_studio", 2], ["condizione_anno_prima", 1]])
    );
    let m = group("genere", "M");
    assert_eq!(
        (m["people"]["k"].as_u64(), m["people"]["n"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(
        m["by_feature"],
        serde_json::json!([["condizione_anno_prima", 1]])
    );
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("Unanswered questions"), "{html}");
}

/// Issue 31.3: the title-ranking development sets are built from the taxonomy, seeded (the
/// same seed gives the same report, byte for byte), and every figure is a share.
#[test]
fn title_ranking_is_seeded_and_reports_every_method() {
    let run = || {
        succeeds(incrocio().args([
            "eval",
            "title-ranking",
            "--pool",
            "150",
            "--queries",
            "20",
            "--tuning-queries",
            "10",
            "--seed",
            "3",
        ]))
        .stdout
    };
    let a = run();
    assert_eq!(a, run());
    let r: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(
        (r["pool"].as_u64(), r["queries"].as_u64()),
        (Some(150), Some(20))
    );
    let methods: Vec<&str> = r["held_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["bm25", "release", "char_ngram", "soft"]);
    for set in ["held_out", "ads"] {
        for m in r[set].as_array().unwrap() {
            let x = m["ndcg_at_10"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&x), "{m}");
        }
    }
    assert_eq!(r["ad_queries"].as_u64(), Some(126));
}

/// Issue 31.3: the judged set is pooled. A query with no judgment yet gets every method's
/// first 10 written out to be graded (`--unjudged`); graded and read back (`--judged`), they
/// give figures and nothing is left to grade. Judgments of titles outside the pool are
/// refused (they would count as unjudged), and the bundled set, pooled on seed 42, is left
/// out of another pool with a note.
#[test]
fn judged_titles_are_pooled_graded_and_refused_outside_their_pool() {
    let d = tempfile::tempdir().unwrap();
    let args = |extra: &[&str]| {
        let mut c = incrocio();
        c.args([
            "eval",
            "title-ranking",
            "--pool",
            "150",
            "--queries",
            "5",
            "--tuning-queries",
            "5",
            "--seed",
            "3",
        ])
        .args(extra);
        c
    };
    let bundled = succeeds(&mut args(&[]));
    let r: serde_json::Value = serde_json::from_slice(&bundled.stdout).unwrap();
    assert_eq!(r["judged_queries"].as_u64(), Some(0));
    assert!(r["judged_missing"].as_u64().unwrap() > 0);
    assert!(r.get("judged").is_none());
    assert!(
        String::from_utf8_lossy(&bundled.stderr).contains("judged set"),
        "{}",
        String::from_utf8_lossy(&bundled.stderr)
    );

    let (judged, todo) = (d.path().join("j.tsv"), d.path().join("todo.tsv"));
    std::fs::write(&judged, "query\ttitle\tgrade\nCuoco di ristorante\t\t\n").unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    succeeds(&mut args(&[
        "--judged",
        &path(&judged),
        "--unjudged",
        &path(&todo),
    ]));
    let pairs = std::fs::read_to_string(&todo).unwrap();
    let lines: Vec<&str> = pairs.lines().skip(1).collect();
    // Four methods' first 10, some in common: at least 10 distinct titles, at most 40.
    assert!((10..=40).contains(&lines.len()), "{pairs}");
    // Graded 1 each (the grade column filled), read back.
    let graded: String = std::iter::once("query\ttitle\tgrade".to_owned())
        .chain(lines.iter().map(|l| format!("{}1", l)))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&judged, graded).unwrap();
    let out = succeeds(&mut args(&[
        "--judged",
        &path(&judged),
        "--unjudged",
        &path(&todo),
    ]));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["judged_queries"].as_u64(), Some(1));
    let methods = r["judged"].as_array().unwrap();
    assert_eq!(methods.len(), 4);
    for m in methods {
        // Every method's first 10 are judged relevant (grade 1): its nDCG@10 is positive.
        let x = m["ndcg_at_10"].as_f64().unwrap();
        assert!(x > 0.0 && x <= 1.0, "{m}");
    }
    assert_eq!(
        std::fs::read_to_string(&todo).unwrap(),
        "query\ttitle\tgrade\n"
    );

    std::fs::write(
        &judged,
        "query\ttitle\tgrade\nCuoco di ristorante\tnot a pool title at all\t3\n",
    )
    .unwrap();
    let out = args(&["--judged", &path(&judged)]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 judged titles are not in this pool"),
        "{err}"
    );
}
