//! `incrocio fit`, `synth outcomes`, `synth judgments`, `eval profiling`, `tune matching`:
//! the researchers' commands. Arguments in, printed reports out; the jobs are the engine's
//! (`incrocio_engine::research`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use incrocio_engine::Engine;
use incrocio_engine::api::{Estimate, OUTCOME, TuneOptions};
use incrocio_engine::catalog::Catalog;
use incrocio_engine::research::{
    EvalProfilingJob, FitJob, JudgmentsJob, LabeledData, ModelSource, OutcomesJob, TuneJob,
};

/// A profiling model: `--model ID` from the catalog or `--model-file FILE` (e.g. one `fit`
/// wrote). One flag, one meaning: `--model` is always an id, `--model-file` always a path.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ModelChoice {
    /// Model `id` or `id@vN` from the catalog (`incrocio models list`).
    #[arg(long)]
    model: Option<String>,
    /// A profiling model file (.toml), e.g. one `fit profiling` wrote.
    #[arg(long)]
    model_file: Option<PathBuf>,
}

impl ModelChoice {
    /// The model chosen (clap makes exactly one of the two present).
    fn source(&self) -> ModelSource {
        source_of(self.model.as_deref(), self.model_file.as_deref())
    }
}

/// The model an id/file pair names (the id `did` when neither is given).
fn source_of(id: Option<&str>, file: Option<&Path>) -> ModelSource {
    match (file, id) {
        (Some(path), _) => ModelSource::File(path.to_path_buf()),
        (None, id) => ModelSource::Id(id.unwrap_or("did").to_owned()),
    }
}

/// What to fit.
#[derive(Debug, Subcommand)]
pub enum FitCommand {
    /// Maximum-likelihood logit/probit of a profiling model on labeled people.
    Profiling(FitArgs),
}

/// `fit profiling`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// The spec: a profiling model file (features, bands, link, classes); its coefficients are
    /// ignored.
    #[arg(long)]
    spec: PathBuf,
    #[command(flatten)]
    labeled: Labeled,
    /// L2 penalty λ on every coefficient but the intercept.
    #[arg(long, default_value_t = 0.0)]
    l2: f64,
    /// Most IRLS iterations.
    #[arg(long, default_value_t = 100)]
    max_iter: usize,
    /// Id of the new model (default: the spec's).
    #[arg(long)]
    id: Option<String>,
    /// Version of the new model (default: one above every version of the id in the catalog).
    #[arg(long)]
    version: Option<u32>,
    /// The new model file (must not exist: released files are never overwritten).
    #[arg(long)]
    output: PathBuf,
    /// Also write the fit report (coefficient table, convergence, fit statistics) as JSON.
    #[arg(long)]
    report: Option<PathBuf>,
    #[command(flatten)]
    tables: ResearchTables,
}

/// The tables a fit can be re-run from elsewhere (statsmodels, R).
#[derive(Debug, Args)]
pub struct ResearchTables {
    /// Write the design matrix (.parquet): `Id`, the outcome, one column per model term named
    /// as in the model file.
    #[arg(long)]
    design: Option<PathBuf>,
    /// Write each person's prediction (.parquet): `Id`, the outcome, `linear_predictor`,
    /// `index` (rounded to the class decimals) and `class`.
    #[arg(long)]
    predictions: Option<PathBuf>,
}

impl ResearchTables {
    fn job(&self) -> incrocio_engine::research::ResearchTables {
        incrocio_engine::research::ResearchTables {
            design: self.design.clone(),
            predictions: self.predictions.clone(),
        }
    }

    fn say_written(&self) {
        for p in self.design.iter().chain(&self.predictions) {
            eprintln!("wrote {}", p.display());
        }
    }
}

/// Labeled people observed at one date.
#[derive(Debug, Args)]
pub struct Labeled {
    /// Labeled people (.parquet or .csv): the people columns plus the outcome column.
    #[arg(long)]
    data: PathBuf,
    /// The profiling date the data were observed at.
    #[arg(long)]
    as_of: NaiveDate,
    /// The outcome column (1 = still unemployed at the horizon).
    #[arg(long, default_value = OUTCOME)]
    outcome: String,
}

impl Labeled {
    fn job(&self) -> LabeledData {
        LabeledData {
            data: self.data.clone(),
            as_of: self.as_of,
            outcome: self.outcome.clone(),
        }
    }
}

/// `synth outcomes`.
#[derive(Debug, Args)]
pub struct OutcomesArgs {
    /// The model outcomes are drawn from.
    #[command(flatten)]
    model: ModelChoice,
    /// People (.parquet or .csv, e.g. from `synth people`).
    #[arg(long)]
    people: PathBuf,
    /// The profiling date.
    #[arg(long)]
    as_of: NaiveDate,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output: the people plus the `Esito` column (.parquet).
    #[arg(long)]
    output: PathBuf,
}

/// `synth judgments`.
#[derive(Debug, Args)]
pub struct JudgmentsArgs {
    #[command(flatten)]
    corpus: super::Corpus,
    /// Write simulated selection outcomes of each vacancy's rosa instead of grades.
    #[arg(long)]
    esiti: bool,
    /// Seed (esiti).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output (.jsonl).
    #[arg(long)]
    output: PathBuf,
}

/// `eval profiling`.
#[derive(Debug, Args)]
pub struct EvalProfilingArgs {
    /// The model evaluated.
    #[command(flatten)]
    model: ModelChoice,
    /// A second model (`id` or `id@vN`) to compare with on the same people.
    #[arg(long, conflicts_with = "against_file")]
    against: Option<String>,
    /// A second model file (.toml) to compare with on the same people.
    #[arg(long)]
    against_file: Option<PathBuf>,
    #[command(flatten)]
    labeled: Labeled,
    /// Classes from this one up count as high risk (default: the upper half).
    #[arg(long)]
    high_risk_from: Option<u8>,
    /// JSON report.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Self-contained HTML report with SVG plots.
    #[arg(long)]
    html: Option<PathBuf>,
    /// A model card (.md, or .json for the same content as data), generated from the model
    /// file, the data and this evaluation.
    #[arg(long)]
    card: Option<PathBuf>,
    /// Bootstrap replicates for the intervals of AUC, Brier, log-loss and calibration (0: none).
    #[arg(long, default_value_t = 1_000)]
    bootstrap: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A further grouping: a column of the data file (repeatable).
    #[arg(long = "group-by", value_name = "COLUMN")]
    group_by: Vec<String>,
    /// The reference group of a grouping, `DIMENSION=GROUP` (repeatable; default: the largest
    /// group).
    #[arg(long, value_name = "DIMENSION=GROUP")]
    reference: Vec<String>,
    #[command(flatten)]
    tables: ResearchTables,
    /// Decision log directory: count operators' overrides of the models' classes for these
    /// people, by operator, reason, direction and group.
    #[arg(long)]
    decisions: Option<PathBuf>,
}

/// `tune matching`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Index directory.
    #[arg(long)]
    index: PathBuf,
    /// The judged vacancies (.jsonl; an `esco` field, if present, is ignored for ranking).
    #[arg(long)]
    vacancies: PathBuf,
    /// Judgments (.jsonl: `vacancy_id`, `candidate_id`, and `grade` 0–3 or `esito`).
    #[arg(long, required_unless_present = "decisions")]
    judgments: Option<PathBuf>,
    /// Decision log directory: learn from the esiti recorded against the rosas actually sent
    /// (hired, rejected; not presented and declined say nothing about fit).
    #[arg(long)]
    decisions: Option<PathBuf>,
    /// The model file tuned from (default: the bundled `default` matching model, highest
    /// version).
    #[arg(long)]
    model_file: Option<PathBuf>,
    /// Version of the new model (default: the base's + 1).
    #[arg(long)]
    version: Option<u32>,
    /// The new model file (must not exist).
    #[arg(long)]
    output: PathBuf,
    /// Random simplex points tried.
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of vacancies held out (one split; ignored with --folds).
    #[arg(long, default_value_t = 0.3)]
    test_share: f64,
    /// k-fold cross-validation: every vacancy is scored once by parameters tuned without its
    /// fold; the released parameters are tuned on all of them.
    #[arg(long, default_value_t = 0)]
    folds: usize,
    /// Grade of a `rejected` esito.
    #[arg(long, default_value_t = 0)]
    rejected_grade: u8,
}

fn refuse_existing(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(super::UsageError(format!(
            "{} exists: a released model file is never overwritten (choose a new version)",
            path.display()
        ))
        .into());
    }
    Ok(())
}

pub(super) fn fit(catalog: Catalog, a: FitArgs) -> Result<ExitCode> {
    refuse_existing(&a.output)?;
    let engine = Engine::from_catalog(catalog, None)?;
    let report = engine.fit_profiling(&FitJob {
        spec: a.spec.clone(),
        labeled: a.labeled.job(),
        l2: a.l2,
        max_iter: a.max_iter,
        id: a.id.clone(),
        version: a.version,
        output: a.output.clone(),
        report: a.report.clone(),
        tables: a.tables.job(),
    })?;
    a.tables.say_written();
    let f = &report.fit;
    println!(
        "{}: {} ({} iterations, last change {:.2e}){}",
        report.model,
        if f.convergence.converged {
            "converged"
        } else {
            "NOT converged"
        },
        f.convergence.iterations,
        f.convergence.last_change,
        if report.l2 > 0.0 {
            format!(
                "; L2 λ = {} (SE, z, p and intervals are ridge approximations)",
                report.l2
            )
        } else {
            String::new()
        }
    );
    println!(
        "n {}  events {}  log-likelihood {:.4}  null {:.4}  pseudo-R² (McFadden) {:.4}  AIC {:.2}  BIC {:.2}  AUC {:.4} (rounded index)",
        f.n,
        f.events,
        f.log_likelihood,
        f.null_log_likelihood,
        report.pseudo_r2,
        report.aic,
        report.bic,
        report.auc.unwrap_or(f64::NAN)
    );
    let w = report
        .table
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<w$} {:>11} {:>10} {:>8} {:>8} {:>11} {:>11}",
        "term", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]"
    );
    for c in &report.table {
        println!(
            "{:<w$} {:>11.6} {:>10.6} {:>8.3} {:>8.3} {:>11.6} {:>11.6}",
            c.name, c.coef, c.std_error, c.z, c.p_value, c.ci_low, c.ci_high
        );
    }
    eprintln!("wrote {}", a.output.display());
    Ok(if f.convergence.converged {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub(super) fn outcomes(catalog: Catalog, a: OutcomesArgs) -> Result<ExitCode> {
    let engine = Engine::from_catalog(catalog, None)?;
    let d = engine.synth_outcomes(&OutcomesJob {
        model: a.model.source(),
        people: a.people.clone(),
        as_of: a.as_of,
        seed: a.seed,
        output: a.output.clone(),
    })?;
    eprintln!(
        "wrote {} people with outcomes drawn from {} ({} still unemployed, seed {}) to {}",
        d.people,
        d.model,
        d.events,
        a.seed,
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn eval_profiling(catalog: Catalog, a: EvalProfilingArgs) -> Result<ExitCode> {
    let references = a
        .reference
        .iter()
        .map(|r| {
            r.split_once('=')
                .map(|(d, g)| (d.trim().to_owned(), g.trim().to_owned()))
                .ok_or_else(|| {
                    super::UsageError(format!(
                        "--reference {r}: expected DIMENSION=GROUP, e.g. cittadinanza=italiana"
                    ))
                })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let against = (a.against.is_some() || a.against_file.is_some())
        .then(|| source_of(a.against.as_deref(), a.against_file.as_deref()));
    let engine = Engine::from_catalog(catalog, None)?;
    let text = engine.eval_profiling(&EvalProfilingJob {
        model: a.model.source(),
        against,
        labeled: a.labeled.job(),
        high_risk_from: a.high_risk_from,
        output: a.output.clone(),
        html: a.html.clone(),
        card: a.card.clone(),
        bootstrap: a.bootstrap,
        seed: a.seed,
        group_by: a.group_by.clone(),
        references,
        tables: a.tables.job(),
        decisions: a.decisions.clone(),
    })?;
    a.tables.say_written();
    for p in a.html.iter().chain(&a.card) {
        eprintln!("wrote {}", p.display());
    }
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

pub(super) fn judgments(catalog: Catalog, a: JudgmentsArgs) -> Result<ExitCode> {
    let engine = Engine::from_catalog(catalog, None)?.open_index(&a.corpus.index)?;
    let n = engine.synth_judgments(
        &JudgmentsJob {
            cvs: a.corpus.cvs.clone(),
            vacancies: a.corpus.vacancies.clone(),
            esiti: a.esiti,
            seed: a.seed,
            output: a.output.clone(),
        },
        chrono::Local::now().date_naive(),
    )?;
    eprintln!(
        "wrote {n} {} to {}",
        if a.esiti { "esiti" } else { "judgments" },
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn tune_matching(catalog: Catalog, a: TuneArgs) -> Result<ExitCode> {
    refuse_existing(&a.output)?;
    if a.folds == 1 {
        return Err(super::UsageError(
            "--folds 1 holds nothing out: give 2 or more (or 0 for one split by --test-share)"
                .into(),
        )
        .into());
    }
    let engine = super::engine_for(catalog, a.model_file.as_deref())?.open_index(&a.index)?;
    let done = engine.tune_matching(&TuneJob {
        vacancies: a.vacancies.clone(),
        judgments: a.judgments.clone(),
        decisions: a.decisions.clone(),
        version: a.version,
        output: a.output.clone(),
        options: TuneOptions {
            samples: a.samples,
            seed: a.seed,
            test_share: a.test_share,
            folds: a.folds,
            rejected_grade: a.rejected_grade,
        },
    })?;
    if let (Some(n), Some(dir)) = (done.esiti_from_log, &a.decisions) {
        eprintln!("{n} esiti from the decision log {}", dir.display());
    }
    let r = done.report;
    let e = |x: &Estimate| match x.ci {
        Some(c) => format!("{:.4} [{:.4}, {:.4}]", x.value, c.low, c.high),
        None => format!("{:.4}", x.value),
    };
    if r.folds >= 2 {
        println!(
            "{} → {}: {}-fold cross-validation over {} judged vacancies; the released parameters are tuned on all",
            r.base, r.model, r.folds, r.train_vacancies
        );
    } else {
        println!(
            "{} → {}: {} training / {} held-out vacancies",
            r.base, r.model, r.train_vacancies, r.test_vacancies
        );
    }
    println!("                 nDCG@15 train  nDCG@15 held-out [95%, bootstrap over vacancies]");
    println!(
        "base             {:>13.4}  {}",
        r.base_train_ndcg,
        e(&r.base_held_out_ndcg)
    );
    println!(
        "tuned            {:>13.4}  {}",
        r.tuned_train_ndcg,
        e(&r.held_out_ndcg)
    );
    println!("gain (paired)                   {}", e(&r.held_out_gain));
    if r.fold_ranges.is_empty() {
        println!("parameter                      base     tuned");
        for (name, before, after) in &r.parameters {
            println!("{name:<28} {before:>7.4}  {after:>7.4}");
        }
    } else {
        println!("parameter                      base     tuned   range over the folds");
        for ((name, before, after), (_, lo, hi)) in r.parameters.iter().zip(&r.fold_ranges) {
            println!("{name:<28} {before:>7.4}  {after:>7.4}   {lo:.4} – {hi:.4}");
        }
    }
    for w in &r.warnings {
        println!("WARNING: {w}");
    }
    eprintln!("wrote {}", a.output.display());
    Ok(ExitCode::SUCCESS)
}
