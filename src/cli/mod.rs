//! Command-line edge: turns arguments into library calls and results into text. No rules here.

mod demo;
mod research;
mod serve;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use incrocio::batch::{OnError, ReprofileOptions, ReprofileReport, reprofile, write_people};
use incrocio::catalog::Catalog;
use incrocio::files::{atomic_write, graduatoria_csv, read_applicants};
use incrocio::graduatoria::{Graduatoria, GraduatoriaRequest, rank, riesame};
use incrocio::matching::{CandidateIndex, MatchingModel, VacancyRecord, evaluate, read_candidates};
use incrocio::profiling::{ProfileRecord, Profiler};
use incrocio::reference::Reference;
use incrocio::synth::{CvSpec, PeopleSpec, Synthetic, write_jsonl};
use incrocio::taxonomy::Taxonomy;

/// Matching and profiling engine for Italian public employment services.
#[derive(Debug, Parser)]
#[command(name = "incrocio", version)]
pub struct Cli {
    /// Load models from this directory (layout of `models/`) instead of the bundled ones.
    #[arg(long, global = true, env = "INCROCIO_MODELS")]
    models: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
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
    /// Evaluate models on data.
    #[command(subcommand)]
    Eval(EvalCommand),
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
    /// people, overall and by gender, citizenship and age band; JSON and HTML reports;
    /// `--against` compares two models and their class transitions.
    Profiling(research::EvalProfilingArgs),
    /// nDCG@15 and recall@15 of the shortlist scorer vs lexical-only, on vacancies with their
    /// true occupation (`synth vacancies --with-truth`), plus shortlist latency.
    Matching {
        #[command(flatten)]
        corpus: Corpus,
        /// Scoring model file (default: the bundled one).
        #[arg(long)]
        model: Option<PathBuf>,
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
    /// Scoring model file (default: the bundled models/matching/default.v1.toml).
    #[arg(long)]
    model: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ProfileArgs {
    /// Input JSON file; `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// Model `id` or `id@vN`.
    #[arg(long, default_value = "did")]
    model: String,
    /// Profiling date (default: today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OnErrorArg {
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
    #[arg(long, default_value_t = incrocio::batch::DEFAULT_CHUNK_ROWS)]
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
}

#[derive(Debug, Args)]
struct GraduatoriaArgs {
    /// Rule set `id` or `id@vN` (see `incrocio models list`).
    #[arg(long)]
    rules: String,
    /// Applicants: .csv or .json.
    #[arg(long)]
    applicants: PathBuf,
    /// Publication date of the notice.
    #[arg(long)]
    publication: NaiveDate,
    /// Application deadline (default: the publication date).
    #[arg(long)]
    deadline: Option<NaiveDate>,
    /// Posts to fill: adds the list sent to the administration (double the posts, reserves applied).
    #[arg(long)]
    posts: Option<u32>,
    /// The employer is private (L. 68 criteria reserved to public employers do not apply).
    #[arg(long)]
    private_employer: bool,
    /// A previous graduatoria (JSON output of this command): recompute and explain the moves.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// JSON output (default: stdout).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also write the CSV a CPI publishes.
    #[arg(long)]
    csv: Option<PathBuf>,
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
        /// Output (.jsonl).
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
    /// List every model with id, version, status and digest.
    List,
    /// Load and validate every model (with --models DIR, that directory's).
    Check,
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

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let reference = Reference::bundled();
    let catalog = match &cli.models {
        Some(dir) => Catalog::from_dir(dir, reference)?,
        None => Catalog::bundled(reference)?,
    };
    match cli.command {
        Command::Profile(a) => profile(&catalog, reference, a),
        Command::Reprofile(a) => reprofile_cmd(&catalog, reference, a),
        Command::Graduatoria(a) => graduatoria_cmd(&catalog, a),
        Command::Synth(SynthCommand::People { spec, output }) => {
            let spec = PeopleSpec {
                n: spec.n,
                seed: spec.seed,
                as_of: spec.as_of,
            };
            write_people(&output, &spec, reference)?;
            eprintln!("wrote {} people to {}", spec.n, output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Index(cmd) => index_cmd(reference, cmd),
        Command::Shortlist(a) => shortlist_cmd(reference, a),
        Command::Eval(EvalCommand::Matching {
            corpus,
            model,
            output,
        }) => eval_matching_cmd(
            reference,
            &corpus.index,
            &corpus.cvs,
            &corpus.vacancies,
            model.as_deref(),
            output,
        ),
        Command::Synth(SynthCommand::Cvs { spec, output }) => {
            let spec = spec.cv_spec();
            write_jsonl(
                &output,
                &spec,
                Synthetic::Cvs,
                reference,
                Taxonomy::bundled(),
            )?;
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
            write_jsonl(&output, &spec, what, reference, Taxonomy::bundled())?;
            eprintln!("wrote {} vacancies to {}", spec.n, output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::List | ModelsCommand::Check) => {
            let mut out = std::io::stdout().lock();
            for m in catalog.profiling_models() {
                writeln!(
                    out,
                    "profiling  {:<28} {:<13} classes={:<13} {}",
                    m.key(),
                    status(m.status),
                    status(m.classes.status),
                    m.digest
                )?;
            }
            for r in catalog.adr_rules() {
                writeln!(
                    out,
                    "adr        {:<28} {:<13} {:<21} {}",
                    r.key(),
                    status(r.status),
                    "",
                    r.digest
                )?;
            }
            for r in catalog.graduatoria_rules() {
                let state = if r.missing.is_empty() {
                    "rankable"
                } else {
                    "INCOMPLETE"
                };
                writeln!(
                    out,
                    "graduatoria {:<27} {:<13} {:<21} {}",
                    r.key(),
                    state,
                    r.region,
                    r.digest
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(a) => demo::demo(&catalog, reference, a),
        Command::Serve(a) => serve::serve(catalog, a),
        Command::Key(k) => serve::key(k),
        Command::Fit(research::FitCommand::Profiling(a)) => research::fit(&catalog, reference, a),
        Command::Tune(TuneCommand::Matching(a)) => research::tune_matching(reference, a),
        Command::Eval(EvalCommand::Profiling(a)) => {
            research::eval_profiling(&catalog, reference, a)
        }
        Command::Synth(SynthCommand::Outcomes(a)) => research::outcomes(&catalog, reference, a),
        Command::Synth(SynthCommand::Judgments(a)) => research::judgments(reference, a),
        Command::Openapi => {
            std::io::stdout()
                .lock()
                .write_all(incrocio::http::openapi::document_text().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn status(s: incrocio::profiling::Status) -> String {
    format!("{s:?}").to_lowercase()
}

fn profiler<'a>(
    catalog: &'a Catalog,
    reference: &'a Reference,
    model: &str,
) -> Result<Profiler<'a>> {
    Ok(Profiler {
        model: catalog.profiling(model)?,
        adr: catalog.adr(None)?,
        reference,
    })
}

fn profile(catalog: &Catalog, reference: &Reference, a: ProfileArgs) -> Result<ExitCode> {
    let text = match a.input.as_deref() {
        None => read_stdin()?,
        Some(p) if p == Path::new("-") => read_stdin()?,
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
    };
    let as_of = a.as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
    let p = profiler(catalog, reference, &a.model)?;
    let value: serde_json::Value = serde_json::from_str(&text).context("input is not JSON")?;
    let out = if value.is_array() {
        let records: Vec<ProfileRecord> =
            serde_json::from_value(value).context("not an array of profile records")?;
        let profiles = records
            .iter()
            .map(|r| p.profile(r, as_of))
            .collect::<Result<Vec<_>, _>>()?;
        serde_json::to_string_pretty(&profiles)?
    } else {
        let record: ProfileRecord =
            serde_json::from_value(value).context("not a profile record")?;
        serde_json::to_string_pretty(&p.profile(&record, as_of)?)?
    };
    writeln!(std::io::stdout().lock(), "{out}")?;
    Ok(ExitCode::SUCCESS)
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s)
}

fn index_cmd(reference: &Reference, cmd: IndexCommand) -> Result<ExitCode> {
    let t = Taxonomy::bundled();
    let started = Instant::now();
    match cmd {
        IndexCommand::Build {
            input,
            index,
            as_of,
        } => {
            let candidates = read_candidates(&input, reference, t)?;
            let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            let idx = CandidateIndex::create(&index, as_of)?;
            let n = idx.upsert_with_progress(&candidates, t, true)?;
            idx.compact()?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "indexed {n} candidates in {secs:.2} s ({:.0} CVs/s) into {}",
                n as f64 / secs,
                index.display()
            );
        }
        IndexCommand::Add { input, index } => {
            let candidates = read_candidates(&input, reference, t)?;
            let idx = CandidateIndex::open(&index)?;
            let n = idx.upsert_with_progress(&candidates, t, true)?;
            eprintln!("added or replaced {n} candidates in {}", index.display());
        }
        IndexCommand::Export { corpus, output_dir } => export_cmd(reference, &corpus, &output_dir)?,
        IndexCommand::Rebuild { index } => {
            let before = CandidateIndex::open(&index)?.vector_rows();
            let idx = CandidateIndex::rebuild(&index, t)?;
            eprintln!(
                "rebuilt {}: {} candidates, vector rows {before} → {}",
                index.display(),
                idx.len()?,
                idx.vector_rows()
            );
        }
        IndexCommand::Delete { index, ids } => {
            let idx = CandidateIndex::open(&index)?;
            idx.delete(&ids)?;
            eprintln!("deleted {} ids from {}", ids.len(), index.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn export_cmd(reference: &Reference, corpus: &Corpus, out: &Path) -> Result<()> {
    let (index, cvs, vacancies) = (&corpus.index, &corpus.cvs, &corpus.vacancies);
    use incrocio::matching::export::{candidate_row, query_row};
    let t = Taxonomy::bundled();
    let idx = CandidateIndex::open(index)?;
    let model = MatchingModel::bundled()?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let candidates = read_candidates(cvs, reference, t)?;
    let path = out.join("candidates.jsonl");
    atomic_write(&path, |w| {
        for c in &candidates {
            serde_json::to_writer(&mut *w, &candidate_row(&idx, c, t))
                .map_err(|e| incrocio::Error::data(&path, e))?;
            w.write_all(b"\n")
                .map_err(|e| incrocio::Error::io(&path, e))?;
        }
        Ok(())
    })?;
    let records: Vec<VacancyRecord> = read_jsonl(vacancies, "a vacancy record")?;
    let qpath = out.join("queries.jsonl");
    let mut lines = String::new();
    let queries = records.len();
    for mut v in records {
        let truth = v.esco.take().and_then(|u| t.occupation(&u));
        v.cp2011 = None;
        let vacancy = v.validate(reference, t)?;
        lines.push_str(&serde_json::to_string(&query_row(
            &idx, &vacancy, &model, truth, t,
        ))?);
        lines.push('\n');
    }
    atomic_write(&qpath, |w| {
        w.write_all(lines.as_bytes())
            .map_err(|e| incrocio::Error::io(&qpath, e))
    })?;
    eprintln!(
        "wrote {} candidates and {} queries to {}",
        candidates.len(),
        queries,
        out.display()
    );
    Ok(())
}

/// Reads JSON lines (blank lines skipped); a bad line is an error naming it.
fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not {what}", path.display(), n + 1))
        })
        .collect()
}

fn matching_model(path: Option<&Path>) -> Result<MatchingModel> {
    Ok(match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            MatchingModel::parse(&path.display().to_string(), &text)?
        }
        None => MatchingModel::bundled()?,
    })
}

fn eval_matching_cmd(
    reference: &Reference,
    index: &Path,
    cvs: &Path,
    vacancies: &Path,
    model: Option<&Path>,
    output: Option<PathBuf>,
) -> Result<ExitCode> {
    let t = Taxonomy::bundled();
    let model = matching_model(model)?;
    let occupations = read_candidates(cvs, reference, t)?
        .into_iter()
        .map(|c| {
            (
                c.record.id.clone(),
                c.occupazioni.iter().flatten().copied().collect(),
            )
        })
        .collect();
    let records: Vec<VacancyRecord> = read_jsonl(vacancies, "a vacancy record")?;
    let idx = CandidateIndex::open(index)?;
    let report = evaluate(&idx, &records, &occupations, &model, reference, t)?;
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
                .map_err(|e| incrocio::Error::io(&path, e))
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

fn shortlist_cmd(reference: &Reference, a: ShortlistArgs) -> Result<ExitCode> {
    let t = Taxonomy::bundled();
    let model = matching_model(a.model.as_deref())?;
    let text = std::fs::read_to_string(&a.vacancy)
        .with_context(|| format!("reading {}", a.vacancy.display()))?;
    let record: VacancyRecord = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a vacancy record", a.vacancy.display()))?;
    let vacancy = record.validate(reference, t)?;
    let idx = CandidateIndex::open(&a.index)?;
    let out = idx.shortlist(&vacancy, &model, a.size, t)?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn reprofile_cmd(catalog: &Catalog, reference: &Reference, a: ReprofileArgs) -> Result<ExitCode> {
    let on_error = match a.on_error {
        OnErrorArg::Fail => OnError::Fail,
        OnErrorArg::Skip if a.rejects.is_none() => bail!("--on-error skip needs --rejects FILE"),
        OnErrorArg::Skip => OnError::Skip,
    };
    let p = profiler(catalog, reference, &a.model)?;
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
    };
    let started = Instant::now();
    let report = reprofile(&p, &opts)?;
    let elapsed = started.elapsed();
    let report_path = a
        .report
        .unwrap_or_else(|| a.output.with_extension("report.json"));
    atomic_write(&report_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &report)
            .map_err(|e| incrocio::Error::data(&report_path, e))
    })?;
    print_report(&report, elapsed.as_secs_f64())?;
    eprintln!("wrote {} and {}", a.output.display(), report_path.display());
    Ok(ExitCode::SUCCESS)
}

fn graduatoria_cmd(catalog: &Catalog, a: GraduatoriaArgs) -> Result<ExitCode> {
    let rules = catalog.graduatoria(&a.rules)?;
    let request = GraduatoriaRequest {
        publication_date: a.publication,
        deadline: a.deadline,
        posts: a.posts,
        public_employer: !a.private_employer,
        applicants: read_applicants(&a.applicants)?,
    };
    let g = rank(rules, &request)?;
    let json = serde_json::to_string_pretty(&g)?;
    match &a.output {
        Some(p) => atomic_write(p, |w| {
            w.write_all(json.as_bytes())
                .map_err(|e| incrocio::Error::io(p, e))
        })?,
        None => writeln!(std::io::stdout().lock(), "{json}")?,
    }
    if let Some(p) = &a.csv {
        let text = graduatoria_csv(&g)?;
        atomic_write(p, |w| {
            w.write_all(text.as_bytes())
                .map_err(|e| incrocio::Error::io(p, e))
        })?;
    }
    eprintln!(
        "{}: {} ranked, {} excluded, {} on the list sent{}",
        rules.key(),
        g.ranking.len(),
        g.excluded.len(),
        g.list.len(),
        if g.warnings.is_empty() {
            String::new()
        } else {
            format!("; {} warnings", g.warnings.len())
        }
    );
    if let Some(prev) = &a.previous {
        let text =
            std::fs::read_to_string(prev).with_context(|| format!("reading {}", prev.display()))?;
        let previous: Graduatoria =
            serde_json::from_str(&text).context("--previous is not a graduatoria JSON")?;
        let diff = serde_json::to_string_pretty(&riesame(&previous, &g))?;
        match &a.riesame {
            Some(p) => atomic_write(p, |w| {
                w.write_all(diff.as_bytes())
                    .map_err(|e| incrocio::Error::io(p, e))
            })?,
            None => writeln!(std::io::stdout().lock(), "{diff}")?,
        }
    }
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
    if r.model.status != incrocio::profiling::Status::Official {
        writeln!(
            out,
            "NOTE: model status is {:?}: its coefficients are not an authority's.",
            r.model.status
        )?;
    }
    Ok(())
}
