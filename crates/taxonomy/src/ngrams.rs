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
    gram_ids: HashMap<String, u32>,
    idf: Vec<f32>,
    /// Per gram, the labels holding it with the gram's weight in the label's vector.
    postings: Vec<Vec<(u32, f32)>>,
    /// Each label's occupation.
    occupation: Vec<OccupationId>,
}

/// The grams of a normalised, space-framed text, with their counts.
fn grams(text: &str) -> Vec<(String, u32)> {
    let framed: Vec<char> = format!(" {} ", normalize_label(text)).chars().collect();
    let mut counts: HashMap<String, u32> = HashMap::default();
    for n in SIZES {
        if framed.len() < n {
            continue;
        }
        for w in framed.windows(n) {
            *counts.entry(w.iter().collect()).or_default() += 1;
        }
    }
    let mut out: Vec<(String, u32)> = counts.into_iter().collect();
    out.sort_unstable();
    out
}

impl NgramIndex {
    /// The index over `t`'s labels (those [`for_each_label`] gives, each `/`-separated part a
    /// label), leaving out those `skip` says to (a held-out development set).
    pub fn build(t: &Taxonomy, skip: &dyn Fn(&str) -> bool) -> NgramIndex {
        let mut gram_ids: HashMap<String, u32> = HashMap::default();
        let mut labels: Vec<(OccupationId, Vec<(u32, u32)>)> = Vec::new();
        for_each_label(t, |o, _, text| {
            for part in text.split('/') {
                let part = part.trim();
                if part.is_empty() || skip(part) {
                    continue;
                }
                let g: Vec<(u32, u32)> = grams(part)
                    .into_iter()
                    .map(|(gram, c)| {
                        let next = gram_ids.len() as u32;
                        (*gram_ids.entry(gram).or_insert(next), c)
                    })
                    .collect();
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
        for (l, (o, g)) in labels.iter().enumerate() {
            let v = weigh(g, &idf);
            for (id, w) in v.ids.iter().zip(&v.weights) {
                postings[*id as usize].push((l as u32, *w));
            }
            occupation.push(*o);
        }
        NgramIndex {
            gram_ids,
            idf,
            postings,
            occupation,
        }
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
    pub fn resolve(&self, text: &str, limit: usize) -> Vec<(OccupationId, f32)> {
        let v = self.vector(text);
        let mut by_label: HashMap<u32, f32> = HashMap::default();
        for (id, w) in v.ids.iter().zip(&v.weights) {
            for &(l, lw) in &self.postings[*id as usize] {
                *by_label.entry(l).or_default() += w * lw;
            }
        }
        let mut best: HashMap<OccupationId, f32> = HashMap::default();
        for (l, s) in by_label {
            let e = best.entry(self.occupation[l as usize]).or_default();
            *e = e.max(s.min(1.0));
        }
        let mut out: Vec<(OccupationId, f32)> = best.into_iter().collect();
        out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out
    }
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
}
