//! Service-deadline indicators computed from the decision log: for each deadline of the
//! versioned deadline file (`data/indicatori/`), how many cases, how many within the deadline,
//! the median days, the overdue cases, each tagged with its LEP letter and SAP activity code
//! (DM 4/2018, Allegato B); the profiling deadline also by profiling class.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::esiti::{Esito, SentRosa};
use super::{Kind, Record};
use incrocio_core::error::{Error, Result};

/// Most overdue cases listed per indicator (the count is always whole).
pub const MAX_LISTED: usize = 100;

/// One deadline of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// Id (`rosa_entro_20`).
    pub id: String,
    /// What it asks, in the standard's words.
    pub what: String,
    /// Days allowed.
    pub days: i64,
    /// The event it runs from.
    pub from: String,
    /// The event that meets it.
    pub to: String,
    /// Whether the log holds what it needs.
    pub computable: bool,
    /// When not computable: what is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Where the day count comes from.
    pub source: String,
    /// `read` in the source, or `inferred` from it.
    pub status: String,
    /// How it was read, when inferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The LEP letter of DM 4/2018 Allegato B.
    pub lep: String,
    /// The SAP activity code Allegato B gives the service.
    pub sap: String,
}

/// The deadline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// The deadlines.
    pub deadline: Vec<Deadline>,
    /// `sha256:` of the file.
    #[serde(skip)]
    pub digest: String,
}

impl Deadlines {
    /// The bundled file.
    pub fn bundled() -> Result<Deadlines> {
        let text = include_str!("../../../data/indicatori/scadenze.v1.toml");
        Self::parse("data/indicatori/scadenze.v1.toml", text)
    }

    /// Parses a deadline file.
    pub fn parse(file: &str, text: &str) -> Result<Deadlines> {
        let mut d: Deadlines = toml::from_str(text).map_err(|e| Error::data(file, e))?;
        d.digest = incrocio_core::digest::sha256_tagged(text.as_bytes());
        for x in &d.deadline {
            if x.days <= 0 {
                return Err(Error::data(
                    file,
                    format!("{}: days must be positive", x.id),
                ));
            }
            if x.status != "read" && x.status != "inferred" {
                return Err(Error::data(
                    file,
                    format!("{}: status must be `read` or `inferred`", x.id),
                ));
            }
        }
        Ok(d)
    }

    fn get(&self, id: &str) -> Option<&Deadline> {
        self.deadline.iter().find(|d| d.id == id)
    }
}

/// One indicator over a period.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Indicator {
    /// The deadline.
    pub deadline: Deadline,
    /// Cases whose deadline has started in the period.
    pub cases: u64,
    /// Met within the deadline.
    pub within: u64,
    /// Met late.
    pub late: u64,
    /// Not met yet, and the deadline has passed (on `today`).
    pub open_overdue: u64,
    /// Not met yet, deadline not passed.
    pub pending: u64,
    /// Median days to meet it, of the cases met.
    pub median_days: Option<f64>,
    /// The overdue cases (late or open), by id: rosa ids or person ids (at most 100).
    pub overdue: Vec<String>,
    /// By profiling class (the profiling deadline; empty for the others): class → (cases,
    /// within).
    pub by_class: BTreeMap<u8, (u64, u64)>,
}

/// The indicators of a period.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// First day (UTC) of the period.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The day open cases are judged on.
    pub today: NaiveDate,
    /// The deadline file: `id@vN`.
    pub deadlines: String,
    /// Its digest.
    pub deadlines_digest: String,
    /// The computable deadlines.
    pub indicators: Vec<Indicator>,
    /// The others, with what is missing.
    pub not_computable: Vec<Deadline>,
}

fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// Cases: (id, start day, day met if met, class).
type Case = (String, NaiveDate, Option<NaiveDate>, Option<u8>);

fn indicator(deadline: &Deadline, cases: Vec<Case>, today: NaiveDate) -> Indicator {
    let mut ind = Indicator {
        deadline: deadline.clone(),
        cases: cases.len() as u64,
        within: 0,
        late: 0,
        open_overdue: 0,
        pending: 0,
        median_days: None,
        overdue: Vec::new(),
        by_class: BTreeMap::new(),
    };
    let mut days = Vec::new();
    for (id, start, met, class) in cases {
        let ok = match met {
            Some(m) => {
                let d = (m - start).num_days();
                days.push(d);
                if d <= deadline.days {
                    ind.within += 1;
                    true
                } else {
                    ind.late += 1;
                    false
                }
            }
            None if (today - start).num_days() > deadline.days => {
                ind.open_overdue += 1;
                false
            }
            None => {
                ind.pending += 1;
                true
            }
        };
        if !ok && ind.overdue.len() < MAX_LISTED {
            ind.overdue.push(id);
        }
        if let Some(c) = class {
            let e = ind.by_class.entry(c).or_default();
            e.0 += 1;
            e.1 += u64::from(ok && met.is_some());
        }
    }
    ind.median_days = median(&mut days);
    ind
}

fn day(at: &str) -> Option<NaiveDate> {
    at.get(..10)?.parse().ok()
}

/// The indicators of the cases whose deadline started between `from` and `to` (inclusive),
/// judged on `today`.
pub fn report(
    records: &[Record],
    deadlines: &Deadlines,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Report {
    let in_period = |d: NaiveDate| from <= d && d <= to;
    let mut indicators = Vec::new();
    // Rosas and the day their first esito was recorded.
    let mut rosas: Vec<SentRosa> = Vec::new();
    let mut first_esito: HashMap<String, NaiveDate> = HashMap::new();
    // First profile per person: (profiled day, DID, class).
    let mut first_profile: BTreeMap<String, (NaiveDate, Option<NaiveDate>, u8)> = BTreeMap::new();
    for r in records {
        match r.decision.kind {
            Kind::Rosa => rosas.extend(SentRosa::from_record(r)),
            Kind::Esito => {
                if let (Some(e), Some(d)) = (Esito::from_record(r), day(&r.at)) {
                    first_esito.entry(e.rosa_id).or_insert(d);
                }
            }
            Kind::Profile => {
                let res = &r.decision.result;
                let profiled = res
                    .get("profiled_at")
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.parse().ok());
                let did = res
                    .get("data_did")
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.parse().ok());
                let class = res.get("class").and_then(serde_json::Value::as_u64);
                if let (Some(p), Some(person), Some(c)) =
                    (profiled, r.decision.people.first(), class)
                {
                    first_profile
                        .entry(person.clone())
                        .or_insert((p, did, c as u8));
                }
            }
            _ => {}
        }
    }
    if let Some(d) = deadlines.get("rosa_entro_20") {
        let cases = rosas
            .iter()
            .filter_map(|r| {
                let asked = r.data_richiesta?;
                in_period(asked).then(|| (r.rosa_id.clone(), asked, Some(r.generated_on), None))
            })
            .collect();
        indicators.push(indicator(d, cases, today));
    }
    if let Some(d) = deadlines.get("esiti_entro_15") {
        let cases = rosas
            .iter()
            .filter(|r| in_period(r.generated_on))
            .map(|r| {
                (
                    r.rosa_id.clone(),
                    r.generated_on,
                    first_esito.get(&r.rosa_id).copied(),
                    None,
                )
            })
            .collect();
        indicators.push(indicator(d, cases, today));
    }
    if let Some(d) = deadlines.get("profilazione_entro_60") {
        let cases = first_profile
            .into_iter()
            .filter_map(|(person, (profiled, did, class))| {
                let did = did?;
                in_period(did).then_some((person, did, Some(profiled), Some(class)))
            })
            .collect();
        indicators.push(indicator(d, cases, today));
    }
    Report {
        from,
        to,
        today,
        deadlines: format!("{}@v{}", deadlines.id, deadlines.version),
        deadlines_digest: deadlines.digest.clone(),
        indicators,
        not_computable: deadlines
            .deadline
            .iter()
            .filter(|d| !d.computable)
            .cloned()
            .collect(),
    }
}

/// The indicators of the log in `dir` under the bundled deadlines.
pub fn for_log(
    dir: &std::path::Path,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    cancel: &incrocio_core::cancel::Cancel,
) -> Result<Report> {
    let deadlines = Deadlines::bundled()?;
    let records = super::scan_all(dir, cancel)?;
    Ok(report(&records, &deadlines, from, to, today))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_deadlines_load_with_their_lep_codes() {
        let d = Deadlines::bundled().unwrap();
        let rosa = d.get("rosa_entro_20").unwrap();
        assert_eq!(
            (rosa.days, rosa.lep.as_str(), rosa.sap.as_str()),
            (20, "Q", "B03")
        );
        let p = d.get("profilazione_entro_60").unwrap();
        assert_eq!((p.lep.as_str(), p.sap.as_str()), ("B", "A01"));
    }

    #[test]
    fn cases_are_within_late_open_or_pending() {
        let d = Deadline {
            id: "x".into(),
            what: String::new(),
            days: 15,
            from: String::new(),
            to: String::new(),
            computable: true,
            missing: None,
            source: String::new(),
            status: "read".into(),
            note: None,
            lep: "Q".into(),
            sap: "B03".into(),
        };
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let cases = vec![
            ("a".into(), day("2026-11-01"), Some(day("2026-11-16")), None), // 15 days: within
            ("b".into(), day("2026-11-01"), Some(day("2026-11-17")), None), // 16: late
            ("c".into(), day("2026-11-01"), None, None),                    // open, overdue
            ("d".into(), day("2026-11-25"), None, None),                    // pending
        ];
        let i = indicator(&d, cases, day("2026-12-02"));
        assert_eq!(
            (i.cases, i.within, i.late, i.open_overdue, i.pending),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(i.median_days, Some(15.5));
        assert_eq!(i.overdue, ["b", "c"]);
    }
}
