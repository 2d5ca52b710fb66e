//! A territory's demand against its supply (LEP C's "situazione del mercato del lavoro
//! locale"): the open vacancies of the board (demand) against the active candidates of the index
//! (supply), by occupation and by ESCO skill, per province and per region.
//!
//! - **Demand** of an occupation: the vacancies open at the date whose most probable occupation
//!   it is, placed at their workplace's province. Of a skill: the open vacancies whose
//!   competency vector holds it.
//! - **Supply** of an occupation: the active candidates (`stato = attivo`) who name it, placed
//!   at their domicile's province; a candidate names the most probable occupation of each
//!   experience and the occupations declared in the patto, each once. Of a skill: the active
//!   candidates whose competency vector holds it.
//! - **Ratio**: demand / supply, when both are published and the supply is not 0.
//!
//! Counts only, never a person: a count below the skills model's `territory.min_cell` is
//! suppressed (none), and so is a ratio made from one. The scan reads the index's decoded fast
//! fields and vector rows and the board's packed rows, never the stored records.

use chrono::NaiveDate;
use serde::Serialize;

use super::board::VacancyBoard;
use super::index::CandidateIndex;
use super::skills::SkillsModel;
use super::soft::{DECLARED_GROUP, FREE_TEXT_GROUP, decode};
use incrocio_core::cancel::Cancel;
use incrocio_core::error::Result;
use incrocio_core::markup::escape as esc;
use incrocio_core::reference::{ProvinciaIdx, Reference};
use incrocio_taxonomy::Taxonomy;

/// Dense counts per (area, item).
#[derive(Debug, Clone)]
struct Grid {
    items: usize,
    counts: Vec<u32>,
}

impl Grid {
    fn new(areas: usize, items: usize) -> Grid {
        Grid {
            items,
            counts: vec![0; areas * items],
        }
    }

    fn add(&mut self, area: usize, item: usize) {
        if let Some(c) = self.counts.get_mut(area * self.items + item) {
            *c += 1;
        }
    }

    fn get(&self, area: usize, item: usize) -> u32 {
        self.counts
            .get(area * self.items + item)
            .copied()
            .unwrap_or(0)
    }
}

/// Demand and supply of one occupation or skill in one area.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TerritoryRow {
    /// `provincia`, `italia` or `regione`.
    pub level: String,
    /// The province's sigla (`RM`), `IT`, or the region's ISTAT code (`12`).
    pub area: String,
    /// Its name.
    pub area_name: String,
    /// ESCO URI of the occupation or skill.
    pub uri: String,
    /// Its label (occupations Italian, skills English).
    pub label: String,
    /// Open vacancies (none: below `territory.min_cell`, suppressed).
    pub demand: Option<u32>,
    /// Active candidates (none: suppressed).
    pub supply: Option<u32>,
    /// demand / supply (none when either is suppressed or the supply is 0).
    pub ratio: Option<f64>,
}

/// demand / supply where both are published and the supply is not 0: the one ratio of the
/// report (rows, provinces, map), never made from a suppressed count.
fn ratio_of(demand: Option<u32>, supply: Option<u32>) -> Option<f64> {
    match (demand, supply) {
        (Some(d), Some(s)) if s > 0 => Some(f64::from(d) / f64::from(s)),
        _ => None,
    }
}

/// One province's totals.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AreaTotal {
    /// Sigla.
    pub area: String,
    /// Name.
    pub area_name: String,
    /// Open vacancies (none: suppressed).
    pub vacancies: Option<u32>,
    /// Active candidates (none: suppressed).
    pub candidates: Option<u32>,
}

/// A territory's demand against its supply.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TerritoryReport {
    /// The day vacancies are counted open at.
    pub data: NaiveDate,
    /// The index's date and taxonomy digest.
    pub index_as_of: NaiveDate,
    /// `sha256:` of the taxonomy the index was built with.
    pub taxonomy_digest: String,
    /// Skills model `id@vN` (its `territory.min_cell`).
    pub skills_model: String,
    /// `sha256:` of the skills model file.
    pub skills_model_digest: String,
    /// Counts below this are suppressed.
    pub min_cell: u32,
    /// Vacancies open at `data`.
    pub open_vacancies: usize,
    /// Active candidates.
    pub active_candidates: usize,
    /// Candidates whose domicile's point is no comune's centroid (not placed; 0 for an index
    /// built by this engine).
    pub unplaced_candidates: usize,
    /// Whether the operator declared the data synthetic (`--synthetic`).
    pub synthetic: bool,
    /// Per province (by sigla): open vacancies and active candidates (suppressed below
    /// `min_cell`).
    pub provinces: Vec<AreaTotal>,
    /// Rows by occupation: every province, Italy, every region, with any demand or supply.
    pub occupations: Vec<TerritoryRow>,
    /// Rows by skill, likewise.
    pub skills: Vec<TerritoryRow>,
}

/// The two grids of one kind of item (occupations or skills).
#[derive(Debug, Clone)]
struct Counts {
    demand: Grid,
    supply: Grid,
}

/// The counts a report is made from, unsuppressed: per province, of each occupation and skill
/// (a few MB: provinces × (occupations + skills) × 2 counts). What the service keeps between
/// requests; never published as such.
#[derive(Debug, Clone)]
pub struct TerritoryCounts {
    data: NaiveDate,
    index_as_of: NaiveDate,
    open_vacancies: usize,
    active_candidates: usize,
    unplaced_candidates: usize,
    vacancies: Vec<u32>,
    candidates: Vec<u32>,
    occupations: Counts,
    skills: Counts,
}

/// [`territory_counts`], then [`TerritoryCounts::report`] over every area.
#[allow(clippy::too_many_arguments)]
pub fn territory_report(
    index: &CandidateIndex,
    board: &VacancyBoard,
    date: NaiveDate,
    t: &Taxonomy,
    m: &SkillsModel,
    synthetic: bool,
    cancel: &Cancel,
    progress: bool,
) -> Result<TerritoryReport> {
    let counts = territory_counts(index, board, date, t, cancel, progress)?;
    Ok(counts.report(t, m, synthetic, &|_, _| true))
}

/// Counts demand and supply per province over the whole territory; with `progress`, a bar of
/// the candidates scanned.
pub fn territory_counts(
    index: &CandidateIndex,
    board: &VacancyBoard,
    date: NaiveDate,
    t: &Taxonomy,
    cancel: &Cancel,
    progress: bool,
) -> Result<TerritoryCounts> {
    let bar = super::index::job_bar(
        progress,
        index.len()?,
        "counting supply",
        "{human_pos}/{human_len} candidates ({per_sec})",
    );
    let territory = &Reference::bundled().territory;
    let comuni = territory.comuni();
    let province = territory.province();
    let (np, no, ns) = (province.len(), t.occupations.len(), t.skills.len());
    let mut occ = Counts {
        demand: Grid::new(np, no),
        supply: Grid::new(np, no),
    };
    let mut sk = Counts {
        demand: Grid::new(np, ns),
        supply: Grid::new(np, ns),
    };
    let (mut vacancies, mut candidates) = (vec![0u32; np], vec![0u32; np]);
    // Demand: the open vacancies.
    let open_vacancies = board.each_open(date, |comune, occupation, skills| {
        let p = usize::from(comuni[usize::from(comune)].provincia);
        vacancies[p] += 1;
        if let Some(o) = occupation {
            occ.demand.add(p, o as usize);
        }
        for &s in skills {
            sk.demand.add(p, s as usize);
        }
    })?;
    // Supply: the active candidates, placed by their domicile's centroid.
    let mut place: rustc_hash::FxHashMap<(u64, u64), Option<ProvinciaIdx>> =
        rustc_hash::FxHashMap::default();
    for c in comuni {
        // Two comuni on one point would be ambiguous only across provinces.
        let e = place
            .entry((c.lat.to_bits(), c.lon.to_bits()))
            .or_insert(Some(c.provincia));
        if *e != Some(c.provincia) {
            *e = None;
        }
    }
    let soft = index.soft_values();
    let (mut active, mut unplaced, mut seen) = (0usize, 0usize, 0u64);
    let mut named: Vec<u32> = Vec::new();
    let mut best: Vec<(u8, f32, u32)> = Vec::new();
    index.each_candidate(cancel, |facts, skills| {
        seen += 1;
        if seen.is_multiple_of(65_536) {
            bar.set_position(seen);
        }
        if !facts.attivo {
            return;
        }
        active += 1;
        let Some(&Some(p)) = place.get(&(facts.lat.to_bits(), facts.lon.to_bits())) else {
            unplaced += 1;
            return;
        };
        let p = usize::from(p);
        candidates[p] += 1;
        named.clear();
        if soft {
            // The most probable occupation of each experience (the first of equals), and the
            // declared ones.
            best.clear();
            for &v in facts.occupazioni {
                let (o, group, prob) = decode(v);
                if group == DECLARED_GROUP {
                    named.push(o);
                } else if group < FREE_TEXT_GROUP {
                    match best.iter_mut().find(|b| b.0 == group) {
                        Some(b) if prob > b.1 => *b = (group, prob, o),
                        Some(_) => {}
                        None => best.push((group, prob, o)),
                    }
                }
            }
            named.extend(best.iter().map(|b| b.2));
        } else {
            named.extend(
                facts
                    .occupazioni
                    .iter()
                    .map(|&v| (v & u64::from(u32::MAX)) as u32),
            );
        }
        named.sort_unstable();
        named.dedup();
        for &o in &named {
            occ.supply.add(p, o as usize);
        }
        for &s in skills {
            sk.supply.add(p, s as usize);
        }
    })?;
    bar.finish_and_clear();
    cancel.check()?;
    Ok(TerritoryCounts {
        data: date,
        index_as_of: index.as_of(),
        open_vacancies,
        active_candidates: active,
        unplaced_candidates: unplaced,
        vacancies,
        candidates,
        occupations: occ,
        skills: sk,
    })
}

impl TerritoryCounts {
    /// The report under `m`'s suppression threshold, with the rows of the areas `keep`
    /// accepts (`keep(level, area)`: `provincia` and a sigla, `italia` and `IT`, `regione`
    /// and a code).
    pub fn report(
        &self,
        t: &Taxonomy,
        m: &SkillsModel,
        synthetic: bool,
        keep: &dyn Fn(&str, &str) -> bool,
    ) -> TerritoryReport {
        let province = Reference::bundled().territory.province();
        let min = m.territory.min_cell;
        let label_o = |o: usize| {
            let x = &t.occupations[o];
            (x.uri(), x.label().to_owned())
        };
        let label_s = |s: usize| {
            let x = &t.skills[s];
            (x.uri(), x.label_en.clone())
        };
        let mut order: Vec<usize> = (0..province.len()).collect();
        order.sort_by(|&a, &b| province[a].sigla.cmp(&province[b].sigla));
        let provinces = order
            .iter()
            .map(|&p| AreaTotal {
                area: province[p].sigla.clone(),
                area_name: province[p].nome.clone(),
                vacancies: (self.vacancies[p] >= min).then_some(self.vacancies[p]),
                candidates: (self.candidates[p] >= min).then_some(self.candidates[p]),
            })
            .collect();
        TerritoryReport {
            data: self.data,
            index_as_of: self.index_as_of,
            taxonomy_digest: t.digest.clone(),
            skills_model: m.key(),
            skills_model_digest: m.digest.clone(),
            min_cell: min,
            open_vacancies: self.open_vacancies,
            active_candidates: self.active_candidates,
            unplaced_candidates: self.unplaced_candidates,
            synthetic,
            provinces,
            occupations: rows(&self.occupations, t.occupations.len(), min, &label_o, keep),
            skills: rows(&self.skills, t.skills.len(), min, &label_s, keep),
        }
    }
}

/// The rows of one kind: each province (by sigla), then Italy, then each region (by code),
/// every item with any demand or supply there, by item id.
fn rows(
    c: &Counts,
    items: usize,
    min: u32,
    label: &dyn Fn(usize) -> (String, String),
    keep: &dyn Fn(&str, &str) -> bool,
) -> Vec<TerritoryRow> {
    let territory = &Reference::bundled().territory;
    let province = territory.province();
    let mut order: Vec<usize> = (0..province.len()).collect();
    order.sort_by(|&a, &b| province[a].sigla.cmp(&province[b].sigla));
    let mut regions: Vec<&str> = province.iter().map(|p| p.codice_regione.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let publish = |n: u32| (n >= min).then_some(n);
    let row = |level: &str, area: &str, name: &str, item: usize, d: u32, s: u32| {
        let (uri, label) = label(item);
        let (demand, supply) = (publish(d), publish(s));
        TerritoryRow {
            level: level.into(),
            area: area.into(),
            area_name: name.into(),
            uri,
            label,
            demand,
            supply,
            ratio: ratio_of(demand, supply),
        }
    };
    let mut out = Vec::new();
    for &p in order
        .iter()
        .filter(|&&p| keep("provincia", &province[p].sigla))
    {
        let pr = &province[p];
        for item in 0..items {
            let (d, s) = (c.demand.get(p, item), c.supply.get(p, item));
            if d > 0 || s > 0 {
                out.push(row("provincia", &pr.sigla, &pr.nome, item, d, s));
            }
        }
    }
    if keep("italia", "IT") {
        let all: Vec<usize> = (0..province.len()).collect();
        for item in 0..items {
            let d: u32 = all.iter().map(|&p| c.demand.get(p, item)).sum();
            let s: u32 = all.iter().map(|&p| c.supply.get(p, item)).sum();
            if d > 0 || s > 0 {
                out.push(row("italia", "IT", "Italia", item, d, s));
            }
        }
    }
    for code in regions.into_iter().filter(|c| keep("regione", c)) {
        let members: Vec<usize> = (0..province.len())
            .filter(|&p| province[p].codice_regione == code)
            .collect();
        let name = territory.regione_nome(code).unwrap_or(code);
        for item in 0..items {
            let d: u32 = members.iter().map(|&p| c.demand.get(p, item)).sum();
            let s: u32 = members.iter().map(|&p| c.supply.get(p, item)).sum();
            if d > 0 || s > 0 {
                out.push(row("regione", code, name, item, d, s));
            }
        }
    }
    out
}

/// An area's view of a report: its rows, the shortage and surplus occupations and the most
/// demanded skills least supplied. A ratio is ranked only where both counts are published;
/// demand whose supply is not published (fewer than `min_cell` candidates, or none) is listed
/// apart, by demand, so that no suppressed count can be read back from a ratio.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AreaView {
    /// `provincia` or `regione`.
    pub level: String,
    /// Sigla or region code.
    pub area: String,
    /// Name.
    pub area_name: String,
    /// Occupations with a published ratio, most demand per candidate first (at most 20).
    pub shortage: Vec<TerritoryRow>,
    /// Occupations with published demand and no published supply, most demand first (at most
    /// 20).
    pub scarce: Vec<TerritoryRow>,
    /// Occupations with published supply, least demand per candidate first (no published
    /// demand counts as 0; at most 20).
    pub surplus: Vec<TerritoryRow>,
    /// Skills with a published ratio, most demand per candidate first (at most 20).
    pub skills_short: Vec<TerritoryRow>,
    /// Skills with published demand and no published supply, most demand first (at most 20).
    pub skills_scarce: Vec<TerritoryRow>,
}

impl TerritoryReport {
    /// The view of one area (`level` `provincia` with a sigla, or `regione` with a code).
    pub fn area(&self, level: &str, area: &str) -> AreaView {
        let mine = |rows: &[TerritoryRow]| -> Vec<TerritoryRow> {
            rows.iter()
                .filter(|r| r.level == level && r.area == area)
                .cloned()
                .collect()
        };
        let (occ, sk) = (mine(&self.occupations), mine(&self.skills));
        // Ties: more demand, then more supply, then the item's URI.
        let ties = |a: &TerritoryRow, b: &TerritoryRow| {
            b.demand
                .cmp(&a.demand)
                .then_with(|| b.supply.cmp(&a.supply))
                .then_with(|| a.uri.cmp(&b.uri))
        };
        let ranked = |rows: &[TerritoryRow], most: bool| {
            let mut v: Vec<TerritoryRow> = rows
                .iter()
                .filter(|r| {
                    if most {
                        r.ratio.is_some()
                    } else {
                        r.supply.is_some()
                    }
                })
                .cloned()
                .collect();
            let pressure = |r: &TerritoryRow| r.ratio.unwrap_or(0.0);
            v.sort_by(|a, b| {
                let (x, y) = (pressure(a), pressure(b));
                let o = if most {
                    y.total_cmp(&x)
                } else {
                    x.total_cmp(&y)
                };
                o.then_with(|| ties(a, b))
            });
            v.truncate(20);
            v
        };
        let scarce = |rows: &[TerritoryRow]| {
            let mut v: Vec<TerritoryRow> = rows
                .iter()
                .filter(|r| r.demand.is_some() && r.ratio.is_none())
                .cloned()
                .collect();
            v.sort_by(ties);
            v.truncate(20);
            v
        };
        let name = occ
            .first()
            .or(sk.first())
            .map_or_else(String::new, |r| r.area_name.clone());
        AreaView {
            level: level.into(),
            area: area.into(),
            area_name: name,
            shortage: ranked(&occ, true),
            scarce: scarce(&occ),
            surplus: ranked(&occ, false),
            skills_short: ranked(&sk, true),
            skills_scarce: scarce(&sk),
        }
    }
}

/// A published count, or `n.p.` (non pubblicato) where it is suppressed.
fn shown(n: Option<u32>) -> String {
    n.map_or_else(|| "n.p.".to_owned(), |v| v.to_string())
}

/// A ranked bar chart (inline SVG) of `rows` by `value`, labelled: the name in a column of
/// its own, the bar, and the note after it, all within the chart's width.
fn bars(title: &str, rows: &[(String, f64, String)]) -> String {
    if rows.is_empty() {
        return format!("<h3>{}</h3><p>Nessuna riga pubblicabile.</p>", esc(title));
    }
    let top = rows.iter().map(|r| r.1).fold(0.0f64, f64::max);
    let h = 18;
    let mut out = format!(
        "<h3>{}</h3><svg role=\"img\" aria-label=\"{}\" width=\"900\" height=\"{}\" font-size=\"12\">",
        esc(title),
        esc(title),
        rows.len() * h + 4
    );
    for (k, (label, v, note)) in rows.iter().enumerate() {
        let y = k * h;
        let w = if top > 0.0 {
            (v / top * 280.0).round().max(1.0)
        } else {
            1.0
        };
        let mut name: String = label.chars().take(56).collect();
        if label.chars().count() > 56 {
            name.push('…');
        }
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}<title>{}</title></text><rect x=\"390\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#4a7ab5\"></rect><text x=\"{}\" y=\"{}\">{}</text>",
            y + 13,
            esc(&name),
            esc(label),
            y + 3,
            h - 5,
            395.0 + w,
            y + 13,
            esc(note)
        ));
    }
    out.push_str("</svg>");
    out
}

impl TerritoryReport {
    /// A self-contained HTML report (inline SVG, no script, no external resource): Italy's
    /// shortage and surplus occupations and its most demanded skills least supplied as ranked
    /// bars, and a map of the provinces (their comuni's mean centroid) shaded by open vacancies
    /// per active candidate.
    pub fn to_html(&self) -> String {
        let mut out = String::from(
            "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>Domanda e offerta di competenze</title><style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}.synthetic{border:3px solid #d55e00;padding:.5em;font-weight:700}@media print{body{max-width:none;margin:0}}</style></head><body><h1>Domanda e offerta di lavoro per professione e competenza</h1>",
        );
        if self.synthetic {
            out.push_str("<p class=\"synthetic\">DATI SINTETICI: generati per prova, non descrivono persone né offerte reali.</p>");
        }
        out.push_str(&format!(
            "<p>Offerte aperte al {}: {}; candidati attivi (indice al {}): {}. Conteggi inferiori a {} non pubblicati. Modello {} ({}); tassonomia {}.</p>",
            self.data,
            self.open_vacancies,
            self.index_as_of,
            self.active_candidates,
            self.min_cell,
            esc(&self.skills_model),
            esc(&self.skills_model_digest),
            esc(&self.taxonomy_digest)
        ));
        let it = self.area("italia", "IT");
        let show = |r: &TerritoryRow| {
            format!(
                "{} offerte / {} candidati",
                shown(r.demand),
                shown(r.supply)
            )
        };
        // Ratios only where both counts are published; where the supply is not (fewer than
        // min_cell candidates), a chart of its own by demand, so that no bar mixes the two
        // scales and no suppressed count can be read back from a ratio.
        let ratio_rows = |rows: &[TerritoryRow]| -> Vec<(String, f64, String)> {
            rows.iter()
                .filter_map(|r| {
                    let ratio = r.ratio?;
                    Some((r.label.clone(), ratio, format!("{ratio:.2} ({})", show(r))))
                })
                .collect()
        };
        let scarce_rows = |rows: &[TerritoryRow]| -> Vec<(String, f64, String)> {
            rows.iter()
                .filter_map(|r| {
                    let d = r.demand?;
                    Some((r.label.clone(), f64::from(d), show(r)))
                })
                .collect()
        };
        out.push_str("<h2>Italia</h2>");
        out.push_str(&bars(
            "Professioni con più offerte per candidato",
            &ratio_rows(&it.shortage),
        ));
        out.push_str(&bars(
            &format!(
                "Professioni richieste con meno di {} candidati (offerte)",
                self.min_cell
            ),
            &scarce_rows(&it.scarce),
        ));
        let surplus: Vec<(String, f64, String)> = it
            .surplus
            .iter()
            .map(|r| (r.label.clone(), f64::from(r.supply.unwrap_or(0)), show(r)))
            .collect();
        out.push_str(&bars(
            "Professioni con meno offerte per candidato (candidati)",
            &surplus,
        ));
        out.push_str(&bars(
            "Competenze più richieste e meno offerte (offerte per candidato)",
            &ratio_rows(&it.skills_short),
        ));
        out.push_str(&bars(
            &format!(
                "Competenze richieste che meno di {} candidati dichiarano (offerte)",
                self.min_cell
            ),
            &scarce_rows(&it.skills_scarce),
        ));
        // The map: each province at its comuni's mean centroid.
        let territory = &Reference::bundled().territory;
        let mut at: std::collections::BTreeMap<&str, (f64, f64, f64)> = Default::default();
        for c in territory.comuni() {
            let e = at
                .entry(
                    territory.province()[usize::from(c.provincia)]
                        .sigla
                        .as_str(),
                )
                .or_default();
            *e = (e.0 + c.lat, e.1 + c.lon, e.2 + 1.0);
        }
        let (w, h) = (560.0, 640.0);
        let (lat0, lat1, lon0, lon1) = (35.4, 47.2, 6.5, 18.6);
        // Shaded from the lowest published ratio (light) to the highest (dark), with the scale.
        let ratio = |p: &AreaTotal| ratio_of(p.vacancies, p.candidates);
        let (lo, hi) = self
            .provinces
            .iter()
            .filter_map(ratio)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), r| {
                (a.min(r), b.max(r))
            });
        let level = |r: f64| if hi > lo { (r - lo) / (hi - lo) } else { 0.5 };
        let shade = |r: f64| {
            let g = (225.0 - 175.0 * level(r)).round();
            format!("rgb({g},{g},255)")
        };
        out.push_str(&format!("<h2>Offerte aperte per candidato attivo, per provincia</h2><svg role=\"img\" aria-label=\"mappa delle province\" width=\"{w}\" height=\"{h}\" font-size=\"9\">"));
        if lo <= hi {
            out.push_str(&format!(
                "<g font-size=\"12\"><text x=\"{x}\" y=\"20\">offerte per candidato</text><rect x=\"{x}\" y=\"28\" width=\"16\" height=\"12\" fill=\"{}\" stroke=\"#555\"></rect><text x=\"{}\" y=\"39\">{lo:.2} (minimo)</text><rect x=\"{x}\" y=\"46\" width=\"16\" height=\"12\" fill=\"{}\" stroke=\"#555\"></rect><text x=\"{}\" y=\"57\">{hi:.2} (massimo)</text><rect x=\"{x}\" y=\"64\" width=\"16\" height=\"12\" fill=\"#ddd\" stroke=\"#555\"></rect><text x=\"{}\" y=\"75\">n.p.</text></g>",
                shade(lo),
                w - 130.0,
                shade(hi),
                w - 130.0,
                w - 130.0,
                x = w - 150.0,
            ));
        }
        for p in &self.provinces {
            let Some(&(la, lo, n)) = at.get(p.area.as_str()) else {
                continue;
            };
            let (x, y) = (
                (lo / n - lon0) / (lon1 - lon0) * w,
                (lat1 - la / n) / (lat1 - lat0) * h,
            );
            let (fill, note, ink) = match ratio(p) {
                Some(r) => (
                    shade(r),
                    format!("{r:.2}"),
                    if level(r) > 0.6 { "#fff" } else { "#000" },
                ),
                None => ("#ddd".to_owned(), "n.p.".to_owned(), "#000"),
            };
            out.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\" fill=\"{fill}\" stroke=\"#555\"><title>{} ({}): {note}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                esc(&p.area_name),
                esc(&p.area),
                x,
                y + 3.0,
                esc(&p.area)
            ));
        }
        out.push_str("</svg><h2>Province</h2><table><tr><th>Provincia</th><th>Offerte aperte</th><th>Candidati attivi</th><th>Offerte per candidato</th></tr>");
        for p in &self.provinces {
            let r = ratio(p).map_or_else(|| "n.p.".to_owned(), |r| format!("{r:.2}"));
            out.push_str(&format!(
                "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{r}</td></tr>",
                esc(&p.area_name),
                esc(&p.area),
                shown(p.vacancies),
                shown(p.candidates)
            ));
        }
        out.push_str("</table><p><small>n.p.: non pubblicato (meno di ");
        out.push_str(&self.min_cell.to_string());
        out.push_str(" casi). Le righe per provincia, regione e Italia sono nei file Parquet accanto a questo.</small></p></body></html>\n");
        out
    }
}
