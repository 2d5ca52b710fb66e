//! Issue 11: one request must not take the service down, and no input is bent into a wrong
//! answer. Each test is named after the numbered defect it guards (`issue_11_<n>_…`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use incrocio_core::cancel::Cancel;
use incrocio_core::reference::Reference;
use incrocio_engine::{Engine, ShortlistRequest};
use incrocio_matching::{CandidateIndex, CandidateRecord};
use incrocio_taxonomy::Taxonomy;
use serde_json::{Value, json};

use crate::http::{
    ALL, PROFILING_ONLY, ROMA, Server, applicants, assert_problem, call, candidate, post, record,
    vacancy,
};

const MILANO: &str = "015146";

/// An edit of a JSON body.
type Edit = fn(&mut Value);
const PALERMO: &str = "082053";

fn server_with(ids: &[(&str, &str)], extra: &str) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), extra);
    for (id, comune) in ids {
        let body = candidate(id, comune).to_string();
        let r = call(
            s.addr,
            "PUT",
            &format!("/v1/candidates/{id}"),
            Some(ALL),
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    (dir, s)
}

fn healthy(addr: SocketAddr) {
    let r = call(addr, "GET", "/healthz", None, None);
    assert_eq!(r.status, 200);
}

fn with_vacancy(edit: impl Fn(&mut Value)) -> Value {
    let mut v = vacancy();
    edit(&mut v["vacancy"]);
    v
}

#[test]
fn issue_11_1_a_radius_past_the_maximum_is_a_422_and_the_widest_allowed_reaches_all_italy() {
    let (_dir, s) = server_with(&[("R1", ROMA), ("P1", PALERMO)], "");
    let r = post(
        s.addr,
        "/v1/shortlists",
        ALL,
        &with_vacancy(|v| v["raggio_km"] = json!(20_000)),
    );
    let p = assert_problem(&r, 422);
    assert_eq!(p["field"], "vacancy.raggio_km");
    healthy(s.addr);
    // 1,500 km from Milano reaches Roma (477 km) and Palermo (887 km): the prefilter reads the
    // cell ranges of the term dictionary instead of listing every cell of the area.
    let r = post(
        s.addr,
        "/v1/shortlists",
        ALL,
        &with_vacancy(|v| {
            v["raggio_km"] = json!(1_500);
            v["comune"] = json!(MILANO);
        }),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["eligible_count"], 2);
}

#[test]
fn issue_11_1_the_cli_refuses_the_radius_with_a_named_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let cvs = dir.path().join("cvs.jsonl");
    std::fs::write(&cvs, format!("{}\n", candidate("C1", ROMA))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args(["index", "build", "--as-of", "2026-11-23", "--input"])
        .arg(&cvs)
        .arg("--index")
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = dir.path().join("v.json");
    let mut vac = vacancy()["vacancy"].clone();
    vac["raggio_km"] = json!(20_000);
    std::fs::write(&v, vac.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args(["shortlist", "--index"])
        .arg(&index)
        .arg("--vacancy")
        .arg(&v)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65), "bad input exits 65");
    assert!(String::from_utf8_lossy(&out.stderr).contains("raggio_km"));
}

#[test]
fn issue_11_2_a_one_megabyte_description_is_searched_up_to_the_term_bound_with_a_warning() {
    let (_dir, s) = server_with(&[("R1", ROMA)], "");
    // About 120,000 distinct words (1 MB): the model's query.max_terms (1,024 for v1) are
    // searched, the rest dropped and said.
    let mut text = String::with_capacity(1 << 20);
    let mut i = 0u32;
    while text.len() < (1 << 20) - 16 {
        text.push_str(&format!("parola{i} "));
        i += 1;
    }
    let r = post(
        s.addr,
        "/v1/shortlists",
        ALL,
        &with_vacancy(|v| v["descrizione"] = json!(text)),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let w = r.json()["warnings"][0].as_str().unwrap().to_owned();
    assert!(w.contains("more than 1024 distinct words"), "{w}");
    healthy(s.addr);
    // A vacancy of ordinary length gets no warning field at all (v1 rosas unchanged).
    let r = post(s.addr, "/v1/shortlists", ALL, &vacancy());
    assert!(r.json().get("warnings").is_none());
}

#[test]
fn issue_11_2_a_cancelled_shortlist_stops_with_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let idx = CandidateIndex::create(
        dir.path(),
        "2026-11-23".parse().unwrap(),
        &crate::matching_model(),
    )
    .unwrap();
    let c: CandidateRecord = serde_json::from_value(candidate("C1", ROMA)).unwrap();
    idx.upsert(
        &[
            c.validate(r, t, "2026-11-23".parse().unwrap(), &crate::titles())
                .unwrap(),
        ],
        t,
    )
    .unwrap();
    let engine = Engine::new(crate::catalog(), crate::matching_model(), Some(idx));
    let req: ShortlistRequest = serde_json::from_value(vacancy()).unwrap();
    let stop = Cancel::never();
    assert!(engine.shortlist(req.clone(), "test", &stop).is_ok());
    stop.cancel();
    assert!(matches!(
        engine.shortlist(req, "test", &stop),
        Err(incrocio_core::Error::Cancelled)
    ));
}

#[test]
fn issue_11_3_idle_connections_are_closed_and_do_not_starve_the_health_probe() {
    // The server runs in this process: its sockets count against this process's limit too.
    incrocio_http::raise_open_file_limit();
    let (_dir, s) = server_with(&[], "header_read_timeout_ms = 1500\n");
    // 1,100 connections that never send a request head.
    let idle: Vec<TcpStream> = (0..1_100)
        .map(|_| TcpStream::connect(s.addr).unwrap())
        .collect();
    healthy(s.addr);
    // A silent connection is closed by the server once the header timeout passes (the read
    // sees end of file; the loop is bounded at 30 s so the test cannot hang).
    let mut one = idle.into_iter().next().unwrap();
    one.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut buf = [0u8; 64];
    let n = one.read(&mut buf).unwrap_or(usize::MAX);
    assert!(n != usize::MAX, "the idle connection was not closed");
    // A kept-alive connection that goes quiet after its first request is closed too.
    let mut keep = TcpStream::connect(s.addr).unwrap();
    keep.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    keep.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut all = Vec::new();
    let _ = keep.read_to_end(&mut all);
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));
}

#[test]
fn issue_11_3_connections_past_the_limit_are_closed_at_once() {
    let (_dir, s) = server_with(&[], "max_connections = 4\n");
    let held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(s.addr).unwrap())
        .collect();
    // Let the server accept them.
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(s.addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = extra.read_to_end(&mut buf);
    assert!(buf.is_empty(), "answered past the limit");
    drop(held);
    // Once they are gone, the service answers again.
    let mut ok = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        let mut c = TcpStream::connect(s.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut b = Vec::new();
        let _ = c.read_to_end(&mut b);
        if b.starts_with(b"HTTP/1.1 200") {
            ok = true;
            break;
        }
    }
    assert!(ok);
}

#[test]
fn issue_11_4_head_needs_the_scope_of_get() {
    let (_dir, s) = server_with(&[("C1", ROMA)], "");
    let r = call(
        s.addr,
        "HEAD",
        "/v1/candidates/C1",
        Some(PROFILING_ONLY),
        None,
    );
    assert_eq!(r.status, 403);
    let r = call(
        s.addr,
        "HEAD",
        "/v1/candidates/NOPE",
        Some(PROFILING_ONLY),
        None,
    );
    assert_eq!(r.status, 403, "a missing id is not told apart");
}

#[test]
fn issue_11_5_unauthenticated_made_up_methods_do_not_grow_metrics() {
    let (_dir, s) = server_with(&[], "");
    for i in 0..30 {
        let _ = call(s.addr, &format!("FOOBAR{i}"), &format!("/x{i}"), None, None);
    }
    let m = String::from_utf8(call(s.addr, "GET", "/metrics", Some(ALL), None).body).unwrap();
    assert!(!m.contains("FOOBAR"));
    assert!(!m.contains("/x1"));
    assert!(m.contains("route=\"unmatched\",method=\"OTHER\""));
}

fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn issue_11_6_bodies_are_one_json_document_with_no_repeated_key_declared_as_json() {
    let (_dir, s) = server_with(&[], "");
    let body = format!("{} trailing", json!({"records": [record()]}));
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling",
        Some(ALL),
        Some(body.as_bytes()),
    );
    let p = assert_problem(&r, 400);
    assert!(
        p["detail"].as_str().unwrap().contains("after the JSON"),
        "{p}"
    );
    let dup = r#"{"records":[{"Id":"P1","Id":"P2","DataNascita":"1990-06-15","Genere":"F","Cittadinanza":"000","TitoloDiStudio":"40000000","ProvinciaDiResidenza":"NA","CondizioneOccupazionaleUnAnnoPrima":"disoccupato","DataDID":"2026-01-10"}]}"#;
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling",
        Some(ALL),
        Some(dup.as_bytes()),
    );
    let p = assert_problem(&r, 400);
    assert_eq!(p["field"], "records[0]");
    assert!(p["reason"].as_str().unwrap().contains("`Id` appears twice"));
    let body = json!({"records": [record()]}).to_string();
    let head = format!(
        "POST /v1/profiling HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {ALL}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (status, p) = raw(s.addr, &head, body.as_bytes());
    assert_eq!(status, 415);
    assert_eq!(p["type"], "urn:incrocio:problem:unsupported-media-type");
    let head = format!(
        "POST /v1/profiling HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {ALL}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    assert_eq!(raw(s.addr, &head, body.as_bytes()).0, 200);
}

#[test]
fn issue_11_6_language_codes_and_counts_are_checked() {
    let (_dir, s) = server_with(&[], "");
    for code in ["999", "", "zzz"] {
        let r = post(
            s.addr,
            "/v1/shortlists",
            ALL,
            &with_vacancy(|v| v["lingue"] = json!([{"codice": code, "livello": "B1"}])),
        );
        let p = assert_problem(&r, 422);
        assert_eq!(p["field"], "vacancy.lingue[0].codice", "{code:?}");
    }
    let nine: Vec<Value> = [
        "001", "002", "004", "005", "006", "007", "008", "009", "010",
    ]
    .iter()
    .map(|c| json!({"codice": c, "livello": "A1"}))
    .collect();
    let r = post(
        s.addr,
        "/v1/shortlists",
        ALL,
        &with_vacancy(|v| v["lingue"] = json!(nine)),
    );
    let p = assert_problem(&r, 422);
    assert_eq!(p["field"], "vacancy.lingue");
    let mut c = candidate("C9", ROMA);
    c["lingue"] = json!([{"codice": "999", "livello": "B2"}]);
    let r = call(
        s.addr,
        "PUT",
        "/v1/candidates/C9",
        Some(ALL),
        Some(c.to_string().as_bytes()),
    );
    assert_eq!(assert_problem(&r, 422)["field"], "lingue[0].codice");
}

#[test]
fn issue_11_6_an_alphabetic_language_is_its_own_language() {
    // `ALB` (albanese) and `ARA` (arabo) were both read as 0 and matched each other.
    let (_dir, s) = server_with(&[], "");
    let mut c = candidate("A1", ROMA);
    c["lingue"] = json!([{"codice": "ALB", "livello": "C2"}]);
    let r = call(
        s.addr,
        "PUT",
        "/v1/candidates/A1",
        Some(ALL),
        Some(c.to_string().as_bytes()),
    );
    assert_eq!(r.status, 201);
    let ask = |code: &str| {
        post(
            s.addr,
            "/v1/shortlists",
            ALL,
            &with_vacancy(|v| v["lingue"] = json!([{"codice": code, "livello": "B1"}])),
        )
        .json()["eligible_count"]
            .clone()
    };
    assert_eq!(ask("ALB"), 1);
    assert_eq!(ask("ARA"), 0);
}

#[test]
fn issue_11_6_rosa_sizes_outside_the_range_are_refused_not_clamped() {
    let (_dir, s) = server_with(&[("C1", ROMA)], "");
    for size in [json!(0), json!(101), json!(4_294_967_295u64)] {
        let mut body = vacancy();
        body["size"] = size.clone();
        let p = assert_problem(&post(s.addr, "/v1/shortlists", ALL, &body), 422);
        assert_eq!(p["field"], "size", "{size}");
    }
    let p = assert_problem(
        &post(
            s.addr,
            "/v1/shortlists",
            ALL,
            &with_vacancy(|v| v["dimensione_rosa"] = json!(0)),
        ),
        422,
    );
    assert_eq!(p["field"], "vacancy.dimensione_rosa");
    let mut body = vacancy();
    body["size"] = json!(100);
    assert_eq!(post(s.addr, "/v1/shortlists", ALL, &body).status, 200);
}

#[test]
fn issue_11_6_impossible_candidate_dates_and_durations_are_refused() {
    let (_dir, s) = server_with(&[], "");
    let cases: Vec<(Edit, &str)> = vec![
        (|c| c["data_did"] = json!("9999-01-01"), "data_did"),
        (
            |c| c["esperienze"][0]["fine"] = json!("2999-12-31"),
            "esperienze[0].fine",
        ),
        (
            |c| c["esperienze"][0]["mesi"] = json!(4_294_967_295u64),
            "esperienze[0].mesi",
        ),
        (|c| c["id"] = json!("X\u{0}Y"), "id"),
    ];
    for (edit, field) in cases {
        let mut c = candidate("D1", ROMA);
        edit(&mut c);
        let id = c["id"].as_str().unwrap().to_owned();
        let r = call(
            s.addr,
            "PUT",
            &format!("/v1/candidates/{}", id.replace('\u{0}', "%00")),
            Some(ALL),
            Some(c.to_string().as_bytes()),
        );
        let p = assert_problem(&r, 422);
        assert_eq!(p["field"], field, "{p}");
    }
}

fn graduatoria_call(edit: impl Fn(&mut Value)) -> Value {
    let mut call = json!({"rules": "art16-emilia-romagna", "request": {
        "publication_date": "2026-03-01", "posts": 2, "applicants": applicants()
    }});
    edit(&mut call);
    call
}

#[test]
fn issue_11_6_graduatoria_inputs_that_cannot_be_true_are_refused() {
    let (_dir, s) = server_with(&[], "");
    let cases: Vec<(Edit, &str)> = vec![
        (
            |c| c["request"]["applicants"][0]["data_nascita"] = json!("2027-01-01"),
            "data_nascita",
        ),
        (
            |c| c["request"]["applicants"][0]["data_did"] = json!("2026-03-02"),
            "data_did",
        ),
        (
            |c| c["request"]["deadline"] = json!("2026-02-01"),
            "deadline",
        ),
        (
            |c| {
                c["request"]["applicants"][0]["data_did"] = json!("2024-01-01");
                c["request"]["applicants"][0]["sospensioni"] = json!([
                    {"Dal": "2024-06-01", "Al": "2024-08-31"},
                    {"Dal": "2024-08-01", "Al": "2024-09-30"}
                ]);
            },
            "sospensioni",
        ),
        (
            |c| c["request"]["applicants"][0]["riserve"] = json!(["astronauti"]),
            "riserve[0]",
        ),
        (
            |c| c["request"]["applicants"][0]["id"] = json!("A\u{0}B"),
            "id",
        ),
    ];
    for (edit, field) in cases {
        let p = assert_problem(
            &post(s.addr, "/v1/graduatorie", ALL, &graduatoria_call(edit)),
            422,
        );
        assert_eq!(p["field"], field, "{p}");
    }
}

#[test]
fn issue_11_6_a_riesame_needs_the_previous_graduatoria_of_the_same_rules_and_notice() {
    let (_dir, s) = server_with(&[], "");
    let g = post(s.addr, "/v1/graduatorie", ALL, &graduatoria_call(|_| {})).json();
    let riesame = |previous: Value, rules: &str, publication: &str| {
        let mut c = graduatoria_call(|_| {});
        c["rules"] = json!(rules);
        c["request"]["publication_date"] = json!(publication);
        c["previous"] = previous;
        post(s.addr, "/v1/graduatorie/riesame", ALL, &c)
    };
    assert_eq!(
        riesame(g.clone(), "art16-emilia-romagna", "2026-03-01").status,
        200
    );
    let p = assert_problem(&riesame(g.clone(), "art16-campania", "2026-03-01"), 422);
    assert_eq!(p["field"], "previous.rules.id");
    let p = assert_problem(
        &riesame(g.clone(), "art16-emilia-romagna", "2026-04-01"),
        422,
    );
    assert_eq!(p["field"], "previous.publication_date");
    let mut twice = g.clone();
    let first = twice["inputs"][0].clone();
    twice["inputs"].as_array_mut().unwrap().push(first);
    let p = assert_problem(&riesame(twice, "art16-emilia-romagna", "2026-03-01"), 422);
    assert!(p["field"].as_str().unwrap().starts_with("previous.inputs["));
    let mut twice = g;
    let first = twice["ranking"][0].clone();
    twice["ranking"].as_array_mut().unwrap().push(first);
    let p = assert_problem(&riesame(twice, "art16-emilia-romagna", "2026-03-01"), 422);
    assert!(
        p["field"]
            .as_str()
            .unwrap()
            .starts_with("previous.ranking[")
    );
}

#[test]
fn issue_11_6_a_profiling_id_of_blanks_is_missing() {
    let (_dir, s) = server_with(&[], "");
    let mut r = record();
    r["Id"] = json!("   ");
    let p = assert_problem(
        &post(s.addr, "/v1/profiling", ALL, &json!({"records": [r]})),
        422,
    );
    assert_eq!(p["field"], "records[0].Id");
}

#[test]
fn issue_11_6_a_did_filed_during_the_notice_period_counts_from_the_end_of_the_job() {
    let (_dir, s) = server_with(&[], "");
    // DID on 10 January during the notice; the job ends on 31 March. At 15 June: unemployed
    // since 1 April, 2 whole months (not 5 from the DID), so the AdR's "more than four
    // months" is not met yet; without the end date it would be.
    let profile = |fine: Option<&str>| {
        let mut r = record();
        r["PercettoreNASpI"] = json!(true);
        if let Some(f) = fine {
            r["DataFineUltimoRapporto"] = json!(f);
        }
        let out = post(
            s.addr,
            "/v1/profiling",
            ALL,
            &json!({"as_of": "2026-06-15", "records": [r]}),
        );
        assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
        out.json()["profiles"][0].clone()
    };
    let early = profile(Some("2026-03-31"));
    assert_eq!(early["derived"]["mesi_disoccupazione"], 2);
    assert_eq!(early["adr"]["eligible"], false);
    let plain = profile(None);
    assert_eq!(plain["derived"]["mesi_disoccupazione"], 5);
    assert_eq!(plain["adr"]["eligible"], true);
    // A job that ended before the DID changes nothing.
    assert_eq!(
        profile(Some("2025-12-31"))["derived"]["mesi_disoccupazione"],
        5
    );
}

#[test]
fn issue_11_6_united_kingdom_citizens_are_outside_the_eu() {
    let (_dir, s) = server_with(&[], "");
    let mut r = record();
    r["Cittadinanza"] = json!("219");
    let out = post(s.addr, "/v1/profiling", ALL, &json!({"records": [r]})).json();
    let c = out["profiles"][0]["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["feature"] == "cittadinanza")
        .unwrap()
        .clone();
    assert_eq!(c["level"], "extra_ue", "{c}");
}

fn incrocio(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn issue_11_6_cli_graduatoria_with_a_truncated_previous_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/esempi/candidati-art16.csv"
    );
    let base = [
        "graduatoria",
        "--rules",
        "art16-emilia-romagna",
        "--applicants",
        csv,
        "--publication-date",
        "2026-03-01",
    ];
    let out = incrocio(d, &[&base[..], &["--output", "g0.json"]].concat());
    assert!(out.status.success());
    let full = std::fs::read_to_string(d.join("g0.json")).unwrap();
    std::fs::write(d.join("cut.json"), &full[..full.len() / 2]).unwrap();
    let out = incrocio(
        d,
        &[
            &base[..],
            &[
                "--previous",
                "cut.json",
                "--output",
                "g.json",
                "--csv",
                "g.csv",
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(65));
    assert!(!d.join("g.json").exists());
    assert!(!d.join("g.csv").exists());
}

#[test]
fn issue_11_6_cli_refuses_repeated_ids_empty_files_and_missing_model_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A repeated candidate id names both lines; nothing is indexed.
    std::fs::write(
        d.join("cvs.jsonl"),
        format!("{}\n{}\n", candidate("C1", ROMA), candidate("C1", MILANO)),
    )
    .unwrap();
    let out = incrocio(
        d,
        &[
            "index",
            "build",
            "--input",
            "cvs.jsonl",
            "--index",
            "idx",
            "--as-of",
            "2026-11-23",
        ],
    );
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2") && err.contains("line 1"), "{err}");
    // An empty applicants file is an error, not an empty graduatoria.
    std::fs::write(d.join("empty.csv"), "").unwrap();
    let out = incrocio(
        d,
        &[
            "graduatoria",
            "--rules",
            "art16-emilia-romagna",
            "--applicants",
            "empty.csv",
            "--publication-date",
            "2026-03-01",
        ],
    );
    assert_eq!(out.status.code(), Some(65));
    // A models folder that is not there fails the check (I/O: 74).
    let out = incrocio(d, &["--models", "no-such-folder", "models", "check"]);
    assert_eq!(out.status.code(), Some(74));
    // A folder whose own path holds "graduatorie/" is still read by its layout.
    let root = d.join("srv/graduatorie/x");
    std::fs::create_dir_all(root.join("profiling")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/models/profiling/did.v1.toml"),
        root.join("profiling/did.v1.toml"),
    )
    .unwrap();
    let out = incrocio(
        d,
        &["--models", "srv/graduatorie/x", "models", "list", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "profiling" && m["id"] == "did")
    );
    // Usage errors are 64, and `key new` lists the scopes.
    let out = incrocio(d, &["key", "new", "--id", "x", "--scope", "shortlist"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shortlists"));
}

#[test]
fn issue_11_6_reprofile_refuses_a_repeated_person_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = record().to_string();
    std::fs::write(d.join("people.jsonl"), format!("{r}\n{r}\n")).unwrap();
    let out = incrocio(
        d,
        &[
            "reprofile",
            "--input",
            "people.jsonl",
            "--as-of",
            "2026-11-23",
            "--output",
            "out.parquet",
            "--quiet",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(65),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("P1"));
    assert!(!d.join("out.parquet").exists());
}

#[test]
fn issue_11_9_models_list_includes_the_matching_model_and_logs_have_no_colour_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = incrocio(dir.path(), &["models", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("matching") && l.contains("default@v6"))
    );
    let out = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args(["profile", "--as-of", "2026-11-23", "no-such.json"])
        .env("INCROCIO_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74));
    assert!(!out.stderr.contains(&0x1b), "ANSI escape in piped stderr");
}

#[test]
fn issue_11_9_every_file_the_readme_and_docs_name_is_in_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = vec![std::fs::read_to_string(root.join("README.md")).unwrap()];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            texts.push(std::fs::read_to_string(p).unwrap());
        }
    }
    for text in &texts {
        assert!(!text.contains("shared/"), "a doc points into ../shared");
        for word in text.split(|c: char| c.is_whitespace() || "`()[],;".contains(c)) {
            for prefix in ["data/", "models/", "docs/", "benches/"] {
                if word.starts_with(prefix)
                    && word.contains('.')
                    && !word.contains(['*', '<', '{', '$'])
                {
                    let path = word.trim_end_matches(['.', ':']);
                    assert!(root.join(path).exists(), "named but missing: {path}");
                }
            }
        }
    }
    // The README's riesame step runs as written.
    let dir = tempfile::tempdir().unwrap();
    let csv = |name: &str| root.join("data/esempi").join(name).display().to_string();
    let run = |args: &[&str]| incrocio(dir.path(), args);
    let first = run(&[
        "graduatoria",
        "--rules",
        "art16-emilia-romagna",
        "--applicants",
        &csv("candidati-art16.csv"),
        "--publication-date",
        "2026-03-01",
        "--posts",
        "2",
        "--output",
        "g.json",
        "--csv",
        "g.csv",
    ]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = run(&[
        "graduatoria",
        "--rules",
        "art16-emilia-romagna",
        "--applicants",
        &csv("candidati-art16-rettificato.csv"),
        "--publication-date",
        "2026-03-01",
        "--posts",
        "2",
        "--previous",
        "g.json",
        "--output",
        "g2.json",
        "--riesame",
        "diff.json",
    ]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let diff: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("diff.json")).unwrap())
            .unwrap();
    assert_eq!(diff["corrected"], json!(["C-002", "C-008"]));
}

/// Issue 30.9: the CLI reads no value it cannot read exactly. A Parquet flag column typed as a
/// number (`PercettoreNASpI` = 1.5) or a count typed as a float (`Eta` = 44.5) is refused
/// naming its row and field, not cast to true or truncated to 44; an ISEE of 1e28 is refused
/// naming its applicant and field.
#[test]
fn issue_30_9_cli_refuses_a_float_flag_and_an_isee_of_1e28() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = |naspi: Column, eta: Column| {
        let mut df = DataFrame::new(
            2,
            vec![
                Column::new("Id".into(), ["P1", "P2"]),
                Column::new("DataNascita".into(), ["1980-01-01", "1980-01-01"]),
                Column::new("Genere".into(), ["F", "M"]),
                Column::new("Cittadinanza".into(), ["000", "000"]),
                Column::new("TitoloDiStudio".into(), ["40000000", "40000000"]),
                Column::new("ProvinciaDiResidenza".into(), ["MI", "MI"]),
                Column::new(
                    "CondizioneOccupazionaleUnAnnoPrima".into(),
                    ["disoccupato", "disoccupato"],
                ),
                Column::new("DataDID".into(), ["2026-01-31", "2026-01-31"]),
                naspi,
                eta,
            ],
        )
        .unwrap();
        let path = d.join("people.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
    };
    let reprofile = || {
        incrocio(
            d,
            &[
                "reprofile",
                "--input",
                "people.parquet",
                "--as-of",
                "2026-11-23",
                "--output",
                "out.parquet",
            ],
        )
    };
    people(
        Column::new("PercettoreNASpI".into(), [1.5f64, 1.0]),
        Column::new("Eta".into(), [46i64, 46]),
    );
    let out = reprofile();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PercettoreNASpI") && err.contains("1.5"),
        "{err}"
    );
    assert!(!d.join("out.parquet").exists());
    people(
        Column::new("PercettoreNASpI".into(), [true, false]),
        Column::new("Eta".into(), [44.5f64, 46.0]),
    );
    let out = reprofile();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Eta") && err.contains("44.5"), "{err}");
    // Integer flags 0/1 and integer counts are read as before.
    people(
        Column::new("PercettoreNASpI".into(), [1i64, 0]),
        Column::new("Eta".into(), [46i64, 46]),
    );
    let out = reprofile();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    std::fs::write(
        d.join("a.csv"),
        "id,data_nascita,data_did,sospensioni,data_iscrizione,isee,isee_valido,carichi,carichi_invalidi,invalidita,reddito,riserve\n\
         A,1990-05-01,2025-01-10,,,12500.00,true,1,0,,,\n\
         B,1985-02-01,2026-02-01,,,10000000000000000000000000000,true,0,0,,,\n",
    )
    .unwrap();
    let out = incrocio(
        d,
        &[
            "graduatoria",
            "--rules",
            "art16-emilia-romagna",
            "--applicants",
            "a.csv",
            "--publication-date",
            "2026-03-01",
        ],
    );
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("isee") && err.contains("100,000,000"), "{err}");
}

/// Issue 30.10: the vector rows no live candidate uses (here: the old rows of 6 replaced
/// candidates of 10; a write cut short by a crash leaves the same kind) give their memory back
/// when the index is opened and their disk at compaction, which the service runs at start.
/// Slots stay where they are, so every rosa is the same, to the byte.
#[test]
fn issue_30_10_orphan_vector_rows_are_reclaimed_on_open_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let day = "2026-11-23".parse().unwrap();
    let records = |n: usize, note: &str| -> Vec<incrocio_matching::Candidate> {
        (0..n)
            .map(|i| {
                let mut v = candidate(&format!("C{i}"), ROMA);
                v["sintesi"] = json!(note);
                let c: CandidateRecord = serde_json::from_value(v).unwrap();
                c.validate(r, t, day, &crate::titles()).unwrap()
            })
            .collect()
    };
    let idx = CandidateIndex::create(dir.path(), day, &crate::matching_model()).unwrap();
    idx.upsert(&records(10, "prima"), t).unwrap();
    idx.compact().unwrap();
    idx.upsert(&records(6, "seconda"), t).unwrap();
    assert_eq!((idx.vector_rows(), idx.vectors_held()), (16, 16));
    let req: ShortlistRequest = serde_json::from_value(vacancy()).unwrap();
    let rosa = |e: &Engine| {
        let d = e.shortlist(req.clone(), "test", &Cancel::never()).unwrap();
        let mut s = serde_json::to_value(e.record_blocking(d).unwrap().answer).unwrap();
        // The rosa's own id and time differ between runs; the ranking must not.
        s["rosa_id"] = json!(null);
        s["generated_at"] = json!(null);
        s.to_string()
    };
    let before = rosa(&Engine::new(
        crate::catalog(),
        crate::matching_model(),
        Some(idx),
    ));
    let base = dir.path().join("vectors.csr");
    let journal = dir.path().join("vectors.journal");
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    let (base0, journal0) = (size(&base), size(&journal));
    // Opened again: the 6 dead rows keep their slots and lose their vectors.
    let idx = CandidateIndex::open(dir.path()).unwrap();
    assert_eq!((idx.vector_rows(), idx.vectors_held()), (16, 10));
    // Compacted: the base holds every slot but only the live vectors, the journal is empty.
    assert_eq!(
        idx.compact().unwrap(),
        0,
        "already reclaimed in memory at open"
    );
    assert!(size(&journal) < journal0);
    let base1 = size(&base);
    let idx = CandidateIndex::open(dir.path()).unwrap();
    assert_eq!((idx.vector_rows(), idx.vectors_held()), (16, 10));
    let after = rosa(&Engine::new(
        crate::catalog(),
        crate::matching_model(),
        Some(idx),
    ));
    assert_eq!(before, after);
    // The base grew by the 6 new rows' slots but not by their 6 dead predecessors' vectors:
    // less than base0 + what the journal held.
    assert!(base1 < base0 + journal0, "{base1} vs {base0} + {journal0}");
}
