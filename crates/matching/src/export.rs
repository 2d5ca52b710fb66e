//! The candidates and vacancies as an external engine needs them to run the same shortlist:
//! the indexed text, every hard-rule field and the competency vectors, one JSON object per
//! line. `benches/compare/pg/` loads these into PostgreSQL to compare its full-text search
//! with incrocio on identical inputs. With soft occupations (matching models of version 4 on)
//! the rows carry what the `esperienza` part reads: each candidate's (occupation, group,
//! probability) values as the index holds them and each vacancy's credit per occupation
//! ([`super::soft::SoftCredit`]), so the peer computes the same expected match.

use serde::Serialize;

use super::candidate::{Candidate, Stato};
use super::index::{
    CandidateIndex, candidate_text, gram_source, isco_key, lang_key, occupation_values,
    vacancy_text,
};
use super::model::{MatchingModel, Weights};
use super::vacancy::Vacancy;
use incrocio_core::reference::Reference;
use incrocio_taxonomy::Taxonomy;

/// One candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateRow {
    /// Id.
    pub id: String,
    /// The indexed text.
    pub text: String,
    /// Domicile latitude.
    pub lat: f64,
    /// Domicile longitude.
    pub lon: f64,
    /// Status `attivo`.
    pub attivo: bool,
    /// Travel limit in km.
    pub km_max: Option<u32>,
    /// Contracts accepted (bit i = `A0i`).
    pub contratti: u64,
    /// Licences held (bit mask over `tab_tipopatentiguida` 01–06, 12, 13).
    pub patenti: u64,
    /// Working modes accepted (bits of `tab_modalitalav`; all bits: none stated).
    pub modalita: u64,
    /// Level of study.
    pub livello: Option<u8>,
    /// L. 68.
    pub l68: bool,
    /// Language keys (code × 10 + CEFR level 1–6).
    pub lingue: Vec<u64>,
    /// Occupation ids of the experiences.
    pub occupazioni: Vec<u32>,
    /// Their ISCO-08 unit groups.
    pub isco: Vec<u64>,
    /// Soft occupations (an index with them; else empty): each value's occupation, …
    pub soft_occ: Vec<u32>,
    /// … its group (an experience's index, a free-text piece from 100, 127 declared) …
    pub soft_grp: Vec<u8>,
    /// … and its probability, as the index keeps it (to 1/65,535).
    pub soft_prob: Vec<f32>,
    /// The texts the lexical part's n-gram share reads (experience titles, `competenze_testo`).
    pub titles: String,
    /// Competency vector: skill ids.
    pub vec_idx: Vec<u32>,
    /// Competency vector: weights.
    pub vec_val: Vec<f32>,
}

/// One vacancy's query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryRow {
    /// Id.
    pub id: String,
    /// Title and description, the text a shortlist searches with.
    pub text: String,
    /// The title (the n-gram share of the lexical part reads it alone).
    pub title: String,
    /// Workplace latitude.
    pub lat: f64,
    /// Workplace longitude.
    pub lon: f64,
    /// Radius, km.
    pub radius_km: u32,
    /// The contract's bit.
    pub contract: u64,
    /// The working mode offered (a bit of `tab_modalitalav`; all bits: none stated).
    pub mode: u64,
    /// Licences required (mask).
    pub licences: u64,
    /// Minimum level of study.
    pub min_level: Option<u8>,
    /// Languages required: (code × 10, minimum CEFR level).
    pub languages: Vec<(u64, u8)>,
    /// Reserved to L. 68.
    pub l68: bool,
    /// Resolved occupation.
    pub occupation: Option<u32>,
    /// Its ISCO-08 unit group.
    pub isco: Option<u64>,
    /// Soft occupations: whether the `esperienza` part is the expected match over the
    /// `credit_*` arrays (else the v1 relation over `occupation` and `isco`).
    pub soft: bool,
    /// Every occupation the vacancy credits: its id, …
    pub credit_occ: Vec<u32>,
    /// … `M(c)`, the expected match of an experience value of that occupation …
    pub credit_val: Vec<f32>,
    /// … and the credit when it is declared in the patto (`esperienza.declared × q_c`).
    pub credit_declared: Vec<f32>,
    /// Competency vector: skill ids.
    pub vec_idx: Vec<u32>,
    /// Competency vector: weights.
    pub vec_val: Vec<f32>,
    /// The scoring model's weights.
    pub weights: Weights,
    /// The n-gram share of the lexical part (`lessicale.ngram`, as the scorer weighs it).
    pub ngram: f64,
    /// The `istruzione` part when the level of study is unknown.
    pub unknown_level: f64,
    /// Experience credit for the same ISCO group.
    pub adjacent: f64,
    /// Rosa size.
    pub size: u32,
    /// The true occupation (evaluation only).
    pub truth: Option<u32>,
    /// Its ISCO-08 group (evaluation only).
    pub truth_isco: Option<u64>,
}

/// The export row of a candidate (the vector computed at the index's `as_of`).
pub fn candidate_row(index: &CandidateIndex, c: &Candidate, t: &Taxonomy) -> CandidateRow {
    let r = &c.record;
    let comune = &Reference::bundled().territory.comuni()[usize::from(c.comune)];
    let v = index.vector(c, t);
    let occupazioni: Vec<u32> = c.occupazioni.iter().flatten().copied().collect();
    let (mut soft_occ, mut soft_grp, mut soft_prob) = (Vec::new(), Vec::new(), Vec::new());
    if index.soft_values() {
        for (o, g, p) in occupation_values(c).map(super::soft::decode) {
            soft_occ.push(o);
            soft_grp.push(g);
            soft_prob.push(p);
        }
    }
    CandidateRow {
        id: r.id.clone(),
        text: candidate_text(c, t),
        lat: comune.lat,
        lon: comune.lon,
        attivo: r.stato == Stato::Attivo,
        km_max: r.disponibilita.km_max,
        contratti: c.codes.contratti,
        patenti: c.codes.patenti,
        modalita: c.codes.modalita,
        livello: c.livello_studio,
        l68: r.collocamento_mirato,
        lingue: c
            .lingue
            .iter()
            .map(|(code, l)| lang_key(code, *l))
            .collect(),
        isco: occupazioni
            .iter()
            .map(|o| isco_key(&t.occupations[*o as usize].isco))
            .collect(),
        occupazioni,
        soft_occ,
        soft_grp,
        soft_prob,
        titles: gram_source(c),
        vec_idx: v.idx,
        vec_val: v.val,
    }
}

/// The export row of a vacancy; `truth` is its true occupation when known.
pub fn query_row(
    index: &CandidateIndex,
    v: &Vacancy,
    model: &MatchingModel,
    truth: Option<u32>,
    t: &Taxonomy,
) -> QueryRow {
    let r = &v.record;
    let f = index.filter(v, model, t);
    let vec = index.vacancy_vector(v, t);
    let isco = |o: u32| isco_key(&t.occupations[o as usize].isco);
    let (mut credit_occ, mut credit_val, mut credit_declared) =
        (Vec::new(), Vec::new(), Vec::new());
    for (c, m, d) in f.soft.iter().flat_map(|s| s.credited()) {
        credit_occ.push(c);
        credit_val.push(m);
        credit_declared.push(d);
    }
    QueryRow {
        id: r.id.clone(),
        text: vacancy_text(v),
        title: v.search_title.clone(),
        lat: f.lat,
        lon: f.lon,
        radius_km: r.raggio_km,
        contract: f.contract,
        licences: f.licences,
        mode: f.mode,
        min_level: r.livello_studio_min,
        languages: f.languages,
        l68: f.l68,
        occupation: v.occupazione,
        isco: f.isco,
        soft: f.soft.is_some(),
        credit_occ,
        credit_val,
        credit_declared,
        vec_idx: vec.idx,
        vec_val: vec.val,
        weights: model.weights,
        ngram: model.lessicale.ngram,
        unknown_level: model.istruzione.unknown,
        adjacent: model.esperienza.adjacent,
        size: r
            .dimensione_rosa
            .unwrap_or(model.rosa.default_size)
            .clamp(1, model.rosa.max_size),
        truth,
        truth_isco: truth.map(isco),
    }
}
