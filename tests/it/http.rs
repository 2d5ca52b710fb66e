//! The HTTP service against real servers on 127.0.0.1 (ephemeral ports): every route, auth,
//! limits, bad input, and durability across `kill -9` of a server process (issue 5).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use incrocio_engine::Engine;
use incrocio_http::Service;
use incrocio_http::config::{ServerConfig, key_hash};
use incrocio_matching::CandidateIndex;
use serde_json::{Value, json};

pub(crate) const ALL: &str = "key-all-scopes";
pub(crate) const PROFILING_ONLY: &str = "key-profiling-only";

/// A response: status, lower-case headers, body.
pub(crate) struct Res {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Res {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request on a fresh connection (no client library: the test sees the bytes).
pub(crate) fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&[u8]>,
) -> Res {
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    request(addr, method, path, &headers, body)
}

/// One HTTP/1.1 request with the given headers (a body is sent as `application/json`).
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Res {
    request_typed(addr, method, path, headers, "application/json", body)
}

/// One HTTP/1.1 request with the given headers and body media type.
pub(crate) fn request_typed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: Option<&[u8]>,
) -> Res {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or(b"");
    if !body.is_empty() || method == "POST" || method == "PUT" {
        req.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    // A server may answer before it has read the whole body (a 413 on the Content-Length)
    // and close: the rest of the body then meets a closed socket, and the answer already
    // sent is what the test reads.
    let closed = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        )
    };
    if let Err(e) = s.write_all(req.as_bytes()).and_then(|()| s.write_all(body))
        && !closed(&e)
    {
        panic!("writing the request: {e}");
    }
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if closed(&e) && !raw.is_empty() => break,
            Err(e) => panic!("reading the response: {e}"),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        body = dechunk(&body);
    }
    Res {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

/// PUTs candidates `{prefix}0` … `{prefix}{n-1}` in Rome; each must be created.
pub(crate) fn put_candidates(addr: SocketAddr, prefix: &str, n: usize) {
    for i in 0..n {
        let id = format!("{prefix}{i}");
        let body = candidate(&id, ROMA).to_string();
        let r = call(
            addr,
            "PUT",
            &format!("/v1/candidates/{id}"),
            Some(ALL),
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
}

pub(crate) fn post(addr: SocketAddr, path: &str, key: &str, body: &Value) -> Res {
    call(
        addr,
        "POST",
        path,
        Some(key),
        Some(body.to_string().as_bytes()),
    )
}

pub(crate) fn config_text(index: &Path, extra: &str) -> String {
    format!(
        "listen = \"127.0.0.1:0\"\nindex = \"{}\"\n{extra}\n[[keys]]\nid = \"all\"\nsha256 = \"{}\"\nscopes = [\"profiling\", \"shortlists\", \"candidates:write\", \"graduatorie\", \"vacancies:write\"]\n\n[[keys]]\nid = \"prof\"\nsha256 = \"{}\"\nscopes = [\"profiling\"]\n",
        index.display(),
        key_hash(ALL),
        key_hash(PROFILING_ONLY)
    )
}

/// An in-process server on its own runtime thread; dropped = shut down gracefully.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub(crate) fn start(index: &Path, extra: &str) -> Server {
        let config = ServerConfig::parse("test.toml", &config_text(index, extra)).unwrap();
        let idx = if index.join("FORMAT").exists() {
            CandidateIndex::open(index).unwrap()
        } else {
            CandidateIndex::create(
                index,
                "2026-11-23".parse().unwrap(),
                &crate::matching_model(),
            )
            .unwrap()
        };
        let mut engine = Engine::new(crate::catalog(), crate::matching_model(), Some(idx));
        // Before the address is handed out, so no request waits on it.
        engine.warm_up();
        if let Some(dir) = &config.vacancies {
            let board = engine.open_vacancies(dir).unwrap();
            engine = engine.with_vacancies(board);
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let service = Service::new(engine, &config).unwrap();
                service
                    .serve(listener, async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub(crate) const ROMA: &str = "058091";

pub(crate) fn candidate(id: &str, comune: &str) -> Value {
    json!({
        "id": id, "comune_domicilio": comune, "stato": "attivo",
        "titolo_studio": "40000000",
        "esperienze": [{"cp2011": "3.1.2.3.0", "mesi": 36}],
        "patenti": ["02"],
        "sintesi": "sviluppo siti web e gestione contenuti"
    })
}

pub(crate) fn vacancy() -> Value {
    json!({"vacancy": {
        "id": "V1", "titolo": "webmaster", "comune": ROMA, "raggio_km": 25,
        "contratto": "A01", "patenti": ["02"]
    }})
}

pub(crate) fn record() -> Value {
    json!({"Id": "P1", "DataNascita": "1990-06-15", "Genere": "F", "Cittadinanza": "000",
           "TitoloDiStudio": "40000000", "ProvinciaDiResidenza": "NA",
           "CondizioneOccupazionaleUnAnnoPrima": "disoccupato", "DataDID": "2026-01-10"})
}

pub(crate) fn assert_problem(r: &Res, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    assert_eq!(p["status"], status);
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:incrocio:problem:")
    );
    p
}

#[test]
fn health_auth_and_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    assert_eq!(call(s.addr, "GET", "/healthz", None, None).status, 200);
    assert_eq!(call(s.addr, "GET", "/readyz", None, None).status, 200);
    let r = call(s.addr, "GET", "/v1/models", None, None);
    assert_problem(&r, 401);
    assert!(r.header("www-authenticate").is_some());
    assert_problem(&call(s.addr, "GET", "/v1/models", Some("wrong"), None), 401);
    let r = post(s.addr, "/v1/shortlists", PROFILING_ONLY, &vacancy());
    assert_eq!(assert_problem(&r, 403)["required_scope"], "shortlists");
    // X-Api-Key works too, and the models list carries every kind with digests.
    let mut st = TcpStream::connect(s.addr).unwrap();
    write!(
        st,
        "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Api-Key: {PROFILING_ONLY}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    st.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let models = call(s.addr, "GET", "/v1/models", Some(ALL), None).json();
    let kinds: Vec<&str> = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    for k in ["profiling", "adr", "graduatoria", "matching"] {
        assert!(kinds.contains(&k), "{k}");
    }
    assert!(models[0]["digest"].as_str().unwrap().starts_with("sha256:"));
    // Every response carries a request id.
    assert!(
        call(s.addr, "GET", "/healthz", None, None)
            .header("x-request-id")
            .is_some()
    );
    s.stop();
}

#[test]
fn profiling_one_and_many_and_bad_input_named() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let r = post(
        s.addr,
        "/v1/profiling",
        PROFILING_ONLY,
        &json!({"as_of": "2026-11-23", "records": [record(), record()]}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["profiles"].as_array().unwrap().len(), 2);
    let p = &v["profiles"][0];
    assert!((0.0..=1.0).contains(&p["index"].as_f64().unwrap()));
    assert_eq!(p["model"]["id"], "did");
    assert_eq!(p["model"]["status"], "illustrative");
    assert_eq!(p["next_review_at"], "2027-02-21");
    // The same answer as the library gives.
    let engine = Engine::bundled().unwrap();
    let lib = engine
        .profiler("did")
        .unwrap()
        .profile(
            &serde_json::from_value(record()).unwrap(),
            "2026-11-23".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(p["index"].as_f64().unwrap(), lib.index);

    // The records alone (an array, or one), with model and date in the query string.
    let arr = serde_json::to_vec(&json!([record(), record()])).unwrap();
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling?as_of=2026-11-23&model=did%40v1",
        Some(ALL),
        Some(&arr),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["profiles"].as_array().unwrap().len(), 2);
    assert_eq!(r.json()["profiles"][1]["index"], p["index"]);
    let one = serde_json::to_vec(&record()).unwrap();
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling?as_of=2026-11-23",
        Some(ALL),
        Some(&one),
    );
    assert_eq!(r.json()["profiles"][0]["person_id"], "P1");
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling?as_of=tomorrow",
        Some(ALL),
        Some(&one),
    );
    assert_eq!(assert_problem(&r, 422)["field"], "(query)");
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling?colour=red",
        Some(ALL),
        Some(&one),
    );
    assert_problem(&r, 422);
    // A bad code: 422 naming the record's position and field.
    let mut bad = record();
    bad["ProvinciaDiResidenza"] = json!("ZZ");
    let r = post(
        s.addr,
        "/v1/profiling",
        ALL,
        &json!({"records": [record(), bad]}),
    );
    let p = assert_problem(&r, 422);
    assert_eq!(p["field"], "records[1].ProvinciaDiResidenza");
    assert!(p["reason"].as_str().unwrap().contains("ZZ"));
    // Not JSON of the right shape: 400 with the path.
    let r = post(
        s.addr,
        "/v1/profiling",
        ALL,
        &json!({"records": [{"Id": 5}]}),
    );
    assert_eq!(assert_problem(&r, 400)["field"], "records[0].Id");
    let r = post(
        s.addr,
        "/v1/profiling",
        ALL,
        &json!({"records": [], "colour": 1}),
    );
    let p = assert_problem(&r, 400);
    assert!(p["reason"].as_str().unwrap().contains("colour"), "{p}");
    let r = call(
        s.addr,
        "POST",
        "/v1/profiling",
        Some(ALL),
        Some(b"{not json"),
    );
    assert_problem(&r, 400);
    let r = post(s.addr, "/v1/profiling", ALL, &json!({"records": []}));
    assert_eq!(assert_problem(&r, 422)["field"], "records");
    let r = post(
        s.addr,
        "/v1/profiling",
        ALL,
        &json!({"model": "nope", "records": [record()]}),
    );
    assert_eq!(assert_problem(&r, 422)["field"], "model");
    // Unknown route and wrong method are problems too.
    assert_problem(&call(s.addr, "GET", "/v1/nothing", Some(ALL), None), 404);
    assert_problem(&call(s.addr, "GET", "/v1/profiling", Some(ALL), None), 405);
    s.stop();
}

#[test]
fn body_limit_is_413() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "body_limit_bytes = 1000");
    let big = json!({"records": vec![record(); 20]});
    let r = post(s.addr, "/v1/profiling", ALL, &big);
    assert_problem(&r, 413);
    s.stop();
}

#[test]
fn candidates_upkeep_and_shortlists() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let a = s.addr;
    let body = candidate("C1", ROMA).to_string();
    let r = call(
        a,
        "PUT",
        "/v1/candidates/C1",
        Some(ALL),
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["indexed"], 1);
    // Visible at once: the write was acknowledged after its commit.
    let sl = post(a, "/v1/shortlists", ALL, &vacancy());
    assert_eq!(sl.status, 200, "{}", String::from_utf8_lossy(&sl.body));
    let v = sl.json();
    assert_eq!(v["rosa"][0]["candidate_id"], "C1");
    assert_eq!(v["eligible_count"], 1);
    assert_eq!(v["model"], "default@v6");
    assert!(v["input_digest"].as_str().unwrap().starts_with("sha256:"));
    // The vacancy alone, size from the query string.
    let bare = serde_json::to_vec(&vacancy()["vacancy"]).unwrap();
    let r = call(a, "POST", "/v1/shortlists?size=1", Some(ALL), Some(&bare));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["rosa_size"], 1);
    // GET returns what was written; a replacement is 200.
    let got = call(a, "GET", "/v1/candidates/C1", Some(PROFILING_ONLY), None);
    assert_problem(&got, 403);
    let got = call(a, "GET", "/v1/candidates/C1", Some(ALL), None);
    assert_eq!(
        got.json(),
        serde_json::to_value(
            serde_json::from_value::<incrocio_matching::CandidateRecord>(candidate("C1", ROMA))
                .unwrap()
        )
        .unwrap()
    );
    let r = call(
        a,
        "PUT",
        "/v1/candidates/C1",
        Some(ALL),
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 200);
    // Bad writes name the field.
    let r = call(
        a,
        "PUT",
        "/v1/candidates/C2",
        Some(ALL),
        Some(body.as_bytes()),
    );
    assert_eq!(assert_problem(&r, 422)["field"], "id");
    let bad = candidate("C3", "999999").to_string();
    let r = call(
        a,
        "PUT",
        "/v1/candidates/C3",
        Some(ALL),
        Some(bad.as_bytes()),
    );
    let p = assert_problem(&r, 422);
    assert_eq!(p["field"], "comune_domicilio");
    assert_eq!(p["record_id"], "C3");
    let mut v = vacancy();
    v["vacancy"]["comune"] = json!("000000");
    assert_eq!(
        assert_problem(&post(a, "/v1/shortlists", ALL, &v), 422)["field"],
        "vacancy.comune"
    );
    // Delete: 204, then 404.
    assert_eq!(
        call(a, "DELETE", "/v1/candidates/C1", Some(ALL), None).status,
        204
    );
    assert_problem(&call(a, "GET", "/v1/candidates/C1", Some(ALL), None), 404);
    assert_problem(
        &call(a, "DELETE", "/v1/candidates/C1", Some(ALL), None),
        404,
    );
    assert_eq!(
        post(a, "/v1/shortlists", ALL, &vacancy()).json()["eligible_count"],
        0
    );
    // Metrics saw all of it.
    let m = String::from_utf8(call(a, "GET", "/metrics", Some(ALL), None).body).unwrap();
    assert!(m.contains("incrocio_http_requests_total{route=\"/v1/candidates/{id}\",method=\"PUT\",status=\"201\"} 1"), "{m}");
    assert!(m.contains("incrocio_candidates_indexed 0"));
    s.stop();
}

#[test]
fn graceful_shutdown_keeps_acknowledged_writes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    put_candidates(s.addr, "G", 5);
    s.stop();
    let idx = CandidateIndex::open(dir.path()).unwrap();
    assert_eq!(idx.len().unwrap(), 5);
    assert!(idx.get("G3").unwrap().is_some());
}

pub(crate) fn applicants() -> Value {
    let a = incrocio_graduatoria::files::read_applicants(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/esempi/candidati-art16.csv"
    )))
    .unwrap();
    serde_json::to_value(a).unwrap()
}

#[test]
fn graduatorie_and_riesame() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let call_body = json!({"rules": "art16-emilia-romagna", "request": {
        "publication_date": "2026-03-01", "posts": 2, "applicants": applicants()
    }});
    let r = post(s.addr, "/v1/graduatorie", ALL, &call_body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let g = r.json();
    assert_eq!(g["rules"]["id"], "art16-emilia-romagna");
    assert!(g["ranking"].as_array().unwrap().len() >= 2);
    // The same bytes as the library's graduatoria: deterministic and nothing added.
    let lib = Engine::bundled()
        .unwrap()
        .graduatoria(
            &serde_json::from_value(call_body.clone()).unwrap(),
            "test",
            &incrocio_core::cancel::Cancel::never(),
        )
        .unwrap()
        .without_records()
        .unwrap();
    assert_eq!(g, serde_json::to_value(&lib).unwrap());
    // Riesame: the first applicant's ISEE corrected upwards.
    let mut corrected = call_body["request"].clone();
    corrected["applicants"][0]["isee"] = json!("99999.00");
    let r = post(
        s.addr,
        "/v1/graduatorie/riesame",
        ALL,
        &json!({"rules": "art16-emilia-romagna", "request": corrected, "previous": g}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let first = call_body["request"]["applicants"][0]["id"]
        .as_str()
        .unwrap();
    assert_eq!(v["riesame"]["corrected"], json!([first]));
    let moved = v["riesame"]["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["applicant_id"] == first)
        .expect("the corrected applicant's total changes");
    assert_ne!(moved["total_before"], moved["total_after"]);
    assert_eq!(moved["own_changes"][0]["field"], "isee");
    // The same as recomputing with the library.
    let lib = Engine::bundled()
        .unwrap()
        .graduatoria(
            &serde_json::from_value(json!({"rules": "art16-emilia-romagna", "request": corrected}))
                .unwrap(),
            "test",
            &incrocio_core::cancel::Cancel::never(),
        )
        .unwrap()
        .without_records()
        .unwrap();
    assert_eq!(v["graduatoria"], serde_json::to_value(&lib).unwrap());
    // A rule set whose act leaves parameters unknown cannot rank: the caller's error.
    let mut umbria = call_body.clone();
    umbria["rules"] = json!("art16-umbria");
    assert_eq!(
        assert_problem(&post(s.addr, "/v1/graduatorie", ALL, &umbria), 422)["field"],
        "rules"
    );
    s.stop();
}

#[test]
fn the_served_openapi_document_is_the_committed_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let r = call(s.addr, "GET", "/openapi.json", Some(PROFILING_ONLY), None);
    assert_eq!(r.status, 200);
    let committed: Value = serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    assert_eq!(r.json(), committed);
    s.stop();
}

/// Starts `incrocio serve` as a process; returns it and its address (from its first line).
pub(crate) fn spawn_server(config: &Path) -> (Child, SocketAddr) {
    spawn_with(config, &[], &[])
}

pub(crate) fn spawn_with(
    config: &Path,
    args: &[&str],
    env: &[(&str, String)],
) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_incrocio"))
        .args(["serve", "--create-index", "--config"])
        .arg(config)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

#[test]
fn r5_acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, config_text(&index, "")).unwrap();
    let (mut child, addr) = spawn_server(&config);
    // Concurrent writers, so some writes are group-committed together.
    let handles: Vec<_> = (0..4)
        .map(|t| std::thread::spawn(move || put_candidates(addr, &format!("K{t}-"), 10)))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    let (mut child, addr) = spawn_server(&config);
    for t in 0..4 {
        for i in 0..10 {
            let r = call(
                addr,
                "GET",
                &format!("/v1/candidates/K{t}-{i}"),
                Some(ALL),
                None,
            );
            assert_eq!(r.status, 200, "K{t}-{i} lost after kill -9");
        }
    }
    let mut v = vacancy();
    v["size"] = json!(50);
    let sl = post(addr, "/v1/shortlists", ALL, &v).json();
    assert_eq!(sl["eligible_count"], 40);
    child.kill().unwrap();
    child.wait().unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn configuration_precedence_is_flags_then_environment_then_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, config_text(&dir.path().join("index"), "")).unwrap();
    // The file says port 0 (any); the environment names a port: the environment wins.
    let port = free_port();
    let env = [("INCROCIO_LISTEN", format!("127.0.0.1:{port}"))];
    let (mut child, addr) = spawn_with(&config, &[], &env);
    assert_eq!(addr.port(), port);
    assert_eq!(call(addr, "GET", "/healthz", None, None).status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
    // A flag beats the environment.
    let other = free_port();
    let flag = format!("127.0.0.1:{other}");
    let (mut child, addr) = spawn_with(&config, &["--listen", &flag], &env);
    assert_eq!(addr.port(), other);
    // The file's keys still apply.
    assert_eq!(call(addr, "GET", "/v1/models", Some(ALL), None).status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A request with the all-scopes key and a body of the given media type.
pub(crate) fn call_typed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: Option<&[u8]>,
) -> Res {
    let auth = format!("Bearer {ALL}");
    request_typed(
        addr,
        method,
        path,
        &[("Authorization", auth.as_str())],
        content_type,
        body,
    )
}

/// A request with the all-scopes key and extra headers.
fn call_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Res {
    let auth = format!("Bearer {ALL}");
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    request(addr, method, path, &all, body)
}

#[test]
fn etags_and_if_match_guard_candidate_writes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "");
    let path = "/v1/candidates/E1";
    let v1 = candidate("E1", ROMA).to_string();
    let r = call_with(s.addr, "PUT", path, &[], Some(v1.as_bytes()));
    assert_eq!(r.status, 201);
    let put_tag = r.header("etag").unwrap().to_owned();
    let r = call_with(s.addr, "GET", path, &[], None);
    let tag = r.header("etag").unwrap().to_owned();
    assert_eq!(tag, put_tag, "PUT and GET name the same version");
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    // A write naming that version goes through and changes it.
    let mut changed = candidate("E1", ROMA);
    changed["sintesi"] = json!("esperienza in magazzino");
    let v2 = changed.to_string();
    let r = call_with(
        s.addr,
        "PUT",
        path,
        &[("If-Match", &tag)],
        Some(v2.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tag2 = r.header("etag").unwrap().to_owned();
    assert_ne!(tag2, tag);
    // The old version is stale now: a write naming it is refused, and nothing changes.
    let r = call_with(
        s.addr,
        "PUT",
        path,
        &[("If-Match", &tag)],
        Some(v1.as_bytes()),
    );
    assert_problem(&r, 412);
    assert!(String::from_utf8_lossy(&r.body).contains(tag2.trim_matches('"')));
    let r = call_with(s.addr, "DELETE", path, &[("If-Match", &tag)], None);
    assert_problem(&r, 412);
    assert_eq!(
        call_with(s.addr, "GET", path, &[], None).header("etag"),
        Some(tag2.as_str())
    );
    // A malformed If-Match is a 422 naming the header; `*` matches any stored version.
    let r = call_with(s.addr, "DELETE", path, &[("If-Match", "a, b")], None);
    assert_problem(&r, 422);
    let r = call_with(s.addr, "DELETE", path, &[("If-Match", "*")], None);
    assert_eq!(r.status, 204);
    // Nothing stored: If-Match fails, even `*`.
    let r = call_with(
        s.addr,
        "PUT",
        path,
        &[("If-Match", "*")],
        Some(v1.as_bytes()),
    );
    assert_problem(&r, 412);
    s.stop();
}

/// Issue 30.3: `If-None-Match: *` creates only (412 over an existing candidate or vacancy,
/// nothing overwritten); vacancies carry ETags and take `If-Match` on PUT and DELETE.
#[test]
fn issue_30_3_if_none_match_and_vacancy_etags_guard_every_single_write() {
    let dir = tempfile::tempdir().unwrap();
    let board = dir.path().join("bacheca");
    let s = Server::start(
        &dir.path().join("index"),
        &format!("vacancies = \"{}\"", board.display()),
    );
    let path = "/v1/candidates/N1";
    let v1 = candidate("N1", ROMA).to_string();
    let create = [("If-None-Match", "*")];
    let r = call_with(s.addr, "PUT", path, &create, Some(v1.as_bytes()));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let tag = r.header("etag").unwrap().to_owned();
    let mut changed = candidate("N1", ROMA);
    changed["sintesi"] = json!("altro");
    let v2 = changed.to_string();
    let r = call_with(s.addr, "PUT", path, &create, Some(v2.as_bytes()));
    let p = assert_problem(&r, 412);
    assert!(
        p["detail"].as_str().unwrap().contains("If-None-Match"),
        "{p}"
    );
    assert_eq!(
        call_with(s.addr, "GET", path, &[], None).header("etag"),
        Some(tag.as_str()),
        "not overwritten"
    );
    // If-None-Match with the stored tag fails; with another tag it holds.
    let r = call_with(
        s.addr,
        "PUT",
        path,
        &[("If-None-Match", &tag)],
        Some(v2.as_bytes()),
    );
    assert_problem(&r, 412);
    let r = call_with(
        s.addr,
        "PUT",
        path,
        &[("If-None-Match", "\"0000\", \"1111\"")],
        Some(v2.as_bytes()),
    );
    assert_eq!(r.status, 200);
    // A malformed If-None-Match is named, never ignored.
    let r = call_with(
        s.addr,
        "PUT",
        path,
        &[("If-None-Match", "abc")],
        Some(v2.as_bytes()),
    );
    assert_eq!(assert_problem(&r, 422)["field"], "If-None-Match");

    let vpath = "/v1/vacancies/W1";
    let v = json!({"id": "W1", "titolo": "Tecnici web", "cp2011": "3.1.2.3.0", "comune": "058091",
                   "raggio_km": 25, "contratto": "A00", "modalita": "FT"});
    let r = call_with(
        s.addr,
        "PUT",
        vpath,
        &create,
        Some(v.to_string().as_bytes()),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let vtag = r.header("etag").unwrap().to_owned();
    let r = call_with(s.addr, "GET", vpath, &[], None);
    assert_eq!(
        r.header("etag"),
        Some(vtag.as_str()),
        "PUT and GET name the same version"
    );
    let r = call_with(
        s.addr,
        "PUT",
        vpath,
        &create,
        Some(v.to_string().as_bytes()),
    );
    assert_problem(&r, 412);
    let mut v2 = v.clone();
    v2["titolo"] = json!("Sviluppatori web");
    let r = call_with(
        s.addr,
        "PUT",
        vpath,
        &[("If-Match", &vtag)],
        Some(v2.to_string().as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let vtag2 = r.header("etag").unwrap().to_owned();
    assert_ne!(vtag2, vtag);
    // The stale tag: replaced neither by PUT nor by DELETE.
    let r = call_with(
        s.addr,
        "PUT",
        vpath,
        &[("If-Match", &vtag)],
        Some(v.to_string().as_bytes()),
    );
    assert_problem(&r, 412);
    let r = call_with(s.addr, "DELETE", vpath, &[("If-Match", &vtag)], None);
    assert_problem(&r, 412);
    assert_eq!(
        call_with(s.addr, "GET", vpath, &[], None).json()["titolo"],
        "Sviluppatori web"
    );
    let r = call_with(s.addr, "DELETE", vpath, &[("If-Match", &vtag2)], None);
    assert_eq!(r.status, 204);
    s.stop();
}

/// Issue 30.7: the HTTP edges. The answers hyper makes on its own (a 100,000-character
/// target, a 200 kB header, bytes that are not HTTP) are problem+json like every other
/// non-2xx; a gzip body is refused (415), not read as plain; the Bearer scheme is taken in any
/// case.
#[test]
fn issue_30_7_every_edge_answers_problem_json() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "");
    let long = format!("/v1/candidates/{}", "a".repeat(100_000));
    let r = call_with(s.addr, "GET", &long, &[], None);
    assert_eq!(
        assert_problem(&r, 414)["type"],
        "urn:incrocio:problem:uri-too-long"
    );
    let big = "b".repeat(200_000);
    let r = call_with(s.addr, "GET", "/healthz", &[("X-Padding", &big)], None);
    assert_eq!(
        assert_problem(&r, 431)["type"],
        "urn:incrocio:problem:header-fields-too-large"
    );
    let mut raw = TcpStream::connect(s.addr).unwrap();
    raw.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("\"status\":400"), "{answer}");
    // A compressed body is refused by name, before it is parsed.
    let body = candidate("G1", ROMA).to_string();
    let r = call_with(
        s.addr,
        "PUT",
        "/v1/candidates/G1",
        &[("Content-Encoding", "gzip")],
        Some(body.as_bytes()),
    );
    let p = assert_problem(&r, 415);
    assert!(p["detail"].as_str().unwrap().contains("gzip"), "{p}");
    let r = call_with(
        s.addr,
        "PUT",
        "/v1/candidates/G1",
        &[("Content-Encoding", "identity")],
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 201);
    // The scheme in any case; an unknown scheme or an empty token is no key.
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let auth = format!("{scheme} {ALL}");
        let r = request(
            s.addr,
            "GET",
            "/v1/models",
            &[("Authorization", &auth)],
            None,
        );
        assert_eq!(r.status, 200, "{scheme}");
    }
    for auth in [format!("Basic {ALL}"), "Bearer ".to_owned(), ALL.to_owned()] {
        let r = request(
            s.addr,
            "GET",
            "/v1/models",
            &[("Authorization", &auth)],
            None,
        );
        assert_problem(&r, 401);
    }
    s.stop();
}

/// Issue 30.8: cursor and bulk edges. `after=` empty is the first page; `after=%FF` is a 422
/// naming `after` (never decoded lossily into an empty page); an empty bulk body is a 422; a
/// truncated last NDJSON line is named at its item, as cut short; the same id twice in one
/// request: applied in order, the last wins.
#[test]
fn issue_30_8_cursor_and_bulk_edges() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "");
    let a = candidate("D1", ROMA).to_string();
    let mut b = candidate("D1", ROMA);
    b["sintesi"] = json!("seconda versione");
    let b = b.to_string();
    let lines = format!("{a}\n{b}\n");
    let r = call_typed(
        s.addr,
        "POST",
        "/v1/candidates:bulk",
        "application/x-ndjson",
        Some(lines.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let out = r.json();
    assert_eq!(out["items"][0]["result"], "created");
    assert_eq!(out["items"][1]["result"], "replaced");
    let got = call_with(s.addr, "GET", "/v1/candidates/D1", &[], None).json();
    assert_eq!(got["sintesi"], "seconda versione");

    let r = call_with(s.addr, "GET", "/v1/candidates?after=&limit=10", &[], None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["candidates"][0]["id"], "D1");
    let r = call_with(s.addr, "GET", "/v1/candidates?after=%FF", &[], None);
    assert_eq!(assert_problem(&r, 422)["field"], "after");

    for (ct, body) in [
        ("application/x-ndjson", ""),
        ("application/x-ndjson", "\n\n"),
        ("application/json", "[]"),
    ] {
        let r = call_typed(
            s.addr,
            "POST",
            "/v1/candidates:bulk",
            ct,
            Some(body.as_bytes()),
        );
        assert_eq!(assert_problem(&r, 422)["field"], "(body)", "{ct} {body:?}");
    }
    let cut = &b[..b.len() / 2];
    let lines = format!("{a}\n{cut}");
    let r = call_typed(
        s.addr,
        "POST",
        "/v1/candidates:bulk",
        "application/x-ndjson",
        Some(lines.as_bytes()),
    );
    let item = &r.json()["items"][1];
    assert_eq!(item["result"], "invalid");
    assert_eq!(item["field"], "[1]", "{item}");
    assert!(
        item["reason"].as_str().unwrap().contains("truncated"),
        "{item}"
    );
    s.stop();
}

#[test]
fn every_bad_record_is_named_and_skip_profiles_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "");
    let mut bad1 = record();
    bad1["Id"] = json!("B1");
    bad1["Genere"] = json!("X");
    let mut bad2 = record();
    bad2["Id"] = json!("B2");
    bad2["TitoloDiStudio"] = json!("99999999");
    let body = json!({"as_of": "2026-11-23", "records": [record(), bad1, record(), bad2]});
    // Default: nothing profiled, every invalid record listed with its place.
    let r = post(s.addr, "/v1/profiling", ALL, &body);
    let p = assert_problem(&r, 422);
    let errors = p["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{p}");
    assert_eq!(errors[0]["field"], "records[1].Genere");
    assert_eq!(errors[0]["record_id"], "B1");
    assert_eq!(errors[1]["field"], "records[3].TitoloDiStudio");
    assert_eq!(p["field"], "records[1].Genere");
    // ?on_error=skip: the two good ones profiled, the two bad ones listed.
    let r = post(s.addr, "/v1/profiling?on_error=skip", ALL, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let out = r.json();
    assert_eq!(out["profiles"].as_array().unwrap().len(), 2);
    assert_eq!(out["errors"].as_array().unwrap().len(), 2);
    assert_eq!(out["errors"][1]["record_id"], "B2");
    // One bad record alone: the same 422 as before, naming it.
    let r = post(
        s.addr,
        "/v1/profiling",
        ALL,
        &json!([record(), body["records"][1]]),
    );
    let p = assert_problem(&r, 422);
    assert_eq!(p["field"], "records[1].Genere");
    s.stop();
}
