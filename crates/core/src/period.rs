//! Periods and the counting of time between dates: suspensions of the unemployment status,
//! unemployment from a DID, whole months and years.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{FieldReason, InputError};

type FieldResult<T> = Result<T, InputError>;

fn err(field: &str, reason: FieldReason) -> InputError {
    InputError::new(field, reason)
}

/// A suspension of the unemployment status (short job): its days do not count as unemployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Sospensione {
    /// First day suspended.
    pub dal: NaiveDate,
    /// Last day suspended (inclusive); absent while the suspension is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub al: Option<NaiveDate>,
}

/// Checks suspension periods as given: each ends no earlier than it starts, and no two
/// overlap (an open one overlaps everything after it). The reason names the periods by their
/// position in the order given.
pub fn check_suspension_periods(s: &[Sospensione]) -> Result<(), String> {
    // Periods come sorted almost always (and always from `checked_suspensions`): no allocation.
    if s.is_sorted_by_key(|x| x.dal) {
        return check_in_order(s.iter().enumerate());
    }
    let mut order: Vec<usize> = (0..s.len()).collect();
    order.sort_by_key(|&i| s[i].dal);
    check_in_order(order.into_iter().map(|i| (i, &s[i])))
}

/// Checks periods visited in start order, each with its position as given.
fn check_in_order<'a>(
    periods: impl Iterator<Item = (usize, &'a Sospensione)>,
) -> Result<(), String> {
    let mut periods = periods.peekable();
    while let Some((i, x)) = periods.next() {
        if x.al.is_some_and(|al| al < x.dal) {
            return Err(format!("period {i} ends before it starts"));
        }
        if let Some(&(j, next)) = periods.peek()
            && x.al.is_none_or(|al| al >= next.dal)
        {
            return Err(format!("periods {i} and {j} overlap"));
        }
    }
    Ok(())
}

/// Formats suspensions the way flat files carry them: `dal/al;dal/al` (`al` empty while open).
pub fn format_suspensions(s: &[Sospensione]) -> String {
    let mut out = String::new();
    for (i, x) in s.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(&x.dal.to_string());
        out.push('/');
        if let Some(al) = x.al {
            out.push_str(&al.to_string());
        }
    }
    out
}

/// Parses the flat-file form written by [`format_suspensions`].
pub fn parse_suspensions(text: &str) -> FieldResult<Vec<Sospensione>> {
    let bad = || {
        err(
            "Sospensioni",
            FieldReason::Malformed {
                value: text.to_owned(),
                expected: "periods `YYYY-MM-DD/YYYY-MM-DD` separated by `;`",
            },
        )
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(';')
        .map(|p| {
            let (dal, al) = p.trim().split_once('/').ok_or_else(bad)?;
            let dal = dal.parse().map_err(|_| bad())?;
            let al = if al.is_empty() {
                None
            } else {
                Some(al.parse().map_err(|_| bad())?)
            };
            Ok(Sospensione { dal, al })
        })
        .collect()
}

/// Unemployment counted from a DID to a date, suspensions excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unemployment {
    /// Days from the DID to `as_of` (exclusive), less suspended days.
    pub days: i64,
    /// Suspended days in that window.
    pub suspended_days: i64,
    /// DID + `days`.
    pub effective_end: NaiveDate,
    /// Whole calendar months from the DID to `effective_end`.
    pub months: i64,
}

/// Counts unemployment from `did` to `as_of` (exclusive): days `[did, as_of)` less the
/// suspended days in that window; the months are whole calendar months from the DID to the
/// effective end (DID + counted days). `did` must not be after `as_of`.
pub fn unemployment_at(
    did: NaiveDate,
    sospensioni: &[Sospensione],
    as_of: NaiveDate,
) -> Unemployment {
    let elapsed = (as_of - did).num_days().max(0);
    let suspended: i64 = sospensioni
        .iter()
        .map(|s| {
            let end = s.al.map_or(as_of, |al| (al + Days::new(1)).min(as_of));
            (end - s.dal.max(did)).num_days().max(0)
        })
        .sum();
    let days = (elapsed - suspended).max(0);
    let effective_end = did + Days::new(days as u64);
    Unemployment {
        days,
        suspended_days: suspended,
        effective_end,
        months: whole_months(did, effective_end),
    }
}

/// Whole years from `from` to `to` (birthday on 29 February counts on 1 March in common years).
pub fn whole_years(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// Whole calendar months from `from` to `to` (a month is complete on the same day-of-month).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut months =
        i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month());
    if to.day() < from.day() {
        months -= 1;
    }
    months.max(0)
}

/// A period, both days included; `al` absent while open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Periodo {
    /// First day.
    pub dal: NaiveDate,
    /// Last day (inclusive); absent while open.
    #[serde(default)]
    pub al: Option<NaiveDate>,
}
