//! The shortlist scoring model (`models/matching/*.toml`): weights of named contributions.

use serde::{Deserialize, Serialize};

use crate::digest::sha256_tagged;
use crate::error::ModelError;
use crate::profiling::Status;

/// Weights of the contributions (each contribution is in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Lexical relevance (normalised BM25).
    pub lessicale: f64,
    /// Competency-vector similarity.
    pub competenze: f64,
    /// Experience in the same or an adjacent occupation.
    pub esperienza: f64,
    /// Education fit.
    pub istruzione: f64,
    /// Nearness.
    pub distanza: f64,
}

/// Experience parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsperienzaParams {
    /// Credit for an experience in the same ISCO-08 unit group.
    pub adjacent: f64,
}

/// Rosa size rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosaParams {
    /// Names sent when the employer does not ask for a size.
    pub default_size: u32,
    /// The most a request may ask for.
    pub max_size: u32,
}

/// Bounds on the query a vacancy makes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParams {
    /// Distinct analyzed words of title and description searched at most; the rest are
    /// dropped with a warning in the answer.
    pub max_terms: usize,
}

impl Default for QueryParams {
    /// For model files written before `[query]` existed (`default.v1`): 1,024 distinct words,
    /// more than any demo or realistic vacancy has, so their rosas are unchanged.
    fn default() -> Self {
        QueryParams { max_terms: 1_024 }
    }
}

/// A matching model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingModel {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Illustrative, official or fitted.
    pub status: Status,
    /// What it is.
    pub description: String,
    /// Contribution weights.
    pub weights: Weights,
    /// Experience parameters.
    pub esperienza: EsperienzaParams,
    /// Rosa size rules.
    pub rosa: RosaParams,
    /// Query bounds (absent in `default.v1`: [`QueryParams::default`]).
    #[serde(default)]
    pub query: QueryParams,
    /// SHA-256 of the file.
    #[serde(skip)]
    pub digest: String,
}

impl MatchingModel {
    /// The bundled `models/matching/default.v1.toml`.
    pub fn bundled() -> Result<MatchingModel, ModelError> {
        MatchingModel::parse(
            "models/matching/default.v1.toml",
            include_str!("../../models/matching/default.v1.toml"),
        )
    }

    /// Parses and checks a model file (weights finite, non-negative, not all zero).
    pub fn parse(file: &str, text: &str) -> Result<MatchingModel, ModelError> {
        let mut m: MatchingModel =
            toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        let w = m.weights;
        for (name, v) in [
            ("lessicale", w.lessicale),
            ("competenze", w.competenze),
            ("esperienza", w.esperienza),
            ("istruzione", w.istruzione),
            ("distanza", w.distanza),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ModelError::new(
                    file,
                    format!("weights.{name}"),
                    "must be a finite number ≥ 0",
                ));
            }
        }
        if w.lessicale + w.competenze + w.esperienza + w.istruzione + w.distanza <= 0.0 {
            return Err(ModelError::new(file, "weights", "all weights are zero"));
        }
        if !(0.0..=1.0).contains(&m.esperienza.adjacent) {
            return Err(ModelError::new(
                file,
                "esperienza.adjacent",
                "must be in [0, 1]",
            ));
        }
        if m.rosa.default_size == 0 || m.rosa.default_size > m.rosa.max_size {
            return Err(ModelError::new(
                file,
                "rosa.default_size",
                "must be between 1 and rosa.max_size",
            ));
        }
        if m.query.max_terms == 0 || m.query.max_terms > 65_536 {
            return Err(ModelError::new(
                file,
                "query.max_terms",
                "must be between 1 and 65,536",
            ));
        }
        m.digest = sha256_tagged(text.as_bytes());
        Ok(m)
    }

    /// The rosa size for a request: `size`, else the vacancy's `dimensione_rosa`, else the
    /// model's default. Outside 1 to `rosa.max_size` it is the caller's error naming the field
    /// that gave it (never clamped).
    pub fn rosa_size(
        &self,
        size: Option<u32>,
        dimensione_rosa: Option<u32>,
    ) -> Result<usize, crate::Error> {
        let (field, asked) = match (size, dimensione_rosa) {
            (Some(s), _) => ("size", s),
            (None, Some(d)) => ("vacancy.dimensione_rosa", d),
            (None, None) => return Ok(self.rosa.default_size as usize),
        };
        if asked == 0 || asked > self.rosa.max_size {
            return Err(crate::Error::Input(crate::InputError::new(
                field,
                crate::FieldReason::Inconsistent(format!(
                    "{asked} is out of range: a rosa holds 1 to {} names (rosa.max_size of {})",
                    self.rosa.max_size,
                    self.key()
                )),
            )));
        }
        Ok(asked as usize)
    }

    /// `id@vN`.
    pub fn key(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_model_loads_and_bad_weights_are_named() {
        let m = MatchingModel::bundled().unwrap();
        assert_eq!(m.key(), "default@v1");
        assert_eq!(m.rosa.default_size, 15);
        let text = include_str!("../../models/matching/default.v1.toml")
            .replace("distanza = 0.10", "distanza = -1.0");
        let e = MatchingModel::parse("x.toml", &text).unwrap_err();
        assert_eq!(e.key, "weights.distanza");
    }
}
