//! The skills analysis of the LEP: a person's competences against the vacancies open within
//! their reach (LEP C, orientamento di base: "analisi delle competenze in relazione alla
//! situazione del mercato del lavoro locale"; LEP E, the bilancio delle competenze: "le
//! competenze maturate e spendibili" and "i gap di competenza da colmare").
//!
//! Over the open vacancies a person can take at a date (the offers' hard rules, within a
//! radius, the person's travel limit, or each vacancy's own radius), each scored as offers
//! score it (the matching model's five parts, mirrored), the analysis gives:
//!
//! - **fits**: the occupations in demand the person fits now: a vacancy fits when the score
//!   is at least `fit.score` of the skills model;
//! - **transitions**: the occupations in demand the person fits in none of their vacancies,
//!   adjacent to one of the person's (ESCO skill overlap, the matching model's neighbours) or
//!   in the same ISCO-08 minor group, whose essential skills the person lacks at most
//!   `transitions.max_missing` of: those skills, and how many of the occupation's vacancies
//!   would fit with them declared;
//! - **missing skills**: each skill of a vacancy the person lacks (no weight in their
//!   competency vector), ranked by the vacancies it unlocks: a vacancy that does not fit now
//!   and would, with that one skill declared (the score recomputed exactly, the competency
//!   vector rebuilt with the skill appended to `competenze`). No hard rule reads skills, so a
//!   skill never moves a person into or out of the eligible set: it unlocks by ranking only.
//!
//! Everything is deterministic: ties broken by id, medians exact, every list bounded by the
//! skills model (`models/skills/`), every answer naming both models with their digests.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::board::VacancyBoard;
use super::offers::{OfferSearch, Reach, Row, Scoring, cosine};
use super::{Candidate, SparseVec};
use incrocio_core::cancel::Cancel;
use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::{ModelError, Result};
use incrocio_core::markup::escape as esc;
use incrocio_core::status::Status;
use incrocio_taxonomy::{OccupationId, SkillId, Taxonomy};

/// The skills model file (`models/skills/<id>.vN.toml`): every number of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillsModel {
    /// Identifier.
    pub id: String,
    /// Version (a released version never changes).
    pub version: u32,
    /// How far it can be trusted.
    pub status: Status,
    /// One line.
    pub description: String,
    /// When a vacancy fits.
    pub fit: FitParams,
    /// The missing skills listed.
    pub unlock: UnlockParams,
    /// The transitions listed.
    pub transitions: TransitionParams,
    /// The size of the report.
    pub report: ReportParams,
    /// The territory's report.
    pub territory: TerritoryParams,
    /// `sha256:` of the file.
    #[serde(skip)]
    pub digest: String,
}

/// `[fit]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitParams {
    /// A vacancy fits the person when their score for it is at least this.
    pub score: f64,
}

/// `[unlock]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockParams {
    /// Missing skills listed, at most.
    pub max_skills: usize,
}

/// `[transitions]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionParams {
    /// Essential skills of the occupation the person may lack, at most.
    pub max_missing: usize,
    /// Transitions listed, at most.
    pub max_listed: usize,
}

/// `[report]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Vacancy ids given as evidence per line, at most.
    pub evidence: usize,
    /// Occupations listed among those the person fits, at most.
    pub max_occupations: usize,
}

/// `[territory]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoryParams {
    /// A count below this is suppressed (shown as none) in a territory's outputs.
    pub min_cell: u32,
}

impl SkillsModel {
    /// Parses and checks a skills model file.
    pub fn parse(file: &str, text: &str) -> std::result::Result<SkillsModel, ModelError> {
        let mut m: SkillsModel =
            toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        let bad = |key: &str, reason: &str| Err(ModelError::new(file, key, reason));
        if !(m.fit.score.is_finite() && (0.0..=1.0).contains(&m.fit.score)) {
            return bad("fit.score", "must be in [0, 1]");
        }
        for (key, v, most) in [
            ("unlock.max_skills", m.unlock.max_skills, 200),
            ("transitions.max_missing", m.transitions.max_missing, 20),
            ("transitions.max_listed", m.transitions.max_listed, 100),
            ("report.evidence", m.report.evidence, 100),
            ("report.max_occupations", m.report.max_occupations, 200),
        ] {
            if v == 0 || v > most {
                return bad(key, &format!("must be from 1 to {most}"));
            }
        }
        if m.territory.min_cell == 0 {
            return bad("territory.min_cell", "must be at least 1");
        }
        m.digest = sha256_tagged(text.as_bytes());
        Ok(m)
    }

    /// `id@vN`.
    pub fn key(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }
}

/// An occupation, named.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OccupationRef {
    /// ESCO URI.
    pub uri: String,
    /// Italian label.
    pub label: String,
}

/// A skill, named.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SkillRef {
    /// ESCO URI.
    pub uri: String,
    /// English label (ESCO skills have no Italian labels in the bundled release).
    pub label: String,
}

/// An occupation in demand the person fits now.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Fit {
    /// The vacancies' occupation (none: titles that named no occupation).
    pub occupation: Option<OccupationRef>,
    /// Its open vacancies within reach.
    pub vacancies: usize,
    /// Those the person fits (score at least `fit.score`).
    pub fitting: usize,
    /// The median of the person's scores over its vacancies within reach.
    pub median_score: f64,
    /// The fitting ones, best first (at most `report.evidence`).
    pub vacancy_ids: Vec<String>,
}

/// An occupation a few skills away.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Transition {
    /// The occupation in demand.
    pub occupation: OccupationRef,
    /// The person's occupation it is reached from.
    pub from: OccupationRef,
    /// `adjacent` (ESCO skill overlap, with `similarity`) or `minor_group` (same ISCO-08
    /// minor group).
    pub relation: String,
    /// The cosine of the two occupations' skill vectors, when adjacent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// The occupation's essential skills the person lacks.
    pub missing_essential: Vec<SkillRef>,
    /// Its open vacancies within reach.
    pub vacancies: usize,
    /// Those that would fit with the missing essential skills declared.
    pub would_fit: usize,
    /// Those, best first (at most `report.evidence`).
    pub vacancy_ids: Vec<String>,
}

/// A skill the person lacks, with the vacancies it would unlock.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MissingSkill {
    /// The skill.
    pub skill: SkillRef,
    /// Vacancies within reach that do not fit now and would with this skill declared.
    pub unlocks: usize,
    /// Of those, how many require it explicitly (`competenze_richieste`).
    pub required_in: usize,
    /// How many have it as an essential skill of their occupation (and do not require it).
    pub essential_in: usize,
    /// How many have it otherwise (an optional skill of their occupation, or a skill of a less
    /// probable occupation of their title).
    pub optional_in: usize,
    /// Vacancies within reach whose competency vector holds it.
    pub in_vacancies: usize,
    /// The unlocked vacancies, best score with the skill first (at most `report.evidence`).
    pub vacancy_ids: Vec<String>,
}

/// A person's skills against the vacancies within reach.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SkillsGap {
    /// The person.
    pub candidate_id: String,
    /// The day of the analysis (open vacancies, experience recency).
    pub data: NaiveDate,
    /// What "within reach" meant, in Italian (the document's language).
    pub reach: String,
    /// Scoring model `id@vN`, and its digest.
    pub model: String,
    /// `sha256:` of the scoring model file.
    pub model_digest: String,
    /// Skills model `id@vN`.
    pub skills_model: String,
    /// `sha256:` of the skills model file.
    pub skills_model_digest: String,
    /// Its status.
    pub skills_model_status: Status,
    /// SHA-256 of the candidate record.
    pub input_digest: String,
    /// Vacancies open on the board at `data`.
    pub open_count: usize,
    /// Open vacancies passing the person's hard rules within reach.
    pub eligible_count: usize,
    /// The score at which a vacancy fits (`fit.score`).
    pub fit_score: f64,
    /// Vacancies that fit now.
    pub fitting_count: usize,
    /// (a) Occupations in demand the person fits, most fitting vacancies first.
    pub fits: Vec<Fit>,
    /// (b) Occupations a few essential skills away.
    pub transitions: Vec<Transition>,
    /// (c) Missing skills, most vacancies unlocked first.
    pub missing_skills: Vec<MissingSkill>,
    /// What the reader should know.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The exact median (the mean of the two middle values of an even count); 0 when empty.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn occupation_ref(t: &Taxonomy, o: OccupationId) -> OccupationRef {
    let occ = &t.occupations[o as usize];
    OccupationRef {
        uri: occ.uri(),
        label: occ.label().to_owned(),
    }
}

fn skill_ref(t: &Taxonomy, s: SkillId) -> SkillRef {
    let skill = &t.skills[s as usize];
    SkillRef {
        uri: skill.uri(),
        label: skill.label_en.clone(),
    }
}

/// One eligible vacancy, scored.
struct Scored<'a> {
    row: &'a Row,
    id: &'a str,
    occupation: Option<OccupationId>,
    vector: &'a SparseVec,
    required: &'a [SkillId],
    /// The cosine of the two competency vectors.
    cos: f64,
    score: f64,
}

impl VacancyBoard {
    /// The skills analysis of `person` at `date` over the vacancies within `reach`.
    #[allow(clippy::too_many_arguments)]
    pub fn skills_gap(
        &self,
        person: &Candidate,
        date: NaiveDate,
        reach: Reach,
        s: &OfferSearch<'_>,
        m: &SkillsModel,
        cancel: &Cancel,
    ) -> Result<SkillsGap> {
        self.search(person, date, s, reach, cancel, |inner, eligible, warnings, open| {
            let t = s.taxonomy;
            let scoring = Scoring::new(s.model, person, eligible);
            let cv = super::index::candidate_vector(self.vectorizer(), person, date, t);
            let dense = cv.to_dense(t.skills.len());
            let mut scored: Vec<Scored<'_>> = Vec::with_capacity(eligible.len());
            for (k, row) in eligible.iter().enumerate() {
                if k % 4096 == 4095 {
                    cancel.check()?;
                }
                let Some(p) = inner.slots[row.slot as usize].as_ref() else {
                    continue;
                };
                let cos = cosine(&dense, &p.vector);
                scored.push(Scored {
                    row,
                    id: &p.vacancy.record.id,
                    occupation: p.vacancy.occupazione,
                    vector: &p.vector,
                    required: &p.vacancy.skills,
                    cos,
                    score: scoring.total(row, cos),
                });
            }
            // Best first, then by id: the order of every evidence list.
            scored.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(b.id)));
            let fit = m.fit.score;
            let fitting_count = scored.iter().filter(|v| v.score >= fit).count();
            let fits = fits(&scored, fit, m, t);
            cancel.check()?;
            let added = |skills: &[SkillId]| {
                super::index::candidate_vector_with(self.vectorizer(), person, date, t, skills)
            };
            let transitions = transitions(person, &scored, &cv, &added, &scoring, s, m);
            cancel.check()?;
            let missing_skills = missing(&scored, &cv, &added, &scoring, m, t, cancel)?;
            Ok(SkillsGap {
                candidate_id: person.record.id.clone(),
                data: date,
                reach: match reach {
                    Reach::Km(km) => format!("entro {km} km"),
                    _ => match person.record.disponibilita.km_max {
                        Some(km) => format!("entro il limite di spostamento della persona, {km} km"),
                        None => "entro il raggio di ricerca di ciascuna offerta (la persona non indica un limite di spostamento)".into(),
                    },
                },
                model: s.model.key(),
                model_digest: s.model.digest.clone(),
                skills_model: m.key(),
                skills_model_digest: m.digest.clone(),
                skills_model_status: m.status,
                input_digest: incrocio_core::digest::json_sha256_tagged(&person.record)?,
                open_count: open,
                eligible_count: eligible.len(),
                fit_score: fit,
                fitting_count,
                fits,
                transitions,
                missing_skills,
                warnings,
            })
        })
    }
}

/// (a): the occupations with a fitting vacancy, most fitting first.
fn fits(scored: &[Scored<'_>], fit: f64, m: &SkillsModel, t: &Taxonomy) -> Vec<Fit> {
    let mut by: BTreeMap<Option<OccupationId>, Vec<&Scored<'_>>> = BTreeMap::new();
    for v in scored {
        by.entry(v.occupation).or_default().push(v);
    }
    let mut out: Vec<Fit> = by
        .into_iter()
        .filter_map(|(o, vs)| {
            let fitting: Vec<&str> = vs.iter().filter(|v| v.score >= fit).map(|v| v.id).collect();
            if fitting.is_empty() {
                return None;
            }
            let mut scores: Vec<f64> = vs.iter().map(|v| v.score).collect();
            Some(Fit {
                occupation: o.map(|o| occupation_ref(t, o)),
                vacancies: vs.len(),
                fitting: fitting.len(),
                median_score: median(&mut scores),
                vacancy_ids: fitting
                    .iter()
                    .take(m.report.evidence)
                    .map(|s| (*s).to_owned())
                    .collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.fitting
            .cmp(&a.fitting)
            .then_with(|| b.median_score.total_cmp(&a.median_score))
            .then_with(|| {
                let uri = |f: &Fit| f.occupation.as_ref().map(|o| o.uri.clone());
                uri(a).cmp(&uri(b))
            })
    });
    out.truncate(m.report.max_occupations);
    out
}

/// (b): occupations in demand the person fits in none of, related to one of theirs, whose
/// essential skills they lack at most `transitions.max_missing` of (one at least).
fn transitions(
    person: &Candidate,
    scored: &[Scored<'_>],
    cv: &SparseVec,
    added: &dyn Fn(&[SkillId]) -> SparseVec,
    scoring: &Scoring<'_>,
    s: &OfferSearch<'_>,
    m: &SkillsModel,
) -> Vec<Transition> {
    let t = s.taxonomy;
    let fit = m.fit.score;
    let mut by: BTreeMap<OccupationId, Vec<&Scored<'_>>> = BTreeMap::new();
    for v in scored {
        if let Some(o) = v.occupation {
            by.entry(o).or_default().push(v);
        }
    }
    // The person's occupations: experiences, then those declared in the patto.
    let mut mine: Vec<OccupationId> = person.occupazioni.iter().flatten().copied().collect();
    mine.extend(person.dichiarate.iter().copied());
    let mut seen = std::collections::BTreeSet::new();
    mine.retain(|o| seen.insert(*o));
    let mut out = Vec::new();
    for (o, vs) in by {
        if mine.contains(&o) || vs.iter().any(|v| v.score >= fit) {
            continue;
        }
        // The first of the person's occupations it is adjacent to (the most similar), else
        // one in the same minor group.
        let mut from: Option<(OccupationId, &'static str, Option<f64>)> = None;
        for &p in &mine {
            if let Some(&(_, sim)) = s
                .adjacency
                .of(p, &s.model.esperienza)
                .iter()
                .find(|(n, _)| *n == o)
                && from.is_none_or(|(_, _, best)| best.is_none_or(|b| f64::from(sim) > b))
            {
                from = Some((p, "adjacent", Some(f64::from(sim))));
            }
        }
        if from.is_none() {
            from = mine
                .iter()
                .find(|&&p| t.minor_group(o).contains(&p))
                .map(|&p| (p, "minor_group", None));
        }
        let Some((p, relation, similarity)) = from else {
            continue;
        };
        let missing: Vec<SkillId> = t
            .skills_of(o)
            .iter()
            .filter(|(sk, essential)| *essential && cv.get(*sk) <= 0.0)
            .map(|(sk, _)| *sk)
            .collect();
        if missing.is_empty() || missing.len() > m.transitions.max_missing {
            continue;
        }
        let with = added(&missing);
        let dense = with.to_dense(t.skills.len());
        let mut opened: Vec<(f64, &str)> = vs
            .iter()
            .map(|v| (scoring.total(v.row, cosine(&dense, v.vector)), v.id))
            .filter(|(score, _)| *score >= fit)
            .collect();
        opened.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        out.push(Transition {
            occupation: occupation_ref(t, o),
            from: occupation_ref(t, p),
            relation: relation.into(),
            similarity,
            missing_essential: missing.iter().map(|&sk| skill_ref(t, sk)).collect(),
            vacancies: vs.len(),
            would_fit: opened.len(),
            vacancy_ids: opened
                .iter()
                .take(m.report.evidence)
                .map(|(_, id)| (*id).to_owned())
                .collect(),
        });
    }
    out.sort_by(|a, b| {
        b.would_fit
            .cmp(&a.would_fit)
            .then_with(|| b.vacancies.cmp(&a.vacancies))
            .then_with(|| a.missing_essential.len().cmp(&b.missing_essential.len()))
            .then_with(|| a.occupation.uri.cmp(&b.occupation.uri))
    });
    out.truncate(m.transitions.max_listed);
    out
}

/// How a vacancy needs a skill.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Essential,
    Optional,
}

fn need(t: &Taxonomy, v: &Scored<'_>, sk: SkillId) -> Need {
    if v.required.contains(&sk) {
        Need::Required
    } else if v
        .occupation
        .is_some_and(|o| t.skills_of(o).contains(&(sk, true)))
    {
        Need::Essential
    } else {
        Need::Optional
    }
}

/// (c): each missing skill with the vacancies it unlocks.
fn missing(
    scored: &[Scored<'_>],
    cv: &SparseVec,
    added: &dyn Fn(&[SkillId]) -> SparseVec,
    scoring: &Scoring<'_>,
    m: &SkillsModel,
    t: &Taxonomy,
    cancel: &Cancel,
) -> Result<Vec<MissingSkill>> {
    let fit = m.fit.score;
    let w = scoring.weights().competenze;
    // Per missing skill: the vacancies holding it, and those that could be unlocked (not
    // fitting now, and fitting with a cosine of 1: no skill can raise `competenze` further).
    let mut holding: BTreeMap<SkillId, usize> = BTreeMap::new();
    let mut near: BTreeMap<SkillId, Vec<usize>> = BTreeMap::new();
    for (k, v) in scored.iter().enumerate() {
        // The bound is widened by 1e-9 (far above the sum's rounding): it only passes over
        // vacancies; the exact score decides.
        let reachable = v.score < fit && v.score + w * (1.0 - v.cos.clamp(0.0, 1.0)) + 1e-9 >= fit;
        for &sk in &v.vector.idx {
            if cv.get(sk) > 0.0 {
                continue;
            }
            *holding.entry(sk).or_default() += 1;
            if reachable {
                near.entry(sk).or_default().push(k);
            }
        }
    }
    let mut out = Vec::new();
    for (n, (sk, candidates)) in near.into_iter().enumerate() {
        if n % 64 == 63 {
            cancel.check()?;
        }
        let with = added(&[sk]);
        let mut opened: Vec<(f64, usize)> = candidates
            .iter()
            .map(|&k| {
                let v = &scored[k];
                let cos = f64::from(
                    v.vector
                        .idx
                        .iter()
                        .zip(&v.vector.val)
                        .map(|(i, w)| with.get(*i) * w)
                        .sum::<f32>(),
                );
                (scoring.total(v.row, cos), k)
            })
            .filter(|(score, _)| *score >= fit)
            .collect();
        if opened.is_empty() {
            continue;
        }
        opened.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| scored[a.1].id.cmp(scored[b.1].id))
        });
        let count = |want: Need| {
            opened
                .iter()
                .filter(|(_, k)| need(t, &scored[*k], sk) == want)
                .count()
        };
        out.push(MissingSkill {
            skill: skill_ref(t, sk),
            unlocks: opened.len(),
            required_in: count(Need::Required),
            essential_in: count(Need::Essential),
            optional_in: count(Need::Optional),
            in_vacancies: holding.get(&sk).copied().unwrap_or(0),
            vacancy_ids: opened
                .iter()
                .take(m.report.evidence)
                .map(|(_, k)| scored[*k].id.to_owned())
                .collect(),
        });
    }
    out.sort_by(|a, b| {
        b.unlocks
            .cmp(&a.unlocks)
            .then_with(|| b.essential_in.cmp(&a.essential_in))
            .then_with(|| b.in_vacancies.cmp(&a.in_vacancies))
            .then_with(|| a.skill.uri.cmp(&b.skill.uri))
    });
    out.truncate(m.unlock.max_skills);
    Ok(out)
}

impl SkillsGap {
    /// The header every rendering starts with: who, when, over what, by which models.
    fn provenance(&self) -> Vec<String> {
        vec![
            format!("Persona: {}", self.candidate_id),
            format!("Data dell'analisi: {}", self.data),
            format!("Offerte considerate: {}", self.reach),
            format!(
                "Offerte aperte: {}; raggiungibili e compatibili con i requisiti: {}; adatte (punteggio ≥ {}): {}",
                self.open_count, self.eligible_count, self.fit_score, self.fitting_count
            ),
            format!(
                "Modelli: {} ({}), {} ({}, {})",
                self.model,
                self.model_digest,
                self.skills_model,
                self.skills_model_digest,
                format!("{:?}", self.skills_model_status).to_lowercase()
            ),
            format!("Dati della persona: {}", self.input_digest),
        ]
    }

    /// A plain-text document for the counsellor and the person (Italian headings; ESCO skill
    /// labels are English in the bundled release).
    pub fn to_text(&self) -> String {
        let mut out =
            String::from("Analisi delle competenze rispetto alla domanda di lavoro locale\n\n");
        for line in self.provenance() {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("\n1. Professioni richieste per cui il profilo è adatto ora\n");
        if self.fits.is_empty() {
            out.push_str("   nessuna\n");
        }
        for f in &self.fits {
            let name = f
                .occupation
                .as_ref()
                .map_or("(titolo non ricondotto a una professione)", |o| {
                    o.label.as_str()
                });
            out.push_str(&format!(
                "   - {name}: {} offerte adatte su {} (punteggio mediano {:.3}); offerte: {}\n",
                f.fitting,
                f.vacancies,
                f.median_score,
                f.vacancy_ids.join(", ")
            ));
        }
        out.push_str("\n2. Professioni vicine raggiungibili con poche competenze in più\n");
        if self.transitions.is_empty() {
            out.push_str("   nessuna\n");
        }
        for tr in &self.transitions {
            let skills: Vec<&str> = tr
                .missing_essential
                .iter()
                .map(|s| s.label.as_str())
                .collect();
            out.push_str(&format!(
                "   - {} (da {}, {}): mancano {}; {} offerte, {} adatte con queste competenze{}\n",
                tr.occupation.label,
                tr.from.label,
                match tr.similarity {
                    Some(s) => format!("professione affine, similarità {s:.2}"),
                    None => "stesso gruppo ISCO".into(),
                },
                skills.join(", "),
                tr.vacancies,
                tr.would_fit,
                if tr.vacancy_ids.is_empty() {
                    String::new()
                } else {
                    format!(": {}", tr.vacancy_ids.join(", "))
                }
            ));
        }
        out.push_str("\n3. Competenze da acquisire, per offerte che renderebbero adatte\n");
        if self.missing_skills.is_empty() {
            out.push_str("   nessuna\n");
        }
        for m in &self.missing_skills {
            out.push_str(&format!(
                "   - {}: {} offerte (richiesta esplicitamente in {}, essenziale in {}, facoltativa in {}; presente in {} offerte raggiungibili); offerte: {}\n",
                m.skill.label,
                m.unlocks,
                m.required_in,
                m.essential_in,
                m.optional_in,
                m.in_vacancies,
                m.vacancy_ids.join(", ")
            ));
        }
        for w in &self.warnings {
            out.push_str(&format!("\nAvvertenza: {w}\n"));
        }
        out
    }

    /// A self-contained HTML document (no script, no external resource), printable.
    pub fn to_html(&self) -> String {
        let mut out = String::from(
            "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>Analisi delle competenze</title><style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:14px;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}td.n{text-align:right}small{color:#555}.bar{background:#4a7ab5;height:10px;display:inline-block}@media print{body{max-width:none;margin:0}tr{break-inside:avoid}}</style></head><body><h1>Analisi delle competenze rispetto alla domanda di lavoro locale</h1><p>",
        );
        for line in self.provenance() {
            out.push_str(&esc(&line));
            out.push_str("<br>");
        }
        out.push_str("</p>");
        let most = |n: usize, of: usize| (n * 120).checked_div(of).unwrap_or(0);
        out.push_str("<h2>1. Professioni richieste per cui il profilo è adatto ora</h2>");
        if self.fits.is_empty() {
            out.push_str(&format!(
                "<p>Nessuna: nessuna offerta raggiungibile ha punteggio ≥ {}.</p>",
                self.fit_score
            ));
        } else {
            let top = self.fits.iter().map(|f| f.fitting).max().unwrap_or(0);
            out.push_str("<table><tr><th>Professione</th><th>Adatte</th><th>Offerte</th><th>Punteggio mediano</th><th>Offerte adatte</th></tr>");
            for f in &self.fits {
                let name = f
                    .occupation
                    .as_ref()
                    .map_or("(titolo non ricondotto a una professione)", |o| {
                        o.label.as_str()
                    });
                out.push_str(&format!(
                    "<tr><td>{}</td><td class=\"n\">{} <span class=\"bar\" style=\"width:{}px\"></span></td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td><td><small>{}</small></td></tr>",
                    esc(name),
                    f.fitting,
                    most(f.fitting, top),
                    f.vacancies,
                    f.median_score,
                    esc(&f.vacancy_ids.join(", "))
                ));
            }
            out.push_str("</table>");
        }
        out.push_str("<h2>2. Professioni vicine raggiungibili con poche competenze in più</h2>");
        if self.transitions.is_empty() {
            out.push_str("<p>Nessuna.</p>");
        } else {
            out.push_str("<table><tr><th>Professione</th><th>Da</th><th>Competenze essenziali mancanti</th><th>Offerte</th><th>Adatte con queste competenze</th></tr>");
            for tr in &self.transitions {
                let skills: Vec<String> =
                    tr.missing_essential.iter().map(|s| esc(&s.label)).collect();
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}<br><small>{}</small></td></tr>",
                    esc(&tr.occupation.label),
                    esc(&tr.from.label),
                    match tr.similarity {
                        Some(s) => format!("professione affine, similarità {s:.2}"),
                        None => "stesso gruppo ISCO".into(),
                    },
                    skills.join("<br>"),
                    tr.vacancies,
                    tr.would_fit,
                    esc(&tr.vacancy_ids.join(", "))
                ));
            }
            out.push_str("</table>");
        }
        out.push_str("<h2>3. Competenze da acquisire</h2><p><small>Per ogni competenza, le offerte raggiungibili che oggi non sono adatte e lo diventerebbero con quella sola competenza in più (il punteggio ricalcolato). Le etichette delle competenze ESCO sono in inglese: la classificazione inclusa non ne ha la versione italiana.</small></p>");
        if self.missing_skills.is_empty() {
            out.push_str("<p>Nessuna.</p>");
        } else {
            let top = self
                .missing_skills
                .iter()
                .map(|m| m.unlocks)
                .max()
                .unwrap_or(0);
            out.push_str("<table><tr><th>Competenza (ESCO)</th><th>Offerte sbloccate</th><th>Richiesta nell'offerta</th><th>Essenziale per la professione</th><th>Facoltativa</th><th>Offerte</th></tr>");
            for m in &self.missing_skills {
                out.push_str(&format!(
                    "<tr><td>{}</td><td class=\"n\">{} <span class=\"bar\" style=\"width:{}px\"></span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><small>{}</small></td></tr>",
                    esc(&m.skill.label),
                    m.unlocks,
                    most(m.unlocks, top),
                    m.required_in,
                    m.essential_in,
                    m.optional_in,
                    esc(&m.vacancy_ids.join(", "))
                ));
            }
            out.push_str("</table>");
        }
        for w in &self.warnings {
            out.push_str(&format!("<p><strong>Avvertenza:</strong> {}</p>", esc(w)));
        }
        out.push_str("</body></html>\n");
        out
    }
}
