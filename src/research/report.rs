//! The self-contained HTML report of a profiling evaluation: tables and inline SVG plots
//! (calibration curve, ROC, classes per group), no script, no external resource, so it opens
//! offline in any browser and can be archived with the model release.

use std::fmt::Write;

use super::metrics::{CalibrationBin, RocPoint, Summary};
use super::profiling::{ProfilingComparison, ProfilingEval};

const W: f64 = 320.0;
const H: f64 = 320.0;
const PAD: f64 = 40.0;
const COLORS: [&str; 6] = [
    "#1b6ca8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn opt(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.4}"))
}

fn axes(out: &mut String, title: &str, xl: &str, yl: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title><rect x="{p}" y="{p2}" width="{iw}" height="{ih}" fill="none" stroke="#999"/><text x="{cx}" y="{yb}" text-anchor="middle" font-size="12">{xl}</text><text x="12" y="{cy}" text-anchor="middle" font-size="12" transform="rotate(-90 12 {cy})">{yl}</text><text x="{p}" y="{yt}" font-size="10">0</text><text x="{xr}" y="{yt}" font-size="10" text-anchor="end">1</text><text x="{xt}" y="{p3}" font-size="10" text-anchor="end">1</text>"##,
        w = W + PAD,
        h = H + PAD,
        t = esc(title),
        p = PAD,
        p2 = 10.0,
        iw = W - PAD + 0.0,
        ih = H - PAD,
        cx = PAD + (W - PAD) / 2.0,
        yb = H + 20.0,
        cy = 10.0 + (H - PAD) / 2.0,
        yt = H - PAD + 22.0,
        xr = W,
        xt = PAD - 4.0,
        p3 = 18.0,
        xl = esc(xl),
        yl = esc(yl),
    );
}

/// Maps (0..1, 0..1) to plot coordinates.
fn xy(x: f64, y: f64) -> (f64, f64) {
    (PAD + x * (W - PAD), 10.0 + (1.0 - y) * (H - PAD))
}

fn diagonal(out: &mut String) {
    let (a, b) = (xy(0.0, 0.0), xy(1.0, 1.0));
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#bbb" stroke-dasharray="4 3"/>"##,
        a.0, a.1, b.0, b.1
    );
}

fn polyline(out: &mut String, pts: &[(f64, f64)], color: &str, class: &str) {
    let d: Vec<String> = pts
        .iter()
        .map(|&(x, y)| {
            let (a, b) = xy(x, y);
            format!("{a:.1},{b:.1}")
        })
        .collect();
    let _ = write!(
        out,
        r##"<polyline class="{class}" points="{}" fill="none" stroke="{color}" stroke-width="2"/>"##,
        d.join(" ")
    );
}

/// The calibration plot: mean predicted vs observed rate per decile, one series per model.
pub fn calibration_svg(series: &[(&str, &[CalibrationBin])]) -> String {
    let mut s = String::new();
    axes(
        &mut s,
        "Calibration by decile",
        "mean predicted",
        "observed rate",
    );
    diagonal(&mut s);
    for (i, (name, bins)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = bins
            .iter()
            .map(|b| (b.mean_predicted, b.observed_rate))
            .collect();
        polyline(&mut s, &pts, color, "calibration");
        for &(x, y) in &pts {
            let (a, b) = xy(x, y);
            let _ = write!(
                s,
                r##"<circle cx="{a:.1}" cy="{b:.1}" r="3" fill="{color}"/>"##
            );
        }
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" font-size="11" fill="{color}">{}</text>"##,
            PAD + 6.0,
            24.0 + 14.0 * i as f64,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// The ROC plot, one curve per model.
pub fn roc_svg(series: &[(&str, &[RocPoint], Option<f64>)]) -> String {
    let mut s = String::new();
    axes(&mut s, "ROC", "false positive rate", "true positive rate");
    diagonal(&mut s);
    for (i, (name, pts, auc)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = pts.iter().map(|p| (p.fpr, p.tpr)).collect();
        polyline(&mut s, &pts, color, "roc");
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" font-size="11" fill="{color}">{} (AUC {})</text>"##,
            W - 150.0,
            H - PAD - 8.0 - 14.0 * i as f64,
            esc(name),
            opt(*auc)
        );
    }
    s.push_str("</svg>");
    s
}

/// Stacked bars: the share of each class in each group.
pub fn classes_svg(labels: &[String], groups: &[(String, Vec<f64>)]) -> String {
    let bar_h = 18.0;
    let left = 150.0;
    let width = 300.0;
    let h = 30.0 + bar_h * 1.4 * groups.len() as f64 + 30.0;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{h:.0}" role="img" aria-label="Classes per group"><title>Classes per group</title>"##,
        left + width + 20.0
    );
    for (gi, (name, shares)) in groups.iter().enumerate() {
        let y = 10.0 + bar_h * 1.4 * gi as f64;
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            left - 6.0,
            y + bar_h * 0.75,
            esc(name)
        );
        let mut x = left;
        for (ci, share) in shares.iter().enumerate() {
            let w = share * width;
            let _ = write!(
                s,
                r##"<rect class="class-share" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{bar_h}" fill="{}"><title>{}: {:.1}%</title></rect>"##,
                COLORS[ci % COLORS.len()],
                esc(labels.get(ci).map_or("", String::as_str)),
                share * 100.0
            );
            x += w;
        }
    }
    let ly = 10.0 + bar_h * 1.4 * groups.len() as f64 + 12.0;
    let mut x = left;
    for (ci, l) in labels.iter().enumerate() {
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{ly:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            COLORS[ci % COLORS.len()],
            x + 13.0,
            ly + 9.0,
            esc(l)
        );
        x += 16.0 + 7.0 * l.len() as f64;
    }
    s.push_str("</svg>");
    s
}

fn summary_row(out: &mut String, name: &str, s: &Summary) {
    let _ = write!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td></tr>",
        esc(name),
        s.n,
        s.observed_rate,
        s.mean_predicted,
        opt(s.auc),
        s.brier,
        s.log_loss,
        s.calibration_gap,
        opt(s.high_risk_share_among_employed)
    );
}

const HEAD: &str = "<tr><th>population</th><th>n</th><th>observed rate</th><th>mean predicted</th><th>AUC</th><th>Brier</th><th>log-loss</th><th>calibration gap</th><th>found work, classed high-risk</th></tr>";

fn eval_section(out: &mut String, e: &ProfilingEval) {
    let _ = write!(
        out,
        "<h2>{} <small>({:?}, {})</small></h2>",
        esc(&e.model),
        e.status,
        esc(&e.digest)
    );
    let _ = write!(out, "<table class=\"metrics\">{HEAD}");
    summary_row(out, "everyone", &e.overall);
    for g in &e.groups {
        summary_row(out, &format!("{} = {}", g.dimension, g.group), &g.summary);
    }
    out.push_str("</table>");
    let _ = write!(
        out,
        "<p>High risk = classes {} and above ({}). The last column is the share of people who did find work (outcome 0) that the model classed high-risk: the error Flanders' audit measured by origin.</p>",
        e.high_risk_from,
        esc(&e
            .class_labels
            .iter()
            .skip(usize::from(e.high_risk_from).saturating_sub(1))
            .cloned()
            .collect::<Vec<_>>()
            .join(", "))
    );
    out.push_str("<table class=\"calibration\"><tr><th>decile</th><th>n</th><th>mean predicted</th><th>observed</th></tr>");
    for b in &e.calibration {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td></tr>",
            b.decile, b.n, b.mean_predicted, b.observed_rate
        );
    }
    out.push_str("</table>");
    let mut groups = vec![("everyone".to_owned(), e.overall.class_shares.clone())];
    for g in &e.groups {
        groups.push((
            format!("{} = {}", g.dimension, g.group),
            g.summary.class_shares.clone(),
        ));
    }
    let _ = write!(
        out,
        "<h3>Classes per group</h3>{}",
        classes_svg(&e.class_labels, &groups)
    );
}

/// The report of one evaluation, or of a comparison.
pub fn html(
    evals: &[&ProfilingEval],
    comparison: Option<&ProfilingComparison>,
    data: &str,
) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>incrocio — profiling model evaluation</title><style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.plots{display:flex;gap:2em;flex-wrap:wrap}small{color:#666;font-weight:normal}</style></head><body>",
    );
    let _ = write!(
        out,
        "<h1>Profiling model evaluation</h1><p>Data: {}. Outcome 1 = still unemployed at the horizon. Metrics are computed on these data only; a model status other than <em>official</em> means its coefficients are not an authority's.</p>",
        esc(data)
    );
    let cal: Vec<(&str, &[CalibrationBin])> = evals
        .iter()
        .map(|e| (e.model.as_str(), e.calibration.as_slice()))
        .collect();
    let rocs: Vec<(&str, &[RocPoint], Option<f64>)> = evals
        .iter()
        .map(|e| (e.model.as_str(), e.roc.as_slice(), e.overall.auc))
        .collect();
    let _ = write!(
        out,
        "<div class=\"plots\">{}{}</div>",
        calibration_svg(&cal),
        roc_svg(&rocs)
    );
    for e in evals {
        eval_section(&mut out, e);
    }
    if let Some(c) = comparison {
        let _ = write!(
            out,
            "<h2>Class transitions</h2><p>Rows: class under {}; columns: class under {}.</p><table class=\"transitions\"><tr><th></th>",
            esc(&c.a.model),
            esc(&c.b.model)
        );
        for l in &c.b.class_labels {
            let _ = write!(out, "<th>{}</th>", esc(l));
        }
        out.push_str("</tr>");
        for (i, row) in c.transitions.iter().enumerate() {
            let _ = write!(
                out,
                "<tr><th>{}</th>",
                esc(c.a.class_labels.get(i).map_or("", String::as_str))
            );
            for n in row {
                let _ = write!(out, "<td>{n}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}
