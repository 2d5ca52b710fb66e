//! Adjacent occupations (profili di prossimità): for each ESCO occupation, the occupations
//! nearest to it by skill overlap.
//!
//! An occupation's vector is its skills, essential and optional weighted and each multiplied by
//! the skill's inverse occupation frequency, L2-normalised ([`Vectorizer::occupation`], the
//! model's `[vectors]`); two occupations' similarity is the cosine of their vectors. Each
//! occupation keeps its [`MAX_NEIGHBOURS`] nearest (similarity above 0, ties by occupation
//! id); a model then uses the first `esperienza.neighbours` of them at or above
//! `esperienza.min_similarity`. Computed once per vector parameters (about 0.1 s) through a
//! skill → occupations inverted list, so only pairs that share a skill are compared.

use std::sync::{Arc, Mutex, OnceLock};

use super::model::{EsperienzaParams, VectorParams};
use super::vectors::Vectorizer;
use incrocio_taxonomy::{OccupationId, Taxonomy};

/// The most neighbours kept per occupation (a model may use fewer).
pub const MAX_NEIGHBOURS: usize = 50;

/// Each occupation's nearest occupations.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjacency {
    /// By occupation: (occupation, similarity), most similar first.
    neighbours: Vec<Vec<(OccupationId, f32)>>,
    /// By occupation `c`: the occupations whose neighbours hold `c`, with `c`'s rank among
    /// them and the similarity (the other direction of `neighbours`).
    reverse: Vec<Vec<(OccupationId, u32, f32)>>,
}

impl Adjacency {
    /// Computes every occupation's neighbours under `params`.
    pub fn build(t: &Taxonomy, params: &VectorParams) -> Adjacency {
        let vz = Vectorizer::new(t, params);
        let vectors: Vec<_> = (0..t.occupations.len() as OccupationId)
            .map(|o| vz.occupation(t, o))
            .collect();
        let mut by_skill: Vec<Vec<(OccupationId, f32)>> = vec![Vec::new(); t.skills.len()];
        for (o, v) in vectors.iter().enumerate() {
            for (s, w) in v.idx.iter().zip(&v.val) {
                by_skill[*s as usize].push((o as OccupationId, *w));
            }
        }
        let mut acc = vec![0.0f32; vectors.len()];
        let mut touched: Vec<OccupationId> = Vec::new();
        let neighbours: Vec<Vec<(OccupationId, f32)>> = vectors
            .iter()
            .enumerate()
            .map(|(o, v)| {
                for (s, w) in v.idx.iter().zip(&v.val) {
                    for &(p, x) in &by_skill[*s as usize] {
                        if p as usize != o {
                            if acc[p as usize] == 0.0 {
                                touched.push(p);
                            }
                            acc[p as usize] += w * x;
                        }
                    }
                }
                let mut near: Vec<(OccupationId, f32)> = touched
                    .drain(..)
                    .map(|p| (p, std::mem::take(&mut acc[p as usize])))
                    .filter(|(_, s)| *s > 0.0)
                    .collect();
                near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                near.truncate(MAX_NEIGHBOURS);
                near
            })
            .collect();
        let mut reverse = vec![Vec::new(); neighbours.len()];
        for (o, near) in neighbours.iter().enumerate() {
            for (rank, &(c, s)) in near.iter().enumerate() {
                reverse[c as usize].push((o as OccupationId, rank as u32, s));
            }
        }
        Adjacency {
            neighbours,
            reverse,
        }
    }

    /// The adjacency under `params`, computed on first use and shared.
    pub fn shared(t: &Taxonomy, params: &VectorParams) -> Arc<Adjacency> {
        type Cache = Mutex<Vec<(VectorParams, Arc<Adjacency>)>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
        let mut c = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, a)) = c.iter().find(|(p, _)| p == params) {
            return a.clone();
        }
        let a = Arc::new(Adjacency::build(t, params));
        c.push((*params, a.clone()));
        a
    }

    /// The neighbours of `o` a model uses: the first `p.neighbours` at or above
    /// `p.min_similarity`.
    pub fn of(&self, o: OccupationId, p: &EsperienzaParams) -> &[(OccupationId, f32)] {
        let all = self
            .neighbours
            .get(o as usize)
            .map_or(&[][..], Vec::as_slice);
        let n = all
            .iter()
            .take(p.neighbours)
            .take_while(|(_, s)| f64::from(*s) >= p.min_similarity)
            .count();
        &all[..n]
    }

    /// The occupations among whose neighbours a model uses ([`Adjacency::of`]) `c` stands:
    /// the other direction of `of`, without a scan of every occupation.
    pub fn of_reverse<'a>(
        &'a self,
        c: OccupationId,
        p: &'a EsperienzaParams,
    ) -> impl Iterator<Item = OccupationId> + 'a {
        // `of` keeps the first `neighbours` at or above `min_similarity`, most similar first:
        // `c` is kept by `o` exactly when its rank is below `neighbours` and its similarity at
        // least `min_similarity`.
        self.reverse
            .get(c as usize)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(move |&&(_, rank, s)| {
                (rank as usize) < p.neighbours && f64::from(s) >= p.min_similarity
            })
            .map(|&(o, _, _)| o)
    }

    /// All kept neighbours of `o` (at most [`MAX_NEIGHBOURS`]).
    pub fn all(&self, o: OccupationId) -> &[(OccupationId, f32)] {
        self.neighbours
            .get(o as usize)
            .map_or(&[][..], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MatchingModel;

    #[test]
    fn neighbours_are_symmetric_sorted_and_sensible() {
        let t = Taxonomy::bundled();
        let a = Adjacency::shared(t, &MatchingModel::V1_DEFAULTS.vectors);
        let web = t.occupations_by_title("sviluppatore web")[0];
        let near = a.all(web);
        assert!(near.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(
            near.iter()
                .all(|(o, s)| *o != web && *s > 0.0 && *s <= 1.0 + 1e-6)
        );
        // The nearest occupations of a web developer are software occupations (ISCO 25xx).
        let isco: Vec<&str> = near[..5]
            .iter()
            .map(|(o, _)| t.occupations[*o as usize].isco.as_str())
            .collect();
        assert!(
            isco.iter().filter(|i| i.starts_with("25")).count() >= 3,
            "{isco:?}"
        );
        // Cosine is symmetric: the similarity read from either side agrees.
        let (o, s) = near[0];
        let back = a.all(o).iter().find(|(p, _)| *p == web).map(|(_, x)| *x);
        if let Some(b) = back {
            assert!((b - s).abs() < 1e-5);
        }
        let p = EsperienzaParams {
            adjacent: 0.5,
            proximity: 0.6,
            neighbours: 3,
            min_similarity: 0.0,
            declared: 0.0,
            minor_group: 0.0,
        };
        assert_eq!(a.of(web, &p).len(), 3);
    }
}
