//! What every handler shares: the engine, the keys, the queues and the metrics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::config::{ApiKey, ServerConfig, key_hash};
use super::metrics::Metrics;
use super::queue::{WorkQueue, WriteQueue};
use incrocio_engine::Engine;

/// The shared state (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Arc<Engine>,
    /// Keys by their hash.
    keys: BTreeMap<String, ApiKey>,
    work: WorkQueue,
    capacity: usize,
    writes: Option<WriteQueue>,
    metrics: Arc<Metrics>,
    timeout: Duration,
    body_limit: usize,
    bulk_max_items: usize,
    ready: AtomicBool,
}

impl AppState {
    /// State over an engine; `writes` is the writer when the engine has an index.
    pub fn new(
        engine: Arc<Engine>,
        config: &ServerConfig,
        writes: Option<WriteQueue>,
        metrics: Arc<Metrics>,
    ) -> AppState {
        let keys = config
            .keys
            .iter()
            .map(|k| (k.sha256.to_ascii_lowercase(), k.clone()))
            .collect();
        AppState {
            inner: Arc::new(Inner {
                engine,
                keys,
                work: WorkQueue::new(
                    config.workers,
                    config.queue,
                    Duration::from_millis(config.request_timeout_ms),
                    metrics.clone(),
                ),
                capacity: config.workers + config.queue,
                writes,
                metrics,
                timeout: Duration::from_millis(config.request_timeout_ms),
                body_limit: config.body_limit_bytes,
                bulk_max_items: config.bulk_max_items,
                ready: AtomicBool::new(true),
            }),
        }
    }

    /// The engine.
    pub fn engine(&self) -> Arc<Engine> {
        self.inner.engine.clone()
    }

    /// The CPU work queue.
    pub fn work(&self) -> &WorkQueue {
        &self.inner.work
    }

    /// The candidate writer, when an index is open.
    pub fn writes(&self) -> Option<&WriteQueue> {
        self.inner.writes.as_ref()
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The most items of one bulk request.
    pub fn bulk_max_items(&self) -> usize {
        self.inner.bulk_max_items
    }

    /// The key presented, if the service knows it.
    pub fn key(&self, presented: &str) -> Option<&ApiKey> {
        self.inner.keys.get(&key_hash(presented))
    }

    /// Ready to serve: models loaded (always, once built) and, with an index, its writer alive.
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Relaxed)
            && self.inner.writes.as_ref().is_none_or(|w| !w.is_closed())
    }

    /// Marks the service as draining (readiness off) during shutdown.
    pub fn set_draining(&self) {
        self.inner.ready.store(false, Ordering::Relaxed);
    }

    /// The metrics text with the gauges read now.
    pub fn render_metrics(&self) -> String {
        let index = self.inner.engine.index();
        let indexed = index.and_then(|i| i.len().ok()).unwrap_or(0);
        let rows = index.map_or(0, |i| i.vector_rows());
        let held = index.map_or(0, |i| i.vectors_held());
        self.inner.metrics.render(&[
            (
                "incrocio_candidates_indexed",
                "Live candidates in the index.",
                indexed as f64,
            ),
            (
                "incrocio_vector_rows",
                "Competency vector slots, live or dead (a dead one keeps its slot, its vector is given back at start).",
                rows as f64,
            ),
            (
                "incrocio_vectors_held",
                "Competency vector rows holding a vector: the live ones and the dead ones since the service started.",
                held as f64,
            ),
            (
                "incrocio_work_queue_in_use",
                "CPU jobs running or waiting.",
                self.inner.work.in_use(self.inner.capacity) as f64,
            ),
            (
                "incrocio_open_connections",
                "HTTP connections open now.",
                self.inner
                    .metrics
                    .open_connections
                    .load(std::sync::atomic::Ordering::Relaxed) as f64,
            ),
            (
                "incrocio_work_queue_capacity",
                "CPU jobs admitted at most (workers + queue).",
                self.inner.capacity as f64,
            ),
        ])
    }
}
