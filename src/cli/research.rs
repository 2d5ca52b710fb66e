//! `incrocio fit`, `synth outcomes`, `synth judgments`, `eval profiling`, `tune matching`:
//! the researchers' commands. Arguments in, files out; the computations are in `research`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use incrocio_batch::{PeopleTable, TableColumn, write_table, write_with_outcome};
use incrocio_core::files::atomic_write;
use incrocio_core::reference::Reference;
use incrocio_engine::catalog::Catalog;
use incrocio_matching::eval::relevance;
use incrocio_matching::{CandidateIndex, VacancyRecord};
use incrocio_research::card::ModelCard;
use incrocio_research::glm::FitOptions;
use incrocio_research::profiling::{
    DataInfo, Dimension, EvalOptions, FitRequest, OUTCOME, Predictions, compare, design_matrix,
    evaluate, fit_profiling, observe, override_summary, synth_outcomes,
};
use incrocio_research::report::html;
use incrocio_research::text::terminal_report;
use incrocio_research::tune::{Esito, Judgment, TuneOptions, grades, tune};
use incrocio_taxonomy::Taxonomy;
use rand::{Rng, SeedableRng};

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
    /// The model chosen.
    fn resolve<'a>(
        &self,
        catalog: &'a Catalog,
        reference: &Reference,
        holder: &'a mut Option<incrocio_profiling::ProfilingModel>,
    ) -> Result<&'a incrocio_profiling::ProfilingModel> {
        model_of(
            catalog,
            reference,
            self.model.as_deref(),
            self.model_file.as_deref(),
            holder,
        )
    }
}

/// The model an `--id`/`--file` pair names.
fn model_of<'a>(
    catalog: &'a Catalog,
    reference: &Reference,
    id: Option<&str>,
    file: Option<&Path>,
    holder: &'a mut Option<incrocio_profiling::ProfilingModel>,
) -> Result<&'a incrocio_profiling::ProfilingModel> {
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let m = incrocio_profiling::ProfilingModel::from_toml(
            &path.display().to_string(),
            &text,
            reference,
        )?;
        return Ok(holder.insert(m));
    }
    Ok(catalog.profiling(id.unwrap_or("did"))?)
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
    fn write(
        &self,
        table: &PeopleTable,
        outcome: &str,
        y: &[bool],
        design: Option<(&[String], &ndarray::Array2<f64>)>,
        predictions: &Predictions,
    ) -> Result<()> {
        let ids = || -> Vec<String> { (0..table.len()).map(|i| table.id(i).to_owned()).collect() };
        let outcome_col = || {
            (
                outcome.to_owned(),
                TableColumn::Int(y.iter().map(|&v| i32::from(v)).collect()),
            )
        };
        if let (Some(path), Some((names, x))) = (&self.design, design) {
            let mut cols = vec![("Id".to_owned(), TableColumn::Text(ids())), outcome_col()];
            for (j, name) in names.iter().enumerate() {
                cols.push((name.clone(), TableColumn::Float(x.column(j).to_vec())));
            }
            write_table(path, cols)?;
            eprintln!("wrote {}", path.display());
        }
        if let Some(path) = &self.predictions {
            write_table(
                path,
                vec![
                    ("Id".to_owned(), TableColumn::Text(ids())),
                    outcome_col(),
                    (
                        "linear_predictor".to_owned(),
                        TableColumn::Float(predictions.linear_predictor.clone()),
                    ),
                    (
                        "index".to_owned(),
                        TableColumn::Float(predictions.index.clone()),
                    ),
                    (
                        "class".to_owned(),
                        TableColumn::Int(predictions.class.iter().map(|&c| i32::from(c)).collect()),
                    ),
                ],
            )?;
            eprintln!("wrote {}", path.display());
        }
        Ok(())
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
    /// The model file tuned from (default: the bundled models/matching/default.v1.toml).
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

fn write_text(path: &Path, text: &str) -> Result<()> {
    atomic_write(path, |w| {
        w.write_all(text.as_bytes())
            .map_err(|e| incrocio_core::Error::io(path, e))
    })?;
    Ok(())
}

fn file_digest(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(incrocio_core::digest::sha256_tagged(&bytes))
}

pub(super) fn fit(catalog: &Catalog, reference: &Reference, a: FitArgs) -> Result<ExitCode> {
    refuse_existing(&a.output)?;
    let spec_text = std::fs::read_to_string(&a.spec)
        .with_context(|| format!("reading {}", a.spec.display()))?;
    let spec_file = a.spec.display().to_string();
    let spec = incrocio_profiling::ProfilingModel::from_toml(&spec_file, &spec_text, reference)?;
    let id = a.id.clone().unwrap_or_else(|| spec.id.clone());
    let version = a.version.unwrap_or_else(|| {
        catalog
            .profiling_models()
            .iter()
            .filter(|m| m.id == id)
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
            + 1
    });
    let (table, y) = PeopleTable::read_labeled(&a.labeled.data, &a.labeled.outcome)?;
    let req = FitRequest {
        spec_text: &spec_text,
        spec_file: &spec_file,
        id: Some(id),
        version,
        data_digest: file_digest(&a.labeled.data)?,
        as_of: a.labeled.as_of,
        options: FitOptions {
            l2: a.l2,
            max_iter: a.max_iter,
            ..FitOptions::default()
        },
    };
    let (text, report, data) = fit_profiling(&req, &table, &y, reference)?;
    write_text(&a.output, &text)?;
    if let Some(p) = &a.report {
        write_text(p, &serde_json::to_string_pretty(&report)?)?;
    }
    a.tables.write(
        &table,
        &a.labeled.outcome,
        &y,
        Some((&data.columns, &data.x)),
        &data.predictions,
    )?;
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

pub(super) fn outcomes(
    catalog: &Catalog,
    reference: &Reference,
    a: OutcomesArgs,
) -> Result<ExitCode> {
    let mut held = None;
    let p = incrocio_profiling::Profiler {
        model: a.model.resolve(catalog, reference, &mut held)?,
        adr: catalog.adr(None)?,
        reference,
    };
    let table = PeopleTable::read(&a.people)?;
    let y = synth_outcomes(&p, &table, a.as_of, a.seed)?;
    write_with_outcome(&a.people, &a.output, OUTCOME, &y)?;
    let events = y.iter().filter(|v| **v).count();
    eprintln!(
        "wrote {} people with outcomes drawn from {} ({events} still unemployed, seed {}) to {}",
        y.len(),
        p.model.key(),
        a.seed,
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn eval_profiling(
    catalog: &Catalog,
    reference: &Reference,
    a: EvalProfilingArgs,
) -> Result<ExitCode> {
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
    let (table, y, extra) =
        PeopleTable::read_labeled_with(&a.labeled.data, &a.labeled.outcome, &a.group_by)?;
    let adr = catalog.adr(None)?;
    let (mut ha, mut hb) = (None, None);
    let pa = incrocio_profiling::Profiler {
        model: a.model.resolve(catalog, reference, &mut ha)?,
        adr,
        reference,
    };
    let high = a
        .high_risk_from
        .unwrap_or(pa.model.classes.labels.len() as u8 / 2 + 1);
    let oa = observe(&pa, &table, &y, a.labeled.as_of)?;
    let mut dims = Dimension::standard(&oa);
    for (name, values) in a.group_by.iter().zip(&extra) {
        dims.push(Dimension::from_values(name, values));
    }
    let data = DataInfo {
        file: a.labeled.data.display().to_string(),
        digest: file_digest(&a.labeled.data)?,
        n: y.len(),
        as_of: a.labeled.as_of,
    };
    let opts = EvalOptions {
        high_risk_from: high,
        bootstrap: a.bootstrap,
        seed: a.seed,
        references,
    };
    let predictions = Predictions {
        linear_predictor: oa.iter().map(|o| o.linear_predictor).collect(),
        index: oa.iter().map(|o| o.p).collect(),
        class: oa.iter().map(|o| o.class).collect(),
    };
    let design = if a.tables.design.is_some() {
        Some(design_matrix(pa.model, &table, a.labeled.as_of, reference)?)
    } else {
        None
    };
    a.tables.write(
        &table,
        &a.labeled.outcome,
        &y,
        design.as_ref().map(|(n, x)| (n.as_slice(), x)),
        &predictions,
    )?;
    let overrides: Option<Vec<incrocio_decisions::overrides::Override>> = match &a.decisions {
        Some(dir) => Some(
            incrocio_decisions::records(dir)?
                .iter()
                .filter_map(incrocio_decisions::overrides::Override::from_record)
                .collect(),
        ),
        None => None,
    };
    let ids: Vec<String> = if overrides.is_some() {
        (0..table.len()).map(|i| table.id(i).to_owned()).collect()
    } else {
        Vec::new()
    };
    let count = |model: &str| {
        overrides
            .as_ref()
            .map(|o| override_summary(o, model, &ids, &dims))
    };
    let against = (a.against.is_some() || a.against_file.is_some())
        .then_some((a.against.as_deref(), a.against_file.as_deref()));
    let (json, page, evals, comparison) = match against {
        None => {
            let mut ea = evaluate(&pa, &oa, &dims, &data, &opts)?;
            ea.overrides = count(&ea.model);
            (
                serde_json::to_string_pretty(&ea)?,
                html(&[&ea], None),
                vec![ea],
                None,
            )
        }
        Some((id, file)) => {
            let pb = incrocio_profiling::Profiler {
                model: model_of(catalog, reference, id, file, &mut hb)?,
                adr,
                reference,
            };
            let ob = observe(&pb, &table, &y, a.labeled.as_of)?;
            let mut c = compare((&pa, &oa), (&pb, &ob), &dims, &data, &opts)?;
            c.a.overrides = count(&c.a.model);
            c.b.overrides = count(&c.b.model);
            let page = html(&[&c.a, &c.b], Some(&c));
            let json = serde_json::to_string_pretty(&c)?;
            (json, page, vec![c.a.clone(), c.b.clone()], Some(c))
        }
    };
    if let Some(p) = &a.output {
        write_text(p, &json)?;
    }
    if let Some(p) = &a.html {
        write_text(p, &page)?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &a.card {
        let lineage: Vec<&incrocio_profiling::ProfilingModel> = catalog
            .profiling_models()
            .iter()
            .filter(|m| m.id == pa.model.id)
            .collect();
        let card = ModelCard::new(pa.model, &lineage, &evals[0]);
        let text = if p.extension().is_some_and(|e| e == "json") {
            serde_json::to_string_pretty(&card)?
        } else {
            card.markdown()
        };
        write_text(p, &text)?;
        eprintln!("wrote {}", p.display());
    }
    print!("{}", terminal_report(&evals, comparison.as_ref()));
    Ok(ExitCode::SUCCESS)
}

pub(super) fn judgments(
    catalog: Catalog,
    reference: &Reference,
    a: JudgmentsArgs,
) -> Result<ExitCode> {
    let t = Taxonomy::bundled();
    let engine = incrocio_engine::Engine::from_catalog(
        catalog,
        Some(CandidateIndex::open(&a.corpus.index)?),
    )?;
    engine.check()?;
    let idx = engine.index().context("the candidate index")?;
    let model = engine.matching_model().clone();
    let occupations: std::collections::HashMap<String, Vec<u32>> = engine
        .read_candidates(&a.corpus.cvs, chrono::Local::now().date_naive())?
        .into_iter()
        .map(|c| {
            (
                c.record.id.clone(),
                c.occupazioni.iter().flatten().copied().collect(),
            )
        })
        .collect();
    let vacancies: Vec<VacancyRecord> = super::read_jsonl(&a.corpus.vacancies, "a vacancy record")?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    let mut out = String::new();
    let mut n = 0usize;
    for v in &vacancies {
        let Some(truth) = v.esco.as_deref().and_then(|u| t.occupation(u)) else {
            continue;
        };
        let mut blind = v.clone();
        blind.esco = None;
        blind.cp2011 = None;
        let vacancy = blind.validate(reference, t, &model.titles)?;
        let grade = |id: &str| occupations.get(id).map_or(0, |o| relevance(t, truth, o));
        let mut lines: Vec<Judgment> = Vec::new();
        if a.esiti {
            // Simulated employers: a relevant candidate of the rosa is hired with probability
            // ½ (else rejected), an adjacent one is rejected (⅘) or not presented, others are
            // rejected (½) or not presented.
            for e in idx.shortlist(&vacancy, &model, None, t)?.rosa {
                let u: f64 = rng.r#gen();
                let esito = match grade(&e.candidate_id) {
                    2 if u < 0.5 => Esito::Hired,
                    2 => Esito::Rejected,
                    1 if u < 0.8 => Esito::Rejected,
                    0 if u < 0.5 => Esito::Rejected,
                    _ => Esito::NotPresented,
                };
                lines.push(Judgment {
                    vacancy_id: v.id.clone(),
                    candidate_id: e.candidate_id,
                    grade: None,
                    esito: Some(esito),
                });
            }
        } else {
            for e in idx.ranking(&vacancy, &model, t)?.ranked {
                let g = grade(&e.candidate_id);
                if g > 0 {
                    lines.push(Judgment {
                        vacancy_id: v.id.clone(),
                        candidate_id: e.candidate_id,
                        grade: Some(g),
                        esito: None,
                    });
                }
            }
        }
        for j in lines {
            out.push_str(&serde_json::to_string(&j)?);
            out.push('\n');
            n += 1;
        }
    }
    write_text(&a.output, &out)?;
    eprintln!(
        "wrote {n} {} to {}",
        if a.esiti { "esiti" } else { "judgments" },
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn tune_matching(
    catalog: Catalog,
    reference: &Reference,
    a: TuneArgs,
) -> Result<ExitCode> {
    refuse_existing(&a.output)?;
    let t = Taxonomy::bundled();
    let base = super::matching_model(&catalog, a.model_file.as_deref())?;
    let version = a.version.unwrap_or(base.version + 1);
    if version <= base.version {
        return Err(super::UsageError(format!(
            "--version {version} is not above the base model's {}",
            base.version
        ))
        .into());
    }
    let mut vacancies: Vec<VacancyRecord> = super::read_jsonl(&a.vacancies, "a vacancy record")?;
    for v in &mut vacancies {
        v.esco = None;
        v.cp2011 = None;
    }
    let mut judgments: Vec<Judgment> = match &a.judgments {
        Some(p) => super::read_jsonl(p, "a judgment")?,
        None => Vec::new(),
    };
    if let Some(dir) = &a.decisions {
        use incrocio_decisions::esiti::{Esito as Recorded, Outcome};
        let before = judgments.len();
        for e in incrocio_decisions::records(dir)?
            .iter()
            .filter_map(Recorded::from_record)
        {
            judgments.push(Judgment {
                vacancy_id: e.vacancy_id,
                candidate_id: e.candidate_id,
                grade: None,
                esito: Some(match e.esito {
                    Outcome::Hired => Esito::Hired,
                    Outcome::Rejected => Esito::Rejected,
                    Outcome::NotPresented | Outcome::Declined => Esito::NotPresented,
                }),
            });
        }
        eprintln!(
            "{} esiti from the decision log {}",
            judgments.len() - before,
            dir.display()
        );
    }
    let g = grades(&judgments, a.rejected_grade)?;
    let engine = incrocio_engine::Engine::new(catalog, base, Some(CandidateIndex::open(&a.index)?));
    engine.check()?;
    let idx = engine.index().context("the candidate index")?;
    let base = engine.matching_model();
    let opts = TuneOptions {
        samples: a.samples,
        seed: a.seed,
        test_share: a.test_share,
        folds: a.folds,
        rejected_grade: a.rejected_grade,
    };
    if a.folds == 1 {
        return Err(super::UsageError(
            "--folds 1 holds nothing out: give 2 or more (or 0 for one split by --test-share)"
                .into(),
        )
        .into());
    }
    let (text, r) = tune(idx, &vacancies, &g, base, version, &opts, reference, t)?;
    write_text(&a.output, &text)?;
    let e = |x: &incrocio_research::stats::Estimate| match x.ci {
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
