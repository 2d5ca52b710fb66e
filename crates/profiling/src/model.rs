//! Profiling models as data: a generalized linear model over named features, read from
//! `models/profiling/*.toml`, validated and compiled for fast scoring.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::features::{Value, Variable, parse_variable};
use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::ModelError;
use incrocio_core::reference::Reference;
use incrocio_core::status::Status;

/// The link function of the GLM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    /// p = 1 / (1 + e^-η).
    Logit,
    /// p = Φ(η), the standard normal CDF.
    Probit,
}

impl Link {
    /// The probability for a linear predictor.
    pub fn inverse(self, eta: f64) -> f64 {
        match self {
            Link::Logit => 1.0 / (1.0 + (-eta).exp()),
            Link::Probit => 0.5 * libm::erfc(-eta / std::f64::consts::SQRT_2),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    id: String,
    version: u32,
    title: String,
    status: Status,
    link: Link,
    horizon_months: u32,
    target: String,
    source: String,
    #[serde(default)]
    notes: Option<String>,
    intercept: f64,
    classes: ClassesFile,
    #[serde(default)]
    features: Vec<FeatureFile>,
    #[serde(default)]
    omitted: Vec<Omitted>,
    #[serde(default)]
    fit: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassesFile {
    status: Status,
    source: String,
    decimals: u32,
    cutoffs: Vec<f64>,
    labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Categorical,
    Banded,
    Numeric,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureFile {
    name: String,
    variable: String,
    kind: Kind,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    levels: BTreeMap<String, f64>,
    #[serde(default)]
    map: BTreeMap<String, String>,
    #[serde(default)]
    bands: Vec<Band>,
    #[serde(default)]
    coefficient: Option<f64>,
    #[serde(default)]
    center: Option<f64>,
    /// What an unanswered variable means: `"refuse"` (the default) or one of the feature's
    /// levels or bands.
    #[serde(default)]
    missing: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Band {
    label: String,
    #[serde(default)]
    max: Option<f64>,
}

/// A variable the model's authority uses but this model file leaves out, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Omitted {
    /// The variable, in the authority's words.
    pub variable: String,
    /// Why it is left out.
    pub reason: String,
}

/// Class cut-offs of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// Whether the cut-offs are official.
    pub status: Status,
    /// The act that publishes them.
    pub source: String,
    /// Decimals the index is rounded to before classing (the published tables use 6).
    pub decimals: u32,
    /// Upper bounds (inclusive) of every class but the last, in units of 10^-decimals.
    pub cutoffs: Vec<i64>,
    /// Class labels, one more than the cut-offs; class codes are 1-based positions.
    pub labels: Vec<String>,
}

impl Classes {
    /// The 1-based class of an index already rounded to `decimals` (as integer units).
    pub fn class_of(&self, units: i64) -> u8 {
        (self.cutoffs.iter().take_while(|c| units > **c).count() + 1) as u8
    }

    /// The label of a 1-based class.
    pub fn label(&self, class: u8) -> &str {
        &self.labels[usize::from(class) - 1]
    }

    /// Rounds a probability to the class decimals (half away from zero), as integer units.
    pub fn units(&self, p: f64) -> i64 {
        (p * 10f64.powi(self.decimals as i32)).round() as i64
    }

    /// Integer units back to a probability.
    pub fn from_units(&self, units: i64) -> f64 {
        units as f64 / 10f64.powi(self.decimals as i32)
    }
}

/// How a feature turns a variable's value into a contribution to the linear predictor.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A coefficient per level; `by_domain[i]` is the (level, coefficient) of domain value `i`.
    Categorical {
        /// Level and coefficient for each domain position.
        by_domain: Vec<(String, f64)>,
        /// The reference level (coefficient 0).
        reference: String,
    },
    /// A numeric variable cut into bands with a coefficient each.
    Banded {
        /// (label, inclusive upper bound or none for the last, coefficient).
        bands: Vec<(String, Option<f64>, f64)>,
        /// The reference band (coefficient 0).
        reference: String,
    },
    /// β × (x − center).
    Numeric {
        /// β.
        coefficient: f64,
        /// The centre subtracted first.
        center: f64,
    },
}

/// What a feature does when its variable has no value (a DID answer sent `xsi:nil`, an
/// empty column): stated in the model file, never assumed.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// The record is refused, naming the field (the default).
    Refuse,
    /// The feature scores as this level (or band), and the answer says so.
    Level {
        /// The level or band label.
        level: String,
        /// Its coefficient.
        contribution: f64,
    },
}

/// One term of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The name outputs use.
    pub name: String,
    /// The variable it reads.
    pub variable: Variable,
    /// How it scores.
    pub term: Term,
    /// What a missing value means.
    pub missing: Missing,
}

impl Feature {
    /// The contribution of a value and, for categorical and banded terms, the level it fell in.
    pub fn contribution(&self, value: Value) -> (f64, Option<&str>) {
        match (&self.term, value) {
            (Term::Categorical { by_domain, .. }, Value::Level(i)) => {
                let (level, c) = &by_domain[usize::from(i)];
                (*c, Some(level.as_str()))
            }
            (Term::Banded { bands, .. }, Value::Number(x)) => {
                let band = bands.iter().find(|(_, max, _)| max.is_none_or(|m| x <= m));
                // Validation guarantees the last band is open-ended.
                band.map_or((0.0, None), |(l, _, c)| (*c, Some(l.as_str())))
            }
            (
                Term::Numeric {
                    coefficient,
                    center,
                },
                Value::Number(x),
            ) => (coefficient * (x - center), None),
            // Validation pairs categorical terms with categorical variables only.
            _ => (0.0, None),
        }
    }
}

/// A validated, compiled profiling model.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfilingModel {
    /// Stable id (e.g. `did`).
    pub id: String,
    /// Version; a released version never changes.
    pub version: u32,
    /// Human title.
    pub title: String,
    /// Official, illustrative or fitted.
    pub status: Status,
    /// Logit or probit.
    pub link: Link,
    /// Outcome horizon in months.
    pub horizon_months: u32,
    /// What the index is the probability of.
    pub target: String,
    /// Where the coefficients come from.
    pub source: String,
    /// Free notes.
    pub notes: Option<String>,
    /// The intercept.
    pub intercept: f64,
    /// Class cut-offs.
    pub classes: Classes,
    /// The terms, in file order.
    pub features: Vec<Feature>,
    /// Variables the authority uses that this file leaves out.
    pub omitted: Vec<Omitted>,
    /// `sha256:` of the file.
    pub digest: String,
    /// Where it was loaded from.
    pub file: String,
}

/// The most features a profiling model may have: [`crate::Score::missing`] marks the
/// unanswered ones in a `u64`.
pub const MAX_FEATURES: usize = 64;

impl ProfilingModel {
    /// The names of the features set in a [`crate::Score::missing`] mask, comma-separated, in
    /// model order; `None` for an empty mask.
    pub fn missing_names(&self, mask: u64) -> Option<String> {
        (mask != 0).then(|| {
            self.features
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, f)| f.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    /// Parses and validates a model file; errors name the file and the key.
    pub fn from_toml(file: &str, text: &str, reference: &Reference) -> Result<Self, ModelError> {
        let raw: ModelFile = toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        let classes = compile_classes(file, &raw.classes)?;
        if raw.features.len() > MAX_FEATURES {
            return Err(ModelError::new(
                file,
                "features",
                format!(
                    "{} features: at most {MAX_FEATURES} (a score marks its unanswered features in one 64-bit set)",
                    raw.features.len()
                ),
            ));
        }
        let mut features = Vec::with_capacity(raw.features.len());
        for (i, f) in raw.features.iter().enumerate() {
            let key = format!("features[{i}]");
            if raw.features[..i].iter().any(|g| g.name == f.name) {
                return Err(ModelError::new(
                    file,
                    format!("{key}.name"),
                    format!("duplicate feature `{}`", f.name),
                ));
            }
            features.push(compile_feature(file, &key, f, reference)?);
        }
        let _ = raw.fit;
        Ok(ProfilingModel {
            id: raw.id,
            version: raw.version,
            title: raw.title,
            status: raw.status,
            link: raw.link,
            horizon_months: raw.horizon_months,
            target: raw.target,
            source: raw.source,
            notes: raw.notes,
            intercept: raw.intercept,
            classes,
            features,
            omitted: raw.omitted,
            digest: sha256_tagged(text.as_bytes()),
            file: file.to_owned(),
        })
    }

    /// `id@vN`.
    pub fn key(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }
}

fn compile_classes(file: &str, c: &ClassesFile) -> Result<Classes, ModelError> {
    let err = |key: &str, reason: String| ModelError::new(file, format!("classes.{key}"), reason);
    if !(1..=9).contains(&c.decimals) {
        return Err(err("decimals", format!("{} is outside 1..=9", c.decimals)));
    }
    let scale = 10f64.powi(c.decimals as i32);
    let mut cutoffs = Vec::with_capacity(c.cutoffs.len());
    for (i, &x) in c.cutoffs.iter().enumerate() {
        let units = (x * scale).round();
        if (x * scale - units).abs() > 1e-6 {
            return Err(err(
                &format!("cutoffs[{i}]"),
                format!("{x} has more than {} decimals", c.decimals),
            ));
        }
        if !(x > 0.0 && x < 1.0) {
            return Err(err(
                &format!("cutoffs[{i}]"),
                format!("{x} is not strictly between 0 and 1"),
            ));
        }
        let units = units as i64;
        if cutoffs.last().is_some_and(|prev| units <= *prev) {
            return Err(err(
                &format!("cutoffs[{i}]"),
                "cut-offs are not increasing".into(),
            ));
        }
        cutoffs.push(units);
    }
    if c.labels.len() != cutoffs.len() + 1 {
        return Err(err(
            "labels",
            format!(
                "{} labels for {} cut-offs (need one more label than cut-offs)",
                c.labels.len(),
                cutoffs.len()
            ),
        ));
    }
    Ok(Classes {
        status: c.status,
        source: c.source.clone(),
        decimals: c.decimals,
        cutoffs,
        labels: c.labels.clone(),
    })
}

fn compile_feature(
    file: &str,
    key: &str,
    f: &FeatureFile,
    reference: &Reference,
) -> Result<Feature, ModelError> {
    let err = |k: &str, reason: String| ModelError::new(file, format!("{key}.{k}"), reason);
    let variable = parse_variable(file, &format!("{key}.variable"), &f.variable, reference)?;
    let domain = variable.domain(reference);
    let term = match (f.kind, domain) {
        (Kind::Categorical, Some(domain)) => {
            let reference_level = check_reference(f, &err)?;
            let mut by_domain = Vec::with_capacity(domain.len());
            for value in &domain {
                let level = f.map.get(value).unwrap_or(value);
                let c = f.levels.get(level).ok_or_else(|| {
                    err(
                        "levels",
                        format!(
                            "value `{value}` of `{}` has no level (add it to `levels` or `map`)",
                            f.variable
                        ),
                    )
                })?;
                by_domain.push((level.clone(), *c));
            }
            if let Some(bad) = f.map.keys().find(|k| !domain.contains(k)) {
                return Err(err(
                    "map",
                    format!(
                        "`{bad}` is not a value of `{}` (values: {domain:?})",
                        f.variable
                    ),
                ));
            }
            Term::Categorical {
                by_domain,
                reference: reference_level,
            }
        }
        (Kind::Categorical, None) => {
            return Err(err(
                "kind",
                format!(
                    "`{}` is numeric: use kind = \"banded\" or \"numeric\"",
                    f.variable
                ),
            ));
        }
        (Kind::Banded | Kind::Numeric, Some(_)) => {
            return Err(err(
                "kind",
                format!(
                    "`{}` is categorical: use kind = \"categorical\"",
                    f.variable
                ),
            ));
        }
        (Kind::Banded, None) => compile_bands(f, &err)?,
        (Kind::Numeric, None) => Term::Numeric {
            coefficient: f
                .coefficient
                .ok_or_else(|| err("coefficient", "missing".into()))?,
            center: f.center.unwrap_or(0.0),
        },
    };
    let missing = match f.missing.as_deref() {
        None | Some("refuse") => Missing::Refuse,
        Some(level) => {
            let found = match &term {
                Term::Categorical { by_domain, .. } => by_domain
                    .iter()
                    .find(|(l, _)| l == level)
                    .map(|(_, c)| *c)
                    .or_else(|| (level == f.reference.as_deref().unwrap_or("")).then_some(0.0)),
                Term::Banded { bands, .. } => {
                    bands.iter().find(|(l, ..)| l == level).map(|(.., c)| *c)
                }
                Term::Numeric { .. } => None,
            };
            let contribution = found.ok_or_else(|| {
                err(
                    "missing",
                    format!("`{level}` is neither \"refuse\" nor a level or band of the feature"),
                )
            })?;
            Missing::Level {
                level: level.to_owned(),
                contribution,
            }
        }
    };
    Ok(Feature {
        name: f.name.clone(),
        variable,
        term,
        missing,
    })
}

fn check_reference(
    f: &FeatureFile,
    err: &dyn Fn(&str, String) -> ModelError,
) -> Result<String, ModelError> {
    let r = f
        .reference
        .clone()
        .ok_or_else(|| err("reference", "missing reference level".into()))?;
    match f.levels.get(&r) {
        None => Err(err(
            "reference",
            format!("reference level `{r}` is not among the levels"),
        )),
        Some(c) if *c != 0.0 => Err(err(
            "reference",
            format!("reference level `{r}` must have coefficient 0, not {c}"),
        )),
        Some(_) => Ok(r),
    }
}

fn compile_bands(
    f: &FeatureFile,
    err: &dyn Fn(&str, String) -> ModelError,
) -> Result<Term, ModelError> {
    let reference = check_reference(f, err)?;
    if f.bands.is_empty() {
        return Err(err("bands", "no bands".into()));
    }
    let mut bands = Vec::with_capacity(f.bands.len());
    let mut prev: Option<f64> = None;
    for (i, b) in f.bands.iter().enumerate() {
        let last = i + 1 == f.bands.len();
        match (b.max, last) {
            (None, false) => {
                return Err(err(
                    &format!("bands[{i}].max"),
                    "only the last band may be open".into(),
                ));
            }
            (Some(_), true) => {
                return Err(err(
                    &format!("bands[{i}].max"),
                    "the last band must be open (no max)".into(),
                ));
            }
            (Some(m), false) if prev.is_some_and(|p| m <= p) => {
                return Err(err(
                    &format!("bands[{i}].max"),
                    "band bounds are not increasing".into(),
                ));
            }
            _ => {}
        }
        prev = b.max.or(prev);
        let c = f
            .levels
            .get(&b.label)
            .ok_or_else(|| err("levels", format!("band `{}` has no coefficient", b.label)))?;
        bands.push((b.label.clone(), b.max, *c));
    }
    if let Some(extra) = f
        .levels
        .keys()
        .find(|l| !bands.iter().any(|(b, _, _)| b == *l))
    {
        return Err(err("levels", format!("level `{extra}` is not a band")));
    }
    Ok(Term::Banded { bands, reference })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
id = "t"
version = 1
title = "test"
status = "illustrative"
link = "logit"
horizon_months = 12
target = "x"
source = "test"
intercept = 0.0
[classes]
status = "official"
source = "DD 10/2015"
decimals = 6
cutoffs = [0.25, 0.5, 0.75]
labels = ["1", "2", "3", "4"]
[[features]]
name = "genere"
variable = "genere"
kind = "categorical"
reference = "M"
levels = { M = 0.0, F = 0.1 }
"#;

    fn load(text: &str) -> Result<ProfilingModel, ModelError> {
        ProfilingModel::from_toml("t.toml", text, Reference::bundled())
    }

    #[test]
    fn minimal_model_loads() {
        let m = load(MINIMAL).unwrap();
        assert_eq!(m.classes.cutoffs, vec![250_000, 500_000, 750_000]);
    }

    #[test]
    fn unknown_variable_names_file_and_key() {
        let e = load(&MINIMAL.replace("variable = \"genere\"", "variable = \"stipendio\""))
            .unwrap_err();
        assert_eq!(e.file, "t.toml");
        assert_eq!(e.key, "features[0].variable");
        assert!(e.reason.contains("stipendio"));
    }

    #[test]
    fn missing_reference_level_is_rejected() {
        let e = load(&MINIMAL.replace("reference = \"M\"", "reference = \"X\"")).unwrap_err();
        assert_eq!(e.key, "features[0].reference");
        let e = load(&MINIMAL.replace("M = 0.0", "M = 0.2")).unwrap_err();
        assert_eq!(e.key, "features[0].reference");
    }

    #[test]
    fn cutoffs_must_increase() {
        let e = load(&MINIMAL.replace("[0.25, 0.5, 0.75]", "[0.25, 0.75, 0.5]")).unwrap_err();
        assert_eq!(e.key, "classes.cutoffs[2]");
        let e = load(&MINIMAL.replace("[0.25, 0.5, 0.75]", "[0.2500001, 0.5, 0.75]")).unwrap_err();
        assert_eq!(e.key, "classes.cutoffs[0]");
    }

    #[test]
    fn unmapped_domain_value_is_rejected() {
        let e = load(&MINIMAL.replace("levels = { M = 0.0, F = 0.1 }", "levels = { M = 0.0 }"))
            .unwrap_err();
        assert!(e.reason.contains("`F`"), "{e}");
    }

    #[test]
    fn unknown_key_is_rejected_with_line() {
        let e = load(&MINIMAL.replace("horizon_months = 12", "horizon_months = 12\nhorizon = 3"))
            .unwrap_err();
        assert!(e.reason.contains("horizon"), "{e}");
    }

    #[test]
    fn probit_and_logit_inverse() {
        assert!((Link::Logit.inverse(0.0) - 0.5).abs() < 1e-15);
        assert!((Link::Probit.inverse(1.959963984540054) - 0.975).abs() < 1e-12);
        assert!((Link::Logit.inverse(1.0) - 0.7310585786300049).abs() < 1e-15);
    }
}
