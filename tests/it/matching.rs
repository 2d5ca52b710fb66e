//! The candidate index and the rosa: hard rules, size rule, suggestions, determinism, synonyms.

use incrocio_core::reference::Reference;
use incrocio_matching::{CandidateIndex, CandidateRecord, Shortlist, VacancyRecord};
use incrocio_taxonomy::Taxonomy;
use serde_json::{Value, json};

const ROMA: &str = "058091";
const FIUMICINO: &str = "058120";
/// CP2011 3.1.2.3.0 "Tecnici web"; its voci and the linked ESCO occupation ("webmaster").
const WEB: &str = "3.1.2.3.0";

fn candidate(id: &str, comune: &str, extra: Value) -> CandidateRecord {
    let mut v = json!({
        "id": id, "comune_domicilio": comune, "stato": "attivo",
        "titolo_studio": "40000000",
        "esperienze": [{"cp2011": WEB, "mesi": 36}],
        "patenti": ["02"],
        "sintesi": "sviluppo siti web e gestione contenuti"
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn vacancy(extra: Value) -> VacancyRecord {
    let mut v = json!({
        "id": "V1", "titolo": "webmaster", "comune": ROMA, "raggio_km": 25,
        "contratto": "A01", "patenti": ["02"]
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn build(dir: &std::path::Path, records: Vec<CandidateRecord>) -> CandidateIndex {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let candidates = records
        .into_iter()
        .map(|c| {
            c.validate(r, t, "2026-11-23".parse().unwrap(), &crate::titles())
                .unwrap()
        })
        .collect::<Vec<_>>();
    let idx = CandidateIndex::create(dir, "2026-11-23".parse().unwrap(), &crate::matching_model())
        .unwrap();
    idx.upsert(&candidates, t).unwrap();
    idx
}

fn shortlist(idx: &CandidateIndex, v: VacancyRecord, size: Option<u32>) -> Shortlist {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let model = crate::matching_model();
    idx.shortlist(
        &v.validate(r, t, &crate::titles()).unwrap(),
        &model,
        size,
        t,
    )
    .unwrap()
}

fn ids(s: &Shortlist) -> Vec<&str> {
    s.rosa.iter().map(|e| e.candidate_id.as_str()).collect()
}

#[test]
fn hard_rules_exclude_by_radius_licence_status_travel_limit_and_language() {
    let dir = tempfile::tempdir().unwrap();
    let r = Reference::bundled();
    let d = r.territory.distance_km(
        r.territory.comune(ROMA).unwrap(),
        r.territory.comune(FIUMICINO).unwrap(),
    );
    let idx = build(
        dir.path(),
        vec![
            candidate("in", ROMA, json!({})),
            candidate("far", FIUMICINO, json!({})),
            candidate("no-licence", ROMA, json!({"patenti": []})),
            candidate("suspended", ROMA, json!({"stato": "sospeso"})),
            candidate(
                "short-travel",
                FIUMICINO,
                json!({"disponibilita": {"km_max": 5}}),
            ),
            candidate(
                "english",
                ROMA,
                json!({"lingue": [{"codice": "001", "livello": "B2"}]}),
            ),
        ],
    );
    // Fiumicino lies between 1 and 2 km beyond this radius: out.
    let beyond = (d - 1.0).floor() as u32;
    let s = shortlist(&idx, vacancy(json!({"raggio_km": beyond})), None);
    let mut got = ids(&s);
    got.sort();
    assert_eq!(got, ["english", "in"]);
    assert_eq!(s.eligible_count, 2);
    // Just inside the radius: Fiumicino is in, except for the one who travels 5 km at most.
    let within = d.ceil() as u32;
    let s = shortlist(&idx, vacancy(json!({"raggio_km": within})), None);
    let mut got = ids(&s);
    got.sort();
    assert_eq!(got, ["english", "far", "in"]);
    let far = s.rosa.iter().find(|e| e.candidate_id == "far").unwrap();
    assert!((far.distance_km - d).abs() < 0.1);
    // A language requirement keeps only who meets the level.
    let s = shortlist(
        &idx,
        vacancy(json!({"lingue": [{"codice": "001", "livello": "B1"}]})),
        None,
    );
    assert_eq!(ids(&s), ["english"]);
    let s = shortlist(
        &idx,
        vacancy(json!({"lingue": [{"codice": "001", "livello": "C1"}]})),
        None,
    );
    assert!(s.rosa.is_empty());
    assert_eq!(s.eligible_count, 0);
}

#[test]
fn rosa_holds_fifteen_unless_asked_and_suggests_narrowing() {
    let dir = tempfile::tempdir().unwrap();
    let records = (0..20)
        .map(|i| {
            let extra = if i % 2 == 0 {
                json!({"lingue": [{"codice": "001", "livello": "B2"}], "titolo_studio": "70000000"})
            } else {
                json!({})
            };
            candidate(&format!("C{i:02}"), ROMA, extra)
        })
        .collect();
    let idx = build(dir.path(), records);
    let s = shortlist(&idx, vacancy(json!({})), None);
    assert_eq!(s.eligible_count, 20);
    assert_eq!(s.rosa.len(), 15);
    assert_eq!(s.rosa_size, 15);
    let english = s
        .suggestions
        .iter()
        .find(|x| x.parameter == "lingue")
        .unwrap();
    assert_eq!(english.remaining, 10);
    let laurea = s
        .suggestions
        .iter()
        .find(|x| x.parameter == "livello_studio_min" && x.value == "7")
        .unwrap();
    assert_eq!(laurea.remaining, 10);
    // The employer asks for 5; or for 30, and gets all 20 without suggestions.
    assert_eq!(shortlist(&idx, vacancy(json!({})), Some(5)).rosa.len(), 5);
    let all = shortlist(&idx, vacancy(json!({"dimensione_rosa": 30})), None);
    assert_eq!(all.rosa.len(), 20);
    assert!(all.suggestions.is_empty());
    // Positions are 1.., scores never increase, every answer names the model and the input.
    for (i, e) in all.rosa.iter().enumerate() {
        assert_eq!(e.position as usize, i + 1);
    }
    assert!(all.rosa.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(all.model, crate::matching_model().key());
    assert_eq!(all.model, "default@v6");
    assert!(all.input_digest.starts_with("sha256:"));
}

#[test]
fn same_input_same_answer_and_reopen_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let records = (0..30)
        .map(|i| candidate(&format!("C{i:02}"), ROMA, json!({})))
        .collect();
    let idx = build(dir.path(), records);
    // Every answer is a new rosa (its own id and time); everything else is the same.
    let content = |mut s: incrocio_matching::Shortlist| {
        assert!(s.rosa_id.starts_with("rosa-") && !s.generated_at.is_empty());
        s.rosa_id.clear();
        s.generated_at.clear();
        serde_json::to_string(&s).unwrap()
    };
    let first = shortlist(&idx, vacancy(json!({})), None);
    let second = shortlist(&idx, vacancy(json!({})), None);
    assert_ne!(first.rosa_id, second.rosa_id);
    let (a, b) = (content(first), content(second));
    assert_eq!(a, b);
    drop(idx);
    let idx = CandidateIndex::open(dir.path()).unwrap();
    let c = content(shortlist(&idx, vacancy(json!({})), None));
    assert_eq!(a, c);
    // Identical candidates tie: ordered by id.
    let s = shortlist(&idx, vacancy(json!({})), Some(3));
    assert_eq!(ids(&s), ["C00", "C01", "C02"]);
    idx.delete(&["C00".into()]).unwrap();
    let s = shortlist(&idx, vacancy(json!({})), Some(3));
    assert_eq!(ids(&s), ["C01", "C02", "C03"]);
    assert_eq!(s.eligible_count, 29);
}

#[test]
fn a_vacancy_written_with_a_synonym_finds_the_occupation() {
    let dir = tempfile::tempdir().unwrap();
    let t = Taxonomy::bundled();
    let cook = t.occupations_by_title("cuoco")[0];
    let idx = build(
        dir.path(),
        vec![
            candidate("web", ROMA, json!({"sintesi": null})),
            candidate(
                "cook",
                ROMA,
                json!({"esperienze": [{"esco": t.occupations[cook as usize].uri(), "mesi": 36}],
                       "sintesi": null}),
            ),
        ],
    );
    // A CP2011 voce of "Tecnici web" that is none of the ESCO labels.
    let unit = t.cp2011_unit(WEB).unwrap();
    let voce = unit
        .voci
        .iter()
        .find(|v| !v.to_lowercase().contains("web"))
        .unwrap_or(&unit.voci[0])
        .to_lowercase();
    let s = shortlist(&idx, vacancy(json!({"titolo": voce})), None);
    assert_eq!(ids(&s)[0], "web", "{voce}: {:?}", s.rosa);
    // The voce resolves to a distribution (default@v4): the experience's credit is the
    // probability-weighted match, near 1 when the voce names "Tecnici web" with confidence.
    let soft = crate::titles().soft().unwrap();
    let d = t.title_distribution(&voce, &soft);
    let web = t.cp2011_unit(WEB).unwrap().esco[0].occupation;
    assert_eq!(d[0].0, web, "{voce}: {d:?}");
    assert!(s.rosa[0].contributions.esperienza.value >= f64::from(d[0].1) - 1e-4);
    assert!(s.rosa[0].contributions.competenze.value > s.rosa[1].contributions.competenze.value);
}

#[test]
fn reopening_another_format_version_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(build(dir.path(), vec![candidate("a", ROMA, json!({}))]));
    std::fs::write(
        dir.path().join("FORMAT"),
        "incrocio-candidate-index 999\nas_of 2026-11-23\n",
    )
    .unwrap();
    let e = CandidateIndex::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("version 999") && e.contains("rebuild"), "{e}");
}

#[test]
fn rebuild_drops_dead_vector_rows_and_keeps_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let records: Vec<CandidateRecord> = (0..6)
        .map(|i| candidate(&format!("C{i:02}"), ROMA, json!({})))
        .collect();
    let idx = build(&index, records.clone());
    // Replace C00 twice and delete C05: 9 rows for 5 live candidates.
    for _ in 0..2 {
        idx.upsert(
            &[records[0]
                .clone()
                .validate(r, t, "2026-11-23".parse().unwrap(), &crate::titles())
                .unwrap()],
            t,
        )
        .unwrap();
    }
    idx.delete(&["C05".into()]).unwrap();
    assert_eq!((idx.len().unwrap(), idx.vector_rows()), (5, 8));
    let before = shortlist(&idx, vacancy(json!({})), None);
    drop(idx);
    let idx = CandidateIndex::rebuild(&index, t).unwrap();
    assert_eq!((idx.len().unwrap(), idx.vector_rows()), (5, 5));
    let after = shortlist(&idx, vacancy(json!({})), None);
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(after.rosa[0].score, before.rosa[0].score);
    assert_eq!(idx.get("C03").unwrap(), Some(records[3].clone()));
    assert!(idx.get("C05").unwrap().is_none());
    // Reopening sees the rebuilt index.
    drop(idx);
    assert_eq!(CandidateIndex::open(&index).unwrap().vector_rows(), 5);
}

/// `index build` reads, validates and indexes a file block by block into a fresh directory:
/// the index answers every vacancy as one written by `upsert` from the same records (rosa,
/// scores, eligible counts, suggestions); a bad line late in the file is named and leaves
/// nothing behind; an existing index is not overwritten.
#[test]
fn a_streamed_build_answers_as_upsert_and_a_bad_line_leaves_nothing() {
    use incrocio_synth::{CvSpec, Synthetic, write_jsonl};
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let as_of: chrono::NaiveDate = "2026-11-23".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = |n, seed| CvSpec { n, seed, as_of };
    write_jsonl(&d.join("cvs.jsonl"), &spec(3_000, 5), Synthetic::Cvs, r, t).unwrap();
    let vacancies = Synthetic::Vacancies { with_truth: false };
    write_jsonl(&d.join("v.jsonl"), &spec(40, 6), vacancies, r, t).unwrap();
    let model = crate::matching_model();
    let params = incrocio_matching::IndexParams::of(&model);

    let build = |dir: &str, input: &str| {
        let source = incrocio_matching::IndexSource {
            input: &d.join(input),
            as_of,
            params: &params,
            latest: as_of,
            progress: false,
        };
        CandidateIndex::build(&d.join(dir), &source, t)
    };
    let upserted =
        CandidateIndex::create(&d.join("upserted"), as_of, &crate::matching_model()).unwrap();
    let candidates =
        incrocio_matching::read_candidates(&d.join("cvs.jsonl"), r, t, as_of, &crate::titles())
            .unwrap();
    upserted.upsert(&candidates, t).unwrap();
    // An existing, empty directory is built into.
    std::fs::create_dir(d.join("built")).unwrap();
    let n = build("built", "cvs.jsonl").unwrap();
    assert_eq!(n, 3_000);
    let built = CandidateIndex::open(&d.join("built")).unwrap();
    assert_eq!(built.len().unwrap(), 3_000);
    assert_eq!(built.vector_rows(), 3_000);
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let vacancies =
        incrocio_matching::board::read_vacancies(&d.join("v.jsonl"), r, t, &crate::titles())
            .unwrap();
    let mut compared = 0;
    for v in &vacancies {
        let (a, b) = (
            upserted.shortlist(v, &model, None, t).unwrap(),
            built.shortlist(v, &model, None, t).unwrap(),
        );
        // Everything but the moment and the id of the rosa, which name the request.
        let answer = |s: &Shortlist| {
            let mut v = serde_json::to_value(s).unwrap();
            let o = v.as_object_mut().unwrap();
            assert!(o.remove("generated_at").is_some() && o.remove("rosa_id").is_some());
            v
        };
        assert_eq!(answer(&a), answer(&b), "vacancy {}", v.record.id);
        compared += usize::from(!a.rosa.is_empty());
    }
    assert!(compared >= 20, "only {compared} vacancies have a rosa");

    // A bad line near the end: named, and neither the index nor its working directory stays.
    let mut text = std::fs::read_to_string(d.join("cvs.jsonl")).unwrap();
    text.push_str("{\"id\": \"late\", \"comune_domicilio\": \"999999\"}\n");
    std::fs::write(d.join("bad.jsonl"), text).unwrap();
    let e = build("never", "bad.jsonl").unwrap_err().to_string();
    assert!(e.contains("row 3001"), "{e}");
    assert!(!d.join("never").exists());
    assert!(!d.join(".never.build").exists());
    // An index is never built over another.
    let e = build("built", "cvs.jsonl").unwrap_err().to_string();
    assert!(e.contains("an index already exists here"), "{e}");
    assert_eq!(
        CandidateIndex::open(&d.join("built"))
            .unwrap()
            .len()
            .unwrap(),
        3_000
    );
}
