//! Issue 29: documents written the way regional systems write them
//! (`tests/fixtures/documents`, made by its `make.py`, each outcome written there by hand).
//! Every document is checked with xmllint against its schema, then read: the imported and
//! profiled ones with the facts their case states, the refusals naming their element.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use incrocio_core::cancel::Cancel;
use incrocio_core::reference::Reference;
use incrocio_engine::{Engine, ProfilingRequest};
use incrocio_exchange::did;
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join("cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn today() -> NaiveDate {
    "2026-11-23".parse().unwrap()
}

fn engine() -> Engine {
    Engine::new(crate::catalog(), crate::matching_model(), None)
}

/// Whether xmllint finds the file valid against `schema` (in `data/xsd`).
fn schema_valid(schema: &str, file: &Path) -> bool {
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/xsd")
                .join(schema),
        )
        .arg(file)
        .output()
        .expect("xmllint (Debian libxml2-utils) is needed by these tests; ./test.sh brings it");
    out.status.success()
}

#[test]
fn the_corpus_is_at_least_thirty_documents_each_as_xmllint_says() {
    let all = cases();
    assert!(all.len() >= 30, "{} documents", all.len());
    for c in &all {
        let file = dir().join(c["file"].as_str().unwrap());
        assert_eq!(
            schema_valid(c["schema"].as_str().unwrap(), &file),
            c["valid"].as_bool().unwrap(),
            "{}",
            file.display()
        );
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_sap_of_the_corpus_is_read_with_its_facts_or_refused_at_its_element() {
    let engine = engine();
    for c in cases().iter().filter(|c| c["kind"] == "sap") {
        let name = c["file"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(name)).unwrap();
        let read = engine.sap_candidates(&bytes, today(), &Cancel::never());
        if c["ok"] == false {
            let field = match read {
                Err(incrocio_core::Error::Input(e)) => e.field,
                Ok(items) => match items.into_iter().next() {
                    Some(Err(e)) => e.field,
                    other => panic!("{name}: read, expected a refusal: {other:?}"),
                },
                Err(e) => panic!("{name}: {e}"),
            };
            assert_eq!(field, c["field"].as_str().unwrap(), "{name}");
            continue;
        }
        let items: Vec<_> = read
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .into_iter()
            .map(|i| i.unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        assert_eq!(
            items.len() as u64,
            c["items"].as_u64().unwrap_or(1),
            "{name}"
        );
        let count =
            |f: fn(&incrocio_engine::SapImported) -> u64| -> u64 { items.iter().map(f).sum() };
        assert_eq!(
            count(|i| i.mapped.0.values().sum()),
            c["mapped"].as_u64().unwrap_or(0),
            "{name}: voci mapped"
        );
        assert_eq!(
            count(|i| i.empty.0.values().sum()),
            c["empty"].as_u64().unwrap_or(0),
            "{name}: empty elements skipped"
        );
        if let Some(a) = c["assumed"].as_str() {
            assert!(
                items[0].assumed.iter().any(|x| x.starts_with(a)),
                "{name}: {:?}",
                items[0].assumed
            );
        }
        let r = &items[0].candidate.record;
        for (k, v) in c["facts"].as_object().unwrap() {
            match k.as_str() {
                "id" => assert_eq!(r.id, v.as_str().unwrap(), "{name}"),
                "comune_domicilio" => assert_eq!(r.comune_domicilio, v.as_str().unwrap(), "{name}"),
                "titolo_studio" => assert_eq!(r.titolo_studio.as_deref(), v.as_str(), "{name}"),
                "esperienze" => assert_eq!(
                    r.esperienze
                        .iter()
                        .map(|e| e.cp2011.clone().unwrap())
                        .collect::<Vec<_>>(),
                    strs(v),
                    "{name}"
                ),
                "mesi" => assert_eq!(
                    r.esperienze
                        .iter()
                        .map(|e| u64::from(e.mesi))
                        .collect::<Vec<_>>(),
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|m| m.as_u64().unwrap())
                        .collect::<Vec<_>>(),
                    "{name}"
                ),
                "lingue" => assert_eq!(
                    r.lingue
                        .iter()
                        .map(|l| vec![l.codice.clone(), l.livello.clone()])
                        .collect::<Vec<_>>(),
                    v.as_array().unwrap().iter().map(strs).collect::<Vec<_>>(),
                    "{name}"
                ),
                "patenti" => assert_eq!(r.patenti, strs(v), "{name}"),
                "competenze_testo" => assert_eq!(r.competenze_testo, strs(v), "{name}"),
                other => panic!("{name}: no check for fact `{other}`"),
            }
        }
    }
}

#[test]
fn every_did_of_the_corpus_is_profiled_with_its_facts_or_refused_at_its_element() {
    let engine = engine();
    let codes = did::DidCodes::bundled().unwrap();
    for c in cases().iter().filter(|c| c["kind"] == "did") {
        let name = c["file"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(name)).unwrap();
        let ask = ProfilingRequest {
            model: None,
            as_of: Some(today()),
            records: Vec::new(),
            on_error: Default::default(),
        };
        let profiled = engine.profile_did(&bytes, ask, today(), "test", &Cancel::never());
        if c["ok"] == false {
            let field = match profiled {
                Err(incrocio_core::Error::Input(e)) => e.field,
                Err(incrocio_core::Error::Records(all)) => all[0].field.clone(),
                other => panic!("{name}: expected a refusal, got {:?}", other.map(|_| ())),
            };
            assert_eq!(field, c["field"].as_str().unwrap(), "{name}");
            continue;
        }
        let text = incrocio_exchange::decode(&bytes).unwrap();
        let doc = did::read(&text, &codes, Reference::bundled())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            doc.mapped.len() as u64,
            c["mapped"].as_u64().unwrap_or(0),
            "{name}"
        );
        let record = serde_json::to_value(&doc.record).unwrap();
        for (k, v) in c["facts"].as_object().unwrap() {
            let got = record.get(k).cloned().unwrap_or(Value::Null);
            assert_eq!(&got, v, "{name}: {k}");
        }
        let out = engine
            .record_blocking(profiled.unwrap_or_else(|e| panic!("{name}: {e}")))
            .unwrap()
            .answer;
        let p = &out.profiles[0];
        assert_eq!(p.model.id, "did", "{name}");
        // The answer says how the document was read, as the reader found it.
        let reading = out
            .document
            .as_ref()
            .expect("a DID answer says how it was read");
        assert_eq!(reading.codes_read, doc.mapped, "{name}");
        assert_eq!(reading.unanswered, doc.unanswered, "{name}");
        if let Some(m) = c["missing"].as_array() {
            let got: Vec<Vec<String>> = p
                .missing
                .iter()
                .map(|m| vec![m.feature.clone(), m.scored_as.clone()])
                .collect();
            let want: Vec<Vec<String>> = m.iter().map(strs).collect();
            assert_eq!(got, want, "{name}");
        }
    }
}

/// Hand-derived: an unanswered CondizioneOccupazionaleUnAnnoPrima under did@v2 scores as
/// its reference level `occupato`, contribution 0, so the linear predictor is exactly the
/// same person's answering `occupato`; under did@v1 (no stated policy) it is refused.
#[test]
fn a_missing_answer_scores_as_the_model_file_says_and_v1_refuses_it() {
    let engine = engine();
    let read = |f: &str| std::fs::read(dir().join(f)).unwrap();
    let run = |bytes: &[u8], model: &str| {
        let ask = ProfilingRequest {
            model: Some(model.into()),
            as_of: Some(today()),
            records: Vec::new(),
            on_error: Default::default(),
        };
        engine.profile_did(bytes, ask, today(), "test", &Cancel::never())
    };
    let answered = engine
        .record_blocking(run(&read("did-01-plain.xml"), "did@v2").unwrap())
        .unwrap()
        .answer;
    let missing = engine
        .record_blocking(run(&read("did-07-nil-condizione.xml"), "did@v2").unwrap())
        .unwrap()
        .answer;
    let (a, m) = (&answered.profiles[0], &missing.profiles[0]);
    assert_eq!(a.linear_predictor, m.linear_predictor);
    let c = m
        .contributions
        .iter()
        .find(|c| c.feature == "condizione_anno_prima")
        .unwrap();
    assert_eq!(
        (c.value.as_ref(), c.level.as_deref(), c.contribution),
        (None, Some("occupato"), 0.0)
    );
    assert!(a.missing.is_empty());
    match run(&read("did-07-nil-condizione.xml"), "did@v1") {
        Err(incrocio_core::Error::Input(e)) => assert_eq!(
            e.field,
            "/GestisciDID_Input/VariabiliDiProfiling/CondizioneOccupazionaleUnAnnoPrima"
        ),
        other => panic!("did@v1 must refuse: {:?}", other.map(|_| ())),
    }
}

/// Issue 29: a Region's DID code table named in the service configuration (`did_codes`) is
/// read at start: the DID whose `CondizioneOccupazionaleUnAnnoPrima` is `05` (no bundled table
/// maps it) is refused by a server without it and profiled by one with it.
#[test]
fn the_service_reads_a_regions_did_code_table_from_its_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("er-did.toml"),
        "id = \"did-codici-er\"\nversion = 1\ntitle = \"ER\"\n\n[[map]]\nelement = \"CondizioneOccupazionaleUnAnnoPrima\"\ncode = \"05\"\nvalue = \"studente\"\nsource = \"test table\"\n",
    )
    .unwrap();
    let did = std::fs::read(dir().join("did-r2-unmapped.xml")).unwrap();
    let post = |extra: &str, name: &str| {
        let config = d.join(name);
        std::fs::write(
            &config,
            crate::http::config_text(&d.join(name).with_extension("idx"), extra),
        )
        .unwrap();
        let (mut child, addr) = crate::http::spawn_server(&config);
        let r = crate::http::call_typed(
            addr,
            "POST",
            "/v1/profiling?as_of=2026-11-23",
            "application/xml",
            Some(&did),
        );
        child.kill().unwrap();
        child.wait().unwrap();
        r
    };
    let without = post("", "plain.toml");
    assert_eq!(
        without.status,
        422,
        "{}",
        String::from_utf8_lossy(&without.body)
    );
    let with = post("did_codes = [\"er-did.toml\"]", "er.toml");
    assert_eq!(with.status, 200, "{}", String::from_utf8_lossy(&with.body));
    let v = with.json();
    assert!(
        v["document"]["codes_read"]
            .to_string()
            .contains("did-codici-er@v1"),
        "{v}"
    );
}

/// Issue 30.6: an element of the schema under a parent the schema does not give it is refused
/// at its XPath (Rev009 declares every element globally, so the name alone proves nothing).
#[test]
fn issue_30_6_an_element_under_the_wrong_parent_is_refused() {
    let sap = std::fs::read_to_string(dir().join("sap-01-unit.xml")).unwrap();
    let moved = sap.replacen("<datiinvio>", "<datiinvio><cognome>ROSSI</cognome>", 1);
    assert_ne!(moved, sap);
    let e = engine()
        .sap_candidates(moved.as_bytes(), today(), &Cancel::never())
        .unwrap()
        .pop()
        .unwrap()
        .unwrap_err();
    assert_eq!(e.field, "/lavoratore/datiinvio/cognome");
    assert!(
        e.reason.to_string().contains("not a child of `datiinvio`"),
        "{e}"
    );
    let did = std::fs::read_to_string(dir().join("did-01-plain.xml")).unwrap();
    let moved = did.replacen("<InformazioniDID>", "<InformazioniDID><Eta>45</Eta>", 1);
    assert_ne!(moved, did);
    let e = did::read(
        &moved,
        &did::DidCodes::bundled().unwrap(),
        Reference::bundled(),
    )
    .unwrap_err();
    assert_eq!(e.field, "/GestisciDID_Input/InformazioniDID/Eta");
}

/// Issue 30.6: the media type's charset is obeyed (RFC 7303 for XML: it wins over the
/// document) or refused, never ignored; JSON is UTF-8 only (RFC 8259).
#[test]
fn issue_30_6_the_charset_parameter_is_obeyed_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let s = crate::http::Server::start(&tmp.path().join("index"), "");
    let put = |body: &[u8], ct: &str| {
        crate::http::call_typed(s.addr, "PUT", "/v1/candidates/RM00000001A", ct, Some(body))
    };
    let latin = std::fs::read(dir().join("sap-10-latin1.xml")).unwrap();
    // Declared ISO-8859-1, sent as such: read.
    let r = put(&latin, "application/xml; charset=ISO-8859-1");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    // The header contradicts the declaration: refused, naming both.
    let r = put(&latin, "application/xml; charset=utf-8");
    let p = crate::http::assert_problem(&r, 415);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("contradicts its declaration"),
        "{p}"
    );
    // Without a declaration, the header is the only word: Latin-1 bytes read as Latin-1 ...
    let end = latin.windows(2).position(|w| w == b"?>").unwrap() + 2;
    let bare = &latin[end..];
    let r = put(bare, "application/xml; charset=\"iso-8859-1\"");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got = crate::http::call_typed(
        s.addr,
        "GET",
        "/v1/candidates/RM00000001A",
        "application/json",
        None,
    );
    assert!(
        got.json().to_string().contains("Attività di manutenzione"),
        "{}",
        got.json()
    );
    // ... and, without a charset either, as UTF-8, which they are not.
    let r = put(bare, "application/xml");
    assert!(r.status >= 400 && r.status < 500, "{}", r.status);
    // A charset that is not read.
    let r = put(&latin, "application/xml; charset=windows-1252");
    crate::http::assert_problem(&r, 415);
    // JSON: UTF-8, said or not; anything else refused.
    let body = crate::http::candidate("J1", crate::http::ROMA).to_string();
    let putj = |ct: &str| {
        crate::http::call_typed(
            s.addr,
            "PUT",
            "/v1/candidates/J1",
            ct,
            Some(body.as_bytes()),
        )
    };
    assert_eq!(putj("application/json; charset=UTF-8").status, 201);
    assert_eq!(putj("application/json;charset=\"utf-8\"").status, 200);
    crate::http::assert_problem(&putj("application/json; charset=iso-8859-1"), 415);
    s.stop();
}
