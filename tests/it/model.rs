//! Issue 12: the matching model whole — every constant in the model file, scores that add up,
//! v1 rosas unchanged, adjacent occupations, titles, and an index that refuses a model it was
//! not built for.

use incrocio_core::cancel::Cancel;
use incrocio_core::reference::Reference;
use incrocio_engine::{Engine, ShortlistRequest};
use incrocio_matching::{
    CandidateIndex, CandidateRecord, IndexParams, MatchingModel, Shortlist, VacancyRecord,
    read_candidates,
};
use incrocio_synth::{CvSpec, Synthetic, write_jsonl};
use incrocio_taxonomy::Taxonomy;
use serde::Deserialize;
use serde_json::json;

fn as_of() -> chrono::NaiveDate {
    "2026-11-23".parse().unwrap()
}

/// The golden data: 3,000 synthetic CVs (seed 42) and 40 vacancies (seed 7), as the CLI's
/// `synth cvs` / `synth vacancies` write them, indexed for `model`.
fn golden(dir: &std::path::Path, model: &MatchingModel) -> (CandidateIndex, Vec<VacancyRecord>) {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let cvs = dir.join("cvs.jsonl");
    let vac = dir.join("vac.jsonl");
    let spec = |n, seed| CvSpec {
        n,
        seed,
        as_of: as_of(),
    };
    write_jsonl(&cvs, &spec(3_000, 42), Synthetic::Cvs, r, t).unwrap();
    let what = Synthetic::Vacancies { with_truth: false };
    write_jsonl(&vac, &spec(40, 7), what, r, t).unwrap();
    let candidates = read_candidates(&cvs, r, t, as_of(), &model.titles).unwrap();
    let idx =
        CandidateIndex::create_with(&dir.join("idx"), as_of(), &IndexParams::of(model)).unwrap();
    idx.upsert(&candidates, t).unwrap();
    let vacancies = std::fs::read_to_string(&vac)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (idx, vacancies)
}

fn rosas(idx: CandidateIndex, model: MatchingModel, vacancies: &[VacancyRecord]) -> Vec<Shortlist> {
    let engine = Engine::new(crate::catalog(), model, Some(idx));
    vacancies
        .iter()
        .map(|v| {
            engine
                .shortlist(
                    ShortlistRequest {
                        vacancy: v.clone(),
                        size: None,
                        data_richiesta: None,
                        exclude: Vec::new(),
                    },
                    "test",
                    &Cancel::never(),
                )
                .unwrap()
                .without_records()
                .unwrap()
        })
        .collect()
}

#[test]
fn issue_12_2_default_v1_gives_the_rosas_it_gave_before_the_model_file_held_every_constant() {
    // tests/fixtures/matching/rosas-default-v1.tsv was written by the release before this
    // change (the CLI's `shortlist` on the same data): vacancy, position, candidate, score.
    let dir = tempfile::tempdir().unwrap();
    let v1 = crate::catalog().matching("default@v1").unwrap().clone();
    let (idx, vacancies) = golden(dir.path(), &v1);
    let mut got = String::new();
    for s in rosas(idx, v1, &vacancies) {
        for e in &s.rosa {
            let score = (e.score * 1e6).round() / 1e6;
            got.push_str(&format!(
                "{}\t{}\t{}\t{score:.6}\n",
                s.vacancy_id, e.position, e.candidate_id
            ));
            // The parts add up to the score.
            let sum: f64 = e.contributions.lessicale.contribution
                + e.contributions.competenze.contribution
                + e.contributions.esperienza.contribution
                + e.contributions.istruzione.contribution
                + e.contributions.distanza.contribution;
            assert!((sum - e.score).abs() <= 1e-9, "{sum} vs {}", e.score);
        }
    }
    let want = include_str!("../fixtures/matching/rosas-default-v1.tsv");
    assert_eq!(got, want);
}

#[test]
fn issue_12_3_every_rosa_entry_adds_up_and_suggestions_narrow() {
    let dir = tempfile::tempdir().unwrap();
    let v2 = crate::matching_model();
    let w = v2.weights;
    let (idx, vacancies) = golden(dir.path(), &v2);
    let mut adjacent = 0;
    for s in rosas(idx, v2.clone(), &vacancies) {
        for e in &s.rosa {
            let c = &e.contributions;
            let parts = [
                (c.lessicale, w.lessicale),
                (c.competenze, w.competenze),
                (c.esperienza, w.esperienza),
                (c.istruzione, w.istruzione),
                (c.distanza, w.distanza),
            ];
            let mut sum = 0.0;
            for (p, weight) in parts {
                assert_eq!(p.weight, weight);
                assert!((p.contribution - p.weight * p.value).abs() <= 1e-12);
                assert!((0.0..=1.0).contains(&p.value));
                sum += p.contribution;
            }
            assert!((sum - e.score).abs() <= 1e-9);
            if let Some(x) = &e.experience
                && x.relation == incrocio_matching::ExperienceRelation::AdjacentOccupation
            {
                adjacent += 1;
                let sim = x.similarity.unwrap();
                match &x.soft {
                    // Soft occupations (v4): the value is the expected match, the adjacent
                    // pair its largest term.
                    Some(soft) => assert_eq!(c.esperienza.value, soft.expected_match),
                    None => {
                        let want = v2.esperienza.proximity * sim;
                        assert!((c.esperienza.value - want).abs() < 1e-6, "{x:?}");
                    }
                }
            }
        }
        for sug in &s.suggestions {
            assert!(
                sug.remaining >= 1 && sug.remaining < s.eligible_count,
                "{sug:?}"
            );
        }
    }
    assert!(
        adjacent > 0,
        "no rosa entry earned adjacent-occupation credit"
    );
}

#[derive(Deserialize)]
struct HandCase {
    model: String,
    tolerance: f64,
    vacancy: VacancyRecord,
    candidates: Vec<CandidateRecord>,
    expect: Vec<HandExpect>,
}

#[derive(Deserialize)]
struct HandExpect {
    id: String,
    values: [f64; 5],
    score: f64,
}

#[test]
fn issue_12_3_a_rosa_computed_by_hand() {
    let case: HandCase =
        toml::from_str(include_str!("../cases/matching/rosa-a-mano.toml")).unwrap();
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let model = crate::catalog().matching(&case.model).unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let idx = CandidateIndex::create_with(dir.path(), as_of(), &IndexParams::of(&model)).unwrap();
    let candidates: Vec<_> = case
        .candidates
        .into_iter()
        .map(|c| c.validate(r, t, as_of(), &model.titles).unwrap())
        .collect();
    idx.upsert(&candidates, t).unwrap();
    let engine = Engine::new(crate::catalog(), model, Some(idx));
    let s = engine
        .shortlist(
            ShortlistRequest {
                vacancy: case.vacancy,
                size: None,
                data_richiesta: None,
                exclude: Vec::new(),
            },
            "test",
            &Cancel::never(),
        )
        .unwrap()
        .without_records()
        .unwrap();
    assert_eq!(s.rosa.len(), case.expect.len());
    for (e, want) in s.rosa.iter().zip(&case.expect) {
        assert_eq!(e.candidate_id, want.id);
        let c = &e.contributions;
        let got = [
            c.lessicale.value,
            c.competenze.value,
            c.esperienza.value,
            c.istruzione.value,
            c.distanza.value,
        ];
        for (k, (g, w)) in got.iter().zip(want.values).enumerate() {
            assert!(
                (g - w).abs() <= case.tolerance,
                "{} part {k}: {g} vs {w}",
                want.id
            );
        }
        assert!(
            (e.score - want.score).abs() <= case.tolerance,
            "{}: {}",
            want.id,
            e.score
        );
    }
}

#[test]
fn issue_12_2_an_index_refuses_a_model_it_was_not_built_for() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = crate::catalog().matching("default@v1").unwrap().clone();
    let idx = CandidateIndex::create_with(dir.path(), as_of(), &IndexParams::of(&v1)).unwrap();
    drop(idx);
    // Reopened, it knows what it was built with.
    let idx = CandidateIndex::open(dir.path()).unwrap();
    assert_eq!(idx.params(), &IndexParams::of(&v1));
    let engine = Engine::new(crate::catalog(), crate::matching_model(), Some(idx));
    let e = engine.check().unwrap_err().to_string();
    assert!(e.contains(": `titles`:") && e.contains("rebuild"), "{e}");
    let text = include_str!("../../models/matching/default.v2.toml")
        .replace("half_life_years = 5.0", "half_life_years = 4.0");
    let changed = MatchingModel::parse("x.toml", &text).unwrap();
    let idx = CandidateIndex::open(dir.path()).unwrap();
    let e = idx.check_model(&changed).unwrap_err().to_string();
    // The error names the section that differs (every message quotes both lines).
    assert!(e.contains(": `vectors`:") && e.contains("rebuild"), "{e}");
}

#[test]
fn issue_12_5_a_vacancy_credits_an_adjacent_occupation_and_says_so() {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let model = crate::matching_model();
    let engine = Engine::new(crate::catalog(), model.clone(), None);
    let web = "c40a2919-48a9-40ea-b506-1f34f693496d";
    let adj = engine.adjacent_occupations(web).unwrap();
    let web_isco = &adj.occupation.isco;
    // The nearest credited neighbour outside the web developer's own ISCO unit group.
    let near = adj
        .neighbours
        .iter()
        .find(|n| n.credited && &n.occupation.isco != web_isco)
        .expect("a credited neighbour in another unit group");
    // One candidate whose only experience is in that occupation, shortlisted under `m`.
    let first_entry = |m: &MatchingModel| {
        let dir = tempfile::tempdir().unwrap();
        let idx = CandidateIndex::create_with(dir.path(), as_of(), &IndexParams::of(m)).unwrap();
        let c: CandidateRecord = serde_json::from_value(json!({
            "id": "N1", "comune_domicilio": "058091", "stato": "attivo",
            "esperienze": [{"esco": near.occupation.uri, "mesi": 24}]
        }))
        .unwrap();
        idx.upsert(&[c.validate(r, t, as_of(), &m.titles).unwrap()], t)
            .unwrap();
        let engine = Engine::new(crate::catalog(), m.clone(), Some(idx));
        let s = engine
            .shortlist(
                serde_json::from_value(json!({"vacancy": {
                    "id": "V1", "titolo": "sviluppatore web", "esco": web, "comune": "058091",
                    "raggio_km": 10, "contratto": "A01"
                }}))
                .unwrap(),
                "test",
                &Cancel::never(),
            )
            .unwrap()
            .without_records()
            .unwrap();
        s.rosa[0].clone()
    };
    let e = first_entry(&model);
    let x = e.experience.as_ref().expect("credited");
    assert_eq!(
        x.relation,
        incrocio_matching::ExperienceRelation::AdjacentOccupation
    );
    assert_eq!(x.occupation.as_deref(), Some(near.occupation.uri.as_str()));
    assert_eq!(x.similarity, Some(near.similarity));
    let want = model.esperienza.proximity * near.similarity;
    assert!((e.contributions.esperienza.value - want).abs() < 1e-6);
    // Under v1 (no adjacent occupations) the same candidate earns nothing for experience.
    let e = first_entry(&crate::catalog().matching("default@v1").unwrap().clone());
    assert_eq!(e.contributions.esperienza.value, 0.0);
    assert!(e.experience.is_none());
}

#[test]
fn issue_12_4_titles_resolve_with_confidence_or_stay_unresolved() {
    let engine = Engine::bundled().unwrap();
    let r = engine.resolve_title("3d animatore", Some(3)).unwrap();
    assert_eq!(r.status, "resolved");
    let o = r.occupation.unwrap();
    assert!(o.occupation.label_it.contains("animatore 3D"), "{o:?}");
    assert_eq!(o.confidence, 1.0);
    assert!(r.candidates.len() <= 3);
    let r = engine.resolve_title("qwxz plorf", None).unwrap();
    assert_eq!(r.status, "unresolved");
    assert!(r.occupation.is_none());
    // v1 resolves exact labels only.
    let v1 = Engine::new(
        crate::catalog(),
        crate::catalog().matching("default@v1").unwrap().clone(),
        None,
    );
    assert_eq!(
        v1.resolve_title("3d animatore", None).unwrap().status,
        "unresolved"
    );
    assert_eq!(
        v1.resolve_title("animatore 3D", None).unwrap().status,
        "resolved"
    );
    for bad in ["", "   "] {
        assert!(engine.resolve_title(bad, None).is_err());
    }
    assert!(engine.resolve_title("cuoco", Some(0)).is_err());
    assert!(engine.resolve_title("cuoco", Some(21)).is_err());
}

#[test]
fn issue_12_4_the_development_set_is_resolved_well_enough_to_notice_a_regression() {
    // Floors well below what this release measures (README, `incrocio eval titles`), so that a
    // broken resolver fails here; the figures themselves are reported, not asserted.
    let t = Taxonomy::bundled();
    let cases =
        incrocio_taxonomy::titles::isco_cases(include_str!("../fixtures/titles/annunci.tsv"));
    assert!(cases.len() >= 100);
    let r = incrocio_taxonomy::titles::report(t, &cases, 7, 0.5);
    assert!(r.isco_titles.accuracy_at_5 > 0.75, "{:?}", r.isco_titles);
    assert!(
        r.held_out.accuracy_at_1 > 0.5,
        "{:?}",
        r.held_out.accuracy_at_1
    );
}

#[test]
fn issue_12_4_and_5_occupations_over_http() {
    use crate::http::{ALL, Server, assert_problem, call};
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("index"), "");
    let r = call(
        s.addr,
        "GET",
        "/v1/occupations?title=web%20developer&limit=3",
        Some(ALL),
        None,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["occupation"]["occupation"]["isco"], "2513");
    assert_eq!(v["model"], "default@v6");
    // The distribution vacancy and CV titles resolve to: an ad's title is cleaned first, so
    // it names what its plain title names, with the same probabilities.
    let get = |title: &str| {
        let r = call(
            s.addr,
            "GET",
            &format!("/v1/occupations?title={title}"),
            Some(ALL),
            None,
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let ad = get("Cercasi%20Infermiere%2Fa%20(m%2Ff)%20-%20Milano");
    let plain = get("infermiere");
    assert_eq!(ad["cleaned"], "infermiere");
    let d = ad["distribution"].as_array().unwrap();
    assert!(!d.is_empty());
    assert_eq!(ad["distribution"], plain["distribution"]);
    let sum: f64 = d.iter().map(|x| x["probability"].as_f64().unwrap()).sum();
    assert!(sum <= 1.0 + 1e-6 && sum > 0.5, "{sum}");
    let r = call(s.addr, "GET", "/v1/occupations?limit=3", Some(ALL), None);
    assert_problem(&r, 422);
    let r = call(
        s.addr,
        "GET",
        "/v1/occupations/c40a2919-48a9-40ea-b506-1f34f693496d/adjacent",
        Some(ALL),
        None,
    );
    assert_eq!(r.status, 200);
    let n = r.json()["neighbours"].as_array().unwrap().len();
    assert!(n > 10, "{n}");
    let r = call(
        s.addr,
        "GET",
        "/v1/occupations/nope/adjacent",
        Some(ALL),
        None,
    );
    assert_eq!(assert_problem(&r, 422)["field"], "code");
    let r = call(s.addr, "GET", "/v1/occupations?title=cuoco", None, None);
    assert_eq!(r.status, 401);
}

#[test]
fn issue_12_6_the_working_mode_is_a_hard_rule() {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let model = crate::matching_model();
    let dir = tempfile::tempdir().unwrap();
    let idx = CandidateIndex::create_with(dir.path(), as_of(), &IndexParams::of(&model)).unwrap();
    let people: Vec<_> = [
        ("FT", json!(["FT"])),
        ("PT", json!(["PT"])),
        ("NONE", json!([])),
        ("ANY", json!(["Q1"])),
    ]
    .into_iter()
    .map(|(id, modes)| {
        let c: CandidateRecord = serde_json::from_value(json!({
            "id": id, "comune_domicilio": "058091", "stato": "attivo",
            "disponibilita": {"modalita": modes}
        }))
        .unwrap();
        c.validate(r, t, as_of(), &model.titles).unwrap()
    })
    .collect();
    idx.upsert(&people, t).unwrap();
    let engine = Engine::new(crate::catalog(), model, Some(idx));
    let eligible = |mode: Option<&str>| {
        let mut v = json!({"id": "V", "titolo": "cuoco", "comune": "058091",
                           "raggio_km": 5, "contratto": "A01"});
        if let Some(m) = mode {
            v["modalita"] = json!(m);
        }
        let s = engine
            .shortlist(
                serde_json::from_value(json!({"vacancy": v})).unwrap(),
                "test",
                &Cancel::never(),
            )
            .unwrap()
            .without_records()
            .unwrap();
        let mut ids: Vec<String> = s.rosa.into_iter().map(|e| e.candidate_id).collect();
        ids.sort();
        ids
    };
    assert_eq!(eligible(Some("PT")), ["ANY", "NONE", "PT"]);
    assert_eq!(eligible(Some("FT")), ["ANY", "FT", "NONE"]);
    assert_eq!(eligible(Some("Q1")).len(), 4);
    assert_eq!(eligible(None).len(), 4);
}
