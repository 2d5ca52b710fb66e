//! The rosa: the ranked candidates cut to the size asked, each explained (the parts that add up
//! to the score, the experience relation, matched and missing skills), and the narrowing
//! suggestions. No tantivy here: it works on the scored rows the index hands over.

use super::model::{EsperienzaParams, SuggestionParams};
use super::score::{Contributions, Eligible, Parts};
use super::vacancy::Vacancy;
use super::vectors::SparseVec;
use incrocio_taxonomy::{OccupationId, Taxonomy};

/// A scored eligible candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Candidate id.
    pub candidate_id: String,
    /// Weighted total.
    pub score: f64,
    /// Each part's value.
    pub contributions: Contributions,
    /// Row of its competency vector.
    pub slot: u64,
    /// Distance to the workplace.
    pub distance_km: f64,
    /// How its experience relates to the vacancy's occupation.
    pub experience: super::score::Experience,
    /// Whether its level of study is known.
    pub level_known: bool,
    /// The two halves of the lexical part before the model's n-gram share: the words' BM25
    /// and the title grams' BM25, each divided by the best among the eligible.
    pub lexical: [f64; 2],
}

/// Every eligible candidate for a vacancy (or the best ones), best first.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// Candidates passing the hard rules.
    pub eligible_count: usize,
    /// Scored candidates, best first.
    pub ranked: Vec<Ranked>,
    /// Narrowing suggestions over the eligible set.
    pub suggestions: Vec<Suggestion>,
    /// The vacancy's competency vector.
    pub vacancy_vector: SparseVec,
    /// Distinct query terms past the model's `query.max_terms`, not searched.
    pub dropped_terms: usize,
}

/// Which relation between a candidate's experience and the vacancy's occupation gave the
/// experience credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceRelation {
    /// Experience in the vacancy's occupation.
    SameOccupation,
    /// The vacancy's occupation is declared in the patto di servizio.
    DeclaredOccupation,
    /// Experience in an occupation of the same ISCO-08 unit group.
    SameIscoUnitGroup,
    /// Experience in an adjacent occupation (ESCO skill overlap).
    AdjacentOccupation,
    /// Experience in an occupation of the same ISCO-08 minor group (soft occupations).
    SameIscoMinorGroup,
}

/// How a rosa entry's experience relates to the vacancy's occupation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ExperienceMatch {
    /// The relation that gave the credit.
    pub relation: ExperienceRelation,
    /// The candidate's occupation (ESCO URI) for an adjacent occupation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// Its similarity to the vacancy's occupation (ESCO skill overlap), for an adjacent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// With soft occupations: where the credited occupation comes from (`esperienze[k]`,
    /// `testo[k]` for the k-th piece of free text, or `occupazioni_disponibili`), its probability
    /// there (times `titles.free_text` for free text), the vacancy occupation it matches best
    /// with that one's probability, and the part's value, the expected match of the two
    /// distributions (docs/matching-model.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft: Option<SoftExplanation>,
}

/// The credited occupations of a soft match.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct SoftExplanation {
    /// `esperienze[k]`, `testo[k]` or `occupazioni_disponibili`.
    pub source: String,
    /// The candidate's occupation of largest term (ESCO URI).
    pub occupation: String,
    /// Its probability (its weight, for free text).
    pub probability: f64,
    /// The vacancy's occupation it matches best (ESCO URI).
    pub vacancy_occupation: String,
    /// That occupation's probability.
    pub vacancy_probability: f64,
    /// The expected match of the source's distribution with the vacancy's: the part's value.
    pub expected_match: f64,
}

/// The explanation of a soft match ([`super::soft`]) against the vacancy's distribution.
pub fn soft_match(
    s: &super::soft::SoftMatch,
    vacancy: &[(OccupationId, f32)],
    adjacency: &super::adjacency::Adjacency,
    p: &EsperienzaParams,
    t: &Taxonomy,
) -> Option<ExperienceMatch> {
    use super::soft::{DECLARED_GROUP, FREE_TEXT_GROUP, Relation, relation};
    let round = |x: f64| (x * 1e6).round() / 1e6;
    // The vacancy occupation of largest q × m with the credited one (the first of equals).
    let mut best: Option<(f64, OccupationId, f32, Relation)> = None;
    for &(o, q) in vacancy {
        let (m, r) = if s.group == DECLARED_GROUP {
            (
                if o == s.occupation { 1.0 } else { 0.0 },
                Some(Relation::Same),
            )
        } else {
            relation(t, adjacency, p, s.occupation, o)
        };
        if let Some(r) = r
            && m > 0.0
            && best.is_none_or(|b| f64::from(q) * m > b.0)
        {
            best = Some((f64::from(q) * m, o, q, r));
        }
    }
    let (_, o, q, r) = best?;
    let relation = match (s.group, r) {
        (DECLARED_GROUP, _) => ExperienceRelation::DeclaredOccupation,
        (_, Relation::Same) => ExperienceRelation::SameOccupation,
        (_, Relation::UnitGroup) => ExperienceRelation::SameIscoUnitGroup,
        (_, Relation::MinorGroup) => ExperienceRelation::SameIscoMinorGroup,
        (_, Relation::Adjacent) => ExperienceRelation::AdjacentOccupation,
    };
    let similarity = match r {
        Relation::Adjacent => adjacency
            .of(o, p)
            .iter()
            .find(|(n, _)| *n == s.occupation)
            .map(|&(_, x)| round(f64::from(x))),
        _ => None,
    };
    let source = match s.group {
        DECLARED_GROUP => "occupazioni_disponibili".to_owned(),
        g if g >= FREE_TEXT_GROUP => format!("testo[{}]", g - FREE_TEXT_GROUP),
        g => format!("esperienze[{g}]"),
    };
    Some(ExperienceMatch {
        relation,
        occupation: Some(t.occupations[s.occupation as usize].uri()),
        similarity,
        soft: Some(SoftExplanation {
            source,
            occupation: t.occupations[s.occupation as usize].uri(),
            probability: round(f64::from(s.probability)),
            vacancy_occupation: t.occupations[o as usize].uri(),
            vacancy_probability: round(f64::from(q)),
            expected_match: f64::from(s.value),
        }),
    })
}

/// One name of the rosa.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct RosaEntry {
    /// 1-based position.
    pub position: u32,
    /// Candidate id.
    pub candidate_id: String,
    /// The score: the sum of the parts' contributions.
    pub score: f64,
    /// Each part: value, weight and weighted contribution.
    pub contributions: Parts,
    /// How the candidate's experience relates to the vacancy's occupation, when it earned
    /// credit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experience: Option<ExperienceMatch>,
    /// Great-circle distance between domicile and workplace comuni.
    pub distance_km: f64,
    /// Skills of the vacancy the candidate has (ESCO English labels).
    pub matched_skills: Vec<String>,
    /// Skills of the vacancy the candidate lacks (required ones first).
    pub missing_skills: Vec<String>,
}

/// A way to narrow the search, with how many eligible candidates would remain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Suggestion {
    /// Which parameter.
    pub parameter: String,
    /// The value to set.
    pub value: String,
    /// Eligible candidates that would remain.
    pub remaining: usize,
}

/// Who a rosa is and when: its id, the time it was generated and the day it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosaStamp {
    /// The id.
    pub rosa_id: String,
    /// RFC 3339, UTC, milliseconds.
    pub generated_at: String,
    /// The request's date.
    pub data_richiesta: chrono::NaiveDate,
}

impl RosaStamp {
    /// A new id (128 random bits) generated now; `data_richiesta` defaults to today (UTC).
    pub fn now(data_richiesta: Option<chrono::NaiveDate>) -> RosaStamp {
        let now = chrono::Utc::now();
        RosaStamp {
            rosa_id: format!("rosa-{:032x}", rand::random::<u128>()),
            generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            data_richiesta: data_richiesta.unwrap_or_else(|| now.date_naive()),
        }
    }
}

/// What a rosa is asked with: the size (else the vacancy's, else the model's), its stamp, and
/// for a refill the candidates not to propose again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosaAsk<'a> {
    /// The size asked.
    pub size: Option<u32>,
    /// Its id and dates.
    pub stamp: RosaStamp,
    /// Candidates excluded.
    pub exclude: &'a [String],
}

/// The answer to a vacancy.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Shortlist {
    /// This rosa's id: esiti and refills refer to it, and the decision log records it.
    pub rosa_id: String,
    /// When it was generated (UTC, RFC 3339).
    pub generated_at: String,
    /// The day the employer asked for it (the request's `data_richiesta`, else the day it was
    /// generated): service deadlines run from it.
    pub data_richiesta: chrono::NaiveDate,
    /// Whether the size was asked for (the request's `size` or the vacancy's
    /// `dimensione_rosa`) rather than the model's default; a rosa above the default is always
    /// asked for.
    pub size_asked: bool,
    /// The vacancy.
    pub vacancy_id: String,
    /// Scoring model `id@vN`.
    pub model: String,
    /// Its digest.
    pub model_digest: String,
    /// Its status.
    pub model_status: incrocio_core::status::Status,
    /// SHA-256 of the vacancy record.
    pub input_digest: String,
    /// The vacancy's resolved ESCO occupation.
    pub occupation: Option<String>,
    /// Candidates passing every hard rule.
    pub eligible_count: usize,
    /// The size asked (or the default).
    pub rosa_size: usize,
    /// The rosa, best first.
    pub rosa: Vec<RosaEntry>,
    /// When more qualify than the rosa holds: narrowing parameters with counts, each leaving
    /// at least one candidate and fewer than all.
    pub suggestions: Vec<Suggestion>,
    /// What the caller should know about how the request was read (e.g. query terms dropped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The explanation of an experience that earned credit: the relation that set the
/// `esperienza` value ([`super::score::esperienza`]), none when it earned nothing.
pub fn experience_match(
    x: &super::score::Experience,
    p: &EsperienzaParams,
    vacancy: Option<OccupationId>,
    t: &Taxonomy,
) -> Option<ExperienceMatch> {
    if x.same {
        return Some(ExperienceMatch {
            relation: ExperienceRelation::SameOccupation,
            occupation: vacancy.map(|o| t.occupations[o as usize].uri()),
            similarity: None,
            soft: None,
        });
    }
    let unit = if x.same_unit_group { p.adjacent } else { 0.0 };
    let near = x.adjacent.map_or(0.0, |(_, s)| p.proximity * f64::from(s));
    if x.declared && p.declared > 0.0 && p.declared >= unit && p.declared >= near {
        return Some(ExperienceMatch {
            relation: ExperienceRelation::DeclaredOccupation,
            occupation: vacancy.map(|o| t.occupations[o as usize].uri()),
            similarity: None,
            soft: None,
        });
    }
    match x.adjacent {
        Some((o, s)) if p.proximity * f64::from(s) > unit => Some(ExperienceMatch {
            relation: ExperienceRelation::AdjacentOccupation,
            occupation: Some(t.occupations[o as usize].uri()),
            similarity: Some((f64::from(s) * 1e6).round() / 1e6),
            soft: None,
        }),
        _ if unit > 0.0 => Some(ExperienceMatch {
            relation: ExperienceRelation::SameIscoUnitGroup,
            occupation: None,
            similarity: None,
            soft: None,
        }),
        _ => None,
    }
}

/// The vacancy's most weighted skills the candidate has and lacks (at most 10 each; required
/// ones first among the missing).
pub fn skill_lists(
    vacancy: &SparseVec,
    cv: &SparseVec,
    v: &Vacancy,
    t: &Taxonomy,
) -> (Vec<String>, Vec<String>) {
    let mut by_weight: Vec<(f32, u32)> = vacancy
        .idx
        .iter()
        .zip(&vacancy.val)
        .map(|(s, w)| (*w, *s))
        .collect();
    by_weight.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut matched = Vec::new();
    let mut missing = Vec::new();
    for (_, s) in by_weight {
        let label = t.skills[s as usize].label_en.clone();
        if cv.get(s) > 0.0 {
            if matched.len() < 10 {
                matched.push(label);
            }
        } else if missing.len() < 10 && (v.skills.contains(&s) || missing.len() < 5) {
            missing.push(label);
        }
    }
    (matched, missing)
}

/// The warning of a shortlist whose query lost terms to the model's bound.
pub fn dropped_terms_warning(dropped: usize, max: usize) -> Vec<String> {
    if dropped == 0 {
        return Vec::new();
    }
    vec![format!(
        "the title and description have more than {max} distinct words (query.max_terms of the model): the {dropped} after the first {max} were not searched"
    )]
}

/// What the vacancy already asks, as the suggestions need it.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    /// Its minimum level of study.
    pub min_level: Option<u64>,
    /// Whether it requires any language.
    pub languages: bool,
    /// Whether its occupation is known.
    pub occupation: bool,
    /// Its radius.
    pub radius: f64,
}

/// Narrowing suggestions (model's `[suggestions]`): each new requirement with the eligible
/// candidates that would remain, offered only when it leaves at least one and fewer than all.
pub fn suggestions(
    eligible: &[Eligible],
    from: super::score::Point,
    asked: &Asked,
    p: &SuggestionParams,
) -> Vec<Suggestion> {
    // The candidates are counted for every suggestion in one pass over them.
    let mut levels = p.levels.clone();
    levels.sort_unstable();
    levels.dedup();
    levels.retain(|&l| asked.min_level.is_none_or(|m| m < u64::from(l)));
    let language =
        (!asked.languages).then(|| super::candidate::cefr(&p.language_level).unwrap_or(u8::MAX));
    let mut bands: Vec<u32> = p
        .radii_km
        .iter()
        .copied()
        .filter(|&b| f64::from(b) < asked.radius)
        .collect();
    bands.sort_unstable();
    bands.dedup();
    let mut at_level = vec![0usize; levels.len()];
    let mut in_band = vec![0usize; bands.len()];
    let (mut speaking, mut same) = (0usize, 0usize);
    for e in eligible {
        if let Some(l) = e.level {
            for (count, &min) in at_level.iter_mut().zip(&levels) {
                *count += usize::from(l >= min);
            }
        }
        if let Some(min) = language {
            speaking += usize::from(e.suggested_language >= min);
        }
        // With soft occupations: an expected match of at least `suggestions.soft_same`.
        same += usize::from(
            e.experience.same
                || e.experience
                    .soft
                    .is_some_and(|s| f64::from(s.value) >= p.soft_same),
        );
        for (count, &band) in in_band.iter_mut().zip(&bands) {
            *count += usize::from(e.km.within(f64::from(band), from));
        }
    }
    let mut out = Vec::new();
    let n = eligible.len();
    let mut offer = |parameter: &str, value: String, remaining: usize| {
        if remaining >= 1 && remaining < n {
            out.push(Suggestion {
                parameter: parameter.into(),
                value,
                remaining,
            });
        }
    };
    for (level, remaining) in levels.iter().zip(at_level) {
        offer("livello_studio_min", level.to_string(), remaining);
    }
    if language.is_some() {
        let name = super::candidate::language_name(&p.language).unwrap_or("");
        offer(
            "lingue",
            format!("{} ({}) {}", p.language, name, p.language_level),
            speaking,
        );
    }
    if asked.occupation {
        offer("esperienza", "nella stessa professione".into(), same);
    }
    for (band, remaining) in bands.iter().zip(in_band) {
        offer("raggio_km", band.to_string(), remaining);
    }
    out
}
