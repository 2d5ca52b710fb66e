//! Riesame: recompute with corrected data and explain every move.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::applicant::Applicant;
use super::rank::Graduatoria;

/// A changed input field of one applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// Field name.
    pub field: String,
    /// Before, as the applicant's field (`null` when absent).
    pub before: serde_json::Value,
    /// After.
    pub after: serde_json::Value,
}

/// One applicant whose position, total or inclusion changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Move {
    /// Applicant id.
    pub applicant_id: String,
    /// Position before (`None`: excluded or absent).
    pub from: Option<u32>,
    /// Position after.
    pub to: Option<u32>,
    /// Total before.
    pub total_before: Option<String>,
    /// Total after.
    pub total_after: Option<String>,
    /// This applicant's own input changes.
    pub own_changes: Vec<FieldChange>,
    /// Why, in words.
    pub cause: String,
}

/// The diff between a graduatoria and its recomputation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Riesame {
    /// Input digest before.
    pub previous_input_digest: String,
    /// Input digest after.
    pub input_digest: String,
    /// Rule set before, `id@vN`.
    pub previous_rules: String,
    /// Rule set after.
    pub rules: String,
    /// Applicants whose input changed.
    pub corrected: Vec<String>,
    /// Every applicant whose position, total or inclusion changed, by new position.
    pub moves: Vec<Move>,
}

fn fields(a: &Applicant) -> BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(a) {
        Ok(serde_json::Value::Object(m)) => m.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

fn changes(before: Option<&Applicant>, after: Option<&Applicant>) -> Vec<FieldChange> {
    let (b, a) = (
        before.map(fields).unwrap_or_default(),
        after.map(fields).unwrap_or_default(),
    );
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let null = serde_json::Value::Null;
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange {
            field: k.clone(),
            before: b.get(k).unwrap_or(&null).clone(),
            after: a.get(k).unwrap_or(&null).clone(),
        })
        .collect()
}

/// Compares a previous graduatoria with its recomputation.
pub fn riesame(previous: &Graduatoria, current: &Graduatoria) -> Riesame {
    let prev_in: BTreeMap<&str, &Applicant> =
        previous.inputs.iter().map(|a| (a.id.as_str(), a)).collect();
    let cur_in: BTreeMap<&str, &Applicant> =
        current.inputs.iter().map(|a| (a.id.as_str(), a)).collect();
    let pos = |g: &Graduatoria| -> BTreeMap<String, (u32, String)> {
        g.ranking
            .iter()
            .map(|r| (r.applicant_id.clone(), (r.position, r.total.to_string())))
            .collect()
    };
    let (prev_pos, cur_pos) = (pos(previous), pos(current));
    let mut ids: Vec<&str> = prev_in.keys().chain(cur_in.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let corrected: Vec<String> = ids
        .iter()
        .filter(|id| prev_in.get(*id) != cur_in.get(*id))
        .map(|id| (*id).to_owned())
        .collect();
    let rules_changed = previous.rules != current.rules;
    let mut moves: Vec<Move> = ids
        .iter()
        .filter_map(|id| {
            let (before, after) = (prev_pos.get(*id), cur_pos.get(*id));
            if before == after {
                return None;
            }
            let own = changes(prev_in.get(id).copied(), cur_in.get(id).copied());
            let cause = if !own.is_empty() {
                let f: Vec<&str> = own.iter().map(|c| c.field.as_str()).collect();
                format!("own input corrected: {}", f.join(", "))
            } else if rules_changed {
                "rule set changed".to_owned()
            } else {
                format!("others' corrections: {}", corrected.join(", "))
            };
            Some(Move {
                applicant_id: (*id).to_owned(),
                from: before.map(|b| b.0),
                to: after.map(|a| a.0),
                total_before: before.map(|b| b.1.clone()),
                total_after: after.map(|a| a.1.clone()),
                own_changes: own,
                cause,
            })
        })
        .collect();
    moves.sort_by(|x, y| {
        (x.to.is_none(), x.to, &x.applicant_id).cmp(&(y.to.is_none(), y.to, &y.applicant_id))
    });
    Riesame {
        previous_input_digest: previous.input_digest.clone(),
        input_digest: current.input_digest.clone(),
        previous_rules: format!("{}@v{}", previous.rules.id, previous.rules.version),
        rules: format!("{}@v{}", current.rules.id, current.rules.version),
        corrected,
        moves,
    }
}
