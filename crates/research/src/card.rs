//! The model card of a profiling model: what the EU AI Act asks the provider of a high-risk
//! system to document (art. 11 and Annex IV, technical documentation; art. 13, information to
//! deployers), generated from the model file, the catalog's versions of the model and an
//! evaluation. Never written by hand: every figure comes from the evaluation it is built from.

use std::fmt::Write;

use serde::Serialize;

use super::profiling::{DataInfo, Disparity, ProfilingEval, Uncertainty};
use super::report::num;
use super::stats::{Estimate, Rate};
use incrocio_profiling::{ProfilingModel, Status};

/// One version of the model in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    /// `id@vN`.
    pub model: String,
    /// `sha256:` of the file.
    pub digest: String,
    /// Official, illustrative or fitted.
    pub status: Status,
    /// Where its coefficients come from.
    pub source: String,
}

/// A group's headline figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// `everyone` or `dimension = group`.
    pub population: String,
    /// People.
    pub n: usize,
    /// Observed outcome rate.
    pub observed: Rate,
    /// AUC.
    pub auc: Option<Estimate>,
    /// Brier score.
    pub brier: Estimate,
    /// Observed − predicted.
    pub calibration_in_the_large: Estimate,
    /// Share classed high-risk.
    pub high_risk: Rate,
    /// Found work, classed high-risk.
    pub found_work_high_risk: Rate,
}

/// The model card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelCard {
    /// What generated it.
    pub generated_by: String,
    /// `id@vN`.
    pub model: String,
    /// Title.
    pub title: String,
    /// `sha256:` of the model file.
    pub digest: String,
    /// Official, illustrative or fitted.
    pub status: Status,
    /// Intended purpose.
    pub intended_purpose: Vec<String>,
    /// Uses it is not meant for.
    pub not_intended_for: Vec<String>,
    /// The legal basis of the use and of this documentation.
    pub legal_basis: Vec<String>,
    /// The outcome the index is the probability of, and its horizon.
    pub target: String,
    /// Link, terms and classes.
    pub specification: Vec<String>,
    /// The evaluation data.
    pub data: DataInfo,
    /// How the intervals were computed.
    pub uncertainty: Uncertainty,
    /// Everyone, then each group.
    pub metrics: Vec<GroupFigures>,
    /// Each group against its reference group.
    pub disparities: Vec<Disparity>,
    /// What the figures do not show, and known limits.
    pub limitations: Vec<String>,
    /// Every version of this model id in the catalog, and this file's source.
    pub lineage: Vec<Version>,
}

fn figures(population: String, s: &super::metrics::Summary) -> GroupFigures {
    GroupFigures {
        population,
        n: s.n,
        observed: s.observed,
        auc: s.auc,
        brier: s.brier,
        calibration_in_the_large: s.calibration_in_the_large,
        high_risk: s.high_risk,
        found_work_high_risk: s.found_work_high_risk,
    }
}

impl ModelCard {
    /// The card of `model`, with the catalog versions of its id and an evaluation of it.
    pub fn new(model: &ProfilingModel, versions: &[&ProfilingModel], eval: &ProfilingEval) -> Self {
        let mut metrics = vec![figures("everyone".into(), &eval.overall)];
        metrics.extend(
            eval.groups
                .iter()
                .map(|g| figures(format!("{} = {}", g.dimension, g.group), &g.summary)),
        );
        let mut lineage: Vec<Version> = versions
            .iter()
            .map(|m| Version {
                model: m.key(),
                digest: m.digest.clone(),
                status: m.status,
                source: m.source.clone(),
            })
            .collect();
        if !lineage.iter().any(|v| v.digest == model.digest) {
            lineage.push(Version {
                model: model.key(),
                digest: model.digest.clone(),
                status: model.status,
                source: model.source.clone(),
            });
        }
        lineage.sort_by(|a, b| a.model.cmp(&b.model));
        let labels = &model.classes.labels;
        let high: Vec<&str> = labels
            .iter()
            .skip(usize::from(eval.high_risk_from).saturating_sub(1))
            .map(String::as_str)
            .collect();
        let mut specification = vec![
            format!("link: {:?}; intercept {}", model.link, model.intercept),
            format!(
                "terms: {}",
                model
                    .features
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "classes ({:?}, {}): {} (index rounded to {} decimals); high risk in this card = {}",
                model.classes.status,
                model.classes.source,
                labels.join(" / "),
                model.classes.decimals,
                high.join(", ")
            ),
        ];
        if let Some(n) = &model.notes {
            specification.push(format!("notes: {n}"));
        }
        let mut limitations = Vec::new();
        match model.status {
            Status::Illustrative => limitations.push(
                "The coefficients are ILLUSTRATIVE: made up to exercise the mechanics, not an authority's. The index must not be used for decisions about people.".into(),
            ),
            Status::Fitted => limitations.push(format!(
                "The coefficients were estimated by incrocio on the data named in the source ({}); they are not an authority's model.",
                model.source
            )),
            Status::Official => {}
        }
        limitations.push(format!(
            "The figures hold for the evaluation data only ({} people as of {}); another population, period or labour market may differ. If the outcomes were drawn by `incrocio synth outcomes` from a known model, the figures show that the tools compute correctly, not that the model is good for real people.",
            eval.data.n, eval.data.as_of
        ));
        for o in &model.omitted {
            limitations.push(format!("Left out: {} — {}.", o.variable, o.reason));
        }
        limitations.push(
            "Intervals are 95% for each figure on its own; with many groups some will exclude no difference by chance (no multiple-comparison adjustment). A flagged disparity is a reason to look, not a finding of discrimination; an unflagged one is not proof of its absence when the group is small.".into(),
        );
        limitations.push(
            "The class is an input to a counsellor's assessment, not a decision: ANPAL's design pairs it with a qualitative assessment, and the Austrian VwGH (Ro 2021/04/0010, 21.12.2023) held that a counsellor having the last word does not by itself take such a score outside art. 22 GDPR.".into(),
        );
        ModelCard {
            generated_by: format!(
                "incrocio {} `eval profiling --card`",
                env!("CARGO_PKG_VERSION")
            ),
            model: model.key(),
            title: model.title.clone(),
            digest: model.digest.clone(),
            status: model.status,
            intended_purpose: vec![
                "Quantitative profiling of people who declare their immediate availability for work (DID) at a Centro per l'impiego: the probability of the target outcome, its class, and each variable's contribution.".into(),
                "The class informs the patto di servizio personalizzato and the assegno di ricollocazione; a counsellor reviews it with the person, may override it with a recorded reason, and the person may contest it.".into(),
            ],
            not_intended_for: vec![
                "Deciding access to a benefit or a service without a counsellor's assessment.".into(),
                "Ranking candidates for a vacancy (that is the matching model) or any use outside public employment services.".into(),
                "People or periods unlike the evaluation data, without a new evaluation.".into(),
            ],
            legal_basis: vec![
                "Art. 19 D.Lgs. 150/2015 (stato di disoccupazione, DID, profilazione) and art. 20 (patto di servizio personalizzato); art. 23 (assegno di ricollocazione).".into(),
                "DM 4/2018, Allegato B: the LEP of the public employment services (profiling under LEP B).".into(),
                "Regulation (EU) 2024/1689 (AI Act), Annex III points 4 and 5: a high-risk use; arts. 11 and 13 and Annex IV: the documentation this card supplies in part.".into(),
                "Regulation (EU) 2016/679 (GDPR), arts. 13–15 and 22: information, access and the right to contest automated decisions.".into(),
            ],
            target: format!(
                "{} (horizon {} months)",
                model.target, model.horizon_months
            ),
            specification,
            data: eval.data.clone(),
            uncertainty: eval.uncertainty.clone(),
            metrics,
            disparities: eval.disparities.clone(),
            limitations,
            lineage,
        }
    }

    /// The card as Markdown.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let e = |x: Option<Estimate>| match x {
            None => "—".to_owned(),
            Some(Estimate { value, ci: None }) => num(value),
            Some(Estimate { value, ci: Some(c) }) => {
                format!("{} [{}, {}]", num(value), num(c.low), num(c.high))
            }
        };
        let r = |x: &Rate| e(x.value.map(|value| Estimate { value, ci: x.ci }));
        let _ = writeln!(o, "# Model card: {} — {}\n", self.model, self.title);
        let _ = writeln!(
            o,
            "Generated by {} from the model file ({}) and the evaluation below. Status: **{:?}**.\n",
            self.generated_by, self.digest, self.status
        );
        let list = |o: &mut String, title: &str, items: &[String]| {
            let _ = writeln!(o, "## {title}\n");
            for i in items {
                let _ = writeln!(o, "- {i}");
            }
            let _ = writeln!(o);
        };
        list(&mut o, "Intended purpose", &self.intended_purpose);
        list(&mut o, "Not intended for", &self.not_intended_for);
        list(&mut o, "Legal basis", &self.legal_basis);
        let _ = writeln!(o, "## Model\n\n- target: {}", self.target);
        for s in &self.specification {
            let _ = writeln!(o, "- {s}");
        }
        let d = &self.data;
        let _ = writeln!(
            o,
            "\n## Evaluation data\n\n- file: `{}`\n- digest: `{}`\n- people: {}\n- as of: {}\n- intervals: {}% ({} bootstrap replicates, stratified by outcome, seed {}); {}\n",
            d.file,
            d.digest,
            d.n,
            d.as_of,
            self.uncertainty.level * 100.0,
            self.uncertainty.bootstrap,
            self.uncertainty.seed,
            self.uncertainty
                .methods
                .iter()
                .map(|(a, b)| format!("{a}: {b}"))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let _ = writeln!(
            o,
            "## Metrics, overall and by group\n\n| population | n | observed rate | AUC | Brier | calibration in the large | classed high-risk | found work, classed high-risk |\n|---|---:|---|---|---|---|---|---|"
        );
        for m in &self.metrics {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                m.population,
                m.n,
                r(&m.observed),
                e(m.auc),
                e(Some(m.brier)),
                e(Some(m.calibration_in_the_large)),
                r(&m.high_risk),
                r(&m.found_work_high_risk)
            );
        }
        let _ = writeln!(
            o,
            "\n## Disparities against the reference group\n\nFlagged (⚑) when the interval excludes no difference.\n\n| group | reference | found work, high-risk: ratio | high-risk: ratio | equal-opportunity gap | calibration difference |\n|---|---|---|---|---|---|"
        );
        for x in &self.disparities {
            let f = |name: &str, v: Option<Estimate>| {
                format!(
                    "{}{}",
                    e(v),
                    if x.flagged.iter().any(|f| f == name) {
                        " ⚑"
                    } else {
                        ""
                    }
                )
            };
            let _ = writeln!(
                o,
                "| {} = {} | {} | {} | {} | {} | {} |",
                x.dimension,
                x.group,
                x.reference,
                f("found_work_high_risk_ratio", x.found_work_high_risk_ratio),
                f("high_risk_ratio", x.high_risk_ratio),
                f("equal_opportunity_gap", x.equal_opportunity_gap),
                f("calibration_difference", x.calibration_difference)
            );
        }
        let _ = writeln!(o);
        list(&mut o, "Known limitations", &self.limitations);
        let _ = writeln!(
            o,
            "## Version lineage\n\n| version | status | digest | source |\n|---|---|---|---|"
        );
        for v in &self.lineage {
            let _ = writeln!(
                o,
                "| {}{} | {:?} | `{}` | {} |",
                v.model,
                if v.digest == self.digest {
                    " (this card)"
                } else {
                    ""
                },
                v.status,
                v.digest,
                v.source
            );
        }
        o
    }
}
