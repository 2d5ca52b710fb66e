//! The self-contained HTML report of a profiling evaluation: tables with intervals and inline
//! SVG plots (calibration with Wilson bands, ROC, the high-risk error per group, classes per
//! group, the class-transition heatmap). No script, no external resource: it opens offline in
//! any browser, prints, and can be archived with the model release. Every plot has a visible
//! title, labelled axes with ticks, gridlines and a legend.

use std::fmt::Write;

use super::metrics::{CalibrationBin, RocPoint, Summary};
use super::profiling::{Disparity, ProfilingComparison, ProfilingEval};
use super::stats::{Estimate, Interval, Rate};
use incrocio_core::markup::escape as esc;

/// Series colours: model A, model B (Okabe–Ito blue and vermillion, told apart by colour-blind
/// readers), then the rest for classes.
const SERIES: [&str; 2] = ["#0072b2", "#d55e00"];
const CLASSES: [&str; 8] = [
    "#009e73", "#56b4e9", "#e69f00", "#cc79a7", "#0072b2", "#d55e00", "#f0e442", "#999999",
];
const FONT: &str = "font-family=\"system-ui,sans-serif\"";

/// Four decimals; a small non-zero value (|x| < 0.001) in scientific notation so that it does
/// not print as 0.0000.
pub fn num(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 && x.is_finite() {
        format!("{x:.2e}")
    } else {
        format!("{x:.4}")
    }
}

fn ci(i: Option<Interval>) -> String {
    i.map_or(String::new(), |i| {
        format!("<br><small>[{}, {}]</small>", num(i.low), num(i.high))
    })
}

/// A percentage with one decimal; a non-zero share under 0.05% as "<0.1%".
pub fn percent(p: f64) -> String {
    if p > 0.0 && p < 0.05 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

/// Line style of series `i`: solid for the first model, dashed for the second (told apart
/// in grey print too).
fn dash(i: usize) -> &'static str {
    if i == 0 {
        ""
    } else {
        " stroke-dasharray=\"7 4\""
    }
}

fn est(e: Option<Estimate>) -> String {
    e.map_or("—".into(), |e| format!("{}{}", num(e.value), ci(e.ci)))
}

fn rate(r: &Rate) -> String {
    r.value
        .map_or("—".into(), |v| format!("{}{}", num(v), ci(r.ci)))
}

/// A step of 1, 2 or 5 × 10^k giving 4 to 10 ticks over `span`.
fn nice_step(span: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    mag * if f < 1.5 {
        1.0
    } else if f < 3.5 {
        2.0
    } else if f < 7.5 {
        5.0
    } else {
        10.0
    }
}

/// A plot frame: data ranges mapped to an SVG area with a title, axis labels, ticks and grid.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    left: f64,
    top: f64,
    w: f64,
    h: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        self.left + (v - self.x0) / (self.x1 - self.x0) * self.w
    }
    fn y(&self, v: f64) -> f64 {
        self.top + (1.0 - (v - self.y0) / (self.y1 - self.y0)) * self.h
    }

    /// Opens the SVG and draws title, grid, ticks and axis labels.
    fn open(&self, out: &mut String, title: &str, xl: &str, yl: &str, ticks_y: bool) {
        let (width, height) = (self.left + self.w + 20.0, self.top + self.h + 48.0);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{t}" {FONT}><text x="{tx:.1}" y="18" text-anchor="middle" font-size="14" font-weight="600">{t}</text>"##,
            t = esc(title),
            tx = self.left + self.w / 2.0,
        );
        let sx = nice_step(self.x1 - self.x0);
        for v in steps(self.x0, self.x1, sx) {
            let x = self.x(v);
            let _ = write!(
                out,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#e3e3e3"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"##,
                self.top,
                self.top + self.h,
                self.top + self.h + 13.0,
                tick(v, sx)
            );
        }
        if ticks_y {
            let sy = nice_step(self.y1 - self.y0);
            for v in steps(self.y0, self.y1, sy) {
                let y = self.y(v);
                let _ = write!(
                    out,
                    r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">{}</text>"##,
                    self.left,
                    self.left + self.w,
                    self.left - 4.0,
                    y + 3.5,
                    tick(v, sy)
                );
            }
        }
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text>"##,
            self.left,
            self.top,
            self.w,
            self.h,
            self.left + self.w / 2.0,
            self.top + self.h + 30.0,
            esc(xl),
        );
        if !yl.is_empty() {
            let cy = self.top + self.h / 2.0;
            let _ = write!(
                out,
                r##"<text x="14" y="{cy:.1}" text-anchor="middle" font-size="12" transform="rotate(-90 14 {cy:.1})">{}</text>"##,
                esc(yl)
            );
        }
    }
}

/// The multiples of `step` in `[from, to]`, each computed as `k · step` (no accumulated error).
fn steps(from: f64, to: f64, step: f64) -> impl Iterator<Item = f64> {
    let first = (from / step - 1e-9).ceil() as i64;
    let last = (to / step + 1e-9).floor() as i64;
    (first..=last).map(move |k| k as f64 * step)
}

fn tick(v: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

fn legend(out: &mut String, f: &Frame, items: &[(&str, &str)], bottom_right: bool) {
    let width = items
        .iter()
        .map(|(n, _)| 30.0 + 6.2 * n.chars().count() as f64)
        .fold(0.0, f64::max);
    let h = 16.0 * items.len() as f64 + 6.0;
    let (x, y) = if bottom_right {
        (f.left + f.w - width - 6.0, f.top + f.h - h - 6.0)
    } else {
        (f.left + 6.0, f.top + 6.0)
    };
    let _ = write!(
        out,
        r##"<rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{h:.1}" fill="#fff" fill-opacity="0.9" stroke="#bbb"/>"##
    );
    for (i, (name, color)) in items.iter().enumerate() {
        let yy = y + 14.0 + 16.0 * i as f64;
        let style = if i + 1 == items.len() && *color == "#999" {
            " stroke-dasharray=\"4 3\""
        } else {
            dash(i)
        };
        let _ = write!(
            out,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"{style}/><text x="{:.1}" y="{yy:.1}" font-size="11">{}</text>"##,
            x + 4.0,
            yy - 4.0,
            x + 18.0,
            yy - 4.0,
            x + 23.0,
            esc(name)
        );
    }
}

/// A point of series `i`: a circle for the first model, a square for the second.
fn marker(i: usize, x: f64, y: f64, color: &str, title: &str) -> String {
    if i == 0 {
        format!(
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{color}"><title>{}</title></circle>"##,
            esc(title)
        )
    } else {
        format!(
            r##"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="none" stroke="{color}" stroke-width="1.5"><title>{}</title></rect>"##,
            x - 3.5,
            y - 3.5,
            esc(title)
        )
    }
}

fn diagonal(out: &mut String, f: &Frame) {
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="4 3"/>"##,
        f.x(0.0),
        f.y(0.0),
        f.x(1.0),
        f.y(1.0)
    );
}

fn unit_frame() -> Frame {
    Frame {
        x0: 0.0,
        x1: 1.0,
        y0: 0.0,
        y1: 1.0,
        left: 52.0,
        top: 30.0,
        w: 300.0,
        h: 300.0,
    }
}

/// The calibration plot: mean predicted vs observed rate per decile, each decile with its
/// Wilson interval as a whisker and the band between them shaded; one colour per model.
pub fn calibration_svg(series: &[(&str, &[CalibrationBin])]) -> String {
    let f = unit_frame();
    let mut s = String::new();
    f.open(
        &mut s,
        "Calibration by decile (95% Wilson intervals)",
        "mean predicted probability",
        "observed rate (still unemployed)",
        true,
    );
    diagonal(&mut s, &f);
    for (i, (_, bins)) in series.iter().enumerate() {
        let color = SERIES[i % SERIES.len()];
        let lows: Vec<(f64, f64)> = bins
            .iter()
            .filter_map(|b| b.observed.ci.map(|c| (b.mean_predicted, c.low)))
            .collect();
        let highs: Vec<(f64, f64)> = bins
            .iter()
            .filter_map(|b| b.observed.ci.map(|c| (b.mean_predicted, c.high)))
            .collect();
        let band: Vec<String> = highs
            .iter()
            .chain(lows.iter().rev())
            .map(|&(x, y)| format!("{:.1},{:.1}", f.x(x), f.y(y)))
            .collect();
        let _ = write!(
            s,
            r##"<polygon class="band" points="{}" fill="{color}" fill-opacity="0.15" stroke="none"/>"##,
            band.join(" ")
        );
        let line: Vec<String> = bins
            .iter()
            .filter_map(|b| {
                b.observed
                    .value
                    .map(|v| format!("{:.1},{:.1}", f.x(b.mean_predicted), f.y(v)))
            })
            .collect();
        let _ = write!(
            s,
            r##"<polyline class="calibration" points="{}" fill="none" stroke="{color}" stroke-width="2"{}/>"##,
            line.join(" "),
            dash(i)
        );
        for b in bins.iter() {
            let (Some(v), Some(c)) = (b.observed.value, b.observed.ci) else {
                continue;
            };
            let x = f.x(b.mean_predicted);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{color}"/>{}"##,
                f.y(c.low),
                f.y(c.high),
                marker(
                    i,
                    x,
                    f.y(v),
                    color,
                    &format!(
                        "decile {}: n {}, predicted {:.4}, observed {:.4}",
                        b.decile, b.n, b.mean_predicted, v
                    )
                )
            );
        }
    }
    let items: Vec<(&str, &str)> = series
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, SERIES[i % SERIES.len()]))
        .chain(std::iter::once(("perfect calibration", "#999")))
        .collect();
    legend(&mut s, &f, &items, false);
    if let Some((_, bins)) = series.first()
        && let Some(b) = bins.first()
    {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#555">each point: a tenth of the people (n ≈ {})</text>"##,
            f.left,
            f.top + f.h + 44.0,
            b.n
        );
    }
    s.push_str("</svg>");
    s
}

/// The ROC plot, one curve per model, the AUC and its interval in the legend.
pub fn roc_svg(series: &[(&str, &[RocPoint], Option<Estimate>)]) -> String {
    let f = unit_frame();
    let mut s = String::new();
    f.open(
        &mut s,
        "ROC curve",
        "false positive rate (found work, ranked above)",
        "true positive rate",
        true,
    );
    diagonal(&mut s, &f);
    let mut names = Vec::new();
    for (i, (name, pts, auc)) in series.iter().enumerate() {
        let color = SERIES[i % SERIES.len()];
        let d: Vec<String> = pts
            .iter()
            .map(|p| format!("{:.1},{:.1}", f.x(p.fpr), f.y(p.tpr)))
            .collect();
        let _ = write!(
            s,
            r##"<polyline class="roc" points="{}" fill="none" stroke="{color}" stroke-width="2"{}/>"##,
            d.join(" "),
            dash(i)
        );
        let label = match auc {
            Some(e) => match e.ci {
                Some(c) => format!("{name}: AUC {:.3} [{:.3}, {:.3}]", e.value, c.low, c.high),
                None => format!("{name}: AUC {:.3}", e.value),
            },
            None => format!("{name}: AUC —"),
        };
        names.push((label, color));
    }
    let items: Vec<(&str, &str)> = names.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    legend(&mut s, &f, &items, true);
    s.push_str("</svg>");
    s
}

/// A dot-and-whisker plot of one rate per group (one row per group, one dot per model), with
/// each group's n and a dashed line at the reference group's value of the first model.
pub fn rate_by_group_svg(
    title: &str,
    axis: &str,
    rows: &[(String, Vec<&Rate>)],
    models: &[&str],
    reference: &[Option<f64>],
) -> String {
    let max = rows
        .iter()
        .flat_map(|(_, r)| r.iter().filter_map(|x| x.ci.map(|c| c.high)))
        .fold(0.0f64, f64::max);
    let step = nice_step(max.max(0.01));
    let x1 = ((max / step).ceil() * step).max(step);
    let row_h = 12.0 + 8.0 * models.len() as f64;
    let f = Frame {
        x0: 0.0,
        x1,
        y0: 0.0,
        y1: 1.0,
        left: 190.0,
        top: 30.0 + 18.0 * models.len() as f64,
        w: 320.0,
        h: row_h * rows.len() as f64,
    };
    let mut s = String::new();
    f.open(&mut s, title, axis, "", false);
    for (m, name) in models.iter().enumerate() {
        let color = SERIES[m % SERIES.len()];
        let _ = write!(
            s,
            r##"{}<text x="{:.1}" y="{:.1}" font-size="11">{}</text>"##,
            marker(m, f.left + 5.0, 29.0 + 18.0 * m as f64, color, name),
            f.left + 16.0,
            33.0 + 18.0 * m as f64,
            esc(name)
        );
    }
    for (r, (name, rates)) in rows.iter().enumerate() {
        let y0 = f.top + row_h * r as f64;
        let n = rates.first().map_or(0, |x| x.n);
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">{} <tspan fill="#666">(n {n})</tspan></text>"##,
            f.left - 6.0,
            y0 + row_h / 2.0 + 4.0,
            esc(name)
        );
        if let Some(Some(v)) = reference.get(r) {
            let x = f.x(*v);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444" stroke-dasharray="3 2"/>"##,
                y0 + row_h
            );
        }
        for (m, rate) in rates.iter().enumerate() {
            let color = SERIES[m % SERIES.len()];
            let y = y0 + 10.0 + 8.0 * m as f64;
            if let (Some(v), Some(c)) = (rate.value, rate.ci) {
                let _ = write!(
                    s,
                    r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"/>{}"##,
                    f.x(c.low),
                    f.x(c.high),
                    marker(
                        m,
                        f.x(v),
                        y,
                        color,
                        &format!(
                            "{name}: {v:.4} [{:.4}, {:.4}], {} of {}",
                            c.low, c.high, rate.k, rate.n
                        )
                    )
                );
            }
        }
    }
    let _ = write!(
        s,
        r##"<text x="10" y="{:.1}" font-size="10" fill="#555">points: rate; whiskers: 95% Wilson interval; dashed line: the reference group (first model)</text>"##,
        f.top + f.h + 44.0
    );
    s.push_str("</svg>");
    s
}

/// Stacked bars: the share of each class in each group, with a 0–100% axis and a legend.
pub fn classes_svg(labels: &[String], groups: &[(String, Vec<f64>)]) -> String {
    let bar_h = 16.0;
    let f = Frame {
        x0: 0.0,
        x1: 100.0,
        y0: 0.0,
        y1: 1.0,
        left: 170.0,
        top: 48.0,
        w: 320.0,
        h: bar_h * 1.4 * groups.len() as f64,
    };
    let mut s = String::new();
    f.open(
        &mut s,
        "Classes per group",
        "share of the group (%)",
        "",
        false,
    );
    let mut x = f.left;
    for (ci, l) in labels.iter().enumerate() {
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="26" width="10" height="10" fill="{}"/><text x="{:.1}" y="35" font-size="10">{}</text>"##,
            CLASSES[ci % CLASSES.len()],
            x + 13.0,
            esc(l)
        );
        x += 22.0 + 6.0 * l.chars().count() as f64;
    }
    for (gi, (name, shares)) in groups.iter().enumerate() {
        let y = f.top + 2.0 + bar_h * 1.4 * gi as f64;
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            f.left - 6.0,
            y + bar_h * 0.75,
            esc(name)
        );
        let mut x = f.left;
        for (ci, share) in shares.iter().enumerate() {
            let w = share * f.w;
            let _ = write!(
                s,
                r##"<rect class="class-share" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{bar_h}" fill="{}"><title>{}: {:.1}%</title></rect>"##,
                CLASSES[ci % CLASSES.len()],
                esc(labels.get(ci).map_or("", String::as_str)),
                share * 100.0
            );
            if w > 28.0 {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle" fill="#fff">{:.0}%</text>"##,
                    x + w / 2.0,
                    y + bar_h * 0.72,
                    share * 100.0
                );
            }
            x += w;
        }
    }
    s.push_str("</svg>");
    s
}

const HEAD: &str = "<tr><th>population</th><th>n</th><th>observed rate</th><th>mean predicted</th><th>AUC</th><th>Brier</th><th>log-loss</th><th>calibration in the large</th><th>classed high-risk</th><th>found work, classed high-risk</th><th>still unemployed, classed high-risk</th></tr>";

fn summary_row(out: &mut String, name: &str, s: &Summary) {
    let _ = write!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(name),
        s.n,
        rate(&s.observed),
        num(s.mean_predicted),
        est(s.auc),
        est(Some(s.brier)),
        est(Some(s.log_loss)),
        est(Some(s.calibration_in_the_large)),
        rate(&s.high_risk),
        rate(&s.found_work_high_risk),
        rate(&s.unemployed_high_risk),
    );
}

fn disparity_rows(out: &mut String, ds: &[Disparity]) {
    out.push_str("<table class=\"disparities\"><tr><th>group</th><th>reference</th><th>found work, classed high-risk: ratio</th><th>classed high-risk: ratio</th><th>equal-opportunity gap</th><th>calibration difference</th></tr>");
    for d in ds {
        let cell = |name: &str, e: Option<Estimate>| {
            let flag = d.flagged.iter().any(|f| f == name);
            format!(
                "<td{}>{}{}</td>",
                if flag { " class=\"flag\"" } else { "" },
                est(e),
                if flag { " ⚑" } else { "" }
            )
        };
        let _ = write!(
            out,
            "<tr><td>{} = {}</td><td>{}</td>{}{}{}{}</tr>",
            esc(&d.dimension),
            esc(&d.group),
            esc(&d.reference),
            cell("found_work_high_risk_ratio", d.found_work_high_risk_ratio),
            cell("high_risk_ratio", d.high_risk_ratio),
            cell("equal_opportunity_gap", d.equal_opportunity_gap),
            cell("calibration_difference", d.calibration_difference),
        );
    }
    out.push_str("</table>");
}

fn eval_section(out: &mut String, e: &ProfilingEval) {
    let _ = write!(
        out,
        "<h2>{} <small>({:?}, {})</small></h2>",
        esc(&e.model),
        e.status,
        esc(&e.digest)
    );
    let high = e
        .class_labels
        .iter()
        .skip(usize::from(e.high_risk_from).saturating_sub(1))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        out,
        "<p>High risk = classes {} and above ({}). Each cell: estimate [95% interval].</p><table class=\"metrics\">{HEAD}",
        e.high_risk_from,
        esc(&high)
    );
    summary_row(out, "everyone", &e.overall);
    for g in &e.groups {
        summary_row(out, &format!("{} = {}", g.dimension, g.group), &g.summary);
    }
    out.push_str("</table>");
    out.push_str("<h3>Disparities against the reference group</h3><p>Ratios of each group's rate to the reference group's (the largest group unless <code>--reference</code> names one), Katz intervals; the equal-opportunity gap is the difference in the share of still-unemployed people classed high-risk (Newcombe interval); the calibration difference is the group's (observed − predicted) minus the reference's (normal interval). ⚑: the interval excludes no difference (1 for a ratio, 0 for a gap).</p>");
    disparity_rows(out, &e.disparities);
    if e.missing_answers.people.k > 0 {
        out.push_str("<h3>Unanswered questions</h3><p>People profiled with an unanswered question, scored as the model file's <code>missing</code> level instead of refused.</p><table class=\"missing\"><tr><th>group</th><th>with an unanswered question [95% Wilson]</th><th>by feature</th></tr>");
        let everyone = std::iter::once(("everyone".to_owned(), &e.missing_answers));
        let groups = e
            .groups
            .iter()
            .map(|g| (format!("{} = {}", g.dimension, g.group), &g.missing_answers));
        for (name, m) in everyone.chain(groups) {
            let by = m
                .by_feature
                .iter()
                .map(|(f, n)| format!("{f}: {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&name),
                rate(&m.people),
                esc(&by)
            );
        }
        out.push_str("</table>");
    }
    if let Some(o) = &e.overrides {
        let _ = write!(
            out,
            "<h3>Operators' overrides</h3><p>{} people of these data have an override of this model's class in the decision log ({} to a higher class, {} to a lower one; {} more concern people not in the data).</p><table class=\"overrides\"><tr><th>operator / reason</th><th>overrides</th><th>up</th><th>down</th></tr>",
            o.total, o.up, o.down, o.unmatched
        );
        for (who, n, up, down) in o.by_operator.iter().chain(&o.by_reason) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{n}</td><td>{up}</td><td>{down}</td></tr>",
                esc(who)
            );
        }
        out.push_str("</table><table class=\"overrides-by-group\"><tr><th>group</th><th>overridden [95% Wilson]</th><th>up</th><th>down</th></tr>");
        for g in &o.by_group {
            let _ = write!(
                out,
                "<tr><td>{} = {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.dimension),
                esc(&g.group),
                rate(&g.rate),
                g.up,
                g.down
            );
        }
        out.push_str("</table>");
    }
    out.push_str("<table class=\"calibration\"><tr><th>decile</th><th>n</th><th>mean predicted</th><th>observed [95% Wilson]</th></tr>");
    for b in &e.calibration {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            b.decile,
            b.n,
            num(b.mean_predicted),
            rate(&b.observed)
        );
    }
    out.push_str("</table>");
    let mut groups = vec![(
        "everyone".to_owned(),
        e.overall
            .classes
            .iter()
            .map(|r| r.value.unwrap_or(0.0))
            .collect(),
    )];
    for g in &e.groups {
        groups.push((
            format!("{} = {}", g.dimension, g.group),
            g.summary
                .classes
                .iter()
                .map(|r| r.value.unwrap_or(0.0))
                .collect(),
        ));
    }
    let _ = write!(
        out,
        "<div class=\"plots\">{}</div>",
        classes_svg(&e.class_labels, &groups)
    );
}

/// The "found work, classed high-risk" plot of one or two models.
fn found_work_plot(evals: &[&ProfilingEval]) -> String {
    let Some(first) = evals.first() else {
        return String::new();
    };
    let mut rows = vec![(
        "everyone".to_owned(),
        evals
            .iter()
            .map(|e| &e.overall.found_work_high_risk)
            .collect::<Vec<_>>(),
    )];
    let mut reference = vec![None];
    for (i, g) in first.groups.iter().enumerate() {
        rows.push((
            format!("{} = {}", g.dimension, g.group),
            evals
                .iter()
                .filter_map(|e| e.groups.get(i))
                .map(|g| &g.summary.found_work_high_risk)
                .collect(),
        ));
        let reference_group = first
            .disparities
            .iter()
            .find(|d| d.dimension == g.dimension)
            .map(|d| d.reference.as_str());
        reference.push(
            first
                .groups
                .iter()
                .find(|x| x.dimension == g.dimension && Some(x.group.as_str()) == reference_group)
                .and_then(|x| x.summary.found_work_high_risk.value),
        );
    }
    let names: Vec<&str> = evals.iter().map(|e| e.model.as_str()).collect();
    rate_by_group_svg(
        "Found work, yet classed high-risk",
        "share classed high-risk, of those who found work",
        &rows,
        &names,
        &reference,
    )
}

fn comparison_section(out: &mut String, c: &ProfilingComparison) {
    let _ = write!(
        out,
        "<h2>{} against {}</h2>",
        esc(&c.b.model),
        esc(&c.a.model)
    );
    if let Some(d) = &c.delong {
        let _ = write!(
            out,
            "<p>DeLong's test, AUC of {} − AUC of {}: {} {} (SE {}, z = {:.3}, p = {:.4}).</p>",
            esc(&c.b.model),
            esc(&c.a.model),
            num(d.difference.value),
            d.difference.ci.map_or(String::new(), |c| format!(
                "[{}, {}]",
                num(c.low),
                num(c.high)
            )),
            num(d.se_difference),
            d.z,
            d.p_value
        );
    }
    let _ = write!(
        out,
        "<p>Δ = B − A with B = {} and A = {}, paired: both models on the same bootstrap resamples (DeLong for everyone's AUC). Each cell: Δ [95% interval], and below it A → B. A bold Δ has an interval that excludes 0.</p><table class=\"deltas\"><tr><th>population</th>",
        esc(&c.b.model),
        esc(&c.a.model)
    );
    let mut metrics: Vec<&str> = Vec::new();
    for d in &c.deltas {
        if !metrics.contains(&d.metric.as_str()) {
            metrics.push(&d.metric);
        }
    }
    for m in &metrics {
        let _ = write!(out, "<th>{}</th>", esc(&m.replace('_', " ")));
    }
    out.push_str("</tr>");
    let mut populations: Vec<&str> = Vec::new();
    for d in &c.deltas {
        if !populations.contains(&d.population.as_str()) {
            populations.push(&d.population);
        }
    }
    for p in populations {
        let _ = write!(out, "<tr><td>{}</td>", esc(p));
        for m in &metrics {
            match c
                .deltas
                .iter()
                .find(|d| d.population == p && d.metric == *m)
            {
                Some(d) => {
                    let strong = d
                        .difference
                        .and_then(|e| e.ci)
                        .is_some_and(|ci| ci.excludes(0.0));
                    let opt = |x: Option<f64>| x.map_or("—".into(), num);
                    let _ = write!(
                        out,
                        "<td{}>{}<br><small>{} → {}</small></td>",
                        if strong { " class=\"strong\"" } else { "" },
                        est(d.difference),
                        opt(d.a),
                        opt(d.b)
                    );
                }
                None => out.push_str("<td>—</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    let _ = write!(
        out,
        "<h3>Class transitions</h3><p>Rows: class under {} (A); columns: class under {} (B). Each cell: people, and the share of the row; the shade follows the share.</p><table class=\"transitions\"><tr><th>A \\ B</th>",
        esc(&c.a.model),
        esc(&c.b.model)
    );
    for l in &c.b.class_labels {
        let _ = write!(out, "<th>{}</th>", esc(l));
    }
    out.push_str("<th>row total</th></tr>");
    for (i, (row, pct)) in c
        .transitions
        .counts
        .iter()
        .zip(&c.transitions.row_percent)
        .enumerate()
    {
        let _ = write!(
            out,
            "<tr><th>{}</th>",
            esc(c.a.class_labels.get(i).map_or("", String::as_str))
        );
        for (n, p) in row.iter().zip(pct) {
            let share = p.unwrap_or(0.0) / 100.0;
            let _ = write!(
                out,
                "<td style=\"background:rgba(0,114,178,{:.2});color:{}\">{n}<br><small>{}</small></td>",
                share * 0.85,
                if share > 0.55 { "#fff" } else { "#222" },
                p.map_or("—".into(), percent)
            );
        }
        let _ = write!(out, "<td>{}</td></tr>", row.iter().sum::<u64>());
    }
    out.push_str("</table>");
}

/// The report of one evaluation, or of a comparison.
pub fn html(evals: &[&ProfilingEval], comparison: Option<&ProfilingComparison>) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>incrocio — profiling model evaluation</title><style>body{font-family:system-ui,sans-serif;max-width:1180px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;vertical-align:top}td:first-child,th:first-child{text-align:left}.plots{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}small{color:#555;font-weight:normal}.flag{background:#fde3cf}.strong{font-weight:700}.strong small{font-weight:normal}.notice{border-left:4px solid #d55e00;padding:.3em .8em;background:#fff6ef}@media print{body{max-width:none;margin:0}.plots{break-inside:avoid}table{break-inside:auto}tr{break-inside:avoid}}</style></head><body>",
    );
    let Some(first) = evals.first() else {
        out.push_str("</body></html>\n");
        return out;
    };
    let d = &first.data;
    let u = &first.uncertainty;
    let _ = write!(
        out,
        "<h1>Profiling model evaluation</h1><p>Data: <code>{}</code> ({}), {} people, as of {}. Outcome 1 = still unemployed at the model's horizon. Metrics are computed on these data only.</p><p>Intervals: {}% level; {} bootstrap replicates, stratified by outcome, seed {}. ",
        esc(&d.file),
        esc(&d.digest),
        d.n,
        d.as_of,
        u.level * 100.0,
        u.bootstrap,
        u.seed,
    );
    let methods: Vec<String> = u
        .methods
        .iter()
        .map(|(what, how)| format!("{}: {}", esc(what), esc(how)))
        .collect();
    let _ = write!(out, "{}.</p>", methods.join("; "));
    for e in evals {
        if e.status != incrocio_profiling::Status::Official {
            let _ = write!(
                out,
                "<p class=\"notice\">{} has status <em>{:?}</em>: its coefficients are not an authority's. Do not use its index for decisions about people.</p>",
                esc(&e.model),
                e.status
            );
        }
    }
    let cal: Vec<(&str, &[CalibrationBin])> = evals
        .iter()
        .map(|e| (e.model.as_str(), e.calibration.as_slice()))
        .collect();
    let rocs: Vec<(&str, &[RocPoint], Option<Estimate>)> = evals
        .iter()
        .map(|e| (e.model.as_str(), e.roc.as_slice(), e.overall.auc))
        .collect();
    let _ = write!(
        out,
        "<div class=\"plots\">{}{}</div><div class=\"plots\">{}</div>",
        calibration_svg(&cal),
        roc_svg(&rocs),
        found_work_plot(evals)
    );
    if let Some(c) = comparison {
        comparison_section(&mut out, c);
    }
    for e in evals {
        eval_section(&mut out, e);
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_steps() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(nice_step(1.0), 0.2));
        assert!(close(nice_step(0.3), 0.05));
        assert!(close(nice_step(100.0), 20.0));
        let v: Vec<String> = steps(0.0, 1.0, 0.2).map(|v| tick(v, 0.2)).collect();
        assert_eq!(v, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(tick(0.4, 0.2), "0.4");
        assert_eq!(tick(0.05, 0.05), "0.05");
        assert_eq!(tick(40.0, 20.0), "40");
    }
}
