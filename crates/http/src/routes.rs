//! The route table and the handlers. Each handler only translates: it takes the parsed body,
//! runs one [`Engine`](incrocio_engine::Engine) method on the work queue and wraps the result.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::Caller;
use axum::routing::{MethodRouter, delete, get, post, put};
use schemars::generate::SchemaGenerator;

use super::config::Scope;
use super::openapi::{self, Operation};
use super::problem::Problem;
use super::queue::{Conditions, NoneMatch, WriteOp};
use super::state::AppState;
use incrocio_engine::api::{
    CandidateRecord, EsitiRequest, Esito, Override, OverrideRequest, Receipt, Record, VacancyRecord,
};
use incrocio_engine::{
    CandidateWritten, Decided, GraduatoriaCall, OffersRequest, ProfilingRequest, RiesameCall,
    ShortlistRequest, VacancyWritten,
};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key (health probes).
    Open,
    /// Any valid key.
    AnyKey,
    /// A key with this scope.
    Scoped(Scope),
    /// Nobody: a method the table does not list for a route.
    Denied,
}

/// One route: its method and path, who may call it, the handler, and its OpenAPI operation.
/// The router ([`super::router`]), the access check and the OpenAPI document are all built
/// from [`ROUTES`], so a route cannot be served without a declared access rule and a
/// documented operation.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path, axum syntax (`/v1/candidates/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Operation id.
    pub operation: &'static str,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// The handler, as a method router for `method`.
    pub handler: fn() -> MethodRouter<AppState>,
    /// The operation's request and answers.
    pub doc: fn(&mut SchemaGenerator) -> Operation,
    /// Its query parameters.
    pub query: fn() -> Vec<serde_json::Value>,
}

/// Every route of the service.
pub const ROUTES: [RouteSpec; 27] = [
    RouteSpec {
        method: Method::POST,
        path: "/v1/profiling",
        access: Access::Scoped(Scope::Profiling),
        operation: "profile",
        summary: "Profile one or many DID/SAP records: index, class, contributions, AdR, provenance",
        handler: || post(profile),
        doc: openapi::doc_profile,
        query: openapi::query_profile,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/shortlists",
        access: Access::Scoped(Scope::Shortlists),
        operation: "shortlist",
        summary: "The rosa for a vacancy: hard rules, explained scores, eligible count, narrowing suggestions",
        handler: || post(shortlist),
        doc: openapi::doc_shortlist,
        query: openapi::query_shortlist,
    },
    RouteSpec {
        method: Method::PUT,
        path: "/v1/candidates/{id}",
        access: Access::Scoped(Scope::CandidatesWrite),
        operation: "putCandidate",
        summary: "Add or replace a candidate; answered once durable and visible to shortlists",
        handler: || put(put_candidate),
        doc: openapi::doc_put_candidate,
        query: openapi::query_if_match,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/candidates:bulk",
        access: Access::Scoped(Scope::CandidatesWrite),
        operation: "bulkCandidates",
        summary: "Add, replace or remove many candidates (JSON lines or SAP XML); each item answered in order, all written durable and visible before the answer",
        handler: || post(bulk_candidates),
        doc: openapi::doc_bulk_candidates,
        query: openapi::query_bulk,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/candidates",
        access: Access::Scoped(Scope::CandidatesRead),
        operation: "listCandidates",
        summary: "The candidate ids after a cursor, in byte order, with their ETags (a stable cursor for reconciliation)",
        handler: || get(list_candidates),
        doc: openapi::doc_list_candidates,
        query: openapi::query_page,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/vacancies:bulk",
        access: Access::Scoped(Scope::VacanciesWrite),
        operation: "bulkVacancies",
        summary: "Add, replace or remove many vacancies (JSON lines); each item answered in order, all written durable before the answer",
        handler: || post(bulk_vacancies),
        doc: openapi::doc_bulk_vacancies,
        query: openapi::query_bulk,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/candidates/{id}",
        access: Access::Scoped(Scope::CandidatesRead),
        operation: "getCandidate",
        summary: "A candidate's record as last written",
        handler: || get(get_candidate),
        doc: openapi::doc_get_candidate,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/v1/candidates/{id}",
        access: Access::Scoped(Scope::CandidatesWrite),
        operation: "deleteCandidate",
        summary: "Remove a candidate; answered once durable",
        handler: || delete(delete_candidate),
        doc: openapi::doc_delete_candidate,
        query: openapi::query_if_match,
    },
    RouteSpec {
        method: Method::PUT,
        path: "/v1/vacancies/{id}",
        access: Access::Scoped(Scope::VacanciesWrite),
        operation: "putVacancy",
        summary: "Add or replace an open vacancy; answered once durable and visible to offers",
        handler: || put(put_vacancy),
        doc: openapi::doc_put_vacancy,
        query: openapi::query_if_match,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/vacancies/{id}",
        access: Access::Scoped(Scope::Offers),
        operation: "getVacancy",
        summary: "A vacancy's record as last written",
        handler: || get(get_vacancy),
        doc: openapi::doc_get_vacancy,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/v1/vacancies/{id}",
        access: Access::Scoped(Scope::VacanciesWrite),
        operation: "deleteVacancy",
        summary: "Close a vacancy (remove it from the board); answered once durable",
        handler: || delete(delete_vacancy),
        doc: openapi::doc_delete_vacancy,
        query: openapi::query_if_match,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/offers",
        access: Access::Scoped(Scope::Offers),
        operation: "offers",
        summary: "The open vacancies that fit a person, explained, each with its offerta congrua verdict (art. 25 D.Lgs. 150/2015)",
        handler: || post(offers),
        doc: openapi::doc_offers,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/skills/gap",
        // The same data as offers: a person against the open vacancies.
        access: Access::Scoped(Scope::Offers),
        operation: "skillsGap",
        summary: "A person's skills against the open vacancies within reach: the occupations they fit, the transitions a few skills away, the missing skills by the vacancies they would unlock (LEP C and E)",
        handler: || post(skills_gap),
        doc: openapi::doc_skills_gap,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/skills/territory",
        // Counts only (small ones suppressed), no person: the offers scope, like the gap.
        access: Access::Scoped(Scope::Offers),
        operation: "skillsTerritory",
        summary: "A province's demand (open vacancies) against its supply (active candidates) by occupation and skill, and its region's: shortage and surplus occupations, the most demanded skills least supplied",
        handler: || get(skills_territory),
        doc: openapi::doc_skills_territory,
        query: openapi::query_skills_territory,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/graduatorie",
        access: Access::Scoped(Scope::Graduatorie),
        operation: "graduatoria",
        summary: "Rank applicants under a Region's rule set, every row justified",
        handler: || post(graduatoria),
        doc: openapi::doc_graduatoria,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/graduatorie/riesame",
        access: Access::Scoped(Scope::Graduatorie),
        operation: "riesame",
        summary: "Recompute a graduatoria on corrected data and list what changed",
        handler: || post(riesame),
        doc: openapi::doc_riesame,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/profiles/{person_id}/override",
        access: Access::Scoped(Scope::Overrides),
        operation: "overrideProfile",
        summary: "An operator's override of a person's profiling class (profilazione qualitativa), recorded in the decision log",
        handler: || post(override_profile),
        doc: openapi::doc_override_profile,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/rosas/{rosa_id}/esiti",
        access: Access::Scoped(Scope::Shortlists),
        operation: "recordEsiti",
        summary: "Employers' outcomes (hired, rejected, not presented, declined) for people of a rosa sent, recorded in the decision log",
        handler: || post(esiti),
        doc: openapi::doc_record_esiti,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/indicators",
        access: Access::Scoped(Scope::Audit),
        operation: "indicators",
        summary: "Service-deadline indicators of a period (rosa within 20 days, esiti within 15, profiling within 60), with LEP and SAP codes",
        handler: || get(indicators),
        doc: openapi::doc_indicators,
        query: openapi::query_indicators,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/decisions",
        access: Access::Scoped(Scope::Audit),
        operation: "decisions",
        summary: "What the decision log holds about one person (ids, digests, classes, positions): for audits and access requests",
        handler: || get(decisions),
        doc: openapi::doc_decisions,
        query: openapi::query_decisions,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/occupations",
        access: Access::AnyKey,
        operation: "resolveTitle",
        summary: "The ESCO occupations a free-text job title may name, with confidences, and the one it resolves to",
        handler: || get(resolve_title),
        doc: openapi::doc_resolve_title,
        query: openapi::query_resolve_title,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/occupations/{code}/adjacent",
        access: Access::AnyKey,
        operation: "adjacentOccupations",
        summary: "An occupation's adjacent occupations by ESCO skill overlap (profili di prossimità)",
        handler: || get(adjacent_occupations),
        doc: openapi::doc_adjacent_occupations,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/models",
        access: Access::AnyKey,
        operation: "models",
        summary: "Every model and rule set with id, version, status and digest",
        handler: || get(models),
        doc: openapi::doc_models,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/healthz",
        access: Access::Open,
        operation: "healthz",
        summary: "Liveness",
        handler: || get(healthz),
        doc: openapi::doc_object,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/readyz",
        access: Access::Open,
        operation: "readyz",
        summary: "Readiness: models loaded, index open, writer running",
        handler: || get(readyz),
        doc: openapi::doc_readyz,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/metrics",
        access: Access::AnyKey,
        operation: "metrics",
        summary: "Prometheus metrics",
        handler: || get(metrics),
        doc: openapi::doc_metrics,
        query: openapi::no_query,
    },
    RouteSpec {
        method: Method::GET,
        path: "/openapi.json",
        access: Access::AnyKey,
        operation: "openapi",
        summary: "This document",
        handler: || get(openapi),
        doc: openapi::doc_object,
        query: openapi::no_query,
    },
];

/// The access rule of a matched route; `HEAD` has the rule of `GET` (axum answers it with the
/// `GET` handler), and a method or route the table does not list is [`Access::Denied`], never
/// "any key".
pub fn access(method: &Method, path: &str) -> Access {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map_or(Access::Denied, |r| r.access)
}

/// A JSON body: 413 past the limit, 400 naming the path where it does not parse.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        Body::read(req, state, &[Media::Json], "application/json")
            .await?
            .json()
            .map(JsonBody)
    }
}

/// How a request body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/json` or `application/*+json`.
    Json,
    /// `application/xml`, `text/xml` or `application/*+xml`.
    Xml,
    /// `application/x-ndjson` or `application/jsonl`: one JSON document per line.
    Ndjson,
}

impl Media {
    /// The media type of a `Content-Type`, its `charset` parameter (if any) and the header as
    /// given.
    fn of(h: &axum::http::HeaderMap) -> (Option<Media>, Option<String>, String) {
        let given = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mut parts = given.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let charset = parts.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_owned())
        });
        let media = if essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
        {
            Some(Media::Json)
        } else if essence == "application/xml"
            || essence == "text/xml"
            || (essence.starts_with("application/") && essence.ends_with("+xml"))
        {
            Some(Media::Xml)
        } else if essence == "application/x-ndjson" || essence == "application/jsonl" {
            Some(Media::Ndjson)
        } else {
            None
        };
        (
            media,
            charset,
            if given.is_empty() {
                "(none)".into()
            } else {
                given
            },
        )
    }
}

/// A body in one of the media types a route takes; 413 past the limit, 415 for another type.
#[derive(Debug)]
pub struct Body {
    /// Its media type.
    pub media: Media,
    /// The bytes.
    pub bytes: axum::body::Bytes,
}

impl Body {
    async fn read(
        req: Request,
        state: &AppState,
        accepted: &[Media],
        words: &str,
    ) -> Result<Body, Problem> {
        // A compressed body is refused, not read as if it were plain (RFC 9110 §15.5.16).
        if let Some(coding) = req.headers().get(header::CONTENT_ENCODING) {
            let coding = coding.to_str().unwrap_or("(not ASCII)").trim();
            if !coding.eq_ignore_ascii_case("identity") {
                return Err(Problem::unsupported_charset(format!(
                    "Content-Encoding `{coding}` is not read: send the body uncompressed"
                )));
            }
        }
        let (media, charset) = match Media::of(req.headers()) {
            (Some(m), charset, _) if accepted.contains(&m) => (m, charset),
            (_, _, given) => return Err(Problem::unsupported_media_type(&given, words)),
        };
        // JSON is UTF-8 (RFC 8259 §8.1): a charset naming anything else is refused, not
        // ignored.
        if media != Media::Xml
            && let Some(c) = &charset
            && incrocio_engine::api::Charset::of(c) != Some(incrocio_engine::api::Charset::Utf8)
        {
            return Err(Problem::unsupported_charset(format!(
                "charset `{c}`: JSON is read as UTF-8 only (RFC 8259); send UTF-8, with or without charset=utf-8"
            )));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::too_large(state.body_limit())
                } else {
                    Problem::malformed("(body)".into(), e.body_text())
                }
            })?;
        // XML is read as the charset says (RFC 7303 §3.2), or refused when it cannot be.
        let bytes = if media == Media::Xml {
            match incrocio_engine::api::with_charset(&bytes, charset.as_deref()) {
                Ok(std::borrow::Cow::Borrowed(_)) => bytes,
                Ok(std::borrow::Cow::Owned(utf8)) => axum::body::Bytes::from(utf8),
                Err(e) => return Err(Problem::unsupported_charset(e.reason.to_string())),
            }
        } else {
            bytes
        };
        Ok(Body { media, bytes })
    }

    fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        incrocio_core::json::from_slice_strict(&self.bytes).map_err(misfit)
    }
}

/// A JSON or XML body (`PUT /v1/candidates/{id}`, `POST /v1/profiling`).
#[derive(Debug)]
pub struct JsonOrXml(pub Body);

impl FromRequest<AppState> for JsonOrXml {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        Body::read(
            req,
            state,
            &[Media::Json, Media::Xml],
            "application/json` or `application/xml",
        )
        .await
        .map(JsonOrXml)
    }
}

/// A JSON-lines or XML body (bulk routes).
#[derive(Debug)]
pub struct LinesOrXml(pub Body);

impl FromRequest<AppState> for LinesOrXml {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        Body::read(
            req,
            state,
            &[Media::Ndjson, Media::Json, Media::Xml],
            "application/x-ndjson`, `application/json` or `application/xml",
        )
        .await
        .map(LinesOrXml)
    }
}

/// A bulk JSON body that is not an array of objects is malformed (400).
fn bulk_problem(e: incrocio_core::Error) -> Problem {
    match e {
        incrocio_core::Error::Input(i)
            if matches!(
                i.reason,
                incrocio_core::error::FieldReason::Malformed { .. }
            ) =>
        {
            Problem::malformed(i.field, i.reason.to_string())
        }
        other => Problem::from(other),
    }
}

/// An XML document that is not well-formed (or not UTF-8) is a malformed body (400); one that
/// does not follow its schema, or carries a bad value, an invalid field (422) named by XPath.
fn xml_problem(e: incrocio_core::Error) -> Problem {
    match e {
        incrocio_core::Error::Input(i) if i.field == "/" => {
            Problem::malformed("/".into(), i.reason.to_string())
        }
        other => Problem::from(other),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// The caller's key id, for the decision log (`anonymous` cannot happen on a keyed route).
fn actor(caller: &Option<Extension<Caller>>) -> String {
    caller
        .as_ref()
        .map_or_else(|| "anonymous".to_owned(), |Extension(c)| c.0.clone())
}

/// Has the engine record an answer's decisions (when it keeps a decision log), then renders
/// the answer; the response carries `X-Incrocio-Decisions: first-last` (their `seq`).
async fn recorded<T: serde::Serialize>(s: &AppState, d: Decided<T>) -> Result<Response, Problem> {
    let r = s.engine().record(d).await?;
    let mut res = Json(r.answer).into_response();
    if let (Some(first), Some(last)) = (r.receipts.first(), r.receipts.last())
        && let Ok(v) = HeaderValue::from_str(&format!("{}-{}", first.seq, last.seq))
    {
        res.headers_mut().insert(DECISIONS_HEADER, v);
    }
    Ok(res)
}

/// Runs a deciding engine call on the work queue as the caller, then [`recorded`]: what every
/// route that decides does, in one place.
async fn decide<T, F>(
    s: &AppState,
    caller: &Option<Extension<Caller>>,
    call: F,
) -> Result<Response, Problem>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(
            &incrocio_engine::Engine,
            &str,
            &incrocio_core::cancel::Cancel,
        ) -> incrocio_core::Result<Decided<T>>
        + Send
        + 'static,
{
    let (engine, who) = (s.engine(), actor(caller));
    let decided = s.work().run(move |c| call(&engine, &who, c)).await?;
    recorded(s, decided).await
}

/// The header naming the decision log records of an answer.
pub const DECISIONS_HEADER: &str = "x-incrocio-decisions";

/// The body does not fit the type: 400 naming the JSON path.
fn misfit(e: incrocio_core::json::JsonError) -> Problem {
    let field = if e.path == "." {
        "(body)".into()
    } else {
        e.path
    };
    Problem::malformed(field, e.reason)
}

/// Deserializes a parsed body, naming the JSON path where it does not fit.
fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, Problem> {
    incrocio_core::json::from_value(v).map_err(misfit)
}

/// `model` and `as_of`, when the profiling body is only records.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilingParams {
    model: Option<String>,
    as_of: Option<chrono::NaiveDate>,
    on_error: Option<incrocio_engine::OnErrorMode>,
}

/// `size`, when the shortlist body is only the vacancy.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortlistParams {
    size: Option<u32>,
    data_richiesta: Option<chrono::NaiveDate>,
}

fn params<P>(q: Result<Query<P>, QueryRejection>) -> Result<P, Problem> {
    q.map(|Query(p)| p)
        .map_err(|e| Problem::invalid("(query)", e.body_text()))
}

/// The query parameters only go with the short body forms: with the full form they would be
/// silently ignored, so they are refused.
fn no_query_with_full_body(given: bool) -> Result<(), Problem> {
    if given {
        return Err(Problem::invalid(
            "(query)",
            "with the full request body, give these parameters in the body",
        ));
    }
    Ok(())
}

/// Records a profiling request may hold to be run on the request's own task (each a few
/// microseconds: the hand-off to the blocking pool would cost more than the work).
const SMALL_PROFILING: usize = 16;

/// `POST /v1/profiling`: `{"records": [...]}`, `[record, ...]` or one record; or, as
/// `application/xml`, one DID document (`GestisciDID_Input`), whose errors name the element.
pub async fn profile(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    query: Result<Query<ProfilingParams>, QueryRejection>,
    JsonOrXml(raw): JsonOrXml,
) -> Result<Response, Problem> {
    let q = params(query)?;
    let xml = raw.media == Media::Xml;
    let with_query = |records| ProfilingRequest {
        model: q.model.clone(),
        as_of: q.as_of,
        records,
        on_error: Default::default(),
    };
    let mut req: ProfilingRequest = if xml {
        with_query(Vec::new())
    } else {
        match raw.json()? {
            body @ serde_json::Value::Object(_) if body.get("records").is_some() => {
                no_query_with_full_body(q.model.is_some() || q.as_of.is_some())?;
                from_value(body)?
            }
            body @ serde_json::Value::Array(_) => with_query(from_value(body)?),
            other => with_query(vec![from_value(other)?]),
        }
    };
    // `?on_error=` applies to every body form (it says what to do, not what to profile).
    if let Some(m) = q.on_error {
        req.on_error = m;
    }
    let engine = s.engine();
    let who = actor(&caller);
    let decided = if xml {
        let bytes = raw.bytes;
        s.work()
            .run(move |c| Ok(engine.profile_did(&bytes, req, today(), &who, c)))
            .await?
            .map_err(xml_problem)?
    } else if req.records.len() <= SMALL_PROFILING {
        s.work()
            .run_small(|c| engine.profile(&req, today(), &who, c))
            .await?
    } else {
        s.work()
            .run(move |c| engine.profile(&req, today(), &who, c))
            .await?
    };
    recorded(&s, decided).await
}

/// `POST /v1/shortlists`: `{"vacancy": {...}, "size"?}` or the vacancy alone.
pub async fn shortlist(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    query: Result<Query<ShortlistParams>, QueryRejection>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, Problem> {
    let q = params(query)?;
    let req: ShortlistRequest = match body {
        serde_json::Value::Object(ref m) if m.contains_key("vacancy") => {
            no_query_with_full_body(q.size.is_some() || q.data_richiesta.is_some())?;
            from_value(body)?
        }
        other => ShortlistRequest {
            vacancy: from_value(other)?,
            size: q.size,
            data_richiesta: q.data_richiesta,
            exclude: Vec::new(),
        },
    };
    decide(&s, &caller, move |e, who, c| e.shortlist(req, who, c)).await
}

/// `PUT /v1/candidates/{id}`: 201 when new, 200 when replaced; with `If-Match`, only while the
/// stored candidate has that ETag, with `If-None-Match: *` only while none is stored (412
/// otherwise). The answer carries the new `ETag`.
///
/// As `application/xml` the body is one SAP (`lavoratore`): its `identificativosap`, when
/// given, must be the path's id; errors name the element (`docs/xml.md`).
pub async fn put_candidate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    JsonOrXml(raw): JsonOrXml,
) -> Result<Response, Problem> {
    let conditions = conditions(&headers)?;
    let engine = s.engine();
    let candidate = if raw.media == Media::Xml {
        let (bytes, path_id) = (raw.bytes, id.clone());
        s.work()
            .run(move |c| Ok(engine.sap_candidate(&bytes, &path_id, today(), c)))
            .await?
            .map_err(xml_problem)?
            .candidate
    } else {
        let record: CandidateRecord = raw.json()?;
        if record.id != id {
            return Err(Problem::invalid(
                "id",
                format!("the body's id `{}` is not the path's `{id}`", record.id),
            ));
        }
        let mut valid = s
            .work()
            .run(move |_| engine.validate_candidates(vec![record], today()))
            .await?;
        valid.pop().ok_or_else(Problem::internal)?
    };
    let tag = super::queue::etag(&candidate.record);
    let writes = s
        .writes()
        .filter(|_| s.engine().index().is_some())
        .ok_or_else(|| Problem::from(incrocio_core::Error::NoIndex))?;
    let done = writes
        .write_if(WriteOp::Upsert(Box::new(candidate)), conditions)
        .await?;
    let status = if done.existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = CandidateWritten {
        id,
        indexed: done.indexed,
    };
    Ok((status, [(header::ETAG, tag)], Json(body)).into_response())
}

/// The preconditions of a single-record write: `If-Match` (one entity tag, or `*`; a list
/// is refused: a write names the one version it replaces) and `If-None-Match` (`*`, or a list
/// of entity tags). A malformed or repeated header is refused (422), never ignored.
fn conditions(headers: &axum::http::HeaderMap) -> Result<Conditions, Problem> {
    let text = |name: &'static str| -> Result<Option<String>, Problem> {
        let mut values = headers.get_all(name).iter();
        let Some(v) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(Problem::invalid(name, "given more than once"));
        }
        let v = v
            .to_str()
            .map_err(|_| Problem::invalid(name, "not ASCII"))?
            .trim();
        Ok(Some(v.to_owned()))
    };
    let is_tag = |t: &str| {
        t.len() >= 2
            && t.starts_with('"')
            && t.ends_with('"')
            && !t[1..t.len() - 1].contains('"')
            && !t.contains(',')
    };
    let if_match = match text("if-match")? {
        None => None,
        Some(v) if v == "*" || is_tag(&v) => Some(v),
        Some(_) => {
            return Err(Problem::invalid(
                "If-Match",
                "one entity tag as the ETag header gave it (in double quotes), or *",
            ));
        }
    };
    let if_none_match = match text("if-none-match")? {
        None => None,
        Some(v) if v == "*" => Some(NoneMatch::Any),
        Some(v) => {
            let tags: Vec<String> = v.split(',').map(|t| t.trim().to_owned()).collect();
            if tags.iter().all(|t| is_tag(t)) {
                Some(NoneMatch::Tags(tags))
            } else {
                return Err(Problem::invalid(
                    "If-None-Match",
                    "* (create only), or entity tags in double quotes separated by commas (weak tags W/\"…\" are not used here)",
                ));
            }
        }
    };
    Ok(Conditions {
        if_match,
        if_none_match,
    })
}

/// `GET /v1/candidates/{id}`.
pub async fn get_candidate(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let engine = s.engine();
    let found = s.work().run(move |_| engine.candidate(&id)).await?;
    match found {
        Some(r) => Ok(([(header::ETAG, super::queue::etag(&r))], Json(r)).into_response()),
        None => Err(Problem::not_found("no candidate with this id")),
    }
}

/// `DELETE /v1/candidates/{id}`: 204, or 404 when absent; with `If-Match`, only while the
/// stored candidate has that ETag (412 otherwise).
pub async fn delete_candidate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Problem> {
    let conditions = conditions(&headers)?;
    let writes = s
        .writes()
        .filter(|_| s.engine().index().is_some())
        .ok_or_else(|| Problem::from(incrocio_core::Error::NoIndex))?;
    let done = writes.write_if(WriteOp::Delete(id), conditions).await?;
    if done.existed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::not_found("no candidate with this id"))
    }
}

/// `after` and `limit` of the candidate cursor.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    after: Option<String>,
    limit: Option<usize>,
}

/// The page size when `limit` is not given.
pub const DEFAULT_PAGE: usize = 100;

/// `GET /v1/candidates?after=ID&limit=N`: the live candidate ids after `after`, in byte
/// order, with their ETags; `next` names the `after` of the following page.
pub async fn list_candidates(
    State(s): State<AppState>,
    query: Result<Query<PageParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let mut q = params(query)?;
    // `after=` (empty), as the documented template `?after=&limit=` sends it: the first page.
    q.after = q.after.filter(|a| !a.is_empty());
    if let Some(a) = &q.after {
        incrocio_core::error::check_id(a).map_err(|r| Problem::invalid("after", r.to_string()))?;
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    let engine = s.engine();
    let page = s
        .work()
        .run(move |_| engine.candidate_page(q.after.as_deref(), limit))
        .await?;
    Ok(Json(page).into_response())
}

/// `atomic` of the bulk routes.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkParams {
    #[serde(default)]
    atomic: bool,
}

/// Refuses a bulk request of more items than the service takes (413).
fn check_items(n: usize, max: usize) -> Result<(), Problem> {
    if n > max {
        let mut p = Problem::too_large(0);
        p.detail =
            format!("{n} items; a bulk request takes at most {max} (config `bulk_max_items`)");
        return Err(p);
    }
    Ok(())
}

/// Writes the valid items of a bulk request in one writer entry and answers every item in
/// order. With `atomic`, any invalid item refuses the whole request (422, every invalid item in
/// `errors`) and nothing is written.
async fn bulk_write<T>(
    writes: &super::queue::WriteQueue,
    items: Vec<incrocio_engine::BulkItem<T>>,
    atomic: bool,
    upsert: impl Fn(Box<T>) -> WriteOp,
    delete: impl Fn(String) -> WriteOp,
    id_of: impl Fn(&T) -> &str,
    held: impl FnOnce() -> Result<u64, Problem>,
) -> Result<Response, Problem> {
    use incrocio_engine::{BulkItem, BulkItemResult, BulkOutcome, BulkResponse};
    if atomic {
        let bad: Vec<incrocio_core::error::InputError> = items
            .iter()
            .filter_map(|i| match i {
                BulkItem::Invalid { error, .. } => Some(error.clone()),
                _ => None,
            })
            .collect();
        if !bad.is_empty() {
            let mut p = Problem::from(incrocio_core::Error::Records(bad));
            p.detail = format!(
                "{} items are invalid (all listed in `errors`); with atomic=true nothing was written",
                p.errors.len()
            );
            return Err(p);
        }
    }
    let mut results: Vec<BulkItemResult> = Vec::with_capacity(items.len());
    let mut ops = Vec::new();
    let mut written = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let id = item.id(&id_of).map(str::to_owned);
        let (result, field, reason) = match item {
            BulkItem::Upsert(t) => {
                ops.push(upsert(t));
                written.push((index, true));
                (BulkOutcome::Created, None, None)
            }
            BulkItem::Delete(d) => {
                ops.push(delete(d));
                written.push((index, false));
                (BulkOutcome::Deleted, None, None)
            }
            BulkItem::Invalid { error, .. } => (
                BulkOutcome::Invalid,
                Some(error.field.clone()),
                Some(error.reason.to_string()),
            ),
        };
        results.push(BulkItemResult {
            index,
            id,
            result,
            field,
            reason,
        });
    }
    let outcomes = writes.write_all(ops).await?;
    let mut last = None;
    for ((index, upsert), o) in written.into_iter().zip(&outcomes) {
        results[index].result = match (upsert, o.existed) {
            (true, false) => BulkOutcome::Created,
            (true, true) => BulkOutcome::Replaced,
            (false, true) => BulkOutcome::Deleted,
            (false, false) => BulkOutcome::NotFound,
        };
        last = Some(o.indexed);
    }
    let held = match last {
        Some(n) => n,
        None => held()?,
    };
    Ok(Json(BulkResponse::of(results, held)).into_response())
}

/// `POST /v1/candidates:bulk`: JSON lines (a candidate record, or `{"delete": "ID"}`, per
/// line) or SAP XML (`lavoratori`); every item answered in order, the valid ones written in one
/// group commit, durable and visible before the answer.
pub async fn bulk_candidates(
    State(s): State<AppState>,
    query: Result<Query<BulkParams>, QueryRejection>,
    LinesOrXml(raw): LinesOrXml,
) -> Result<Response, Problem> {
    let q = params(query)?;
    let writes = s
        .writes()
        .filter(|_| s.engine().index().is_some())
        .ok_or_else(|| Problem::from(incrocio_core::Error::NoIndex))?
        .clone();
    let raw_is_xml = raw.media == Media::Xml;
    let max = s.bulk_max_items();
    if raw.media == Media::Ndjson {
        check_items(incrocio_engine::ndjson_lines(&raw.bytes).count(), max)?;
    }
    let engine = s.engine();
    let items = s
        .work()
        .run(move |c| {
            Ok(match raw.media {
                Media::Xml => {
                    engine.bulk_candidates(incrocio_engine::BulkInput::Sap(&raw.bytes), today(), c)
                }
                Media::Json => {
                    engine.bulk_candidates(incrocio_engine::BulkInput::Json(&raw.bytes), today(), c)
                }
                Media::Ndjson => engine.bulk_candidates(
                    incrocio_engine::BulkInput::Ndjson(&raw.bytes),
                    today(),
                    c,
                ),
            })
        })
        .await?
        .map_err(|e| {
            if raw_is_xml {
                xml_problem(e)
            } else {
                bulk_problem(e)
            }
        })?;
    check_items(items.len(), max)?;
    let engine = s.engine();
    bulk_write(
        &writes,
        items,
        q.atomic,
        WriteOp::Upsert,
        WriteOp::Delete,
        |c: &incrocio_engine::api::Candidate| c.record.id.as_str(),
        move || {
            engine
                .index()
                .map_or(Ok(0), |i| i.len().map_err(Problem::from))
        },
    )
    .await
}

/// `POST /v1/vacancies:bulk`: JSON lines (a vacancy record, or `{"delete": "ID"}`, per line);
/// as for candidates.
pub async fn bulk_vacancies(
    State(s): State<AppState>,
    query: Result<Query<BulkParams>, QueryRejection>,
    LinesOrXml(raw): LinesOrXml,
) -> Result<Response, Problem> {
    let q = params(query)?;
    if raw.media == Media::Xml {
        return Err(Problem::unsupported_media_type(
            "application/xml",
            "application/x-ndjson` or `application/json` (vacancies have no XML form",
        ));
    }
    let writes = s
        .writes()
        .filter(|_| s.engine().vacancies().is_some())
        .ok_or_else(|| Problem::from(incrocio_core::Error::NoVacancies))?
        .clone();
    let max = s.bulk_max_items();
    if raw.media == Media::Ndjson {
        check_items(incrocio_engine::ndjson_lines(&raw.bytes).count(), max)?;
    }
    let engine = s.engine();
    let items = s
        .work()
        .run(move |c| {
            Ok(engine.bulk_vacancies(
                if raw.media == Media::Json {
                    incrocio_engine::BulkInput::Json(&raw.bytes)
                } else {
                    incrocio_engine::BulkInput::Ndjson(&raw.bytes)
                },
                c,
            ))
        })
        .await?
        .map_err(bulk_problem)?;
    check_items(items.len(), max)?;
    let engine = s.engine();
    bulk_write(
        &writes,
        items,
        q.atomic,
        WriteOp::UpsertVacancy,
        WriteOp::DeleteVacancy,
        |v: &incrocio_engine::api::Vacancy| v.record.id.as_str(),
        move || engine.vacancies().map_or(Ok(0), |b| Ok(b.len() as u64)),
    )
    .await
}

/// `PUT /v1/vacancies/{id}`: 201 when new, 200 when replaced; `If-Match` and `If-None-Match`
/// as for candidates (412). The answer carries the new `ETag`.
pub async fn put_vacancy(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    JsonBody(record): JsonBody<VacancyRecord>,
) -> Result<Response, Problem> {
    let conditions = conditions(&headers)?;
    if record.id != id {
        return Err(Problem::invalid(
            "id",
            format!("the body's id `{}` is not the path's `{id}`", record.id),
        ));
    }
    let writes = s
        .writes()
        .filter(|_| s.engine().vacancies().is_some())
        .ok_or_else(|| Problem::from(incrocio_core::Error::NoVacancies))?;
    let engine = s.engine();
    let vacancy = s
        .work()
        .run(move |_| engine.validate_vacancy(record))
        .await?;
    let tag = super::queue::etag_of(&vacancy.record);
    let done = writes
        .write_if(WriteOp::UpsertVacancy(Box::new(vacancy)), conditions)
        .await?;
    let status = if done.existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = VacancyWritten {
        id,
        replaced: done.existed,
        held: done.indexed,
    };
    Ok((status, [(header::ETAG, tag)], Json(body)).into_response())
}

/// `GET /v1/vacancies/{id}`.
pub async fn get_vacancy(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let engine = s.engine();
    let found = s.work().run(move |_| engine.vacancy(&id)).await?;
    match found {
        Some(r) => Ok(([(header::ETAG, super::queue::etag_of(&r))], Json(r)).into_response()),
        None => Err(Problem::not_found("no vacancy with this id")),
    }
}

/// `DELETE /v1/vacancies/{id}`: 204, or 404 when absent; with `If-Match`, only while the
/// stored vacancy has that ETag (412 otherwise).
pub async fn delete_vacancy(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Problem> {
    let conditions = conditions(&headers)?;
    let writes = s
        .writes()
        .filter(|_| s.engine().vacancies().is_some())
        .ok_or_else(|| Problem::from(incrocio_core::Error::NoVacancies))?;
    let done = writes
        .write_if(WriteOp::DeleteVacancy(id), conditions)
        .await?;
    if done.existed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::not_found("no vacancy with this id"))
    }
}

/// `POST /v1/offers`.
pub async fn offers(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    JsonBody(req): JsonBody<OffersRequest>,
) -> Result<Response, Problem> {
    decide(&s, &caller, move |e, who, c| e.offers(req, today(), who, c)).await
}

/// `POST /v1/skills/gap`: an analysis, not a decision (nothing is written to the log).
pub async fn skills_gap(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<incrocio_engine::SkillsGapRequest>,
) -> Result<Response, Problem> {
    let engine = s.engine();
    let out = s
        .work()
        .run(move |c| engine.skills_gap(req, today(), c))
        .await?;
    Ok(Json(out).into_response())
}

/// The query of `GET /v1/skills/territory`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoryParams {
    provincia: String,
    data: Option<chrono::NaiveDate>,
}

/// `GET /v1/skills/territory?provincia=`: a view of the engine's territory counts, made (a scan
/// of the index and the board bounded by the request's time limit, which cancels it) when none
/// is current.
pub async fn skills_territory(
    State(s): State<AppState>,
    query: Result<Query<TerritoryParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let q = params(query)?;
    let engine = s.engine();
    let out = s
        .work()
        .run(move |c| engine.territory_view(&q.provincia, q.data.unwrap_or_else(today), c))
        .await?;
    Ok(Json(out).into_response())
}

/// `POST /v1/graduatorie`.
pub async fn graduatoria(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    JsonBody(call): JsonBody<GraduatoriaCall>,
) -> Result<Response, Problem> {
    decide(&s, &caller, move |e, who, c| e.graduatoria(&call, who, c)).await
}

/// `POST /v1/graduatorie/riesame`.
pub async fn riesame(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    JsonBody(call): JsonBody<RiesameCall>,
) -> Result<Response, Problem> {
    decide(&s, &caller, move |e, who, c| e.riesame(&call, who, c)).await
}

/// `POST /v1/profiles/{person_id}/override`: an operator's override of a profiling class,
/// recorded in the decision log (which a re-profiling reads); 201 with the override.
pub async fn override_profile(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    Path(person): Path<String>,
    JsonBody(req): JsonBody<OverrideRequest>,
) -> Result<Response, Problem> {
    let engine = s.engine();
    let who = actor(&caller);
    let decided = s
        .work()
        .run(move |_| engine.override_profile(&person, req, today(), &who))
        .await?;
    let r = s.engine().record(decided).await?;
    let body = OverrideRecorded {
        decision: r
            .receipts
            .into_iter()
            .next()
            .ok_or_else(Problem::internal)?,
        r#override: r.answer,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The answer to an override: what was recorded and where.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct OverrideRecorded {
    /// The override.
    #[serde(rename = "override")]
    pub r#override: Override,
    /// Its record in the decision log.
    pub decision: Receipt,
}

/// `POST /v1/rosas/{rosa_id}/esiti`: employers' outcomes for people of a rosa the log holds;
/// 201 once recorded.
pub async fn esiti(
    State(s): State<AppState>,
    caller: Option<Extension<Caller>>,
    Path(rosa_id): Path<String>,
    JsonBody(req): JsonBody<EsitiRequest>,
) -> Result<Response, Problem> {
    let engine = s.engine();
    let who = actor(&caller);
    let found = s
        .work()
        .run(move |c| engine.esiti(&rosa_id, req, &who, today(), c))
        .await?;
    let Some(decided) = found else {
        return Err(Problem::not_found(
            "no rosa with this id in the decision log",
        ));
    };
    let r = s.engine().record(decided).await?;
    let body = EsitiRecorded {
        esiti: r.answer,
        receipts: r.receipts,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The answer to `POST /v1/rosas/{rosa_id}/esiti`.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EsitiRecorded {
    /// The outcomes recorded, with each candidate's position in the rosa.
    pub esiti: Vec<Esito>,
    /// Their records in the decision log.
    pub receipts: Vec<Receipt>,
}

/// `from` and `to` of `GET /v1/indicators`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorParams {
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
}

/// `GET /v1/indicators?from=&to=`: the service-deadline indicators of a period, from the
/// decision log.
pub async fn indicators(
    State(s): State<AppState>,
    query: Result<Query<IndicatorParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let q = params(query)?;
    if q.to < q.from {
        return Err(Problem::invalid(
            "to",
            format!("{} is before `from` {}", q.to, q.from),
        ));
    }
    let engine = s.engine();
    let out = s
        .work()
        .run(move |c| engine.indicators(q.from, q.to, today(), c))
        .await?;
    Ok(Json(out).into_response())
}

/// `person` and `limit` of `GET /v1/decisions`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionParams {
    person: String,
    limit: Option<usize>,
}

/// Most records `GET /v1/decisions` returns.
pub const MAX_DECISIONS: usize = 10_000;

/// The records concerning one person.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PersonDecisions {
    /// The person.
    pub person: String,
    /// The records, oldest first.
    pub records: Vec<Record>,
    /// Whether `limit` cut the list.
    pub truncated: bool,
}

/// `GET /v1/decisions?person=ID&limit=N`: what the log holds about one person (GDPR art. 15).
pub async fn decisions(
    State(s): State<AppState>,
    query: Result<Query<DecisionParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let q = params(query)?;
    if !s.engine().keeps_decisions() {
        return Err(incrocio_core::Error::NoDecisionLog.into());
    }
    if q.person.is_empty() || q.person.chars().count() > 128 {
        return Err(Problem::invalid("person", "1 to 128 characters"));
    }
    let limit = q.limit.unwrap_or(1_000);
    if limit == 0 || limit > MAX_DECISIONS {
        return Err(Problem::invalid(
            "limit",
            format!("{limit} is out of range: 1 to {MAX_DECISIONS}"),
        ));
    }
    let (engine, person) = (s.engine(), q.person.clone());
    let mut records = s
        .work()
        .run(move |c| engine.decisions_of(&person, limit + 1, c))
        .await?;
    let truncated = records.len() > limit;
    records.truncate(limit);
    Ok(Json(PersonDecisions {
        person: q.person,
        records,
        truncated,
    })
    .into_response())
}

/// `title` and `limit` of `GET /v1/occupations`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleParams {
    title: String,
    limit: Option<usize>,
}

/// `GET /v1/occupations?title=&limit=`.
pub async fn resolve_title(
    State(s): State<AppState>,
    query: Result<Query<TitleParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let q = params(query)?;
    let engine = s.engine();
    let out = s
        .work()
        .run(move |_| engine.resolve_title(&q.title, q.limit))
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/occupations/{code}/adjacent`.
pub async fn adjacent_occupations(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    let engine = s.engine();
    let out = s
        .work()
        .run(move |_| engine.adjacent_occupations(&code))
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/models`.
pub async fn models(State(s): State<AppState>) -> Response {
    Json(s.engine().models()).into_response()
}

/// `GET /healthz`.
pub async fn healthz() -> Response {
    Json(serde_json::json!({"status": "ok"})).into_response()
}

/// `GET /readyz`.
pub async fn readyz(State(s): State<AppState>) -> Response {
    if s.is_ready() {
        Json(serde_json::json!({"status": "ready"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not ready"})),
        )
            .into_response()
    }
}

/// `GET /metrics`.
pub async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.render_metrics(),
    )
        .into_response()
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    Json(super::openapi::document()).into_response()
}
