//! The candidate record (a CV with the SAP data matching needs) and the vacancy record.
//!
//! Field names follow the ministerial SAP (`Rev009_SAP.xsd`) where it has the concept, in its
//! lower-case style; the mapping field by field is in `docs/candidate-record.md`. Codes are the
//! ministerial code lists' (contract types `tab_tipologia_contr`, working modes
//! `tab_modalitalav`, licences `tab_tipopatentiguida`, languages `tab_lingue`, titles
//! `tab_studiotitolo`), levels of language knowledge are CEFR (`A1`…`C2`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::TitleParams;
use incrocio_core::error::{FieldReason, InputError};
use incrocio_core::reference::{ComuneIdx, Reference};
use incrocio_taxonomy::ngrams::Effort;
use incrocio_taxonomy::{Distribution, OccupationId, SkillId, Taxonomy};

/// A candidate as a regional system sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateRecord {
    /// SAP identifier (`identificativosap`) or any stable id of the person.
    #[schemars(length(min = 1, max = 128))]
    pub id: String,
    /// ISTAT code of the comune of domicile (`domicilio/codcomune` holds the cadastral code in
    /// the SAP; send the ISTAT code here).
    pub comune_domicilio: String,
    /// Date of the DID (`datiamministrativi/dataiscrizione`'s DID), if any.
    #[serde(default)]
    pub data_did: Option<NaiveDate>,
    /// Status in the PES register: `attivo` (available), `sospeso`, `cessato`.
    pub stato: Stato,
    /// Availability.
    #[serde(default)]
    pub disponibilita: Disponibilita,
    /// Title of study (`titolostudio`, code of `tab_studiotitolo`).
    #[serde(default)]
    pub titolo_studio: Option<String>,
    /// Field of study, free text (`descrizionecorsostudio`).
    #[serde(default)]
    pub campo_studio: Option<String>,
    /// Work experiences (`esperienzelavoro_lst`).
    #[serde(default)]
    pub esperienze: Vec<Esperienza>,
    /// Declared skills: ESCO skill URIs (or UUIDs).
    #[serde(default)]
    pub competenze: Vec<String>,
    /// Declared skills as free text (indexed, not resolved).
    #[serde(default)]
    pub competenze_testo: Vec<String>,
    /// Foreign languages (`linguestraniere_lst`), at most 30.
    #[serde(default)]
    #[schemars(length(max = 30))]
    pub lingue: Vec<Lingua>,
    /// Driving licences (`codpatenteguida`, `tab_tipopatentiguida`: `01` A, `02` B, …).
    #[serde(default)]
    pub patenti: Vec<String>,
    /// Registered in the collocamento mirato lists (L. 68/1999; `categorieprotette`).
    #[serde(default)]
    pub collocamento_mirato: bool,
    /// A free-text summary in Italian.
    #[serde(default)]
    pub sintesi: Option<String>,
    /// The occupations the person declared themselves available for in the patto di servizio
    /// ("figure professionali verso cui l'utente intende dichiararsi disponibile … ai fini
    /// della congruità"), at most 10: each an ESCO URI, a CP2011 code or a title that resolves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub occupazioni_disponibili: Vec<OccupazioneDichiarata>,
    /// Suspensions of the unemployment status since the DID (short jobs), none overlapping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sospensioni: Vec<incrocio_core::period::Periodo>,
    /// The unemployment benefit received, if any (for the congruity of pay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prestazione: Option<Prestazione>,
    /// Weekly hours of the last contract (for the congruity of hours), 0 to 168.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ore_ultimo_contratto: Option<rust_decimal::Decimal>,
}

/// An occupation declared in the patto di servizio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OccupazioneDichiarata {
    /// ESCO occupation URI (or UUID).
    #[serde(default)]
    pub esco: Option<String>,
    /// CP2011 unità professionale.
    #[serde(default)]
    pub cp2011: Option<String>,
    /// A title, resolved like a vacancy's (it must resolve).
    #[serde(default)]
    pub titolo: Option<String>,
}

/// The unemployment benefit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TipoPrestazione {
    /// NASpI (D.Lgs. 22/2015).
    Naspi,
    /// DIS-COLL (D.Lgs. 22/2015 art. 15).
    DisColl,
}

/// A benefit and the last month's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prestazione {
    /// Which benefit.
    pub tipo: TipoPrestazione,
    /// The indennità received in the last month, euro, without the fondi di solidarietà
    /// integration.
    pub indennita_mensile: rust_decimal::Decimal,
}

/// Register status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stato {
    /// Available to be proposed.
    Attivo,
    /// Temporarily not available (e.g. a short fixed-term job).
    Sospeso,
    /// No longer in the register.
    Cessato,
}

/// Availability (`disponibilita` and `modalitalavoro` in the SAP).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disponibilita {
    /// Contract types accepted (`tab_tipologia_contr`: `A00` indeterminato, `A01` determinato, …);
    /// empty = any.
    #[serde(default)]
    pub contratti: Vec<String>,
    /// Working modes accepted (`tab_modalitalav`: `FT`, `PT`, `LT`, …); empty or `Q1` = any.
    #[serde(default)]
    pub modalita: Vec<String>,
    /// The furthest the person will travel, in km (great-circle from domicile); none = no limit.
    #[serde(default)]
    pub km_max: Option<u32>,
}

/// A work experience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Esperienza {
    /// CP2011 unità professionale (`codprofessione`).
    #[serde(default)]
    pub cp2011: Option<String>,
    /// ESCO occupation URI (or UUID).
    #[serde(default)]
    pub esco: Option<String>,
    /// Job title as written (`compiti` / free text).
    #[serde(default)]
    pub titolo: Option<String>,
    /// Duration in months (at most 720).
    #[schemars(range(max = 720))]
    pub mesi: u32,
    /// End date (`datafine`); none = ongoing.
    #[serde(default)]
    pub fine: Option<NaiveDate>,
}

/// A language and its CEFR level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lingua {
    /// Language code (`tab_lingue`: `001` inglese, `002` tedesco, …).
    pub codice: String,
    /// CEFR level `A1`…`C2`.
    pub livello: String,
}

/// A candidate record's entity tag: a strong ETag from the SHA-256 of its JSON as stored.
pub fn etag(record: &CandidateRecord) -> String {
    etag_of(record)
}

/// The strong ETag of a stored record (candidate or vacancy): the first 128 bits of the
/// SHA-256 of its JSON, in double quotes.
pub fn etag_of<T: serde::Serialize>(record: &T) -> String {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    let h = incrocio_core::digest::sha256_tagged(&bytes);
    format!(
        "\"{}\"",
        h.trim_start_matches("sha256:").get(..32).unwrap_or("")
    )
}

/// CEFR level as a number 1 (A1) … 6 (C2).
pub fn cefr(level: &str) -> Option<u8> {
    match level.trim().to_ascii_uppercase().as_str() {
        "A1" => Some(1),
        "A2" => Some(2),
        "B1" => Some(3),
        "B2" => Some(4),
        "C1" => Some(5),
        "C2" => Some(6),
        _ => None,
    }
}

/// A candidate with every code resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The record as sent.
    pub record: CandidateRecord,
    /// Domicile.
    pub comune: ComuneIdx,
    /// Level of study (0–12, `tab_studiolivello`), if given.
    pub livello_studio: Option<u8>,
    /// Resolved occupation of each experience (`None` when neither code nor title resolves);
    /// with soft occupations, the most probable one.
    pub occupazioni: Vec<Option<OccupationId>>,
    /// Each experience's occupations with their probabilities: one with probability 1 for a
    /// code (or a title resolved the hard way), a title's distribution with soft occupations
    /// ([`TitleParams::soft`]), empty when nothing resolves.
    pub soft: Vec<Distribution>,
    /// With soft occupations and a `titles.free_text` weight: the distributions of the
    /// candidate's free text (each `competenze_testo` item, then the first phrase of `sintesi`),
    /// at most [`MAX_FREE_TEXT_PIECES`] pieces of at most six words, in that order, each
    /// probability multiplied by `free_text` (a weight, as an experience's probability is);
    /// those naming nothing are left out. They earn `esperienza` credit; they are not in the
    /// competency vector.
    pub testo: Vec<Distribution>,
    /// Resolved declared skills.
    pub skills: Vec<SkillId>,
    /// Languages as (code, CEFR 1–6).
    pub lingue: Vec<(String, u8)>,
    /// Resolved occupations declared in the patto di servizio.
    pub dichiarate: Vec<OccupationId>,
    /// The availability and licence codes as bit sets, made once here: the index, the hard
    /// rules and the offers read these, never the strings.
    pub codes: CandidateCodes,
}

/// A candidate's codes as bit sets over their code lists (bit `i` is the list's `i`-th code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateCodes {
    /// Contracts accepted (`tab_tipologia_contr`); every bit when none is listed.
    pub contratti: u64,
    /// Working modes accepted (`tab_modalitalav`); every bit when none is listed or `Q1` is.
    pub modalita: u64,
    /// Driving licences held.
    pub patenti: u64,
}

/// `Q1` of `tab_modalitalav`: any working mode.
pub(crate) const ANY_MODE: &str = "Q1";

/// A validated code as its bit of `list`.
pub(crate) fn code_bit(code: &str, list: &[&str]) -> u64 {
    list.iter().position(|l| *l == code).map_or(0, |i| 1 << i)
}

/// Validated codes as a bit set over `list` (every bit for none, when `empty_is_all`).
pub(crate) fn code_set(codes: &[String], list: &[&str], empty_is_all: bool) -> u64 {
    if codes.is_empty() && empty_is_all {
        return u64::MAX;
    }
    codes.iter().fold(0, |m, c| m | code_bit(c, list))
}

/// The working modes a candidate accepts: every mode when none is listed or `Q1` is.
pub(crate) fn modes_set(modes: &[String]) -> u64 {
    if modes.iter().any(|m| m == ANY_MODE) {
        return u64::MAX;
    }
    code_set(modes, &MODES, true)
}

/// Most occupations a person may declare in the patto di servizio.
pub const MAX_DECLARED_OCCUPATIONS: usize = 10;

/// Most foreign languages a candidate record may list.
pub const MAX_CANDIDATE_LANGUAGES: usize = 30;
/// Most languages a vacancy may require (the hard-rule filter checks them as a bit set).
pub const MAX_VACANCY_LANGUAGES: usize = 8;
/// Experience months at most: 60 years of work.
pub const MAX_EXPERIENCE_MONTHS: u32 = 720;
/// No date of a record may be earlier than this.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1950, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// The ministerial language list (`tab_lingue`, `data/codici/lingue.csv`): (code, name in
/// lower case), in file order.
static LANGUAGES: std::sync::LazyLock<Vec<(&'static str, String)>> =
    std::sync::LazyLock::new(|| {
        include_str!("../../../data/codici/lingue.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut cols = l.split(',');
                let code = cols.next()?.trim();
                let name = cols.next().unwrap_or("").trim().to_lowercase();
                (!code.is_empty()).then_some((code, name))
            })
            .collect()
    });

/// The name of a language code of `tab_lingue`, in lower case (`001` → `inglese`).
pub fn language_name(code: &str) -> Option<&'static str> {
    LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| name.as_str())
}

/// The compact key of a language code of `tab_lingue`: numeric codes (`001` inglese …) keep
/// their number, alphabetic ones (`ALB` …) take 1,000 + their position in the list, so no two
/// codes share a key. `None` for a code not in the list.
pub fn language_key(code: &str) -> Option<u64> {
    let pos = LANGUAGES.iter().position(|(c, _)| *c == code)?;
    Some(code.parse::<u64>().unwrap_or(1_000 + pos as u64))
}

pub(crate) use incrocio_core::reference::{CONTRACTS, LICENCES, MODES};

pub(crate) fn err(id: &str, field: impl Into<String>, reason: FieldReason) -> InputError {
    InputError::new(field, reason).with_record(id)
}

pub(crate) fn unknown(value: &str, list: &'static str) -> FieldReason {
    FieldReason::UnknownCode {
        value: value.to_owned(),
        list,
    }
}

/// How far ahead of the reference date an experience may end: a fixed-term contract lasts at
/// most 24 months, 36 with the extension of art. 19 c. 3 D.Lgs. 81/2015.
pub const MAX_CONTRACT_YEARS_AHEAD: u32 = 3;

/// A date no earlier than [`EARLIEST_DATE`] and no later than `latest`.
fn check_date(
    id: &str,
    field: &str,
    date: Option<NaiveDate>,
    latest: NaiveDate,
) -> Result<(), InputError> {
    match date {
        Some(d) if d < EARLIEST_DATE || d > latest => Err(err(
            id,
            field,
            FieldReason::Inconsistent(format!(
                "{d} is outside {EARLIEST_DATE} to {latest}: a date that cannot have happened yet or is implausibly old"
            )),
        )),
        _ => Ok(()),
    }
}

/// Checks each code of `codes` against `list`; the first unknown one names `field[k]`.
pub(crate) fn check_codes(
    id: &str,
    field: &str,
    codes: &[String],
    list: &[&str],
    name: &'static str,
) -> Result<(), InputError> {
    match codes
        .iter()
        .enumerate()
        .find(|(_, c)| !list.contains(&c.as_str()))
    {
        Some((k, c)) => Err(err(id, format!("{field}[{k}]"), unknown(c, name))),
        None => Ok(()),
    }
}

/// The occupation an ESCO URI, a CP2011 code or else a job title names. A code that does not
/// exist is an error (field `{prefix}esco` / `{prefix}cp2011`); a CP2011 unit without an ESCO
/// link, or no code at all, falls back to the title, which may resolve to nothing.
pub(crate) fn resolve_occupation(
    t: &Taxonomy,
    id: &str,
    prefix: &str,
    esco: Option<&str>,
    cp2011: Option<&str>,
    title: Option<&str>,
    titles: &TitleParams,
) -> Result<Resolved, InputError> {
    let by_code = if let Some(uri) = esco {
        Some(t.occupation(uri).ok_or_else(|| {
            err(
                id,
                format!("{prefix}esco"),
                unknown(uri, "ESCO occupations"),
            )
        })?)
    } else if let Some(code) = cp2011 {
        let unit = t.cp2011_unit(code).ok_or_else(|| {
            err(
                id,
                format!("{prefix}cp2011"),
                unknown(code, "CP2011 unità professionali"),
            )
        })?;
        unit.esco.first().map(|l| l.occupation)
    } else {
        None
    };
    // A code is one occupation with probability 1; else the title, to its distribution with
    // soft occupations (the most probable one is the occupation), to one occupation without.
    let distribution = match (by_code, title, titles.soft()) {
        (Some(o), _, _) => point_mass(Some(o)),
        (None, Some(title), Some(soft)) => t.title_distribution(title, &soft),
        (None, Some(title), None) => {
            point_mass(t.resolve_title(title, titles.fuzzy, titles.min_confidence))
        }
        (None, None, _) => point_mass(None),
    };
    Ok(Resolved {
        occupation: distribution.first().map(|x| x.0),
        distribution,
    })
}

/// What a code or a title names: the occupation and the distribution it is the first of.
pub(crate) struct Resolved {
    /// The occupation (the most probable one).
    pub occupation: Option<OccupationId>,
    /// Every occupation with its probability ([`Candidate::soft`]).
    pub distribution: Distribution,
}

/// ESCO skills by URI or UUID; the first unknown one names `field[k]`.
pub(crate) fn resolve_skills(
    t: &Taxonomy,
    id: &str,
    field: &str,
    uris: &[String],
) -> Result<Vec<SkillId>, InputError> {
    uris.iter()
        .enumerate()
        .map(|(k, s)| {
            t.skill(s)
                .ok_or_else(|| err(id, format!("{field}[{k}]"), unknown(s, "ESCO skills")))
        })
        .collect()
}

/// Languages as (code, CEFR 1–6); a code not in `tab_lingue` names `field[k].codice`, a bad
/// level `field[k].livello`, more than `max` languages `field`.
pub(crate) fn resolve_languages(
    id: &str,
    field: &str,
    lingue: &[Lingua],
    max: usize,
) -> Result<Vec<(String, u8)>, InputError> {
    if lingue.len() > max {
        return Err(err(
            id,
            field,
            FieldReason::Inconsistent(format!(
                "{} languages: at most {max} are accepted",
                lingue.len()
            )),
        ));
    }
    lingue
        .iter()
        .enumerate()
        .map(|(k, l)| {
            if language_key(&l.codice).is_none() {
                return Err(err(
                    id,
                    format!("{field}[{k}].codice"),
                    unknown(&l.codice, "tab_lingue (data/codici/lingue.csv)"),
                ));
            }
            let level = cefr(&l.livello).ok_or_else(|| {
                err(
                    id,
                    format!("{field}[{k}].livello"),
                    unknown(&l.livello, "CEFR A1…C2"),
                )
            })?;
            Ok((l.codice.clone(), level))
        })
        .collect()
}

impl CandidateRecord {
    /// Resolves and checks every code and date; the first problem is a named error. `latest`
    /// is the latest date a DID can bear (today, or the index date when later); an experience
    /// may end at most [`MAX_CONTRACT_YEARS_AHEAD`] years after it (a fixed-term contract's
    /// planned end).
    pub fn validate(
        self,
        r: &Reference,
        t: &Taxonomy,
        latest: NaiveDate,
        titles: &TitleParams,
    ) -> Result<Candidate, InputError> {
        let id = self.id.clone();
        incrocio_core::error::check_id(&id).map_err(|reason| InputError::new("id", reason))?;
        let comune = r.territory.comune(&self.comune_domicilio).ok_or_else(|| {
            err(
                &id,
                "comune_domicilio",
                unknown(&self.comune_domicilio, "data/territorio/comuni.csv"),
            )
        })?;
        let livello_studio = match &self.titolo_studio {
            None => None,
            Some(code) => Some(r.codes.livello_studio(code).ok_or_else(|| {
                err(
                    &id,
                    "titolo_studio",
                    unknown(code, "data/codici/titoli_studio.csv"),
                )
            })?),
        };
        check_codes(
            &id,
            "disponibilita.contratti",
            &self.disponibilita.contratti,
            &CONTRACTS,
            "tab_tipologia_contr (A00…A06)",
        )?;
        check_codes(
            &id,
            "disponibilita.modalita",
            &self.disponibilita.modalita,
            &MODES,
            "tab_modalitalav",
        )?;
        check_codes(
            &id,
            "patenti",
            &self.patenti,
            &LICENCES,
            "tab_tipopatentiguida",
        )?;
        check_date(&id, "data_did", self.data_did, latest)?;
        let latest_end = latest
            .checked_add_months(chrono::Months::new(12 * MAX_CONTRACT_YEARS_AHEAD))
            .unwrap_or(latest);
        if self.esperienze.len() > super::soft::MAX_EXPERIENCES {
            return Err(err(
                &id,
                "esperienze",
                FieldReason::OutOfRange {
                    value: self.esperienze.len().to_string(),
                    range: "at most 100 experiences",
                },
            ));
        }
        let mut occupazioni = Vec::with_capacity(self.esperienze.len());
        let mut soft = Vec::with_capacity(self.esperienze.len());
        for (k, e) in self.esperienze.iter().enumerate() {
            let prefix = format!("esperienze[{k}].");
            check_date(&id, &format!("{prefix}fine"), e.fine, latest_end)?;
            if e.mesi > MAX_EXPERIENCE_MONTHS {
                return Err(err(
                    &id,
                    format!("{prefix}mesi"),
                    FieldReason::OutOfRange {
                        value: e.mesi.to_string(),
                        range: "0 to 720 months",
                    },
                ));
            }
            if e.esco.is_none() && e.cp2011.is_none() && e.titolo.is_none() {
                return Err(err(
                    &id,
                    format!("{prefix}esco"),
                    FieldReason::Inconsistent("an experience needs esco, cp2011 or titolo".into()),
                ));
            }
            let found = resolve_occupation(
                t,
                &id,
                &prefix,
                e.esco.as_deref(),
                e.cp2011.as_deref(),
                e.titolo.as_deref(),
                titles,
            )?;
            occupazioni.push(found.occupation);
            soft.push(found.distribution);
        }
        let testo = self.free_text(t, titles);
        let skills = resolve_skills(t, &id, "competenze", &self.competenze)?;
        let lingue = resolve_languages(&id, "lingue", &self.lingue, MAX_CANDIDATE_LANGUAGES)?;
        let dichiarate = self.declared(t, titles)?;
        self.check_person_side(latest)?;
        let codes = CandidateCodes {
            contratti: code_set(&self.disponibilita.contratti, &CONTRACTS, true),
            modalita: modes_set(&self.disponibilita.modalita),
            patenti: code_set(&self.patenti, &LICENCES, false),
        };
        Ok(Candidate {
            record: self,
            comune,
            livello_studio,
            occupazioni,
            soft,
            testo,
            skills,
            lingue,
            dichiarate,
            codes,
        })
    }

    /// The distributions of the free text ([`Candidate::testo`]).
    fn free_text(&self, t: &Taxonomy, titles: &TitleParams) -> Vec<Distribution> {
        let Some(soft) = titles.soft().filter(|_| titles.free_text > 0.0) else {
            return Vec::new();
        };
        // The summary's first phrase (up to a full stop, comma, colon …): where a summary says
        // what the person does ("Cuoca con esperienza, …"); the rest reaches BM25 only.
        let first = self.sintesi.iter().filter_map(|s| {
            s.split(['.', ',', ';', '\n', ':', '!', '?', '(', ')'])
                .next()
        });
        self.competenze_testo
            .iter()
            .map(String::as_str)
            .chain(first)
            .map(str::trim)
            .filter(|p| {
                !p.is_empty()
                    && p.len() <= MAX_FREE_TEXT_PIECE_BYTES
                    && p.split_whitespace().count() <= MAX_FREE_TEXT_PIECE_WORDS
            })
            .take(MAX_FREE_TEXT_PIECES)
            // Remembered apart from titles: first phrases repeat ("Cuoca con esperienza").
            .map(|p| t.distribution_within(p, &soft, Effort::FREE_TEXT))
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.iter()
                    .map(|&(o, p)| (o, p * titles.free_text as f32))
                    .collect()
            })
            .collect()
    }
}

/// Free-text pieces resolved per candidate at most (the rest still reach the lexical part).
pub const MAX_FREE_TEXT_PIECES: usize = 4;
/// Longer pieces are not resolved (a paragraph is not a title; it still reaches BM25).
const MAX_FREE_TEXT_PIECE_BYTES: usize = 120;
/// Pieces of more words are not resolved: an occupation is named in a few words.
const MAX_FREE_TEXT_PIECE_WORDS: usize = 6;

/// One occupation with probability 1, or nothing.
fn point_mass(o: Option<OccupationId>) -> Distribution {
    match o {
        Some(o) => std::sync::Arc::from([(o, 1.0f32)]),
        None => std::sync::Arc::from([]),
    }
}

impl CandidateRecord {
    /// The declared occupations, each resolved (a title that does not resolve is an error: the
    /// patto names real occupations).
    fn declared(
        &self,
        t: &Taxonomy,
        titles: &TitleParams,
    ) -> Result<Vec<OccupationId>, InputError> {
        let id = &self.id;
        if self.occupazioni_disponibili.len() > MAX_DECLARED_OCCUPATIONS {
            return Err(err(
                id,
                "occupazioni_disponibili",
                FieldReason::OutOfRange {
                    value: self.occupazioni_disponibili.len().to_string(),
                    range: "at most 10 occupations",
                },
            ));
        }
        let mut out = Vec::with_capacity(self.occupazioni_disponibili.len());
        for (k, o) in self.occupazioni_disponibili.iter().enumerate() {
            let prefix = format!("occupazioni_disponibili[{k}].");
            if o.esco.is_none() && o.cp2011.is_none() && o.titolo.is_none() {
                return Err(err(
                    id,
                    format!("{prefix}esco"),
                    FieldReason::Inconsistent(
                        "a declared occupation needs esco, cp2011 or titolo".into(),
                    ),
                ));
            }
            let found = resolve_occupation(
                t,
                id,
                &prefix,
                o.esco.as_deref(),
                o.cp2011.as_deref(),
                o.titolo.as_deref(),
                titles,
            )?;
            let Some(found) = found.occupation else {
                return Err(err(
                    id,
                    format!("{prefix}titolo"),
                    FieldReason::Inconsistent(
                        "does not resolve to an occupation: send its ESCO or CP2011 code".into(),
                    ),
                ));
            };
            if !out.contains(&found) {
                out.push(found);
            }
        }
        Ok(out)
    }

    /// Suspensions (dated, ordered, not overlapping), benefit and hours within their ranges.
    fn check_person_side(&self, latest: NaiveDate) -> Result<(), InputError> {
        let id = &self.id;
        for (k, p) in self.sospensioni.iter().enumerate() {
            check_date(id, &format!("sospensioni[{k}].dal"), Some(p.dal), latest)?;
            check_date(id, &format!("sospensioni[{k}].al"), p.al, latest)?;
        }
        incrocio_core::period::check_suspension_periods(&self.sospensioni)
            .map_err(|reason| err(id, "sospensioni", FieldReason::Inconsistent(reason)))?;
        if let (Some(did), Some(first)) =
            (self.data_did, self.sospensioni.iter().map(|p| p.dal).min())
            && first < did
        {
            return Err(err(
                id,
                "sospensioni",
                FieldReason::Inconsistent(format!(
                    "a suspension starts on {first}, before the DID ({did})"
                )),
            ));
        }
        if let Some(p) = &self.prestazione
            && p.indennita_mensile <= rust_decimal::Decimal::ZERO
        {
            return Err(err(
                id,
                "prestazione.indennita_mensile",
                FieldReason::OutOfRange {
                    value: p.indennita_mensile.to_string(),
                    range: "more than 0 euro",
                },
            ));
        }
        if let Some(h) = self.ore_ultimo_contratto
            && (h <= rust_decimal::Decimal::ZERO || h > rust_decimal::Decimal::from(168))
        {
            return Err(err(
                id,
                "ore_ultimo_contratto",
                FieldReason::OutOfRange {
                    value: h.to_string(),
                    range: "more than 0 and at most 168 hours a week",
                },
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest() -> NaiveDate {
        "2026-11-23".parse().unwrap()
    }

    fn sample() -> CandidateRecord {
        serde_json::from_str(
            r#"{
            "id": "C1", "comune_domicilio": "058091", "stato": "attivo",
            "disponibilita": {"contratti": ["A00", "A01"], "modalita": ["FT"], "km_max": 30},
            "titolo_studio": "40000000",
            "esperienze": [
                {"cp2011": "3.1.2.3.0", "mesi": 36, "fine": "2025-06-30"},
                {"titolo": "Cuoco", "mesi": 12}
            ],
            "competenze": ["http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"],
            "lingue": [{"codice": "001", "livello": "b2"}],
            "patenti": ["02"],
            "sintesi": "Tecnico web con esperienza in cucina"
        }"#,
        )
        .unwrap()
    }

    #[test]
    fn resolves_codes_titles_and_levels() {
        let c = sample()
            .validate(
                Reference::bundled(),
                Taxonomy::bundled(),
                latest(),
                &crate::MatchingModel::V1_DEFAULTS.titles,
            )
            .unwrap();
        assert_eq!(c.livello_studio, Some(4));
        assert!(c.occupazioni.iter().all(Option::is_some));
        assert_eq!(c.skills.len(), 1);
        assert_eq!(c.lingue, vec![("001".to_owned(), 4)]);
    }

    #[test]
    fn bad_codes_are_named_errors() {
        type Edit = fn(&mut CandidateRecord);
        let cases: Vec<(Edit, &str)> = vec![
            (|r| r.comune_domicilio = "999999".into(), "comune_domicilio"),
            (|r| r.patenti = vec!["B".into()], "patenti[0]"),
            (
                |r| r.disponibilita.contratti = vec!["A00".into(), "X".into()],
                "disponibilita.contratti[1]",
            ),
            (|r| r.esperienze[1].titolo = None, "esperienze[1].esco"),
            (
                |r| r.esperienze[0].cp2011 = Some("9.9.9".into()),
                "esperienze[0].cp2011",
            ),
            (
                |r| r.lingue[0].livello = "fluent".into(),
                "lingue[0].livello",
            ),
            (|r| r.competenze = vec!["nope".into()], "competenze[0]"),
        ];
        for (edit, field) in cases {
            let mut r = sample();
            edit(&mut r);
            let e = r
                .validate(
                    Reference::bundled(),
                    Taxonomy::bundled(),
                    latest(),
                    &crate::MatchingModel::V1_DEFAULTS.titles,
                )
                .unwrap_err();
            assert_eq!(e.field, field);
            assert_eq!(e.record_id.as_deref(), Some("C1"));
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<CandidateRecord>(
            r#"{"id":"C1","comune_domicilio":"058091","stato":"attivo","eta":40}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `eta`"), "{e}");
    }
}
