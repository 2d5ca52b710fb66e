//! The plain-text report of a profiling evaluation for the terminal: the metrics with their
//! intervals, the flagged disparities, and with two models the Δ table and the class
//! transitions as counts and row percentages.

use std::fmt::Write;

use super::metrics::Summary;
use super::profiling::{ProfilingComparison, ProfilingEval};
use super::report::{num, percent};
use super::stats::{Estimate, Rate};

fn est(e: Option<Estimate>) -> String {
    match e {
        None => "—".into(),
        Some(Estimate { value, ci: None }) => num(value),
        Some(Estimate { value, ci: Some(c) }) => {
            format!("{} [{},{}]", num(value), num(c.low), num(c.high))
        }
    }
}

fn rate(r: &Rate) -> String {
    est(r.value.map(|value| Estimate { value, ci: r.ci }))
}

fn row(out: &mut String, name: &str, s: &Summary) {
    let _ = writeln!(
        out,
        "{:<26} {:>8}  {:<24} {:<24} {:<24}",
        name,
        s.n,
        est(s.auc),
        est(Some(s.brier)),
        rate(&s.found_work_high_risk)
    );
}

/// The report of one or two evaluations.
pub fn terminal_report(
    evals: &[ProfilingEval],
    comparison: Option<&ProfilingComparison>,
) -> String {
    let mut out = String::new();
    if let Some(e) = evals.first() {
        let _ = writeln!(
            out,
            "data {} ({}), {} people, as of {}; 95% intervals ({} bootstrap replicates, seed {}; Wilson for rates)",
            e.data.file,
            e.data.digest,
            e.data.n,
            e.data.as_of,
            e.uncertainty.bootstrap,
            e.uncertainty.seed
        );
    }
    for e in evals {
        let _ = writeln!(out, "\n{} ({:?}, {})", e.model, e.status, e.digest);
        let _ = writeln!(
            out,
            "{:<26} {:>8}  {:<24} {:<24} {:<24}",
            "population", "n", "AUC", "Brier", "found work → high risk"
        );
        row(&mut out, "everyone", &e.overall);
        for g in &e.groups {
            row(
                &mut out,
                &format!("  {} = {}", g.dimension, g.group),
                &g.summary,
            );
        }
        if let Some(o) = &e.overrides {
            let _ = writeln!(
                out,
                "overrides: {} ({} up, {} down; {} of people not in the data)",
                o.total, o.up, o.down, o.unmatched
            );
            for (who, n, up, down) in o.by_operator.iter().chain(&o.by_reason) {
                let _ = writeln!(out, "  {who:<24} {n:>6}  up {up:>5}  down {down:>5}");
            }
            for g in o.by_group.iter().filter(|g| g.rate.k > 0) {
                let _ = writeln!(
                    out,
                    "  {} = {:<18} overridden {}  up {}  down {}",
                    g.dimension,
                    g.group,
                    rate(&g.rate),
                    g.up,
                    g.down
                );
            }
        }
        let flagged: Vec<_> = e
            .disparities
            .iter()
            .filter(|d| !d.flagged.is_empty())
            .collect();
        if flagged.is_empty() {
            let _ = writeln!(
                out,
                "no disparity against a reference group has an interval excluding no difference"
            );
        } else {
            let _ = writeln!(
                out,
                "disparities whose 95% interval excludes no difference (ratio 1, gap 0):"
            );
            for d in flagged {
                let _ = writeln!(
                    out,
                    "  {} = {} vs {}: found-work→high-risk ratio {}, high-risk ratio {}, equal-opportunity gap {}, calibration difference {}  [{}]",
                    d.dimension,
                    d.group,
                    d.reference,
                    est(d.found_work_high_risk_ratio),
                    est(d.high_risk_ratio),
                    est(d.equal_opportunity_gap),
                    est(d.calibration_difference),
                    d.flagged.join(", ")
                );
            }
        }
    }
    if let Some(c) = comparison {
        let _ = writeln!(out, "\nΔ = {} − {} (paired)", c.b.model, c.a.model);
        if let Some(d) = &c.delong {
            let _ = writeln!(
                out,
                "DeLong: ΔAUC {} (SE {:.4}, z {:.3}, p {:.4})",
                est(Some(d.difference)),
                d.se_difference,
                d.z,
                d.p_value
            );
        }
        let _ = writeln!(
            out,
            "{:<26} {:<26} {:>9} {:>9}  Δ [95%]",
            "population", "statistic", "A", "B"
        );
        let opt = |x: Option<f64>| x.map_or("—".into(), num);
        for d in &c.deltas {
            let _ = writeln!(
                out,
                "{:<26} {:<26} {:>9} {:>9}  {}",
                d.population,
                d.metric,
                opt(d.a),
                opt(d.b),
                est(d.difference)
            );
        }
        let _ = writeln!(
            out,
            "\nclass transitions: rows {} (A), columns {} (B); people (row %)",
            c.a.model, c.b.model
        );
        let width =
            c.b.class_labels
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
                .max(16);
        let _ = write!(out, "{:<14}", "A \\ B");
        for l in &c.b.class_labels {
            let _ = write!(out, " {l:>width$}");
        }
        let _ = writeln!(out);
        for (i, (counts, pct)) in c
            .transitions
            .counts
            .iter()
            .zip(&c.transitions.row_percent)
            .enumerate()
        {
            let _ = write!(
                out,
                "{:<14}",
                c.a.class_labels.get(i).map_or("", String::as_str)
            );
            for (n, p) in counts.iter().zip(pct) {
                let cell = format!("{n} ({})", p.map_or("—".into(), percent));
                let _ = write!(out, " {cell:>width$}");
            }
            let _ = writeln!(out);
        }
    }
    out
}
