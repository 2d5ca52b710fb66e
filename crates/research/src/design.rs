//! The design matrix of a profiling model: one column per coefficient the model file holds.
//!
//! Column 0 is the intercept. A categorical or banded feature gets one 0/1 column per level
//! other than its reference, in the order the levels first appear; a numeric feature gets one
//! column, `x − center`. So `row · coefficients` is exactly the model's linear predictor, and a
//! fitted coefficient vector writes back into the same keys of the model file.

use incrocio_core::error::InputError;
use incrocio_core::reference::Reference;
use incrocio_profiling::{AtDate, Feature, Missing, Person, ProfilingModel, Term, Value, value};

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// `intercept`, `feature=level` or the feature name (numeric).
    pub name: String,
    /// The feature (index in the model), none for the intercept.
    pub feature: Option<usize>,
    /// The level or band, for categorical and banded features.
    pub level: Option<String>,
}

#[derive(Debug, Clone)]
enum Slots {
    /// Column of each domain position (`None`: the reference level).
    Levels(Vec<Option<usize>>),
    /// Column of each band (`None`: the reference band), with the upper bounds.
    Bands(Vec<(Option<f64>, Option<usize>)>),
    /// Column and centre.
    Numeric(usize, f64),
}

/// The design of a model.
#[derive(Debug, Clone)]
pub struct Design {
    columns: Vec<Column>,
    slots: Vec<Slots>,
    /// Per feature, when the model file scores a missing value as a level: that level's
    /// column (`None` inside: the reference, no column). `None`: a missing value is refused.
    missing: Vec<Option<Option<usize>>>,
}

fn level_columns(
    k: usize,
    f: &Feature,
    levels: impl Iterator<Item = String>,
    reference: &str,
    columns: &mut Vec<Column>,
) -> Vec<Option<usize>> {
    levels
        .map(|level| {
            if level == reference {
                return None;
            }
            let name = format!("{}={level}", f.name);
            Some(match columns.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    columns.push(Column {
                        name,
                        feature: Some(k),
                        level: Some(level),
                    });
                    columns.len() - 1
                }
            })
        })
        .collect()
}

impl Design {
    /// The design of `model`.
    pub fn of(model: &ProfilingModel) -> Design {
        let mut columns = vec![Column {
            name: "intercept".into(),
            feature: None,
            level: None,
        }];
        let mut slots = Vec::new();
        for (k, f) in model.features.iter().enumerate() {
            slots.push(match &f.term {
                Term::Categorical {
                    by_domain,
                    reference,
                } => Slots::Levels(level_columns(
                    k,
                    f,
                    by_domain.iter().map(|(l, _)| l.clone()),
                    reference,
                    &mut columns,
                )),
                Term::Banded { bands, reference } => {
                    let cols = level_columns(
                        k,
                        f,
                        bands.iter().map(|b| b.0.clone()),
                        reference,
                        &mut columns,
                    );
                    Slots::Bands(bands.iter().map(|b| b.1).zip(cols).collect())
                }
                Term::Numeric { center, .. } => {
                    columns.push(Column {
                        name: f.name.clone(),
                        feature: Some(k),
                        level: None,
                    });
                    Slots::Numeric(columns.len() - 1, *center)
                }
            });
        }
        let missing = model
            .features
            .iter()
            .map(|f| match &f.missing {
                Missing::Level { level, .. } => {
                    let name = format!("{}={level}", f.name);
                    Some(columns.iter().position(|c| c.name == name))
                }
                Missing::Refuse => None,
            })
            .collect();
        Design {
            columns,
            slots,
            missing,
        }
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The model's own coefficients in column order.
    pub fn coefficients(&self, model: &ProfilingModel) -> Vec<f64> {
        let mut out = vec![0.0; self.columns.len()];
        out[0] = model.intercept;
        for c in self.columns.iter().skip(1) {
            let Some(k) = c.feature else { continue };
            let coef = match (&model.features[k].term, &c.level) {
                (Term::Categorical { by_domain, .. }, Some(l)) => {
                    by_domain.iter().find(|(x, _)| x == l).map_or(0.0, |x| x.1)
                }
                (Term::Banded { bands, .. }, Some(l)) => {
                    bands.iter().find(|b| &b.0 == l).map_or(0.0, |b| b.2)
                }
                (Term::Numeric { coefficient, .. }, None) => *coefficient,
                _ => 0.0,
            };
            if let Some(i) = self.columns.iter().position(|x| x.name == c.name) {
                out[i] = coef;
            }
        }
        out
    }

    /// Writes a person's row at `at` into `out` (length = columns).
    pub fn row(
        &self,
        model: &ProfilingModel,
        p: &Person,
        at: &AtDate,
        reference: &Reference,
        out: &mut [f64],
    ) -> Result<(), InputError> {
        out.fill(0.0);
        out[0] = 1.0;
        for ((f, slots), missing) in model.features.iter().zip(&self.slots).zip(&self.missing) {
            let Some(v) = value(&f.variable, p, at, reference) else {
                // An unanswered variable takes the level the model file names for it.
                match missing {
                    Some(column) => {
                        if let Some(c) = column {
                            out[*c] = 1.0;
                        }
                        continue;
                    }
                    None => {
                        return Err(InputError::new(
                            f.variable.source_field(),
                            incrocio_core::FieldReason::Missing,
                        )
                        .with_record(&p.id));
                    }
                }
            };
            match (slots, v) {
                (Slots::Levels(cols), Value::Level(i)) => {
                    if let Some(Some(c)) = cols.get(usize::from(i)) {
                        out[*c] = 1.0;
                    }
                }
                (Slots::Bands(bands), Value::Number(x)) => {
                    if let Some((_, Some(c))) =
                        bands.iter().find(|(max, _)| max.is_none_or(|m| x <= m))
                    {
                        out[*c] = 1.0;
                    }
                }
                (Slots::Numeric(c, center), Value::Number(x)) => out[*c] = x - center,
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes fitted coefficients into a model file's TOML: `intercept`, each feature's `levels`
    /// (reference levels set to 0) or `coefficient`.
    pub fn write_coefficients(&self, file: &mut toml::Table, beta: &[f64]) {
        file.insert("intercept".into(), toml::Value::Float(beta[0]));
        let Some(toml::Value::Array(features)) = file.get_mut("features") else {
            return;
        };
        for (k, f) in features.iter_mut().enumerate() {
            let Some(f) = f.as_table_mut() else { continue };
            match self.slots.get(k) {
                Some(Slots::Numeric(c, _)) => {
                    f.insert("coefficient".into(), toml::Value::Float(beta[*c]));
                }
                Some(_) => {
                    let mut levels = toml::Table::new();
                    if let Some(toml::Value::Table(old)) = f.get("levels") {
                        for key in old.keys() {
                            levels.insert(key.clone(), toml::Value::Float(0.0));
                        }
                    }
                    for (i, c) in self.columns.iter().enumerate() {
                        if let (Some(fk), Some(l)) = (c.feature, &c.level)
                            && fk == k
                        {
                            levels.insert(l.clone(), toml::Value::Float(beta[i]));
                        }
                    }
                    f.insert("levels".into(), toml::Value::Table(levels));
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incrocio_profiling::{AdrRules, ProfileRecord, Profiler};

    #[test]
    fn row_times_coefficients_is_the_models_linear_predictor() {
        let r = Reference::bundled();
        let model = &ProfilingModel::from_toml(
            "did.v1.toml",
            include_str!("../../../models/profiling/did.v1.toml"),
            r,
        )
        .unwrap();
        let adr = AdrRules::from_toml(
            "adr.v1.toml",
            include_str!("../../../models/adr/delibera-anpal-14-2018.v1.toml"),
        )
        .unwrap();
        let d = Design::of(model);
        // genere 1 + eta 4 + cittadinanza 2 + titolo 3 + durata 3 + condizione 5 + tasso 1 + intercept.
        assert_eq!(d.columns().len(), 20, "{:?}", d.columns());
        let beta = d.coefficients(model);
        let rec: ProfileRecord = serde_json::from_value(serde_json::json!({
            "Id": "P1", "DataNascita": "1970-06-15", "Genere": "F", "Cittadinanza": "000",
            "TitoloDiStudio": "20000000", "ProvinciaDiResidenza": "NA",
            "CondizioneOccupazionaleUnAnnoPrima": "disoccupato", "DataDID": "2025-01-10"
        }))
        .unwrap();
        let as_of = "2026-11-23".parse().unwrap();
        let p = rec.validate(r).unwrap();
        let at = AtDate::derive(&p, as_of).unwrap();
        let mut row = vec![0.0; beta.len()];
        d.row(model, &p, &at, r, &mut row).unwrap();
        let eta: f64 = row.iter().zip(&beta).map(|(x, b)| x * b).sum();
        let profiler = Profiler {
            model,
            adr: &adr,
            reference: r,
        };
        let mut contrib = vec![0.0; model.features.len()];
        let s = profiler.score_into(&p, as_of, &mut contrib).unwrap();
        assert!((eta - s.linear_predictor).abs() < 1e-12);
    }
}
