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

use super::design::Design;
use super::glm::{Fit, FitOptions, fit};
use super::metrics::{CalibrationBin, RocPoint, Summary, auc, brier, calibration, roc, summary};
use crate::batch::PeopleTable;
use crate::error::{Error, InputError, ModelError, Result};
use crate::profiling::{AtDate, Person, Profiler, ProfilingModel, Sospensione, Status};
use crate::reference::{GruppoCittadinanza, Reference};

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
    /// AUC of the fitted model on the data it was fitted on.
    pub auc: Option<f64>,
    /// Brier score, same data.
    pub brier: f64,
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

/// Fits the spec's model on labeled people; returns the new model file's text and the report.
pub fn fit_profiling(
    req: &FitRequest<'_>,
    table: &PeopleTable,
    y: &[bool],
    reference: &Reference,
) -> Result<(String, FitReport)> {
    let model = ProfilingModel::from_toml(req.spec_file, req.spec_text, reference)?;
    let design = Design::of(&model);
    let k = design.columns().len();
    let rows = map_people(table, reference, |p| {
        let at = AtDate::derive(p, req.as_of)?;
        let mut row = vec![0.0; k];
        design.row(&model, p, &at, reference, &mut row)?;
        Ok(row)
    })?;
    let x = Array2::from_shape_vec((rows.len(), k), rows.concat())
        .map_err(|e| Error::data(req.spec_file, e))?;
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
    let p: Vec<f64> = x
        .dot(&beta)
        .iter()
        .map(|&e| model.link.inverse(e))
        .collect();
    let id = req.id.clone().unwrap_or_else(|| model.id.clone());
    let report = FitReport {
        model: format!("{id}@v{}", req.version),
        data_digest: req.data_digest.clone(),
        as_of: req.as_of,
        columns: design.columns().iter().map(|c| c.name.clone()).collect(),
        l2: opts.l2,
        auc: auc(&p, y),
        brier: brier(&p, y),
        fit: fitted,
    };
    let text = fitted_file(req, &design, &report, &id)?;
    // The new file must load as a model like any other.
    ProfilingModel::from_toml(&report.model, &text, reference)?;
    Ok((text, report))
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
            classes.from_units(s.index_units),
            s.class,
            person.femmina,
            person.cittadinanza,
            s.at.eta,
        ))
    })?;
    Ok(scored
        .into_iter()
        .zip(y)
        .map(|((p, class, female, citizenship, age), &y)| Observation {
            p,
            class,
            y,
            female,
            citizenship,
            age,
        })
        .collect())
}

/// Metrics of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// `genere`, `cittadinanza` or `eta`.
    pub dimension: String,
    /// The group.
    pub group: String,
    /// Its metrics.
    pub summary: Summary,
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
    /// Everyone.
    pub overall: Summary,
    /// Calibration by decile, everyone.
    pub calibration: Vec<CalibrationBin>,
    /// ROC curve (at most 201 points, evenly taken).
    pub roc: Vec<RocPoint>,
    /// By gender, citizenship and age band.
    pub groups: Vec<GroupReport>,
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

/// Evaluates a model's observations.
pub fn evaluate(profiler: &Profiler<'_>, obs: &[Observation], high_risk_from: u8) -> ProfilingEval {
    let k = profiler.model.classes.labels.len();
    let cut = |o: &[&Observation]| {
        let p: Vec<f64> = o.iter().map(|x| x.p).collect();
        let y: Vec<bool> = o.iter().map(|x| x.y).collect();
        let c: Vec<u8> = o.iter().map(|x| x.class).collect();
        (p, y, c)
    };
    let all: Vec<&Observation> = obs.iter().collect();
    let (p, y, c) = cut(&all);
    let mut groups = Vec::new();
    type Key = fn(&Observation) -> String;
    let dims: [(&str, Key); 3] = [
        ("genere", |o| if o.female { "F" } else { "M" }.to_owned()),
        ("cittadinanza", |o| o.citizenship.as_str().to_owned()),
        ("eta", |o| age_band(o.age).to_owned()),
    ];
    for (dim, key) in dims {
        let mut names: Vec<String> = obs.iter().map(key).collect();
        names.sort();
        names.dedup();
        for g in names {
            let members: Vec<&Observation> = obs.iter().filter(|o| key(o) == g).collect();
            let (gp, gy, gc) = cut(&members);
            groups.push(GroupReport {
                dimension: dim.to_owned(),
                group: g,
                summary: summary(&gp, &gy, &gc, k, high_risk_from),
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
    ProfilingEval {
        model: profiler.model.key(),
        digest: profiler.model.digest.clone(),
        status: profiler.model.status,
        class_labels: profiler.model.classes.labels.clone(),
        high_risk_from,
        overall: summary(&p, &y, &c, k, high_risk_from),
        calibration: calibration(&p, &y),
        roc: curve,
        groups,
    }
}

/// Two models on the same people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilingComparison {
    /// The first model.
    pub a: ProfilingEval,
    /// The second.
    pub b: ProfilingEval,
    /// `transitions[i][j]`: people in class i+1 under A and j+1 under B.
    pub transitions: Vec<Vec<usize>>,
}

/// Compares two models' observations of the same people (same order).
pub fn compare(
    a: ProfilingEval,
    b: ProfilingEval,
    oa: &[Observation],
    ob: &[Observation],
) -> ProfilingComparison {
    let (ka, kb) = (a.class_labels.len(), b.class_labels.len());
    let mut t = vec![vec![0usize; kb]; ka];
    for (x, y) in oa.iter().zip(ob) {
        if let Some(row) = t.get_mut(usize::from(x.class).saturating_sub(1))
            && let Some(cell) = row.get_mut(usize::from(y.class).saturating_sub(1))
        {
            *cell += 1;
        }
    }
    ProfilingComparison {
        a,
        b,
        transitions: t,
    }
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
