//! Periods and the counting of time between dates: suspensions of the unemployment status,
//! unemployment from a DID, whole months and years.

use chrono::{Datelike, Days, Months, NaiveDate};
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

/// A period of days, both ends included, `al` absent while open: what the counting and the
/// checks read of a [`Sospensione`] (a profile record's, ANPAL's field names) and of a
/// [`Periodo`] (a candidate's or vacancy's), so each rule has one implementation for both.
pub trait Span {
    /// The first day.
    fn dal(&self) -> NaiveDate;
    /// The last day (inclusive), absent while open.
    fn al(&self) -> Option<NaiveDate>;
}

impl Span for Sospensione {
    fn dal(&self) -> NaiveDate {
        self.dal
    }
    fn al(&self) -> Option<NaiveDate> {
        self.al
    }
}

impl Span for Periodo {
    fn dal(&self) -> NaiveDate {
        self.dal
    }
    fn al(&self) -> Option<NaiveDate> {
        self.al
    }
}

/// Checks periods as given: each ends no earlier than it starts, and no two overlap (an open
/// one overlaps everything after it). The reason names the periods by their position in the
/// order given.
pub fn check_suspension_periods<S: Span>(s: &[S]) -> Result<(), String> {
    // Periods come sorted almost always (and always from `checked_suspensions`): no allocation.
    if s.is_sorted_by_key(Span::dal) {
        return check_in_order(s.iter().enumerate());
    }
    let mut order: Vec<usize> = (0..s.len()).collect();
    order.sort_by_key(|&i| s[i].dal());
    check_in_order(order.into_iter().map(|i| (i, &s[i])))
}

/// Checks periods visited in start order, each with its position as given.
fn check_in_order<'a, S: Span + 'a>(
    periods: impl Iterator<Item = (usize, &'a S)>,
) -> Result<(), String> {
    let mut periods = periods.peekable();
    while let Some((i, x)) = periods.next() {
        if x.al().is_some_and(|al| al < x.dal()) {
            return Err(format!("period {i} ends before it starts"));
        }
        if let Some(&(j, next)) = periods.peek()
            && x.al().is_none_or(|al| al >= next.dal())
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
///
/// The one count of unemployment, for profiling, graduatorie and the offerta congrua alike.
pub fn unemployment_at<S: Span>(
    did: NaiveDate,
    sospensioni: &[S],
    as_of: NaiveDate,
) -> Unemployment {
    let elapsed = (as_of - did).num_days().max(0);
    let suspended = days_within(sospensioni.iter().map(|s| (s.dal(), s.al())), did, as_of);
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

/// Whole calendar months from `from` to `to`; 0 when `to` is not after `from`.
///
/// The one month count of every rule (profiling, graduatorie, offerta congrua, experience
/// durations), read as art. 2963 c. 4 c.c. reads a term of months: the k-th month is complete
/// on the day of the k-th following month that bears `from`'s number, or, when that month has
/// no such day, on its last day. So 15 January → 15 February is one month, and so is
/// 31 January → 28 February (29 in a leap year); 31 January → 27 February is none.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> i64 {
    if to <= from {
        return 0;
    }
    let months = (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month())
        - i64::from(from.month());
    // Those months end in `to`'s month, on `from`'s day or, when the month is shorter, on its
    // last day: not yet complete only when `to` is before that day, so before `from`'s day
    // and not the month's last day. (Closed form of adding months one at a time: no calendar
    // arithmetic on the batch's hot path; the test below checks the two agree.)
    let last_day = to.succ_opt().is_none_or(|next| next.day() == 1);
    if to.day() < from.day() && !last_day {
        months - 1
    } else {
        months
    }
}

/// The date `months` calendar months after `from`, read as [`whole_months`] reads them (the
/// last day of a month that lacks `from`'s day); `None` past the calendar.
pub fn months_after(from: NaiveDate, months: u32) -> Option<NaiveDate> {
    from.checked_add_months(Months::new(months))
}

/// The days of `periods` (suspensions, each `[dal, al]` with `al` inclusive, or open) that fall
/// in `[from, to)`. Periods must not overlap (checked where they are read).
pub fn days_within<'a>(
    periods: impl IntoIterator<Item = (NaiveDate, Option<NaiveDate>)> + 'a,
    from: NaiveDate,
    to: NaiveDate,
) -> i64 {
    periods
        .into_iter()
        .map(|(dal, al)| {
            let end = al.map_or(to, |al| (al + Days::new(1)).min(to));
            (end - dal.max(from)).num_days().max(0)
        })
        .sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Month ends, worked by hand from art. 2963 c. 4 c.c.: a month that lacks the starting
    /// day completes on its last day.
    #[test]
    fn whole_months_at_month_ends() {
        let cases = [
            ("2026-01-15", "2026-02-15", 1),
            ("2026-01-15", "2026-02-14", 0),
            // February has no 31st: the month completes on the 28th (29th in 2028).
            ("2026-01-31", "2026-02-28", 1),
            ("2026-01-31", "2026-02-27", 0),
            ("2028-01-31", "2028-02-28", 0),
            ("2028-01-31", "2028-02-29", 1),
            // Two months after 31 January is 31 March, not 28 March.
            ("2026-01-31", "2026-03-28", 1),
            ("2026-01-31", "2026-03-31", 2),
            ("2026-03-31", "2026-04-30", 1),
            ("2026-01-30", "2026-02-28", 1),
            ("2025-12-31", "2026-12-31", 12),
            ("2025-12-31", "2026-12-30", 11),
            ("2026-05-10", "2026-05-10", 0),
            ("2026-05-10", "2026-04-10", 0),
        ];
        for (from, to, months) in cases {
            assert_eq!(whole_months(d(from), d(to)), months, "{from} → {to}");
        }
    }

    /// The count agrees with adding months one at a time (the reading it states), on every
    /// pair of days of two years.
    #[test]
    fn whole_months_is_the_largest_k_whose_k_months_end_by_to() {
        let start = d("2027-01-01");
        for a in 0..730 {
            let from = start + Days::new(a);
            for b in [0u64, 1, 27, 28, 29, 30, 31, 59, 60, 61, 365, 366] {
                let to = from + Days::new(b);
                let mut k = 0;
                while months_after(from, k + 1).is_some_and(|e| e <= to) {
                    k += 1;
                }
                assert_eq!(whole_months(from, to), i64::from(k), "{from} → {to}");
            }
        }
    }

    #[test]
    fn suspended_days_are_counted_once_within_the_window() {
        // DID 15 Jan, 1–10 Mar suspended: 10 days; from 15 Jan to 25 Jul, 191 days elapse, 181
        // count, and the count ends on 15 Jul: 6 months.
        let s = [Sospensione {
            dal: d("2026-03-01"),
            al: Some(d("2026-03-10")),
        }];
        let u = unemployment_at(d("2026-01-15"), &s, d("2026-07-25"));
        assert_eq!(
            (u.days, u.suspended_days, u.effective_end, u.months),
            (181, 10, d("2026-07-15"), 6)
        );
        // An open suspension counts to the day before `as_of`.
        let open = [(d("2026-07-20"), None)];
        assert_eq!(days_within(open, d("2026-01-15"), d("2026-07-25")), 5);
    }
}
