//! The researchers' toolkit (issue 6): statsmodels agreement, recovery of a known model,
//! evaluation on data, the HTML report, comparison, tuning from judgments and esiti.

use std::path::Path;

use incrocio_batch::{PeopleTable, write_with_outcome};
use incrocio_core::reference::Reference;
use incrocio_profiling::{Link, Profiler, ProfilingModel, Status};
use incrocio_research::bootstrap::{Populations, Scores, replicates};
use incrocio_research::glm::{FitOptions, fit};
use incrocio_research::metrics::{auc, brier, summary};
use incrocio_research::profiling::{
    DataInfo, Dimension, EvalOptions, FitRequest, OUTCOME, compare, evaluate, fit_profiling,
    observe, synth_outcomes,
};
use incrocio_research::report::html;
use incrocio_research::stats::{delong, newcombe, risk_ratio, wilson};
use incrocio_synth::PeopleSpec;
use incrocio_synth::write_people;
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
        // The table as statsmodels prints it: z, p, the 95% interval; and the fit statistics.
        let names: Vec<String> = (0..f.coefficients.len()).map(|i| i.to_string()).collect();
        for (i, row) in f.table(&names).iter().enumerate() {
            for (what, got, key) in [
                ("z", row.z, "z"),
                ("p", row.p_value, "p_values"),
                ("ci low", row.ci_low, "ci_low"),
                ("ci high", row.ci_high, "ci_high"),
            ] {
                let want = e[key][i].as_f64().unwrap();
                assert!(
                    (got - want).abs() < 1e-6,
                    "{name} {what} {i}: {got} vs statsmodels {want}"
                );
            }
        }
        for (what, got, key) in [
            (
                "null log-likelihood",
                f.null_log_likelihood,
                "null_log_likelihood",
            ),
            ("AIC", f.aic(), "aic"),
            ("BIC", f.bic(), "bic"),
            ("pseudo-R²", f.pseudo_r2(), "pseudo_r2"),
        ] {
            let want = e[key].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-6,
                "{name} {what}: {got} vs statsmodels {want}"
            );
        }
        // L2: the penalised optimum scipy found (statsmodels' fit_regularized stops early).
        let l2 = &e["l2"];
        let pen = fit(
            x.view(),
            y.view(),
            &FitOptions {
                link,
                l2: l2["lambda"].as_f64().unwrap(),
                tol: 1e-12,
                ..FitOptions::default()
            },
        )
        .unwrap();
        for (i, b) in pen.coefficients.iter().enumerate() {
            let want = l2["coefficients"][i].as_f64().unwrap();
            assert!(
                (b - want).abs() < 1e-6,
                "{name} L2 coefficient {i}: {b} vs scipy's optimum {want}"
            );
        }
        let objective = *pen.convergence.objective.last().unwrap();
        let want = l2["objective"].as_f64().unwrap();
        assert!(
            (objective - want).abs() < 1e-6,
            "{name} L2 objective {objective} vs {want}"
        );
    }
}

/// The stats fixture: outcome, two scores, a group, a high-risk flag (model a).
type StatsFixture = (Vec<bool>, Vec<f64>, Vec<f64>, Vec<String>, Vec<bool>, Value);

fn stats_fixture() -> StatsFixture {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stats");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut r = csv::Reader::from_path(dir.join("data.csv")).unwrap();
    let (mut y, mut a, mut b, mut g, mut h) = (vec![], vec![], vec![], vec![], vec![]);
    for row in r.records() {
        let row = row.unwrap();
        y.push(&row[0] == "1");
        a.push(row[1].parse().unwrap());
        b.push(row[2].parse().unwrap());
        g.push(row[3].to_owned());
        h.push(&row[4] == "1");
    }
    (y, a, b, g, h, expected)
}

#[test]
fn intervals_agree_with_sklearn_statsmodels_and_the_delong_paper() {
    let (y, a, b, group, high, e) = stats_fixture();
    let close = |got: f64, want: &Value, what: &str| {
        let want = want.as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{what}: {got} vs {want}");
    };
    close(auc(&a, &y).unwrap(), &e["auc_a"], "AUC a (sklearn)");
    close(auc(&b, &y).unwrap(), &e["auc_b"], "AUC b (sklearn)");
    close(brier(&a, &y), &e["brier_a"], "Brier (sklearn)");
    let class: Vec<u8> = high.iter().map(|&h| if h { 2 } else { 1 }).collect();
    let s = summary(&a, &y, &class, 2, 2);
    close(s.log_loss.value, &e["log_loss_a"], "log-loss (sklearn)");
    // DeLong, against the m × n kernel written from the 1988 paper.
    let d = delong(&a, &b, &y).unwrap();
    let de = &e["delong"];
    close(d.auc_a, &de["auc_a"], "DeLong AUC a");
    close(d.se_a, &de["se_a"], "DeLong SE a");
    close(d.se_b, &de["se_b"], "DeLong SE b");
    close(d.difference.value, &de["difference"], "DeLong difference");
    close(
        d.se_difference,
        &de["se_difference"],
        "DeLong SE of the difference",
    );
    close(d.z, &de["z"], "DeLong z");
    close(d.p_value, &de["p_value"], "DeLong p");
    // Per group: Wilson, Katz ratio to group A, Newcombe difference of the TPR.
    let count = |g: &str, outcome: bool, flagged: bool| {
        (0..y.len())
            .filter(|&i| group[i] == g && y[i] == outcome && (!flagged || high[i]))
            .count() as u64
    };
    for g in ["A", "B", "C"] {
        let x = &e["groups"][g];
        let (k, n) = (count(g, false, true), count(g, false, false));
        assert_eq!((k, n), (x["k"].as_u64().unwrap(), x["n"].as_u64().unwrap()));
        let w = wilson(k, n).unwrap();
        close(w.low, &x["wilson"][0], "Wilson low (statsmodels)");
        close(w.high, &x["wilson"][1], "Wilson high (statsmodels)");
        if g == "A" {
            continue;
        }
        let r = risk_ratio(k, n, count("A", false, true), count("A", false, false)).unwrap();
        close(r.value, &x["ratio"][0], "risk ratio (statsmodels)");
        close(r.ci.unwrap().low, &x["ratio"][1], "risk ratio low");
        close(r.ci.unwrap().high, &x["ratio"][2], "risk ratio high");
        let nd = newcombe(
            count(g, true, true),
            count(g, true, false),
            count("A", true, true),
            count("A", true, false),
        )
        .unwrap();
        close(nd.value, &x["tpr_difference"][0], "TPR difference");
        close(
            nd.ci.unwrap().low,
            &x["tpr_difference"][1],
            "Newcombe low (statsmodels)",
        );
        close(
            nd.ci.unwrap().high,
            &x["tpr_difference"][2],
            "Newcombe high (statsmodels)",
        );
    }
}

#[test]
fn the_bootstrap_standard_error_of_the_auc_is_close_to_delongs() {
    // Two independent routes to the same sampling variance: 2,000 stratified resamples
    // against DeLong's asymptotic formula, on the fixture's 600 people.
    let (y, a, _, _, high, e) = stats_fixture();
    let s = Scores::new(&a, &high, &y);
    let pops = Populations {
        count: 1,
        groups: vec![],
    };
    let reps = replicates(&[&s], &y, &pops, 2_000, 42);
    let v: Vec<f64> = reps[0].iter().map(|r| r[0][0]).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
    let delong_se = e["delong"]["se_a"].as_f64().unwrap();
    assert!(
        (sd / delong_se - 1.0).abs() < 0.1,
        "bootstrap SE {sd} vs DeLong {delong_se}"
    );
    // The bootstrap is centred on the estimate.
    assert!(
        (mean - e["auc_a"].as_f64().unwrap()).abs() < 0.005,
        "{mean}"
    );
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
    let (text, report, data) = fit_profiling(&req, &table, &y, r).unwrap();
    assert_eq!(data.x.nrows(), y.len());
    assert_eq!(data.predictions.class.len(), y.len());
    assert!(report.fit.convergence.converged);
    let truth_model = crate::catalog().profiling("did").unwrap().clone();
    let design = incrocio_research::design::Design::of(&truth_model);
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
    let dims = Dimension::standard(&ot);
    let info = DataInfo {
        file: "test data".into(),
        digest: "sha256:test".into(),
        n: y.len(),
        as_of,
    };
    let opts = EvalOptions {
        high_risk_from: 3,
        bootstrap: 200,
        seed: 1,
        references: vec![],
    };
    let et = evaluate(&ptrue, &ot, &dims, &info, &opts).unwrap();
    let at = et.overall.auc.unwrap();
    // fit's in-sample AUC is computed on the same rounded index as eval's.
    let ef = evaluate(&pfit, &of, &dims, &info, &opts).unwrap();
    let af = ef.overall.auc.unwrap().value;
    assert!(
        (report.auc.unwrap() - af).abs() < 1e-9,
        "{:?} vs {af}",
        report.auc
    );
    assert!((0.55..0.95).contains(&at.value), "{at:?}");
    assert!((at.value - af).abs() < 0.01, "fitted {af} vs true {at:?}");
    let ci = at.ci.unwrap();
    assert!(
        ci.low < at.value && at.value < ci.high && ci.high - ci.low < 0.05,
        "{ci:?}"
    );
    assert!(
        et.overall.calibration_gap < 0.03,
        "the true model is calibrated: {}",
        et.overall.calibration_gap
    );
    // The true model: calibration in the large is 0 within its interval.
    assert!(
        !et.overall
            .calibration_in_the_large
            .ci
            .unwrap()
            .excludes(0.0)
    );
    assert_eq!(et.calibration.len(), 10);
    for dim in ["genere", "cittadinanza", "eta"] {
        assert!(et.groups.iter().any(|g| g.dimension == dim), "{dim}");
        // Every group but the reference has a disparity row; the reference is the largest.
        let groups: Vec<_> = et.groups.iter().filter(|g| g.dimension == dim).collect();
        let rows: Vec<_> = et
            .disparities
            .iter()
            .filter(|d| d.dimension == dim)
            .collect();
        assert_eq!(rows.len(), groups.len() - 1);
        let largest = groups.iter().max_by_key(|g| g.summary.n).unwrap();
        assert!(rows.iter().all(|d| d.reference == largest.group));
    }
    // The ratio is the ratio of the two rates.
    let d = &et.disparities[0];
    let rate = |g: &str| {
        et.groups
            .iter()
            .find(|x| x.dimension == d.dimension && x.group == g)
            .unwrap()
            .summary
            .found_work_high_risk
            .value
            .unwrap()
    };
    assert!(
        (d.found_work_high_risk_ratio.unwrap().value - rate(&d.group) / rate(&d.reference)).abs()
            < 1e-12
    );
    // A named reference that does not exist is an error naming it.
    let bad = EvalOptions {
        references: vec![("cittadinanza".into(), "marziana".into())],
        ..opts.clone()
    };
    let err = evaluate(&ptrue, &ot, &dims, &info, &bad)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("marziana") && err.contains("italiana"),
        "{err}"
    );

    let cmp = compare((&ptrue, &ot), (&pfit, &of), &dims, &info, &opts).unwrap();
    let total: u64 = cmp.transitions.counts.iter().flatten().sum();
    assert_eq!(total as usize, y.len());
    let diagonal: u64 = (0..4).map(|i| cmp.transitions.counts[i][i]).sum();
    assert!(
        diagonal * 10 > total * 8,
        "most people keep their class: {diagonal}/{total}"
    );
    for (row, pct) in cmp
        .transitions
        .counts
        .iter()
        .zip(&cmp.transitions.row_percent)
    {
        let sum: f64 = pct.iter().flatten().sum();
        assert!(row.iter().sum::<u64>() == 0 || (sum - 100.0).abs() < 1e-9);
    }
    // Δ = B − A; everyone's AUC interval is DeLong's.
    let auc_delta = cmp
        .deltas
        .iter()
        .find(|d| d.population == "everyone" && d.metric == "auc")
        .unwrap();
    let dl = cmp.delong.unwrap();
    assert!((auc_delta.difference.unwrap().value - (af - at.value)).abs() < 1e-12);
    assert!((dl.difference.value - (af - at.value)).abs() < 1e-12);
    assert_eq!(auc_delta.difference.unwrap().ci, dl.difference.ci);
    // The comparison's evaluations are the single ones (same resamples, same seed).
    assert_eq!(cmp.a.overall, et.overall);

    // The HTML report: both models' plots and the numbers, self-contained.
    let page = html(&[&cmp.a, &cmp.b], Some(&cmp));
    assert!(page.starts_with("<!DOCTYPE html>"));
    for external in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(
            !page.contains(external),
            "the report loads nothing: found {external}"
        );
    }
    assert_eq!(
        page.matches("<svg").count(),
        5,
        "calibration, ROC, found work → high risk, classes × 2"
    );
    assert_eq!(page.matches("class=\"roc\"").count(), 2);
    assert_eq!(page.matches("class=\"band\"").count(), 2);
    assert_eq!(
        page.matches("class=\"calibration\"").count(),
        4,
        "2 curves + 2 tables"
    );
    // Visible titles and tick labels, not only tooltips.
    assert!(page.contains(">Calibration by decile (95% Wilson intervals)</text>"));
    assert!(page.contains(">0.4</text>") && page.contains(">0.8</text>"));
    assert!(page.contains(&format!(
        "AUC {:.3} [{:.3}, {:.3}]",
        at.value, ci.low, ci.high
    )));
    assert!(page.contains("class-share"));
    assert!(page.contains("Class transitions") && page.contains("DeLong"));
    assert!(page.contains(&format!(">{}<br>", cmp.transitions.counts[0][0])));
    for e in [&cmp.a, &cmp.b] {
        assert!(page.contains(&format!("{:.4}", e.overall.brier.value)));
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
    use incrocio_matching::eval::relevance;
    use incrocio_matching::{CandidateIndex, MatchingModel, VacancyRecord, read_candidates};
    use incrocio_research::tune::{Esito, Judgment, TuneOptions, grades, tune};
    use incrocio_synth::{CvSpec, Synthetic, write_jsonl};
    use incrocio_taxonomy::Taxonomy;

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
            n: 200,
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
    let idx =
        CandidateIndex::create(&dir.path().join("idx"), as_of, &crate::matching_model()).unwrap();
    idx.upsert(&candidates, t).unwrap();
    let base = crate::matching_model();
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
        let (text, rep) = tune(&idx, &blind, &g, &base, 7, &opts, r, t).unwrap();
        assert!(rep.train_vacancies > 0 && rep.test_vacancies > 0, "{rep:?}");
        assert!(rep.tuned_train_ndcg >= rep.base_train_ndcg, "{rep:?}");
        let m = MatchingModel::parse("tuned.toml", &text).unwrap();
        assert_eq!(m.key(), "default@v7");
        // Soft occupations (a v4 base): the minor-group credit and the n-gram share too.
        assert_eq!(rep.parameters.len(), 12);
        assert_eq!(m.status, Status::Fitted);
        let w = m.weights;
        let sum = w.lessicale + w.competenze + w.esperienza + w.istruzione + w.distanza;
        assert!((sum - 1.0).abs() < 1e-3, "{sum}");
        // Same inputs, same result.
        let (again, _) = tune(&idx, &blind, &g, &base, 7, &opts, r, t).unwrap();
        assert_eq!(again, text);
        // 21 (graded) and 188 (esiti) judged vacancies, under 50 of them held out with a
        // relevant candidate: the report says it is too few.
        assert!(
            rep.warnings.iter().any(|w| w.contains("fewer than 50")),
            "{rep:?}"
        );
        let (lo, hi) = rep
            .held_out_ndcg
            .ci
            .map(|c| (c.low, c.high))
            .unwrap_or_else(|| panic!("{rep:?}"));
        assert!(lo <= rep.held_out_ndcg.value && rep.held_out_ndcg.value <= hi);
        let gain = rep.held_out_ndcg.value - rep.base_held_out_ndcg.value;
        assert!((rep.held_out_gain.value - gain).abs() < 1e-12);
    }
    // 4-fold cross-validation: every judged vacancy is held out once, the folds' parameters
    // are reported, and the released model is tuned on all of them.
    let g = grades(&judgments, 0).unwrap();
    let cv = TuneOptions { folds: 4, ..opts };
    let (text, rep) = tune(&idx, &blind, &g, &base, 5, &cv, r, t).unwrap();
    assert_eq!(rep.folds, 4);
    assert_eq!(rep.train_vacancies, rep.test_vacancies);
    assert_eq!(rep.train_vacancies, g.len());
    assert_eq!(rep.fold_ranges.len(), 12);
    assert!(rep.fold_ranges.iter().all(|(_, lo, hi)| lo <= hi));
    assert!(text.contains("4-fold cross-validation"));
    // The released parameters are those of a search on every vacancy: the same as a split that
    // holds nothing out.
    let all = TuneOptions {
        test_share: 0.0,
        ..opts
    };
    let (_, whole) = tune(&idx, &blind, &g, &base, 5, &all, r, t).unwrap();
    assert_eq!(whole.parameters, rep.parameters);
    let too_many = TuneOptions {
        folds: 1_000,
        ..opts
    };
    let err = tune(&idx, &blind, &g, &base, 5, &too_many, r, t).unwrap_err();
    assert!(err.to_string().contains("fewer folds"), "{err}");
}
