//! Titles as character n-grams: the sub-word structure whole words miss.
//!
//! A title is normalised (lower case, accents folded, punctuation to spaces), framed by spaces
//! (` sviluppatrice web `) and cut into its character 3-, 4- and 5-grams; each gram weighs its
//! count times its inverse label frequency (`ln(1 + N / df)` over the taxonomy's labels, the
//! same labels the word index reads), and the vector is L2-normalised. Two titles' similarity
//! is the cosine of their vectors, in [0, 1]: `sviluppatrice web` and `sviluppatori web` share
//! most of their grams although they share no whole word, and a typo costs a few grams, not a
//! word. A gram no label has carries no weight (it cannot tell occupations apart).
//!
//! [`NgramIndex::resolve`] scores a title against every label sharing a gram with it and keeps
//! each occupation's best label: the occupations a title may name, by similarity.

use rustc_hash::FxHashMap as HashMap;

use super::titles::for_each_label;
use super::{OccupationId, Taxonomy, normalize_label};

/// The gram lengths.
const SIZES: [usize; 3] = [3, 4, 5];

/// A sparse, L2-normalised gram vector: gram ids (strictly increasing) and weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GramVec {
    ids: Vec<u32>,
    weights: Vec<f32>,
}

impl GramVec {
    /// Cosine with another vector (both normalised).
    pub fn cosine(&self, other: &GramVec) -> f32 {
        let (mut i, mut j, mut acc) = (0, 0, 0.0f32);
        while i < self.ids.len() && j < other.ids.len() {
            match self.ids[i].cmp(&other.ids[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    acc += self.weights[i] * other.weights[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        acc.min(1.0)
    }

    /// Whether the vector is empty (no gram any label has).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The character n-grams of every label, with their label frequencies.
#[derive(Debug)]
pub struct NgramIndex {
    gram_ids: HashMap<Gram, u32>,
    idf: Vec<f32>,
    /// Per gram, the labels holding it with the gram's weight in the label's vector.
    postings: Vec<Vec<(u32, f32)>>,
    /// Each label's occupation.
    occupation: Vec<OccupationId>,
    /// Each label's vector.
    labels: Vec<GramVec>,
    /// The words of the labels (normalised), for [`crate::clean`]: a word some label holds is
    /// not an abbreviation or a place to take away.
    words: rustc_hash::FxHashSet<String>,
}

/// How much work a resolution does ([`NgramIndex::resolve_within`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effort {
    /// Grams held by at most this many labels are walked to find the labels compared.
    pub df: usize,
    /// The rarest grams always walked.
    pub min_grams: usize,
    /// The labels of best partial score whose exact cosine is computed.
    pub rescored: usize,
}

impl Effort {
    /// Titles (experiences, vacancies, the patto's occupations; training).
    pub const TITLE: Effort = Effort {
        df: 300,
        min_grams: 4,
        rescored: 128,
    };
    /// Free text (`competenze_testo`, the sentences of `sintesi`): pieces that rarely repeat,
    /// so not remembered, and of which only a strong match matters.
    pub const FREE_TEXT: Effort = Effort {
        df: 60,
        min_grams: 3,
        rescored: 24,
    };
}

/// A gram packed in one integer: its length, then each char in 21 bits (no allocation).
type Gram = u128;

fn pack(w: &[char]) -> Gram {
    w.iter().fold((w.len() as u128) << 120, |k, &c| {
        (k << 21) | u128::from(u32::from(c))
    }) | ((w.len() as u128) << 120)
}

/// The grams of a normalised, space-framed text, with their counts, in gram order.
fn grams(text: &str) -> Vec<(Gram, u32)> {
    let framed: Vec<char> = format!(" {} ", normalize_label(text)).chars().collect();
    let mut all: Vec<Gram> = Vec::with_capacity(framed.len() * SIZES.len());
    for n in SIZES {
        if framed.len() < n {
            continue;
        }
        all.extend(framed.windows(n).map(pack));
    }
    all.sort_unstable();
    let mut out: Vec<(Gram, u32)> = Vec::with_capacity(all.len());
    for g in all {
        match out.last_mut() {
            Some((last, c)) if *last == g => *c += 1,
            _ => out.push((g, 1)),
        }
    }
    out
}

/// The length of the grams the lexical part indexes and searches ([`gram_terms`]).
pub const TERM_GRAM: usize = 4;

/// The character 4-grams of a text as index terms, one per occurrence in text order (a space of
/// the framing written `_`): what the lexical part's n-gram field holds and searches. One length
/// only: the three lengths of the title model tripled the field (and its indexing time) for
/// little, 4-grams keeping most of what a typo or an ending leaves of a word.
pub fn gram_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_gram_term(text, |w| out.push(w.iter().collect()));
    out
}

/// Appends [`gram_terms`] of `text` to `out`, each followed by a space, without a string per
/// gram (how the index writes a document's grams).
pub fn push_gram_text(text: &str, out: &mut String) {
    each_gram_term(text, |w| {
        out.extend(w);
        out.push(' ');
    });
}

/// Calls `f` with each gram term of `text` ([`gram_terms`]), its characters in order.
fn each_gram_term(text: &str, mut f: impl FnMut(&[char])) {
    let mut framed: Vec<char> = Vec::with_capacity(text.len() + 2);
    framed.push('_');
    framed.extend(
        normalize_label(text)
            .chars()
            .map(|c| if c == ' ' { '_' } else { c }),
    );
    framed.push('_');
    for w in framed.windows(TERM_GRAM) {
        f(w);
    }
}

impl NgramIndex {
    /// The index over `t`'s labels (those [`for_each_label`] gives, each `/`-separated part a
    /// label), leaving out those `skip` says to (a held-out development set).
    pub fn build(t: &Taxonomy, skip: &dyn Fn(&str) -> bool) -> NgramIndex {
        let mut gram_ids: HashMap<Gram, u32> = HashMap::default();
        let mut labels: Vec<(OccupationId, Vec<(u32, u32)>)> = Vec::new();
        let mut words = rustc_hash::FxHashSet::default();
        for_each_label(t, |o, _, text| {
            for part in text.split('/') {
                let part = part.trim();
                if part.is_empty() || skip(part) {
                    continue;
                }
                for w in normalize_label(part).split(' ') {
                    if !w.is_empty() && !words.contains(w) {
                        words.insert(w.to_owned());
                    }
                }
                let mut g: Vec<(u32, u32)> = grams(part)
                    .into_iter()
                    .map(|(gram, c)| {
                        let next = gram_ids.len() as u32;
                        (*gram_ids.entry(gram).or_insert(next), c)
                    })
                    .collect();
                g.sort_unstable();
                if !g.is_empty() {
                    labels.push((o, g));
                }
            }
        });
        let mut df = vec![0u32; gram_ids.len()];
        for (_, g) in &labels {
            for (id, _) in g {
                df[*id as usize] += 1;
            }
        }
        let n = labels.len().max(1) as f32;
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| (1.0 + n / d.max(1) as f32).ln())
            .collect();
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); gram_ids.len()];
        let mut occupation = Vec::with_capacity(labels.len());
        let mut vectors = Vec::with_capacity(labels.len());
        for (l, (o, g)) in labels.iter().enumerate() {
            let v = weigh(g, &idf);
            for (id, w) in v.ids.iter().zip(&v.weights) {
                postings[*id as usize].push((l as u32, *w));
            }
            occupation.push(*o);
            vectors.push(v);
        }
        NgramIndex {
            gram_ids,
            idf,
            postings,
            occupation,
            labels: vectors,
            words,
        }
    }

    /// Whether some label of the index holds `word` (normalised, [`normalize_label`]).
    pub fn has_word(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// A title's vector (grams no label has are left out).
    pub fn vector(&self, text: &str) -> GramVec {
        let g: Vec<(u32, u32)> = grams(text)
            .into_iter()
            .filter_map(|(gram, c)| self.gram_ids.get(&gram).map(|&id| (id, c)))
            .collect();
        let mut g = g;
        g.sort_unstable();
        weigh(&g, &self.idf)
    }

    /// The occupations a title may name, best first, each with its best label's cosine (at
    /// most `limit`; ties to the lower occupation id).
    ///
    /// Two passes, so that a title costs tens of microseconds, not the walk of every label
    /// sharing a gram with it: the postings of the title's selective grams (held by at most
    /// [`Effort::df`] labels, and at least its [`Effort::min_grams`] rarest) give each label a
    /// partial score; the [`Effort::rescored`] best labels then get their exact cosine. A
    /// label sharing only common grams (` di `, `ore`) with the title is not compared: those
    /// grams weigh little, and the best labels of a title share its rare grams. Training
    /// (`incrocio train titles`) and use read titles through this same function.
    pub fn resolve(&self, text: &str, limit: usize) -> Vec<(OccupationId, f32)> {
        self.resolve_within(text, limit, Effort::TITLE)
    }

    /// [`NgramIndex::resolve`] with the work bounded by `effort`.
    pub fn resolve_within(
        &self,
        text: &str,
        limit: usize,
        effort: Effort,
    ) -> Vec<(OccupationId, f32)> {
        let v = self.vector(text);
        let mut order: Vec<usize> = (0..v.ids.len()).collect();
        order.sort_by_key(|&k| (self.postings[v.ids[k] as usize].len(), v.ids[k]));
        // Partial scores in a per-thread dense buffer over the labels, zeroed where touched.
        thread_local! {
            static PARTIAL: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let mut compared: Vec<(u32, f32)> = PARTIAL.with(|buf| {
            let mut partial = buf.borrow_mut();
            partial.resize(self.labels.len(), 0.0);
            let mut touched: Vec<u32> = Vec::new();
            for (n, &k) in order.iter().enumerate() {
                let postings = &self.postings[v.ids[k] as usize];
                if n >= effort.min_grams && postings.len() > effort.df {
                    break;
                }
                let w = v.weights[k];
                for &(l, lw) in postings {
                    let p = &mut partial[l as usize];
                    if *p == 0.0 {
                        touched.push(l);
                    }
                    *p += w * lw;
                }
            }
            touched
                .into_iter()
                .map(|l| {
                    let x = std::mem::take(&mut partial[l as usize]);
                    (l, x)
                })
                .collect()
        });
        if compared.len() > effort.rescored {
            compared.select_nth_unstable_by(effort.rescored, |a, b| {
                b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
            });
            compared.truncate(effort.rescored);
        }
        let mut best: HashMap<OccupationId, f32> = HashMap::default();
        for (l, _) in compared {
            let cosine = v.cosine(&self.labels[l as usize]);
            let e = best.entry(self.occupation[l as usize]).or_default();
            *e = e.max(cosine);
        }
        let mut out: Vec<(OccupationId, f32)> = best.into_iter().filter(|x| x.1 > 0.0).collect();
        out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out
    }
}

/// How a title becomes a distribution over occupations (a matching model's `[titles]` of
/// version 4 or later): its `top_k` occupations by n-gram cosine to their best label, weighted
/// by a softmax of the cosines at `temperature` (fitted by `incrocio train titles` for least
/// log-loss on held-out labels, so that the probabilities are calibrated); a title whose best
/// cosine is below `min_cosine` names no occupation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftTitles {
    /// Occupations kept per title.
    pub top_k: usize,
    /// Softmax temperature (> 0).
    pub temperature: f64,
    /// Smallest best cosine at which a title names anything.
    pub min_cosine: f64,
    /// Occupations of smaller probability are left out of the distribution (0: none; below
    /// `1 / top_k`, so the most probable one always stays); the others keep their probability,
    /// so the distribution sums to at most 1.
    pub min_probability: f64,
    /// Whether a title is cleaned of what ads add to it (gender endings and markers, ad
    /// words, abbreviations, places: [`crate::clean`]) before it is compared (version 6 on).
    /// Read by [`crate::Taxonomy::title_distribution`], which holds what cleaning needs.
    pub clean: bool,
}

impl SoftTitles {
    /// The parameters as a cache key.
    pub fn key(&self) -> (u64, u64, u64, u64, bool) {
        (
            self.top_k as u64,
            self.temperature.to_bits(),
            self.min_cosine.to_bits(),
            self.min_probability.to_bits(),
            self.clean,
        )
    }

    /// The distribution `text` resolves to over `index`'s labels.
    pub fn distribution(&self, index: &NgramIndex, text: &str) -> super::Distribution {
        self.distribution_within(index, text, Effort::TITLE)
    }

    /// [`SoftTitles::distribution`] with the work bounded by `effort`.
    pub fn distribution_within(
        &self,
        index: &NgramIndex,
        text: &str,
        effort: Effort,
    ) -> super::Distribution {
        let top = index.resolve_within(text, self.top_k, effort);
        if top.first().is_none_or(|x| f64::from(x.1) < self.min_cosine) {
            return std::sync::Arc::from([]);
        }
        let mut d = softmax(&top, self.temperature);
        d.retain(|x| f64::from(x.1) >= self.min_probability);
        d.into()
    }
}

/// Softmax of cosines (best first) at `temperature`: probabilities in the same order, summing
/// to 1 (to f32 rounding), computed in f64 in a fixed order.
pub fn softmax(top: &[(OccupationId, f32)], temperature: f64) -> Vec<(OccupationId, f32)> {
    let Some(max) = top.first().map(|x| f64::from(x.1)) else {
        return Vec::new();
    };
    let e: Vec<f64> = top
        .iter()
        .map(|x| ((f64::from(x.1) - max) / temperature).exp())
        .collect();
    let z: f64 = e.iter().sum();
    top.iter()
        .zip(e)
        .map(|(x, w)| (x.0, (w / z) as f32))
        .collect()
}

/// Count × idf, L2-normalised; `g` sorted by gram id.
fn weigh(g: &[(u32, u32)], idf: &[f32]) -> GramVec {
    let weights: Vec<f32> = g
        .iter()
        .map(|&(id, c)| c as f32 * idf[id as usize])
        .collect();
    let norm = weights.iter().map(|w| w * w).sum::<f32>().sqrt();
    GramVec {
        ids: g.iter().map(|&(id, _)| id).collect(),
        weights: if norm > 0.0 {
            weights.iter().map(|w| w / norm).collect()
        } else {
            weights
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_number_and_typos_keep_most_grams() {
        let t = Taxonomy::bundled();
        let idx = NgramIndex::build(t, &|_| false);
        let a = idx.vector("sviluppatrice web");
        // The same words: cosine 1 (to f32 rounding).
        assert!((a.cosine(&idx.vector("Sviluppatrice   WEB!")) - 1.0).abs() < 1e-5);
        let plural = a.cosine(&idx.vector("sviluppatori web"));
        let typo = a.cosine(&idx.vector("svilupatrice web"));
        let other = a.cosine(&idx.vector("cuoco di linea"));
        assert!(plural > 0.5 && typo > 0.5, "{plural} {typo}");
        assert!(other < 0.1, "{other}");
        // An exact label resolves to its occupation first, with cosine 1.
        let web = t.occupations_by_title("sviluppatore web")[0];
        let r = idx.resolve("sviluppatore web", 3);
        assert_eq!(r[0].0, web);
        assert!(r[0].1 > 0.999, "{r:?}");
    }

    /// `min_probability` leaves out exactly the occupations below it, keeping the others'
    /// probabilities (the softmax of the same cosines), most probable first.
    #[test]
    fn the_least_probability_leaves_out_the_tail_only() {
        let t = Taxonomy::bundled();
        let all = SoftTitles {
            top_k: 5,
            temperature: 0.0708,
            min_cosine: 0.3,
            min_probability: 0.0,
            clean: false,
        };
        let title = "addetta alle pulizie uffici";
        let full = t.title_distribution(title, &all);
        assert_eq!(full.len(), 5, "{full:?}");
        let sum: f32 = full.iter().map(|x| x.1).sum();
        assert!((sum - 1.0).abs() < 1e-5, "{sum}");
        // A floor between two of the probabilities: those above stay, unchanged.
        let k = full
            .iter()
            .position(|x| x.1 < 0.5 * full[0].1)
            .unwrap_or(1)
            .max(1);
        let floor = (f64::from(full[k - 1].1) + f64::from(full[k].1)) / 2.0;
        let cut = t.title_distribution(
            title,
            &SoftTitles {
                min_probability: floor,
                clean: false,
                ..all
            },
        );
        assert_eq!(&cut[..], &full[..k], "floor {floor}");
        // Remembered apart: the full distribution is still the full one.
        assert_eq!(t.title_distribution(title, &all), full);
    }
}
