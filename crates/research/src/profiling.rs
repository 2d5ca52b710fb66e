//! Fitting, simulating and evaluating profiling models on labeled people.
//!
//! Labeled data are a people file plus an outcome column (`Esito`: 1 = still unemployed at the
//! model's horizon, the event the index predicts), all observed at one profiling date `as_of`.

use chrono::NaiveDate;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::bootstrap::{METRICS, Metric, Populations, Scores, replicates};
use super::design::Design;
use super::glm::{Coefficient, Fit, FitOptions, fit};
use super::metrics::{CalibrationBin, RocPoint, Summary, auc, brier, calibration, roc, summary};
use super::stats::{
    DeLong, Estimate, Interval, Rate, Z95, delong, newcombe, percentile_interval, risk_ratio,
};
use incrocio_batch::PeopleTable;
use incrocio_core::error::{Error, InputError, ModelError, Result};
use incrocio_core::reference::{GruppoCittadinanza, Reference};
use incrocio_profiling::{AtDate, Person, Profiler, ProfilingModel, Sospensione, Status};

/// The default name of the outcome column.
pub const OUTCOME: &str = "Esito";

const WINDOW: usize = 65_536;

/// Validates every row in parallel (windows of 65,536 rows, reassembled in order) and maps
/// each with `f`; the first bad row is an error naming its 1-based row.
fn map_people<T: Send>(
    table: &PeopleTable,
    reference: &Reference,
    f: impl Fn(&Person) -> std::result::Result<T, InputError> + Sync,
) -> Result<Vec<T>> {
    let starts: Vec<usize> = (0..table.len()).step_by(WINDOW).collect();
    let parts: Vec<Result<Vec<T>>> = starts
        .par_iter()
        .map(|&start| {
            let len = WINDOW.min(table.len() - start);
            let w = table.window(start, len)?;
            let mut scratch: Vec<Sospensione> = Vec::new();
            (start..start + len)
                .map(|i| {
                    w.view(i, &mut scratch)
                        .and_then(|v| v.validate(reference))
                        .and_then(|p| f(&p))
                        .map_err(|e| Error::Input(e.with_row(i + 1)))
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(table.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Outcomes drawn from a known model: `y ~ Bernoulli(p)`, p the model's probability for each
/// person at `as_of`, seeded (ChaCha8, one stream per row: the same rows give the same draws
/// whatever the threads).
pub fn synth_outcomes(
    profiler: &Profiler<'_>,
    table: &PeopleTable,
    as_of: NaiveDate,
    seed: u64,
) -> Result<Vec<bool>> {
    let n = profiler.model.features.len();
    let p = map_people(table, profiler.reference, |person| {
        let mut c = vec![0.0; n];
        let s = profiler.score_into(person, as_of, &mut c)?;
        Ok(profiler.model.link.inverse(s.linear_predictor))
    })?;
    Ok(p.iter()
        .enumerate()
        .map(|(i, &p)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64);
            rng.r#gen::<f64>() < p
        })
        .collect())
}

/// What a fit used and found, written into the model file's `[fit]` table.
#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    /// The new model's `id@vN`.
    pub model: String,
    /// `sha256:` of the data file.
    pub data_digest: String,
    /// The profiling date of the data.
    pub as_of: NaiveDate,
    /// Column names, in coefficient order.
    pub columns: Vec<String>,
    /// L2 penalty.
    pub l2: f64,
    /// The fit.
    pub fit: Fit,
    /// The coefficient table: estimate, SE, z, p, 95% interval.
    pub table: Vec<Coefficient>,
    /// AIC, 2k − 2ℓ.
    pub aic: f64,
    /// BIC, k ln n − 2ℓ.
    pub bic: f64,
    /// McFadden's pseudo-R².
    pub pseudo_r2: f64,
    /// AUC of the fitted model on the data it was fitted on, computed like `eval profiling`'s:
    /// on the index rounded to the class decimals.
    pub auc: Option<f64>,
    /// Brier score, same data, same index.
    pub brier: f64,
}

/// Each person's linear predictor, index (rounded to the class decimals, as published and
/// as classed) and class under one model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Predictions {
    /// η = x·β.
    pub linear_predictor: Vec<f64>,
    /// The index, rounded to the class decimals.
    pub index: Vec<f64>,
    /// The 1-based class.
    pub class: Vec<u8>,
}

/// What a fit was computed from: the design matrix and the fitted model's predictions.
#[derive(Debug, Clone)]
pub struct FitData {
    /// Column names (the model file's keys), in coefficient order.
    pub columns: Vec<String>,
    /// The design matrix, one row per person.
    pub x: Array2<f64>,
    /// The fitted model's predictions.
    pub predictions: Predictions,
}

/// A profiling model's design matrix on people observed at `as_of`: one column per coefficient
/// of the model file (intercept; one 0/1 column per non-reference level or band; `x − center`
/// for numeric features), named as in the file.
pub fn design_matrix(
    model: &ProfilingModel,
    table: &PeopleTable,
    as_of: NaiveDate,
    reference: &Reference,
) -> Result<(Vec<String>, Array2<f64>)> {
    let design = Design::of(model);
    let k = design.columns().len();
    let rows = map_people(table, reference, |p| {
        let at = AtDate::derive(p, as_of)?;
        let mut row = vec![0.0; k];
        design.row(model, p, &at, reference, &mut row)?;
        Ok(row)
    })?;
    let x = Array2::from_shape_vec((rows.len(), k), rows.concat())
        .map_err(|e| Error::data(&model.file, e))?;
    Ok((design.columns().iter().map(|c| c.name.clone()).collect(), x))
}

/// Options of [`fit_profiling`].
#[derive(Debug, Clone)]
pub struct FitRequest<'a> {
    /// The spec: a profiling model file whose features, bands, link and classes define the
    /// model to fit (its coefficients are ignored).
    pub spec_text: &'a str,
    /// Its name, for errors.
    pub spec_file: &'a str,
    /// Id of the new model (default: the spec's).
    pub id: Option<String>,
    /// Version of the new model.
    pub version: u32,
    /// `sha256:` of the data file.
    pub data_digest: String,
    /// The profiling date of the data.
    pub as_of: NaiveDate,
    /// Fit options (the link is the spec's).
    pub options: FitOptions,
}

/// Fits the spec's model on labeled people; returns the new model file's text, the report and
/// the design matrix with the fitted predictions.
pub fn fit_profiling(
    req: &FitRequest<'_>,
    table: &PeopleTable,
    y: &[bool],
    reference: &Reference,
) -> Result<(String, FitReport, FitData)> {
    let model = ProfilingModel::from_toml(req.spec_file, req.spec_text, reference)?;
    let design = Design::of(&model);
    let (_, x) = design_matrix(&model, table, req.as_of, reference)?;
    let yv = Array1::from_iter(y.iter().map(|&v| f64::from(u8::from(v))));
    let opts = FitOptions {
        link: model.link,
        ..req.options
    };
    let fitted = fit(x.view(), yv.view(), &opts).map_err(|e| {
        let col = match &e {
            super::glm::FitError::Singular { column } => design
                .columns()
                .get(*column)
                .map_or(String::new(), |c| format!(" (column `{}`)", c.name)),
            _ => String::new(),
        };
        Error::data(req.spec_file, format!("{e}{col}"))
    })?;
    let beta = Array1::from(fitted.coefficients.clone());
    let linear_predictor = x.dot(&beta).to_vec();
    let classes = &model.classes;
    let units: Vec<i64> = linear_predictor
        .iter()
        .map(|&e| classes.units(model.link.inverse(e)))
        .collect();
    let predictions = Predictions {
        index: units.iter().map(|&u| classes.from_units(u)).collect(),
        class: units.iter().map(|&u| classes.class_of(u)).collect(),
        linear_predictor,
    };
    let id = req.id.clone().unwrap_or_else(|| model.id.clone());
    let columns: Vec<String> = design.columns().iter().map(|c| c.name.clone()).collect();
    let report = FitReport {
        model: format!("{id}@v{}", req.version),
        data_digest: req.data_digest.clone(),
        as_of: req.as_of,
        table: fitted.table(&columns),
        aic: fitted.aic(),
        bic: fitted.bic(),
        pseudo_r2: fitted.pseudo_r2(),
        columns: columns.clone(),
        l2: opts.l2,
        auc: auc(&predictions.index, y),
        brier: brier(&predictions.index, y),
        fit: fitted,
    };
    let text = fitted_file(req, &design, &report, &id)?;
    // The new file must load as a model like any other.
    ProfilingModel::from_toml(&report.model, &text, reference)?;
    Ok((
        text,
        report,
        FitData {
            columns,
            x,
            predictions,
        },
    ))
}

fn fitted_file(
    req: &FitRequest<'_>,
    design: &Design,
    report: &FitReport,
    id: &str,
) -> Result<String> {
    let mut file: toml::Table = toml::from_str(req.spec_text)
        .map_err(|e| ModelError::toml(req.spec_file, req.spec_text, &e))?;
    design.write_coefficients(&mut file, &report.fit.coefficients);
    file.insert("id".into(), toml::Value::String(id.to_owned()));
    file.insert(
        "version".into(),
        toml::Value::Integer(i64::from(req.version)),
    );
    file.insert("status".into(), toml::Value::String("fitted".into()));
    file.insert(
        "source".into(),
        toml::Value::String(format!(
            "fitted by incrocio {} on {} ({} people, as of {}); spec {}",
            env!("CARGO_PKG_VERSION"),
            report.data_digest,
            report.fit.n,
            report.as_of,
            req.spec_file
        )),
    );
    let mut se = toml::Table::new();
    for (c, s) in report.columns.iter().zip(&report.fit.std_errors) {
        se.insert(c.clone(), toml::Value::Float(*s));
    }
    let f = &report.fit;
    let mut fit = toml::Table::new();
    let mut put = |k: &str, v: toml::Value| {
        fit.insert(k.into(), v);
    };
    put(
        "data_digest",
        toml::Value::String(report.data_digest.clone()),
    );
    put("as_of", toml::Value::String(report.as_of.to_string()));
    put("n", toml::Value::Integer(f.n as i64));
    put("events", toml::Value::Integer(f.events as i64));
    put("l2", toml::Value::Float(report.l2));
    put("converged", toml::Value::Boolean(f.convergence.converged));
    put(
        "iterations",
        toml::Value::Integer(f.convergence.iterations as i64),
    );
    put("log_likelihood", toml::Value::Float(f.log_likelihood));
    put(
        "null_log_likelihood",
        toml::Value::Float(f.null_log_likelihood),
    );
    put("aic", toml::Value::Float(f.aic()));
    put("bic", toml::Value::Float(f.bic()));
    put("pseudo_r2", toml::Value::Float(f.pseudo_r2()));
    if let Some(a) = report.auc {
        put("auc_in_sample", toml::Value::Float(a));
    }
    put("brier_in_sample", toml::Value::Float(report.brier));
    put("std_errors", toml::Value::Table(se));
    file.insert("fit".into(), toml::Value::Table(fit));
    let body = toml::to_string(&file).map_err(|e| Error::data(req.spec_file, e))?;
    Ok(format!(
        "# Fitted by `incrocio fit profiling` from {}: status \"fitted\", estimated on the data named in\n# [fit] — not an authority's model. Released files never change: refit = new version.\n{body}",
        req.spec_file
    ))
}

/// One person's prediction and outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Linear predictor η.
    pub linear_predictor: f64,
    /// Predicted probability (the index, rounded as for classing).
    pub p: f64,
    /// 1-based class.
    pub class: u8,
    /// Outcome: still unemployed at the horizon.
    pub y: bool,
    /// Woman.
    pub female: bool,
    /// Citizenship group.
    pub citizenship: GruppoCittadinanza,
    /// Age in whole years at `as_of`.
    pub age: i64,
    /// The features scored under the model's missing-answer policy (`Score::missing`).
    pub missing: u64,
}

/// Scores labeled people with a model.
pub fn observe(
    profiler: &Profiler<'_>,
    table: &PeopleTable,
    y: &[bool],
    as_of: NaiveDate,
) -> Result<Vec<Observation>> {
    let n = profiler.model.features.len();
    let classes = &profiler.model.classes;
    let scored = map_people(table, profiler.reference, |person| {
        let mut c = vec![0.0; n];
        let s = profiler.score_into(person, as_of, &mut c)?;
        Ok((
            (s.linear_predictor, classes.from_units(s.index_units)),
            (s.class, s.missing),
            person.femmina,
            person.cittadinanza,
            s.at.eta,
        ))
    })?;
    Ok(scored
        .into_iter()
        .zip(y)
        .map(
            |(((linear_predictor, p), (class, missing), female, citizenship, age), &y)| {
                Observation {
                    linear_predictor,
                    p,
                    class,
                    y,
                    female,
                    citizenship,
                    age,
                    missing,
                }
            },
        )
        .collect())
}

/// A grouping of the people evaluated: a name (`genere`, or a `--group-by` column) and each
/// person's group.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// The dimension's name.
    pub name: String,
    /// Its groups, sorted.
    pub labels: Vec<String>,
    /// Each person's group (index into `labels`).
    pub member: Vec<u32>,
}

impl Dimension {
    /// A dimension from each person's value.
    pub fn from_values<S: AsRef<str>>(name: &str, values: &[S]) -> Dimension {
        let mut labels: Vec<String> = values.iter().map(|v| v.as_ref().to_owned()).collect();
        labels.sort();
        labels.dedup();
        let member = values
            .iter()
            .map(|v| {
                labels
                    .binary_search_by(|l| l.as_str().cmp(v.as_ref()))
                    .map_or(0, |i| i as u32)
            })
            .collect();
        Dimension {
            name: name.to_owned(),
            labels,
            member,
        }
    }

    /// Gender (`genere`), citizenship group (`cittadinanza`) and age band (`eta`).
    pub fn standard(obs: &[Observation]) -> Vec<Dimension> {
        let gender: Vec<&str> = obs
            .iter()
            .map(|o| if o.female { "F" } else { "M" })
            .collect();
        let citizenship: Vec<&str> = obs.iter().map(|o| o.citizenship.as_str()).collect();
        let age: Vec<&str> = obs.iter().map(|o| age_band(o.age)).collect();
        vec![
            Dimension::from_values("genere", &gender),
            Dimension::from_values("cittadinanza", &citizenship),
            Dimension::from_values("eta", &age),
        ]
    }
}

/// The labeled data an evaluation was computed on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataInfo {
    /// The file, as named.
    pub file: String,
    /// `sha256:` of its bytes.
    pub digest: String,
    /// People.
    pub n: usize,
    /// The profiling date of the data.
    pub as_of: NaiveDate,
}

/// Options of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Classes from this 1-based class up count as high risk.
    pub high_risk_from: u8,
    /// Bootstrap replicates (0: no bootstrap intervals).
    pub bootstrap: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Reference group per dimension (`dimension`, `group`); the largest group otherwise.
    pub references: Vec<(String, String)>,
}

/// How the intervals were computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertainty {
    /// Confidence level of every interval.
    pub level: f64,
    /// Bootstrap replicates (stratified by outcome, percentile intervals).
    pub bootstrap: usize,
    /// Bootstrap seed (ChaCha8, stream = replicate).
    pub seed: u64,
    /// What each interval is.
    pub methods: Vec<(String, String)>,
}

fn uncertainty(opts: &EvalOptions) -> Uncertainty {
    let m = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    Uncertainty {
        level: 0.95,
        bootstrap: opts.bootstrap,
        seed: opts.seed,
        methods: vec![
            m(
                "rates, class shares, calibration bins",
                "Wilson score interval",
            ),
            m(
                "AUC, Brier, log-loss",
                "bootstrap percentile, stratified by outcome",
            ),
            m(
                "calibration in the large (observed − predicted), and its difference to the reference group",
                "normal interval of the observed rate(s) given the predictions",
            ),
            m("ratios to the reference group", "Katz log interval"),
            m(
                "equal-opportunity gap",
                "Newcombe hybrid score interval (difference of independent proportions)",
            ),
            m("AUC difference of two models", "DeLong (1988)"),
            m(
                "other differences of two models",
                "paired bootstrap percentile (same resamples)",
            ),
        ],
    }
}

/// Metrics of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// `genere`, `cittadinanza`, `eta` or a `--group-by` column.
    pub dimension: String,
    /// The group.
    pub group: String,
    /// Its metrics.
    pub summary: Summary,
    /// Its people profiled with unanswered questions scored under the model's policy.
    pub missing_answers: MissingAnswers,
}

/// People profiled with unanswered questions (scored under the model file's `missing` policy
/// instead of refused): how many, and how many per feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingAnswers {
    /// People with at least one unanswered question, of the group's `n`.
    pub people: Rate,
    /// Per feature with at least one unanswered answer, in model order: (feature, people).
    pub by_feature: Vec<(String, usize)>,
}

impl MissingAnswers {
    /// Counts the masks of a group's people (`Observation::missing`).
    pub fn count(profiler: &Profiler<'_>, masks: impl Iterator<Item = u64>) -> MissingAnswers {
        let features = &profiler.model.features;
        let mut per = vec![0usize; features.len()];
        let (mut n, mut k) = (0u64, 0u64);
        for m in masks {
            n += 1;
            if m != 0 {
                k += 1;
                for (i, c) in per.iter_mut().enumerate() {
                    *c += usize::from(m & (1 << i) != 0);
                }
            }
        }
        MissingAnswers {
            people: Rate::of(k, n),
            by_feature: features
                .iter()
                .zip(per)
                .filter(|(_, c)| *c > 0)
                .map(|(f, c)| (f.name.clone(), c))
                .collect(),
        }
    }
}

/// One group against its dimension's reference group, as the audits of profiling models
/// measure it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disparity {
    /// The dimension.
    pub dimension: String,
    /// The group.
    pub group: String,
    /// The reference group.
    pub reference: String,
    /// (found work and classed high-risk, share of the group's y = 0) / (same, reference):
    /// the ratio Desiere & Struyven reported for Flanders (2.6 by origin). Katz interval.
    pub found_work_high_risk_ratio: Option<Estimate>,
    /// Share classed high-risk / the reference's. Katz interval.
    pub high_risk_ratio: Option<Estimate>,
    /// Equal opportunity: the share of still-unemployed people classed high-risk (true
    /// positive rate) minus the reference's. Newcombe interval.
    pub equal_opportunity_gap: Option<Estimate>,
    /// Calibration within groups: (observed − predicted) minus the reference's; normal
    /// interval of the two observed rates.
    pub calibration_difference: Option<Estimate>,
    /// The measures whose interval excludes no difference (1 for ratios, 0 for gaps).
    pub flagged: Vec<String>,
}

/// The evaluation of one model on labeled people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilingEval {
    /// Model `id@vN`.
    pub model: String,
    /// Model digest.
    pub digest: String,
    /// Model status.
    pub status: Status,
    /// Class labels.
    pub class_labels: Vec<String>,
    /// Classes counted as high risk (from this 1-based class up).
    pub high_risk_from: u8,
    /// The data.
    pub data: DataInfo,
    /// How the intervals were computed.
    pub uncertainty: Uncertainty,
    /// Everyone.
    pub overall: Summary,
    /// Everyone profiled with unanswered questions scored under the model's policy.
    pub missing_answers: MissingAnswers,
    /// Calibration by decile, everyone.
    pub calibration: Vec<CalibrationBin>,
    /// ROC curve (at most 201 points, evenly taken).
    pub roc: Vec<RocPoint>,
    /// By gender, citizenship, age band and each `--group-by` column.
    pub groups: Vec<GroupReport>,
    /// Each group against its dimension's reference group.
    pub disparities: Vec<Disparity>,
    /// Operators' overrides of this model's classes for these people (`--decisions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<OverrideSummary>,
}

/// How often operators overrode the model's class, in which direction, by whom, why and for
/// whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideSummary {
    /// Overrides recorded for people of the data (the last per person).
    pub total: u64,
    /// Set to a higher class than computed (more support).
    pub up: u64,
    /// Set to a lower class.
    pub down: u64,
    /// Overrides of people not in the data (not counted above).
    pub unmatched: u64,
    /// Per operator: (operator, overrides, up, down).
    pub by_operator: Vec<(String, u64, u64, u64)>,
    /// Per reason code: (reason, overrides, up, down).
    pub by_reason: Vec<(String, u64, u64, u64)>,
    /// Per group: (dimension, group, overrides, rate among the group's people with its Wilson
    /// interval, up, down).
    pub by_group: Vec<OverrideGroup>,
}

/// Overrides in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideGroup {
    /// Dimension.
    pub dimension: String,
    /// Group.
    pub group: String,
    /// Overridden, of the group's people.
    pub rate: super::stats::Rate,
    /// Up.
    pub up: u64,
    /// Down.
    pub down: u64,
}

/// Counts the overrides of `model_key` among the people `ids` (row order of the data), the
/// last per person, by operator, reason and group.
pub fn override_summary(
    overrides: &[incrocio_decisions::overrides::Override],
    model_key: &str,
    ids: &[String],
    dims: &[Dimension],
) -> OverrideSummary {
    use std::collections::{BTreeMap, HashMap};
    let row: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut last: BTreeMap<&str, &incrocio_decisions::overrides::Override> = BTreeMap::new();
    for o in overrides.iter().filter(|o| o.model == model_key) {
        last.insert(o.person.as_str(), o);
    }
    let mut s = OverrideSummary {
        total: 0,
        up: 0,
        down: 0,
        unmatched: 0,
        by_operator: Vec::new(),
        by_reason: Vec::new(),
        by_group: Vec::new(),
    };
    let mut ops: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    let mut reasons: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    let mut groups: Vec<Vec<(u64, u64, u64)>> = dims
        .iter()
        .map(|d| vec![(0, 0, 0); d.labels.len()])
        .collect();
    for (person, o) in last {
        let Some(&i) = row.get(person) else {
            s.unmatched += 1;
            continue;
        };
        let up = u64::from(o.class > o.computed_class);
        let down = 1 - up;
        s.total += 1;
        s.up += up;
        s.down += down;
        for slot in [
            ops.entry(o.operator.as_str()).or_default(),
            reasons.entry(o.reason.as_str()).or_default(),
        ] {
            slot.0 += 1;
            slot.1 += up;
            slot.2 += down;
        }
        for (d, g) in dims.iter().zip(groups.iter_mut()) {
            let x = &mut g[d.member[i] as usize];
            x.0 += 1;
            x.1 += up;
            x.2 += down;
        }
    }
    s.by_operator = ops
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.0, v.1, v.2))
        .collect();
    s.by_reason = reasons
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.0, v.1, v.2))
        .collect();
    for (d, g) in dims.iter().zip(groups) {
        let mut sizes = vec![0u64; d.labels.len()];
        for &m in &d.member {
            sizes[m as usize] += 1;
        }
        for (j, (n, up, down)) in g.into_iter().enumerate() {
            s.by_group.push(OverrideGroup {
                dimension: d.name.clone(),
                group: d.labels[j].clone(),
                rate: super::stats::Rate::of(n, sizes[j]),
                up,
                down,
            });
        }
    }
    s
}

/// The age bands groups are reported by.
pub fn age_band(age: i64) -> &'static str {
    match age {
        ..=24 => "15-24",
        25..=34 => "25-34",
        35..=49 => "35-49",
        _ => "50+",
    }
}

/// Populations: 0 = everyone, then each dimension's groups in order.
/// Where each dimension's groups start among the populations (0 is everyone).
fn offsets(dims: &[Dimension]) -> Vec<usize> {
    dims.iter()
        .scan(1, |next, d| {
            let o = *next;
            *next += d.labels.len();
            Some(o)
        })
        .collect()
}

fn populations(dims: &[Dimension]) -> (Populations, Vec<usize>) {
    let offsets = offsets(dims);
    let next = 1 + dims.iter().map(|d| d.labels.len()).sum::<usize>();
    let groups = dims
        .iter()
        .zip(&offsets)
        .map(|(d, &o)| d.member.iter().map(|&m| (o as u32) + m).collect())
        .collect();
    (
        Populations {
            count: next,
            groups,
        },
        offsets,
    )
}

fn scores(obs: &[Observation], high_risk_from: u8) -> Scores {
    let p: Vec<f64> = obs.iter().map(|o| o.p).collect();
    let high: Vec<bool> = obs.iter().map(|o| o.class >= high_risk_from).collect();
    let y: Vec<bool> = obs.iter().map(|o| o.y).collect();
    Scores::new(&p, &high, &y)
}

/// The interval of statistic `m` of population `q` over the replicates.
fn boot(reps: &[Vec<[f64; 7]>], q: usize, m: Metric) -> Option<Interval> {
    let v: Vec<f64> = reps.iter().map(|r| r[q][m as usize]).collect();
    percentile_interval(&v)
}

fn with_intervals(mut s: Summary, reps: &[Vec<[f64; 7]>], q: usize) -> Summary {
    if reps.is_empty() {
        return s;
    }
    if let Some(a) = &mut s.auc {
        a.ci = boot(reps, q, Metric::Auc);
    }
    s.brier.ci = boot(reps, q, Metric::Brier);
    s.log_loss.ci = boot(reps, q, Metric::LogLoss);
    s
}

/// Each dimension's reference group: the one `references` names, or the largest (ties: the
/// first in order).
fn reference_groups(dims: &[Dimension], references: &[(String, String)]) -> Result<Vec<usize>> {
    for (d, g) in references {
        let Some(dim) = dims.iter().find(|x| &x.name == d) else {
            return Err(Error::Input(InputError::new(
                "reference",
                incrocio_core::error::FieldReason::Inconsistent(format!(
                    "no grouping named `{d}` (groupings: {})",
                    dims.iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            )));
        };
        if !dim.labels.contains(g) {
            return Err(Error::Input(InputError::new(
                "reference",
                incrocio_core::error::FieldReason::Inconsistent(format!(
                    "`{d}` has no group `{g}` in these data (groups: {})",
                    dim.labels.join(", ")
                )),
            )));
        }
    }
    Ok(dims
        .iter()
        .map(|d| {
            if let Some((_, g)) = references.iter().find(|(n, _)| n == &d.name) {
                return d.labels.iter().position(|l| l == g).unwrap_or(0);
            }
            let mut sizes = vec![0usize; d.labels.len()];
            for &m in &d.member {
                sizes[m as usize] += 1;
            }
            let mut best = 0;
            for (i, &n) in sizes.iter().enumerate() {
                if n > sizes[best] {
                    best = i;
                }
            }
            best
        })
        .collect())
}

fn disparity(dim: &Dimension, g: usize, r: usize, s: &Summary, rs: &Summary) -> Disparity {
    let ratio = |a: &super::stats::Rate, b: &super::stats::Rate| risk_ratio(a.k, a.n, b.k, b.n);
    // Disjoint groups: the variances of the two observed rates add.
    let calibration_difference = match (s.observed.value, rs.observed.value) {
        (Some(o), Some(r)) => {
            let value = s.calibration_in_the_large.value - rs.calibration_in_the_large.value;
            let half = Z95
                * (o * (1.0 - o) / s.observed.n as f64 + r * (1.0 - r) / rs.observed.n as f64)
                    .sqrt();
            Some(Estimate {
                value,
                ci: Some(Interval {
                    low: value - half,
                    high: value + half,
                }),
            })
        }
        _ => None,
    };
    let mut d = Disparity {
        dimension: dim.name.clone(),
        group: dim.labels[g].clone(),
        reference: dim.labels[r].clone(),
        found_work_high_risk_ratio: ratio(&s.found_work_high_risk, &rs.found_work_high_risk),
        high_risk_ratio: ratio(&s.high_risk, &rs.high_risk),
        equal_opportunity_gap: newcombe(
            s.unemployed_high_risk.k,
            s.unemployed_high_risk.n,
            rs.unemployed_high_risk.k,
            rs.unemployed_high_risk.n,
        ),
        calibration_difference,
        flagged: Vec::new(),
    };
    let checks: [(&str, &Option<Estimate>, f64); 4] = [
        (
            "found_work_high_risk_ratio",
            &d.found_work_high_risk_ratio,
            1.0,
        ),
        ("high_risk_ratio", &d.high_risk_ratio, 1.0),
        ("equal_opportunity_gap", &d.equal_opportunity_gap, 0.0),
        ("calibration_difference", &d.calibration_difference, 0.0),
    ];
    d.flagged = checks
        .iter()
        .filter(|(_, e, null)| e.and_then(|e| e.ci).is_some_and(|ci| ci.excludes(*null)))
        .map(|(n, _, _)| (*n).to_owned())
        .collect();
    d
}

/// One model's evaluation from its observations and its bootstrap replicates.
fn build(
    profiler: &Profiler<'_>,
    obs: &[Observation],
    dims: &[Dimension],
    reps: &[Vec<[f64; 7]>],
    data: &DataInfo,
    opts: &EvalOptions,
) -> Result<ProfilingEval> {
    let k = profiler.model.classes.labels.len();
    let high = opts.high_risk_from;
    let p: Vec<f64> = obs.iter().map(|x| x.p).collect();
    let y: Vec<bool> = obs.iter().map(|x| x.y).collect();
    let c: Vec<u8> = obs.iter().map(|x| x.class).collect();
    let offsets = offsets(dims);
    let refs = reference_groups(dims, &opts.references)?;
    let mut groups = Vec::new();
    let mut disparities = Vec::new();
    for ((dim, &offset), &r) in dims.iter().zip(&offsets).zip(&refs) {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); dim.labels.len()];
        for (i, &m) in dim.member.iter().enumerate() {
            members[m as usize].push(i);
        }
        let summaries: Vec<Summary> = members
            .iter()
            .enumerate()
            .map(|(g, idx)| {
                let gp: Vec<f64> = idx.iter().map(|&i| p[i]).collect();
                let gy: Vec<bool> = idx.iter().map(|&i| y[i]).collect();
                let gc: Vec<u8> = idx.iter().map(|&i| c[i]).collect();
                with_intervals(summary(&gp, &gy, &gc, k, high), reps, offset + g)
            })
            .collect();
        for (g, s) in summaries.iter().enumerate() {
            if g != r {
                disparities.push(disparity(dim, g, r, s, &summaries[r]));
            }
        }
        for (g, s) in summaries.into_iter().enumerate() {
            groups.push(GroupReport {
                dimension: dim.name.clone(),
                group: dim.labels[g].clone(),
                summary: s,
                missing_answers: MissingAnswers::count(
                    profiler,
                    members[g].iter().map(|&i| obs[i].missing),
                ),
            });
        }
    }
    let full = roc(&p, &y);
    let step = (full.len() / 200).max(1);
    let mut curve: Vec<RocPoint> = full.iter().step_by(step).copied().collect();
    if curve.last() != full.last()
        && let Some(last) = full.last()
    {
        curve.push(*last);
    }
    Ok(ProfilingEval {
        model: profiler.model.key(),
        digest: profiler.model.digest.clone(),
        status: profiler.model.status,
        class_labels: profiler.model.classes.labels.clone(),
        high_risk_from: high,
        data: data.clone(),
        uncertainty: uncertainty(opts),
        overall: with_intervals(summary(&p, &y, &c, k, high), reps, 0),
        missing_answers: MissingAnswers::count(profiler, obs.iter().map(|o| o.missing)),
        calibration: calibration(&p, &y),
        roc: curve,
        groups,
        disparities,
        overrides: None,
    })
}

fn check_dims(obs: &[Observation], dims: &[Dimension]) -> Result<()> {
    for d in dims {
        if d.member.len() != obs.len() {
            return Err(Error::data(
                &d.name,
                format!("{} values for {} people", d.member.len(), obs.len()),
            ));
        }
    }
    Ok(())
}

/// Evaluates a model's observations, overall and by each dimension, with intervals.
pub fn evaluate(
    profiler: &Profiler<'_>,
    obs: &[Observation],
    dims: &[Dimension],
    data: &DataInfo,
    opts: &EvalOptions,
) -> Result<ProfilingEval> {
    check_dims(obs, dims)?;
    let (pops, _) = populations(dims);
    let y: Vec<bool> = obs.iter().map(|o| o.y).collect();
    let s = scores(obs, opts.high_risk_from);
    let reps = replicates(&[&s], &y, &pops, opts.bootstrap, opts.seed);
    build(profiler, obs, dims, &reps[0], data, opts)
}

/// A difference between two models on one population: B − A, paired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delta {
    /// `everyone` or `dimension = group`.
    pub population: String,
    /// The statistic.
    pub metric: String,
    /// Under model A.
    pub a: Option<f64>,
    /// Under model B.
    pub b: Option<f64>,
    /// B − A, with its paired interval (DeLong for everyone's AUC, the paired bootstrap
    /// otherwise).
    pub difference: Option<Estimate>,
}

/// The class transitions between two models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transitions {
    /// `counts[i][j]`: people in class i+1 under A and j+1 under B.
    pub counts: Vec<Vec<u64>>,
    /// The same as a percentage of row i (people in class i+1 under A); none for an empty row.
    pub row_percent: Vec<Vec<Option<f64>>>,
}

/// Two models on the same people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilingComparison {
    /// The first model.
    pub a: ProfilingEval,
    /// The second.
    pub b: ProfilingEval,
    /// DeLong's test of B's AUC against A's (difference B − A).
    pub delong: Option<DeLong>,
    /// Every statistic of every population, B − A.
    pub deltas: Vec<Delta>,
    /// The class transitions.
    pub transitions: Transitions,
}

/// Evaluates two models' observations of the same people (same order) on the same bootstrap
/// replicates, and their differences.
pub fn compare(
    (pa, oa): (&Profiler<'_>, &[Observation]),
    (pb, ob): (&Profiler<'_>, &[Observation]),
    dims: &[Dimension],
    data: &DataInfo,
    opts: &EvalOptions,
) -> Result<ProfilingComparison> {
    check_dims(oa, dims)?;
    if oa.len() != ob.len() || oa.iter().zip(ob).any(|(a, b)| a.y != b.y) {
        return Err(Error::data(
            &data.file,
            "the two models were observed on different people",
        ));
    }
    let (pops, offsets) = populations(dims);
    let y: Vec<bool> = oa.iter().map(|o| o.y).collect();
    let (sa, sb) = (
        scores(oa, opts.high_risk_from),
        scores(ob, opts.high_risk_from),
    );
    let reps = replicates(&[&sa, &sb], &y, &pops, opts.bootstrap, opts.seed);
    let a = build(pa, oa, dims, &reps[0], data, opts)?;
    let b = build(pb, ob, dims, &reps[1], data, opts)?;
    let p = |o: &[Observation]| o.iter().map(|x| x.p).collect::<Vec<f64>>();
    let delong = delong(&p(ob), &p(oa), &y);
    let mut names = vec![("everyone".to_owned(), 0usize)];
    for (d, &o) in dims.iter().zip(&offsets) {
        for (g, l) in d.labels.iter().enumerate() {
            names.push((format!("{} = {l}", d.name), o + g));
        }
    }
    let summaries: Vec<(&Summary, &Summary)> = std::iter::once((&a.overall, &b.overall))
        .chain(
            a.groups
                .iter()
                .zip(&b.groups)
                .map(|(x, y)| (&x.summary, &y.summary)),
        )
        .collect();
    let mut deltas = Vec::new();
    for ((population, q), (sa, sb)) in names.iter().zip(&summaries) {
        let stats: [(Metric, Option<f64>, Option<f64>); 6] = [
            (
                Metric::Auc,
                sa.auc.map(|e| e.value),
                sb.auc.map(|e| e.value),
            ),
            (Metric::Brier, Some(sa.brier.value), Some(sb.brier.value)),
            (
                Metric::LogLoss,
                Some(sa.log_loss.value),
                Some(sb.log_loss.value),
            ),
            (Metric::HighRisk, sa.high_risk.value, sb.high_risk.value),
            (
                Metric::FoundWorkHighRisk,
                sa.found_work_high_risk.value,
                sb.found_work_high_risk.value,
            ),
            (
                Metric::UnemployedHighRisk,
                sa.unemployed_high_risk.value,
                sb.unemployed_high_risk.value,
            ),
        ];
        for (m, va, vb) in stats {
            let difference = match (va, vb) {
                (Some(x), Some(y)) => {
                    let ci = if *q == 0 && m == Metric::Auc {
                        delong.and_then(|d| d.difference.ci)
                    } else if opts.bootstrap > 0 {
                        let v: Vec<f64> = reps[0]
                            .iter()
                            .zip(&reps[1])
                            .map(|(ra, rb)| rb[*q][m as usize] - ra[*q][m as usize])
                            .collect();
                        percentile_interval(&v)
                    } else {
                        None
                    };
                    Some(Estimate { value: y - x, ci })
                }
                _ => None,
            };
            deltas.push(Delta {
                population: population.clone(),
                metric: METRICS[m as usize].to_owned(),
                a: va,
                b: vb,
                difference,
            });
        }
    }
    let (ka, kb) = (a.class_labels.len(), b.class_labels.len());
    let mut counts = vec![vec![0u64; kb]; ka];
    for (x, y) in oa.iter().zip(ob) {
        if let Some(row) = counts.get_mut(usize::from(x.class).saturating_sub(1))
            && let Some(cell) = row.get_mut(usize::from(y.class).saturating_sub(1))
        {
            *cell += 1;
        }
    }
    let row_percent = counts
        .iter()
        .map(|row| {
            let total: u64 = row.iter().sum();
            row.iter()
                .map(|&c| (total > 0).then(|| 100.0 * c as f64 / total as f64))
                .collect()
        })
        .collect();
    Ok(ProfilingComparison {
        a,
        b,
        delong,
        deltas,
        transitions: Transitions {
            counts,
            row_percent,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_cover_the_did_range() {
        assert_eq!(age_band(15), "15-24");
        assert_eq!(age_band(34), "25-34");
        assert_eq!(age_band(49), "35-49");
        assert_eq!(age_band(70), "50+");
    }
}
