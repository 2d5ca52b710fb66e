//! The decision log and operators' overrides (issue 16): every decision recorded and synced
//! before its answer, a changed byte named by `log verify`, records that survive `kill -9`,
//! the audit route for one person, and an override that shows up in the next re-profiling
//! and in `eval profiling`.

use std::path::Path;

use incrocio_http::config::key_hash;
use serde_json::{Value, json};

use crate::http::{ALL, PROFILING_ONLY, assert_problem, call, config_text, post, record};

const OPS: &str = "ops-key-overrides-and-audit";

use crate::cli::{incrocio, succeeds};

/// A server configuration with a decision log and a key holding `overrides` and `audit`.
fn config(dir: &Path) -> std::path::PathBuf {
    let extra = format!(
        "decisions = \"{}\"\n[[keys]]\nid = \"ops\"\nsha256 = \"{}\"\nscopes = [\"overrides\", \"audit\"]\n",
        dir.join("decisions").display(),
        key_hash(OPS)
    );
    let path = dir.join("serve.toml");
    std::fs::write(&path, config_text(&dir.join("index"), &extra)).unwrap();
    path
}

fn person(id: &str) -> Value {
    let mut r = record();
    r["Id"] = json!(id);
    r
}

fn seqs(header: Option<&str>) -> (u64, u64) {
    let (a, b) = header
        .expect("x-incrocio-decisions")
        .split_once('-')
        .unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn every_decision_is_recorded_before_its_answer_and_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (mut child, addr) = crate::http::spawn_server(&cfg);
    crate::http::put_candidates(addr, "C", 5);
    // Concurrent profiling requests: their records are group-committed.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..8 {
                    let body =
                        json!({"records": [person(&format!("P{t}-{i}"))], "as_of": "2026-11-23"});
                    let r = post(addr, "/v1/profiling", PROFILING_ONLY, &body);
                    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                    let (a, b) = seqs(r.header("x-incrocio-decisions"));
                    assert_eq!(a, b, "one record per profile");
                    got.push((
                        format!("P{t}-{i}"),
                        a,
                        r.json()["profiles"][0]["class"]["code"].clone(),
                    ));
                }
                got
            })
        })
        .collect();
    let profiled: Vec<(String, u64, Value)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut all: Vec<u64> = profiled.iter().map(|p| p.1).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 32, "every profile has its own record");
    // A rosa: its id, its date and its record.
    let mut v = crate::http::vacancy();
    v["data_richiesta"] = json!("2026-11-20");
    let r = post(addr, "/v1/shortlists", ALL, &v);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let rosa = r.json();
    assert!(rosa["rosa_id"].as_str().unwrap().starts_with("rosa-"));
    assert_eq!(rosa["data_richiesta"], "2026-11-20");
    assert_eq!(rosa["size_asked"], false);
    let rosa_seq = seqs(r.header("x-incrocio-decisions")).0;

    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();

    // Every acknowledged record is there and the chain holds.
    let out = incrocio()
        .args(["log", "verify", "--decisions"])
        .arg(dir.path().join("decisions"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut child, addr) = crate::http::spawn_server(&cfg);
    for (id, seq, class) in &profiled {
        let r = call(
            addr,
            "GET",
            &format!("/v1/decisions?person={id}"),
            Some(OPS),
            None,
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let records = r.json()["records"].as_array().unwrap().clone();
        assert_eq!(records.len(), 1, "{id}: {records:?}");
        assert_eq!(records[0]["seq"], *seq);
        assert_eq!(records[0]["kind"], "profile");
        assert_eq!(records[0]["actor"], "prof");
        assert_eq!(records[0]["result"]["class"], *class);
        assert_eq!(records[0]["model"]["id"], "did@v2");
        assert_eq!(records[0]["lep"], json!({"lep": "B", "sap": "A01"}));
        // Ids, digests and classes only: none of the record's fields.
        let text = records[0].to_string();
        assert!(
            !text.contains("1990-06-15") && !text.contains("DataNascita"),
            "{text}"
        );
    }
    let r = call(addr, "GET", "/v1/decisions?person=C0", Some(OPS), None);
    let rec = &r.json()["records"][0];
    assert_eq!(rec["seq"], rosa_seq);
    assert_eq!(rec["kind"], "rosa");
    assert_eq!(rec["lep"], json!({"lep": "Q", "sap": "B03"}));
    assert_eq!(rec["subject"], rosa["rosa_id"]);
    // The audit route needs its own scope; a key without it gets 403.
    let r = call(
        addr,
        "GET",
        "/v1/decisions?person=C0",
        Some(PROFILING_ONLY),
        None,
    );
    assert_eq!(r.status, 403);
    let r = call(
        addr,
        "GET",
        "/v1/decisions?person=C0&limit=0",
        Some(OPS),
        None,
    );
    assert_eq!(r.status, 422);

    // An override: 201 with its record; the profiling key may not make one.
    let body = json!({"model": "did@v1", "computed_class": 4, "class": 3, "reason": "CURA",
                      "note": "due figli piccoli", "operator": "op-7", "date": "2026-11-24"});
    let r = post(addr, "/v1/profiles/P0-0/override", PROFILING_ONLY, &body);
    assert_eq!(r.status, 403);
    let r = post(addr, "/v1/profiles/P0-0/override", OPS, &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["override"]["expires"], "2027-02-22");
    let mut bad = body.clone();
    bad["reason"] = json!("SIMPATIA");
    let r = post(addr, "/v1/profiles/P0-0/override", OPS, &bad);
    assert_eq!(r.status, 422);
    assert!(String::from_utf8_lossy(&r.body).contains("reason"));
    let r = call(addr, "GET", "/v1/decisions?person=P0-0", Some(OPS), None);
    assert_eq!(r.json()["records"].as_array().unwrap().len(), 2);
    assert_eq!(r.json()["records"][1]["kind"], "override");

    // Esiti against the rosa: a candidate of it, one who is not, a rosa that does not exist.
    let rosa_id = rosa["rosa_id"].as_str().unwrap();
    let first = rosa["rosa"][0]["candidate_id"].as_str().unwrap();
    let path = format!("/v1/rosas/{rosa_id}/esiti");
    let r = post(
        addr,
        &path,
        ALL,
        &json!({"esiti": [{"candidate_id": first, "esito": "hired"}]}),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["esiti"][0]["position"], 1);
    assert_eq!(r.json()["esiti"][0]["vacancy_id"], "V1");
    let r = post(
        addr,
        &path,
        ALL,
        &json!({"esiti": [{"candidate_id": "NOBODY", "esito": "rejected"}]}),
    );
    assert_eq!(r.status, 422);
    assert!(String::from_utf8_lossy(&r.body).contains("esiti[0].candidate_id"));
    // The request's date may come with the vacancy; never after today.
    let mut on_vacancy = crate::http::vacancy();
    on_vacancy["vacancy"]["data_richiesta"] = json!("2026-11-25");
    let r = post(addr, "/v1/shortlists", ALL, &on_vacancy);
    assert_eq!(r.json()["data_richiesta"], "2026-11-25");
    on_vacancy["vacancy"]["data_richiesta"] = json!("2099-01-01");
    let r = post(addr, "/v1/shortlists", ALL, &on_vacancy);
    assert_eq!(r.status, 422);
    assert!(String::from_utf8_lossy(&r.body).contains("data_richiesta"));
    // A refill without the hired candidate: a new rosa, one fewer eligible.
    let mut refill = crate::http::vacancy();
    refill["exclude"] = json!([first]);
    refill["data_richiesta"] = json!("2026-11-20");
    let r = post(addr, "/v1/shortlists", ALL, &refill);
    assert_eq!(r.status, 200);
    let again = r.json();
    assert_ne!(again["rosa_id"], rosa["rosa_id"]);
    assert_eq!(
        again["eligible_count"].as_u64().unwrap(),
        rosa["eligible_count"].as_u64().unwrap() - 1
    );
    assert!(
        again["rosa"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["candidate_id"] != first)
    );
    let r = post(
        addr,
        "/v1/rosas/rosa-0000/esiti",
        ALL,
        &json!({"esiti": [{"candidate_id": first, "esito": "hired"}]}),
    );
    assert_eq!(r.status, 404);
    // The indicators: both rosas sent `waited` days after the request of 2026-11-20, the first
    // one's esiti the same day (within 15), the refill's still pending; every profile 317 days
    // after a DID of 2026-01-10 (late, by class).
    let r = call(
        addr,
        "GET",
        "/v1/indicators?from=2026-01-01&to=2026-12-31",
        Some(OPS),
        None,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let ind = r.json();
    let get = |id: &str| {
        ind["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["deadline"]["id"] == id)
            .unwrap()
            .clone()
    };
    let generated: chrono::NaiveDate = rosa["generated_at"].as_str().unwrap()[..10]
        .parse()
        .unwrap();
    let waited = (generated - "2026-11-20".parse::<chrono::NaiveDate>().unwrap()).num_days();
    let rosa20 = get("rosa_entro_20");
    // Three rosas: the first, the one dated on the vacancy (2026-11-25), the refill.
    assert_eq!(rosa20["cases"], 3);
    assert_eq!(rosa20["median_days"], waited as f64);
    let on_time = [waited, waited - 5, waited]
        .iter()
        .filter(|d| **d <= 20)
        .count();
    assert_eq!(rosa20["within"], on_time);
    assert_eq!(
        (
            rosa20["deadline"]["lep"].clone(),
            rosa20["deadline"]["sap"].clone()
        ),
        (json!("Q"), json!("B03"))
    );
    let esiti15 = get("esiti_entro_15");
    assert_eq!(
        (
            esiti15["cases"].clone(),
            esiti15["within"].clone(),
            esiti15["pending"].clone()
        ),
        (json!(3), json!(1), json!(2))
    );
    let p60 = get("profilazione_entro_60");
    assert_eq!(
        (p60["cases"].clone(), p60["late"].clone()),
        (json!(32), json!(32))
    );
    assert_eq!(p60["median_days"], 317.0);
    assert_eq!(p60["deadline"]["lep"], "B");
    assert!(
        ind["not_computable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == "colloquio_entro_30")
    );
    let r = call(
        addr,
        "GET",
        "/v1/indicators?from=2026-12-31&to=2026-01-01",
        Some(OPS),
        None,
    );
    assert_eq!(r.status, 422);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_changed_byte_is_named_by_log_verify() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions");
    for (p, class) in [("A", "2"), ("B", "3"), ("C", "1")] {
        let out = incrocio()
            .args(["override", "--decisions"])
            .arg(&log)
            .args([
                "--person",
                p,
                "--model",
                "did@v1",
                "--computed-class",
                "4",
                "--class",
                class,
                "--reason",
                "FORMAZIONE",
                "--operator",
                "op-1",
                "--date",
                "2026-11-20",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let verify = || {
        incrocio()
            .args(["log", "verify", "--decisions"])
            .arg(&log)
            .output()
            .unwrap()
    };
    assert!(verify().status.success());
    let file = log.join("decisions.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    // Person B's new class 3 becomes 2 in the second record.
    let tampered = text.replacen("\"class\":3", "\"class\":2", 1);
    assert_ne!(tampered, text);
    std::fs::write(&file, tampered).unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 2 (line 2)") && err.contains("changed"),
        "{err}"
    );
    // `log show` still reads what concerns one person (for an access request).
    std::fs::write(&file, &text).unwrap();
    let out = incrocio()
        .args(["log", "show", "--person", "B", "--decisions"])
        .arg(&log)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(shown.contains("\"operator\":\"op-1\""));
}

#[test]
fn an_override_shows_in_the_next_reprofiling_and_in_eval() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("decisions");
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
        "3000",
        "--seed",
        "9",
        "--output",
        "p.parquet",
    ]);
    run(&[
        "reprofile",
        "--model",
        "did@v1",
        "--input",
        "p.parquet",
        "--as-of",
        "2026-11-23",
        "--output",
        "r1.parquet",
        "--quiet",
    ]);
    let read = |f: &str| {
        use polars::prelude::*;
        ParquetReader::new(std::fs::File::open(d.join(f)).unwrap())
            .finish()
            .unwrap()
    };
    let r1 = read("r1.parquet");
    let ids = r1.column("person_id").unwrap().str().unwrap().clone();
    let classes = r1.column("class").unwrap().i32().unwrap().clone();
    // Override the first two people: one up, one down (or up again from class 1).
    let mut overridden = Vec::new();
    for row in [0usize, 1] {
        let id = ids.get(row).unwrap().to_owned();
        let computed = classes.get(row).unwrap();
        let class = if computed == 1 { 2 } else { computed - 1 };
        run(&[
            "override",
            "--decisions",
            "decisions",
            "--person",
            &id,
            "--model",
            "did@v1",
            "--computed-class",
            &computed.to_string(),
            "--class",
            &class.to_string(),
            "--reason",
            "SALUTE",
            "--operator",
            "op-2",
            "--date",
            "2026-11-24",
            "--expires",
            "2027-02-21",
        ]);
        overridden.push((id, computed, class));
    }
    assert!(log.join("decisions.jsonl").exists());
    // The next re-profiling, inside the override's period: both classes shown.
    run(&[
        "reprofile",
        "--model",
        "did@v1",
        "--input",
        "p.parquet",
        "--previous",
        "r1.parquet",
        "--as-of",
        "2027-01-07",
        "--output",
        "r2.parquet",
        "--decisions",
        "decisions",
        "--quiet",
    ]);
    let r2 = read("r2.parquet");
    let ids2 = r2.column("person_id").unwrap().str().unwrap().clone();
    let class2 = r2.column("class").unwrap().i32().unwrap().clone();
    let over = r2.column("override_class").unwrap().i32().unwrap().clone();
    let effective = r2.column("effective_class").unwrap().i32().unwrap().clone();
    let reason = r2.column("override_reason").unwrap().str().unwrap().clone();
    let mut seen = 0;
    for i in 0..r2.height() {
        let id = ids2.get(i).unwrap();
        match overridden.iter().find(|o| o.0 == id) {
            Some((_, _, class)) => {
                assert_eq!(over.get(i), Some(*class));
                assert_eq!(effective.get(i), Some(*class));
                assert_eq!(reason.get(i), Some("SALUTE"));
                seen += 1;
            }
            None => {
                assert_eq!(over.get(i), None);
                assert_eq!(effective.get(i), class2.get(i));
            }
        }
    }
    assert_eq!(seen, 2);
    // After it expires, the computed class alone.
    run(&[
        "reprofile",
        "--model",
        "did@v1",
        "--input",
        "p.parquet",
        "--as-of",
        "2027-02-21",
        "--output",
        "r3.parquet",
        "--decisions",
        "decisions",
        "--quiet",
    ]);
    let r3 = read("r3.parquet");
    assert_eq!(
        r3.column("override_class").unwrap().null_count(),
        r3.height()
    );
    // eval profiling counts them: by operator, reason, direction and group.
    run(&[
        "synth",
        "outcomes",
        "--model",
        "did@v1",
        "--people",
        "p.parquet",
        "--as-of",
        "2026-11-23",
        "--output",
        "l.parquet",
    ]);
    let out = run(&[
        "eval",
        "profiling",
        "--model",
        "did@v1",
        "--data",
        "l.parquet",
        "--as-of",
        "2026-11-23",
        "--bootstrap",
        "50",
        "--decisions",
        "decisions",
        "--output",
        "e.json",
    ]);
    assert!(out.contains("overrides: 2"), "{out}");
    let e: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("e.json")).unwrap()).unwrap();
    let o = &e["overrides"];
    assert_eq!(o["total"], 2);
    assert_eq!(o["by_operator"][0][0], "op-2");
    assert_eq!(o["by_reason"][0][0], "SALUTE");
    let ups = overridden.iter().filter(|x| x.2 > x.1).count();
    assert_eq!(o["up"], ups);
    let by_gender: u64 = o["by_group"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["dimension"] == "genere")
        .map(|g| g["rate"]["k"].as_u64().unwrap())
        .sum();
    assert_eq!(by_gender, 2);
}

#[test]
fn the_cli_records_profiles_and_graduatorie_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions");
    let input = dir.path().join("p.json");
    std::fs::write(&input, json!([person("Q1"), person("Q2")]).to_string()).unwrap();
    let out = incrocio()
        .args(["profile", "--as-of", "2026-11-23", "--decisions"])
        .arg(&log)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let applicants = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/esempi/candidati-art16.csv"
    );
    let out = incrocio()
        .args([
            "graduatoria",
            "--rules",
            "art16-emilia-romagna",
            "--applicants",
            applicants,
            "--publication-date",
            "2026-03-01",
            "--decisions",
        ])
        .arg(&log)
        .arg("--output")
        .arg(dir.path().join("g.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(log.join("decisions.jsonl")).unwrap();
    let kinds: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, ["profile", "profile", "graduatoria"]);
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("g.json")).unwrap()).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["input_digest"], g["input_digest"]);
    assert_eq!(
        last["people"].as_array().unwrap().len(),
        g["ranking"].as_array().unwrap().len() + g["excluded"].as_array().unwrap().len()
    );
}

/// Issue 30.5: decisions that contradict themselves are refused, naming the field: two
/// outcomes for one person in one request, an override that has expired by the day it is
/// recorded, an operator id with a newline. Nothing is recorded for them.
#[test]
fn issue_30_5_contradictory_decisions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (mut child, addr) = crate::http::spawn_server(&cfg);
    crate::http::put_candidates(addr, "K", 3);
    let rosa = post(addr, "/v1/shortlists", ALL, &crate::http::vacancy()).json();
    let rosa_id = rosa["rosa_id"].as_str().unwrap();
    let first = rosa["rosa"][0]["candidate_id"].as_str().unwrap();
    let path = format!("/v1/rosas/{rosa_id}/esiti");
    let both = json!({"esiti": [{"candidate_id": first, "esito": "rejected"},
                                {"candidate_id": first, "esito": "hired"}]});
    let r = post(addr, &path, ALL, &both);
    assert_eq!(assert_problem(&r, 422)["field"], "esiti[1].candidate_id");

    let body = json!({"model": "did@v1", "computed_class": 4, "class": 3, "reason": "CURA",
                      "operator": "op-7", "date": "2026-11-01", "expires": "2026-11-30"});
    let r = post(addr, "/v1/profiles/P1/override", OPS, &body);
    assert_eq!(assert_problem(&r, 422)["field"], "expires");
    let mut newline = body.clone();
    newline["expires"] = json!("2099-01-01");
    newline["operator"] = json!("op-7\nop-8");
    let r = post(addr, "/v1/profiles/P1/override", OPS, &newline);
    assert_eq!(assert_problem(&r, 422)["field"], "operator");
    // Nothing of the refused requests is in the log: the rosa only, no override, no esito.
    let r = call(addr, "GET", "/v1/decisions?person=P1", Some(OPS), None);
    assert_eq!(r.json()["records"].as_array().unwrap().len(), 0);
    let r = call(
        addr,
        "GET",
        &format!("/v1/decisions?person={first}"),
        Some(OPS),
        None,
    );
    let kinds: Vec<Value> = r.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("rosa")]);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Makes a signing key in `dir` (`log keygen`); its file and its public key.
fn keygen(dir: &Path) -> (std::path::PathBuf, String) {
    let key = dir.join("log.key");
    let out = succeeds(incrocio().args(["log", "keygen", "--output"]).arg(&key));
    let public = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(public.len(), 64);
    (key, public)
}

/// `log verify --key` of the log in `logs`: what it printed.
fn verify_signed(logs: &Path, public: &str) -> String {
    let out = succeeds(
        incrocio()
            .args(["log", "verify", "--decisions"])
            .arg(logs)
            .args(["--key", public]),
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Issues 30.11 and 30.12 through the service: with `decisions_key` its heads are signed and
/// `log verify --key` checks them; an override's note never enters the chain (the record holds
/// a salted digest, the text is in `notes.jsonl`), and `log erase --person` removes the text
/// while the chain and the signatures still verify.
#[test]
fn issue_30_12_a_note_is_kept_outside_the_chain_and_erased_while_the_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_, public) = keygen(d);
    let cfg = config(d);
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("decisions_key = \"log.key\"\n{text}")).unwrap();
    let (mut child, addr) = crate::http::spawn_server(&cfg);
    let note = "Mario Rossi (RSSMRA80A01H501U) assiste la madre";
    let body = json!({"model": "did@v1", "computed_class": 4, "class": 3, "reason": "CURA",
                      "note": note, "operator": "op-7", "date": "2026-12-01"});
    let r = post(addr, "/v1/profiles/P9/override", OPS, &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    // The answer shows the note to whoever made it; the log holds its digest only.
    assert_eq!(r.json()["override"]["note"], note);
    child.kill().unwrap();
    child.wait().unwrap();
    let logs = d.join("decisions");
    let chain = std::fs::read_to_string(logs.join("decisions.jsonl")).unwrap();
    assert!(
        !chain.contains("RSSMRA") && chain.contains("note_digest"),
        "{chain}"
    );
    let notes = std::fs::read_to_string(logs.join("notes.jsonl")).unwrap();
    assert!(notes.contains("RSSMRA80A01H501U"));
    assert!(verify_signed(&logs, &public).contains("1 signed heads hold"));
    let out = succeeds(
        incrocio()
            .args(["log", "erase", "--decisions"])
            .arg(&logs)
            .args(["--person", "P9"]),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("erased 1 notes"));
    let notes = std::fs::read_to_string(logs.join("notes.jsonl")).unwrap();
    assert!(!notes.contains("RSSMRA"));
    assert_eq!(
        std::fs::read_to_string(logs.join("decisions.jsonl")).unwrap(),
        chain
    );
    verify_signed(&logs, &public);
    // The override is still there: only its words are gone.
    let out = succeeds(
        incrocio()
            .args(["log", "show", "--decisions"])
            .arg(&logs)
            .args(["--person", "P9"]),
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("\"class\":3") && !shown.contains("Mario"),
        "{shown}"
    );
}

/// Issue 30.11: a command that appends to the log signs its head too when given the key
/// (`--decisions-key`, or `INCROCIO_DECISIONS_KEY`), so nothing it records stays unsigned.
#[test]
fn issue_30_11_commands_sign_what_they_append_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, public) = keygen(d);
    let log = d.join("decisions");
    succeeds(
        incrocio()
            .arg("--decisions-key")
            .arg(&key)
            .args(["override", "--decisions"])
            .arg(&log)
            .args([
                "--person",
                "A",
                "--model",
                "did@v1",
                "--computed-class",
                "4",
                "--class",
                "3",
                "--reason",
                "FORMAZIONE",
                "--operator",
                "op-1",
            ]),
    );
    let said = verify_signed(&log, &public);
    assert!(said.contains("1 signed heads hold"), "{said}");
    assert!(
        said.contains("0 records after the last signed head"),
        "{said}"
    );
}
