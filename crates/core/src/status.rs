//! How far a model, rule set or parameter can be trusted as law.

use serde::{Deserialize, Serialize};

/// How much a model or rule set can be trusted as law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Published by the competent authority, reproduced exactly.
    Official,
    /// Made up to show the mechanics; not an authority's numbers.
    Illustrative,
    /// Estimated by `incrocio fit` on data.
    Fitted,
}

/// How trustworthy a rule or parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParamStatus {
    /// Read in the cited act.
    Read,
    /// The act was read only in part; the value is the best reading and must be checked.
    Partial,
    /// Not read: deduced; must be checked against the act.
    Inferred,
}
