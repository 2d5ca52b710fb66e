//! The open vacancies (the *bacheca*): every vacancy record kept in memory with what the
//! person's side needs (place, competency vector, hard-rule masks, analysed words), and on
//! disk as one append-only, checksummed journal of writes.
//!
//! Everything in memory is derived from the records when the board is opened, under the
//! taxonomy and matching model of the running engine, so a board never disagrees with them
//! (a record that no longer validates is refused on open, naming it). Writes are appended and
//! synced before they are applied: a write acknowledged is durable, and a crash mid-append
//! leaves a torn last record that fails its checksum and is cut off on the next open.
//!
//! Journal: the 8-byte magic `INCRVAC1`, then records `u32 payload length, u32 CRC-32 of the
//! payload, payload` (little-endian); payload `U` + the vacancy record as JSON (upsert) or
//! `D` + the id (delete).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::TextAnalyzer;

use super::index::{italian_analyzer, lang_key, vacancy_text};
use super::journal;
use super::model::TitleParams;
use super::vectors::{SparseVec, Vectorizer};
use super::{MatchingModel, Vacancy, VacancyRecord};
use incrocio_core::error::{Error, Result};
use incrocio_core::reference::{Reference, point};
use incrocio_taxonomy::Taxonomy;

const MAGIC: &[u8; 8] = b"INCRVAC1";
/// The journal's file name in a board directory.
pub const JOURNAL: &str = "vacancies.journal";

/// One open vacancy with what the person's side reads.
#[derive(Debug, Clone)]
pub struct Posted {
    /// The validated vacancy.
    pub vacancy: Vacancy,
    /// Competency vector (as a shortlist computes it).
    pub vector: SparseVec,
    /// Required languages (language key without level, least CEFR level).
    pub(super) languages: Vec<(u64, u8)>,
    /// Analysed words (term id, frequency).
    terms: Vec<(u32, u32)>,
    /// With soft occupations: the title's character grams (term id, frequency), interned in
    /// the same dictionary as the words under a prefix ([`GRAM_PREFIX`]).
    grams: Vec<(u32, u32)>,
}

/// What a gram's entry in the board's dictionary starts with (no analysed word does).
pub(super) const GRAM_PREFIX: char = '\u{1}';

/// What the hard rules and the cheap parts read of a vacancy, packed (about 64 bytes) so the
/// person's search scans a dense array instead of the full records.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hot {
    /// Whether the slot holds a vacancy.
    pub(super) live: bool,
    /// Reserved to L. 68/1999.
    pub(super) l68: bool,
    /// Whether it requires languages (then the full record is read).
    pub(super) has_languages: bool,
    /// Least level of study (`u8::MAX`: none asked).
    pub(super) min_level: u8,
    /// Days from 1970-01-01 of the last open day (`i32::MAX`: no deadline).
    pub(super) open_until: i32,
    /// The vacancy's occupation (`u32::MAX`: not resolved).
    pub(super) occupation: u32,
    /// Its ISCO-08 unit group as a number (0: none).
    pub(super) isco: u32,
    pub(super) contract: u64,
    pub(super) mode: u64,
    pub(super) licences: u64,
    pub(super) lat: f64,
    pub(super) lon: f64,
    /// The cosine of the latitude in radians (once, not per distance).
    pub(super) cos_lat: f64,
    /// Search radius, km.
    pub(super) radius: u32,
    /// Analysed words in the title and description (BM25 length).
    pub(super) len: u32,
    /// Grams of the title (their BM25 length).
    pub(super) grams_len: u32,
}

/// Up to `N` items kept inline, or the mark that there were more (then the record's are read).
#[derive(Debug, Clone, Copy)]
struct Packed<T, const N: usize> {
    items: [T; N],
    /// How many of `items` hold; `u8::MAX`: more than fit.
    len: u8,
}

impl<T: Copy + Default, const N: usize> Default for Packed<T, N> {
    fn default() -> Self {
        Packed {
            items: [T::default(); N],
            len: 0,
        }
    }
}

impl<T: Copy + Default, const N: usize> Packed<T, N> {
    fn of(all: &[T]) -> Self {
        let mut p = Packed::default();
        if all.len() > N {
            p.len = u8::MAX;
        } else {
            p.items[..all.len()].copy_from_slice(all);
            p.len = all.len() as u8;
        }
        p
    }

    /// The items; `all` (the record's) when they did not fit.
    fn or<'a>(&'a self, all: impl FnOnce() -> &'a [T]) -> &'a [T] {
        match self.len {
            u8::MAX => all(),
            n => &self.items[..usize::from(n)],
        }
    }
}

/// What a person's search reads of a vacancy past its hard rules, packed beside [`Hot`] so
/// that the scan does not chase the record (a miss on a large struct, then another on its
/// distribution): the soft occupations (a model's `titles.top_k` is 5) and the required
/// languages, when they fit.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Side {
    soft: Packed<(u32, f32), 8>,
    langs: Packed<(u64, u8), 3>,
}

impl Side {
    fn of(p: &Posted) -> Side {
        Side {
            soft: Packed::of(&p.vacancy.soft),
            langs: Packed::of(&p.languages),
        }
    }

    /// The vacancy's soft occupations (from `posted` when they did not fit).
    pub(super) fn soft<'a>(&'a self, posted: &'a Option<Posted>) -> &'a [(u32, f32)] {
        self.soft
            .or(|| posted.as_ref().map_or(&[], |p| &p.vacancy.soft[..]))
    }

    /// The vacancy's required languages (from `posted` when they did not fit).
    pub(super) fn languages<'a>(&'a self, posted: &'a Option<Posted>) -> &'a [(u64, u8)] {
        self.langs
            .or(|| posted.as_ref().map_or(&[], |p| &p.languages[..]))
    }
}

/// Days from 1970-01-01 (the `Hot::open_until` scale).
pub(super) fn day_number(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

impl Hot {
    fn of(p: &Posted, t: &Taxonomy) -> Hot {
        let r = &p.vacancy.record;
        let place = &Reference::bundled().territory.comuni()[usize::from(p.vacancy.comune)];
        Hot {
            live: true,
            l68: r.riservata_l68,
            has_languages: !p.languages.is_empty(),
            min_level: r.livello_studio_min.unwrap_or(u8::MAX),
            open_until: r.data_scadenza.map_or(i32::MAX, day_number),
            occupation: p.vacancy.occupazione.unwrap_or(u32::MAX),
            isco: p
                .vacancy
                .occupazione
                .map_or(0, |o| t.occupations[o as usize].isco.parse().unwrap_or(0)),
            contract: p.vacancy.codes.contratto,
            mode: p.vacancy.codes.modalita,
            licences: p.vacancy.codes.patenti,
            lat: place.lat,
            lon: place.lon,
            cos_lat: point(place.lat, place.lon).2,
            radius: r.raggio_km,
            len: p.terms.iter().map(|(_, tf)| tf).sum(),
            grams_len: p.grams.iter().map(|(_, tf)| tf).sum(),
        }
    }
}

/// The in-memory side: slots, ids, postings.
#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) slots: Vec<Option<Posted>>,
    /// Per slot, packed for the scan.
    pub(super) hot: Vec<Hot>,
    /// Per slot, what the scan reads past the hard rules.
    pub(super) side: Vec<Side>,
    ids: FxHashMap<String, u32>,
    free: Vec<u32>,
    pub(super) terms: FxHashMap<String, u32>,
    /// Per term: (slot, frequency), live slots only.
    pub(super) postings: Vec<Vec<(u32, u32)>>,
    pub(super) live: u32,
    pub(super) total_len: u64,
    /// Σ of the live vacancies' gram lengths.
    pub(super) total_grams_len: u64,
    /// Writes (upserts and deletes) made through this handle since it was opened.
    writes: u64,
}

/// The open vacancies, in memory, with their journal.
pub struct VacancyBoard {
    path: Option<PathBuf>,
    journal: Mutex<Option<File>>,
    inner: RwLock<Inner>,
    vectorizer: Vectorizer,
    titles: TitleParams,
    analyzer: TextAnalyzer,
}

impl std::fmt::Debug for VacancyBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VacancyBoard")
            .field("path", &self.path)
            .field("open", &self.len())
            .finish()
    }
}

/// A write, as journaled.
enum Op {
    Upsert(Box<VacancyRecord>),
    Delete(String),
}

fn encode(op: &Op, out: &mut Vec<u8>) {
    let start = journal::begin(out);
    match op {
        Op::Upsert(r) => {
            out.push(b'U');
            // A record serialises: every field is a plain value.
            out.extend_from_slice(&serde_json::to_vec(r).unwrap_or_default());
        }
        Op::Delete(id) => {
            out.push(b'D');
            out.extend_from_slice(id.as_bytes());
        }
    }
    journal::seal(out, start);
}

impl VacancyBoard {
    /// An empty board held only in memory (tests, benches, one-off offers).
    pub fn in_memory(model: &MatchingModel, t: &Taxonomy) -> VacancyBoard {
        VacancyBoard {
            path: None,
            journal: Mutex::new(None),
            inner: RwLock::new(Inner::default()),
            vectorizer: Vectorizer::new(t, &model.vectors),
            titles: model.titles,
            analyzer: italian_analyzer(),
        }
    }

    /// Opens the board in `dir` (created when missing), replaying its journal; the records
    /// are validated again under `model` and `t` (a record that fails is an error naming it).
    pub fn open(
        dir: &Path,
        model: &MatchingModel,
        r: &Reference,
        t: &Taxonomy,
    ) -> Result<VacancyBoard> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(JOURNAL);
        let mut board = VacancyBoard::in_memory(model, t);
        let file = if path.exists() {
            board.replay(&path, r, t)?
        } else {
            create_journal(&path, &[])?
        };
        board.path = Some(path);
        board.journal = Mutex::new(Some(file));
        Ok(board)
    }

    /// Writes a new board in `dir` holding exactly `vacancies` (the journal written to a
    /// temporary file, synced and renamed over the old one).
    pub fn create(
        dir: &Path,
        vacancies: &[Vacancy],
        model: &MatchingModel,
        t: &Taxonomy,
    ) -> Result<VacancyBoard> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut board = VacancyBoard::in_memory(model, t);
        let mut buf = Vec::new();
        {
            let inner = board
                .inner
                .get_mut()
                .map_err(|_| Error::data(dir, "lock poisoned"))?;
            for v in vacancies {
                encode(&Op::Upsert(Box::new(v.record.clone())), &mut buf);
                let vector = board.vectorizer.vacancy(t, &v.soft, &v.skills);
                let p = post(
                    v.clone(),
                    vector,
                    &board.analyzer,
                    inner,
                    board.titles.soft().is_some(),
                );
                inner.put(p, t);
            }
        }
        let path = dir.join(JOURNAL);
        let tmp = dir.join(format!("{JOURNAL}.tmp"));
        let file = create_journal(&tmp, &buf)?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))?;
        board.path = Some(path);
        board.journal = Mutex::new(Some(file));
        Ok(board)
    }

    fn replay(&mut self, path: &Path, r: &Reference, t: &Taxonomy) -> Result<File> {
        let bad = |what: String| Error::data(path, what);
        let (mut file, bytes) = journal::open(path, MAGIC, "vacancy journal")?;
        let mut at = 8usize;
        let mut n = 0usize;
        let inner = self
            .inner
            .get_mut()
            .map_err(|_| bad("lock poisoned".into()))?;
        while let Some((payload, next)) = journal::record_at(&bytes, at) {
            let Some(&op) = payload.first() else { break };
            n += 1;
            match op {
                b'U' => {
                    let record: VacancyRecord = serde_json::from_slice(&payload[1..])
                        .map_err(|e| bad(format!("journal record {n}: {e}")))?;
                    let v = record
                        .validate(r, t, &self.titles)
                        .map_err(|e| bad(format!("journal record {n} no longer validates: {e}")))?;
                    let vector = self.vectorizer.vacancy(t, &v.soft, &v.skills);
                    let p = post(
                        v,
                        vector,
                        &self.analyzer,
                        inner,
                        self.titles.soft().is_some(),
                    );
                    inner.put(p, t);
                }
                b'D' => {
                    let id = String::from_utf8_lossy(&payload[1..]).into_owned();
                    inner.remove(&id);
                }
                other => {
                    return Err(bad(format!(
                        "journal record {n}: unknown operation {other}"
                    )));
                }
            }
            at = next;
        }
        journal::finish_replay(&mut file, path, at, bytes.len(), "vacancy journal")?;
        tracing::debug!(records = n, "vacancy journal replayed");
        Ok(file)
    }

    /// Adds or replaces vacancies (durable when this returns); the open vacancies after.
    pub fn upsert(&self, vacancies: &[Vacancy], t: &Taxonomy) -> Result<u64> {
        let ops: Vec<Op> = vacancies
            .iter()
            .map(|v| Op::Upsert(Box::new(v.record.clone())))
            .collect();
        self.append(&ops)?;
        // Vectors outside the lock; words get their ids under it.
        let vectors: Vec<SparseVec> = vacancies
            .iter()
            .map(|v| self.vectorizer.vacancy(t, &v.soft, &v.skills))
            .collect();
        let mut inner = self.write()?;
        for (v, vector) in vacancies.iter().zip(vectors) {
            let p = post(
                v.clone(),
                vector,
                &self.analyzer,
                &mut inner,
                self.titles.soft().is_some(),
            );
            inner.put(p, t);
        }
        inner.writes += 1;
        Ok(u64::from(inner.live))
    }

    /// Removes vacancies by id (durable when this returns); the open vacancies after.
    pub fn delete(&self, ids: &[String]) -> Result<u64> {
        let ops: Vec<Op> = ids.iter().map(|id| Op::Delete(id.clone())).collect();
        self.append(&ops)?;
        let mut inner = self.write()?;
        for id in ids {
            inner.remove(id);
        }
        inner.writes += 1;
        Ok(u64::from(inner.live))
    }

    fn append(&self, ops: &[Op]) -> Result<()> {
        let mut guard = self
            .journal
            .lock()
            .map_err(|_| Error::data(self.dir_or_memory(), "journal lock poisoned"))?;
        let (Some(file), Some(path)) = (guard.as_mut(), &self.path) else {
            return Ok(());
        };
        let mut buf = Vec::new();
        for op in ops {
            encode(op, &mut buf);
        }
        let result = file.write_all(&buf).and_then(|()| file.sync_data());
        if let Err(e) = result {
            // A failed append may have left a partial record: no further write goes after it
            // (the next open cuts it off).
            *guard = None;
            return Err(Error::io(path, e));
        }
        Ok(())
    }

    fn dir_or_memory(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from("(memory)"))
    }

    pub(super) fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Inner>> {
        self.inner
            .read()
            .map_err(|_| Error::data(self.dir_or_memory(), "board lock poisoned"))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Inner>> {
        self.inner
            .write()
            .map_err(|_| Error::data(self.dir_or_memory(), "board lock poisoned"))
    }

    /// How many writes (upserts, deletes) this handle has made since it was opened: what
    /// a result computed from the board is current for.
    pub fn writes(&self) -> u64 {
        self.inner.read().map_or(u64::MAX, |i| i.writes)
    }

    /// The number of vacancies held (expired ones included until deleted).
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |i| i.live as usize)
    }

    /// Whether the board is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A vacancy's record.
    pub fn get(&self, id: &str) -> Result<Option<VacancyRecord>> {
        let inner = self.read()?;
        Ok(inner
            .ids
            .get(id)
            .and_then(|&s| inner.slots[s as usize].as_ref())
            .map(|p| p.vacancy.record.clone()))
    }

    /// Whether a vacancy is held.
    pub fn contains(&self, id: &str) -> Result<bool> {
        Ok(self.read()?.ids.contains_key(id))
    }

    /// The analyser, for queries.
    pub(super) fn analyzer(&self) -> TextAnalyzer {
        self.analyzer.clone()
    }

    /// The vectorizer the board's vectors were made with.
    pub fn vectorizer(&self) -> &Vectorizer {
        &self.vectorizer
    }

    /// Open vacancies at `date` (not past their `data_scadenza`).
    pub fn open_at(&self, date: NaiveDate) -> Result<usize> {
        let inner = self.read()?;
        Ok(inner
            .slots
            .iter()
            .flatten()
            .filter(|p| p.vacancy.record.data_scadenza.is_none_or(|d| d >= date))
            .count())
    }

    /// Calls `f(workplace, occupation, skills of its competency vector)` for every vacancy open
    /// at `date`, in slot order; returns how many.
    pub fn each_open(
        &self,
        date: NaiveDate,
        mut f: impl FnMut(incrocio_core::reference::ComuneIdx, Option<u32>, &[u32]),
    ) -> Result<usize> {
        let inner = self.read()?;
        let mut n = 0;
        for p in inner.slots.iter().flatten() {
            if p.vacancy.record.data_scadenza.is_none_or(|d| d >= date) {
                n += 1;
                f(p.vacancy.comune, p.vacancy.occupazione, &p.vector.idx);
            }
        }
        Ok(n)
    }
}

/// Reads vacancy records (JSON lines) and validates them; the first bad line is an error naming
/// the line and the field, and an id given twice is an error naming both lines.
pub fn read_vacancies(
    path: &Path,
    r: &Reference,
    t: &Taxonomy,
    titles: &TitleParams,
) -> Result<Vec<Vacancy>> {
    super::index::read_records(
        path,
        "a vacancy record (docs/candidate-record.md)",
        "vacancy",
        |rec: &VacancyRecord| rec.id.clone(),
        |rec| rec.validate(r, t, titles),
    )
}

fn create_journal(path: &Path, records: &[u8]) -> Result<File> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(MAGIC)
        .and_then(|()| file.write_all(records))
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))?;
    Ok(file)
}

/// A vacancy ready for the board: its vector, its languages, its words interned.
/// `grams`: with soft occupations, the title's grams are interned too.
fn post(v: Vacancy, vector: SparseVec, a: &TextAnalyzer, inner: &mut Inner, grams: bool) -> Posted {
    let mut a = a.clone();
    let text = vacancy_text(&v);
    let mut stream = a.token_stream(&text);
    let mut words = Vec::new();
    while let Some(tok) = stream.next() {
        words.push(tok.text.clone());
    }
    let terms = intern(inner, words);
    let grams = if grams {
        intern_grams(inner, &v.search_title)
    } else {
        Vec::new()
    };
    Posted {
        vector,
        languages: v.lingue.iter().map(|(c, l)| (lang_key(c, 0), *l)).collect(),
        terms,
        grams,
        vacancy: v,
    }
}

/// The title's grams, prefixed, interned.
fn intern_grams(inner: &mut Inner, title: &str) -> Vec<(u32, u32)> {
    let grams = incrocio_taxonomy::ngrams::gram_terms(title)
        .into_iter()
        .map(|g| format!("{GRAM_PREFIX}{g}"));
    intern(inner, grams)
}

/// Terms as (term id, frequency), new terms added to the dictionary.
fn intern(inner: &mut Inner, terms: impl IntoIterator<Item = String>) -> Vec<(u32, u32)> {
    let mut tf: Vec<(u32, u32)> = Vec::new();
    for term in terms {
        let id = match inner.terms.get(term.as_str()) {
            Some(&id) => id,
            None => {
                let id = inner.postings.len() as u32;
                inner.terms.insert(term, id);
                inner.postings.push(Vec::new());
                id
            }
        };
        match tf.iter_mut().find(|(t, _)| *t == id) {
            Some(e) => e.1 += 1,
            None => tf.push((id, 1)),
        }
    }
    tf
}

impl Inner {
    fn put(&mut self, p: Posted, t: &Taxonomy) {
        self.remove(&p.vacancy.record.id);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.hot.push(Hot::default());
                self.side.push(Side::default());
                (self.slots.len() - 1) as u32
            }
        };
        self.hot[slot as usize] = Hot::of(&p, t);
        self.side[slot as usize] = Side::of(&p);
        for &(term, tf) in p.terms.iter().chain(&p.grams) {
            self.postings[term as usize].push((slot, tf));
        }
        self.ids.insert(p.vacancy.record.id.clone(), slot);
        self.live += 1;
        self.total_len += u64::from(self.hot[slot as usize].len);
        self.total_grams_len += u64::from(self.hot[slot as usize].grams_len);
        self.slots[slot as usize] = Some(p);
    }

    fn remove(&mut self, id: &str) {
        let Some(slot) = self.ids.remove(id) else {
            return;
        };
        self.hot[slot as usize].live = false;
        if let Some(p) = self.slots[slot as usize].take() {
            for &(term, _) in p.terms.iter().chain(&p.grams) {
                self.postings[term as usize].retain(|(s, _)| *s != slot);
            }
            self.live -= 1;
            self.total_len -= u64::from(self.hot[slot as usize].len);
            self.total_grams_len -= u64::from(self.hot[slot as usize].grams_len);
        }
        self.free.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::Packed;

    /// Items that fit are read inline; more than fit are read from the record, never cut.
    #[test]
    fn packed_items_fit_or_come_from_the_record() {
        let record = [1u32, 2, 3];
        let two = Packed::<u32, 2>::of(&record[..2]);
        assert_eq!(two.or(|| &[9]), &[1, 2]);
        let three = Packed::<u32, 2>::of(&record);
        assert_eq!(three.or(|| &record), &[1, 2, 3]);
        assert_eq!(Packed::<u32, 2>::of(&[]).or(|| &[9]), &[] as &[u32]);
    }
}
