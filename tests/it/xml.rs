//! The ministerial XML formats in (issue 15): SAP → candidate record, DID → profile record.
//! Fixtures generated from synthetic people and CVs are validated against the XSDs with
//! `xmllint --schema` (Debian `libxml2-utils`, installed by `.ci/run`), then read back; hand
//! written edge cases each get a named error or a documented mapping. Then the same documents
//! through the CLI and the HTTP service, and bulk upkeep that survives `kill -9`.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use incrocio_core::reference::Reference;
use incrocio_engine::{Engine, ProfilingRequest};
use incrocio_exchange::{did, sap, write};
use incrocio_matching::CandidateRecord;
use incrocio_synth::{CvSpec, PeopleSpec, cv_block, people_block};
use incrocio_taxonomy::Taxonomy;
use serde_json::{Value, json};

use crate::http::{ALL, ROMA, Server, assert_problem, call, call_typed, post, vacancy};

fn xsd(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/xsd")
        .join(name)
}

/// `xmllint --noout --schema XSD FILE`: Ok, or the validator's complaint.
fn xmllint(schema: &str, file: &Path) -> Result<(), String> {
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd(schema))
        .arg(file)
        .output()
        .expect("xmllint (Debian libxml2-utils) is needed by these tests; .ci/run installs it");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn as_of() -> NaiveDate {
    "2026-11-23".parse().unwrap()
}

fn engine() -> Engine {
    Engine::new(crate::catalog(), crate::matching_model(), None)
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// What a SAP can carry of a candidate record: the fields compared in the round trip.
fn projection(r: &CandidateRecord) -> Value {
    json!({
        "comune": r.comune_domicilio,
        "stato": r.stato,
        "data_did": r.data_did,
        "titolo_studio": r.titolo_studio,
        "esperienze": r.esperienze.iter().filter(|e| e.cp2011.is_some())
            .map(|e| json!([e.cp2011, e.mesi, e.fine])).collect::<Vec<_>>(),
        "lingue": r.lingue,
        "patenti": r.patenti,
        "collocamento_mirato": r.collocamento_mirato,
    })
}

#[test]
fn synthetic_cvs_as_sap_validate_and_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let reference = Reference::bundled();
    let spec = CvSpec {
        n: 400,
        seed: 7,
        as_of: as_of(),
    };
    let cvs = cv_block(&spec, 0, reference, Taxonomy::bundled());
    let path = dir.path().join("lavoratori.xml");
    incrocio_synth::write_sap(&path, &spec, reference, Taxonomy::bundled()).unwrap();
    xmllint("lavoratori.xsd", &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let read = engine()
        .sap_candidates(
            text.as_bytes(),
            as_of(),
            &incrocio_core::cancel::Cancel::never(),
        )
        .unwrap();
    assert_eq!(read.len(), cvs.len());
    for (k, (original, back)) in cvs.iter().zip(read).enumerate() {
        let back = back.unwrap_or_else(|e| panic!("SAP {k}: {e}"));
        assert_eq!(back.candidate.record.id, format!("SY{k:08}X"));
        assert_eq!(
            projection(original),
            projection(&back.candidate.record),
            "SAP {k}"
        );
    }
    // Each single document also validates against the ministerial schema itself.
    let one = write::sap(&cvs[0], &write::synthetic_anagrafica(0, as_of()), reference);
    let single = write_file(dir.path(), "one.xml", &write::sap_document(&[one.xml]));
    xmllint("Rev009_SAP.xsd", &single).unwrap();
}

#[test]
fn synthetic_people_as_did_validate_and_profile_as_their_json() {
    let dir = tempfile::tempdir().unwrap();
    let spec = PeopleSpec {
        n: 300,
        seed: 11,
        as_of: as_of(),
    };
    let people = people_block(&spec, 0, Reference::bundled());
    let (mut twins, mut from_xml) = (Vec::new(), Vec::new());
    for (k, p) in people.iter().enumerate() {
        let mut p = p.clone();
        let Some(did_date) = p.data_did else { continue };
        let female = p.genere.as_deref() == Some("F");
        p.codice_fiscale = Some(write::synthetic_codice_fiscale(k as u64, female, did_date));
        // The DID carries the age (at the DID), not the birth date, and none of the fields
        // incrocio adds: the JSON twin holds the same.
        p.eta = p
            .data_nascita
            .and_then(|b| did_date.years_since(b))
            .map(i64::from);
        p.data_nascita = None;
        p.sospensioni.clear();
        p.percettore_naspi = None;
        p.comune_domicilio = None;
        p.data_fine_ultimo_rapporto = None;
        let xml = write::did(&p).unwrap();
        let file = write_file(dir.path(), &format!("did{k}.xml"), &xml);
        xmllint("XS_ID_ConferimentoDID_4.0.xsd", &file).unwrap();
        let codes = did::DidCodes::bundled().unwrap();
        let back = did::read(&xml, &codes, Reference::bundled())
            .unwrap()
            .record;
        p.id = incrocio_exchange::pseudonym(p.codice_fiscale.as_deref().unwrap());
        assert_eq!(back, p, "person {k}");
        twins.push(p);
        from_xml.push(back);
    }
    assert!(twins.len() > 250, "{}", twins.len());
    // And they profile identically (index, class, contributions).
    let engine = engine();
    let profile = |records| {
        let req = ProfilingRequest {
            model: None,
            as_of: Some(as_of()),
            records,
            on_error: incrocio_engine::OnErrorMode::Skip,
        };
        serde_json::to_value(
            engine
                .profile(
                    &req,
                    as_of(),
                    "test",
                    &incrocio_core::cancel::Cancel::never(),
                )
                .unwrap()
                .without_records()
                .unwrap()
                .profiles,
        )
        .unwrap()
    };
    let a = profile(twins);
    assert!(a.as_array().unwrap().len() > 250);
    assert_eq!(a, profile(from_xml));
}

/// A minimal SAP around `inner` sections (after `datiinvio`).
fn sap_doc(invio_extra: &str, sections: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<lavoratore>
<datiinvio><dataultimoagg>2026-11-02</dataultimoagg>{invio_extra}<codiceentetit>A123B456789</codiceentetit><tipovariazione>01</tipovariazione><datadinascita>1988-04-21</datadinascita></datiinvio>
{sections}
</lavoratore>
"#
    )
}

const ANAGRAFICI: &str = "<datianagrafici><datipersonali><codicefiscale>SNTMRC88D21H501Q</codicefiscale><cognome>S</cognome><nome>M</nome><sesso>M</sesso><datanascita>1988-04-21</datanascita><codcomune>H501</codcomune><codcittadinanza>000</codcittadinanza></datipersonali><domicilio><codcomune>F839</codcomune><cap>80100</cap><indirizzo>VIA X 1</indirizzo></domicilio><recapiti/></datianagrafici>";

fn allegato(inner: &str) -> String {
    format!("<allegato>{inner}</allegato>")
}

/// Runs a hand-written SAP through xmllint and the reader; returns both verdicts.
fn edge(
    dir: &Path,
    name: &str,
    text: &str,
) -> (
    Result<(), String>,
    Result<sap::SapDocument, incrocio_core::InputError>,
) {
    let file = write_file(dir, name, text);
    let schema = xmllint("Rev009_SAP.xsd", &file);
    let read = sap::read(text, Reference::bundled()).and_then(|mut v| v.pop().unwrap());
    (schema, read)
}

#[test]
fn sap_edge_cases_get_a_named_error_or_a_documented_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Missing optional sections: valid; the id is the codice fiscale's pseudonym, the stato
    // assumed (and said), Napoli's cadastral code F839 read as ISTAT 063049.
    let (schema, read) = edge(d, "minimal.xml", &sap_doc("", ANAGRAFICI));
    schema.unwrap();
    let m = read.unwrap();
    assert_eq!(
        m.record.id,
        incrocio_exchange::pseudonym("SNTMRC88D21H501Q")
    );
    assert_eq!(m.record.comune_domicilio, "063049");
    assert!(m.record.esperienze.is_empty());
    assert_eq!(
        m.assumed,
        [
            "id: a pseudonym of the codice fiscale (no identificativosap)",
            "stato: attivo (no datiamministrativi)"
        ]
    );
    assert!(
        m.ignored
            .0
            .contains_key("/lavoratore/datianagrafici/datipersonali/cognome")
    );

    // Repeated sections the schema allows: every list is read; the highest title wins
    // (laurea 7 over diploma 4), languages keep their lowest level.
    let two_lists = allegato(
        "<titolistudio_lst><titolostudio><codlivelloistruzione>40</codlivelloistruzione><corsostudio>40000000</corsostudio></titolostudio></titolistudio_lst>\
         <titolistudio_lst><titolostudio><codlivelloistruzione>70</codlivelloistruzione><corsostudio>70000000</corsostudio></titolostudio></titolistudio_lst>\
         <linguestraniere_lst><linguastraniera><codlingua>001</codlingua><codlivelloletto>C1</codlivelloletto><codlivelloparlato>A2</codlivelloparlato></linguastraniera></linguestraniere_lst>",
    );
    let (schema, read) = edge(
        d,
        "lists.xml",
        &sap_doc("", &format!("{ANAGRAFICI}{two_lists}")),
    );
    schema.unwrap();
    let r = read.unwrap().record;
    assert_eq!(r.titolo_studio.as_deref(), Some("70000000"));
    assert_eq!(r.lingue[0].livello, "A2");

    // Repeated sections the schema forbids: both say so, ours names the second.
    let (schema, read) = edge(
        d,
        "twice.xml",
        &sap_doc("", &format!("{ANAGRAFICI}{ANAGRAFICI}")),
    );
    assert!(schema.is_err());
    let e = read.unwrap_err();
    assert_eq!(e.field, "/lavoratore/datianagrafici[2]");
    assert!(e.reason.to_string().contains("repeated"), "{e}");

    // An unknown code: schema-valid (the XSD has no code lists), refused by name.
    let bad_licence = allegato(
        "<altreinformazioni_lst><altreinformazioni><codpatenteguida>99</codpatenteguida></altreinformazioni></altreinformazioni_lst>",
    );
    let text = sap_doc("", &format!("{ANAGRAFICI}{bad_licence}"));
    let (schema, _) = edge(d, "code.xml", &text);
    schema.unwrap();
    let e = engine()
        .sap_candidates(
            text.as_bytes(),
            as_of(),
            &incrocio_core::cancel::Cancel::never(),
        )
        .unwrap()
        .pop()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        e.field,
        "/lavoratore/allegato/altreinformazioni_lst/altreinformazioni/codpatenteguida"
    );
    assert!(e.reason.to_string().contains("unknown code `99`"), "{e}");
    let unknown_comune = sap_doc("", &ANAGRAFICI.replace("F839", "Z999"));
    let e = edge(d, "comune.xml", &unknown_comune).1.unwrap_err();
    assert_eq!(e.field, "/lavoratore/datianagrafici/domicilio/codcomune");
    // A pre-2011 language level has no CEFR equivalent: refused, saying so.
    let legacy = allegato(
        "<linguestraniere_lst><linguastraniera><codlingua>001</codlingua><codlivelloparlato>02</codlivelloparlato></linguastraniera></linguestraniere_lst>",
    );
    let e = edge(
        d,
        "legacy.xml",
        &sap_doc("", &format!("{ANAGRAFICI}{legacy}")),
    )
    .1
    .unwrap_err();
    assert_eq!(
        e.field,
        "/lavoratore/allegato/linguestraniere_lst/linguastraniera/codlivelloparlato"
    );
    assert!(e.reason.to_string().contains("pre-2011"), "{e}");

    // An element the schema does not have, and a wrong namespace.
    let (schema, read) = edge(
        d,
        "unknown.xml",
        &sap_doc("", &format!("{ANAGRAFICI}<hobby>vela</hobby>")),
    );
    assert!(schema.is_err());
    assert_eq!(read.unwrap_err().field, "/lavoratore/hobby");
    let ns = sap_doc("", ANAGRAFICI).replace(
        "<lavoratore>",
        "<lavoratore xmlns=\"http://example.org/sap\">",
    );
    let (schema, read) = edge(d, "ns.xml", &ns);
    assert!(schema.is_err());
    let e = read.unwrap_err();
    assert_eq!(e.field, "/lavoratore");
    assert!(e.reason.to_string().contains("namespace"), "{e}");

    // Malformed XML and a DTD (entity expansion) are refused before any mapping.
    let (schema, read) = edge(d, "broken.xml", "<lavoratore><datiinvio></lavoratore>");
    assert!(schema.is_err());
    let e = read.unwrap_err();
    assert_eq!(e.field, "/");
    assert!(e.reason.to_string().contains("not well-formed"), "{e}");
    let dtd = "<?xml version=\"1.0\"?><!DOCTYPE lavoratore [<!ENTITY a \"aaaa\">]><lavoratore>&a;</lavoratore>";
    assert!(edge(d, "dtd.xml", dtd).1.is_err());

    // An experience ending before it starts names its datafine.
    let exp = "<esperienzelavoro_lst><esperienzalavoro><azienda><codicefiscale>01234567890</codicefiscale><datorelavoro>X</datorelavoro><codateco>62.01.00</codateco></azienda><datainizio>2024-05-01</datainizio><datafine>2024-04-30</datafine><codprofessione>3.1.2.3.0</codprofessione><tiporapporto><tipocontratto>A.02.00</tipocontratto><assunzioneLegge68>NO</assunzioneLegge68><lavInMobilita>NO</lavInMobilita><lavoroStagionale>NO</lavoroStagionale><lavoroInAgricoltura>NO</lavoroInAgricoltura></tiporapporto><modalitalavoro><codmodalitalavoro>FT</codmodalitalavoro></modalitalavoro><luogolavoro><indirizzo>V</indirizzo><codcomune>H501</codcomune></luogolavoro></esperienzalavoro></esperienzelavoro_lst>";
    let (schema, read) = edge(d, "dates.xml", &sap_doc("", &format!("{ANAGRAFICI}{exp}")));
    schema.unwrap();
    assert_eq!(
        read.unwrap_err().field,
        "/lavoratore/esperienzelavoro_lst/esperienzalavoro/datafine"
    );
}

#[test]
fn a_ten_megabyte_batch_validates_and_imports_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let spec = CvSpec {
        n: 6_000,
        seed: 3,
        as_of: as_of(),
    };
    let path = dir.path().join("big.xml");
    incrocio_synth::write_sap(&path, &spec, Reference::bundled(), Taxonomy::bundled()).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 10_000_000, "{size} bytes");
    xmllint("lavoratori.xsd", &path).unwrap();
    // One refused SAP among them (an unknown comune) with --on-error skip: the rest import,
    // the report names the refused one's element.
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "<domicilio><codcomune>",
        "<domicilio><codcomune>Z",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("cvs.jsonl");
    let report = dir.path().join("report.json");
    let run = crate::cli::incrocio()
        .args(["import", "sap", "--on-error", "skip", "--input"])
        .arg(&path)
        .arg("--output")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert_eq!(lines, 5_999);
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(rep["imported"], 5_999);
    assert_eq!(rep["refused"], 1);
    assert_eq!(rep["errors"][0]["position"], 1);
    assert_eq!(
        rep["errors"][0]["element"],
        "/lavoratori/lavoratore[1]/datianagrafici/domicilio/codcomune"
    );
    // Without skip the first refusal stops the command and nothing is written.
    let out2 = dir.path().join("none.jsonl");
    let run = crate::cli::incrocio()
        .args(["import", "sap", "--input"])
        .arg(&path)
        .arg("--output")
        .arg(&out2)
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("codcomune"));
    assert!(!out2.exists());
}

#[test]
fn did_errors_name_the_element() {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/esempi/did.xml"))
            .unwrap();
    let engine = engine();
    let profile = |xml: &str| {
        let ask = ProfilingRequest {
            model: None,
            as_of: Some(as_of()),
            records: Vec::new(),
            on_error: Default::default(),
        };
        engine
            .profile_did(
                xml.as_bytes(),
                ask,
                as_of(),
                "test",
                &incrocio_core::cancel::Cancel::never(),
            )
            .map(|d| d.without_records().unwrap())
    };
    let ok = profile(&example).unwrap();
    assert_eq!(ok.profiles.len(), 1);
    // A value the model's code list lacks: named by its element.
    let e = profile(&example.replace("<Genere>F</Genere>", "<Genere>X</Genere>")).unwrap_err();
    let incrocio_core::Error::Input(i) = e else {
        panic!("{e}")
    };
    assert_eq!(i.field, "/GestisciDID_Input/VariabiliDiProfiling/Genere");
    // A revoked DID is not profiled.
    let e = profile(&example.replace("<TipoEvento>I", "<TipoEvento>R")).unwrap_err();
    assert!(e.to_string().contains("revoca"), "{e}");
}

/// The HTTP side: a SAP and a DID in, a rosa and a profile out; bulk upkeep; the cursor.
#[test]
fn sap_and_did_over_http_come_out_as_a_rosa_and_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "");
    let a = s.addr;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sap = std::fs::read(root.join("data/esempi/sap.xml")).unwrap();
    // The SAP's identificativosap must be the path's id.
    let r = call_typed(
        a,
        "PUT",
        "/v1/candidates/OTHER",
        "application/xml",
        Some(&sap),
    );
    assert_eq!(
        assert_problem(&r, 422)["field"],
        "/lavoratore/datiinvio/identificativosap"
    );
    let r = call_typed(
        a,
        "PUT",
        "/v1/candidates/RM00012345A",
        "application/xml",
        Some(&sap),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let got = call(a, "GET", "/v1/candidates/RM00012345A", Some(ALL), None).json();
    assert_eq!(got["comune_domicilio"], ROMA);
    assert_eq!(got["esperienze"][0]["mesi"], 36);
    let sl = post(a, "/v1/shortlists", ALL, &vacancy()).json();
    assert_eq!(sl["rosa"][0]["candidate_id"], "RM00012345A", "{sl}");
    // Malformed XML is a malformed body; a schema violation an invalid field.
    let r = call_typed(
        a,
        "PUT",
        "/v1/candidates/X",
        "application/xml",
        Some(b"<lavoratore>"),
    );
    assert_eq!(assert_problem(&r, 400)["field"], "/");
    let r = call_typed(a, "PUT", "/v1/candidates/X", "text/plain", Some(&sap));
    assert_problem(&r, 415);
    // A 10 MB document is past the body limit (8 MiB): refused before it is parsed.
    let mut big = b"<lavoratore><!-- ".to_vec();
    big.resize(10 << 20, b'x');
    big.extend_from_slice(b" --></lavoratore>");
    let r = call_typed(a, "PUT", "/v1/candidates/X", "application/xml", Some(&big));
    assert_problem(&r, 413);

    let did = std::fs::read(root.join("data/esempi/did.xml")).unwrap();
    let r = call_typed(
        a,
        "POST",
        "/v1/profiling?as_of=2026-11-23",
        "application/xml",
        Some(&did),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(
        p["profiles"][0]["person_id"],
        incrocio_exchange::pseudonym("SNTPLA90H55F839X")
    );
    assert!(p["profiles"][0]["class"]["code"].is_number());
    let bad = String::from_utf8(did)
        .unwrap()
        .replace("<Genere>F</Genere>", "<Genere>X</Genere>");
    let r = call_typed(
        a,
        "POST",
        "/v1/profiling",
        "application/xml",
        Some(bad.as_bytes()),
    );
    assert_eq!(
        assert_problem(&r, 422)["field"],
        "/GestisciDID_Input/VariabiliDiProfiling/Genere"
    );
    s.stop();
}

fn lines(items: &[Value]) -> Vec<u8> {
    items
        .iter()
        .map(|v| format!("{v}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn bulk_upkeep_answers_every_item_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "bulk_max_items = 30");
    let a = s.addr;
    let nd = "application/x-ndjson";
    let first: Vec<Value> = (0..25)
        .map(|i| crate::http::candidate(&format!("B{i:02}"), ROMA))
        .collect();
    let r = call_typed(a, "POST", "/v1/candidates:bulk", nd, Some(&lines(&first)));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["created"], 25);
    assert_eq!(v["held"], 25);
    // Mixed: replace, delete, delete of a stranger, an invalid item, a new one, and the same
    // id deleted then re-added (order matters).
    let mut bad = crate::http::candidate("B99", "999999");
    bad["note"] = json!(1);
    let mixed = vec![
        crate::http::candidate("B00", ROMA),
        json!({"delete": "B01"}),
        json!({"delete": "NOBODY"}),
        crate::http::candidate("B98", "999999"),
        crate::http::candidate("B30", ROMA),
        json!({"delete": "B02"}),
        crate::http::candidate("B02", ROMA),
    ];
    let mut body = lines(&mixed);
    body.extend_from_slice(b"\n  \n{not json\n");
    let r = call_typed(a, "POST", "/v1/candidates:bulk", nd, Some(&body));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let results: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        [
            "replaced",
            "deleted",
            "not_found",
            "invalid",
            "created",
            "deleted",
            "created",
            "invalid"
        ]
    );
    assert_eq!(v["items"][3]["field"], "[3].comune_domicilio");
    assert_eq!(v["items"][3]["id"], "B98");
    assert_eq!(v["items"][7]["index"], 7);
    assert_eq!(v["held"], 25); // 25 − B01 + B30
    assert_problem(&call(a, "GET", "/v1/candidates/B01", Some(ALL), None), 404);
    assert_eq!(
        call(a, "GET", "/v1/candidates/B02", Some(ALL), None).status,
        200
    );
    // atomic: one invalid item and nothing is written.
    let atomic = lines(&[
        crate::http::candidate("B50", ROMA),
        crate::http::candidate("B51", "999999"),
    ]);
    let r = call_typed(
        a,
        "POST",
        "/v1/candidates:bulk?atomic=true",
        nd,
        Some(&atomic),
    );
    let p = assert_problem(&r, 422);
    assert_eq!(p["errors"][0]["field"], "[1].comune_domicilio");
    assert_problem(&call(a, "GET", "/v1/candidates/B50", Some(ALL), None), 404);
    // Past bulk_max_items: 413, nothing written.
    let many: Vec<Value> = (0..31)
        .map(|i| crate::http::candidate(&format!("M{i:02}"), ROMA))
        .collect();
    let r = call_typed(a, "POST", "/v1/candidates:bulk", nd, Some(&lines(&many)));
    assert_problem(&r, 413);
    assert_problem(&call(a, "GET", "/v1/candidates/M00", Some(ALL), None), 404);
    // A JSON array is the same as JSON lines; anything but an array of objects is malformed.
    let arr = json!([crate::http::candidate("B30", ROMA), {"delete": "B30"}]).to_string();
    let r = call_typed(
        a,
        "POST",
        "/v1/candidates:bulk",
        "application/json",
        Some(arr.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["replaced"], 1);
    assert_eq!(r.json()["deleted"], 1);
    let r = call_typed(
        a,
        "POST",
        "/v1/candidates:bulk",
        "application/json",
        Some(b"[1]"),
    );
    assert_eq!(assert_problem(&r, 400)["field"], "[0]");
    let r = call_typed(
        a,
        "POST",
        "/v1/candidates:bulk",
        "application/json",
        Some(b"{}"),
    );
    assert_problem(&r, 400);
    let readd = lines(&[crate::http::candidate("B30", ROMA)]);
    let r = call_typed(a, "POST", "/v1/candidates:bulk", nd, Some(&readd));
    assert_eq!(r.json()["created"], 1);
    // A SAP batch through the same route.
    let spec = CvSpec {
        n: 5,
        seed: 1,
        as_of: as_of(),
    };
    let xml_path = dir.path().join("five.xml");
    incrocio_synth::write_sap(&xml_path, &spec, Reference::bundled(), Taxonomy::bundled()).unwrap();
    let xml = std::fs::read(&xml_path).unwrap();
    let r = call_typed(
        a,
        "POST",
        "/v1/candidates:bulk",
        "application/xml",
        Some(&xml),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["created"], 5);
    assert_eq!(r.json()["items"][4]["id"], "SY00000004X");

    // The cursor: every live id once, in byte order, across pages.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(x) => format!("/v1/candidates?limit=7&after={x}"),
            None => "/v1/candidates?limit=7".into(),
        };
        let page = call(a, "GET", &path, Some(ALL), None);
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        for c in page["candidates"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap().to_owned();
            let one = call(a, "GET", &format!("/v1/candidates/{id}"), Some(ALL), None);
            assert_eq!(one.header("etag"), c["etag"].as_str());
            seen.push(id);
        }
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 30); // 25 − B01 + B30 + 5 SAPs
    assert!(!seen.contains(&"B01".to_owned()));
    let r = call(a, "GET", "/v1/candidates?limit=0", Some(ALL), None);
    assert_eq!(assert_problem(&r, 422)["field"], "limit");
    let r = call(a, "GET", "/v1/candidates?limit=1001", Some(ALL), None);
    assert_problem(&r, 422);
    s.stop();
}

#[test]
fn bulk_vacancies_answer_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let board = dir.path().join("board");
    let s = Server::start(
        &dir.path().join("index"),
        &format!("vacancies = \"{}\"", board.display()),
    );
    let v = |id: &str, comune: &str| json!({"id": id, "titolo": "cuoco", "comune": comune, "raggio_km": 30, "contratto": "A01"});
    let body = lines(&[v("V1", ROMA), v("V2", "999999"), json!({"delete": "V9"})]);
    let r = call_typed(
        s.addr,
        "POST",
        "/v1/vacancies:bulk",
        "application/x-ndjson",
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let out = r.json();
    assert_eq!(out["items"][0]["result"], "created");
    assert_eq!(out["items"][1]["result"], "invalid");
    assert_eq!(out["items"][2]["result"], "not_found");
    assert_eq!(out["held"], 1);
    let r = call_typed(
        s.addr,
        "POST",
        "/v1/vacancies:bulk",
        "application/xml",
        Some(b"<x/>"),
    );
    assert_problem(&r, 415);
    s.stop();
}

#[test]
fn an_acknowledged_bulk_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, crate::http::config_text(&index, "")).unwrap();
    let (mut child, addr) = crate::http::spawn_server(&config);
    let items: Vec<Value> = (0..500)
        .map(|i| crate::http::candidate(&format!("K{i:03}"), ROMA))
        .collect();
    let r = call_typed(
        addr,
        "POST",
        "/v1/candidates:bulk",
        "application/x-ndjson",
        Some(&lines(&items)),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["created"], 500);
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    let (mut child, addr) = crate::http::spawn_server(&config);
    let page = call(addr, "GET", "/v1/candidates?limit=1000", Some(ALL), None).json();
    let ids: Vec<&str> = page["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 500, "acknowledged candidates lost after kill -9");
    assert_eq!(ids[0], "K000");
    assert_eq!(ids[499], "K499");
    let mut v = vacancy();
    v["size"] = json!(50);
    assert_eq!(
        post(addr, "/v1/shortlists", ALL, &v).json()["eligible_count"],
        500
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_cli_takes_a_did_document_and_a_sap_becomes_a_rosa() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = crate::cli::incrocio()
        .args(["profile", "--as-of", "2026-11-23"])
        .arg(root.join("data/esempi/did.xml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        p["person_id"],
        incrocio_exchange::pseudonym("SNTPLA90H55F839X")
    );
    let cvs = dir.path().join("cvs.jsonl");
    let idx = dir.path().join("idx");
    let run = |args: &[&str]| {
        let o = crate::cli::incrocio().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    run(&[
        "import",
        "sap",
        "--input",
        root.join("data/esempi/sap.xml").to_str().unwrap(),
        "--output",
        cvs.to_str().unwrap(),
    ]);
    run(&[
        "index",
        "build",
        "--input",
        cvs.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ]);
    let vac = dir.path().join("v.json");
    std::fs::write(&vac, vacancy()["vacancy"].to_string()).unwrap();
    let o = run(&[
        "shortlist",
        "--index",
        idx.to_str().unwrap(),
        "--vacancy",
        vac.to_str().unwrap(),
        "--data-richiesta",
        "2026-11-23",
    ]);
    let sl: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sl["rosa"][0]["candidate_id"], "RM00012345A");
}

mod cursor {
    //! The candidate cursor as a property: whatever was written, replaced and deleted, in
    //! however many commits (segments), paging with any `limit` from any `after` gives every
    //! live id once, in byte order.

    use incrocio_core::reference::Reference;
    use incrocio_matching::{CandidateIndex, CandidateRecord};
    use incrocio_taxonomy::Taxonomy;
    use proptest::prelude::*;

    fn record(id: &str) -> incrocio_matching::Candidate {
        let v = crate::http::candidate(id, crate::http::ROMA);
        serde_json::from_value::<CandidateRecord>(v)
            .unwrap()
            .validate(
                Reference::bundled(),
                Taxonomy::bundled(),
                "2026-11-23".parse().unwrap(),
                &crate::titles(),
            )
            .unwrap()
    }

    /// Ids sharing prefixes and lengths, so byte order and prefix ranges are exercised.
    fn id() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ab]{1,3}".prop_map(|s| s),
            (0u32..40).prop_map(|n| format!("C{n}")),
            (0u32..40).prop_map(|n| format!("C{n:03}")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn pages_give_every_live_id_once_in_order(
            commits in proptest::collection::vec(
                (proptest::collection::vec(id(), 0..12), proptest::collection::vec(id(), 0..4)),
                1..5,
            ),
            limit in 1usize..9,
            start in proptest::option::of(id()),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let idx = CandidateIndex::create(dir.path(), "2026-11-23".parse().unwrap(), &crate::matching_model()).unwrap();
            let mut live = std::collections::BTreeSet::new();
            for (upserts, deletes) in &commits {
                let mut batch: Vec<_> = upserts.iter().map(|i| record(i)).collect();
                batch.dedup_by(|a, b| a.record.id == b.record.id);
                idx.upsert(&batch, Taxonomy::bundled()).unwrap();
                live.extend(upserts.iter().cloned());
                idx.delete(deletes).unwrap();
                for d in deletes {
                    live.remove(d);
                }
            }
            let expected: Vec<String> = live
                .iter()
                .filter(|i| start.as_ref().is_none_or(|s| i.as_str() > s.as_str()))
                .cloned()
                .collect();
            let mut seen = Vec::new();
            let mut after = start.clone();
            loop {
                let page = idx.ids_after(after.as_deref(), limit).unwrap();
                prop_assert!(page.len() <= limit);
                let full = page.len() == limit;
                after = page.last().cloned();
                seen.extend(page);
                if !full {
                    break;
                }
            }
            prop_assert_eq!(seen, expected);
        }
    }
}
