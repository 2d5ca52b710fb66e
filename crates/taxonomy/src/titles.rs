//! Free-text job titles → occupations, with a confidence and the runners-up.
//!
//! Every label the taxonomy has for an occupation — ESCO Italian and English, preferred and
//! alternative, and the CP2011 unit names and voci through the CP2011 → ESCO linkage — becomes
//! a bag of folded tokens: lower case, accents folded, Italian gender and number endings
//! folded (`direttore`/`direttrice`/`direttori` → `direttor`, `operaio`/`operai` → `opera`),
//! English plurals folded, abbreviations expanded (`data/titoli/abbreviazioni.tsv`), and words
//! that say nothing about the occupation dropped (`di`, `junior`, `m/f`, `cercasi` …). A title is
//! scored against every label that shares a token with it by the cosine of their idf-weighted
//! token sets (a token in few labels weighs more; a title word no label has weighs as the
//! rarest), so word order does not matter and an exact label scores 1. An occupation's
//! confidence is its best label's score. Ties go to a preferred label over an alternative one,
//! then to the lower occupation id, so the answer is deterministic.

use rustc_hash::FxHashMap as HashMap;

use super::{OccupationId, Taxonomy, normalize_label};

/// Where a label comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// ESCO preferred label (Italian or English).
    Preferred,
    /// ESCO alternative label.
    Alternative,
    /// A CP2011 unit name or voce, through the linkage.
    Cp2011,
}

/// One candidate occupation for a title.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TitleMatch {
    /// The occupation.
    pub occupation: OccupationId,
    /// Cosine of the title and the best label, 0–1 (1: the same words).
    pub confidence: f64,
    /// The label that matched best, as written in the taxonomy.
    pub label: String,
    /// Its kind.
    pub kind: LabelKind,
}

#[derive(Debug, Clone)]
struct Label {
    occupation: OccupationId,
    kind: LabelKind,
    text: String,
    /// Sorted, distinct token ids.
    tokens: Vec<u32>,
    norm: f64,
}

/// The token index over every label.
#[derive(Debug)]
pub struct TitleIndex {
    labels: Vec<Label>,
    token_ids: HashMap<String, u32>,
    /// Labels holding each token.
    postings: Vec<Vec<u32>>,
    idf: Vec<f64>,
    /// The weight of a title word no label has: the largest idf.
    unknown_weight: f64,
    abbreviations: HashMap<String, Vec<String>>,
}

/// Words that say nothing about the occupation (Italian and English function words, ad
/// boilerplate, gender and seniority markers).
const STOP: &[&str] = &[
    "ad",
    "al",
    "alla",
    "alle",
    "allo",
    "agli",
    "ai",
    "and",
    "cercasi",
    "cerca",
    "cerchiamo",
    "con",
    "da",
    "dal",
    "dalla",
    "de",
    "dei",
    "del",
    "della",
    "delle",
    "dello",
    "degli",
    "di",
    "e",
    "ed",
    "en",
    "f",
    "for",
    "gli",
    "h",
    "i",
    "il",
    "in",
    "junior",
    "l",
    "la",
    "le",
    "lo",
    "m",
    "mf",
    "n",
    "nel",
    "nella",
    "patente",
    "automunito",
    "automunita",
    "full",
    "part",
    "time",
    "tempo",
    "pieno",
    "determinato",
    "indeterminato",
    "o",
    "of",
    "offerta",
    "per",
    "ricerca",
    "ricerchiamo",
    "s",
    "senior",
    "si",
    "su",
    "sul",
    "sulla",
    "the",
    "to",
    "un",
    "una",
    "uno",
    "urgente",
    "x",
    "jr",
    "sr",
];

/// An abbreviations table (TSV `abbreviazione, espansione`, a header row): each one-word
/// abbreviation, normalised, to the normalised words it stands for (a key of two words, as
/// `amm.vo` normalises to, could never match the one word it is looked up with).
pub fn parse_abbreviations(text: &str) -> HashMap<String, Vec<String>> {
    text.lines()
        .skip(1)
        .filter_map(|line| line.split_once('\t'))
        .map(|(a, e)| {
            let words = normalize_label(e)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            (normalize_label(a), words)
        })
        .filter(|(a, _)| !a.is_empty() && !a.contains(' '))
        .collect()
}

/// Folds a normalised word to a key shared by its gender and number forms.
pub fn fold_token(w: &str) -> String {
    let mut s = w.to_owned();
    for (from, to) in [
        ("trice", "tore"),
        ("trici", "tori"),
        ("essa", "e"),
        ("esse", "e"),
    ] {
        if s.len() > from.len() + 2 && s.ends_with(from) {
            s.truncate(s.len() - from.len());
            s.push_str(to);
            break;
        }
    }
    let n = s.len();
    if n > 4 && (s.ends_with("aio") || s.ends_with("aia") || s.ends_with("aie")) {
        s.truncate(n - 2);
    } else if n > 4 && s.ends_with(['a', 'e', 'i', 'o']) {
        s.truncate(n - 1);
    } else if n > 4 && s.ends_with('s') && !s.ends_with("ss") {
        // English plurals (developers, managers).
        s.truncate(n - 1);
    }
    s
}

/// Every label of every occupation, as the title indexes read them: ESCO Italian and English
/// preferred and alternative labels, then each CP2011 unit's name and voci for the unit's
/// first linked occupation.
pub fn for_each_label(t: &Taxonomy, mut f: impl FnMut(OccupationId, LabelKind, &str)) {
    for (i, o) in t.occupations.iter().enumerate() {
        let i = i as OccupationId;
        f(i, LabelKind::Preferred, &o.label_it);
        f(i, LabelKind::Preferred, &o.label_en);
        for a in o.alt_it.iter().chain(&o.alt_en) {
            f(i, LabelKind::Alternative, a);
        }
    }
    for u in &t.cp2011 {
        if let Some(best) = u.esco.first() {
            for v in std::iter::once(&u.name).chain(&u.voci) {
                f(best.occupation, LabelKind::Cp2011, v);
            }
        }
    }
}

impl TitleIndex {
    /// The index over `t`'s labels, leaving out those `skip` says to (a held-out development
    /// set), with the abbreviations of `abbreviations` (TSV `abbreviazione, espansione`).
    pub fn build(
        t: &Taxonomy,
        abbreviations: &str,
        skip: &dyn Fn(OccupationId, LabelKind, &str) -> bool,
    ) -> TitleIndex {
        let abbr = parse_abbreviations(abbreviations);
        let mut index = TitleIndex {
            labels: Vec::new(),
            token_ids: HashMap::default(),
            postings: Vec::new(),
            idf: Vec::new(),
            unknown_weight: 0.0,
            abbreviations: abbr,
        };
        let add = |index: &mut TitleIndex, o: OccupationId, kind: LabelKind, text: &str| {
            for part in text.split('/') {
                let part = part.trim();
                if part.is_empty() || skip(o, kind, part) {
                    continue;
                }
                let words = index.words(part);
                if words.is_empty() {
                    continue;
                }
                let mut tokens: Vec<u32> = words
                    .iter()
                    .map(|w| {
                        let next = index.token_ids.len() as u32;
                        *index.token_ids.entry(w.clone()).or_insert(next)
                    })
                    .collect();
                tokens.sort_unstable();
                tokens.dedup();
                index.labels.push(Label {
                    occupation: o,
                    kind,
                    text: part.to_owned(),
                    tokens,
                    norm: 0.0,
                });
            }
        };
        for_each_label(t, |o, kind, text| add(&mut index, o, kind, text));
        index.finish();
        index
    }

    /// The folded words of a title, as labels are indexed (normalised, abbreviations expanded,
    /// stop words dropped, gender and number folded, each once).
    pub fn folded_words(&self, text: &str) -> Vec<String> {
        self.words(text)
    }

    fn finish(&mut self) {
        let n_tokens = self.token_ids.len();
        self.postings = vec![Vec::new(); n_tokens];
        for (i, l) in self.labels.iter().enumerate() {
            for &t in &l.tokens {
                self.postings[t as usize].push(i as u32);
            }
        }
        let n = self.labels.len().max(1) as f64;
        self.idf = self
            .postings
            .iter()
            .map(|p| (1.0 + n / p.len().max(1) as f64).ln())
            .collect();
        self.unknown_weight = (1.0 + n).ln();
        for l in &mut self.labels {
            l.norm = l
                .tokens
                .iter()
                .map(|&t| self.idf[t as usize].powi(2))
                .sum::<f64>()
                .sqrt();
        }
    }

    /// The folded words of a text: normalised, abbreviations expanded, stop words dropped,
    /// gender and number folded, each once.
    fn words(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in normalize_label(text).split(' ') {
            // Single letters (`C` of a licence, `&` of `C&I`) name no occupation.
            if w.chars().count() < 2 {
                continue;
            }
            let expanded: Vec<&str> = match self.abbreviations.get(w) {
                Some(e) => e.iter().map(String::as_str).collect(),
                None => vec![w],
            };
            for w in expanded {
                if STOP.contains(&w) {
                    continue;
                }
                let f = fold_token(w);
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// The occupations a title may name, best first (one per occupation, at most `limit`).
    pub fn resolve(&self, title: &str, limit: usize) -> Vec<TitleMatch> {
        let words = self.words(title);
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut known: Vec<(u32, f64)> = Vec::new();
        let mut norm2 = 0.0;
        for w in &words {
            match self.token_ids.get(w) {
                Some(&t) => {
                    let x = self.idf[t as usize];
                    known.push((t, x));
                    norm2 += x * x;
                }
                None => norm2 += self.unknown_weight.powi(2),
            }
        }
        let qnorm = norm2.sqrt();
        // Shared weight per label, over the labels that share a token.
        let mut shared: HashMap<u32, f64> = HashMap::default();
        for &(t, x) in &known {
            for &l in &self.postings[t as usize] {
                *shared.entry(l).or_insert(0.0) += x * x;
            }
        }
        // Best label per occupation.
        let mut best: HashMap<OccupationId, (f64, LabelKind, u32)> = HashMap::default();
        for (l, dot) in shared {
            let label = &self.labels[l as usize];
            let score = (dot / (qnorm * label.norm)).min(1.0);
            let entry = best
                .entry(label.occupation)
                .or_insert((score, label.kind, l));
            if (score, std::cmp::Reverse(label.kind), std::cmp::Reverse(l))
                > (
                    entry.0,
                    std::cmp::Reverse(entry.1),
                    std::cmp::Reverse(entry.2),
                )
            {
                *entry = (score, label.kind, l);
            }
        }
        let mut out: Vec<TitleMatch> = best
            .into_iter()
            .map(|(o, (score, kind, l))| TitleMatch {
                occupation: o,
                confidence: (score * 1e6).round() / 1e6,
                label: self.labels[l as usize].text.clone(),
                kind,
            })
            .collect();
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.kind.cmp(&b.kind))
                .then(a.occupation.cmp(&b.occupation))
        });
        out.truncate(limit);
        out
    }

    /// Number of labels indexed.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when no label is indexed.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_number_and_english_plurals_fold_together() {
        for group in [
            &["direttore", "direttrice", "direttori", "direttrici"][..],
            &["cameriere", "cameriera", "camerieri", "cameriere"],
            &["operaio", "operaia", "operai", "operaie"],
            &["addetto", "addetta", "addetti", "addette"],
            &["dottore", "dottoressa"],
            &["developer", "developers"],
        ] {
            let keys: Vec<String> = group.iter().map(|w| fold_token(w)).collect();
            assert!(
                keys.windows(2).all(|k| k[0] == k[1]),
                "{group:?} → {keys:?}"
            );
        }
    }

    #[test]
    fn titles_resolve_whatever_the_word_order_gender_or_language() {
        let t = Taxonomy::bundled();
        let idx = t.titles();
        let web = t.occupations_by_title("sviluppatore web")[0];
        for title in [
            "sviluppatore web",
            "Sviluppatrice Web (m/f)",
            "web sviluppatore",
            "web developer",
            "Web Developers junior",
        ] {
            let m = idx.resolve(title, 5);
            assert_eq!(m[0].occupation, web, "{title}: {m:?}");
            assert!(m[0].confidence > 0.9, "{title}: {m:?}");
        }
        // An exact label scores 1; a word the taxonomy does not know lowers the confidence.
        assert_eq!(idx.resolve("sviluppatore web", 1)[0].confidence, 1.0);
        let odd = idx.resolve("sviluppatore web zorblax", 1);
        assert!(odd[0].confidence < 0.8, "{odd:?}");
        assert!(idx.resolve("di del la", 3).is_empty());
    }
}

/// Accuracy of a title index on titles with known answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TitleEval {
    /// Titles evaluated.
    pub cases: usize,
    /// Share whose first candidate is right.
    pub accuracy_at_1: f64,
    /// Share with a right candidate among the first five.
    pub accuracy_at_5: f64,
    /// Share left unresolved at the threshold (first candidate below `min_confidence`).
    pub unresolved: f64,
    /// Share whose first candidate is right and at or above the threshold.
    pub resolved_right: f64,
    /// Titles whose first five candidates are all wrong (title and the first candidate's
    /// label), for reading.
    pub misses: Vec<(String, String)>,
    /// By threshold (0.30, 0.35 … 0.95): the share of titles resolved and the share of those
    /// resolved right (precision), to choose `titles.min_confidence`.
    pub by_threshold: Vec<(f64, f64, f64)>,
}

/// A title and whether an occupation is a right answer for it.
pub type Case<'a> = (String, Box<dyn Fn(OccupationId) -> bool + 'a>);

/// Evaluates `index` on `cases`.
pub fn evaluate(index: &TitleIndex, cases: &[Case<'_>], min_confidence: f64) -> TitleEval {
    let (mut at1, mut at5, mut unresolved, mut right) = (0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    let mut firsts: Vec<(f64, bool)> = Vec::new();
    for (title, ok) in cases {
        let m = index.resolve(title, 5);
        let first = m.first();
        if let Some(f) = first {
            firsts.push((f.confidence, ok(f.occupation)));
        }
        if first.is_none_or(|f| f.confidence < min_confidence) {
            unresolved += 1;
        }
        if first.is_some_and(|f| ok(f.occupation)) {
            at1 += 1;
            if first.is_some_and(|f| f.confidence >= min_confidence) {
                right += 1;
            }
        }
        if m.iter().any(|x| ok(x.occupation)) {
            at5 += 1;
        } else {
            misses.push((
                title.clone(),
                first.map(|f| f.label.clone()).unwrap_or_default(),
            ));
        }
    }
    let n = cases.len().max(1) as f64;
    let by_threshold = (6..20)
        .map(|k| {
            let th = f64::from(k) * 0.05;
            let resolved: Vec<&(f64, bool)> = firsts.iter().filter(|f| f.0 >= th).collect();
            let good = resolved.iter().filter(|f| f.1).count();
            (
                th,
                resolved.len() as f64 / n,
                good as f64 / resolved.len().max(1) as f64,
            )
        })
        .collect();
    TitleEval {
        by_threshold,
        cases: cases.len(),
        accuracy_at_1: at1 as f64 / n,
        accuracy_at_5: at5 as f64 / n,
        unresolved: unresolved as f64 / n,
        resolved_right: right as f64 / n,
        misses,
    }
}

/// A development set held out of the taxonomy's own labels: every `every`-th distinct
/// alternative label and CP2011 voce (by a hash of its normalised text) is removed from the
/// index, with every other label of the same text, and becomes a query whose right answers are
/// the occupations that had it. Returns the reduced index and the held-out titles.
pub fn holdout(t: &Taxonomy, every: u64) -> (TitleIndex, Vec<(String, Vec<OccupationId>)>) {
    use std::hash::{Hash, Hasher};
    let held = |text: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        normalize_label(text).hash(&mut h);
        every > 0 && h.finish().is_multiple_of(every)
    };
    let mut truth: std::collections::BTreeMap<String, Vec<OccupationId>> = Default::default();
    let mut note = |o: OccupationId, text: &str| {
        for part in text.split('/') {
            let key = normalize_label(part);
            if !key.is_empty() && held(part) {
                let v = truth.entry(key).or_default();
                if !v.contains(&o) {
                    v.push(o);
                }
            }
        }
    };
    for (i, o) in t.occupations.iter().enumerate() {
        for a in o.alt_it.iter().chain(&o.alt_en) {
            note(i as OccupationId, a);
        }
    }
    for u in &t.cp2011 {
        if let Some(best) = u.esco.first() {
            for v in &u.voci {
                note(best.occupation, v);
            }
        }
    }
    let index = TitleIndex::build(t, super::ABBREVIATIONS, &|_, _, text| {
        truth.contains_key(&normalize_label(text))
    });
    (index, truth.into_iter().collect())
}

/// Titles with the ISCO-08 unit groups (4 digits, `|`-separated) a right occupation may be
/// in: TSV `titolo, isco` with a header row (e.g. job-ad titles written by hand).
pub fn isco_cases(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(title, isco)| {
            (
                title.trim().to_owned(),
                isco.split('|').map(|c| c.trim().to_owned()).collect(),
            )
        })
        .collect()
}

/// The development report: held-out taxonomy labels (exact occupation) and titles with ISCO
/// unit groups (on the full index).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TitleReport {
    /// `every` of [`holdout`].
    pub holdout_every: u64,
    /// On the held-out labels.
    pub held_out: TitleEval,
    /// On the titles with ISCO unit groups.
    pub isco_titles: TitleEval,
    /// The threshold used.
    pub min_confidence: f64,
}

/// Runs both evaluations.
pub fn report(
    t: &Taxonomy,
    isco: &[(String, Vec<String>)],
    every: u64,
    min_confidence: f64,
) -> TitleReport {
    let (reduced, held) = holdout(t, every);
    let held_cases: Vec<Case<'_>> = held
        .iter()
        .map(|(title, ok)| {
            let f: Box<dyn Fn(OccupationId) -> bool + '_> = Box::new(move |o| ok.contains(&o));
            (title.clone(), f)
        })
        .collect();
    let isco_cases: Vec<Case<'_>> = isco
        .iter()
        .map(|(title, units)| {
            let f: Box<dyn Fn(OccupationId) -> bool + '_> =
                Box::new(move |o| units.contains(&t.occupations[o as usize].isco));
            (title.clone(), f)
        })
        .collect();
    TitleReport {
        holdout_every: every,
        held_out: evaluate(&reduced, &held_cases, min_confidence),
        isco_titles: evaluate(t.titles(), &isco_cases, min_confidence),
        min_confidence,
    }
}
