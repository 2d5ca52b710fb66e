//! The OpenAPI 3.1 document, generated from the route table ([`super::routes::ROUTES`]) and the
//! request and response types (their JSON Schemas derived with `schemars`). The committed copy
//! is `docs/openapi.json`; a test fails when it differs from what this module generates.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::problem::Problem;
use super::routes::{Access, ROUTES};
use incrocio_engine::api::{CandidateRecord, Graduatoria, Offers, Shortlist, VacancyRecord};
use incrocio_engine::{
    AdjacentOccupations, BulkResponse, CandidatePage, CandidateWritten, GraduatoriaCall, ModelInfo,
    OffersRequest, ProfilingBody, ProfilingResponse, RiesameCall, RiesameResponse, ShortlistBody,
    TitleResolution, VacancyWritten,
};

/// The operations whose answers are recorded in the decision log (their handlers call
/// `recorded`).
const RECORDED: [&str; 5] = ["profile", "shortlist", "offers", "graduatoria", "riesame"];

/// The operations whose answer carries the record's `ETag`.
const ETAGGED: [&str; 4] = ["getCandidate", "putCandidate", "getVacancy", "putVacancy"];

/// An operation's request and answers, for the document.
pub struct Operation {
    request: Option<Schema>,
    ok: u16,
    response: Option<Value>,
    /// Problem statuses beyond the ones every keyed route has.
    problems: &'static [u16],
    /// Request media types besides JSON: `(media type, what the body holds)`.
    extra: &'static [(&'static str, &'static str)],
}

/// A SAP document as a request body.
const SAP_ONE: (&str, &str) = (
    "application/xml",
    "One SAP (`lavoratore` of Rev009_SAP.xsd); its identificativosap, when given, must be the path's id; errors name the element's XPath (docs/xml.md)",
);
/// A DID document as a request body.
const DID_ONE: (&str, &str) = (
    "application/xml",
    "One DID conferral (`GestisciDID_Input` of XS_ID_ConferimentoDID_4.0.xsd, bare or in a SOAP body); errors name the element's XPath (docs/xml.md)",
);

fn json_body(schema: &Schema) -> Value {
    json!({"content": {"application/json": {"schema": schema}}})
}

fn s<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn body(x: Schema) -> Option<Value> {
    Some(json_body(&x))
}

/// The OpenAPI operation of `profile`.
pub(super) fn doc_profile(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<ProfilingBody>(g)),
        ok: 200,
        response: body(s::<ProfilingResponse>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[DID_ONE],
    }
}

/// The OpenAPI operation of `shortlist`.
pub(super) fn doc_shortlist(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<ShortlistBody>(g)),
        ok: 200,
        response: body(s::<Shortlist>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `putCandidate`.
pub(super) fn doc_put_candidate(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<CandidateRecord>(g)),
        ok: 201,
        response: body(s::<CandidateWritten>(g)),
        problems: &[400, 412, 413, 422, 503],
        extra: &[SAP_ONE],
    }
}

/// A JSON bulk body: an array of objects, each a record or `{"delete": "ID"}` (anything else
/// refuses the request; each object is then checked on its own and answered in order).
fn bulk_array(what: &str) -> Schema {
    Schema::try_from(json!({
        "type": "array",
        "items": {
            "type": "object",
            "description": format!("{what} to add or replace, or {{\"delete\": \"ID\"}} to remove; each item is checked on its own and answered in order (`invalid` with the field when it does not hold)")
        }
    }))
    .unwrap_or_default()
}

/// The OpenAPI operation of `bulkCandidates`.
pub(super) fn doc_bulk_candidates(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(bulk_array("a candidate record (CandidateRecord)")),
        ok: 200,
        response: body(s::<BulkResponse>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[
            (
                "application/x-ndjson",
                "One JSON object per line: a candidate record (docs/candidate-record.md) to add or replace, or {\"delete\": \"ID\"}; blank lines skipped",
            ),
            (
                "application/xml",
                "SAP XML: one `lavoratore`, or a `lavoratori` batch (data/xsd/lavoratori.xsd)",
            ),
        ],
    }
}

/// The OpenAPI operation of `listCandidates`.
pub(super) fn doc_list_candidates(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<CandidatePage>(g)),
        problems: &[422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `bulkVacancies`.
pub(super) fn doc_bulk_vacancies(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(bulk_array("a vacancy record (VacancyRecord)")),
        ok: 200,
        response: body(s::<BulkResponse>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[(
            "application/x-ndjson",
            "One JSON object per line: a vacancy record to add or replace, or {\"delete\": \"ID\"}; blank lines skipped",
        )],
    }
}

/// The OpenAPI operation of `getCandidate`.
pub(super) fn doc_get_candidate(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<CandidateRecord>(g)),
        problems: &[404, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `deleteCandidate`.
pub(super) fn doc_delete_candidate(_: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 204,
        response: None,
        problems: &[404, 412, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `putVacancy`.
pub(super) fn doc_put_vacancy(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<VacancyRecord>(g)),
        ok: 201,
        response: body(s::<VacancyWritten>(g)),
        problems: &[400, 412, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `getVacancy`.
pub(super) fn doc_get_vacancy(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<VacancyRecord>(g)),
        problems: &[404, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `deleteVacancy`.
pub(super) fn doc_delete_vacancy(_: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 204,
        response: None,
        problems: &[404, 412, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `offers`.
pub(super) fn doc_offers(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<OffersRequest>(g)),
        ok: 200,
        response: body(s::<Offers>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `skillsGap`.
pub(super) fn doc_skills_gap(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<incrocio_engine::SkillsGapRequest>(g)),
        ok: 200,
        response: body(s::<incrocio_engine::api::SkillsGap>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `skillsTerritory`.
pub(super) fn doc_skills_territory(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<incrocio_engine::TerritoryView>(g)),
        problems: &[400, 422, 503],
        extra: &[],
    }
}

/// The query parameters of `skillsTerritory`.
pub(super) fn query_skills_territory() -> Vec<Value> {
    vec![
        json!({"name": "provincia", "in": "query", "required": true,
               "description": "The province: sigla (RM), UTS or historical ISTAT code",
               "schema": {"type": "string", "minLength": 1, "maxLength": 3}}),
        json!({"name": "data", "in": "query", "required": false,
               "description": "The day vacancies are counted open at (default: today)",
               "schema": {"type": "string", "format": "date"}}),
    ]
}

/// The OpenAPI operation of `graduatoria`.
pub(super) fn doc_graduatoria(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<GraduatoriaCall>(g)),
        ok: 200,
        response: body(s::<Graduatoria>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `riesame`.
pub(super) fn doc_riesame(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<RiesameCall>(g)),
        ok: 200,
        response: body(s::<RiesameResponse>(g)),
        problems: &[400, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `overrideProfile`.
pub(super) fn doc_override_profile(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<incrocio_engine::api::OverrideRequest>(g)),
        ok: 201,
        response: body(s::<super::routes::OverrideRecorded>(g)),
        problems: &[400, 409, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `recordEsiti`.
pub(super) fn doc_record_esiti(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: Some(s::<incrocio_engine::api::EsitiRequest>(g)),
        ok: 201,
        response: body(s::<super::routes::EsitiRecorded>(g)),
        problems: &[400, 404, 409, 413, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `indicators`.
pub(super) fn doc_indicators(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<incrocio_engine::api::IndicatorReport>(g)),
        problems: &[409, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `decisions`.
pub(super) fn doc_decisions(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<super::routes::PersonDecisions>(g)),
        problems: &[409, 422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `resolveTitle`.
pub(super) fn doc_resolve_title(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<TitleResolution>(g)),
        problems: &[422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `adjacentOccupations`.
pub(super) fn doc_adjacent_occupations(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<AdjacentOccupations>(g)),
        problems: &[422, 503],
        extra: &[],
    }
}

/// The OpenAPI operation of `models`.
pub(super) fn doc_models(g: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: body(s::<Vec<ModelInfo>>(g)),
        problems: &[],
        extra: &[],
    }
}

/// The OpenAPI operation of `metrics`.
pub(super) fn doc_metrics(_: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: Some(json!({"content": {"text/plain": {"schema": {"type": "string"}}}})),
        problems: &[],
        extra: &[],
    }
}

/// The OpenAPI operation of `readyz`.
pub(super) fn doc_readyz(_: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: Some(json!({"content": {"application/json": {"schema": {"type": "object"}}}})),
        problems: &[503],
        extra: &[],
    }
}

/// An operation answering a JSON object (health probes, the document itself).
pub(super) fn doc_object(_: &mut SchemaGenerator) -> Operation {
    Operation {
        request: None,
        ok: 200,
        response: Some(json!({"content": {"application/json": {"schema": {"type": "object"}}}})),
        problems: &[],
        extra: &[],
    }
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created (200 when an existing record was replaced)",
        204 => "No content",
        400 => "Malformed body: `field` is the JSON path where it does not parse",
        401 => "Missing or unknown API key",
        403 => "The key lacks the route's scope",
        404 => "Not found",
        409 => "The service keeps no decision log (`decisions` is not configured)",
        412 => {
            "A precondition failed: If-Match does not name the stored record's version (its ETag), or If-None-Match names it (`*`: a record with this id is stored)"
        }
        405 => "The route does not take this method",
        413 => {
            "Body larger than the configured limit (or, on a bulk route, more items than `bulk_max_items`)"
        }
        414 => "Request target (path and query) longer than 8,192 bytes",
        415 => "The body is not sent in a media type the route takes (see its requestBody)",
        422 => "A field is invalid: `field` and `reason` say which and why",
        503 => {
            "Busy (work queue full) or timed out, both with Retry-After; or no index / vacancy board configured"
        }
        _ => "Internal error (no detail; the request id names the log entry)",
    }
}

/// The document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut g = SchemaGenerator::new(settings);
    let problem = g.subschema_for::<Problem>();
    let mut paths = Map::new();
    for r in &ROUTES {
        let o = (r.doc)(&mut g);
        let mut responses = Map::new();
        let mut ok = json!({"description": status_text(o.ok)});
        if let (Some(Value::Object(m)), Some(obj)) = (&o.response, ok.as_object_mut()) {
            obj.extend(m.clone());
        }
        if r.operation == "putCandidate" || r.operation == "putVacancy" {
            responses.insert(
                "200".into(),
                json!({
                    "description": "Replaced an existing record with the same id",
                    "content": ok["content"].clone()
                }),
            );
        }
        let mut headers = json!({"x-request-id": {
            "description": "The request's id (the caller's, or one made here): it names the log entry",
            "schema": {"type": "string"}
        }});
        if RECORDED.contains(&r.operation) {
            headers[super::routes::DECISIONS_HEADER] = json!({
                "description": "With a decision log configured: the `seq` of the records of this answer, `first-last`",
                "schema": {"type": "string", "pattern": "^[0-9]+-[0-9]+$"}
            });
        }
        if ETAGGED.contains(&r.operation) {
            headers["ETag"] = json!({
                "description": "The record's version: give it as If-Match (replace or delete only this version) or If-None-Match to a PUT or DELETE",
                "schema": {"type": "string"}
            });
        }
        ok["headers"] = headers;
        responses.insert(o.ok.to_string(), ok);
        let mut problems: Vec<u16> = o.problems.to_vec();
        problems.push(414);
        if o.request.is_some() || !o.extra.is_empty() {
            problems.push(415);
        }
        if r.access != Access::Open {
            problems.extend([401, 500]);
        }
        if matches!(r.access, Access::Scoped(_)) {
            problems.push(403);
        }
        problems.sort_unstable();
        problems.dedup();
        for code in problems {
            let mut answer = json!({
                "description": status_text(code),
                "content": {"application/problem+json": {"schema": problem}}
            });
            if code == 503 {
                answer["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before retrying",
                    "schema": {"type": "integer", "minimum": 1}
                }});
            }
            responses.insert(code.to_string(), answer);
        }
        let mut operation = json!({
            "operationId": r.operation,
            "summary": r.summary,
            "responses": responses,
        });
        let mut content = Map::new();
        if let Some(req) = &o.request {
            content.insert("application/json".into(), json!({"schema": req}));
        }
        for (media, what) in o.extra {
            content.insert(
                (*media).into(),
                json!({"schema": {"type": "string", "description": what}}),
            );
        }
        if !content.is_empty() {
            operation["requestBody"] = json!({"required": true, "content": content});
        }
        match r.access {
            Access::Open | Access::Denied => operation["security"] = json!([]),
            Access::AnyKey => {
                operation["security"] = json!([{"bearer": []}, {"apiKey": []}]);
            }
            Access::Scoped(scope) => {
                operation["security"] = json!([{"bearer": []}, {"apiKey": []}]);
                operation["x-required-scope"] = json!(scope.name());
            }
        }
        let mut parameters = Vec::new();
        if r.path.contains("{code}") {
            parameters.push(json!({
                "name": "code", "in": "path", "required": true,
                "description": "ESCO occupation URI or UUID, or a CP2011 unit code",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200}
            }));
        }
        if r.path.contains("{id}") {
            parameters.push(json!({
                "name": "id", "in": "path", "required": true,
                "description": "Candidate id",
                "schema": {"type": "string", "minLength": 1, "maxLength": incrocio_core::error::MAX_ID_CHARS}
            }));
        }
        if r.path.contains("{person_id}") {
            parameters.push(json!({
                "name": "person_id", "in": "path", "required": true,
                "description": "The person's id (as in the profiling record's `Id`)",
                "schema": {"type": "string", "minLength": 1, "maxLength": 128}
            }));
        }
        if r.path.contains("{rosa_id}") {
            parameters.push(json!({
                "name": "rosa_id", "in": "path", "required": true,
                "description": "The rosa's id (`rosa_id` of a shortlist answer)",
                "schema": {"type": "string", "minLength": 1, "maxLength": 128}
            }));
        }
        parameters.extend((r.query)());
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        let method = r.method.as_str().to_ascii_lowercase();
        let entry = paths
            .entry(r.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method.as_str()] = operation;
    }
    let mut schemas = g.take_definitions(true);
    restrict_rules(&mut schemas);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "incrocio",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Matching and profiling engine for Italian public employment services: profiling (art. 19 D.Lgs. 150/2015), shortlists (incrocio domanda/offerta), candidate index upkeep, graduatorie (art. 16 L. 56/1987, L. 68/1999). Every 4xx is application/problem+json naming the field and the reason.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API key as a bearer token"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
            },
            "schemas": schemas
        }
    })
}

/// The query parameters of `profile`.
pub(super) fn query_profile() -> Vec<Value> {
    vec![
        json!({"name": "model", "in": "query", "required": false,
               "description": "Model `id` or `id@vN` (default `did`); only with a body of records alone",
               "schema": {"type": "string", "enum": profiling_model_keys()}}),
        json!({"name": "as_of", "in": "query", "required": false,
               "description": "Profiling date (default today); only with a body of records alone",
               "schema": {"type": "string", "format": "date"}}),
        json!({"name": "on_error", "in": "query", "required": false,
               "description": "`fail` (default): any invalid record refuses the request, every one listed in `errors`; `skip`: profile the valid ones and list the invalid in the answer's `errors`",
               "schema": {"type": "string", "enum": ["fail", "skip"]}}),
    ]
}

/// The query parameters of the bulk routes.
pub(super) fn query_bulk() -> Vec<Value> {
    vec![json!({"name": "atomic", "in": "query", "required": false,
        "description": "true: any invalid item refuses the whole request (422, every one in `errors`) and nothing is written; false (default): the valid items are written and each invalid one is answered `invalid`",
        "schema": {"type": "boolean"}})]
}

/// The query parameters of `listCandidates`.
pub(super) fn query_page() -> Vec<Value> {
    vec![
        json!({"name": "after", "in": "query", "required": false,
               "description": "The last id of the previous page (its `next`); absent or empty: from the first id",
               "schema": {"type": "string", "minLength": 0, "maxLength": incrocio_core::error::MAX_ID_CHARS}}),
        json!({"name": "limit", "in": "query", "required": false,
               "description": "Ids per page (default 100)",
               "schema": {"type": "integer", "minimum": 1, "maximum": incrocio_engine::MAX_PAGE}}),
    ]
}

/// The query parameters of `resolveTitle`.
pub(super) fn query_resolve_title() -> Vec<Value> {
    vec![
        json!({"name": "title", "in": "query", "required": true,
               "description": "The job title as written (1 to 200 characters)",
               "schema": {"type": "string", "minLength": 1, "maxLength": incrocio_engine::MAX_TITLE_CHARS}}),
        json!({"name": "limit", "in": "query", "required": false,
               "description": "Candidates listed (default 5)",
               "schema": {"type": "integer", "minimum": 1, "maximum": incrocio_engine::MAX_TITLE_CANDIDATES}}),
    ]
}

/// The query parameters of `shortlist`.
pub(super) fn query_shortlist() -> Vec<Value> {
    vec![
        json!({
            "name": "size", "in": "query", "required": false,
            "description": "Rosa size; only with the vacancy alone as the body",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100}
        }),
        json!({
            "name": "data_richiesta", "in": "query", "required": false,
            "description": "The day the employer asked for the rosa (default today); only with the vacancy alone as the body",
            "schema": {"type": "string", "format": "date"}
        }),
    ]
}

/// The query parameters of `indicators`.
pub(super) fn query_indicators() -> Vec<Value> {
    vec![
        json!({"name": "from", "in": "query", "required": true,
               "description": "First day of the period (cases whose deadline started on or after it)",
               "schema": {"type": "string", "format": "date"}}),
        json!({"name": "to", "in": "query", "required": true,
               "description": "Last day of the period (not before `from`)",
               "schema": {"type": "string", "format": "date"}}),
    ]
}

/// The query parameters of `decisions`.
pub(super) fn query_decisions() -> Vec<Value> {
    vec![
        json!({"name": "person", "in": "query", "required": true,
               "description": "The person's id (1 to 128 characters)",
               "schema": {"type": "string", "minLength": 1, "maxLength": 128}}),
        json!({"name": "limit", "in": "query", "required": false,
               "description": "At most this many records (default 1,000)",
               "schema": {"type": "integer", "minimum": 1, "maximum": super::routes::MAX_DECISIONS}}),
    ]
}

/// The `If-Match` and `If-None-Match` headers of a conditional write.
pub(super) fn query_if_match() -> Vec<Value> {
    vec![
        json!({
            "name": "If-Match", "in": "header", "required": false,
            "description": "Write only while the stored record has this ETag (as GET or the last PUT gave it, in double quotes), or `*` for any stored version; 412 otherwise",
            "schema": {"type": "string", "minLength": 1, "maxLength": 100}
        }),
        json!({
            "name": "If-None-Match", "in": "header", "required": false,
            "description": "`*`: write only when no record has this id (create, never overwrite); or ETags (in double quotes, comma-separated): write only when the stored record has none of them; 412 otherwise",
            "schema": {"type": "string", "minLength": 1, "maxLength": 1000}
        }),
    ]
}

/// No query parameters.
pub(super) fn no_query() -> Vec<Value> {
    Vec::new()
}

/// `id` and `id@vN` of every bundled model or rule set of a kind.
fn keys(kind: &str) -> Vec<String> {
    let Ok(engine) = incrocio_engine::Engine::bundled() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for m in engine
        .models()
        .into_iter()
        .filter(|m| m.kind.as_str() == kind)
    {
        if !out.contains(&m.id) {
            out.push(m.id.clone());
        }
        out.push(format!("{}@v{}", m.id, m.version));
    }
    out
}

fn profiling_model_keys() -> Vec<String> {
    keys("profiling")
}

/// The `rules` of a graduatoria or riesame call: one of the bundled rule sets.
fn restrict_rules(schemas: &mut Map<String, Value>) {
    let rules = keys("graduatoria");
    for call in ["GraduatoriaCall", "RiesameCall"] {
        if let Some(p) = schemas
            .get_mut(call)
            .and_then(|s| s.pointer_mut("/properties/rules"))
        {
            p["enum"] = json!(rules);
        }
    }
    if let Some(p) = schemas
        .get_mut("ProfilingRequest")
        .and_then(|s| s.pointer_mut("/properties/model"))
    {
        // `Option<String>`: the schema is `type: [string, null]`.
        p["enum"] = json!(
            profiling_model_keys()
                .into_iter()
                .map(Value::String)
                .chain([Value::Null])
                .collect::<Vec<_>>()
        );
    }
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_text() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        if let Some(s) = x.as_str() {
                            out.push(s.to_owned());
                        }
                    } else {
                        refs(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_documented_and_every_ref_resolves() {
        let d = document();
        for r in &ROUTES {
            let m = r.method.as_str().to_ascii_lowercase();
            assert!(
                d["paths"][r.path][m.as_str()]["responses"].is_object(),
                "{}",
                r.path
            );
        }
        let mut all = Vec::new();
        refs(&d, &mut all);
        assert!(all.len() > 10);
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").expect(&r);
            assert!(
                d["components"]["schemas"][name].is_object(),
                "{r} unresolved"
            );
        }
    }

    #[test]
    fn issue_11_7_the_document_states_the_limits_the_server_enforces() {
        let d = document();
        let s = &d["components"]["schemas"];
        assert_eq!(
            s["ProfilingRequest"]["properties"]["records"]["maxItems"],
            10_000
        );
        assert_eq!(
            s["VacancyRecord"]["properties"]["raggio_km"]["maximum"],
            1_500
        );
        assert_eq!(s["VacancyRecord"]["properties"]["lingue"]["maxItems"], 8);
        assert_eq!(s["ShortlistRequest"]["properties"]["size"]["maximum"], 100);
        for t in [
            "ProfileRecord",
            "CandidateRecord",
            "VacancyRecord",
            "Applicant",
        ] {
            let id = &s[t]["properties"]["id"];
            let id = if id.is_null() {
                &s[t]["properties"]["Id"]
            } else {
                id
            };
            assert_eq!(id["maxLength"], 128, "{t}");
        }
        let rules = s["GraduatoriaCall"]["properties"]["rules"]["enum"]
            .as_array()
            .unwrap();
        assert!(rules.contains(&json!("art16-emilia-romagna@v1")));
        let post = &d["paths"]["/v1/shortlists"]["post"];
        assert_eq!(post["parameters"][0]["name"], "size");
        for code in ["414", "415", "503"] {
            assert!(post["responses"][code].is_object(), "{code}");
        }
        assert!(post["responses"]["503"]["headers"]["Retry-After"].is_object());
        assert!(
            d["paths"]["/healthz"]["get"]["responses"]["414"]["content"]["application/problem+json"]
                .is_object()
        );
    }

    #[test]
    fn the_committed_document_is_current() {
        let committed = include_str!("../../../docs/openapi.json");
        assert!(
            committed == document_text(),
            "docs/openapi.json differs from the generated document: run `cargo run -- openapi > docs/openapi.json`"
        );
    }
}
