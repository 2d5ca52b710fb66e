//! The candidate index: tantivy on disk (Italian text + fast fields for every hard rule) with
//! the competency vectors stored beside it in CSR form, row `slot` for the document whose fast
//! field `slot` says so.
//!
//! Layout of an index directory: `FORMAT` (format version and the `as_of` date the vectors were
//! built at), `tantivy/` (the text index, which also stores each candidate's record),
//! `vectors.csr` and `vectors.journal` (the competency vectors and ids, [`super::store`]).
//! Reopening an index written by another format version fails with a message saying which.
//!
//! A handle is shared: searches take `&self` and run concurrently with writes; writes are
//! serialised by the handle's one tantivy writer. A write returns once it is durable (vector rows
//! synced, tantivy committed) and visible to the next search.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use chrono::NaiveDate;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::adjacency::Adjacency;
pub use super::analyzer::italian_analyzer;
use super::candidate::{Candidate, CandidateRecord, Stato};
use super::filter::{AttrCache, FieldStats, Filter, QueryTerm};
use super::model::MatchingModel;
use super::model::{TitleParams, VectorParams};
use super::records::{BLOCK_BYTES, RecordFile};
use super::rosa::{
    Asked, Ranked, Ranking, RosaEntry, Shortlist, dropped_terms_warning, experience_match,
    skill_lists, suggestions,
};
use super::score::{Eligible, Parts, Scorer};
use super::store::{Journal, VectorStore};
use super::vacancy::Vacancy;
use super::vectors::{ExperienceSignal, SparseVec, Vectorizer};
use incrocio_core::cancel::Cancel;
use incrocio_core::error::{Error, Result};
use incrocio_core::reference::Reference;
use incrocio_taxonomy::Taxonomy;

/// Version of the on-disk layout; bumped whenever fields or encodings change.
pub const FORMAT_VERSION: u32 = 7;
const ANALYZER: &str = "it_incrocio";
/// The tokenizer of the `grams` field: its text is already cut into grams
/// ([`incrocio_taxonomy::ngrams::gram_terms`]), one per whitespace-separated token.
const GRAMS: &str = "incrocio_grams";

/// Registers the index's tokenizers.
fn register_tokenizers(index: &Index) {
    index.tokenizers().register(ANALYZER, italian_analyzer());
    index.tokenizers().register(
        GRAMS,
        TextAnalyzer::from(tantivy::tokenizer::WhitespaceTokenizer::default()),
    );
}

/// What a line of a candidates file must be, for the error when one does not parse.
const CANDIDATE_EXPECTED: &str = "a candidate record (docs/candidate-record.md)";

/// An indexing progress bar on stderr of `len` units, counted as `counts` (an indicatif
/// template), or a hidden one.
fn progress_bar(show: bool, len: u64, counts: &str) -> indicatif::ProgressBar {
    job_bar(show, len, "indexing", counts)
}

/// A progress bar on stderr for the job `what` of `len` units, counted as `counts`, or a hidden
/// one.
pub(super) fn job_bar(show: bool, len: u64, what: &str, counts: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let template = format!("{{spinner}} {what} [{{bar:40}}] {counts}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A hidden working directory beside `dir`: `.NAME.what`.
fn beside(dir: &Path, what: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    let parent = dir.parent().unwrap_or_else(|| Path::new("."));
    parent.join(format!(".{name}.{what}"))
}

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    /// The candidate record as received (JSON), stored for `GET`.
    record: Field,
    text: Field,
    /// The character 4-grams of the experience titles and `competenze_testo` (indexes with
    /// soft occupations only): the n-gram share of the lexical part.
    grams: Field,
    slot: Field,
    attivo: Field,
    lat: Field,
    lon: Field,
    km_max: Field,
    contratti: Field,
    patenti: Field,
    /// Working modes accepted (`tab_modalitalav` bits; all bits: any).
    modalita: Field,
    livello: Field,
    l68: Field,
    lingue: Field,
    occupazioni: Field,
    isco: Field,
    /// Grid cell of the domicile ([`cell_of`]), indexed: the geographic prefilter. The index is
    /// sorted by it, so the documents of a cell are contiguous and a search reads the decoded
    /// fields of the cells it reaches as runs of memory, not scattered rows.
    cell: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let grams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(GRAMS)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        record: b.add_bytes_field("record", STORED),
        text: b.add_text_field("text", text),
        grams: b.add_text_field("grams", grams),
        slot: b.add_u64_field("slot", FAST),
        attivo: b.add_bool_field("attivo", FAST | INDEXED),
        lat: b.add_f64_field("lat", FAST),
        lon: b.add_f64_field("lon", FAST),
        km_max: b.add_u64_field("km_max", FAST),
        contratti: b.add_u64_field("contratti", FAST),
        patenti: b.add_u64_field("patenti", FAST),
        modalita: b.add_u64_field("modalita", FAST),
        livello: b.add_u64_field("livello", FAST),
        l68: b.add_bool_field("l68", FAST),
        lingue: b.add_u64_field("lingue", FAST),
        occupazioni: b.add_u64_field("occupazioni", FAST),
        isco: b.add_u64_field("isco", FAST),
        cell: b.add_u64_field("cell", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// A language and a CEFR level as one fast-field value (the code was validated against
/// `tab_lingue`, so its key exists).
pub(super) fn lang_key(code: &str, level: u8) -> u64 {
    super::candidate::language_key(code).unwrap_or(u64::MAX / 10) * 10 + u64::from(level)
}

pub(super) fn isco_key(isco: &str) -> u64 {
    isco.parse::<u64>().unwrap_or(0)
}

/// Grid cell side, in degrees (0.1° ≈ 11 km of latitude, ≈ 8 km of longitude in Italy).
const CELL_DEG: f64 = 0.1;

/// The grid cell of a point: its row and column of [`CELL_DEG`] degrees, in one integer.
fn cell_of(lat: f64, lon: f64) -> u64 {
    let row = ((lat / CELL_DEG).floor() as i64 + 1_000) as u64;
    let col = ((lon / CELL_DEG).floor() as i64 + 2_000) as u64;
    row * 10_000 + col
}

/// The cell rows a radius can reach, each as its first and last cell (inclusive): the
/// bounding box of the circle, row by row. The number of rows is bounded by the radius
/// ([`super::vacancy::MAX_RADIUS_KM`] gives at most about 275), never by the area.
fn cell_rows(lat: f64, lon: f64, km: f64) -> Vec<(u64, u64)> {
    let dlat = km / 110.574 + 1e-6;
    let dlon = km / (111.320 * (lat.abs() + dlat).min(89.0).to_radians().cos()) + 1e-6;
    let (r0, r1) = (
        ((lat - dlat).max(-90.0) / CELL_DEG).floor() as i64,
        ((lat + dlat).min(90.0) / CELL_DEG).floor() as i64,
    );
    let (c0, c1) = (
        ((lon - dlon).max(-180.0) / CELL_DEG).floor() as i64,
        ((lon + dlon).min(180.0) / CELL_DEG).floor() as i64,
    );
    (r0..=r1)
        .map(|r| {
            let row = ((r + 1_000) as u64) * 10_000;
            (row + (c0 + 2_000) as u64, row + (c1 + 2_000) as u64)
        })
        .collect()
}

/// Every cell that may hold a point within `km` of (`lat`, `lon`): the cells of its bounding box.
#[cfg(test)]
fn cells_within(lat: f64, lon: f64, km: f64) -> Vec<u64> {
    cell_rows(lat, lon, km)
        .into_iter()
        .flat_map(|(a, b)| a..=b)
        .collect()
}

/// The distinct analyzed terms of `text`, in order of first appearance, at most `max`; the
/// count of distinct terms dropped past it.
fn query_terms(analyzer: &mut TextAnalyzer, text: &str, max: usize) -> (Vec<String>, usize) {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut kept = Vec::new();
    let mut dropped = 0;
    let mut stream = analyzer.token_stream(text);
    while let Some(tok) = stream.next() {
        if seen.contains(tok.text.as_str()) {
            continue;
        }
        seen.insert(tok.text.clone());
        if kept.len() < max {
            kept.push(tok.text.clone());
        } else {
            dropped += 1;
        }
    }
    (kept, dropped)
}

fn tantivy_err(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::data(dir, e.to_string())
}

/// What [`CandidateIndex::build`] builds a new index from.
#[derive(Debug, Clone, Copy)]
pub struct IndexSource<'a> {
    /// A JSON-lines file of candidate records.
    pub input: &'a Path,
    /// The index date.
    pub as_of: NaiveDate,
    /// What the index is built with ([`IndexParams::of`] a model).
    pub params: &'a IndexParams,
    /// The latest date a DID may bear ([`CandidateRecord::validate`]).
    pub latest: NaiveDate,
    /// Show a progress bar (bytes read) on stderr.
    pub progress: bool,
}

/// A candidate index on disk, open for search and upkeep.
pub struct CandidateIndex {
    dir: PathBuf,
    index: Index,
    /// Opened once, reloaded after every commit of this handle.
    reader: IndexReader,
    fields: Fields,
    /// Vector rows and their candidate ids, by slot.
    store: RwLock<VectorStore>,
    /// The hard-rule fast fields, decoded per segment.
    attrs: std::sync::Arc<AttrCache>,
    /// The one writer (opened on first write) and the vector journal.
    writing: Mutex<Writing>,
    as_of: NaiveDate,
    params: IndexParams,
    vectorizer: Vectorizer,
    adjacency: std::sync::OnceLock<std::sync::Arc<Adjacency>>,
    /// Commits made visible through this handle since it was opened.
    commits: std::sync::atomic::AtomicU64,
}

/// What an index is built with besides its documents: the taxonomy, the model's `[vectors]`
/// (candidate vectors are computed when written) and `[titles]` (experience titles are
/// resolved when written). Recorded in `FORMAT`; a model that differs is refused ("rebuild").
#[derive(Debug, Clone, PartialEq)]
pub struct IndexParams {
    /// `[vectors]` of the model.
    pub vectors: VectorParams,
    /// `[titles]` of the model.
    pub titles: TitleParams,
}

impl IndexParams {
    /// The parameters `model` builds an index with.
    pub fn of(model: &MatchingModel) -> IndexParams {
        IndexParams {
            vectors: model.vectors,
            titles: model.titles,
        }
    }

    fn vectors_line(&self) -> String {
        let v = &self.vectors;
        format!(
            "vectors essential={} optional={} required={} declared={} saturation_months={} half_life_years={} idf_floor={}",
            v.essential,
            v.optional,
            v.required,
            v.declared,
            v.saturation_months,
            v.half_life_years,
            v.idf_floor
        )
    }

    fn titles_line(&self) -> String {
        let t = &self.titles;
        let mut line = format!(
            "titles fuzzy={} min_confidence={} top_k={} temperature={} min_cosine={} free_text={}",
            t.fuzzy, t.min_confidence, t.top_k, t.temperature, t.min_cosine, t.free_text
        );
        // Stated from version 5 on; absent, it is 0 (the line of an index built before).
        if t.min_probability != 0.0 {
            line.push_str(&format!(" min_probability={}", t.min_probability));
        }
        // Stated from version 6 on when true; absent, false (the line of an index built before).
        if t.clean {
            line.push_str(" clean=true");
        }
        line
    }

    fn parse(vectors: &str, titles: &str) -> Option<IndexParams> {
        let kv = |line: &str, prefix: &str| -> Option<BTreeMap<String, String>> {
            Some(
                line.strip_prefix(prefix)?
                    .split_whitespace()
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            )
        };
        let v = kv(vectors, "vectors ")?;
        let t = kv(titles, "titles ")?;
        let f = |k: &str| v.get(k)?.parse::<f64>().ok();
        Some(IndexParams {
            vectors: VectorParams {
                essential: f("essential")?,
                optional: f("optional")?,
                required: f("required")?,
                declared: f("declared")?,
                saturation_months: f("saturation_months")?,
                half_life_years: f("half_life_years")?,
                idf_floor: f("idf_floor")?,
            },
            titles: TitleParams {
                fuzzy: t.get("fuzzy")?.parse().ok()?,
                min_confidence: t.get("min_confidence")?.parse().ok()?,
                top_k: t.get("top_k")?.parse().ok()?,
                temperature: t.get("temperature")?.parse().ok()?,
                min_cosine: t.get("min_cosine")?.parse().ok()?,
                free_text: t.get("free_text")?.parse().ok()?,
                min_probability: match t.get("min_probability") {
                    Some(p) => p.parse().ok()?,
                    None => 0.0,
                },
                clean: match t.get("clean") {
                    Some(c) => c.parse().ok()?,
                    None => false,
                },
            },
        })
    }
}

struct Writing {
    writer: Option<IndexWriter>,
    journal: Journal,
    /// Vector rows already in the base or the journal: the next append starts here, so rows of
    /// a write that failed before its sync are journaled by the next one (no slot gap).
    persisted: usize,
}

impl Drop for Writing {
    /// Waits for the merges tantivy runs in the background: dropped as is, the writer only
    /// signals them, and a merge still writing segment files could race whoever removes or
    /// swaps the directory next (a temporary directory was left behind, half removed, now
    /// and then). The documents not committed are discarded either way.
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            let _ = writer.wait_merging_threads();
        }
    }
}

impl std::fmt::Debug for CandidateIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandidateIndex")
            .field("dir", &self.dir)
            .field("as_of", &self.as_of)
            .field("vectors", &self.store().rows())
            .finish()
    }
}

fn open_reader(index: &Index, dir: &Path) -> Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(|e| tantivy_err(dir, e))
}

fn format_text(as_of: NaiveDate, params: &IndexParams, t: &Taxonomy) -> String {
    format!(
        "incrocio-candidate-index {FORMAT_VERSION}\nas_of {as_of}\ntaxonomy {} {}\n{}\n{}\n",
        t.digest,
        incrocio_taxonomy::VERSION,
        params.vectors_line(),
        params.titles_line()
    )
}

impl CandidateIndex {
    /// Creates an empty index in `dir` (which must not hold one already) for `model`.
    pub fn create(dir: &Path, as_of: NaiveDate, model: &MatchingModel) -> Result<CandidateIndex> {
        CandidateIndex::create_with(dir, as_of, &IndexParams::of(model))
    }

    /// Creates an empty index in `dir` built with `params` (a model's, [`IndexParams::of`]).
    pub fn create_with(
        dir: &Path,
        as_of: NaiveDate,
        params: &IndexParams,
    ) -> Result<CandidateIndex> {
        if dir.join("FORMAT").exists() {
            return Err(Error::data(dir, "an index already exists here"));
        }
        let tdir = dir.join("tantivy");
        std::fs::create_dir_all(&tdir).map_err(|e| Error::io(&tdir, e))?;
        let (schema, fields) = schema();
        let settings = tantivy::index::IndexSettings {
            sort_by_field: Some(tantivy::index::IndexSortByField {
                field: "cell".into(),
                order: tantivy::index::Order::Asc,
            }),
            ..tantivy::index::IndexSettings::default()
        };
        let index = Index::builder()
            .schema(schema)
            .settings(settings)
            .create_in_dir(&tdir)
            .map_err(|e| tantivy_err(dir, e))?;
        register_tokenizers(&index);
        let (store, journal) = VectorStore::create(dir)?;
        // FORMAT last: a directory without it is not an index yet.
        incrocio_core::files::atomic_write(&dir.join("FORMAT"), |w| {
            std::io::Write::write_all(
                w,
                format_text(as_of, params, Taxonomy::bundled()).as_bytes(),
            )
            .map_err(|e| Error::io(dir, e))
        })?;
        CandidateIndex::assemble(dir, index, fields, store, journal, as_of, params.clone())
    }

    fn assemble(
        dir: &Path,
        index: Index,
        fields: Fields,
        store: VectorStore,
        journal: Journal,
        as_of: NaiveDate,
        params: IndexParams,
    ) -> Result<CandidateIndex> {
        let reader = open_reader(&index, dir)?;
        let persisted = store.rows();
        let attrs = std::sync::Arc::new(AttrCache::default());
        attrs
            .refresh(&reader.searcher())
            .map_err(|e| tantivy_err(dir, e))?;
        Ok(CandidateIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            store: RwLock::new(store),
            attrs,
            writing: Mutex::new(Writing {
                writer: None,
                journal,
                persisted,
            }),
            as_of,
            vectorizer: Vectorizer::new(Taxonomy::bundled(), &params.vectors),
            params,
            adjacency: std::sync::OnceLock::new(),
            commits: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Opens an index, checking its format version and replaying the vector journal.
    pub fn open(dir: &Path) -> Result<CandidateIndex> {
        let format_path = dir.join("FORMAT");
        let text = std::fs::read_to_string(&format_path).map_err(|e| Error::io(&format_path, e))?;
        let mut lines = text.lines();
        let version = lines
            .next()
            .and_then(|l| l.strip_prefix("incrocio-candidate-index "))
            .and_then(|v| v.trim().parse::<u32>().ok())
            .ok_or_else(|| Error::data(&format_path, "not an incrocio candidate index"))?;
        if version != FORMAT_VERSION {
            return Err(Error::data(
                &format_path,
                format!(
                    "index format version {version}, this incrocio reads version {FORMAT_VERSION}: rebuild the index with `incrocio index build`"
                ),
            ));
        }
        let as_of = lines
            .next()
            .and_then(|l| l.strip_prefix("as_of "))
            .and_then(|d| d.trim().parse().ok())
            .ok_or_else(|| Error::data(&format_path, "missing as_of line"))?;
        let taxonomy = lines
            .next()
            .and_then(|l| l.strip_prefix("taxonomy "))
            .and_then(|l| l.split_whitespace().next())
            .ok_or_else(|| Error::data(&format_path, "missing taxonomy line"))?;
        let t = Taxonomy::bundled();
        if taxonomy != t.digest {
            return Err(Error::data(
                &format_path,
                format!(
                    "the index was built with taxonomy {taxonomy}, this incrocio has {} ({}): rebuild the index with `incrocio index build`",
                    t.digest,
                    incrocio_taxonomy::VERSION
                ),
            ));
        }
        let params = match (lines.next(), lines.next()) {
            (Some(v), Some(ti)) => IndexParams::parse(v, ti),
            _ => None,
        }
        .ok_or_else(|| Error::data(&format_path, "missing or bad vectors / titles lines"))?;
        let index = Index::open_in_dir(dir.join("tantivy")).map_err(|e| tantivy_err(dir, e))?;
        register_tokenizers(&index);
        let (_, fields) = schema();
        let (store, journal) = VectorStore::open(dir)?;
        let idx = CandidateIndex::assemble(dir, index, fields, store, journal, as_of, params)?;
        // The rows no live document uses (replaced candidates, a write cut short by a crash)
        // give their memory back now; their disk space at the next compaction.
        let live = idx.live_slots()?;
        idx.store
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .reclaim(&live);
        Ok(idx)
    }

    /// What the index was built with.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// Refuses a model whose `[vectors]` or `[titles]` differ from the index's: its vectors and
    /// resolved occupations would not be what the model describes.
    pub fn check_model(&self, model: &MatchingModel) -> Result<()> {
        let wanted = IndexParams::of(model);
        if wanted != self.params {
            return Err(Error::Model(incrocio_core::error::ModelError::new(
                &model.key(),
                if wanted.vectors != self.params.vectors {
                    "vectors"
                } else {
                    "titles"
                },
                format!(
                    "the index {} was built with `{}` and `{}`; the model asks `{}` and `{}`: rebuild the index with this model (`incrocio index build --model-file`)",
                    self.dir.display(),
                    self.params.vectors_line(),
                    self.params.titles_line(),
                    wanted.vectors_line(),
                    wanted.titles_line()
                ),
            )));
        }
        Ok(())
    }

    /// The hard rules of a vacancy, as [`Filter::eligible`] applies them.
    pub(super) fn filter(&self, vacancy: &Vacancy, model: &MatchingModel, t: &Taxonomy) -> Filter {
        let place = &Reference::bundled().territory.comuni()[usize::from(vacancy.comune)];
        let r = &vacancy.record;
        Filter {
            lat: place.lat,
            lon: place.lon,
            radius: f64::from(r.raggio_km),
            cells: cell_rows(place.lat, place.lon, f64::from(r.raggio_km)),
            contract: vacancy.codes.contratto,
            licences: vacancy.codes.patenti,
            mode: vacancy.codes.modalita,
            min_level: r.livello_studio_min.map(u64::from),
            languages: vacancy
                .lingue
                .iter()
                .map(|(c, l)| (lang_key(c, 0), *l))
                .collect(),
            l68: r.riservata_l68,
            // With soft occupations the index's values are encoded: only `soft` reads them.
            occupation: vacancy
                .occupazione
                .filter(|_| self.params.titles.soft().is_none())
                .map(u64::from),
            isco: vacancy
                .occupazione
                .map(|o| isco_key(&t.occupations[o as usize].isco)),
            neighbours: match vacancy.occupazione {
                Some(o) if model.esperienza.neighbours > 0 => self
                    .adjacency(t)
                    .of(o, &model.esperienza)
                    .iter()
                    .map(|&(n, s)| (u64::from(n), s))
                    .collect(),
                _ => Vec::new(),
            },
            soft: (self.params.titles.soft().is_some() && !vacancy.soft.is_empty()).then(|| {
                std::sync::Arc::new(super::soft::SoftCredit::new(
                    t,
                    self.adjacency(t),
                    &model.esperienza,
                    &vacancy.soft,
                ))
            }),
            suggest_language: lang_key(&model.suggestions.language, 0),
            cache: self.attrs.clone(),
            cancel: Cancel::never(),
        }
    }

    /// The adjacent occupations under this index's vector parameters (computed once).
    pub fn adjacency(&self, t: &Taxonomy) -> &Adjacency {
        self.adjacency
            .get_or_init(|| Adjacency::shared(t, &self.params.vectors))
    }

    /// The competency vector of a vacancy, as a shortlist computes it.
    pub fn vacancy_vector(&self, v: &Vacancy, t: &Taxonomy) -> SparseVec {
        self.vectorizer.vacancy(t, &v.soft, &v.skills)
    }

    /// Calls `f` for every candidate of the index (live documents, in segment and document
    /// order) with what a territory's supply reads and the skills of its competency vector;
    /// returns how many. Stops with [`Error::Cancelled`] when `cancel` is raised.
    pub(super) fn each_candidate(
        &self,
        cancel: &Cancel,
        mut f: impl FnMut(&super::filter::Facts<'_>, &[u32]),
    ) -> Result<usize> {
        let searcher = self.reader.searcher();
        let store = self.store();
        let mut n = 0usize;
        for reader in searcher.segment_readers() {
            cancel.check()?;
            let attrs = self
                .attrs
                .get(reader)
                .map_err(|e| tantivy_err(&self.dir, e))?;
            attrs.each_live(reader.alive_bitset(), |facts| {
                n += 1;
                f(&facts, store.skills_of(facts.slot as usize));
            });
        }
        Ok(n)
    }

    /// Whether the `occupazioni` values are soft ([`super::soft::encode`]).
    pub(super) fn soft_values(&self) -> bool {
        self.params.titles.soft().is_some()
    }

    /// The date experience recency is counted at.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    fn store(&self) -> std::sync::RwLockReadGuard<'_, VectorStore> {
        // A panic while holding the lock cannot leave the store half-written (push is the only
        // mutation and it appends), so a poisoned lock is still safe to read.
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    fn writing(&self) -> Result<std::sync::MutexGuard<'_, Writing>> {
        let mut w = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if w.writer.is_none() {
            w.writer = Some(
                self.index
                    .writer(200_000_000)
                    .map_err(|e| tantivy_err(&self.dir, e))?,
            );
        }
        Ok(w)
    }

    /// How many commits this handle has made visible since it was opened: what a result
    /// computed from the index is current for (counted before the reload, so a result read
    /// during a commit is never taken as current after it).
    pub fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Empties the vector rows no live document uses, then writes every row into the
    /// compacted base and empties the journal (after a bulk build, and when the service
    /// starts). Returns how many rows were reclaimed.
    pub fn compact(&self) -> Result<usize> {
        let mut w = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let live = self.live_slots()?;
        let mut store = self.store.write().unwrap_or_else(|p| p.into_inner());
        let reclaimed = store.reclaim(&live);
        store.compact(&self.dir, &mut w.journal)?;
        w.persisted = store.rows();
        Ok(reclaimed)
    }

    /// Per vector row, whether a live document uses it (its `slot` fast field).
    fn live_slots(&self) -> Result<Vec<bool>> {
        let searcher = self.reader.searcher();
        let mut live = vec![false; self.store().rows()];
        for seg in searcher.segment_readers() {
            let slots = seg
                .fast_fields()
                .u64("slot")
                .map_err(|e| tantivy_err(&self.dir, e))?;
            for doc in seg.doc_ids_alive() {
                if let Some(s) = slots.first(doc)
                    && let Some(l) = live.get_mut(s as usize)
                {
                    *l = true;
                }
            }
        }
        Ok(live)
    }

    /// Adds (or replaces, by id) candidates and commits; returns how many were written.
    pub fn upsert(&self, candidates: &[Candidate], t: &Taxonomy) -> Result<usize> {
        self.upsert_with_progress(candidates, t, false)
    }

    /// [`CandidateIndex::upsert`] with a progress bar on stderr.
    pub fn upsert_with_progress(
        &self,
        candidates: &[Candidate],
        t: &Taxonomy,
        progress: bool,
    ) -> Result<usize> {
        let bar = progress_bar(
            progress,
            candidates.len() as u64,
            "{human_pos}/{human_len} ({per_sec}, eta {eta})",
        );
        let mut guard = self.writing()?;
        let result = self.write_candidates(&mut guard, candidates, t, &bar);
        if result.is_err() {
            // A failed writer may hold half a batch: drop it (its uncommitted documents with
            // it); the next write opens a fresh one.
            guard.writer = None;
        }
        bar.finish_and_clear();
        result
    }

    fn write_candidates(
        &self,
        w: &mut Writing,
        candidates: &[Candidate],
        t: &Taxonomy,
        bar: &indicatif::ProgressBar,
    ) -> Result<usize> {
        self.stage(w, candidates, t, bar, true)?;
        // Vector rows first: a crash after this leaves unused rows, never a document without one.
        let store = self.store();
        w.journal.append(&store, w.persisted)?;
        w.persisted = store.rows();
        drop(store);
        let Some(writer) = w.writer.as_mut() else {
            return Err(tantivy_err(&self.dir, "no index writer"));
        };
        writer.commit().map_err(|e| tantivy_err(&self.dir, e))?;
        self.reload()?;
        Ok(candidates.len())
    }

    /// Adds candidates' vector rows and documents, uncommitted; `replacing`: a candidate
    /// already in the index is replaced (its old document deleted), which a new index built
    /// from a file whose ids are checked distinct does not need.
    fn stage(
        &self,
        w: &mut Writing,
        candidates: &[Candidate],
        t: &Taxonomy,
        bar: &indicatif::ProgressBar,
        replacing: bool,
    ) -> Result<()> {
        let Some(writer) = w.writer.as_mut() else {
            return Err(tantivy_err(&self.dir, "no index writer"));
        };
        use rayon::prelude::*;
        let mut docs: Vec<(u64, usize, TantivyDocument)> = Vec::with_capacity(candidates.len());
        for (k0, chunk) in candidates.chunks(4096).enumerate() {
            // Vectors and documents are built on the rayon pool; rows are then added in input
            // order, so slots are the same with 1 or N threads.
            let vectors: Vec<SparseVec> = chunk.par_iter().map(|c| self.vector(c, t)).collect();
            let base = {
                let mut store = self.store.write().unwrap_or_else(|p| p.into_inner());
                let base = store.rows();
                for (c, v) in chunk.iter().zip(&vectors) {
                    store.push(&c.record.id, v);
                }
                base
            };
            docs.par_extend(chunk.par_iter().enumerate().map(|(k, c)| {
                let (cell, doc) = self.document(c, t, base + k);
                (cell, k0 * 4096 + k, doc)
            }));
        }
        // A new index takes the documents by cell (then input order): each segment is sorted by
        // cell when written and re-reads its stored documents in that order, one block of them
        // at a time when they come in nearly sorted, one block per document otherwise. When
        // replacing, input order stays: of two versions of one candidate, the later wins.
        if !replacing {
            docs.sort_unstable_by_key(|&(cell, k, _)| (cell, k));
        }
        for (_, k, doc) in docs {
            bar.inc(1);
            if replacing {
                let id = &candidates[k].record.id;
                writer.delete_term(Term::from_field_text(self.fields.id, id));
            }
            writer
                .add_document(doc)
                .map_err(|e| tantivy_err(&self.dir, e))?;
        }
        Ok(())
    }

    /// Builds a new index in `dir` (which must not hold one) from `source`. Returns the number
    /// of candidates (open the index with [`CandidateIndex::open`]).
    ///
    /// The file is read, validated and indexed block by block: memory holds a block, the
    /// writer's budget and the vector rows, not the file and all its candidates. The index is
    /// built in a fresh directory beside `dir` and moved into it, `FORMAT` last, when it is
    /// complete: a bad line (named, as [`read_candidates`] names it) leaves nothing behind.
    pub fn build(dir: &Path, source: &IndexSource<'_>, t: &Taxonomy) -> Result<usize> {
        if dir.join("FORMAT").exists() {
            return Err(Error::data(dir, "an index already exists here"));
        }
        let fresh = beside(dir, "build");
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh).map_err(|e| Error::io(&fresh, e))?;
        }
        std::fs::create_dir_all(&fresh).map_err(|e| Error::io(&fresh, e))?;
        let built = CandidateIndex::fill(&fresh, source, t);
        let n = match built {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&fresh);
                return Err(e);
            }
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let entries = std::fs::read_dir(&fresh).map_err(|e| Error::io(&fresh, e))?;
        for entry in entries {
            let name = entry.map_err(|e| Error::io(&fresh, e))?.file_name();
            if name != "FORMAT" {
                let to = dir.join(&name);
                std::fs::rename(fresh.join(&name), &to).map_err(|e| Error::io(&to, e))?;
            }
        }
        // FORMAT last: a directory without it is not an index yet.
        std::fs::rename(fresh.join("FORMAT"), dir.join("FORMAT")).map_err(|e| Error::io(dir, e))?;
        std::fs::remove_dir(&fresh).map_err(|e| Error::io(&fresh, e))?;
        Ok(n)
    }

    /// Creates an index in the new directory `dir` and indexes the candidates of `input`; see
    /// [`CandidateIndex::build`].
    fn fill(dir: &Path, source: &IndexSource<'_>, t: &Taxonomy) -> Result<usize> {
        let IndexSource {
            input,
            as_of,
            params,
            latest,
            progress,
        } = *source;
        let idx = CandidateIndex::create_with(dir, as_of, params)?;
        let len = std::fs::metadata(input)
            .map_err(|e| Error::io(input, e))?
            .len();
        let bar = progress_bar(
            progress,
            len,
            "{binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta})",
        );
        let r = Reference::bundled();
        let id_of = |rec: &CandidateRecord| rec.id.clone();
        let validate = |rec: CandidateRecord| rec.validate(r, t, latest, &params.titles);
        let file = RecordFile {
            expected: CANDIDATE_EXPECTED,
            what: "candidate",
            id_of: &id_of,
            validate: &validate,
        };
        let mut guard = idx.writing()?;
        let n = file.each_block(input, BLOCK_BYTES, |block, read| {
            idx.stage(
                &mut guard,
                &block,
                t,
                &indicatif::ProgressBar::hidden(),
                false,
            )?;
            bar.set_position(read);
            Ok(())
        })?;
        // The vector rows straight into the base (the directory is new: nothing to journal),
        // then the documents.
        idx.store().compact(dir, &mut guard.journal)?;
        let writer = guard.writer.take();
        if let Some(mut writer) = writer {
            writer.commit().map_err(|e| tantivy_err(dir, e))?;
            writer
                .wait_merging_threads()
                .map_err(|e| tantivy_err(dir, e))?;
        }
        bar.finish_and_clear();
        Ok(n)
    }

    /// Deletes candidates by id and commits; returns how many of them were in the index.
    pub fn delete(&self, ids: &[String]) -> Result<usize> {
        let mut present = 0;
        for id in ids {
            present += usize::from(self.contains(id)?);
        }
        let mut guard = self.writing()?;
        let Some(writer) = guard.writer.as_mut() else {
            return Err(tantivy_err(&self.dir, "no index writer"));
        };
        for id in ids {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        if let Err(e) = writer.commit() {
            guard.writer = None;
            return Err(tantivy_err(&self.dir, e));
        }
        self.reload()?;
        Ok(present)
    }

    /// Makes the last commit visible: reloads the reader and decodes the segments it adds.
    fn reload(&self) -> Result<()> {
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.reader
            .reload()
            .map_err(|e| tantivy_err(&self.dir, e))?;
        self.attrs
            .refresh(&self.reader.searcher())
            .map_err(|e| tantivy_err(&self.dir, e))
    }

    fn id_query(&self, id: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        )
    }

    /// The candidate record a stored document holds.
    fn stored_record(&self, doc: &TantivyDocument) -> Result<CandidateRecord> {
        let bytes = doc
            .get_first(self.fields.record)
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| tantivy_err(&self.dir, "stored record missing"))?;
        serde_json::from_slice(bytes).map_err(|e| tantivy_err(&self.dir, e))
    }

    /// Whether a live candidate has this id.
    pub fn contains(&self, id: &str) -> Result<bool> {
        let n = self
            .reader
            .searcher()
            .search(&self.id_query(id), &Count)
            .map_err(|e| tantivy_err(&self.dir, e))?;
        Ok(n > 0)
    }

    /// The record of a live candidate, as it was written.
    pub fn get(&self, id: &str) -> Result<Option<CandidateRecord>> {
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&self.id_query(id), &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| tantivy_err(&self.dir, e))?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(*addr).map_err(|e| tantivy_err(&self.dir, e))?;
        self.stored_record(&doc).map(Some)
    }

    /// Up to `limit` live candidate ids after `after` (exclusive), in byte order: a stable
    /// cursor over the index. Each segment's term dictionary of `id` is already sorted, so a
    /// page reads at most `limit` live ids per segment and merges them; a deleted or replaced
    /// document's id is skipped by its segment's alive bits.
    pub fn ids_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        use tantivy::DocSet;
        let err = |e: &dyn std::fmt::Display| tantivy_err(&self.dir, e);
        let searcher = self.reader.searcher();
        let mut ids: Vec<String> = Vec::new();
        for seg in searcher.segment_readers() {
            let inverted = seg.inverted_index(self.fields.id).map_err(|e| err(&e))?;
            let mut range = inverted.terms().range();
            if let Some(a) = after {
                range = range.gt(a.as_bytes());
            }
            let mut terms = range.into_stream().map_err(|e| err(&e))?;
            let alive = seg.alive_bitset();
            let mut taken = 0;
            while taken < limit && terms.advance() {
                let mut postings = inverted
                    .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                    .map_err(|e| err(&e))?;
                let mut doc = postings.doc();
                let mut live = false;
                while doc != tantivy::TERMINATED {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        live = true;
                        break;
                    }
                    doc = postings.advance();
                }
                if live {
                    let id = std::str::from_utf8(terms.key())
                        .map_err(|e| err(&e))?
                        .to_owned();
                    ids.push(id);
                    taken += 1;
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(limit);
        Ok(ids)
    }

    /// Every live candidate's record, ordered by id.
    pub fn records(&self) -> Result<Vec<CandidateRecord>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for reader in searcher.segment_readers() {
            let store = reader
                .get_store_reader(64)
                .map_err(|e| Error::io(&self.dir, e))?;
            for doc in reader.doc_ids_alive() {
                let d: TantivyDocument = store.get(doc).map_err(|e| tantivy_err(&self.dir, e))?;
                out.push(self.stored_record(&d)?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Vector slots, live or not: each replacement adds one; a dead one keeps its slot but
    /// gives its vector back at open and at compaction ([`CandidateIndex::vectors_held`]).
    pub fn vector_rows(&self) -> usize {
        self.store().rows()
    }

    /// Vector rows that hold a vector: the live ones, and the dead ones not reclaimed yet.
    pub fn vectors_held(&self) -> usize {
        self.store().held()
    }

    /// Rebuilds the index in `dir` from its stored records into a fresh directory and swaps it
    /// in (the old one is removed last): the dead vector rows of replaced and deleted candidates
    /// are dropped. The index must not be open elsewhere (its writer lock is taken here). Should
    /// the machine stop between the two renames, the previous index is in `.NAME.old` beside it.
    pub fn rebuild(dir: &Path, t: &Taxonomy) -> Result<CandidateIndex> {
        let old = CandidateIndex::open(dir)?;
        // Take the writer lock: a running server (or another command) makes this fail cleanly.
        drop(old.writing()?);
        let r = Reference::bundled();
        let candidates = old
            .records()?
            .into_iter()
            // Stored records were checked when written; a rebuild does not re-judge their dates.
            .map(|rec| {
                rec.validate(r, t, NaiveDate::MAX, &old.params.titles)
                    .map_err(Error::Input)
            })
            .collect::<Result<Vec<_>>>()?;
        let as_of = old.as_of;
        let params = old.params.clone();
        drop(old);
        let fresh = beside(dir, "rebuild");
        let retired = beside(dir, "old");
        for p in [&fresh, &retired] {
            if p.exists() {
                std::fs::remove_dir_all(p).map_err(|e| Error::io(p, e))?;
            }
        }
        std::fs::create_dir_all(&fresh).map_err(|e| Error::io(&fresh, e))?;
        {
            let idx = CandidateIndex::create_with(&fresh, as_of, &params)?;
            idx.upsert(&candidates, t)?;
            idx.compact()?;
        }
        std::fs::rename(dir, &retired).map_err(|e| Error::io(dir, e))?;
        std::fs::rename(&fresh, dir).map_err(|e| Error::io(&fresh, e))?;
        std::fs::remove_dir_all(&retired).map_err(|e| Error::io(&retired, e))?;
        CandidateIndex::open(dir)
    }

    pub(super) fn vector(&self, c: &Candidate, t: &Taxonomy) -> SparseVec {
        candidate_vector(&self.vectorizer, c, self.as_of, t)
    }

    /// A candidate's document, with its cell.
    fn document(&self, c: &Candidate, t: &Taxonomy, slot: usize) -> (u64, TantivyDocument) {
        let f = self.fields;
        let r = &c.record;
        let comune = &Reference::bundled().territory.comuni()[usize::from(c.comune)];
        let text = candidate_text(c, t);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &r.id);
        doc.add_bytes(f.record, &serde_json::to_vec(r).unwrap_or_default());
        doc.add_text(f.text, &text);
        if self.params.titles.soft().is_some() {
            doc.add_text(f.grams, candidate_gram_text(c));
        }
        doc.add_u64(f.slot, slot as u64);
        doc.add_bool(f.attivo, r.stato == Stato::Attivo);
        doc.add_f64(f.lat, comune.lat);
        doc.add_f64(f.lon, comune.lon);
        let cell = cell_of(comune.lat, comune.lon);
        doc.add_u64(f.cell, cell);
        doc.add_u64(f.km_max, r.disponibilita.km_max.map_or(u64::MAX, u64::from));
        doc.add_u64(f.contratti, c.codes.contratti);
        doc.add_u64(f.patenti, c.codes.patenti);
        doc.add_u64(f.modalita, c.codes.modalita);
        doc.add_u64(f.livello, c.livello_studio.map_or(u64::MAX, u64::from));
        doc.add_bool(f.l68, r.collocamento_mirato);
        for (code, level) in &c.lingue {
            doc.add_u64(f.lingue, lang_key(code, *level));
        }
        if self.params.titles.soft().is_some() {
            for v in occupation_values(c) {
                doc.add_u64(f.occupazioni, v);
            }
        } else {
            for o in c.occupazioni.iter().flatten() {
                doc.add_u64(f.occupazioni, u64::from(*o));
                doc.add_u64(f.isco, isco_key(&t.occupations[*o as usize].isco));
            }
            for o in &c.dichiarate {
                doc.add_u64(f.occupazioni, u64::from(*o) | super::filter::DECLARED);
            }
        }
        (cell, doc)
    }

    /// Number of live candidates.
    pub fn len(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    /// True when the index holds no live candidate.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Every candidate passing the hard rules, scored and ordered (highest first, equal scores
    /// by candidate id).
    pub fn ranking(
        &self,
        vacancy: &Vacancy,
        model: &MatchingModel,
        t: &Taxonomy,
    ) -> Result<Ranking> {
        self.ranking_top(vacancy, model, t, None, &[], &Cancel::never())
    }

    /// [`CandidateIndex::ranking`] keeping only the best `limit` (the order is the same);
    /// stops with [`Error::Cancelled`] when `cancel` is raised.
    pub fn ranking_top(
        &self,
        vacancy: &Vacancy,
        model: &MatchingModel,
        t: &Taxonomy,
        limit: Option<usize>,
        exclude: &[String],
        cancel: &Cancel,
    ) -> Result<Ranking> {
        let vvec = self.vacancy_vector(vacancy, t);
        self.check_model(model)?;
        let mut filter = self.filter(vacancy, model, t);
        filter.cancel = cancel.clone();
        // Text: the analyzed terms of title and description, any of them (BM25). The hard
        // rules run first, over the runs of documents in the grid cells the radius reaches;
        // the text's postings are then read only at the documents that passed (a candidate
        // without a word in common still counts, with BM25 0). At most the model's
        // `query.max_terms` distinct terms are searched; the answer says how many were dropped.
        let mut analyzer = self
            .index
            .tokenizers()
            .get(ANALYZER)
            .unwrap_or_else(italian_analyzer);
        let (terms, dropped_terms) =
            query_terms(&mut analyzer, &vacancy_text(vacancy), model.query.max_terms);
        let searcher = self.reader.searcher();
        // One term per word, in the order of `terms`: the BM25 of a document is the sum of its
        // words' scores in that order, as tantivy's union of the same clauses adds them.
        let lookup = |field: Field,
                      words: &mut dyn Iterator<Item = &str>|
         -> Result<Vec<QueryTerm>> {
            let stats = FieldStats::of(&searcher, field).map_err(|e| tantivy_err(&self.dir, e))?;
            words
                .map(|w| {
                    QueryTerm::lookup(&searcher, stats, &Term::from_field_text(field, w))
                        .map_err(|e| tantivy_err(&self.dir, e))
                })
                .collect()
        };
        let text = lookup(self.fields.text, &mut terms.iter().map(String::as_str))?;
        // The title's grams (distinct, in order), searched in the `grams` field when the model
        // gives the lexical part an n-gram share; at most `query.max_terms` of them, and none
        // held by more than `lessicale.max_gram_share` of the candidates.
        let grams = if model.lessicale.ngram > 0.0 && self.params.titles.soft().is_some() {
            let mut seen = rustc_hash::FxHashSet::default();
            let most = model.lessicale.max_gram_share * searcher.num_docs() as f64;
            let title = incrocio_taxonomy::ngrams::gram_terms(&vacancy.search_title);
            let mut distinct = title
                .iter()
                .filter(|g| seen.insert(g.as_str()))
                .take(model.query.max_terms)
                .map(String::as_str);
            let mut grams = lookup(self.fields.grams, &mut distinct)?;
            grams.retain(|g| g.doc_freq as f64 <= most);
            grams
        } else {
            Vec::new()
        };
        cancel.check()?;
        // Room for every document the rules read, reserved once: grown segment by segment,
        // the rows already found were copied at each growth.
        let mut reach = 0;
        for reader in searcher.segment_readers() {
            reach += filter
                .reach(reader)
                .map_err(|e| tantivy_err(&self.dir, e))?;
        }
        let mut eligible = Vec::with_capacity(reach);
        for (seg, reader) in searcher.segment_readers().iter().enumerate() {
            cancel.check()?;
            filter
                .eligible(reader, seg, &text, &grams, &mut eligible)
                .map_err(|e| tantivy_err(&self.dir, e))?;
        }
        cancel.check()?;
        let store = self.store();
        // A refill: the people already sent or who declined are not eligible again.
        if !exclude.is_empty() {
            let out: std::collections::HashSet<&str> = exclude.iter().map(String::as_str).collect();
            eligible.retain(|e| !store.id(e.slot as usize).is_some_and(|id| out.contains(id)));
        }
        let dense = vvec.to_dense(t.skills.len());
        let from = filter.origin();
        let scorer = Scorer::new(&eligible, from, filter.radius, model);
        let scorer = if vvec.nnz() == 0 {
            scorer.without_competenze()
        } else {
            scorer
        };
        let competenze = |e: &Eligible| f64::from(store.dot_dense(e.slot as usize, &dense));
        let sketch = super::vectors::SketchQuery::new(&dense);
        let competenze_bound = |e: &Eligible| store.dot_bound(e.slot as usize, &sketch);
        let id = |i: u32| store.id(eligible[i as usize].slot as usize).unwrap_or("");
        let cmp =
            |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then_with(|| id(a.1).cmp(id(b.1)));
        let eligible_count = eligible.len();
        let warm_sketch = |e: &Eligible| store.peek_sketch(e.slot as usize);
        let warm_row = |e: &Eligible| store.touch(e.slot as usize);
        let warm = super::score::Warm {
            bound: &warm_sketch,
            exact: &warm_row,
        };
        let order = super::score::rank(
            &eligible,
            &scorer,
            &competenze,
            &competenze_bound,
            &cmp,
            limit,
            cancel,
            &warm,
        )?;
        let ranked: Vec<Ranked> = order
            .iter()
            .map(|&(score, i)| {
                let e = &eligible[i as usize];
                Ranked {
                    candidate_id: id(i).to_owned(),
                    score,
                    contributions: scorer.values(e, competenze(e)),
                    slot: u64::from(e.slot),
                    distance_km: e.km.km(from),
                    experience: e.experience,
                    level_known: e.level.is_some(),
                    lexical: scorer.lexical(e),
                }
            })
            .collect();
        let asked = Asked {
            min_level: filter.min_level,
            languages: !filter.languages.is_empty(),
            occupation: filter.occupation.is_some() || filter.soft.is_some(),
            radius: filter.radius,
        };
        Ok(Ranking {
            eligible_count,
            ranked,
            // Suggestions are for when more qualify than the rosa holds.
            suggestions: if limit.is_none_or(|k| eligible_count > k) {
                suggestions(&eligible, from, &asked, &model.suggestions)
            } else {
                Vec::new()
            },
            vacancy_vector: vvec,
            dropped_terms,
        })
    }

    /// The rosa for a vacancy: at most `size` names (else the vacancy's `dimensione_rosa`, else
    /// the model's default), each explained, with narrowing suggestions when more qualify. A
    /// size outside 1 to the model's `rosa.max_size` is the caller's error, never clamped.
    pub fn shortlist(
        &self,
        vacancy: &Vacancy,
        model: &MatchingModel,
        size: Option<u32>,
        t: &Taxonomy,
    ) -> Result<Shortlist> {
        self.shortlist_with(
            vacancy,
            model,
            super::rosa::RosaAsk {
                size,
                stamp: super::rosa::RosaStamp::now(None),
                exclude: &[],
            },
            t,
            &Cancel::never(),
        )
    }

    /// [`CandidateIndex::shortlist`], stopping with [`Error::Cancelled`] when `cancel` is raised.
    pub fn shortlist_with(
        &self,
        vacancy: &Vacancy,
        model: &MatchingModel,
        ask: super::rosa::RosaAsk<'_>,
        t: &Taxonomy,
        cancel: &Cancel,
    ) -> Result<Shortlist> {
        let super::rosa::RosaAsk {
            size,
            stamp,
            exclude,
        } = ask;
        let r = &vacancy.record;
        let size_asked = size.is_some() || r.dimensione_rosa.is_some();
        let size = model.rosa_size(size, r.dimensione_rosa)?;
        let ranking = self.ranking_top(vacancy, model, t, Some(size), exclude, cancel)?;
        let eligible_count = ranking.eligible_count;
        let rosa = ranking
            .ranked
            .iter()
            .take(size)
            .enumerate()
            .map(|(i, e)| {
                let cv = self.store().row(e.slot as usize);
                let (matched, missing) = skill_lists(&ranking.vacancy_vector, &cv, vacancy, t);
                let parts = Parts::new(&e.contributions, &model.weights);
                RosaEntry {
                    position: i as u32 + 1,
                    candidate_id: e.candidate_id.clone(),
                    score: parts.total(),
                    contributions: parts,
                    experience: match &e.experience.soft {
                        Some(s) => super::rosa::soft_match(
                            s,
                            &vacancy.soft,
                            self.adjacency(t),
                            &model.esperienza,
                            t,
                        ),
                        None => experience_match(
                            &e.experience,
                            &model.esperienza,
                            vacancy.occupazione,
                            t,
                        ),
                    },
                    distance_km: (e.distance_km * 10.0).round() / 10.0,
                    matched_skills: matched,
                    missing_skills: missing,
                }
            })
            .collect();
        Ok(Shortlist {
            rosa_id: stamp.rosa_id,
            generated_at: stamp.generated_at,
            data_richiesta: stamp.data_richiesta,
            size_asked,
            vacancy_id: r.id.clone(),
            model: model.key(),
            model_digest: model.digest.clone(),
            model_status: model.status,
            input_digest: incrocio_core::digest::json_sha256_tagged(r)?,
            occupation: vacancy.occupazione.map(|o| t.occupations[o as usize].uri()),
            eligible_count,
            rosa_size: size,
            rosa,
            suggestions: ranking.suggestions,
            warnings: dropped_terms_warning(ranking.dropped_terms, model.query.max_terms),
        })
    }
}

/// The text indexed for a candidate: experience titles and their occupations' labels, skills as
/// free text, field of study, summary.
pub(super) fn candidate_text(c: &Candidate, t: &Taxonomy) -> String {
    let r = &c.record;
    let mut text = String::new();
    for (e, o) in r.esperienze.iter().zip(&c.occupazioni) {
        if let Some(title) = &e.titolo {
            text.push_str(title);
            text.push(' ');
        }
        if let Some(o) = o {
            text.push_str(t.occupations[*o as usize].label());
            text.push(' ');
        }
    }
    for s in r
        .competenze_testo
        .iter()
        .chain(r.campo_studio.iter())
        .chain(r.sintesi.iter())
    {
        text.push_str(s);
        text.push(' ');
    }
    text
}

/// A candidate's `occupazioni` values in an index with soft occupations: every (group,
/// occupation, probability), [`super::soft::encode`]d (the unit and minor groups are read from
/// the taxonomy at search time).
pub(super) fn occupation_values(c: &Candidate) -> impl Iterator<Item = u64> + '_ {
    use super::soft::{DECLARED_GROUP, FREE_TEXT_GROUP, encode};
    fn groups(first: u8, ds: &[incrocio_taxonomy::Distribution]) -> impl Iterator<Item = u64> + '_ {
        ds.iter()
            .enumerate()
            .flat_map(move |(k, d)| d.iter().map(move |&(o, p)| encode(o, first + k as u8, p)))
    }
    groups(0, &c.soft)
        .chain(groups(FREE_TEXT_GROUP, &c.testo))
        .chain(c.dichiarate.iter().map(|&o| encode(o, DECLARED_GROUP, 1.0)))
}

/// The texts the lexical part's n-gram share reads of a candidate (each experience title and
/// each `competenze_testo` item), joined by `; `: what an external engine compares by grams.
pub(super) fn gram_source(c: &Candidate) -> String {
    grams_of(c).collect::<Vec<_>>().join("; ")
}

/// The grams a candidate is matched on by the lexical part's n-gram share: those of each
/// experience title and each `competenze_testo` item.
pub(super) fn candidate_grams(c: &Candidate) -> Vec<String> {
    grams_of(c)
        .flat_map(incrocio_taxonomy::ngrams::gram_terms)
        .collect()
}

/// [`candidate_grams`] as the text of the `grams` field: each followed by a space.
fn candidate_gram_text(c: &Candidate) -> String {
    let mut out = String::new();
    for text in grams_of(c) {
        incrocio_taxonomy::ngrams::push_gram_text(text, &mut out);
    }
    out
}

/// The texts whose grams a candidate is matched on.
fn grams_of(c: &Candidate) -> impl Iterator<Item = &str> {
    let r = &c.record;
    r.esperienze
        .iter()
        .filter_map(|e| e.titolo.as_deref())
        .chain(r.competenze_testo.iter().map(String::as_str))
}

/// A candidate's competency vector, experience recency read at `as_of` (the index date for a
/// shortlist, the offer date for offers).
pub(super) fn candidate_vector(
    vz: &Vectorizer,
    c: &Candidate,
    as_of: NaiveDate,
    t: &Taxonomy,
) -> SparseVec {
    candidate_vector_with(vz, c, as_of, t, &[])
}

/// [`candidate_vector`] with `more` skills declared after the candidate's own: the vector the
/// same record with those skills appended to `competenze` gets.
pub(super) fn candidate_vector_with(
    vz: &Vectorizer,
    c: &Candidate,
    as_of: NaiveDate,
    t: &Taxonomy,
    more: &[incrocio_taxonomy::SkillId],
) -> SparseVec {
    let mut signals: Vec<ExperienceSignal> = Vec::new();
    for (e, d) in c.record.esperienze.iter().zip(&c.soft) {
        let years_since_end = e.fine.map_or(0, |d| {
            incrocio_core::period::whole_years(d, as_of).max(0) as u32
        });
        signals.extend(d.iter().map(|&(occupation, weight)| ExperienceSignal {
            occupation,
            months: e.mesi,
            years_since_end,
            weight,
        }));
    }
    // The free text's occupations ([`Candidate::testo`]) earn `esperienza` credit but are not
    // added here: five occupations' skills per piece made the vectors seven times larger (2.8
    // against 0.4 GB at 1M CVs) and every dot product slower.
    if more.is_empty() {
        return vz.candidate(t, &signals, &c.skills);
    }
    let skills: Vec<_> = c.skills.iter().chain(more).copied().collect();
    vz.candidate(t, &signals, &skills)
}

/// The text a vacancy is searched with: its search title ([`Vacancy::search_title`]) and
/// description.
pub(super) fn vacancy_text(v: &Vacancy) -> String {
    let r = &v.record;
    format!(
        "{} {}",
        v.search_title,
        r.descrizione.as_deref().unwrap_or("")
    )
}

/// Reads candidate records (JSON lines) and validates them (`latest`: the latest date a DID
/// may bear, [`CandidateRecord::validate`]); the first bad line is an error naming the line and
/// the field, and an id given twice is an error naming both lines (never "the last wins").
pub fn read_candidates(
    path: &Path,
    r: &Reference,
    t: &Taxonomy,
    latest: NaiveDate,
    titles: &TitleParams,
) -> Result<Vec<Candidate>> {
    read_records(
        path,
        CANDIDATE_EXPECTED,
        "candidate",
        |rec: &CandidateRecord| rec.id.clone(),
        |rec| rec.validate(r, t, latest, titles),
    )
}

/// Reads JSON-lines records and validates each: the first bad line is an error naming the line
/// and the field; an id given twice is an error naming both lines (see [`RecordFile`]).
pub(super) fn read_records<R, V>(
    path: &Path,
    expected: &'static str,
    what: &str,
    id_of: impl Fn(&R) -> String + Sync,
    validate: impl Fn(R) -> std::result::Result<V, incrocio_core::InputError> + Sync,
) -> Result<Vec<V>>
where
    R: serde::de::DeserializeOwned,
    V: Send,
{
    RecordFile {
        expected,
        what,
        id_of: &id_of,
        validate: &validate,
    }
    .read_all(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Filter::eligible`] adds each word's BM25 itself ([`QueryTerm`]), word by word; the sum must be
    /// tantivy's own for the same words as one `BooleanQuery` of `Should` clauses, to the bit
    /// (a tantivy upgrade that changes how its union adds would fail here, not silently move
    /// a rank). Two batches, so several segments; texts holding one to four of the vacancy's words.
    #[test]
    fn bm25_added_word_by_word_is_tantivys_union_to_the_bit() {
        use super::super::candidate::CandidateRecord;
        use super::super::vacancy::VacancyRecord;
        use tantivy::DocSet;
        use tantivy::query::{BooleanQuery, Occur, Query};
        let (r, t) = (Reference::bundled(), Taxonomy::bundled());
        let model = MatchingModel::parse(
            "default.v3.toml",
            include_str!("../../../models/matching/default.v3.toml"),
        )
        .expect("bundled model");
        let as_of: NaiveDate = "2026-11-23".parse().expect("date");
        let words = [
            "magazziniere",
            "carrello",
            "elevatore",
            "turni",
            "logistica",
            "inventario",
        ];
        let dir = tempfile::tempdir().expect("temp dir");
        let idx = CandidateIndex::create(dir.path(), as_of, &model).expect("index");
        for batch in 0..2 {
            let people: Vec<Candidate> = (0..40)
                .map(|i| {
                    // Person i: words i mod 6 .. (i mod 6) + (i mod 4), some repeated.
                    let text: Vec<&str> = (0..=(i % 4))
                        .map(|k| words[(i + k * (1 + batch)) % words.len()])
                        .chain(std::iter::repeat_n("magazzino", i % 3))
                        .collect();
                    let v = serde_json::json!({
                        "id": format!("P{batch}{i:03}"), "comune_domicilio": "058091",
                        "stato": "attivo", "patenti": ["02"], "sintesi": text.join(" "),
                    });
                    let c: CandidateRecord = serde_json::from_value(v).expect("record");
                    c.validate(r, t, as_of, &model.titles).expect("valid")
                })
                .collect();
            idx.upsert(&people, t).expect("upsert");
        }
        let v: VacancyRecord = serde_json::from_value(serde_json::json!({
            "id": "V1", "titolo": "magazziniere", "comune": "058091", "raggio_km": 25,
            "contratto": "A01",
            "descrizione": "magazziniere con carrello elevatore, turni, logistica e inventario",
        }))
        .expect("vacancy");
        let vacancy = v.validate(r, t, &model.titles).expect("valid vacancy");
        let filter = idx.filter(&vacancy, &model, t);
        let mut analyzer = idx.index.tokenizers().get(ANALYZER).expect("analyzer");
        let (terms, _) = query_terms(&mut analyzer, &vacancy_text(&vacancy), 64);
        assert!(terms.len() >= 5, "{terms:?}");
        let searcher = idx.reader.searcher();
        assert!(searcher.segment_readers().len() >= 2);
        let enable = tantivy::query::EnableScoring::enabled_from_searcher(&searcher);
        let query = |t: &String| {
            TermQuery::new(
                Term::from_field_text(idx.fields.text, t),
                IndexRecordOption::WithFreqs,
            )
        };
        let weights: Vec<_> = terms
            .iter()
            .map(|t| query(t).weight(enable).expect("weight"))
            .collect();
        let stats = FieldStats::of(&searcher, idx.fields.text).expect("stats");
        let looked_up: Vec<_> = terms
            .iter()
            .map(|t| {
                QueryTerm::lookup(&searcher, stats, &Term::from_field_text(idx.fields.text, t))
                    .expect("term")
            })
            .collect();
        let union = BooleanQuery::new(
            terms
                .iter()
                .map(|t| (Occur::Should, Box::new(query(t)) as Box<dyn Query>))
                .collect(),
        )
        .weight(enable)
        .expect("union");
        let (mut most_words, mut scored) = (0, 0);
        for (seg, reader) in searcher.segment_readers().iter().enumerate() {
            let mut out = Vec::new();
            filter
                .eligible(reader, seg, &looked_up, &[], &mut out)
                .expect("eligible");
            // Everyone is eligible, so the rows are the documents in order.
            assert_eq!(out.len(), reader.max_doc() as usize);
            let mut expected = vec![0.0f32; out.len()];
            let mut scorer = union.scorer(reader, 1.0).expect("scorer");
            while scorer.doc() != tantivy::TERMINATED {
                expected[scorer.doc() as usize] = scorer.score().max(0.0);
                scorer.advance();
            }
            for (doc, (e, x)) in out.iter().zip(&expected).enumerate() {
                assert_eq!(
                    e.bm25.to_bits(),
                    x.to_bits(),
                    "doc {doc}: {} vs {x}",
                    e.bm25
                );
            }
            // How many of the words each document holds: the order of the sum matters only
            // from two on.
            let mut held = vec![0; out.len()];
            for w in &weights {
                let mut s = w.scorer(reader, 1.0).expect("scorer");
                while s.doc() != tantivy::TERMINATED {
                    held[s.doc() as usize] += 1;
                    s.advance();
                }
            }
            most_words = most_words.max(held.into_iter().max().unwrap_or(0));
            scored += expected.iter().filter(|&&x| x > 0.0).count();
        }
        assert!(most_words >= 3, "{most_words}");
        assert_eq!(scored, 80, "every person holds a word");
    }

    #[test]
    fn cells_cover_every_point_within_the_radius() {
        let r = Reference::bundled();
        let comuni = r.territory.comuni();
        for (i, centre) in comuni.iter().enumerate().step_by(397) {
            for km in [1.0, 10.0, 25.0, 100.0] {
                let cells = cells_within(centre.lat, centre.lon, km);
                for other in comuni {
                    let d = incrocio_core::reference::haversine_km(
                        centre.lat, centre.lon, other.lat, other.lon,
                    );
                    if d <= km {
                        assert!(
                            cells.contains(&cell_of(other.lat, other.lon)),
                            "comune {i}: {} at {d:.2} km not covered at {km} km",
                            other.nome
                        );
                    }
                }
            }
        }
    }
}
