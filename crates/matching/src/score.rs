//! The scoring core: from the plain rows of the eligible candidates and a model, each part's
//! value, weight and weighted contribution, the total, and the exact bounded top-k. No tantivy
//! and no I/O here: the index collects [`Eligible`] rows, this module ranks them.
//!
//! A score is `Σ weight × value` over five parts, added in a fixed order (lessicale, competenze,
//! esperienza, istruzione, distanza), so the total is the same to the bit whether it is computed
//! for ranking or summed from the explanation ([`Parts`]).

use serde::Serialize;

use super::model::{EsperienzaParams, MatchingModel, Weights};
use incrocio_core::cancel::Cancel;
use incrocio_core::error::Result;

/// How a candidate's experience relates to the vacancy's occupation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Experience {
    /// An experience in the vacancy's ESCO occupation.
    pub same: bool,
    /// One in the same ISCO-08 unit group.
    pub same_unit_group: bool,
    /// The vacancy's occupation is one the person declared in the patto di servizio.
    pub declared: bool,
    /// The candidate's occupation nearest to the vacancy's among its adjacent occupations, with
    /// the similarity.
    pub adjacent: Option<(u32, f32)>,
    /// With soft occupations ([`super::soft`]), the best group's expected match; the fields
    /// above are then unset.
    pub soft: Option<super::soft::SoftMatch>,
}

pub use incrocio_core::reference::Point;

/// The great-circle distance between a candidate's domicile and the workplace, in km, known
/// exactly or only between two bounds.
///
/// The hard rules settle most candidates from the chord between the two points on the unit
/// sphere: when even the upper bound is within the radius and the candidate's own limit, the
/// haversine (two sines, a square root and an arcsine) is not computed then, but only when a
/// score, the rosa or a suggestion reads the distance ([`Distance::km`]). The value read is
/// always the haversine's, to the bit, so the ranking is the same as with every distance
/// computed up front.
#[derive(Debug, Clone, Copy)]
pub struct Distance {
    /// The haversine, when computed; NaN until then.
    exact: f64,
    /// Never above the haversine.
    lo: f64,
    /// Never below the haversine.
    hi: f64,
    /// The candidate's point.
    at: Point,
}

/// The same distance: the same bits in every field (a distance not computed yet holds NaN,
/// which `==` on `f64` never finds equal to itself).
impl PartialEq for Distance {
    fn eq(&self, other: &Distance) -> bool {
        let bits = |d: &Distance| [d.exact, d.lo, d.hi, d.at.0, d.at.1, d.at.2].map(f64::to_bits);
        bits(self) == bits(other)
    }
}

/// The relative and absolute margins of [`Distance::bounds`]: far above the rounding of the
/// haversine and of the chord (both about 1e-12 km at Italian distances).
const REL_MARGIN: f64 = 1e-9;
const ABS_MARGIN_KM: f64 = 1e-6;

impl Distance {
    /// A distance known exactly.
    pub fn known(km: f64) -> Distance {
        Distance {
            exact: km,
            lo: km,
            hi: km,
            at: (f64::NAN, f64::NAN, f64::NAN),
        }
    }

    /// A distance between `bounds` ([`Distance::bounds`] of the squared chord between the two
    /// points), to be computed from `at` when read.
    pub fn bounded((lo, hi): (f64, f64), at: Point) -> Distance {
        Distance {
            exact: f64::NAN,
            lo,
            hi,
            at,
        }
    }

    /// Bounds of the haversine from the squared chord `c²` on the unit sphere: the arc is
    /// `2R·asin(c/2)`, at least `R·c` (an arc is never shorter than its chord) and at most
    /// `R·c / √(1 − c²/4)` (since `asin x ≤ x / √(1 − x²)`), each widened by the margins.
    pub fn bounds(chord2: f64) -> (f64, f64) {
        const R: f64 = incrocio_core::reference::EARTH_RADIUS_KM;
        let c = chord2.max(0.0).sqrt();
        let lo = R * c * (1.0 - REL_MARGIN) - ABS_MARGIN_KM;
        let hi = R * c / (1.0 - chord2 / 4.0).max(f64::MIN_POSITIVE).sqrt() * (1.0 + REL_MARGIN)
            + ABS_MARGIN_KM;
        (lo, hi)
    }

    /// The distance in km from `from` (the workplace): the haversine, to the bit.
    pub fn km(&self, from: Point) -> f64 {
        if self.exact.is_nan() {
            incrocio_core::reference::haversine_km_cos(from, self.at)
        } else {
            self.exact
        }
    }

    /// A value the distance is never below (the distance itself when known).
    pub fn at_least(&self) -> f64 {
        if self.exact.is_nan() {
            self.lo
        } else {
            self.exact
        }
    }

    /// Whether the distance from `from` is at most `km`: the same answer as
    /// `self.km(from) <= km`, computing the haversine only when the bounds straddle `km`.
    pub fn within(&self, km: f64, from: Point) -> bool {
        if !self.exact.is_nan() {
            self.exact <= km
        } else if self.hi <= km {
            true
        } else if self.lo > km {
            false
        } else {
            self.km(from) <= km
        }
    }
}

/// A candidate passing the hard rules, with what scoring needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Eligible {
    /// BM25 of the vacancy's words over the CV.
    pub bm25: f32,
    /// BM25 of the vacancy title's character grams over the CV's titles (0 unless the model
    /// gives the lexical part an n-gram share).
    pub grams: f32,
    /// Row of the competency vector (and of the id).
    pub slot: u32,
    /// Great-circle distance between domicile and workplace.
    pub km: Distance,
    /// Level of study 0–12, when known.
    pub level: Option<u8>,
    /// CEFR level (1–6, 0: none) in the language the model's suggestions propose.
    pub suggested_language: u8,
    /// Experience relation.
    pub experience: Experience,
}

/// The value of each part, in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Contributions {
    /// Normalised BM25.
    pub lessicale: f64,
    /// Competency cosine.
    pub competenze: f64,
    /// Same (1), same unit group or adjacent occupation (partial), none (0).
    pub esperienza: f64,
    /// Education fit.
    pub istruzione: f64,
    /// Nearness.
    pub distanza: f64,
}

/// One part of a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Part {
    /// The part's value, in [0, 1].
    pub value: f64,
    /// Its weight in the model.
    pub weight: f64,
    /// `weight × value`.
    pub contribution: f64,
}

/// The explained score: each part's value, weight and contribution. The contributions add up
/// to the score exactly (the same additions in the same order as the ranking).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Parts {
    /// Lexical relevance.
    pub lessicale: Part,
    /// Competency similarity.
    pub competenze: Part,
    /// Experience.
    pub esperienza: Part,
    /// Education.
    pub istruzione: Part,
    /// Distance.
    pub distanza: Part,
}

impl Parts {
    /// Values weighted by `w`.
    pub fn new(c: &Contributions, w: &Weights) -> Parts {
        let part = |value: f64, weight: f64| Part {
            value,
            weight,
            contribution: weight * value,
        };
        Parts {
            lessicale: part(c.lessicale, w.lessicale),
            competenze: part(c.competenze, w.competenze),
            esperienza: part(c.esperienza, w.esperienza),
            istruzione: part(c.istruzione, w.istruzione),
            distanza: part(c.distanza, w.distanza),
        }
    }

    /// The sum of the contributions, in part order.
    pub fn total(&self) -> f64 {
        self.lessicale.contribution
            + self.competenze.contribution
            + self.esperienza.contribution
            + self.istruzione.contribution
            + self.distanza.contribution
    }
}

/// `Σ weight × value`, in part order (the same arithmetic as [`Parts::total`]).
pub fn total(c: &Contributions, w: &Weights) -> f64 {
    w.lessicale * c.lessicale
        + w.competenze * c.competenze
        + w.esperienza * c.esperienza
        + w.istruzione * c.istruzione
        + w.distanza * c.distanza
}

/// The `esperienza` value: 1 for the same occupation; else the largest of the declared-occupation
/// credit, the unit-group credit and `proximity × similarity` of an adjacent occupation; else 0.
pub fn esperienza(x: &Experience, p: &EsperienzaParams) -> f64 {
    if let Some(s) = x.soft {
        return f64::from(s.value);
    }
    if x.same {
        return 1.0;
    }
    let mut v = if x.same_unit_group { p.adjacent } else { 0.0 };
    if let Some((_, s)) = x.adjacent {
        v = v.max(p.proximity * f64::from(s));
    }
    if x.declared {
        v = v.max(p.declared);
    }
    v
}

/// `x / best`, 0 when the best is 0.
fn ratio(x: f32, best: f32) -> f64 {
    if best > 0.0 { f64::from(x / best) } else { 0.0 }
}

/// The `lessicale` value: `bm25 / best` (0 when the best is 0); with an n-gram share `g`,
/// `(1 − g) × that + g × grams / best grams`. With `g` = 0 the value is the BM25 ratio to the
/// bit (versions before 4).
pub fn lessicale(bm25: f32, best: f32, grams: f32, best_grams: f32, g: f64) -> f64 {
    if g == 0.0 {
        return ratio(bm25, best);
    }
    (1.0 - g) * ratio(bm25, best) + g * ratio(grams, best_grams)
}

/// The `distanza` value: `1 − km / radius` in [0, 1]; 1 when the radius is 0 (the same comune).
pub fn distanza(km: f64, radius: f64) -> f64 {
    if radius > 0.0 {
        (1.0 - km / radius).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// What every candidate of one vacancy shares: the best BM25, the radius, the model.
#[derive(Debug, Clone, Copy)]
pub struct Scorer<'a> {
    best_bm25: f32,
    best_grams: f32,
    radius: f64,
    /// The workplace.
    from: Point,
    model: &'a MatchingModel,
    /// The greatest competency similarity any candidate can have: 1, or 0 when the vacancy's
    /// vector is empty (no occupation, no skill), so the bound is tight and nobody is scored
    /// exactly for nothing.
    max_competenze: f64,
}

impl<'a> Scorer<'a> {
    /// The scorer of one vacancy's eligible candidates.
    pub fn new(
        eligible: &[Eligible],
        from: Point,
        radius: f64,
        model: &'a MatchingModel,
    ) -> Scorer<'a> {
        Scorer {
            best_bm25: eligible.iter().map(|e| e.bm25).fold(0.0f32, f32::max),
            best_grams: eligible.iter().map(|e| e.grams).fold(0.0f32, f32::max),
            radius,
            from,
            model,
            max_competenze: 1.0,
        }
    }

    /// The same scorer for a vacancy whose competency vector is empty (no similarity can be
    /// above 0).
    pub fn without_competenze(mut self) -> Scorer<'a> {
        self.max_competenze = 0.0;
        self
    }

    /// Every value but the competency similarity (the one that costs a dot product).
    pub fn cheap(&self, e: &Eligible) -> Contributions {
        self.cheap_at(e, e.km.km(self.from))
    }

    /// [`Scorer::cheap`] with the distance `km`.
    fn cheap_at(&self, e: &Eligible, km: f64) -> Contributions {
        Contributions {
            lessicale: lessicale(
                e.bm25,
                self.best_bm25,
                e.grams,
                self.best_grams,
                self.model.lessicale.ngram,
            ),
            competenze: 0.0,
            esperienza: esperienza(&e.experience, &self.model.esperienza),
            istruzione: if e.level.is_none() {
                self.model.istruzione.unknown
            } else {
                1.0
            },
            distanza: distanza(km, self.radius),
        }
    }

    /// The words' and the grams' BM25 ratios the lexical part is made of.
    pub fn lexical(&self, e: &Eligible) -> [f64; 2] {
        [
            ratio(e.bm25, self.best_bm25),
            ratio(e.grams, self.best_grams),
        ]
    }

    /// Every value, with the competency similarity `competenze` (clamped to [0, 1]).
    pub fn values(&self, e: &Eligible, competenze: f64) -> Contributions {
        Contributions {
            competenze: competenze.clamp(0.0, 1.0),
            ..self.cheap(e)
        }
    }

    /// The total of `c`.
    pub fn total(&self, c: &Contributions) -> f64 {
        total(c, &self.model.weights)
    }

    /// A total no candidate's exact total exceeds: the similarity is at most 1 (0 for an
    /// empty vacancy vector), and the distance at least its lower bound (`distanza` never
    /// grows with the distance; weights are non-negative, and rounded sums and products keep
    /// the order).
    pub fn upper_bound(&self, e: &Eligible) -> f64 {
        self.upper_bound_with(e, 1.0)
    }

    /// [`Scorer::upper_bound`] knowing that the candidate's similarity is at most
    /// `competenze`.
    pub fn upper_bound_with(&self, e: &Eligible, competenze: f64) -> f64 {
        self.total(&Contributions {
            competenze: self.max_competenze.min(competenze).clamp(0.0, 1.0),
            ..self.cheap_at(e, e.km.at_least())
        })
    }

    /// The explained parts of `c`.
    pub fn parts(&self, c: &Contributions) -> Parts {
        Parts::new(c, &self.model.weights)
    }
}

/// A score and a position in the eligible list.
pub type Scored = (f64, u32);

/// Every eligible candidate (when `limit` is none or not below their number) or the best
/// `limit`, best first: `(total, position in eligible)`. `competenze(e)` computes the costly
/// value, `competenze_bound(e)` a value it never exceeds, read more cheaply; `cmp` orders
/// equal totals (by candidate id). Bounded and exact: see [`top_k`].
#[allow(clippy::too_many_arguments)]
pub fn rank(
    eligible: &[Eligible],
    scorer: &Scorer<'_>,
    competenze: &dyn Fn(&Eligible) -> f64,
    competenze_bound: &dyn Fn(&Eligible) -> f64,
    cmp: &dyn Fn(&Scored, &Scored) -> std::cmp::Ordering,
    limit: Option<usize>,
    cancel: &Cancel,
    warm: &Warm<'_, Eligible>,
) -> Result<Vec<Scored>> {
    let exact = |e: &Eligible| scorer.total(&scorer.values(e, competenze(e)));
    match limit.filter(|&k| k < eligible.len()) {
        None => {
            let mut all: Vec<Scored> = eligible
                .iter()
                .enumerate()
                .map(|(i, e)| (exact(e), i as u32))
                .collect();
            cancel.check()?;
            all.sort_by(cmp);
            Ok(all)
        }
        Some(k) => top_k(
            eligible,
            k,
            cmp,
            cancel,
            |e, is_exact| {
                if is_exact {
                    exact(e)
                } else {
                    scorer.upper_bound(e)
                }
            },
            |e| scorer.upper_bound_with(e, competenze_bound(e)),
            warm,
        ),
    }
}

/// The best `k` of `eligible` by `cmp` (sorted), computing the exact score (`score(e, true)`)
/// only where the upper bound (`score(e, false)`) can still beat the k-th best: rows are
/// visited by decreasing bound and the visit stops once a bound falls below the k-th exact
/// score. A visited row whose second, tighter bound (`refine(e)`, dearer than the first and
/// cheaper than the exact score) is below the k-th exact score is passed over. The result is
/// the same as scoring everyone exactly and sorting (neither bound is ever below the exact
/// score, and an equal bound is still scored, so ties are settled by `cmp`).
///
/// The bounds are ordered lazily: the best `max(4k, 256)` are selected (linear) and sorted, and
/// only when the visit gets past them are the next, four times as many, selected; the visit
/// order is the full sort's.
pub fn top_k<T>(
    eligible: &[T],
    k: usize,
    cmp: &dyn Fn(&Scored, &Scored) -> std::cmp::Ordering,
    cancel: &Cancel,
    score: impl Fn(&T, bool) -> f64,
    refine: impl Fn(&T) -> f64,
    warm: &Warm<'_, T>,
) -> Result<Vec<Scored>> {
    let mut bounds = BOUNDS.with(|b| std::mem::take(&mut *b.borrow_mut()));
    bounds.clear();
    bounds.extend(
        eligible
            .iter()
            .enumerate()
            .map(|(i, e)| (score(e, false), i as u32)),
    );
    let result = visit(eligible, &mut bounds, k, cmp, cancel, &score, &refine, warm);
    BOUNDS.with(|b| *b.borrow_mut() = bounds);
    result
}

thread_local! {
    /// Per-thread bounds, reused: a fresh vector per search costs fresh pages.
    static BOUNDS: std::cell::RefCell<Vec<Scored>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Rows warmed per group in [`visit`].
const WARM_AHEAD: usize = 8;

/// Loads that bring a row's data into the cache before it is read, so that the misses of a
/// group of rows overlap instead of following one another; each returns a value made of
/// what it read (summed into `black_box`, so the loads are not elided). Neither changes a
/// result.
pub struct Warm<'a, T> {
    /// What the tighter bound reads (a competency row's sketch).
    pub bound: &'a dyn Fn(&T) -> f32,
    /// What the exact score reads (a competency row).
    pub exact: &'a dyn Fn(&T) -> f32,
}

impl<T> Warm<'_, T> {
    /// Nothing to warm.
    pub fn none() -> Warm<'static, T> {
        Warm {
            bound: &|_| 0.0,
            exact: &|_| 0.0,
        }
    }
}

/// The visit of [`top_k`] over its bounds.
#[allow(clippy::too_many_arguments)]
fn visit<T>(
    eligible: &[T],
    bounds: &mut [Scored],
    k: usize,
    cmp: &dyn Fn(&Scored, &Scored) -> std::cmp::Ordering,
    cancel: &Cancel,
    score: &impl Fn(&T, bool) -> f64,
    refine: &impl Fn(&T) -> f64,
    warm: &Warm<'_, T>,
) -> Result<Vec<Scored>> {
    let by_bound = |a: &Scored, b: &Scored| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    cancel.check()?;
    let mut best: Vec<Scored> = Vec::with_capacity(k + 1);
    let (mut start, mut chunk, mut n) = (0usize, (4 * k).max(256), 0usize);
    while start < bounds.len() {
        let rest = &mut bounds[start..];
        let end = if rest.len() > chunk {
            rest.select_nth_unstable_by(chunk, by_bound);
            rest[..chunk].sort_unstable_by(by_bound);
            start + chunk
        } else {
            rest.sort_unstable_by(by_bound);
            bounds.len()
        };
        let mut tight = [f64::INFINITY; WARM_AHEAD];
        for (at, &(bound, i)) in bounds[start..end].iter().enumerate() {
            // The k-th exact score so far, once there are k.
            let kth = if best.len() == k {
                best.last().map_or(f64::NEG_INFINITY, |w| w.0)
            } else {
                f64::NEG_INFINITY
            };
            // The tighter bounds and the exact scores read memory the first bound did not (a
            // row's sketch, then its competency row): the next group's sketches are loaded
            // side by side, then its tighter bounds read, then the rows of those that can
            // still enter loaded side by side, so that cache misses overlap instead of
            // following one another.
            if at % WARM_AHEAD == 0 {
                let group = &bounds[start + at..(start + at + WARM_AHEAD).min(end)];
                let mut touched = 0.0f32;
                for &(_, j) in group {
                    touched += (warm.bound)(&eligible[j as usize]);
                }
                for (g, &(_, j)) in group.iter().enumerate() {
                    let e = &eligible[j as usize];
                    tight[g] = refine(e);
                    if tight[g] >= kth {
                        touched += (warm.exact)(e);
                    }
                }
                std::hint::black_box(touched);
            }
            n += 1;
            if n % 4096 == 0 {
                cancel.check()?;
            }
            if bound < kth {
                return Ok(best);
            }
            if tight[at % WARM_AHEAD] < kth {
                continue;
            }
            let exact = (score(&eligible[i as usize], true), i);
            let at = best.partition_point(|x| cmp(x, &exact) == std::cmp::Ordering::Less);
            if at < k {
                best.insert(at, exact);
                best.truncate(k);
            }
        }
        start = end;
        chunk = chunk.saturating_mul(4);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u32) -> Eligible {
        Eligible {
            bm25: 0.0,
            grams: 0.0,
            slot: i,
            km: Distance::known(0.0),
            level: None,
            suggested_language: 0,
            experience: Experience::default(),
        }
    }

    proptest::proptest! {
        #[test]
        fn bounded_top_k_is_the_exact_top_k(
            rows in proptest::collection::vec((0u8..20, 0u8..5, 0u8..3), 1..1500),
            k in 1usize..20,
        ) {
            // Exact scores with many ties; bounds at or above them, and tighter bounds between
            // the two (equal to either at times).
            let exact: Vec<f64> = rows.iter().map(|r| f64::from(r.0) / 4.0).collect();
            let bound: Vec<f64> = rows.iter().zip(&exact).map(|(r, e)| e + f64::from(r.1) / 2.0).collect();
            let tight: Vec<f64> = rows.iter().zip(exact.iter().zip(&bound)).map(|(r, (e, b))| e + (b - e) * f64::from(r.2) / 2.0).collect();
            let eligible: Vec<Eligible> = (0..rows.len() as u32).map(row).collect();
            // Ties broken by a permuted "id" order, as candidate ids would (then the position:
            // the permutation repeats past 1,009 rows).
            let key = |i: u32| (i * 7919) % 1009;
            let cmp = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then_with(|| key(a.1).cmp(&key(b.1))).then(a.1.cmp(&b.1));
            let got = top_k(&eligible, k, &cmp, &Cancel::never(), |e, x| if x { exact[e.slot as usize] } else { bound[e.slot as usize] }, |e| tight[e.slot as usize], &Warm::none()).unwrap();
            let mut want: Vec<(f64, u32)> = exact.iter().enumerate().map(|(i, s)| (*s, i as u32)).collect();
            want.sort_by(cmp);
            want.truncate(k);
            proptest::prop_assert_eq!(got, want);
        }

        #[test]
        fn the_parts_add_up_to_the_total_exactly(
            v in proptest::array::uniform5(0.0f64..=1.0),
            w in proptest::array::uniform5(0.0f64..=1.0),
        ) {
            let c = Contributions { lessicale: v[0], competenze: v[1], esperienza: v[2], istruzione: v[3], distanza: v[4] };
            let w = Weights { lessicale: w[0], competenze: w[1], esperienza: w[2], istruzione: w[3], distanza: w[4] };
            let parts = Parts::new(&c, &w);
            proptest::prop_assert_eq!(parts.total().to_bits(), total(&c, &w).to_bits());
        }
    }

    /// Rome (41.9028 N, 12.4964 E) to Milan (45.4642 N, 9.1900 E): about 477 km on the
    /// sphere. A distance known only by its chord reads as the haversine to the bit, its bounds
    /// hold that value, and `within` answers as the haversine would on either side.
    #[test]
    fn a_bounded_distance_reads_the_haversine_and_its_bounds_hold_it() {
        let unit = |lat: f64, lon: f64| {
            let (p, l) = (lat.to_radians(), lon.to_radians());
            [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
        };
        let (rome, milan) = (unit(41.9028, 12.4964), unit(45.4642, 9.1900));
        let chord2: f64 = (0..3).map(|i| (rome[i] - milan[i]).powi(2)).sum();
        let from = incrocio_core::reference::point(41.9028, 12.4964);
        let at = incrocio_core::reference::point(45.4642, 9.1900);
        let d = Distance::bounded(Distance::bounds(chord2), at);
        let exact = incrocio_core::reference::haversine_km_cos(from, at);
        assert!((exact - 477.0).abs() < 2.0, "{exact}");
        assert_eq!(d.km(from).to_bits(), exact.to_bits());
        let (lo, hi) = Distance::bounds(chord2);
        assert!(lo <= exact && exact <= hi, "{lo} {exact} {hi}");
        // The bounds are tight: the chord is shorter than the arc by under 0.1% here.
        assert!(hi - lo < 1.0, "{lo} {hi}");
        assert_eq!(d.at_least(), lo);
        for radius in [470.0, exact - 1e-9, exact, exact + 1e-9, 480.0] {
            assert_eq!(d.within(radius, from), exact <= radius, "{radius}");
        }
    }

    #[test]
    fn a_distance_not_yet_computed_equals_itself() {
        let p = (41.9, 12.5, 41.9f64.to_radians().cos());
        let d = Distance::bounded(Distance::bounds(1e-4), p);
        assert_eq!(d, Distance::bounded(Distance::bounds(1e-4), p));
        assert_ne!(d, Distance::bounded(Distance::bounds(2e-4), p));
        assert_ne!(d, Distance::known(63.7));
        assert_eq!(Distance::known(63.7), Distance::known(63.7));
        // Known: read as given, bounds are the value itself.
        assert_eq!(Distance::known(63.7).km(p), 63.7);
        assert_eq!(Distance::known(63.7).at_least(), 63.7);
        assert!(Distance::known(63.7).within(63.7, p));
        assert!(!Distance::known(63.7).within(63.6, p));
    }

    #[test]
    fn experience_credit_takes_the_larger_relation() {
        let p = EsperienzaParams {
            adjacent: 0.5,
            proximity: 0.6,
            neighbours: 10,
            min_similarity: 0.3,
            declared: 0.8,
            minor_group: 0.0,
        };
        let x = |same, unit, adj: Option<f32>| Experience {
            same,
            same_unit_group: unit,
            declared: false,
            adjacent: adj.map(|s| (7, s)),
            soft: None,
        };
        assert_eq!(esperienza(&x(true, true, Some(0.9)), &p), 1.0);
        assert_eq!(esperienza(&x(false, true, None), &p), 0.5);
        // 0.6 × 0.9 = 0.54 > 0.5.
        assert!((esperienza(&x(false, true, Some(0.9)), &p) - 0.54).abs() < 1e-6);
        // 0.6 × 0.5 = 0.30 < 0.5.
        assert_eq!(esperienza(&x(false, true, Some(0.5)), &p), 0.5);
        assert!((esperienza(&x(false, false, Some(0.5)), &p) - 0.3).abs() < 1e-6);
        assert_eq!(esperienza(&x(false, false, None), &p), 0.0);
        // Declared in the patto: 0.8, above the unit group's 0.5 and 0.6 × 0.9 = 0.54.
        let declared = Experience {
            declared: true,
            ..x(false, true, Some(0.9))
        };
        assert!((esperienza(&declared, &p) - 0.8).abs() < 1e-12);
        assert_eq!(
            esperienza(
                &Experience {
                    declared: true,
                    ..x(true, false, None)
                },
                &p
            ),
            1.0
        );
    }
}
