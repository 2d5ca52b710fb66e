//! Profiling of one person: hand-computed indices, contributions, classes and AdR amounts.

use incrocio_core::reference::Reference;
use incrocio_profiling::{ProfileRecord, Profiler};
use rust_decimal::Decimal;
use serde::Deserialize;

fn profile(json: &str, model: &str) -> incrocio_profiling::Profile {
    let c = crate::catalog();
    let p = Profiler {
        model: c.profiling(model).unwrap(),
        adr: c.adr(None).unwrap(),
        reference: Reference::bundled(),
    };
    let r: ProfileRecord = serde_json::from_str(json).unwrap();
    p.profile(&r, "2026-11-23".parse().unwrap()).unwrap()
}

fn contribution(p: &incrocio_profiling::Profile, feature: &str) -> f64 {
    p.contributions
        .iter()
        .find(|c| c.feature == feature)
        .unwrap()
        .contribution
}

const NAPOLI: &str = r#"{
  "Id": "DEMO-1", "DataNascita": "1971-03-02", "Genere": "F", "Cittadinanza": "000",
  "TitoloDiStudio": "20000000", "ProvinciaDiResidenza": "NA", "ComuneDomicilio": "063049",
  "HaMaiAvutoUnLavoro": true, "CondizioneOccupazionaleUnAnnoPrima": "occupato",
  "DataDID": "2025-09-01", "Sospensioni": [{"Dal": "2026-01-10", "Al": "2026-02-09"}],
  "PercettoreNASpI": true
}"#;

/// Hand computation (did@v1, as of 2026-11-23):
/// age 55 → band 55+ (+0.85); F (+0.15); Italian (0); licenza media → level 2 →
/// fino_licenza_media (+0.55); DID 2025-09-01, 448 days less 31 suspended = 417 days →
/// effective end 2026-10-23 → 13 months → band 12-23 (+0.70); occupato a year before (0);
/// Napoli employment rate 46.4 → −0.045 × (46.4 − 67.3) = +0.9405; intercept −0.35.
/// η = 2.8405, p = 1 / (1 + e^−2.8405) = 0.9448255… → 0.944826, class 4.
#[test]
fn napoli_woman_55_hand_computed() {
    let p = profile(NAPOLI, "did@v1");
    assert_eq!(p.derived.eta, 55);
    assert_eq!(p.derived.giorni_sospensione, 31);
    assert_eq!(p.derived.mesi_disoccupazione, 13);
    let expect = [
        ("intercept", -0.35),
        ("genere", 0.15),
        ("eta", 0.85),
        ("cittadinanza", 0.0),
        ("titolo_studio", 0.55),
        ("durata_disoccupazione", 0.70),
        ("condizione_anno_prima", 0.0),
        ("tasso_occupazione", 0.9405),
    ];
    for (f, v) in expect {
        assert!(
            (contribution(&p, f) - v).abs() < 1e-12,
            "{f}: {} != {v}",
            contribution(&p, f)
        );
    }
    assert!((p.linear_predictor - 2.8405).abs() < 1e-12);
    assert_eq!(p.index, 0.944826);
    assert_eq!((p.class.code, p.class.label.as_str()), (4, "Alto"));
    // AdR (NASpI, 13 months > 4; Campania): m + (p − 0.5) × 2 × (M − m), rounded to the cent.
    let amounts: Vec<(String, Decimal)> = p
        .adr
        .amounts
        .iter()
        .map(|a| (a.contract.clone(), a.amount_eur))
        .collect();
    assert_eq!(
        amounts,
        vec![
            ("tempo_indeterminato".into(), "4558.61".parse().unwrap()),
            (
                "tempo_determinato_6_mesi".into(),
                "2279.30".parse().unwrap()
            ),
            (
                "tempo_determinato_3_6_mesi".into(),
                "1139.65".parse().unwrap()
            ),
        ]
    );
    assert_eq!(p.next_review_at.to_string(), "2027-02-21");
    assert_eq!((p.model.id.as_str(), p.model.version), ("did", 1));
    assert!(p.model.digest.starts_with("sha256:"));
    assert!(p.notice.as_deref().unwrap_or("").contains("ILLUSTRATIVE"));
    assert_eq!(p.omitted_variables.len(), 2);
}

/// M, 30, laurea (+−0.45), Moroccan (extra_ue +0.30), 2 months unemployed (0), studente a year
/// before (+0.20), Milano 77.2 → −0.045 × 9.9 = −0.4455; η = −0.7455, p = 0.3218026… → 0.321803,
/// class 2. Not a NASpI recipient: no AdR.
#[test]
fn milano_graduate_hand_computed() {
    let p = profile(
        r#"{"Id": "P2", "DataNascita": "1996-05-10", "Genere": "M", "Cittadinanza": "436",
            "TitoloDiStudio": "70000000", "ProvinciaDiResidenza": "MI",
            "CondizioneOccupazionaleUnAnnoPrima": "studente", "DataDID": "2026-09-20"}"#,
        "did",
    );
    assert!((p.linear_predictor - -0.7455).abs() < 1e-12);
    assert_eq!(p.index, 0.321803);
    assert_eq!(p.class.code, 2);
    assert!(!p.adr.eligible);
    assert!(p.adr.amounts.is_empty());
}

#[test]
fn missing_variable_names_the_field() {
    let c = crate::catalog();
    let p = Profiler {
        model: c.profiling("did@v1").unwrap(),
        adr: c.adr(None).unwrap(),
        reference: Reference::bundled(),
    };
    let r: ProfileRecord = serde_json::from_str(
        r#"{"Id": "P3", "DataNascita": "1996-05-10", "Genere": "M", "Cittadinanza": "000",
            "ProvinciaDiResidenza": "MI", "CondizioneOccupazionaleUnAnnoPrima": "studente", "DataDID": "2026-09-20"}"#,
    )
    .unwrap();
    let e = p.profile(&r, "2026-11-23".parse().unwrap()).unwrap_err();
    assert_eq!(e.field, "TitoloDiStudio");
    assert_eq!(e.record_id.as_deref(), Some("P3"));
}

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    model: String,
    index: Vec<String>,
    class: Vec<u8>,
}

/// The published class tables, at their exact boundaries (tests/cases/class_boundaries.toml).
#[test]
fn class_cutoffs_at_exact_boundaries() {
    let cases: Cases = toml::from_str(include_str!("../cases/class_boundaries.toml")).unwrap();
    let c = crate::catalog();
    for case in cases.case {
        let classes = &c.profiling(&case.model).unwrap().classes;
        assert_eq!(classes.status, incrocio_profiling::Status::Official);
        for (index, want) in case.index.iter().zip(&case.class) {
            let units: i64 = index.replace('.', "").parse().unwrap();
            assert_eq!(
                classes.class_of(units),
                *want,
                "{}: index {index}",
                case.model
            );
        }
    }
}

#[test]
fn probit_model_from_a_file() {
    let text = include_str!("../../models/profiling/did.v1.toml")
        .replace("link = \"logit\"", "link = \"probit\"")
        .replace("version = 1", "version = 99");
    let m =
        incrocio_profiling::ProfilingModel::from_toml("probit.toml", &text, Reference::bundled())
            .unwrap();
    let c = crate::catalog();
    let p = Profiler {
        model: &m,
        adr: c.adr(None).unwrap(),
        reference: Reference::bundled(),
    };
    let r: ProfileRecord = serde_json::from_str(NAPOLI).unwrap();
    let out = p.profile(&r, "2026-11-23".parse().unwrap()).unwrap();
    // Φ(2.8405) = 0.99774785… → 0.997748.
    assert_eq!(out.index, 0.997748);
}
