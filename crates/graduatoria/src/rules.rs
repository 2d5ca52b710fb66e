//! Rule sets as data: `models/graduatorie/*.toml`.

use chrono::NaiveDate;
use incrocio_core::status::ParamStatus;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::ModelError;

/// Which way the ranking runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// The highest total ranks first.
    HigherFirst,
    /// The lowest total ranks first (the DPR 487/246 tables).
    LowerFirst,
}

/// The reference date for ages and durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountingDate {
    /// The publication date of the notice.
    Publication,
    /// The deadline for applications.
    Deadline,
}

/// An applicant quantity a criterion reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Variable {
    /// ISEE in euro (missing when absent or flagged invalid).
    Isee,
    /// Age in whole years at the counting date.
    Eta,
    /// Whole months of unemployment from the DID to the counting date, suspensions excluded.
    MesiDisoccupazione,
    /// Whole months from the list registration (iscrizione) to the counting date.
    MesiIscrizione,
    /// Signed whole months from the rules' `reference_date` to the registration date.
    MesiDaDataConvenzionale,
    /// Invalidity percentage.
    Invalidita,
    /// Personal gross income in euro.
    Reddito,
    /// 1 when the DID precedes the publication date.
    DidPrimaDellaPubblicazione,
    /// Persons dependent (carico familiare).
    Carichi,
}

/// Rounding of `value / unit` to whole units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// No rounding: fractional units count.
    None,
    /// Down to the whole unit.
    Floor,
    /// To the nearest unit, exact halves up ("normali regole matematiche").
    HalfUp,
    /// To the nearest unit, exact halves down (Emilia-Romagna: "fino a 500 compreso per difetto").
    HalfDown,
}

impl Rounding {
    /// Applies the rounding.
    pub fn apply(self, x: Decimal) -> Decimal {
        match self {
            Rounding::None => x,
            Rounding::Floor => x.floor(),
            Rounding::HalfUp => x.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
            Rounding::HalfDown => x.round_dp_with_strategy(0, RoundingStrategy::MidpointTowardZero),
        }
    }
}

/// A bracket of a `brackets` criterion: from `from` (included) up to the next bracket's `from`
/// (excluded), the last one up to `to` (included). `to` of an inner bracket is the act's
/// wording (whole numbers, "da 34 a 50"); a value between it and the next `from` (50.5) has
/// not reached the next bracket and stays in this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bracket {
    /// Lowest value in the bracket.
    pub from: Decimal,
    /// Highest value in the bracket (open when absent).
    #[serde(default)]
    pub to: Option<Decimal>,
    /// Points.
    pub points: Decimal,
}

/// An override above a threshold (Piemonte: more than 24 months of iscrizione → 50 points).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Above {
    /// Threshold (strict).
    pub over: Decimal,
    /// Points for a value strictly above it.
    pub points: Decimal,
}

/// How a criterion turns its input into points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CriterionKind {
    /// `offset + points_per_unit × round(value / unit)`, clamped to `[min, max]`; values up to
    /// `zero_up_to` score 0 (and the rest counts from there); `above` overrides.
    Linear {
        /// Unit of the value.
        unit: Decimal,
        /// Rounding of value/unit.
        rounding: Rounding,
        /// Points per unit.
        points_per_unit: Decimal,
        /// Points added to any value above `zero_up_to` (default 0).
        #[serde(default)]
        offset: Decimal,
        /// Lower clamp.
        #[serde(default)]
        min: Option<Decimal>,
        /// Upper clamp.
        #[serde(default)]
        max: Option<Decimal>,
        /// Values up to this (inclusive) score 0.
        #[serde(default)]
        zero_up_to: Option<Decimal>,
        /// Overrides above thresholds.
        #[serde(default)]
        above: Vec<Above>,
    },
    /// The points of the bracket containing the value (0 outside every bracket).
    Brackets {
        /// Non-overlapping brackets.
        brackets: Vec<Bracket>,
    },
    /// `points` when the condition holds.
    Flag {
        /// Points.
        points: Decimal,
    },
    /// Points per dependant, with another value for dependants invalid beyond 65%.
    Dependants {
        /// Points per dependant.
        points_per_dependant: Decimal,
        /// Points per dependant with invalidity > 65% (default: as any dependant).
        #[serde(default)]
        points_per_invalid_dependant: Option<Decimal>,
    },
}

/// One scoring criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Name in outputs.
    pub name: std::sync::Arc<str>,
    /// The input it reads.
    pub variable: Variable,
    /// The arithmetic (`score.linear = {…}`, `score.brackets`, `score.flag`, `score.dependants`).
    pub score: CriterionKind,
    /// Points when the input is missing or invalid; without it a missing input is an error.
    #[serde(default)]
    pub missing: Option<Decimal>,
    /// Applies only to hiring by public employers (L. 68 invalidity table).
    #[serde(default)]
    pub only_public_employer: bool,
    /// How sure the parameter is.
    #[serde(default = "read")]
    pub status: ParamStatus,
    /// The act's words or the reason for the value.
    #[serde(default)]
    pub note: Option<String>,
}

fn read() -> ParamStatus {
    ParamStatus::Read
}

/// A tie-break, applied in chain order after the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieBreakKey {
    /// The younger first (later birth date).
    Younger,
    /// The older first.
    Older,
    /// More points from the dependants criterion first.
    MoreDependantPoints,
    /// Longer unemployment first (more days).
    LongerUnemployment,
    /// Earlier list registration first.
    EarlierRegistration,
}

/// The tie-break chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ties {
    /// Keys in order.
    pub chain: Vec<TieBreakKey>,
    /// How sure the chain is.
    #[serde(default = "read")]
    pub status: ParamStatus,
    /// Source or caveat.
    #[serde(default)]
    pub note: Option<String>,
}

/// Who may be ranked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// The DID must precede the notice's publication.
    #[serde(default)]
    pub did_before_publication: bool,
    /// The list registration must precede the publication.
    #[serde(default)]
    pub registration_before_publication: bool,
    /// Minimum age at the counting date.
    #[serde(default)]
    pub min_age: Option<i64>,
    /// Maximum age at the counting date.
    #[serde(default)]
    pub max_age: Option<i64>,
}

/// A reserve of the list for a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reserve {
    /// Category code applicants declare (e.g. `militari_volontari`).
    pub category: String,
    /// Percentage of the list.
    pub percent: Decimal,
    /// The act.
    pub source: String,
}

/// A parameter the act leaves unknown: the rule set cannot rank until it is supplied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingParameter {
    /// The parameter.
    pub parameter: String,
    /// What is known and where to look.
    pub note: String,
}

/// A complete rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraduatoriaRules {
    /// Stable id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Title.
    pub title: String,
    /// `art16` or `l68`.
    pub law: String,
    /// Region (or `nazionale`).
    pub region: String,
    /// The act, with its number.
    pub act: String,
    /// The act's date, when the source shows it.
    #[serde(default)]
    pub act_date: Option<NaiveDate>,
    /// Where it was read.
    pub source: String,
    /// Base points.
    #[serde(default)]
    pub base: Option<Decimal>,
    /// Ranking direction.
    #[serde(default)]
    pub order: Option<Order>,
    /// Date for ages and durations.
    #[serde(default)]
    pub counting_date: Option<CountingDate>,
    /// Start of the signed month count (`mesi_da_data_convenzionale`).
    #[serde(default)]
    pub reference_date: Option<NaiveDate>,
    /// Criteria in order.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// Tie-break chain.
    #[serde(default)]
    pub ties: Option<Ties>,
    /// Eligibility.
    #[serde(default)]
    pub eligibility: Eligibility,
    /// Reserves.
    #[serde(default)]
    pub reserves: Vec<Reserve>,
    /// List sent to the employer as a multiple of the posts (art. 25 DPR 487/1994: 2).
    #[serde(default = "two")]
    pub list_multiplier: u32,
    /// Parameters the act leaves unknown: ranking refuses to run while any is listed.
    #[serde(default)]
    pub missing: Vec<MissingParameter>,
    /// `sha256:` of the file (set on load).
    #[serde(skip_deserializing, default)]
    pub digest: String,
}

fn two() -> u32 {
    2
}

impl GraduatoriaRules {
    /// Parses and validates a rule file; errors name the file and key.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, ModelError> {
        let mut r: GraduatoriaRules =
            toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        r.digest = sha256_tagged(text.as_bytes());
        if r.missing.is_empty() {
            for key in ["base", "order", "counting_date", "ties"] {
                let absent = match key {
                    "base" => r.base.is_none(),
                    "order" => r.order.is_none(),
                    "counting_date" => r.counting_date.is_none(),
                    _ => r.ties.is_none(),
                };
                if absent {
                    return Err(ModelError::new(
                        file,
                        key,
                        "required (or list it under [[missing]])",
                    ));
                }
            }
        }
        for (i, c) in r.criteria.iter().enumerate() {
            validate_criterion(file, i, c, r.reference_date.is_some())?;
        }
        for (i, s) in r.reserves.iter().enumerate() {
            if s.percent <= Decimal::ZERO || s.percent > Decimal::ONE_HUNDRED {
                return Err(ModelError::new(
                    file,
                    format!("reserves[{i}].percent"),
                    "must be in (0, 100]",
                ));
            }
        }
        if r.list_multiplier == 0 {
            return Err(ModelError::new(
                file,
                "list_multiplier",
                "must be at least 1",
            ));
        }
        Ok(r)
    }

    /// `id@vN`.
    pub fn key(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }

    /// The flagged (partial or inferred) parameters, for warnings on every output.
    pub fn caveats(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.criteria {
            if c.status != ParamStatus::Read {
                out.push(format!(
                    "criterion `{}` is {:?}: {}",
                    c.name,
                    c.status,
                    c.note.clone().unwrap_or_default()
                ));
            }
        }
        if let Some(t) = &self.ties
            && t.status != ParamStatus::Read
        {
            out.push(format!(
                "tie-break chain is {:?}: {}",
                t.status,
                t.note.clone().unwrap_or_default()
            ));
        }
        out
    }
}

fn validate_criterion(
    file: &str,
    i: usize,
    c: &Criterion,
    has_reference_date: bool,
) -> Result<(), ModelError> {
    let key = |k: &str| format!("criteria[{i}].{k}");
    match (&c.score, c.variable) {
        (CriterionKind::Flag { .. }, Variable::DidPrimaDellaPubblicazione) => {}
        (CriterionKind::Flag { .. }, _) | (_, Variable::DidPrimaDellaPubblicazione) => {
            return Err(ModelError::new(
                file,
                key("kind"),
                "only `did_prima_della_pubblicazione` is a flag",
            ));
        }
        (CriterionKind::Dependants { .. }, Variable::Carichi) => {}
        (CriterionKind::Dependants { .. }, _) | (_, Variable::Carichi) => {
            return Err(ModelError::new(
                file,
                key("kind"),
                "`carichi` goes with kind = \"dependants\"",
            ));
        }
        (CriterionKind::Linear { unit, min, max, .. }, _) => {
            if *unit <= Decimal::ZERO {
                return Err(ModelError::new(file, key("unit"), "must be positive"));
            }
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                return Err(ModelError::new(file, key("min"), "min is above max"));
            }
        }
        (CriterionKind::Brackets { brackets }, _) => {
            for (j, pair) in brackets.windows(2).enumerate() {
                let prev_to = pair[0].to.ok_or_else(|| {
                    ModelError::new(
                        file,
                        key(&format!("brackets[{j}].to")),
                        "only the last bracket may be open",
                    )
                })?;
                if pair[1].from <= prev_to {
                    return Err(ModelError::new(
                        file,
                        key(&format!("brackets[{}]", j + 1)),
                        "brackets overlap or are not increasing",
                    ));
                }
            }
        }
    }
    if c.variable == Variable::MesiDaDataConvenzionale && !has_reference_date {
        return Err(ModelError::new(
            file,
            key("variable"),
            "needs `reference_date`",
        ));
    }
    Ok(())
}
