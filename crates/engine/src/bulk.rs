//! Bulk upkeep: many candidate (or vacancy) writes in one request, each item checked on its own
//! and answered in order; and the cursor over candidate ids.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Engine;
use incrocio_core::cancel::Cancel;
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_matching::{Candidate, CandidateRecord, Vacancy, VacancyRecord};

/// Most items one bulk request may carry, unless the server configures another bound.
pub const DEFAULT_BULK_MAX_ITEMS: usize = 10_000;

/// Most ids one page of the candidate cursor returns.
pub const MAX_PAGE: usize = 1_000;

/// The body of a bulk request.
#[derive(Debug, Clone, Copy)]
pub enum BulkInput<'a> {
    /// A JSON array of records and `{"delete": "ID"}` objects.
    Json(&'a [u8]),
    /// JSON lines: a record (add or replace) or `{"delete": "ID"}` per line; blank lines are
    /// skipped.
    Ndjson(&'a [u8]),
    /// SAP XML: one `lavoratore` or a `lavoratori` batch (candidates only).
    Sap(&'a [u8]),
}

/// One item of a bulk request, checked.
#[derive(Debug)]
pub enum BulkItem<T> {
    /// Add or replace.
    Upsert(Box<T>),
    /// Remove by id.
    Delete(String),
    /// Refused: nothing is written for it.
    Invalid {
        /// The id, when it could be read.
        id: Option<String>,
        /// What is wrong (the field is the item's JSON path or the SAP element's XPath).
        error: InputError,
    },
}

impl<T> BulkItem<T> {
    /// The id the item concerns, when known.
    pub fn id<'a>(&'a self, of: impl Fn(&'a T) -> &'a str) -> Option<&'a str> {
        match self {
            BulkItem::Upsert(t) => Some(of(t)),
            BulkItem::Delete(id) => Some(id),
            BulkItem::Invalid { id, .. } => id.as_deref(),
        }
    }
}

/// What became of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Added (the id was not held).
    Created,
    /// Replaced the record held under the id.
    Replaced,
    /// Removed.
    Deleted,
    /// A delete of an id not held: nothing changed.
    NotFound,
    /// Refused; `field` and `reason` say why. Nothing was written for it.
    Invalid,
}

/// One item's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkItemResult {
    /// 0-based position in the request (line, blank lines not counted; or `lavoratore`).
    pub index: usize,
    /// The id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What happened.
    pub result: BulkOutcome,
    /// With `invalid`: the field (JSON path in the item, or the SAP element's XPath).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `invalid`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a bulk request: every item in order, and the totals. Everything written is
/// durable (and, for candidates, visible to shortlists) when this is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkResponse {
    /// One entry per item, in request order.
    pub items: Vec<BulkItemResult>,
    /// Items added.
    pub created: usize,
    /// Items that replaced a held record.
    pub replaced: usize,
    /// Items removed.
    pub deleted: usize,
    /// Deletes of ids not held.
    pub not_found: usize,
    /// Items refused.
    pub invalid: usize,
    /// Records held after the request (live candidates, or open vacancies).
    pub held: u64,
}

impl BulkResponse {
    /// Builds the answer from the items' results.
    pub fn of(items: Vec<BulkItemResult>, held: u64) -> BulkResponse {
        let count = |o: BulkOutcome| items.iter().filter(|i| i.result == o).count();
        BulkResponse {
            created: count(BulkOutcome::Created),
            replaced: count(BulkOutcome::Replaced),
            deleted: count(BulkOutcome::Deleted),
            not_found: count(BulkOutcome::NotFound),
            invalid: count(BulkOutcome::Invalid),
            items,
            held,
        }
    }
}

/// Non-blank lines of a JSON-lines body.
pub fn ndjson_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
}

fn at(index: usize, path: &str) -> String {
    if path == "." || path.is_empty() {
        format!("[{index}]")
    } else {
        format!("[{index}].{path}")
    }
}

/// Reads one JSON line: a delete, or a record of type `R` checked by `check`.
fn line<R, T>(
    bytes: &[u8],
    index: usize,
    check: impl Fn(R) -> std::result::Result<T, InputError>,
    id_of: impl Fn(&R) -> String,
) -> BulkItem<T>
where
    R: serde::de::DeserializeOwned,
{
    match incrocio_core::json::value_from_slice(bytes) {
        Ok(v) => item(v, index, check, id_of),
        Err(e) => BulkItem::Invalid {
            id: None,
            error: InputError::new(
                at(index, &e.path),
                FieldReason::Malformed {
                    value: e.reason,
                    expected: "one JSON object per line",
                },
            ),
        },
    }
}

/// One item: `{"delete": "ID"}`, or a record of type `R` checked by `check`.
fn item<R, T>(
    value: serde_json::Value,
    index: usize,
    check: impl Fn(R) -> std::result::Result<T, InputError>,
    id_of: impl Fn(&R) -> String,
) -> BulkItem<T>
where
    R: serde::de::DeserializeOwned,
{
    let raw_id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
    if value.as_object().is_some_and(|m| m.contains_key("delete")) {
        return match incrocio_core::json::from_value::<BulkDelete>(value) {
            Ok(d) => match incrocio_core::error::check_id(&d.delete) {
                Ok(()) => BulkItem::Delete(d.delete),
                Err(reason) => BulkItem::Invalid {
                    id: None,
                    error: InputError::new(at(index, "delete"), reason),
                },
            },
            Err(e) => BulkItem::Invalid {
                id: None,
                error: InputError::new(at(index, &e.path), FieldReason::Inconsistent(e.reason)),
            },
        };
    }
    let record: R = match incrocio_core::json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            return BulkItem::Invalid {
                id: raw_id,
                error: InputError::new(at(index, &e.path), FieldReason::Inconsistent(e.reason)),
            };
        }
    };
    let id = id_of(&record);
    match check(record) {
        Ok(t) => BulkItem::Upsert(Box::new(t)),
        Err(mut e) => {
            e.field = at(index, &e.field);
            BulkItem::Invalid {
                id: Some(id),
                error: e,
            }
        }
    }
}

/// The items of a JSON array or JSON-lines body, each checked on its own.
fn json_or_lines<R, T>(
    input: BulkInput<'_>,
    check: impl Fn(R) -> std::result::Result<T, InputError> + Copy,
    id_of: impl Fn(&R) -> String + Copy,
    cancel: &Cancel,
) -> Result<Vec<BulkItem<T>>>
where
    R: serde::de::DeserializeOwned,
{
    // The request's time limit stops the checking between items.
    let checked = |i: usize, it: BulkItem<T>| -> Result<BulkItem<T>> {
        if i.is_multiple_of(64) {
            cancel.check()?;
        }
        Ok(it)
    };
    let items: Vec<BulkItem<T>> = match input {
        BulkInput::Json(bytes) => json_items(bytes)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| checked(i, item(v, i, check, id_of)))
            .collect::<Result<_>>()?,
        BulkInput::Ndjson(bytes) => ndjson_lines(bytes)
            .enumerate()
            .map(|(i, l)| checked(i, line(l, i, check, id_of)))
            .collect::<Result<_>>()?,
        BulkInput::Sap(_) => {
            return Err(Error::Input(InputError::new(
                "(body)",
                FieldReason::Inconsistent("this record has no XML form".into()),
            )));
        }
    };
    // A request that asks nothing is a mistake of the caller (an empty file sent), not a
    // success with nothing done.
    if items.is_empty() {
        return Err(Error::Input(InputError::new(
            "(body)",
            FieldReason::Inconsistent(
                "no items: a bulk request holds at least one record or delete".into(),
            ),
        )));
    }
    Ok(items)
}

/// The items of a JSON body: an array of objects. Anything else refuses the whole request
/// (the body does not have the documented shape); the items are then checked one by one.
pub fn json_items(bytes: &[u8]) -> Result<Vec<serde_json::Value>> {
    let bad = |field: String, reason: &str| {
        Error::Input(InputError::new(
            field,
            FieldReason::Malformed {
                value: reason.to_owned(),
                expected: "a JSON array of objects (records, or {\"delete\": \"ID\"})",
            },
        ))
    };
    let v = incrocio_core::json::value_from_slice(bytes).map_err(|e| bad(e.path, &e.reason))?;
    let serde_json::Value::Array(items) = v else {
        return Err(bad("(body)".into(), "not an array"));
    };
    if let Some(i) = items.iter().position(|x| !x.is_object()) {
        return Err(bad(format!("[{i}]"), "not an object"));
    }
    Ok(items)
}

/// `{"delete": "ID"}`: a bulk item removing a record.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDelete {
    /// The id to remove.
    #[schemars(length(min = 1, max = 128))]
    pub delete: String,
}

/// A page of the candidate cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CandidatePage {
    /// The ids after `after`, in byte order, each with its record's ETag.
    pub candidates: Vec<CandidateRef>,
    /// Give this as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A candidate id and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CandidateRef {
    /// Candidate id.
    pub id: String,
    /// Its record's ETag (as `GET /v1/candidates/{id}` gives it).
    pub etag: String,
}

impl Engine {
    /// Checks the items of a candidate bulk request, in order; nothing is written.
    pub fn bulk_candidates(
        &self,
        input: BulkInput<'_>,
        today: NaiveDate,
        cancel: &Cancel,
    ) -> Result<Vec<BulkItem<Candidate>>> {
        let latest = self.index.as_ref().map_or(today, |i| i.as_of().max(today));
        let check = |r: CandidateRecord| {
            r.validate(
                self.reference,
                self.taxonomy(),
                latest,
                &self.matching.titles,
            )
        };
        let id_of = |r: &CandidateRecord| r.id.clone();
        match input {
            BulkInput::Json(_) | BulkInput::Ndjson(_) => json_or_lines(input, check, id_of, cancel),
            BulkInput::Sap(text) => Ok(self
                .sap_candidates(text, today, cancel)?
                .into_iter()
                .map(|r| match r {
                    Ok(imported) => BulkItem::Upsert(Box::new(imported.candidate)),
                    Err(e) => BulkItem::Invalid {
                        id: e.record_id.clone(),
                        error: e,
                    },
                })
                .collect()),
        }
    }

    /// Checks the items of a vacancy bulk request (JSON lines or a JSON array), in order;
    /// nothing is written.
    pub fn bulk_vacancies(
        &self,
        input: BulkInput<'_>,
        cancel: &Cancel,
    ) -> Result<Vec<BulkItem<Vacancy>>> {
        let check = |r: VacancyRecord| self.vacancy_valid(r);
        let id_of = |r: &VacancyRecord| r.id.clone();
        json_or_lines(input, check, id_of, cancel)
    }

    /// A page of the candidate ids after `after` (exclusive), at most `limit` (1 to
    /// [`MAX_PAGE`]).
    pub fn candidate_page(&self, after: Option<&str>, limit: usize) -> Result<CandidatePage> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::Input(InputError::new(
                "limit",
                FieldReason::OutOfRange {
                    value: limit.to_string(),
                    range: "1 to 1,000",
                },
            )));
        }
        let index = self.require_index()?;
        let ids = index.ids_after(after, limit)?;
        let next = (ids.len() == limit).then(|| ids.last().cloned()).flatten();
        let mut candidates = Vec::with_capacity(ids.len());
        for id in ids {
            // A candidate deleted between the two reads is left out of the page.
            if let Some(r) = index.get(&id)? {
                candidates.push(CandidateRef {
                    etag: incrocio_matching::candidate::etag(&r),
                    id,
                });
            }
        }
        Ok(CandidatePage { candidates, next })
    }
}
