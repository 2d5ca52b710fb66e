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

use super::stats::{Estimate, percentile_interval};
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::reference::Reference;
use incrocio_matching::eval::{K, ndcg_at};
use incrocio_matching::model::Weights;
use incrocio_matching::{CandidateIndex, MatchingModel, VacancyRecord};
use incrocio_taxonomy::Taxonomy;

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
    /// Seed (of the search and of the bootstrap of the held-out nDCG).
    pub seed: u64,
    /// Share of vacancies held out (0–1), when `folds` < 2.
    pub test_share: f64,
    /// k of k-fold cross-validation (0 or 1: one split by `test_share`).
    pub folds: usize,
    /// Grade given to `rejected`.
    pub rejected_grade: u8,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            samples: 2_000,
            seed: 42,
            test_share: 0.3,
            folds: 0,
            rejected_grade: 0,
        }
    }
}

/// Below this many held-out vacancies the report warns that the held-out nDCG is too noisy to
/// choose a model on (a reporting threshold, not a model parameter).
pub const MIN_HELD_OUT: usize = 50;

/// Bootstrap replicates of the held-out nDCG's interval (resampling vacancies).
const NDCG_BOOTSTRAP: usize = 2_000;

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

/// What a candidate brings to a vacancy, before any score-time parameter: the part values that
/// do not depend on them, and the signals the experience and education parts are made of.
#[derive(Debug, Clone, Default)]
struct Signals {
    /// The lexical part under the base model.
    lessicale: f64,
    /// With soft occupations: the words' and the grams' BM25 ratios, which the n-gram share
    /// mixes.
    lexical: Option<[f64; 2]>,
    /// With soft occupations: each group's terms (`p_i q_j` and the relation of the pair) and
    /// the declared occupations' probabilities in the vacancy's distribution.
    soft: Option<SoftSignals>,
    competenze: f64,
    distanza: f64,
    same: bool,
    same_unit_group: bool,
    /// The vacancy's occupation is declared in the patto.
    declared: bool,
    /// Similarity of the nearest adjacent occupation (0: none).
    adjacent: f64,
    level_known: bool,
}

/// A pair of occupations of a soft match: its weight `p_i q_j` and how they relate.
#[derive(Debug, Clone, Copy, Default)]
struct Term {
    weight: f64,
    same: bool,
    unit: bool,
    minor: bool,
    /// Similarity when the candidate's occupation is adjacent to the vacancy's (0: not).
    adjacent: f64,
}

/// A candidate's soft match, before the credits.
#[derive(Debug, Clone, Default)]
struct SoftSignals {
    groups: Vec<Vec<Term>>,
    /// The vacancy's probability of each occupation the person declared.
    declared: Vec<f64>,
}

/// A judged vacancy: each eligible candidate's signals, id and grade.
#[derive(Debug, Clone)]
struct Case {
    /// A hash of the vacancy id: the split and the fold.
    key: u64,
    rows: Vec<(Signals, String, u8)>,
}

/// The parameters tuned: the five weights (on the simplex), then `esperienza.adjacent`,
/// `esperienza.proximity`, `esperienza.min_similarity`, `istruzione.unknown`,
/// `esperienza.declared`, and with soft occupations (a base of version 4 on)
/// `esperienza.minor_group` and `lessicale.ngram` (each in [0, 1]). The others change the index
/// (`[vectors]`, `[titles]`: the title model's temperature and resolution threshold are fitted
/// by `incrocio train titles` and compared with `incrocio eval title-ranking --rosa`), are
/// counts (`esperienza.neighbours`, rosa sizes, `query.max_terms`) or are not scores
/// (`[suggestions]`): they are kept from the base model.
pub const TUNED: [&str; 12] = [
    "weights.lessicale",
    "weights.competenze",
    "weights.esperienza",
    "weights.istruzione",
    "weights.distanza",
    "esperienza.adjacent",
    "esperienza.proximity",
    "esperienza.min_similarity",
    "istruzione.unknown",
    "esperienza.declared",
    "esperienza.minor_group",
    "lessicale.ngram",
];

/// The parameters only a soft base moves.
const SOFT_ONLY: usize = 10;

type Theta = [f64; 12];

fn theta_of(m: &MatchingModel) -> Theta {
    let w = m.weights.as_array();
    let s: f64 = w.iter().sum();
    [
        w[0] / s,
        w[1] / s,
        w[2] / s,
        w[3] / s,
        w[4] / s,
        m.esperienza.adjacent,
        m.esperienza.proximity,
        m.esperienza.min_similarity,
        m.istruzione.unknown,
        m.esperienza.declared,
        m.esperienza.minor_group,
        m.lessicale.ngram,
    ]
}

fn model_of(base: &MatchingModel, th: &Theta) -> MatchingModel {
    let mut m = base.clone();
    m.weights = Weights {
        lessicale: th[0],
        competenze: th[1],
        esperienza: th[2],
        istruzione: th[3],
        distanza: th[4],
    };
    m.esperienza.adjacent = th[5];
    m.esperienza.proximity = th[6];
    m.esperienza.min_similarity = th[7];
    m.istruzione.unknown = th[8];
    m.esperienza.declared = th[9];
    m.esperienza.minor_group = th[10];
    m.lessicale.ngram = th[11];
    m
}

fn score(x: &Signals, th: &Theta) -> f64 {
    let near = |s: f64| {
        if s > 0.0 && s >= th[7] {
            th[6] * s
        } else {
            0.0
        }
    };
    let esperienza = match &x.soft {
        // The engine's expected match ([`incrocio_matching::soft`]) under these credits.
        Some(soft) => {
            let m = |t: &Term| {
                if t.same {
                    1.0
                } else {
                    let group = if t.unit {
                        th[5]
                    } else if t.minor {
                        th[10]
                    } else {
                        0.0
                    };
                    group.max(near(t.adjacent))
                }
            };
            let groups = soft
                .groups
                .iter()
                .map(|g| g.iter().map(|t| t.weight * m(t)).sum::<f64>().min(1.0));
            let declared = soft.declared.iter().map(|q| th[9] * q);
            groups.chain(declared).fold(0.0, f64::max)
        }
        None if x.same => 1.0,
        None => (if x.same_unit_group { th[5] } else { 0.0 })
            .max(near(x.adjacent))
            .max(if x.declared { th[9] } else { 0.0 }),
    };
    let istruzione = if x.level_known { 1.0 } else { th[8] };
    let lessicale = match x.lexical {
        Some([words, grams]) => (1.0 - th[11]) * words + th[11] * grams,
        None => x.lessicale,
    };
    th[0] * lessicale
        + th[1] * x.competenze
        + th[2] * esperienza
        + th[3] * istruzione
        + th[4] * x.distanza
}

/// The first 32 bits of the SHA-256 of the vacancy id.
fn key(vacancy_id: &str) -> u64 {
    let h = incrocio_core::digest::sha256_tagged(vacancy_id.as_bytes());
    u64::from_str_radix(h.trim_start_matches("sha256:").get(..8).unwrap_or("0"), 16).unwrap_or(0)
}

fn held_out(key: u64, share: f64) -> bool {
    (key as f64 / f64::from(u32::MAX)) < share
}

fn ndcg(case: &Case, th: &Theta) -> Option<f64> {
    let mut scored: Vec<(f64, &str, u8)> = case
        .rows
        .iter()
        .map(|(x, id, g)| (score(x, th), id.as_str(), *g))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let ranked: Vec<u8> = scored.iter().map(|x| x.2).collect();
    ndcg_at(K, &ranked, &ranked)
}

fn mean_ndcg(cases: &[&Case], th: &Theta) -> f64 {
    let v: Vec<f64> = cases.iter().filter_map(|c| ndcg(c, th)).collect();
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The mean of paired per-vacancy values with a bootstrap interval over vacancies, for the
/// tuned values, the base values and their difference.
fn held_out_estimates(pairs: &[(f64, f64)], seed: u64) -> [Estimate; 3] {
    let n = pairs.len();
    let mean = |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / n.max(1) as f64;
    let point = [mean(&|p| p.0), mean(&|p| p.1), mean(&|p| p.0 - p.1)];
    if n < 2 {
        return point.map(Estimate::bare);
    }
    let mut reps = [vec![], vec![], vec![]];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..NDCG_BOOTSTRAP {
        let (mut a, mut b) = (0.0, 0.0);
        for _ in 0..n {
            let p = pairs[rng.gen_range(0..n)];
            a += p.0;
            b += p.1;
        }
        let (a, b) = (a / n as f64, b / n as f64);
        reps[0].push(a);
        reps[1].push(b);
        reps[2].push(a - b);
    }
    [0, 1, 2].map(|i| Estimate {
        value: point[i],
        ci: percentile_interval(&reps[i]),
    })
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
    /// Mean nDCG@15 of the base parameters, training split.
    pub base_train_ndcg: f64,
    /// Same, held-out split.
    pub base_test_ndcg: f64,
    /// Mean nDCG@15 of the tuned parameters, training split.
    pub tuned_train_ndcg: f64,
    /// Same, held-out split (with folds: each vacancy scored by the parameters tuned without
    /// its fold).
    pub tuned_test_ndcg: f64,
    /// k of the cross-validation (0: one split).
    pub folds: usize,
    /// Held-out mean nDCG@15 of the tuned parameters with its 95% bootstrap interval over
    /// vacancies.
    pub held_out_ndcg: Estimate,
    /// The same of the base parameters.
    pub base_held_out_ndcg: Estimate,
    /// Tuned − base on the same held-out vacancies, paired.
    pub held_out_gain: Estimate,
    /// With folds: each parameter's smallest and largest value over the folds (a wide range
    /// says the data do not pin the parameter down).
    pub fold_ranges: Vec<(String, f64, f64)>,
    /// What a reader must know before trusting the figures.
    pub warnings: Vec<String>,
    /// The tuned weights (sum 1).
    pub weights: Weights,
    /// Every tuned parameter ([`TUNED`]) with its base and tuned value.
    pub parameters: Vec<(String, f64, f64)>,
}

/// The signals of every eligible candidate of a judged vacancy, from a ranking under `base`
/// with every adjacent occupation it keeps (`min_similarity` 0, so a tuned threshold can be
/// applied afterwards).
/// Candidates already read and resolved from the index, by id: a candidate eligible for many
/// judged vacancies is read once.
type Resolved = HashMap<String, Option<incrocio_matching::Candidate>>;

fn signals(
    index: &CandidateIndex,
    vacancy: &incrocio_matching::Vacancy,
    base: &MatchingModel,
    (r, t): (&Reference, &Taxonomy),
    resolved: &mut Resolved,
) -> Result<Vec<(Signals, String)>> {
    let mut wide = base.clone();
    wide.esperienza.min_similarity = 0.0;
    let ranking = index.ranking(vacancy, &wide, t)?;
    let soft = base.titles.soft().is_some();
    let adjacency = index.adjacency(t);
    ranking
        .ranked
        .iter()
        .map(|e| {
            let c = &e.contributions;
            let x = &e.experience;
            let mut signals = Signals {
                lessicale: c.lessicale,
                competenze: c.competenze,
                distanza: c.distanza,
                same: x.same,
                same_unit_group: x.same_unit_group,
                declared: x.declared,
                adjacent: x.adjacent.map_or(0.0, |(_, s)| f64::from(s)),
                level_known: e.level_known,
                ..Signals::default()
            };
            if soft {
                signals.lexical = Some(e.lexical);
                if !resolved.contains_key(&e.candidate_id) {
                    let c = index
                        .get(&e.candidate_id)?
                        .map(|rec| rec.validate(r, t, chrono::NaiveDate::MAX, &wide.titles))
                        .transpose()?;
                    resolved.insert(e.candidate_id.clone(), c);
                }
                signals.soft = Some(
                    resolved
                        .get(&e.candidate_id)
                        .and_then(Option::as_ref)
                        .map_or_else(SoftSignals::default, |c| {
                            soft_signals(vacancy, &wide, c, adjacency, t)
                        }),
                );
            }
            Ok((signals, e.candidate_id.clone()))
        })
        .collect()
}

/// A candidate's soft match terms against a vacancy (the candidate read from its stored record
/// and resolved again under the model's titles: the resolution the index made).
fn soft_signals(
    vacancy: &incrocio_matching::Vacancy,
    wide: &MatchingModel,
    c: &incrocio_matching::Candidate,
    adjacency: &incrocio_matching::Adjacency,
    t: &Taxonomy,
) -> SoftSignals {
    let isco = |o: u32| t.occupations[o as usize].isco.as_str();
    let term = |ci: u32, p: f32, oj: u32, q: f32| {
        let (a, b) = (isco(ci), isco(oj));
        let unit = !a.is_empty() && a == b;
        Term {
            weight: f64::from(p) * f64::from(q),
            same: ci == oj,
            unit,
            minor: !unit && a.len() >= 3 && a.get(..3) == b.get(..3),
            adjacent: adjacency
                .of(oj, &wide.esperienza)
                .iter()
                .find(|(n, _)| *n == ci)
                .map_or(0.0, |&(_, s)| f64::from(s)),
        }
    };
    let groups = c
        .soft
        .iter()
        .chain(&c.testo)
        .map(|d| {
            d.iter()
                .flat_map(|&(ci, p)| vacancy.soft.iter().map(move |&(oj, q)| term(ci, p, oj, q)))
                .collect()
        })
        .collect();
    let declared = vacancy
        .soft
        .iter()
        .filter(|(o, _)| c.dichiarate.contains(o))
        .map(|&(_, q)| f64::from(q))
        .collect();
    SoftSignals { groups, declared }
}

/// A random parameter vector: weights uniform on the simplex, the rest uniform in [0, 1].
/// Only the first `tuned` parameters are drawn (the rest stay 0), so a base without soft
/// occupations draws the same sequence as before they existed.
fn random_theta(rng: &mut ChaCha8Rng, tuned: usize) -> Theta {
    let mut th = [0.0; 12];
    for x in th.iter_mut().take(5) {
        *x = -(1.0 - rng.r#gen::<f64>()).ln();
    }
    let s: f64 = th[..5].iter().sum();
    for x in th.iter_mut().take(5) {
        *x /= s;
    }
    for x in th.iter_mut().take(tuned).skip(5) {
        *x = rng.r#gen::<f64>();
    }
    th
}

/// `th` with parameter `i` moved by `delta` (weights renormalised, the rest kept in [0, 1]).
fn moved(th: &Theta, i: usize, delta: f64) -> Option<Theta> {
    let mut n = *th;
    n[i] = (n[i] + delta).clamp(0.0, if i < 5 { f64::INFINITY } else { 1.0 });
    if i < 5 {
        let s: f64 = n[..5].iter().sum();
        if s <= 0.0 {
            return None;
        }
        for x in n.iter_mut().take(5) {
            *x /= s;
        }
    }
    Some(n)
}

/// Tunes every score-time parameter of `base` ([`TUNED`]) on the judged vacancies; returns the
/// new model file's text (version `version`, status `fitted`, every section stated) and the
/// report.
#[allow(clippy::too_many_arguments)]
pub fn tune(
    index: &CandidateIndex,
    vacancies: &[VacancyRecord],
    grades: &HashMap<String, HashMap<String, u8>>,
    base: &MatchingModel,
    version: u32,
    opts: &TuneOptions,
    r: &Reference,
    t: &Taxonomy,
) -> Result<(String, TuneReport)> {
    let mut cases = Vec::new();
    let mut resolved = Resolved::default();
    for v in vacancies {
        let Some(g) = grades.get(&v.id) else { continue };
        let vacancy = v.clone().validate(r, t, &base.titles)?;
        let rows = signals(index, &vacancy, base, (r, t), &mut resolved)?
            .into_iter()
            .map(|(x, id)| {
                let grade = g.get(&id).copied().unwrap_or(0);
                (x, id, grade)
            })
            .collect();
        cases.push(Case {
            key: key(&v.id),
            rows,
        });
    }
    let start = theta_of(base);
    let soft = base.titles.soft().is_some();
    let all: Vec<&Case> = cases.iter().collect();
    let cv = opts.folds >= 2;
    // (tuned, base) nDCG of each held-out vacancy that has a relevant candidate.
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    let mut per_fold: Vec<Theta> = Vec::new();
    let (train, test): (Vec<&Case>, Vec<&Case>) = if cv {
        for f in 0..opts.folds as u64 {
            let (test, train): (Vec<&Case>, Vec<&Case>) =
                all.iter().partition(|c| c.key % opts.folds as u64 == f);
            if train.is_empty() || test.is_empty() {
                return Err(Error::Input(InputError::new(
                    "folds",
                    FieldReason::Inconsistent(format!(
                        "fold {} of {} is empty or holds every judged vacancy ({} in all): use fewer folds",
                        f + 1,
                        opts.folds,
                        all.len()
                    )),
                )));
            }
            let th = search(&train, &start, opts, soft);
            pairs.extend(
                test.iter()
                    .filter_map(|c| Some((ndcg(c, &th)?, ndcg(c, &start)?))),
            );
            per_fold.push(th);
        }
        (all.clone(), all.clone())
    } else {
        all.iter().partition(|c| !held_out(c.key, opts.test_share))
    };
    if train.is_empty() {
        return Err(Error::Input(InputError::new(
            "judgments",
            FieldReason::Inconsistent("no judged vacancy in the training split".into()),
        )));
    }
    let best = search(&train, &start, opts, soft);
    let round = |x: f64| (x * 1e4).round() / 1e4;
    let th = best.map(round);
    if !cv {
        pairs.extend(
            test.iter()
                .filter_map(|c| Some((ndcg(c, &th)?, ndcg(c, &start)?))),
        );
    }
    let [held_out_ndcg, base_held_out_ndcg, held_out_gain] = held_out_estimates(&pairs, opts.seed);
    let mut warnings = Vec::new();
    if pairs.len() < MIN_HELD_OUT {
        warnings.push(format!(
            "only {} held-out vacancies with a relevant candidate (fewer than {MIN_HELD_OUT}): the held-out nDCG is too noisy to choose a model on{}",
            pairs.len(),
            if cv { "" } else { "; use --folds to score every vacancy once" }
        ));
    }
    if held_out_gain.value < 0.0 {
        warnings.push("the tuned parameters do worse than the base on the held-out vacancies: they fit the training judgments, not the task; do not release this version".into());
    } else if held_out_gain.ci.is_some_and(|c| c.low <= 0.0) {
        warnings.push("the held-out gain's interval includes 0: these data do not show the tuned parameters rank better than the base".into());
    }
    let tuned = model_of(base, &th);
    let fold_ranges = if per_fold.is_empty() {
        Vec::new()
    } else {
        TUNED
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let v = per_fold.iter().map(|t| t[i]);
                (
                    (*name).to_owned(),
                    round(v.clone().fold(f64::INFINITY, f64::min)),
                    round(v.fold(f64::NEG_INFINITY, f64::max)),
                )
            })
            .collect()
    };
    let report = TuneReport {
        base: base.key(),
        model: format!("{}@v{version}", base.id),
        train_vacancies: train.len(),
        test_vacancies: test.len(),
        base_train_ndcg: round(mean_ndcg(&train, &start)),
        base_test_ndcg: round(base_held_out_ndcg.value),
        tuned_train_ndcg: round(mean_ndcg(&train, &th)),
        tuned_test_ndcg: round(held_out_ndcg.value),
        folds: if cv { opts.folds } else { 0 },
        held_out_ndcg,
        base_held_out_ndcg,
        held_out_gain,
        fold_ranges,
        warnings,
        weights: tuned.weights,
        parameters: TUNED
            .iter()
            .enumerate()
            .map(|(i, name)| ((*name).to_owned(), round(start[i]), th[i]))
            .collect(),
    };
    let text = tuned_file(tuned, version, &report, opts)?;
    MatchingModel::parse(&report.model, &text)?;
    Ok((text, report))
}

/// The seeded search: random points, then a coordinate search with halving steps, on the
/// mean nDCG@15 of `cases`.
fn search(cases: &[&Case], start: &Theta, opts: &TuneOptions, soft: bool) -> Theta {
    let mut best = (mean_ndcg(cases, start), *start);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    // Without soft occupations the last parameters do nothing: they keep the base's values.
    let tuned = if soft { TUNED.len() } else { SOFT_ONLY };
    for _ in 0..opts.samples {
        let mut th = random_theta(&mut rng, tuned);
        th[tuned..].copy_from_slice(&start[tuned..]);
        let s = mean_ndcg(cases, &th);
        if s > best.0 {
            best = (s, th);
        }
    }
    let mut step = 0.1;
    while step > 1e-3 {
        let mut improved = false;
        for i in 0..tuned {
            for dir in [1.0, -1.0] {
                let Some(th) = moved(&best.1, i, dir * step) else {
                    continue;
                };
                let s = mean_ndcg(cases, &th);
                if s > best.0 + 1e-12 {
                    best = (s, th);
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    best.1
}

fn tuned_file(
    mut m: MatchingModel,
    version: u32,
    r: &TuneReport,
    opts: &TuneOptions,
) -> Result<String> {
    m.version = version;
    m.status = incrocio_profiling::Status::Fitted;
    m.description = format!(
        "{} — tuned by `incrocio tune matching` from {} (nDCG@15 held-out {:.4} → {:.4}{}, {} training / {} held-out vacancies, seed {}, {} samples)",
        m.description,
        r.base,
        r.base_test_ndcg,
        r.tuned_test_ndcg,
        if r.folds >= 2 {
            format!(", {}-fold cross-validation", r.folds)
        } else {
            String::new()
        },
        r.train_vacancies,
        r.test_vacancies,
        opts.seed,
        opts.samples
    );
    let body = toml::to_string(&m).map_err(|e| Error::data("tuned model", e.to_string()))?;
    Ok(format!(
        "# Tuned by `incrocio tune matching`: status \"fitted\" on the judgments it was given, not\n# an authority's parameters. Every section is stated. Released files never change: retune =\n# new version.\n{body}"
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
        let x = |lessicale, competenze| Signals {
            lessicale,
            competenze,
            distanza: 0.0,
            same: false,
            same_unit_group: false,
            declared: false,
            adjacent: 0.0,
            level_known: true,
            ..Signals::default()
        };
        let case = Case {
            key: 0,
            rows: vec![(x(1.0, 0.0), "A".into(), 0), (x(0.2, 1.0), "B".into(), 2)],
        };
        let only = |i: usize| {
            let mut th = [0.0; 12];
            th[i] = 1.0;
            th
        };
        let lexical = ndcg(&case, &only(0)).unwrap();
        let competence = ndcg(&case, &only(1)).unwrap();
        assert!((competence - 1.0).abs() < 1e-12);
        assert!(lexical < competence);
        assert!(held_out(key("V1"), 1.0) && !held_out(key("V1"), 0.0));
    }

    #[test]
    fn experience_and_education_follow_the_tuned_credits() {
        // th: weights (0, 0, 1, 0, 0) → the score is the experience value.
        let mut th = [0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.6, 0.3, 0.25, 0.8, 0.25, 0.5];
        let s = |adjacent, unit| Signals {
            lessicale: 0.0,
            competenze: 0.0,
            distanza: 0.0,
            same: false,
            same_unit_group: unit,
            declared: false,
            adjacent,
            level_known: false,
            ..Signals::default()
        };
        // Declared in the patto: esperienza.declared (0.8) when it is the largest credit.
        let declared = Signals {
            declared: true,
            ..s(0.9, true)
        };
        assert!((score(&declared, &th) - 0.8).abs() < 1e-12);
        assert!((score(&s(0.9, false), &th) - 0.54).abs() < 1e-12);
        assert!((score(&s(0.9, true), &th) - 0.54).abs() < 1e-12);
        assert!((score(&s(0.2, true), &th) - 0.5).abs() < 1e-12);
        // Below min_similarity an adjacent occupation earns nothing.
        assert_eq!(score(&s(0.2, false), &th), 0.0);
        // Education weight 1: the unknown level scores istruzione.unknown.
        th = [0.0, 0.0, 0.0, 1.0, 0.0, 0.5, 0.6, 0.3, 0.25, 0.8, 0.25, 0.5];
        assert!((score(&s(0.0, false), &th) - 0.25).abs() < 1e-12);
    }

    /// Soft occupations under the tuned credits, by hand. Group 1: p·q = 0.42 same
    /// occupation, 0.28 same unit group, 0.18 same minor group, 0.12 adjacent at 0.9 →
    /// 0.42 × 1 + 0.28 × 0.5 + 0.18 × 0.25 + 0.12 × (0.6 × 0.9) = 0.42 + 0.14 + 0.045 + 0.0648
    /// = 0.6698. A declared occupation with q = 0.7: 0.8 × 0.7 = 0.56 < 0.6698. The lexical
    /// part mixes the words' 0.4 and the grams' 1.0 at n-gram share 0.5: 0.7.
    #[test]
    fn soft_experience_and_the_ngram_share_follow_the_tuned_credits() {
        let th = [0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.6, 0.3, 0.25, 0.8, 0.25, 0.5];
        let term = |weight, same, unit, minor, adjacent| Term {
            weight,
            same,
            unit,
            minor,
            adjacent,
        };
        let x = Signals {
            lexical: Some([0.4, 1.0]),
            soft: Some(SoftSignals {
                groups: vec![vec![
                    term(0.42, true, false, false, 0.0),
                    term(0.28, false, true, false, 0.0),
                    term(0.18, false, false, true, 0.0),
                    term(0.12, false, false, false, 0.9),
                ]],
                declared: vec![0.7],
            }),
            ..Signals::default()
        };
        assert!((score(&x, &th) - 0.6698).abs() < 1e-12);
        let mut lexical = th;
        lexical[2] = 0.0;
        lexical[0] = 1.0;
        assert!((score(&x, &lexical) - 0.7).abs() < 1e-12);
        // Minor-group credit 0: the 0.045 goes.
        let mut no_minor = th;
        no_minor[10] = 0.0;
        assert!((score(&x, &no_minor) - 0.6248).abs() < 1e-12);
    }
}
