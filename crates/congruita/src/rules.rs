//! Congruity rule sets as data: `models/congruita/*.toml`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::ModelError;
use incrocio_core::status::ParamStatus;

/// What the vacancy's occupation is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The occupations agreed in the patto di servizio (`occupazioni_disponibili`).
    Dichiarate,
    /// The occupations of the person's work experiences.
    Esperienze,
}

/// A relation between the vacancy's occupation and a reference occupation, strictest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The same ESCO occupation.
    Same,
    /// An area di attività (ADA) of the Atlante del lavoro in common, from a table a Region
    /// supplies (the legal basis; absent without a table).
    SameAda,
    /// The same ISCO-08 unit group (4 digits).
    SameUnitGroup,
    /// One of the adjacent occupations by ESCO skill overlap.
    Adjacent,
    /// The same ISCO-08 minor group (3 digits).
    SameMinorGroup,
}

/// One unemployment-duration band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDef {
    /// Name (`a`, `b`, `c`).
    pub name: String,
    /// Inclusive upper bound in whole calendar months; none for the last band.
    #[serde(default)]
    pub up_to_months: Option<u32>,
}

/// Art. 3: the bands and how months are counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Durata {
    /// Wording read or inferred.
    pub status: ParamStatus,
    /// Where.
    pub source: String,
    /// The bands, in order.
    pub bands: Vec<BandDef>,
    /// Status of the counting method.
    pub counting_status: ParamStatus,
    /// The counting method, in words.
    pub counting_note: String,
}

/// Art. 2 in one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coerenza {
    /// Band name.
    pub band: String,
    /// What the vacancy's occupation is compared with.
    pub reference: Vec<Reference>,
    /// Accepted relations.
    pub relations: Vec<Relation>,
    /// Least ESCO skill-overlap similarity for `adjacent`.
    #[serde(default)]
    pub min_similarity: Option<f32>,
    /// Status.
    pub status: ParamStatus,
    /// Where.
    pub source: String,
    /// The approximation, in words.
    pub note: String,
}

/// Art. 4 in one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distanza {
    /// Band name.
    pub band: String,
    /// Greatest distance from the domicilio, km.
    pub km: Decimal,
    /// Greatest average travel time by public transport, minutes.
    pub minutes: u32,
    /// Status.
    pub status: ParamStatus,
    /// Where.
    pub source: String,
}

/// Art. 5: the contract type and length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contratto {
    /// Status.
    pub status: ParamStatus,
    /// Where.
    pub source: String,
    /// Always congruous as to type.
    pub permanent: Vec<String>,
    /// Congruous when at least `min_months` long.
    pub fixed_term: Vec<String>,
    /// Least length of a fixed-term contract (or somministrazione), calendar months.
    pub min_months: u32,
    /// Congruous as to type by an inferred reading.
    #[serde(default)]
    pub permanent_inferred: Vec<String>,
    /// Why.
    #[serde(default)]
    pub permanent_inferred_note: String,
    /// Never congruous.
    pub not_congruous: Vec<String>,
    /// Why.
    pub not_congruous_note: String,
}

/// Art. 5: hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Orario {
    /// Status.
    pub status: ParamStatus,
    /// Where.
    pub source: String,
    /// Least share of the last contract's weekly hours (full time always passes).
    pub min_share_of_last: Decimal,
}

/// Art. 6: pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retribuzione {
    /// Status of the benefit rule.
    pub status: ParamStatus,
    /// Where.
    pub source: String,
    /// Pay ≥ (1 + this) × the last month's indennità.
    pub above_benefit: Decimal,
    /// Whether pay below the stated CCNL minimum is not congruous.
    pub ccnl_minimum: bool,
    /// Status of the CCNL rule.
    pub ccnl_status: ParamStatus,
    /// Where.
    pub ccnl_source: String,
}

/// A congruity rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetFile {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Title.
    pub title: String,
    /// Which benefit regime it governs.
    pub regime: String,
    /// The act.
    pub act: String,
    /// Link to the act.
    pub source: String,
    /// The refusal-reason code list (`data/congruita/<name>.csv`).
    pub refusal_reasons: String,
    /// Art. 3.
    pub durata: Durata,
    /// Art. 2, one per band.
    pub coerenza: Vec<Coerenza>,
    /// Art. 4, one per band.
    pub distanza: Vec<Distanza>,
    /// Art. 5 (type, length).
    pub contratto: Contratto,
    /// Art. 5 (hours).
    pub orario: Orario,
    /// Art. 6.
    pub retribuzione: Retribuzione,
}

/// A parsed, checked rule set with its digest.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    /// The file's content.
    pub file: RuleSetFile,
    /// `sha256:` of the file's bytes.
    pub digest: String,
}

impl RuleSet {
    /// Parses and checks a rule set (every band named once per article, in the bands' order).
    pub fn parse(file: &str, text: &str) -> Result<RuleSet, ModelError> {
        let f: RuleSetFile = toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        let bands: Vec<&str> = f.durata.bands.iter().map(|b| b.name.as_str()).collect();
        if bands.is_empty() {
            return Err(ModelError::new(file, "durata.bands", "no band"));
        }
        let mut last = None;
        for (i, b) in f.durata.bands.iter().enumerate() {
            let is_last = i + 1 == f.durata.bands.len();
            match (b.up_to_months, is_last) {
                (None, false) => {
                    return Err(ModelError::new(
                        file,
                        format!("durata.bands[{i}].up_to_months"),
                        "only the last band may be open-ended",
                    ));
                }
                (Some(_), true) => {
                    return Err(ModelError::new(
                        file,
                        format!("durata.bands[{i}].up_to_months"),
                        "the last band must be open-ended",
                    ));
                }
                (Some(m), false) if last.is_some_and(|l| m <= l) => {
                    return Err(ModelError::new(
                        file,
                        format!("durata.bands[{i}].up_to_months"),
                        "bands must grow",
                    ));
                }
                (m, _) => last = m.or(last),
            }
        }
        let coerenza: Vec<&str> = f.coerenza.iter().map(|c| c.band.as_str()).collect();
        let distanza: Vec<&str> = f.distanza.iter().map(|d| d.band.as_str()).collect();
        if coerenza != bands {
            return Err(ModelError::new(
                file,
                "coerenza",
                format!("one entry per band, in order: {bands:?}"),
            ));
        }
        if distanza != bands {
            return Err(ModelError::new(
                file,
                "distanza",
                format!("one entry per band, in order: {bands:?}"),
            ));
        }
        for (i, c) in f.coerenza.iter().enumerate() {
            if c.reference.is_empty() || c.relations.is_empty() {
                return Err(ModelError::new(
                    file,
                    format!("coerenza[{i}]"),
                    "reference and relations may not be empty",
                ));
            }
            let needs = c.relations.contains(&Relation::Adjacent);
            match c.min_similarity {
                Some(s) if !(0.0..=1.0).contains(&s) => {
                    return Err(ModelError::new(
                        file,
                        format!("coerenza[{i}].min_similarity"),
                        "outside [0, 1]",
                    ));
                }
                None if needs => {
                    return Err(ModelError::new(
                        file,
                        format!("coerenza[{i}].min_similarity"),
                        "`adjacent` needs a min_similarity",
                    ));
                }
                _ => {}
            }
        }
        let c = &f.contratto;
        for code in c
            .permanent
            .iter()
            .chain(&c.fixed_term)
            .chain(&c.permanent_inferred)
            .chain(&c.not_congruous)
        {
            if !incrocio_core::reference::CONTRACTS.contains(&code.as_str()) {
                return Err(ModelError::new(
                    file,
                    "contratto",
                    format!("`{code}` is not a code of tab_tipologia_contr"),
                ));
            }
        }
        let share = f.orario.min_share_of_last;
        if share <= Decimal::ZERO || share > Decimal::ONE {
            return Err(ModelError::new(
                file,
                "orario.min_share_of_last",
                "outside (0, 1]",
            ));
        }
        if f.retribuzione.above_benefit < Decimal::ZERO {
            return Err(ModelError::new(
                file,
                "retribuzione.above_benefit",
                "negative",
            ));
        }
        Ok(RuleSet {
            file: f,
            digest: sha256_tagged(text.as_bytes()),
        })
    }

    /// Whether any parameter is not read verbatim in a source.
    pub fn has_inferred(&self) -> bool {
        let f = &self.file;
        let read = ParamStatus::Read;
        f.durata.status != read
            || f.durata.counting_status != read
            || f.coerenza.iter().any(|c| c.status != read)
            || f.distanza.iter().any(|d| d.status != read)
            || f.contratto.status != read
            || !f.contratto.permanent_inferred.is_empty()
            || !f.contratto.not_congruous.is_empty()
            || f.orario.status != read
            || f.retribuzione.status != read
            || f.retribuzione.ccnl_status != read
    }

    /// The rule set `spec` names among `sets`: `id` (its newest version) or `id@vN`.
    pub fn find<'a>(sets: &'a [RuleSet], spec: &str) -> Option<&'a RuleSet> {
        let (id, version) = match spec.split_once("@v") {
            Some((id, v)) => (id, Some(v.parse::<u32>().ok()?)),
            None => (spec, None),
        };
        sets.iter()
            .filter(|r| r.file.id == id && version.is_none_or(|v| v == r.file.version))
            .max_by_key(|r| r.file.version)
    }
}

/// A justified refusal reason (`data/congruita/motivi-rifiuto.csv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefusalReason {
    /// Code.
    pub codice: String,
    /// Description.
    pub descrizione: String,
    /// Source.
    pub fonte: String,
    /// `read` or `inferred`.
    pub stato: String,
}

/// The bundled justified refusal reasons.
pub fn refusal_reasons() -> Vec<RefusalReason> {
    let text = include_str!("../../../data/congruita/motivi-rifiuto.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    // The file is compiled in and checked by a test: a bad row cannot reach a user.
    rdr.deserialize().filter_map(|r| r.ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_rule_set_parses_and_lists_six_refusal_reasons() {
        let sets = [
            include_str!("../../../models/congruita/dm-2018-04-10.v1.toml"),
            include_str!("../../../models/congruita/dm-2018-04-10.v2.toml"),
        ]
        .map(|text| RuleSet::parse("dm-2018-04-10.toml", text).unwrap());
        let r = RuleSet::find(&sets, "dm-2018-04-10").unwrap();
        assert_eq!(r.file.version, 2);
        assert_eq!(r.file.durata.bands.len(), 3);
        assert_eq!(refusal_reasons().len(), 6);
        assert!(RuleSet::find(&sets, "dm-2018-04-10@v9").is_none());
    }

    #[test]
    fn bands_out_of_order_are_refused() {
        let text = include_str!("../../../models/congruita/dm-2018-04-10.v1.toml")
            .replace("up_to_months = 12", "up_to_months = 5");
        let e = RuleSet::parse("x.toml", &text).unwrap_err();
        assert_eq!(e.key, "durata.bands[1].up_to_months");
        let text = include_str!("../../../models/congruita/dm-2018-04-10.v1.toml").replace(
            "min_share_of_last = \"0.80\"",
            "min_share_of_last = \"1.5\"",
        );
        assert_eq!(
            RuleSet::parse("x.toml", &text).unwrap_err().key,
            "orario.min_share_of_last"
        );
    }
}
