//! Command-line edge: turns arguments into library calls and results into text. No rules here.

mod demo;
mod import;
mod log;
mod research;
mod serve;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use incrocio_core::files::atomic_write;
use incrocio_core::reference::Reference;
use incrocio_engine::Engine;
use incrocio_engine::api::{
    CvSpec, Dialect, Graduatoria, GraduatoriaRequest, OnError, PeopleSpec, ProfileRecord,
    ReprofileOptions, ReprofileReport, Status, Synthetic, VacancyRecord,
};
use incrocio_engine::catalog::Catalog;

/// Matching and profiling engine for Italian public employment services.
#[derive(Debug, Parser)]
#[command(name = "incrocio", version)]
pub struct Cli {
    /// Load models from this directory (layout of `models/`) instead of the bundled ones.
    #[arg(long, global = true, env = "INCROCIO_MODELS")]
    models: Option<PathBuf>,
    /// Sign the decision log's head after the records a command appends (`--decisions`), with
    /// this Ed25519 key file (`log keygen`), as the service does with `decisions_key`.
    #[arg(long, global = true, env = "INCROCIO_DECISIONS_KEY")]
    decisions_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Whether the command is a long-running service (`serve`) rather than a job that exits
    /// when done.
    pub fn is_service(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Profile one record (JSON object, or an array of them) from a file or stdin.
    Profile(ProfileArgs),
    /// Re-profile a population: whoever is due, carrying the others over.
    Reprofile(ReprofileArgs),
    /// Rank applicants to a notice under a Region's rules (art. 16 L. 56/1987, L. 68/1999).
    Graduatoria(GraduatoriaArgs),
    /// Generate synthetic data.
    #[command(subcommand)]
    Synth(SynthCommand),
    /// List or check model files.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Run the main job on bundled data: synthesise, profile, re-profile, summarise.
    Demo(DemoArgs),
    /// Build and maintain the candidate index (tantivy + competency vectors).
    #[command(subcommand)]
    Index(IndexCommand),
    /// The rosa for a vacancy: hard rules, scored candidates, narrowing suggestions.
    Shortlist(ShortlistArgs),
    /// Build and maintain the board of open vacancies (what `offers` searches).
    #[command(subcommand)]
    Vacancies(VacanciesCommand),
    /// The open vacancies that fit a person, each with its offerta congrua verdict (art. 25
    /// D.Lgs. 150/2015, DM 10.4.2018).
    Offers(OffersArgs),
    /// Skills against local demand (LEP C and E): a person's fits, transitions and gaps.
    #[command(subcommand)]
    Skills(SkillsCommand),
    /// Evaluate models on data.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Occupations: resolve free-text job titles, list adjacent occupations.
    #[command(subcommand)]
    Occupations(OccupationsCommand),
    /// Serve the HTTP API (config file, then INCROCIO_* environment, then flags).
    Serve(serve::ServeArgs),
    /// API keys for the HTTP service.
    #[command(subcommand)]
    Key(serve::KeyCommand),
    /// Print the OpenAPI document (the committed copy is docs/openapi.json).
    Openapi,
    /// Fit models on labeled data.
    #[command(subcommand)]
    Fit(research::FitCommand),
    /// Tune models on judgments.
    #[command(subcommand)]
    Tune(TuneCommand),
    /// Train models from the open data in data/.
    #[command(subcommand)]
    Train(TrainCommand),
    /// The decision log: verify it, show what concerns a person, compact it.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Record an operator's override of a person's profiling class in the decision log.
    Override(log::OverrideArgs),
    /// Record an employer's outcome for a person of a rosa in the decision log.
    Esito(log::EsitoArgs),
    /// Import ministerial XML (SAP) into incrocio's records.
    #[command(subcommand)]
    Import(import::ImportCommand),
}

#[derive(Debug, Subcommand)]
enum TrainCommand {
    /// The title model of soft occupations: fits the softmax temperature on held-out ESCO and
    /// CP2011 labels (least log-loss) and writes the model file (models/titles/ngram.vN.toml);
    /// the same seed and data give the same file, byte for byte.
    Titles {
        /// Seed of the draw of held-out titles.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Hold out every N-th alternative label and CP2011 voce.
        #[arg(long, default_value_t = 7)]
        holdout: u64,
        /// Held-out titles drawn at most (half fit the temperature, half check it).
        #[arg(long, default_value_t = 3000)]
        pool: usize,
        /// Occupations kept per title.
        #[arg(long, default_value_t = 5)]
        top_k: usize,
        /// Smallest best cosine at which a title names an occupation.
        #[arg(long, default_value_t = 0.3)]
        min_cosine: f64,
        /// The version written in the file.
        #[arg(long, default_value_t = 1)]
        version: u32,
        /// Where to write the model file (atomically); standard output when absent.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum VacanciesCommand {
    /// Write a new board holding exactly the vacancies of a JSON-lines file (atomic).
    Build {
        /// Vacancy records, one JSON object per line.
        input: PathBuf,
        /// Board directory.
        #[arg(long)]
        dir: PathBuf,
        /// Scoring model file (default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
    },
    /// Add or replace vacancies (durable when the command returns).
    Add {
        /// Vacancy records, one JSON object per line.
        input: PathBuf,
        /// Board directory.
        #[arg(long)]
        dir: PathBuf,
        /// Scoring model file (default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
    },
    /// Remove vacancies by id (durable when the command returns).
    Delete {
        /// Vacancy ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Board directory.
        #[arg(long)]
        dir: PathBuf,
    },
}

/// A person against the board: who, and which board.
#[derive(Debug, Args)]
struct PersonArgs {
    /// Board directory (`incrocio vacancies build`).
    #[arg(long)]
    vacancies: PathBuf,
    /// A candidate record (JSON); or give `--index` and `--candidate-id`.
    #[arg(long, conflicts_with = "candidate_id")]
    candidate: Option<PathBuf>,
    /// A candidate already in the index.
    #[arg(long, requires = "index")]
    candidate_id: Option<String>,
    /// Candidate index directory (with `--candidate-id`).
    #[arg(long)]
    index: Option<PathBuf>,
}

impl PersonArgs {
    /// The record of `--candidate`, if given; a usage error when neither it nor
    /// `--candidate-id` is.
    fn record(&self) -> Result<Option<incrocio_engine::api::CandidateRecord>> {
        if self.candidate.is_none() && self.candidate_id.is_none() {
            return Err(UsageError(
                "give --candidate FILE, or --index DIR and --candidate-id ID".into(),
            )
            .into());
        }
        let Some(path) = &self.candidate else {
            return Ok(None);
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(incrocio_core::json::from_str_strict(&text).map_err(
            |e| incrocio_core::Error::data(path, format!("not a candidate record: {e}")),
        )?))
    }

    /// `engine` with the index (when given) and the board opened, checked.
    fn open(&self, mut engine: Engine) -> Result<Engine> {
        if let Some(dir) = &self.index {
            engine = engine.open_index(dir)?;
        }
        let board = engine.open_vacancies(&self.vacancies)?;
        let engine = engine.with_vacancies(board);
        engine.check()?;
        Ok(engine)
    }
}

#[derive(Debug, Args)]
struct OffersArgs {
    #[command(flatten)]
    person: PersonArgs,
    /// The day the offers are made (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// How many vacancies (default 15).
    #[arg(long)]
    size: Option<u32>,
    /// Congruity rule set `id` or `id@vN` (default: dm-2018-04-10).
    #[arg(long)]
    rules: Option<String>,
    /// Travel times by public transport (CSV `origine,destinazione,minuti`, ISTAT codes).
    #[arg(long)]
    travel_times: Option<PathBuf>,
    /// A Region's table of the Atlante del lavoro's ADA and the CP2011 units they cover (CSV
    /// `ada,cp2011`).
    #[arg(long)]
    ada_table: Option<PathBuf>,
    /// Scoring model file (default: the newest bundled one).
    #[arg(long)]
    model_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SkillsCommand {
    /// A person's skills against the open vacancies within reach: the occupations they fit,
    /// the transitions a few skills away, the missing skills by the vacancies they unlock.
    Gap(SkillsGapArgs),
    /// A territory's demand (open vacancies) against its supply (active candidates) by
    /// occupation and skill, per province, region and Italy: Parquet for researchers and a
    /// self-contained HTML report, counts below the skills model's `territory.min_cell`
    /// suppressed.
    Report {
        /// Candidate index directory (the supply).
        #[arg(long)]
        index: PathBuf,
        /// Board directory (the demand).
        #[arg(long)]
        vacancies: PathBuf,
        /// The day vacancies are counted open at (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Skills model `id` or `id@vN` (default: the newest `default`).
        #[arg(long)]
        model: Option<String>,
        /// Print this province's view (sigla, UTS or historical code) and its region's.
        #[arg(long)]
        provincia: Option<String>,
        /// The data are synthetic: the report says so on its first line.
        #[arg(long)]
        synthetic: bool,
        /// Directory written: `occupazioni.parquet`, `competenze.parquet`, `report.html`.
        #[arg(long)]
        output_dir: PathBuf,
    },
}

#[derive(Debug, Args)]
struct SkillsGapArgs {
    #[command(flatten)]
    person: PersonArgs,
    /// The day of the analysis (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// The reach in km (default: the person's travel limit, else each vacancy's radius).
    #[arg(long)]
    raggio_km: Option<u32>,
    /// Skills model `id` or `id@vN` (default: the newest `default`).
    #[arg(long)]
    model: Option<String>,
    /// Scoring model file (default: the newest bundled one).
    #[arg(long)]
    model_file: Option<PathBuf>,
    /// `json`, `text` (for the counsellor and the person) or `html` (self-contained).
    #[arg(long, default_value = "json")]
    format: GapFormat,
    /// Write here (atomically) instead of to standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GapFormat {
    Json,
    Text,
    Html,
}

#[derive(Debug, Subcommand)]
enum OccupationsCommand {
    /// The ESCO occupations a free-text job title may name, with confidences, and the one it
    /// resolves to under the matching model (JSON).
    Resolve {
        /// The title, as an employer or an operator writes it.
        title: String,
        /// Candidates listed (1–20).
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// Scoring model file (default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
    },
    /// An occupation's adjacent occupations by ESCO skill overlap (JSON).
    Adjacent {
        /// ESCO URI or UUID, or a CP2011 unit code.
        code: String,
        /// Scoring model file (default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum TuneCommand {
    /// Search the shortlist weights maximising nDCG@15 on judged vacancies; writes a new
    /// model version.
    Matching(research::TuneArgs),
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// AUC, Brier, log-loss, calibration and class shares of a profiling model on labeled
    /// people, overall and by gender, citizenship, age band and `--group-by` columns, with 95%
    /// intervals and the disparities against a reference group; JSON, HTML and a model card;
    /// `--against` compares two models (DeLong, paired Δ table, class transitions).
    Profiling(Box<research::EvalProfilingArgs>),
    /// Title-to-title retrieval (nDCG@10, recall@50) on graded development sets built from the
    /// taxonomy: BM25, today's resolution, character n-grams and soft occupations side by side.
    TitleRanking {
        /// Titles with ISCO-08 unit groups (TSV `titolo, isco`; default: the hand-written set
        /// in tests/fixtures/titles/annunci.tsv).
        #[arg(long)]
        titles: Option<PathBuf>,
        /// Hold out every N-th alternative label and CP2011 voce.
        #[arg(long, default_value_t = 7)]
        holdout: u64,
        /// Pool titles at most.
        #[arg(long, default_value_t = 3000)]
        pool: usize,
        /// Queries reported.
        #[arg(long, default_value_t = 300)]
        queries: usize,
        /// Queries the soft method's two constants are chosen on (disjoint from the reported).
        #[arg(long, default_value_t = 100)]
        tuning_queries: usize,
        /// Seed of the draws.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scoring model file (its `titles.min_confidence`; default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
        /// Also run the sets through the rosa of these matching models (`id@vN` of the catalog,
        /// or a model file), one index each, built in a temporary directory (repeatable).
        #[arg(long)]
        rosa: Vec<String>,
        /// Title-to-title judgments read by a person (TSV `query, title, grade`; default: the
        /// set in tests/fixtures/titles/giudizi.tsv, pooled on the seed-42 pool).
        #[arg(long)]
        judged: Option<PathBuf>,
        /// Write here the (query, title) pairs some method ranks in its first 10 for a judged
        /// query and that have no judgment yet (TSV with an empty grade), to be graded.
        #[arg(long)]
        unjudged: Option<PathBuf>,
        /// Ask every query as a job ad writes it (gender endings and markers, a call, seniority,
        /// hours, an abbreviation, a comune, capitals; drawn from --seed and the title), the
        /// grades unchanged: the cost of such noise to each method and model.
        #[arg(long)]
        noisy: bool,
    },
    /// Accuracy@1/@5 of free-text title resolution on a development set: held-out taxonomy
    /// labels, and job-ad titles with their ISCO-08 unit groups.
    Titles {
        /// Titles with ISCO-08 unit groups (TSV `titolo, isco`; default: the hand-written set
        /// in tests/fixtures/titles/annunci.tsv).
        #[arg(long)]
        titles: Option<PathBuf>,
        /// Hold out every N-th alternative label and CP2011 voce.
        #[arg(long, default_value_t = 7)]
        holdout: u64,
        /// Scoring model file (its `titles.min_confidence`; default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
    },
    /// Latency of offers (person → open vacancies with verdicts), in process, one thread: p50
    /// and p99 over the first `n` CVs of a file, and the verdicts given.
    Offers {
        /// Board directory (`incrocio vacancies build`).
        #[arg(long)]
        vacancies: PathBuf,
        /// Candidate records (JSON lines).
        #[arg(long)]
        cvs: PathBuf,
        /// How many CVs.
        #[arg(long, default_value_t = 300)]
        n: usize,
        /// The day the offers are made.
        #[arg(long, default_value = "2026-11-23")]
        date: NaiveDate,
        /// Offers per person.
        #[arg(long, default_value_t = 15)]
        size: u32,
        /// Scoring model file (default: the newest bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
        /// Time the skills analysis (`skills gap`, the default skills model, each person's
        /// reach) instead of offers.
        #[arg(long)]
        skills: bool,
    },
    /// nDCG@15 and recall@15 of the shortlist scorer vs lexical-only, on vacancies with their
    /// true occupation (`synth vacancies --with-truth`), plus shortlist latency.
    Matching {
        #[command(flatten)]
        corpus: Corpus,
        /// Scoring model file (default: the bundled one).
        #[arg(long)]
        model_file: Option<PathBuf>,
        /// Also write the report as JSON here.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// An index, the candidate records it was built from, and vacancies with their true
/// occupation in `esco` (`synth vacancies --with-truth`): what evaluation, judgments and
/// exports read.
#[derive(Debug, Args)]
pub struct Corpus {
    /// Index directory.
    #[arg(long)]
    index: PathBuf,
    /// The candidate records the index was built from (.jsonl): their occupations grade
    /// relevance.
    #[arg(long)]
    cvs: PathBuf,
    /// Vacancies (.jsonl) with `esco` set to their true occupation (removed before ranking).
    #[arg(long)]
    vacancies: PathBuf,
}

#[derive(Debug, Subcommand)]
enum IndexCommand {
    /// Build a new index from candidate records (JSON lines, docs/candidate-record.md).
    Build {
        /// Candidate records (.jsonl).
        #[arg(long)]
        input: PathBuf,
        /// Index directory (created).
        #[arg(long)]
        index: PathBuf,
        /// Date experience recency is counted at (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// The scoring model the index is built for: its `[vectors]` and `[titles]` (default:
        /// the newest bundled model).
        #[arg(long)]
        model_file: Option<PathBuf>,
    },
    /// Add or replace (by id) candidates.
    Add {
        /// Candidate records (.jsonl).
        #[arg(long)]
        input: PathBuf,
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
    },
    /// Write the candidates and vacancies as an external engine needs them for the same
    /// shortlist (JSON lines: text, hard-rule fields, competency vectors); used by
    /// benches/compare/pg.
    Export {
        #[command(flatten)]
        corpus: Corpus,
        /// Output directory: candidates.jsonl and queries.jsonl.
        #[arg(long)]
        output_dir: PathBuf,
    },
    /// Rebuild the index from its stored records, dropping the vector rows of replaced and
    /// deleted candidates (stop the server first).
    Rebuild {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
    },
    /// Delete candidates by id.
    Delete {
        /// Index directory.
        #[arg(long)]
        index: PathBuf,
        /// Candidate ids.
        #[arg(long = "id", required = true)]
        ids: Vec<String>,
    },
}

#[derive(Debug, Args)]
struct ShortlistArgs {
    /// Index directory.
    #[arg(long)]
    index: PathBuf,
    /// Vacancy record (JSON).
    #[arg(long)]
    vacancy: PathBuf,
    /// Rosa size (default: the vacancy's `dimensione_rosa`, else the model's 15).
    #[arg(long)]
    size: Option<u32>,
    /// Scoring model file (default: the bundled `default` matching model, highest version).
    #[arg(long)]
    model_file: Option<PathBuf>,
    /// The day the employer asked for the rosa (default: today).
    #[arg(long)]
    data_richiesta: Option<NaiveDate>,
    /// Decision log directory: record the rosa sent (synced before the command returns).
    #[arg(long)]
    decisions: Option<PathBuf>,
    /// A refill: a candidate not to propose again (repeatable).
    #[arg(long)]
    exclude: Vec<String>,
}

#[derive(Debug, Args)]
struct ProfileArgs {
    /// Input: a JSON record (or an array of them), or a DID document in XML
    /// (`GestisciDID_Input` of `XS_ID_ConferimentoDID_4.0.xsd`); `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// Model `id` or `id@vN`.
    #[arg(long, default_value = "did")]
    model: String,
    /// Profiling date (default: today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Decision log directory: record each profile (synced before the command prints).
    #[arg(long)]
    decisions: Option<PathBuf>,
    /// A Region's DID code table (shape of `data/codici/did-codici.v1.toml`), added to the
    /// bundled one for reading a DID document's coded answers.
    #[arg(long)]
    did_codes: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OnErrorArg {
    Fail,
    Skip,
}

#[derive(Debug, Args)]
struct ReprofileArgs {
    /// People file: .parquet, .csv or .jsonl.
    #[arg(long)]
    input: PathBuf,
    /// The previous run's output (Parquet).
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Profiling date.
    #[arg(long)]
    as_of: NaiveDate,
    /// Output Parquet file (written atomically).
    #[arg(long)]
    output: PathBuf,
    /// Model `id` or `id@vN`.
    #[arg(long, default_value = "did")]
    model: String,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Rows per chunk of work and per Parquet row group of the output.
    #[arg(long, default_value_t = incrocio_engine::api::DEFAULT_CHUNK_ROWS)]
    chunk_rows: usize,
    /// Stop at the first bad row, or skip bad rows and list them in --rejects.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Fail)]
    on_error: OnErrorArg,
    /// Rejected rows (CSV); required with --on-error skip.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Transitions report (JSON); default: the output path with `.report.json`.
    #[arg(long)]
    report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Decision log directory: operators' overrides of this model in force at --as-of are
    /// shown beside the computed class (`override_*`, `effective_class`).
    #[arg(long)]
    decisions: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct GraduatoriaArgs {
    /// Rule set `id` or `id@vN` (see `incrocio models list`).
    #[arg(long)]
    rules: String,
    /// Applicants: .csv or .json.
    #[arg(long)]
    applicants: PathBuf,
    /// Publication date of the notice (`publication_date` over HTTP: the same names on both).
    #[arg(long)]
    publication_date: NaiveDate,
    /// Application deadline (default: the publication date).
    #[arg(long)]
    deadline: Option<NaiveDate>,
    /// Posts to fill: adds the list sent to the administration (double the posts, reserves applied).
    #[arg(long)]
    posts: Option<u32>,
    /// Whether the employer is a public administration (`public_employer` over HTTP); `false`
    /// for a private one, to which the L. 68 criteria reserved to public employers do not apply.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    public_employer: bool,
    /// A previous graduatoria (JSON output of this command): recompute and explain the moves.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// JSON output (default: stdout).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also write the CSV a CPI publishes.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Decision log directory: record the graduatoria (or riesame), synced before anything is
    /// written.
    #[arg(long)]
    decisions: Option<PathBuf>,
    /// Where to write the riesame diff with --previous (default: stdout).
    #[arg(long)]
    riesame: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SynthCommand {
    /// Synthetic DID registrants on real comuni.
    People {
        #[command(flatten)]
        spec: SynthSpec,
        /// Output: .parquet, .csv or .jsonl.
        #[arg(long)]
        output: PathBuf,
    },
    /// Synthetic CVs (candidate records, docs/candidate-record.md) as JSON lines.
    Cvs {
        #[command(flatten)]
        spec: SynthSpec,
        /// Output: `.jsonl` (candidate records) or `.xml` (one SAP `lavoratori` batch).
        #[arg(long)]
        output: PathBuf,
    },
    /// Labeled outcomes drawn from a known profiling model (adds `Esito` to a people file).
    Outcomes(research::OutcomesArgs),
    /// Graded judgments (or simulated esiti) for vacancies with a known occupation.
    Judgments(research::JudgmentsArgs),
    /// Synthetic vacancies as JSON lines.
    Vacancies {
        #[command(flatten)]
        spec: SynthSpec,
        /// Keep the occupation each vacancy was drawn from in `esco` (for evaluation).
        #[arg(long)]
        with_truth: bool,
        /// Output (.jsonl).
        #[arg(long)]
        output: PathBuf,
    },
}

/// The job-ad titles with their ISCO unit groups: the file given, or the hand-written set.
fn ad_titles(path: Option<&std::path::Path>) -> Result<String> {
    Ok(match path {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => include_str!("../../tests/fixtures/titles/annunci.tsv").to_owned(),
    })
}

/// How many records, from which seed, observed when.
#[derive(Debug, Args)]
struct SynthSpec {
    /// How many.
    #[arg(long)]
    n: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Observation date.
    #[arg(long, default_value = "2026-11-23")]
    as_of: NaiveDate,
}

impl SynthSpec {
    fn cv_spec(&self) -> CvSpec {
        CvSpec {
            n: self.n,
            seed: self.seed,
            as_of: self.as_of,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// List every model and rule set (profiling, AdR, graduatorie, matching) with id, version,
    /// status and digest.
    List {
        /// As a JSON array (the objects of `GET /v1/models`).
        #[arg(long)]
        json: bool,
    },
    /// Load and validate every model (with --models DIR, that directory's).
    Check,
    /// Write a profiling model (with the AdR rules and the reference tables) as one SQL query
    /// for DuckDB, Spark, Trino or PostgreSQL, over a table with the ANPAL column names.
    Sql {
        /// The profiling model (`id` or `id@vN`).
        #[arg(long, default_value = "did")]
        model: String,
        /// The engine.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Dialect::ALL.map(Dialect::as_str)))]
        dialect: String,
        /// The people table or view (dotted names allowed: `lake.anpal.did`).
        #[arg(long, default_value = "people")]
        table: String,
        /// Profiling date baked into the query; without it the query uses CURRENT_DATE.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Write the query here (atomically) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// An optional column the table does not have (`DataFineUltimoRapporto`,
        /// `Sospensioni`, `PercettoreNASpI`; repeatable): read as NULL, as a record without it.
        #[arg(long = "absent", value_name = "COLUMN")]
        absent: Vec<String>,
        /// A people file (Parquet or CSV) with the table's columns, e.g. a sample of it: the
        /// optional columns it lacks are read as NULL, as with --absent.
        #[arg(long, value_name = "FILE")]
        columns_of: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// People to synthesise.
    #[arg(long, default_value_t = 200_000)]
    n: usize,
    /// Working directory for the demo files.
    #[arg(long, default_value = "target/demo")]
    dir: PathBuf,
    /// Synthetic CVs to index.
    #[arg(long, default_value_t = 20_000)]
    cvs: usize,
}

/// A command line that parsed but does not make sense (exit code 64, like clap's own).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit code of a failed command (sysexits.h): 64 usage, 65 bad input data, 66 an input
/// that is not there (no index), 70 internal, 74 I/O, 75 stopped (try again), 78 a bad model
/// or configuration file.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<UsageError>() {
            return 64;
        }
        if let Some(e) = cause.downcast_ref::<incrocio_core::Error>() {
            return match e {
                incrocio_core::Error::Input(_)
                | incrocio_core::Error::Records(_)
                | incrocio_core::Error::Data { .. } => 65,
                incrocio_core::Error::NoIndex
                | incrocio_core::Error::NoVacancies
                | incrocio_core::Error::NoDecisionLog => 66,
                incrocio_core::Error::Panic(_) => 70,
                incrocio_core::Error::Io { .. } => 74,
                incrocio_core::Error::Cancelled => 75,
                incrocio_core::Error::Model(_) => 78,
            };
        }
        if cause.is::<incrocio_core::ModelError>() {
            return 78;
        }
        if cause.is::<incrocio_core::InputError>() {
            return 65;
        }
        if cause.is::<serde_json::Error>() {
            return 65;
        }
        if cause.is::<std::io::Error>() {
            return 74;
        }
    }
    70
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let reference = Reference::bundled();
    let catalog = match &cli.models {
        Some(dir) => Catalog::from_dir(dir, reference)?,
        None => Catalog::bundled(reference)?,
    };
    let key = cli.decisions_key.as_deref();
    match cli.command {
        Command::Profile(a) => profile(catalog, a, key),
        Command::Import(import::ImportCommand::Sap(a)) => {
            let engine = Engine::from_catalog(catalog, None)?;
            import::sap(&engine, a, today())
        }
        Command::Reprofile(a) => reprofile_cmd(&Engine::from_catalog(catalog, None)?, a),
        Command::Graduatoria(a) => graduatoria_cmd(catalog, a, key),
        Command::Synth(SynthCommand::People { spec, output }) => {
            let spec = PeopleSpec {
                n: spec.n,
                seed: spec.seed,
                as_of: spec.as_of,
            };
            Engine::from_catalog(catalog, None)?.synth_people(&output, &spec)?;
            eprintln!("wrote {} people to {}", spec.n, output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Index(cmd) => index_cmd(catalog, cmd),
        Command::Occupations(cmd) => occupations_cmd(catalog, cmd),
        Command::Shortlist(a) => shortlist_cmd(catalog, a, key),
        Command::Log(c) => log::log_cmd(c),
        Command::Override(a) => log::override_cmd(catalog, a, key),
        Command::Esito(a) => log::esito_cmd(catalog, a, key),
        Command::Vacancies(c) => vacancies_cmd(catalog, c),
        Command::Offers(a) => offers_cmd(catalog, a),
        Command::Skills(SkillsCommand::Gap(a)) => skills_gap_cmd(catalog, a),
        Command::Skills(SkillsCommand::Report {
            index,
            vacancies,
            date,
            model,
            provincia,
            synthetic,
            output_dir,
        }) => {
            let engine = Engine::from_catalog(catalog, None)?.open_index(&index)?;
            let board = engine.open_vacancies(&vacancies)?;
            let engine = engine.with_vacancies(board);
            let date = date.unwrap_or_else(|| chrono::Local::now().date_naive());
            let never = incrocio_core::cancel::Cancel::never();
            let started = Instant::now();
            let report =
                engine.territory_report(date, model.as_deref(), synthetic, &never, true)?;
            let counted_s = started.elapsed().as_secs_f64();
            engine.write_territory(&report, &output_dir)?;
            let view = match &provincia {
                Some(p) => Some(serde_json::to_value(engine.territory_view_of(&report, p)?)?),
                None => None,
            };
            let summary = serde_json::json!({
                "data": report.data,
                "open_vacancies": report.open_vacancies,
                "active_candidates": report.active_candidates,
                "unplaced_candidates": report.unplaced_candidates,
                "occupation_rows": report.occupations.len(),
                "skill_rows": report.skills.len(),
                "min_cell": report.min_cell,
                "skills_model": report.skills_model,
                "skills_model_digest": report.skills_model_digest,
                "synthetic": report.synthetic,
                "counted_s": (counted_s * 1000.0).round() / 1000.0,
                "written": output_dir.display().to_string(),
                "provincia": view,
            });
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Matching {
            corpus,
            model_file,
            output,
        }) => eval_matching_cmd(
            catalog,
            &corpus.index,
            &corpus.cvs,
            &corpus.vacancies,
            model_file.as_deref(),
            output,
        ),
        Command::Synth(SynthCommand::Cvs { spec, output }) => {
            let spec = spec.cv_spec();
            let engine = Engine::from_catalog(catalog, None)?;
            if output.extension().is_some_and(|e| e == "xml") {
                let skipped = engine.synth_sap(&output, &spec)?;
                eprintln!(
                    "wrote {} CVs as SAP XML to {} ({skipped} experiences without a CP2011 code left out)",
                    spec.n,
                    output.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            engine.synth_records(&output, &spec, Synthetic::Cvs)?;
            eprintln!("wrote {} CVs to {}", spec.n, output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Synth(SynthCommand::Vacancies {
            spec,
            with_truth,
            output,
        }) => {
            let spec = spec.cv_spec();
            let what = Synthetic::Vacancies { with_truth };
            Engine::from_catalog(catalog, None)?.synth_records(&output, &spec, what)?;
            eprintln!("wrote {} vacancies to {}", spec.n, output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::List { json }) => {
            let engine = incrocio_engine::Engine::from_catalog(catalog, None)?;
            print_models(&engine.models(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Check) => {
            let engine = incrocio_engine::Engine::from_catalog(catalog, None)?;
            let models = engine.models();
            print_models(&models, false)?;
            eprintln!("{} models and rule sets load and validate", models.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Sql {
            model,
            dialect,
            table,
            as_of,
            output,
            mut absent,
            columns_of,
        }) => {
            if let Some(file) = &columns_of {
                for c in incrocio_engine::absent_optional_columns(file)? {
                    if !absent.contains(&c) {
                        absent.push(c);
                    }
                }
            }
            let engine = incrocio_engine::Engine::from_catalog(catalog, None)?;
            let opts = incrocio_engine::api::SqlOptions {
                dialect: Dialect::parse(&dialect)
                    .ok_or_else(|| anyhow::anyhow!("unknown dialect `{dialect}`"))?,
                table,
                as_of,
                engine_version: env!("CARGO_PKG_VERSION").to_owned(),
                absent,
            };
            let sql = engine.model_sql(&model, &opts)?;
            match output {
                Some(path) => {
                    incrocio_core::files::atomic_write(&path, |w| {
                        w.write_all(sql.as_bytes())
                            .map_err(|e| incrocio_core::error::Error::io(&path, e))
                    })?;
                    eprintln!("wrote {} ({} bytes)", path.display(), sql.len());
                }
                None => std::io::stdout().write_all(sql.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(a) => demo::demo(&catalog, a),
        Command::Serve(a) => serve::serve(catalog, a),
        Command::Key(k) => serve::key(k),
        Command::Fit(research::FitCommand::Profiling(a)) => research::fit(catalog, a),
        Command::Tune(TuneCommand::Matching(a)) => research::tune_matching(catalog, a),
        Command::Train(TrainCommand::Titles {
            seed,
            holdout,
            pool,
            top_k,
            min_cosine,
            version,
            output,
        }) => {
            let engine = engine_for(catalog, None)?;
            let o = incrocio_engine::api::TrainOptions {
                holdout_every: holdout,
                pool,
                seed,
                top_k,
                min_cosine,
            };
            let text = engine.train_titles(&o, version)?;
            match output {
                Some(path) => {
                    incrocio_core::files::atomic_write(&path, |w| {
                        w.write_all(text.as_bytes())
                            .map_err(|e| incrocio_core::Error::io(&path, e))
                    })?;
                    eprintln!("wrote {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Offers {
            vacancies,
            cvs,
            n,
            date,
            size,
            model_file,
            skills,
        }) => eval_offers_cmd(
            catalog,
            &vacancies,
            &cvs,
            (n, date, size, skills),
            model_file.as_deref(),
        ),
        Command::Eval(EvalCommand::TitleRanking {
            titles,
            holdout,
            pool,
            queries,
            tuning_queries,
            seed,
            model_file,
            rosa,
            judged,
            unjudged,
            noisy,
        }) => {
            let text = ad_titles(titles.as_deref())?;
            let judged_text = match &judged {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?,
                None => include_str!("../../tests/fixtures/titles/giudizi.tsv").to_owned(),
            };
            let judged_set = incrocio_engine::api::Judgments::parse(&judged_text)
                .map_err(|e| anyhow::anyhow!("judgments: {e}"))?;
            let mut models = Vec::new();
            for spec in &rosa {
                models.push(if spec.ends_with(".toml") {
                    let text =
                        std::fs::read_to_string(spec).with_context(|| format!("reading {spec}"))?;
                    incrocio_engine::api::MatchingModel::parse(spec, &text)?
                } else {
                    catalog.matching(spec)?.clone()
                });
            }
            let engine = engine_for(catalog, model_file.as_deref())?;
            let options = incrocio_engine::api::RankingOptions {
                holdout_every: holdout,
                pool,
                queries,
                tuning_queries,
                seed,
                min_confidence: 0.0,
                noisy,
            };
            let mut r = engine.title_ranking(&text, &judged_set, options);
            if r.judged_missing > 0 {
                if let Some(p) = &judged {
                    anyhow::bail!(
                        "{}: {} judged titles are not in this pool (judgments are of the pool \
                         they were pooled on: the same --seed, --pool and --holdout)",
                        p.display(),
                        r.judged_missing
                    );
                }
                eprintln!(
                    "the judged set (pooled on --seed 42 --pool 3000 --holdout 7) is left out: \
                     {} of its titles are not in this pool",
                    r.judged_missing
                );
            }
            if !models.is_empty() {
                let dir = std::env::temp_dir()
                    .join(format!("incrocio-title-rosa-{}", std::process::id()));
                let found = engine.title_rosa_ranking(&text, &judged_set, options, &models, &dir);
                let _ = std::fs::remove_dir_all(&dir);
                r.rosa = found?;
            }
            if let Some(path) = &unjudged {
                let mut pairs: Vec<&(String, String)> = r
                    .unjudged
                    .iter()
                    .chain(r.rosa.iter().flat_map(|f| &f.unjudged))
                    .collect();
                pairs.sort();
                pairs.dedup();
                let mut out = String::from("query\ttitle\tgrade\n");
                for (q, t) in &pairs {
                    out.push_str(&format!("{q}\t{t}\t\n"));
                }
                std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("{} pairs to judge in {}", pairs.len(), path.display());
            }
            use incrocio_engine::api::{MethodFigures, RosaFigures};
            type Of = fn(&RosaFigures) -> Option<&MethodFigures>;
            let sets: [(&str, &[MethodFigures], Of); 3] = [
                ("held-out labels", &r.held_out, |f| Some(&f.held_out)),
                ("job-ad titles", &r.ads, |f| Some(&f.ads)),
                ("judged titles", &r.judged, |f| f.judged.as_ref()),
            ];
            for (set, rows, of) in sets {
                if rows.is_empty() {
                    continue;
                }
                eprintln!("{set}:");
                let rosa = r.rosa.iter().filter_map(of);
                for m in rows.iter().chain(rosa) {
                    eprintln!(
                        "  {:<16} nDCG@10 {:.3}  recall@50 {:.3}",
                        m.method, m.ndcg_at_10, m.recall_at_50
                    );
                }
            }
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Titles {
            titles,
            holdout,
            model_file,
        }) => {
            let text = ad_titles(titles.as_deref())?;
            let engine = engine_for(catalog, model_file.as_deref())?;
            let r = engine.title_report(&text, holdout);
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Profiling(a)) => {
            let a = *a;
            research::eval_profiling(catalog, a)
        }
        Command::Synth(SynthCommand::Outcomes(a)) => research::outcomes(catalog, a),
        Command::Synth(SynthCommand::Judgments(a)) => research::judgments(catalog, a),
        Command::Openapi => {
            std::io::stdout()
                .lock()
                .write_all(incrocio_http::openapi::document_text().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_models(models: &[incrocio_engine::ModelInfo], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(models)?)?;
        return Ok(());
    }
    for m in models {
        writeln!(
            out,
            "{:<12} {:<30} {:<13} {:<16} {}",
            m.kind.as_str(),
            format!("{}@v{}", m.id, m.version),
            m.status.as_str(),
            m.region.as_deref().unwrap_or(""),
            m.digest
        )?;
    }
    Ok(())
}

fn profile(mut catalog: Catalog, a: ProfileArgs, key: Option<&Path>) -> Result<ExitCode> {
    if let Some(file) = &a.did_codes {
        catalog.extend_did_codes(file)?;
    }
    let text = match a.input.as_deref() {
        None => read_stdin()?,
        Some(p) if p == Path::new("-") => read_stdin()?,
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
    };
    let xml = incrocio_engine::api::looks_like_xml(text.as_bytes());
    let value = if xml {
        serde_json::Value::Null
    } else {
        incrocio_core::json::value_from_slice(text.as_bytes())
            .map_err(|e| input_error("(input)", format!("not JSON: {e}")))?
    };
    let many = value.is_array();
    let records: Vec<ProfileRecord> = if xml {
        Vec::new()
    } else if many {
        incrocio_core::json::from_value(value)
            .map_err(|e| input_error("(input)", format!("not an array of profile records: {e}")))?
    } else {
        vec![
            incrocio_core::json::from_value(value)
                .map_err(|e| input_error("(input)", format!("not a profile record: {e}")))?,
        ]
    };
    let engine = Engine::from_catalog(catalog, None)?;
    let engine = keeping(engine, a.decisions.as_deref(), key)?;
    let request = incrocio_engine::ProfilingRequest {
        model: Some(a.model),
        as_of: a.as_of,
        records,
        on_error: Default::default(),
    };
    let never = incrocio_core::cancel::Cancel::never();
    let decided = if xml {
        engine.profile_did(text.as_bytes(), request, today(), "cli", &never)?
    } else {
        engine.profile(&request, today(), "cli", &never)?
    };
    let mut out = answer(&engine, decided)?.profiles;
    let text = if many {
        serde_json::to_string_pretty(&out)?
    } else {
        serde_json::to_string_pretty(&out.pop().context("one profile")?)?
    };
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(ExitCode::SUCCESS)
}

/// The engine with the decision log in `dir`, when one is given: its decisions are then
/// recorded (appended and synced by the engine) before the command prints or writes them.
fn keeping(engine: Engine, dir: Option<&Path>, key: Option<&Path>) -> Result<Engine> {
    Ok(match dir {
        Some(dir) => engine.open_decisions(dir, 1, 1024, key)?.0,
        None => engine,
    })
}

/// Has the engine record a decided answer (when it keeps a log) and gives the answer, saying
/// on stderr where the records went.
pub(crate) fn answer<T>(engine: &Engine, d: incrocio_engine::Decided<T>) -> Result<T> {
    let r = engine.record_blocking(d)?;
    if let (Some(first), Some(last)) = (r.receipts.first(), r.receipts.last()) {
        eprintln!("recorded decisions {}-{}", first.seq, last.seq);
    }
    Ok(r.answer)
}

/// A caller's input error (exit code 65) on `field`.
fn input_error(field: &str, reason: String) -> incrocio_core::Error {
    incrocio_core::Error::Input(incrocio_core::InputError::new(
        field,
        incrocio_core::FieldReason::Inconsistent(reason),
    ))
}

/// Today, on this machine's clock (the CLI's default dates).
fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s)
}

fn index_cmd(catalog: Catalog, cmd: IndexCommand) -> Result<ExitCode> {
    let started = Instant::now();
    match cmd {
        IndexCommand::Build {
            input,
            index,
            as_of,
            model_file,
        } => {
            let as_of = as_of.unwrap_or_else(today);
            let engine = engine_for(catalog, model_file.as_deref())?;
            let n = engine.build_index(&input, &index, as_of, as_of.max(today()), true)?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "indexed {n} candidates in {secs:.2} s ({:.0} CVs/s) into {}",
                n as f64 / secs,
                index.display()
            );
        }
        IndexCommand::Add { input, index } => {
            let engine = Engine::from_catalog(catalog, None)?.open_index(&index)?;
            let candidates = engine.read_candidates(&input, today())?;
            let n = engine.index_candidates(&candidates, true)?;
            eprintln!("added or replaced {n} candidates in {}", index.display());
        }
        IndexCommand::Export { corpus, output_dir } => {
            let engine = Engine::from_catalog(catalog, None)?.open_index(&corpus.index)?;
            let n = engine.export_corpus(&corpus.cvs, &corpus.vacancies, &output_dir, today())?;
            eprintln!(
                "wrote {} candidates and {} queries to {}",
                n.candidates,
                n.queries,
                output_dir.display()
            );
        }
        IndexCommand::Rebuild { index } => {
            let engine = Engine::from_catalog(catalog, None)?.open_index(&index)?;
            let before = engine.index().context("the index")?.vector_rows();
            let engine = engine.rebuild_index(&index)?;
            let idx = engine.index().context("the rebuilt index")?;
            eprintln!(
                "rebuilt {}: {} candidates, vector rows {before} → {}",
                index.display(),
                idx.len()?,
                idx.vector_rows()
            );
        }
        IndexCommand::Delete { index, ids } => {
            let engine = Engine::from_catalog(catalog, None)?.open_index(&index)?;
            let left = engine.delete_candidates(&ids)?;
            eprintln!(
                "deleted {} ids from {} ({left} candidates left)",
                ids.len(),
                index.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An engine over `catalog` with the matching model of `--model-file` (or the default).
fn engine_for(catalog: Catalog, model_file: Option<&Path>) -> Result<Engine> {
    Ok(Engine::from_catalog(catalog, None)?.with_matching_file(model_file)?)
}

fn eval_matching_cmd(
    catalog: Catalog,
    index: &Path,
    cvs: &Path,
    vacancies: &Path,
    model: Option<&Path>,
    output: Option<PathBuf>,
) -> Result<ExitCode> {
    // The model must be the one the index was built for ("rebuild" otherwise).
    let engine = engine_for(catalog, model)?.open_index(index)?;
    let report = engine.evaluate_matching(cvs, vacancies, today())?;
    println!(
        "{} vacancies, {} with relevant eligible candidates; titles resolved to the true occupation: {}",
        report.vacancies, report.evaluated, report.title_resolved_to_truth
    );
    println!("scorer               nDCG@15  recall@15");
    println!(
        "{:<20} {:>7.4} {:>10.4}",
        report.model, report.full.ndcg_at_15, report.full.recall_at_15
    );
    println!(
        "{:<20} {:>7.4} {:>10.4}",
        "lexical-only", report.lexical_only.ndcg_at_15, report.lexical_only.recall_at_15
    );
    println!(
        "shortlist latency (full scorer, in-process): p50 {:.3} ms, p99 {:.3} ms",
        report.latency_p50_ms, report.latency_p99_ms
    );
    if let Some(path) = output {
        let json = serde_json::to_vec_pretty(&report)?;
        atomic_write(&path, |w| {
            w.write_all(&json)
                .map_err(|e| incrocio_core::Error::io(&path, e))
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

fn occupations_cmd(catalog: Catalog, cmd: OccupationsCommand) -> Result<ExitCode> {
    let text = match cmd {
        OccupationsCommand::Resolve {
            title,
            limit,
            model_file,
        } => {
            let engine = engine_for(catalog, model_file.as_deref())?;
            serde_json::to_string_pretty(&engine.resolve_title(&title, Some(limit))?)?
        }
        OccupationsCommand::Adjacent { code, model_file } => {
            let engine = engine_for(catalog, model_file.as_deref())?;
            serde_json::to_string_pretty(&engine.adjacent_occupations(&code)?)?
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn vacancies_cmd(catalog: Catalog, c: VacanciesCommand) -> Result<ExitCode> {
    match c {
        VacanciesCommand::Build {
            input,
            dir,
            model_file,
        } => {
            let engine = engine_for(catalog, model_file.as_deref())?;
            let started = Instant::now();
            let vacancies = engine.read_vacancies(&input)?;
            let board = engine.create_vacancies(&dir, &vacancies)?;
            eprintln!(
                "board {}: {} vacancies in {:.2} s",
                dir.display(),
                board.len(),
                started.elapsed().as_secs_f64()
            );
        }
        VacanciesCommand::Add {
            input,
            dir,
            model_file,
        } => {
            let engine = engine_for(catalog, model_file.as_deref())?;
            let vacancies = engine.read_vacancies(&input)?;
            let engine = {
                let board = engine.open_vacancies(&dir)?;
                engine.with_vacancies(board)
            };
            let held = engine.upsert_vacancies(&vacancies)?;
            eprintln!("{} vacancies written; {held} held", vacancies.len());
        }
        VacanciesCommand::Delete { ids, dir } => {
            let engine = Engine::from_catalog(catalog, None)?;
            let engine = {
                let board = engine.open_vacancies(&dir)?;
                engine.with_vacancies(board)
            };
            let held = engine.delete_vacancies(&ids)?;
            eprintln!("{} ids deleted; {held} held", ids.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn offers_cmd(catalog: Catalog, a: OffersArgs) -> Result<ExitCode> {
    let candidate = a.person.record()?;
    let mut engine = engine_for(catalog, a.model_file.as_deref())?;
    if let Some(file) = &a.travel_times {
        engine = engine.with_travel_times_file(file)?;
    }
    if let Some(file) = &a.ada_table {
        engine = engine.with_ada_table_file(file)?;
    }
    let engine = a.person.open(engine)?;
    let decided = engine.offers(
        incrocio_engine::OffersRequest {
            candidate_id: a.person.candidate_id,
            candidate,
            data: a.date,
            size: a.size,
            rules: a.rules,
        },
        chrono::Local::now().date_naive(),
        "cli",
        &incrocio_core::cancel::Cancel::never(),
    )?;
    let out = answer(&engine, decided)?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn skills_gap_cmd(catalog: Catalog, a: SkillsGapArgs) -> Result<ExitCode> {
    let candidate = a.person.record()?;
    let engine = a
        .person
        .open(engine_for(catalog, a.model_file.as_deref())?)?;
    let gap = engine.skills_gap(
        incrocio_engine::SkillsGapRequest {
            candidate_id: a.person.candidate_id,
            candidate,
            data: a.date,
            raggio_km: a.raggio_km,
            model: a.model,
        },
        chrono::Local::now().date_naive(),
        &incrocio_core::cancel::Cancel::never(),
    )?;
    let text = match a.format {
        GapFormat::Json => serde_json::to_string_pretty(&gap)? + "\n",
        GapFormat::Text => gap.to_text(),
        GapFormat::Html => gap.to_html(),
    };
    match &a.output {
        Some(path) => incrocio_core::files::atomic_write(path, |w| {
            w.write_all(text.as_bytes())
                .map_err(|e| incrocio_core::Error::io(path, e))
        })?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn eval_offers_cmd(
    catalog: Catalog,
    board: &Path,
    cvs: &Path,
    (n, date, size, skills): (usize, NaiveDate, u32, bool),
    model_file: Option<&Path>,
) -> Result<ExitCode> {
    let engine = engine_for(catalog, model_file)?;
    let open = Instant::now();
    let engine = {
        let b = engine.open_vacancies(board)?;
        engine.with_vacancies(b)
    };
    let open_s = open.elapsed().as_secs_f64();
    engine.check()?;
    let records: Vec<incrocio_engine::api::CandidateRecord> =
        incrocio_engine::read_jsonl(cvs, "candidate record")?;
    let mut times = Vec::new();
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    let mut eligible = 0usize;
    let mut slowest = Vec::new();
    let never = incrocio_core::cancel::Cancel::never();
    for r in records.into_iter().take(n) {
        if skills {
            let req = incrocio_engine::SkillsGapRequest {
                candidate_id: None,
                candidate: Some(r),
                data: Some(date),
                raggio_km: None,
                model: None,
            };
            let t0 = Instant::now();
            let out = engine.skills_gap(req, date, &never)?;
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            times.push(ms);
            slowest.push((ms, out.eligible_count, out.candidate_id.clone()));
            eligible += out.eligible_count;
            continue;
        }
        let req = incrocio_engine::OffersRequest {
            candidate_id: None,
            candidate: Some(r),
            data: Some(date),
            size: Some(size),
            rules: None,
        };
        let t0 = Instant::now();
        let out = answer(&engine, engine.offers(req, date, "eval", &never)?)?;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        times.push(ms);
        slowest.push((ms, out.eligible_count, out.candidate_id.clone()));
        eligible += out.eligible_count;
        for o in &out.offers {
            let v = serde_json::to_value(o.congruita.esito)?;
            *verdicts
                .entry(v.as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
    }
    times.sort_by(f64::total_cmp);
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.truncate(5);
    let q = |p: f64| {
        times
            .get(((times.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
    };
    let report = serde_json::json!({
        "people": times.len(),
        "open_vacancies_held": engine.vacancies().map_or(0, |b| b.len()),
        "board_open_s": open_s,
        "p50_ms": q(0.50),
        "p99_ms": q(0.99),
        "max_ms": times.last(),
        "mean_eligible": eligible as f64 / times.len().max(1) as f64,
        "slowest": slowest
            .iter()
            .map(|(ms, n, id)| serde_json::json!({"candidate_id": id, "ms": ms, "eligible": n}))
            .collect::<Vec<_>>(),
        "verdicts": verdicts,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

fn shortlist_cmd(catalog: Catalog, a: ShortlistArgs, key: Option<&Path>) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.vacancy)
        .with_context(|| format!("reading {}", a.vacancy.display()))?;
    let vacancy: VacancyRecord = incrocio_core::json::from_str_strict(&text).map_err(|e| {
        incrocio_core::Error::data(&a.vacancy, format!("not a vacancy record: {e}"))
    })?;
    let engine = engine_for(catalog, a.model_file.as_deref())?.open_index(&a.index)?;
    let engine = keeping(engine, a.decisions.as_deref(), key)?;
    engine.check()?;
    let decided = engine.shortlist(
        incrocio_engine::ShortlistRequest {
            vacancy,
            size: a.size,
            data_richiesta: a.data_richiesta,
            exclude: a.exclude,
        },
        "cli",
        &incrocio_core::cancel::Cancel::never(),
    )?;
    let out = answer(&engine, decided)?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn reprofile_cmd(engine: &Engine, a: ReprofileArgs) -> Result<ExitCode> {
    let on_error = match a.on_error {
        OnErrorArg::Fail => OnError::Fail,
        OnErrorArg::Skip if a.rejects.is_none() => {
            return Err(UsageError("--on-error skip needs --rejects FILE".into()).into());
        }
        OnErrorArg::Skip => OnError::Skip,
    };
    let opts = ReprofileOptions {
        input: a.input,
        previous: a.previous,
        output: a.output.clone(),
        as_of: a.as_of,
        threads: a.threads,
        on_error,
        rejects: a.rejects,
        progress: !a.quiet,
        chunk_rows: a.chunk_rows,
        overrides: None,
        input_digest_format: incrocio_engine::api::INPUT_DIGEST_FORMAT,
    };
    let started = Instant::now();
    let done = engine.reprofile(&a.model, opts, a.decisions.as_deref())?;
    let elapsed = started.elapsed();
    if let Some(n) = done.overrides {
        eprintln!("{n} overrides of {} in force at {}", done.model, a.as_of);
    }
    let report = done.report;
    let report_path = a
        .report
        .unwrap_or_else(|| a.output.with_extension("report.json"));
    atomic_write(&report_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &report)
            .map_err(|e| incrocio_core::Error::data(&report_path, e))
    })?;
    print_report(&report, elapsed.as_secs_f64())?;
    eprintln!("wrote {} and {}", a.output.display(), report_path.display());
    Ok(ExitCode::SUCCESS)
}

fn graduatoria_cmd(catalog: Catalog, a: GraduatoriaArgs, key: Option<&Path>) -> Result<ExitCode> {
    let engine = incrocio_engine::Engine::from_catalog(catalog, None)?;
    let engine = keeping(engine, a.decisions.as_deref(), key)?;
    let request = GraduatoriaRequest {
        publication_date: a.publication_date,
        deadline: a.deadline,
        posts: a.posts,
        public_employer: a.public_employer,
        applicants: engine.read_applicants(&a.applicants)?,
    };
    // Everything is computed and checked before anything is written: the outputs are all
    // written or none is.
    let never = incrocio_core::cancel::Cancel::never();
    let (g, diff) = match &a.previous {
        None => {
            let call = incrocio_engine::GraduatoriaCall {
                rules: a.rules.clone(),
                request,
            };
            (
                answer(&engine, engine.graduatoria(&call, "cli", &never)?)?,
                None,
            )
        }
        Some(prev) => {
            let text = std::fs::read_to_string(prev)
                .with_context(|| format!("reading {}", prev.display()))?;
            let previous: Graduatoria =
                incrocio_core::json::from_str_strict(&text).map_err(|e| {
                    incrocio_core::Error::data(prev, format!("not a graduatoria JSON: {e}"))
                })?;
            let call = incrocio_engine::RiesameCall {
                rules: a.rules.clone(),
                request,
                previous,
            };
            let out = answer(&engine, engine.riesame(&call, "cli", &never)?)?;
            (out.graduatoria, Some(out.riesame))
        }
    };
    let csv = a
        .csv
        .as_ref()
        .map(|_| engine.graduatoria_csv(&g))
        .transpose()?;
    let diff = diff.map(|d| serde_json::to_string_pretty(&d)).transpose()?;
    let write = |p: &Path, text: &str| {
        atomic_write(p, |w| {
            w.write_all(text.as_bytes())
                .map_err(|e| incrocio_core::Error::io(p, e))
        })
    };
    // The graduatoria's JSON (about 1 KB a row) is written as it is serialized, rows and
    // inputs in parallel (`write_pretty`: serde_json's bytes), into the temporary file
    // `atomic_write` renames (or stdout): a string of it first was grown by doubling and
    // copied, and with the one-thread serialization that was most of the command's time at
    // 100,000 applicants.
    match &a.output {
        Some(p) => atomic_write(p, |w| {
            g.write_pretty(&mut *w)
                .map_err(|e| incrocio_core::Error::io(p, e))
        })?,
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            g.write_pretty(&mut out)?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
    }
    if let (Some(p), Some(text)) = (&a.csv, &csv) {
        write(p, text)?;
    }
    if let Some(diff) = &diff {
        match &a.riesame {
            Some(p) => write(p, diff)?,
            None => writeln!(std::io::stdout().lock(), "{diff}")?,
        }
    }
    eprintln!(
        "{}@v{}: {} ranked, {} excluded, {} on the list sent{}",
        g.rules.id,
        g.rules.version,
        g.ranking.len(),
        g.excluded.len(),
        g.list.len(),
        if g.warnings.is_empty() {
            String::new()
        } else {
            format!("; {} warnings", g.warnings.len())
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &ReprofileReport, secs: f64) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "model {}@v{} ({:?}), as of {}",
        r.model.id, r.model.version, r.model.status, r.as_of
    )?;
    writeln!(
        out,
        "{} rows read, {} written, {} rejected, {} dropped from previous; {:.2} s ({:.0} people/s)",
        r.input_rows,
        r.output_rows,
        r.rejected,
        r.dropped_from_previous,
        secs,
        r.input_rows as f64 / secs.max(1e-9)
    )?;
    for (s, n) in &r.by_status {
        writeln!(out, "  {:<14} {n:>10}", format!("{s:?}"))?;
    }
    let k = r.class_labels.len();
    writeln!(
        out,
        "class transitions (rows: previous class, columns: new class)"
    )?;
    write!(out, "  {:>12}", "")?;
    for (i, l) in r.class_labels.iter().enumerate() {
        write!(out, " {:>14}", format!("{} {}", i + 1, l))?;
    }
    writeln!(out)?;
    for from in std::iter::once(None).chain((1..=k as u8).map(Some)) {
        let name = from.map_or("new".to_owned(), |c| {
            format!("{c} {}", r.class_labels[usize::from(c) - 1])
        });
        write!(out, "  {name:>12}")?;
        for to in 1..=k as u8 {
            let n = r
                .transitions
                .iter()
                .find(|t| t.from == from && t.to == to)
                .map_or(0, |t| t.count);
            write!(out, " {n:>14}")?;
        }
        writeln!(out)?;
    }
    if r.model.status != Status::Official {
        writeln!(
            out,
            "NOTE: model status is {:?}: its coefficients are not an authority's.",
            r.model.status
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of failure maps to its sysexits code, whichever layer raised it.
    #[test]
    fn exit_codes_follow_sysexits() {
        use incrocio_core::{Error, FieldReason, InputError, ModelError};
        let code = |e: anyhow::Error| exit_code(&e);
        let input = || InputError::new("Genere", FieldReason::Missing);
        assert_eq!(code(UsageError("x".into()).into()), 64);
        assert_eq!(code(Error::Input(input()).into()), 65);
        assert_eq!(code(Error::Records(vec![input(), input()]).into()), 65);
        assert_eq!(code(Error::data("f.csv", "bad").into()), 65);
        assert_eq!(code(input().into()), 65);
        assert_eq!(code(Error::NoIndex.into()), 66);
        assert_eq!(code(Error::NoVacancies.into()), 66);
        assert_eq!(code(Error::NoDecisionLog.into()), 66);
        assert_eq!(code(Error::Panic("worker".into()).into()), 70);
        assert_eq!(code(anyhow::anyhow!("something unforeseen")), 70);
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "no");
        assert_eq!(code(Error::io("f", io).into()), 74);
        assert_eq!(code(Error::Cancelled.into()), 75);
        assert_eq!(code(ModelError::new("m.toml", "version", "bad").into()), 78);
        assert_eq!(
            code(Error::Model(ModelError::new("m.toml", "id", "bad")).into()),
            78
        );
        // Context added on the way up does not hide the cause.
        let wrapped = anyhow::Error::from(Error::Cancelled).context("reprofiling people.parquet");
        assert_eq!(code(wrapped), 75);
    }
}
