//! Where CPU work and candidate writes run, off the async runtime.
//!
//! - [`WorkQueue`]: at most `workers` jobs run at once on the blocking pool, at most `queue` more
//!   wait; past that a request is refused at once with 503 + `Retry-After`.
//! - [`WriteQueue`]: candidate writes go to one writer thread that commits them in groups (all
//!   that arrived while the previous commit ran, up to `write_batch_max`) and answers each only
//!   after its group is durable and visible to searches.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::metrics::Metrics;
use super::problem::Problem;
use incrocio_core::cancel::{Cancel, CancelOnDrop};
use incrocio_core::error::Result;
use incrocio_engine::Engine;
use incrocio_engine::api::{Candidate, Vacancy};

/// A candidate record's entity tag (re-exported where the writer checks `If-Match`).
pub use incrocio_engine::api::{etag, etag_of};

/// The preconditions of a single-record write (RFC 9110 §13.1), checked by the writer thread
/// right before it commits, against the stored record of the write's kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// `If-Match`: one ETag, or `*` (any stored version).
    pub if_match: Option<String>,
    /// `If-None-Match`: `*` (no record stored), or ETags none of which may be the stored one.
    pub if_none_match: Option<NoneMatch>,
}

/// The value of `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoneMatch {
    /// `*`: only when no record has this id (create, never replace).
    Any,
    /// Only when the stored record's ETag is none of these.
    Tags(Vec<String>),
}

impl Conditions {
    /// Whether there is anything to check.
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// Whether the write may go ahead given the stored record's ETag (`None`: no record).
    fn hold(&self, current: Option<&str>) -> bool {
        let matched = match (&self.if_match, current) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(t), Some(c)) => t == "*" || t == c,
        };
        let none_matched = match (&self.if_none_match, current) {
            (None, _) | (Some(_), None) => true,
            (Some(NoneMatch::Any), Some(_)) => false,
            (Some(NoneMatch::Tags(tags)), Some(c)) => !tags.iter().any(|t| t == c),
        };
        matched && none_matched
    }
}

/// The bounded queue for CPU work.
#[derive(Debug, Clone)]
pub struct WorkQueue {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    limit: Duration,
}

impl WorkQueue {
    /// `workers` at once, `queue` waiting; each job is stopped at `limit`.
    pub fn new(workers: usize, queue: usize, limit: Duration, metrics: Arc<Metrics>) -> WorkQueue {
        WorkQueue {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
            metrics,
            limit,
        }
    }

    /// Jobs admitted (running or waiting) now: a job keeps its place until it has really
    /// stopped, even when its request has already been answered.
    pub fn in_use(&self, capacity: usize) -> usize {
        capacity.saturating_sub(self.admitted.available_permits())
    }

    /// A place in the queue (503 at once when there is none), the job's stop signal (its time
    /// limit running from here), then a worker once one is free.
    async fn admit(&self) -> Result<(Cancel, Permits), Problem> {
        let Ok(admitted) = self.admitted.clone().try_acquire_owned() else {
            self.metrics.busy.fetch_add(1, Ordering::Relaxed);
            return Err(Problem::busy());
        };
        let cancel = Cancel::after(self.limit);
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Problem::internal())?;
        Ok((cancel, (running, admitted)))
    }

    /// Runs a job known to be small (a few records: microseconds of CPU) on the calling task,
    /// under the same admission, worker count and time limit as [`WorkQueue::run`], without
    /// the hand-off to the blocking pool and back (two thread wake-ups, most of such a
    /// request's cost beside the socket); 500 when the job panics.
    pub async fn run_small<T>(&self, job: impl FnOnce(&Cancel) -> Result<T>) -> Result<T, Problem> {
        let (cancel, permits) = self.admit().await?;
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&cancel)));
        drop(permits);
        finished(out.map_err(|_| true))
    }

    /// Runs `job` on the blocking pool once a worker is free; 503 when the queue is full, 500
    /// when the job panics (the panic never reaches the connection).
    ///
    /// The job gets a [`Cancel`] that is raised at the time limit and when this future is
    /// dropped (the request timed out or the client left); the job checks it and stops. Its
    /// queue place and worker are held by the job itself, so they are given back only when it
    /// has returned, never while it still runs.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Cancel) -> Result<T> + Send + 'static,
    ) -> Result<T, Problem> {
        let (cancel, permits) = self.admit().await?;
        let guard = CancelOnDrop(cancel.clone());
        let out = tokio::task::spawn_blocking(move || {
            let r = job(&cancel);
            drop(permits);
            r
        })
        .await;
        drop(guard);
        finished(out.map_err(|e| e.is_panic()))
    }
}

/// A queue place and a worker, held until the job has returned.
type Permits = (
    tokio::sync::OwnedSemaphorePermit,
    tokio::sync::OwnedSemaphorePermit,
);

/// A job's result as the handler answers it: its error mapped, and 500 when the job failed
/// (`Err(panicked)`), logged without detail.
fn finished<T>(out: std::result::Result<Result<T>, bool>) -> Result<T, Problem> {
    match out {
        Ok(r) => r.map_err(Problem::from),
        Err(panic) => {
            tracing::error!(panic, "a job failed");
            Err(Problem::internal())
        }
    }
}

/// A candidate write.
#[derive(Debug)]
pub enum WriteOp {
    /// Add or replace a candidate.
    Upsert(Box<Candidate>),
    /// Remove a candidate by id.
    Delete(String),
    /// Add or replace a vacancy on the board.
    UpsertVacancy(Box<Vacancy>),
    /// Remove a vacancy by id.
    DeleteVacancy(String),
}

/// What a run of writes commits together: one kind of write on one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Upsert,
    Delete,
    UpsertVacancy,
    DeleteVacancy,
}

impl WriteOp {
    fn kind(&self) -> Kind {
        match self {
            WriteOp::Upsert(_) => Kind::Upsert,
            WriteOp::Delete(_) => Kind::Delete,
            WriteOp::UpsertVacancy(_) => Kind::UpsertVacancy,
            WriteOp::DeleteVacancy(_) => Kind::DeleteVacancy,
        }
    }

    fn id(&self) -> &str {
        match self {
            WriteOp::Upsert(c) => &c.record.id,
            WriteOp::UpsertVacancy(v) => &v.record.id,
            WriteOp::Delete(id) | WriteOp::DeleteVacancy(id) => id,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Whether the id was in the index before the write.
    pub existed: bool,
    /// Live candidates after the commit.
    pub indexed: u64,
}

/// Why a write was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    /// The commit failed.
    Failed,
    /// A precondition (`If-Match`, `If-None-Match`) did not hold; the stored record's ETag,
    /// if one is stored.
    Precondition(Option<String>),
}

struct Pending {
    /// The writes, committed in order; a bulk request sends many, every other request one.
    ops: Vec<WriteOp>,
    /// The preconditions of the request (one op only), checked against the stored record.
    conditions: Conditions,
    done: oneshot::Sender<Result<Vec<WriteOutcome>, Refused>>,
}

/// The sending side of the writer thread.
#[derive(Debug, Clone)]
pub struct WriteQueue {
    tx: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl WriteQueue {
    /// Starts the writer thread; it ends when every [`WriteQueue`] clone is dropped, after
    /// committing what it holds.
    pub fn start(
        engine: Arc<Engine>,
        batch_max: usize,
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<(WriteQueue, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let handle = std::thread::Builder::new()
            .name("incrocio-writer".into())
            .spawn(move || writer_loop(&engine, rx, batch_max, &metrics))?;
        Ok((WriteQueue { tx }, handle))
    }

    /// Whether the writer thread has stopped.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Queues a write and waits until it is durable; 503 when the write queue is full.
    pub async fn write(&self, op: WriteOp) -> Result<WriteOutcome, Problem> {
        self.write_if(op, Conditions::default()).await
    }

    /// Queues a write made only while its preconditions hold for the stored record of its
    /// kind (candidate or vacancy), checked by the writer thread right before it commits, so
    /// no other write can come between; 412 otherwise.
    pub async fn write_if(
        &self,
        op: WriteOp,
        conditions: Conditions,
    ) -> Result<WriteOutcome, Problem> {
        self.send(vec![op], conditions)
            .await?
            .pop()
            .ok_or_else(Problem::internal)
    }

    /// Queues many writes as one entry (a bulk request): they are committed in order, a run of
    /// one kind of write per commit, and the answer comes once all are durable. 503 when the
    /// write queue is full.
    pub async fn write_all(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>, Problem> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        self.send(ops, Conditions::default()).await
    }

    async fn send(
        &self,
        ops: Vec<WriteOp>,
        conditions: Conditions,
    ) -> Result<Vec<WriteOutcome>, Problem> {
        // Which header failed, for the answer: If-Match is evaluated first (RFC 9110 §13.2.2).
        let only_match = Conditions {
            if_match: conditions.if_match.clone(),
            if_none_match: None,
        };
        let (done, wait) = oneshot::channel();
        self.tx
            .try_send(Pending {
                ops,
                conditions,
                done,
            })
            .map_err(|_| Problem::busy())?;
        match wait.await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(Refused::Precondition(current))) => Err(Problem::precondition_failed(
                current.as_deref(),
                only_match.hold(current.as_deref()),
            )),
            _ => Err(Problem::internal()),
        }
    }
}

fn writer_loop(
    engine: &Engine,
    mut rx: mpsc::Receiver<Pending>,
    batch_max: usize,
    metrics: &Metrics,
) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        commit(engine, batch, metrics);
    }
    tracing::info!("candidate writer stopped");
}

/// Commits a batch in arrival order: each run of one kind of write (candidate upserts,
/// candidate deletes, vacancy upserts, vacancy deletes), across entries, is one commit. Each
/// entry is answered once all its writes are committed.
fn commit(engine: &Engine, batch: Vec<Pending>, metrics: &Metrics) {
    let mut results: Vec<Result<Vec<WriteOutcome>, Refused>> = batch
        .iter()
        .map(|p| Ok(Vec::with_capacity(p.ops.len())))
        .collect();
    let mut senders = Vec::with_capacity(batch.len());
    let mut run: Vec<(usize, WriteOp)> = Vec::new();
    for (i, p) in batch.into_iter().enumerate() {
        senders.push(p.done);
        // A conditional write is a run of its own, checked against the stored version now:
        // every earlier write of the batch is committed, no later one is.
        if !p.conditions.is_empty() {
            flush(engine, &mut run, &mut results, metrics);
            let current = match p.ops.first() {
                Some(op @ (WriteOp::Upsert(_) | WriteOp::Delete(_))) => {
                    engine.candidate(op.id()).map(|r| r.as_ref().map(etag))
                }
                Some(op @ (WriteOp::UpsertVacancy(_) | WriteOp::DeleteVacancy(_))) => {
                    engine.vacancy(op.id()).map(|r| r.as_ref().map(etag_of))
                }
                None => Ok(None),
            };
            let ok = current
                .as_ref()
                .is_ok_and(|c| p.conditions.hold(c.as_deref()));
            if !ok {
                results[i] = Err(match current {
                    Ok(tag) => Refused::Precondition(tag),
                    Err(_) => Refused::Failed,
                });
                continue;
            }
            run.extend(p.ops.into_iter().map(|op| (i, op)));
            flush(engine, &mut run, &mut results, metrics);
        } else {
            run.extend(p.ops.into_iter().map(|op| (i, op)));
        }
    }
    flush(engine, &mut run, &mut results, metrics);
    for (done, result) in senders.into_iter().zip(results) {
        let _ = done.send(result);
    }
}

/// Commits the pending writes, one commit per run of one kind, recording each write's outcome
/// with its entry (or the entry's failure).
fn flush(
    engine: &Engine,
    pending: &mut Vec<(usize, WriteOp)>,
    results: &mut [Result<Vec<WriteOutcome>, Refused>],
    metrics: &Metrics,
) {
    let mut items = std::mem::take(pending).into_iter().peekable();
    while let Some((entry, first)) = items.next() {
        let kind = first.kind();
        let mut owners = vec![entry];
        let mut ops = vec![first];
        while let Some((e, op)) = items.next_if(|(_, op)| op.kind() == kind) {
            owners.push(e);
            ops.push(op);
        }
        let n = ops.len();
        let result = apply(engine, ops, kind);
        metrics.write_batches.fetch_add(1, Ordering::Relaxed);
        metrics.writes.fetch_add(n as u64, Ordering::Relaxed);
        match result {
            Ok((existed, indexed)) => {
                for (owner, existed) in owners.into_iter().zip(existed) {
                    if let Ok(v) = &mut results[owner] {
                        v.push(WriteOutcome { existed, indexed });
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, writes = n, "write failed");
                for owner in owners {
                    results[owner] = Err(Refused::Failed);
                }
            }
        }
    }
}

/// Applies a run of one kind of write with one commit; returns whether each id existed before
/// its write and the live candidates (or held vacancies) after.
fn apply(engine: &Engine, ops: Vec<WriteOp>, kind: Kind) -> Result<(Vec<bool>, u64)> {
    let upserts = matches!(kind, Kind::Upsert | Kind::UpsertVacancy);
    let vacancies = matches!(kind, Kind::UpsertVacancy | Kind::DeleteVacancy);
    let ids: Vec<String> = ops.iter().map(|op| op.id().to_owned()).collect();
    // A repeated id sees the effect of its earlier write in the run: an upsert made it exist,
    // a delete removed it.
    let mut seen = std::collections::BTreeSet::new();
    let existed = ids
        .iter()
        .map(|id| {
            if seen.insert(id.as_str()) {
                if vacancies {
                    engine.has_vacancy(id)
                } else {
                    engine.has_candidate(id)
                }
            } else {
                Ok(upserts)
            }
        })
        .collect::<Result<Vec<bool>>>()?;
    let indexed = match kind {
        Kind::Upsert => {
            let candidates: Vec<Candidate> = ops
                .into_iter()
                .filter_map(|op| match op {
                    WriteOp::Upsert(c) => Some(*c),
                    _ => None,
                })
                .collect();
            engine.upsert_candidates(&candidates)?
        }
        Kind::UpsertVacancy => {
            let vacancies: Vec<Vacancy> = ops
                .into_iter()
                .filter_map(|op| match op {
                    WriteOp::UpsertVacancy(v) => Some(*v),
                    _ => None,
                })
                .collect();
            engine.upsert_vacancies(&vacancies)?
        }
        Kind::Delete => engine.delete_candidates(&ids)?,
        Kind::DeleteVacancy => engine.delete_vacancies(&ids)?,
    };
    Ok((existed, indexed))
}
