//! The log's writer thread: decisions from many requests are appended in groups (all that
//! arrived while the previous group was being synced, up to a bound), one `fdatasync` per
//! group, and each request is answered once its group is durable.

use std::thread::JoinHandle;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use super::{Decision, DecisionLog, Receipt};
use incrocio_core::error::{Error, Result};

struct Job {
    decisions: Vec<Decision>,
    done: oneshot::Sender<std::result::Result<Vec<Receipt>, String>>,
}

/// A handle to the writer thread (cheap to clone).
#[derive(Debug, Clone)]
pub struct DecisionWriter {
    tx: mpsc::Sender<Job>,
    dir: std::path::PathBuf,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Job({} decisions)", self.decisions.len())
    }
}

impl DecisionWriter {
    /// Starts the writer thread over an open log: at most `pending` requests wait, at most
    /// `max_group` decisions go in one synced append.
    pub fn start(
        log: DecisionLog,
        pending: usize,
        max_group: usize,
    ) -> std::io::Result<(DecisionWriter, JoinHandle<()>)> {
        let dir = log
            .path()
            .parent()
            .map_or_else(std::path::PathBuf::new, std::path::Path::to_path_buf);
        let (tx, rx) = mpsc::channel::<Job>(pending.max(1));
        let handle = std::thread::Builder::new()
            .name("incrocio-decisions".into())
            .spawn(move || run(log, rx, max_group.max(1)))?;
        Ok((DecisionWriter { tx, dir }, handle))
    }

    /// The log directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Records decisions; returns once they are durable.
    pub async fn record(&self, decisions: Vec<Decision>) -> Result<Vec<Receipt>> {
        if decisions.is_empty() {
            return Ok(Vec::new());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job { decisions, done })
            .await
            .map_err(|_| self.stopped())?;
        wait.await
            .map_err(|_| self.stopped())?
            .map_err(|e| Error::data(&self.dir, e))
    }

    /// Records decisions from a thread that may block (a command, a worker of the blocking
    /// pool; never an async task); returns once they are durable.
    pub fn record_blocking(&self, decisions: Vec<Decision>) -> Result<Vec<Receipt>> {
        if decisions.is_empty() {
            return Ok(Vec::new());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .blocking_send(Job { decisions, done })
            .map_err(|_| self.stopped())?;
        wait.blocking_recv()
            .map_err(|_| self.stopped())?
            .map_err(|e| Error::data(&self.dir, e))
    }

    fn stopped(&self) -> Error {
        Error::data(&self.dir, "the decision log writer has stopped")
    }
}

fn run(mut log: DecisionLog, mut rx: mpsc::Receiver<Job>, max_group: usize) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        let mut n = jobs[0].decisions.len();
        while n < max_group {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.decisions.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let all: Vec<Decision> = jobs
            .iter()
            .flat_map(|j| j.decisions.iter().cloned())
            .collect();
        match log.append(&all, Utc::now()) {
            Ok(receipts) => {
                let mut it = receipts.into_iter();
                for j in jobs {
                    let mine: Vec<Receipt> = it.by_ref().take(j.decisions.len()).collect();
                    let _ = j.done.send(Ok(mine));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "decision log append failed");
                for j in jobs {
                    let _ = j.done.send(Err(e.to_string()));
                }
            }
        }
    }
}
