//! The HTTP service: a thin axum edge over [`Engine`]. The only module that knows axum, tower
//! and HTTP status codes ([`problem`]).
//!
//! Layers, outermost first: request id (set, then propagated to the response) → trace span
//! (method, path, request id; never bodies or query strings) → body limit → metrics → timeout →
//! panic catcher → per-route access check → handler. CPU work runs on the blocking pool behind
//! a bounded queue ([`queue`]); candidate writes are group-committed by one writer thread.

#![forbid(unsafe_code)]

pub mod config;
pub mod metrics;
pub mod openapi;
mod parse_errors;
pub mod problem;
pub mod queue;
pub mod routes;
pub mod state;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub use self::config::{Overrides, Scope, ServerConfig};
pub use self::problem::Problem;
pub use self::state::AppState;

use self::routes::Access;
use incrocio_core::error::{Error, Result};
use incrocio_engine::Engine;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a per-process prefix and a counter.
#[derive(Debug, Clone)]
struct Counter {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:08x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The router over a state: every route of [`routes::ROUTES`] and the layers.
pub fn router(state: AppState) -> Router {
    let mut by_path: Vec<(&'static str, axum::routing::MethodRouter<AppState>)> = Vec::new();
    for r in &routes::ROUTES {
        match by_path.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, m)) => *m = std::mem::take(m).merge((r.handler)()),
            None => by_path.push((r.path, (r.handler)())),
        }
    }
    let routes = by_path
        .into_iter()
        .fold(Router::new(), |router, (path, m)| router.route(path, m));
    with_layers(routes, state)
}

/// The service's layers around `routes` (also used by tests that add a route).
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    let prefix = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
            & 0xff_ffff
    );
    let ids = Counter {
        prefix: prefix.into(),
        next: Arc::new(AtomicU64::new(1)),
    };
    let limit = state.body_limit();
    routes
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            tracing::error!("a handler panicked");
            Problem::internal().into_response()
        }))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(middleware::from_fn(uri_limit))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .extensions()
                .get::<RequestId>()
                .and_then(|i| i.header_value().to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = req.uri().path(), request_id = id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, ids))
        .with_state(state)
}

async fn not_found() -> Problem {
    Problem::not_found("no such route (GET /openapi.json lists them)")
}

async fn method_not_allowed() -> Response {
    let mut p = Problem::not_found("this route does not take this method");
    p.status = 405;
    p.kind = "urn:incrocio:problem:method-not-allowed".into();
    p.title = "Method not allowed".into();
    p.into_response()
}

fn presented_key(req: &Request) -> Option<&str> {
    let h = req.headers();
    if let Some(v) = h.get(axum::http::header::AUTHORIZATION) {
        // The scheme is case-insensitive (RFC 9110 §11.1): `Bearer`, `bearer`, `BEARER`.
        let (scheme, token) = v.to_str().ok()?.trim().split_once([' ', '\t'])?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|t| !t.is_empty());
    }
    h.get("x-api-key")?.to_str().ok().map(str::trim)
}

/// Checks the key against the matched route's access rule, before the body is read.
async fn authorize(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let access = routes::access(req.method(), &path);
    if access == Access::Denied {
        // A matched route whose method the access table does not list: never "any key".
        return with_route(method_not_allowed().await, &path);
    }
    if access != Access::Open {
        let Some(key) = presented_key(&req).and_then(|k| s.key(k)) else {
            let detail = if presented_key(&req).is_some() {
                "the API key is not known to this service"
            } else {
                "send the API key as `Authorization: Bearer <key>` or `X-Api-Key`"
            };
            return with_route(Problem::unauthorized(detail).into_response(), &path);
        };
        if let Access::Scoped(scope) = access
            && !key.grants(scope)
        {
            tracing::info!(caller = %key.id, scope = scope.name(), "forbidden");
            return with_route(Problem::forbidden(scope.name()).into_response(), &path);
        }
        tracing::debug!(caller = %key.id, "authorized");
        let caller = Caller(key.id.clone());
        let mut req = req;
        req.extensions_mut().insert(caller);
        return with_route(next.run(req).await, &path);
    }
    with_route(next.run(req).await, &path)
}

/// The id of the API key a request came with (what the decision log records as `actor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub String);

/// The matched route, carried on the response for the outer metrics layer.
#[derive(Debug, Clone)]
struct RouteName(String);

fn with_route(mut res: Response, path: &str) -> Response {
    res.extensions_mut().insert(RouteName(path.to_owned()));
    res
}

async fn timeout(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let limit = s.timeout();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => Problem::timeout(limit.as_millis() as u64).into_response(),
    }
}

/// The method as a metric label: one of a fixed set, so that made-up methods cannot grow the
/// label set.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// 414 problem for a request target longer than [`MAX_URI_BYTES`].
async fn uri_limit(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if len > MAX_URI_BYTES {
        return Problem::uri_too_long(MAX_URI_BYTES).into_response();
    }
    if let Some(q) = req.uri().query()
        && let Some(name) = not_utf8_parameter(q)
    {
        return Problem::invalid(
            &name,
            "not UTF-8 once percent-decoded (a value is never read lossily)",
        )
        .into_response();
    }
    next.run(req).await
}

/// The name of the first query parameter whose name or value is not UTF-8 once
/// percent-decoded (`after=%FF`), if any: the query extractor would read it lossily
/// (U+FFFD) and answer about another value than the one sent.
fn not_utf8_parameter(query: &str) -> Option<String> {
    use percent_encoding::percent_decode_str;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode_str(k), percent_decode_str(v));
        (k.clone().decode_utf8().is_err() || v.decode_utf8().is_err())
            .then(|| k.decode_utf8_lossy().into_owned())
    })
}

async fn observe(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let res = next.run(req).await;
    let route = res
        .extensions()
        .get::<RouteName>()
        .map_or("unmatched", |r| r.0.as_str())
        .to_owned();
    let status = res.status().as_u16();
    s.metrics()
        .observe(&route, method, status, started.elapsed());
    tracing::info!(
        status,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "response"
    );
    res
}

/// A running service: its state, the writer threads to join on shutdown and the connection
/// limits.
#[derive(Debug)]
pub struct Service {
    /// The shared state.
    pub state: AppState,
    writer: Option<std::thread::JoinHandle<()>>,
    decision_writer: Option<std::thread::JoinHandle<()>>,
    max_connections: usize,
    header_read_timeout: Duration,
}

/// The largest request head (request line and headers) read, in bytes; hyper answers past it.
pub(crate) const MAX_HEAD_BYTES: usize = 64 << 10;
/// The longest request target (path and query) served; past it a 414 problem.
pub const MAX_URI_BYTES: usize = 8 << 10;

impl Service {
    /// Builds the state (and starts the writer thread when the engine has an index).
    pub fn new(engine: Engine, config: &ServerConfig) -> Result<Service> {
        // What the first request would otherwise build (the title model's grams), built now.
        engine.warm_up();
        let (engine, decision_writer) = match &config.decisions {
            Some(dir) => {
                let pending = config.workers + config.queue;
                let (e, h) = engine.open_decisions(
                    dir,
                    pending,
                    config.write_batch_max,
                    config.decisions_key.as_deref(),
                )?;
                (e, Some(h))
            }
            None => (engine, None),
        };
        let engine = Arc::new(engine);
        let metrics = Arc::new(metrics::Metrics::default());
        let (writes, writer) = if engine.index().is_some() || engine.vacancies().is_some() {
            let (q, h) = queue::WriteQueue::start(
                engine.clone(),
                config.write_batch_max,
                config.write_batch_max * 4,
                metrics.clone(),
            )
            .map_err(|e| Error::io("writer thread", e))?;
            (Some(q), Some(h))
        } else {
            (None, None)
        };
        Ok(Service {
            state: AppState::new(engine, config, writes, metrics),
            writer,
            decision_writer,
            max_connections: config.max_connections,
            header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then finishes in-flight requests and
    /// pending writes before returning.
    ///
    /// Connections are bounded: at most `max_connections` are open (one past it is closed at
    /// once and counted), and a connection that does not send a whole request head within
    /// `header_read_timeout_ms` — on connect or idle between keep-alive requests — is closed.
    /// So slow or idle clients cannot hold the open files the health probe needs.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let Service {
            state,
            writer,
            decision_writer,
            max_connections,
            header_read_timeout,
        } = self;
        let app = router(state.clone());
        let addr = listener.local_addr().ok();
        tracing::info!(addr = ?addr, max_connections, "listening");
        let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .max_buf_size(MAX_HEAD_BYTES);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors or a connection reset before accept: wait a
                        // moment instead of spinning, and go on.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                state
                    .metrics()
                    .refused_connections
                    .fetch_add(1, Ordering::Relaxed);
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            // hyper's own answers to requests it cannot parse become problem+json too.
            let io = hyper_util::rt::TokioIo::new(parse_errors::ProblemIo::new(stream));
            let conn = http.serve_connection(io, service);
            let conn = graceful.watch(conn);
            let open = state.metrics().open_connections.clone();
            open.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let _ = conn.await;
                open.fetch_sub(1, Ordering::Relaxed);
                drop(slot);
            });
        }
        drop(listener);
        state.set_draining();
        tracing::info!("shutting down: finishing in-flight requests");
        graceful.shutdown().await;
        // The router is gone; dropping the last state closes the write queue and the writer
        // commits what it holds, then ends.
        drop(app);
        drop(state);
        for h in [writer, decision_writer].into_iter().flatten() {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Raises the soft limit of open files to the hard limit (where the system allows), so that
/// `max_connections` and the index's files fit; returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

/// Open files kept for everything but connections: the index's segment files, the vacancy
/// board, the decision log, the listener, the runtime.
pub const RESERVED_FILES: u64 = 512;

/// The most connections that fit in `open_files` with [`RESERVED_FILES`] kept aside (at least
/// 16), when `max_connections` would not: past the process's limit, accepting fails and idle
/// connections could make `/healthz` unreachable, so the cap is taken at start and logged.
pub fn connections_within(max_connections: usize, open_files: u64) -> Option<usize> {
    let fit = open_files.saturating_sub(RESERVED_FILES).max(16);
    (max_connections as u64 > fit).then_some(fit as usize)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// Issue 30.7: `max_connections` past the open-file limit is capped to what fits with
    /// 512 files kept aside (4,096 in 1,024 files: 512), and never below 16.
    #[test]
    fn issue_30_7_max_connections_is_capped_to_the_open_file_limit() {
        assert_eq!(connections_within(4096, 1024), Some(512));
        assert_eq!(connections_within(4096, 1_048_576), None);
        assert_eq!(connections_within(4096, 4608), None);
        assert_eq!(connections_within(4096, 4607), Some(4095));
        assert_eq!(connections_within(100, 256), Some(16));
    }

    fn state(config: &ServerConfig) -> AppState {
        Service::new(Engine::bundled().unwrap(), config)
            .unwrap()
            .state
    }

    /// A configuration with `extra` and one key, `k`, of scope profiling.
    fn keyed(extra: &str) -> ServerConfig {
        let text = format!(
            "{extra}[[keys]]\nid = \"t\"\nsha256 = \"{}\"\nscopes = [\"profiling\"]\n",
            config::key_hash("k")
        );
        ServerConfig::parse("t.toml", &text).unwrap()
    }

    async fn get_with_key(app: Router, uri: &str) -> Response {
        let req = Request::builder()
            .uri(uri)
            .header("x-api-key", "k")
            .body(Body::empty())
            .unwrap();
        app.oneshot(req).await.unwrap()
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_problem_json() {
        let config = keyed("");
        // Mounted on a route of the access table (`GET /v1/models`, any key): a route outside it
        // is denied before its handler runs.
        let routes = Router::new().route(
            "/v1/models",
            get(|| async {
                let hidden = std::hint::black_box(true);
                if hidden {
                    panic!("handler panics");
                }
                "unreachable"
            }),
        );
        let res = get_with_key(with_layers(routes, state(&config)), "/v1/models").await;
        assert_eq!(res.status(), 500);
        assert_eq!(res.headers()["content-type"], problem::PROBLEM_JSON);
        assert!(res.headers().contains_key("x-request-id"));
    }

    #[tokio::test]
    async fn a_request_past_the_timeout_answers_503_problem_json() {
        let config = keyed("request_timeout_ms = 20\n");
        let routes = Router::new().route(
            "/v1/models",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        );
        let res = get_with_key(with_layers(routes, state(&config)), "/v1/models").await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(p["type"], "urn:incrocio:problem:timeout");
    }

    #[tokio::test]
    async fn issue_11_4_a_route_outside_the_access_table_is_denied_not_any_key() {
        let config = keyed("");
        let routes = Router::new().route("/v1/unlisted", get(|| async { "secret" }));
        let res = get_with_key(with_layers(routes, state(&config)), "/v1/unlisted").await;
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["content-type"], problem::PROBLEM_JSON);
    }

    #[tokio::test]
    async fn issue_11_4_head_has_the_scope_of_get() {
        // The key has the profiling scope only: HEAD on a candidate needs candidates:read.
        let app = router(state(&keyed("")));
        let req = Request::builder()
            .method("HEAD")
            .uri("/v1/candidates/C1")
            .header("x-api-key", "k")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 403);
    }

    #[tokio::test]
    async fn issue_11_5_made_up_methods_do_not_grow_the_metrics() {
        let s = state(&keyed(""));
        let app = router(s.clone());
        for i in 0..50 {
            let req = Request::builder()
                .method(format!("FOOBAR{i}").as_str())
                .uri(format!("/x{i}"))
                .body(Body::empty())
                .unwrap();
            let _ = app.clone().oneshot(req).await.unwrap();
        }
        let text = s.render_metrics();
        let lines = text
            .lines()
            .filter(|l| l.starts_with("incrocio_http_requests_total{"))
            .collect::<Vec<_>>();
        assert_eq!(
            lines,
            vec![
                "incrocio_http_requests_total{route=\"unmatched\",method=\"OTHER\",status=\"404\"} 50"
            ]
        );
    }

    #[tokio::test]
    async fn issue_11_7_a_long_request_target_is_a_414_problem() {
        let app = router(state(&keyed("")));
        let uri = format!("/healthz?{}", "a".repeat(MAX_URI_BYTES + 1));
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 414);
        assert_eq!(res.headers()["content-type"], problem::PROBLEM_JSON);
    }

    #[tokio::test]
    async fn issue_11_2_a_timed_out_job_is_stopped_and_keeps_its_slot_until_then() {
        let metrics = Arc::new(metrics::Metrics::default());
        let q = queue::WorkQueue::new(1, 1, Duration::from_secs(60), metrics);
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (stopped_tx, stopped_rx) = std::sync::mpsc::channel::<()>();
        let q2 = q.clone();
        let waiter = tokio::spawn(async move {
            q2.run(move |cancel| {
                let _ = started_tx.send(());
                // Works until it is told to stop, as a long shortlist checks between documents.
                while cancel.check().is_ok() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(50));
                let _ = stopped_tx.send(());
                cancel.check().map(|()| 0u8)
            })
            .await
        });
        started_rx.await.unwrap();
        assert_eq!(q.in_use(2), 1);
        // The request gives up (as the timeout layer drops it): the job is told to stop...
        waiter.abort();
        let _ = waiter.await;
        // ...and until it has really stopped it keeps its place in the queue.
        assert_eq!(q.in_use(2), 1);
        stopped_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the job stopped");
        for _ in 0..1000 {
            if q.in_use(2) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(q.in_use(2), 0);
    }

    /// A job that holds the queue's only slot until told (it then returns 1), started and
    /// holding it when this returns.
    async fn holding_the_only_slot(
        q: &queue::WorkQueue,
    ) -> (
        tokio::task::JoinHandle<std::result::Result<u8, Problem>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let q2 = q.clone();
        let first = tokio::spawn(async move {
            q2.run(move |_| {
                let _ = rx.recv();
                Ok(1)
            })
            .await
        });
        while q.in_use(1) == 0 {
            tokio::task::yield_now().await;
        }
        (first, tx)
    }

    #[tokio::test]
    async fn a_full_queue_answers_503_with_retry_after() {
        let metrics = Arc::new(metrics::Metrics::default());
        let q = queue::WorkQueue::new(1, 0, std::time::Duration::from_secs(60), metrics);
        let (first, tx) = holding_the_only_slot(&q).await;
        let second = q.run(|_| Ok(2)).await.unwrap_err();
        assert_eq!(second.status, 503);
        assert_eq!(second.retry_after, Some(1));
        tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        // A panicking job is a 500, and the slot is given back.
        let p = q
            .run(|_| -> Result<u8> { panic!("job panics") })
            .await
            .unwrap_err();
        assert_eq!(p.status, 500);
        assert_eq!(q.run(|_| Ok(3)).await.unwrap(), 3);
    }

    /// A small job run on the request's task keeps the queue's rules: 503 when the queue is
    /// full, 500 when it panics, and its slot given back either way.
    #[tokio::test]
    async fn a_small_job_is_admitted_and_bounded_as_any_other() {
        let metrics = Arc::new(metrics::Metrics::default());
        let q = queue::WorkQueue::new(1, 0, std::time::Duration::from_secs(60), metrics);
        assert_eq!(q.run_small(|_| Ok(1)).await.unwrap(), 1);
        assert_eq!(q.in_use(1), 0);
        let (first, tx) = holding_the_only_slot(&q).await;
        assert_eq!(q.run_small(|_| Ok(2)).await.unwrap_err().status, 503);
        tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        let p = q
            .run_small(|_| -> Result<u8> { panic!("job panics") })
            .await
            .unwrap_err();
        assert_eq!(p.status, 500);
        assert_eq!(q.in_use(1), 0);
        // The job gets the queue's time limit.
        let q = queue::WorkQueue::new(
            1,
            0,
            std::time::Duration::ZERO,
            Arc::new(metrics::Metrics::default()),
        );
        let late = q.run_small(|c| c.check().map(|()| 0u8)).await.unwrap_err();
        assert_eq!((late.status, late.kind.ends_with(":timeout")), (503, true));
    }
}
