//! Answers that are decisions: each engine call that makes one returns it as a [`Decided`],
//! and its answer comes out only through [`Engine::record`] (the service) or
//! [`Engine::record_blocking`] (a command), which append its records to the decision log when
//! one is configured. So an edge cannot answer a decision without recording it, and the records
//! are built in one place ([`crate::of`]), whichever edge asked.

use chrono::NaiveDate;

use incrocio_core::cancel::Cancel;
use incrocio_core::error::{Error, Result};
use incrocio_decisions::esiti::{EsitiRequest, Esito};
use incrocio_decisions::writer::DecisionWriter;
use incrocio_decisions::{Decision, DecisionLog, Receipt, Record};

use crate::Engine;

/// An answer with the decision records it makes, waiting to be recorded.
#[derive(Debug)]
#[must_use = "an answer is given only once its decisions are recorded (Engine::record)"]
pub struct Decided<T> {
    answer: T,
    decisions: Vec<Decision>,
}

impl<T> Decided<T> {
    /// An answer and its records (built only when the engine keeps a log).
    pub(crate) fn new(answer: T, decisions: Vec<Decision>) -> Decided<T> {
        Decided { answer, decisions }
    }

    /// The same decision with its answer completed (the records are already made).
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Decided<U> {
        Decided {
            answer: f(self.answer),
            decisions: self.decisions,
        }
    }

    /// The answer, when it has no record to keep (its engine keeps no decision log, or the
    /// answer decided nothing); `None` otherwise: then only [`Engine::record`] gives it.
    pub fn without_records(self) -> Option<T> {
        self.decisions.is_empty().then_some(self.answer)
    }
}

/// An answer whose decisions are durable in the log: their receipts, in order (none when the
/// engine keeps no decision log, except for the answers that need one).
#[derive(Debug, Clone)]
pub struct Recorded<T> {
    /// The answer.
    pub answer: T,
    /// Where each record went.
    pub receipts: Vec<Receipt>,
}

impl Engine {
    /// The same engine with a decision log: every decision it answers is appended (group
    /// committed by the writer thread) before the answer is given.
    pub fn with_decisions(mut self, writer: DecisionWriter) -> Engine {
        self.decisions = Some(writer);
        self
    }

    /// Opens the decision log in `dir` (created when absent, the chain verified) and starts
    /// its writer thread: `pending` requests may wait, `max_group` decisions go in one synced
    /// append. The thread ends when the last engine holding it is dropped.
    ///
    /// With `key` (an Ed25519 key file, `incrocio log keygen`), the head is signed after every
    /// group appended (`heads.jsonl` beside the log), so a rewrite of the log is detectable by
    /// whoever keeps a signed head (`incrocio_decisions::signing`).
    pub fn open_decisions(
        self,
        dir: &std::path::Path,
        pending: usize,
        max_group: usize,
        key: Option<&std::path::Path>,
    ) -> Result<(Engine, std::thread::JoinHandle<()>)> {
        let key = key
            .map(incrocio_decisions::signing::HeadKey::read)
            .transpose()?;
        let log = DecisionLog::open_signed(dir, key)?;
        let (w, h) = DecisionWriter::start(log, pending, max_group)
            .map_err(|e| Error::io("decision log writer thread", e))?;
        Ok((self.with_decisions(w), h))
    }

    /// Whether decisions are recorded.
    pub fn keeps_decisions(&self) -> bool {
        self.decisions.is_some()
    }

    fn require_decisions(&self) -> Result<&DecisionWriter> {
        self.decisions.as_ref().ok_or(Error::NoDecisionLog)
    }

    /// Records `d`'s decisions (when a log is configured) and gives its answer once they are
    /// durable. For async callers (the service).
    pub async fn record<T>(&self, d: Decided<T>) -> Result<Recorded<T>> {
        let receipts = match &self.decisions {
            Some(w) => w.record(d.decisions).await?,
            None => Vec::new(),
        };
        Ok(Recorded {
            answer: d.answer,
            receipts,
        })
    }

    /// [`Engine::record`] for a caller that may block (a command, a test; never an async task).
    pub fn record_blocking<T>(&self, d: Decided<T>) -> Result<Recorded<T>> {
        let receipts = match &self.decisions {
            Some(w) => w.record_blocking(d.decisions)?,
            None => Vec::new(),
        };
        Ok(Recorded {
            answer: d.answer,
            receipts,
        })
    }

    /// Builds records only when they will be kept.
    pub(crate) fn decide<T>(
        &self,
        answer: T,
        records: impl FnOnce(&T) -> Vec<Decision>,
    ) -> Decided<T> {
        let decisions = if self.decisions.is_some() {
            records(&answer)
        } else {
            Vec::new()
        };
        Decided::new(answer, decisions)
    }

    /// Employers' outcomes (esiti) for people of a rosa the log holds, checked against it;
    /// `None` when the log holds no rosa `rosa_id`. Needs a decision log.
    pub fn esiti(
        &self,
        rosa_id: &str,
        req: EsitiRequest,
        actor: &str,
        today: NaiveDate,
        cancel: &Cancel,
    ) -> Result<Option<Decided<Vec<Esito>>>> {
        let log = self.require_decisions()?;
        let Some(rosa) = incrocio_decisions::esiti::find_rosa(log.dir(), rosa_id, cancel)? else {
            return Ok(None);
        };
        let checked = incrocio_decisions::esiti::validate(&rosa, req, actor, today)?;
        let (esiti, decisions): (Vec<Esito>, Vec<Decision>) = checked.into_iter().unzip();
        Ok(Some(Decided::new(esiti, decisions)))
    }

    /// The service-deadline indicators of `from..=to`, from the decision log.
    pub fn indicators(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
        cancel: &Cancel,
    ) -> Result<incrocio_decisions::indicators::Report> {
        let log = self.require_decisions()?;
        incrocio_decisions::indicators::for_log(log.dir(), from, to, today, cancel)
    }

    /// The first `limit` records of the log that concern `person`, oldest first.
    pub fn decisions_of(&self, person: &str, limit: usize, cancel: &Cancel) -> Result<Vec<Record>> {
        let log = self.require_decisions()?;
        incrocio_decisions::records_of(log.dir(), person, limit, cancel)
    }
}
