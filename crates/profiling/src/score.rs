//! Scoring: a validated person + a model → index, class, contributions and provenance.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::adr::{Adr, AdrRules};
use super::features::{AtDate, Value, value};
use super::model::{Link, ProfilingModel};
use super::record::{Person, ProfileRecord};
use incrocio_core::error::{FieldReason, InputError};
use incrocio_core::reference::Reference;
use incrocio_core::status::Status;

/// Days between two profilings (D.Lgs. 150/2015 art. 19 c. 5: "ogni novanta giorni").
pub const REVIEW_INTERVAL_DAYS: u64 = 90;

/// A model with the AdR rules it feeds, ready to score people.
#[derive(Debug, Clone)]
pub struct Profiler<'a> {
    /// The profiling model.
    pub model: &'a ProfilingModel,
    /// The AdR rules.
    pub adr: &'a AdrRules,
    /// Reference tables.
    pub reference: &'a Reference,
}

/// The numeric result of scoring one person, without labels (the batch path stores this).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Linear predictor η.
    pub linear_predictor: f64,
    /// Index rounded to the class decimals, as integer units (e.g. 634512 = 0.634512).
    pub index_units: i64,
    /// 1-based class.
    pub class: u8,
    /// Age, unemployment and suspensions at `as_of`.
    pub at: AtDate,
    /// The features scored under the model's missing-answer policy: bit `i` for feature `i`
    /// (a model has at most [`crate::model::MAX_FEATURES`]).
    pub missing: u64,
}

/// A person's profile: the answer to one profiling request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Profile {
    /// The person's id.
    pub person_id: String,
    /// Probability of still being unemployed at the horizon, rounded to the class decimals.
    pub index: f64,
    /// Class of the index.
    pub class: ClassRef,
    /// η, the linear predictor: intercept + Σ contributions.
    pub linear_predictor: f64,
    /// Each term's contribution to η, in model order, the intercept first.
    pub contributions: Vec<Contribution>,
    /// Quantities derived at `as_of`.
    pub derived: Derived,
    /// Assegno di ricollocazione.
    pub adr: Adr,
    /// The model that produced this profile.
    pub model: ModelRef,
    /// Variables the model's authority uses that this model leaves out.
    pub omitted_variables: Vec<String>,
    /// Digest of the input record.
    pub input_digest: String,
    /// The date the profile holds at (`as_of`).
    pub profiled_at: NaiveDate,
    /// `as_of` + 90 days.
    pub next_review_at: NaiveDate,
    /// A warning that travels with the result when the model is not official.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Variables the record left unanswered, each scored as the model file states (absent
    /// when every variable the model reads was answered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingAnswer>,
}

/// A variable without a value, and how the model treated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MissingAnswer {
    /// The feature.
    pub feature: String,
    /// The record field it reads (`CondizioneOccupazionaleUnAnnoPrima`).
    pub field: String,
    /// The level or band it was scored as, by the model file's `missing`.
    pub scored_as: String,
}

/// A class code and label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClassRef {
    /// 1-based code.
    pub code: u8,
    /// Label.
    pub label: String,
}

/// One term's share of the linear predictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contribution {
    /// Feature name (`intercept` for the constant).
    pub feature: String,
    /// The variable's value for this person (code or number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// The level or band it fell in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Its contribution to η.
    pub contribution: f64,
}

/// Quantities derived at `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Derived {
    /// Age in whole years.
    pub eta: i64,
    /// Whole months of unemployment (suspensions excluded).
    pub mesi_disoccupazione: i64,
    /// Suspended days excluded.
    pub giorni_sospensione: i64,
}

/// Identity of a model on every output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelRef {
    /// Model id.
    pub id: String,
    /// Model version.
    pub version: u32,
    /// `sha256:` of the model file.
    pub digest: String,
    /// Status of the coefficients.
    pub status: Status,
    /// Status of the class cut-offs.
    pub classes_status: Status,
    /// Link function.
    pub link: Link,
}

/// A feature's input for one person: the value, or the level the model file scores a
/// missing value as.
enum Answer<'m> {
    Given(Value),
    Missing { level: &'m str, contribution: f64 },
}

impl<'a> Profiler<'a> {
    /// Scores a validated person at `as_of`, writing each feature's contribution into
    /// `contributions` (one slot per model feature).
    pub fn score_into(
        &self,
        p: &Person,
        as_of: NaiveDate,
        contributions: &mut [f64],
    ) -> Result<Score, InputError> {
        let at = AtDate::derive(p, as_of)?;
        let mut eta = self.model.intercept;
        let mut missing = 0u64;
        for (i, (f, slot)) in self
            .model
            .features
            .iter()
            .zip(contributions.iter_mut())
            .enumerate()
        {
            let c = match self.answer(f, p, &at)? {
                Answer::Given(v) => f.contribution(v).0,
                Answer::Missing { contribution, .. } => {
                    missing |= 1 << i;
                    contribution
                }
            };
            *slot = c;
            eta += c;
        }
        let units = self.model.classes.units(self.model.link.inverse(eta));
        Ok(Score {
            linear_predictor: eta,
            index_units: units,
            class: self.model.classes.class_of(units),
            at,
            missing,
        })
    }

    /// The feature's value for `p`, or, when there is none, what the model file says a
    /// missing value means (refused by default, naming the field).
    fn answer<'m>(
        &self,
        f: &'m super::model::Feature,
        p: &Person,
        at: &AtDate,
    ) -> Result<Answer<'m>, InputError> {
        if let Some(v) = value(&f.variable, p, at, self.reference) {
            return Ok(Answer::Given(v));
        }
        if let super::model::Missing::Level {
            level,
            contribution,
        } = &f.missing
        {
            return Ok(Answer::Missing {
                level,
                contribution: *contribution,
            });
        }
        Err({
            let reason = match f.variable {
                super::features::Variable::Territorio { ref name, .. } => {
                    FieldReason::Inconsistent(format!(
                        "indicator `{name}` is not published for this province"
                    ))
                }
                _ => FieldReason::Missing,
            };
            InputError::new(f.variable.source_field(), reason).with_record(&p.id)
        })
    }

    /// The AdR for a scored person.
    pub fn adr(&self, p: &Person, score: &Score) -> Adr {
        let beyond = score
            .at
            .unemployed_more_than(p.unemployment_start(), self.adr.min_unemployment_months);
        self.adr
            .assess(self.index_decimal(score), self.regione(p), p.naspi, beyond)
    }

    /// The AdR amounts in euro cents, one slot per contract of the rules (`None` where the
    /// contract does not apply); false when the person is not eligible. The batch path: no
    /// allocation.
    pub fn adr_cents(&self, p: &Person, score: &Score, out: &mut [Option<i64>]) -> bool {
        let eligible = p.naspi
            && score
                .at
                .unemployed_more_than(p.unemployment_start(), self.adr.min_unemployment_months);
        let index = self.index_decimal(score);
        let regione = self.regione(p);
        for (slot, c) in out.iter_mut().zip(&self.adr.contracts) {
            *slot = (eligible && self.adr.applies(c, regione))
                .then(|| (self.adr.amount(c, index) * Decimal::ONE_HUNDRED).to_i64())
                .flatten();
        }
        eligible
    }

    fn index_decimal(&self, score: &Score) -> Decimal {
        Decimal::new(score.index_units, self.model.classes.decimals)
    }

    fn regione(&self, p: &Person) -> &str {
        &self.reference.territory.province()[usize::from(p.provincia)].codice_regione
    }

    /// Validates and profiles one record: the full, explained answer.
    pub fn profile(&self, record: &ProfileRecord, as_of: NaiveDate) -> Result<Profile, InputError> {
        let p = record.validate(self.reference)?;
        self.profile_person(&p, as_of)
    }

    /// Profiles a validated person.
    pub fn profile_person(&self, p: &Person, as_of: NaiveDate) -> Result<Profile, InputError> {
        let mut slots = vec![0.0; self.model.features.len()];
        let score = self.score_into(p, as_of, &mut slots)?;
        let mut contributions = Vec::with_capacity(slots.len() + 1);
        contributions.push(Contribution {
            feature: "intercept".into(),
            value: None,
            level: None,
            contribution: self.model.intercept,
        });
        let mut missing = Vec::new();
        for f in &self.model.features {
            match self.answer(f, p, &score.at)? {
                Answer::Given(v) => {
                    let (c, level) = f.contribution(v);
                    contributions.push(Contribution {
                        feature: f.name.clone(),
                        value: Some(self.display_value(f, v)),
                        level: level.map(str::to_owned),
                        contribution: c,
                    });
                }
                Answer::Missing {
                    level,
                    contribution,
                } => {
                    contributions.push(Contribution {
                        feature: f.name.clone(),
                        value: None,
                        level: Some(level.to_owned()),
                        contribution,
                    });
                    missing.push(MissingAnswer {
                        feature: f.name.clone(),
                        field: f.variable.source_field().to_owned(),
                        scored_as: level.to_owned(),
                    });
                }
            }
        }
        Ok(Profile {
            person_id: p.id.clone(),
            index: self.model.classes.from_units(score.index_units),
            class: ClassRef {
                code: score.class,
                label: self.model.classes.label(score.class).to_owned(),
            },
            linear_predictor: score.linear_predictor,
            contributions,
            derived: Derived {
                eta: score.at.eta,
                mesi_disoccupazione: score.at.mesi_disoccupazione,
                giorni_sospensione: score.at.giorni_sospensione,
            },
            adr: self.adr(p, &score),
            model: self.model_ref(),
            omitted_variables: self
                .model
                .omitted
                .iter()
                .map(|o| o.variable.clone())
                .collect(),
            input_digest: incrocio_core::digest::record_hash_text(p.input_digest),
            profiled_at: as_of,
            next_review_at: next_review(as_of),
            notice: notice(self.model),
            missing,
        })
    }

    fn display_value(&self, f: &super::model::Feature, v: Value) -> serde_json::Value {
        match v {
            Value::Number(x) => serde_json::json!(x),
            Value::Level(i) => {
                let domain = f.variable.domain(self.reference).unwrap_or_default();
                serde_json::json!(domain.get(usize::from(i)).cloned().unwrap_or_default())
            }
        }
    }

    /// The model identity block.
    pub fn model_ref(&self) -> ModelRef {
        ModelRef {
            id: self.model.id.clone(),
            version: self.model.version,
            digest: self.model.digest.clone(),
            status: self.model.status,
            classes_status: self.model.classes.status,
            link: self.model.link,
        }
    }
}

/// `as_of` + 90 days.
pub fn next_review(as_of: NaiveDate) -> NaiveDate {
    as_of + Days::new(REVIEW_INTERVAL_DAYS)
}

/// The warning carried by every output of a non-official model.
pub fn notice(model: &ProfilingModel) -> Option<String> {
    match model.status {
        Status::Official => None,
        Status::Illustrative => Some(format!(
            "ILLUSTRATIVE MODEL {}: the coefficients are not an authority's (ANPAL has not published them); \
             do not use this index for decisions about people",
            model.key()
        )),
        Status::Fitted => Some(format!(
            "FITTED MODEL {}: estimated on data, not an official model",
            model.key()
        )),
    }
}
