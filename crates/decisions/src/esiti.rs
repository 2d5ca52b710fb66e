//! Employers' outcomes for the people of a rosa ("verifica esiti"): recorded in the decision
//! log against the rosa's id, checked against the rosa the log holds, and read back as
//! judgments for `tune matching`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Decision, Kind, Record};
use incrocio_core::cancel::Cancel;
use incrocio_core::error::{Error, FieldReason, InputError, Result};

/// Most outcomes in one request.
pub const MAX_ESITI: usize = 100;

/// What became of a person of a rosa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Hired.
    Hired,
    /// Presented and not chosen.
    Rejected,
    /// Not presented to the employer (not reached, no longer available).
    NotPresented,
    /// The person declined the offer or the interview.
    Declined,
}

/// One person's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EsitoEntry {
    /// A candidate of the rosa.
    pub candidate_id: String,
    /// The outcome.
    pub esito: Outcome,
    /// When the employer gave it (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// The outcomes for a rosa.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EsitiRequest {
    /// 1 to 100 outcomes.
    #[schemars(length(min = 1, max = 100))]
    pub esiti: Vec<EsitoEntry>,
}

/// A rosa as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRosa {
    /// Its id.
    pub rosa_id: String,
    /// The vacancy.
    pub vacancy_id: String,
    /// The candidates, best first.
    pub ranked: Vec<String>,
    /// The day it was generated (UTC).
    pub generated_on: NaiveDate,
    /// The day it was asked for.
    pub data_richiesta: Option<NaiveDate>,
}

impl SentRosa {
    /// The rosa a log record holds, if it is one.
    pub fn from_record(r: &Record) -> Option<SentRosa> {
        if r.decision.kind != Kind::Rosa {
            return None;
        }
        let res = &r.decision.result;
        Some(SentRosa {
            rosa_id: r.decision.subject.clone()?,
            vacancy_id: res.get("vacancy_id")?.as_str()?.to_owned(),
            ranked: res
                .get("ranked")?
                .as_array()?
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            generated_on: res.get("generated_at")?.as_str()?.get(..10)?.parse().ok()?,
            data_richiesta: res
                .get("data_richiesta")
                .and_then(|d| d.as_str())
                .and_then(|d| d.parse().ok()),
        })
    }
}

/// The rosa `rosa_id` in the log in `dir`, if it is there.
pub fn find_rosa(
    dir: &std::path::Path,
    rosa_id: &str,
    cancel: &Cancel,
) -> Result<Option<SentRosa>> {
    let found = super::scan(dir, Some(rosa_id), 1, cancel, |r| {
        (r.decision.kind == Kind::Rosa && r.decision.subject.as_deref() == Some(rosa_id))
            .then(|| SentRosa::from_record(r))
            .flatten()
    })?;
    Ok(found.into_iter().next())
}

/// One outcome recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Esito {
    /// The rosa.
    pub rosa_id: String,
    /// Its vacancy.
    pub vacancy_id: String,
    /// The candidate.
    pub candidate_id: String,
    /// Their position in the rosa.
    pub position: u32,
    /// The outcome.
    pub esito: Outcome,
    /// When.
    pub date: NaiveDate,
}

/// Checks outcomes against the rosa they are for; the decisions to log.
pub fn validate(
    rosa: &SentRosa,
    req: EsitiRequest,
    actor: &str,
    today: NaiveDate,
) -> Result<Vec<(Esito, Decision)>> {
    let n = req.esiti.len();
    if n == 0 || n > MAX_ESITI {
        return Err(Error::Input(InputError::new(
            "esiti",
            FieldReason::OutOfRange {
                value: n.to_string(),
                range: "1 to 100 outcomes",
            },
        )));
    }
    // One outcome per person per request: `rejected` and `hired` for the same person in one
    // request contradict each other, and which one holds is not the service's guess.
    for (i, e) in req.esiti.iter().enumerate() {
        if let Some(j) = req.esiti[..i]
            .iter()
            .position(|f| f.candidate_id == e.candidate_id)
        {
            return Err(Error::Input(InputError::new(
                format!("esiti[{i}].candidate_id"),
                FieldReason::Inconsistent(format!(
                    "`{}` already has an outcome in this request (esiti[{j}]): one outcome per person per request",
                    e.candidate_id
                )),
            )));
        }
    }
    let mut out = Vec::with_capacity(n);
    for (i, e) in req.esiti.into_iter().enumerate() {
        let field = |f: &str| format!("esiti[{i}].{f}");
        let Some(p) = rosa.ranked.iter().position(|c| *c == e.candidate_id) else {
            return Err(Error::Input(InputError::new(
                field("candidate_id"),
                FieldReason::Inconsistent(format!(
                    "`{}` is not in rosa {}",
                    e.candidate_id, rosa.rosa_id
                )),
            )));
        };
        let date = e.date.unwrap_or(today);
        if date > today || date < rosa.generated_on {
            return Err(Error::Input(InputError::new(
                field("date"),
                FieldReason::Inconsistent(format!(
                    "{date} is not between the rosa's day ({}) and today ({today})",
                    rosa.generated_on
                )),
            )));
        }
        let esito = Esito {
            rosa_id: rosa.rosa_id.clone(),
            vacancy_id: rosa.vacancy_id.clone(),
            candidate_id: e.candidate_id,
            position: p as u32 + 1,
            esito: e.esito,
            date,
        };
        let (input_digest, result) = super::payload(&esito)?;
        let decision = Decision {
            kind: Kind::Esito,
            actor: actor.to_owned(),
            input_digest,
            model: None,
            subject: Some(rosa.rosa_id.clone()),
            people: vec![esito.candidate_id.clone()],
            result,
            texts: Vec::new(),
        };
        out.push((esito, decision));
    }
    Ok(out)
}

impl Esito {
    /// The outcome a log record holds, if it is one.
    pub fn from_record(r: &Record) -> Option<Esito> {
        if r.decision.kind != Kind::Esito {
            return None;
        }
        serde_json::from_value(r.decision.result.clone()).ok()
    }
}
