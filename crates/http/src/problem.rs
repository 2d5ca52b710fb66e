//! RFC 7807 problem details: the only place that maps errors to HTTP status codes.
//!
//! A 4xx names what is wrong (`field`, `reason`, where known `record_id`); a 5xx says only that
//! the service failed and carries the request id, the detail being logged once inside the
//! request span.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use incrocio_core::error::Error;
pub use incrocio_core::error::RecordProblem;

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem response body (RFC 7807), with the fields incrocio adds.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:incrocio:problem:<kind>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, in words.
    pub detail: String,
    /// The offending field (JSON path, e.g. `records[1].DataDID`), for input problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why the field was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The id of the record at fault, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// The scope the route needs (403).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<String>,
    /// Seconds to wait before retrying (503).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// Every invalid record of a batch, in order (an RFC 9457 extension member).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RecordProblem>,
}

impl Problem {
    fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:incrocio:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            reason: None,
            record_id: None,
            required_scope: None,
            retry_after: None,
            errors: Vec::new(),
        }
    }

    /// 400: the body is not the JSON the route takes.
    pub fn malformed(field: String, reason: String) -> Problem {
        let mut p = Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "Malformed request body",
            format!("the body does not parse at `{field}`: {reason}"),
        );
        p.field = Some(field);
        p.reason = Some(reason);
        p
    }

    /// 415: the body is not declared as a type the route takes (`accepted`, in words).
    pub fn unsupported_media_type(given: &str, accepted: &str) -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("the body must be sent as `Content-Type: {accepted}`, not `{given}`"),
        )
    }

    /// 415: the media type's `charset`, or the body's content coding, is not one the body is
    /// read in.
    pub fn unsupported_charset(detail: String) -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    /// 400: bytes that are not an HTTP/1.1 request head.
    pub fn not_http() -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            "not an HTTP/1.1 request head",
        )
    }

    /// 431: the request head is larger than the service reads.
    pub fn head_too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header-fields-too-large",
            "Request header fields too large",
            format!("the request head exceeds {limit} bytes"),
        )
    }

    /// 414: the request target is longer than the service reads.
    pub fn uri_too_long(limit: usize) -> Problem {
        Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            "URI too long",
            format!("the request target exceeds {limit} bytes"),
        )
    }

    /// 422 on a named field (path or query parameters too).
    pub fn invalid(field: &str, reason: impl Into<String>) -> Problem {
        let reason = reason.into();
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "Invalid field",
            format!("field `{field}`: {reason}"),
        );
        p.field = Some(field.to_owned());
        p.reason = Some(reason);
        p
    }

    /// 401: no key, or a key the service does not know.
    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or unknown API key",
            detail,
        )
    }

    /// 403: the key lacks the route's scope.
    pub fn forbidden(scope: &str) -> Problem {
        let mut p = Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "API key lacks the scope",
            format!("this route needs the `{scope}` scope"),
        );
        p.required_scope = Some(scope.to_owned());
        p
    }

    /// 404.
    pub fn not_found(what: &str) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", what)
    }

    /// 413.
    pub fn too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "Request body too large",
            format!("the body exceeds {limit} bytes"),
        )
    }

    /// 503 with `Retry-After`: the work queue is full.
    pub fn busy() -> Problem {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Service busy",
            "the work queue is full; retry after the indicated delay",
        );
        p.retry_after = Some(1);
        p
    }

    /// 412: `If-Match` names another version than the stored one.
    pub fn precondition_failed(current: Option<&str>, none_match: bool) -> Problem {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition failed",
            &match (current, none_match) {
                (Some(etag), true) => format!(
                    "If-None-Match: a record with this id is stored (its ETag is {etag}), so it was not overwritten"
                ),
                (Some(etag), false) => format!(
                    "If-Match does not name the stored version (its ETag is {etag}); read it again"
                ),
                (None, _) => "If-Match names a version, but no record has this id".to_owned(),
            },
        )
    }

    /// 503: the request ran past the per-request timeout.
    pub fn timeout(ms: u64) -> Problem {
        Problem::timed_out(format!(
            "the request did not finish within {ms} ms; a candidate write may still be applied (PUT is idempotent: retry it)"
        ))
    }

    /// 503 `timeout` with `Retry-After`.
    fn timed_out(detail: impl Into<String>) -> Problem {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "Request timed out",
            detail,
        );
        p.retry_after = Some(1);
        p
    }

    /// 500: no internal detail.
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the service failed; the request id identifies the log entry",
        )
    }

    /// The status code.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Problem {
        match e {
            Error::Input(i) => {
                let mut p = Problem::invalid(&i.field, i.reason.to_string());
                p.record_id = i.record_id;
                p
            }
            Error::Records(all) => {
                let Some(first) = all.first() else {
                    return Problem::internal();
                };
                let mut p = Problem::invalid(&first.field, first.reason.to_string());
                p.record_id.clone_from(&first.record_id);
                p.detail = format!(
                    "{} records are invalid (all listed in `errors`); nothing was profiled",
                    all.len()
                );
                p.errors = all.iter().map(RecordProblem::of).collect();
                p
            }
            Error::NoDecisionLog => Problem::new(
                StatusCode::CONFLICT,
                "no-decision-log",
                "No decision log",
                "this service keeps no decision log (set `decisions` in its configuration)",
            ),
            Error::NoIndex => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no-index",
                "No candidate index",
                "this server was started without a candidate index (config `index`)",
            ),
            Error::NoVacancies => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no-vacancies",
                "No vacancy board",
                "this server was started without a vacancy board (config `vacancies`)",
            ),
            Error::Cancelled => {
                Problem::timed_out("the computation was stopped at the request's time limit")
            }
            e @ (Error::Model(_) | Error::Io { .. } | Error::Data { .. } | Error::Panic(_)) => {
                tracing::error!(error = %e, "request failed");
                Problem::internal()
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let retry = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = retry {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"incrocio\""),
            );
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incrocio_core::error::{FieldReason, InputError};

    #[test]
    fn input_errors_are_422_naming_field_and_record() {
        let e = Error::Input(InputError::new("DataDID", FieldReason::Missing).with_record("P7"));
        let p = Problem::from(e);
        assert_eq!(p.status, 422);
        assert_eq!(p.field.as_deref(), Some("DataDID"));
        assert_eq!(p.reason.as_deref(), Some("missing"));
        assert_eq!(p.record_id.as_deref(), Some("P7"));
    }

    #[test]
    fn internal_errors_carry_no_detail() {
        let e = Error::data("/secret/path", "disk on fire");
        let p = Problem::from(e);
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("secret") && !p.detail.contains("fire"));
    }
}
