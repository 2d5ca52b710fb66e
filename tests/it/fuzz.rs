//! A standing fuzz harness on the stable toolchain (issue 11.8): proptest drives every parser
//! with arbitrary bytes and with mutations of valid inputs, and checks that each answers
//! `Ok` or a typed error — never a panic, an abort or an unbounded allocation.
//!
//! Each target runs a bounded number of cases (`FUZZ_CASES`, default 256; CI sets it) so
//! the suite stays within its time. A failure prints the shrunk input; proptest also keeps
//! it in `proptest-regressions/` beside this file, which is committed so it is replayed.

use std::path::Path;

use incrocio_core::reference::Reference;
use incrocio_engine::Engine;
use incrocio_engine::catalog::Catalog;
use incrocio_graduatoria::GraduatoriaRules;
use incrocio_http::config::ServerConfig;
use incrocio_matching::{CandidateIndex, CandidateRecord, MatchingModel, VacancyRecord};
use incrocio_profiling::{AdrRules, ProfileRecord, ProfilingModel};
use incrocio_taxonomy::Taxonomy;
use proptest::prelude::*;
use proptest::test_runner::Config;

fn cases() -> Config {
    let n = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    }
}

fn date() -> NaiveDateAt {
    "2026-11-23".parse().unwrap()
}
type NaiveDateAt = chrono::NaiveDate;

/// A valid text with one byte flipped, one byte cut, or a chunk repeated: the mutations that
/// find the edges of a parser from a good starting point.
fn mutate(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let len = seed.len();
    prop_oneof![
        (0..len, any::<u8>()).prop_map(move |(i, b)| {
            let mut v = seed.as_bytes().to_vec();
            v[i] = b;
            v
        }),
        (0..len).prop_map(move |i| seed.as_bytes()[..i].to_vec()),
        (0..len, 0..len, 1..4usize).prop_map(move |(a, b, k)| {
            let (a, b) = (a.min(b), a.max(b));
            let mut v = seed.as_bytes()[..b].to_vec();
            for _ in 0..k {
                v.extend_from_slice(&seed.as_bytes()[a..b]);
            }
            v.extend_from_slice(&seed.as_bytes()[b..]);
            v
        }),
        proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// A JSON value with the shapes records have: numbers at the edges of their types, dates,
/// strings with control characters, nesting.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(4_294_967_295),
            any::<i64>()
        ]
        .prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        prop_oneof![
            Just("9999-12-31".to_owned()),
            Just("0001-01-01".to_owned()),
            Just("2026-02-29".to_owned()),
            Just(String::new()),
            Just("\u{0}".to_owned()),
            "[A-Z0-9]{1,4}",
            ".{0,12}"
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `base` with one field set to an arbitrary value (or removed).
fn edited(base: serde_json::Value) -> impl Strategy<Value = serde_json::Value> {
    let keys: Vec<String> = base
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    (0..keys.len(), proptest::option::of(json_value())).prop_map(move |(k, v)| {
        let mut out = base.clone();
        match v {
            Some(v) => out[&keys[k]] = v,
            None => {
                out.as_object_mut().map(|m| m.remove(&keys[k]));
            }
        }
        out
    })
}

const PROFILE: &str = r#"{"Id":"P1","DataNascita":"1990-06-15","Genere":"F","Cittadinanza":"000","TitoloDiStudio":"40000000","ProvinciaDiResidenza":"NA","ComuneDomicilio":"063049","CondizioneOccupazionaleUnAnnoPrima":"disoccupato","DataDID":"2026-01-10","Sospensioni":[{"Dal":"2026-02-01","Al":"2026-02-10"}],"PercettoreNASpI":true,"DataFineUltimoRapporto":"2026-01-31"}"#;

const CANDIDATE: &str = r#"{"id":"C1","comune_domicilio":"058091","stato":"attivo","data_did":"2025-01-01","titolo_studio":"40000000","esperienze":[{"cp2011":"3.1.2.3.0","mesi":36,"fine":"2025-06-30"},{"titolo":"cuoco","mesi":12}],"lingue":[{"codice":"001","livello":"B2"}],"patenti":["02"],"disponibilita":{"contratti":["A01"],"km_max":40},"sintesi":"sviluppo siti web"}"#;

const VACANCY: &str = r#"{"id":"V1","titolo":"webmaster","comune":"058091","raggio_km":25,"contratto":"A01","patenti":["02"],"lingue":[{"codice":"001","livello":"B1"}],"livello_studio_min":4,"descrizione":"siti web","dimensione_rosa":5}"#;

fn profile_any(bytes: &[u8]) {
    let engine = Engine::bundled().unwrap();
    if let Ok(v) = incrocio_core::json::value_from_slice(bytes) {
        let records = if v.is_array() {
            incrocio_core::json::from_value::<Vec<ProfileRecord>>(v)
        } else {
            incrocio_core::json::from_value::<ProfileRecord>(v).map(|r| vec![r])
        };
        if let Ok(records) = records
            && !records.is_empty()
        {
            let req = incrocio_engine::ProfilingRequest {
                model: None,
                as_of: Some(date()),
                records,
                on_error: Default::default(),
            };
            let _ = engine.profile(
                &req,
                date(),
                "test",
                &incrocio_core::cancel::Cancel::never(),
            );
        }
    }
}

const SAP_XML: &str = include_str!("../../data/esempi/sap.xml");
const DID_XML: &str = include_str!("../../data/esempi/did.xml");

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn fuzz_profile_record_bytes(bytes in mutate(PROFILE)) {
        profile_any(&bytes);
    }

    #[test]
    fn fuzz_profile_record_fields(v in edited(serde_json::from_str(PROFILE).unwrap())) {
        profile_any(v.to_string().as_bytes());
    }

    #[test]
    fn fuzz_candidate_record(v in edited(serde_json::from_str(CANDIDATE).unwrap()), bytes in mutate(CANDIDATE)) {
        let (r, t) = (Reference::bundled(), Taxonomy::bundled());
        for text in [v.to_string().into_bytes(), bytes] {
            if let Ok(c) = incrocio_core::json::from_slice_strict::<CandidateRecord>(&text) {
                let _ = c.validate(r, t, date(), &crate::titles());
            }
        }
    }

    #[test]
    fn fuzz_vacancy_record_and_shortlist(v in edited(serde_json::from_str(VACANCY).unwrap()), bytes in mutate(VACANCY)) {
        let (r, t) = (Reference::bundled(), Taxonomy::bundled());
        let (_dir, idx) = small_index();
        let model = crate::matching_model();
        for text in [v.to_string().into_bytes(), bytes] {
            if let Ok(rec) = incrocio_core::json::from_slice_strict::<VacancyRecord>(&text)
                && let Ok(vac) = rec.validate(r, t, &crate::titles())
            {
                let _ = idx.shortlist(&vac, &model, None, t);
            }
        }
    }

    #[test]
    fn fuzz_sap_and_did_xml(sap in mutate(SAP_XML), did in mutate(DID_XML)) {
        let engine = Engine::new(crate::catalog(), crate::matching_model(), None);
        // The bytes as they come: the engine decodes, reads and validates them, once.
        let _ = engine.sap_candidates(&sap, date(), &incrocio_core::cancel::Cancel::never());
        let _ = engine.sap_candidate(&sap, "X1", date(), &incrocio_core::cancel::Cancel::never());
        let ask = incrocio_engine::ProfilingRequest {
            model: None,
            as_of: Some(date()),
            records: Vec::new(),
            on_error: Default::default(),
        };
        let _ = engine.profile_did(&did, ask, date(), "test", &incrocio_core::cancel::Cancel::never());
    }

    #[test]
    fn fuzz_applicants_csv_and_json(csv in mutate(APPLICANTS_CSV), json in mutate(APPLICANTS_JSON)) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::bundled().unwrap();
        for (name, bytes) in [("a.csv", csv), ("a.json", json)] {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            if let Ok(applicants) = incrocio_graduatoria::files::read_applicants(&path) {
                let call = incrocio_engine::GraduatoriaCall {
                    rules: "art16-emilia-romagna".into(),
                    request: incrocio_graduatoria::GraduatoriaRequest {
                        publication_date: "2026-03-01".parse().unwrap(),
                        deadline: None,
                        posts: Some(2),
                        public_employer: true,
                        applicants,
                    },
                };
                if let Ok(d) = engine.graduatoria(&call, "test", &incrocio_core::cancel::Cancel::never()) {
                    let g = d.without_records().unwrap();
                    let _ = incrocio_graduatoria::files::graduatoria_csv(&g);
                }
            }
        }
    }

    #[test]
    fn fuzz_model_and_rule_files(
        did in mutate(DID_MODEL),
        er in mutate(ER_RULES),
        adr in mutate(ADR_RULES),
        matching in mutate(MATCHING_MODEL),
        config in mutate(SERVER_CONFIG),
    ) {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let _ = ProfilingModel::from_toml("did.toml", &text(&did), Reference::bundled());
        let _ = GraduatoriaRules::from_toml("er.toml", &text(&er));
        let _ = AdrRules::from_toml("adr.toml", &text(&adr));
        let _ = MatchingModel::parse("m.toml", &text(&matching));
        let _ = ServerConfig::parse("c.toml", &text(&config));
    }

    #[test]
    fn fuzz_vector_journal_and_base(journal in proptest::collection::vec(any::<u8>(), 0..512), cut in 0usize..4096, flip in any::<(usize, u8)>()) {
        // A real index, then its journal replaced by arbitrary bytes after the magic, or its
        // base cut or flipped: opening is Ok (a torn tail is cut) or a named error.
        let (dir, idx) = small_index();
        drop(idx);
        let j = dir.path().join("vectors.journal");
        let mut bytes = std::fs::read(&j).unwrap();
        bytes.truncate(8);
        bytes.extend_from_slice(&journal);
        std::fs::write(&j, &bytes).unwrap();
        let _ = CandidateIndex::open(dir.path());
        let b = dir.path().join("vectors.csr");
        let mut base = std::fs::read(&b).unwrap();
        if !base.is_empty() {
            let at = flip.0 % base.len();
            base[at] = flip.1;
            base.truncate(cut.min(base.len()));
        }
        std::fs::write(&b, &base).unwrap();
        let _ = CandidateIndex::open(dir.path());
    }
}

const APPLICANTS_CSV: &str = include_str!("../../data/esempi/candidati-art16.csv");
const APPLICANTS_JSON: &str = r#"[{"id":"A","data_nascita":"1980-01-01","data_did":"2024-01-01","isee":"12500.00","carichi":2,"carichi_invalidi":1,"sospensioni":[{"Dal":"2024-06-01","Al":"2024-06-30"}]},{"id":"B","data_nascita":"1990-05-05","isee":"3000.50","riserve":["militari_volontari"]}]"#;
const DID_MODEL: &str = include_str!("../../models/profiling/did.v1.toml");
const ER_RULES: &str = include_str!("../../models/graduatorie/art16-emilia-romagna.v1.toml");
const ADR_RULES: &str = include_str!("../../models/adr/delibera-anpal-14-2018.v1.toml");
const MATCHING_MODEL: &str = include_str!("../../models/matching/default.v1.toml");
const SERVER_CONFIG: &str = "listen = \"127.0.0.1:0\"\nworkers = 2\nqueue = 4\nrequest_timeout_ms = 1000\nbody_limit_bytes = 1000\nmax_connections = 10\n[[keys]]\nid = \"k\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nscopes = [\"profiling\"]\n";

/// An index of three candidates in a fresh directory.
fn small_index() -> (tempfile::TempDir, CandidateIndex) {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let dir = tempfile::tempdir().unwrap();
    let idx = CandidateIndex::create(dir.path(), date(), &crate::matching_model()).unwrap();
    let base: serde_json::Value = serde_json::from_str(CANDIDATE).unwrap();
    let cands: Vec<_> = ["C1", "C2", "C3"]
        .iter()
        .map(|id| {
            let mut v = base.clone();
            v["id"] = serde_json::json!(id);
            serde_json::from_value::<CandidateRecord>(v)
                .unwrap()
                .validate(r, t, date(), &crate::titles())
                .unwrap()
        })
        .collect();
    idx.upsert(&cands, t).unwrap();
    (dir, idx)
}

#[test]
fn the_seeds_are_valid_so_mutations_start_from_good_inputs() {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let p: ProfileRecord = incrocio_core::json::from_str_strict(PROFILE).unwrap();
    assert!(p.validate(r).is_ok());
    let c: CandidateRecord = incrocio_core::json::from_str_strict(CANDIDATE).unwrap();
    assert!(c.validate(r, t, date(), &crate::titles()).is_ok());
    let v: VacancyRecord = incrocio_core::json::from_str_strict(VACANCY).unwrap();
    assert!(v.validate(r, t, &crate::titles()).is_ok());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.json");
    std::fs::write(&path, APPLICANTS_JSON).unwrap();
    assert_eq!(
        incrocio_graduatoria::files::read_applicants(&path)
            .unwrap()
            .len(),
        2
    );
    assert!(Catalog::bundled(r).is_ok());
    assert!(ServerConfig::parse("c.toml", SERVER_CONFIG).is_ok());
    assert!(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/esempi/candidati-art16.csv"
        ))
        .exists()
    );
}
