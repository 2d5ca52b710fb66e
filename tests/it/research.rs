//! The researchers' toolkit (issue 6): statsmodels agreement, recovery of a known model,
//! evaluation on data, the HTML report, comparison, tuning from judgments and esiti.

use std::path::Path;

use incrocio::batch::{PeopleTable, write_people, write_with_outcome};
use incrocio::profiling::{Link, Profiler, ProfilingModel, Status};
use incrocio::reference::Reference;
use incrocio::research::glm::{FitOptions, fit};
use incrocio::research::profiling::{
    FitRequest, OUTCOME, compare, evaluate, fit_profiling, observe, synth_outcomes,
};
use incrocio::research::report::html;
use incrocio::synth::PeopleSpec;
use ndarray::{Array1, Array2};
use serde_json::Value;

fn fixture() -> (Array2<f64>, Array1<f64>, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/glm");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut r = csv::Reader::from_path(dir.join("data.csv")).unwrap();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for row in r.records() {
        let row = row.unwrap();
        let v: Vec<f64> = row.iter().map(|c| c.parse().unwrap()).collect();
        xs.push(1.0);
        xs.extend_from_slice(&v[..v.len() - 1]);
        ys.push(v[v.len() - 1]);
    }
    let n = ys.len();
    (
        Array2::from_shape_vec((n, xs.len() / n), xs).unwrap(),
        Array1::from(ys),
        expected,
    )
}

#[test]
fn glm_agrees_with_statsmodels_to_1e_6() {
    let (x, y, expected) = fixture();
    for (name, link) in [("logit", Link::Logit), ("probit", Link::Probit)] {
        let f = fit(
            x.view(),
            y.view(),
            &FitOptions {
                link,
                tol: 1e-12,
                ..FitOptions::default()
            },
        )
        .unwrap();
        assert!(f.convergence.converged, "{name}");
        let e = &expected[name];
        for (i, b) in f.coefficients.iter().enumerate() {
            let want = e["coefficients"][i].as_f64().unwrap();
            assert!(
                (b - want).abs() < 1e-6,
                "{name} coefficient {i}: {b} vs statsmodels {want}"
            );
            let se = f.std_errors[i];
            let want = e["std_errors"][i].as_f64().unwrap();
            assert!(
                (se - want).abs() < 1e-6,
                "{name} std error {i}: {se} vs statsmodels {want}"
            );
        }
        let ll = e["log_likelihood"].as_f64().unwrap();
        assert!(
            (f.log_likelihood - ll).abs() < 1e-6,
            "{name} log-likelihood"
        );
    }
}

/// 20,000 synthetic people with outcomes drawn from the bundled DID model, in a temp dir.
fn labeled(dir: &Path) -> (std::path::PathBuf, PeopleTable, Vec<bool>) {
    let r = Reference::bundled();
    let as_of = "2026-11-23".parse().unwrap();
    let people = dir.join("people.parquet");
    write_people(
        &people,
        &PeopleSpec {
            n: 20_000,
            seed: 11,
            as_of,
        },
        r,
    )
    .unwrap();
    let c = crate::catalog();
    let p = Profiler {
        model: c.profiling("did").unwrap(),
        adr: c.adr(None).unwrap(),
        reference: r,
    };
    let table = PeopleTable::read(&people).unwrap();
    let y = synth_outcomes(&p, &table, as_of, 5).unwrap();
    // Same seed, same draws.
    assert_eq!(y, synth_outcomes(&p, &table, as_of, 5).unwrap());
    let out = dir.join("labeled.parquet");
    write_with_outcome(&people, &out, OUTCOME, &y).unwrap();
    let (t2, y2) = PeopleTable::read_labeled(&out, OUTCOME).unwrap();
    assert_eq!(y2, y);
    (out, t2, y2)
}

#[test]
fn fit_recovers_the_true_coefficients_and_the_report_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_, table, y) = labeled(dir.path());
    let r = Reference::bundled();
    let spec = include_str!("../../models/profiling/did.v1.toml");
    let req = FitRequest {
        spec_text: spec,
        spec_file: "models/profiling/did.v1.toml",
        id: Some("did-refit".into()),
        version: 1,
        data_digest: "sha256:test".into(),
        as_of: "2026-11-23".parse().unwrap(),
        options: FitOptions::default(),
    };
    let (text, report) = fit_profiling(&req, &table, &y, r).unwrap();
    assert!(report.fit.convergence.converged);
    let truth_model = crate::catalog().profiling("did").unwrap().clone();
    let design = incrocio::research::design::Design::of(&truth_model);
    let truth = design.coefficients(&truth_model);
    let mut inside_95 = 0;
    for ((name, b), (se, t)) in report
        .columns
        .iter()
        .zip(&report.fit.coefficients)
        .zip(report.fit.std_errors.iter().zip(&truth))
    {
        // Every coefficient within its 99.9% interval, and most within the 95% one.
        assert!(
            (b - t).abs() < 3.29 * se,
            "{name}: {b} ± {se} misses the truth {t}"
        );
        if (b - t).abs() < 1.96 * se {
            inside_95 += 1;
        }
    }
    assert!(
        inside_95 * 100 >= truth.len() * 80,
        "{inside_95} of {} within 95%",
        truth.len()
    );
    // The written file is a model: status fitted, the [fit] table, loadable.
    let m = ProfilingModel::from_toml("fitted.toml", &text, r).unwrap();
    assert_eq!(m.status, Status::Fitted);
    assert_eq!(m.key(), "did-refit@v1");
    assert!(text.contains("[fit]") && text.contains("std_errors") && text.contains("sha256:test"));

    // Evaluate the fitted model against the true one on the same people.
    let c = crate::catalog();
    let adr = c.adr(None).unwrap();
    let ptrue = Profiler {
        model: c.profiling("did").unwrap(),
        adr,
        reference: r,
    };
    let pfit = Profiler {
        model: &m,
        adr,
        reference: r,
    };
    let as_of = "2026-11-23".parse().unwrap();
    let (ot, of) = (
        observe(&ptrue, &table, &y, as_of).unwrap(),
        observe(&pfit, &table, &y, as_of).unwrap(),
    );
    let (et, ef) = (evaluate(&ptrue, &ot, 3), evaluate(&pfit, &of, 3));
    let (at, af) = (et.overall.auc.unwrap(), ef.overall.auc.unwrap());
    assert!((0.55..0.95).contains(&at), "{at}");
    assert!((at - af).abs() < 0.01, "fitted {af} vs true {at}");
    assert!(
        et.overall.calibration_gap < 0.03,
        "the true model is calibrated: {}",
        et.overall.calibration_gap
    );
    assert_eq!(et.calibration.len(), 10);
    for dim in ["genere", "cittadinanza", "eta"] {
        assert!(et.groups.iter().any(|g| g.dimension == dim), "{dim}");
    }
    let cmp = compare(et, ef, &ot, &of);
    let total: usize = cmp.transitions.iter().flatten().sum();
    assert_eq!(total, y.len());
    let diagonal: usize = (0..4).map(|i| cmp.transitions[i][i]).sum();
    assert!(
        diagonal * 10 > total * 8,
        "most people keep their class: {diagonal}/{total}"
    );

    // The HTML report: both models' plots and the numbers, self-contained.
    let page = html(&[&cmp.a, &cmp.b], Some(&cmp), "test data");
    assert!(page.starts_with("<!DOCTYPE html>"));
    for external in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(
            !page.contains(external),
            "the report loads nothing: found {external}"
        );
    }
    assert_eq!(
        page.matches("<svg").count(),
        4,
        "calibration, ROC, classes × 2"
    );
    assert_eq!(page.matches("class=\"roc\"").count(), 2);
    assert_eq!(
        page.matches("class=\"calibration\"").count(),
        4,
        "2 curves + 2 tables"
    );
    assert!(page.contains(&format!("AUC {at:.4}")));
    assert!(page.contains("class-share"));
    assert!(page.contains("Class transitions"));
    assert!(page.contains(&format!("<td>{}</td>", cmp.transitions[0][0])));
    for e in [&cmp.a, &cmp.b] {
        assert!(page.contains(&format!("{:.4}", e.overall.brier)));
    }
}

#[test]
fn an_unknown_outcome_value_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("l.csv");
    std::fs::write(
        &f,
        "Id,DataNascita,Genere,Cittadinanza,TitoloDiStudio,ProvinciaDiResidenza,CondizioneOccupazionaleUnAnnoPrima,DataDID,Esito\n\
         P1,1990-06-15,F,000,40000000,NA,disoccupato,2026-01-10,1\n\
         P2,1990-06-15,F,000,40000000,NA,disoccupato,2026-01-10,yes\n",
    )
    .unwrap();
    let e = PeopleTable::read_labeled(&f, OUTCOME)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("row 2") && e.contains("Esito"), "{e}");
}

#[test]
fn tuning_learns_from_judgments_and_esiti_and_writes_a_new_version() {
    use incrocio::matching::eval::relevance;
    use incrocio::matching::{CandidateIndex, MatchingModel, VacancyRecord, read_candidates};
    use incrocio::research::tune::{Esito, Judgment, TuneOptions, grades, tune};
    use incrocio::synth::{CvSpec, Synthetic, write_jsonl};
    use incrocio::taxonomy::Taxonomy;

    let dir = tempfile::tempdir().unwrap();
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let as_of = "2026-11-23".parse().unwrap();
    let cvs = dir.path().join("cvs.jsonl");
    write_jsonl(
        &cvs,
        &CvSpec {
            n: 3_000,
            seed: 3,
            as_of,
        },
        Synthetic::Cvs,
        r,
        t,
    )
    .unwrap();
    let vpath = dir.path().join("v.jsonl");
    write_jsonl(
        &vpath,
        &CvSpec {
            n: 40,
            seed: 4,
            as_of,
        },
        Synthetic::Vacancies { with_truth: true },
        r,
        t,
    )
    .unwrap();
    let candidates = read_candidates(&cvs, r, t, as_of, &crate::titles()).unwrap();
    let occupations: std::collections::HashMap<String, Vec<u32>> = candidates
        .iter()
        .map(|c| {
            (
                c.record.id.clone(),
                c.occupazioni.iter().flatten().copied().collect(),
            )
        })
        .collect();
    let idx = CandidateIndex::create(&dir.path().join("idx"), as_of).unwrap();
    idx.upsert(&candidates, t).unwrap();
    let base = MatchingModel::bundled().unwrap();
    let records: Vec<VacancyRecord> = std::fs::read_to_string(&vpath)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut judgments = Vec::new();
    let mut esiti = Vec::new();
    let mut blind = Vec::new();
    for v in &records {
        let truth = t.occupation(v.esco.as_deref().unwrap()).unwrap();
        let mut b = v.clone();
        b.esco = None;
        b.cp2011 = None;
        let ranking = idx
            .ranking(
                &b.clone().validate(r, t, &crate::titles()).unwrap(),
                &base,
                t,
            )
            .unwrap();
        for (k, e) in ranking.ranked.iter().enumerate() {
            let g = relevance(t, truth, &occupations[&e.candidate_id]);
            if g > 0 {
                judgments.push(Judgment {
                    vacancy_id: v.id.clone(),
                    candidate_id: e.candidate_id.clone(),
                    grade: Some(g),
                    esito: None,
                });
            }
            if k < 15 {
                let esito = if g == 2 {
                    Esito::Hired
                } else {
                    Esito::Rejected
                };
                esiti.push(Judgment {
                    vacancy_id: v.id.clone(),
                    candidate_id: e.candidate_id.clone(),
                    grade: None,
                    esito: Some(esito),
                });
            }
        }
        blind.push(b);
    }
    let opts = TuneOptions {
        samples: 300,
        ..TuneOptions::default()
    };
    for js in [&judgments, &esiti] {
        let g = grades(js, 0).unwrap();
        let (text, rep) = tune(&idx, &blind, &g, &base, 4, &opts, r, t).unwrap();
        assert!(rep.train_vacancies > 0 && rep.test_vacancies > 0, "{rep:?}");
        assert!(rep.tuned_train_ndcg >= rep.base_train_ndcg, "{rep:?}");
        let m = MatchingModel::parse("tuned.toml", &text).unwrap();
        assert_eq!(m.key(), "default@v4");
        assert_eq!(rep.parameters.len(), 10);
        assert_eq!(m.status, Status::Fitted);
        let w = m.weights;
        let sum = w.lessicale + w.competenze + w.esperienza + w.istruzione + w.distanza;
        assert!((sum - 1.0).abs() < 1e-3, "{sum}");
        // Same inputs, same result.
        let (again, _) = tune(&idx, &blind, &g, &base, 4, &opts, r, t).unwrap();
        assert_eq!(again, text);
    }
}
