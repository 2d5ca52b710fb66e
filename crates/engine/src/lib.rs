//! The one API the CLI and the HTTP service share: loaded models and rule sets, the taxonomy and
//! (optionally) an open candidate index, with one method per computation.
//!
//! Every method takes a request value and returns a result value carrying its provenance; none
//! does HTTP, argument parsing or printing. Requests name models by `id` or `id@vN`; an unknown
//! one is the caller's error (field `model` / `rules`), not the operator's.

#![forbid(unsafe_code)]

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use incrocio_congruita::RuleSet;
use incrocio_core::cancel::Cancel;
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::reference::Reference;
use incrocio_graduatoria::{Graduatoria, GraduatoriaRequest, GraduatoriaRules, Riesame};
use incrocio_matching::territory::TerritoryCounts;
use incrocio_matching::{Adjacency, OfferSearch, Offers, Vacancy, VacancyBoard};
use incrocio_matching::{CandidateIndex, CandidateRecord, MatchingModel, Shortlist, VacancyRecord};
use incrocio_profiling::{Profile, ProfileRecord, Profiler, Status};
use incrocio_taxonomy::Taxonomy;

mod bulk;
pub mod catalog;
mod decided;
mod jobs;
mod of;
pub mod research;
pub use self::decided::{Decided, Recorded};
pub use self::jobs::{Exported, absent_optional_columns, read_jsonl};

/// The types of the engine's requests and answers that other crates define, re-exported so
/// that an edge (the HTTP service, the binary) depends on this crate alone.
pub mod api {
    pub use incrocio_batch::{
        DEFAULT_CHUNK_ROWS, INPUT_DIGEST_FORMAT, OnError, ReprofileOptions, ReprofileReport,
    };
    pub use incrocio_congruita::Esito as Congruity;
    pub use incrocio_decisions::esiti::{EsitiRequest, Esito, EsitoEntry};
    pub use incrocio_decisions::indicators::Report as IndicatorReport;
    pub use incrocio_decisions::overrides::{Override, OverrideRequest};
    pub use incrocio_decisions::{Receipt, Record};
    pub use incrocio_exchange::{Charset, Ignored, looks_like_xml, with_charset};
    pub use incrocio_graduatoria::Graduatoria;
    pub use incrocio_graduatoria::{Applicant, GraduatoriaRequest};
    pub use incrocio_matching::candidate::{etag, etag_of};
    pub use incrocio_matching::eval::EvalReport;
    pub use incrocio_matching::{
        Candidate, CandidateRecord, MatchingModel, Offers, Shortlist, SkillsGap, Stato, Vacancy,
        VacancyRecord,
    };
    pub use incrocio_profiling::{Dialect, ProfileRecord, SqlOptions, Status};
    pub use incrocio_research::profiling::{FitReport, OUTCOME};
    pub use incrocio_research::stats::Estimate;
    pub use incrocio_research::titles::{
        Judgments, MethodFigures, RankingOptions, RosaFigures, TitleRanking, TrainOptions,
    };
    pub use incrocio_research::tune::{TuneOptions, TuneReport};
    pub use incrocio_synth::{CvSpec, PeopleSpec, Synthetic};
    pub use incrocio_taxonomy::titles::TitleReport;
}

/// The decision log read by an auditor, without an engine: verification, a person's records,
/// the LEP deadline indicators and compaction behind a checkpoint.
pub mod audit {
    pub use incrocio_decisions::indicators::for_log as indicators;
    pub use incrocio_decisions::notes::{
        NOTES, digests_of as note_digests_of, erase as erase_notes,
    };
    pub use incrocio_decisions::signing::{HEADS, HeadKey, HeadVerifier, HeadsChecked};
    pub use incrocio_decisions::{FILE, compact, records_of, verify, verify_signed};
}
pub use self::bulk::{
    BulkDelete, BulkInput, BulkItem, BulkItemResult, BulkOutcome, BulkResponse, CandidatePage,
    CandidateRef, DEFAULT_BULK_MAX_ITEMS, MAX_PAGE, json_items, ndjson_lines,
};

/// Most candidates a refill may exclude.
pub const MAX_EXCLUDE: usize = 1_000;

/// Most records one profiling request may carry.
pub const MAX_PROFILING_RECORDS: usize = 10_000;

/// Profile one or many records.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilingRequest {
    /// Model `id` or `id@vN` (default `did`, its highest version).
    #[serde(default)]
    pub model: Option<String>,
    /// Profiling date (default: today).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// The records (DID/SAP field names, `docs/profile-record.md`), 1 to 10,000.
    #[schemars(length(min = 1, max = 10000))]
    pub records: Vec<ProfileRecord>,
    /// Invalid records: `fail` the request (default, listing all of them) or `skip` them.
    #[serde(default)]
    pub on_error: OnErrorMode,
}

/// What `POST /v1/profiling` accepts: the full request, an array of records, or one record
/// (the last two take `model` and `as_of` from the query string). Documentation type: the
/// body is dispatched on its shape (an object with `records`, an array, another object).
#[derive(Debug, Clone, schemars::JsonSchema)]
#[schemars(untagged)]
pub enum ProfilingBody {
    /// `{"model"?, "as_of"?, "records": [...]}`.
    Request(ProfilingRequest),
    /// `[record, ...]`.
    Records(Vec<ProfileRecord>),
    /// One record.
    Record(Box<ProfileRecord>),
}

/// What `POST /v1/shortlists` accepts: `{"vacancy": ..., "size"?}` or the vacancy record alone.
#[derive(Debug, Clone, schemars::JsonSchema)]
#[schemars(untagged)]
pub enum ShortlistBody {
    /// `{"vacancy": {...}, "size"?: n}`.
    Request(Box<ShortlistRequest>),
    /// The vacancy record alone (size from the query string, else the vacancy's own).
    Vacancy(Box<VacancyRecord>),
}

/// The profiles, in the order of the records.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProfilingResponse {
    /// One profile per valid record.
    pub profiles: Vec<Profile>,
    /// With `on_error` `skip`: every invalid record, not profiled (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<incrocio_core::error::RecordProblem>,
    /// The position of each profile's record in the request (not serialized).
    #[serde(skip)]
    #[schemars(skip)]
    pub record_index: Vec<usize>,
    /// How a DID document was read (DID documents only): its coded answers read through the
    /// code tables, and its unanswered questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DidReading>,
}

/// How a DID document's answers were read.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DidReading {
    /// Each DID code read as a record value, with the table that says so.
    pub codes_read: Vec<incrocio_exchange::did::MappedCode>,
    /// The `VariabiliDiProfiling` elements sent `xsi:nil` or empty.
    pub unanswered: Vec<String>,
}

/// What a profiling request does with invalid records.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OnErrorMode {
    /// Fail the request, listing every invalid record.
    #[default]
    Fail,
    /// Profile the valid records and list the invalid ones in `errors`.
    Skip,
}

/// A vacancy to shortlist for.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShortlistRequest {
    /// The vacancy (`docs/candidate-record.md`).
    pub vacancy: VacancyRecord,
    /// Rosa size (default: the vacancy's `dimensione_rosa`, else the model's 15); 1 to the
    /// model's `rosa.max_size` (100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub size: Option<u32>,
    /// The day the employer asked for the rosa (default: today): the 20-day deadline runs from
    /// it.
    #[serde(default)]
    pub data_richiesta: Option<NaiveDate>,
    /// A refill: candidates not to propose again (already sent, or declined), at most 1,000.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1000))]
    pub exclude: Vec<String>,
}

/// Which open vacancies fit a person, and which are an offerta congrua.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OffersRequest {
    /// A candidate already in the index (give this or `candidate`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 128))]
    pub candidate_id: Option<String>,
    /// A full candidate record (give this or `candidate_id`).
    #[serde(default)]
    pub candidate: Option<CandidateRecord>,
    /// The day the offers are made (default: today); unemployment and deadlines are read at it.
    #[serde(default)]
    pub data: Option<NaiveDate>,
    /// How many vacancies (default 15; 1 to the model's `rosa.max_size`, 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub size: Option<u32>,
    /// Congruity rule set `id` or `id@vN` (default: the newest `dm-2018-04-10`).
    #[serde(default)]
    pub rules: Option<String>,
}

/// A person's skills against the vacancies within reach (`POST /v1/skills/gap`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillsGapRequest {
    /// A candidate already in the index (give this or `candidate`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 128))]
    pub candidate_id: Option<String>,
    /// A full candidate record (give this or `candidate_id`).
    #[serde(default)]
    pub candidate: Option<CandidateRecord>,
    /// The day of the analysis (default: today).
    #[serde(default)]
    pub data: Option<NaiveDate>,
    /// The reach in km (1 to 300); default: the person's travel limit, else each vacancy's
    /// own search radius.
    #[serde(default)]
    #[schemars(range(min = 1, max = 300))]
    pub raggio_km: Option<u32>,
    /// Skills model `id` or `id@vN` (default: the newest `default`).
    #[serde(default)]
    pub model: Option<String>,
}

/// One province's view of its territory, and its region's.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TerritoryView {
    /// The day vacancies are counted open at.
    pub data: NaiveDate,
    /// The index's date.
    pub index_as_of: NaiveDate,
    /// `sha256:` of the taxonomy the index was built with.
    pub taxonomy_digest: String,
    /// Skills model `id@vN`.
    pub skills_model: String,
    /// `sha256:` of the skills model file.
    pub skills_model_digest: String,
    /// Counts below this are suppressed.
    pub min_cell: u32,
    /// Vacancies open at `data`, everywhere.
    pub open_vacancies: usize,
    /// Active candidates, everywhere.
    pub active_candidates: usize,
    /// Whether the data were declared synthetic.
    pub synthetic: bool,
    /// The province.
    pub provincia: incrocio_matching::territory::AreaView,
    /// Its region.
    pub regione: incrocio_matching::territory::AreaView,
}

/// A vacancy written to the board.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VacancyWritten {
    /// Its id.
    pub id: String,
    /// Whether it replaced one with the same id.
    pub replaced: bool,
    /// Vacancies held after the write.
    pub held: u64,
}

/// Rank applicants under a rule set.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraduatoriaCall {
    /// Rule set `id` or `id@vN` (`GET /v1/models`).
    pub rules: String,
    /// The notice and its applicants.
    pub request: GraduatoriaRequest,
}

/// Re-rank after a riesame: the corrected applicants against the graduatoria published before.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiesameCall {
    /// Rule set `id` or `id@vN`: normally the one of `previous`.
    pub rules: String,
    /// The notice with the corrected applicants.
    pub request: GraduatoriaRequest,
    /// The graduatoria as published.
    pub previous: Graduatoria,
}

/// The new graduatoria and what changed.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RiesameResponse {
    /// The graduatoria recomputed on the corrected data.
    pub graduatoria: Graduatoria,
    /// Moves, entries, exits and changed fields against `previous`.
    pub riesame: Riesame,
}

/// One model or rule set of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelInfo {
    /// What kind of model or rule set.
    pub kind: ModelKind,
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// How far it can be trusted, or used.
    pub status: ModelState,
    /// `sha256:` digest of the file.
    pub digest: String,
    /// Region, for graduatoria rule sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The kinds of model and rule set of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// A profiling model (GLM).
    Profiling,
    /// Rules of the assegno di ricollocazione.
    Adr,
    /// A graduatoria rule set.
    Graduatoria,
    /// An offerta congrua rule set.
    Congruita,
    /// The matching model in use.
    Matching,
    /// A skills analysis model.
    Skills,
}

impl ModelKind {
    /// The name on the wire (`profiling`, `adr`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Profiling => "profiling",
            ModelKind::Adr => "adr",
            ModelKind::Graduatoria => "graduatoria",
            ModelKind::Congruita => "congruita",
            ModelKind::Skills => "skills",
            ModelKind::Matching => "matching",
        }
    }
}

/// How far a model or rule set can be trusted, or used: a model is `official`, `illustrative`
/// or `fitted`; a graduatoria rule set is `rankable` or `incomplete` (the act leaves
/// parameters unknown: ranking refuses to run); a congruity rule set is `read` or
/// `partly_inferred` (some parameters deduced, each marked in the file and in every verdict's
/// warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    /// Published by the competent authority, reproduced exactly.
    Official,
    /// Made up to show the mechanics.
    Illustrative,
    /// Estimated on data.
    Fitted,
    /// A graduatoria rule set with every parameter known.
    Rankable,
    /// A graduatoria rule set whose act leaves parameters unknown.
    Incomplete,
    /// A congruity rule set read in its acts.
    Read,
    /// A congruity rule set with parameters deduced.
    PartlyInferred,
}

impl ModelState {
    /// The name on the wire (`official`, `rankable`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ModelState::Official => "official",
            ModelState::Illustrative => "illustrative",
            ModelState::Fitted => "fitted",
            ModelState::Rankable => "rankable",
            ModelState::Incomplete => "incomplete",
            ModelState::Read => "read",
            ModelState::PartlyInferred => "partly_inferred",
        }
    }
}

impl From<Status> for ModelState {
    fn from(s: Status) -> ModelState {
        match s {
            Status::Official => ModelState::Official,
            Status::Illustrative => ModelState::Illustrative,
            Status::Fitted => ModelState::Fitted,
        }
    }
}

/// A candidate write acknowledged: durable and visible to shortlists.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CandidateWritten {
    /// The candidate id.
    pub id: String,
    /// Live candidates in the index after the write.
    pub indexed: u64,
}

/// An ESCO occupation as answers name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OccupationRef {
    /// ESCO URI.
    pub uri: String,
    /// ESCO code (`2512.4`).
    pub code: String,
    /// ISCO-08 unit group.
    pub isco: String,
    /// Italian preferred label (empty for the few occupations without one).
    pub label_it: String,
    /// English preferred label.
    pub label_en: String,
}

/// A candidate occupation for a title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TitleCandidate {
    /// The occupation.
    pub occupation: OccupationRef,
    /// 0–1: the cosine of the title's and the best label's folded words (1: the same words).
    pub confidence: f64,
    /// The label that matched best.
    pub matched_label: String,
    /// `preferred`, `alternative` or `cp2011` (a CP2011 unit name or voce, through the
    /// linkage).
    pub label_kind: String,
}

/// An occupation a title names, with its probability (soft occupations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TitleProbability {
    /// The occupation.
    pub occupation: OccupationRef,
    /// Its probability (the distribution sums to at most 1: `titles.min_probability`).
    pub probability: f64,
}

/// What a free-text title resolves to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TitleResolution {
    /// The title as given.
    pub title: String,
    /// `resolved` or `unresolved` (no candidate reaches the model's `titles.min_confidence`).
    pub status: String,
    /// The occupation the title resolves to by the word index: how vacancy and CV titles
    /// resolve under models of versions 1–3 (from version 4 they resolve to `distribution`).
    pub occupation: Option<TitleCandidate>,
    /// The best candidates of the word index, most confident first (the resolved one
    /// included).
    pub candidates: Vec<TitleCandidate>,
    /// Under a model with soft occupations (version 4 on): the occupations the title names
    /// as vacancy and CV titles are resolved, with their probabilities, most probable first
    /// (empty when it names none, and under versions 1–3).
    pub distribution: Vec<TitleProbability>,
    /// Under a model with `titles.clean` (version 6 on): the title as it is compared, cleaned
    /// of what ads add to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleaned: Option<String>,
    /// The model's threshold.
    pub min_confidence: f64,
    /// Matching model `id@vN`.
    pub model: String,
    /// Its digest.
    pub model_digest: String,
}

/// One adjacent occupation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdjacentOccupation {
    /// The occupation.
    pub occupation: OccupationRef,
    /// Cosine of the two occupations' idf-weighted ESCO skill vectors.
    pub similarity: f64,
    /// Whether the model gives experience credit for it (within `esperienza.neighbours` and at
    /// or above `esperienza.min_similarity`).
    pub credited: bool,
}

/// An occupation's adjacent occupations (profili di prossimità).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdjacentOccupations {
    /// The occupation asked about.
    pub occupation: OccupationRef,
    /// Its nearest occupations, most similar first.
    pub neighbours: Vec<AdjacentOccupation>,
    /// The model's experience credit per unit of similarity (`esperienza.proximity`).
    pub proximity_credit: f64,
    /// Matching model `id@vN`.
    pub model: String,
    /// Its digest.
    pub model_digest: String,
}

/// Most candidates a title resolution lists.
pub const MAX_TITLE_CANDIDATES: usize = 20;
/// The longest title resolved, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The engine: everything a computation needs, loaded once.
#[derive(Debug)]
pub struct Engine {
    reference: &'static Reference,
    catalog: Catalog,
    matching: MatchingModel,
    index: Option<CandidateIndex>,
    vacancies: Option<VacancyBoard>,
    travel_times: Option<incrocio_congruita::TravelTimes>,
    ada: Option<incrocio_congruita::AdaTable>,
    decisions: Option<incrocio_decisions::writer::DecisionWriter>,
    /// The last territory counts made, and what they are current for.
    territory: std::sync::Mutex<Option<(TerritoryKey, std::sync::Arc<TerritoryCounts>)>>,
}

/// What territory counts are current for: the day, and the index's commits and the board's
/// writes through this engine's handles when the count began.
type TerritoryKey = (NaiveDate, u64, u64);

/// A re-profiling done: its report, the model and the overrides applied.
#[derive(Debug, Clone)]
pub struct Reprofiled {
    /// The model, `id@vN`.
    pub model: String,
    /// How many operators' overrides were in force (when a decision log was read).
    pub overrides: Option<usize>,
    /// What the job did, row by row counts.
    pub report: incrocio_batch::ReprofileReport,
}

/// A SAP read and validated.
#[derive(Debug, Clone)]
pub struct SapImported {
    /// The candidate, validated.
    pub candidate: incrocio_matching::Candidate,
    /// Schema elements incrocio does not use, with counts.
    pub ignored: incrocio_exchange::Ignored,
    /// Values the SAP does not carry and incrocio assumed, in words.
    pub assumed: Vec<String>,
    /// Where each record field came from: `(record field, XPath)`.
    pub sources: Vec<(String, String)>,
    /// Elements that carried nothing, skipped, by XPath.
    pub empty: incrocio_exchange::Ignored,
    /// `codprofessione` voci read as their CP2011 unità professionale, by XPath.
    pub mapped: incrocio_exchange::Ignored,
}

impl SapImported {
    /// The elements whose values the record took, counted by XPath (positions dropped): for
    /// an import report, computed only when asked.
    pub fn read(&self) -> incrocio_exchange::Ignored {
        let mut read = incrocio_exchange::Ignored::default();
        for (_, path) in &self.sources {
            read.count(path);
        }
        read
    }
}

/// One SAP of a document: imported, or refused with the element that is wrong.
pub type SapImport = std::result::Result<SapImported, InputError>;

/// The congruity rule set used when a request names none.
pub const DEFAULT_CONGRUITY_RULES: &str = "dm-2018-04-10";

fn unknown_model(field: &str, spec: &str) -> Error {
    Error::Input(InputError::new(
        field,
        FieldReason::UnknownCode {
            value: spec.to_owned(),
            list: "the catalog (GET /v1/models)",
        },
    ))
}

impl Engine {
    /// An engine over a catalog, a matching model and optionally a candidate index.
    pub fn new(catalog: Catalog, matching: MatchingModel, index: Option<CandidateIndex>) -> Engine {
        Engine {
            reference: Reference::bundled(),
            catalog,
            matching,
            index,
            vacancies: None,
            travel_times: None,
            ada: None,
            decisions: None,
            territory: std::sync::Mutex::new(None),
        }
    }

    /// The same engine with a board of open vacancies.
    pub fn with_vacancies(mut self, board: VacancyBoard) -> Engine {
        self.vacancies = Some(board);
        self.territory = std::sync::Mutex::new(None);
        self
    }

    /// Opens (or creates empty) the vacancy board in `dir` under this engine's model.
    pub fn open_vacancies(&self, dir: &std::path::Path) -> Result<VacancyBoard> {
        VacancyBoard::open(dir, &self.matching, self.reference, self.taxonomy())
    }

    /// Writes a new vacancy board in `dir` holding exactly `vacancies` (atomically).
    pub fn create_vacancies(
        &self,
        dir: &std::path::Path,
        vacancies: &[Vacancy],
    ) -> Result<VacancyBoard> {
        VacancyBoard::create(dir, vacancies, &self.matching, self.taxonomy())
    }

    /// Reads and validates vacancy records (JSON lines), naming the line of the first bad one.
    pub fn read_vacancies(&self, path: &std::path::Path) -> Result<Vec<Vacancy>> {
        incrocio_matching::board::read_vacancies(
            path,
            self.reference,
            self.taxonomy(),
            &self.matching.titles,
        )
    }

    /// The same engine with a table of travel times by public transport (congruity of
    /// distance beyond the km threshold).
    pub fn with_travel_times(mut self, t: incrocio_congruita::TravelTimes) -> Engine {
        self.travel_times = Some(t);
        self
    }

    /// The same engine with a Region's table of the Atlante del lavoro's ADA by CP2011 unit
    /// (coherence by area di attività).
    pub fn with_ada_table(mut self, t: incrocio_congruita::AdaTable) -> Engine {
        self.ada = Some(t);
        self
    }

    /// The board of open vacancies, when one is open.
    pub fn vacancies(&self) -> Option<&VacancyBoard> {
        self.vacancies.as_ref()
    }

    fn require_vacancies(&self) -> Result<&VacancyBoard> {
        self.vacancies.as_ref().ok_or(Error::NoVacancies)
    }

    /// Validates a vacancy record under the engine's taxonomy and model.
    pub fn validate_vacancy(&self, record: VacancyRecord) -> Result<Vacancy> {
        self.vacancy_valid(record).map_err(Error::Input)
    }

    /// The one validation of a vacancy, wherever it enters (PUT, bulk, shortlist): its codes
    /// and terms ([`VacancyRecord::validate`]) and its `dimensione_rosa` within this service's
    /// matching model's `rosa.max_size`, so that the board never holds a vacancy a shortlist
    /// would refuse.
    pub(crate) fn vacancy_valid(
        &self,
        record: VacancyRecord,
    ) -> std::result::Result<Vacancy, InputError> {
        // The model's own rule for a rosa size, named as the record's field.
        if let Err(Error::Input(mut e)) = self.matching.rosa_size(None, record.dimensione_rosa) {
            e.field = "dimensione_rosa".into();
            return Err(e.with_record(&record.id));
        }
        record.validate(self.reference, self.taxonomy(), &self.matching.titles)
    }

    /// Adds or replaces validated vacancies; durable and visible when it returns. Returns the
    /// vacancies held after.
    pub fn upsert_vacancies(&self, vacancies: &[Vacancy]) -> Result<u64> {
        self.require_vacancies()?.upsert(vacancies, self.taxonomy())
    }

    /// Deletes vacancies; durable when it returns. Returns the vacancies held after.
    pub fn delete_vacancies(&self, ids: &[String]) -> Result<u64> {
        self.require_vacancies()?.delete(ids)
    }

    /// A vacancy's record as last written, if held.
    pub fn vacancy(&self, id: &str) -> Result<Option<VacancyRecord>> {
        self.require_vacancies()?.get(id)
    }

    /// Whether a vacancy with this id is held.
    pub fn has_vacancy(&self, id: &str) -> Result<bool> {
        self.require_vacancies()?.contains(id)
    }

    /// A congruity rule set by `id` or `id@vN`.
    pub fn congruity_rules(&self, spec: Option<&str>) -> Result<&RuleSet> {
        let spec = spec.unwrap_or(DEFAULT_CONGRUITY_RULES);
        self.catalog
            .congruity(spec)
            .map_err(|_| unknown_model("rules", spec))
    }

    /// The open vacancies that fit a person, best first, each with its congruity verdict (a
    /// decision, recorded by `actor`); stops with [`Error::Cancelled`] when `cancel` is raised.
    pub fn offers(
        &self,
        req: OffersRequest,
        today: NaiveDate,
        actor: &str,
        cancel: &Cancel,
    ) -> Result<Decided<Offers>> {
        let board = self.require_vacancies()?;
        let rules = self.congruity_rules(req.rules.as_deref())?;
        let date = req.data.unwrap_or(today);
        let person = self.person(req.candidate_id, req.candidate, date)?;
        let size = self.matching.rosa_size(req.size, None)?;
        let adjacency = Adjacency::shared(self.taxonomy(), &self.matching.vectors);
        let territory = &self.reference.territory;
        let minutes = |from: &str, to: &str| {
            let table = self.travel_times.as_ref()?;
            table.minutes(territory.comune(from)?, territory.comune(to)?)
        };
        let search = OfferSearch {
            model: &self.matching,
            taxonomy: self.taxonomy(),
            adjacency: &adjacency,
            rules,
            ada: self.ada.as_ref(),
            minutes: &minutes,
        };
        let mut out = board.offers(&person, date, size, &search, cancel)?;
        out.travel_times = self.travel_times.as_ref().map(|t| t.digest().to_owned());
        out.ada_table = self.ada.as_ref().map(|t| t.digest().to_owned());
        if out.travel_times.is_none() {
            out.warnings.push(
                "no travel-time table: beyond the distance threshold an offer's travel time is not assessed".into(),
            );
        }
        Ok(self.decide(out, |o| vec![of::congruity(o, actor)]))
    }

    /// The person a request names: a candidate of the index by id, or a record given whole
    /// (exactly one of the two), validated at `date`.
    fn person(
        &self,
        candidate_id: Option<String>,
        candidate: Option<CandidateRecord>,
        date: NaiveDate,
    ) -> Result<incrocio_matching::Candidate> {
        let record = match (candidate_id, candidate) {
            (Some(id), None) => self.candidate(&id)?.ok_or_else(|| {
                Error::Input(InputError::new(
                    "candidate_id",
                    FieldReason::Inconsistent(format!("no candidate `{id}` in the index")),
                ))
            })?,
            (None, Some(c)) => c,
            _ => {
                return Err(Error::Input(InputError::new(
                    "candidate_id",
                    FieldReason::Inconsistent(
                        "give exactly one of candidate_id and candidate".into(),
                    ),
                )));
            }
        };
        let latest = self.index.as_ref().map_or(date, |i| i.as_of().max(date));
        record
            .validate(
                self.reference,
                self.taxonomy(),
                latest,
                &self.matching.titles,
            )
            .map_err(|mut e| {
                e.field = format!("candidate.{}", e.field);
                Error::Input(e)
            })
    }

    /// A person's skills against the open vacancies within reach at a date (LEP C and E):
    /// the occupations they fit, the transitions a few skills away, the missing skills by the
    /// vacancies they would unlock (`docs/skills.md`).
    pub fn skills_gap(
        &self,
        req: SkillsGapRequest,
        today: NaiveDate,
        cancel: &Cancel,
    ) -> Result<incrocio_matching::SkillsGap> {
        let board = self.require_vacancies()?;
        let spec = req.model.as_deref().unwrap_or(catalog::DEFAULT_SKILLS);
        let model = self
            .catalog
            .skills(spec)
            .map_err(|_| unknown_model("model", spec))?;
        if let Some(km) = req.raggio_km.filter(|km| !(1..=300).contains(km)) {
            return Err(Error::Input(InputError::new(
                "raggio_km",
                FieldReason::Inconsistent(format!("{km}: the reach is 1 to 300 km")),
            )));
        }
        let date = req.data.unwrap_or(today);
        let person = self.person(req.candidate_id, req.candidate, date)?;
        let adjacency = Adjacency::shared(self.taxonomy(), &self.matching.vectors);
        let rules = self.congruity_rules(None)?;
        let none = |_: &str, _: &str| None;
        let search = OfferSearch {
            model: &self.matching,
            taxonomy: self.taxonomy(),
            adjacency: &adjacency,
            rules,
            ada: None,
            minutes: &none,
        };
        let reach = match req.raggio_km {
            Some(km) => incrocio_matching::Reach::Km(f64::from(km)),
            None => incrocio_matching::Reach::PersonElseVacancy,
        };
        board.skills_gap(&person, date, reach, &search, model, cancel)
    }

    /// A territory's demand (the open vacancies at `date`) against its supply (the active
    /// candidates of the index), by occupation and skill, per province and region; counts
    /// below the skills model's `territory.min_cell` suppressed (`docs/skills.md`).
    pub fn territory_report(
        &self,
        date: NaiveDate,
        model: Option<&str>,
        synthetic: bool,
        cancel: &Cancel,
        progress: bool,
    ) -> Result<incrocio_matching::territory::TerritoryReport> {
        let board = self.require_vacancies()?;
        let index = self.require_index()?;
        let spec = model.unwrap_or(catalog::DEFAULT_SKILLS);
        let m = self
            .catalog
            .skills(spec)
            .map_err(|_| unknown_model("model", spec))?;
        incrocio_matching::territory::territory_report(
            index,
            board,
            date,
            self.taxonomy(),
            m,
            synthetic,
            cancel,
            progress,
        )
    }

    /// One province's view of its territory: its shortage, scarce and surplus occupations and
    /// skills, and its region's (`GET /v1/skills/territory`), under the default skills model.
    /// The counts are made once per day and kept until the index or the board is written
    /// through this engine (a scan of both, seconds at 1M candidates, cancelled by `cancel`);
    /// a view of them is a few milliseconds.
    pub fn territory_view(
        &self,
        provincia: &str,
        date: NaiveDate,
        cancel: &Cancel,
    ) -> Result<TerritoryView> {
        // The code first: a bad one is refused before the scan.
        let pr = self.provincia_of(provincia)?;
        let m = self
            .catalog
            .skills(catalog::DEFAULT_SKILLS)
            .map_err(|_| unknown_model("model", catalog::DEFAULT_SKILLS))?;
        let counts = self.territory_counts(date, cancel)?;
        let (sigla, region) = (pr.sigla.as_str(), pr.codice_regione.as_str());
        let report = counts.report(self.taxonomy(), m, false, &|level, area| {
            (level == "provincia" && area == sigla) || (level == "regione" && area == region)
        });
        self.territory_view_of(&report, provincia)
    }

    /// The territory counts at `date`: the ones kept when still current, else a new scan
    /// (then kept).
    fn territory_counts(
        &self,
        date: NaiveDate,
        cancel: &Cancel,
    ) -> Result<std::sync::Arc<TerritoryCounts>> {
        let (board, index) = (self.require_vacancies()?, self.require_index()?);
        // Read before the scan: a write during it leaves the counts stale, never current.
        let key = (date, index.commits(), board.writes());
        let kept = |k: &TerritoryKey| -> Option<std::sync::Arc<TerritoryCounts>> {
            let slot = self.territory.lock().unwrap_or_else(|p| p.into_inner());
            slot.as_ref()
                .filter(|(at, _)| at == k)
                .map(|(_, c)| std::sync::Arc::clone(c))
        };
        if let Some(c) = kept(&key) {
            return Ok(c);
        }
        let counts = std::sync::Arc::new(incrocio_matching::territory::territory_counts(
            index,
            board,
            date,
            self.taxonomy(),
            cancel,
            false,
        )?);
        *self.territory.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((key, std::sync::Arc::clone(&counts)));
        Ok(counts)
    }

    /// A province's view of a report already made.
    pub fn territory_view_of(
        &self,
        report: &incrocio_matching::territory::TerritoryReport,
        provincia: &str,
    ) -> Result<TerritoryView> {
        let pr = self.provincia_of(provincia)?;
        Ok(TerritoryView {
            data: report.data,
            index_as_of: report.index_as_of,
            taxonomy_digest: report.taxonomy_digest.clone(),
            skills_model: report.skills_model.clone(),
            skills_model_digest: report.skills_model_digest.clone(),
            min_cell: report.min_cell,
            open_vacancies: report.open_vacancies,
            active_candidates: report.active_candidates,
            synthetic: report.synthetic,
            provincia: report.area("provincia", &pr.sigla),
            regione: report.area("regione", &pr.codice_regione),
        })
    }

    fn provincia_of(&self, code: &str) -> Result<&incrocio_core::reference::Provincia> {
        let territory = &self.reference.territory;
        let p = territory.provincia(code).ok_or_else(|| {
            Error::Input(InputError::new(
                "provincia",
                FieldReason::UnknownCode {
                    value: code.to_owned(),
                    list: "ISTAT provinces (sigla, UTS or historical code)",
                },
            ))
        })?;
        Ok(&territory.province()[usize::from(p)])
    }

    /// Writes a territory report: `occupazioni.parquet`, `competenze.parquet` (one row per
    /// area and item, suppressed counts null) and `report.html`, each atomically, in `dir`.
    pub fn write_territory(
        &self,
        report: &incrocio_matching::territory::TerritoryReport,
        dir: &std::path::Path,
    ) -> Result<()> {
        use incrocio_batch::TableColumn;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for (name, rows) in [
            ("occupazioni.parquet", &report.occupations),
            ("competenze.parquet", &report.skills),
        ] {
            let text = |f: &dyn Fn(&incrocio_matching::territory::TerritoryRow) -> String| {
                TableColumn::Text(rows.iter().map(f).collect())
            };
            let count = |f: &dyn Fn(&incrocio_matching::territory::TerritoryRow) -> Option<u32>| {
                TableColumn::OptInt(
                    rows.iter()
                        .map(|r| f(r).map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
                        .collect(),
                )
            };
            incrocio_batch::write_table(
                &dir.join(name),
                vec![
                    ("level".into(), text(&|r| r.level.clone())),
                    ("area".into(), text(&|r| r.area.clone())),
                    ("area_name".into(), text(&|r| r.area_name.clone())),
                    ("uri".into(), text(&|r| r.uri.clone())),
                    ("label".into(), text(&|r| r.label.clone())),
                    ("demand".into(), count(&|r| r.demand)),
                    ("supply".into(), count(&|r| r.supply)),
                    (
                        "ratio".into(),
                        TableColumn::OptFloat(rows.iter().map(|r| r.ratio).collect()),
                    ),
                ],
            )?;
        }
        let html = report.to_html();
        let path = dir.join("report.html");
        incrocio_core::files::atomic_write(&path, |w| {
            std::io::Write::write_all(w, html.as_bytes()).map_err(|e| Error::io(&path, e))
        })
    }

    /// An engine over a catalog with its default matching model
    /// ([`catalog::DEFAULT_MATCHING`], highest version).
    pub fn from_catalog(catalog: Catalog, index: Option<CandidateIndex>) -> Result<Engine> {
        let matching = catalog.matching(catalog::DEFAULT_MATCHING)?.clone();
        Ok(Engine::new(catalog, matching, index))
    }

    /// The bundled models, no index.
    pub fn bundled() -> Result<Engine> {
        Engine::from_catalog(Catalog::bundled(Reference::bundled())?, None)
    }

    /// The same engine with a candidate index.
    pub fn with_index(mut self, index: CandidateIndex) -> Engine {
        self.index = Some(index);
        self.territory = std::sync::Mutex::new(None);
        self
    }

    /// Creates an empty candidate index in `dir` for this engine's model (its vector and title
    /// parameters recorded), vectors read at `as_of`, and opens it in the engine.
    pub fn create_index(self, dir: &std::path::Path, as_of: NaiveDate) -> Result<Engine> {
        let index = CandidateIndex::create_with(
            dir,
            as_of,
            &incrocio_matching::IndexParams::of(&self.matching),
        )?;
        Ok(self.with_index(index))
    }

    /// Builds a new candidate index in `dir` from a JSON-lines file of candidate records, under
    /// the engine's model, reading, validating and indexing it block by block (no DID later than
    /// `latest`). Returns the number of candidates; open the index with
    /// [`Engine::with_index`]. A bad line is named and leaves nothing behind
    /// ([`CandidateIndex::build`]).
    pub fn build_index(
        &self,
        input: &std::path::Path,
        dir: &std::path::Path,
        as_of: NaiveDate,
        latest: NaiveDate,
        progress: bool,
    ) -> Result<usize> {
        let source = incrocio_matching::IndexSource {
            input,
            as_of,
            params: &incrocio_matching::IndexParams::of(&self.matching),
            latest,
            progress,
        };
        CandidateIndex::build(dir, &source, self.taxonomy())
    }

    /// Reads and validates candidate records (JSON lines; a bad line is named). With an index
    /// open, titles resolve as the index was built and no DID may be later than today or the
    /// index date; without one, under the engine's model and no later than `today`.
    pub fn read_candidates(
        &self,
        path: &std::path::Path,
        today: NaiveDate,
    ) -> Result<Vec<incrocio_matching::Candidate>> {
        let (latest, titles) = match &self.index {
            Some(i) => (i.as_of().max(today), i.params().titles),
            None => (today, self.matching.titles),
        };
        incrocio_matching::read_candidates(path, self.reference, self.taxonomy(), latest, &titles)
    }

    /// Adds or replaces candidates in the open index, with a progress bar when `progress`;
    /// returns how many were written.
    pub fn index_candidates(
        &self,
        candidates: &[incrocio_matching::Candidate],
        progress: bool,
    ) -> Result<usize> {
        self.require_index()?
            .upsert_with_progress(candidates, self.taxonomy(), progress)
    }

    /// Builds what the first request would otherwise build: the taxonomy and, with soft
    /// occupations, the title model's index of character grams (about a second; a service
    /// calls this at start).
    pub fn warm_up(&self) {
        let taxonomy = self.taxonomy();
        if self.matching.titles.soft().is_some() {
            let _ = taxonomy.ngrams();
        }
    }

    /// The bundled ESCO/ISTAT taxonomy, parsed on first use: a command that needs none of it
    /// (a graduatoria) does not pay for it; [`Engine::warm_up`] parses it up front.
    fn taxonomy(&self) -> &'static Taxonomy {
        Taxonomy::bundled()
    }

    /// Compacts the open index's vectors: the rows no live document uses are emptied, every
    /// row written into the base and the journal emptied. Returns how many rows were reclaimed.
    pub fn compact_index(&self) -> Result<usize> {
        self.require_index()?.compact()
    }

    /// Rewrites the index in `dir` from its stored records (its own parameters kept); the
    /// engine then holds the rebuilt index.
    pub fn rebuild_index(mut self, dir: &std::path::Path) -> Result<Engine> {
        // An index open here is closed first: the rebuild swaps the directory.
        self.index = None;
        let index = CandidateIndex::rebuild(dir, self.taxonomy())?;
        Ok(self.with_index(index))
    }

    /// The candidate index, when one is open.
    pub fn index(&self) -> Option<&CandidateIndex> {
        self.index.as_ref()
    }

    fn require_index(&self) -> Result<&CandidateIndex> {
        self.index.as_ref().ok_or(Error::NoIndex)
    }

    /// A profiler for `model` (`id` or `id@vN`).
    pub fn profiler(&self, model: &str) -> Result<Profiler<'_>> {
        Ok(Profiler {
            model: self
                .catalog
                .profiling(model)
                .map_err(|_| unknown_model("model", model))?,
            adr: self.catalog.adr(None)?,
            reference: self.reference,
        })
    }

    /// The profiling `model` (`id` or `id@vN`) and the AdR rules as one SQL query for another
    /// engine (see [`incrocio_profiling::model_sql`]).
    pub fn model_sql(&self, model: &str, opts: &incrocio_profiling::SqlOptions) -> Result<String> {
        let p = self.profiler(model)?;
        Ok(incrocio_profiling::model_sql(
            p.model,
            p.adr,
            p.reference,
            opts,
        )?)
    }

    /// Profiles every record. Every invalid record is named by its position: with
    /// `req.on_error` `fail` (the default) they fail the request together
    /// ([`Error::Records`], or [`Error::Input`] for one); with `skip` the valid ones are
    /// profiled and the invalid ones listed in the answer's `errors`. Stops with
    /// [`Error::Cancelled`] when `cancel` is raised. Each profile is a decision, recorded by
    /// `actor`.
    pub fn profile(
        &self,
        req: &ProfilingRequest,
        today: NaiveDate,
        actor: &str,
        cancel: &Cancel,
    ) -> Result<Decided<ProfilingResponse>> {
        let n = req.records.len();
        if n == 0 || n > MAX_PROFILING_RECORDS {
            return Err(Error::Input(InputError::new(
                "records",
                FieldReason::OutOfRange {
                    value: n.to_string(),
                    range: "1 to 10,000 records",
                },
            )));
        }
        let profiler = self.profiler(req.model.as_deref().unwrap_or("did"))?;
        let as_of = req.as_of.unwrap_or(today);
        let mut profiles = Vec::with_capacity(n);
        let mut record_index = Vec::with_capacity(n);
        let mut errors = Vec::new();
        for (i, r) in req.records.iter().enumerate() {
            if i % 256 == 255 {
                cancel.check()?;
            }
            match profiler.profile(r, as_of) {
                Ok(p) => {
                    profiles.push(p);
                    record_index.push(i);
                }
                Err(mut e) => {
                    e.field = format!("records[{i}].{}", e.field);
                    errors.push(e);
                }
            }
        }
        if req.on_error != OnErrorMode::Skip && !errors.is_empty() {
            return Err(if errors.len() == 1 {
                Error::Input(errors.remove(0))
            } else {
                Error::Records(errors)
            });
        }
        let out = ProfilingResponse {
            profiles,
            record_index,
            errors: errors
                .iter()
                .map(incrocio_core::error::RecordProblem::of)
                .collect(),
            document: None,
        };
        Ok(self.decide(out, |r| of::profiles(req, r, actor)))
    }

    /// Profiles the person of one DID document (`GestisciDID_Input`, bare or in a SOAP
    /// envelope) as [`Engine::profile`] does with `ask`'s model, date and error mode; the
    /// document is read here, once, and every error names its element.
    pub fn profile_did(
        &self,
        xml: &[u8],
        ask: ProfilingRequest,
        today: NaiveDate,
        actor: &str,
        cancel: &Cancel,
    ) -> Result<Decided<ProfilingResponse>> {
        let did = incrocio_exchange::did::read(
            &incrocio_exchange::decode(xml)?,
            self.catalog.did_codes(),
            self.reference,
        )?;
        cancel.check()?;
        let reading = DidReading {
            codes_read: did.mapped,
            unanswered: did.unanswered,
        };
        let req = ProfilingRequest {
            records: vec![did.record],
            ..ask
        };
        let decided = self
            .profile(&req, today, actor, cancel)
            .map_err(incrocio_exchange::did::locate)?;
        Ok(decided.map(|mut r| {
            r.document = Some(reading);
            r
        }))
    }

    /// Re-profiles a population file with `model` (`id` or `id@vN`): the 90-day batch
    /// (`incrocio_batch::reprofile`). When `overrides_log` names a decision log, the operators'
    /// overrides in force at `opts.as_of` are read from it (read only: a service may be
    /// appending to it) and written beside the computed class; `opts.overrides` is set here.
    pub fn reprofile(
        &self,
        model: &str,
        mut opts: incrocio_batch::ReprofileOptions,
        overrides_log: Option<&std::path::Path>,
    ) -> Result<Reprofiled> {
        let profiler = self.profiler(model)?;
        let overrides = match overrides_log {
            Some(dir) => {
                let records = incrocio_decisions::records(dir)?;
                let active = incrocio_decisions::overrides::ActiveOverrides::from_records(
                    &records,
                    &profiler.model.key(),
                    opts.as_of,
                );
                let n = active.len();
                opts.overrides = Some(std::sync::Arc::new(active));
                Some(n)
            }
            None => {
                opts.overrides = None;
                None
            }
        };
        let report = incrocio_batch::reprofile(&profiler, &opts)?;
        Ok(Reprofiled {
            model: profiler.model.key(),
            overrides,
            report,
        })
    }

    /// Validates an operator's override of `person`'s class under the model it names (which
    /// must be in the catalog): a decision, recorded by `actor`. Needs a decision log (a
    /// re-profiling reads the overrides from it).
    pub fn override_profile(
        &self,
        person: &str,
        req: incrocio_decisions::overrides::OverrideRequest,
        today: NaiveDate,
        actor: &str,
    ) -> Result<Decided<incrocio_decisions::overrides::Override>> {
        if !self.keeps_decisions() {
            return Err(Error::NoDecisionLog);
        }
        let model = self
            .catalog
            .profiling(&req.model)
            .map_err(|_| unknown_model("model", &req.model))?;
        let o = incrocio_decisions::overrides::Override::validate(person, req, model, today)?;
        let d = o.decision(actor, &model.digest)?;
        Ok(Decided::new(o, vec![d]))
    }

    /// The rosa for a vacancy (a decision, recorded by `actor`); stops with
    /// [`Error::Cancelled`] when `cancel` is raised.
    pub fn shortlist(
        &self,
        req: ShortlistRequest,
        actor: &str,
        cancel: &Cancel,
    ) -> Result<Decided<Shortlist>> {
        let index = self.require_index()?;
        let asked = req.data_richiesta.or(req.vacancy.data_richiesta);
        let today = chrono::Utc::now().date_naive();
        if let Some(d) = asked.filter(|d| *d > today) {
            return Err(Error::Input(InputError::new(
                "data_richiesta",
                FieldReason::Inconsistent(format!("{d} is after today ({today})")),
            )));
        }
        if req.exclude.len() > MAX_EXCLUDE {
            return Err(Error::Input(InputError::new(
                "exclude",
                FieldReason::OutOfRange {
                    value: req.exclude.len().to_string(),
                    range: "at most 1,000 candidate ids",
                },
            )));
        }
        let vacancy = self.vacancy_valid(req.vacancy).map_err(|mut e| {
            e.field = format!("vacancy.{}", e.field);
            Error::Input(e)
        })?;
        let rosa = index.shortlist_with(
            &vacancy,
            &self.matching,
            incrocio_matching::rosa::RosaAsk {
                size: req.size,
                stamp: incrocio_matching::RosaStamp::now(asked),
                exclude: &req.exclude,
            },
            self.taxonomy(),
            cancel,
        )?;
        Ok(self.decide(rosa, |s| vec![of::rosa(s, actor)]))
    }

    /// Validates candidate records (the first bad one is an error naming its position). No
    /// DID may be later than `today` (or the index date, when later).
    pub fn validate_candidates(
        &self,
        records: Vec<CandidateRecord>,
        today: NaiveDate,
    ) -> Result<Vec<incrocio_matching::Candidate>> {
        let latest = self.index.as_ref().map_or(today, |i| i.as_of().max(today));
        let many = records.len() > 1;
        records
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.validate(
                    self.reference,
                    self.taxonomy(),
                    latest,
                    &self.matching.titles,
                )
                .map_err(|mut e| {
                    if many {
                        e.field = format!("[{i}].{}", e.field);
                    }
                    Error::Input(e)
                })
            })
            .collect()
    }

    /// Reads SAP XML (one `lavoratore` or a `lavoratori` batch) and validates each candidate as
    /// [`Engine::validate_candidates`] does. The outer error is the document's; each SAP then
    /// succeeds or fails on its own, its error naming the element's XPath.
    /// The request's time limit (`cancel`) stops the work after the document is read and
    /// between its SAPs.
    pub fn sap_candidates(
        &self,
        xml: &[u8],
        today: NaiveDate,
        cancel: &Cancel,
    ) -> Result<Vec<SapImport>> {
        let latest = self.index.as_ref().map_or(today, |i| i.as_of().max(today));
        let docs = incrocio_exchange::sap::read(&incrocio_exchange::decode(xml)?, self.reference)?;
        docs.into_iter()
            .enumerate()
            .map(|(i, d)| {
                if i.is_multiple_of(64) {
                    cancel.check()?;
                }
                Ok(d.and_then(|d| self.sap_validated(d, latest)))
            })
            .collect()
    }

    /// A SAP's candidate record validated, an error named by the element it came from.
    fn sap_validated(
        &self,
        d: incrocio_exchange::sap::SapDocument,
        latest: NaiveDate,
    ) -> std::result::Result<SapImported, InputError> {
        let candidate = d
            .record
            .clone()
            .validate(
                self.reference,
                self.taxonomy(),
                latest,
                &self.matching.titles,
            )
            .map_err(|e| d.locate(e))?;
        Ok(SapImported {
            candidate,
            ignored: d.ignored,
            assumed: d.assumed,
            sources: d.sources,
            empty: d.empty,
            mapped: d.mapped,
        })
    }

    /// Reads a document holding one SAP for the candidate `id` (the path of `PUT
    /// /v1/candidates/{id}`): its `identificativosap`, when given, must be `id`; without one the
    /// record takes `id`. Validated as [`Engine::validate_candidates`] does.
    pub fn sap_candidate(
        &self,
        xml: &[u8],
        id: &str,
        today: NaiveDate,
        cancel: &Cancel,
    ) -> Result<SapImported> {
        let latest = self.index.as_ref().map_or(today, |i| i.as_of().max(today));
        let mut d =
            incrocio_exchange::sap::read_one(&incrocio_exchange::decode(xml)?, self.reference)?;
        cancel.check()?;
        if d.id_from_sap {
            if d.record.id != id {
                let at = d.sources.iter().find(|(f, _)| f == "id").map_or_else(
                    || "/lavoratore/datiinvio/identificativosap".to_owned(),
                    |(_, x)| x.clone(),
                );
                return Err(Error::Input(InputError::new(
                    at,
                    FieldReason::Inconsistent(format!(
                        "identificativosap `{}` is not the path's id `{id}`",
                        d.record.id
                    )),
                )));
            }
        } else {
            d.record.id = id.to_owned();
            d.assumed.retain(|a| !a.starts_with("id:"));
        }
        Ok(self.sap_validated(d, latest)?)
    }

    /// Adds or replaces validated candidates; durable and visible when it returns. Returns the
    /// live candidates after the write.
    pub fn upsert_candidates(&self, candidates: &[incrocio_matching::Candidate]) -> Result<u64> {
        let index = self.require_index()?;
        index.upsert(candidates, self.taxonomy())?;
        index.len()
    }

    /// A candidate's record as last written, if present.
    pub fn candidate(&self, id: &str) -> Result<Option<CandidateRecord>> {
        self.require_index()?.get(id)
    }

    /// Whether a live candidate has this id.
    pub fn has_candidate(&self, id: &str) -> Result<bool> {
        self.require_index()?.contains(id)
    }

    /// Deletes candidates; durable and visible when it returns. Returns the live candidates
    /// left.
    pub fn delete_candidates(&self, ids: &[String]) -> Result<u64> {
        let index = self.require_index()?;
        index.delete(ids)?;
        index.len()
    }

    fn rules(&self, spec: &str) -> Result<&GraduatoriaRules> {
        let rules = self
            .catalog
            .graduatoria(spec)
            .map_err(|_| unknown_model("rules", spec))?;
        if !rules.missing.is_empty() {
            // The caller asked for a rule set whose act leaves parameters unknown.
            let names: Vec<&str> = rules.missing.iter().map(|m| m.parameter.as_str()).collect();
            return Err(Error::Input(InputError::new(
                "rules",
                FieldReason::Inconsistent(format!(
                    "{} cannot rank: the act's parameters are not known: {}",
                    rules.key(),
                    names.join("; ")
                )),
            )));
        }
        Ok(rules)
    }

    /// A graduatoria (a decision, recorded by `actor`); stops with [`Error::Cancelled`] when
    /// `cancel` is raised.
    pub fn graduatoria(
        &self,
        call: &GraduatoriaCall,
        actor: &str,
        cancel: &Cancel,
    ) -> Result<Decided<Graduatoria>> {
        cancel.check()?;
        let g = incrocio_graduatoria::rank(self.rules(&call.rules)?, &call.request)?;
        cancel.check()?;
        Ok(self.decide(g, |g| {
            vec![of::graduatoria(
                g,
                actor,
                incrocio_decisions::Kind::Graduatoria,
            )]
        }))
    }

    /// A graduatoria recomputed on corrected data, with the differences from `previous`; the
    /// previous graduatoria must be of the same rule set and notice, with each applicant once.
    ///
    /// The riesame is a decision, recorded by `actor`.
    pub fn riesame(
        &self,
        call: &RiesameCall,
        actor: &str,
        cancel: &Cancel,
    ) -> Result<Decided<RiesameResponse>> {
        cancel.check()?;
        let rules = self.rules(&call.rules)?;
        incrocio_graduatoria::check_previous(rules, &call.request, &call.previous)?;
        let graduatoria = incrocio_graduatoria::rank(rules, &call.request)?;
        cancel.check()?;
        let riesame = incrocio_graduatoria::riesame(&call.previous, &graduatoria);
        let out = RiesameResponse {
            graduatoria,
            riesame,
        };
        Ok(self.decide(out, |r| vec![of::riesame(r, actor)]))
    }

    /// The matching model in use.
    pub fn matching_model(&self) -> &MatchingModel {
        &self.matching
    }

    /// Checks that the index (if any) was built with the matching model's vectors and titles,
    /// and computes what the first requests would otherwise wait for (the adjacent occupations,
    /// the title index): a server calls it at start.
    pub fn check(&self) -> Result<()> {
        if let Some(i) = &self.index {
            i.check_model(&self.matching)?;
        }
        if self.matching.esperienza.neighbours > 0 {
            let _ = incrocio_matching::Adjacency::shared(self.taxonomy(), &self.matching.vectors);
        }
        if self.matching.titles.fuzzy {
            let _ = self.taxonomy().titles();
        }
        Ok(())
    }

    fn occupation_ref(&self, o: incrocio_taxonomy::OccupationId) -> OccupationRef {
        let x = &self.taxonomy().occupations[o as usize];
        OccupationRef {
            uri: x.uri(),
            code: x.code.clone(),
            isco: x.isco.clone(),
            label_it: x.label_it.clone(),
            label_en: x.label_en.clone(),
        }
    }

    /// The occupations a free-text job title may name: by the word index, with confidences,
    /// and the one it resolves to under the matching model's `[titles]`; under soft
    /// occupations, the distribution vacancy and CV titles resolve to, and the cleaned title
    /// under `titles.clean`.
    pub fn resolve_title(&self, title: &str, limit: Option<usize>) -> Result<TitleResolution> {
        let bad = |field: &str, reason: String| {
            Error::Input(InputError::new(field, FieldReason::Inconsistent(reason)))
        };
        if title.trim().is_empty() {
            return Err(Error::Input(InputError::new("title", FieldReason::Missing)));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(bad(
                "title",
                format!("at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        let limit = limit.unwrap_or(5);
        if limit == 0 || limit > MAX_TITLE_CANDIDATES {
            return Err(bad(
                "limit",
                format!("{limit} is out of range: 1 to {MAX_TITLE_CANDIDATES}"),
            ));
        }
        let p = &self.matching.titles;
        let candidates: Vec<TitleCandidate> = self
            .taxonomy()
            .titles()
            .resolve(title, limit)
            .into_iter()
            .map(|m| TitleCandidate {
                occupation: self.occupation_ref(m.occupation),
                confidence: m.confidence,
                matched_label: m.label,
                label_kind: match m.kind {
                    incrocio_taxonomy::titles::LabelKind::Preferred => "preferred",
                    incrocio_taxonomy::titles::LabelKind::Alternative => "alternative",
                    incrocio_taxonomy::titles::LabelKind::Cp2011 => "cp2011",
                }
                .into(),
            })
            .collect();
        // As `Taxonomy::resolve_title` resolves vacancy and CV titles: an exact label first,
        // else (fuzzy models) the best candidate at or above the threshold — the first of
        // `candidates`, already computed.
        let exact = self
            .taxonomy()
            .occupations_by_title(title)
            .first()
            .map(|&o| {
                let uri = self.taxonomy().occupations[o as usize].uri();
                candidates
                    .iter()
                    .find(|c| c.occupation.uri == uri)
                    .cloned()
                    .unwrap_or_else(|| TitleCandidate {
                        occupation: self.occupation_ref(o),
                        confidence: 1.0,
                        matched_label: title.to_owned(),
                        label_kind: "exact".into(),
                    })
            });
        let occupation = exact.or_else(|| {
            candidates
                .first()
                .filter(|c| p.fuzzy && c.confidence >= p.min_confidence)
                .cloned()
        });
        let distribution = p
            .soft()
            .map(|soft| {
                self.taxonomy()
                    .title_distribution(title, &soft)
                    .iter()
                    .map(|&(o, q)| TitleProbability {
                        occupation: self.occupation_ref(o),
                        probability: f64::from(q),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cleaned = p
            .clean
            .then(|| incrocio_taxonomy::clean::Cleaner::new(self.taxonomy().ngrams()).clean(title));
        Ok(TitleResolution {
            title: title.to_owned(),
            status: if occupation.is_some() {
                "resolved"
            } else {
                "unresolved"
            }
            .into(),
            occupation,
            candidates,
            distribution,
            cleaned,
            min_confidence: p.min_confidence,
            model: self.matching.key(),
            model_digest: self.matching.digest.clone(),
        })
    }

    /// An occupation's adjacent occupations by ESCO skill overlap. `code` is an ESCO URI or
    /// UUID, or a CP2011 unit code (its first linked ESCO occupation).
    pub fn adjacent_occupations(&self, code: &str) -> Result<AdjacentOccupations> {
        let t = self.taxonomy();
        let o = t
            .occupation(code)
            .or_else(|| {
                t.cp2011_unit(code)
                    .and_then(|u| u.esco.first().map(|l| l.occupation))
            })
            .ok_or_else(|| {
                Error::Input(InputError::new(
                    "code",
                    FieldReason::UnknownCode {
                        value: code.to_owned(),
                        list: "ESCO occupations (URI or UUID) or CP2011 units with an ESCO link",
                    },
                ))
            })?;
        let adjacency = incrocio_matching::Adjacency::shared(t, &self.matching.vectors);
        let credited = adjacency.of(o, &self.matching.esperienza).len();
        let neighbours = adjacency
            .all(o)
            .iter()
            .enumerate()
            .map(|(i, &(n, s))| AdjacentOccupation {
                occupation: self.occupation_ref(n),
                similarity: (f64::from(s) * 1e6).round() / 1e6,
                credited: i < credited,
            })
            .collect();
        Ok(AdjacentOccupations {
            occupation: self.occupation_ref(o),
            neighbours,
            proximity_credit: self.matching.esperienza.proximity,
            model: self.matching.key(),
            model_digest: self.matching.digest.clone(),
        })
    }

    /// Every model and rule set, by kind, id and version.
    pub fn models(&self) -> Vec<ModelInfo> {
        let mut out = Vec::new();
        for m in self.catalog.profiling_models() {
            out.push(ModelInfo {
                kind: ModelKind::Profiling,
                id: m.id.clone(),
                version: m.version,
                status: m.status.into(),
                digest: m.digest.clone(),
                region: None,
            });
        }
        for r in self.catalog.adr_rules() {
            out.push(ModelInfo {
                kind: ModelKind::Adr,
                id: r.id.clone(),
                version: r.version,
                status: r.status.into(),
                digest: r.digest.clone(),
                region: None,
            });
        }
        for r in self.catalog.graduatoria_rules() {
            out.push(ModelInfo {
                kind: ModelKind::Graduatoria,
                id: r.id.clone(),
                version: r.version,
                status: if r.missing.is_empty() {
                    ModelState::Rankable
                } else {
                    ModelState::Incomplete
                },
                digest: r.digest.clone(),
                region: Some(r.region.clone()),
            });
        }
        for r in self.catalog.congruity_rules() {
            out.push(ModelInfo {
                kind: ModelKind::Congruita,
                id: r.file.id.clone(),
                version: r.file.version,
                // The rule set mixes parameters read in the act with inferred ones (each
                // marked in the file and in every verdict's warnings).
                status: if r.has_inferred() {
                    ModelState::PartlyInferred
                } else {
                    ModelState::Read
                },
                digest: r.digest.clone(),
                region: None,
            });
        }
        for m in self.catalog.skills_models() {
            out.push(ModelInfo {
                kind: ModelKind::Skills,
                id: m.id.clone(),
                version: m.version,
                status: m.status.into(),
                digest: m.digest.clone(),
                region: None,
            });
        }
        out.push(ModelInfo {
            kind: ModelKind::Matching,
            id: self.matching.id.clone(),
            version: self.matching.version,
            status: self.matching.status.into(),
            digest: self.matching.digest.clone(),
            region: None,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-11-23".parse().unwrap()
    }

    #[test]
    fn unknown_model_is_the_callers_error_naming_the_field() {
        let e = Engine::bundled().unwrap();
        let req: ProfilingRequest = serde_json::from_value(serde_json::json!({
            "model": "nope", "records": [{"Id": "P1"}]
        }))
        .unwrap();
        let err = e
            .profile(&req, today(), "test", &Cancel::never())
            .unwrap_err();
        assert!(err.is_user_error());
        assert!(err.to_string().contains("`model`"), "{err}");
    }

    #[test]
    fn a_bad_record_is_named_by_position() {
        let e = Engine::bundled().unwrap();
        let req: ProfilingRequest = serde_json::from_value(serde_json::json!({
            "records": [
                {"Id": "P1", "DataNascita": "1990-06-15", "Genere": "F", "Cittadinanza": "000",
                 "TitoloDiStudio": "40000000", "ProvinciaDiResidenza": "NA",
                 "CondizioneOccupazionaleUnAnnoPrima": "disoccupato", "DataDID": "2026-01-10"},
                {"Id": "P2", "DataNascita": "1990-06-15", "Genere": "F", "Cittadinanza": "000",
                 "TitoloDiStudio": "40000000", "ProvinciaDiResidenza": "ZZ",
                 "CondizioneOccupazionaleUnAnnoPrima": "disoccupato", "DataDID": "2026-01-10"}
            ]
        }))
        .unwrap();
        let err = e
            .profile(&req, today(), "test", &Cancel::never())
            .unwrap_err()
            .to_string();
        assert!(err.contains("records[1].ProvinciaDiResidenza"), "{err}");
    }

    #[test]
    fn models_lists_every_kind_and_no_index_is_an_error() {
        let e = Engine::bundled().unwrap();
        let kinds: Vec<ModelKind> = e.models().into_iter().map(|m| m.kind).collect();
        for k in [
            ModelKind::Profiling,
            ModelKind::Adr,
            ModelKind::Graduatoria,
            ModelKind::Congruita,
            ModelKind::Matching,
        ] {
            assert!(kinds.contains(&k), "{k:?}");
        }
        assert!(matches!(e.candidate("X"), Err(Error::NoIndex)));
    }
}
