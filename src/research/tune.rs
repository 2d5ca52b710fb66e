//! Tuning the shortlist weights on graded judgments, and turning selection outcomes (esiti)
//! into judgments.
//!
//! For each judged vacancy every eligible candidate's five contributions are computed once
//! (they do not depend on the weights); a weight vector then ranks them by `w · c` (ties by
//! candidate id, as the shortlist does) and is scored by mean nDCG@15 with the judgments as
//! graded relevance (unjudged eligible candidates count 0). The search is seeded: random
//! points of the simplex, then a coordinate search around the best with halving steps. The
//! split into training and held-out vacancies is by a hash of the vacancy id, so it is the same
//! on every run and machine.
//!
//! Esiti → grades: `hired` 2, `rejected` the `rejected_grade` of [`TuneOptions`] (default 0:
//! the employer judged the person unfit), `not_presented` no judgment (it says nothing about
//! fit: the person declined or could not be reached).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldReason, InputError, Result};
use crate::matching::eval::{K, ndcg_at};
use crate::matching::model::Weights;
use crate::matching::{CandidateIndex, MatchingModel, VacancyRecord};
use crate::reference::Reference;
use crate::taxonomy::Taxonomy;

/// A selection outcome for a candidate of a past rosa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Esito {
    /// Hired.
    Hired,
    /// Presented and not chosen.
    Rejected,
    /// In the rosa but not presented to the employer.
    NotPresented,
}

/// One line of a judgments file: a grade, or an esito to be turned into one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgment {
    /// Vacancy id.
    pub vacancy_id: String,
    /// Candidate id.
    pub candidate_id: String,
    /// Graded relevance 0–3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<u8>,
    /// Selection outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esito: Option<Esito>,
}

/// Options of a tuning run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneOptions {
    /// Random simplex points tried.
    pub samples: usize,
    /// Seed.
    pub seed: u64,
    /// Share of vacancies held out (0–1).
    pub test_share: f64,
    /// Grade given to `rejected`.
    pub rejected_grade: u8,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            samples: 2_000,
            seed: 42,
            test_share: 0.3,
            rejected_grade: 0,
        }
    }
}

/// Grades by vacancy and candidate; the later line wins for a repeated pair.
pub fn grades(
    judgments: &[Judgment],
    rejected_grade: u8,
) -> Result<HashMap<String, HashMap<String, u8>>> {
    let mut out: HashMap<String, HashMap<String, u8>> = HashMap::default();
    for (i, j) in judgments.iter().enumerate() {
        let grade = match (j.grade, j.esito) {
            (Some(g), None) if g <= 3 => Some(g),
            (None, Some(Esito::Hired)) => Some(2),
            (None, Some(Esito::Rejected)) => Some(rejected_grade),
            (None, Some(Esito::NotPresented)) => None,
            _ => {
                return Err(Error::Input(
                    InputError::new(
                        "grade",
                        FieldReason::Inconsistent(
                            "give exactly one of `grade` (0–3) and `esito`".into(),
                        ),
                    )
                    .with_row(i + 1),
                ));
            }
        };
        if let Some(g) = grade {
            out.entry(j.vacancy_id.clone())
                .or_default()
                .insert(j.candidate_id.clone(), g);
        }
    }
    Ok(out)
}

/// A judged vacancy: each eligible candidate's contributions and grade.
#[derive(Debug, Clone)]
struct Case {
    held_out: bool,
    /// (contributions, candidate id, grade).
    rows: Vec<([f64; 5], String, u8)>,
}

fn as_array(w: &Weights) -> [f64; 5] {
    [
        w.lessicale,
        w.competenze,
        w.esperienza,
        w.istruzione,
        w.distanza,
    ]
}

fn weights_of(a: [f64; 5]) -> Weights {
    Weights {
        lessicale: a[0],
        competenze: a[1],
        esperienza: a[2],
        istruzione: a[3],
        distanza: a[4],
    }
}

fn held_out(vacancy_id: &str, share: f64) -> bool {
    let h = crate::digest::sha256_tagged(vacancy_id.as_bytes());
    let x = u64::from_str_radix(h.trim_start_matches("sha256:").get(..8).unwrap_or("0"), 16)
        .unwrap_or(0);
    (x as f64 / f64::from(u32::MAX)) < share
}

fn ndcg(case: &Case, w: &[f64; 5]) -> Option<f64> {
    let mut scored: Vec<(f64, &str, u8)> = case
        .rows
        .iter()
        .map(|(c, id, g)| (c.iter().zip(w).map(|(c, w)| c * w).sum(), id.as_str(), *g))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let ranked: Vec<u8> = scored.iter().map(|x| x.2).collect();
    ndcg_at(K, &ranked, &ranked)
}

fn mean_ndcg(cases: &[Case], held: bool, w: &[f64; 5]) -> f64 {
    let v: Vec<f64> = cases
        .iter()
        .filter(|c| c.held_out == held)
        .filter_map(|c| ndcg(c, w))
        .collect();
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// What tuning found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuneReport {
    /// The model tuned from.
    pub base: String,
    /// The new model `id@vN`.
    pub model: String,
    /// Judged vacancies used for training / held out.
    pub train_vacancies: usize,
    /// Held-out vacancies.
    pub test_vacancies: usize,
    /// Mean nDCG@15 of the base weights, training split.
    pub base_train_ndcg: f64,
    /// Same, held-out split.
    pub base_test_ndcg: f64,
    /// Mean nDCG@15 of the tuned weights, training split.
    pub tuned_train_ndcg: f64,
    /// Same, held-out split.
    pub tuned_test_ndcg: f64,
    /// The tuned weights (sum 1).
    pub weights: Weights,
}

/// Tunes `base`'s weights on the judged vacancies; returns the new model file's text (version
/// `version`, status `fitted`) and the report.
#[allow(clippy::too_many_arguments)]
pub fn tune(
    index: &CandidateIndex,
    vacancies: &[VacancyRecord],
    grades: &HashMap<String, HashMap<String, u8>>,
    base: &MatchingModel,
    base_text: &str,
    version: u32,
    opts: &TuneOptions,
    r: &Reference,
    t: &Taxonomy,
) -> Result<(String, TuneReport)> {
    let mut cases = Vec::new();
    for v in vacancies {
        let Some(g) = grades.get(&v.id) else { continue };
        let vacancy = v.clone().validate(r, t)?;
        let ranking = index.ranking(&vacancy, base, t)?;
        let rows = ranking
            .ranked
            .iter()
            .map(|e| {
                let c = &e.contributions;
                (
                    [
                        c.lessicale,
                        c.competenze,
                        c.esperienza,
                        c.istruzione,
                        c.distanza,
                    ],
                    e.candidate_id.clone(),
                    g.get(&e.candidate_id).copied().unwrap_or(0),
                )
            })
            .collect();
        cases.push(Case {
            held_out: held_out(&v.id, opts.test_share),
            rows,
        });
    }
    let train = cases.iter().filter(|c| !c.held_out).count();
    if train == 0 {
        return Err(Error::Input(InputError::new(
            "judgments",
            FieldReason::Inconsistent("no judged vacancy in the training split".into()),
        )));
    }
    let start = {
        let a = as_array(&base.weights);
        let s: f64 = a.iter().sum();
        a.map(|x| x / s)
    };
    let mut best = (mean_ndcg(&cases, false, &start), start);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    for _ in 0..opts.samples {
        // Uniform on the simplex: normalised exponentials.
        let mut w = [0.0; 5];
        for x in &mut w {
            *x = -(1.0 - rng.r#gen::<f64>()).ln();
        }
        let s: f64 = w.iter().sum();
        let w = w.map(|x| x / s);
        let score = mean_ndcg(&cases, false, &w);
        if score > best.0 {
            best = (score, w);
        }
    }
    let mut step = 0.1;
    while step > 1e-3 {
        let mut improved = false;
        for i in 0..5 {
            for dir in [1.0, -1.0] {
                let mut w = best.1;
                w[i] = (w[i] + dir * step).max(0.0);
                let s: f64 = w.iter().sum();
                if s <= 0.0 {
                    continue;
                }
                let w = w.map(|x| x / s);
                let score = mean_ndcg(&cases, false, &w);
                if score > best.0 + 1e-12 {
                    best = (score, w);
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    let round = |x: f64| (x * 1e4).round() / 1e4;
    let w = best.1.map(round);
    let report = TuneReport {
        base: base.key(),
        model: format!("{}@v{version}", base.id),
        train_vacancies: train,
        test_vacancies: cases.len() - train,
        base_train_ndcg: round(mean_ndcg(&cases, false, &start)),
        base_test_ndcg: round(mean_ndcg(&cases, true, &start)),
        tuned_train_ndcg: round(mean_ndcg(&cases, false, &w)),
        tuned_test_ndcg: round(mean_ndcg(&cases, true, &w)),
        weights: weights_of(w),
    };
    let text = tuned_file(base_text, version, &report, opts)?;
    MatchingModel::parse(&report.model, &text)?;
    Ok((text, report))
}

fn tuned_file(base_text: &str, version: u32, r: &TuneReport, opts: &TuneOptions) -> Result<String> {
    let mut file: toml::Table =
        toml::from_str(base_text).map_err(|e| Error::data("base model", e.to_string()))?;
    file.insert("version".into(), toml::Value::Integer(i64::from(version)));
    file.insert("status".into(), toml::Value::String("fitted".into()));
    file.insert(
        "description".into(),
        toml::Value::String(format!(
            "{} — weights tuned by `incrocio tune matching` from {} (nDCG@15 held-out {:.4} → {:.4}, {} training / {} held-out vacancies, seed {}, {} samples)",
            file.get("description").and_then(|d| d.as_str()).unwrap_or(""),
            r.base,
            r.base_test_ndcg,
            r.tuned_test_ndcg,
            r.train_vacancies,
            r.test_vacancies,
            opts.seed,
            opts.samples
        )),
    );
    let w = &r.weights;
    let mut weights = toml::Table::new();
    for (k, v) in [
        ("lessicale", w.lessicale),
        ("competenze", w.competenze),
        ("esperienza", w.esperienza),
        ("istruzione", w.istruzione),
        ("distanza", w.distanza),
    ] {
        weights.insert(k.into(), toml::Value::Float(v));
    }
    file.insert("weights".into(), toml::Value::Table(weights));
    let body = toml::to_string(&file).map_err(|e| Error::data("tuned model", e.to_string()))?;
    Ok(format!(
        "# Tuned by `incrocio tune matching`: status \"fitted\" on the judgments it was given, not\n# an authority's weights. Released files never change: retune = new version.\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(v: &str, c: &str, grade: Option<u8>, esito: Option<Esito>) -> Judgment {
        Judgment {
            vacancy_id: v.into(),
            candidate_id: c.into(),
            grade,
            esito,
        }
    }

    #[test]
    fn esiti_become_grades_and_not_presented_says_nothing() {
        let g = grades(
            &[
                j("V", "A", None, Some(Esito::Hired)),
                j("V", "B", None, Some(Esito::Rejected)),
                j("V", "C", None, Some(Esito::NotPresented)),
                j("W", "A", Some(1), None),
            ],
            0,
        )
        .unwrap();
        assert_eq!(g["V"]["A"], 2);
        assert_eq!(g["V"]["B"], 0);
        assert!(!g["V"].contains_key("C"));
        assert_eq!(g["W"]["A"], 1);
        let bad = grades(&[j("V", "A", Some(1), Some(Esito::Hired))], 0).unwrap_err();
        assert!(bad.to_string().contains("row 1"), "{bad}");
    }

    #[test]
    fn the_objective_prefers_the_weights_that_rank_the_judged_first() {
        // Two candidates: A is lexically best, B has the competences; only B is relevant.
        let case = Case {
            held_out: false,
            rows: vec![
                ([1.0, 0.0, 0.0, 0.0, 0.0], "A".into(), 0),
                ([0.2, 1.0, 0.0, 0.0, 0.0], "B".into(), 2),
            ],
        };
        let lexical = ndcg(&case, &[1.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        let competence = ndcg(&case, &[0.0, 1.0, 0.0, 0.0, 0.0]).unwrap();
        assert!((competence - 1.0).abs() < 1e-12);
        assert!(lexical < competence);
        assert!(held_out("V1", 1.0) && !held_out("V1", 0.0));
    }
}
