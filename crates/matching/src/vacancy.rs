//! The vacancy record: what an employer asks for (the *richiesta di personale*).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::TitleParams;
use incrocio_core::error::{FieldReason, InputError};
use incrocio_core::reference::{ComuneIdx, Reference};
use incrocio_taxonomy::{OccupationId, SkillId, Taxonomy};

use super::candidate::{
    ANY_MODE, CONTRACTS, LICENCES, MAX_VACANCY_LANGUAGES, MODES, check_codes, code_bit, code_set,
    err, resolve_languages, resolve_occupation, resolve_skills, unknown,
};

/// The widest search radius, in km: more than the greatest distance between two Italian
/// comuni (about 1,300 km, from the Alto Adige to Lampedusa), so every search within Italy
/// fits; a larger radius is refused, not clamped.
pub const MAX_RADIUS_KM: u32 = 1_500;

/// The most monthly gross pay (and collective-agreement minimum) a vacancy may state, euro: far
/// above any real wage, so that a typo (cents for euro, a stray exponent) is refused rather
/// than stored.
pub const MAX_MONTHLY_PAY: u32 = 1_000_000;

/// A vacancy as an employer or a CPI operator sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VacancyRecord {
    /// Vacancy id.
    #[schemars(length(min = 1, max = 128))]
    pub id: String,
    /// Job title as written (resolved through ESCO labels and CP2011 voci when no code is given).
    pub titolo: String,
    /// ESCO occupation URI or UUID.
    #[serde(default)]
    pub esco: Option<String>,
    /// CP2011 unità professionale.
    #[serde(default)]
    pub cp2011: Option<String>,
    /// ISTAT code of the comune of the workplace.
    pub comune: String,
    /// Search radius in km around the workplace, 0 to 1,500.
    #[schemars(range(max = 1500))]
    pub raggio_km: u32,
    /// Contract type offered (`tab_tipologia_contr`).
    pub contratto: String,
    /// Working mode offered (`tab_modalitalav`), if stated.
    #[serde(default)]
    pub modalita: Option<String>,
    /// Minimum level of study (0–12, `tab_studiolivello`).
    #[serde(default)]
    pub livello_studio_min: Option<u8>,
    /// Required ESCO skills (URIs or UUIDs).
    #[serde(default)]
    pub competenze: Vec<String>,
    /// Required languages with minimum CEFR level (at most 8).
    #[serde(default)]
    #[schemars(length(max = 8))]
    pub lingue: Vec<super::candidate::Lingua>,
    /// Required driving licences (`tab_tipopatentiguida`).
    #[serde(default)]
    pub patenti: Vec<String>,
    /// Reserved to people registered under L. 68/1999.
    #[serde(default)]
    pub riservata_l68: bool,
    /// Free-text description.
    #[serde(default)]
    pub descrizione: Option<String>,
    /// Rosa size asked for (default 15; 1 to the model's `rosa.max_size`, 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub dimensione_rosa: Option<u32>,
    /// Last day the vacancy is open (not before `data_richiesta`); after it, it drops out of
    /// offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_scadenza: Option<NaiveDate>,
    /// The day the employer asked for a rosa (the 20-day deadline runs from it); a shortlist
    /// request's own `data_richiesta` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_richiesta: Option<NaiveDate>,
    /// Offered through an employment agency (somministrazione).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub somministrazione: bool,
    /// Length of a fixed-term contract in whole months (1–120), when stated so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 120))]
    pub durata_mesi: Option<u32>,
    /// First and last day of a fixed-term contract, when stated so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periodo: Option<incrocio_core::period::Periodo>,
    /// Weekly hours offered (more than 0, at most 168).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ore_settimanali: Option<Decimal>,
    /// Monthly gross pay offered, euro (0 to 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retribuzione_mensile: Option<Decimal>,
    /// The collective agreement's monthly gross minimum for the post, euro (0 to 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimo_ccnl_mensile: Option<Decimal>,
}

/// A vacancy with every code resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Vacancy {
    /// The record as sent.
    pub record: VacancyRecord,
    /// Workplace.
    pub comune: ComuneIdx,
    /// The occupation (from `esco`, `cp2011` or the title), if resolved; with soft occupations
    /// and no code, the title's most probable one.
    pub occupazione: Option<OccupationId>,
    /// The occupations with their probabilities: the code's with probability 1, else with soft
    /// occupations the title's distribution ([`TitleParams::soft`]); empty when none resolves.
    pub soft: incrocio_taxonomy::Distribution,
    /// Required skills.
    pub skills: Vec<SkillId>,
    /// Required languages as (code, CEFR 1–6).
    pub lingue: Vec<(String, u8)>,
    /// The contract, mode and licence codes as bit sets, made once here.
    pub codes: VacancyCodes,
    /// The title the lexical part searches with (its words and character n-grams): `titolo`
    /// as written, or cleaned of what ads add to it when the model's `titles.clean` says so
    /// ([`incrocio_taxonomy::clean`]), as its occupations are resolved.
    pub search_title: String,
}

/// A vacancy's codes as bits of their code lists (bit `i` is the list's `i`-th code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VacancyCodes {
    /// The contract's bit of `tab_tipologia_contr`.
    pub contratto: u64,
    /// The working mode's bit of `tab_modalitalav`; every bit when none is stated or it is `Q1`.
    pub modalita: u64,
    /// The driving licences required.
    pub patenti: u64,
}

impl VacancyRecord {
    /// Resolves and checks every code; the first problem is a named error.
    pub fn validate(
        self,
        r: &Reference,
        t: &Taxonomy,
        titles: &TitleParams,
    ) -> Result<Vacancy, InputError> {
        let id = self.id.clone();
        incrocio_core::error::check_id(&id).map_err(|reason| InputError::new("id", reason))?;
        let comune = r.territory.comune(&self.comune).ok_or_else(|| {
            err(
                &id,
                "comune",
                unknown(&self.comune, "data/territorio/comuni.csv"),
            )
        })?;
        if self.raggio_km > MAX_RADIUS_KM {
            return Err(err(
                &id,
                "raggio_km",
                FieldReason::OutOfRange {
                    value: self.raggio_km.to_string(),
                    range: "0 to 1,500 km",
                },
            ));
        }
        if !CONTRACTS.contains(&self.contratto.as_str()) {
            return Err(err(
                &id,
                "contratto",
                unknown(&self.contratto, "tab_tipologia_contr (A00…A06)"),
            ));
        }
        if let Some(m) = &self.modalita
            && !MODES.contains(&m.as_str())
        {
            return Err(err(&id, "modalita", unknown(m, "tab_modalitalav")));
        }
        if let Some(l) = self.livello_studio_min.filter(|&l| l > 12) {
            return Err(err(
                &id,
                "livello_studio_min",
                FieldReason::OutOfRange {
                    value: l.to_string(),
                    range: "a level of study 0–12",
                },
            ));
        }
        check_codes(
            &id,
            "patenti",
            &self.patenti,
            &LICENCES,
            "tab_tipopatentiguida",
        )?;
        let found = resolve_occupation(
            t,
            &id,
            "",
            self.esco.as_deref(),
            self.cp2011.as_deref(),
            Some(&self.titolo),
            titles,
        )?;
        let skills = resolve_skills(t, &id, "competenze", &self.competenze)?;
        let lingue = resolve_languages(&id, "lingue", &self.lingue, MAX_VACANCY_LANGUAGES)?;
        self.check_terms()?;
        let codes = VacancyCodes {
            contratto: code_bit(&self.contratto, &CONTRACTS),
            modalita: match self.modalita.as_deref() {
                None | Some(ANY_MODE) => u64::MAX,
                Some(m) => code_bit(m, &MODES),
            },
            patenti: code_set(&self.patenti, &LICENCES, false),
        };
        let search_title = if titles.clean {
            incrocio_taxonomy::clean::Cleaner::new(t.ngrams()).clean(&self.titolo)
        } else {
            self.titolo.clone()
        };
        Ok(Vacancy {
            record: self,
            comune,
            occupazione: found.occupation,
            soft: found.distribution,
            skills,
            lingue,
            codes,
            search_title,
        })
    }
}

impl VacancyRecord {
    /// The terms the congruity rules read: each within its range, and one way of stating a
    /// fixed-term length.
    fn check_terms(&self) -> Result<(), InputError> {
        let id = &self.id;
        let range = |field: &str, value: String, range: &'static str| {
            Err(err(id, field, FieldReason::OutOfRange { value, range }))
        };
        if let Some(m) = self.durata_mesi
            && !(1..=120).contains(&m)
        {
            return range("durata_mesi", m.to_string(), "1 to 120 months");
        }
        if let Some(p) = &self.periodo {
            match p.al {
                None => {
                    return Err(err(id, "periodo.al", FieldReason::Missing));
                }
                Some(al) if al < p.dal => {
                    return Err(err(
                        id,
                        "periodo.al",
                        FieldReason::Inconsistent(format!(
                            "{al} is before periodo.dal ({})",
                            p.dal
                        )),
                    ));
                }
                _ => {}
            }
            if self.durata_mesi.is_some() {
                return Err(err(
                    id,
                    "periodo",
                    FieldReason::Inconsistent("state durata_mesi or periodo, not both".into()),
                ));
            }
        }
        if let (Some(s), Some(r)) = (self.data_scadenza, self.data_richiesta)
            && s < r
        {
            return Err(err(
                id,
                "data_scadenza",
                FieldReason::Inconsistent(format!(
                    "{s} is before data_richiesta ({r}): the vacancy would close before the rosa was asked for"
                )),
            ));
        }
        if let Some(h) = self.ore_settimanali
            && (h <= Decimal::ZERO || h > Decimal::from(168))
        {
            return range(
                "ore_settimanali",
                h.to_string(),
                "more than 0 and at most 168 hours a week",
            );
        }
        for (field, v) in [
            ("retribuzione_mensile", self.retribuzione_mensile),
            ("minimo_ccnl_mensile", self.minimo_ccnl_mensile),
        ] {
            if let Some(v) = v
                && (v < Decimal::ZERO || v > Decimal::from(MAX_MONTHLY_PAY))
            {
                return range(field, v.to_string(), "0 to 1,000,000 euro a month");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: TitleParams = crate::MatchingModel::V1_DEFAULTS.titles;

    fn sample() -> VacancyRecord {
        serde_json::from_str(
            r#"{"id": "V1", "titolo": "Tecnici web", "comune": "058091", "raggio_km": 25,
                "contratto": "A01", "livello_studio_min": 4, "patenti": ["02"],
                "lingue": [{"codice": "001", "livello": "B1"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_cp2011_voce_as_title_resolves_to_the_linked_occupation() {
        let (r, t) = (Reference::bundled(), Taxonomy::bundled());
        let v = sample().validate(r, t, &V1).unwrap();
        let unit = t.cp2011_unit("3.1.2.3.0").unwrap();
        assert_eq!(v.occupazione, Some(unit.esco[0].occupation));
        assert_eq!(v.lingue, vec![("001".to_owned(), 3)]);
    }

    #[test]
    fn bad_codes_are_named_errors() {
        type Edit = fn(&mut VacancyRecord);
        let cases: Vec<(Edit, &str)> = vec![
            (|v| v.comune = "1".into(), "comune"),
            (|v| v.contratto = "Z99".into(), "contratto"),
            (|v| v.modalita = Some("XX".into()), "modalita"),
            (|v| v.livello_studio_min = Some(13), "livello_studio_min"),
            (|v| v.patenti = vec!["99".into()], "patenti[0]"),
            (|v| v.esco = Some("nope".into()), "esco"),
            (|v| v.lingue[0].livello = "B3".into(), "lingue[0].livello"),
        ];
        for (edit, field) in cases {
            let mut v = sample();
            edit(&mut v);
            let e = v
                .validate(Reference::bundled(), Taxonomy::bundled(), &V1)
                .unwrap_err();
            assert_eq!(e.field, field);
            assert_eq!(e.record_id.as_deref(), Some("V1"));
        }
    }
}
