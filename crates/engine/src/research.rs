//! The researchers' jobs (fit, evaluate, tune, synthesise): files in, files and reports out,
//! over the engine's catalog. The computations are in `incrocio-research` and
//! `incrocio-synth`; these methods choose the models, read and write the files and join the
//! decision log in, so that the binary only parses arguments and prints.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};

use crate::Engine;
use incrocio_batch::{PeopleTable, TableColumn, write_table, write_with_outcome};
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::files::atomic_write;
use incrocio_matching::VacancyRecord;
use incrocio_matching::eval::relevance;
use incrocio_profiling::{Profiler, ProfilingModel};
use incrocio_research::card::ModelCard;
use incrocio_research::glm::FitOptions;
use incrocio_research::profiling::{
    DataInfo, Dimension, EvalOptions, FitReport, FitRequest, Predictions, compare, design_matrix,
    evaluate, fit_profiling, observe, override_summary, synth_outcomes,
};
use incrocio_research::tune::{Esito, Judgment, TuneOptions, TuneReport, grades, tune};

use crate::jobs::read_jsonl;

/// A profiling model named by catalog id (`id` or `id@vN`) or given as a file.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// From the catalog.
    Id(String),
    /// A model file (.toml), e.g. one `fit profiling` wrote.
    File(PathBuf),
}

/// Research tables to write beside a fit or an evaluation, for re-running it elsewhere
/// (statsmodels, R).
#[derive(Debug, Clone, Default)]
pub struct ResearchTables {
    /// The design matrix (.parquet): `Id`, the outcome, one column per model term.
    pub design: Option<PathBuf>,
    /// Each person's prediction (.parquet): `Id`, the outcome, `linear_predictor`, `index`
    /// and `class`.
    pub predictions: Option<PathBuf>,
}

/// Labeled people observed at one date.
#[derive(Debug, Clone)]
pub struct LabeledData {
    /// People (.parquet or .csv) with the outcome column.
    pub data: PathBuf,
    /// The profiling date the data were observed at.
    pub as_of: NaiveDate,
    /// The outcome column (1 = still unemployed at the horizon).
    pub outcome: String,
}

/// `fit profiling`: what to fit and where the results go.
#[derive(Debug, Clone)]
pub struct FitJob {
    /// A profiling model file whose features, bands, link and classes define the model.
    pub spec: PathBuf,
    /// The labeled people.
    pub labeled: LabeledData,
    /// L2 penalty on every coefficient but the intercept.
    pub l2: f64,
    /// Most IRLS iterations.
    pub max_iter: usize,
    /// Id of the new model (default: the spec's).
    pub id: Option<String>,
    /// Version (default: one above every version of the id in the catalog).
    pub version: Option<u32>,
    /// The new model file.
    pub output: PathBuf,
    /// The fit report (JSON), if wanted.
    pub report: Option<PathBuf>,
    /// Tables written beside it.
    pub tables: ResearchTables,
}

/// `synth outcomes`: outcomes drawn from a known model.
#[derive(Debug, Clone)]
pub struct OutcomesJob {
    /// The model drawn from.
    pub model: ModelSource,
    /// People (.parquet or .csv).
    pub people: PathBuf,
    /// The profiling date.
    pub as_of: NaiveDate,
    /// Seed.
    pub seed: u64,
    /// The people plus the outcome column (.parquet).
    pub output: PathBuf,
}

/// What `synth outcomes` drew.
#[derive(Debug, Clone)]
pub struct OutcomesDrawn {
    /// People.
    pub people: usize,
    /// Of them, still unemployed at the horizon.
    pub events: usize,
    /// The model, `id@vN`.
    pub model: String,
}

/// `eval profiling`: a model (or two) on labeled people.
#[derive(Debug, Clone)]
pub struct EvalProfilingJob {
    /// The model evaluated.
    pub model: ModelSource,
    /// A second model compared with on the same people.
    pub against: Option<ModelSource>,
    /// The labeled people.
    pub labeled: LabeledData,
    /// Classes from this one up count as high risk (default: the upper half).
    pub high_risk_from: Option<u8>,
    /// JSON report.
    pub output: Option<PathBuf>,
    /// Self-contained HTML report.
    pub html: Option<PathBuf>,
    /// Model card (.md, or .json).
    pub card: Option<PathBuf>,
    /// Bootstrap replicates (0: none).
    pub bootstrap: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Further groupings: columns of the data file.
    pub group_by: Vec<String>,
    /// Reference group per dimension, `(dimension, group)`.
    pub references: Vec<(String, String)>,
    /// Tables written beside it.
    pub tables: ResearchTables,
    /// A decision log whose overrides of these people are counted.
    pub decisions: Option<PathBuf>,
}

/// `synth judgments`: graded relevance (or simulated esiti) of the corpus's vacancies.
#[derive(Debug, Clone)]
pub struct JudgmentsJob {
    /// Candidate records (.jsonl) as indexed.
    pub cvs: PathBuf,
    /// Vacancy records with their true occupation (`esco`).
    pub vacancies: PathBuf,
    /// Simulated selection outcomes of each rosa instead of grades.
    pub esiti: bool,
    /// Seed (esiti).
    pub seed: u64,
    /// Output (.jsonl).
    pub output: PathBuf,
}

/// `tune matching`: judged vacancies in, a new matching model file out.
#[derive(Debug, Clone)]
pub struct TuneJob {
    /// The judged vacancies (.jsonl; `esco` and `cp2011` are ignored for ranking).
    pub vacancies: PathBuf,
    /// Judgments (.jsonl).
    pub judgments: Option<PathBuf>,
    /// A decision log whose esiti are judgments too.
    pub decisions: Option<PathBuf>,
    /// Version of the new model (default: the base's + 1).
    pub version: Option<u32>,
    /// The new model file.
    pub output: PathBuf,
    /// Search and split options.
    pub options: TuneOptions,
}

/// What `tune matching` did.
#[derive(Debug, Clone)]
pub struct Tuned {
    /// The report (figures, parameters, warnings).
    pub report: TuneReport,
    /// Esiti read from the decision log, when one was given.
    pub esiti_from_log: Option<usize>,
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    atomic_write(path, |w| {
        w.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
    })
}

fn file_digest(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(incrocio_core::digest::sha256_tagged(&bytes))
}

fn read_model_file(
    path: &Path,
    reference: &incrocio_core::reference::Reference,
) -> Result<ProfilingModel> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(ProfilingModel::from_toml(
        &path.display().to_string(),
        &text,
        reference,
    )?)
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
        }
        Ok(())
    }
}

impl Engine {
    /// The profiling model a [`ModelSource`] names (`held` keeps one read from a file).
    fn research_model<'a>(
        &'a self,
        source: &ModelSource,
        held: &'a mut Option<ProfilingModel>,
    ) -> Result<&'a ProfilingModel> {
        match source {
            ModelSource::Id(id) => Ok(self.catalog.profiling(id)?),
            ModelSource::File(path) => Ok(held.insert(read_model_file(path, self.reference)?)),
        }
    }

    /// Fits a profiling model on labeled people (maximum likelihood, the spec's link) and
    /// writes the new model file, the report and the tables asked for. The fit's
    /// convergence is in the report: a model that did not converge is still written, and
    /// the caller says so.
    pub fn fit_profiling(&self, job: &FitJob) -> Result<FitReport> {
        let spec_text = std::fs::read_to_string(&job.spec).map_err(|e| Error::io(&job.spec, e))?;
        let spec_file = job.spec.display().to_string();
        let spec = ProfilingModel::from_toml(&spec_file, &spec_text, self.reference)?;
        let id = job.id.clone().unwrap_or_else(|| spec.id.clone());
        let version = job.version.unwrap_or_else(|| {
            self.catalog
                .profiling_models()
                .iter()
                .filter(|m| m.id == id)
                .map(|m| m.version)
                .max()
                .unwrap_or(0)
                + 1
        });
        let l = &job.labeled;
        let (table, y) = PeopleTable::read_labeled(&l.data, &l.outcome)?;
        let req = FitRequest {
            spec_text: &spec_text,
            spec_file: &spec_file,
            id: Some(id),
            version,
            data_digest: file_digest(&l.data)?,
            as_of: l.as_of,
            options: FitOptions {
                l2: job.l2,
                max_iter: job.max_iter,
                ..FitOptions::default()
            },
        };
        let (text, report, data) = fit_profiling(&req, &table, &y, self.reference)?;
        write_text(&job.output, &text)?;
        if let Some(p) = &job.report {
            let json = serde_json::to_string_pretty(&report).map_err(|e| Error::data(p, e))?;
            write_text(p, &json)?;
        }
        job.tables.write(
            &table,
            &l.outcome,
            &y,
            Some((&data.columns, &data.x)),
            &data.predictions,
        )?;
        Ok(report)
    }

    /// Draws each person's outcome from a known model (seeded, one stream per row) and
    /// writes the people with the outcome column.
    pub fn synth_outcomes(&self, job: &OutcomesJob) -> Result<OutcomesDrawn> {
        let mut held = None;
        let p = Profiler {
            model: self.research_model(&job.model, &mut held)?,
            adr: self.catalog.adr(None)?,
            reference: self.reference,
        };
        let table = PeopleTable::read(&job.people)?;
        let y = synth_outcomes(&p, &table, job.as_of, job.seed)?;
        write_with_outcome(
            &job.people,
            &job.output,
            incrocio_research::profiling::OUTCOME,
            &y,
        )?;
        Ok(OutcomesDrawn {
            people: y.len(),
            events: y.iter().filter(|v| **v).count(),
            model: p.model.key(),
        })
    }

    /// Evaluates a profiling model (or compares two) on labeled people, with intervals, by
    /// group, with the overrides of a decision log counted; writes the JSON and HTML reports,
    /// the model card and the tables asked for. Returns the terminal report.
    pub fn eval_profiling(&self, job: &EvalProfilingJob) -> Result<String> {
        let l = &job.labeled;
        let (table, y, extra) = PeopleTable::read_labeled_with(&l.data, &l.outcome, &job.group_by)?;
        let adr = self.catalog.adr(None)?;
        let (mut ha, mut hb) = (None, None);
        let pa = Profiler {
            model: self.research_model(&job.model, &mut ha)?,
            adr,
            reference: self.reference,
        };
        let high = job
            .high_risk_from
            .unwrap_or(pa.model.classes.labels.len() as u8 / 2 + 1);
        let oa = observe(&pa, &table, &y, l.as_of)?;
        let mut dims = Dimension::standard(&oa);
        for (name, values) in job.group_by.iter().zip(&extra) {
            dims.push(Dimension::from_values(name, values));
        }
        let data = DataInfo {
            file: l.data.display().to_string(),
            digest: file_digest(&l.data)?,
            n: y.len(),
            as_of: l.as_of,
        };
        let opts = EvalOptions {
            high_risk_from: high,
            bootstrap: job.bootstrap,
            seed: job.seed,
            references: job.references.clone(),
        };
        let predictions = Predictions {
            linear_predictor: oa.iter().map(|o| o.linear_predictor).collect(),
            index: oa.iter().map(|o| o.p).collect(),
            class: oa.iter().map(|o| o.class).collect(),
        };
        let design = if job.tables.design.is_some() {
            Some(design_matrix(pa.model, &table, l.as_of, self.reference)?)
        } else {
            None
        };
        job.tables.write(
            &table,
            &l.outcome,
            &y,
            design.as_ref().map(|(n, x)| (n.as_slice(), x)),
            &predictions,
        )?;
        let overrides: Option<Vec<incrocio_decisions::overrides::Override>> = match &job.decisions {
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
        let (json, page, evals, comparison) = match &job.against {
            None => {
                let mut ea = evaluate(&pa, &oa, &dims, &data, &opts)?;
                ea.overrides = count(&ea.model);
                (
                    pretty(&ea)?,
                    incrocio_research::report::html(&[&ea], None),
                    vec![ea],
                    None,
                )
            }
            Some(source) => {
                let pb = Profiler {
                    model: self.research_model(source, &mut hb)?,
                    adr,
                    reference: self.reference,
                };
                let ob = observe(&pb, &table, &y, l.as_of)?;
                let mut c = compare((&pa, &oa), (&pb, &ob), &dims, &data, &opts)?;
                c.a.overrides = count(&c.a.model);
                c.b.overrides = count(&c.b.model);
                let page = incrocio_research::report::html(&[&c.a, &c.b], Some(&c));
                (pretty(&c)?, page, vec![c.a.clone(), c.b.clone()], Some(c))
            }
        };
        if let Some(p) = &job.output {
            write_text(p, &json)?;
        }
        if let Some(p) = &job.html {
            write_text(p, &page)?;
        }
        if let Some(p) = &job.card {
            let lineage: Vec<&ProfilingModel> = self
                .catalog
                .profiling_models()
                .iter()
                .filter(|m| m.id == pa.model.id)
                .collect();
            let card = ModelCard::new(pa.model, &lineage, &evals[0]);
            let text = if p.extension().is_some_and(|e| e == "json") {
                serde_json::to_string_pretty(&card).map_err(|e| Error::data(p, e))?
            } else {
                card.markdown()
            };
            write_text(p, &text)?;
        }
        Ok(incrocio_research::text::terminal_report(
            &evals,
            comparison.as_ref(),
        ))
    }

    /// Grades the open index's candidates against each vacancy's true occupation (or, with
    /// `esiti`, simulates employers' outcomes over each rosa) and writes them as JSON lines;
    /// returns how many lines.
    pub fn synth_judgments(&self, job: &JudgmentsJob, today: NaiveDate) -> Result<usize> {
        let t = self.taxonomy();
        self.check()?;
        let idx = self.require_index()?;
        let model = &self.matching;
        let occupations: HashMap<String, Vec<u32>> = self.candidate_occupations(&job.cvs, today)?;
        let vacancies: Vec<VacancyRecord> = read_jsonl(&job.vacancies, "a vacancy record")?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(job.seed);
        let mut out = String::new();
        let mut n = 0usize;
        for v in &vacancies {
            let Some(truth) = v.esco.as_deref().and_then(|u| t.occupation(u)) else {
                continue;
            };
            let mut blind = v.clone();
            blind.esco = None;
            blind.cp2011 = None;
            let vacancy = blind.validate(self.reference, t, &model.titles)?;
            let grade = |id: &str| occupations.get(id).map_or(0, |o| relevance(t, truth, o));
            let mut lines: Vec<Judgment> = Vec::new();
            if job.esiti {
                // Simulated employers: a relevant candidate of the rosa is hired with
                // probability ½ (else rejected), an adjacent one is rejected (⅘) or not
                // presented, others are rejected (½) or not presented.
                for e in idx.shortlist(&vacancy, model, None, t)?.rosa {
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
                for e in idx.ranking(&vacancy, model, t)?.ranked {
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
                let line = serde_json::to_string(&j).map_err(|e| Error::data(&job.output, e))?;
                out.push_str(&line);
                out.push('\n');
                n += 1;
            }
        }
        write_text(&job.output, &out)?;
        Ok(n)
    }

    /// Tunes the engine's matching model on judged vacancies over the open index (random
    /// simplex search, held-out or k-fold report) and writes the new model file.
    pub fn tune_matching(&self, job: &TuneJob) -> Result<Tuned> {
        let base = &self.matching;
        let version = job.version.unwrap_or(base.version + 1);
        if version <= base.version {
            return Err(Error::Input(InputError::new(
                "version",
                FieldReason::Inconsistent(format!(
                    "{version} is not above the base model's {}",
                    base.version
                )),
            )));
        }
        let mut vacancies: Vec<VacancyRecord> = read_jsonl(&job.vacancies, "a vacancy record")?;
        for v in &mut vacancies {
            v.esco = None;
            v.cp2011 = None;
        }
        let mut judgments: Vec<Judgment> = match &job.judgments {
            Some(p) => read_jsonl(p, "a judgment")?,
            None => Vec::new(),
        };
        let mut esiti_from_log = None;
        if let Some(dir) = &job.decisions {
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
            esiti_from_log = Some(judgments.len() - before);
        }
        let g = grades(&judgments, job.options.rejected_grade)?;
        self.check()?;
        let idx = self.require_index()?;
        let (text, report) = tune(
            idx,
            &vacancies,
            &g,
            base,
            version,
            &job.options,
            self.reference,
            self.taxonomy(),
        )?;
        write_text(&job.output, &text)?;
        Ok(Tuned {
            report,
            esiti_from_log,
        })
    }
}

/// Pretty JSON of a report.
fn pretty<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Error::data("(report)", e))
}
