//! The HTTP service: a thin axum edge over [`Engine`]. The only module that knows axum, tower
//! and HTTP status codes ([`problem`]).
//!
//! Layers, outermost first: request id (set, then propagated to the response) → trace span
//! (method, path, request id; never bodies or query strings) → body limit → metrics → timeout →
//! panic catcher → per-route access check → handler. CPU work runs on the blocking pool behind
//! a bounded queue ([`queue`]); candidate writes are group-committed by one writer thread.

pub mod config;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod queue;
pub mod routes;
pub mod state;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub use self::config::{Overrides, Scope, ServerConfig};
pub use self::problem::Problem;
pub use self::state::AppState;

use self::routes::Access;
use crate::engine::Engine;
use crate::error::{Error, Result};

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
    let routes = Router::new()
        .route("/v1/profiling", post(routes::profile))
        .route("/v1/shortlists", post(routes::shortlist))
        .route(
            "/v1/candidates/{id}",
            put(routes::put_candidate)
                .get(routes::get_candidate)
                .delete(routes::delete_candidate),
        )
        .route("/v1/graduatorie", post(routes::graduatoria))
        .route("/v1/graduatorie/riesame", post(routes::riesame))
        .route("/v1/models", get(routes::models))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .route("/openapi.json", get(routes::openapi));
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
        return v.to_str().ok()?.strip_prefix("Bearer ").map(str::trim);
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
    }
    with_route(next.run(req).await, &path)
}

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

async fn observe(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let route = res
        .extensions()
        .get::<RouteName>()
        .map_or("unmatched", |r| r.0.as_str())
        .to_owned();
    let status = res.status().as_u16();
    s.metrics()
        .observe(&route, &method, status, started.elapsed());
    tracing::info!(
        status,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "response"
    );
    res
}

/// A running service: its state and the writer thread to join on shutdown.
#[derive(Debug)]
pub struct Service {
    /// The shared state.
    pub state: AppState,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Service {
    /// Builds the state (and starts the writer thread when the engine has an index).
    pub fn new(engine: Engine, config: &ServerConfig) -> Result<Service> {
        let engine = Arc::new(engine);
        let metrics = Arc::new(metrics::Metrics::default());
        let (writes, writer) = if engine.index().is_some() {
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
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then finishes in-flight requests and
    /// pending writes before returning.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let Service { state, writer } = self;
        let app = router(state.clone());
        let draining = state.clone();
        let addr = listener.local_addr().ok();
        tracing::info!(addr = ?addr, "listening");
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                draining.set_draining();
                tracing::info!("shutting down: finishing in-flight requests");
            })
            .await
            .map_err(|e| Error::io("listener", e))?;
        // The router is gone; dropping the last state closes the write queue and the writer
        // commits what it holds, then ends.
        drop(state);
        if let Some(h) = writer {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        tracing::info!("stopped");
        Ok(())
    }
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
    use tower::ServiceExt;

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
        let routes = Router::new().route(
            "/boom",
            get(|| async {
                let hidden = std::hint::black_box(true);
                if hidden {
                    panic!("handler panics");
                }
                "unreachable"
            }),
        );
        let res = get_with_key(with_layers(routes, state(&config)), "/boom").await;
        assert_eq!(res.status(), 500);
        assert_eq!(res.headers()["content-type"], problem::PROBLEM_JSON);
        assert!(res.headers().contains_key("x-request-id"));
    }

    #[tokio::test]
    async fn a_request_past_the_timeout_answers_503_problem_json() {
        let config = keyed("request_timeout_ms = 20\n");
        let routes = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        );
        let res = get_with_key(with_layers(routes, state(&config)), "/slow").await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(p["type"], "urn:incrocio:problem:timeout");
    }

    #[tokio::test]
    async fn a_full_queue_answers_503_with_retry_after() {
        let metrics = Arc::new(metrics::Metrics::default());
        let q = queue::WorkQueue::new(1, 0, metrics);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let q2 = q.clone();
        let first = tokio::spawn(async move {
            q2.run(move || {
                let _ = rx.recv();
                Ok(1)
            })
            .await
        });
        // Wait until the first job holds the only slot.
        while q.in_use(1) == 0 {
            tokio::task::yield_now().await;
        }
        let second = q.run(|| Ok(2)).await.unwrap_err();
        assert_eq!(second.status, 503);
        assert_eq!(second.retry_after, Some(1));
        tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        // A panicking job is a 500, and the slot is given back.
        let p = q
            .run(|| -> Result<u8> { panic!("job panics") })
            .await
            .unwrap_err();
        assert_eq!(p.status, 500);
        assert_eq!(q.run(|| Ok(3)).await.unwrap(), 3);
    }
}
