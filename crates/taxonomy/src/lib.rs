//! The occupation and skill taxonomy matching works on: ESCO occupations (Italian and English
//! labels), ESCO skills (English labels only: no Italian skill labels are available), ESCO's
//! occupation → essential/optional skill relations, ISTAT CP2011 unità professionali with their
//! voci, and incrocio's CP2011 → ESCO occupation linkage.
//!
//! The tables are written by `data/prepare_taxonomy.py` from `../shared/data`, compiled into the
//! binary and parsed once ([`Taxonomy::bundled`]). Ids are row numbers of those tables: stable for
//! a given data release, never exposed as public identifiers (the ESCO UUID and CP2011 code are).

#![forbid(unsafe_code)]

use std::sync::OnceLock;

pub mod clean;
pub mod ngrams;
pub mod titles;

use rustc_hash::FxHashMap as HashMap;

use incrocio_core::error::ModelError;

/// Row number of an ESCO occupation in `data/esco/occupations.tsv`.
pub type OccupationId = u32;
/// Row number of an ESCO skill in `data/esco/skills.tsv`.
pub type SkillId = u32;

/// An ESCO occupation.
#[derive(Debug, Clone)]
pub struct Occupation {
    /// ESCO concept UUID (the last segment of its URI).
    pub uuid: String,
    /// ISCO-08 unit group (4 digits, as text: `0110`).
    pub isco: String,
    /// ESCO code (`2654.1.7`).
    pub code: String,
    /// Italian preferred label (ESCO 1.0.8; empty for the 68 occupations added later).
    pub label_it: String,
    /// Italian alternative labels.
    pub alt_it: Vec<String>,
    /// English preferred label.
    pub label_en: String,
    /// English alternative labels.
    pub alt_en: Vec<String>,
}

impl Occupation {
    /// The full ESCO URI.
    pub fn uri(&self) -> String {
        format!("http://data.europa.eu/esco/occupation/{}", self.uuid)
    }

    /// The Italian label when there is one, else the English one.
    pub fn label(&self) -> &str {
        if self.label_it.is_empty() {
            &self.label_en
        } else {
            &self.label_it
        }
    }
}

/// Whether a skill is a skill/competence or knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkillKind {
    /// `skill/competence`.
    Skill,
    /// `knowledge`.
    Knowledge,
}

/// An ESCO skill.
#[derive(Debug, Clone)]
pub struct Skill {
    /// ESCO concept UUID.
    pub uuid: String,
    /// Skill or knowledge.
    pub kind: SkillKind,
    /// ESCO reuse level (`transversal`, `cross-sector`, `sector-specific`, `occupation-specific`).
    pub reuse: String,
    /// English preferred label.
    pub label_en: String,
}

impl Skill {
    /// The full ESCO URI.
    pub fn uri(&self) -> String {
        format!("http://data.europa.eu/esco/skill/{}", self.uuid)
    }
}

/// One suggested CP2011 → ESCO link (`data/cp2011/esco_link.tsv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cp2011Link {
    /// The ESCO occupation.
    pub occupation: OccupationId,
    /// The lexical similarity score of the link (see `data/README.md`).
    pub score: f32,
}

/// A CP2011 unità professionale (5-level code).
#[derive(Debug, Clone)]
pub struct Cp2011Unit {
    /// Code, e.g. `2.1.1.4.1`.
    pub code: String,
    /// Name (upper case, as ISTAT writes it).
    pub name: String,
    /// Voci professionali (example job titles).
    pub voci: Vec<String>,
    /// Linked ESCO occupations, best first (empty when the linkage found none).
    pub esco: Vec<Cp2011Link>,
}

/// All taxonomy tables.
#[derive(Debug)]
pub struct Taxonomy {
    /// ESCO occupations, by [`OccupationId`].
    pub occupations: Vec<Occupation>,
    /// ESCO skills, by [`SkillId`].
    pub skills: Vec<Skill>,
    /// CP2011 unità professionali.
    pub cp2011: Vec<Cp2011Unit>,
    occupation_by_uuid: HashMap<String, OccupationId>,
    skill_by_uuid: HashMap<String, SkillId>,
    cp2011_by_code: HashMap<String, u32>,
    /// CSR over occupations: `relations[rel_start[o]..rel_start[o + 1]]`.
    rel_start: Vec<u32>,
    relations: Vec<(SkillId, bool)>,
    /// Normalised label (Italian and English, preferred and alternative; CP2011 voci through the
    /// linkage) → occupations.
    by_label: HashMap<String, Vec<OccupationId>>,
    /// `sha256:` over the six tables: what an index records it was built with.
    pub digest: String,
    titles: OnceLock<titles::TitleIndex>,
    /// The character n-gram index of the labels (built on first use).
    ngrams: OnceLock<ngrams::NgramIndex>,
    /// Occupations by ISCO-08 minor group (3 digits), built on first use.
    minor_groups: OnceLock<HashMap<String, Vec<OccupationId>>>,
    /// Soft resolutions already made, by parameters and title.
    distributions: std::sync::Mutex<HashMap<DistributionKey, HashMap<String, Distribution>>>,
    /// Fuzzy resolutions already made, by threshold (its bits) and title: CVs repeat titles.
    resolved: std::sync::Mutex<HashMap<u64, HashMap<String, Option<OccupationId>>>>,
}

/// A title's occupations with their probabilities, most probable first (sums to 1, or to less
/// when [`ngrams::SoftTitles::min_probability`] leaves some out; or empty).
pub type Distribution = std::sync::Arc<[(OccupationId, f32)]>;

/// What a remembered distribution was resolved with: [`ngrams::SoftTitles::key`] and the
/// effort's `df`.
type DistributionKey = (u64, u64, u64, u64, bool, usize);

/// Distinct titles whose fuzzy resolution is remembered (then the memory starts again).
const RESOLVED_CACHE: usize = 200_000;

/// The taxonomy's name and version, recorded with its digest by every index.
pub const VERSION: &str =
    "ESCO 1.1.1 (IT labels 1.0.8) + ISTAT CP2011 + incrocio CP2011→ESCO link v1";

/// The abbreviations job titles use (`data/titoli/abbreviazioni.tsv`).
pub const ABBREVIATIONS: &str = include_str!("../../../data/titoli/abbreviazioni.tsv");

impl Taxonomy {
    /// The tables bundled from `data/`, parsed on first use.
    pub fn bundled() -> &'static Taxonomy {
        static BUNDLED: OnceLock<Taxonomy> = OnceLock::new();
        BUNDLED.get_or_init(Taxonomy::parse_bundled)
    }

    /// A new copy of the bundled tables, with title indexes of its own
    /// ([`Taxonomy::with_title_indexes`]): what a development set with held-out labels runs on.
    pub fn parse_bundled() -> Taxonomy {
        // Bundled files are part of the build and covered by tests: a parse failure is a
        // build defect, not an input error.
        Taxonomy::parse(
            include_str!("../../../data/esco/occupations.tsv"),
            include_str!("../../../data/esco/skills.tsv"),
            include_str!("../../../data/esco/occupation_skills.tsv"),
            include_str!("../../../data/cp2011/unita.tsv"),
            include_str!("../../../data/cp2011/voci.tsv"),
            include_str!("../../../data/cp2011/esco_link.tsv"),
        )
        .unwrap_or_else(|e| panic!("bundled taxonomy: {e}"))
    }

    /// This taxonomy resolving titles with these indexes instead of those of every label (a
    /// development set's, built without its held-out labels), and without the exact labels
    /// `held_out` names (normalised, [`normalize_label`]).
    pub fn with_title_indexes(
        self,
        words: titles::TitleIndex,
        grams: ngrams::NgramIndex,
        held_out: &dyn Fn(&str) -> bool,
    ) -> Taxonomy {
        let mut by_label = self.by_label;
        by_label.retain(|k, _| !held_out(k));
        Taxonomy {
            by_label,
            titles: OnceLock::from(words),
            ngrams: OnceLock::from(grams),
            ..self
        }
    }

    /// Parses the six tables (TSV with a header row, as written by `data/prepare_taxonomy.py`).
    pub fn parse(
        occupations: &str,
        skills: &str,
        occupation_skills: &str,
        units: &str,
        voci: &str,
        links: &str,
    ) -> Result<Taxonomy, ModelError> {
        let digest = {
            let mut all = Vec::new();
            for t in [occupations, skills, occupation_skills, units, voci, links] {
                all.extend_from_slice(&(t.len() as u64).to_le_bytes());
                all.extend_from_slice(t.as_bytes());
            }
            incrocio_core::digest::sha256_tagged(&all)
        };
        let occupations: Vec<Occupation> = tsv("esco/occupations.tsv", occupations, 8)?
            .into_iter()
            .map(|r| Occupation {
                uuid: r[1].to_owned(),
                isco: r[2].to_owned(),
                code: r[3].to_owned(),
                label_it: r[4].to_owned(),
                alt_it: split_alt(&r[5]),
                label_en: r[6].to_owned(),
                alt_en: split_alt(&r[7]),
            })
            .collect();
        let skills: Vec<Skill> = tsv("esco/skills.tsv", skills, 5)?
            .into_iter()
            .map(|r| Skill {
                uuid: r[1].to_owned(),
                kind: if &r[2] == "k" {
                    SkillKind::Knowledge
                } else {
                    SkillKind::Skill
                },
                reuse: r[3].to_owned(),
                label_en: r[4].to_owned(),
            })
            .collect();
        let mut rel: Vec<(u32, SkillId, bool)> = Vec::new();
        for (row, r) in tsv("esco/occupation_skills.tsv", occupation_skills, 3)?
            .into_iter()
            .enumerate()
        {
            let bad = || {
                ModelError::new(
                    "esco/occupation_skills.tsv",
                    format!("row {}", row + 2),
                    "bad occupation or skill id",
                )
            };
            let o: u32 = r[0].parse().map_err(|_| bad())?;
            let s: u32 = r[1].parse().map_err(|_| bad())?;
            if o as usize >= occupations.len() || s as usize >= skills.len() {
                return Err(bad());
            }
            rel.push((o, s, &r[2] == "1"));
        }
        rel.sort_unstable();
        let mut rel_start = vec![0u32; occupations.len() + 1];
        for &(o, _, _) in &rel {
            rel_start[o as usize + 1] += 1;
        }
        for i in 1..rel_start.len() {
            rel_start[i] += rel_start[i - 1];
        }
        let relations = rel.into_iter().map(|(_, s, e)| (s, e)).collect();

        let mut cp2011: Vec<Cp2011Unit> = tsv("cp2011/unita.tsv", units, 2)?
            .into_iter()
            .map(|r| Cp2011Unit {
                code: r[0].to_owned(),
                name: r[1].to_owned(),
                voci: Vec::new(),
                esco: Vec::new(),
            })
            .collect();
        let cp2011_by_code: HashMap<String, u32> = cp2011
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.clone(), i as u32))
            .collect();
        let unit = |file: &str, code: &str| {
            cp2011_by_code
                .get(code)
                .copied()
                .ok_or_else(|| ModelError::new(file, code, "not a CP2011 unità professionale"))
        };
        for r in tsv("cp2011/voci.tsv", voci, 2)? {
            let u = unit("cp2011/voci.tsv", &r[0])?;
            cp2011[u as usize].voci.push(r[1].to_owned());
        }
        for r in tsv("cp2011/esco_link.tsv", links, 8)? {
            let u = unit("cp2011/esco_link.tsv", &r[0])?;
            let bad = || ModelError::new("cp2011/esco_link.tsv", &r[0], "bad esco id or score");
            let occupation: u32 = r[2].parse().map_err(|_| bad())?;
            let score: f32 = r[4].parse().map_err(|_| bad())?;
            if occupation as usize >= occupations.len() {
                return Err(bad());
            }
            cp2011[u as usize]
                .esco
                .push(Cp2011Link { occupation, score });
        }

        let mut by_label: HashMap<String, Vec<OccupationId>> = HashMap::default();
        let mut add = |label: &str, o: OccupationId| {
            for part in label.split('/') {
                let key = normalize_label(part);
                if key.is_empty() {
                    continue;
                }
                let v = by_label.entry(key).or_default();
                if !v.contains(&o) {
                    v.push(o);
                }
            }
        };
        for (i, o) in occupations.iter().enumerate() {
            let i = i as u32;
            for l in std::iter::once(&o.label_it)
                .chain(&o.alt_it)
                .chain(std::iter::once(&o.label_en))
                .chain(&o.alt_en)
            {
                add(l, i);
            }
        }
        for u in &cp2011 {
            if let Some(best) = u.esco.first() {
                for v in std::iter::once(&u.name).chain(&u.voci) {
                    add(v, best.occupation);
                }
            }
        }
        let occupation_by_uuid = occupations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.uuid.clone(), i as u32))
            .collect();
        let skill_by_uuid = skills
            .iter()
            .enumerate()
            .map(|(i, s)| (s.uuid.clone(), i as u32))
            .collect();
        Ok(Taxonomy {
            occupations,
            skills,
            cp2011,
            occupation_by_uuid,
            skill_by_uuid,
            cp2011_by_code,
            rel_start,
            relations,
            by_label,
            digest,
            titles: OnceLock::new(),
            ngrams: OnceLock::new(),
            minor_groups: OnceLock::new(),
            distributions: std::sync::Mutex::default(),
            resolved: std::sync::Mutex::default(),
        })
    }

    /// The title index (built on first use, about 40,000 labels).
    pub fn titles(&self) -> &titles::TitleIndex {
        self.titles
            .get_or_init(|| titles::TitleIndex::build(self, ABBREVIATIONS, &|_, _, _| false))
    }

    /// The character n-gram index of every label (built on first use).
    pub fn ngrams(&self) -> &ngrams::NgramIndex {
        self.ngrams
            .get_or_init(|| ngrams::NgramIndex::build(self, &|_| false))
    }

    /// The occupations a free-text title may name, as a probability distribution
    /// ([`ngrams::SoftTitles::distribution`] over the bundled labels), remembered per title.
    pub fn title_distribution(&self, title: &str, p: &ngrams::SoftTitles) -> Distribution {
        self.distribution_within(title, p, ngrams::Effort::TITLE)
    }

    /// [`Taxonomy::title_distribution`] with the work bounded by `effort` (remembered apart).
    pub fn distribution_within(
        &self,
        title: &str,
        p: &ngrams::SoftTitles,
        effort: ngrams::Effort,
    ) -> Distribution {
        let (a, b, c, d, e) = p.key();
        let key = (a, b, c, d, e, effort.df);
        let cache = || self.distributions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = cache().get(&key).and_then(|c| c.get(title)) {
            return hit.clone();
        }
        let found = if p.clean {
            let cleaned = clean::Cleaner::new(self.ngrams()).clean(title);
            p.distribution_within(self.ngrams(), &cleaned, effort)
        } else {
            p.distribution_within(self.ngrams(), title, effort)
        };
        let mut all = cache();
        let c = all.entry(key).or_default();
        if c.len() >= RESOLVED_CACHE {
            c.clear();
        }
        c.insert(title.to_owned(), found.clone());
        found
    }

    /// The occupation a free-text title names under `params`: an exact label first; then, when
    /// `params.fuzzy`, the best inexact match if its confidence reaches `params.min_confidence`.
    pub fn resolve_title(
        &self,
        title: &str,
        fuzzy: bool,
        min_confidence: f64,
    ) -> Option<OccupationId> {
        if let Some(&o) = self.occupations_by_title(title).first() {
            return Some(o);
        }
        if !fuzzy {
            return None;
        }
        let threshold = min_confidence.to_bits();
        let cache = || self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = cache().get(&threshold).and_then(|c| c.get(title)) {
            return *hit;
        }
        let found = self
            .titles()
            .resolve(title, 1)
            .into_iter()
            .find(|m| m.confidence >= min_confidence)
            .map(|m| m.occupation);
        let mut all = cache();
        let c = all.entry(threshold).or_default();
        if c.len() >= RESOLVED_CACHE {
            c.clear();
        }
        c.insert(title.to_owned(), found);
        found
    }

    /// The occupation with this ESCO URI or bare UUID.
    pub fn occupation(&self, uri_or_uuid: &str) -> Option<OccupationId> {
        self.occupation_by_uuid.get(uuid_of(uri_or_uuid)).copied()
    }

    /// The skill with this ESCO URI or bare UUID.
    pub fn skill(&self, uri_or_uuid: &str) -> Option<SkillId> {
        self.skill_by_uuid.get(uuid_of(uri_or_uuid)).copied()
    }

    /// The CP2011 unit with this code.
    pub fn cp2011_unit(&self, code: &str) -> Option<&Cp2011Unit> {
        self.cp2011_by_code
            .get(code)
            .map(|&i| &self.cp2011[i as usize])
    }

    /// Essential (`true`) and optional skills of an occupation.
    pub fn skills_of(&self, o: OccupationId) -> &[(SkillId, bool)] {
        let (a, b) = (
            self.rel_start[o as usize] as usize,
            self.rel_start[o as usize + 1] as usize,
        );
        &self.relations[a..b]
    }

    /// Occupations whose Italian or English label, alternative label, or linked CP2011 voce is
    /// `title` (case, accents and punctuation ignored).
    pub fn occupations_by_title(&self, title: &str) -> &[OccupationId] {
        self.by_label
            .get(&normalize_label(title))
            .map_or(&[], Vec::as_slice)
    }

    /// The occupations in `o`'s ISCO-08 minor group (3 digits), `o` among them, by id; empty
    /// when `o` has no ISCO code of 3 digits or more.
    pub fn minor_group(&self, o: OccupationId) -> &[OccupationId] {
        let groups = self.minor_groups.get_or_init(|| {
            let mut g: HashMap<String, Vec<OccupationId>> = HashMap::default();
            for (i, occ) in self.occupations.iter().enumerate() {
                if let Some(minor) = occ.isco.get(..3) {
                    g.entry(minor.to_owned())
                        .or_default()
                        .push(i as OccupationId);
                }
            }
            g
        });
        self.occupations[o as usize]
            .isco
            .get(..3)
            .and_then(|m| groups.get(m))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether two occupations share their ISCO-08 unit group (4 digits).
    pub fn same_isco(&self, a: OccupationId, b: OccupationId) -> bool {
        let (a, b) = (&self.occupations[a as usize], &self.occupations[b as usize]);
        !a.isco.is_empty() && a.isco == b.isco
    }
}

fn uuid_of(uri_or_uuid: &str) -> &str {
    uri_or_uuid.rsplit('/').next().unwrap_or(uri_or_uuid)
}

fn split_alt(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Lower case, accents folded to ASCII, every run of non-letters and non-digits one space.
pub fn normalize_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// The base letter of the accented letters Italian uses.
pub fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        _ => c,
    }
}

fn tsv(name: &str, text: &str, columns: usize) -> Result<Vec<csv::StringRecord>, ModelError> {
    let rows = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .from_reader(text.as_bytes())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ModelError::new(name, "tsv", e.to_string()))?;
    if let Some((i, _)) = rows.iter().enumerate().find(|(_, r)| r.len() != columns) {
        return Err(ModelError::new(
            name,
            format!("row {}", i + 2),
            format!("expected {columns} columns"),
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_are_complete() {
        let t = Taxonomy::bundled();
        assert_eq!(t.occupations.len(), 3007);
        assert_eq!(t.skills.len(), 13_896);
        assert_eq!(t.cp2011.len(), 800);
        assert_eq!(t.cp2011.iter().map(|u| u.voci.len()).sum::<usize>(), 6717);
        let linked = t.cp2011.iter().filter(|u| !u.esco.is_empty()).count();
        assert!(linked >= 700, "{linked} CP2011 units linked");
    }

    #[test]
    fn occupation_lookups_by_uri_and_skills() {
        let t = Taxonomy::bundled();
        // "metal drawing machine operator": 15 essential and 24 optional skills in ESCO 1.1.1.
        let o = t
            .occupation(
                "http://data.europa.eu/esco/occupation/000e93a3-d956-4e45-aacb-f12c83fedf84",
            )
            .unwrap();
        assert_eq!(t.occupations[o as usize].isco, "8121");
        let skills = t.skills_of(o);
        assert_eq!(skills.iter().filter(|(_, e)| *e).count(), 15);
        assert_eq!(skills.iter().filter(|(_, e)| !*e).count(), 24);
        assert_eq!(
            t.occupation("000e93a3-d956-4e45-aacb-f12c83fedf84"),
            Some(o)
        );
        assert_eq!(t.occupation("not-a-uuid"), None);
    }

    #[test]
    fn titles_resolve_through_italian_english_and_alternative_labels() {
        let t = Taxonomy::bundled();
        let o = t
            .occupation("00030d09-2b3a-4efd-87cc-c4ea39d27c34")
            .unwrap();
        // Italian gendered preferred label (either half), an Italian alt label, English.
        for title in [
            "Direttrice tecnica di allestimento",
            "direttore di allestimento",
            "Technical Director",
        ] {
            assert!(t.occupations_by_title(title).contains(&o), "{title}");
        }
        // A CP2011 voce resolves through the linkage.
        let web = t.cp2011_unit("3.1.2.3.0").unwrap();
        let best = web.esco[0].occupation;
        assert!(t.occupations_by_title("tecnici web").contains(&best));
    }

    #[test]
    fn labels_are_normalised() {
        assert_eq!(
            normalize_label("  Addetto  all'ACCOGLIENZA, è "),
            "addetto all accoglienza e"
        );
    }
}
