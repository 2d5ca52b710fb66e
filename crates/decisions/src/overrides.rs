//! Operators' overrides of the profiling class (profilazione qualitativa): a counsellor sets
//! another class for a person, with a reason code (`data/codici/motivi-override.csv`), a note,
//! their id, the date, and when it stops applying. An override is a decision of the log; a
//! re-profiling reads the ones in force and shows both classes.
//!
//! An override applies to one model version (`did@v1`: another version may have other classes)
//! from its `date` until the day before `expires` — by default the next 90-day review, when the
//! person is profiled and assessed again.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Decision, Kind, ModelRef, Record};
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_profiling::ProfilingModel;

/// Days from an override to the next review, its default expiry (the 90-day re-profiling).
pub const REVIEW_DAYS: u64 = 90;

/// Longest note kept, in characters.
pub const MAX_NOTE: usize = 2_000;

/// A reason an operator may give (a row of `data/codici/motivi-override.csv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Code.
    #[serde(rename = "codice")]
    pub code: String,
    /// What it means.
    #[serde(rename = "descrizione")]
    pub description: String,
}

/// The bundled reason codes, read once. The file is compiled in and checked by a test: a bad
/// row cannot reach a user.
pub fn reasons() -> &'static [Reason] {
    static REASONS: std::sync::OnceLock<Vec<Reason>> = std::sync::OnceLock::new();
    REASONS.get_or_init(|| {
        let text = include_str!("../../../data/codici/motivi-override.csv");
        csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .filter_map(std::result::Result::ok)
            .collect()
    })
}

/// An operator's override, as asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// The profiling model `id@vN` whose class is overridden.
    pub model: String,
    /// The class the model computed (1-based).
    pub computed_class: u8,
    /// The class the operator sets (1-based).
    pub class: u8,
    /// Reason code (`data/codici/motivi-override.csv`).
    pub reason: String,
    /// The operator's note (at most 2,000 characters).
    #[serde(default)]
    pub note: Option<String>,
    /// The operator's id.
    pub operator: String,
    /// The date of the override (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// The first day it no longer applies (default: the next review, 90 days after `date`).
    #[serde(default)]
    pub expires: Option<NaiveDate>,
}

/// An override in force or recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Override {
    /// The person.
    pub person: String,
    /// The model `id@vN`.
    pub model: String,
    /// The class the model computed.
    pub computed_class: u8,
    /// The class set.
    pub class: u8,
    /// Reason code.
    pub reason: String,
    /// Note: in the answer only; the decision log keeps it outside the chain (`notes.jsonl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The salted digest of the note the log's record holds instead of its text (the text
    /// itself is in `notes.jsonl`, erasable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_digest: Option<String>,
    /// Operator id.
    pub operator: String,
    /// From.
    pub date: NaiveDate,
    /// The first day it no longer applies.
    pub expires: NaiveDate,
}

fn invalid(field: &str, why: String) -> Error {
    Error::Input(InputError::new(field, FieldReason::Inconsistent(why)))
}

impl Override {
    /// Validates a request for `person` against the model and the reason codes.
    pub fn validate(
        person: &str,
        req: OverrideRequest,
        model: &ProfilingModel,
        today: NaiveDate,
    ) -> Result<Override> {
        if person.trim().is_empty() || person.chars().count() > 128 {
            return Err(invalid("person_id", "1 to 128 characters".into()));
        }
        if req.model != model.key() {
            return Err(invalid(
                "model",
                format!("`{}` is not the model `{}`", req.model, model.key()),
            ));
        }
        let k = model.classes.labels.len() as u8;
        for (field, c) in [("computed_class", req.computed_class), ("class", req.class)] {
            if !(1..=k).contains(&c) {
                return Err(Error::Input(InputError::new(
                    field,
                    FieldReason::OutOfRange {
                        value: c.to_string(),
                        range: "a class of the model (1 to its number of classes)",
                    },
                )));
            }
        }
        if req.class == req.computed_class {
            return Err(invalid(
                "class",
                "the same as the computed class: nothing to override".into(),
            ));
        }
        let codes = reasons();
        if !codes.iter().any(|r| r.code == req.reason) {
            return Err(invalid(
                "reason",
                format!(
                    "`{}` is not a reason code ({})",
                    req.reason,
                    codes
                        .iter()
                        .map(|r| r.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if req.reason == "ALTRO" && req.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(invalid(
                "note",
                "reason ALTRO needs a note saying what the reason is".into(),
            ));
        }
        if req
            .note
            .as_deref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE)
        {
            return Err(invalid(
                "note",
                format!("longer than {MAX_NOTE} characters"),
            ));
        }
        if req.operator.trim().is_empty() || req.operator.chars().count() > 128 {
            return Err(invalid("operator", "1 to 128 characters".into()));
        }
        if req.operator.chars().any(char::is_control) {
            return Err(invalid(
                "operator",
                "an id holds no control characters (newline, tab …)".into(),
            ));
        }
        let date = req.date.unwrap_or(today);
        if date > today {
            return Err(invalid("date", format!("{date} is after today ({today})")));
        }
        let expires = match req.expires {
            Some(e) => e,
            None => date
                .checked_add_days(Days::new(REVIEW_DAYS))
                .ok_or_else(|| invalid("date", "out of range".into()))?,
        };
        if expires <= date {
            return Err(invalid(
                "expires",
                format!("{expires} is not after the override's date {date}"),
            ));
        }
        // In force from `date` until the day before `expires`: one that expired by today
        // would never apply to anything this service computes from now on.
        if expires <= today {
            return Err(invalid(
                "expires",
                format!(
                    "{expires} is not after today ({today}): the override would already have expired"
                ),
            ));
        }
        Ok(Override {
            person: person.to_owned(),
            model: req.model,
            computed_class: req.computed_class,
            class: req.class,
            reason: req.reason,
            note: req.note,
            note_digest: None,
            operator: req.operator,
            date,
            expires,
        })
    }

    /// Whether it applies on `day`.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.date <= day && day < self.expires
    }

    /// The decision to log.
    pub fn decision(
        &self,
        actor: &str,
        model_digest: &str,
    ) -> incrocio_core::error::Result<Decision> {
        // The note's text stays out of the chain: the record holds its salted digest.
        let kept = self.note.as_deref().map(super::notes::KeptText::new);
        let recorded = Override {
            note: None,
            note_digest: kept.as_ref().map(|k| k.digest.clone()),
            ..self.clone()
        };
        let (input_digest, result) = super::payload(&recorded)?;
        Ok(Decision {
            kind: Kind::Override,
            actor: actor.to_owned(),
            input_digest,
            model: Some(ModelRef {
                id: self.model.clone(),
                digest: model_digest.to_owned(),
            }),
            subject: None,
            people: vec![self.person.clone()],
            result,
            texts: kept.into_iter().collect(),
        })
    }

    /// The override a log record holds, if it is one.
    pub fn from_record(r: &Record) -> Option<Override> {
        if r.decision.kind != Kind::Override {
            return None;
        }
        serde_json::from_value(r.decision.result.clone()).ok()
    }
}

/// The overrides in force on a day for one model version: the latest per person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActiveOverrides {
    by_person: HashMap<String, Override>,
}

impl ActiveOverrides {
    /// From the records of a log, in order: for each person the last override of `model`
    /// (`id@vN`) recorded, when it is in force on `day`.
    pub fn from_records(records: &[Record], model: &str, day: NaiveDate) -> ActiveOverrides {
        let mut last: HashMap<String, Override> = HashMap::new();
        for o in records.iter().filter_map(Override::from_record) {
            if o.model == model {
                last.insert(o.person.clone(), o);
            }
        }
        last.retain(|_, o| o.in_force(day));
        ActiveOverrides { by_person: last }
    }

    /// The override in force for a person.
    pub fn get(&self, person: &str) -> Option<&Override> {
        self.by_person.get(person)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.by_person.len()
    }

    /// None in force.
    pub fn is_empty(&self) -> bool {
        self.by_person.is_empty()
    }

    /// Every override in force.
    pub fn iter(&self) -> impl Iterator<Item = &Override> {
        self.by_person.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_codes_load() {
        let r = reasons();
        assert_eq!(r.len(), 7);
        assert!(r.iter().any(|x| x.code == "CURA"));
        assert!(r.iter().any(|x| x.code == "DATI"));
    }

    #[test]
    fn in_force_from_its_date_until_the_day_before_it_expires() {
        let o = Override {
            person: "P".into(),
            model: "did@v1".into(),
            computed_class: 4,
            class: 3,
            reason: "CURA".into(),
            note: None,
            note_digest: None,
            operator: "op1".into(),
            date: "2026-11-01".parse().unwrap(),
            expires: "2027-01-30".parse().unwrap(),
        };
        assert!(!o.in_force("2026-10-31".parse().unwrap()));
        assert!(o.in_force("2026-11-01".parse().unwrap()));
        assert!(o.in_force("2027-01-29".parse().unwrap()));
        assert!(!o.in_force("2027-01-30".parse().unwrap()));
    }
}
