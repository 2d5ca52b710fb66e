//! Graduatorie: hand-computed legal cases (tests/cases/graduatorie/*.toml) checked by one
//! function, determinism, the published CSV, riesame, and ranking invariants.

use incrocio_graduatoria::{Applicant, Graduatoria, GraduatoriaRequest, rank, riesame};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    rules: String,
    publication_date: String,
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    posts: Option<u32>,
    #[serde(default = "yes")]
    public_employer: bool,
    applicants: Vec<Applicant>,
    expect: Vec<Expect>,
    #[serde(default)]
    excluded: Vec<ExpectExcluded>,
    #[serde(default)]
    list: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    id: String,
    total: Decimal,
    #[serde(default)]
    points: BTreeMap<String, Decimal>,
    #[serde(default)]
    tie_break: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectExcluded {
    id: String,
    reason: String,
}

fn request(c: &Case) -> GraduatoriaRequest {
    GraduatoriaRequest {
        publication_date: c.publication_date.parse().unwrap(),
        deadline: c.deadline.as_ref().map(|d| d.parse().unwrap()),
        posts: c.posts,
        public_employer: c.public_employer,
        applicants: c.applicants.clone(),
    }
}

/// The one checking function for every legal case file.
fn check(name: &str, text: &str) -> Graduatoria {
    let case: Case = toml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let catalog = crate::catalog();
    let rules = catalog.graduatoria(&case.rules).unwrap();
    let g = rank(rules, &request(&case)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let order: Vec<&str> = g.ranking.iter().map(|r| r.applicant_id.as_str()).collect();
    let want: Vec<&str> = case.expect.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(order, want, "{name}: order");
    for (row, e) in g.ranking.iter().zip(&case.expect) {
        assert_eq!(row.total, e.total, "{name}: total of {}", e.id);
        for (criterion, points) in &e.points {
            let got = row
                .criteria
                .iter()
                .find(|c| *c.criterion == **criterion)
                .unwrap_or_else(|| panic!("{name}: {} has no {criterion}", e.id));
            assert_eq!(
                got.points, *points,
                "{name}: {} {criterion} ({})",
                e.id, got.rule
            );
        }
        let decided = row.tie_break.as_ref().map(|t| t.decided_by.to_string());
        assert_eq!(decided, e.tie_break, "{name}: tie-break of {}", e.id);
        let sum: Decimal = row.criteria.iter().map(|c| c.points).sum();
        assert_eq!(
            row.total - sum,
            rules.base.unwrap(),
            "{name}: {} total = base + criteria",
            e.id
        );
    }
    let excluded: Vec<&str> = g.excluded.iter().map(|x| x.applicant_id.as_str()).collect();
    assert_eq!(
        excluded,
        case.excluded
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
        "{name}: excluded"
    );
    for (x, e) in g.excluded.iter().zip(&case.excluded) {
        assert!(
            x.reason.contains(&e.reason),
            "{name}: {} excluded for {}",
            x.applicant_id,
            x.reason
        );
    }
    if let Some(list) = &case.list {
        let got: Vec<&str> = g.list.iter().map(|l| l.applicant_id.as_str()).collect();
        assert_eq!(&got, list, "{name}: list sent");
    }
    assert_pretty_is_serde_json(&g, name);
    g
}

/// `Graduatoria::write_pretty` (rows and inputs serialized in parallel) writes the bytes
/// `serde_json::to_writer_pretty` writes.
fn assert_pretty_is_serde_json(g: &Graduatoria, name: &str) {
    let mut fast = Vec::new();
    g.write_pretty(&mut fast).unwrap();
    let slow = serde_json::to_vec_pretty(g).unwrap();
    if fast != slow {
        let at = fast.iter().zip(&slow).take_while(|(a, b)| a == b).count();
        let show = |v: &[u8]| {
            String::from_utf8_lossy(&v[at.saturating_sub(80)..(at + 80).min(v.len())]).into_owned()
        };
        panic!(
            "{name}: write_pretty differs at byte {at}:\n{}\n---\n{}",
            show(&fast),
            show(&slow)
        );
    }
}

/// Issue 32.5: the pretty JSON written in parallel batches is serde_json's to the byte on a
/// graduatoria longer than several batches (20,000 applicants: ties, exclusions, reserves,
/// suspensions, the list sent), on an empty one, and on one where everyone is excluded.
#[test]
fn issue_32_5_the_parallel_pretty_json_is_serde_jsons() {
    let catalog = crate::catalog();
    let rules = catalog.graduatoria("art16-lombardia").unwrap();
    let reserve = rules.reserves.first().map(|r| r.category.clone());
    let applicants: Vec<Applicant> = (0..20_000u32)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": format!("P{i:06}"),
                "data_nascita": format!("{}-{:02}-{:02}", 1960 + i % 40, 1 + i % 12, 1 + i % 28),
                "data_did": if i % 7 == 0 { serde_json::Value::Null } else { format!("20{:02}-03-01", 18 + i % 8).into() },
                "sospensioni": if i % 97 == 0 && i % 7 != 0 { serde_json::json!([{"Dal": "2026-01-10", "Al": "2026-01-20"}]) } else { serde_json::json!([]) },
                "isee": if i % 11 == 0 { serde_json::Value::Null } else { format!("{}.{:02}", i % 600 * 50, i % 100).into() },
                "isee_valido": i % 13 != 0,
                "carichi": i % 4,
                "riserve": match (&reserve, i % 31) { (Some(r), 0) => serde_json::json!([r]), _ => serde_json::json!([]) },
            }))
            .unwrap()
        })
        .collect();
    let mut req = GraduatoriaRequest {
        publication_date: "2026-03-01".parse().unwrap(),
        deadline: None,
        posts: Some(40),
        public_employer: true,
        applicants,
    };
    let g = rank(rules, &req).unwrap();
    assert!(g.ranking.len() > 2 * 8192, "{}", g.ranking.len());
    assert!(g.ranking.iter().any(|r| r.tie_break.is_some()));
    assert_pretty_is_serde_json(&g, "20,000");
    req.applicants.clear();
    assert_pretty_is_serde_json(&rank(rules, &req).unwrap(), "empty");
    // Everyone excluded (DID after the deadline): an empty ranking beside non-empty inputs.
    req.applicants = vec![
        serde_json::from_value(
            serde_json::json!({"id": "X", "data_nascita": "1990-01-01", "data_did": "2026-03-01"}),
        )
        .unwrap(),
    ];
    let g = rank(rules, &req).unwrap();
    assert_pretty_is_serde_json(&g, "excluded");
}

#[test]
fn emilia_romagna() {
    let g = check(
        "emilia-romagna",
        include_str!("../cases/graduatorie/emilia-romagna.toml"),
    );
    let e = g.list.iter().find(|l| l.applicant_id == "E").unwrap();
    assert_eq!(e.title, "riserva:militari_volontari");
    assert!(
        g.warnings.iter().any(|w| w.contains("eta")),
        "inferred parameters are flagged: {:?}",
        g.warnings
    );
}

#[test]
fn campania() {
    check(
        "campania",
        include_str!("../cases/graduatorie/campania.toml"),
    );
}

#[test]
fn veneto() {
    let g = check("veneto", include_str!("../cases/graduatorie/veneto.toml"));
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("tie-break chain is Partial"))
    );
    assert!(g.warnings.iter().any(|w| w.contains("not resolved")));
}

#[test]
fn lombardia() {
    check(
        "lombardia",
        include_str!("../cases/graduatorie/lombardia.toml"),
    );
}

#[test]
fn l68_nazionale() {
    check(
        "l68-nazionale",
        include_str!("../cases/graduatorie/l68-nazionale.toml"),
    );
}

#[test]
fn l68_piemonte() {
    check(
        "l68-piemonte",
        include_str!("../cases/graduatorie/l68-piemonte.toml"),
    );
}

#[derive(Deserialize)]
struct ErrorCases {
    error: Vec<ErrorCase>,
}

#[derive(Deserialize)]
struct ErrorCase {
    rules: String,
    publication_date: String,
    applicants: Vec<Applicant>,
    message: Vec<String>,
}

#[test]
fn refused_inputs_and_incomplete_rules_are_named() {
    let cases: ErrorCases =
        toml::from_str(include_str!("../cases/graduatorie/errors.toml")).unwrap();
    let catalog = crate::catalog();
    for c in cases.error {
        let req = GraduatoriaRequest {
            publication_date: c.publication_date.parse().unwrap(),
            deadline: None,
            posts: None,
            public_employer: true,
            applicants: c.applicants,
        };
        let err = rank(catalog.graduatoria(&c.rules).unwrap(), &req)
            .unwrap_err()
            .to_string();
        for m in &c.message {
            assert!(err.contains(m.as_str()), "{}: `{err}` lacks `{m}`", c.rules);
        }
    }
}

#[test]
fn national_table_without_public_employer_skips_invalidity() {
    let case: Case =
        toml::from_str(include_str!("../cases/graduatorie/l68-nazionale.toml")).unwrap();
    let mut req = request(&case);
    req.public_employer = false;
    let catalog = crate::catalog();
    let g = rank(catalog.graduatoria(&case.rules).unwrap(), &req).unwrap();
    let n1 = g.ranking.iter().find(|r| r.applicant_id == "N1").unwrap();
    assert_eq!(n1.total, Decimal::from(1372));
    assert!(n1.criteria.iter().all(|c| &*c.criterion != "invalidita"));
}

#[test]
fn same_input_in_any_order_gives_byte_identical_output() {
    let case: Case = toml::from_str(include_str!("../cases/graduatorie/campania.toml")).unwrap();
    let catalog = crate::catalog();
    let rules = catalog.graduatoria(&case.rules).unwrap();
    let mut req = request(&case);
    let a = serde_json::to_string(&rank(rules, &req).unwrap()).unwrap();
    req.applicants.reverse();
    let b = serde_json::to_string(&rank(rules, &req).unwrap()).unwrap();
    assert_eq!(a, b);
    let csv_a = incrocio_graduatoria::files::graduatoria_csv(&rank(rules, &req).unwrap()).unwrap();
    assert!(csv_a.starts_with(
        "posizione,id,punteggio,isee,anzianita_disoccupazione,carico_familiare,parita,esito\n"
    ));
    assert!(
        csv_a.contains(
            "\n7,C4,83.9,-20,2.9,1,dopo C3: più punti per carichi familiari (punti 1.5 contro 1),"
        ),
        "{csv_a}"
    );
}

#[test]
fn riesame_explains_who_moved_and_why() {
    let text = include_str!("../cases/graduatorie/emilia-romagna.toml");
    let case: Case = toml::from_str(text).unwrap();
    let catalog = crate::catalog();
    let rules = catalog.graduatoria(&case.rules).unwrap();
    let before = rank(rules, &request(&case)).unwrap();
    let mut req = request(&case);
    // A's corrected ISEE: 5.000 → −5, total 100: from 5th to 3rd; B and D move down one place.
    req.applicants
        .iter_mut()
        .find(|a| a.id == "A")
        .unwrap()
        .isee = Some(Decimal::from(5000));
    let after = rank(rules, &req).unwrap();
    let diff = riesame(&before, &after);
    assert_eq!(diff.corrected, ["A"]);
    let moves: Vec<(&str, Option<u32>, Option<u32>)> = diff
        .moves
        .iter()
        .map(|m| (m.applicant_id.as_str(), m.from, m.to))
        .collect();
    assert_eq!(
        moves,
        [
            ("A", Some(5), Some(3)),
            ("B", Some(3), Some(4)),
            ("D", Some(4), Some(5))
        ]
    );
    assert_eq!(diff.moves[0].own_changes[0].field, "isee");
    // The values as the applicant's fields, not JSON text inside a string.
    assert_eq!(diff.moves[0].own_changes[0].before, "12500.00");
    assert_eq!(diff.moves[0].own_changes[0].after, "5000");
    assert_eq!(diff.moves[1].cause, "others' corrections: A");
    assert_ne!(diff.previous_input_digest, diff.input_digest);
}

fn applicant() -> impl Strategy<Value = Applicant> {
    (
        0u32..40_000,
        1950i32..2005,
        0u32..4,
        proptest::option::of(0u32..60_000),
        0u32..3,
    )
        .prop_map(|(id, year, carichi, isee, did)| Applicant {
            id: format!("A{id:05}"),
            data_nascita: chrono::NaiveDate::from_ymd_opt(year, 1 + (id % 12), 1 + (id % 28))
                .unwrap(),
            data_did: (did > 0)
                .then(|| chrono::NaiveDate::from_ymd_opt(2020 + did as i32, 1, 15).unwrap()),
            sospensioni: vec![],
            data_iscrizione: None,
            isee: isee.map(|x| Decimal::new(x as i64 * 100 + (id % 100) as i64, 2)),
            isee_valido: true,
            carichi,
            carichi_invalidi: 0,
            invalidita: None,
            reddito: None,
            riserve: vec![],
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The ranking is a permutation of the eligible, totals are monotone in the rules' order,
    /// and shuffling the input changes nothing.
    #[test]
    fn ranking_invariants(mut people in proptest::collection::vec(applicant(), 1..60), seed in 0u64..1000) {
        people.sort_by(|a, b| a.id.cmp(&b.id));
        people.dedup_by(|a, b| a.id == b.id);
        let catalog = crate::catalog();
        for rules_id in ["art16-campania", "art16-emilia-romagna", "art16-lombardia"] {
            let rules = catalog.graduatoria(rules_id).unwrap();
            let req = GraduatoriaRequest {
                publication_date: "2026-03-01".parse().unwrap(),
                deadline: None,
                posts: Some(3),
                public_employer: true,
                applicants: people.clone(),
            };
            let g = rank(rules, &req).unwrap();
            prop_assert_eq!(g.ranking.len() + g.excluded.len(), people.len());
            for w in g.ranking.windows(2) {
                prop_assert!(w[0].total >= w[1].total);
            }
            let positions: Vec<u32> = g.ranking.iter().map(|r| r.position).collect();
            prop_assert_eq!(positions, (1..=g.ranking.len() as u32).collect::<Vec<_>>());
            prop_assert_eq!(g.list.len(), 6.min(g.ranking.len()));
            assert_pretty_is_serde_json(&g, rules_id);
            let mut shuffled = req.clone();
            let k = (seed as usize) % people.len();
            shuffled.applicants.rotate_left(k);
            prop_assert_eq!(&rank(rules, &shuffled).unwrap(), &g);
        }
    }
}

/// Issue 11.6: the DPR 246/1997 invalidity brackets are written in whole numbers (34–50,
/// 51–66, 67–79, 80–100) but percentages may carry decimals. Reading: a bracket reaches up to
/// the next bracket's first value, so a percentage that has not reached 51 (50.5) stays in
/// 34–50; nothing falls between brackets. Below 34: no points.
#[test]
fn issue_11_6_l68_invalidity_brackets_cover_decimal_percentages() {
    let catalog = crate::catalog();
    let rules = catalog.graduatoria("l68-nazionale-dpr246").unwrap();
    let cases = [
        ("33.9", "0"),
        ("34", "-7"),
        ("50", "-7"),
        ("50.5", "-7"),
        ("51", "-14"),
        ("66.5", "-14"),
        ("79.9", "-21"),
        ("80", "-28"),
        ("100", "-28"),
    ];
    let applicants: Vec<Applicant> = cases
        .iter()
        .enumerate()
        .map(|(i, (pct, _))| {
            serde_json::from_value(serde_json::json!({
                "id": format!("I{i}"), "data_nascita": "1980-01-01",
                "data_iscrizione": "2020-04-30", "reddito": "0", "invalidita": pct
            }))
            .unwrap()
        })
        .collect();
    let req = GraduatoriaRequest {
        publication_date: "2026-03-01".parse().unwrap(),
        deadline: None,
        posts: None,
        public_employer: true,
        applicants,
    };
    let g = rank(rules, &req).unwrap();
    for (i, (pct, points)) in cases.iter().enumerate() {
        let row = g
            .ranking
            .iter()
            .find(|r| r.applicant_id == format!("I{i}"))
            .unwrap();
        let c = row
            .criteria
            .iter()
            .find(|c| &*c.criterion == "invalidita")
            .unwrap();
        assert_eq!(
            c.points.to_string(),
            *points,
            "invalidità {pct}%: {}",
            c.rule
        );
    }
}
