//! An applicant to a notice (avviso): the inputs every criterion may read.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use incrocio_core::error::{FieldReason, InputError};
use incrocio_core::period::Sospensione;

/// The largest ISEE or income an applicant may declare, euro: far above any real one, so that
/// a slip (an exponent, cents for euro) is refused rather than ranked.
pub const MAX_AMOUNT: u32 = 100_000_000;

/// One applicant, as the CPI collected it (JSON object or CSV row; dates `YYYY-MM-DD`,
/// amounts in euro with `.` as decimal separator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    /// The CPI's applicant id (published in the graduatoria instead of the name).
    #[schemars(length(min = 1, max = 128))]
    pub id: String,
    /// Birth date (age criteria and tie-breaks).
    pub data_nascita: NaiveDate,
    /// DID date, when the applicant is unemployed.
    #[serde(default)]
    pub data_did: Option<NaiveDate>,
    /// Suspensions of the unemployment status (not counted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sospensioni: Vec<Sospensione>,
    /// Registration date in the list (L. 68 elenco, or anzianità di iscrizione).
    #[serde(default)]
    pub data_iscrizione: Option<NaiveDate>,
    /// ISEE in euro (0 to 100,000,000, at most 2 decimals).
    #[serde(default)]
    pub isee: Option<Decimal>,
    /// False when the ISEE has difformità/omissioni or only a DSU was filed.
    #[serde(default = "yes")]
    pub isee_valido: bool,
    /// Persons dependent (carico familiare), all kinds.
    #[serde(default)]
    pub carichi: u32,
    /// Of `carichi`, those with invalidity above 65%.
    #[serde(default)]
    pub carichi_invalidi: u32,
    /// Invalidity percentage (L. 68).
    #[serde(default)]
    pub invalidita: Option<Decimal>,
    /// Personal gross income in euro (DPR 246/1997 table; 0 to 100,000,000).
    #[serde(default)]
    pub reddito: Option<Decimal>,
    /// Reserve categories the applicant belongs to (e.g. `militari_volontari`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub riserve: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Applicant {
    /// Checks values that no rule set could accept, and the dates against the notice: no
    /// one born after its publication, no DID, registration or suspension after the date
    /// durations are counted at (`counting`), suspensions ordered and not overlapping.
    pub fn validate(&self, publication: NaiveDate, counting: NaiveDate) -> Result<(), InputError> {
        let e = |field: &str, reason| Err(InputError::new(field, reason).with_record(&self.id));
        incrocio_core::error::check_id(&self.id).map_err(|reason| InputError::new("id", reason))?;
        if self.data_nascita > publication {
            return e(
                "data_nascita",
                FieldReason::Inconsistent(format!(
                    "born {} , after the notice's publication {publication}",
                    self.data_nascita
                )),
            );
        }
        for (field, date) in [
            ("data_did", self.data_did),
            ("data_iscrizione", self.data_iscrizione),
        ] {
            if let Some(d) = date.filter(|d| *d > counting) {
                return e(
                    field,
                    FieldReason::Inconsistent(format!(
                        "{d} is after {counting}, the date durations are counted at"
                    )),
                );
            }
        }
        if let Err(reason) = incrocio_core::period::check_suspension_periods(&self.sospensioni) {
            return e("sospensioni", FieldReason::Inconsistent(reason));
        }
        if let Some(s) = self.sospensioni.iter().find(|s| s.dal > counting) {
            return e(
                "sospensioni",
                FieldReason::Inconsistent(format!(
                    "a suspension starts on {}, after {counting}, the date durations are counted at",
                    s.dal
                )),
            );
        }
        let beyond = |x: Decimal| x < Decimal::ZERO || x > Decimal::from(MAX_AMOUNT);
        if self.isee.is_some_and(beyond) {
            return e(
                "isee",
                FieldReason::OutOfRange {
                    value: fmt(self.isee),
                    range: "0 to 100,000,000 euro",
                },
            );
        }
        for (field, v) in [("isee", self.isee), ("reddito", self.reddito)] {
            if v.is_some_and(|x| x.scale() > 2) {
                return e(
                    field,
                    FieldReason::Malformed {
                        value: fmt(v),
                        expected: "an amount in euro with at most 2 decimals",
                    },
                );
            }
        }
        if self.reddito.is_some_and(beyond) {
            return e(
                "reddito",
                FieldReason::OutOfRange {
                    value: fmt(self.reddito),
                    range: "0 to 100,000,000 euro",
                },
            );
        }
        if self
            .invalidita
            .is_some_and(|x| x < Decimal::ZERO || x > Decimal::ONE_HUNDRED)
        {
            return e(
                "invalidita",
                FieldReason::OutOfRange {
                    value: fmt(self.invalidita),
                    range: "0 to 100",
                },
            );
        }
        if self.carichi_invalidi > self.carichi {
            return e(
                "carichi_invalidi",
                FieldReason::Inconsistent(format!(
                    "{} invalid dependants out of {}",
                    self.carichi_invalidi, self.carichi
                )),
            );
        }
        if let Some(did) = self.data_did
            && self.sospensioni.iter().any(|s| s.dal < did)
        {
            return e(
                "sospensioni",
                FieldReason::Inconsistent("a suspension starts before data_did".into()),
            );
        }
        Ok(())
    }
}

fn fmt(v: Option<Decimal>) -> String {
    v.map(|d| d.to_string()).unwrap_or_default()
}
