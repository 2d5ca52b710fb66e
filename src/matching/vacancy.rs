//! The vacancy record: what an employer asks for (the *richiesta di personale*).

use serde::{Deserialize, Serialize};

use crate::error::{FieldReason, InputError};
use crate::reference::{ComuneIdx, Reference};
use crate::taxonomy::{OccupationId, SkillId, Taxonomy};

use super::candidate::cefr;

/// A vacancy as an employer or a CPI operator sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VacancyRecord {
    /// Vacancy id.
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
    /// Search radius in km around the workplace.
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
    /// Required languages with minimum CEFR level.
    #[serde(default)]
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
    /// Rosa size asked for (default 15).
    #[serde(default)]
    pub dimensione_rosa: Option<u32>,
}

/// A vacancy with every code resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Vacancy {
    /// The record as sent.
    pub record: VacancyRecord,
    /// Workplace.
    pub comune: ComuneIdx,
    /// The occupation (from `esco`, `cp2011` or the title), if resolved.
    pub occupazione: Option<OccupationId>,
    /// Required skills.
    pub skills: Vec<SkillId>,
    /// Required languages as (code, CEFR 1–6).
    pub lingue: Vec<(String, u8)>,
}

impl VacancyRecord {
    /// Resolves and checks every code; the first problem is a named error.
    pub fn validate(self, r: &Reference, t: &Taxonomy) -> Result<Vacancy, InputError> {
        let id = self.id.clone();
        let err =
            |field: String, reason: FieldReason| InputError::new(field, reason).with_record(&id);
        let unknown = |value: &str, list: &'static str| FieldReason::UnknownCode {
            value: value.to_owned(),
            list,
        };
        if id.trim().is_empty() {
            return Err(err("id".into(), FieldReason::Missing));
        }
        let comune = r.territory.comune(&self.comune).ok_or_else(|| {
            err(
                "comune".into(),
                unknown(&self.comune, "data/territorio/comuni.csv"),
            )
        })?;
        if !super::candidate::CONTRACTS.contains(&self.contratto.as_str()) {
            return Err(err(
                "contratto".into(),
                unknown(&self.contratto, "tab_tipologia_contr (A00…A06)"),
            ));
        }
        if let Some(m) = &self.modalita
            && !super::candidate::MODES.contains(&m.as_str())
        {
            return Err(err("modalita".into(), unknown(m, "tab_modalitalav")));
        }
        if let Some(l) = self.livello_studio_min.filter(|&l| l > 12) {
            return Err(err(
                "livello_studio_min".into(),
                FieldReason::OutOfRange {
                    value: l.to_string(),
                    range: "a level of study 0–12",
                },
            ));
        }
        for (k, p) in self.patenti.iter().enumerate() {
            if !super::candidate::LICENCES.contains(&p.as_str()) {
                return Err(err(
                    format!("patenti[{k}]"),
                    unknown(p, "tab_tipopatentiguida"),
                ));
            }
        }
        let occupazione = if let Some(uri) = &self.esco {
            Some(
                t.occupation(uri)
                    .ok_or_else(|| err("esco".into(), unknown(uri, "ESCO occupations")))?,
            )
        } else if let Some(code) = &self.cp2011 {
            let unit = t
                .cp2011_unit(code)
                .ok_or_else(|| err("cp2011".into(), unknown(code, "CP2011 unità professionali")))?;
            unit.esco.first().map(|l| l.occupation)
        } else {
            t.occupations_by_title(&self.titolo).first().copied()
        };
        let mut skills = Vec::with_capacity(self.competenze.len());
        for (k, s) in self.competenze.iter().enumerate() {
            skills.push(
                t.skill(s)
                    .ok_or_else(|| err(format!("competenze[{k}]"), unknown(s, "ESCO skills")))?,
            );
        }
        let mut lingue = Vec::with_capacity(self.lingue.len());
        for (k, l) in self.lingue.iter().enumerate() {
            let level = cefr(&l.livello).ok_or_else(|| {
                err(
                    format!("lingue[{k}].livello"),
                    unknown(&l.livello, "CEFR A1…C2"),
                )
            })?;
            lingue.push((l.codice.clone(), level));
        }
        Ok(Vacancy {
            record: self,
            comune,
            occupazione,
            skills,
            lingue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let v = sample().validate(r, t).unwrap();
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
                .validate(Reference::bundled(), Taxonomy::bundled())
                .unwrap_err();
            assert_eq!(e.field, field);
            assert_eq!(e.record_id.as_deref(), Some("V1"));
        }
    }
}
