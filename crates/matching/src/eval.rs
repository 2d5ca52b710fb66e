//! Matching quality on vacancies with known occupations: nDCG@15 and recall@15, for the full
//! scorer and for lexical relevance alone, plus shortlist latency.
//!
//! Graded relevance of a candidate for a vacancy whose true ESCO occupation is known: 2 when one
//! of the candidate's experiences is in that occupation, 1 when one shares its ISCO-08 unit group
//! (4 digits), else 0. The vacancy is ranked from its title and description only (its `esco` is
//! removed before ranking), so title resolution is part of what is measured. Both metrics are
//! computed over the candidates passing the hard rules (the same set for both scorers); a
//! vacancy with no relevant eligible candidate counts in neither average.

use std::time::Instant;

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use super::index::CandidateIndex;
use super::model::{MatchingModel, Weights};
use super::vacancy::VacancyRecord;
use incrocio_core::error::Result;
use incrocio_core::reference::Reference;
use incrocio_taxonomy::{OccupationId, Taxonomy};

/// Cut-off of both metrics (the rosa size).
pub const K: usize = 15;

/// Mean metrics of one scorer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Mean nDCG@15 (exponential gain `2^rel − 1`, log2 discount).
    pub ndcg_at_15: f64,
    /// Mean recall@15 of candidates with relevance ≥ 1.
    pub recall_at_15: f64,
}

/// The evaluation report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The full scorer's model `id@vN`.
    pub model: String,
    /// Vacancies read.
    pub vacancies: usize,
    /// Vacancies with at least one relevant eligible candidate (the averages' denominator).
    pub evaluated: usize,
    /// Vacancies whose title resolved to their true occupation.
    pub title_resolved_to_truth: usize,
    /// The full scorer.
    pub full: Metrics,
    /// BM25 alone.
    pub lexical_only: Metrics,
    /// Median shortlist latency (full scorer, one thread), ms.
    pub latency_p50_ms: f64,
    /// 99th percentile shortlist latency, ms.
    pub latency_p99_ms: f64,
}

/// The relevance of a candidate with these occupations for a vacancy in `truth`.
pub fn relevance(t: &Taxonomy, truth: OccupationId, occupations: &[OccupationId]) -> u8 {
    if occupations.contains(&truth) {
        2
    } else if occupations.iter().any(|&o| t.same_isco(o, truth)) {
        1
    } else {
        0
    }
}

/// nDCG@k of a ranked list of relevances against the ideal ordering of `all` relevances.
pub fn ndcg_at(k: usize, ranked: &[u8], all: &[u8]) -> Option<f64> {
    let dcg = |rels: &mut dyn Iterator<Item = u8>| -> f64 {
        rels.take(k)
            .enumerate()
            .map(|(i, r)| (f64::from(r).exp2() - 1.0) / ((i + 2) as f64).log2())
            .sum()
    };
    let mut ideal = all.to_vec();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg = dcg(&mut ideal.into_iter());
    (idcg > 0.0).then(|| dcg(&mut ranked.iter().copied()) / idcg)
}

/// recall@k: relevant (≥ 1) in the first k over relevant in `all`.
pub fn recall_at(k: usize, ranked: &[u8], all: &[u8]) -> Option<f64> {
    let total = all.iter().filter(|&&r| r > 0).count();
    let found = ranked.iter().take(k).filter(|&&r| r > 0).count();
    (total > 0).then(|| found as f64 / total as f64)
}

/// Evaluates `model` and lexical-only relevance on `vacancies` (each with its true `esco`).
/// `occupations` gives each indexed candidate's resolved occupations.
pub fn evaluate(
    index: &CandidateIndex,
    vacancies: &[VacancyRecord],
    occupations: &HashMap<String, Vec<OccupationId>>,
    model: &MatchingModel,
    r: &Reference,
    t: &Taxonomy,
) -> Result<EvalReport> {
    let mut lexical = model.clone();
    lexical.id = "lexical-only".into();
    lexical.weights = Weights {
        lessicale: 1.0,
        competenze: 0.0,
        esperienza: 0.0,
        istruzione: 0.0,
        distanza: 0.0,
    };
    // The adjacent occupations are computed once per process (a server does it at start): not
    // inside the first timed shortlist.
    let _ = index.adjacency(t);
    let (mut full, mut lex) = ((0.0, 0.0), (0.0, 0.0));
    let (mut evaluated, mut resolved) = (0usize, 0usize);
    let mut latencies = Vec::with_capacity(vacancies.len());
    for v in vacancies {
        let Some(truth) = v.esco.as_deref().and_then(|u| t.occupation(u)) else {
            continue;
        };
        let mut blind = v.clone();
        blind.esco = None;
        blind.cp2011 = None;
        let vacancy = blind.validate(r, t, &model.titles)?;
        if vacancy.occupazione == Some(truth) {
            resolved += 1;
        }
        let started = Instant::now();
        let _ = index.shortlist(&vacancy, model, None, t)?;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        let rels = |ranking: &super::rosa::Ranking| -> Vec<u8> {
            ranking
                .ranked
                .iter()
                .map(|c| {
                    occupations
                        .get(&c.candidate_id)
                        .map_or(0, |o| relevance(t, truth, o))
                })
                .collect()
        };
        let a = rels(&index.ranking(&vacancy, model, t)?);
        let b = rels(&index.ranking(&vacancy, &lexical, t)?);
        // Same eligible set for both scorers: `a` sorted is the ideal for both.
        if let (Some(na), Some(ra), Some(nb), Some(rb)) = (
            ndcg_at(K, &a, &a),
            recall_at(K, &a, &a),
            ndcg_at(K, &b, &a),
            recall_at(K, &b, &a),
        ) {
            evaluated += 1;
            full.0 += na;
            full.1 += ra;
            lex.0 += nb;
            lex.1 += rb;
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        (latencies[i] * 1000.0).round() / 1000.0
    };
    let n = evaluated.max(1) as f64;
    let round = |x: f64| (x * 1e4).round() / 1e4;
    Ok(EvalReport {
        model: model.key(),
        vacancies: vacancies.len(),
        evaluated,
        title_resolved_to_truth: resolved,
        full: Metrics {
            ndcg_at_15: round(full.0 / n),
            recall_at_15: round(full.1 / n),
        },
        lexical_only: Metrics {
            ndcg_at_15: round(lex.0 / n),
            recall_at_15: round(lex.1 / n),
        },
        latency_p50_ms: pct(0.5),
        latency_p99_ms: pct(0.99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_and_recall_on_a_hand_computed_case() {
        // Ranked relevances 0, 2, 1 out of an eligible set {2, 1, 0, 1}.
        let ranked = [0u8, 2, 1];
        let all = [2u8, 1, 0, 1];
        // DCG = 0/log2(2) + 3/log2(3) + 1/log2(4) = 1.892789 + 0.5 = 2.392789
        // IDCG = 3/1 + 1/log2(3) + 1/log2(4) = 3 + 0.630930 + 0.5 = 4.130930; nDCG = 0.579237
        let dcg = 3.0 / 3f64.log2() + 0.5;
        let idcg = 3.0 + 1.0 / 3f64.log2() + 0.5;
        let got = ndcg_at(15, &ranked, &all).unwrap();
        assert!((got - dcg / idcg).abs() < 1e-12, "{got}");
        assert!((got - 0.579_237).abs() < 1e-6, "{got}");
        // 2 of the 3 relevant in the first 15.
        assert_eq!(recall_at(15, &ranked, &all), Some(2.0 / 3.0));
        // The cut-off applies.
        assert_eq!(recall_at(1, &ranked, &all), Some(0.0));
        assert_eq!(ndcg_at(15, &[0], &[0, 0]), None);
        // The ideal order scores 1.
        assert!((ndcg_at(15, &[2, 1, 1, 0], &all).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn relevance_grades() {
        let t = Taxonomy::bundled();
        let web = t.occupations_by_title("webmaster")[0];
        let cook = t.occupations_by_title("cuoco")[0];
        assert_eq!(relevance(t, cook, &[web, cook]), 2);
        assert_eq!(relevance(t, cook, &[web]), 0);
        let sibling = (0..t.occupations.len() as u32)
            .find(|&o| o != cook && t.same_isco(o, cook))
            .unwrap();
        assert_eq!(relevance(t, cook, &[sibling]), 1);
    }
}
