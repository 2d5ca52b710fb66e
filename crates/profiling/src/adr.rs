//! The assegno di ricollocazione (AdR): eligibility and amount per contract type.
//!
//! Formula of Delibera ANPAL 14/2018 (§3.1 of `profiling.md`):
//! `AdR = m + (p − 0.5) × 2 × (M − m)`, and `AdR = m` for `p < 0.5`, computed in exact decimal
//! arithmetic on the index as rounded for classing (6 decimals), then rounded half away from
//! zero to the cent. The pairs (m, M), the index floor and the regions where a contract type
//! applies are data (`models/adr/*.toml`).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::ModelError;
use incrocio_core::status::Status;

/// The AdR rules of one act.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdrRules {
    /// Stable id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Official or illustrative.
    pub status: Status,
    /// The act.
    pub source: String,
    /// Minimum unemployment, in months, that must be *exceeded* (art. 23: "eccede i quattro mesi").
    pub min_unemployment_months: u32,
    /// Below this index the amount is the minimum m.
    pub index_floor: Decimal,
    /// Amount ranges per contract type.
    pub contracts: Vec<AdrContract>,
    /// `sha256:` of the file (set on load).
    #[serde(skip)]
    pub digest: String,
}

/// The amount range of one contract type.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdrContract {
    /// Code used in outputs (e.g. `tempo_indeterminato`).
    pub code: String,
    /// Label.
    pub label: String,
    /// m, euro.
    pub min: Decimal,
    /// M, euro.
    pub max: Decimal,
    /// ISTAT region codes where it applies; empty means everywhere.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// The AdR of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Adr {
    /// `id@vN` of the rules.
    pub rules: String,
    /// Whether the person is eligible (NASpI and unemployment beyond the minimum).
    pub eligible: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Amount per contract type, for an eligible person.
    pub amounts: Vec<AdrAmount>,
}

/// One amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdrAmount {
    /// Contract code.
    pub contract: String,
    /// Euro, two decimals.
    pub amount_eur: Decimal,
}

impl AdrRules {
    /// Parses and validates a rules file.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, ModelError> {
        let mut r: AdrRules = toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        for (i, c) in r.contracts.iter().enumerate() {
            if c.min <= Decimal::ZERO || c.max < c.min {
                return Err(ModelError::new(
                    file,
                    format!("contracts[{i}]"),
                    "need 0 < min <= max",
                ));
            }
        }
        if !(Decimal::ZERO..Decimal::ONE).contains(&r.index_floor) {
            return Err(ModelError::new(file, "index_floor", "must be in [0, 1)"));
        }
        r.digest = sha256_tagged(text.as_bytes());
        Ok(r)
    }

    /// `id@vN`.
    pub fn key(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }

    /// The amount for index `p` (exact decimal) in contract `c`.
    pub fn amount(&self, c: &AdrContract, p: Decimal) -> Decimal {
        let raw = if p < self.index_floor {
            c.min
        } else {
            let span = Decimal::ONE - self.index_floor;
            c.min + (p - self.index_floor) / span * (c.max - c.min)
        };
        raw.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }

    /// Whether contract `c` applies in region `regione`.
    pub fn applies(&self, c: &AdrContract, regione: &str) -> bool {
        c.regions.is_empty() || c.regions.iter().any(|r| r == regione)
    }

    /// The AdR of a person with index `p`, region `regione`, NASpI flag and unemployment test.
    pub fn assess(
        &self,
        p: Decimal,
        regione: &str,
        naspi: bool,
        unemployed_beyond_min: bool,
    ) -> Adr {
        let reason = match (naspi, unemployed_beyond_min) {
            (false, _) => Some("not a NASpI recipient (art. 23 D.Lgs. 150/2015)".to_owned()),
            (true, false) => Some(format!(
                "unemployed for {} months or less",
                self.min_unemployment_months
            )),
            (true, true) => None,
        };
        let amounts = if reason.is_some() {
            Vec::new()
        } else {
            self.contracts
                .iter()
                .filter(|c| self.applies(c, regione))
                .map(|c| AdrAmount {
                    contract: c.code.clone(),
                    amount_eur: self.amount(c, p),
                })
                .collect()
        };
        Adr {
            rules: self.key(),
            eligible: reason.is_none(),
            reason,
            amounts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rules() -> AdrRules {
        AdrRules::from_toml(
            "adr",
            include_str!("../../../models/adr/delibera-anpal-14-2018.v1.toml"),
        )
        .unwrap()
    }

    fn amount(code: &str, p: Decimal) -> Decimal {
        let r = rules();
        let c = r.contracts.iter().find(|c| c.code == code).unwrap();
        r.amount(c, p)
    }

    #[test]
    fn published_and_computed_amounts() {
        // Published example (Il Sole 24 Ore, 18.04.2018): p = 0.8, tempo indeterminato → 3,400 €.
        assert_eq!(amount("tempo_indeterminato", dec!(0.8)), dec!(3400.00));
        assert_eq!(amount("tempo_indeterminato", dec!(0.4)), dec!(1000.00));
        assert_eq!(amount("tempo_indeterminato", dec!(0.5)), dec!(1000.00));
        assert_eq!(amount("tempo_indeterminato", dec!(0.6)), dec!(1800.00));
        assert_eq!(amount("tempo_indeterminato", dec!(0.75)), dec!(3000.00));
        assert_eq!(amount("tempo_indeterminato", dec!(1.0)), dec!(5000.00));
        assert_eq!(amount("tempo_determinato_6_mesi", dec!(0.8)), dec!(1700.00));
        assert_eq!(
            amount("tempo_determinato_3_6_mesi", dec!(0.9)),
            dec!(1050.00)
        );
        // 6-decimal index: 1000 + 0.123457 × 2 × 4000 = 1987.656 → 1987.66.
        assert_eq!(amount("tempo_indeterminato", dec!(0.623457)), dec!(1987.66));
    }

    #[test]
    fn short_fixed_term_only_in_less_developed_regions() {
        let r = rules();
        let campania = r.assess(dec!(0.9), "15", true, true);
        assert_eq!(campania.amounts.len(), 3);
        let lombardia = r.assess(dec!(0.9), "03", true, true);
        assert_eq!(lombardia.amounts.len(), 2);
        assert!(
            lombardia
                .amounts
                .iter()
                .all(|a| a.contract != "tempo_determinato_3_6_mesi")
        );
    }

    #[test]
    fn eligibility_needs_naspi_and_more_than_four_months() {
        let r = rules();
        assert!(!r.assess(dec!(0.9), "15", false, true).eligible);
        let short = r.assess(dec!(0.9), "15", true, false);
        assert!(!short.eligible && short.amounts.is_empty());
    }
}
